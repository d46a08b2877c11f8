"""Where the drop-in's whole process goes: its benchmark's tune-jobs side, in one process, with the
runner's phases timed (before the search and its CPU-load check, Ray's start, the trials, Ray's shutdown), each trial's
own time from its trials.csv, and when the first trial began after Tune's start (from the trials'
result.json: Tune's own start and its trial actors' processes).

    python benchmarks/dropin_phases.py [--samples 12000] [--epochs 3] [--n-jobs 2]

The same search as ``dropin_vs_gridsearchcv.py --side tune-jobs`` (8 configurations of the seed's
grid, cv=3, no refit). Complements ``trial_cost.py``, which times the steps inside one trial.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
STARTED = time.monotonic()
PHASES: list[tuple[str, float, float]] = []


def timed(owner, name: str) -> None:
    """Record when ``owner.name`` starts and ends, each time it is called."""
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        began = time.monotonic() - STARTED
        try:
            return inner(*args, **kwargs)
        finally:
            PHASES.append((name, began, time.monotonic() - STARTED))

    setattr(owner, name, wrapper)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=12_000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--n-jobs", type=int, default=2)
    args = p.parse_args()

    from ray import tune

    from benchmarks.dropin_vs_gridsearchcv import create_model, grid
    from tune_jobs.engine import runner
    from tune_jobs.jobs.fashion_data import load_fashion_mnist
    from tune_jobs.records import rundir
    from tune_jobs.records.results import read_trials
    from tune_jobs.sklearn import GridSearchCV, KerasClassifier

    for owner, name in ((runner, "warn_about_load"), (runner, "start_ray"), (tune.Tuner, "fit"), (runner, "stop_ray")):
        timed(owner, name)
    data = load_fashion_mnist()
    x, y = data.x_train[:args.samples], data.y_train[:args.samples]
    search_began = time.monotonic() - STARTED
    search = GridSearchCV(KerasClassifier(build_fn=create_model), grid("eight", args.epochs), cv=3, n_jobs=args.n_jobs,
                          refit=False, out=tempfile.mkdtemp(prefix="dropin-phases-")).fit(x, y)
    ended = time.monotonic() - STARTED

    first = {name: (began, end) for name, began, end in reversed(PHASES)}
    print(f"imports and data          {search_began:6.1f} s")
    print(f"search, before Ray        {first['start_ray'][0] - search_began:6.1f} s "
          f"(TensorFlow's import, the first candidate's model built in the driver)")
    began, end = first["warn_about_load"]
    print(f"  of which the CPU-load check {end - began:4.2f} s")
    for label, name in (("Ray's start", "start_ray"), ("the trials (Tuner.fit)", "fit"),
                        ("Ray's shutdown", "stop_ray")):
        began, end = first[name]
        print(f"{label:25s} {end - began:6.1f} s")
    print(f"whole process             {ended:6.1f} s")
    rows = sorted(read_trials(search.run_dir_ / rundir.TRIALS), key=lambda r: float(r["elapsed_s"]))
    times = [float(r["time_s"]) for r in rows]
    firsts, later = times[:args.n_jobs], times[args.n_jobs:]
    print(f"trials: the first {len(firsts)} (one per worker) {', '.join(f'{t:.1f}' for t in firsts)} s; "
          f"later ones {min(later):.1f}-{max(later):.1f} s")
    began = min(trial_starts(search.run_dir_)) - (time.time() - time.monotonic()) - STARTED
    print(f"the first trial began {began - first['fit'][0]:.1f} s after Tuner.fit did (Tune's start, its actors' "
          f"processes; result.json's timestamps are whole seconds)")


def trial_starts(run_dir: Path) -> list[float]:
    """When each trial's trainable began (epoch seconds): its last result's time less its running time."""
    lasts = [json.loads(path.read_text().splitlines()[-1]) for path in run_dir.glob("tune/*/result.json")]
    return [last["timestamp"] - last["time_total_s"] for last in lasts]


if __name__ == "__main__":
    main()
