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
import functools
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPENT: dict[str, float] = defaultdict(float)


def timed(owner, name: str, label: str) -> None:
    """Add the seconds each call of ``owner.name`` takes to ``SPENT[label]``."""
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        began = time.monotonic()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[label] += time.monotonic() - began

    setattr(owner, name, wrapper)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    os.environ["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="ray-start-cost-")

    import ray
    from ray._private import node, services

    from tune_jobs.engine import runner

    timed(services, "get_node", "start: node registration (polled once a second)")
    timed(services, "start_api_server", "start: API server")
    timed(node.Node, "_kill_process_type", "stop: each process killed and waited for, in turn")
    rounds = []
    for _ in range(args.rounds):
        SPENT.clear()
        began = time.monotonic()
        runner.start_ray(None)
        started = time.monotonic()
        ray.shutdown()
        rounds.append({"start: ray.init, in all": started - began, **SPENT,
                       "stop: ray.shutdown, in all": time.monotonic() - started})
        print("  ".join(f"{label.split(',')[0]} {seconds:.2f} s" for label, seconds in rounds[-1].items()),
              flush=True)
    print(f"medians of {args.rounds} rounds:")
    for label in rounds[0]:
        print(f"  {label:55s} {statistics.median(r.get(label, 0.0) for r in rounds):5.2f} s")


if __name__ == "__main__":
    main()
