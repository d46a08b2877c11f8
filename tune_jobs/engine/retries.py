"""A trial that raised is not trained again; one whose process or node died is.

Ray Tune retries every failed trial (``FailureConfig.max_failures``, which tune-jobs sets so that
a dead node's trials run elsewhere): it cannot tell a node that died from training that raised.
Seeded training that raised (a loss that became NaN, a bad layer size) raises again, so a retry
would only spend the trial's compute once or twice more, and a fresh process's start. The
trainable therefore records the error its training raised in the run directory (``raised/``, one
file per trial id); a retry of that trial raises the same error at once, without training.
Errors that say the trial's process, task or memory gave out are not recorded: those trials are
trained again. (Not Tune's trial directory: a trial in a reused actor and one in a fresh actor
are handed different ones.)
"""

from __future__ import annotations

import os
import pickle
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tune_jobs.records import rundir

# Errors of the machine rather than of the configuration: a retry may well succeed.
TRANSIENT_NAMES = frozenset({"ResourceExhaustedError"})  # TensorFlow's out-of-memory, by name: no import


def transient(error: BaseException) -> bool:
    """Whether ``error`` says the trial's process, task, node or memory gave out (Ray's own
    errors: a task's process that died, an object lost with its node; out of memory)."""
    import ray.exceptions

    return (isinstance(error, (ray.exceptions.RayError, MemoryError))
            or type(error).__name__ in TRANSIENT_NAMES)


@contextmanager
def raised_once(records: str | os.PathLike, trial_id: str) -> Iterator[None]:
    """Run a trial's training; if an earlier attempt of this trial raised, raise its error again
    instead. ``records``: the run directory's ``raised/``, where this trial's node reaches it (on
    a node without the run directory the folder is missing: nothing is recorded, a retry trains)."""
    folder = Path(records)
    if not folder.is_dir():
        yield
        return
    record = folder / f"{trial_id}.pkl"
    if record.is_file():
        raise _recorded(record)
    try:
        yield
    except Exception as error:
        if not transient(error):
            _record(record, error)
        raise


def _recorded(record: Path) -> Exception:
    try:
        return pickle.loads(record.read_bytes())
    except Exception as unreadable:  # an error type that does not unpickle: its message still tells
        return RuntimeError(f"an earlier attempt of this trial raised; its error could not be read back: "
                            f"{unreadable!r}")


def _record(record: Path, error: Exception) -> None:
    try:
        data = pickle.dumps(error)
        pickle.loads(data)  # some exceptions pickle but do not unpickle (required arguments)
    except Exception:
        data = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
    rundir.write_bytes(record, data)
