"""Cross-validation splits: a subset for quick runs and seeded k folds, stratified or plain.

Seeded so that every trial of a sweep sees the same folds, as GridSearchCV's ``cv=3`` does,
and a configuration's score differs from another's only by the configuration. Class labels
get stratified folds (scikit-learn's default for classifiers); anything else plain shuffled
k-fold (its default for regressors).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

Splits = list[tuple[np.ndarray, np.ndarray]]

# ``--cv 1``: no cross-validation but one held-out validation split of this share, as Keras'
# and KerasTuner's ``validation_split=0.2``: a third of 3-fold CV's compute per configuration.
HOLDOUT = 0.2


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
    """``k`` stratified (train, validation) index pairs; every sample validates exactly once
    (``k`` = 1: one stratified pair holding out HOLDOUT)."""
    from sklearn.model_selection import StratifiedKFold

    if k == 1:
        return holdout_indices(y, seed, stratify=True)

    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(y)), y))


def kfold_indices(y: np.ndarray, k: int, seed: int) -> Splits:
    """``k`` shuffled (train, validation) index pairs, for targets that are not classes
    (``k`` = 1: one shuffled pair holding out HOLDOUT)."""
    from sklearn.model_selection import KFold

    if k == 1:
        return holdout_indices(y, seed, stratify=False)

    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y))))


def holdout_indices(y: np.ndarray, seed: int, stratify: bool) -> Splits:
    """One (train, validation) index pair, the validation part HOLDOUT of ``y``, each part sorted."""
    from sklearn.model_selection import train_test_split

    train, validation = train_test_split(np.arange(len(y)), test_size=HOLDOUT, random_state=seed,
                                         stratify=y if stratify else None)
    return [(np.sort(train), np.sort(validation))]


# name -> (folds, subset): a job says which of these its labels need.
SPLITTERS: dict[str, tuple[Callable[[np.ndarray, int, int], Splits], Callable]] = {
    "stratified": (fold_indices, stratified_subset),
    "kfold": (kfold_indices, random_subset),
}


def too_small(y: np.ndarray, k: int, kind: str) -> str | None:
    """Why ``k`` folds (``k`` = 1: a held-out split) cannot be made of ``y``, or None."""
    parts = max(k, 2)  # a held-out split has two parts, each with a sample (of each class)
    asked = f"the {k} folds asked for" if k > 1 else "the 2 a held-out split needs"
    if len(y) < parts:
        return f"{len(y)} training samples are fewer than {asked}"
    if kind == "stratified":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < parts:
            return (f"the rarest class has {counts.min()} training samples, fewer than {asked} "
                    f"(stratified folds need at least one of each class per fold)")
        held_out = math.ceil(HOLDOUT * len(y))  # as train_test_split rounds it
        if k == 1 and min(held_out, len(y) - held_out) < len(counts):
            return (f"a held-out {HOLDOUT:.0%} of {len(y)} training samples leaves {held_out} and "
                    f"{len(y) - held_out}, and a stratified split needs each of the {len(counts)} classes "
                    f"on both sides")
    return None
