"""A sweep's data in Ray's object store: put there once per Ray session and content.

A comparison runs its sweeps on one Ray and one data set, and a notebook may run several on the
same arrays. Each sweep put its arrays into the object store anew, a new object at a new place, and
the trial processes, which keep the folds they made where the data lies (``kept_folds``), made
them again in every sweep of a comparison (BENCHMARKS.md, section 14g: on the full Fashion-MNIST
data, optuna's trials spent 0.63-0.99 s outside their fits before, 0.16-0.20 s after). The last
data put stays in the store, with its reference, while this process is connected to that Ray; a
sweep whose arrays have the same content takes that object (their bytes and the object's are
hashed: an array changed in place between two sweeps is put anew).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from tune_jobs.jobs.base import Data

# The last object put: (its Ray session, its reference, a digest of what it holds once one was needed)
_stored: tuple[tuple[str, str], Any, str | None] | None = None


def put(data: Data):
    """The object-store reference of ``data``'s arrays (a dict of them, read-only where read). The
    arrays are hashed only where an object of this Ray session could be taken instead: a single
    sweep's driver (a command line's) puts them and hashes nothing."""
    import ray

    global _stored
    arrays = data.arrays()
    context = ray.get_runtime_context()
    session = (context.get_job_id(), context.get_node_id())
    given = None
    if _stored is not None and _stored[0] == session:
        held = _stored[2] or digest(ray.get(_stored[1]))  # what the object holds, not what was changed since
        given = digest(arrays)
        if given == held:
            _stored = session, _stored[1], held
            return _stored[1]
    _stored = None  # the last sweep's object goes before the next is put
    _stored = session, ray.put(arrays), given
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
