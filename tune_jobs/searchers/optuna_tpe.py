"""Optuna's TPE sampler through Ray Tune's OptunaSearch, in a persistent study, seeded.

Ray limits it to ``--workers`` trials at a time (TuneConfig.max_concurrent_trials), so TPE
learns from finished trials as it goes.

The study lives in ``optuna.journal`` in the run directory (Optuna's journal file storage,
which Optuna recommends over SQLite for files written by more than one process), or in the
database given with ``--optuna-storage``, so ``optuna-dashboard`` opens it and ``--resume``
continues it. Ray's OptunaSearch refuses grid domains, so the grid's values become Optuna
categorical distributions: TPE picks from exactly the grid's values. The space is given
define-by-run, so per-layer units exist only for the layers a trial has.
"""

from __future__ import annotations

import functools
from typing import Any

from tune_jobs.space.domains import suggest
from tune_jobs.searchers import DEFAULT_NUM_SAMPLES, SearchPlan, SearchRequest
from tune_jobs.records import rundir
from tune_jobs.space.spec import Spec

OPTIONS = ("num_samples", "optuna_storage")


def check(spec) -> None:
    """Every space can be sampled."""


def plan(request: SearchRequest) -> SearchPlan:
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    from tune_jobs.searchers.no_repeats import NoRepeats

    spec = request.spec
    n = request.num_samples or DEFAULT_NUM_SAMPLES
    searcher = OptunaSearch(
        space=functools.partial(define_by_run, spec=spec),
        metric=request.objective.key, mode=request.objective.mode,
        sampler=optuna.samplers.TPESampler(seed=request.seed),
        study_name=spec.name, storage=storage(request),
    )
    objective = request.objective
    no_repeats = NoRepeats(searcher, spec, objective.key, objective.mode, request.run_dir, request.seed)
    # TuneConfig's max_concurrent_trials limits the trials at a time
    return SearchPlan(param_space=spec.fixed, total=n, num_samples=n, search_alg=no_repeats)


def define_by_run(trial, spec: Spec) -> dict[str, Any]:
    """Suggest every varied hyperparameter; return the constant ones (Optuna stores only suggestions)."""
    constant = spec.constants
    for name, domain in spec.params.items():
        if name not in constant:
            suggest(trial, name, domain)
    layers = trial.params.get("layers", constant.get("layers", 1))
    for name, domain in spec.layer_params.items():
        if spec.is_active(name, {"layers": layers}):
            suggest(trial, name, domain)
    return dict(constant)


def storage(request: SearchRequest):
    """The study's storage: a database URL if given, else a journal file in the run directory."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    if request.optuna_storage:
        return optuna.storages.RDBStorage(request.optuna_storage)
    return JournalStorage(JournalFileBackend(str(request.run_dir / rundir.OPTUNA_JOURNAL)))


def journal_where_the_run_is(searcher) -> None:
    """A resumed OptunaSearch reads and writes the study's journal in the run directory as it is
    now, not where the run started (a moved or copied run directory)."""
    from optuna.storages.journal import JournalFileBackend

    storage = searcher._storage  # the study's too: unpickled together, one object
    backend = getattr(storage, "_backend", None)
    if isinstance(backend, JournalFileBackend):
        here = rundir.located(backend._file_path)
        if str(here) != backend._file_path:
            storage._backend = JournalFileBackend(str(here))
