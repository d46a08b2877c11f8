"""Seeded random sampling of the space; a grid's values are choices.

Per-layer parameters are drawn only for the layers a configuration has. Wrapped in
``NoRepeats``: a configuration already trained in the run is answered from its records and
another drawn, so that a small space is sampled without repeats and ends when exhausted.
"""

from __future__ import annotations

from tune_jobs.searchers import DEFAULT_NUM_SAMPLES, SearchPlan, SearchRequest

OPTIONS = ("num_samples",)


def check(spec) -> None:
    """Every space can be sampled."""


def plan(request: SearchRequest) -> SearchPlan:
    from tune_jobs.searchers.no_repeats import NoRepeats
    from tune_jobs.searchers.random_sampler import RandomSampler

    spec = request.spec
    n = request.num_samples or DEFAULT_NUM_SAMPLES
    objective = request.objective
    sampler = RandomSampler(spec, request.seed, objective.key, objective.mode)
    return SearchPlan(param_space=spec.fixed, total=n, num_samples=n,
                      search_alg=NoRepeats(sampler, spec, objective.key, objective.mode, request.run_dir, request.seed))
