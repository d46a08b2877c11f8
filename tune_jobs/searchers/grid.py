"""Every configuration of the grid exactly once, as GridSearchCV does."""

from __future__ import annotations

from tune_jobs.searchers import SearchPlan
from tune_jobs.spec import Spec


def plan(spec: Spec) -> SearchPlan:
    from ray import tune

    space = {name: tune.grid_search(list(values)) for name, values in spec.grid.items()}
    return SearchPlan(param_space={**spec.fixed, **space}, total=spec.n_configs)
