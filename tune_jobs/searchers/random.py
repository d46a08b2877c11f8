"""Seeded random sampling of the space (Ray's BasicVariantGenerator); a grid's values are choices.

Per-layer parameters are sampled for every possible layer and the unused ones ignored (by the
model and in ``trials.csv``): the same distribution as sampling them conditionally, and seeded.
"""

from __future__ import annotations

from tune_jobs.searchers import DEFAULT_NUM_SAMPLES, SearchPlan, SearchRequest

OPTIONS = ("num_samples",)


def check(spec) -> None:
    """Every space can be sampled."""


def plan(request: SearchRequest) -> SearchPlan:
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from tune_jobs.space.domains import ray_domain

    spec = request.spec
    n = request.num_samples or DEFAULT_NUM_SAMPLES
    space = {name: ray_domain(domain) for name, domain in {**spec.params, **spec.layer_params}.items()}
    return SearchPlan(param_space={**spec.fixed, **space}, total=n,
                      search_alg=BasicVariantGenerator(random_state=request.seed), num_samples=n)
