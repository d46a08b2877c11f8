"""``python -m tune_jobs.report RUN_DIR ... --out DIR``: see :mod:`tune_jobs.report.build`."""

import sys

from tune_jobs.report.build import main

sys.exit(main())
