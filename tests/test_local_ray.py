"""A local Ray as tune-jobs starts and stops it: Ray's settings a user's own environment can still
override, and a stop that ends every process the start made, the autoscaler's monitor first.
(What each costs: ``benchmarks/ray_start_cost.py``, BENCHMARKS.md section 10.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tune_jobs.engine import runner

STARTED_AND_STOPPED = """
import json
import ray
from ray._private.node import Node
from tune_jobs.engine.runner import start_ray, stop_ray

start_ray(None, cpus=1)
started = {kind: [info.process for info in infos]
           for kind, infos in ray._private.worker._global_node.all_processes.items()}
[monitor] = started["monitor"]
monitor_ended_before = {}
kill = Node._kill_process_type


def recording(self, process_type, **kwargs):
    monitor_ended_before.setdefault(process_type, monitor.poll() is not None)
    return kill(self, process_type, **kwargs)


Node._kill_process_type = recording
stop_ray()
print(json.dumps({"running": [kind for kind, processes in started.items() for p in processes if p.poll() is None],
                  "monitor_ended_before": monitor_ended_before}))
"""


def test_stop_ray_ends_the_monitor_before_ray_ends_the_rest_and_leaves_nothing_running(ray_tmpdir):
    """Ray's own shutdown ends the GCS first, then waits a second on the monitor, which reports its
    end to that GCS: ``stop_ray`` has it ended before Ray's shutdown begins."""
    done = subprocess.run([sys.executable, "-c", STARTED_AND_STOPPED], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["running"] == []
    assert list(seen["monitor_ended_before"])[:2] == ["raylet", "gcs_server"]  # Ray's order
    assert all(seen["monitor_ended_before"].values())


def test_rays_own_settings_in_the_environment_are_not_overridden(monkeypatch):
    """A group of tune-jobs' settings is left out whole where the user sets any of it: Ray's
    connect tries with the user's own wait would not add up to Ray's 10 s."""
    for name in (*runner.QUICK_FIRST_CONNECT, *runner.AT_THE_DRIVERS_PRIORITY):
        monkeypatch.delenv(f"RAY_{name}", raising=False)
    ours = runner.local_system_config()
    assert ours.items() >= {**runner.QUICK_FIRST_CONNECT, **runner.AT_THE_DRIVERS_PRIORITY}.items()
    monkeypatch.setenv("RAY_raylet_client_connect_timeout_milliseconds", "2000")
    monkeypatch.setenv(runner.NICENESS_ENV, "15")
    left = runner.local_system_config()
    assert not left.keys() & {*runner.QUICK_FIRST_CONNECT, *runner.AT_THE_DRIVERS_PRIORITY}
    assert left.items() >= runner.warm_workers.SYSTEM_CONFIG.items()
