"""Every configuration of the grid exactly once, as GridSearchCV does."""

from __future__ import annotations

from tune_jobs.searchers import SearchPlan, SearchRequest
from tune_jobs.space.spec import Spec

OPTIONS: tuple[str, ...] = ()


def check(spec: Spec) -> None:
    spec.grid  # raises for a file with distributions: a grid needs lists of values


def plan(request: SearchRequest) -> SearchPlan:
    from ray import tune

    spec = request.spec
    space = {name: tune.grid_search(list(values)) for name, values in spec.grid.items()}
    return SearchPlan(param_space={**spec.fixed, **space}, total=spec.n_configs)
