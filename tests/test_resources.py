"""What each trial asks Ray for: a CPU share, and a GPU share with --gpus-per-trial.

No GPU here: Ray is told it has one (a logical resource), which is what Ray schedules by, and the
trials report what they were given.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tune_jobs.records import rundir
from tune_jobs.engine.runner import (NICENESS_ENV, SNAPSHOT_ENV, run_sweep, snapshot_period_s, snapshots_every,
                                     trial_resources)
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import SpecError, parse_spec
from tune_jobs.testing import ANALYTIC, analytic_trainable, resources_trainable, tiny_data

SPACE = "name: gpu\ngrid:\n  lr: [0.001, 0.002, 0.01, 0.1]\n  epochs: [1]\n  epoch_s: [2.0]\n"


def test_resource_request():
    assert trial_resources(1.0, 0.0) == {"cpu": 1.0}
    assert trial_resources(0.5, 0.25) == {"cpu": 0.5, "gpu": 0.25}
    for bad in (-1, 65, "half", True):
        with pytest.raises(SpecError, match="--gpus-per-trial"):
            RunSettings(space="s.yaml", gpus_per_trial=bad)


def test_ray_saves_a_small_sweep_every_second_and_a_huge_one_less_often(monkeypatch):
    assert snapshot_period_s(144) == 1.0 and snapshot_period_s(5000) == 5.0
    monkeypatch.delenv(SNAPSHOT_ENV, raising=False)
    with snapshots_every(5.0):
        assert os.environ[SNAPSHOT_ENV] == "5"
    assert SNAPSHOT_ENV not in os.environ  # a notebook's next sweep decides again
    monkeypatch.setenv(SNAPSHOT_ENV, "30")
    with snapshots_every(1.0):
        assert os.environ[SNAPSHOT_ENV] == "30"  # the user's own setting wins
    assert os.environ[SNAPSHOT_ENV] == "30"


def test_trials_share_a_gpu_by_fraction(tmp_path):
    import ray

    temp = tempfile.mkdtemp(prefix="tj-", dir="/tmp")
    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, _temp_dir=temp,
             log_to_driver=False, logging_level="WARNING")
    try:
        spec = parse_spec(SPACE, Path("gpu.yaml"))
        settings = RunSettings(space="gpu.yaml", workers=2, gpus_per_trial=0.5, refit=False, out=str(tmp_path))
        run_dir = rundir.new_run_dir(tmp_path, "gpu")
        assert run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=resources_trainable) == 0
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    results = [json.loads(p.read_text().splitlines()[-1]) for p in (run_dir / "tune").glob("*/result.json")]
    assert len(results) == 4
    for result in results:
        assert result["gpu_share"] == 0.5 and result["cpu_share"] == 1.0
        assert result["gpu_ids"] == "0" and result["cuda_visible_devices"] == "0"
    # two half-GPU trials at a time: some trial slept while another did (a whole GPU each would
    # never overlap); by wall clock, not by end times, which a busy machine staggers
    spans = sorted((r["slept_from"], r["slept_to"]) for r in results)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])), spans


LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def test_a_local_sweep_listens_on_loopback_only_and_keeps_its_token_private(ray_tmpdir, tmp_path):
    """Every listening socket of this process and the Ray it starts, sampled through a running sweep;
    then the token file Ray keeps in the user's home. (HOME is not faked: Ray caches the token of the
    first cluster a process starts, and a second home would give the next cluster another.)"""
    import threading

    import psutil

    spec = parse_spec("name: listen\ngrid:\n  lr: [0.001, 0.01, 0.002]\n  epochs: [3]\n  epoch_s: [0.5]\n",
                      Path("listen.yaml"))
    settings = RunSettings(space="listen.yaml", job=ANALYTIC.source, workers=2, refit=False, out=str(tmp_path))
    run_dir = rundir.new_run_dir(tmp_path, "listen")
    seen: set[tuple[str, str]] = set()
    done = threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not done.is_set():
            family = {me.pid} | {p.pid for p in me.children(recursive=True)}
            for c in psutil.net_connections(kind="inet"):
                if c.status == psutil.CONN_LISTEN and c.pid in family:
                    try:
                        seen.add((psutil.Process(c.pid).name(), c.laddr.ip))
                    except psutil.NoSuchProcess:  # it ended since the listing: a trial's process
                        pass
            time.sleep(0.3)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        assert run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=analytic_trainable) == 0
    finally:
        done.set()
        sampler.join()
    assert {name for name, _ in seen} >= {"gcs_server", "raylet"}  # the sample saw Ray running
    assert not [(name, ip) for name, ip in seen if ip not in LOOPBACK], seen
    token = Path.home() / ".ray" / "auth_token"
    assert not token.exists() or token.stat().st_mode & 0o777 == 0o600


def test_cpus_caps_the_runs_share_and_too_many_workers_are_named(ray_tmpdir, tmp_path, capfd):
    """--cpus 1 on this machine: a local Ray of one CPU, trials sized from it; 2 workers on 1 CPU is said."""
    spec = parse_spec("name: capped\ngrid:\n  lr: [0.001, 0.01]\n  epochs: [1]\n", Path("capped.yaml"))
    settings = RunSettings(space="capped.yaml", job=ANALYTIC.source, workers=2, cpus=1, refit=False,
                           out=str(tmp_path))
    run_dir = rundir.new_run_dir(tmp_path, "capped")
    assert run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, trainable=resources_trainable) == 0
    results = [json.loads(p.read_text().splitlines()[-1]) for p in (run_dir / "tune").glob("*/result.json")]
    assert [r["cpu_share"] for r in results] == [0.5, 0.5]
    assert json.loads((run_dir / rundir.SUMMARY).read_text())["cpus_per_trial"] == 0.5
    assert "note: 2 trials at once on 1 CPU: on CPUs more trials than cores is slower" in capfd.readouterr().out
    with pytest.raises(SpecError, match="--cpus: 0 must be an integer >= 1"):
        RunSettings(space="s.yaml", cpus=0)


PRIORITIES = """
import os, ray
from tune_jobs.engine.runner import start_ray

@ray.remote(num_cpus=1)
class Trial:  # Tune's trials are actors; warm tasks are tasks
    def niceness(self):
        return os.nice(0)

start_ray(None, cpus=1)
try:
    print(os.nice(0), ray.get(Trial.remote().niceness.remote()),
          ray.get(ray.remote(num_cpus=0)(lambda: os.nice(0)).remote()))
finally:
    ray.shutdown()
"""


@pytest.mark.parametrize("ray_setting,expected", [(None, 5), ("10", 15)], ids=["default", "RAY_worker_niceness"])
def test_trials_run_at_the_drivers_priority_unless_rays_own_setting_says_otherwise(ray_setting, expected,
                                                                                   ray_tmpdir):
    """Ray lowers its workers' priority by 15 by default: beside a busy process a trial got about 3%
    of a core (BENCHMARKS.md, section 17). A local Ray that tune-jobs starts keeps its trials at the
    driver's priority: a driver started with ``nice -n 5`` has its trial actors and tasks at 5; Ray's
    own ``RAY_worker_niceness``, where the user sets it, still applies on top."""
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop(NICENESS_ENV, None)
    if ray_setting is not None:
        env[NICENESS_ENV] = ray_setting
    done = subprocess.run([sys.executable, "-c", PRIORITIES], env=env, preexec_fn=lambda: os.nice(5),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    driver, actor, task = map(int, done.stdout.split()[-3:])
    assert (driver, actor, task) == (5, expected, expected)
