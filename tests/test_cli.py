"""Bad input ends with exit 2 and one message, before Ray starts and before a run directory exists."""

import json
import subprocess
import sys

import pytest

from tune_jobs import cli, fashion
from tune_jobs.jobs.paths import SPACES
from tune_jobs.engine import runner


@pytest.fixture
def never_runs(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the sweep must not start on bad input")

    monkeypatch.setattr(runner, "run_sweep", fail)


def run(argv, tmp_path, capsys):
    out = tmp_path / "out"
    code = fashion.main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert not out.exists(), "no run directory may be written on bad input"
    return code, err


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers: 0 must be an integer >= 1"),
    (["--cv", "0"], "--cv: 0 must be an integer >= 1"),
    (["--epochs", "0"], "--epochs: 0 must be an integer >= 1"),
    (["--max-train-samples", "0"], "--max-train-samples: 0 must be an integer >= 1"),
    (["--space", "missing.yaml"], "missing.yaml: cannot read the search-space file"),
])
def test_bad_options(argv, message, tmp_path, capsys, never_runs):
    code, err = run(argv, tmp_path, capsys)
    assert code == 2 and message in err


def test_bad_space_file(write_space, tmp_path, capsys, never_runs):
    path = write_space("grid:\n  lr: [0.01, -1]\n")
    code, err = run(["--space", str(path)], tmp_path, capsys)
    assert code == 2 and f"{path}: grid.lr[1]: -1 must be > 0" in err


def test_grid_searcher_on_a_space_with_distributions(tmp_path, capsys, never_runs):
    space = SPACES / "fashion_automl.yaml"
    code, err = run(["--space", str(space)], tmp_path, capsys)
    assert code == 2 and "fashion_automl.yaml: has distributions, not a grid; use --searcher random or optuna" in err


def test_missing_data_is_bad_input(tmp_path, capsys, never_runs, write_space):
    path = write_space("grid:\n  lr: [0.01]\n")
    code, err = run(["--space", str(path), "--data-dir", str(tmp_path / "nowhere")], tmp_path, capsys)
    assert code == 2 and "nowhere: no Fashion-MNIST IDX files there" in err


def test_resume_needs_a_run_directory_and_the_same_options(tmp_path, capsys, never_runs):
    code, err = run(["--resume", str(tmp_path)], tmp_path, capsys)
    assert code == 2 and "not a run directory" in err
    (tmp_path / "run.json").write_text(json.dumps({"space": "s.yaml", "cv": 3}))
    code, err = run(["--resume", str(tmp_path), "--cv", "5"], tmp_path, capsys)
    assert code == 2 and "options cannot change on resume (the run used --cv 3, --out runs)" in err


@pytest.mark.parametrize("value, message", [("0", "'0' must be longer than 0 s"),
                                            ("15 min", "'15 min' is not a duration (900, 90s, 15m, 1h30m)")])
def test_a_bad_time_budget_is_exit_2_with_its_value(value, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        fashion.main(["--time-budget", value, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2 and f"argument --time-budget: {message}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_option_is_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        fashion.main(["--lr", "0.1"])
    assert exit_.value.code == 2 and "unrecognized arguments: --lr" in capsys.readouterr().err


def test_help_imports_neither_tensorflow_nor_ray():
    code = ("import sys, runpy; sys.argv = ['x', '--help']\n"
            "try:\n    runpy.run_module('tune_jobs.fashion', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "print('HEAVY', sorted(m for m in ('tensorflow', 'ray', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--workers" in out and "HEAVY []" in out


@pytest.mark.parametrize("argv, message", [
    (["--max-train-samples", "5"], "--max-train-samples 5: "),
    (["--cv", "10"], "--cv 10: the rarest class has 6 training samples, fewer than the 10 folds asked for"),
    (["--cv", "1", "--max-train-samples", "30"],
     "--cv 1: a held-out 20% of 30 training samples leaves 6 and 24, and a stratified split needs each of the 10 "
     "classes on both sides (--max-train-samples 30)"),
])
def test_data_too_small_for_the_folds_and_classes(argv, message, synthetic_fashion, tmp_path, capsys, never_runs):
    code, err = run([*argv, "--data-dir", str(synthetic_fashion())], tmp_path, capsys)
    assert code == 2 and message in err


def test_out_naming_a_file(tmp_path, capsys, never_runs):
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    code = fashion.main(["--out", str(taken / "runs")])
    assert code == 2 and f"--out {taken / 'runs'}: {taken} is a file, not a folder" in capsys.readouterr().err


def test_paths_a_user_types_are_kept_absolute_so_resume_works_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fixed = cli.absolute_paths({"data_dir": "data", "storage": "shared/tune", "optuna_storage": "sqlite:///s.db",
                                "workers": 2})
    assert fixed == {"data_dir": str(tmp_path / "data"), "storage": str(tmp_path / "shared" / "tune"),
                     "optuna_storage": f"sqlite:///{tmp_path / 's.db'}", "workers": 2}
    kept = {"storage": "s3://bucket/runs", "optuna_storage": "postgresql://db/optuna"}
    assert cli.absolute_paths(kept) == kept
    assert cli.absolute_paths({"optuna_storage": "sqlite:////abs/s.db"}) == {"optuna_storage": "sqlite:////abs/s.db"}
