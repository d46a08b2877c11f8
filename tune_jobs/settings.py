"""Run-time options of a sweep (never hyperparameters: those live in the YAML).

Stored as ``run.json`` in the run directory, so that ``--resume RUN_DIR`` runs the rest of
the sweep exactly as it started.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any, Mapping

from tune_jobs.searchers import schedulers
from tune_jobs import searchers
from tune_jobs.space.spec import SpecError


@dataclass(frozen=True)
class RunSettings:
    space: str  # the search-space file, as the user named it
    job: str = "fashion-mlp"  # a registered job, a job file or package.module (see tune_jobs/jobs)
    workers: int = os.cpu_count() or 1  # trials at once; each gets total CPUs (or cpus) / workers
    cpus: int | None = None  # the CPUs this run may use: a local Ray's size, a share of a cluster
    cv: int = 3  # folds per configuration, as GridSearchCV's cv=3; 1: one held-out split (folds.HOLDOUT)
    epochs: int | None = None  # overrides the file's epochs when set
    max_train_samples: int | None = None  # a stratified subset of the training set
    seed: int = 0  # folds, subset, weight initialisation (and the searcher, unless search_seed)
    search_seed: int | None = None  # the searcher's own seed: compare varies it over fixed data and folds
    refit: bool = True  # train the best configuration on all training data, score the test set
    out: str = "runs"
    data_dir: str | None = None
    address: str | None = None  # an existing Ray cluster; None starts a local one
    searcher: str = "grid"  # see tune_jobs/searchers
    num_samples: int | None = None  # trials of a sampling searcher
    scheduler: str = "none"  # early stopping: none, asha (epochs) or asha-time (seconds trained)
    optuna_storage: str | None = None  # a database URL for the Optuna study
    budget: int | None = None  # epochs x folds after which the sweep ends (see tune_jobs/engine/budget.py)
    time_budget_s: float | timedelta | None = None  # seconds of the sweep's own clock after which it ends
    storage: str | None = None  # shared storage of Ray Tune's experiment, for clusters of several nodes
    max_failures: int = 2  # retries of a trial whose process or node died (one that raised is not retried)
    gpus_per_trial: float = 0.0  # a fraction lets several small trials share one GPU
    fail_fast: bool = False  # end the sweep at the first failed trial (scikit-learn's error_score="raise")
    mlflow: str | None = None  # an MLflow tracking URI: one MLflow run per trial, nested under the sweep's

    def __post_init__(self) -> None:
        if isinstance(self.time_budget_s, timedelta):  # as tune-sklearn and Tuner(time_budget_s=) take it
            object.__setattr__(self, "time_budget_s", self.time_budget_s.total_seconds())
        checks = {
            "workers": (self.workers, 1), "cv": (self.cv, 1), "epochs": (self.epochs, 1),
            "max_train_samples": (self.max_train_samples, 1), "num_samples": (self.num_samples, 1),
            "budget": (self.budget, 1), "max_failures": (self.max_failures, 0),
            "search_seed": (self.search_seed, 0), "seed": (self.seed, 0), "cpus": (self.cpus, 1),
        }
        for name, (value, least) in checks.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
                raise SpecError(f"--{name.replace('_', '-')}: {value!r} must be an integer >= {least}")
        if self.time_budget_s is not None and not (is_number(self.time_budget_s) and 0 < self.time_budget_s < math.inf):
            raise SpecError(f"--time-budget: {self.time_budget_s!r} must be a positive number of seconds")
        if not (is_number(self.gpus_per_trial) and 0 <= self.gpus_per_trial <= 64):
            raise SpecError(f"--gpus-per-trial: {self.gpus_per_trial!r} must be a number in [0, 64]")
        schedulers.check_name(self.scheduler)
        searchers.check_name(self.searcher)
        searchers.check_options(self.searcher, {"num_samples": self.num_samples,
                                                "optuna_storage": self.optuna_storage})

    @property
    def searcher_seed(self) -> int:
        return self.seed if self.search_seed is None else self.search_seed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RunSettings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def is_number(value: Any) -> bool:
    """An int or a float, not a bool (which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
