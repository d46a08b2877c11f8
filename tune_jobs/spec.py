"""The one reader of search-space files: ``search_spaces/*.yaml`` -> a frozen, validated Spec.

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

from tune_jobs.errors import BadInput
from tune_jobs.hyperparameters import HYPERPARAMETERS, defaults, value_problem

TOP_LEVEL_KEYS = ("name", "description", "grid", "scheduler")
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
    """A validated search space: every listed value is usable as it stands."""

    path: Path
    name: str
    grid: Mapping[str, tuple[Any, ...]]  # hyperparameter -> its values, in file order
    text: str = field(repr=False)  # the file as read, copied into the run directory
    scheduler: Mapping[str, Any] = field(default_factory=dict)  # early-stopping settings (ASHA)

    @property
    def n_configs(self) -> int:
        return math.prod(len(values) for values in self.grid.values())

    @property
    def max_epochs(self) -> int:
        return max(self.grid.get("epochs", (defaults()["epochs"],)))

    @property
    def fixed(self) -> dict[str, Any]:
        """The baseline values of every hyperparameter the file leaves out."""
        return {k: v for k, v in defaults().items() if k not in self.grid}

    def with_epochs(self, epochs: int) -> "Spec":
        """The same space trained for ``epochs`` epochs (the ``--epochs`` override)."""
        problem = value_problem("epochs", epochs)
        if problem:
            raise SpecError(f"--epochs: {epochs!r} {problem}")
        return replace(self, grid={**self.grid, "epochs": (epochs,)})


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
        raise SpecError(f"{path}: expected a mapping with a 'grid' key, got {document!r}")
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(f"{path}: {key}: unknown key (valid: {', '.join(TOP_LEVEL_KEYS)})")
    name = document.get("name", path.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise SpecError(f"{path}: name: {name!r} must be letters, digits, '_', '-' or '.'")
    if "grid" not in document:
        raise SpecError(f"{path}: grid: missing (a mapping of hyperparameter -> list of values)")
    return Spec(path=path, name=name, grid=_parse_grid(document["grid"], path), text=text,
                scheduler=_parse_scheduler(document.get("scheduler", {}), path))


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


def _parse_grid(grid: Any, path: Path) -> dict[str, tuple[Any, ...]]:
    if not isinstance(grid, dict) or not grid:
        raise SpecError(f"{path}: grid: {grid!r} must be a non-empty mapping of lists")
    parsed = {}
    for name, values in grid.items():
        if name not in HYPERPARAMETERS:
            valid = ", ".join(HYPERPARAMETERS)
            raise SpecError(f"{path}: grid.{name}: unknown hyperparameter (valid: {valid})")
        if not isinstance(values, list):
            values = [values]  # a lone value is a grid of one, as in a fixed setting
        if not values:
            raise SpecError(f"{path}: grid.{name}: [] is empty; list at least one value")
        for i, value in enumerate(values):
            problem = value_problem(name, value)
            if problem:
                raise SpecError(f"{path}: grid.{name}[{i}]: {value!r} {problem}")
        if len(set(map(repr, values))) < len(values):
            raise SpecError(f"{path}: grid.{name}: {values!r} lists a value twice")
        parsed[name] = tuple(values)
    return parsed
