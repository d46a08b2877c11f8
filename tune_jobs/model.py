"""Build the seed's Keras model from a plain config dict; nothing else.

    Flatten -> [BatchNormalization] -> (Dropout -> Dense(units_i, activation)) x layers -> Dense(10, softmax)

With one layer (the default) this is exactly the seed's network.
"""

from __future__ import annotations

from typing import Any, Mapping

from tune_jobs.hyperparameters import OPTIMIZERS


def build_model(config: Mapping[str, Any], input_shape: tuple[int, ...], n_classes: int):
    """A compiled ``keras.Model`` for one configuration (the config must be complete)."""
    import keras

    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    if config["batch_norm"]:
        layers.append(keras.layers.BatchNormalization())
    for i in range(1, config.get("layers", 1) + 1):
        layers += [
            keras.layers.Dropout(config["dropout"]),
            keras.layers.Dense(config.get(f"units_{i}", config["units"]), activation=config["activation"]),
        ]
    layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=make_optimizer(config["optimizer"], config["lr"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_optimizer(name: str, lr: float):
    """A Keras optimizer by case-insensitive name (``RMSprop``, ``adam`` ...)."""
    import keras

    return getattr(keras.optimizers, OPTIMIZERS[name.lower()])(learning_rate=lr)
