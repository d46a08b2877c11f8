"""Budgets that end a sweep: compute in epochs x folds (searchers compare at equal compute, not
equal trial counts), and wall time (a sweep that must end by a deadline, as Ray Tune's
``time_budget_s`` or Optuna's ``timeout``).

Every report of the trainable says how many epochs of every fold it has trained, so compute is
counted in results (``callbacks.BudgetStopper``); time on the sweep's own clock, the trials'
``elapsed_s`` (``callbacks.TimeBudgetStopper``). When a budget is spent, Ray Tune ends the sweep;
trials still running then are cut and recorded as ``stopped`` with the epochs they reported. A
trial that reports every epoch loses nothing; under ASHA a trial reports at its rungs only
(``runner.trial_reports``), so a sweep may end a few epochs past its compute budget (the epochs of
the report that crossed it) and a cut trial loses the epochs it trained since its last rung.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from tune_jobs.records import rundir


def trials_within(budget: int, cv: int, min_epochs: int) -> int:
    """The most trials a budget can pay for, when every trial trains at least ``min_epochs``."""
    return max(1, math.ceil(budget / (cv * min_epochs)))


# The budgets of the sweep running in this process (one at a time: see rundir.running_in), keyed
# by its trials table where it is now. The stoppers set them; the progress line reads the time
# left, and the runner and the recorder whether a budget, not Ctrl-C, ended the sweep: the
# stoppers' own decision, not a count of their own (the compute stopper's is the one that held).
_ends_at: dict[str, float] = {}  # monotonic time the budget ends
_ran_out: set[str] = set()
_spent: set[str] = set()


def _key(trials_path: Path | str) -> str:
    return str(rundir.located(trials_path))


def start_clock(trials_path: Path | str, seconds_left: float) -> None:
    _ends_at[_key(trials_path)] = time.monotonic() + seconds_left
    _ran_out.discard(_key(trials_path))


def time_left(trials_path: Path | str) -> float | None:
    """Seconds left of the sweep's time budget; None without one (or before it started)."""
    ends = _ends_at.get(_key(trials_path))
    return None if ends is None else max(0.0, ends - time.monotonic())


def mark_out_of_time(trials_path: Path | str) -> None:
    _ran_out.add(_key(trials_path))


def ran_out_of_time(trials_path: Path | str) -> bool:
    """Whether the time budget ended this session's sweep (not an interruption before it)."""
    return _key(trials_path) in _ran_out


def mark_spent(trials_path: Path | str) -> None:
    _spent.add(_key(trials_path))


def spent(trials_path: Path | str) -> bool:
    """Whether the compute budget ended this session's sweep."""
    return _key(trials_path) in _spent


def forget_clock(trials_path: Path | str) -> None:
    """After a session: a resume in the same process starts its own clock, and nothing is kept."""
    _ends_at.pop(_key(trials_path), None)
    _ran_out.discard(_key(trials_path))
    _spent.discard(_key(trials_path))
