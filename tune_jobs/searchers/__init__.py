"""Searchers: which configuration to try next. A registry of name -> module, imported lazily.

Each module has ``OPTIONS`` (the run options it takes beyond the common ones),
``check(spec)`` (raises SpecError for a space it cannot search) and ``plan(request) -> SearchPlan``.
Adding a searcher is one module and one line here.
Options a searcher does not take are rejected, never silently dropped.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tune_jobs.jobs.objective import Objective
from tune_jobs.space.spec import Spec, SpecError

SEARCHERS = {
    "grid": "tune_jobs.searchers.grid",
    "random": "tune_jobs.searchers.random",
    "optuna": "tune_jobs.searchers.optuna_tpe",
}
DEFAULT_NUM_SAMPLES = 20  # for searchers that sample; the grid runs every configuration once


@dataclass(frozen=True)
class SearchRequest:
    """What a searcher may use to make its plan."""

    spec: Spec
    objective: Objective
    seed: int
    workers: int
    run_dir: Path
    num_samples: int | None = None
    optuna_storage: str | None = None


@dataclass(frozen=True)
class SearchPlan:
    """What the runner hands to Ray Tune: the space, the search algorithm, how many trials."""

    param_space: dict[str, Any]
    total: int  # trials the sweep will run
    search_alg: Any = None  # None: Ray's BasicVariantGenerator
    num_samples: int = 1


def get_searcher(name: str):
    """The searcher module called ``name``."""
    check_name(name)
    return importlib.import_module(SEARCHERS[name])


def check_name(name: str) -> None:
    if name not in SEARCHERS:
        raise SpecError(f"--searcher: unknown searcher {name!r} (valid: {', '.join(SEARCHERS)})")


def check_options(name: str, given: dict[str, Any]) -> None:
    """Reject options that ``name`` does not take, listing those it does."""
    accepted = get_searcher(name).OPTIONS
    for option, value in given.items():
        if value is not None and option not in accepted:
            valid = ", ".join(f"--{o.replace('_', '-')}" for o in accepted) or "none"
            raise SpecError(f"--{option.replace('_', '-')} {value}: does not apply to searcher {name!r} "
                            f"(its options: {valid})")
