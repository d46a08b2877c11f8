"""Seconds per epoch x fold of finished runs' trials, by searcher: what a run's trials cost per
unit of compute, and how much of a trial's time lies outside its folds' fits (a trial's start,
slicing the data, building the models).

    python benchmarks/epoch_cost.py RUN_DIR [RUN_DIR ...] [--epochs 15]

Read with the report's own reader (``records.runs``): for all its ended trials,
and for those that trained ``--epochs`` epochs (trials of the same length compare their per-epoch
cost without the first epoch's tracing weighing more in short ones). BENCHMARKS.md, section 13c.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--epochs", type=int, default=15, help="trials of this many epochs, apart (default: 15)")
    args = p.parse_args()
    from tune_jobs.records.results import per_fold
    from tune_jobs.records.runs import load_runs

    groups: dict[str, list[dict]] = defaultdict(list)
    for run in load_runs(args.runs):
        for row in run.rows:
            if row["status"] in ("ok", "stopped") and row["epochs"]:
                groups[run.label].append({"epochs": int(row["epochs"]), "cv": run.settings.cv, "time": float(row["time_s"]),
                                          "fit": sum(per_fold(row, "fold_fit_s") or [0.0])})
    print(f"{'searcher':14s} {'trials':>6s} {'epochs x folds':>14s} {'s / epoch x fold':>16s} "
          f"{'fit s / epoch x fold':>20s} {'s outside fits / trial':>22s} {f'fit s / epoch x fold, {args.epochs}-epoch trials (n)':>40s}")
    for label, rows in groups.items():
        compute = sum(r["epochs"] * r["cv"] for r in rows)
        long = [r for r in rows if r["epochs"] == args.epochs]
        long_fit = sum(r["fit"] for r in long) / max(1, sum(r["epochs"] * r["cv"] for r in long))
        print(f"{label:14s} {len(rows):6d} {compute:14d} {sum(r['time'] for r in rows) / compute:16.3f} "
              f"{sum(r['fit'] for r in rows) / compute:20.3f} {sum(r['time'] - r['fit'] for r in rows) / len(rows):22.2f} "
              f"{f'{long_fit:.3f} ({len(long)})':>40s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
