"""Where a local Ray's start and stop go, as tune-jobs starts and stops it (``runner.start_ray``,
``runner.stop_ray``) and as Ray's defaults would: the fixed cost every one-shot sweep pays (the
drop-in's whole process, section 10).

    python benchmarks/ray_start_cost.py [--rounds 3]

Each round starts a private local Ray (its own temp dir) and stops it, once each way, in turns, each
in a process of its own (as a one-shot script starts the first Ray of its process):
"tune-jobs" as the runner does it; "Ray's defaults" the same start without the runner's quick first
connect (``runner.QUICK_FIRST_CONNECT``) and a plain ``ray.shutdown()``. It times the whole start and
stop and, inside them, Ray's own steps: the wait for the node to register (``services.get_node``,
whose C++ side polls the GCS once a second), the wait for its API server
(``services.start_api_server``), and the kill-and-wait of each of its processes in turn
(``Node._kill_process_type``, and the autoscaler's monitor's share of it). Prints each round and
the medians of each way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dropin_phases import PHASES, timed  # noqa: E402

STEPS = {  # what is timed, as dropin_phases.timed names it: its label
    "start_ray": "start: in all",
    "start_api_server": "start: API server",
    "get_node": "start: node registration (polled once a second)",
    "stop": "stop: in all",
    "_kill_process_type": "stop: each process killed and waited for, in turn",
}
MONITOR = "stop: of which the autoscaler's monitor"
WAYS = ("tune-jobs", "Ray's defaults")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--way", choices=WAYS, help="one start and stop this way, in this process (what a round runs)")
    args = p.parse_args()
    if args.way:
        print(json.dumps(one(args.way)))
        return
    rounds: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    for number in range(args.rounds):
        for way in WAYS:
            out = subprocess.run([sys.executable, __file__, "--way", way], check=True, capture_output=True, text=True)
            spent = json.loads(out.stdout.strip().splitlines()[-1])
            rounds[way].append(spent)
            steps = "  ".join(f"{label.split(',')[0]} {seconds:.2f} s" for label, seconds in spent.items())
            print(f"round {number} {way:15s} {steps}", flush=True)
    print(f"medians of {args.rounds} rounds:          " + "  ".join(f"{way:>15s}" for way in WAYS))
    for label in [*STEPS.values(), MONITOR]:
        medians = (statistics.median(r[label] for r in rounds[way]) for way in WAYS)
        print(f"  {label:50s} " + "  ".join(f"{median:13.2f} s" for median in medians))


def one(way: str) -> dict[str, float]:
    """Start a private local Ray and stop it ``way``; the seconds of each step."""
    os.environ["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="ray-start-cost-")

    import ray
    from ray._private import node, services

    from tune_jobs.engine import runner

    for owner, name in ((runner, "start_ray"), (services, "start_api_server"), (services, "get_node"),
                        (node.Node, "_kill_process_type")):
        timed(owner, name)
    if way != "tune-jobs":
        runner.QUICK_FIRST_CONNECT = {}
    monitor = _monitor_pid_after(runner.start_ray)
    timed_stop(runner.stop_ray if way == "tune-jobs" else ray.shutdown)
    spent = {label: sum(end - began for name, began, end in PHASES if name == step) for step, label in STEPS.items()}
    spent[MONITOR] = sum(end - began for name, began, end in PHASES if name == f"kill {monitor}")
    return spent


def _monitor_pid_after(start) -> int | None:
    """Start Ray with ``start`` and return its autoscaler monitor's process id."""
    import ray
    from ray._private import ray_constants

    start(None)
    started = ray._private.worker._global_node.all_processes.get(ray_constants.PROCESS_TYPE_MONITOR, [])
    return started[0].process.pid if started else None


def timed_stop(stop) -> None:
    """Run ``stop``, recording it as "stop" and, from the kill-and-wait of each of Ray's processes
    or from ``stop_ray``'s own kill, the monitor's end as "kill <pid>"."""
    import time

    from benchmarks.dropin_phases import STARTED

    waits = subprocess.Popen.wait

    def wait(process, *args, **kwargs):
        began = time.monotonic() - STARTED
        try:
            return waits(process, *args, **kwargs)
        finally:
            PHASES.append((f"kill {process.pid}", began, time.monotonic() - STARTED))

    began = time.monotonic() - STARTED
    subprocess.Popen.wait = wait
    try:
        stop()
    finally:
        subprocess.Popen.wait = waits
        PHASES.append(("stop", began, time.monotonic() - STARTED))


if __name__ == "__main__":
    main()
