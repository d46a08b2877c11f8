"""``GridSearchCV`` and ``TuneSearchCV``: scikit-learn's searches, their candidates run as parallel
Ray Tune trials (the folds of a Keras candidate in lockstep), with scikit-learn's results.

    from tune_jobs.sklearn import GridSearchCV, KerasClassifier
    grid = GridSearchCV(estimator=KerasClassifier(build_fn=create_model), param_grid=param_grid, cv=3)
    grid.fit(x, y).best_params_

They are scikit-learn's own classes with ``fit`` replaced: parameters, ``best_estimator_``,
``predict``, ``score`` and ``cv_results_`` behave as scikit-learn documents them. What differs:
``n_jobs`` is the number of trials at once (default: every core); each fit leaves a run
directory under ``out`` (``python -m tune_jobs.report`` reads it; ``run_dir_`` names it).
"""

from __future__ import annotations

import builtins
import time
import warnings
from datetime import timedelta
from typing import Any, Mapping

import numpy as np
from sklearn import model_selection

from tune_jobs.errors import BadInput
from tune_jobs.records import rundir
from tune_jobs.records.results import read_trials
from tune_jobs.sklearn.codec import Codec, check_names, listed
from tune_jobs.sklearn.cv_results import cv_results
from tune_jobs.sklearn.estimator_job import estimator_job, not_keras, one_hot_if_needed, training_defaults
from tune_jobs.sklearn.wrappers import KerasWrapper

SEARCHES = ("random", "optuna")  # TuneSearchCV's search=


class _TuneSearch:
    """What both searches share: the run of a space through tune_jobs, and scikit-learn's results."""

    def _fit_as_trials(self, x, y, fit_params: Mapping[str, Any], codec: Codec, space: dict,
                       searcher: str, num_samples: int | None, scheduler: str, search_seed: int | None,
                       time_budget_s: float | timedelta | None = None):
        from sklearn.base import is_classifier
        from sklearn.metrics import check_scoring

        from tune_jobs import api, cli

        where = type(self).__name__
        self._refuse_unsupported(fit_params)
        x, y = np.asarray(x), np.asarray(y)
        splits = list(model_selection.check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(x, y))
        self.n_splits_ = len(splits)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        self.multimetric_ = False
        job = estimator_job(self.estimator, codec, x, y, splits, self.scorer_, name=where.lower(),
                            scikit_learns_scorer=self.scoring is None or isinstance(self.scoring, str))
        spec = api.space_from_dict({"name": where.lower(), **space}, where.lower())
        if isinstance(self.estimator, KerasWrapper):
            job = one_hot_if_needed(job, self._first_model(job, spec))
        workers = self.n_jobs if self.n_jobs and self.n_jobs > 0 else None
        given = {"workers": workers, "cv": len(splits), "refit": False, "out": self.out, "seed": self.seed,
                 "address": self.address, "searcher": searcher, "num_samples": num_samples,
                 "scheduler": scheduler, "search_seed": search_seed, "max_failures": 0,
                 "fail_fast": self.error_score == "raise", "mlflow": self.mlflow, "time_budget_s": time_budget_s}
        settings, spec, job, data, _ = cli.prepare_run(job, {k: v for k, v in given.items() if v is not None},
                                                       space=spec)
        self.run_dir_ = api.execute(settings, spec, job, data, None).run_dir
        return read_trials(self.run_dir_ / rundir.TRIALS), spec

    def _refuse_unsupported(self, fit_params: Mapping[str, Any]) -> None:
        where = type(self).__name__
        if fit_params:
            raise BadInput(f"{where}.fit: fit parameters ({', '.join(fit_params)}) are not passed to trials yet; "
                           f"set them on the estimator instead")
        if self.return_train_score:
            raise BadInput(f"{where}: return_train_score=True is not supported yet")
        if not (self.scoring is None or isinstance(self.scoring, str) or callable(self.scoring)):
            raise BadInput(f"{where}: scoring={self.scoring!r}: one scorer (a name or a callable); "
                           f"several metrics are not supported yet")
        if not (isinstance(self.refit, bool) or callable(self.refit)):
            raise BadInput(f"{where}: refit={self.refit!r} must be True, False or a callable of cv_results_")

    def _first_model(self, job, spec):
        """The model of the first candidate that builds: its loss says how targets are encoded.
        None builds: the search cannot run, and says why (scikit-learn: "All the fits failed")."""
        from itertools import islice

        configs = [spec.first_config()]
        if spec.is_grid:
            configs += [{**spec.fixed, **c} for c in islice(model_selection.ParameterGrid(spec.grid), 20)]
        problems = []
        for config in configs:
            try:
                return job.model(config)
            except Exception as exc:
                problems.append(f"{type(exc).__name__}: {exc}")
        raise BadInput(f"{type(self).__name__}: no candidate's model builds; the first error: {problems[0]}")

    def _finish(self, x, y, candidates: list[dict[str, Any]], rows: list[dict[str, Any] | None]) -> None:
        failed = [row for row in rows if row is None or row["status"] == "failed"]
        if failed and self.error_score == "raise":
            raise _original_error(next((row for row in failed if row), None))
        if failed and len(failed) == len(rows):
            raise ValueError(f"All the {len(rows) * self.n_splits_} fits failed; the first error: "
                             f"{_message(failed[0])} (trials.csv in {self.run_dir_})")
        if failed:
            from sklearn.exceptions import FitFailedWarning

            errors = sorted({_message(row) for row in failed})
            warnings.warn(f"{len(failed)} of the {len(rows)} candidates failed ({len(failed) * self.n_splits_} "
                          f"fits); their score is set to error_score={self.error_score!r}. The errors: "
                          + "; ".join(errors[:5]), FitFailedWarning, stacklevel=3)
        self.cv_results_ = cv_results(candidates, rows, self.n_splits_, self.error_score)
        if self.refit is False:
            return
        self.best_index_ = int(self.refit(self.cv_results_) if callable(self.refit)
                               else np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        from sklearn.base import clone

        started = time.monotonic()
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(x, y)
        self.refit_time_ = time.monotonic() - started


class GridSearchCV(_TuneSearch, model_selection.GridSearchCV):
    """scikit-learn's GridSearchCV, every candidate a Ray Tune trial (see the module docstring).

    ``out``: parent of the run directory; ``seed``: Keras' seed in every trial; ``address``: a Ray
    cluster to join; ``mlflow``: an MLflow tracking URI. ``verbose`` and ``pre_dispatch`` are taken
    and unused: the progress line shows instead.
    """

    def __init__(self, estimator, param_grid, *, scoring=None, n_jobs=None, refit=True, cv=None, verbose=0,
                 pre_dispatch="2*n_jobs", error_score=np.nan, return_train_score=False, out="runs", seed=0,
                 address=None, mlflow=None):
        super().__init__(estimator, param_grid, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv,
                         verbose=verbose, pre_dispatch=pre_dispatch, error_score=error_score,
                         return_train_score=return_train_score)
        self.out, self.seed, self.address, self.mlflow = out, seed, address, mlflow

    def fit(self, X, y=None, **fit_params):
        grid = _one_grid(self.param_grid)
        searched = {name: listed(values, f"param_grid[{name!r}]") for name, values in grid.items()}
        codec = Codec.of(searched)
        space = {"grid": {**{name: codec.space_values(name) for name in searched},
                          **training_defaults(self.estimator, searched)}}
        rows, spec = self._fit_as_trials(X, y, fit_params, codec, space, "grid", None, "none", None)
        candidates = list(model_selection.ParameterGrid(searched))
        by_config = {_key(spec, row, searched): row for row in rows}
        matched = [by_config.get(tuple(codec.encode(n, p[n]) for n in sorted(searched))) for p in candidates]
        self._finish(X, y, candidates, matched)
        return self


class TuneSearchCV(_TuneSearch, model_selection.RandomizedSearchCV):
    """A sampling search (tune-sklearn's TuneSearchCV, on today's Ray): ``param_distributions`` of
    lists, scipy.stats distributions (uniform, loguniform, randint) or tune_jobs space entries
    (``{"loguniform": [1e-4, 1e-1]}``); ``n_trials`` candidates drawn by ``search`` ("random" or
    "optuna"); ``early_stopping=True`` stops unpromising trials with ASHA (Keras wrappers only);
    ``time_budget_s`` (seconds, or a ``datetime.timedelta``, as in tune-sklearn) ends the search by
    then: the candidates are the trials that ran, those it cut scored at their last epoch."""

    def __init__(self, estimator, param_distributions, *, n_trials=10, search="random", early_stopping=False,
                 scoring=None, n_jobs=None, refit=True, cv=None, verbose=0, pre_dispatch="2*n_jobs",
                 random_state=None, error_score=np.nan, return_train_score=False, out="runs", seed=0,
                 address=None, mlflow=None, time_budget_s=None):
        super().__init__(estimator, param_distributions, n_iter=n_trials, scoring=scoring, n_jobs=n_jobs,
                         refit=refit, cv=cv, verbose=verbose, pre_dispatch=pre_dispatch, random_state=random_state,
                         error_score=error_score, return_train_score=return_train_score)
        self.n_trials, self.search, self.early_stopping = n_trials, search, early_stopping
        self.out, self.seed, self.address, self.mlflow = out, seed, address, mlflow
        self.time_budget_s = time_budget_s

    def fit(self, X, y=None, **fit_params):
        if self.search not in SEARCHES:
            raise BadInput(f"TuneSearchCV: search={self.search!r} must be one of {', '.join(SEARCHES)}")
        if self.early_stopping:
            not_keras(self.estimator, "early_stopping=True")
        check_names(self.param_distributions, "param_distributions")
        entries = {name: _entry(value, name) for name, value in self.param_distributions.items()}
        codec = Codec.of({name: entry if isinstance(entry, list) else () for name, entry in entries.items()})
        space = {"space": {**{name: (codec.space_values(name) if isinstance(entry, list) else entry)
                              for name, entry in entries.items()}, **training_defaults(self.estimator, entries)}}
        seed = self.random_state if isinstance(self.random_state, int) else None
        rows, spec = self._fit_as_trials(X, y, fit_params, codec, space, self.search, self.n_trials,
                                         "asha" if self.early_stopping else "none", seed, self.time_budget_s)
        if not rows:  # the time budget ran out before any trial reported
            raise ValueError(f"TuneSearchCV: no candidate was scored within time_budget_s={self.time_budget_s!r} "
                             f"(run directory {self.run_dir_})")
        from tune_jobs.records.results import config_of

        configs = [config_of(row, spec) for row in rows]
        candidates = [{name: {**config, **codec.decode(config)}[name] for name in entries} for config in configs]
        self._finish(X, y, candidates, rows)
        return self


def _one_grid(param_grid: Any) -> Mapping[str, Any]:
    grids = param_grid if isinstance(param_grid, list) else [param_grid]
    if len(grids) != 1 or not isinstance(grids[0], Mapping):
        raise BadInput("GridSearchCV: param_grid must be one dict of lists (a list of several grids is not "
                       "supported yet)")
    check_names(grids[0], "param_grid")
    return grids[0]


def _entry(value: Any, name: str) -> Any:
    """A ``param_distributions`` value as a space entry: a list, or a range from scipy.stats."""
    if isinstance(value, Mapping):
        return dict(value)
    dist = getattr(value, "dist", None)
    if dist is not None:
        low, high = (float(b) for b in value.support())
        kind = getattr(dist, "name", "")
        if kind == "uniform":
            return {"uniform": [low, high]}
        if kind in ("loguniform", "reciprocal"):
            return {"loguniform": [low, high]}
        if kind == "randint":
            return {"int": [int(low), int(high)]}
        raise BadInput(f"param_distributions[{name!r}]: scipy.stats.{kind} is not supported "
                       f"(uniform, loguniform, randint, or a list of values)")
    return listed(value, f"param_distributions[{name!r}]")


def _key(spec, row: Mapping[str, Any], searched: Mapping[str, Any]) -> tuple:
    from tune_jobs.records.results import config_of

    config = config_of(row, spec)
    return tuple(config.get(name) for name in sorted(searched))


def _message(row: Mapping[str, Any] | None) -> str:
    return str(row.get("error") or "trial failed") if row else "the trial never ran"


def _original_error(row: Mapping[str, Any] | None) -> Exception:
    """error_score="raise": the trial's error, as its type when Python knows it (``ValueError: ...``)."""
    message = _message(row)
    name, _, text = message.partition(": ")
    kind = getattr(builtins, name.rsplit(".", 1)[-1], None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(text)
    return RuntimeError(message)
