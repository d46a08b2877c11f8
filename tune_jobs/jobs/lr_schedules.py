"""How the learning rate moves over a trial's epochs: ``lr_schedule``, a training option every
Keras job has, as ``epochs`` is.

The engine scales the learning rate the job's model was compiled with by the schedule's factor
before each epoch, in a trial's folds and in its refit alike, so a job's model function compiles
one learning rate and needs to know neither the epochs nor the rows of an epoch. ``cosine`` is
half a cosine over the trial's epochs (Keras' ``CosineDecay``, counted in epochs): the last
epochs train at small rates, where a constant rate leaves a small CNN's test accuracy moving by up
to a point from one epoch to the next (BENCHMARKS.md, section 15b). A trial that ASHA stops early
has trained at the schedule's first, higher rates only.
"""

from __future__ import annotations

import math
from typing import Callable

DEFAULT = "constant"

# name -> the factor of epoch ``epoch`` (0-based) of ``epochs``
SCHEDULES: dict[str, Callable[[int, int], float]] = {
    "constant": lambda epoch, epochs: 1.0,
    "cosine": lambda epoch, epochs: 0.5 * (1 + math.cos(math.pi * epoch / epochs)),
}


def learning_rates(name: str, initial: float, epochs: int) -> list[float]:
    """The learning rate of each epoch (0-based) of a trial of ``epochs`` epochs."""
    return [initial * SCHEDULES[name](epoch, epochs) for epoch in range(epochs)]
