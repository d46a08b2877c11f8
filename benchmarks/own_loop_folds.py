"""Per-fold scores of a trial's folds trained three ways, the same folds and seeds, one thread:
Keras' ``fit``; the own epoch loop (``fold_training.OwnEpochs``) as shipped, on ``fit``'s order;
and the own loop on a new permutation every epoch (what ``fit``'s documentation promises, not what
it does under a set seed: it feeds every epoch the same order, ``fold_training.fit_order``).

    python benchmarks/own_loop_folds.py                       # 20,000 images, 6 epochs, lr 0.01
    python benchmarks/own_loop_folds.py --lr 0.001 --seeds 4

``fit`` is forced by a fit option the loop does not do (``callbacks``). Prints each configuration's
per-fold validation accuracy each way, their mean and std (BENCHMARKS.md, section 14c).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIGS = [("selu", 0, "RMSprop"), ("relu", 0, "Adam"), ("swish", 1, "RMSprop"), ("swish", 1, "Adam")]
WAYS = ("fit", "own", "reshuffled")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seeds", type=int, default=2)
    args = p.parse_args()

    from tune_jobs.engine import fold_training
    from tune_jobs.engine.kept_fold_weights import fold_starts
    from tune_jobs.engine.fresh_start import prepare_keras
    from tune_jobs.jobs import DataOptions, get_job

    job = get_job("fashion-mlp")
    jobs = {"fit": replace(job, fit_options={"callbacks": []}), "own": job, "reshuffled": job}

    class Reshuffled(fold_training.OwnEpochs):
        """The shipped loop on a new numpy permutation every epoch."""

        def epoch(self, batch_size):
            self.order = np.random.permutation(len(self.order)).astype(np.int64)
            return super().epoch(batch_size)

    data = job.load_data(DataOptions())
    keep = job.subset(data.y_train, args.samples, 0)
    x, y = data.x_train[keep], data.y_train[keep]
    print(f"{args.samples} images, {args.epochs} epochs, lr {args.lr}, batch 512, dropout 0.2, 3 folds; "
          "per-fold validation accuracy", flush=True)
    means = {way: [] for way in WAYS}
    for activation, batch_norm, optimizer in CONFIGS:
        config = {"activation": activation, "batch_norm": batch_norm, "dropout": 0.2, "lr": args.lr,
                  "optimizer": optimizer, "batch_size": 512, "layers": 1, "units": 128}
        for seed in range(args.seeds):
            splits = [(x[tr], y[tr], x[va], y[va]) for tr, va in job.splits(y, 3, seed)]
            row = []
            for way in WAYS:
                prepare_keras(threads=1, seed=seed)
                j = jobs[way]
                trainer = fold_training.TakingTurns(j, *fold_starts(lambda: j.model(config), len(splits)), splits)
                if way == "reshuffled":
                    for loop in trainer.loops:
                        loop.__class__ = Reshuffled
                scores: list[list[float]] = []
                trainer.train([args.epochs], 512, lambda epoch, folds: scores.append([f["val_accuracy"] for f in folds]))
                means[way].append(np.mean(scores[-1]))
                row.append(f"{way} {' '.join(f'{s:.4f}' for s in scores[-1])} mean {np.mean(scores[-1]):.4f} "
                           f"std {np.std(scores[-1]):.4f}")
            print(f"{activation} bn{batch_norm} {optimizer} seed {seed}: " + " | ".join(row), flush=True)
    print("mean over configurations and seeds: " + ", ".join(f"{way} {np.mean(m):.4f}" for way, m in means.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
