"""Per-fold scores of a trial's folds trained by the own epoch loop and by Keras' ``fit``, the same
folds and seeds, one thread: the check that took the own loop (``fold_training.OwnEpochs``,
commit 84b4b32) off main again (BENCHMARKS.md, section 14c). It needs that class, so run it from a
checkout of 84b4b32 (or of a later commit that brings the loop back):

    git worktree add /tmp/own-loop 84b4b32 && cd /tmp/own-loop && python benchmarks/own_loop_folds.py
    python benchmarks/own_loop_folds.py --same-order --samples 6000 --epochs 4   # shuffle off on both sides

``fit`` is forced by a fit option the loop does not do (``callbacks``). Prints each configuration's
per-fold validation accuracy both ways, their mean and std.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIGS = [("selu", 0, "RMSprop"), ("relu", 0, "Adam"), ("swish", 1, "RMSprop")]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--same-order", action="store_true", help="shuffle off on both sides: the same batches")
    args = p.parse_args()

    from tune_jobs.engine import fold_training
    from tune_jobs.engine.trainable import prepare_keras
    from tune_jobs.jobs import DataOptions, get_job

    if not hasattr(fold_training, "OwnEpochs"):
        sys.exit("this checkout has no fold_training.OwnEpochs: run from a checkout of 84b4b32 (see above)")
    job = get_job("fashion-mlp")
    order = {"shuffle": False} if args.same_order else {}
    own, by_fit = replace(job, fit_options=order), replace(job, fit_options={**order, "callbacks": []})
    data = job.load_data(DataOptions())
    keep = job.subset(data.y_train, args.samples, 0)
    x, y = data.x_train[keep], data.y_train[keep]
    for activation, batch_norm, optimizer in CONFIGS:
        config = {"activation": activation, "batch_norm": batch_norm, "dropout": 0.2, "lr": args.lr,
                  "optimizer": optimizer, "batch_size": 512, "layers": 1, "units": 128}
        for seed in range(args.seeds):
            splits = [(x[tr], y[tr], x[va], y[va]) for tr, va in job.splits(y, 3, seed)]
            row = []
            for way, j in (("fit", by_fit), ("own", own)):
                prepare_keras(threads=1, seed=seed)
                trainer = fold_training.TakingTurns(j, [j.model(config) for _ in splits], splits)
                scores: list[list[float]] = []
                trainer.train([args.epochs], 512, lambda epoch, folds: scores.append([f["val_accuracy"] for f in folds]))
                row.append(f"{way} {np.round(scores[-1], 3)} mean {np.mean(scores[-1]):.4f} std {np.std(scores[-1]):.4f}")
            print(activation, batch_norm, optimizer, seed, " | ".join(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
