"""tune-jobs: hyperparameter sweeps of Keras models as parallel Ray Tune trials.

    python -m tune_jobs.fashion --smoke            # about a minute, to try the tool
    python -m tune_jobs.fashion --workers 8        # the seed's grid, 144 configurations x 3 folds

    import tune_jobs                               # the same from Python (see tune_jobs/api.py)
    result = tune_jobs.sweep("fashion-mlp", space={"lr": [0.001, 0.01]}, workers=2)
"""

from typing import Any

from tune_jobs.engine import cpu_load as _cpu_load

_cpu_load.begin()  # a script's imports and data, up to its first sweep, are the window its load check reads

__version__ = "0.1.0"
__all__ = ["BadInput", "SweepResult", "resume", "sweep"]


def __getattr__(name: str) -> Any:
    # Imported when first used, so that `python -m tune_jobs.report --help` stays quick.
    if name in ("sweep", "resume", "SweepResult"):
        from tune_jobs import api

        return getattr(api, name)
    if name == "BadInput":
        from tune_jobs.errors import BadInput

        return BadInput
    raise AttributeError(f"module 'tune_jobs' has no attribute {name!r}")
