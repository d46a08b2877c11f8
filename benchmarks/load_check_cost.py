"""How long the CPU-load check before a local sweep (``runner.warn_about_load``) takes inside the
command a user types: ``python -m tune_jobs.fashion --smoke``, run in this process with the
check timed (BENCHMARKS.md, section 10; the drop-in's: ``dropin_phases.py``).

    python benchmarks/load_check_cost.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import runpy
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dropin_phases import PHASES, timed  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()

    from tune_jobs.engine import runner

    timed(runner, "warn_about_load")
    for _ in range(args.rounds):
        sys.argv = ["tune_jobs.fashion", "--smoke", "--out", tempfile.mkdtemp(prefix="load-check-")]
        try:
            runpy.run_module("tune_jobs.fashion", run_name="__main__")
        except SystemExit as end:
            if end.code:
                raise
    print("the CPU-load check in each --smoke run: "
          + ", ".join(f"{end - began:.3f} s" for name, began, end in PHASES if name == "warn_about_load"))


if __name__ == "__main__":
    main()
