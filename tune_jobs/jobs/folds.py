"""Cross-validation splits: a subset for quick runs and seeded k folds, stratified or plain.

Seeded so that every trial of a sweep sees the same folds, as GridSearchCV's ``cv=3`` does,
and a configuration's score differs from another's only by the configuration. Class labels
get stratified folds (scikit-learn's default for classifiers); anything else plain shuffled
k-fold (its default for regressors).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Splits = list[tuple[np.ndarray, np.ndarray]]


def stratified_subset(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of ``n`` samples with the class balance of ``y`` (all of them when n is None)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(keep)


def random_subset(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of ``n`` samples drawn without replacement (all of them when n is None)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    return np.sort(np.random.default_rng(seed).choice(len(y), size=n, replace=False))


def fold_indices(y: np.ndarray, k: int, seed: int) -> Splits:
    """``k`` stratified (train, validation) index pairs; every sample validates exactly once."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(y)), y))


def kfold_indices(y: np.ndarray, k: int, seed: int) -> Splits:
    """``k`` shuffled (train, validation) index pairs, for targets that are not classes."""
    from sklearn.model_selection import KFold

    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y))))


# name -> (folds, subset): a job says which of these its labels need.
SPLITTERS: dict[str, tuple[Callable[[np.ndarray, int, int], Splits], Callable]] = {
    "stratified": (fold_indices, stratified_subset),
    "kfold": (kfold_indices, random_subset),
}


def too_small(y: np.ndarray, k: int, kind: str) -> str | None:
    """Why ``k`` folds cannot be made of ``y``, or None."""
    if len(y) < k:
        return f"{len(y)} training samples cannot make {k} folds"
    if kind == "stratified":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < k:
            return (f"the rarest class has {counts.min()} training samples, fewer than the {k} folds asked for "
                    f"(stratified folds need at least one of each class per fold)")
    return None
