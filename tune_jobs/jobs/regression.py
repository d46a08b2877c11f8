"""The seed's three regressions, on synthetic data drawn from ``--seed``: an MLP regressor, MSE minimized.

    linear     y = 3x + 4 + N(0, 1)      x ~ U(-5, 5)    noise variance 1     (the floor of the test MSE)
    free-fall  y = 9.8x^2 + N(0, 2^2)    x ~ U(0, 3)     noise variance 4
    sine       y = sin(x)                x ~ U(-pi, pi)  no noise             (floor 0)

2,000 training and 1,000 test points each; the test set is drawn the same way, from the same
seed, after the training set. The model: (Dense(units_i, activation)) x layers -> Dense(1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping

import numpy as np

from tune_jobs.jobs import keras_parts
from tune_jobs.jobs.base import Data, DataOptions, Job
from tune_jobs.jobs.hyperparameters import Hyperparameters
from tune_jobs.jobs.objective import objective_for
from tune_jobs.jobs.paths import SPACES

N_TRAIN, N_TEST = 2000, 1000
MSE = objective_for("mse")  # minimized; "within 5% of the best MSE"

HYPERPARAMETERS = Hyperparameters([
    keras_parts.layers(2),
    keras_parts.units(64),
    keras_parts.activation("relu"),
    keras_parts.optimizer(),
    keras_parts.lr(0.01),
])


@dataclass(frozen=True)
class Curve:
    """A function to learn, where its inputs are drawn, and the noise on its targets."""

    name: str
    formula: str
    f: Callable[[np.ndarray], np.ndarray]
    low: float
    high: float
    noise_std: float


CURVES = {
    "linear": Curve("linear", "y = 3x + 4 + noise", lambda x: 3 * x + 4, -5.0, 5.0, 1.0),
    "free-fall": Curve("free-fall", "y = 9.8x^2 + noise", lambda x: 9.8 * x ** 2, 0.0, 3.0, 2.0),
    "sine": Curve("sine", "y = sin(x)", np.sin, -math.pi, math.pi, 0.0),
}


def draw(curve: Curve, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(curve.low, curve.high, size=(n, 1)).astype(np.float32)
    y = curve.f(x[:, 0]) + rng.normal(0.0, curve.noise_std, size=n) if curve.noise_std else curve.f(x[:, 0])
    return x, y.astype(np.float32)


def load_data(options: DataOptions, curve: Curve) -> Data:
    rng = np.random.default_rng(options.seed)
    x_train, y_train = draw(curve, N_TRAIN, rng)
    x_test, y_test = draw(curve, N_TEST, rng)
    return Data(x_train, y_train, x_test, y_test, source=f"synthetic: {curve.formula}, seed {options.seed}",
                noise_variance=curve.noise_std ** 2)


def build_model(config: Mapping[str, Any]):
    """A compiled MLP regressor for one configuration: one input, one linear output."""
    import keras

    layers = [keras.Input(shape=(1,))]
    layers += [keras.layers.Dense(width, activation=config["activation"]) for width in keras_parts.hidden_units(config)]
    layers.append(keras.layers.Dense(1))
    return keras_parts.compiled(layers, config, "mse", MSE.metric)


def job(curve: Curve) -> Job:
    return Job(
        name=curve.name,
        description=f"the seed's regression {curve.formula}, x in [{curve.low:.3g}, {curve.high:.3g}]",
        load_data=partial(load_data, curve=curve),
        build_model=build_model,
        objective=MSE,
        hyperparameters=HYPERPARAMETERS,
        folds="kfold",
        default_space=SPACES / f"{curve.name.replace('-', '_')}.yaml",
        smoke_space=SPACES / "regression_smoke.yaml",
    )


LINEAR, FREE_FALL, SINE = (job(CURVES[name]) for name in ("linear", "free-fall", "sine"))
