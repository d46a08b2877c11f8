"""The folds of a trial taking turns in one model, by the own epoch loop or by Keras' ``fit``; and
the benchmark's fused folds (``benchmarks/fused_trainer.py``), whose figure is worth something only
if each copy trains as its own fold model would, on its own rows, scoring as the folds in turns."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tune_jobs.engine.fold_training import EVERY_EPOCH, LAST_EPOCH, Reports, TakingTurns
from tune_jobs.engine.fresh_start import prepare_keras
from tune_jobs.engine.kept_fold_weights import fold_starts
from tune_jobs.jobs.fashion_mlp import JOB

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from fused_trainer import FusedFolds  # noqa: E402

CONFIG = {"activation": "relu", "batch_norm": 1, "dropout": 0.2, "layers": 1, "units": 32, "optimizer": "Adam",
          "lr": 0.01, "batch_size": 64, "epochs": 3}


def splits_of(x, y, k=3, seed=0):
    return [(x[tr], y[tr], x[va], y[va]) for tr, va in JOB.splits(y, k, seed)]


def turns_of(models, splits, learning_rates=None) -> TakingTurns:
    """The folds in turns, each starting from the weights of its own model (built by the test)."""
    return TakingTurns(JOB, models[0], [m.get_weights() for m in models], splits, learning_rates)


def train(trainer_class, splits, reports=EVERY_EPOCH, config=CONFIG):
    prepare_keras(threads=1, seed=0)
    models = [JOB.model(config) for _ in splits]
    trainer = FusedFolds(JOB, models, splits) if trainer_class is FusedFolds else turns_of(models, splits)
    seen = []
    trainer.train(reports.epochs(config["epochs"]), config["batch_size"],
                  lambda epoch, scores: seen.append((epoch, scores)))
    return trainer, seen


@pytest.fixture(scope="module")
def fashion_subset(real_data_dir):
    from tune_jobs.jobs.fashion_data import load_fashion_mnist

    data = load_fashion_mnist(str(real_data_dir))
    keep = JOB.subset(data.y_train, 1500, 0)
    return data.x_train[keep], data.y_train[keep]


def test_reports_name_every_epoch_the_rungs_reached_and_the_last():
    assert EVERY_EPOCH.epochs(3) == [1, 2, 3] and LAST_EPOCH.epochs(3) == [3]
    asha = Reports(rungs=(1, 3, 9, 15))
    assert asha.epochs(15) == [1, 3, 9, 15]
    assert asha.epochs(5) == [1, 3, 5]  # a trial of fewer epochs (epochs searched): its own last
    assert asha.epochs(1) == [1]


def test_validated_and_reported_only_after_the_epochs_asked_for(fashion_subset):
    """Once after the last epoch (a grid), or after a scheduler's rungs and the last (ASHA; every
    epoch, lockstep, is checked above)."""
    x, y = fashion_subset
    splits = splits_of(x[:600], y[:600])
    steps = np.ceil(400 / 64)  # a fold's steps per epoch
    trainer, seen = train(TakingTurns, splits, LAST_EPOCH)
    [(epoch, scores)] = seen
    assert epoch == 3 and all("val_accuracy" in s and "accuracy" in s and s["fit_s"] > 0 for s in scores)
    assert int(trainer.states[0][1][0]) == 3 * steps  # fold 0's optimizer: 3 epochs of steps
    trainer, rungs = train(TakingTurns, splits, Reports(rungs=(1, 3)), {**CONFIG, "epochs": 4})
    assert [epoch for epoch, _ in rungs] == [1, 3, 4]
    assert all("val_accuracy" in s and s["fit_s"] > 0 for _, scores in rungs for s in scores)
    assert int(trainer.states[0][1][0]) == 4 * steps  # 1 + 2 + 1 epochs in three turns


def test_a_nan_loss_fails_the_trial_at_its_epoch():
    rng = np.random.default_rng(4)
    splits = splits_of(rng.random((300, 28, 28), dtype=np.float32), np.arange(300) % 10)
    with pytest.raises(FloatingPointError, match="training loss became nan at epoch 1"):
        train(TakingTurns, splits, LAST_EPOCH, config={**CONFIG, "lr": 1e12, "batch_size": 8})


def test_a_compile_keras_cannot_rebuild_is_kept_and_one_it_can_gets_more_steps_per_call():
    """A job's own loss as a lambda cannot be rebuilt from the compile config: the job's compile stays
    (and trains); a loss Keras knows is compiled again with STEPS_PER_EXECUTION."""
    import keras

    from tune_jobs.engine import fold_training

    prepare_keras(threads=1, seed=0)
    custom = JOB.model(CONFIG)
    custom.compile(optimizer="adam", loss=lambda y, p: keras.losses.sparse_categorical_crossentropy(y, p))
    kept = fold_training.more_steps_per_call(custom)
    assert kept is custom and kept.get_compile_config()["steps_per_execution"] == 1
    x, y = np.random.default_rng(0).random((32, 28, 28), dtype=np.float32), np.arange(32) % 10
    assert np.isfinite(kept.fit(x, y, epochs=1, verbose=0).history["loss"][0])

    known = fold_training.more_steps_per_call(JOB.model(CONFIG))
    assert known.get_compile_config()["steps_per_execution"] == fold_training.STEPS_PER_EXECUTION > 1


@pytest.mark.integration
@pytest.mark.parametrize("shuffle, lr_schedule", [(True, "constant"), (False, "constant"), (True, "cosine")])
def test_the_own_epoch_loop_trains_exactly_as_keras_fit(fashion_subset, shuffle, lr_schedule):
    """The folds trained by the own epoch loop and by Keras' ``fit`` (which a fit option forces), in
    lockstep and with a report between: the same logs and the same numbers, shuffled or not, with
    a constant learning rate or a cosine schedule (the own loop sets each epoch's rate, ``fit`` by
    Keras' LearningRateScheduler)."""
    from dataclasses import replace

    from tune_jobs.engine import fold_training

    config = {**CONFIG, "lr_schedule": lr_schedule}
    splits = splits_of(*fashion_subset)
    own = replace(JOB, fit_options={"shuffle": shuffle})
    by_fit = replace(JOB, fit_options={"shuffle": shuffle, "callbacks": []})
    assert fold_training.OwnEpochs.where_possible(JOB.model(CONFIG), by_fit, *splits[0][:2]) is None
    assert fold_training.OwnEpochs.where_possible(JOB.model(CONFIG), own, *splits[0][:2]) is not None
    seen, last_rate = {}, {}
    for name, job in (("own", own), ("fit", by_fit)):
        prepare_keras(threads=1, seed=0)
        first, initial_weights = fold_starts(lambda job=job: job.model(config), len(splits))
        rates = fold_training.epoch_learning_rates(first, config)
        trainer = TakingTurns(job, first, initial_weights, splits, rates)
        trainer.train(Reports(rungs=(1,)).epochs(3), config["batch_size"],
                      lambda epoch, scores, name=name: seen.setdefault(name, []).append((epoch, scores)))
        last_rate[name] = float(trainer.model.optimizer.learning_rate)
    if lr_schedule == "constant":
        assert rates is None and last_rate == pytest.approx({"own": 0.01, "fit": 0.01})
    else:  # 0.01 x (1 + cos(pi e / 3)) / 2 for epochs e = 0, 1, 2: the last epoch trained at 0.0025
        assert rates == pytest.approx([0.01, 0.0075, 0.0025])
        assert last_rate == pytest.approx({"own": 0.0025, "fit": 0.0025})
    assert [epoch for epoch, _ in seen["own"]] == [epoch for epoch, _ in seen["fit"]] == [1, 3]
    for (_, own_folds), (_, fit_folds) in zip(seen["own"], seen["fit"]):
        for scores in fit_folds:
            scores.pop("learning_rate", None)  # fit's LearningRateScheduler logs it
        assert [sorted(s) for s in own_folds] == [sorted(s) for s in fit_folds]  # loss, accuracy, val_*, fit_s, score_s
        for own_fold, fit_fold in zip(own_folds, fit_folds):
            for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
                assert own_fold[name] == pytest.approx(fit_fold[name], rel=1e-5), name
    assert min(s["val_accuracy"] for s in seen["own"][-1][1]) > 0.5  # and it learned (0.1 by chance)


@pytest.mark.integration
def test_the_refit_trains_by_the_own_loop_to_keras_fit_s_test_score(fashion_subset):
    """The refit of a sweep's best configuration: by the own loop, the test score ``fit`` gives (a fit
    option the loop cannot do sends it to ``fit``, which gets the option)."""
    from dataclasses import replace

    import keras

    from tune_jobs.engine.trainable import refit_and_score

    x, y = fashion_subset
    data = {"x_train": x[:1000], "y_train": y[:1000], "x_test": x[1000:], "y_test": y[1000:]}
    config = {**CONFIG, "epochs": 2}
    seen = []

    class Seen(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    own = refit_and_score(JOB, config, data, seed=0, threads=1)
    by_fit = refit_and_score(replace(JOB, fit_options={"callbacks": [Seen()]}), config, data, seed=0, threads=1)
    assert seen == [0, 1] and 0.3 < own <= 1  # it learned (0.1 by chance)
    assert own == pytest.approx(by_fit, abs=1e-6)
    # A cosine schedule: the same in both, and not the constant rate's score (its second epoch at half the rate)
    cosine = {**config, "lr_schedule": "cosine"}
    own_cosine = refit_and_score(JOB, cosine, data, seed=0, threads=1)
    assert own_cosine == pytest.approx(refit_and_score(replace(JOB, fit_options={"callbacks": [Seen()]}), cosine, data,
                                                       seed=0, threads=1), abs=1e-6)
    assert own_cosine != own and 0.3 < own_cosine <= 1


def test_a_schedule_needs_a_model_compiled_with_a_settable_learning_rate():
    """A model that schedules its own learning rate cannot take ``lr_schedule: cosine`` as well: a
    clear error, not a silent constant rate; with ``constant`` it trains as it is."""
    import keras

    from tune_jobs.engine.fold_training import epoch_learning_rates

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    decaying = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(optimizer=keras.optimizers.Adam(decaying), loss="mse")
    assert epoch_learning_rates(model, {"epochs": 3}) is None
    assert epoch_learning_rates(model, {"epochs": 3, "lr_schedule": "constant"}) is None
    with pytest.raises(ValueError, match="lr_schedule: 'cosine' needs a model compiled with a number"):
        epoch_learning_rates(model, {"epochs": 3, "lr_schedule": "cosine"})


def test_the_schedules_by_epoch():
    from tune_jobs.jobs.lr_schedules import learning_rates

    assert learning_rates("constant", 0.1, 3) == [0.1, 0.1, 0.1]
    cosine = learning_rates("cosine", 0.1, 15)
    assert cosine[0] == 0.1 and all(a > b for a, b in zip(cosine, cosine[1:])) and 0 < cosine[-1] < 0.0015


def test_the_own_loop_takes_keras_fit_s_order_which_is_the_same_every_epoch():
    """The rows ``fit`` feeds its steps, recorded over two epochs and a second call: under the
    trial's seed one permutation, every epoch (so a process computes it once per row count and seed)."""
    import keras
    import tensorflow as tf

    from tune_jobs.engine import fold_training

    prepare_keras(threads=1, seed=3)
    rows = 50
    x = np.arange(rows, dtype=np.float32)[:, None]
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", run_eagerly=True)
    seen, step = [], model.train_step
    model.train_step = lambda data: (seen.append(data[0].numpy()[:, 0].astype(np.int64)), step(data))[1]
    for _ in range(2):
        model.fit(x, x[:, 0], batch_size=rows, epochs=2, verbose=0)  # one batch: an epoch's whole order
    fold_training._known_orders.clear()
    order = fold_training.fit_order(rows, True)
    assert len(seen) == 4 and all(np.array_equal(epoch, order) for epoch in seen)
    assert np.array_equal(np.sort(order), np.arange(rows)) and not np.array_equal(order, np.arange(rows))
    assert np.array_equal(fold_training.fit_order(rows, False), np.arange(rows))
    tf.random.set_seed(4)
    assert not np.array_equal(fold_training.fit_order(rows, True), order)  # another seed, another order

    # Nothing else decides it: not random ops run since the seed was set, not other models, not
    # other orders; so a process computes it once per row count and seed.
    prepare_keras(threads=1, seed=3)
    JOB.model(CONFIG), tf.random.uniform([3]), tf.random.shuffle(tf.range(5)), fold_training.fit_order(rows + 1, True)
    fold_training._known_orders.clear()
    assert np.array_equal(fold_training.fit_order(rows, True), order)
    assert fold_training.fit_order(rows, True) is fold_training.fit_order(rows, True)


def test_the_own_epoch_loop_steps_over_every_row_and_traces_once_per_model():
    """61 rows in batches of 16: 4 steps an epoch, the last of 13 rows; the loss and accuracy are the
    epoch's (Keras' metrics, reset per epoch); a second fold, a second trial in the same kept model:
    not traced again."""
    from tune_jobs.engine import fold_training

    rng = np.random.default_rng(6)
    x, y = rng.random((61, 28, 28), dtype=np.float32), np.arange(61) % 10
    prepare_keras(threads=1, seed=0)
    model = fold_training.more_steps_per_call(JOB.model(CONFIG))
    loop = fold_training.OwnEpochs.where_possible(model, JOB, x, y)
    first = loop.epoch(16)
    traced = loop.steps.experimental_get_tracing_count()  # 2 where the first call built Keras' metrics
    second = loop.epoch(16)
    assert int(model.optimizer.iterations) == 8
    assert set(first) == {"loss", "accuracy"} and 0 <= second["accuracy"] <= 1 and np.isfinite(second["loss"])
    again = fold_training.OwnEpochs.where_possible(model, JOB, x[:40], y[:40])  # another fold, another length
    again.epoch(16)
    assert int(model.optimizer.iterations) == 8 + 3
    assert again.steps is loop.steps and loop.steps.experimental_get_tracing_count() == traced


def test_the_own_epoch_loop_needs_no_source_code(monkeypatch):
    """A sweep's trial processes trace the loop while the user may edit or delete the source (a
    sweep ran on while this file changed, 2026-12-02: every trial failed in AutoGraph). The loop
    must trace with no source to read."""
    import inspect

    from tune_jobs.engine import fold_training

    def no_source(*args, **kwargs):
        raise OSError("could not get source code")

    monkeypatch.setattr(inspect, "findsource", no_source)
    rng = np.random.default_rng(7)
    x, y = rng.random((40, 28, 28), dtype=np.float32), np.arange(40) % 10
    prepare_keras(threads=1, seed=0)
    model = fold_training.more_steps_per_call(JOB.model(CONFIG))
    loop = fold_training.OwnEpochs.where_possible(model, JOB, x, y)
    assert np.isfinite(loop.epoch(16)["loss"]) and int(model.optimizer.iterations) == 3


@pytest.mark.integration
def test_fused_folds_score_as_taking_turns_within_fold_noise(fashion_subset):
    """Same folds, same seeded starting weights; per-fold scores within fold noise of today's."""
    splits = splits_of(*fashion_subset)
    _, fused = train(FusedFolds, splits)
    _, turns = train(TakingTurns, splits)
    assert [epoch for epoch, _ in fused] == [epoch for epoch, _ in turns] == [1, 2, 3]
    fused_scores = np.array([s["val_accuracy"] for s in fused[-1][1]])
    turns_scores = np.array([s["val_accuracy"] for s in turns[-1][1]])
    assert fused_scores.min() > 0.5 and turns_scores.min() > 0.5  # both learned (10 classes: 0.1 by chance)
    spread = max(turns_scores.std(), 0.01)
    assert abs(fused_scores.mean() - turns_scores.mean()) < 4 * spread, (fused_scores, turns_scores)
    for scores in fused[-1][1]:
        assert scores["fit_s"] > 0 and scores["score_s"] > 0 and np.isfinite(scores["loss"])


def test_each_fused_copy_starts_from_its_folds_own_weights_and_sees_only_its_rows():
    rng = np.random.default_rng(0)
    x, y = rng.random((61, 28, 28), dtype=np.float32), np.arange(61) % 10  # 61 rows: folds of 21, 20, 20
    splits = splits_of(x, y)
    prepare_keras(threads=1, seed=0)
    fused = FusedFolds(JOB, [JOB.model(CONFIG) for _ in splits], splits)
    turns = turns_of([JOB.model(CONFIG) for _ in splits], splits)  # built after: other draws
    prepare_keras(threads=1, seed=0)
    again = turns_of([JOB.model(CONFIG) for _ in splits], splits)
    for fold, model in enumerate(fused.models):
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), again.states[fold][0]))
    assert not np.array_equal(fused.models[0].get_weights()[-2], fused.models[1].get_weights()[-2])
    assert not np.array_equal(turns.states[0][0][-2], again.states[0][0][-2])
    own = [{row.tobytes() for row in split[0]} for split in splits]
    lengths = {len(rows) for rows in fused.x}
    assert len(lengths) == 1  # one fit: equal lengths, the shorter folds padded
    for fold, rows in enumerate(fused.x):
        assert {row.tobytes() for row in rows} == own[fold]  # its own rows, every one of them, and no other


def test_padded_validation_rows_do_not_count():
    """Folds of unequal size: each fold's fused score equals its own network's on its own rows."""
    rng = np.random.default_rng(1)
    x, y = rng.random((62, 28, 28), dtype=np.float32), np.arange(62) % 10
    splits = splits_of(x, y)
    assert len({len(s[2]) for s in splits}) > 1
    trainer, seen = train(FusedFolds, splits, config={**CONFIG, "epochs": 1, "batch_size": 16})
    for fold, (model, split) in enumerate(zip(trainer.models, splits)):
        alone = model.evaluate(split[2], split[3], verbose=0, return_dict=True)
        assert seen[-1][1][fold]["val_accuracy"] == pytest.approx(alone["accuracy"], abs=1e-6)


@pytest.mark.integration
def test_a_trial_trains_by_its_configuration_s_schedule(fashion_subset):
    """``train_folds`` (a trial's training, wherever it runs) reads ``lr_schedule`` from the
    configuration: the folds' scores are those of the folds taking turns at the schedule's rates."""
    from tune_jobs.engine import kept_folds
    from tune_jobs.engine.trainable import train_folds
    from tune_jobs.jobs.lr_schedules import learning_rates

    x, y = fashion_subset
    reported = {}
    for schedule in ("constant", "cosine"):
        train_folds({**CONFIG, "lr_schedule": schedule}, JOB, {"x_train": x, "y_train": y}, cv=3, seed=0,
                    threads=1, node="here",
                    report=lambda result, schedule=schedule: reported.setdefault(schedule, []).append(result))
    prepare_keras(threads=1, seed=0)
    splits = kept_folds.folds(x, y, JOB.splits(y, 3, 0))
    trainer = turns_of([JOB.model(CONFIG) for _ in splits], splits, learning_rates("cosine", 0.01, 3))
    seen = []
    trainer.train(EVERY_EPOCH.epochs(3), CONFIG["batch_size"], lambda epoch, scores: seen.append(scores))
    assert [r["folds"] for r in reported["cosine"]] == [pytest.approx([s["val_accuracy"] for s in scores], abs=1e-6)
                                                        for scores in seen]
    assert reported["cosine"][-1]["folds"] != reported["constant"][-1]["folds"]
