"""A comparison (several sweeps in one Ray session) with its trials in warm task processes, and without.

    python benchmarks/warm_workers_compare.py [--pairs 1] [--seeds 3] [--samples 6000] [--epochs 4] [--out DIR]

Section 5's comparison (``python -m tune_jobs.compare`` of the seed's grid: the grid, then random,
optuna and optuna + ASHA with ``--seeds`` seeds each at a quarter of the grid's compute, 3 folds,
``--workers 2``; here without the refit), once as tune-jobs runs it (trials train in task
processes kept from one run to the next: ``tune_jobs/engine/warm_workers.py``) and once with
``TUNE_JOBS_WARM_WORKERS=0`` (trials train in Tune's actors, which every run starts afresh),
alternating within a pair and the order swapped from one pair to the next. Prints each whole
process' wall time, the ratio, each run's best score, and whether every configuration of the grid
scored exactly the same both ways (the sampling runs' trials depend on the order trials end in);
writes them to ``--out``.
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

SIDES = {"warm": "1", "actors": "0"}  # TUNE_JOBS_WARM_WORKERS
GRID_PARAMS = ["activation", "batch_norm", "dropout", "lr", "optimizer", "batch_size"]


def run(side: str, args: argparse.Namespace) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"tj-warm-{side}-"))
    env = {**os.environ, "TUNE_JOBS_WARM_WORKERS": SIDES[side], "RAY_TMPDIR": str(out / "ray")}
    (out / "ray").mkdir()
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "tune_jobs.compare", "--space", "search_spaces/fashion_grid.yaml",
                    "--searchers", "grid,random,optuna,optuna+asha", "--seeds", str(args.seeds), "--workers", "2",
                    "--max-train-samples", str(args.samples), "--epochs", str(args.epochs),
                    "--budget-fraction", "0.25", "--no-refit", "--out", str(out)],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"side": side, "wall_s": time.monotonic() - began, **read_runs(out), "out": str(out)}


def read_runs(out: Path) -> dict:
    """Trials and their times, each run's best score, the grid's every score by configuration."""
    grid, best, trial_s, trials = {}, {}, 0.0, 0
    for table in sorted(out.glob("compare-*/runs/*/trials.csv")):
        with open(table) as handle:
            rows = list(csv.DictReader(handle))
        best[table.parent.name] = max(float(r["cv_accuracy"]) for r in rows if r["cv_accuracy"])
        if table.parent.name.startswith("grid"):  # the sampling runs' trials depend on the order trials end in
            grid = {json.dumps([r[p] for p in GRID_PARAMS]): r["cv_accuracy"] for r in rows}
        trial_s += sum(float(r["time_s"]) for r in rows)
        trials += len(rows)
    return {"trial_s": trial_s, "trials": trials, "best": best, "grid": grid}


def summarize(results: list[dict], pairs: int) -> None:
    for pair in range(pairs):
        warm, actors = ([r for r in results if r["pair"] == pair and r["side"] == s][0] for s in SIDES)
        same = warm["grid"] == actors["grid"] and len(warm["grid"]) > 0
        print(f"pair {pair}: warm / actors = {warm['wall_s'] / actors['wall_s']:.3f} (whole processes), "
              f"{warm['trial_s'] / actors['trial_s']:.3f} (sums of trial times); every grid configuration's "
              f"score {'identical' if same else 'NOT identical'} ({len(warm['grid'])} configurations)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=1)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--samples", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--out", default="benchmarks/results/warm-workers")
    args = p.parse_args()
    results = []
    for pair in range(args.pairs):
        for side in (("warm", "actors") if pair % 2 == 0 else ("actors", "warm")):
            result = {**run(side, args), "pair": pair}
            results.append(result)
            print(f"pair {pair}: {side:6s} whole process {result['wall_s']:6.1f} s, {len(result['best'])} runs, "
                  f"{result['trials']} trials, sum of trial times {result['trial_s']:.1f} s; best CV accuracy "
                  f"per run: {json.dumps({k: round(v, 4) for k, v in result['best'].items()})}", flush=True)
    summarize(results, args.pairs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "warm_workers_compare.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results},
        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
