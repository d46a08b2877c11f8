"""Schedulers: should this trial stop early? A registry of name -> factory, apart from searchers.

Settings come from the space file's ``scheduler:`` section, with these defaults.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from tune_jobs.records.results import TRAINING_SECONDS
from tune_jobs.space.spec import SpecError

ASHA_DEFAULTS = {"grace_period": 1, "reduction_factor": 3}
ASHA_TIME_DEFAULTS = {"grace_period_s": 60, "reduction_factor": 3}
# asha-time's rungs: grace x factor^k for k below this; no trial is stopped for its length alone.
TIME_RUNGS = 12


def _none(max_epochs: int, settings: Mapping[str, Any]):
    return None  # Ray's FIFOScheduler: every trial runs all its epochs


def _asha_options(max_epochs: int, settings: Mapping[str, Any]) -> tuple[int, int]:
    """(grace period, reduction factor), the defaults filled in. A grace period longer than the
    trials (``--epochs`` cut them short) is their length: Ray asserts ``grace_period <= max_t``."""
    options = {**ASHA_DEFAULTS, **settings}
    return min(max_epochs, options["grace_period"]), options["reduction_factor"]


def _asha(max_epochs: int, settings: Mapping[str, Any]):
    from ray.tune.schedulers import ASHAScheduler

    grace_period, reduction_factor = _asha_options(max_epochs, settings)
    return ASHAScheduler(time_attr="epoch", max_t=max_epochs, grace_period=grace_period,
                         reduction_factor=reduction_factor)


def _asha_rungs(max_epochs: int, settings: Mapping[str, Any]) -> tuple[int, ...]:
    """ASHA's rungs as Ray's one bracket places them (``grace_period x reduction_factor^k`` up to
    ``max_t``), and ``max_t``, where it stops every trial."""
    least, factor = _asha_options(max_epochs, settings)
    rungs = int(math.log(max_epochs / least) / math.log(factor) + 1)
    return tuple(sorted({least * factor ** k for k in range(rungs)} | {max_epochs}))


def _asha_time(max_epochs: int, settings: Mapping[str, Any]):
    """ASHA whose rungs count seconds of training, not epochs (Ray's ``time_attr``): a configuration
    20x slower per epoch than another meets each rung after as many seconds, not 20x as many, and is
    compared there with what the fast ones reached in that time (BENCHMARKS.md, 15b: on the CNN
    space, slow configurations held a core for 12-29 minutes to reach an epoch rung)."""
    from ray.tune.schedulers import ASHAScheduler

    options = {**ASHA_TIME_DEFAULTS, **settings}
    grace, factor = options["grace_period_s"], options["reduction_factor"]
    return ASHAScheduler(time_attr=TRAINING_SECONDS, max_t=grace * factor ** TIME_RUNGS, grace_period=grace,
                         reduction_factor=factor, stop_last_trials=False)


def _every_epoch(max_epochs: int, settings: Mapping[str, Any]) -> tuple[int, ...]:
    """A rung in seconds may fall after any epoch: the score is read after each."""
    return tuple(range(1, max_epochs + 1))


SCHEDULERS: dict[str, Callable[[int, Mapping[str, Any]], Any]] = {
    "none": _none, "asha": _asha, "asha-time": _asha_time}
# The epochs after which each scheduler reads a trial's score: a trial validates its folds and
# reports there, and trains the epochs between in one ``fit`` per fold.
READS_AT: dict[str, Callable[[int, Mapping[str, Any]], tuple[int, ...]]] = {
    "none": lambda max_epochs, settings: (),
    "asha": _asha_rungs,
    "asha-time": _every_epoch,
}


def reads_at(name: str, max_epochs: int, settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The epochs after which the scheduler reads a trial's score (none: it reads no score)."""
    check_name(name)
    return READS_AT[name](max_epochs, settings)


def check_name(name: str) -> None:
    if name not in SCHEDULERS:
        raise SpecError(f"--scheduler: unknown scheduler {name!r} (valid: {', '.join(SCHEDULERS)})")


def make_scheduler(name: str, max_epochs: int, settings: Mapping[str, Any]):
    check_name(name)
    return SCHEDULERS[name](max_epochs, settings)


def min_epochs(name: str, max_epochs: int, settings: Mapping[str, Any]) -> int:
    """The fewest epochs a trial may train (its first stop: a budget pays for this many trials at
    most): the first epoch the scheduler reads, else all of them."""
    return (reads_at(name, max_epochs, settings) or (max_epochs,))[0]
