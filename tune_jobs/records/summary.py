"""``summary.json``: what a sweep found. One writer (the runner) and this one reader.

Runs made before jobs existed (those under ``docs/`` and ``benchmarks/results/``) wrote
``best_cv_accuracy`` and ``test_accuracy`` and named no job: they were all the seed's MLP,
and are read back as ``fashion-mlp`` with its objective.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tune_jobs.jobs.objective import Objective
from tune_jobs.records import rundir

LEGACY_KEYS = {"best_cv_accuracy": "best_score", "best_cv_accuracy_std": "best_score_std",
               "test_accuracy": "test_score"}
LEGACY_JOB = "fashion-mlp"


def read_summary(path: Path) -> dict[str, Any]:
    """summary.json with today's keys, whatever version wrote it; {} when there is none."""
    if not path.is_file():
        return {}
    return upgrade(rundir.read_json(path))


def upgrade(summary: dict[str, Any]) -> dict[str, Any]:
    upgraded = {LEGACY_KEYS.get(key, key): value for key, value in summary.items()}
    upgraded.setdefault("job", LEGACY_JOB)
    upgraded["objective"] = Objective.from_json(summary.get("objective")).to_json()
    return upgraded


def objective_of(summary: dict[str, Any]) -> Objective:
    return Objective.from_json(summary.get("objective"))
