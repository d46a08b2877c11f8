"""A trial process keeps the initial weights of a trial's later fold models per model shape and
random state: a later trial of that shape and seed takes them without building those models, gets
exactly the weights building them would give, and leaves the random state as building them would."""

from __future__ import annotations

import random

import keras
import numpy as np
import pytest

from tune_jobs.engine import kept_fold_weights, kept_models
from tune_jobs.engine.fresh_start import prepare_keras
from tune_jobs.jobs.fashion_mlp import JOB
from trial_process import CONFIG

pytestmark = pytest.mark.usefixtures("nothing_kept")


def starts(config, seed=0, build=JOB.model, folds=3):
    """A trial's fold starts after Keras' fresh start with ``seed``: (weights per fold, how many
    models were built, the random draws that come next)."""
    prepare_keras(threads=1, seed=seed)
    built = []

    def counted():
        built.append(1)
        return build(config)

    _, weights = kept_fold_weights.fold_starts(counted, folds)
    return weights, len(built), (random.random(), float(np.random.random()))


def every_model_built(config, seed=0, build=JOB.model, folds=3):
    prepare_keras(threads=1, seed=seed)
    weights = [build(config).get_weights() for _ in range(folds)]
    return weights, folds, (random.random(), float(np.random.random()))


def same(a, b) -> bool:
    return len(a) == len(b) and all(len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y))
                                    for x, y in zip(a, b))


def test_a_later_trial_of_the_same_shape_and_seed_takes_the_kept_weights_and_random_state():
    built = every_model_built(CONFIG)
    first = starts(CONFIG)
    later = starts({**CONFIG, "lr": 0.002, "batch_size": 64})  # the same network, the same seed
    assert first[1] == 3 and later[1] == 1  # only its first model built
    for weights, _, draws in (first, later):
        assert same(weights, built[0]) and draws == built[2]
    assert not np.array_equal(later[0][0][-2], later[0][1][-2])  # each fold its own weights


def test_another_seed_or_shape_builds_its_own():
    starts(CONFIG)
    other_seed = starts(CONFIG, seed=1)
    other_shape = starts({**CONFIG, "units": 16})
    assert other_seed[1] == 3 and other_shape[1] == 3
    assert same(other_seed[0], every_model_built(CONFIG, seed=1)[0])
    assert same(other_shape[0], every_model_built({**CONFIG, "units": 16})[0])


def test_nothing_is_kept_where_the_environment_says_so_or_for_a_model_keras_cannot_describe(monkeypatch):
    class Scaled(keras.layers.Layer):  # a custom class: its config does not say what it computes
        def call(self, x):
            return 2 * x

    def custom(config):
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), Scaled(), keras.layers.Dense(10)])
        model.compile(optimizer=keras.optimizers.Adam(config["lr"]), loss="sparse_categorical_crossentropy")
        return model

    assert [starts(CONFIG, build=custom)[1] for _ in range(2)] == [3, 3]
    monkeypatch.setenv(kept_models.SWITCH, "0")
    assert [starts(CONFIG)[1] for _ in range(2)] == [3, 3]


def test_kept_weights_cannot_be_changed_in_place():
    starts(CONFIG)
    weights = starts(CONFIG)[0]
    with pytest.raises(ValueError):
        weights[1][0][...] = 0


def test_kept_weights_stay_under_the_parameter_cap(monkeypatch):
    """Large networks do not pile up: the least recently used entries go once the kept weights hold
    more parameters than ``kept_models``' cap; weights over it alone are not kept."""
    starts(CONFIG)
    one = kept_fold_weights._size(next(iter(kept_fold_weights._kept.values()))[0])
    monkeypatch.setattr(kept_models, "MAX_KEPT_PARAMETERS", one)
    starts(CONFIG, seed=1)  # a second entry: the first goes
    assert len(kept_fold_weights._kept) == 1 and starts(CONFIG)[1] == 3  # seed 0's built again
    monkeypatch.setattr(kept_models, "MAX_KEPT_PARAMETERS", one - 1)
    kept_fold_weights.forget()
    starts(CONFIG)
    assert not kept_fold_weights._kept
