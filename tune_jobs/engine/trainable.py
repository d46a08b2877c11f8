"""The one trainable every searcher and job shares: k-fold CV of one configuration.

The k fold models are validated, and the mean validation score over the folds (the job's metric)
reported, only after the epochs where something reads it (``fold_training.Reports``): every epoch
for a budget or MLflow's curves (the folds train in lockstep), ASHA's rungs, or once, after the
last epoch; between two reports each fold trains its epochs in one turn (``fold_training``).
It gets a plain config dict, the job and the data's object-store reference; nothing of YAML or CLI.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import numpy as np

from tune_jobs.engine import kept_fold_weights, kept_folds, retries, warm_workers
from tune_jobs.engine.fold_training import (EVERY_EPOCH, OwnEpochs, Reports, TakingTurns, epoch_learning_rates,
                                            fit_options, more_steps_per_call, set_learning_rate)
from tune_jobs.engine.fresh_start import prepare_keras, ready, trial_ended, trial_started
from tune_jobs.jobs.base import Job
from tune_jobs.records.results import TRAINING_SECONDS, Recorded

# How a trial trains: train(config, job, data, *, cv, seed, threads, node, report, ...), reporting
# through ``report`` (a Keras job's: train_folds; a scikit-learn estimator's: its job's own).
Train = Callable[..., None]


def train_cv(config: Mapping[str, Any], *, job: InObjectStore, data: InObjectStore, cv: int, seed: int,
             raised: str, warm: bool = False, train: Train | None = None,
             ended: Mapping[str, Recorded] | None = None, **options: Any) -> None:
    """Ray Tune function trainable: ``train`` (the job's own, else :func:`train_folds`) reports
    the job's ``cv_<metric>`` (the mean over folds) after every epoch or once, after the last.
    ``warm``: trained in a task process that outlives the sweep (``warm_workers``), else in this
    trial's actor. ``raised``: the run directory's folder of errors trials raised; a retry of a
    trial whose training raised raises that error again (``retries``). ``ended``: on resume, the
    results ``trials.csv`` records by trial id; a trial found there ended in an earlier session
    whose driver was killed before Ray saved that, and reports its recorded result untrained.

    The job and the data arrive as object-store references, read where the folds train: a job of
    a notebook's functions may import Keras as it is unpickled, and the data is read zero-copy.
    """
    import ray
    from ray import tune

    resources = tune.get_context().get_trial_resources().required_resources
    threads = max(1, int(resources.get("CPU", 1)))
    train = train or train_folds
    options.update(cv=cv, seed=seed, threads=threads,
                   node=f"{socket.gethostname()}:{ray.get_runtime_context().get_node_id()[:8]}")
    trial_id = tune.get_context().get_trial_id()
    if ended and trial_id in ended and ended[trial_id].is_of(config):
        tune.report(ended[trial_id].result)
        return
    with retries.raised_once(raised, trial_id):
        if warm and not resources.get("GPU"):
            warm_workers.run(train, config, job.ref, data.ref, report=tune.report, **options)
        else:
            train(config, ray.get(job.ref), ray.get(data.ref), report=tune.report, **options)


@dataclass(frozen=True)
class InObjectStore:
    """An object-store reference that ``tune.with_parameters`` hands over as it is (it resolves a
    bare one): the trial's actor passes it on to a warm task without reading it itself."""

    ref: Any


def train_folds(config: Mapping[str, Any], job: Job, data: Mapping[str, np.ndarray], *, cv: int, seed: int,
                threads: int, node: str, report: Callable[[dict], None], reports: Reports = EVERY_EPOCH) -> None:
    """A Keras job's trial: its k fold models trained as ``fold_training`` says, wherever the trial
    runs; ``report`` gets the result of each epoch ``reports`` names."""
    started = time.monotonic()
    trial_started(threads=threads, seed=seed)
    splits = folds_of(job, data, cv, seed)  # those of the last trial here, if the same
    reported = reports.epochs(config["epochs"])
    job = replace(job, scorer=job.scorer_for(config))
    first, initial_weights = kept_fold_weights.fold_starts(lambda: job.model(config), len(splits))
    trainer = TakingTurns(job, first, initial_weights, splits, epoch_learning_rates(first, config))
    spent = np.zeros((len(splits), 2))  # per fold: seconds fitting, seconds scoring, over all epochs

    def on_epoch(epoch: int, scores: list[dict[str, float]]) -> None:
        spent[:] += [(s["fit_s"], s["score_s"]) for s in scores]
        report(epoch_result(scores, spent, job.objective, epoch, node, time.monotonic() - started))

    try:
        trainer.train(reported, config["batch_size"], on_epoch)
    finally:  # stopped by a scheduler (its report raises) or failed, as much as ended
        trial_ended(only_keras_steps=trainer.only_keras_steps)


def ready_for_folds(job: Job, data: Mapping[str, np.ndarray], *, cv: int, seed: int, threads: int) -> None:
    """What every trial of a sweep of ``job`` on ``data`` starts with, made ahead in a trial process
    (``warm_workers.warm_up``): Keras imported and pinned to ``threads``, the folds in tensors."""
    ready(threads)
    folds_of(job, data, cv, seed)


def folds_of(job: Job, data: Mapping[str, np.ndarray], cv: int, seed: int) -> list:
    """The trial's folds of the data in tensors, kept in this process (``kept_folds``)."""
    x, y = data["x_train"], data["y_train"]
    return kept_folds.folds(x, y, job.splits(y, cv, seed))


def epoch_result(scores: list[dict[str, float]], spent: np.ndarray, objective, epoch: int, node: str,
                 seconds: float) -> dict:
    """What a trial reports after an epoch of every fold: the objective's mean and spread over the
    folds, and per fold its score and its seconds so far fitting and scoring (scikit-learn's
    cv_results_ reads them from trials.csv), and where and in which process it trained."""
    metric = objective.metric
    validated = [s[f"val_{metric}"] for s in scores]
    result = {
        objective.key: float(np.mean(validated)),
        objective.std_key: float(np.std(validated)),
        f"train_{metric}": float(np.mean([s[metric] for s in scores])) if metric in scores[0] else None,
        "folds": [float(v) for v in validated],
        "fold_fit_s": [round(float(v), 3) for v in spent[:, 0]],
        "fold_score_s": [round(float(v), 3) for v in spent[:, 1]],
        "epoch": epoch,
        "node": node,
        TRAINING_SECONDS: seconds,
        "train_pid": os.getpid(),  # the process that trained: Tune's "pid" is its actor's, not a warm task's
    }
    if all("val_loss" in s for s in scores):
        result["cv_loss"] = float(np.mean([s["val_loss"] for s in scores]))
    return {k: v for k, v in result.items() if v is not None}


def refit_and_score(job: Job, config: Mapping[str, Any], data: Mapping[str, np.ndarray], seed: int,
                    threads: int) -> float:
    """GridSearchCV's refit: train on the whole training set (with the job's fit options, by the own
    epoch loop where it does what they ask), return the job's metric on the test set."""
    prepare_keras(threads=threads, seed=seed)
    model = more_steps_per_call(job.model(config))
    rates = epoch_learning_rates(model, config)
    x, y = data["x_train"], data["y_train"]
    loop = OwnEpochs.where_possible(model, job, x, y)  # fit's numbers, as a trial's folds
    if loop is None:
        model.fit(x, y, batch_size=config["batch_size"], epochs=config["epochs"], verbose=0,
                  **fit_options(job, rates))
    else:
        for epoch in range(config["epochs"]):
            set_learning_rate(model, rates, epoch)
            loop.epoch(config["batch_size"])
    scores = model.evaluate(data["x_test"], data["y_test"], batch_size=1024, verbose=0, return_dict=True)
    return float(scores[job.objective.metric])
