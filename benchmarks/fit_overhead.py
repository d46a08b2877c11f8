"""Where a small trial's time goes: one fold-epoch as the trainable runs it (one ``fit`` call with
validation), without validation, an epoch inside one long ``fit``, and ``evaluate`` alone.

    python benchmarks/fit_overhead.py            # the regression jobs' model, 500 + 500 rows, one thread

Prints seconds per call, the mean of ``--repeats`` calls after one warm-up call (Keras traces the
model's steps on its first fit).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(repeats: int, call) -> float:
    started = time.perf_counter()
    for i in range(repeats):
        call(i)
    return (time.perf_counter() - started) / repeats


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=500, help="training rows of the fold (as many validate)")
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args()

    from tune_jobs.jobs import DataOptions, get_job
    from tune_jobs.engine.fold_training import VALIDATION_BATCH
    from tune_jobs.engine.fresh_start import prepare_keras

    prepare_keras(threads=1, seed=0)
    job = get_job("linear")
    data = job.load_data(DataOptions())
    x, y = data.x_train[:args.rows], data.y_train[:args.rows]
    xv, yv = data.x_train[args.rows:2 * args.rows], data.y_train[args.rows:2 * args.rows]
    model = job.model({"layers": 2, "units": 64, "activation": "relu", "optimizer": "Adam", "lr": 0.003})
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, validation_data=(xv, yv))

    def epoch(validate: bool):
        extra = {"validation_data": (xv, yv), "validation_batch_size": VALIDATION_BATCH} if validate else {}
        return lambda i: model.fit(x, y, batch_size=32, epochs=i + 2, initial_epoch=i + 1, verbose=0, **extra)

    r = args.repeats
    rows = {
        "one fit call with validation (the trainable's fold-epoch)": timed(r, epoch(True)),
        "one fit call without validation": timed(r, epoch(False)),
        "an epoch inside one fit of many epochs": timed(1, lambda i: model.fit(x, y, batch_size=32, epochs=r,
                                                                              verbose=0)) / r,
        "evaluate of the validation rows": timed(r, lambda i: model.evaluate(xv, yv, batch_size=VALIDATION_BATCH,
                                                                              verbose=0)),
    }
    for label, seconds in rows.items():
        print(f"{seconds:7.3f} s  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
