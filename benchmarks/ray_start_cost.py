"""Where a local Ray's start and stop go, as tune-jobs starts it (``runner.start_ray``): the fixed
cost every one-shot sweep pays (the drop-in's whole process, section 10).

    python benchmarks/ray_start_cost.py [--rounds 3]

Each round starts a private local Ray (its own temp dir) and shuts it down, timing the whole
``ray.init`` and ``ray.shutdown`` and, inside them, three of Ray's own steps: the wait for the
node to register (``services.get_node``, whose C++ side polls the GCS once a second), the wait
for its API server (``services.start_api_server``), and the shutdown's kill-and-wait of each of
its processes in turn (``Node._kill_process_type``). Prints each round and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dropin_phases import PHASES, timed  # noqa: E402

STEPS = {  # what is timed, as dropin_phases.timed names it: its label
    "start_ray": "start: ray.init, in all",
    "start_api_server": "start: API server",
    "get_node": "start: node registration (polled once a second)",
    "shutdown": "stop: ray.shutdown, in all",
    "_kill_process_type": "stop: each process killed and waited for, in turn",
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    os.environ["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="ray-start-cost-")

    import ray
    from ray._private import node, services

    from tune_jobs.engine import runner

    for owner, name in ((runner, "start_ray"), (services, "start_api_server"), (services, "get_node"),
                        (ray, "shutdown"), (node.Node, "_kill_process_type")):
        timed(owner, name)
    rounds = []
    for _ in range(args.rounds):
        PHASES.clear()
        runner.start_ray(None)
        ray.shutdown()
        spent = {label: sum(end - began for name, began, end in PHASES if name == step)
                 for step, label in STEPS.items()}
        rounds.append(spent)
        print("  ".join(f"{label.split(',')[0]} {seconds:.2f} s" for label, seconds in spent.items()), flush=True)
    print(f"medians of {args.rounds} rounds:")
    for label in STEPS.values():
        print(f"  {label:55s} {statistics.median(r[label] for r in rounds):5.2f} s")


if __name__ == "__main__":
    main()
