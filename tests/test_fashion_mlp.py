import numpy as np
import pytest

from tune_jobs.jobs.fashion_mlp import HYPERPARAMETERS, JOB, build_model
from tune_jobs.jobs.keras_parts import ACTIVATIONS, OPTIMIZERS, make_optimizer

keras = pytest.importorskip("keras")


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_the_seeds_architecture():
    config = {**HYPERPARAMETERS.defaults(), "batch_norm": 1, "dropout": 0.2, "activation": "swish", "units": 128}
    model = build_model(config, (28, 28), 10)
    assert layer_types(model) == ["Flatten", "BatchNormalization", "Dropout", "Dense", "Dense"]
    hidden, output = model.layers[-2], model.layers[-1]
    assert hidden.units == 128 and hidden.activation is keras.activations.get("swish")
    assert output.units == 10 and output.activation.__name__ == "softmax"
    assert model.layers[2].rate == 0.2


def test_without_batch_norm_and_with_an_optimizer_by_name():
    config = {**HYPERPARAMETERS.defaults(), "batch_norm": 0, "optimizer": "RMSprop", "lr": 0.002, "units": 16}
    model = build_model(config, (28, 28), 10)
    assert layer_types(model) == ["Flatten", "Dropout", "Dense", "Dense"]
    assert type(model.optimizer).__name__ == "RMSprop"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.002)


def test_deeper_networks_take_units_per_layer():
    config = {**HYPERPARAMETERS.defaults(), "layers": 3, "units_1": 64, "units_2": 32, "units_3": 16, "units_4": 999}
    model = build_model(config, (28, 28), 10)
    assert layer_types(model) == ["Flatten"] + ["Dropout", "Dense"] * 3 + ["Dense"]
    assert [layer.units for layer in model.layers if type(layer).__name__ == "Dense"] == [64, 32, 16, 10]


def test_it_trains_on_ones():
    model = build_model({**HYPERPARAMETERS.defaults(), "units": 8}, (28, 28), 10)
    history = model.fit(np.ones((20, 28, 28)), np.arange(20) % 10, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_listed_activation_exists_in_keras(name):
    assert callable(keras.activations.get(name))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_listed_optimizer_exists_in_keras(name):
    assert make_optimizer(name.upper() if name == "sgd" else name, 0.01).learning_rate is not None


def test_folds_taking_turns_share_one_model_but_keep_their_own_weights_and_optimizer_state():
    """One compiled model for k folds (one trace per trial): a fold's epoch leaves the others as they were."""
    from tune_jobs.engine.fold_training import TakingTurns, load_state, save_state, train_epochs
    from tune_jobs.engine.kept_fold_weights import fold_starts

    config = {**HYPERPARAMETERS.defaults(), "batch_norm": 1, "dropout": 0.2, "activation": "swish",
              "batch_size": 16, "epochs": 1}
    rng = np.random.default_rng(0)
    split = (rng.random((32, 28, 28), dtype=np.float32), rng.integers(0, 10, 32),
             rng.random((16, 28, 28), dtype=np.float32), rng.integers(0, 10, 16))
    turns = TakingTurns(JOB, *fold_starts(lambda: JOB.model(config), 3), [split] * 3)
    model, states = turns.model, turns.states
    assert len(states) == 3
    assert not np.array_equal(states[0][0][-2], states[1][0][-2])  # each fold starts from its own weights
    before = [np.copy(w) for w in states[1][0]]
    load_state(model, states[0])
    train_epochs(model, split, batch_size=16, initial_epoch=0, epochs=1, job=JOB, loop=turns.loops[0])
    states[0] = save_state(model)
    assert int(states[0][1][0]) == 2  # the optimizer's step counter: two batches of fold 0
    load_state(model, states[1])
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert int(model.optimizer.variables[0].numpy()) == 0  # fold 1's optimizer has not stepped
