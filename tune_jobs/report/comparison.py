"""The comparison's tables and warnings, from loaded runs: plain rows, no rendering.

Runs are grouped by searcher (``optuna+asha``, ...); the seeds of a stochastic searcher are the
runs of its group. The reference is the grid's best mean CV score (the best of any run when
no grid ran), and every searcher is asked how much compute it spent before its best so far
came within the objective's tolerance of it. Every run of a report has one job and objective
(``records.runs`` refuses others), so the first run's objective is the report's.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Sequence

from tune_jobs.jobs.objective import Objective
from tune_jobs.records import machine
from tune_jobs.records.results import best_row, column_of, number, score, summarize
from tune_jobs.records.runs import Run
from tune_jobs.report import anytime
from tune_jobs.report.importance import varied
from tune_jobs.space.domains import Choice, IntRange, Uniform

FAILED_WARN = 0.1  # a larger fraction of failed trials is worth a warning
EDGE = 0.05  # a continuous best value this close (as a fraction of its range) to an end is "on the boundary"


@dataclass(frozen=True)
class Group:
    label: str
    runs: list[Run]


@dataclass(frozen=True)
class Reference:
    score: float
    source: str  # which run's best it is
    grid_compute: int | None  # epochs x folds of the grid run, the default budget
    objective: Objective

    @property
    def target(self) -> float:
        return self.objective.target(self.score)


def groups(runs: Sequence[Run]) -> list[Group]:
    labels = list(dict.fromkeys(run.label for run in runs))
    return [Group(label, [r for r in runs if r.label == label]) for label in labels]


def reference(runs: Sequence[Run]) -> Reference:
    objective = runs[0].objective
    grids = [r for r in runs if r.settings.searcher == "grid" and best_of(r) is not None]
    pool = grids or [r for r in runs if best_of(r) is not None]
    if not pool:
        return Reference(math.nan, "no run scored a trial", None, objective)
    best = max(pool, key=lambda r: objective.rank_key(best_of(r)))
    kind = "the grid's best" if grids else "the best of all runs (no grid run)"
    compute = summarize(best.rows, best.settings.cv, best.spec, objective)["epochs_total"] if grids else None
    return Reference(best_of(best), f"{kind}: {best.path.name}", compute, objective)


def best_of(run: Run) -> float | None:
    row = best_row(run.rows, run.objective)
    return score(row, run.objective) if row else None


def run_table(runs: Sequence[Run], ref: Reference) -> list[dict[str, Any]]:
    """One row per run."""
    table = []
    for run in runs:
        counts = summarize(run.rows, run.settings.cv, run.spec, ref.objective)
        points = anytime.curve(run.rows, run.settings.cv, ref.objective)
        cpus = run.summary.get("cpus_per_trial")
        table.append({
            "searcher": run.label, "run": run.path.name, "search_seed": run.search_seed,
            "partial": run.partial, "trials": counts["n_trials"],
            "completed": counts["n_trials"] - counts["n_stopped"] - counts["n_failed"],
            "stopped": counts["n_stopped"], "failed": counts["n_failed"],
            "distinct_configs": counts["n_distinct_configs"],
            "best_cv_score": counts["best_score"], "best_cv_score_fold_std": counts["best_score_std"],
            "best_config": best_config(run),
            "test_score": run.summary.get("test_score"),
            "epochs_x_folds": counts["epochs_total"],
            "cpu_s": round(counts["trial_time_s"] * cpus, 1) if cpus else None,
            "wall_s": run.summary.get("wall_s"),
            "cpu": " / ".join(cpu_labels(run)) or None,
            "epochs_x_folds_to_reach": anytime.compute_to_reach(points, ref.target, ref.objective),
            "seconds_to_reach": anytime.time_to_reach(points, ref.target, ref.objective),
        })
    return table


def summary_table(per_run: Sequence[dict[str, Any]], ref: Reference) -> list[dict[str, Any]]:
    """One row per searcher, from :func:`run_table`'s rows: seeds pooled (best score as mean and
    spread, reach as median)."""
    table = []
    for label in dict.fromkeys(r["searcher"] for r in per_run):
        rows = [r for r in per_run if r["searcher"] == label]
        bests = [r["best_cv_score"] for r in rows if r["best_cv_score"] is not None]
        tests = [r["test_score"] for r in rows if r["test_score"] is not None]
        top = max(rows, key=lambda r: -math.inf if r["best_cv_score"] is None
                  else ref.objective.rank_key(r["best_cv_score"]))
        reach = anytime.median_reached([r["epochs_x_folds_to_reach"] for r in rows])
        table.append({
            "searcher": label, "runs": len(rows),
            "seeds": " ".join(str(r["search_seed"]) for r in rows),
            "partial_runs": sum(r["partial"] for r in rows),
            "distinct_configs": _mean([r["distinct_configs"] for r in rows]),
            "completed": sum(r["completed"] for r in rows), "stopped": sum(r["stopped"] for r in rows),
            "failed": sum(r["failed"] for r in rows),
            "best_cv_score_mean": _mean(bests), "best_cv_score_spread": _spread(bests),
            "best_config": top["best_config"], "test_score_mean": _mean(tests),
            "epochs_x_folds": _mean([r["epochs_x_folds"] for r in rows]),
            "cpu_s": _mean([r["cpu_s"] for r in rows if r["cpu_s"] is not None]),
            "wall_s": _mean([r["wall_s"] for r in rows if r["wall_s"] is not None]),
            "reached": sum(r["epochs_x_folds_to_reach"] is not None for r in rows),
            "median_epochs_x_folds_to_reach": reach,
            "reach_vs_grid": reach / ref.grid_compute if reach is not None and ref.grid_compute else None,
        })
    return table


def cpu_labels(run: Run) -> list[str]:
    """The CPUs the run's sessions ran on, one label each (none for runs made before tune-jobs
    recorded them)."""
    return list(dict.fromkeys(machine.label(m) for m in run.summary.get("machines", [])))


def machine_warnings(runs: Sequence[Run]) -> list[str]:
    """Runs, or sessions of one run, on different CPUs: their seconds do not compare."""
    labels = {run.path: cpu_labels(run) for run in runs}
    found = [f"MIXED CPUS: the sessions of {run.path.name} ({run.label}) ran on different CPUs "
             f"({'; '.join(labels[run.path])}): its wall and CPU seconds mix their speeds"
             for run in runs if len(labels[run.path]) > 1]
    by_cpu: dict[str, list[str]] = {}
    for run in runs:
        for cpu in labels[run.path]:
            by_cpu.setdefault(cpu, []).append(run.path.name)
    if len(by_cpu) > 1:
        found.append("DIFFERENT CPUS: compare wall and CPU seconds only between runs on the same CPU ("
                     + "; ".join(f"{cpu}: {', '.join(names)}" for cpu, names in by_cpu.items()) + ")")
    return found


def best_config(run: Run) -> str:
    """The varied hyperparameters of the run's best trial, as ``name=value`` pairs."""
    row = best_row(run.rows, run.objective)
    if row is None:
        return ""
    names = [*varied(run.spec.params), *run.spec.layer_params]
    return ", ".join(f"{n}={_short(run, n, row[column_of(n)])}" for n in names if row.get(column_of(n), "") != "")


def _short(run: Run, name: str, text: str) -> str:
    """A sampled float to 4 significant digits (0.2395, not 0.23948883481276334)."""
    value = run.spec.parse(name, text)
    return f"{value:.4g}" if isinstance(value, float) else text


def warnings(runs: Sequence[Run], groups_: Sequence[Group], ref: Reference) -> list[str]:
    """What a careful reader should know before trusting the tables."""
    found = []
    spaces = {(r.spec.name, r.spec.max_epochs) for r in runs}
    if len(spaces) > 1:
        found.append("NOT LIKE FOR LIKE: the runs searched different spaces or epochs ("
                     + "; ".join(f"{name}, {epochs} epochs" for name, epochs in sorted(spaces))
                     + "): compare them by compute (epochs x folds), not by trial counts")
    for run in runs:
        if run.partial:
            found.append(f"PARTIAL: {run.path.name} ({run.label}) did not finish: "
                         f"{len(run.rows)} trials of {run.summary.get('n_planned', '?')} planned")
        failed = sum(r["status"] == "failed" for r in run.rows)
        if failed and failed / len(run.rows) > FAILED_WARN:
            found.append(f"FAILED TRIALS: {failed} of {len(run.rows)} trials of {run.path.name} ({run.label}) failed; "
                         f"see the error column of its trials.csv")
    for group in groups_:
        found.extend(boundary_warnings(group))
        if len(group.runs) == 1 and group.runs[0].settings.searcher != "grid":
            found.append(f"ONE SEED: {group.label} ran once; its result has no spread over seeds")
    found.extend(tie_warnings(runs))
    found.extend(machine_warnings(runs))
    if math.isnan(ref.score):
        found.append("NO REFERENCE: no run scored a trial")
    return found


def boundary_warnings(group: Group) -> list[str]:
    """The best value on the edge of the space: the optimum may lie beyond what was searched."""
    objective = group.runs[0].objective
    run = max(group.runs, key=lambda r: -math.inf if best_of(r) is None else objective.rank_key(best_of(r)))
    row = best_row(run.rows, objective)
    if row is None:
        return []
    found = []
    for name, domain in {**varied(run.spec.params), **run.spec.layer_params}.items():
        text = row.get(column_of(name), "")
        if text == "" or not domain.numeric:
            continue
        edge = _edge(run.spec.parse(name, text), domain)
        if edge:
            found.append(f"BOUNDARY: {group.label}'s best {name}={text} is the {edge} value of the space; "
                         f"the optimum may lie beyond it")
    return found


def _edge(value: float, domain) -> str | None:
    if isinstance(domain, Choice):
        ordered = sorted(domain.values)
        return "lowest" if value == ordered[0] else "highest" if value == ordered[-1] else None
    assert isinstance(domain, (Uniform, IntRange))
    low, high = (math.log(domain.low), math.log(domain.high)) if domain.log else (domain.low, domain.high)
    where = ((math.log(value) if domain.log else value) - low) / (high - low)
    return "lowest" if where <= EDGE else "highest" if where >= 1 - EDGE else None


def tie_warnings(runs: Sequence[Run]) -> list[str]:
    """How many grid configurations lie within one fold standard deviation of the best."""
    found = []
    for run in runs:
        if run.settings.searcher != "grid":
            continue
        objective = run.objective
        best = best_row(run.rows, objective)
        spread = number(best.get(objective.std_key)) if best else None
        if not spread:
            continue
        top = score(best, objective)
        close = sum(1 for r in run.rows if score(r, objective) is not None
                    and abs(score(r, objective) - top) <= spread)
        if close > 1:
            found.append(f"NOISE: {close} configurations of {run.path.name} lie within one fold standard deviation "
                         f"({spread:.4f}) of the best; their order among themselves is not meaningful")
    return found


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _spread(values: Sequence[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None
