"""``trials.csv``: one row per trial, with the job's metric as the objective names it.

Rows are built from Ray Tune's Trial objects by a Tune callback (``engine.callbacks.TrialsRecorder``),
so the table is rewritten (atomically) each time a trial ends and survives a killed driver.
The score columns are ``cv_<metric>`` and ``cv_<metric>_std`` (``cv_accuracy`` for the seed's job).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol

from tune_jobs.jobs.objective import Objective
from tune_jobs.records import rundir
from tune_jobs.space.spec import Spec

# What every trial reports, and asha-time counts: the seconds it has trained in its process, not
# Ray's ``time_total_s``, which also charges a trial for its actor's start and TensorFlow's import.
TRAINING_SECONDS = "train_time_s"
# elapsed_s: when the trial ended, in seconds of the sweep's running time (see callbacks.TrialsRecorder);
# fold_*: per fold, space-separated, its score and its seconds fitting / scoring (runs made before
# they existed have none).
RUN_COLUMNS = ["epochs", "time_s", "elapsed_s", "node", "error"]
# column -> result key
FOLD_COLUMNS = {"fold_scores": "folds", "fold_fit_s": "fold_fit_s", "fold_score_s": "fold_score_s"}


class TrialLike(Protocol):
    """What a row needs of a ``ray.tune.experiment.Trial`` (fakes in the tests have it too)."""

    trial_id: str
    config: dict[str, Any]
    last_result: dict[str, Any]
    error_file: str | None


def column_of(param: str) -> str:
    """``epochs`` the hyperparameter is ``max_epochs``: the ``epochs`` column is epochs trained."""
    return "max_epochs" if param == "epochs" else param


def columns(params: Iterable[str], objective: Objective) -> list[str]:
    return ["trial_id", "status", *map(column_of, params), objective.key, objective.std_key, *RUN_COLUMNS,
            *FOLD_COLUMNS]


def trial_row(trial: TrialLike, spec: Spec, objective: Objective, failed: bool,
              elapsed_s: float | None = None) -> dict[str, Any]:
    """The row of a finished trial (``failed``: it ended with an error; ``elapsed_s``: when)."""
    result = trial.last_result or {}
    epochs = int(result.get("epoch", 0))
    row: dict[str, Any] = {"trial_id": trial.trial_id}
    row.update({column_of(p): trial.config.get(p) if spec.is_active(p, trial.config) else None for p in spec.columns})
    row.update(epochs=epochs, time_s=round(result.get("time_total_s", 0.0), 2),
               elapsed_s=None if elapsed_s is None else round(elapsed_s, 1), node=result.get("node", ""), error="")
    if failed:
        row.update(status="failed", error=error_message(trial.error_file))
    else:
        row["status"] = "ok" if epochs >= trial.config["epochs"] else "stopped"
        row.update({objective.key: result.get(objective.key), objective.std_key: result.get(objective.std_key)})
        row.update({column: " ".join(f"{v:.6g}" for v in result[key]) for column, key in FOLD_COLUMNS.items()
                    if isinstance(result.get(key), list)})
    return row


# Marks a result a resumed trial reports from its row instead of training (``Recorded``).
FROM_RECORDS = "from_records"


@dataclass(frozen=True)
class Recorded:
    """A finished trial as its row records it: its configuration, and its result as the trial
    reported it (``trial_row`` read back), marked ``FROM_RECORDS``."""

    config: dict[str, Any]
    result: dict[str, Any]

    @classmethod
    def of(cls, row: Mapping[str, str], spec: Spec, objective: Objective) -> "Recorded | None":
        """None for a failed trial (``engine.retries`` raises its error again) and a row without a score."""
        if row["status"] == "failed" or number(row.get(objective.key)) is None:
            return None
        result = {objective.key: number(row[objective.key]), objective.std_key: number(row.get(objective.std_key)),
                  "epoch": int(number(row.get("epochs")) or 0), "node": row.get("node", ""), FROM_RECORDS: True}
        result.update({key: values for column, key in FOLD_COLUMNS.items() if (values := per_fold(row, column))})
        if "fold_fit_s" in result:  # ASHA over seconds reads it: the folds' seconds fitting and scoring
            result[TRAINING_SECONDS] = round(sum(result["fold_fit_s"]) + sum(result.get("fold_score_s", [])), 3)
        config = {p: v for p, v in config_of(row, spec).items() if p in spec.columns}
        return cls(config, {k: v for k, v in result.items() if v is not None})

    def is_of(self, config: Mapping[str, Any]) -> bool:
        """Whether a trial of ``config`` is this one (a trial id alone could be given again)."""
        return all(config.get(p) == value for p, value in self.config.items())


def per_fold(row: Mapping[str, Any], column: str) -> list[float] | None:
    """A ``fold_*`` column read back: one number per fold, None where the row has none."""
    text = row.get(column) or ""
    return [float(v) for v in text.split()] or None


def error_message(error_file: str | None) -> str:
    """The last line of a trial's traceback (``ValueError: ...``): what a table can hold."""
    try:
        lines = [ln.strip() for ln in Path(error_file or "").read_text().splitlines() if ln.strip()]
    except OSError:
        return "trial failed (no error file)"
    return lines[-1][:500] if lines else "trial failed"


def write_rows(path: Path, rows: list[Mapping[str, Any]], spec: Spec, objective: Objective) -> None:
    """Write ``rows`` (``trial_row``'s) in the order given: the order trials ended (a searcher's
    trial ids are random, so they cannot order the table)."""
    rundir.write_csv(path, rows, columns(spec.columns, objective))


def row_line(row: Mapping[str, Any], spec: Spec, objective: Objective) -> str:
    """A row as its line of ``trials.csv``, made once (see ``write_lines``)."""
    return rundir.csv_line(row, columns(spec.columns, objective))


def write_lines(path: Path, lines: Iterable[str], spec: Spec, objective: Objective) -> None:
    """``write_rows`` of rows already made into lines: a table of 5,000 trials rewritten every
    second costs a copy, not 5,000 rows formatted again."""
    rundir.write_csv_lines(path, lines, columns(spec.columns, objective))


def read_trials(path: Path) -> list[dict[str, str]]:
    return rundir.read_csv(path) if path.exists() else []


def score(row: Mapping[str, Any], objective: Objective) -> float | None:
    """A row's mean CV score; None for a failed trial."""
    return number(row.get(objective.key)) if row["status"] != "failed" else None


def best_row(rows: Iterable[Mapping[str, Any]], objective: Objective) -> Mapping[str, Any] | None:
    """The row with the best mean CV score (highest or lowest, as the objective says) among
    trials that did not fail."""
    scored = [r for r in rows if score(r, objective) is not None]
    return max(scored, key=lambda r: objective.rank_key(score(r, objective)), default=None)


def config_of(row: Mapping[str, str], spec: Spec) -> dict[str, Any]:
    """The full configuration of a row read back from ``trials.csv``."""
    given = {p: row[column_of(p)] for p in spec.columns if row.get(column_of(p)) not in (None, "")}
    return {**spec.fixed, **{p: spec.parse(p, str(value)) for p, value in given.items()}}


def summarize(rows: list[Mapping[str, Any]], cv: int, spec: Spec, objective: Objective) -> dict[str, Any]:
    """Counts and compute of a sweep; ``epochs_total`` is epochs x folds summed over trials.

    Searchers compare at equal compute, not equal trial counts: ASHA stops trials early and a
    sampler may suggest one configuration twice (``n_distinct_configs``).
    """
    best = best_row(rows, objective)
    names = [column_of(p) for p in spec.columns]
    return {
        "best_score": number(best[objective.key]) if best else None,
        "best_score_std": number(best.get(objective.std_key)) if best else None,
        "best_trial_id": best["trial_id"] if best else None,
        "n_trials": len(rows),
        "n_distinct_configs": len({tuple(str(r.get(c)) for c in names) for r in rows}),
        "n_failed": sum(r["status"] == "failed" for r in rows),
        "n_stopped": sum(r["status"] == "stopped" for r in rows),
        "epochs_total": used_by(rows, cv),
        "trial_time_s": round(sum(float(r["time_s"] or 0) for r in rows), 1),
    }


def elapsed_before(rows: Iterable[Mapping[str, Any]]) -> float:
    """The sweep time earlier sessions of a run used: the last ``elapsed_s`` recorded (0 for a new
    run); a resumed session's clock continues from there, so time spent interrupted is not counted."""
    return max((e for e in (number(row.get("elapsed_s")) for row in rows) if e is not None), default=0.0)


def number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def used_by(rows: list[dict], cv: int) -> int:
    """Epochs x folds the recorded trials trained (what a ``--budget`` counts)."""
    return sum(int(row["epochs"] or 0) for row in rows) * cv
