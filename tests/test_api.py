"""The Python API: tune_jobs.sweep / resume / SweepResult, a notebook's own functions as the job,
bad input as one ValueError subclass with the CLI's message, every run an Optuna study."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pytest

import tune_jobs
from tune_jobs import cli
from tune_jobs.records.rundir import read_csv

SPACE = {"activation": ["relu", "swish"], "lr": [0.01], "batch_size": [256], "epochs": [1]}


def load_blobs():
    """Three separable classes of 4 features: a model learns them in an epoch or two."""
    rng = np.random.default_rng(0)
    y = np.arange(150) % 3
    x = (rng.normal(0, 0.3, (150, 4)) + y[:, None]).astype("float32")
    return (x[:120], y[:120]), (x[120:], y[120:])


def build_blob_model(config):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(config["units"], activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(config["lr"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build_blob_model_slowly(config):
    """build_blob_model, TJ_TEST_BUILD_S seconds later where that is set: trials whose length does
    not depend on how fast the engine has become."""
    time.sleep(float(os.environ.get("TJ_TEST_BUILD_S", "0")))
    return build_blob_model(config)


@pytest.mark.parametrize("options, argv", [
    ({"workers": 0}, ["--workers", "0"]),
    ({"cv": 0}, ["--cv", "0"]),
    ({"searcher": "bayes"}, ["--searcher", "bayes"]),
    ({"num_samples": 5}, ["--num-samples", "5"]),
    ({"max_train_samples": 5}, ["--max-train-samples", "5"]),
])
def test_bad_input_raises_one_value_error_with_the_clis_message(options, argv, tmp_path, synthetic_fashion,
                                                                capsys):
    data = synthetic_fashion()
    common = {"out": str(tmp_path / "runs"), "data_dir": str(data), "space": "search_spaces/fashion_smoke.yaml"}
    code = cli.main([*argv, *[f"--{k.replace('_', '-')}={v}" for k, v in common.items()]], prog="t",
                    job="fashion-mlp")
    message = capsys.readouterr().err.strip().removeprefix("error: ")
    assert code == cli.EXIT_BAD_INPUT
    with pytest.raises(tune_jobs.BadInput) as raised:
        tune_jobs.sweep("fashion-mlp", **common, **options)
    assert isinstance(raised.value, ValueError) and str(raised.value) == message
    assert not (tmp_path / "runs").exists()  # nothing written


def test_api_only_mistakes_name_the_keyword(tmp_path):
    with pytest.raises(tune_jobs.BadInput, match=r"unknown option n_jobs= \(valid: workers, cpus, cv"):
        tune_jobs.sweep("fashion-mlp", n_jobs=2)
    with pytest.raises(tune_jobs.BadInput, match="either job= .* or both load_data= and build_model="):
        tune_jobs.sweep("fashion-mlp", build_model=build_blob_model)
    with pytest.raises(tune_jobs.BadInput, match=r"space: grid.lr\[0\]: -1 must be > 0"):
        tune_jobs.sweep("fashion-mlp", space={"lr": [-1]}, out=str(tmp_path))
    with pytest.raises(tune_jobs.BadInput, match="build_model=build_blob_model: load_data\\(\\)'s x_train has 3 rows"):
        tune_jobs.sweep(load_data=((np.zeros((3, 4)), np.zeros(2)), (np.zeros((1, 4)), np.zeros(1))),
                        build_model=build_blob_model, space={"units": [4], "lr": [0.1]}, out=str(tmp_path))
    assert not any(tmp_path.iterdir())


@pytest.mark.integration
def test_a_notebooks_functions_sweep_and_the_result_reads_back(shared_ray, tmp_path):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    result = tune_jobs.sweep(load_data=load_blobs, build_model=build_blob_model,
                             space={"units": [4, 16], "lr": [0.05], "epochs": [3], "batch_size": [16]},
                             workers=2, out=str(tmp_path))
    assert result.finished and result.run_dir.parent == tmp_path
    assert result.objective.key == "cv_accuracy" and result.best_config["units"] in (4, 16)
    assert result.best_score == max(result.trials["cv_accuracy"]) > 0.6
    assert 0 < result.test_score <= 1
    assert list(result.trials["units"].sort_values()) == [4, 16]
    assert len(result.trials["fold_scores"][0].split()) == 3  # one score per fold
    assert "best mean CV accuracy" in repr(result) and "<table>" in result._repr_html_()
    assert result.report().is_file()

    # Every run is an Optuna study (the grid's too): optuna-dashboard's loader reads it.
    study = optuna.load_study(study_name=None,
                              storage=JournalStorage(JournalFileBackend(str(result.run_dir / "optuna.journal"))))
    assert len(study.trials) == 2 and study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert study.best_value == pytest.approx(result.best_score)
    assert study.best_params["units"] == result.best_config["units"]


def test_the_refits_of_one_ray_session_run_in_one_process_that_keeps_tensorflow(shared_ray):
    """engine/refitter.py: on a Ray of one node the refit's process outlives the sweep, so the next
    sweep's refit (a comparison's next run, a notebook's next fit) finds TensorFlow imported."""
    import ray

    from tune_jobs.engine import refitter
    from tune_jobs.jobs.user_file import job_from_functions

    job = job_from_functions(load_blobs, build_blob_model, metric=None, mode=None, tolerance=None,
                             hyperparameters=None)
    (x, y), (x_test, y_test) = load_blobs()
    data_ref = ray.put({"x_train": x, "y_train": y, "x_test": x_test, "y_test": y_test})
    refitter.warm()  # as a sweep's start does
    pids = []
    for units in (4, 8):
        config = {"units": units, "lr": 0.05, "epochs": 1, "batch_size": 16}
        assert 0 < refitter.refit_and_score_remote(job, config, data_ref, seed=0) <= 1
        pids.append(ray.get(ray.get_actor(refitter.NAME).pid.remote()))
    assert pids[0] == pids[1] != os.getpid()


STOPPED_IN_A_NOTEBOOK = """
import sys
sys.path.insert(0, {tests!r})
import tune_jobs
from test_api import build_blob_model_slowly, load_blobs
tune_jobs.sweep(load_data=load_blobs, build_model=build_blob_model_slowly, workers=1, out={out!r},
                space={{"units": [4, 8, 16, 32], "lr": [0.05, 0.03, 0.02], "epochs": [3], "batch_size": [8]}},
                refit=False)
"""


@pytest.mark.integration
def test_the_stop_button_leaves_a_run_that_resume_finishes(shared_ray, tmp_path):
    """The stop button is SIGINT to the kernel's process; resume needs only the run directory (the
    job's functions are saved in it). The stopped driver's trials take half a second more each (its
    Ray's workers have TJ_TEST_BUILD_S); the resume's, in the test's Ray, do not."""
    out = tmp_path / "runs"
    script = STOPPED_IN_A_NOTEBOOK.format(tests=os.path.dirname(__file__), out=str(out))
    ray_temp = tempfile.mkdtemp(prefix="tj-", dir="/tmp")  # the driver's own Ray, not the shared one
    driver = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                              env={**os.environ, "RAY_TMPDIR": ray_temp, "TJ_TEST_BUILD_S": "0.5"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not (tables := list(out.glob("*/trials.csv"))) or len(read_csv(tables[0])) < 1:
            assert time.monotonic() < deadline and driver.poll() is None, "no trial finished"
            time.sleep(0.2)
        time.sleep(1.5)  # Ray snapshots its experiment state every second
        os.kill(driver.pid, signal.SIGINT)  # to the kernel alone, as the stop button sends it
        assert driver.wait(timeout=120) == 0  # the sweep returned its partial result
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
        shutil.rmtree(ray_temp, ignore_errors=True)
    [run_dir] = list(out.iterdir())
    before = {row["trial_id"]: row for row in read_csv(run_dir / "trials.csv")}
    assert 1 <= len(before) < 12  # twelve trials of half a second or more each: the stop lands with some left
    assert not json.loads((run_dir / "summary.json").read_text())["finished"]

    sys.modules.pop("test_api", None)  # resume finds the functions in the run directory, not here
    result = tune_jobs.resume(run_dir)
    assert result.finished and len(result.trials) == 12 and result.trials["trial_id"].is_unique
    for row in read_csv(run_dir / "trials.csv"):
        if row["trial_id"] in before:
            assert row == before[row["trial_id"]]  # kept, not trained again


@pytest.mark.parametrize("cv, printed, shown", [
    (3, "best mean CV accuracy: 0.9000 (+- 0.004 over 3 folds)", "0.9000 +- 0.004"),
    (1, "best held-out accuracy: 0.9000 (on one held-out split)", "0.9000"),
])
def test_a_result_says_what_its_score_is_the_mean_over_folds_or_one_held_out_split(cv, printed, shown, tmp_path,
                                                                                   capsys):
    summary = {"best_config": {"lr": 0.01}, "best_score": 0.9, "best_score_std": 0.004, "cv": cv,
               "test_score": 0.89, "n_trials": 2, "n_failed": 0, "wall_s": 12.0, "finished": True,
               "job": "fashion-mlp"}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    cli.report(tmp_path)
    assert printed in capsys.readouterr().out
    label = printed.split(":")[0]
    assert f"{label}: {shown}\n" in repr(tune_jobs.SweepResult(tmp_path))
