"""A compute budget in epochs x folds: searchers compare at equal compute, not equal trial counts.

Every report of the trainable is one epoch of every fold, so a budget is counted in results
(``callbacks.BudgetStopper``). When the budget is spent, Ray Tune ends the sweep; trials still
running then are cut and recorded as ``stopped`` with the epochs they trained.
"""

from __future__ import annotations

import math


def used_by(rows: list[dict], cv: int) -> int:
    """Epochs x folds the recorded trials trained."""
    return sum(int(row["epochs"] or 0) for row in rows) * cv


def trials_within(budget: int, cv: int, min_epochs: int) -> int:
    """The most trials a budget can pay for, when every trial trains at least ``min_epochs``."""
    return max(1, math.ceil(budget / (cv * min_epochs)))


def trained_by(trials, cv: int) -> int:
    """Epochs x folds Ray's trials have trained so far, by their last results (running ones too)."""
    return sum(int(t.last_result.get("epoch", 0)) for t in trials if t.last_result) * cv
