"""A scikit-learn estimator and the data of ``fit(X, y)`` as a job, so that a search's candidates
run as the same Ray Tune trials as every other sweep.

Two ways to train a candidate:

- tune_jobs' own ``KerasClassifier``/``KerasRegressor``: its ``build_fn`` is the job's builder, so the
  folds train in lockstep, one epoch each, reporting after every epoch (early stopping works).
- any other estimator (scikeras' wrappers, Keras 3's ``keras.wrappers.SKLearnClassifier``, or
  anything scikit-learn can clone): each fold is ``clone(estimator).set_params(**candidate).fit``,
  scored once at the end.

Either way a fold is scored by scikit-learn's scorer on its validation rows, so
``mean_test_score`` means what it means in scikit-learn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import numpy as np

from tune_jobs.errors import BadInput
from tune_jobs.jobs import Data, Job, Objective
from tune_jobs.jobs.hyperparameters import TRAINING_NAMES
from tune_jobs.records.results import TRAINING_SECONDS
from tune_jobs.sklearn.codec import Codec
from tune_jobs.sklearn.wrappers import FIT_DEFAULTS, KerasClassifier, KerasWrapper, target_for

# Every scikit-learn scorer is "greater is better"; a fold's scorer value is the trials' metric.
SCORE = Objective(metric="score", mode="max", tolerance=0.003)
SILENT = ("verbose",)  # fit options a trial does not pass on: its output goes to the run's log anyway


@dataclass(frozen=True)
class Candidate:
    """Builds one candidate: the estimator with its searched parameters set (decoded from the trial)."""

    estimator: Any
    codec: Codec

    def params(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return self.codec.decode(config)

    def estimator_of(self, config: Mapping[str, Any]):
        from sklearn.base import clone

        return clone(self.estimator).set_params(**self.params(config))

    def model(self, config: Mapping[str, Any]):
        """A compiled Keras model of ``config`` (tune_jobs' wrappers only)."""
        return self.estimator.build({**self.estimator.sk_params, **self.params(config)})


@dataclass(frozen=True)
class FoldScorer:
    """scikit-learn's scorer on a fold model: the model is put in a fitted copy of the wrapper with
    the candidate's parameters set, as scikit-learn's search scores its fitted candidate (its
    ``predict`` takes the candidate's batch size and verbosity), the fold's encoded targets turned
    back into the labels the scorer compares predictions with."""

    candidate: Candidate
    scorer: Callable
    classes: np.ndarray | None
    config: Mapping[str, Any] = field(default_factory=dict)  # the trial's (``bind``); {}: the base estimator
    # scikit-learn's own scorer (a name, or the estimator's ``score``): it only predicts, by the
    # model's own steps, so a trial process may keep TensorFlow's kernel cache (``fresh_start``).
    predicts_only: bool = False

    def bind(self, config: Mapping[str, Any]) -> "FoldScorer":
        """This scorer for the fold models of ``config`` (see ``Job.scorer_for``)."""
        return replace(self, config=config)

    def __call__(self, model, x: np.ndarray, y: np.ndarray) -> float:
        fitted = self.candidate.estimator_of(self.config)
        fitted.model = model
        if self.classes is not None:
            fitted.classes_, fitted.n_classes_ = self.classes, len(self.classes)
            y = self.classes[y.argmax(axis=1) if y.ndim == 2 else y]
        return self.scorer(fitted, x, y)


def estimator_job(estimator: Any, codec: Codec, x: np.ndarray, y: np.ndarray, splits, scorer: Callable,
                  name: str, scikit_learns_scorer: bool = False) -> Job:
    """The job of ``estimator`` on ``(x, y)`` with the folds ``splits`` (see the module docstring).
    ``scikit_learns_scorer``: ``scorer`` is one of scikit-learn's own, not the user's code."""
    from tune_jobs.jobs.user_file import send_by_value

    send_by_value(type(estimator), scorer, *[v for v in estimator.get_params(deep=False).values() if callable(v)])
    candidate = Candidate(estimator, codec)
    if isinstance(estimator, KerasWrapper):
        return _keras_job(candidate, x, y, splits, scorer, name, scikit_learns_scorer)
    return Job(name=name, load_data=_given(x, y), build_model=candidate.estimator_of, objective=SCORE,
               given_splits=tuple(splits), scorer=scorer, trainable=train_estimator, pickled=True,
               source=f"estimator={type(estimator).__name__}", description=repr(estimator)[:200])


def _keras_job(candidate: Candidate, x, y, splits, scorer, name: str, scikit_learns_scorer: bool) -> Job:
    estimator = candidate.estimator
    classes = np.unique(y) if isinstance(estimator, KerasClassifier) else None
    targets = np.searchsorted(classes, y) if classes is not None else np.asarray(y)
    fit_options = {k: v for k, v in estimator.routed("fit").items() if k not in (*TRAINING_NAMES, *SILENT)}
    return Job(name=name, load_data=_given(x, targets), build_model=candidate.model, objective=SCORE,
               given_splits=tuple(splits),
               scorer=FoldScorer(candidate, scorer, classes, predicts_only=scikit_learns_scorer),
               fit_options=fit_options, pickled=True,
               source=f"build_fn={getattr(estimator.build_fn, '__qualname__', 'build_fn')}",
               description=(estimator.build_fn.__doc__ or "").strip()[:200])


def one_hot_if_needed(job: Job, model) -> Job:
    """A classifier compiled with categorical_crossentropy trains on one-hot targets."""
    data = job.load_data(None)
    targets = target_for(model, data.y_train)
    return job if targets is data.y_train else replace(job, load_data=_given(data.x_train, targets))


def training_defaults(estimator: Any, searched: Mapping[str, Any]) -> dict[str, list[Any]]:
    """batch_size and epochs as the trials use them: searched, set on the estimator, or Keras' own."""
    own = estimator.sk_params if isinstance(estimator, KerasWrapper) else {}
    if not isinstance(estimator, KerasWrapper):
        return {} if "epochs" in searched else {"epochs": [1]}  # one report per trial
    return {name: [own.get(name) or default] for name, default in FIT_DEFAULTS.items() if name not in searched}


class _given:
    """``load_data`` of arrays already in memory (what ``fit(X, y)`` was given)."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, y

    def __call__(self, options) -> Data:
        return Data(self.x, self.y, self.x[:0], self.y[:0], source="fit(X, y)")


def train_estimator(config: Mapping[str, Any], job: Job, data: Mapping[str, np.ndarray], *, cv: int, seed: int,
                    threads: int, node: str, report: Callable[[dict], None]) -> None:
    """A trial of any estimator (engine.trainable's Train): fit and score each fold, report once."""
    from tune_jobs.engine.fresh_start import prepare_keras

    started = time.monotonic()
    if _keras_is_loaded():
        prepare_keras(threads=threads, seed=seed)
    x, y = data["x_train"], data["y_train"]
    scores, fit_s, score_s = [], [], []
    for train, validation in job.splits(y, cv, seed):
        estimator = job.build_model(config)
        began = time.monotonic()
        estimator.fit(x[train], y[train])
        fit_s.append(time.monotonic() - began)
        began = time.monotonic()
        scores.append(float(job.scorer(estimator, x[validation], y[validation])))
        score_s.append(time.monotonic() - began)
    objective = job.objective
    report({objective.key: float(np.mean(scores)), objective.std_key: float(np.std(scores)),
            "folds": scores, "fold_fit_s": fit_s, "fold_score_s": score_s, "epoch": config["epochs"],
            "node": node, TRAINING_SECONDS: time.monotonic() - started})


def _keras_is_loaded() -> bool:
    """Whether this trial's estimator needs Keras: unpickling a job whose estimator is scikeras', Keras'
    own wrapper or a class of a module that imports Keras has imported it by now. A Ridge's trial then
    skips TensorFlow's import (seconds per trial process: BENCHMARKS.md, sections 5c and 10b) and
    still gets its CPU share from Ray's OMP_NUM_THREADS; an estimator that imports Keras only inside
    ``fit`` runs unpinned, as it would outside a search."""
    import sys

    return any(name in sys.modules for name in ("keras", "tensorflow"))


def not_keras(estimator: Any, feature: str) -> None:
    if not isinstance(estimator, KerasWrapper):
        raise BadInput(f"{feature} needs tune_jobs.sklearn.KerasClassifier or KerasRegressor (it reports after "
                       f"every epoch); {type(estimator).__name__} is fitted whole, fold by fold")
