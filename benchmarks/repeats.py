"""Compute spent on configurations already trained, for every sampling searcher, on the seed's grid.

    python benchmarks/repeats.py --num-samples 100 --seeds 3 --out benchmarks/results/repeats

The seed's 144-configuration grid (search_spaces/fashion_grid.yaml) through the real runner, real
Ray Tune and the real searchers (random, optuna, optuna + ASHA), with the analytic trainable of
tune_jobs/testing.py in place of Keras (its scores follow the seed's hyperparameters, so TPE
converges and repeats itself as it does on the real data). Per run: trials trained, distinct
configurations trained, epochs x folds spent on a configuration trained before (the target: at most
2% of the run's), and the repeats answered from the records instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(searcher: str, scheduler: str, seed: int, num_samples: int, folder: Path) -> dict:
    from tune_jobs.engine.runner import run_sweep
    from tune_jobs.jobs import get_job
    from tune_jobs.records import rundir
    from tune_jobs.records.results import read_trials
    from tune_jobs.settings import RunSettings
    from tune_jobs.space.spec import load_spec
    from tune_jobs.testing import ANALYTIC, analytic_trainable, tiny_data

    spec = load_spec(ROOT / "search_spaces" / "fashion_grid.yaml", get_job("fashion-mlp").hyperparameters)
    settings = RunSettings(space=str(spec.path), job=ANALYTIC.source, searcher=searcher, scheduler=scheduler,
                           num_samples=num_samples, seed=seed, workers=2, refit=False, out=str(folder))
    run_dir = rundir.new_run_dir(folder, f"{searcher}-{scheduler}-{seed}")
    run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable)
    rows = read_trials(run_dir / rundir.TRIALS)
    seen, repeated, total = set(), 0, 0
    for row in rows:
        key = tuple(row[name] for name in ("activation", "batch_norm", "dropout", "lr", "optimizer", "batch_size"))
        spent = int(row["epochs"] or 0) * settings.cv
        total += spent
        repeated += spent if key in seen else 0
        seen.add(key)
    summary = json.loads((run_dir / rundir.SUMMARY).read_text())
    return {"searcher": searcher, "scheduler": scheduler, "seed": seed, "trials": len(rows),
            "distinct": len(seen), "epochs_x_folds": total, "repeated_epochs_x_folds": repeated,
            "repeated_share": repeated / total if total else 0.0,
            "answered_from_records": summary["n_answered_from_records"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-samples", type=int, default=100)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default="benchmarks/results/repeats")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="repeats-"))
    results = []
    for searcher, scheduler in (("random", "none"), ("optuna", "none"), ("optuna", "asha")):
        for seed in range(args.seeds):
            result = one_run(searcher, scheduler, seed, args.num_samples, folder)
            results.append(result)
            print(f"{searcher}+{scheduler} seed {seed}: {result['trials']} trials, {result['distinct']} distinct, "
                  f"repeated compute {result['repeated_share']:.1%}, {result['answered_from_records']} answered "
                  f"from the records", flush=True)
    (out / "repeats.json").write_text(json.dumps({"command": " ".join(sys.argv), "when": time.strftime(
        "%Y-%m-%d %H:%M:%S"), "num_samples": args.num_samples, "results": results}, indent=2) + "\n")
    print(f"largest repeated share: {max(r['repeated_share'] for r in results):.1%} (target: at most 2%)")


if __name__ == "__main__":
    main()
