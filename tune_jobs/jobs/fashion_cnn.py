"""A small convolutional network on Fashion-MNIST: the seed's author expected it to beat any MLP.

    Reshape(28, 28, 1) -> [BatchNormalization]
    -> (Conv2D(filters * 2^b, kernel_size, activation) -> [pooling 2x2]) x conv_blocks
    -> Flatten -> Dropout -> Dense(units, activation) -> Dropout -> Dense(10, softmax)

Each block doubles the filters of the one before (32, 64, 128 ...), as most small CNNs do, so
one number sizes them all. Same data, folds and objective as the MLP job, so the two compare.
"""

from __future__ import annotations

from typing import Any, Mapping

from tune_jobs.jobs import fashion_data, keras_parts
from tune_jobs.jobs.base import Job
from tune_jobs.jobs.hyperparameters import Hyperparameter, Hyperparameters, at_least_one, one_of
from tune_jobs.jobs.objective import SEED_OBJECTIVE
from tune_jobs.jobs.paths import SPACES

IMAGE_SHAPE, CLASSES = (28, 28), 10
POOLING = ("max", "avg", "none")
MAX_POOLED_BLOCKS = 4  # 28 -> 14 -> 7 -> 3 -> 1


def _kernel_size(value: int) -> str | None:
    return None if value in (1, 3, 5, 7) else "must be 1, 3, 5 or 7"


def _conv_blocks(value: int) -> str | None:
    return None if 1 <= value <= MAX_POOLED_BLOCKS else f"must be in [1, {MAX_POOLED_BLOCKS}]"


HYPERPARAMETERS = Hyperparameters([
    Hyperparameter("conv_blocks", 2, "int", _conv_blocks, "convolutional blocks"),
    Hyperparameter("filters", 32, "int", at_least_one, "filters of the first block; each next block doubles them"),
    Hyperparameter("kernel_size", 3, "int", _kernel_size, "height and width of the convolution kernels"),
    Hyperparameter("pooling", "max", "str", one_of(*POOLING), "2x2 pooling after each block (max, avg, none)"),
    Hyperparameter("units", 128, "int", at_least_one, "units of the dense layer"),
    keras_parts.dropout(0.25, "dropout rate before and after the dense layer"),
    Hyperparameter("batch_norm", 0, "flag", None, "BatchNormalization after each convolution (1/0)"),
    keras_parts.activation("relu", "activation of the convolutions and the dense layer"),
    keras_parts.optimizer(),
    keras_parts.lr(),
])


def build_model(config: Mapping[str, Any], input_shape: tuple[int, ...] = IMAGE_SHAPE, n_classes: int = CLASSES):
    """A compiled ``keras.Model`` for one configuration (the config must be complete)."""
    import keras

    pool = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}.get(config["pooling"])
    layers = [keras.Input(shape=input_shape), keras.layers.Reshape((*input_shape, 1))]
    for block in range(config["conv_blocks"]):
        layers.append(keras.layers.Conv2D(config["filters"] * 2 ** block, config["kernel_size"], padding="same",
                                          activation=None if config["batch_norm"] else config["activation"]))
        if config["batch_norm"]:
            layers += [keras.layers.BatchNormalization(), keras.layers.Activation(config["activation"])]
        if pool:
            layers.append(pool(2))
    layers += [keras.layers.Flatten(), keras.layers.Dropout(config["dropout"]),
               keras.layers.Dense(config["units"], activation=config["activation"]),
               keras.layers.Dropout(config["dropout"]), keras.layers.Dense(n_classes, activation="softmax")]
    return keras_parts.compiled(layers, config, "sparse_categorical_crossentropy", SEED_OBJECTIVE.metric)


JOB = Job(
    name="fashion-cnn",
    description="a small CNN on Fashion-MNIST (blocks, filters, kernel, pooling, width)",
    load_data=fashion_data.load_data,
    build_model=build_model,
    objective=SEED_OBJECTIVE,
    hyperparameters=HYPERPARAMETERS,
    folds="stratified",
    default_space=SPACES / "fashion_cnn_grid.yaml",
    smoke_space=SPACES / "fashion_cnn_smoke.yaml",
    smoke_samples=3000,
)
