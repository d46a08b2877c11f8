"""The seed's job: a Keras MLP on Fashion-MNIST, mean CV accuracy maximized.

    Flatten -> [BatchNormalization] -> (Dropout -> Dense(units_i, activation)) x layers -> Dense(10, softmax)

With one layer (the default) this is exactly the seed's network. The defaults are the Keras
beginner tutorial's MLP, so that a file naming only ``lr`` still describes a complete model.
"""

from __future__ import annotations

from typing import Any, Mapping

from tune_jobs.jobs import fashion_data, keras_parts
from tune_jobs.jobs.base import Job
from tune_jobs.jobs.hyperparameters import Hyperparameter, Hyperparameters
from tune_jobs.jobs.objective import SEED_OBJECTIVE
from tune_jobs.jobs.paths import SPACES

IMAGE_SHAPE, CLASSES = (28, 28), 10

HYPERPARAMETERS = Hyperparameters([
    keras_parts.activation(),
    Hyperparameter("batch_norm", 0, "flag", None, "BatchNormalization after Flatten (1/0)"),
    keras_parts.dropout(),
    keras_parts.layers(),
    keras_parts.units(),
    keras_parts.optimizer(),
    keras_parts.lr(),
])


def build_model(config: Mapping[str, Any], input_shape: tuple[int, ...] = IMAGE_SHAPE, n_classes: int = CLASSES):
    """A compiled ``keras.Model`` for one configuration (the config must be complete)."""
    import keras

    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    if config["batch_norm"]:
        layers.append(keras.layers.BatchNormalization())
    for width in keras_parts.hidden_units(config):
        layers += [keras.layers.Dropout(config["dropout"]), keras.layers.Dense(width, activation=config["activation"])]
    layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    return keras_parts.compiled(layers, config, "sparse_categorical_crossentropy", SEED_OBJECTIVE.metric)


JOB = Job(
    name="fashion-mlp",
    description="the seed's MLP on Fashion-MNIST (depth and width too)",
    load_data=fashion_data.load_data,
    build_model=build_model,
    objective=SEED_OBJECTIVE,
    hyperparameters=HYPERPARAMETERS,
    folds="stratified",
    default_space=SPACES / "fashion_grid.yaml",
    smoke_space=SPACES / "fashion_smoke.yaml",
    smoke_samples=6000,
)
