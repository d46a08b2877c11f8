"""Probe (BENCHMARKS.md section 10, "Ray's start and stop, a second or two shorter"): where a
starting raylet's time goes, from its own log. Starts a private local Ray as tune-jobs does
(``runner.start_ray``), with or without the quick first connect, in a process of its own per round,
and prints, from raylet.out, the seconds after the raylet's first line at which its object store
was made, its object manager listened (after its first connect to the store), its agents were
started, and it registered with the GCS (its "started" line). Run from the repository root:

    python PATH/raylet_log_probe.py [--rounds 3]
"""

import argparse
import datetime
import glob
import os
import re
import subprocess
import sys
import tempfile

MARKS = {"store made": "create_and_mmap_buffer", "object manager listens": "ObjectManager server started",
         "agents started": "Monitor agent process with name runtime_env_agent",
         "agents answered": "Metrics agent not available", "registered": "started. Raylet consists of"}
STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def one(quick: bool) -> None:
    os.environ["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="raylet-log-probe-")
    sys.path.insert(0, os.getcwd())
    from tune_jobs.engine import runner

    if not quick:
        runner.QUICK_FIRST_CONNECT = {}
    runner.start_ray(None)
    runner.stop_ray()
    [log] = {os.path.realpath(p) for p in glob.glob(os.environ["RAY_TMPDIR"] + "/**/logs/raylet.out", recursive=True)}
    lines = [line for line in open(log, errors="replace") if STAMP.match(line)]
    first = _when(lines[0])
    seen = {mark: next((_when(line) - first for line in lines if text in line), None) for mark, text in MARKS.items()}
    print("  ".join(f"{mark} {s:.2f} s" if s is not None else f"{mark} -" for mark, s in seen.items()))


def _when(line: str) -> float:
    stamp = STAMP.match(line).group(1)
    return datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--one", choices=["quick", "default"])
    args = p.parse_args()
    if args.one:
        one(args.one == "quick")
        return
    for number in range(args.rounds):
        for way in ("quick", "default"):
            out = subprocess.run([sys.executable, __file__, "--one", way], capture_output=True, text=True, check=True)
            print(f"round {number} {way:8s} {out.stdout.strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    main()
