"""A trial process keeps compiled models per shape: a later trial of that shape trains in one, and
scores exactly as if it had compiled its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tune_jobs.engine import kept_models
from tune_jobs.engine.fold_training import EVERY_EPOCH, LAST_EPOCH, TakingTurns
from tune_jobs.engine.kept_fold_weights import fold_starts
from tune_jobs.engine.fresh_start import prepare_keras
from tune_jobs.jobs.fashion_mlp import JOB
from trial_process import CONFIG

pytestmark = pytest.mark.usefixtures("nothing_kept")


@pytest.fixture(scope="module")
def splits():
    rng = np.random.default_rng(0)
    x, y = rng.random((90, 28, 28), dtype=np.float32), np.arange(90) % 10
    return [(x[tr], y[tr], x[va], y[va]) for tr, va in JOB.splits(y, 3, 0)]


def trial(config, splits, reports=LAST_EPOCH):
    """One trial as a trial process runs it: a clean Keras, the folds' models, their training."""
    prepare_keras(threads=1, seed=0)
    trainer = TakingTurns(JOB, *fold_starts(lambda: JOB.model(config), len(splits)), splits)
    seen = []
    trainer.train(reports.epochs(config["epochs"]), config["batch_size"], lambda epoch, scores: seen.append(scores))
    return trainer, [[(s["loss"], s["val_accuracy"], s["val_loss"]) for s in scores] for scores in seen]


@pytest.mark.parametrize("reports", [LAST_EPOCH, EVERY_EPOCH])
def test_a_trial_in_a_kept_model_scores_as_in_its_own(splits, reports):
    """Another learning rate and batch size first: the same shape, so its compiled model is kept;
    the trial after it trains in that model and gets exactly its own scores."""
    _, alone = trial(CONFIG, splits, reports)
    kept_models.forget()
    before, _ = trial({**CONFIG, "lr": 0.001, "batch_size": 32}, splits, reports)
    after, scores = trial(CONFIG, splits, reports)
    assert after.model is before.model  # not compiled again
    assert float(after.model.optimizer.learning_rate.numpy()) == pytest.approx(CONFIG["lr"])
    assert scores == alone


def test_another_shape_gets_its_own_model_and_the_least_recently_used_goes(splits, monkeypatch):
    monkeypatch.setattr(kept_models, "KEEP", 2)
    first, _ = trial(CONFIG, splits)
    wider, _ = trial({**CONFIG, "units": 64}, splits)
    assert trial(CONFIG, splits)[0].model is first.model  # now the most recently used
    other, _ = trial({**CONFIG, "optimizer": "RMSprop"}, splits)  # a third shape: the wider one goes
    assert len({id(first.model), id(wider.model), id(other.model)}) == 3
    assert trial(CONFIG, splits)[0].model is first.model
    assert trial({**CONFIG, "units": 64}, splits)[0].model is not wider.model


def test_models_over_the_parameter_cap_are_not_kept(splits, monkeypatch):
    monkeypatch.setattr(kept_models, "MAX_KEPT_PARAMETERS", 10_000)  # CONFIG's network: 25,000 and more
    first, _ = trial(CONFIG, splits)
    assert trial(CONFIG, splits)[0].model is not first.model


def test_no_model_is_kept_where_the_environment_says_so(splits, monkeypatch):
    monkeypatch.setenv(kept_models.SWITCH, "0")
    first, _ = trial(CONFIG, splits)
    assert trial(CONFIG, splits)[0].model is not first.model


def test_the_key_holds_the_architecture_and_compile_but_not_the_learning_rate():
    def key(config):  # as a trial builds its first model: after Keras' fresh start (layer names restart)
        prepare_keras(threads=1, seed=0)
        return kept_models.shape_key(JOB.model(config))

    assert key(CONFIG) == key({**CONFIG, "lr": 0.002})
    for change in ({"units": 64}, {"dropout": 0.4}, {"activation": "selu"}, {"batch_norm": 0},
                   {"optimizer": "RMSprop"}):
        assert key(CONFIG) != key({**CONFIG, **change}), change


class Doubled(keras.layers.Layer):
    def call(self, x):
        return 2 * x


def squared_error(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2)


def small(*layers, loss="mse"):
    model = keras.Sequential([keras.Input((3,)), *layers, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss=loss)
    return model


def test_what_keras_cannot_describe_by_its_config_is_not_kept():
    """A custom layer, a Lambda's code, a loss function of the user's, a subclassed model: their
    configs do not say what their steps compute, so equal configs could trace other steps."""
    assert kept_models.shape_key(small(keras.layers.Dense(2))) is not None
    assert kept_models.shape_key(small(Doubled())) is None
    assert kept_models.shape_key(small(keras.layers.Lambda(lambda x: 2 * x))) is None
    assert kept_models.shape_key(small(keras.layers.Dense(2), loss=squared_error)) is None

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    model.compile(optimizer="adam", loss="mse")
    assert kept_models.shape_key(model) is None
    assert kept_models.shape_key(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])) is None  # not compiled
