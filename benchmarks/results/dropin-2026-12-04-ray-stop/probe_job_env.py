"""Probe (BENCHMARKS.md section 10, "Two probes, not built"): the drop-in's phases with the job's
runtime environment set to Tune's trial actors' (so that Tune's actors may take the workers Ray
prestarts), optionally with Keras preloaded in every worker. Run from the repository root:

    [PROBE_JOB_ENV=1] [RAY_preload_python_modules=keras] python PATH/probe_job_env.py
"""

import os
import runpy
import sys

import ray

sys.path.insert(0, os.getcwd())
_init = ray.init


def init(*args, **kwargs):
    if os.environ.get("PROBE_JOB_ENV") == "1":
        kwargs["runtime_env"] = {"env_vars": {"PL_DISABLE_FORK": "1"}}
    return _init(*args, **kwargs)


ray.init = init
sys.argv = ["dropin_phases.py"]
runpy.run_path("benchmarks/dropin_phases.py", run_name="__main__")
