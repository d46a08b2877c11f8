"""Best-so-far score as a sweep spends compute: the curves and the "within X of the best" figure.

A point is a trial's end. Its compute is the epochs x folds of every trial that had ended by
then (failed and stopped ones included: they cost what they trained); its time is the
trial's ``elapsed_s``. Rows are taken in the order they ended, as ``trials.csv`` keeps them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from tune_jobs.jobs.objective import Objective
from tune_jobs.records.results import number, score


@dataclass(frozen=True)
class Point:
    compute: int  # epochs x folds spent when this trial ended
    elapsed_s: float | None
    best: float | None  # best mean CV score so far (None until a trial scored)


def curve(rows: Sequence[Mapping[str, str]], cv: int, objective: Objective) -> list[Point]:
    points, spent, best = [], 0, None
    for row in rows:
        spent += int(row["epochs"] or 0) * cv
        value = score(row, objective)
        if value is not None and (best is None or objective.better(value, best)):
            best = value
        points.append(Point(spent, number(row.get("elapsed_s")), best))
    return points


def compute_to_reach(points: Sequence[Point], target: float, objective: Objective) -> int | None:
    """Epochs x folds spent when the best so far first reached ``target``; None if it never did."""
    return next((p.compute for p in points if objective.reached(p.best, target)), None)


def time_to_reach(points: Sequence[Point], target: float, objective: Objective) -> float | None:
    return next((p.elapsed_s for p in points if objective.reached(p.best, target)), None)


def median_reached(values: Sequence[float | None]) -> float | None:
    """The median over seeds, a seed that never reached counting as infinitely late.

    None when more than half never reached: the median itself was not reached.
    """
    ordered = sorted(math.inf if v is None else v for v in values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return None if math.isinf(median) else median


def best_at(points: Sequence[Point], x: np.ndarray, axis: str) -> np.ndarray:
    """The step function best-so-far(x) of one run (NaN before its first score)."""
    xs = np.array([getattr(p, axis) if getattr(p, axis) is not None else np.nan for p in points], dtype=float)
    ys = np.array([np.nan if p.best is None else p.best for p in points], dtype=float)
    index = np.searchsorted(xs, x, side="right") - 1
    return np.where(index >= 0, ys[np.clip(index, 0, None)], np.nan)


def band(runs: Sequence[Sequence[Point]], axis: str, n: int = 200) -> dict[str, np.ndarray]:
    """Median, lowest and highest best-so-far over runs (seeds), on a common axis from 0.

    The axis ends where the shortest run ends, so that every seed is counted at every x.
    """
    ends = [max((getattr(p, axis) or 0) for p in points) for points in runs if points]
    x = np.linspace(0, min(ends), n) if ends else np.array([])
    if not ends:
        return {"x": x, "median": x, "low": x, "high": x}
    values = np.vstack([best_at(points, x, axis) for points in runs])
    with warnings.catch_warnings():  # an x before every run's first score: an all-NaN column
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"x": x, "median": np.nanmedian(values, axis=0), "low": np.nanmin(values, axis=0),
                "high": np.nanmax(values, axis=0)}
