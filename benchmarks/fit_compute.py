"""How far one fold's ``fit`` is from the arithmetic it does: the seed's model on one fold of the
real data, one TensorFlow thread (what a trial gets with ``--workers`` = cores), timed per epoch
several ways in one process, each way's epochs after a warm-up epoch (its tracing):

- ``keras fit``: ``model.fit`` on numpy arrays, 16 steps per call, as a trial trains today;
- ``keras fit, tf.data``: the same ``fit`` on a ``tf.data.Dataset`` built once (shuffled, batched);
- ``own loop``: the shipped one (``fold_training.OwnEpochs``): one ``tf.function`` per epoch
  calling the model's own ``train_step`` over the rows in ``fit``'s order, the last batch partial,
  no ``tf.data`` and no Keras ``fit`` machinery;
- ``own loop, no gather``: a probe of the same over one fixed batch, full batches only (no
  shuffling, no copying of rows);
- ``matmuls``: the dense layers' matrix products alone (forward, input and weight gradients).

    python benchmarks/fit_compute.py --epochs 3

Prints seconds per epoch and steps per second for each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEED_BEST = {"activation": "swish", "batch_norm": 1, "dropout": 0.2, "lr": 0.01, "optimizer": "Adam",
             "batch_size": 512, "layers": 1, "units": 128}


def per_epoch(epochs: int, run_epoch) -> float:
    run_epoch()  # warm-up: tracing
    started = time.perf_counter()
    for _ in range(epochs):
        run_epoch()
    return (time.perf_counter() - started) / epochs


def _value(text: str):
    """A --set value: a number where it reads as one."""
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=40_000, help="training rows of the fold (2/3 of 60,000)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per way, after one warm-up epoch")
    p.add_argument("--batch-norm", type=int, default=1, choices=(0, 1))
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="other hyperparameters than the seed's best (numbers as numbers)")
    p.add_argument("--ways", nargs="+", default=["fit", "fit-dataset", "loop", "loop-fixed", "matmuls"])
    args = p.parse_args()

    from tune_jobs.engine.fold_training import OwnEpochs, more_steps_per_call
    from tune_jobs.engine.fresh_start import prepare_keras
    from tune_jobs.jobs import DataOptions, get_job

    prepare_keras(threads=1, seed=0)
    import tensorflow as tf

    job = get_job("fashion-mlp")
    data = job.load_data(DataOptions())
    x, y = data.x_train[:args.rows], data.y_train[:args.rows]
    overrides = {key: _value(value) for key, value in (item.split("=", 1) for item in args.set)}
    config = {**SEED_BEST, "batch_norm": args.batch_norm, "batch_size": args.batch_size, **overrides}
    bs = args.batch_size
    steps = -(-args.rows // bs)

    def fresh():
        return more_steps_per_call(job.model(config))

    def way_fit():
        model = fresh()
        return lambda: model.fit(x, y, batch_size=bs, epochs=1, verbose=0)

    def way_fit_dataset():
        model = fresh()
        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(bs).prefetch(2)
        return lambda: model.fit(ds, epochs=1, verbose=0)

    def own_loop():
        loop = OwnEpochs.where_possible(fresh(), job, x, y)
        return lambda: loop.epoch(bs)

    def own_loop_fixed():
        model = fresh()
        model.optimizer.build(model.trainable_variables)
        batch = (tf.constant(x[:bs]), tf.constant(y[:bs]))

        @tf.function
        def epoch():
            for _ in tf.range(len(x) // bs):
                model.train_step(batch)
        return lambda: epoch()

    def way_matmuls():
        w1 = tf.Variable(tf.random.normal((784, 128)))
        w2 = tf.Variable(tf.random.normal((128, 10)))
        a = tf.random.normal((bs, 784))
        g2 = tf.random.normal((bs, 10))

        @tf.function
        def epoch():
            for _ in tf.range(steps):
                h = tf.matmul(a, w1)
                o = tf.matmul(h, w2)
                gh = tf.matmul(g2 + 0 * o, w2, transpose_b=True)
                w2.assign_sub(1e-9 * tf.matmul(h, g2, transpose_a=True))
                w1.assign_sub(1e-9 * tf.matmul(a, gh, transpose_a=True))
                tf.matmul(gh, w1, transpose_b=True)  # the input's gradient (batch norm needs it)
        return lambda: epoch()

    ways = {"fit": ("keras fit (numpy, 16 steps per call)", way_fit),
            "fit-dataset": ("keras fit, tf.data built once", way_fit_dataset),
            "loop": ("own loop (OwnEpochs): model.train_step in one tf.function per epoch", own_loop),
            "loop-fixed": ("a loop over one fixed batch (no shuffle, no gather)", own_loop_fixed),
            "matmuls": ("the dense layers' matmuls alone", way_matmuls)}
    print(f"seed's best model {overrides or ''}, batch_norm {args.batch_norm}, batch {bs}, {args.rows} rows, {steps} steps per epoch, "
          f"one thread, {args.epochs} timed epochs each", flush=True)
    for name in args.ways:
        label, make = ways[name]
        seconds = per_epoch(args.epochs, make())
        print(f"{seconds:7.3f} s per epoch  {steps / seconds:7.1f} steps/s  {label}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
