"""What Ray Tune's retries of failed trials cost a sweep whose trials raise, now that a retry of a
trial that raised raises its recorded error instead of training (``tune_jobs/engine/retries.py``).

    python benchmarks/failed_trial_retries.py [--before COMMIT] [--pairs 2] [--out DIR]

The reduced grid of tests/test_sweep_integration.py (4 configurations of the seed's model, SGD at
lr 0.01 and at lr 1e12, which diverges at epoch 1; 3,000 images, 3 folds, 2 epochs, ``--workers 2``,
with the refit) as whole processes: ``today`` with ``--max-failures 2`` (the default: each
diverging trial is attempted three times), ``none`` with ``--max-failures 0`` (no retry: the floor)
and, given ``--before``, that commit's code with the default (run from a git worktree with this
checkout's virtual environment), in an order rotated from one round to the next. Prints each
process' wall time, how many of the failed trials' attempts trained (read from Ray Tune's
error.txt), and per round the ratios to ``none``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPACE = ("grid:\n  activation: [relu, swish]\n  optimizer: [SGD]\n  lr: [0.01, 1.0e+12]\n  batch_size: [256]\n"
         "  epochs: [2]\n")
MAX_FAILURES = {"today": "2", "none": "0", "before": "2"}


def run(side: str, space: Path, before: Path | None) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"tj-retries-{side}-"))
    env = {**os.environ, "RAY_TMPDIR": str(out / "ray")}
    (out / "ray").mkdir()
    code_dir = before if side == "before" else ROOT  # ``python -m`` puts its working directory first on sys.path
    began = time.monotonic()
    code = subprocess.run([sys.executable, "-m", "tune_jobs.fashion", "--space", str(space), "--workers", "2",
                           "--max-train-samples", "3000", "--max-failures", MAX_FAILURES[side],
                           "--out", str(out / "runs")],
                          cwd=code_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.monotonic() - began
    version = subprocess.run([sys.executable, "-c", "import tune_jobs; print(tune_jobs.__file__)"],
                             cwd=code_dir, capture_output=True, text=True).stdout
    assert version.startswith(str(code_dir)), version  # the code it claims to run
    [run_dir] = (out / "runs").iterdir()
    attempts, trained = 0, 0
    for errors in (run_dir / "tune").glob("*/error.txt"):
        failures = errors.read_text().split("Failure # ")[1:]
        attempts += len(failures)
        trained += sum("train_folds" in f for f in failures)
    return {"side": side, "wall_s": wall, "exit_code": code, "failed_attempts": attempts,
            "attempts_that_trained": trained, "run_dir": str(run_dir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="an older commit, run with the default --max-failures")
    parser.add_argument("--pairs", type=int, default=2, help="rounds of every side")
    parser.add_argument("--out", default="benchmarks/results/failed-trial-retries")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tj-retries-"))
    space = work / "reduced.yaml"
    space.write_text(SPACE)
    sides = ["today", "none", *(["before"] if args.before else [])]
    before = work / "before" if args.before else None
    if before:
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(before), args.before], cwd=ROOT, check=True)
    rounds: list[dict[str, dict]] = []
    try:
        for turn in range(args.pairs):
            rounds.append({})
            for side in sides[turn % len(sides):] + sides[:turn % len(sides)]:
                result = run(side, space, before)
                rounds[-1][side] = result
                print(f"round {turn + 1} {side:7s} {result['wall_s']:6.1f} s  exit {result['exit_code']}  "
                      f"failed attempts {result['failed_attempts']}, of which trained "
                      f"{result['attempts_that_trained']}", flush=True)
    finally:
        if before:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False)
    for turn, results in enumerate(rounds, 1):
        floor = results["none"]["wall_s"]
        print(f"round {turn}: " + ", ".join(f"{side} / none = {results[side]['wall_s'] / floor:.3f}"
                                           for side in sides if side != "none"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "before": args.before,
         "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
