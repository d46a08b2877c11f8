"""One trial's k-fold training, two ways side by side in one process: a compiled model per fold
(what the trainable did before) against one model with each fold's state swapped in (what it does).

    python benchmarks/fold_model_cost.py [--samples 6000] [--epochs 3] [--repeats 3]

One thread, as a trial with one CPU. Prints each repetition's seconds per trial and the first
fit's cost (Keras traces a model's train and test steps then) against a later fit's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tune_jobs.jobs.folds import fold_indices, stratified_subset  # noqa: E402
from tune_jobs.jobs.fashion_data import load_fashion_mnist  # noqa: E402
from tune_jobs.jobs.fashion_mlp import JOB, build_model  # noqa: E402
from tune_jobs.engine.trainable import fold_states, load_state, prepare_keras, save_state, train_one_epoch  # noqa: E402

CONFIG = {"activation": "swish", "batch_norm": 1, "dropout": 0.2, "layers": 1, "units": 128,
          "optimizer": "Adam", "lr": 0.002, "batch_size": 512}


def model_per_fold(splits, epochs: int) -> list[float]:
    models = [build_model(CONFIG, (28, 28), 10) for _ in splits]
    fits = []
    for epoch in range(1, epochs + 1):
        for model, split in zip(models, splits):
            started = time.perf_counter()
            train_one_epoch(model, split, CONFIG["batch_size"], epoch)
            fits.append(time.perf_counter() - started)
    return fits


def one_model(splits, epochs: int) -> list[float]:
    model, states = fold_states(JOB, CONFIG, len(splits))
    fits = []
    for epoch in range(1, epochs + 1):
        for fold, split in enumerate(splits):
            started = time.perf_counter()
            load_state(model, states[fold])
            train_one_epoch(model, split, CONFIG["batch_size"], epoch)
            states[fold] = save_state(model)
            fits.append(time.perf_counter() - started)
    return fits


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    data = load_fashion_mnist(None)
    keep = stratified_subset(data.y_train, args.samples, 0)
    x, y = data.x_train[keep], data.y_train[keep]
    splits = [(x[tr], y[tr], x[va], y[va]) for tr, va in fold_indices(y, 3, 0)]
    totals = {"model per fold": [], "one model": []}
    for repeat in range(args.repeats):  # alternating, so that a noisy neighbour hurts both alike
        for name, variant in (("model per fold", model_per_fold), ("one model", one_model)):
            prepare_keras(threads=1, seed=0)
            started = time.perf_counter()
            fits = variant(splits, args.epochs)
            totals[name].append(time.perf_counter() - started)
            print(f"{name:15s} repeat {repeat}: {totals[name][-1]:.2f} s per trial; first fits "
                  f"{' '.join(f'{f:.2f}' for f in fits[:3])} s, later fits median {statistics.median(fits[3:]):.2f} s")
    ratio = statistics.median(totals["one model"]) / statistics.median(totals["model per fold"])
    print(f"{args.samples} images, 3 folds x {args.epochs} epochs: one model / model per fold = {ratio:.2f}")


if __name__ == "__main__":
    main()
