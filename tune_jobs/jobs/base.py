"""The job: the one seam that says what is trained. Nothing past it knows which job it runs.

A job gives its data, builds and compiles a Keras model from a configuration, declares the
hyperparameters it accepts (or leaves them open), says how folds are made and what the
trials optimize (an :class:`Objective`). The refit is scored by evaluating the job's own
compiled metric on the test set. A user's job file gives the same through a few module-level
names (see ``user_file.py``); the built-in jobs are registered in ``jobs/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from tune_jobs.errors import BadInput
from tune_jobs.jobs.folds import SPLITTERS, Splits, too_small
from tune_jobs.jobs.hyperparameters import TRAINING_NAMES, Hyperparameters
from tune_jobs.jobs.objective import Objective


class JobError(BadInput):
    """A job that cannot be used: a file that does not import, data of the wrong shape ..."""


@dataclass(frozen=True)
class DataOptions:
    """What a built-in job's data may depend on (a user's ``load_data()`` takes nothing)."""

    data_dir: str | None = None  # where a data set's files are
    seed: int = 0  # synthetic data is drawn from it


@dataclass(frozen=True)
class Data:
    """Training and test arrays (Keras' ``(x_train, y_train), (x_test, y_test)``), and what
    a reader of the results should know about them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str = ""
    noise_variance: float | None = None  # synthetic data: the floor of the test MSE

    def arrays(self) -> dict[str, np.ndarray]:
        return {"x_train": self.x_train, "y_train": self.y_train, "x_test": self.x_test, "y_test": self.y_test}


@dataclass(frozen=True)
class Job:
    name: str
    load_data: Callable[[DataOptions], Data]
    build_model: Callable[[Mapping[str, Any]], Any]  # a compiled keras.Model; no batch_size/epochs
    objective: Objective
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    folds: str = "stratified"  # a key of folds.SPLITTERS
    default_space: Path | None = None
    smoke_space: Path | None = None  # ``--smoke``: a run of about a minute
    smoke_samples: int | None = None  # ``--smoke``'s --max-train-samples
    description: str = ""
    source: str = ""  # as the user named it (a registered name, a file, package.module)
    # A user's job settles its objective and folds from its labels and checks one model before
    # Ray starts: ``probe(job, data, config) -> Job``. Built-in jobs are checked by their tests.
    probe: Callable[..., "Job"] | None = None
    pickled: bool = False  # made of Python functions (the API's): saved in the run directory for resume
    # What scikit-learn's search hands over (tune_jobs.sklearn); a built-in job leaves them unset.
    given_splits: Splits | None = None  # the folds as ``cv=`` made them, used as they are
    scorer: Callable[[Any, np.ndarray, np.ndarray], float] | None = None  # (model, x_val, y_val) -> score;
    #                                     None: the compiled metric Keras reports when validating
    fit_options: Mapping[str, Any] = field(default_factory=dict)  # more keyword arguments of model.fit
    # How a trial of anything but a Keras model trains (engine.trainable's Train: it reports through
    # ``report``); None: engine.trainable.train_folds, the k fold Keras models.
    trainable: Callable[..., None] | None = None

    def splits(self, y: np.ndarray, k: int, seed: int) -> Splits:
        if self.given_splits is not None:
            return list(self.given_splits)
        return SPLITTERS[self.folds][0](y, k, seed)

    def subset(self, y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
        return SPLITTERS[self.folds][1](y, n, seed)

    def scorer_for(self, config: Mapping[str, Any]) -> Callable[[Any, np.ndarray, np.ndarray], float] | None:
        """The scorer of ``config``'s fold models: a scorer that reads the configuration's own
        parameters (scikit-learn's, through the candidate's ``predict``) has ``bind(config)``."""
        bind = getattr(self.scorer, "bind", None)
        return bind(config) if bind else self.scorer

    def model(self, config: Mapping[str, Any]):
        """The compiled model of ``config``, given only the model's hyperparameters."""
        return self.build_model({k: v for k, v in config.items() if k not in TRAINING_NAMES})


def prepare(job: Job, options: DataOptions, max_train_samples: int | None, cv: int,
            config: Mapping[str, Any]) -> tuple[Job, Data]:
    """The job ready to run and its data, all checked before Ray starts: a user's job probed with
    one configuration (``config``), the training set cut to ``max_train_samples`` (stratified for
    classes) and large enough for ``cv`` folds."""
    data = job.load_data(options)
    if job.probe:
        job = job.probe(job, data, config)
    try:
        keep = job.subset(data.y_train, max_train_samples, options.seed)
    except ValueError as exc:  # scikit-learn: fewer samples than classes
        raise JobError(f"--max-train-samples {max_train_samples}: {exc}") from None
    cut = Data(data.x_train[keep], data.y_train[keep], data.x_test, data.y_test, data.source, data.noise_variance)
    problem = None if job.given_splits is not None else too_small(cut.y_train, cv, job.folds)
    if problem:
        given = f"--max-train-samples {max_train_samples}" if max_train_samples else f"job {job.source or job.name}"
        raise JobError(f"--cv {cv}: {problem} ({given})")
    return job, cut
