"""Shared fixtures: a private Ray temp dir per test, space files, synthetic IDX data, real data."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tune_jobs.jobs.fashion_data import FILES, candidate_dirs


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


# The slowest test files first (measured with --durations): the tests are spread over two
# processes a file at a time, and a long file started last runs alone at the end. (xdist's own
# file scheduler starts the files with the most tests first; `ray up`'s one test came last.)
SLOW_FIRST = ("test_ray_up.py", "test_sweep_integration.py", "test_cluster.py", "test_searchers.py", "test_sklearn.py",
              "test_jobs.py", "test_notebook.py", "test_api.py", "test_compare.py", "test_user_jobs.py",
              "test_kept_models.py")


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadFileScheduling

    class SlowFilesFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            if not getattr(self, "_reordered", False):
                rank = {name: i for i, name in enumerate(SLOW_FIRST)}
                scopes = sorted(self.workqueue.items(), key=lambda item: rank.get(Path(item[0]).name, len(rank)))
                self.workqueue.clear()
                self.workqueue.update(scopes)
                self._reordered = True
            super()._assign_work_unit(node)

    return SlowFilesFirst(config, log) if config.getoption("dist") == "loadfile" else None
