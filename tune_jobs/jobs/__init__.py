"""Jobs: what is trained. Built-in jobs by name, a user's job by file or module.

    get_job("fashion-mlp")         a registered job
    get_job("my_job.py")           a user's job file (see user_file.py for its contract)
    get_job("package.module")      the same contract in an importable module

Adding a built-in job is one module exposing a ``Job`` and one line here.
"""

from __future__ import annotations

import importlib

from tune_jobs.jobs.base import Data, DataOptions, Job, JobError, prepare
from tune_jobs.jobs.objective import Objective
from tune_jobs.jobs.user_file import Param

JOBS = {  # name -> "module:attribute", imported when asked for
    "fashion-mlp": "tune_jobs.jobs.fashion_mlp:JOB",
    "fashion-cnn": "tune_jobs.jobs.fashion_cnn:JOB",
    "linear": "tune_jobs.jobs.regression:LINEAR",
    "free-fall": "tune_jobs.jobs.regression:FREE_FALL",
    "sine": "tune_jobs.jobs.regression:SINE",
}
DEFAULT_JOB = "fashion-mlp"

__all__ = ["Data", "DataOptions", "Job", "JobError", "Objective", "Param", "JOBS", "get_job", "prepare"]


def get_job(ref: str) -> Job:
    """The registered job ``ref``, or a user's job file or module."""
    from dataclasses import replace

    if ref in JOBS:
        module, _, attribute = JOBS[ref].partition(":")
        return replace(getattr(importlib.import_module(module), attribute), source=ref)
    from tune_jobs.jobs.user_file import load_user_job

    return load_user_job(ref)
