"""One contract for every registered job: its spaces parse, it trains on a tiny subset with real
Ray and real Keras, reports its metric, and its best row follows its direction."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from tune_jobs import cli
from tune_jobs.jobs import JOBS, DataOptions, get_job, prepare
from tune_jobs.records import rundir
from tune_jobs.records.results import read_trials, score
from tune_jobs.records.summary import read_summary
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import load_spec


@pytest.mark.parametrize("name", sorted(JOBS))
def test_every_job_has_its_spaces_and_declares_its_objective(name):
    job = get_job(name)
    assert job.source == name and job.objective.mode in ("max", "min")
    for space in (job.default_space, job.smoke_space):
        spec = load_spec(space, job.hyperparameters)
        assert set(spec.first_config()) >= set(spec.params)
    assert job.folds == ("stratified" if job.objective.metric == "accuracy" else "kfold")


def test_the_jobs_command_lists_every_job_with_metric_mode_and_space():
    out = subprocess.run([sys.executable, "-m", "tune_jobs", "jobs"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(JOBS)
    assert lines[0].split()[1:4] == ["accuracy", "max", "search_spaces/fashion_grid.yaml"]
    assert lines[-1].split()[1:4] == ["mse", "min", "search_spaces/sine.yaml"]


@pytest.mark.parametrize("name", ["linear", "free-fall", "sine"])
def test_regression_data_is_drawn_from_the_seed_and_documents_its_noise(name):
    job = get_job(name)
    one, again, other = (job.load_data(DataOptions(seed=s)) for s in (0, 0, 1))
    assert np.array_equal(one.x_train, again.x_train) and np.array_equal(one.y_test, again.y_test)
    assert not np.array_equal(one.x_train, other.x_train)
    assert one.x_train.shape == (2000, 1) and one.x_test.shape == (1000, 1)
    curve = {"linear": lambda x: 3 * x + 4, "free-fall": lambda x: 9.8 * x ** 2, "sine": np.sin}[name]
    residual = one.y_train - curve(one.x_train[:, 0])
    assert np.var(residual) == pytest.approx(one.noise_variance, rel=0.1, abs=1e-9)  # the stated floor




@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(JOBS))
def test_every_job_trains_reports_its_metric_and_follows_its_direction(name, shared_ray, request, tmp_path):
    from tune_jobs.sweep.runner import run_sweep

    job = get_job(name)
    data_dir = str(request.getfixturevalue("real_data_dir")) if name.startswith("fashion") else None
    settings = RunSettings(space=str(job.smoke_space), job=name, workers=2, cv=2, epochs=1, out=str(tmp_path),
                           max_train_samples=400, data_dir=data_dir)
    spec = load_spec(settings.space, job.hyperparameters).with_epochs(1)
    job, data = prepare(job, DataOptions(data_dir, settings.seed), settings.max_train_samples, settings.cv,
                        spec.first_config())
    run_dir = cli.start_run_dir(settings, spec, job)
    assert run_sweep(settings, spec, job, data, run_dir) == 0
    rows, summary = read_trials(run_dir / rundir.TRIALS), read_summary(run_dir / rundir.SUMMARY)
    objective = job.objective
    assert rows and all(r["status"] == "ok" and r["epochs"] == "1" for r in rows)
    scores = [score(r, objective) for r in rows]
    assert all(math.isfinite(s) for s in scores)
    assert summary["best_score"] == (max(scores) if objective.mode == "max" else min(scores))
    assert summary["job"] == name and summary["objective"] == objective.to_json()
    assert math.isfinite(summary["test_score"]) and summary["n_test"] == len(data.y_test)
    assert (summary["noise_variance"] is not None) == (objective.metric == "mse")
