"""The seed's job: the Keras MLP on Fashion-MNIST, swept over a search-space file.

    python -m tune_jobs.fashion --smoke           # about a minute: 4 configurations on 6,000 images
    python -m tune_jobs.fashion --workers 8       # the seed's 144-configuration grid, 3-fold CV
"""

from __future__ import annotations

import sys
from typing import Sequence

import numpy as np

from tune_jobs import cli
from tune_jobs.cv import stratified_subset
from tune_jobs.data import load_fashion_mnist
from tune_jobs.settings import RunSettings

DEFAULT_SPACE = cli.SPACES / "fashion_grid.yaml"


def load_data(settings: RunSettings) -> dict[str, np.ndarray]:
    """Fashion-MNIST, its training set cut to ``--max-train-samples`` (stratified)."""
    data = load_fashion_mnist(settings.data_dir)
    keep = stratified_subset(data.y_train, settings.max_train_samples, settings.seed)
    return {"x_train": data.x_train[keep], "y_train": data.y_train[keep],
            "x_test": data.x_test, "y_test": data.y_test}


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, prog="python -m tune_jobs.fashion", default_space=DEFAULT_SPACE, load_data=load_data)


if __name__ == "__main__":
    sys.exit(main())
