"""Ray Tune callbacks of a sweep: the trials table on disk, and the live progress line.

Both read the trials Ray passes in; the recorder also remembers which trials ended in this
session (Ray's status alone misleads after Ctrl-C), and both work unchanged on a resumed run.
"""

from __future__ import annotations

import time
from pathlib import Path

from ray import tune

from tune_jobs import progress
from tune_jobs.results import read_trials, write_trials


class TrialsRecorder(tune.Callback):
    """Rewrites ``trials.csv`` each time a trial ends.

    A trial counts as ended on Ray's complete / error events, or when it was already ended in
    the state a resumed run starts from. Status alone would mislead: on Ctrl-C, Ray marks the
    trials it interrupts TERMINATED in memory (they stay RUNNING in the saved state, and resume).
    """

    def __init__(self, path: Path, params: list[str]):
        self.path = Path(path)
        self.params = list(params)
        self._failed: dict[str, bool] | None = None  # trial id -> ended with an error, in table order

    def on_step_begin(self, iteration, trials, **info):
        self._start(trials)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._ended(trials, trial, failed=False)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._ended(trials, trial, failed=True)

    def _start(self, trials) -> None:
        if self._failed is None:  # first call of this session: what a resumed run already had
            order = [row["trial_id"] for row in read_trials(self.path)]  # keep the table's order
            ended = sorted((t for t in trials if t.status in ("TERMINATED", "ERROR")),
                           key=lambda t: order.index(t.trial_id) if t.trial_id in order else len(order))
            self._failed = {t.trial_id: t.status == "ERROR" for t in ended}

    def _ended(self, trials, trial, failed: bool) -> None:
        self._start(trials)
        self._failed[trial.trial_id] = failed
        by_id = {t.trial_id: t for t in trials}
        write_trials(self.path, [(by_id[i], failed) for i, failed in self._failed.items()], self.params)


class ProgressView(tune.Callback):
    """Draws :func:`progress.format_line` on ``progress.console``."""

    def __init__(self, total: int, metric: str = "cv_accuracy"):
        self.total = total
        self.metric = metric
        self._started: float | None = None
        self._finished_at_start = 0
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
            self._started, self._finished_at_start = now, counts.finished
        elapsed = now - self._started
        eta = progress.eta_s(elapsed, counts.finished - self._finished_at_start,
                             counts.total - counts.finished)
        line = progress.format_line(counts, elapsed, eta)
        interactive = progress.console.isatty()
        changed = counts.finished != self._last_finished
        if interactive and (changed or now - self._last_draw >= 1.0):
            progress.console.write("\r\033[K" + line)
        elif not interactive and changed:
            progress.console.write(line + "\n")
        else:
            return
        progress.console.flush()
        self._last_finished, self._last_draw = counts.finished, now

    def _count(self, trials) -> progress.Counts:
        done = [t for t in trials if t.status == "TERMINATED"]
        scores = [t.last_result.get(self.metric) for t in done if t.last_result]
        scores = [s for s in scores if s is not None]
        return progress.Counts(
            total=max(self.total, len(trials)),
            done=len(done),
            running=sum(t.status == "RUNNING" for t in trials),
            failed=sum(t.status == "ERROR" for t in trials),
            best=max(scores, default=None),
        )
