"""The run directory ``<out>/<name>-<timestamp>/``: its layout, and atomic writes into it.

Every file is written to a temporary name and renamed, so a killed driver leaves either
the old file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

SETTINGS = "run.json"  # the run's options, so that --resume needs only the directory
SPACE = "space.yaml"  # the search-space file as it was used
TRIALS = "trials.csv"
SUMMARY = "summary.json"
DRIVER_LOG = "driver.log"  # what Ray prints in the driver process
TUNE_DIR = "tune"  # Ray Tune's experiment: its state for resuming, one folder per trial
OPTUNA_JOURNAL = "optuna.journal"  # the run's trials as an Optuna study (optuna-dashboard opens it)
ANSWERS = "answers.jsonl"  # a searcher's repeats answered from the records (searchers/no_repeats.py)
JOB = "job.pkl"  # a job made of Python functions (the API's), pickled by value so that resume finds it
RAISED = "raised"  # per trial id, the error its training raised: a retry raises it again (engine/retries.py)


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def new_run_dir(out: str | Path, name: str) -> Path:
    """A fresh, empty ``<out>/<name>-<YYYYmmdd-HHMMSS>`` (suffixed if that second is taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        path = out / (f"{name}-{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"{out}: cannot create a run directory for {name}-{stamp}")


# The run directory of the sweep this process runs now (see ``located``).
_current: Path | None = None


@contextmanager
def running_in(run_dir: Path) -> Iterator[None]:
    """While a sweep runs, its files are found in ``run_dir`` as it is now: Ray pickles our
    callbacks and searchers with its experiment, holding the paths of where the run started,
    and a run directory copied elsewhere (``rsync-down``) must still resume."""
    global _current
    before, _current = _current, Path(run_dir)
    try:
        yield
    finally:
        _current = before


def located(path: Path | str) -> Path:
    """``path``, a file directly in a run directory, in the run directory of the sweep running now."""
    return _current / Path(path).name if _current is not None else Path(path)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    write_bytes(path, text.encode())


def write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a result file is as readable as any
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], columns: list[str]) -> None:
    write_csv_lines(path, [csv_line(row, columns) for row in rows], columns)


def csv_line(row: Mapping[str, Any], columns: list[str]) -> str:
    """One row as the line ``write_csv`` writes for it: a table rewritten often keeps its rows'
    lines and writes them with ``write_csv_lines``."""
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore").writerow(row)
    return buffer.getvalue()


def write_csv_lines(path: Path, lines: Iterable[str], columns: list[str]) -> None:
    write_text(path, csv_line(dict(zip(columns, columns)), columns) + "".join(lines))


def count_lines(path: Path) -> int:
    return sum(1 for _ in path.open()) if path.is_file() else 0


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))
