"""One contract for every registered job: its spaces parse, it trains on a tiny subset with real
Ray and real Keras, reports its metric, and its best row follows its direction; the seed's
regressions get their test MSE close to the noise floor."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from tune_jobs import cli
from tune_jobs.jobs import JOBS, DataOptions, get_job
from tune_jobs.records import rundir
from tune_jobs.records.results import read_trials, score
from tune_jobs.records.summary import read_summary
from tune_jobs.space.spec import load_spec


# The space files a job's README section names beside its default and smoke spaces.
MORE_SPACES = {"fashion-mlp": ["fashion_automl.yaml"], "fashion-cnn": ["fashion_cnn_automl.yaml"],
               "linear": ["regression_automl.yaml"], "free-fall": ["regression_automl.yaml"],
               "sine": ["regression_automl.yaml"]}


@pytest.mark.parametrize("name", sorted(JOBS))
def test_every_job_has_its_spaces_and_declares_its_objective(name):
    job = get_job(name)
    assert job.source == name and job.objective.mode in ("max", "min")
    more = [job.default_space.with_name(file) for file in MORE_SPACES[name]]
    for space in (job.default_space, job.smoke_space, *more):
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


# The regressions' run is a small search whose refit must come close to the noise floor (the
# benchmark holds the tighter targets): test MSE at most this multiple of the noise variance, or
# below this absolute value for the noiseless sine.
REGRESSION = "grid:\n  layers: [2]\n  units: [64]\n  activation: [relu, tanh]\n  lr: [0.01]\n  batch_size: [32]\n" \
             "  epochs: [20]\n"
NEAR_THE_FLOOR = {"linear": ("x floor", 1.5), "free-fall": ("x floor", 1.5), "sine": ("absolute", 0.01)}


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(JOBS))
def test_every_job_trains_reports_its_metric_and_follows_its_direction(name, shared_ray, request, tmp_path, capsys):
    """Through the command line a user types: one epoch on a tiny subset (the regressions: a small
    search of 20 epochs on 1,000 points, and its test MSE near the noise floor)."""
    job = get_job(name)
    if name in NEAR_THE_FLOOR:
        space = tmp_path / "small.yaml"
        space.write_text(REGRESSION)
        options = ["--space", str(space), "--max-train-samples", "1000"]
    else:
        data_dir = request.getfixturevalue("real_data_dir")
        options = ["--space", str(job.smoke_space), "--epochs", "1", "--max-train-samples", "400",
                   "--data-dir", str(data_dir)]
    out = tmp_path / "runs"
    code = cli.main(["--job", name, *options, "--workers", "2", "--cv", "2", "--out", str(out)],
                    prog="python -m tune_jobs run")
    assert code == 0
    [run_dir] = list(out.iterdir())
    rows, summary = read_trials(run_dir / rundir.TRIALS), read_summary(run_dir / rundir.SUMMARY)
    objective = job.objective
    assert rows and all(r["status"] == "ok" for r in rows)
    scores = [score(r, objective) for r in rows]
    assert all(math.isfinite(s) for s in scores)
    assert summary["best_score"] == (max(scores) if objective.mode == "max" else min(scores))
    assert summary["job"] == name and summary["objective"] == objective.to_json()
    test, floor = summary["test_score"], summary["noise_variance"]
    assert math.isfinite(test) and summary["n_test"] == (10000 if name.startswith("fashion") else 1000)
    printed = capsys.readouterr().out
    assert f"best mean CV {objective.metric}:" in printed and f"test {objective.metric} of the refit:" in printed
    if name in NEAR_THE_FLOOR:
        kind, bound = NEAR_THE_FLOOR[name]
        assert test <= (bound * floor if kind == "x floor" else bound), (name, test, floor)
        assert f"(the noise variance, its floor: {floor:.4g})" in printed
    else:
        assert floor is None
