"""The hyperparameters a job accepts: each with its default, its kind and its check.

A job either declares its table (a space file's unknown key or bad value is then refused, as
for the built-in jobs) or leaves it open (any name; values checked by the space format only:
scalars, finite numbers). ``batch_size``, ``epochs`` and ``lr_schedule`` are training options every
job has, as ``batch_size`` and ``epochs`` are in scikit-learn's ``param_grid``: the engine trains by
them; they never reach the model's builder.

Per-layer hyperparameters (``units: {int: [32, 512], per_layer: true}``) become ``units_1`` ...
``units_<largest layers>``; ``units_3`` exists only in configurations with ``layers >= 3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from tune_jobs.jobs import lr_schedules

LAYERS = "layers"  # the hyperparameter that counts the layers per-layer names belong to


@dataclass(frozen=True)
class Hyperparameter:
    """One knob of a model or of its training, as a search space names it."""

    name: str
    default: Any
    kind: str  # "int", "float", "str" or "flag"
    check: Callable[[Any], str | None] | None = None  # what is wrong with a value, or None
    doc: str = ""
    per_layer: bool = False  # may be given per hidden layer: units_1, units_2 ...


def positive(value: float) -> str | None:
    return None if value > 0 else "must be > 0"


def at_least_one(value: int) -> str | None:
    return None if value >= 1 else "must be >= 1"


def fraction(value: float) -> str | None:
    return None if 0 <= value < 1 else "must be in [0, 1)"


def one_of(*names: str) -> Callable[[str], str | None]:
    """A check that a string is one of ``names`` (compared as given)."""
    def check(value: str) -> str | None:
        return None if value in names else f"is not one of {', '.join(names)}"
    return check


TRAINING = (
    Hyperparameter("batch_size", 32, "int", at_least_one, "training batch size (Keras' default)"),
    Hyperparameter("epochs", 10, "int", at_least_one, "epochs per fold"),
    Hyperparameter("lr_schedule", lr_schedules.DEFAULT, "str", one_of(*lr_schedules.SCHEDULES),
                   "the learning rate over the epochs: constant, or cosine (decayed to nearly 0 by the last)"),
)
TRAINING_NAMES = tuple(hp.name for hp in TRAINING)

_KIND_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "flag": "1/0 or true/false"}


def kind_of(value: Any) -> str | None:
    """The kind a default value declares (``True`` is a flag, ``3`` an int, ``0.1`` a float)."""
    if isinstance(value, bool):
        return "flag"
    for kind, types in (("int", int), ("float", float), ("str", str)):
        if isinstance(value, types):
            return kind
    return None


def has_kind(value: Any, kind: str) -> bool:
    # bool is an int in Python; only "flag" accepts it.
    if kind == "flag":
        return isinstance(value, bool) or (isinstance(value, int) and value in (0, 1))
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int)
    if kind == "float":
        return isinstance(value, (int, float))
    return isinstance(value, str)


class Hyperparameters:
    """A job's table of hyperparameters, ``None`` for an open one (see the module's docstring)."""

    def __init__(self, declared: Iterable[Hyperparameter] | None = None):
        self.open = declared is None
        self._table = {hp.name: hp for hp in (*TRAINING, *(declared or ()))}

    def defaults(self) -> dict[str, Any]:
        """A fresh copy of the baseline configuration."""
        return {name: hp.default for name, hp in self._table.items()}

    def base_name(self, name: str) -> str:
        """``units_3`` -> ``units``: per-layer names share their hyperparameter's kind and checks."""
        stem, _, index = name.rpartition("_")
        return stem if index.isdigit() and self.may_be_per_layer(stem) else name

    def may_be_per_layer(self, name: str) -> bool:
        hp = self._table.get(name)
        return hp.per_layer if hp else self.open and name not in TRAINING_NAMES and name != LAYERS

    def unknown(self, name: str) -> str | None:
        """What is wrong with naming ``name`` in a space file, or None."""
        if self.open or self.base_name(name) in self._table:
            return None
        return f"unknown hyperparameter (valid: {', '.join(self._table)})"

    def kind(self, name: str) -> str | None:
        """The declared kind, or None for a name an open table does not declare."""
        hp = self._table.get(self.base_name(name))
        return hp.kind if hp else None

    def value_problem(self, name: str, value: Any) -> str | None:
        """What is wrong with ``value`` for hyperparameter ``name``, or None when it is valid."""
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        hp = self._table.get(self.base_name(name))
        if hp is None:
            return None if kind_of(value) else "must be a number, a string or true/false"
        if not has_kind(value, hp.kind):
            return f"must be {_KIND_WORDS[hp.kind]}"
        return hp.check(value) if hp.check else None

    def per_layer_names(self) -> tuple[str, ...]:
        return tuple(name for name, hp in self._table.items() if hp.per_layer)


def is_active(name: str, config: Mapping[str, Any], per_layer: Iterable[str]) -> bool:
    """A per-layer hyperparameter exists only when its layer does (``units_3`` needs layers >= 3)."""
    stem, _, index = name.rpartition("_")
    return not (stem in per_layer and index.isdigit()) or int(index) <= config.get(LAYERS, 1)
