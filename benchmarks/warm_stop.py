"""How long a stopped trial in a warm task process (``tune_jobs.engine.warm_workers``) takes to end,
and whether the next trial, started at once on the same actor as Tune starts it, trains in the same
process. Without TensorFlow: a stand-in training of short epochs, stopped after its second.

    python benchmarks/warm_stop.py [--stops 10]

Prints, per stop, the seconds from Tune's stop (its ``report`` raising in the trial's actor) to the
trial's end, and the process the next trial trained in. BENCHMARKS.md, section 14e.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def short_epochs(epochs: int, *, threads: int, report: Callable[[dict], None]) -> None:
    """Epochs of 50 ms, each reported with the process that trained it."""
    for epoch in range(1, epochs + 1):
        time.sleep(0.05)
        report({"epoch": epoch, "pid": os.getpid()})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stops", type=int, default=10)
    args = p.parse_args()
    os.environ.setdefault("RAY_TMPDIR", tempfile.mkdtemp(prefix="warm-stop-"))
    import ray

    from tune_jobs.engine import runner
    from tune_jobs.testing import StandInTrial

    runner.start_ray(None, None, 2)
    try:
        trial = ray.remote(num_cpus=1)(StandInTrial).remote()
        ends, same = [], 0
        for _ in range(args.stops):
            stopped_in = ray.get(trial.run.remote(short_epochs, 5, stop_after=2))[-1]["pid"]
            end_s = ray.get(trial.last_stop_to_end_s.remote())
            next_in = ray.get(trial.run.remote(short_epochs, 1))[-1]["pid"]  # at once, as Tune starts the next trial
            ends.append(end_s)
            same += next_in == stopped_in
            print(f"stopped trial ended {end_s:.3f} s after its stop; next trial in "
                  f"{'the same process' if next_in == stopped_in else 'a new process'}")
        print(f"median {statistics.median(ends):.3f} s from stop to end (min {min(ends):.3f}, max {max(ends):.3f}); "
              f"next trial in the same process {same} of {args.stops}")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
