"""A sweep's data in Ray's object store: put there once per Ray session and content.

A comparison runs its sweeps on one Ray and one data set, and a notebook may run several on the
same arrays. Each sweep put its arrays into the object store anew, a new object at a new place, and
the trial processes, which keep the folds they made where the data lies (``kept_folds``), made
them again: about 3 s of each trial process's first trial in every sweep of a comparison on the
full Fashion-MNIST data (BENCHMARKS.md, section 14g). The last data put stays in the store, with
its reference, while this process is connected to that Ray; a sweep whose arrays have the same
content takes that object (their bytes are hashed: an array changed in place between two sweeps
is put anew).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from tune_jobs.jobs.base import Data

_stored: tuple[tuple, Any] | None = None  # (Ray session, content digest; the object's reference)


def put(data: Data):
    """The object-store reference of ``data``'s arrays (a dict of them, read-only where read)."""
    import ray

    global _stored
    arrays = data.arrays()
    context = ray.get_runtime_context()
    key = (context.get_job_id(), context.get_node_id(), digest(arrays))
    if _stored is None or _stored[0] != key:
        _stored = None  # the last sweep's object goes before the next is put
        _stored = key, ray.put(arrays)
    return _stored[1]


def forget() -> None:
    """Let the kept object go (tests; a driver that needs the store's memory back)."""
    global _stored
    _stored = None


def digest(arrays: dict[str, np.ndarray]) -> str:
    """What the arrays hold: names, types, shapes and bytes."""
    hashed = hashlib.blake2b(digest_size=16)
    for name, array in sorted(arrays.items()):
        array = np.ascontiguousarray(array)
        hashed.update(f"{name} {array.dtype.str} {array.shape}".encode())
        hashed.update(array.data if array.dtype != object else repr(array.tolist()).encode())
    return hashed.hexdigest()
