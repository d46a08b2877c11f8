"""Shared fixtures: a private Ray temp dir per test, space files, synthetic IDX data, real data."""

from __future__ import annotations

import faulthandler
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tune_jobs.jobs.fashion_data import FILES, candidate_dirs


@pytest.fixture
def nothing_kept():
    """A trial process's state as before its first trial, and after the test: nothing kept."""
    from trial_process import forget_everything_kept

    forget_everything_kept()
    yield
    forget_everything_kept()


@pytest.fixture
def ray_tmpdir(monkeypatch):
    """Ray's sockets and session logs in a short private folder, never the shared /tmp/ray."""
    path = tempfile.mkdtemp(prefix="tj-", dir="/tmp")
    monkeypatch.setenv("RAY_TMPDIR", path)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    yield Path(path)
    import ray

    assert not ray.is_initialized(), "the code under test left Ray running"
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_ray():
    """One private Ray for a module's tests, started as a comparison starts it: the runner uses a
    Ray that is already up, and leaves it; its trials train in task processes kept warm from one
    sweep to the next (``warm_workers``)."""
    import ray

    from tune_jobs.engine.runner import start_ray

    temp = tempfile.mkdtemp(prefix="tj-", dir="/tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_TMPDIR", temp)
        patch.delenv("RAY_ADDRESS", raising=False)
        start_ray(None, cpus=2)
    yield Path(temp)
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def write_space(tmp_path):
    def write(text: str, name: str = "space.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of unsigned bytes, gzipped, as Fashion-MNIST ships."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def synthetic_fashion(tmp_path):
    """A tiny Fashion-MNIST-shaped data set in IDX files: 60 train, 20 test images."""

    def make(folder: Path | None = None, n_train: int = 60, n_test: int = 20) -> Path:
        folder = folder or tmp_path / "fashion"
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        arrays = {
            "x_train": rng.integers(0, 256, (n_train, 28, 28)), "y_train": np.arange(n_train) % 10,
            "x_test": rng.integers(0, 256, (n_test, 28, 28)), "y_test": np.arange(n_test) % 10,
        }
        for key, stem in FILES.items():
            write_idx(folder / f"{stem}.gz", arrays[key])
        return folder

    return make


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real Fashion-MNIST; CI installs it (TUNE_JOBS_REQUIRE_DATA=1 turns a skip into a failure)."""
    for folder in candidate_dirs():
        if all((folder / f"{stem}.gz").is_file() for stem in FILES.values()):
            return folder
    message = "real Fashion-MNIST not found: apt-get install dataset-fashion-mnist"
    if os.environ.get("TUNE_JOBS_REQUIRE_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)


_real_stderr: list = []  # a copy of the test process's stderr, made before capture redirects it


def pytest_configure(config):
    _real_stderr.append(os.fdopen(os.dup(sys.__stderr__.fileno()), "w"))


def pytest_runtest_setup(item):
    """A test process ended by SIGTERM prints where each of its threads was, as pytest has it print
    for a segfault. Set before each test: a sweep run in the test process sets its own SIGTERM
    handler and then restores the one Python knew, which is not this one."""
    faulthandler.unregister(signal.SIGTERM)  # registering again alone would not set it again
    faulthandler.register(signal.SIGTERM, file=_real_stderr[0], all_threads=True, chain=True)


def pytest_handlecrashitem(crashitem, report, sched):
    """A test process that died without a word (SIGKILL, the kernel's OOM killer, a native
    ``_exit``): its failure says what the kernel last said of killed processes and how much memory
    was left."""
    try:  # not every user may read the kernel's log, nor has every machine dmesg
        kernel = subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()
    except OSError:
        kernel = []
    said = [line for line in kernel if re.search(r"Killed process|Out of memory|segfault|oom", line)][-5:]
    available = re.search(r"MemAvailable:\s*(\d+)", Path("/proc/meminfo").read_text())
    report.longrepr = (f"{report.longrepr}\nthe kernel's last words on killed processes: {said or 'none'}"
                       f"\nmemory available now: {int(available.group(1)) // 1024 if available else '?'} MiB")


def pytest_xdist_make_scheduler(config, log):
    from scheduling import SlowFilesFirst  # tests/scheduling.py: tests/ is on sys.path (rootdir conftest)

    return SlowFilesFirst(config, log) if config.getoption("dist") == "loadfile" else None
