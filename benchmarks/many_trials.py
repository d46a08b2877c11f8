"""Thousands of short trials: tune-jobs against plain Ray Tune, the same trainable and grid, one Ray.

    python benchmarks/many_trials.py --sizes 500 5000 --out benchmarks/results/many_trials

Each size runs plain Ray Tune (``tune.Tuner`` with ``reuse_actors=True``, 2 trials at a time, no
callbacks) and tune-jobs' runner (``run_sweep``: trials.csv, the progress line, the Optuna study at
the end, summary.json) on the same one-epoch analytic trainable (tune_jobs/testing.py) over a grid of
that many learning rates, one after the other on one local Ray of this machine's cores. Both save
Ray's experiment state every second (TUNE_GLOBAL_CHECKPOINT_S=1, what tune-jobs sets for
resumability). Prints per size: wall times and their ratio (target: tune-jobs at most 1.1x), tune-jobs'
seconds per trial over its first and last tenth of trials (flat: about equal), and the driver's memory
growth (RSS) over the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["TUNE_GLOBAL_CHECKPOINT_S"] = "1"
os.environ.setdefault("RAY_TMPDIR", tempfile.mkdtemp(prefix="tj-", dir="/tmp"))  # not the shared /tmp/ray


def grid(n: int) -> list[float]:
    return [round(0.0001 * (i + 1), 6) for i in range(n)]


def plain(n: int, folder: Path) -> float:
    from ray import tune

    from tune_jobs.testing import ANALYTIC, analytic_trainable

    trainable = tune.with_resources(tune.with_parameters(analytic_trainable, job=ANALYTIC, data=None, cv=3, seed=0),
                                    {"cpu": 1})
    tuner = tune.Tuner(
        trainable, param_space={"lr": tune.grid_search(grid(n)), "epochs": 1, "activation": "relu"},
        tune_config=tune.TuneConfig(metric=ANALYTIC.objective.key, mode=ANALYTIC.objective.mode,
                                    max_concurrent_trials=2, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(folder), name=f"plain-{n}", verbose=0))
    began = time.monotonic()
    tuner.fit()
    return time.monotonic() - began


def ours(n: int, folder: Path) -> tuple[float, list[float]]:
    from tune_jobs.engine.runner import run_sweep
    from tune_jobs.records import rundir
    from tune_jobs.settings import RunSettings
    from tune_jobs.space.spec import parse_spec
    from tune_jobs.testing import ANALYTIC, analytic_trainable, tiny_data

    text = f"name: many\ngrid:\n  lr: {grid(n)}\n  epochs: [1]\n  activation: [relu]\n"
    spec = parse_spec(text, Path("many.yaml"))
    settings = RunSettings(space="many.yaml", job=ANALYTIC.source, workers=2, refit=False, out=str(folder))
    run_dir = rundir.new_run_dir(folder, f"ours-{n}")
    began = time.monotonic()
    run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable)
    wall = time.monotonic() - began
    ends = sorted(float(r["elapsed_s"]) for r in rundir.read_csv(run_dir / rundir.TRIALS))
    return wall, ends


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    p.add_argument("--out", default="benchmarks/results/many_trials")
    args = p.parse_args()
    import psutil
    import ray

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="many-trials-"))
    ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    results = []
    try:
        for n in args.sizes:
            plain_s = plain(n, folder)
            rss_before = psutil.Process().memory_info().rss
            ours_s, ends = ours(n, folder)
            rss_after = psutil.Process().memory_info().rss
            tenth = max(1, n // 10)
            first = (ends[tenth] - ends[0]) / tenth
            last = (ends[-1] - ends[-1 - tenth]) / tenth
            result = {"trials": n, "plain_s": round(plain_s, 1), "tune_jobs_s": round(ours_s, 1),
                      "ratio": round(ours_s / plain_s, 3), "s_per_trial_first_tenth": round(first, 4),
                      "s_per_trial_last_tenth": round(last, 4), "driver_rss_growth_mb": round(
                          (rss_after - rss_before) / 2**20, 1)}
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        ray.shutdown()
    (out / "many_trials.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
