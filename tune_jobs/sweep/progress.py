"""The live view of a sweep: one line of done / running / pending / failed, best, elapsed, ETA.

On a terminal the line is redrawn in place; elsewhere (CI, a log file) a line is printed
only when a trial ends, so a 144-trial sweep writes 144 short lines, not Ray's tables.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from tune_jobs.jobs.objective import SEED_OBJECTIVE, Objective

# Where the view is drawn. The runner points this at the real terminal while Ray's own
# output goes to the run directory; callbacks look it up at call time, as they are pickled
# into Ray's experiment state and unpickled on --resume.
console: TextIO = sys.stdout


@dataclass(frozen=True)
class Counts:
    total: int
    done: int = 0  # finished without error (completed or stopped early)
    running: int = 0
    failed: int = 0
    best: float | None = None
    used: int = 0  # epochs x folds trained so far
    partial: float = 0.0  # running trials' share of their epochs trained: a trial half done counts 0.5
    budget: int | None = None  # a sweep with a compute budget shows it instead of pending trials

    @property
    def pending(self) -> int:
        return max(0, self.total - self.done - self.running - self.failed)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def progress(self) -> float:
        """Trials' worth of work done, running trials counted by their epochs: the ETA's measure,
        so that the first estimate, made while every worker is mid-trial, is not off by a factor
        of the number of workers."""
        return self.finished + self.partial


def eta_s(elapsed_s: float, done_here: float, remaining: float) -> float | None:
    """Seconds left at the pace of this session (None before any work is done here)."""
    if remaining <= 0:
        return 0.0
    if done_here <= 0:
        return None
    return elapsed_s / done_here * remaining


def format_line(counts: Counts, elapsed_s: float, eta: float | None, objective: Objective = SEED_OBJECTIVE) -> str:
    best = objective.format(counts.best)
    if counts.budget:  # a budgeted sweep's trial count is not known in advance
        head = (f"trials {counts.finished} done {counts.done} running {counts.running} failed {counts.failed} "
                f"| compute {counts.used}/{counts.budget} epochs x folds ({counts.used / counts.budget:.0%})")
    else:
        head = (f"trials {counts.finished}/{counts.total} done {counts.done} running {counts.running} "
                f"pending {counts.pending} failed {counts.failed}")
    return f"{head} | best {objective.key} {best} | elapsed {clock(elapsed_s)} eta {clock(eta)}"


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
