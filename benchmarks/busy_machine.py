"""A sweep on a machine that is busy with something else: trials at Ray's default priority
(its workers niced by 15) against trials at the driver's priority (tune-jobs' local Ray since
section 17), side by side, idle and beside BUSY processes that each keep a core busy.

    python benchmarks/busy_machine.py [--busy 2] [--rounds 1]

Each run is the whole command a user types (``python -m tune_jobs run``: 2 configurations of the
seed's model, 12,000 images, 3 folds, 3 epochs, ``--workers 2``, no refit), its own process and its
own Ray; Ray's default is restored for one side with Ray's own ``RAY_worker_niceness=15``, which
tune-jobs leaves as the user set it. Within a round the two sides alternate which goes first.
Prints every run's wall time and, per condition, the ratio default / driver's priority; and the
niceness of the trial processes seen while each ran, and the median share of a CPU each of them got
(psutil's ``cpu_percent`` over half-second samples).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tune_jobs.engine.runner import NICENESS_ENV

SPACE = "grid:\n  activation: [relu, swish]\n  lr: [0.001]\n  batch_size: [512]\n  epochs: [3]\n"
SIDES = {"Ray's default (niced 15)": {NICENESS_ENV: "15"}, "the driver's priority": {}}


def busy_loops(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def sweep(space: Path, out: Path, env: dict[str, str]) -> tuple[float, set[int], float]:
    """Seconds the whole command took; the niceness of its Ray workers seen while it ran, and the
    median share of a CPU (%) a worker got over the samples."""
    command = [sys.executable, "-m", "tune_jobs", "run", "--job", "fashion-mlp", "--space", str(space),
               "--max-train-samples", "12000", "--cv", "3", "--workers", "2", "--no-refit", "--out", str(out)]
    with tempfile.TemporaryDirectory(prefix="tj-", dir="/tmp") as ray_tmp:
        started = time.monotonic()
        driver = subprocess.Popen(command, env={**os.environ, **env, "RAY_TMPDIR": ray_tmp},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen: set[int] = set()
        workers: dict[int, psutil.Process] = {}  # kept: cpu_percent measures since its last call
        shares: list[float] = []
        while driver.poll() is None:
            for child in psutil.Process(driver.pid).children(recursive=True):
                try:
                    name = child.name()  # ray::ImplicitFunc.train, not ray::IDLE or Ray's agents
                    if name.startswith("ray::") and not any(word in name for word in ("IDLE", "Agent")):
                        seen.add(child.nice())
                        if child.pid in workers:
                            shares.append(workers[child.pid].cpu_percent())
                        else:
                            workers[child.pid] = child
                            child.cpu_percent()
                except psutil.NoSuchProcess:
                    pass
            time.sleep(0.5)
        if driver.returncode != 0:
            raise SystemExit(f"the sweep failed (exit {driver.returncode}): {' '.join(command)}")
        return time.monotonic() - started, seen, statistics.median(shares) if shares else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, default=2, help="busy processes beside the loaded runs")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ.pop(NICENESS_ENV, None)
    times: dict[tuple[int, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        space = Path(work) / "two.yaml"
        space.write_text(SPACE)
        for round_ in range(args.rounds):
            for busy in (0, args.busy):
                loops = busy_loops(busy)
                try:
                    order = list(SIDES) if (round_ + busy) % 2 == 0 else list(SIDES)[::-1]
                    for side in order:
                        seconds, niceness, share = sweep(space, Path(work) / "runs", SIDES[side])
                        times.setdefault((busy, side), []).append(seconds)
                        print(f"round {round_ + 1}, {busy} busy processes, {side}: {seconds:.1f} s "
                              f"(trial processes at niceness {sorted(niceness)}, each {share:.0f}% of a CPU, "
                              f"median)", flush=True)
                finally:
                    for loop in loops:
                        loop.kill()
                        loop.wait()
    default, ours = SIDES
    for busy in (0, args.busy):
        a, b = statistics.median(times[busy, default]), statistics.median(times[busy, ours])
        print(f"{busy} busy processes: {default} {a:.1f} s, {ours} {b:.1f} s, ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
