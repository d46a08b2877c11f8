"""How busy this machine's CPUs are with other programs, measured over the driver's own
preparation of a sweep (its checks, its data) instead of in a wait of its own: the driver's CPU
time in that window is taken out, so a sweep need not sit idle for half a second before Ray
starts (BENCHMARKS.md, section 10). A window shorter than :data:`LEAST_WINDOW_S` is topped up.
``import tune_jobs`` opens one, so that a script's own imports and data fill it before its first
sweep checks the load.

    cpu_load.begin_unless_open()    # where the driver starts preparing a sweep
    busy = cpu_load.others_percent()
"""

from __future__ import annotations

import time

import psutil  # Ray's own dependency

LEAST_WINDOW_S = 0.5  # fewer of the kernel's clock ticks than this cannot tell a busy core from an idle one
# A window older than this (left open by a preparation that failed, then a sweep started another
# way) would average the load over the past, not measure it now: a new one is begun instead.
MOST_WINDOW_S = 60.0

_window: tuple[float, float, float, float] | None = None  # (began, system busy s, system total s, own s)


def begin() -> None:
    """Open the window over which :func:`others_percent` measures."""
    global _window
    _window = (time.monotonic(), *_system_seconds(), _own_seconds())


def begin_unless_open() -> None:
    """Open the window, unless one opened under :data:`MOST_WINDOW_S` ago is open still (the
    package's import's, where nothing has measured since)."""
    if _window is None or time.monotonic() - _window[0] > MOST_WINDOW_S:
        begin()


def others_percent() -> float:
    """Percent of all CPUs busy with other processes' work since :func:`begin` (or over a wait of
    :data:`LEAST_WINDOW_S` where no window is open, or it opened over :data:`MOST_WINDOW_S` ago),
    this process's own CPU time taken out; the window then closes."""
    global _window
    begin_unless_open()
    began, busy, total, own = _window
    _window = None
    left = LEAST_WINDOW_S - (time.monotonic() - began)
    if left > 0:
        time.sleep(left)
    busy_now, total_now = _system_seconds()
    others = (busy_now - busy) - (_own_seconds() - own)
    return max(0.0, 100.0 * others / max(total_now - total, 1e-9))


def _system_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, as psutil's own ``cpu_percent`` counts them
    (on Linux the guest times are already part of user and nice)."""
    times = psutil.cpu_times()
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    return total - times.idle - getattr(times, "iowait", 0.0), total


def _own_seconds() -> float:
    """This process's CPU seconds, all its threads, and those of its children that have ended."""
    times = psutil.Process().cpu_times()
    return times.user + times.system + times.children_user + times.children_system
