"""The one reader of search-space files: ``search_spaces/*.yaml`` -> a frozen, validated Spec.

A file has either a ``grid:`` (lists of values, GridSearchCV's param_grid) or a ``space:``
(lists, distributions, per-layer parameters); see search_spaces/README.md.

Everything that can be wrong with a file is found here, before Ray starts or a run
directory exists, and reported as a SpecError naming the file, the field and the value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import yaml

from tune_jobs.domains import Choice, Domain, IntRange, Uniform
from tune_jobs.errors import BadInput
from tune_jobs.hyperparameters import HYPERPARAMETERS, PER_LAYER, base_name, defaults, value_problem

TOP_LEVEL_KEYS = ("name", "description", "grid", "space", "scheduler")
DISTRIBUTIONS = {"uniform": "float", "loguniform": "float", "int": "int", "choice": None}  # key -> kind it needs
SCHEDULER_KEYS = {"grace_period": 1, "reduction_factor": 2}  # key -> smallest valid value (ASHA)


class SpecError(BadInput, ValueError):
    """A search-space file, or a run option, that cannot be used."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-3`` as a float (YAML 1.1 wants ``1.0e-3``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True)
class Spec:
    """A validated search space: every value it can yield is usable as it stands."""

    path: Path
    name: str
    params: Mapping[str, Domain]  # hyperparameter -> its domain, in file order
    text: str = field(repr=False)  # the file as read, copied into the run directory
    is_grid: bool = True  # from a ``grid:`` section: every domain is a Choice
    per_layer: Mapping[str, Domain] = field(default_factory=dict)  # "units" -> domain of units_1..units_N
    scheduler: Mapping[str, Any] = field(default_factory=dict)  # early-stopping settings (ASHA)

    @property
    def grid(self) -> dict[str, tuple[Any, ...]]:
        """Each hyperparameter's values; only for grid files."""
        if not self.is_grid:
            raise SpecError(f"{self.path}: has distributions, not a grid; use --searcher random or optuna")
        return {name: domain.values for name, domain in self.params.items()}

    @property
    def n_configs(self) -> int:
        return math.prod(len(values) for values in self.grid.values())

    @property
    def max_layers(self) -> int:
        return self.params["layers"].largest if "layers" in self.params else defaults()["layers"]

    @property
    def layer_params(self) -> dict[str, Domain]:
        """``units_1`` ... ``units_<max layers>``: each exists only when its layer does."""
        return {f"{name}_{i}": domain for name, domain in self.per_layer.items()
                for i in range(1, self.max_layers + 1)}

    @property
    def columns(self) -> list[str]:
        """The hyperparameters a trial's row records: the file's, per-layer ones expanded."""
        return [*self.params, *self.layer_params]

    @property
    def max_epochs(self) -> int:
        return self.params["epochs"].largest if "epochs" in self.params else defaults()["epochs"]

    @property
    def fixed(self) -> dict[str, Any]:
        """The baseline values of every hyperparameter the file leaves out."""
        return {k: v for k, v in defaults().items() if k not in self.params}

    def with_epochs(self, epochs: int) -> "Spec":
        """The same space trained for ``epochs`` epochs (the ``--epochs`` override)."""
        problem = value_problem("epochs", epochs)
        if problem:
            raise SpecError(f"--epochs: {epochs!r} {problem}")
        return replace(self, params={**self.params, "epochs": Choice((epochs,))})


def load_spec(path: str | Path) -> Spec:
    """Read and validate one search-space file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the search-space file ({exc.strerror})") from None
    return parse_spec(text, path)


def parse_spec(text: str, path: Path) -> Spec:
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise SpecError(f"{path}: malformed YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(document, dict):
        raise SpecError(f"{path}: expected a mapping with a 'grid' or 'space' key, got {document!r}")
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(f"{path}: {key}: unknown key (valid: {', '.join(TOP_LEVEL_KEYS)})")
    name = document.get("name", path.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise SpecError(f"{path}: name: {name!r} must be letters, digits, '_', '-' or '.'")
    if ("grid" in document) == ("space" in document):
        raise SpecError(f"{path}: grid / space: give exactly one (grid: lists of values; space: distributions)")
    scheduler = _parse_scheduler(document.get("scheduler", {}), path)
    if "grid" in document:
        return Spec(path=path, name=name, params=_parse_grid(document["grid"], path), text=text, scheduler=scheduler)
    params, per_layer = _parse_space(document["space"], path)
    return Spec(path=path, name=name, params=params, text=text, is_grid=False, per_layer=per_layer,
                scheduler=scheduler)


def _parse_scheduler(section: Any, path: Path) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise SpecError(f"{path}: scheduler: {section!r} must be a mapping (e.g. grace_period: 1)")
    for key, value in section.items():
        if key not in SCHEDULER_KEYS:
            raise SpecError(f"{path}: scheduler.{key}: unknown key (valid: {', '.join(SCHEDULER_KEYS)})")
        least = SCHEDULER_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise SpecError(f"{path}: scheduler.{key}: {value!r} must be an integer >= {least}")
    return dict(section)


def _mapping(section: Any, path: Path, key: str) -> dict:
    if not isinstance(section, dict) or not section:
        raise SpecError(f"{path}: {key}: {section!r} must be a non-empty mapping of hyperparameters")
    for name in section:
        if name not in HYPERPARAMETERS:
            raise SpecError(f"{path}: {key}.{name}: unknown hyperparameter (valid: {', '.join(HYPERPARAMETERS)})")
    return section


def _parse_grid(grid: Any, path: Path) -> dict[str, Choice]:
    return {name: _choice(values, path, f"grid.{name}", name) for name, values in _mapping(grid, path, "grid").items()}


def _choice(values: Any, path: Path, field_: str, name: str) -> Choice:
    if not isinstance(values, list):
        values = [values]  # a lone value is a choice of one, as in a fixed setting
    if not values:
        raise SpecError(f"{path}: {field_}: [] is empty; list at least one value")
    for i, value in enumerate(values):
        problem = value_problem(name, value)
        if problem:
            raise SpecError(f"{path}: {field_}[{i}]: {value!r} {problem}")
    if len(set(map(repr, values))) < len(values):
        raise SpecError(f"{path}: {field_}: {values!r} lists a value twice")
    return Choice(tuple(values))


def _parse_space(space: Any, path: Path) -> tuple[dict[str, Domain], dict[str, Domain]]:
    params, per_layer = {}, {}
    for name, entry in _mapping(space, path, "space").items():
        field_ = f"space.{name}"
        if not isinstance(entry, dict):
            params[name] = _choice(entry, path, field_, name)
            continue
        entry = dict(entry)
        if entry.pop("per_layer", False):
            if name not in PER_LAYER:
                raise SpecError(f"{path}: {field_}.per_layer: only {', '.join(PER_LAYER)} can be given per layer")
            per_layer[name] = _distribution(entry, path, field_, name)
        else:
            params[name] = _distribution(entry, path, field_, name)
    if per_layer and "layers" not in params:
        raise SpecError(f"{path}: space.layers: missing; per-layer parameters need the number of layers")
    return params, per_layer


def _distribution(entry: dict, path: Path, field_: str, name: str) -> Domain:
    log = entry.pop("log", False)
    kinds = [k for k in entry if k in DISTRIBUTIONS]
    if len(kinds) != 1 or len(entry) != 1:
        raise SpecError(f"{path}: {field_}: {entry!r} must have one of {', '.join(DISTRIBUTIONS)} "
                        f"(and optionally log: true, per_layer: true)")
    kind = kinds[0]
    if kind == "choice":
        return _choice(entry[kind], path, f"{field_}.choice", name)
    needed, have = DISTRIBUTIONS[kind], HYPERPARAMETERS[base_name(name)].kind
    if needed != have:
        fits = "a list of values" if have in ("str", "flag") else ("int" if have == "int" else "uniform or loguniform")
        raise SpecError(f"{path}: {field_}.{kind}: {name} is not {'a number' if needed == 'float' else 'an integer'} "
                        f"range; use {fits}")
    bounds = entry[kind]
    where = f"{field_}.{kind}"
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise SpecError(f"{path}: {where}: {bounds!r} must be [low, high]")
    for i, bound in enumerate(bounds):
        problem = value_problem(name, bound)
        if problem:
            raise SpecError(f"{path}: {where}[{i}]: {bound!r} {problem}")
    low, high = bounds
    if low >= high:
        raise SpecError(f"{path}: {where}: {bounds!r} needs low < high")
    if (kind == "loguniform" or log) and low <= 0:
        raise SpecError(f"{path}: {where}: {bounds!r} needs low > 0 on a log scale")
    if kind == "int":
        return IntRange(low, high, log=bool(log))
    return Uniform(float(low), float(high), log=kind == "loguniform")
