"""Two Ray nodes on this machine (`ray start --head` and `ray start --address`, 1 CPU each, token
authentication, loopback only): trials spread over both, survive the death of one, and a driver
without the token is refused.

Each sweep runs in its own process, as a user's would (Ray caches the first cluster's token).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_sweep_integration import wait_for_rows

from tune_jobs.engine.local_cluster import start_cluster
from tune_jobs.records.rundir import read_csv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster_token():
    """One token for a module's clusters, in the environment only, never on disk."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RAY_AUTH_MODE", "token")
    patch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
    patch.delenv("RAY_ADDRESS", raising=False)
    yield os.environ["RAY_AUTH_TOKEN"]
    patch.undo()


def two_node_cluster():
    """A head and a worker node, 1 CPU each, with their own temp dirs and ports."""
    root = Path(tempfile.mkdtemp(prefix="tj-", dir="/tmp"))
    address, nodes = start_cluster(root, nodes=2, cpus=1)
    try:
        yield address, nodes
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_nodes(cluster_token):
    """For the tests that leave the cluster as they found it."""
    yield from two_node_cluster()


@pytest.fixture
def two_nodes(cluster_token):
    """For a test that kills a node."""
    yield from two_node_cluster()


def start_sweep(address: str, space: Path, out: Path, data_dir: Path, refit: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tune_jobs.fashion", "--space", str(space), "--workers", "2",
         "--max-train-samples", "1200", "--address", address, "--data-dir", str(data_dir), "--out", str(out),
         *([] if refit else ["--no-refit"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=os.environ.copy())


def failure(err: str, out: Path) -> str:
    """What a failed driver left: its stderr's end, and its driver.log's (a native crash's traceback)."""
    logs = [log.read_text(errors="replace")[-3000:] for log in out.glob("*/driver.log")]
    return "\n".join([err[-2000:], *logs])


def test_trials_run_on_both_nodes_and_the_cluster_stays_up(shared_nodes, real_data_dir, write_space, tmp_path):
    address, nodes = shared_nodes
    space = write_space("grid:\n  lr: [0.001, 0.002, 0.005, 0.01]\n  batch_size: [256]\n  epochs: [2]\n")
    driver = start_sweep(address, space, tmp_path / "runs", real_data_dir, refit=True)
    _, err = driver.communicate(timeout=400)
    assert driver.returncode == 0, failure(err, tmp_path / "runs")
    run_dir = next((tmp_path / "runs").iterdir())
    rows = read_csv(run_dir / "trials.csv")
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    assert len({r["node"] for r in rows}) == 2, [r["node"] for r in rows]  # 1 CPU per trial, 1 per node
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["cpus_per_trial"] == 1.0 and 0 < summary["test_score"] < 1  # the refit ran on the cluster
    assert all(node.process.poll() is None for node in nodes), "a sweep leaves a cluster it joined running"
    token = os.environ["RAY_AUTH_TOKEN"]
    leaks = [p for p in (tmp_path / "runs").rglob("*") if p.is_file() and token in p.read_text(errors="replace")]
    assert leaks == []  # the token is in no file of the run directory (logs and Ray's state included)


def test_a_worker_node_dies_mid_sweep_and_every_configuration_still_ends_once(
        two_nodes, real_data_dir, write_space, tmp_path):
    address, (head, worker) = two_nodes
    lrs = [0.001, 0.0015, 0.002, 0.003, 0.005, 0.01]
    space = write_space(f"grid:\n  lr: {lrs}\n  batch_size: [128]\n  epochs: [4]\n")
    out = tmp_path / "runs"
    driver = start_sweep(address, space, out, real_data_dir)
    try:
        wait_for_rows(out, at_least=1, timeout=300)  # trials are running on both nodes by now
        worker.kill()
        _, err = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, failure(err, out)
    rows = read_csv(next(out.iterdir()) / "trials.csv")
    assert sorted(float(r["lr"]) for r in rows) == lrs  # one row per configuration: none lost, none twice
    assert all(r["status"] == "ok" for r in rows)
    assert head.process.poll() is None


@pytest.mark.parametrize("how", ["wrong token", "no token"])
def test_a_driver_without_the_token_is_refused_with_a_clear_message(how, shared_nodes, real_data_dir, write_space,
                                                                    tmp_path, monkeypatch):
    address, _ = shared_nodes
    if how == "wrong token":
        monkeypatch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
    else:
        monkeypatch.delenv("RAY_AUTH_TOKEN")
        monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ray/auth_token either
    space = write_space("grid:\n  lr: [0.001]\n  epochs: [1]\n")
    driver = start_sweep(address, space, tmp_path / "runs", real_data_dir)
    _, err = driver.communicate(timeout=300)
    assert driver.returncode == 2, err[-2000:]
    assert f"cannot join the Ray cluster at {address}: its token authentication refused this driver" in err
    assert "Traceback" not in err
