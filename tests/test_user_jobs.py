"""A user's job file: the README's example run verbatim, and every way a job file can be wrong
(exit 2, one message naming the file, before Ray starts, nothing written)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tune_jobs import cli
from tune_jobs.jobs import get_job
from tune_jobs.engine import runner

README = Path(__file__).resolve().parent.parent / "README.md"

GOOD = {
    "imports": "import numpy as np\nimport keras\n",
    "constants": "",
    "load_data": (
        "def load_data():\n"
        "    rng = np.random.default_rng(0)\n"
        "    x = rng.random((60, 4)).astype('float32')\n"
        "    y = np.arange(60) % 3\n"
        "    return (x, y), (x[:12], y[:12])\n"),
    "build_model": (
        "def build_model(config):\n"
        "    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation='softmax')])\n"
        "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    return model\n"),
}
SPACE = "grid:\n  lr: [0.01]\n  epochs: [1]\n"


def job_file(tmp_path: Path, **parts: str) -> Path:
    path = tmp_path / "my_job.py"
    path.write_text("".join({**GOOD, **parts}.values()))
    return path


@pytest.fixture
def never_runs(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the sweep must not start on bad input")

    monkeypatch.setattr(runner, "run_sweep", fail)


def run(tmp_path: Path, capsys, job: str, *extra: str) -> tuple[int, str]:
    space = tmp_path / "space.yaml"
    if not space.exists():
        space.write_text(SPACE)
    out = tmp_path / "out"
    code = cli.main(["--job", job, "--space", str(space), "--out", str(out), *extra], prog="python -m tune_jobs run")
    assert not out.exists(), "no run directory may be written on bad input"
    return code, capsys.readouterr().err


BAD = [
    ({"load_data": "def load_data(:\n    pass\n"}, "does not import: SyntaxError: invalid syntax (line 3)"),
    ({"imports": "import not_a_module_xyz\n"}, "does not import: ModuleNotFoundError: No module named "
                                               "'not_a_module_xyz' (line 1)"),
    ({"build_model": ""}, "has no build_model() function; a job file needs load_data() and build_model(config)"),
    ({"load_data": "def load_data():\n    raise OSError('disk gone')\n"}, "load_data() raised OSError: disk gone"),
    ({"load_data": "def load_data():\n    return np.zeros((60, 4)), np.zeros(60)\n"},
     "load_data() must return (x_train, y_train), (x_test, y_test), got tuple"),
    ({"load_data": "def load_data():\n    x = np.zeros((60, 4))\n    return (x, np.zeros(50)), (x, np.zeros(60))\n"},
     "load_data()'s x_train has 60 rows but y_train has 50"),
    ({"build_model": "def build_model(config):\n    return 'a model'\n"},
     "build_model(config) returned str, not a keras.Model"),
    ({"build_model": "def build_model(config):\n"
                     "    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"},
     "build_model(config) returned a model that is not compiled; call model.compile(...)"),
    ({"build_model": GOOD["build_model"].replace("keras.Input((4,))", "keras.Input((5,))")},
     "the model of build_model(config) does not fit the data's shapes (x_train (60, 4), y_train (60,))"),
    ({"constants": "METRIC = 'mae'\n"}, "METRIC = 'mae' is not reported by the compiled model (it reports"),
    ({"constants": "MODE = 'up'\n"}, "MODE = 'up' must be 'max' or 'min'"),
    ({"constants": "HYPERPARAMETERS = {'units': 8}\n"},
     "grid.lr: unknown hyperparameter (valid: batch_size, epochs, lr_schedule, units)"),
]


@pytest.mark.parametrize("parts, message", BAD, ids=[m[:40] for _, m in BAD])
def test_a_bad_job_file_is_exit_2_naming_the_file(parts, message, tmp_path, capsys, never_runs):
    path = job_file(tmp_path, **parts)
    code, err = run(tmp_path, capsys, str(path))
    assert code == 2 and message in err, err
    assert str(path) in err or "space.yaml" in err


@pytest.mark.parametrize("job, message", [
    ("nope.py", "--job nope.py: no such job file (nor a registered job"),
    ("not_a_package.nothing", "--job not_a_package.nothing: neither a registered job nor an importable module "
                              "(ModuleNotFoundError: No module named 'not_a_package')"),
])
def test_a_job_that_is_not_there(job, message, tmp_path, capsys, never_runs):
    code, err = run(tmp_path, capsys, job)
    assert code == 2 and message in err, err


def test_data_too_small_for_the_folds_asked_for(tmp_path, capsys, never_runs):
    code, err = run(tmp_path, capsys, str(job_file(tmp_path)), "--cv", "25")
    assert code == 2 and "--cv 25: the rarest class has 20 training samples, fewer than the 25 folds" in err
    code, err = run(tmp_path, capsys, str(job_file(tmp_path)), "--max-train-samples", "2")
    assert code == 2 and "--max-train-samples 2:" in err


def test_a_self_scheduling_model_under_a_cosine_schedule_is_refused_before_ray(tmp_path, capsys, never_runs):
    """A model compiled with its own LearningRateSchedule cannot take ``lr_schedule: cosine``: the
    probe tries the scheduled value where the space has one (not its first, ``constant``)."""
    decaying = "keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))"
    path = job_file(tmp_path, build_model=GOOD["build_model"].replace("'adam'", decaying))
    (tmp_path / "space.yaml").write_text(SPACE + "  lr_schedule: [constant, cosine]\n")
    code, err = run(tmp_path, capsys, str(path))
    assert code == 2 and f"{path}: lr_schedule: 'cosine' needs a model compiled with a number" in err, err


def test_a_job_that_crashes_in_native_code_leaves_a_traceback_naming_its_file(tmp_path):
    """A segmentation fault (here ctypes reading address 0 in ``build_model``) ends the process, but
    the command line's faulthandler prints where: the user's file and line, not silence."""
    crash = "def build_model(config):\n    import ctypes\n    return ctypes.string_at(0)\n"
    path = job_file(tmp_path, build_model=crash)
    (tmp_path / "space.yaml").write_text(SPACE)
    done = subprocess.run([sys.executable, "-m", "tune_jobs", "run", "--job", str(path), "--space",
                           str(tmp_path / "space.yaml"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGSEGV, done.stderr[-2000:]
    assert "Fatal Python error: Segmentation fault" in done.stderr
    line = path.read_text().splitlines().index("    return ctypes.string_at(0)") + 1
    assert f'File "{path}", line {line} in build_model' in done.stderr, done.stderr[-2000:]


def test_the_probe_configuration_takes_a_scheduled_rate_where_the_space_has_one(tmp_path):
    from tune_jobs.space.spec import parse_spec

    first = parse_spec(SPACE + "  lr_schedule: [constant, cosine]\n", tmp_path / "s.yaml").first_config()
    assert first == {"lr": 0.01, "epochs": 1, "batch_size": 32, "lr_schedule": "cosine"}
    assert parse_spec(SPACE, tmp_path / "s.yaml").first_config()["lr_schedule"] == "constant"


def test_the_objective_and_folds_follow_the_labels_and_the_files_constants(tmp_path):
    from tune_jobs.jobs import DataOptions, prepare

    classes = get_job(str(job_file(tmp_path)))
    classes, _ = prepare(classes, DataOptions(), None, 3, {"lr": 0.01})
    assert (classes.objective.metric, classes.objective.mode, classes.folds) == ("accuracy", "max", "stratified")
    regression = job_file(tmp_path, constants="METRIC = 'mae'\n", load_data=(
        "def load_data():\n    x = np.linspace(0, 1, 40).reshape(-1, 1)\n"
        "    return (x, 2 * x[:, 0]), (x, 2 * x[:, 0])\n"),
        build_model=("def build_model(config):\n"
                     "    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])\n"
                     "    model.compile(optimizer='adam', loss='mse', metrics=['mae'])\n    return model\n"))
    job, _ = prepare(get_job(str(regression)), DataOptions(), None, 3, {})
    assert (job.objective.metric, job.objective.mode, job.folds) == ("mae", "min", "kfold")
    assert job.objective.key == "cv_mae"


def readme_block(after: str, language: str) -> str:
    """The code block that follows the line ``after`` in the README."""
    text = README.read_text()
    match = re.search(re.escape(after) + r"\n```" + language + r"\n(.*?)\n```", text, re.S)
    assert match, f"README has no ```{language} block after {after!r}"
    return match.group(1) + "\n"


@pytest.mark.integration
def test_the_readmes_job_file_runs_exactly_as_printed(tmp_path, ray_tmpdir):
    (tmp_path / "digits_job.py").write_text(readme_block("`digits_job.py`:", "python"))
    (tmp_path / "digits_space.yaml").write_text(readme_block("`digits_space.yaml`:", "yaml"))
    [command] = [line for line in README.read_text().splitlines() if "--job digits_job.py" in line]
    argv = command.split()
    assert argv[:3] == [".venv/bin/python", "-m", "tune_jobs"]
    done = subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert "best mean CV accuracy:" in done.stdout and "test accuracy of the refit: 0." in done.stdout
    [run_dir] = (tmp_path / "runs").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["n_trials"] == 4 and summary["n_failed"] == 0 and summary["test_score"] > 0.8
    assert summary["job"] == str(tmp_path / "digits_job.py") and summary["objective"]["metric"] == "accuracy"
