"""``cv_results_`` from a run's ``trials.csv``, with scikit-learn's keys and meanings.

    params, param_<name>, split<k>_test_score, mean_test_score, std_test_score, rank_test_score,
    mean_fit_time, std_fit_time, mean_score_time, std_score_time

A failed candidate scores ``error_score`` in every split, as in scikit-learn; ranks follow
scikit-learn's rule (ties share the lowest rank, NaN ranks last).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from tune_jobs.records.results import per_fold


def cv_results(candidates: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any] | None],
               n_splits: int, error_score: float) -> dict[str, Any]:
    """``candidates[i]`` is a candidate's params, ``rows[i]`` its trial's row (None: never ran)."""
    n = len(candidates)
    scores = np.full((n, n_splits), np.nan)
    fit_times, score_times = np.zeros((n, n_splits)), np.zeros((n, n_splits))
    for i, row in enumerate(rows):
        folds = per_fold(row, "fold_scores") if row and row["status"] != "failed" else None
        if folds is None or len(folds) != n_splits:
            scores[i] = error_score
            continue
        scores[i] = folds
        fit_times[i] = per_fold(row, "fold_fit_s") or 0.0
        score_times[i] = per_fold(row, "fold_score_s") or 0.0
    results: dict[str, Any] = {
        "mean_fit_time": fit_times.mean(axis=1), "std_fit_time": fit_times.std(axis=1),
        "mean_score_time": score_times.mean(axis=1), "std_score_time": score_times.std(axis=1),
    }
    for name in sorted({name for params in candidates for name in params}):
        column = np.ma.MaskedArray(np.empty(n, dtype=object), mask=True)
        for i, params in enumerate(candidates):
            if name in params:
                column[i] = params[name]
        results[f"param_{name}"] = column
    results["params"] = [dict(params) for params in candidates]
    for k in range(n_splits):
        results[f"split{k}_test_score"] = scores[:, k]
    results["mean_test_score"] = scores.mean(axis=1)
    results["std_test_score"] = scores.std(axis=1)
    results["rank_test_score"] = ranks(results["mean_test_score"])
    return results


def ranks(means: np.ndarray) -> np.ndarray:
    """scikit-learn's ranking of mean scores: 1 is best, ties share the lowest rank, NaN last."""
    from scipy.stats import rankdata

    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return np.asarray(rankdata(-filled, method="min"), dtype=np.int32)
