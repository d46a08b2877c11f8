"""One trial of the drop-in against one trial of the command line's job, in one process each (no
Ray): the same seed's model and 6,000 images, 3 folds, 4 epochs, one TensorFlow thread, validated
once, as each side's sweep trains it; three configurations (lr 0.001 / 0.002 / 0.01) first, then
the same six times more, timed and profiled (every model already traced: kept models).

    python benchmarks/dropin_trial_vs_cli_trial.py [--rounds 2] [--out benchmarks/results/dropin-trial-vs-cli]

The sides run in turns, each in a fresh process. Why: BENCHMARKS.md 10c found a drop-in trial of
the seed's grid twice as long as the command line's (6.2 s against 3.1 s, measured on other days
in different sweeps); this asks whether the trainable itself differs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES, EPOCHS, CV = 6000, 4, 3


def dropin_side():
    """The drop-in's job of the seed's create_model and grid (its first activation, batch norm,
    dropout, optimizer; batch 512), validated by scikit-learn's scorer through predict."""
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import check_cv

    from benchmarks.dropin_vs_gridsearchcv import create_model, grid
    from tune_jobs.jobs.fashion_data import load_fashion_mnist
    from tune_jobs.sklearn import KerasClassifier
    from tune_jobs.sklearn.codec import Codec, listed
    from tune_jobs.sklearn.estimator_job import estimator_job

    data = load_fashion_mnist()
    x, y = data.x_train[:SAMPLES], data.y_train[:SAMPLES]
    param_grid = {**grid("seed", EPOCHS), "batch_size": [512]}
    estimator = KerasClassifier(build_fn=create_model)
    codec = Codec.of({name: listed(values, name) for name, values in param_grid.items()})
    splits = list(check_cv(CV, y, classifier=True).split(x, y))
    job = estimator_job(estimator, codec, x, y, splits, check_scoring(estimator), "probe", scikit_learns_scorer=True)
    given = job.load_data(None)
    first = {name: codec.space_values(name)[0] for name in param_grid}
    configs = [{**first, "_lr": lr} for lr in codec.space_values("_lr")]
    return job, given.x_train, given.y_train, configs


def cli_side():
    """The fashion-mlp job as ``python -m tune_jobs.fashion`` runs it (Keras' evaluate in fit)."""
    from tune_jobs.jobs import DataOptions, prepare
    from tune_jobs.jobs.fashion_mlp import JOB
    from tune_jobs.space.spec import parse_spec

    space = ROOT / "search_spaces" / "fashion_grid.yaml"
    spec = parse_spec(space.read_text(), space)
    base = {"layers": 1, "units": 128, **spec.first_config(), "epochs": EPOCHS, "batch_size": 512}
    job, data = prepare(JOB, DataOptions(seed=0), SAMPLES, CV, base)
    arrays = data.arrays()
    configs = [{**base, "lr": lr} for lr in (0.001, 0.002, 0.01)]
    return job, arrays["x_train"], arrays["y_train"], configs


SIDES = {"dropin": dropin_side, "cli": cli_side}


def one_trial(job, config, x, y) -> dict:
    """A trial validated once, as a sweep's trial trains it (``train_folds``), without Ray."""
    from tune_jobs.engine.fold_training import LAST_EPOCH
    from tune_jobs.engine.trainable import train_folds

    results = []
    started = time.perf_counter()
    train_folds(config, job, {"x_train": x, "y_train": y}, cv=CV, seed=0, threads=1, node="here",
                report=results.append, reports=LAST_EPOCH)
    folds = results[-1]
    return {"trial_s": time.perf_counter() - started, "fit_s": sum(folds["fold_fit_s"]),
            "score_s": sum(folds["fold_score_s"])}


def run_side(name: str) -> dict:
    job, x, y, configs = SIDES[name]()
    first = [one_trial(job, c, x, y) for c in configs]  # each shape traced here
    profile = cProfile.Profile()
    profile.enable()
    kept = [one_trial(job, c, x, y) for c in configs * 2]
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(r"(trainer|fold_training|wrappers|_scorer)\.py", 12)
    return {"side": name, "first_trials": first, "kept_trials": kept,
            "kept_trial_s": sum(t["trial_s"] for t in kept), "kept_fit_s": sum(t["fit_s"] for t in kept),
            "kept_score_s": sum(t["score_s"] for t in kept), "profile": text.getvalue()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", default="benchmarks/results/dropin-trial-vs-cli")
    p.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.side:
        print(json.dumps(run_side(args.side)))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for round_ in range(args.rounds):
        for side in (("cli", "dropin") if round_ % 2 == 0 else ("dropin", "cli")):
            done = subprocess.run([sys.executable, __file__, "--side", side], capture_output=True, text=True,
                                  check=True)
            result = {"round": round_, **json.loads(done.stdout.strip().splitlines()[-1])}
            results.append(result)
            print(f"round {round_} {side}: 6 kept trials {result['kept_trial_s']:.1f} s "
                  f"(folds' fits {result['kept_fit_s']:.1f} s, validation {result['kept_score_s']:.1f} s)")
    for round_ in range(args.rounds):
        by_side = {r["side"]: r for r in results if r["round"] == round_}
        print(f"round {round_}: drop-in / command line, 6 kept trials: "
              f"{by_side['dropin']['kept_trial_s'] / by_side['cli']['kept_trial_s']:.3f}")
    (out / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
