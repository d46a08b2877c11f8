"""Hand-made run directories with known trial tables, for the report's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tune_jobs.jobs.objective import SEED_OBJECTIVE, Objective
from tune_jobs.records import rundir
from tune_jobs.records.results import columns
from tune_jobs.settings import RunSettings

GRID = """name: tiny
grid:
  activation: [relu, swish]
  lr: [0.001, 0.01, 0.1]
  epochs: [3]
"""
PARAMS = ["activation", "lr", "epochs"]


def trial(trial_id: str, activation: str, lr: float, acc: float | None, epochs: int = 3, status: str = "ok",
          elapsed: float | None = None) -> dict[str, Any]:
    return {"trial_id": trial_id, "status": status, "activation": activation, "lr": lr, "max_epochs": 3,
            "cv_accuracy": acc, "cv_accuracy_std": 0.002 if acc is not None else None, "epochs": epochs,
            "time_s": 2.0 * epochs, "elapsed_s": elapsed, "node": "host:1",
            "error": "boom" if status == "failed" else ""}


def make_run(folder: Path, name: str, rows: list[dict], searcher: str = "grid", scheduler: str = "none",
             search_seed: int = 0, finished: bool = True, space: str = GRID, objective: Objective | None = None,
             job: str = "linear", **summary: Any) -> Path:
    """A run directory as tune-jobs writes it; without ``objective``, as it wrote them before jobs
    existed (no job, no objective, accuracy keys), like the runs published under docs/."""
    run_dir = folder / name
    run_dir.mkdir(parents=True)
    settings = RunSettings(space="tiny.yaml", workers=2, searcher=searcher, scheduler=scheduler,
                           search_seed=search_seed, refit=False)
    rundir.write_json(run_dir / rundir.SETTINGS, settings.to_json())
    rundir.write_text(run_dir / rundir.SPACE, space)
    common = {"finished": finished, "n_planned": 6, "cv": 3, "seed": 0, "n_train": 600, "wall_s": 100.0,
              "cpus_per_trial": 1.0}
    if objective is None:
        rundir.write_csv(run_dir / rundir.TRIALS, rows, columns(PARAMS, SEED_OBJECTIVE))
        rundir.write_json(run_dir / rundir.SUMMARY, {**common, "test_accuracy": None, **summary})
        return run_dir
    renamed = [{(objective.key if k == "cv_accuracy" else objective.std_key if k == "cv_accuracy_std" else k): v
                for k, v in row.items()} for row in rows]
    rundir.write_csv(run_dir / rundir.TRIALS, renamed, columns(PARAMS, objective))
    rundir.write_json(run_dir / rundir.SUMMARY, {**common, "test_score": None, "job": job,
                                                 "objective": objective.to_json(), **summary})
    return run_dir


def grid_rows() -> list[dict]:
    """The whole tiny grid; swish + lr 0.01 is best (0.85); compute per trial: 3 epochs x 3 folds = 9."""
    scores = {("relu", 0.001): 0.70, ("relu", 0.01): 0.78, ("relu", 0.1): 0.60,
              ("swish", 0.001): 0.72, ("swish", 0.01): 0.85, ("swish", 0.1): 0.61}
    return [trial(f"g{i}", a, lr, acc, elapsed=10.0 * (i + 1)) for i, ((a, lr), acc) in enumerate(scores.items())]
