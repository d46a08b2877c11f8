"""A trial process that lives for hundreds of trials: does a trial's fixed cost grow with its age?

    python benchmarks/long_lived_process.py [--trials 200] [--samples 6000] [--block 25]
    python benchmarks/long_lived_process.py --own-class [--trials 200]
    python benchmarks/long_lived_process.py --plain-keras 6

One process trains ``--trials`` trials one after another as a Ray Tune trial process does
(``trainable.train_folds``: 3 folds, 1 epoch, the seed's model), each a configuration drawn at random
from the seed's grid (its 24 model shapes: activation, batch norm, dropout, optimizer; and the
learning rate), as a sampling searcher with ASHA sends them. Prints, per block of trials, the median
trial, its seconds outside the folds' fits (Keras' fresh start with its garbage collection, the
folds, the models, tracing where a shape is new), how many trials compiled and traced a model of
their own (``kept_models`` had none of their shape), one full garbage collection timed at the block's
end, how many objects that collection scans (gc.get_objects: the frozen ones are left out), and the
process' resident memory.
Run from a worktree of each version in turns to compare them (BENCHMARKS.md, section 14g).

``--own-class``: each model a subclass of ``keras.Sequential`` of the user's own (the same layers and
compile): a model ``kept_models`` does not keep, which traces its steps in every trial, as a job of
a user's own model class does.

``--plain-keras N``: no tune-jobs at all: a small Keras model built, compiled, fitted and evaluated
N times, with ``keras.backend.clear_session()`` and ``gc.collect()`` after each, and the number of
TensorFlow ``FuncGraph`` objects still alive printed after each (what TensorFlow keeps of a trace).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SHAPES = list(itertools.product(["relu", "selu", "swish"], [1, 0], [0.2, 0.4], ["Adam", "RMSprop"]))
RATES = [0.001, 0.002, 0.01]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--samples", type=int, default=6000)
    p.add_argument("--block", type=int, default=25)
    p.add_argument("--own-class", action="store_true", help="each model of a class of the user's own (see above)")
    p.add_argument("--plain-keras", type=int, metavar="FITS", help="only Keras' own fit in a loop (see above)")
    args = p.parse_args()
    if args.plain_keras:
        return plain_keras(args.plain_keras)
    import psutil

    from tune_jobs.engine import kept_models, trainable
    from tune_jobs.jobs.fashion_data import load_fashion_mnist
    from tune_jobs.jobs.fashion_mlp import JOB

    job = of_own_class(JOB) if args.own_class else JOB
    data = load_fashion_mnist(None)
    keep = JOB.subset(data.y_train, args.samples, 0)
    arrays = {"x_train": data.x_train[keep], "y_train": data.y_train[keep]}
    draw = random.Random(0)
    timed: list[tuple[float, float]] = []
    compiled: list[bool] = []  # per trial: whether it compiled (and traced) a model of its own
    reuse = kept_models.reuse

    def counted(fresh):
        model = reuse(fresh)
        compiled.append(model is fresh)
        return model

    kept_models.reuse = counted
    print(f"{args.trials} trials of 3 folds x 1 epoch, {args.samples} images, one process; per block of {args.block}:")
    for number in range(1, args.trials + 1):
        activation, batch_norm, dropout, optimizer = draw.choice(SHAPES)
        config = {"activation": activation, "batch_norm": batch_norm, "dropout": dropout, "optimizer": optimizer,
                  "lr": draw.choice(RATES), "batch_size": 512, "epochs": 1, "layers": 1, "units": 128,
                  "lr_schedule": "constant"}
        results: list[dict] = []
        began = time.monotonic()
        trainable.train_folds(config, job, arrays, cv=3, seed=0, threads=1, node="here", report=results.append)
        last = results[-1]
        timed.append((time.monotonic() - began, last["train_time_s"] - sum(last["fold_fit_s"])))
        if number % args.block == 0:
            block = timed[-args.block:]
            collecting = time.perf_counter()
            gc.collect()
            collected_s = time.perf_counter() - collecting
            trial_s = statistics.median(t for t, _ in block)
            print(f"trials {number - args.block + 1:4d}-{number:4d}: trial {trial_s:.3f} s, "
                  f"outside the fits {statistics.median(o for _, o in block):.3f} s, "
                  f"{sum(compiled[-args.block:])} compiled their own model, a full collection "
                  f"{collected_s:.3f} s over {len(gc.get_objects()):,} objects, resident memory "
                  f"{psutil.Process().memory_info().rss / 2**20:,.0f} MiB", flush=True)
    return 0


def of_own_class(job):
    """``job`` with its model rebuilt as a subclass of ``keras.Sequential``, compiled the same way."""
    import dataclasses

    import keras

    class OwnSequential(keras.Sequential):
        """A model class of the user's own: Keras cannot describe it by its config alone."""

    def build_model(config):
        model = job.build_model(config)
        own = OwnSequential(model.layers)
        own.compile_from_config(model.get_compile_config())
        return own

    return dataclasses.replace(job, build_model=build_model)


def plain_keras(fits: int) -> int:
    import keras
    import numpy as np
    from tensorflow.python.framework.func_graph import FuncGraph

    rows = np.random.default_rng(0)
    x, y = rows.random((600, 28, 28), dtype=np.float32), rows.integers(0, 10, 600)
    alive = []
    for _ in range(fits):
        layers = [keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
                  keras.layers.Dense(10, activation="softmax")]
        model = keras.Sequential([keras.Input((28, 28)), *layers])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=1, verbose=0)
        model.evaluate(x, y, verbose=0)
        del model
        keras.backend.clear_session()
        gc.collect()
        alive.append(sum(isinstance(o, FuncGraph) for o in gc.get_objects()))
    print(f"plain Keras, {fits} fits, clear_session and gc.collect after each: FuncGraphs alive after each {alive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
