"""The live view of a sweep: one line of done / running / pending / failed, best, elapsed, ETA.

On a terminal the line is redrawn in place; elsewhere (CI, a log file) a line is printed
only after a trial ends (once its successor has started), so a 144-trial sweep writes at most
144 short lines, not Ray's tables.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from tune_jobs.jobs.objective import SEED_OBJECTIVE, Objective

# Where the view is drawn. The runner points this at the real terminal (or a notebook's cell)
# while Ray's own output goes to the run directory; callbacks look it up at call time, as they
# are pickled into Ray's experiment state and unpickled on --resume.
console: TextIO | None = None  # None: outside a sweep, whatever sys.stdout is now
REDRAW = "\r\033[K"  # a terminal's "back to the line's start, clear it": the line is redrawn in place


def say(text: str) -> None:
    """One line for the user, beside the progress line (not in Ray's log)."""
    stream = console or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), where a cell shows rich output."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    return shell is not None and "ZMQ" in type(shell).__name__


class NotebookLine:
    """The progress line in a notebook cell: one output updated in place (IPython's display ids)
    instead of a new line per trial; other lines (the run directory, the refit) print as they are."""

    def __init__(self) -> None:
        self._handle = None

    def isatty(self) -> bool:
        return True  # redraw in place, as on a terminal

    def write(self, text: str) -> None:
        from IPython.display import display

        if text.startswith(REDRAW):
            content = {"text/plain": text[len(REDRAW):]}
            if self._handle is None:
                self._handle = display(content, raw=True, display_id=True)
            else:
                self._handle.update(content, raw=True)
        elif text.strip():
            display({"text/plain": text.rstrip("\n")}, raw=True)

    def flush(self) -> None:
        pass


def live(terminal: TextIO) -> TextIO:
    """Where this process shows progress: a notebook's cell, or ``terminal``."""
    return NotebookLine() if in_notebook() else terminal


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
