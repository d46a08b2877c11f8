"""Distributions of a search space, as plain data; each searcher translates them its own way.

    Choice((relu, swish))      a list in YAML (a grid's values are choices too)
    Uniform(0.0, 0.5)          {uniform: [0.0, 0.5]}
    Uniform(1e-4, 1e-2, log)   {loguniform: [1.0e-4, 1.0e-2]}
    IntRange(1, 4)             {int: [1, 4]}, both ends included; {int: [32, 512], log: true}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]

    @property
    def largest(self) -> Any:
        return max(self.values)


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float
    log: bool = False

    @property
    def largest(self) -> float:
        return self.high


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int  # included
    log: bool = False

    @property
    def largest(self) -> int:
        return self.high


Domain = Union[Choice, Uniform, IntRange]


def ray_domain(domain: Domain):
    """The Ray Tune search-space object for ``domain`` (sampled by BasicVariantGenerator)."""
    from ray import tune

    if isinstance(domain, Choice):
        return tune.choice(list(domain.values))
    if isinstance(domain, Uniform):
        return (tune.loguniform if domain.log else tune.uniform)(domain.low, domain.high)
    return (tune.lograndint if domain.log else tune.randint)(domain.low, domain.high + 1)


def suggest(trial, name: str, domain: Domain) -> Any:
    """Ask an Optuna trial for a value of ``domain`` (define-by-run)."""
    if isinstance(domain, Choice):
        return trial.suggest_categorical(name, list(domain.values))
    if isinstance(domain, Uniform):
        return trial.suggest_float(name, domain.low, domain.high, log=domain.log)
    return trial.suggest_int(name, domain.low, domain.high, log=domain.log)
