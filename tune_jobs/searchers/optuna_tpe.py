"""Optuna's TPE sampler through Ray Tune's OptunaSearch, in a persistent study, seeded.

Ray limits it to ``--workers`` trials at a time (TuneConfig.max_concurrent_trials), so TPE
learns from finished trials as it goes.

The study lives in ``optuna.journal`` in the run directory (Optuna's journal file storage,
which Optuna recommends over SQLite for files written by more than one process), or in the
database given with ``--optuna-storage``, so ``optuna-dashboard`` opens it and ``--resume``
continues it. Ray's OptunaSearch refuses grid domains, so the grid's values become Optuna
categorical distributions: TPE picks from exactly the grid's values.
"""

from __future__ import annotations

from tune_jobs.searchers import DEFAULT_NUM_SAMPLES, SearchPlan, SearchRequest

OPTIONS = ("num_samples", "optuna_storage")
JOURNAL = "optuna.journal"


def plan(request: SearchRequest) -> SearchPlan:
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    spec = request.spec
    n = request.num_samples or DEFAULT_NUM_SAMPLES
    varied = {name: values for name, values in spec.grid.items() if len(values) > 1}
    constant = {name: values[0] for name, values in spec.grid.items() if len(values) == 1}
    searcher = OptunaSearch(
        space={name: optuna.distributions.CategoricalDistribution(list(v)) for name, v in varied.items()},
        metric="cv_accuracy", mode="max",
        sampler=optuna.samplers.TPESampler(seed=request.seed),
        study_name=spec.name, storage=storage(request),
    )
    return SearchPlan(param_space={**spec.fixed, **constant}, total=n,
                      search_alg=searcher, num_samples=n)  # TuneConfig's max_concurrent_trials limits it


def storage(request: SearchRequest):
    """The study's storage: a database URL if given, else a journal file in the run directory."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    if request.optuna_storage:
        return optuna.storages.RDBStorage(request.optuna_storage)
    return JournalStorage(JournalFileBackend(str(request.run_dir / JOURNAL)))
