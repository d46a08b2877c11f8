"""A sweep's folds kept across the trials of one trial process.

Every trial of a sweep splits the same data into the same folds, and each copied its folds' rows
out of the data and again into tensors: on the full data, 4% and 15% of a one-epoch trial (ASHA's
first rung; BENCHMARKS.md, section 14c), and its validation copied the validation rows once more.
A trial process (a reused Ray Tune actor, a warm task) keeps the folds it made last; the next trial
on the same data and the same folds takes them as they are (BENCHMARKS.md, section 14d).

The key is where the data lies in memory and which rows each fold has. The kept entry holds the
data's arrays, so no other array can lie there while it is kept (an array from Ray's object store
is a view of an object that never changes). One entry per process: a process that moves on to
other data frees the last folds before it makes the new ones. Not where the environment sets
``TUNE_JOBS_KEEP_FOLDS=0`` (benchmarks measure both ways).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Sequence

import numpy as np

# (x_train, y_train, x_val, y_val) of one fold: tensors where Keras runs on TensorFlow (the own
# epoch and validation loops and ``fit`` take them as they are), else arrays.
Split = tuple[Any, Any, Any, Any]

SWITCH = "TUNE_JOBS_KEEP_FOLDS"

_kept: tuple[tuple, tuple[np.ndarray, np.ndarray], list[Split]] | None = None  # (key, data held, folds)


def folds(x: np.ndarray, y: np.ndarray, indices: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[Split]:
    """The folds of ``indices`` (train rows, validation rows per fold) of ``(x, y)``: those an
    earlier trial in this process made of the same data and rows, or made now (and kept)."""
    global _kept
    key = (_where(x), _where(y), _digest(indices))
    if _kept is not None and _kept[0] == key:
        return _kept[2]
    _kept = None  # the last sweep's folds go before these are made
    made = [(_tensor(x[train]), _tensor(y[train]), _tensor(x[val]), _tensor(y[val])) for train, val in indices]
    if os.environ.get(SWITCH, "1") != "0":
        _kept = (key, (x, y), made)
    return made


def forget() -> None:
    """Drop the kept folds (tests; a process that needs the memory back)."""
    global _kept
    _kept = None


def _where(array: np.ndarray) -> tuple:
    return array.__array_interface__["data"][0], array.shape, array.dtype.str, array.strides


def _digest(indices: Sequence[tuple[np.ndarray, np.ndarray]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for rows in indices:
        for part in rows:
            part = np.ascontiguousarray(part)
            digest.update(f"{part.dtype.str}{part.shape}".encode())
            digest.update(part.data)
    return digest.hexdigest()


def _tensor(rows: np.ndarray):
    import keras

    if keras.backend.backend() != "tensorflow" or rows.dtype == object:
        return rows
    import tensorflow as tf

    return tf.convert_to_tensor(rows)
