"""Schedulers: should this trial stop early? A registry of name -> factory, apart from searchers.

Settings come from the space file's ``scheduler:`` section, with these defaults.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from tune_jobs.space.spec import SpecError

ASHA_DEFAULTS = {"grace_period": 1, "reduction_factor": 3}


def _none(max_epochs: int, settings: Mapping[str, Any]):
    return None  # Ray's FIFOScheduler: every trial runs all its epochs


def _asha(max_epochs: int, settings: Mapping[str, Any]):
    from ray.tune.schedulers import ASHAScheduler

    options = {**ASHA_DEFAULTS, **settings}
    return ASHAScheduler(time_attr="epoch", max_t=max_epochs, grace_period=options["grace_period"],
                         reduction_factor=options["reduction_factor"])


SCHEDULERS: dict[str, Callable[[int, Mapping[str, Any]], Any]] = {"none": _none, "asha": _asha}
# The fewest epochs a trial may train under each scheduler: how many trials a budget can pay for.
MIN_EPOCHS: dict[str, Callable[[int, Mapping[str, Any]], int]] = {
    "none": lambda max_epochs, settings: max_epochs,
    "asha": lambda max_epochs, settings: min(max_epochs, {**ASHA_DEFAULTS, **settings}["grace_period"]),
}


def stops_early(name: str) -> bool:
    """Whether the scheduler reads a trial's score after every epoch (to stop it early)."""
    return SCHEDULERS[name] is not _none


def check_name(name: str) -> None:
    if name not in SCHEDULERS:
        raise SpecError(f"--scheduler: unknown scheduler {name!r} (valid: {', '.join(SCHEDULERS)})")


def make_scheduler(name: str, max_epochs: int, settings: Mapping[str, Any]):
    check_name(name)
    return SCHEDULERS[name](max_epochs, settings)


def min_epochs(name: str, max_epochs: int, settings: Mapping[str, Any]) -> int:
    check_name(name)
    return MIN_EPOCHS[name](max_epochs, settings)
