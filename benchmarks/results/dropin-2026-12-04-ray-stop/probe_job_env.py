"""Probe (BENCHMARKS.md section 10, "Two probes, not built"), run from the repository root as
    [PROBE_JOB_ENV=1] [RAY_preload_python_modules=keras] python PATH/probe_job_env.py
 the drop-in's phases with the job's runtime env = Tune's trial actors' (so that Tune's actors
may take Ray's prestarted workers), optionally with TensorFlow preloaded in them."""
import os, sys, runpy
sys.path.insert(0, os.getcwd())  # run from the repository root
import ray
inner = ray.init
def init(*args, **kwargs):
    if os.environ.get("PROBE_JOB_ENV") == "1":
        kwargs["runtime_env"] = {"env_vars": {"PL_DISABLE_FORK": "1"}}
    return inner(*args, **kwargs)
ray.init = init
sys.argv = ["dropin_phases.py"]
runpy.run_path("benchmarks/dropin_phases.py", run_name="__main__")
