"""The hyperparameters a search space may name, with their baseline values and their checks.

The baseline is the Keras beginner tutorial's MLP, so that a file naming only ``lr`` still
describes a complete, sensible model. This table is the one source of those defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

# Names Keras resolves with ``keras.activations.get`` / ``keras.optimizers``; a unit test
# checks every one against the installed Keras, so these lists cannot drift silently.
ACTIVATIONS = (
    "relu", "selu", "elu", "gelu", "swish", "silu", "tanh", "sigmoid", "softplus",
    "softsign", "leaky_relu", "relu6", "mish", "hard_sigmoid", "linear", "exponential",
)
OPTIMIZERS = {  # lower-case name -> keras.optimizers class name
    "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD", "nadam": "Nadam",
    "adamax": "Adamax", "adagrad": "Adagrad", "adadelta": "Adadelta", "lion": "Lion",
}


@dataclass(frozen=True)
class Hyperparameter:
    """One knob of the model or of its training, as a search space names it."""

    name: str
    default: Any
    kind: str  # "int", "float", "str" or "flag"
    check: Callable[[Any], str | None]  # returns what is wrong with a value, or None
    doc: str


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be > 0"


def _at_least_one(value: int) -> str | None:
    return None if value >= 1 else "must be >= 1"


def _dropout(value: float) -> str | None:
    return None if 0 <= value < 1 else "must be in [0, 1)"


def _activation(value: str) -> str | None:
    return None if value in ACTIVATIONS else f"is not one of {', '.join(ACTIVATIONS)}"


def _optimizer(value: str) -> str | None:
    names = sorted(set(OPTIMIZERS.values()))
    return None if value.lower() in OPTIMIZERS else f"is not one of {', '.join(names)}"


def _no_check(value: Any) -> str | None:
    return None


HYPERPARAMETERS: dict[str, Hyperparameter] = {
    hp.name: hp
    for hp in (
        Hyperparameter("activation", "relu", "str", _activation, "activation of the hidden layer"),
        Hyperparameter("batch_norm", 0, "flag", _no_check, "BatchNormalization after Flatten (1/0)"),
        Hyperparameter("dropout", 0.0, "float", _dropout, "dropout rate before the hidden layer"),
        Hyperparameter("layers", 1, "int", _at_least_one, "hidden layers"),
        Hyperparameter("units", 128, "int", _at_least_one, "units of each hidden layer (units_i: of layer i)"),
        Hyperparameter("optimizer", "Adam", "str", _optimizer, "Keras optimizer, by name"),
        Hyperparameter("lr", 0.001, "float", _positive, "learning rate"),
        Hyperparameter("batch_size", 32, "int", _at_least_one, "training batch size"),
        Hyperparameter("epochs", 10, "int", _at_least_one, "epochs per fold"),
    )
}


PER_LAYER = ("units",)  # may be given per hidden layer: units_1, units_2 ... (see spec.py)


def base_name(name: str) -> str:
    """``units_3`` -> ``units``: per-layer names share their hyperparameter's kind and checks."""
    stem, _, index = name.rpartition("_")
    return stem if stem in PER_LAYER and index.isdigit() else name


def is_active(name: str, config: Mapping[str, Any]) -> bool:
    """A per-layer hyperparameter exists only when its layer does (``units_3`` needs layers >= 3)."""
    stem, _, index = name.rpartition("_")
    return not (stem in PER_LAYER and index.isdigit()) or int(index) <= config.get("layers", 1)


def value_problem(name: str, value: Any) -> str | None:
    """What is wrong with ``value`` for hyperparameter ``name``, or None when it is valid."""
    hp = HYPERPARAMETERS[base_name(name)]
    if not _has_kind(value, hp.kind):
        return f"must be {_KIND_WORDS[hp.kind]}"
    return hp.check(value)


_KIND_WORDS = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "flag": "1/0 or true/false",
}


def _has_kind(value: Any, kind: str) -> bool:
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


def defaults() -> dict[str, Any]:
    """A fresh copy of the baseline configuration."""
    return {name: hp.default for name, hp in HYPERPARAMETERS.items()}


def parse_text(name: str, text: str) -> Any:
    """A value written to ``trials.csv`` read back with its kind (CSV holds only text)."""
    kind = HYPERPARAMETERS[base_name(name)].kind
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "flag":
        return text.lower() == "true" if text.lower() in ("true", "false") else int(text)
    return text
