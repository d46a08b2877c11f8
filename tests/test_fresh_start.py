"""A trial keeps TensorFlow's kernel cache where the trials before it in its process trained only
Keras' own steps (the drop-in's too, scored by scikit-learn's own scorer), and scores exactly as
after Keras' own clear; a trial of steps that may draw from a stateful TensorFlow random kernel
leaves the cache to be cleared for the next."""

from __future__ import annotations

from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from tune_jobs.engine import fresh_start, kept_models, trainable
from tune_jobs.jobs.fashion_mlp import JOB
from trial_process import CONFIG


@pytest.fixture(autouse=True)
def a_new_process(nothing_kept, monkeypatch):
    """As in a trial process before its first trial."""
    monkeypatch.setattr(fresh_start, "_only_keras_steps_since_cleared", False)


@pytest.fixture
def full_clears(monkeypatch) -> list[int]:
    """One entry per trial that cleared Keras' session and TensorFlow's kernel cache."""
    cleared: list[int] = []
    clear = fresh_start.prepare_keras
    monkeypatch.setattr(fresh_start, "prepare_keras",
                        lambda threads, seed: (cleared.append(seed), clear(threads, seed)))
    return cleared


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return {"x_train": rng.random((90, 28, 28), dtype=np.float32), "y_train": np.arange(90) % 10}


def trials(configs, data, job=JOB, seeds=None) -> list[list[dict]]:
    """Each configuration's trial (with its seed, else 0), one after another in this process: what
    each reported."""
    results = []
    for config, seed in zip(configs, seeds or [0] * len(configs)):
        seen: list[dict] = []
        trainable.train_folds(config, job, data, cv=3, seed=seed, threads=1, node="here", report=seen.append)
        results.append([{k: v for k, v in result.items() if not k.endswith("_s")} for result in seen])
    return results


def test_trials_that_keep_the_kernel_cache_score_as_after_a_full_clear(data, full_clears, monkeypatch):
    """Other learning rates, shapes and seeds (another sweep's trials in a warm process), and the first
    trial again."""
    configs = [CONFIG, {**CONFIG, "lr": 0.001, "batch_size": 32}, {**CONFIG, "units": 16}, CONFIG, CONFIG]
    seeds = [0, 0, 0, 1, 0]
    kept = trials(configs, data, seeds=seeds)
    assert len(full_clears) == 1  # the process' first trial only
    assert kept[4] == kept[0] and kept[3] != kept[0]

    monkeypatch.setattr(fresh_start, "_can_keep_kernels", lambda: False)  # as Keras clears, every trial
    monkeypatch.setattr(fresh_start, "_only_keras_steps_since_cleared", False)
    kept_models.forget()
    assert trials(configs, data, seeds=seeds) == kept
    assert len(full_clears) == 1 + len(configs)


class UniformDense(keras.layers.Layer):
    """A layer whose initial weights come from a stateful TensorFlow random kernel, run eagerly
    with an operation seed: its stream goes on from call to call until the cache is cleared."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 10), initializer="zeros")
        self.kernel.assign(tf.random.uniform((input_shape[-1], 10), -0.05, 0.05, seed=7))

    def call(self, x):
        return keras.ops.softmax(x @ self.kernel)


def uniform_model(config):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), UniformDense()])
    model.compile(optimizer=keras.optimizers.Adam(config["lr"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_a_trial_after_one_of_other_steps_clears_the_cache_and_scores_as_its_first(data, full_clears, monkeypatch):
    job = replace(JOB, build_model=uniform_model)
    [alone] = trials([CONFIG], data, job)  # a new process' first trial: after a full clear
    monkeypatch.setattr(fresh_start, "_only_keras_steps_since_cleared", False)
    trials([CONFIG], data)  # Keras' own steps
    after_keras_steps, after_its_own = trials([CONFIG, CONFIG], data, job)
    assert len(full_clears) == 3  # each new process' first trial, and the trial after one of other steps
    assert after_keras_steps == alone  # the cache kept: nothing in it was drawn from since it was cleared
    assert after_its_own == alone

    # Kept after it too, the second trial would go on with the first one's random stream.
    monkeypatch.setattr(fresh_start, "_only_keras_steps_since_cleared", False)
    monkeypatch.setattr(trainable, "trial_ended", lambda only_keras_steps: fresh_start.trial_ended(True))
    first, second = trials([CONFIG, CONFIG], data, job)
    assert first == alone and second != alone


def test_the_trial_after_a_refit_clears_the_cache(data, full_clears):
    """A refit or a scikit-learn estimator's fit starts Keras by ``prepare_keras`` and may run
    anything: the trial after it starts from a cleared cache."""
    trials([CONFIG, CONFIG], data)
    assert len(full_clears) == 1
    fresh_start.prepare_keras(threads=1, seed=0)
    trials([CONFIG], data)
    assert len(full_clears) == 3


def seed_model(_lr, _dropout):
    """The seed's network, as a drop-in user's ``build_fn``."""
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dropout(_dropout),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=_lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("scoring", [None, "accuracy", "users"])
def test_the_drop_ins_trials_keep_the_cache_where_scikit_learn_scores_them(data, full_clears, monkeypatch, scoring):
    """scikit-learn's own scorer only predicts: the drop-in's later trials keep the cache and score as
    after a full clear. A user's scorer may run anything: every trial clears it."""
    from sklearn.metrics import accuracy_score, check_scoring

    from tune_jobs.sklearn import KerasClassifier
    from tune_jobs.sklearn.codec import Codec
    from tune_jobs.sklearn.estimator_job import estimator_job

    estimator = KerasClassifier(build_fn=seed_model, verbose=0)
    grid = {"_lr": [0.01, 0.001], "_dropout": [0.2], "batch_size": [16], "epochs": [2]}
    codec = Codec.of(grid)
    x, y = data["x_train"], data["y_train"]
    splits = [(np.arange(60), np.arange(60, 90)), (np.arange(30, 90), np.arange(30))]

    def users(model, x, y):
        return accuracy_score(y, model.predict(x))

    scorer = users if scoring == "users" else check_scoring(estimator, scoring=scoring)
    job = estimator_job(estimator, codec, x, y, splits, scorer, "drop-in", scikit_learns_scorer=scoring != "users")
    configs = [{name: codec.encode(name, values[i % len(values)]) for name, values in grid.items()} for i in range(3)]
    given = job.load_data(None).arrays()
    kept = trials(configs, given, job)
    assert len(full_clears) == (1 if scoring != "users" else 3)
    assert kept[2] == kept[0]
    monkeypatch.setattr(fresh_start, "_can_keep_kernels", lambda: False)
    monkeypatch.setattr(fresh_start, "_only_keras_steps_since_cleared", False)
    kept_models.forget()
    assert trials(configs, given, job) == kept


def test_what_a_trial_made_is_freed_by_the_next_though_each_trial_freezes_what_is_alive(data, monkeypatch):
    """Each trial's collection scans only what the trial before it made (what is alive after it is
    frozen), yet frees that trial's models, and a kept model that ``kept_models`` let go."""
    import gc
    import weakref

    monkeypatch.setattr(kept_models, "KEEP", 1)
    built = []
    job = replace(JOB, build_model=lambda config: built.append(JOB.build_model(config)) or built[-1])
    trials([CONFIG], data, job)
    [kept] = kept_models._kept.values()
    first_trials = [weakref.ref(model) for model in built if model is not kept]
    let_go = weakref.ref(kept)
    del kept
    built.clear()
    trials([{**CONFIG, "activation": "selu"}], data, job)  # another shape: the first is let go
    assert first_trials and not any(model() for model in first_trials)  # collected as that trial began
    built.clear()
    fresh_start.trial_started(threads=1, seed=0)  # the next trial's collection
    assert let_go() is None
    assert gc.get_freeze_count() > 0  # what is alive after it: frozen


class OwnSequential(keras.Sequential):
    """A model class of the user's own: ``kept_models`` does not keep it, so each trial traces its steps."""


def test_a_trial_whose_model_is_not_kept_leaves_nothing_of_its_traces_behind(data):
    """Custom gradients of TensorFlow's and Keras' own ops (the all-reduce in Keras' optimizer, a
    swish activation) are registered per trace in TensorFlow's process-wide gradient registry, each
    holding its traced graph for good (7 MiB a trial of the seed's MLP: BENCHMARKS.md, 14h). The
    next trial's start drops those; a custom gradient of the user's own stays registered."""
    import gc

    from tensorflow.python.framework import ops
    from tensorflow.python.framework.func_graph import FuncGraph

    def own_class(config):
        model = JOB.build_model(config)
        own = OwnSequential(model.layers)
        own.compile_from_config(model.get_compile_config())
        return own

    @tf.custom_gradient
    def halved_gradient(x):
        return tf.identity(x), lambda dy: dy / 2

    users = tf.function(lambda x: halved_gradient(x))
    before = set(ops._gradient_registry._registry)
    users.get_concrete_function(tf.TensorSpec([], tf.float32))  # traced: a graph-mode custom gradient, registered
    [user_entry] = {name for name in ops._gradient_registry._registry if name.startswith("CustomGradient-")} - before

    def graphs_alive_at_next_trial() -> int:
        fresh_start.trial_started(threads=1, seed=0)
        gc.unfreeze()
        gc.collect()
        return sum(isinstance(o, FuncGraph) for o in gc.get_objects())

    job = replace(JOB, build_model=own_class)
    trials([CONFIG], data, job)
    after_one = graphs_alive_at_next_trial()
    trials([CONFIG, {**CONFIG, "lr": 0.02}, {**CONFIG, "activation": "selu"}, {**CONFIG, "activation": "swish"}],
           data, job)
    assert graphs_alive_at_next_trial() == after_one
    assert user_entry in ops._gradient_registry._registry
