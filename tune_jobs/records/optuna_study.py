"""Every run's trials as an Optuna study, so that ``optuna-dashboard`` opens any run, not only
the Optuna searcher's:

    optuna-dashboard runs/fashion-grid-20261130-101500/optuna.journal

The optuna searcher keeps its own study there as it goes (searchers/optuna_tpe.py); for every
other searcher the study is written from ``trials.csv`` when the sweep ends (or is interrupted):
a finished trial is COMPLETE with its mean CV score, one stopped early PRUNED (its score as the
value at its last epoch), a failed one FAIL with its error.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

from tune_jobs.jobs.objective import Objective
from tune_jobs.records.results import config_of, number
from tune_jobs.records.rundir import OPTUNA_JOURNAL
from tune_jobs.space.domains import Choice, optuna_distribution
from tune_jobs.space.spec import Spec


def write_study(run_dir: Path, spec: Spec, objective: Objective, rows: Sequence[Mapping[str, Any]]) -> Path:
    """``optuna.journal`` of ``rows`` in ``run_dir``, replaced whole (atomically) each time."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path = run_dir / OPTUNA_JOURNAL
    draft = run_dir / f".{OPTUNA_JOURNAL}.tmp"
    draft.unlink(missing_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    journal = collected_journal()
    study = optuna.create_study(storage=JournalStorage(journal), study_name=spec.name,
                                direction="maximize" if objective.maximize else "minimize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([objective.key])
    distributions = {name: optuna_distribution(spec.domain(name)) for name in spec.columns if spec.domain(name)}
    study.add_trials([frozen_trial(row, spec, objective, distributions) for row in rows])
    JournalFileBackend(str(draft)).append_logs(journal.logs)  # one write (and fsync), not one per trial
    os.replace(draft, path)
    return path


def collected_journal():
    """An Optuna journal kept in memory until it is written whole (its ``logs``): Optuna's file
    backend locks, writes and fsyncs once per operation, which took over a minute for 5,000 trials.
    (Defined here so that importing this module does not import Optuna.)"""
    from optuna.storages.journal import BaseJournalBackend

    class CollectedJournal(BaseJournalBackend):
        def __init__(self) -> None:
            self.logs: list[dict[str, Any]] = []

        def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
            return self.logs[log_number_from:]

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            self.logs.extend(logs)

    return CollectedJournal()


def frozen_trial(row: Mapping[str, Any], spec: Spec, objective: Objective, distributions: Mapping[str, Any]):
    """A row as an Optuna trial; ``distributions``: each searched hyperparameter's, made once per study."""
    import optuna
    from optuna.trial import TrialState

    config = config_of(row, spec)
    params = {name: config[name] for name in spec.columns if config.get(name) is not None}
    distributions = {name: distributions.get(name) or optuna_distribution(Choice((value,)))
                     for name, value in params.items()}
    score = number(row.get(objective.key))
    epochs = int(number(row.get("epochs")) or 0)
    state = {"ok": TrialState.COMPLETE, "stopped": TrialState.PRUNED}.get(row["status"], TrialState.FAIL)
    if state == TrialState.COMPLETE and score is None:
        state = TrialState.FAIL
    attrs = {k: row[k] for k in ("trial_id", "epochs", "time_s", "error") if row.get(k) not in (None, "")}
    return optuna.trial.create_trial(
        params=params, distributions=distributions, user_attrs=attrs,
        value=score if state == TrialState.COMPLETE else None, state=state,
        intermediate_values={epochs: score} if score is not None and epochs else None)
