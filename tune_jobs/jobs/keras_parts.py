"""Knobs the built-in Keras jobs share: activations and optimizers by name, and their checks.

Names Keras resolves with ``keras.activations.get`` / ``keras.optimizers``; a unit test checks
every one against the installed Keras, so these lists cannot drift silently.
"""

from __future__ import annotations

from typing import Any, Mapping

from tune_jobs.jobs.hyperparameters import Hyperparameter, at_least_one, fraction, one_of, positive

ACTIVATIONS = (
    "relu", "selu", "elu", "gelu", "swish", "silu", "tanh", "sigmoid", "softplus",
    "softsign", "leaky_relu", "relu6", "mish", "hard_sigmoid", "linear", "exponential",
)
OPTIMIZERS = {  # lower-case name -> keras.optimizers class name
    "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD", "nadam": "Nadam",
    "adamax": "Adamax", "adagrad": "Adagrad", "adadelta": "Adadelta", "lion": "Lion",
}


def _optimizer(value: str) -> str | None:
    names = sorted(set(OPTIMIZERS.values()))
    return None if value.lower() in OPTIMIZERS else f"is not one of {', '.join(names)}"


def activation(default: str = "relu", doc: str = "activation of the hidden layers") -> Hyperparameter:
    return Hyperparameter("activation", default, "str", one_of(*ACTIVATIONS), doc)


def optimizer(default: str = "Adam") -> Hyperparameter:
    return Hyperparameter("optimizer", default, "str", _optimizer, "Keras optimizer, by name")


def lr(default: float = 0.001) -> Hyperparameter:
    return Hyperparameter("lr", default, "float", positive, "learning rate")


def dropout(default: float = 0.0, doc: str = "dropout rate before each hidden layer") -> Hyperparameter:
    return Hyperparameter("dropout", default, "float", fraction, doc)


def layers(default: int = 1) -> Hyperparameter:
    return Hyperparameter("layers", default, "int", at_least_one, "hidden layers")


def units(default: int = 128) -> Hyperparameter:
    return Hyperparameter("units", default, "int", at_least_one,
                          "units of each hidden layer (units_i: of layer i)", per_layer=True)


def make_optimizer(name: str, learning_rate: float):
    """A Keras optimizer by case-insensitive name (``RMSprop``, ``adam`` ...)."""
    import keras

    return getattr(keras.optimizers, OPTIMIZERS[name.lower()])(learning_rate=learning_rate)


def compiled(layers: list, config: Mapping[str, Any], loss: str, metric: str):
    """``keras.Sequential(layers)`` compiled with the configuration's optimizer and learning rate."""
    import keras

    model = keras.Sequential(layers)
    model.compile(optimizer=make_optimizer(config["optimizer"], config["lr"]), loss=loss, metrics=[metric])
    return model


def hidden_units(config: Mapping[str, Any]) -> list[int]:
    """The width of each hidden layer: ``units_i`` where given, else ``units``."""
    return [config.get(f"units_{i}", config["units"]) for i in range(1, config.get("layers", 1) + 1)]
