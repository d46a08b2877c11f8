"""Ray Tune callbacks of a sweep: the trials table on disk, the live progress line, the budget.

Both read the trials Ray passes in; the recorder also remembers which trials ended in this
session (Ray's status alone misleads after Ctrl-C), and both work unchanged on a resumed run.
"""

from __future__ import annotations

import time
from pathlib import Path

from ray import tune

from tune_jobs.jobs.objective import Objective
from tune_jobs.records import rundir
from tune_jobs.records.results import number, read_trials, trial_row, write_rows
from tune_jobs.space.spec import Spec
from tune_jobs.engine import progress
from tune_jobs.engine.budget import trained_by, used_by


class TrialsRecorder(tune.Callback):
    """Keeps ``trials.csv``: a row per trial, built once when it ends, the file rewritten (atomically)
    at most once a second, and when the sweep ends or stops. (A killed driver loses no more than Ray's
    own state snapshot, also taken every second; on resume the trials it ended are written again.)

    A trial counts as ended on Ray's complete / error events, or when it was already ended in
    the state a resumed run starts from. Status alone would mislead: on Ctrl-C, Ray marks the
    trials it interrupts TERMINATED in memory (they stay RUNNING in the saved state, and resume).

    ``elapsed_s`` counts the sweep's running time: a resumed session continues from the last
    trial that ended before the interruption, so the time a sweep sat stopped is not counted
    and wall-time curves of interrupted and uninterrupted runs compare.
    """

    WRITE_EVERY_S = 1.0

    def __init__(self, path: Path, spec: Spec, objective: Objective, budget: int | None = None, cv: int = 1):
        self.path = Path(path)
        self.spec = spec
        self.objective = objective
        self.budget = budget  # see on_experiment_end
        self.cv = cv
        self._rows: dict[str, dict] | None = None  # trial id -> its row, in table order (None: not started)
        self._clock: tuple[float, float] = (0.0, 0.0)  # (this session's start, elapsed_s at that start)
        self._unwritten = False
        self._written_at = float("-inf")

    def on_step_begin(self, iteration, trials, **info):
        self._start(trials)
        self._write(when_due=True)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._ended(trials, trial, failed=False)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._ended(trials, trial, failed=True)

    def on_experiment_end(self, trials, **info):
        """When the budget ran out (BudgetStopper), Ray cuts the running trials without an event:
        they ended, stopped early. (After Ctrl-C, with budget left, they are interrupted, not ended.)"""
        if self._rows is None:
            return
        if self.budget is not None and trained_by(trials, self.cv) >= self.budget:
            for trial in trials:
                trained = trial.last_result.get("epoch", 0) if trial.last_result else 0
                if trial.status == "TERMINATED" and trained and trial.trial_id not in self._rows:
                    self._ended(trials, trial, failed=False)
        self._write()

    def _start(self, trials) -> None:
        if self._rows is None:  # first call of this session: what a resumed run already had
            rows = read_trials(rundir.located(self.path))
            position = {row["trial_id"]: i for i, row in enumerate(rows)}  # keep the table's order
            elapsed = {row["trial_id"]: number(row.get("elapsed_s")) for row in rows}
            ended = sorted((t for t in trials if t.status in ("TERMINATED", "ERROR")),
                           key=lambda t: position.get(t.trial_id, len(position)))
            self._rows = {t.trial_id: trial_row(t, self.spec, self.objective, t.status == "ERROR",
                                                elapsed.get(t.trial_id)) for t in ended}
            self._clock = (time.monotonic(), max((e for e in elapsed.values() if e is not None), default=0.0))

    def _ended(self, trials, trial, failed: bool) -> None:
        self._start(trials)
        started, offset = self._clock
        self._rows[trial.trial_id] = trial_row(trial, self.spec, self.objective, failed,
                                               offset + time.monotonic() - started)
        self._unwritten = True
        self._write(when_due=True)

    def _write(self, when_due: bool = False) -> None:
        now = time.monotonic()
        if not self._unwritten or (when_due and now - self._written_at < self.WRITE_EVERY_S):
            return
        write_rows(rundir.located(self.path), list(self._rows.values()), self.spec, self.objective)
        self._unwritten, self._written_at = False, now


class ProgressView(tune.Callback):
    """Draws :func:`progress.format_line` on ``progress.console``."""

    def __init__(self, total: int, objective: Objective, budget: int | None = None, cv: int = 1):
        self.total = total
        self.objective = objective
        self.budget = budget  # epochs x folds: the view then measures progress in compute
        self.cv = cv
        self._started: float | None = None
        self._done_at_start = 0.0
        self._used_at_start = 0
        self._last_finished = -1
        self._last_draw = 0.0
        self._events = 0  # trials ended (Ray's events) this session
        self._drawn_events = -1  # ... when the line was last drawn

    def on_step_end(self, iteration, trials, **info):
        # Counting is O(trials): skip it between redraws when no trial has ended since the last one.
        if self._started is not None and self._events == self._drawn_events \
                and not (progress.console.isatty() and time.monotonic() - self._last_draw >= 1.0):
            return
        self._draw(trials)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._events += 1

    def on_trial_error(self, iteration, trials, trial, **info):
        self._events += 1

    def on_experiment_end(self, trials, **info):
        # No count here: after Ctrl-C Ray marks interrupted trials TERMINATED in memory.
        if progress.console.isatty() and self._last_finished >= 0:
            progress.console.write("\n")
            progress.console.flush()

    def _draw(self, trials) -> None:
        counts = self._count(trials)
        now = time.monotonic()
        if self._started is None:
            self._started, self._done_at_start, self._used_at_start = now, counts.progress, counts.used
        elapsed = now - self._started
        if self.budget:
            eta = progress.eta_s(elapsed, counts.used - self._used_at_start, self.budget - counts.used)
        else:
            eta = progress.eta_s(elapsed, counts.progress - self._done_at_start, counts.total - counts.progress)
        line = progress.format_line(counts, elapsed, eta, self.objective)
        interactive = progress.console.isatty()
        changed = counts.finished != self._last_finished
        if interactive and (changed or now - self._last_draw >= 1.0):
            progress.console.write(progress.REDRAW + line)
        elif not interactive and changed:
            progress.console.write(line + "\n")
        else:
            return
        progress.console.flush()
        self._last_finished, self._last_draw, self._drawn_events = counts.finished, now, self._events

    def _count(self, trials) -> progress.Counts:
        done = [t for t in trials if t.status == "TERMINATED"]
        running = [t for t in trials if t.status == "RUNNING"]
        scores = [t.last_result.get(self.objective.key) for t in done if t.last_result]
        return progress.Counts(
            total=max(self.total, len(trials)),
            done=len(done),
            running=len(running),
            failed=sum(t.status == "ERROR" for t in trials),
            best=self.objective.best(scores),
            used=trained_by(trials, self.cv),
            budget=self.budget,
            partial=sum(_share_trained(t) for t in running),
        )


def _share_trained(trial) -> float:
    """A running trial's epochs trained over its epochs planned (0 when unknown)."""
    epochs = trial.config.get("epochs")
    epoch = (trial.last_result or {}).get("epoch", 0)
    return min(1.0, epoch / epochs) if epochs else 0.0


class SilentReporter(tune.ProgressReporter):
    """Ray Tune's own progress output, turned off: the progress line replaces it. (In a notebook
    Ray's default reporter would clear the cell's output and draw an HTML table.)"""

    def should_report(self, trials, done: bool = False) -> bool:
        return False

    def report(self, trials, done: bool, *sys_info) -> None:
        pass


class BudgetStopper(tune.Stopper):
    """Ends the whole sweep once its trials have trained ``budget`` epochs x folds.

    On ``--resume`` the compute of the trials already in ``trials.csv`` counts; trials that
    were running at the interruption start again from nothing, so their lost epochs do not.
    """

    def __init__(self, budget: int, cv: int, trials_path: Path):
        self.budget = budget
        self.cv = cv
        self.trials_path = Path(trials_path)
        self._before: int | None = None  # what trials.csv held at the first result of this session
        self._epochs: dict[str, int] = {}  # trial id -> epochs trained in this session

    def __call__(self, trial_id: str, result: dict) -> bool:
        # By epoch, not by call: Ray repeats a function trainable's last result when it returns.
        if self._before is None:
            self._before = used_by(read_trials(rundir.located(self.trials_path)), self.cv)
        self._epochs[trial_id] = max(self._epochs.get(trial_id, 0), int(result.get("epoch", 0)))
        return False

    def stop_all(self) -> bool:
        return self._before is not None and self._before + sum(self._epochs.values()) * self.cv >= self.budget

