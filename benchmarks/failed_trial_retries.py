"""What Ray Tune's retries of failed trials cost a sweep whose trials raise, now that a retry of a
trial that raised raises its recorded error instead of training (``tune_jobs/engine/retries.py``).

    python benchmarks/failed_trial_retries.py [--pairs 2] [--out DIR]

The reduced grid of tests/test_sweep_integration.py (4 configurations of the seed's model, SGD at
lr 0.01 and at lr 1e12, which diverges at epoch 1; 3,000 images, 3 folds, 2 epochs, ``--workers 2``,
with the refit) as whole processes, once with ``--max-failures 2`` (the default: each diverging
trial is attempted three times) and once with ``--max-failures 0`` (no retry: the floor), alternating
within a pair and the order swapped from one pair to the next. Prints each process' wall time, the
ratio, and how many of each failed trial's attempts trained (read from Ray Tune's error.txt).
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

SPACE = ("grid:\n  activation: [relu, swish]\n  optimizer: [SGD]\n  lr: [0.01, 1.0e+12]\n  batch_size: [256]\n"
         "  epochs: [2]\n")
SIDES = {"retries": "2", "none": "0"}  # --max-failures


def run(side: str, space: Path) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"tj-retries-{side}-"))
    env = {**os.environ, "RAY_TMPDIR": str(out / "ray")}
    (out / "ray").mkdir()
    began = time.monotonic()
    code = subprocess.run([sys.executable, "-m", "tune_jobs.fashion", "--space", str(space), "--workers", "2",
                           "--max-train-samples", "3000", "--max-failures", SIDES[side], "--out", str(out / "runs")],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.monotonic() - began
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
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/failed-trial-retries")
    args = parser.parse_args()
    space = Path(tempfile.mkdtemp(prefix="tj-retries-space-")) / "reduced.yaml"
    space.write_text(SPACE)
    results = []
    for pair in range(args.pairs):
        for side in (["retries", "none"] if pair % 2 == 0 else ["none", "retries"]):
            result = run(side, space)
            results.append(result)
            print(f"pair {pair + 1} {side:8s} {result['wall_s']:6.1f} s  exit {result['exit_code']}  "
                  f"failed attempts {result['failed_attempts']}, of which trained {result['attempts_that_trained']}",
                  flush=True)
    for pair in range(args.pairs):
        walls = {r["side"]: r["wall_s"] for r in results[2 * pair:2 * pair + 2]}
        print(f"pair {pair + 1}: --max-failures 2 / --max-failures 0 = {walls['retries'] / walls['none']:.3f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
         "results": results}, indent=1))


if __name__ == "__main__":
    main()
