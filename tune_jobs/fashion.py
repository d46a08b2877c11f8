"""The seed's job: the Keras MLP on Fashion-MNIST, swept over a search-space file.

    python -m tune_jobs.fashion --smoke           # about a minute: 4 configurations on 6,000 images
    python -m tune_jobs.fashion --workers 8       # the seed's 144-configuration grid, 3-fold CV

The same as ``python -m tune_jobs run --job fashion-mlp``.
"""

from __future__ import annotations

from typing import Sequence

from tune_jobs import cli


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, prog="python -m tune_jobs.fashion", job="fashion-mlp")


if __name__ == "__main__":
    cli.run_as_program(main)
