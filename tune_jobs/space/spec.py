"""The one reader of search-space files: ``search_spaces/*.yaml`` -> a frozen, validated Spec.

A file has either a ``grid:`` (lists of values, GridSearchCV's param_grid) or a ``space:``
(lists, distributions, per-layer parameters); see search_spaces/README.md.

Everything that can be wrong with a file is found here, before Ray starts or a run
directory exists, and reported as a SpecError naming the file, the field and the value.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import yaml

from tune_jobs.errors import BadInput
from tune_jobs.jobs import lr_schedules
from tune_jobs.jobs.hyperparameters import LAYERS, Hyperparameters, is_active
from tune_jobs.space.domains import Choice, Domain, IntRange, Uniform

TOP_LEVEL_KEYS = ("name", "description", "grid", "space", "scheduler")
DISTRIBUTIONS = {"uniform": "float", "loguniform": "float", "int": "int", "choice": None}  # key -> kind it needs
# key -> smallest valid value: ASHA's (epochs) and asha-time's grace period (seconds), and their factor
SCHEDULER_KEYS = {"grace_period": 1, "grace_period_s": 1, "reduction_factor": 2}


class SpecError(BadInput):
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


def _mapping_without_repeats(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """A YAML mapping that names a key twice is a mistake (YAML would silently keep the last)."""
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


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
    defaults: Mapping[str, Any] = field(default_factory=lambda: Hyperparameters().defaults())  # the job's

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
        return self.params[LAYERS].largest if LAYERS in self.params else self.defaults.get(LAYERS, 1)

    @cached_property
    def layer_params(self) -> dict[str, Domain]:
        """``units_1`` ... ``units_<max layers>``: each exists only when its layer does."""
        return {f"{name}_{i}": domain for name, domain in self.per_layer.items()
                for i in range(1, self.max_layers + 1)}

    @cached_property
    def columns(self) -> list[str]:
        """The hyperparameters a trial's row records: the file's, per-layer ones expanded."""
        return [*self.params, *self.layer_params]

    @property
    def max_epochs(self) -> int:
        return self.params["epochs"].largest if "epochs" in self.params else self.defaults["epochs"]

    @cached_property
    def constants(self) -> dict[str, Any]:
        """Hyperparameters the file lists with one value: set in every trial, searched by none."""
        return {name: d.values[0] for name, d in self.params.items() if isinstance(d, Choice) and len(d.values) == 1}

    @property
    def fixed(self) -> dict[str, Any]:
        """The baseline values of every hyperparameter the file leaves out."""
        return {k: v for k, v in self.defaults.items() if k not in self.params}

    def is_active(self, name: str, config: Mapping[str, Any]) -> bool:
        """``units_3`` exists only in a configuration with 3 layers or more."""
        return is_active(name, config, self.per_layer)

    def domain(self, name: str) -> Domain | None:
        """The domain of ``name``, a per-layer ``units_3`` too; None for a fixed value."""
        return self.params.get(name) or self.layer_params.get(name)

    def parse(self, name: str, text: str) -> Any:
        """A value written to ``trials.csv`` read back with its type (CSV holds only text)."""
        domain = self.domain(name) or Choice((self.defaults[name],) if name in self.defaults else ())
        return domain.parse(text)

    def with_epochs(self, epochs: int) -> "Spec":
        """The same space trained for ``epochs`` epochs (the ``--epochs`` override)."""
        problem = Hyperparameters().value_problem("epochs", epochs)
        if problem:
            raise SpecError(f"--epochs: {epochs!r} {problem}")
        return replace(self, params={**self.params, "epochs": Choice((epochs,))})

    def configurations(self) -> list[dict[str, Any]] | None:
        """Every configuration of a space of lists and integer ranges, in a fixed order; None for
        one with continuous ranges or per-layer parameters (it cannot be exhausted)."""
        if self.per_layer or not all(isinstance(d, (Choice, IntRange)) for d in self.params.values()):
            return None
        values = {name: (d.values if isinstance(d, Choice) else range(d.low, d.high + 1))
                  for name, d in self.params.items()}
        if math.prod(len(v) for v in values.values()) > 1_000_000:
            return None
        return [dict(zip(values, combo)) for combo in itertools.product(*values.values())]

    def first_config(self) -> dict[str, Any]:
        """One configuration of the space (each domain's first or lowest value, but a scheduled
        learning rate where ``lr_schedule`` can be one): what a user's job is probed with before
        Ray starts, so a model that cannot take the schedule is refused there, not in each trial."""
        config = {**self.fixed, **{name: d.first for name, d in self.params.items()}}
        schedules = self.params.get("lr_schedule")
        scheduled = [v for v in getattr(schedules, "values", ()) if v != lr_schedules.DEFAULT]
        if scheduled:
            config["lr_schedule"] = scheduled[0]
        return {**config, **{n: d.first for n, d in self.layer_params.items() if self.is_active(n, config)}}


def load_spec(path: str | Path, hyperparameters: Hyperparameters | None = None) -> Spec:
    """Read and validate one search-space file against a job's hyperparameters (default: an open table)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r}); "
                        f"save it as UTF-8") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the search-space file ({exc.strerror})") from None
    return parse_spec(text, path, hyperparameters)


def parse_spec(text: str, path: Path, hyperparameters: Hyperparameters | None = None) -> Spec:
    table = hyperparameters or Hyperparameters()
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
    defaults = table.defaults()
    if "grid" in document:
        return Spec(path=path, name=name, params=_parse_grid(document["grid"], path, table), text=text,
                    scheduler=scheduler, defaults=defaults)
    params, per_layer = _parse_space(document["space"], path, table)
    return Spec(path=path, name=name, params=params, text=text, is_grid=False, per_layer=per_layer,
                scheduler=scheduler, defaults=defaults)


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


def _mapping(section: Any, path: Path, key: str, table: Hyperparameters) -> dict:
    if not isinstance(section, dict) or not section:
        raise SpecError(f"{path}: {key}: {section!r} must be a non-empty mapping of hyperparameters")
    for name in section:
        if not isinstance(name, str):
            raise SpecError(f"{path}: {key}.{name!r}: a hyperparameter's name must be a string")
        problem = table.unknown(name)
        if problem:
            raise SpecError(f"{path}: {key}.{name}: {problem}")
    return section


def _parse_grid(grid: Any, path: Path, table: Hyperparameters) -> dict[str, Choice]:
    return {name: _choice(values, path, f"grid.{name}", name, table)
            for name, values in _mapping(grid, path, "grid", table).items()}


def _choice(values: Any, path: Path, field_: str, name: str, table: Hyperparameters) -> Choice:
    if not isinstance(values, list):
        values = [values]  # a lone value is a choice of one, as in a fixed setting
    if not values:
        raise SpecError(f"{path}: {field_}: [] is empty; list at least one value")
    for i, value in enumerate(values):
        problem = table.value_problem(name, value)
        if problem:
            raise SpecError(f"{path}: {field_}[{i}]: {value!r} {problem}")
    if len(set(map(repr, values))) < len(values):
        raise SpecError(f"{path}: {field_}: {values!r} lists a value twice")
    return Choice(tuple(values))


def _parse_space(space: Any, path: Path, table: Hyperparameters) -> tuple[dict[str, Domain], dict[str, Domain]]:
    params, per_layer = {}, {}
    for name, entry in _mapping(space, path, "space", table).items():
        field_ = f"space.{name}"
        if not isinstance(entry, dict):
            params[name] = _choice(entry, path, field_, name, table)
            continue
        entry = dict(entry)
        if entry.pop("per_layer", False):
            if not table.may_be_per_layer(name):
                allowed = ", ".join(table.per_layer_names()) or "none of this job's hyperparameters"
                raise SpecError(f"{path}: {field_}.per_layer: only {allowed} can be given per layer")
            per_layer[name] = _distribution(entry, path, field_, name, table)
        else:
            params[name] = _distribution(entry, path, field_, name, table)
    if per_layer and LAYERS not in params:
        raise SpecError(f"{path}: space.{LAYERS}: missing; per-layer parameters need the number of layers")
    return params, per_layer


def _distribution(entry: dict, path: Path, field_: str, name: str, table: Hyperparameters) -> Domain:
    log = entry.pop("log", False)
    kinds = [k for k in entry if k in DISTRIBUTIONS]
    if len(kinds) != 1 or len(entry) != 1:
        raise SpecError(f"{path}: {field_}: {entry!r} must have one of {', '.join(DISTRIBUTIONS)} "
                        f"(and optionally log: true, per_layer: true)")
    kind = kinds[0]
    if kind == "choice":
        return _choice(entry[kind], path, f"{field_}.choice", name, table)
    needed, have = DISTRIBUTIONS[kind], table.kind(name) or DISTRIBUTIONS[kind]
    if needed != have:
        fits = "a list of values" if have in ("str", "flag") else ("int" if have == "int" else "uniform or loguniform")
        raise SpecError(f"{path}: {field_}.{kind}: {name} is not {'a number' if needed == 'float' else 'an integer'} "
                        f"range; use {fits}")
    bounds = entry[kind]
    where = f"{field_}.{kind}"
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise SpecError(f"{path}: {where}: {bounds!r} must be [low, high]")
    for i, bound in enumerate(bounds):
        problem = table.value_problem(name, bound) or _bound_problem(bound, needed)
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


def _bound_problem(bound: Any, needed: str) -> str | None:
    """A range's bound is a number (an integer for ``int``), whatever the job declares."""
    if isinstance(bound, bool) or not isinstance(bound, int if needed == "int" else (int, float)):
        return "must be " + ("an integer" if needed == "int" else "a number")
    return None
