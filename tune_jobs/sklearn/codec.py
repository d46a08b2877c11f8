"""scikit-learn's parameter values as a space's values, and back.

A ``param_grid`` may hold any Python object (the seed's holds ``keras.optimizers.Adam``, a class);
a space file, ``trials.csv`` and Optuna hold numbers, strings and booleans. Each other value
gets a readable label (``Adam``, ``None``) that the trials carry and the build decodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from tune_jobs.errors import BadInput


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str)) and not (isinstance(value, float) and not np.isfinite(value))


@dataclass(frozen=True)
class Codec:
    """Per parameter, each label and the value it stands for; names not listed pass unchanged."""

    labels: Mapping[str, Mapping[Any, Any]]  # name -> {label: value}; {} for a range (values as they are)

    @classmethod
    def of(cls, values: Mapping[str, Iterable[Any]]) -> "Codec":
        table: dict[str, dict[Any, Any]] = {}
        for name, options in values.items():
            table[name] = {}
            for value in options:
                plain = _plain(value)
                label = plain if _scalar(plain) else _label(plain)
                while label in table[name] and table[name][label] is not value:
                    label = f"{label}#"  # two objects of one name: Adam, Adam#
                table[name][label] = value
        return cls(table)

    def encode(self, name: str, value: Any) -> Any:
        for label, known in self.labels.get(name, {}).items():
            if known is value or (_scalar(_plain(value)) and label == _plain(value)):
                return label
        return _plain(value)

    def decode(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The values of the names this codec knows (the searched ones), decoded."""
        return {name: self.labels[name].get(config[name], config[name]) for name in self.labels if name in config}

    def space_values(self, name: str) -> list[Any]:
        return list(self.labels[name])


def _label(value: Any) -> str:
    if value is None:
        return "None"
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) else repr(value)[:80]


def check_names(params: Mapping[str, Any], where: str) -> None:
    for name in params:
        if not isinstance(name, str) or not name:
            raise BadInput(f"{where}: {name!r} must be a parameter's name")


def listed(values: Any, where: str) -> list[Any]:
    """A grid's values for one parameter: a non-empty sequence, as scikit-learn requires."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__") or isinstance(values, Mapping):
        raise BadInput(f"{where}: {values!r} must be a list of values")
    values = list(values)
    if not values:
        raise BadInput(f"{where}: [] is empty; list at least one value")
    return values
