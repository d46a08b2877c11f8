"""Distributions of a search space, as plain data; each searcher translates them its own way.

    Choice((relu, swish))      a list in YAML (a grid's values are choices too)
    Uniform(0.0, 0.5)          {uniform: [0.0, 0.5]}
    Uniform(1e-4, 1e-2, log)   {loguniform: [1.0e-4, 1.0e-2]}
    IntRange(1, 4)             {int: [1, 4]}, both ends included; {int: [32, 512], log: true}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union


def infer(text: str) -> Any:
    """A CSV cell as the number or flag it spells, else the text itself."""
    text = str(text)
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]

    @property
    def largest(self) -> Any:
        return max(self.values)

    @property
    def first(self) -> Any:
        return self.values[0]

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.values)

    def parse(self, text: str) -> Any:
        """The value whose text ``text`` is (``"1"`` -> 1, ``"True"`` -> True, ``"0.002"`` -> 0.002)."""
        text = str(text)
        return self._by_text[text] if text in self._by_text else infer(text)

    @cached_property
    def _by_text(self) -> dict[str, Any]:
        """Each value by its text, the first of equal texts: a grid of 5,000 values parses its rows
        in linear time."""
        found: dict[str, Any] = {}
        for value in self.values:
            found.setdefault(str(value), value)
        return found


@dataclass(frozen=True)
class _Range:
    low: Any
    high: Any  # included
    log: bool = False

    numeric = True

    @property
    def largest(self) -> Any:
        return self.high

    @property
    def first(self) -> Any:
        return self.low


class Uniform(_Range):
    """Floats from ``low`` to ``high``."""

    @staticmethod
    def parse(text: str) -> float:
        return float(text)


class IntRange(_Range):
    """Integers from ``low`` to ``high``, both included."""

    @staticmethod
    def parse(text: str) -> int:
        return int(float(text))


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


MANY_LEVELS = 8  # a numeric list longer than this is a range to Optuna's records (see optuna_distribution)


def optuna_distribution(domain: Domain):
    """The Optuna distribution of ``domain`` (what a study records beside each trial's values, and
    what fANOVA reads). A list of more than MANY_LEVELS numbers (a grid of 5,000 learning rates)
    is recorded as the range it spans: as a category, every trial's record repeated all its levels
    (200 MB of journal for 5,000 trials) and fANOVA compared them all for each trial."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(domain, Choice) and domain.numeric and len(domain.values) > MANY_LEVELS:
        kind = IntDistribution if all(isinstance(v, int) for v in domain.values) else FloatDistribution
        return kind(min(domain.values), max(domain.values))
    if isinstance(domain, Choice):
        return CategoricalDistribution(list(domain.values))
    if isinstance(domain, Uniform):
        return FloatDistribution(domain.low, domain.high, log=domain.log)
    return IntDistribution(domain.low, domain.high, log=domain.log)
