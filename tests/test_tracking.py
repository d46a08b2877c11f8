"""MLflow tracking against a real ``mlflow server`` (SQLite backend) that the test starts on 127.0.0.1
and stops by its process id: one MLflow run per sweep, one per trial nested under it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tune_jobs import cli
from tune_jobs.engine.runner import run_sweep
from tune_jobs.engine.tracking import TrackingError
from tune_jobs.records import rundir
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import parse_spec
from tune_jobs.testing import ANALYTIC, analytic_trainable, tiny_data

SPEC = parse_spec("name: tracked\ngrid:\n  activation: [relu, swish]\n  lr: [0.001, 0.01]\n  epochs: [3]\n",
                  Path("tracked.yaml"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}",
         "--default-artifact-root", str(tmp_path / "artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mlflow server did not start"
                time.sleep(0.5)
        yield uri
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the workers it started, by its group id
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.integration
def test_a_sweep_is_one_mlflow_run_with_a_nested_run_per_trial(mlflow_server, ray_tmpdir, tmp_path):
    from mlflow.tracking import MlflowClient

    settings = RunSettings(space="tracked.yaml", job=ANALYTIC.source, workers=2, refit=False, out=str(tmp_path),
                           mlflow=mlflow_server)
    run_dir = rundir.new_run_dir(tmp_path, "tracked")
    assert run_sweep(settings, SPEC, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable) == 0

    client = MlflowClient(mlflow_server)
    experiment = client.get_experiment_by_name(ANALYTIC.name)
    runs = client.search_runs([experiment.experiment_id])
    [sweep] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == sweep.info.run_id]
    assert sweep.data.tags["run_dir"] == str(run_dir) and sweep.info.status == "FINISHED"
    assert sweep.data.params["searcher"] == "grid" and sweep.data.metrics["n_trials"] == 4
    assert len(trials) == 4 and all(r.info.status == "FINISHED" for r in trials)
    assert {(r.data.params["activation"], r.data.params["lr"]) for r in trials} == {
        ("relu", "0.001"), ("relu", "0.01"), ("swish", "0.001"), ("swish", "0.01")}
    history = client.get_metric_history(trials[0].info.run_id, "cv_accuracy")
    assert [m.step for m in history] == [1, 2, 3]  # one point per epoch
    best = max(r.data.metrics["cv_accuracy"] for r in trials)
    assert sweep.data.metrics["best_score"] == pytest.approx(best)


def test_tracking_problems_are_bad_input_before_ray_starts(tmp_path, monkeypatch):
    import importlib.util

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = RunSettings(space="tracked.yaml", job=ANALYTIC.source, refit=False, out=str(tmp_path), mlflow=dead)
    run_dir = rundir.new_run_dir(tmp_path, "tracked")
    with pytest.raises(TrackingError, match=f"--mlflow {dead}: cannot start tracking"):
        run_sweep(settings, SPEC, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable)
    import ray

    assert not ray.is_initialized()

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    code = cli.main(["--mlflow", "http://127.0.0.1:5000", "--smoke", "--out", str(tmp_path / "runs")], prog="t",
                    job="fashion-mlp")
    assert code == cli.EXIT_BAD_INPUT and not (tmp_path / "runs").exists()
