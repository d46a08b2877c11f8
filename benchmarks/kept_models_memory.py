"""Resident memory of a trial process per model shape ``kept_models`` keeps: the seed's 24 shapes
(activation x batch norm x dropout x optimizer), each trained one epoch on 3 folds of 400 random
images as a trial trains them, with the cap raised to keep them all; prints the process' RSS after
each shape, and its growth since the first.

    python benchmarks/kept_models_memory.py

BENCHMARKS.md, section 14e (why the cap stays at 16).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tune_jobs.engine import fold_training, kept_models  # noqa: E402
from tune_jobs.engine.kept_fold_weights import fold_starts  # noqa: E402
from tune_jobs.jobs import get_job  # noqa: E402

SHAPES = {"activation": ["relu", "selu", "swish"], "batch_norm": [1, 0], "dropout": [0.2, 0.4],
          "optimizer": ["Adam", "RMSprop"]}


def main() -> None:
    kept_models.KEEP = 64  # every shape stays
    job = get_job("fashion-mlp")
    rng = np.random.default_rng(0)
    x, y = rng.random((600, 28, 28), dtype=np.float32), rng.integers(0, 10, 600)
    splits = [(x[:400], y[:400], x[400:], y[400:])] * 3
    process, first = psutil.Process(), None
    for n, values in enumerate(itertools.product(*SHAPES.values()), start=1):
        config = {**dict(zip(SHAPES, values)), "lr": 0.001, "units": 128, "layers": 1}
        fold_training.TakingTurns(job, *fold_starts(lambda: job.model(config), len(splits)), splits).train(
            [1], 128, lambda *_: None)
        rss = process.memory_info().rss / 2**20
        first = first or rss
        print(f"{n:2d} shapes kept: RSS {rss:.0f} MiB (+{rss - first:.0f})", flush=True)


if __name__ == "__main__":
    main()
