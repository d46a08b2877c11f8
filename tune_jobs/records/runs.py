"""Finished run directories read back for a report: options, space, trials and summary.

A report must not mislead, so what cannot be compared is refused here, with the run and the
field named: a folder that is not a run, a run that did not finish (unless partial runs are
allowed, and then marked), a run without trials, runs trained on different data or folds,
runs of different jobs or objectives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from tune_jobs.errors import BadInput
from tune_jobs.jobs.hyperparameters import Hyperparameters
from tune_jobs.jobs.objective import Objective
from tune_jobs.records import rundir
from tune_jobs.records.results import read_trials
from tune_jobs.records.summary import objective_of, read_summary, upgrade
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import Spec, SpecError, parse_spec

# What must be equal for two runs' accuracies to be comparable: the same images, the same folds.
SAME_DATA = ("n_train", "cv", "seed")


class RunError(BadInput):
    """A run directory that cannot go into a report."""


@dataclass(frozen=True)
class Run:
    path: Path
    settings: RunSettings
    spec: Spec
    summary: dict[str, Any]
    rows: list[dict[str, str]]  # trials.csv, in the order trials ended
    partial: bool  # the sweep did not finish; included on request, and marked

    @property
    def objective(self) -> Objective:
        return objective_of(self.summary)

    @property
    def job(self) -> str:
        return self.summary["job"]

    @property
    def label(self) -> str:
        """The searcher as a report names it: ``optuna+asha``; the space too when it is not a grid."""
        name = self.settings.searcher + ("" if self.settings.scheduler == "none" else f"+{self.settings.scheduler}")
        return name if self.spec.is_grid else f"{name} ({self.spec.name})"

    @property
    def search_seed(self) -> int:
        return self.settings.searcher_seed


def spec_of(run_dir: Path, settings: RunSettings, hyperparameters: Hyperparameters | None = None) -> Spec:
    """The space exactly as the run used it (its copy of the file, the --epochs override), read
    with the job's ``hyperparameters`` to resume it, or as an open table to report on it."""
    try:
        text = (run_dir / rundir.SPACE).read_text()
    except OSError as exc:
        raise SpecError(f"{run_dir}: cannot read {rundir.SPACE} ({exc.strerror})") from None
    spec = parse_spec(text, Path(settings.space), hyperparameters)
    return spec.with_epochs(settings.epochs) if settings.epochs is not None else spec


def load_run(path: str | Path, allow_partial: bool = False) -> Run:
    run_dir = Path(path)
    if not (run_dir / rundir.SETTINGS).is_file():
        raise RunError(f"{run_dir}: not a run directory (no {rundir.SETTINGS})")
    stored = rundir.read_json(run_dir / rundir.SETTINGS)
    settings = RunSettings.from_json(stored)
    spec = spec_of(run_dir, settings)
    summary = read_summary(run_dir / rundir.SUMMARY)
    partial = not summary.get("finished", False)
    if partial and not allow_partial:
        state = "has no summary.json" if not summary else "is not finished (finished: false in summary.json)"
        raise RunError(f"{run_dir}: the run {state}; finish it with --resume, or pass --partial to include it")
    rows = read_trials(run_dir / rundir.TRIALS)
    if not rows:
        raise RunError(f"{run_dir}: the run has no trials in {rundir.TRIALS}")
    if not summary:  # a run killed before its first summary: what its settings and trials say
        summary = upgrade({"cv": settings.cv, "seed": settings.seed, "n_train": None, "wall_s": None,
                           "cpus_per_trial": None, "test_score": None, "job": settings.job,
                           "objective": stored.get("objective")})
    return Run(run_dir, settings, spec, summary, rows, partial)


def load_runs(paths: Sequence[str | Path], allow_partial: bool = False) -> list[Run]:
    """Every run, checked to be comparable with the first one."""
    if not paths:
        raise RunError("no run directories given")
    runs = [load_run(p, allow_partial) for p in paths]
    seen = {run.path.resolve() for run in runs}
    if len(seen) < len(runs):
        raise RunError("a run directory is given twice")
    first = runs[0]
    for run in runs[1:]:
        if (run.job, run.objective) != (first.job, first.objective):
            raise RunError(
                f"{run.path}: job {run.job} ({run.objective.label}, {run.objective.mode}) but {first.path} has job "
                f"{first.job} ({first.objective.label}, {first.objective.mode}): runs of different jobs or metrics "
                f"do not compare side by side")
        for field in SAME_DATA:
            mine, theirs = run.summary.get(field), first.summary.get(field)
            if mine is not None and theirs is not None and mine != theirs:
                raise RunError(
                    f"{run.path}: {field} is {mine!r} but {first.path} has {theirs!r}: the runs saw different "
                    f"data or folds, so their accuracies do not compare")
    return runs
