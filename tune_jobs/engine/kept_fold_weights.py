"""The seeded initial weights of a trial's later fold models, kept across the trials of one trial process.

A trial builds its k fold models one after another, each drawing its own initial weights from the
random state the trial's seed set (Keras' initializers and dropout layers take their seeds from
Python's ``random``). Only the first model trains (``fold_training.TakingTurns``): the others are
built, and compiled by the job, for their weights alone: 0.024 s for the seed's MLP's three, 0.010 s
for the first alone (``benchmarks/trial_cost.py``; BENCHMARKS.md, section 14g). What they draw follows from the random
state the first model left and from what the job builds, which the first model's shape says
(``kept_models.shape_key``: its architecture and compile, Keras' own classes only). A trial process
keeps the later models' weights, and the random state that building them left, per (shape, random
state); a later trial whose first model has that shape and left that random state (another
learning rate, batch size or epochs with the same seed) takes them and that state instead of
building (``tests/test_kept_fold_weights.py``: the same weights, the same state after).

Not for models ``kept_models`` cannot describe by their config, not where Keras' global seed
generator exists (something drew from ``keras.random`` without a seed: its state is not kept here),
and not where the environment sets ``TUNE_JOBS_KEEP_MODELS=0`` (benchmarks measure both ways).
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from tune_jobs.engine import kept_models

# Shapes x seeds kept per process, at most: a sweep has one seed, and a worker meets the shapes that
# ``kept_models`` keeps compiled models of.
KEEP = kept_models.KEEP

Weights = list[np.ndarray]
RandomState = tuple[Any, Any, Any]  # Python's random, NumPy's global, TensorFlow's operation-seed sequence

_kept: OrderedDict[tuple[str, int, str], tuple[list[Weights], RandomState]] = OrderedDict()


def fold_starts(build: Callable[[], Any], folds: int) -> tuple[Any, list[Weights]]:
    """The first fold model, built by ``build`` (the job's, compiled), and every fold's initial
    weights in fold order: the later folds' as building them after it draws, built or kept."""
    first = build()
    key = _key(first, folds)
    kept = _kept.get(key) if key is not None else None
    if kept is not None:
        _kept.move_to_end(key)
        _set_random_state(kept[1])
        return first, [first.get_weights(), *kept[0]]
    later = [build().get_weights() for _ in range(folds - 1)]
    if key is not None and _size(later) <= kept_models.MAX_KEPT_PARAMETERS:
        for weights in later:
            for w in weights:
                w.setflags(write=False)  # shared by the trials that take them
        _kept[key] = (later, _random_state())
        while len(_kept) > KEEP or sum(_size(kept[0]) for kept in _kept.values()) > kept_models.MAX_KEPT_PARAMETERS:
            _kept.popitem(last=False)  # the least recently used
    return first, [first.get_weights(), *later]


def _size(folds: list[Weights]) -> int:
    """Parameters held: the cap of ``kept_models`` holds for these too (large networks do not pile up)."""
    return sum(w.size for weights in folds for w in weights)


def forget() -> None:
    """Drop every kept entry (tests; a process that needs the memory back)."""
    _kept.clear()


def _key(first, folds: int) -> tuple[str, int, str] | None:
    if os.environ.get(kept_models.SWITCH, "1") == "0" or folds < 2:
        return None
    from keras.src.backend.common import global_state
    from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR

    if global_state.get_global_attribute(GLOBAL_SEED_GENERATOR) is not None:
        return None
    shape = kept_models.shape_key(first)
    return None if shape is None else (shape, folds, _digest(_random_state()))


def _random_state() -> RandomState:
    from tensorflow.python.eager import context

    eager = context.context()
    operation_seeds = (getattr(eager, "_seed", None), eager._rng.getstate() if getattr(eager, "_rng", None) else None)
    return random.getstate(), np.random.get_state(), operation_seeds


def _set_random_state(state: RandomState) -> None:
    from tensorflow.python.eager import context

    python, numpy, (seed, operation_seeds) = state
    random.setstate(python)
    np.random.set_state(numpy)
    eager = context.context()
    if operation_seeds is not None and getattr(eager, "_seed", None) == seed:
        eager._rng.setstate(operation_seeds)


def _digest(state: RandomState) -> str:
    python, (kind, keys, position, has_gauss, cached), operation_seeds = state
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((python, kind, position, has_gauss, cached, operation_seeds)).encode())
    digest.update(np.ascontiguousarray(keys).data)
    return digest.hexdigest()
