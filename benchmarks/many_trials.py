"""Thousands of short trials: tune-jobs against plain Ray Tune, the same trainable and grid, one Ray.

    python benchmarks/many_trials.py --sizes 500 5000 --out benchmarks/results/many_trials

Each size runs plain Ray Tune (``tune.Tuner`` with ``reuse_actors=True``, 2 trials at a time, no
callback but one that notes when each trial ends) and tune-jobs' runner (``run_sweep``: trials.csv,
the progress line, the Optuna study at the end, summary.json) on the same one-epoch analytic
trainable (tune_jobs/testing.py) over the same grid of that many learning rates (the grid searcher's
param_space: the grid, and the job's defaults for the other hyperparameters), one after the other on
one local Ray of this machine's cores. Both save Ray's experiment state as often: what tune-jobs sets
for a sweep of that size (TUNE_GLOBAL_CHECKPOINT_S from ``runner.snapshot_period_s``: every second up
to 1,000 trials, then every trials / 1000 s). Prints per size: wall times and their ratio (target:
tune-jobs at most 1.1x); for each, seconds per trial over the first and the last hundred trials
(flat: about equal), from when each trial's end event reached the driver (plain Ray Tune: a callback
that only notes the time; tune-jobs: trials.csv's ``elapsed_s``); the driver's memory growth (RSS)
over each run; and how long the report of tune-jobs' run directory takes to write.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_TMPDIR", tempfile.mkdtemp(prefix="tj-", dir="/tmp"))  # not the shared /tmp/ray


def grid(n: int) -> list[float]:
    return [round(0.0001 * (i + 1), 6) for i in range(n)]


def plain(n: int, folder: Path) -> list[float]:
    from ray import tune

    from tune_jobs.engine.runner import SNAPSHOT_ENV, snapshot_period_s
    from tune_jobs.testing import ANALYTIC, analytic_trainable

    class EndTimes(tune.Callback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.times.append(time.monotonic())

    trainable = tune.with_resources(tune.with_parameters(analytic_trainable, job=ANALYTIC, data=None, cv=3, seed=0),
                                    {"cpu": 1})
    ends = EndTimes()
    os.environ[SNAPSHOT_ENV] = f"{snapshot_period_s(n):g}"  # as often as tune-jobs' sweep of this size
    tuner = tune.Tuner(
        trainable, param_space=param_space(n),
        tune_config=tune.TuneConfig(metric=ANALYTIC.objective.key, mode=ANALYTIC.objective.mode,
                                    max_concurrent_trials=2, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(folder), name=f"plain-{n}", verbose=0, callbacks=[ends]))
    try:
        tuner.fit()
    finally:
        del os.environ[SNAPSHOT_ENV]
    return ends.times


def space(n: int):
    from tune_jobs.space.spec import parse_spec

    text = f"name: many\ngrid:\n  lr: {grid(n)}\n  epochs: [1]\n  activation: [relu]\n"
    return parse_spec(text, Path("many.yaml"))


def param_space(n: int) -> dict:
    """What tune-jobs' grid searcher gives Ray: the grid, and the job's defaults for the rest."""
    from tune_jobs.searchers import SearchRequest, get_searcher
    from tune_jobs.testing import ANALYTIC

    request = SearchRequest(spec=space(n), objective=ANALYTIC.objective, seed=0, workers=2, run_dir=Path("."),
                            num_samples=None, optuna_storage=None)
    return get_searcher("grid").plan(request).param_space


def ours(n: int, folder: Path) -> list[float]:
    from tune_jobs.cli import start_run_dir
    from tune_jobs.engine.runner import run_sweep
    from tune_jobs.records import rundir
    from tune_jobs.settings import RunSettings
    from tune_jobs.testing import ANALYTIC, analytic_trainable, tiny_data

    spec = space(n)
    settings = RunSettings(space="many.yaml", job=ANALYTIC.source, workers=2, refit=False, out=str(folder))
    run_dir = start_run_dir(settings, spec, ANALYTIC, rundir.new_run_dir(folder, f"ours-{n}"))
    run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable)
    RUN_DIRS[n] = run_dir
    return [float(row["elapsed_s"]) for row in rundir.read_csv(run_dir / rundir.TRIALS)]


RUN_DIRS: dict[int, Path] = {}  # trials -> tune-jobs' run directory of that size


def report_s(run_dir: Path) -> float:
    """Seconds ``python -m tune_jobs.report RUN_DIR`` takes, in this process."""
    from tune_jobs.report.build import main as report

    began = time.monotonic()
    assert report([str(run_dir), "--out", str(run_dir / "report")]) == 0
    return round(time.monotonic() - began, 1)


def measured(run, n: int, folder: Path) -> dict:
    """Wall time, seconds per trial over the first and last hundred, driver RSS growth of one run."""
    import psutil

    rss = psutil.Process().memory_info().rss
    began = time.monotonic()
    ends = sorted(run(n, folder))
    wall = time.monotonic() - began
    assert len(ends) == n, f"{len(ends)} trials' results for {n} trials"
    span = min(100, n // 5)
    return {"s": round(wall, 1), "s_per_trial_first_100": round((ends[span] - ends[0]) / span, 4),
            "s_per_trial_last_100": round((ends[-1] - ends[-1 - span]) / span, 4),
            "driver_rss_growth_mb": round((psutil.Process().memory_info().rss - rss) / 2**20, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    p.add_argument("--out", default="benchmarks/results/many_trials")
    args = p.parse_args()
    import ray

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="many-trials-"))
    ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    results = []
    began = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        for n in args.sizes:
            plain_run = measured(plain, n, folder)
            ours_run = measured(ours, n, folder)
            result = {"trials": n, "plain": plain_run, "tune_jobs": ours_run,
                      "ratio": round(ours_run["s"] / plain_run["s"], 3), "report_s": report_s(RUN_DIRS[n])}
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        ray.shutdown()
    (out / "many_trials.json").write_text(json.dumps(
        {"command": " ".join(sys.argv), "when": f"{began} - {time.strftime('%H:%M:%S')}", "results": results},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
