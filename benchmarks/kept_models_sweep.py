"""A whole grid sweep with compiled models kept across a trial process' trials, and without.

    python benchmarks/kept_models_sweep.py [--pairs 1] [--samples 6000] [--epochs 4] [--first kept|own] [--out DIR]

The seed's grid (144 configurations, search_spaces/fashion_grid.yaml) as section 5's comparison
runs its grid (6,000 training images, 4 epochs, 3 folds, ``--workers 2``; here without the
refit), once as tune-jobs runs it and once with ``TUNE_JOBS_KEEP_MODELS=0`` (every trial compiles
its own model), alternating within a pair. Prints each whole process' wall time, the ratio, and
whether every configuration scored exactly the same both ways; writes them to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIDES = {"kept": "1", "own": "0"}  # TUNE_JOBS_KEEP_MODELS


def run(side: str, samples: int, epochs: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"tj-kept-{side}-"))
    env = {**os.environ, "TUNE_JOBS_KEEP_MODELS": SIDES[side], "RAY_TMPDIR": str(out / "ray")}
    (out / "ray").mkdir()
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "tune_jobs.fashion", "--workers", "2", "--max-train-samples", str(samples),
                    "--epochs", str(epochs), "--no-refit", "--out", str(out / "runs")],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - began
    [run_dir] = (out / "runs").iterdir()
    with open(run_dir / "trials.csv") as handle:
        rows = list(csv.DictReader(handle))
    params = ["activation", "batch_norm", "dropout", "lr", "optimizer", "batch_size"]
    scores = {json.dumps([r[p] for p in params]): r["cv_accuracy"] for r in rows}
    trial_s = sum(float(r["time_s"]) for r in rows)
    return {"side": side, "wall_s": wall, "trial_s": trial_s, "trials": len(rows), "scores": scores,
            "run_dir": str(run_dir)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=1)
    p.add_argument("--samples", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--first", choices=list(SIDES), default="kept", help="the side that runs first in pair 0")
    p.add_argument("--out", default="benchmarks/results/kept-models")
    args = p.parse_args()
    results = []
    for pair in range(args.pairs):
        order = ("kept", "own") if args.first == "kept" else ("own", "kept")
        for side in (order if pair % 2 == 0 else order[::-1]):
            result = {**run(side, args.samples, args.epochs), "pair": pair}
            results.append(result)
            print(f"pair {pair}: {side:4s} whole process {result['wall_s']:6.1f} s, {result['trials']} trials, "
                  f"sum of trial times {result['trial_s']:.1f} s", flush=True)
    for pair in range(args.pairs):
        kept, own = ([r for r in results if r["pair"] == pair and r["side"] == s][0] for s in SIDES)
        same = kept["scores"] == own["scores"]
        print(f"pair {pair}: kept / own = {kept['wall_s'] / own['wall_s']:.3f} (whole processes), "
              f"{kept['trial_s'] / own['trial_s']:.3f} (sums of trial times); every configuration's score "
              f"{'identical' if same else 'NOT identical'}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "kept_models_sweep.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
