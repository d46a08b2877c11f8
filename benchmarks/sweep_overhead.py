"""Benchmarks 1 and 2 of the grid sweep, side by side in one run on one reduced grid.

    python benchmarks/sweep_overhead.py [--space benchmarks/reduced_grid.yaml] [--max-train-samples 20000] [--repeats 1]

1. Overhead: the sweep's wall time against the sum of its trials' own time / workers (target <= 1.15).
2. tune-jobs --workers 2 against the seed's GridSearchCV(KerasClassifier, n_jobs=2): wall time ratio
   (issue 13's target <= 0.8; issue 2's was <= 1), the same best configuration, CV accuracies within
   fold noise. Issue 13's second size: --space benchmarks/eight_configs.yaml --max-train-samples 12000.
Runs alternate (ours, theirs, ours, theirs ...) so that a noisy neighbour hurts both alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARAMS_ORDER = ("activation", "batch_norm", "lr", "optimizer")


def run_ours(space: Path, n: int, workers: int, out: Path) -> dict:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "tune_jobs.fashion", "--space", str(space), "--workers", str(workers),
                    "--max-train-samples", str(n), "--no-refit", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    process_s = time.monotonic() - started
    run_dir = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
    summary = json.loads((run_dir / "summary.json").read_text())
    from tune_jobs.records.rundir import read_csv

    rows = read_csv(run_dir / "trials.csv")
    return {"process_s": process_s, "sweep_s": summary["wall_s"], "trial_s": summary["trial_time_s"],
            "best_config": summary["best_config"], "best_cv_accuracy": summary["best_score"], "rows": rows}


def run_theirs(space: Path, n: int, workers: int, out: Path) -> dict:
    target = out / f"gridsearchcv-{time.time_ns()}.json"
    started = time.monotonic()
    subprocess.run([sys.executable, str(HERE / "gridsearchcv_seed.py"), str(space), "--max-train-samples", str(n),
                    "--n-jobs", str(workers), "--json", str(target)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = json.loads(target.read_text())
    result["process_s"] = time.monotonic() - started
    return result


def key(config: dict) -> tuple:
    return tuple(str(config[k]) for k in sorted(config) if k in PARAMS_ORDER)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--space", type=Path, default=HERE / "reduced_grid.yaml")
    p.add_argument("--max-train-samples", type=int, default=20000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    out = Path(tempfile.mkdtemp(prefix="tj-bench-"))
    ours, theirs = [], []
    try:
        for _ in range(args.repeats):
            ours.append(run_ours(args.space, args.max_train_samples, args.workers, out))
            theirs.append(run_theirs(args.space, args.max_train_samples, args.workers, out))
    finally:
        shutil.rmtree(out, ignore_errors=True)

    print(f"space {args.space.name}, {args.max_train_samples} training images, {args.workers} workers, "
          f"{args.repeats} repeat(s)")
    print("\n1. overhead of the sweep (wall / (sum of trial time / workers)); target <= 1.15")
    for i, o in enumerate(ours):
        ideal = o["trial_s"] / args.workers
        print(f"  run {i}: trials {o['trial_s']:.1f} s in all -> ideal {ideal:.1f} s; sweep {o['sweep_s']:.1f} s "
              f"(ratio {o['sweep_s'] / ideal:.3f}); whole process {o['process_s']:.1f} s (ratio {o['process_s'] / ideal:.3f})")

    print("\n2. tune-jobs against GridSearchCV + KerasClassifier, same folds; target: ratio <= 0.8 (issue 13)")
    for i, (o, t) in enumerate(zip(ours, theirs)):
        print(f"  run {i}: tune-jobs {o['process_s']:.1f} s, GridSearchCV {t['process_s']:.1f} s "
              f"(fit {t['fit_s']:.1f} s): ratio {o['process_s'] / t['process_s']:.3f}")
    o, t = ours[-1], theirs[-1]
    print(f"  best: tune-jobs {key(o['best_config'])} {o['best_cv_accuracy']:.4f}; "
          f"GridSearchCV {key(t['best_config'])} {t['best_cv_accuracy']:.4f}; same: {key(o['best_config']) == key(t['best_config'])}")
    mine = {tuple(str(r[k]) for k in sorted(PARAMS_ORDER)): r for r in o["rows"]}
    diffs, stds = [], []
    for result in t["results"]:
        row = mine[key(result["params"])]
        diffs.append(abs(float(row["cv_accuracy"]) - result["cv_accuracy"]))
        stds.append(max(float(row["cv_accuracy_std"]), result["cv_accuracy_std"]))
    print(f"  per configuration |difference| of mean CV accuracy: median {statistics.median(diffs):.4f}, "
          f"max {max(diffs):.4f}; fold std median {statistics.median(stds):.4f}; "
          f"{sum(d <= 2 * s for d, s in zip(diffs, stds))}/{len(diffs)} within 2 fold std")


if __name__ == "__main__":
    main()
