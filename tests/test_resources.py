"""What each trial asks Ray for: a CPU share, and a GPU share with --gpus-per-trial.

No GPU here: Ray is told it has one (a logical resource), which is what Ray schedules by, and the
trials report what they were given.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tune_jobs.records import rundir
from tune_jobs.engine.runner import run_sweep, trial_resources
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import SpecError, parse_spec
from tune_jobs.testing import ANALYTIC, resources_trainable, tiny_data

SPACE = "name: gpu\ngrid:\n  lr: [0.001, 0.002, 0.01, 0.1]\n  epochs: [1]\n  epoch_s: [1.0]\n"


def test_resource_request():
    assert trial_resources(1.0, 0.0) == {"cpu": 1.0}
    assert trial_resources(0.5, 0.25) == {"cpu": 0.5, "gpu": 0.25}
    for bad in (-1, 65, "half", True):
        with pytest.raises(SpecError, match="--gpus-per-trial"):
            RunSettings(space="s.yaml", gpus_per_trial=bad)


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
    # two half-GPU trials at a time: 4 one-second trials end in about 2 s of trials, not 4
    ends = sorted(float(r["elapsed_s"]) for r in rundir.read_csv(run_dir / rundir.TRIALS))
    assert ends[1] - ends[0] < 0.9 and ends[3] - ends[2] < 0.9
