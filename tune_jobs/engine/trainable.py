"""The one trainable every searcher and job shares: k-fold CV of one configuration, reported per epoch.

The k fold models train in lockstep, one epoch each in turn, so that after every epoch the
mean validation score over the folds (the job's metric) can be reported and a scheduler may
stop the trial.
They share one compiled Keras model, each fold's weights and optimizer state swapped in for
its epoch: Keras traces a model's train and test steps on its first fit (1-1.6 s on one
core), and one model pays that once per trial instead of once per fold.
It gets a plain config dict, the job and the data's object-store reference; nothing of YAML or CLI.
"""

from __future__ import annotations

import gc
import math
import socket
import time
from typing import Any, Mapping

import numpy as np

from tune_jobs.jobs.base import Job

# Validation after every epoch is the price of early stopping; large batches cut its per-batch cost.
VALIDATION_BATCH = 4096


def train_cv(config: Mapping[str, Any], *, job: Job, data: Mapping[str, np.ndarray], cv: int, seed: int) -> None:
    """Ray Tune function trainable: reports the job's ``cv_<metric>`` (mean over folds) every epoch.

    ``data`` arrives through ``tune.with_parameters`` from the object store, read zero-copy.
    """
    import ray
    from ray import tune

    started = time.monotonic()
    share = tune.get_context().get_trial_resources().required_resources.get("CPU", 1)
    prepare_keras(threads=max(1, int(share)), seed=seed)
    objective = job.objective
    x, y = data["x_train"], data["y_train"]
    splits = [(x[tr], y[tr], x[va], y[va]) for tr, va in job.splits(y, cv, seed)]
    model, states = fold_states(job, config, len(splits))
    node = f"{socket.gethostname()}:{ray.get_runtime_context().get_node_id()[:8]}"
    spent = np.zeros((len(splits), 2))  # per fold: seconds fitting, seconds scoring, over all epochs
    for epoch in range(1, config["epochs"] + 1):
        scores = []
        for fold, split in enumerate(splits):
            load_state(model, states[fold])
            scores.append(train_one_epoch(model, split, config["batch_size"], epoch, job))
            states[fold] = save_state(model)
            spent[fold] += scores[-1]["fit_s"], scores[-1]["score_s"]
        tune.report(epoch_result(scores, spent, objective, epoch, node, time.monotonic() - started))


def epoch_result(scores: list[dict[str, float]], spent: np.ndarray, objective, epoch: int, node: str,
                 seconds: float) -> dict:
    """What a trial reports after an epoch of every fold: the objective's mean and spread over the
    folds, and per fold its score and its seconds so far fitting and scoring (scikit-learn's
    cv_results_ reads them from trials.csv)."""
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
        "train_time_s": seconds,
    }
    if all("val_loss" in s for s in scores):
        result["cv_loss"] = float(np.mean([s["val_loss"] for s in scores]))
    return {k: v for k, v in result.items() if v is not None}


State = tuple[list[np.ndarray], list[np.ndarray]]  # a fold's model weights, its optimizer's variables


def fold_states(job: Job, config: Mapping[str, Any], folds: int):
    """One compiled model for every fold, and each fold's starting state: its own initial
    weights (as its own model would have), a fresh optimizer."""
    model = job.model(config)
    model.optimizer.build(model.trainable_variables)
    fresh = [v.numpy() for v in model.optimizer.variables]
    others = [job.model(config).get_weights() for _ in range(folds - 1)]
    return model, [(weights, fresh) for weights in [model.get_weights(), *others]]


def load_state(model, state: State) -> None:
    weights, optimizer = state
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, optimizer):
        variable.assign(value)


def save_state(model) -> State:
    return model.get_weights(), [v.numpy() for v in model.optimizer.variables]


def train_one_epoch(model, split, batch_size: int, epoch: int, job: Job) -> dict[str, float]:
    """One more epoch of one fold model, validated by Keras or by the job's scorer, with the
    seconds of each. A NaN loss fails the trial (it cannot recover)."""
    x_train, y_train, x_val, y_val = split
    validation = {} if job.scorer else {"validation_data": (x_val, y_val), "validation_batch_size": VALIDATION_BATCH}
    started = time.monotonic()
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epoch, initial_epoch=epoch - 1, verbose=0,
                        **validation, **job.fit_options)
    scores = {name: values[-1] for name, values in history.history.items()}
    scores["fit_s"], scores["score_s"] = time.monotonic() - started, 0.0
    if not math.isfinite(scores["loss"]):
        raise FloatingPointError(f"training loss became {scores['loss']} at epoch {epoch}")
    if job.scorer:
        started = time.monotonic()
        scores[f"val_{job.objective.metric}"] = float(job.scorer(model, x_val, y_val))
        scores["score_s"] = time.monotonic() - started
    return scores


def refit_and_score(job: Job, config: Mapping[str, Any], data: Mapping[str, np.ndarray], seed: int,
                    threads: int) -> float:
    """GridSearchCV's refit: train on the whole training set, return the job's metric on the test set."""
    prepare_keras(threads=threads, seed=seed)
    model = job.model(config)
    model.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"], epochs=config["epochs"], verbose=0)
    scores = model.evaluate(data["x_test"], data["y_test"], batch_size=1024, verbose=0, return_dict=True)
    return float(scores[job.objective.metric])


def prepare_keras(threads: int, seed: int) -> None:
    """Pin TensorFlow to the trial's CPU share (it ignores Ray's) and start Keras clean."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        # On a GPU that trials share (--gpus-per-trial < 1), each takes memory as it needs it,
        # not the whole card. Ray sets CUDA_VISIBLE_DEVICES to the trial's GPUs.
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        pass  # a reused actor keeps what its first trial set: the same share
    import keras

    keras.backend.clear_session()
    gc.collect()
    keras.utils.set_random_seed(seed)
