"""Ray Tune callbacks of a sweep: the trials table on disk, the live progress line, the budget.

Both read the trials Ray passes in; the recorder also remembers which trials ended in this
session (Ray's status alone misleads after Ctrl-C), and both work unchanged on a resumed run.
"""

from __future__ import annotations

import time
from pathlib import Path

from ray import tune

from tune_jobs.jobs.objective import Objective
from tune_jobs.records.results import number, read_trials, write_trials
from tune_jobs.space.spec import Spec
from tune_jobs.engine import progress
from tune_jobs.engine.budget import trained_by, used_by


class TrialsRecorder(tune.Callback):
    """Rewrites ``trials.csv`` each time a trial ends.

    A trial counts as ended on Ray's complete / error events, or when it was already ended in
    the state a resumed run starts from. Status alone would mislead: on Ctrl-C, Ray marks the
    trials it interrupts TERMINATED in memory (they stay RUNNING in the saved state, and resume).

    ``elapsed_s`` counts the sweep's running time: a resumed session continues from the last
    trial that ended before the interruption, so the time a sweep sat stopped is not counted
    and wall-time curves of interrupted and uninterrupted runs compare.
    """

    def __init__(self, path: Path, spec: Spec, objective: Objective, budget: int | None = None, cv: int = 1):
        self.path = Path(path)
        self.spec = spec
        self.objective = objective
        self.budget = budget  # see on_experiment_end
        self.cv = cv
        self._failed: dict[str, bool] | None = None  # trial id -> ended with an error, in table order
        self._elapsed: dict[str, float | None] = {}  # trial id -> elapsed_s when it ended
        self._clock: tuple[float, float] = (0.0, 0.0)  # (this session's start, elapsed_s at that start)

    def on_step_begin(self, iteration, trials, **info):
        self._start(trials)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._ended(trials, trial, failed=False)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._ended(trials, trial, failed=True)

    def on_experiment_end(self, trials, **info):
        """When the budget ran out (BudgetStopper), Ray cuts the running trials without an event:
        they ended, stopped early. (After Ctrl-C, with budget left, they are interrupted, not ended.)"""
        if self.budget is None or self._failed is None:
            return
        if trained_by(trials, self.cv) < self.budget:
            return
        for trial in trials:
            trained = trial.last_result.get("epoch", 0) if trial.last_result else 0
            if trial.status == "TERMINATED" and trained and trial.trial_id not in self._failed:
                self._ended(trials, trial, failed=False)

    def _start(self, trials) -> None:
        if self._failed is None:  # first call of this session: what a resumed run already had
            rows = read_trials(self.path)
            order = [row["trial_id"] for row in rows]  # keep the table's order
            ended = sorted((t for t in trials if t.status in ("TERMINATED", "ERROR")),
                           key=lambda t: order.index(t.trial_id) if t.trial_id in order else len(order))
            self._failed = {t.trial_id: t.status == "ERROR" for t in ended}
            self._elapsed = {row["trial_id"]: number(row.get("elapsed_s")) for row in rows}
            self._clock = (time.monotonic(), max((e for e in self._elapsed.values() if e is not None), default=0.0))

    def _ended(self, trials, trial, failed: bool) -> None:
        self._start(trials)
        self._failed[trial.trial_id] = failed
        started, offset = self._clock
        self._elapsed[trial.trial_id] = offset + time.monotonic() - started
        by_id = {t.trial_id: t for t in trials}
        write_trials(self.path, [(by_id[i], failed, self._elapsed.get(i)) for i, failed in self._failed.items()],
                     self.spec, self.objective)


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

    def on_step_end(self, iteration, trials, **info):
        self._draw(trials)

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
        self._last_finished, self._last_draw = counts.finished, now

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
            self._before = used_by(read_trials(self.trials_path), self.cv)
        self._epochs[trial_id] = max(self._epochs.get(trial_id, 0), int(result.get("epoch", 0)))
        return False

    def stop_all(self) -> bool:
        return self._before is not None and self._before + sum(self._epochs.values()) * self.cv >= self.budget

