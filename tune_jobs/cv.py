"""Cross-validation splits: a stratified subset for quick runs and stratified, seeded k folds.

Seeded so that every trial of a sweep sees the same folds, as GridSearchCV's ``cv=3`` does,
and a configuration's score differs from another's only by the configuration.
"""

from __future__ import annotations

import numpy as np


def stratified_subset(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of ``n`` samples with the class balance of ``y`` (all of them when n is None)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(keep)


def fold_indices(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, validation) index pairs; every sample validates exactly once."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(y)), y))
