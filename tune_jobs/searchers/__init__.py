"""Searchers: what configuration to try next. A registry of name -> module, imported lazily.

Each module has ``plan(spec, options) -> SearchPlan``. Adding a searcher is one module and
one line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

SEARCHERS = {
    "grid": "tune_jobs.searchers.grid",
}


@dataclass(frozen=True)
class SearchPlan:
    """What the runner hands to Ray Tune: the space, the search algorithm, how many trials."""

    param_space: dict[str, Any]
    total: int  # trials the sweep will run
    search_alg: Any = None  # None: Ray's BasicVariantGenerator (grid and plain sampling)
    num_samples: int = 1


def get_searcher(name: str):
    """The searcher module called ``name``; a ValueError lists the valid names."""
    if name not in SEARCHERS:
        raise ValueError(f"unknown searcher {name!r} (valid: {', '.join(SEARCHERS)})")
    return importlib.import_module(SEARCHERS[name])
