"""Seeded random sampling from the grid's values (Ray's BasicVariantGenerator)."""

from __future__ import annotations

from tune_jobs.searchers import DEFAULT_NUM_SAMPLES, SearchPlan, SearchRequest

OPTIONS = ("num_samples",)


def plan(request: SearchRequest) -> SearchPlan:
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    spec = request.spec
    n = request.num_samples or DEFAULT_NUM_SAMPLES
    space = {name: tune.choice(list(values)) for name, values in spec.grid.items()}
    return SearchPlan(param_space={**spec.fixed, **space}, total=n,
                      search_alg=BasicVariantGenerator(random_state=request.seed), num_samples=n)
