"""Two Ray nodes on this machine (`ray start --head` and `ray start --address`, 1 CPU each, token
authentication, loopback only): trials spread over both, survive the death of one, and a driver
without the token is refused.

Each sweep runs in its own process, as a user's would (Ray caches the first cluster's token).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_sweep_integration import wait_for_rows

from tune_jobs.local_cluster import start_cluster
from tune_jobs.rundir import read_csv

pytestmark = pytest.mark.integration


@pytest.fixture
def two_nodes(monkeypatch):
    """A head and a worker node with one token, each with its own temp dir and ports."""
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))  # in the environment only, never on disk
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    root = Path(tempfile.mkdtemp(prefix="tj-", dir="/tmp"))
    address, nodes = start_cluster(root, nodes=2, cpus=1)
    try:
        yield address, nodes
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(root, ignore_errors=True)


def start_sweep(address: str, space: Path, out: Path, data_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tune_jobs.fashion", "--space", str(space), "--workers", "2", "--no-refit",
         "--max-train-samples", "1200", "--address", address, "--data-dir", str(data_dir), "--out", str(out),
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def test_trials_run_on_both_nodes(two_nodes, real_data_dir, write_space, tmp_path):
    address, _ = two_nodes
    space = write_space("grid:\n  lr: [0.001, 0.002, 0.005, 0.01]\n  batch_size: [256]\n  epochs: [2]\n")
    driver = start_sweep(address, space, tmp_path / "runs", real_data_dir)
    _, err = driver.communicate(timeout=400)
    assert driver.returncode == 0, err[-2000:]
    rows = read_csv(next((tmp_path / "runs").iterdir()) / "trials.csv")
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    assert len({r["node"] for r in rows}) == 2, [r["node"] for r in rows]  # 1 CPU per trial, 1 per node


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
    assert driver.returncode == 0, err[-3000:]
    rows = read_csv(next(out.iterdir()) / "trials.csv")
    assert sorted(float(r["lr"]) for r in rows) == lrs  # one row per configuration: none lost, none twice
    assert all(r["status"] == "ok" for r in rows)
    assert head.process.poll() is None


@pytest.mark.parametrize("how", ["wrong token", "no token"])
def test_a_driver_without_the_token_is_refused_with_a_clear_message(how, two_nodes, real_data_dir, write_space,
                                                                    tmp_path, monkeypatch):
    address, _ = two_nodes
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
