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
from tune_jobs.records.results import (FROM_RECORDS, elapsed_before, number, read_trials, row_line, trial_row, used_by,
                                       write_lines)
from tune_jobs.space.spec import Spec
from tune_jobs.engine import budget as budgets, progress


class TrialsRecorder(tune.Callback):
    """Keeps ``trials.csv``: a row per trial, built once when it ends, the file rewritten (atomically)
    at most once a second (less often once a write takes over 20 ms), and when the sweep ends or
    stops. (A killed driver loses at most the rows of its last second; Ray's own state snapshot,
    also taken every second, may lag the table or lead it, and on resume either completes it.)

    A trial counts as ended on Ray's complete / error events, or when it was already ended in
    the state a resumed run starts from or in the table. Status alone would mislead: on Ctrl-C,
    Ray marks the trials it interrupts TERMINATED in memory (they stay RUNNING in the saved state,
    and resume). A trial the table has as ended and Ray's state not is not trained again: it
    reports its row's result (``runner.ended_results``), and its row stays as it was.

    ``elapsed_s`` counts the sweep's running time: a resumed session continues from the last
    trial that ended before the interruption, so the time a sweep sat stopped is not counted
    and wall-time curves of interrupted and uninterrupted runs compare.
    """

    WRITE_EVERY_S = 1.0
    WRITE_SHARE_INVERSE = 50  # wait at least 50 times a write's duration: writing takes <= 2% of the time
    _write_s = 0.0  # how long the last write took (a class default: recorders pickled before it resume)

    def __init__(self, path: Path, spec: Spec, objective: Objective):
        self.path = Path(path)
        self.spec = spec
        self.objective = objective
        self._rows: dict[str, str] | None = None  # trial id -> its line of the table, in table order
        #                                                  (None: not started)
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
        if self._rows is None:
            return
        for trial in cut_by_a_budget(trials, self.path):
            if trial.trial_id not in self._rows:
                self._ended(trials, trial, failed=False)
        self._write()

    def _start(self, trials) -> None:
        if self._rows is None:  # first call of this session: what a resumed run already had
            rows = read_trials(rundir.located(self.path))
            ended = {t.trial_id: t for t in trials if t.status in ("TERMINATED", "ERROR")}
            # In the table's order: a trial Ray's state has ended, its row again from Ray's record;
            # one the table has and Ray's state not (a killed driver), its row as the table has it
            self._rows = {}
            for row in rows:
                trial = ended.pop(row["trial_id"], None)
                self._rows[row["trial_id"]] = row_line(row, self.spec, self.objective) if trial is None \
                    else self._line(trial, trial.status == "ERROR", number(row.get("elapsed_s")))
            self._rows.update((t.trial_id, self._line(t, t.status == "ERROR", None)) for t in ended.values())
            self._clock = (time.monotonic(), elapsed_before(rows))

    def _ended(self, trials, trial, failed: bool) -> None:
        self._start(trials)
        if (trial.last_result or {}).get(FROM_RECORDS) and trial.trial_id in self._rows:
            return  # ended in an earlier session (``runner.ended_results``): its row stays as it was
        started, offset = self._clock
        self._rows[trial.trial_id] = self._line(trial, failed, offset + time.monotonic() - started)
        self._unwritten = True
        self._write(when_due=True)

    def _line(self, trial, failed: bool, elapsed_s: float | None) -> str:
        return row_line(trial_row(trial, self.spec, self.objective, failed, elapsed_s), self.spec, self.objective)

    def _write(self, when_due: bool = False) -> None:
        now = time.monotonic()
        # With thousands of rows a write takes a while: then write less often, so it stays a small share.
        every = max(self.WRITE_EVERY_S, self.WRITE_SHARE_INVERSE * self._write_s)
        if not self._unwritten or (when_due and now - self._written_at < every):
            return
        write_lines(rundir.located(self.path), self._rows.values(), self.spec, self.objective)
        self._unwritten, self._written_at = False, now
        self._write_s = time.monotonic() - now


class ProgressView(tune.Callback):
    """Draws :func:`progress.format_line` on ``progress.console``, from a :class:`Tally` that Ray's
    events keep: a step costs the same at the 5,000th trial as at the first."""

    SETTLE_S = 2.0  # how long a log's line waits for the ended trials' successors to start

    def __init__(self, total: int, objective: Objective, budget: int | None = None, cv: int = 1):
        self.total = total
        self.objective = objective
        self.budget = budget  # epochs x folds: the view then measures progress in compute
        self.cv = cv
        self._tally: Tally | None = None  # None: not yet counted in this session
        self._started: float | None = None
        self._done_at_start = 0.0
        self._used_at_start = 0
        self._last_finished = -1
        self._last_draw = 0.0
        self._most_running = 0  # the most trials seen running at once: the workers, as far as a log's line knows
        self._changed_at: float | None = None  # when the ended trials last changed, not yet written to a log

    def __setstate__(self, state: dict) -> None:
        # Ray pickles callbacks with the experiment: a resumed session counts its trials afresh.
        self.__dict__.update(state)
        self._tally, self._most_running, self._changed_at = None, 0, None

    def on_trial_start(self, iteration, trials, trial, **info):
        self._counted(trials).started(trial)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._counted(trials).ended(trial, failed=False)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._counted(trials).ended(trial, failed=True)

    def on_step_end(self, iteration, trials, **info):
        tally = self._counted(trials)
        counts = tally.counts(max(self.total, len(trials)), self.budget)
        if self._started is not None and not self._due(counts, progress.console.isatty()):
            return
        self._draw(counts)

    def _due(self, counts: progress.Counts, interactive: bool) -> bool:
        """A terminal's line is redrawn each second and when a trial ends. A log's is written once per
        change of the ended trials, when their successors have started (as many running as the most
        seen), none is pending, or ``SETTLE_S`` after the change: written at the end itself, its
        running count would always be one short, the next trial not started yet."""
        now = time.monotonic()
        if interactive:
            return counts.finished != self._last_finished or now - self._last_draw >= 1.0
        self._most_running = max(self._most_running, counts.running)
        if counts.finished == self._last_finished:
            return False
        if self._changed_at is None:
            self._changed_at = now
        return counts.running >= self._most_running or counts.pending == 0 or now - self._changed_at >= self.SETTLE_S

    def on_experiment_end(self, trials, **info):
        # Only the trials a budget cut count here: after Ctrl-C Ray marks interrupted trials
        # TERMINATED in memory, and they resume.
        cut = cut_by_a_budget(trials, rundir.TRIALS)
        if self._last_finished >= 0:
            tally = self._counted(trials)
            for trial in cut:
                tally.ended(trial, failed=False)
            if tally.finished != self._last_finished:  # cut trials, or a log's line still held (``_due``)
                self._draw(tally.counts(max(self.total, len(trials)), self.budget))
        if progress.console.isatty() and self._last_finished >= 0:
            progress.console.write("\n")
            progress.console.flush()

    def _counted(self, trials) -> "Tally":
        if self._tally is None:
            self._tally = Tally.of(trials, self.objective, self.cv)
        return self._tally

    def _draw(self, counts: progress.Counts) -> None:
        now = time.monotonic()
        if self._started is None:
            self._started, self._done_at_start, self._used_at_start = now, counts.progress, counts.used
        elapsed = now - self._started
        if self.budget:
            eta = progress.eta_s(elapsed, counts.used - self._used_at_start, self.budget - counts.used)
        else:
            eta = progress.eta_s(elapsed, counts.progress - self._done_at_start, counts.total - counts.progress)
        left = budgets.time_left(rundir.TRIALS)  # a time budget: the sweep ends by then at the latest
        if left is not None:
            eta = left if eta is None else min(eta, left)
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
        self._last_finished, self._last_draw, self._changed_at = counts.finished, now, None


def cut_by_a_budget(trials, trials_path: Path | str) -> list:
    """The trials a budget that ran out (BudgetStopper, TimeBudgetStopper) cut: Ray ends them
    without an event; those that trained an epoch ended, stopped early. None after Ctrl-C with
    budget left: the trials it interrupts are not ended (they resume)."""
    if not (budgets.spent(trials_path) or budgets.ran_out_of_time(trials_path)):
        return []
    return [t for t in trials if t.status == "TERMINATED" and (t.last_result or {}).get("epoch", 0)]


class Tally:
    """A sweep's counts for the progress line, kept by events: a trial ending costs O(1), whatever
    the number of trials before it. The first count of a session reads Ray's trials once (on
    resume, those that had already ended); each trial is counted as ended once."""

    def __init__(self, objective: Objective, cv: int):
        self.objective = objective
        self.cv = cv
        self.done = 0
        self.failed = 0
        self.best: float | None = None
        self._ended_epochs = 0
        self._ended: set[str] = set()
        self._live: dict[str, object] = {}  # started, not ended: at most the workers, plus restarts

    @classmethod
    def of(cls, trials, objective: Objective, cv: int) -> "Tally":
        tally = cls(objective, cv)
        for trial in trials:
            if trial.status in ("TERMINATED", "ERROR"):
                tally.ended(trial, failed=trial.status == "ERROR")
            elif trial.last_result or trial.status == "RUNNING":
                tally.started(trial)
        return tally

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def started(self, trial) -> None:
        if trial.trial_id not in self._ended:
            self._live[trial.trial_id] = trial

    def ended(self, trial, failed: bool) -> None:
        if trial.trial_id in self._ended:
            return
        self._ended.add(trial.trial_id)
        self._live.pop(trial.trial_id, None)
        result = trial.last_result or {}
        self._ended_epochs += int(result.get("epoch", 0))
        if failed:
            self.failed += 1
        else:
            self.done += 1
            self.best = self.objective.best([self.best, result.get(self.objective.key)])

    def counts(self, total: int, budget: int | None) -> progress.Counts:
        running = [t for t in self._live.values() if t.status == "RUNNING"]
        live_epochs = sum(int((t.last_result or {}).get("epoch", 0)) for t in self._live.values())
        return progress.Counts(
            total=total, done=self.done, running=len(running), failed=self.failed, best=self.best,
            used=(self._ended_epochs + live_epochs) * self.cv, budget=budget,
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
        self._new_session()

    def _new_session(self) -> None:
        self._before: int | None = None  # what trials.csv held at the first result of this session
        self._epochs: dict[str, int] = {}  # trial id -> epochs trained in this session
        self._total = 0  # their sum: stop_all runs at every step of the sweep

    def __setstate__(self, state: dict) -> None:
        # Ray pickles the stopper with the experiment and restores it on --resume: the resumed
        # session counts afresh, from trials.csv at its first result. Kept, the last session's
        # count held the epochs of trials it interrupted, which start again from nothing: a
        # restarted trial that ASHA then stopped sooner left them counted, and the budget ended the
        # sweep short of its compute, as unfinished, on every resume (seen: 6,414 of 6,480).
        self.__dict__.update(state)
        self._new_session()

    def __call__(self, trial_id: str, result: dict) -> bool:
        # By epoch, not by call: Ray repeats a function trainable's last result when it returns.
        # A result from the records is in trials.csv: counted in _before.
        if result.get(FROM_RECORDS):
            return False
        if self._before is None:
            self._before = used_by(read_trials(rundir.located(self.trials_path)), self.cv)
        epochs = int(result.get("epoch", 0))
        before = self._epochs.get(trial_id, 0)
        if epochs > before:
            self._epochs[trial_id] = epochs
            self._total += epochs - before
        return False

    def stop_all(self) -> bool:
        if self._before is None or self._before + self._total * self.cv < self.budget:
            return False
        budgets.mark_spent(self.trials_path)
        return True


class TimeBudgetStopper(tune.Stopper):
    """Ends the whole sweep once it has run ``seconds`` on its own clock, the one of the trials'
    ``elapsed_s``: from this session's first step, plus what earlier sessions of a resumed run used.
    Time the sweep sat interrupted is not charged; Ray's start and the refit are outside it.

    (Ray Tune's own ``time_budget_s`` would start afresh on every resume.)
    """

    def __init__(self, seconds: float, trials_path: Path):
        self.seconds = seconds
        self.trials_path = Path(trials_path)

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        left = budgets.time_left(self.trials_path)
        if left is None:  # this session's first step (the runner forgets the clock after each session)
            left = self.seconds - elapsed_before(read_trials(rundir.located(self.trials_path)))
            budgets.start_clock(self.trials_path, left)
        if left > 0:
            return False
        budgets.mark_out_of_time(self.trials_path)
        return True
