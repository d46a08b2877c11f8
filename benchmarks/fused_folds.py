"""One trial's k-fold training, side by side: the folds fused into one Keras model
(``benchmarks/fused_trainer.py``) against the folds taking turns in one model
(``tune_jobs.engine.fold_training``), at 1, 2 and 4 TensorFlow threads; each validated and
reported after every epoch (``every``: lockstep, what a budget and MLflow's curves need), after
ASHA's rungs only (``rungs``: 1, 3, 9 and 15 of 15 epochs with its default settings; the epochs
between in one turn per fold) or once (``last``: a fold's epochs in one turn, what a grid needs).

    python benchmarks/fused_folds.py [--samples 60000] [--epochs 15] [--repeats 2] [--threads 1 2 4] [--before]
                                     [--configs 1] [--validation every last] [--trainers turns fused]

``--configs N`` packs N configurations of one shape into the trial: N x 3 networks fused into one
model, against the same N x 3 taking turns (issue 13's "packing several configurations of one
trial-shape into one model"). A timing probe of the step's cost: the copies share the first
configuration's optimizer settings, as the fused model compiles one optimizer.

The seed's best configuration, 3 stratified folds of the full training set. Every measurement is
a fresh process (TensorFlow fixes its thread pools once per process), the variants alternating
so that a noisy neighbour hurts all alike. It times what a trial's training costs: building the
fold models, Keras' tracing, every epoch and validation; not importing TensorFlow or reading data.
Prints each run's seconds and per-fold validation accuracy, then per thread count the median
ratio fused / taking turns, and per trainer each validation / lockstep.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIG = {"activation": "swish", "batch_norm": 1, "dropout": 0.2, "layers": 1, "units": 128,
          "optimizer": "Adam", "lr": 0.01, "batch_size": 512}
TRAINERS = ("turns", "fused")
# "before": taking turns in lockstep with one step per call into TensorFlow. NOT the trainable of main
# before that change as it ran in a sweep (BENCHMARKS.md section 14, correction): a probe of one setting.
BEFORE = "before"
VALIDATION = ("every", "rungs", "last")  # lockstep, at ASHA's rungs, or once after the last epoch


def reports(validation: str, epochs: int):
    from tune_jobs.engine.fold_training import EVERY_EPOCH, LAST_EPOCH, Reports
    from tune_jobs.searchers.schedulers import reads_at

    return {"every": EVERY_EPOCH, "rungs": Reports(rungs=reads_at("asha", epochs, {})), "last": LAST_EPOCH}[validation]


def one(trainer: str, threads: int, validation: str, samples: int, epochs: int, configs: int = 1) -> dict:
    """One trial's training in this process; what it measured, as a dict."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from tune_jobs.engine import fold_training
    from fused_trainer import FusedFolds
    from tune_jobs.engine.fold_training import TakingTurns
    from tune_jobs.engine.fresh_start import prepare_keras
    from tune_jobs.jobs.fashion_data import load_fashion_mnist
    from tune_jobs.jobs.fashion_mlp import JOB

    data = load_fashion_mnist(None)
    keep = JOB.subset(data.y_train, samples if samples < len(data.y_train) else None, 0)
    x, y = data.x_train[keep], data.y_train[keep]
    splits = [(x[tr], y[tr], x[va], y[va]) for tr, va in JOB.splits(y, 3, 0)] * configs
    prepare_keras(threads=threads, seed=0)
    config = {**CONFIG, "epochs": epochs}
    started = time.perf_counter()
    models = [JOB.model(config) for _ in splits]
    if trainer == BEFORE:
        fold_training.STEPS_PER_EXECUTION = 1
    fold_trainer = (FusedFolds(JOB, models, splits) if trainer == "fused"
                    else TakingTurns(JOB, models[0], [m.get_weights() for m in models], splits))
    last: list[dict] = []
    fold_trainer.train(reports(validation, epochs).epochs(epochs), config["batch_size"],
                       lambda epoch, scores: last.__setitem__(slice(None), scores))
    return {"seconds": time.perf_counter() - started, "val_accuracy": [round(s["val_accuracy"], 4) for s in last]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--configs", type=int, default=1, help="configurations of one shape packed into the trial")
    p.add_argument("--before", action="store_true",
                   help="also taking turns in lockstep at one step per call (a probe; not the old trainable as a sweep ran it)")
    p.add_argument("--validation", nargs="+", choices=VALIDATION, default=["every", "last"])
    p.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    p.add_argument("--one", nargs=3, metavar=("TRAINER", "THREADS", "VALIDATION"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        trainer, threads, validation = args.one
        print(json.dumps(one(trainer, int(threads), validation, args.samples, args.epochs, args.configs)))
        return 0
    print(f"{args.samples} images, 3 folds x {args.configs} configuration(s), {args.epochs} epochs, {CONFIG}",
          flush=True)
    seconds: dict[tuple, list[float]] = {}
    for repeat in range(args.repeats):
        for threads in args.threads:
            for validation in (args.validation if repeat % 2 == 0 else args.validation[::-1]):
                trainers = tuple(args.trainers) + ((BEFORE,) if args.before and validation == "every" else ())
                for trainer in (trainers if repeat % 2 == 0 else trainers[::-1]):
                    out = subprocess.run([sys.executable, __file__, "--samples", str(args.samples), "--epochs",
                                          str(args.epochs), "--configs", str(args.configs),
                                          "--one", trainer, str(threads), validation],
                                         capture_output=True, text=True, check=True).stdout
                    run = json.loads(out.strip().splitlines()[-1])
                    seconds.setdefault((trainer, threads, validation), []).append(run["seconds"])
                    print(f"repeat {repeat} threads {threads} validate {validation:5s} {trainer:5s}: "
                          f"{run['seconds']:6.2f} s  fold val_accuracy {run['val_accuracy']}", flush=True)
    median = {key: statistics.median(values) for key, values in seconds.items()}
    print("\nmedian seconds and ratios")
    for threads in args.threads:
        for validation in args.validation:
            times = "  ".join(f"{t} {median[(t, threads, validation)]:6.2f} s" for t in args.trainers)
            if set(TRAINERS) <= set(args.trainers):
                times += f"  fused / turns {median[('fused', threads, validation)] / median[('turns', threads, validation)]:.2f}"
            print(f"threads {threads} validate {validation:5s}: {times}")
        for trainer in args.trainers:
            for validation in [v for v in args.validation if v != "every"]:
                if "every" in args.validation:
                    ratio = median[(trainer, threads, validation)] / median[(trainer, threads, "every")]
                    print(f"threads {threads} {trainer:5s}: validated {validation} / every epoch {ratio:.2f}")
        if args.before:
            before = median[(BEFORE, threads, "every")]
            for trainer in args.trainers:
                for validation in args.validation:
                    print(f"threads {threads} {trainer:5s} {validation:5s} / before (lockstep, one step per call): "
                          f"{median[(trainer, threads, validation)] / before:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
