"""``trials.csv`` and ``summary.json``: one row per configuration, and what the sweep found.

Rows are built from Ray Tune's Trial objects by a Tune callback (``callbacks.TrialsRecorder``),
so the table is rewritten (atomically) each time a trial ends and survives a killed driver.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol

from tune_jobs import rundir
from tune_jobs.budget import used_by
from tune_jobs.hyperparameters import is_active, parse_text

# elapsed_s: when the trial ended, in seconds of the sweep's running time (see callbacks.TrialsRecorder)
METRIC_COLUMNS = ["cv_accuracy", "cv_accuracy_std", "epochs", "time_s", "elapsed_s", "node", "error"]


class TrialLike(Protocol):
    """What a row needs of a ``ray.tune.experiment.Trial`` (fakes in the tests have it too)."""

    trial_id: str
    config: dict[str, Any]
    last_result: dict[str, Any]
    error_file: str | None


def column_of(param: str) -> str:
    """``epochs`` the hyperparameter is ``max_epochs``: the ``epochs`` column is epochs trained."""
    return "max_epochs" if param == "epochs" else param


def columns(params: Iterable[str]) -> list[str]:
    return ["trial_id", "status", *map(column_of, params), *METRIC_COLUMNS]


def trial_row(trial: TrialLike, params: Iterable[str], failed: bool, elapsed_s: float | None = None) -> dict[str, Any]:
    """The row of a finished trial (``failed``: it ended with an error; ``elapsed_s``: when)."""
    result = trial.last_result or {}
    epochs = int(result.get("epoch", 0))
    row: dict[str, Any] = {"trial_id": trial.trial_id}
    row.update({column_of(p): trial.config.get(p) if is_active(p, trial.config) else None for p in params})
    row.update(epochs=epochs, time_s=round(result.get("time_total_s", 0.0), 2),
               elapsed_s=None if elapsed_s is None else round(elapsed_s, 1), node=result.get("node", ""), error="")
    if failed:
        row.update(status="failed", error=error_message(trial.error_file))
    else:
        row["status"] = "ok" if epochs >= trial.config["epochs"] else "stopped"
        row.update(cv_accuracy=result.get("cv_accuracy"), cv_accuracy_std=result.get("cv_accuracy_std"))
    return row


def error_message(error_file: str | None) -> str:
    """The last line of a trial's traceback (``ValueError: ...``): what a table can hold."""
    try:
        lines = [ln.strip() for ln in Path(error_file or "").read_text().splitlines() if ln.strip()]
    except OSError:
        return "trial failed (no error file)"
    return lines[-1][:500] if lines else "trial failed"


def write_trials(path: Path, finished: Iterable[tuple[TrialLike, bool, float | None]],
                 params: list[str]) -> list[dict[str, Any]]:
    """Write the rows of ``(trial, failed, elapsed_s)`` in the order given: the order trials ended
    (a searcher's trial ids are random, so they cannot order the table)."""
    rows = [trial_row(t, params, failed, elapsed) for t, failed, elapsed in finished]
    rundir.write_csv(path, rows, columns(params))
    return rows


def read_trials(path: Path) -> list[dict[str, str]]:
    return rundir.read_csv(path) if path.exists() else []


def best_row(rows: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The row with the highest mean CV accuracy among trials that were not failed."""
    scored = [r for r in rows if r["status"] != "failed" and number(r["cv_accuracy"]) is not None]
    return max(scored, key=lambda r: number(r["cv_accuracy"]), default=None)


def config_of(row: Mapping[str, str], params: Iterable[str], fixed: Mapping[str, Any]) -> dict[str, Any]:
    """The full configuration of a row read back from ``trials.csv``."""
    given = {p: row[column_of(p)] for p in params if row[column_of(p)] not in (None, "")}
    return {**fixed, **{p: parse_text(p, str(value)) for p, value in given.items()}}


def summarize(rows: list[Mapping[str, Any]], cv: int, params: Iterable[str]) -> dict[str, Any]:
    """Counts and compute of a sweep; ``epochs_total`` is epochs x folds summed over trials.

    Searchers compare at equal compute, not equal trial counts: ASHA stops trials early and a
    sampler may suggest one configuration twice (``n_distinct_configs``).
    """
    best = best_row(rows)
    columns = [column_of(p) for p in params]
    return {
        "best_cv_accuracy": number(best["cv_accuracy"]) if best else None,
        "best_cv_accuracy_std": number(best["cv_accuracy_std"]) if best else None,
        "best_trial_id": best["trial_id"] if best else None,
        "n_trials": len(rows),
        "n_distinct_configs": len({tuple(str(r[c]) for c in columns) for r in rows}),
        "n_failed": sum(r["status"] == "failed" for r in rows),
        "n_stopped": sum(r["status"] == "stopped" for r in rows),
        "epochs_total": used_by(rows, cv),
        "trial_time_s": round(sum(float(r["time_s"] or 0) for r in rows), 1),
    }


def number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
