"""`python -m tune_jobs.compare`: its plan and budget, bad input, and a real resumable comparison."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tune_jobs.jobs.paths import SPACES
from tune_jobs import compare
from tune_jobs.records import rundir
from tune_jobs.space.spec import SpecError, parse_spec

GRID = """name: two
grid:
  activation: [relu]
  lr: [0.001, 0.01]
  batch_size: [128]
  epochs: [2]
"""


def test_plan_runs_the_grid_once_and_every_sampler_once_per_seed_seed_by_seed():
    spec = parse_spec(GRID, Path("two.yaml"))
    entries = compare.plan(spec, "grid,random,optuna+asha", seeds=3)
    assert [(e.label, e.search_seed) for e in entries] == [  # searchers side by side, seed by seed
        ("grid", 0), ("random", 0), ("optuna+asha", 0), ("random", 1), ("optuna+asha", 1),
        ("random", 2), ("optuna+asha", 2)]
    assert entries[-1].searcher == "optuna" and entries[-1].scheduler == "asha"
    assert entries[-1].directory == "optuna+asha-seed2"


def test_the_budget_is_the_grids_compute_unless_given():
    spec = parse_spec(GRID, Path("two.yaml"))
    assert compare.budget_of(spec, cv=3, budget=None, fraction=None) == 2 * 2 * 3
    assert compare.budget_of(spec, cv=3, budget=None, fraction=0.5) == 6
    assert compare.budget_of(spec, cv=3, budget=100, fraction=None) == 100
    wide = parse_spec("name: wide\nspace:\n  lr: {loguniform: [1.0e-4, 1.0e-2]}\n", Path("wide.yaml"))
    with pytest.raises(SpecError, match="not a grid, so there is no grid budget"):
        compare.budget_of(wide, cv=3, budget=None, fraction=None)


@pytest.mark.parametrize("argv,message", [
    (["--searchers", "grid,bayes"], "unknown searcher 'bayes' (valid: grid, random, optuna)"),
    (["--searchers", "optuna+hyperband"], "unknown scheduler 'hyperband' (valid: none, asha, asha-time)"),
    (["--searchers", "grid,grid"], "a searcher is named twice"),
    (["--seeds", "0"], "--seeds: 0 must be an integer >= 1"),
    (["--budget", "10", "--budget-fraction", "0.5"], "give one of them"),
    (["--budget-fraction", "0"], "--budget-fraction: 0.0 must be in (0, 10]"),
    (["--workers", "0"], "--workers: 0 must be an integer >= 1"),
    (["--resume", "nowhere"], "--resume nowhere: not a comparison folder (no compare.json)"),
    (["--job", "nope.py"], "--job nope.py: no such job file"),
    (["--job", "sine", "--space", str(SPACES / "fashion_grid.yaml")], "grid.batch_norm: unknown hyperparameter"),
])
def test_bad_options_exit_2_naming_the_option_and_write_nothing(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert compare.main([*argv, "--out", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.integration
def test_a_real_comparison_writes_its_runs_and_report_and_resumes_only_what_is_missing(
        tmp_path, ray_tmpdir, real_data_dir, write_space, capsys, monkeypatch):
    from tune_jobs.engine import warm_workers

    warmed: list[set[int]] = []
    warm_up = warm_workers.warm_up
    monkeypatch.setattr(warm_workers, "warm_up", lambda *args, **kw: warmed.append(warm_up(*args, **kw)) or warmed[-1])
    space = write_space(GRID)
    argv = ["--space", str(space), "--searchers", "grid,random", "--seeds", "1", "--workers", "2",
            "--max-train-samples", "600", "--no-refit", "--data-dir", str(real_data_dir), "--out", str(tmp_path)]
    assert compare.main(argv) == 0
    (folder,) = tmp_path.glob("compare-two-*")
    # Before the first run, one process per worker imported TensorFlow; the first run's trials trained there
    assert len(warmed) == 1 and len(warmed[0]) == 2
    first_run = [json.loads(path.read_text().splitlines()[-1])
                 for path in (folder / "runs" / "grid-seed0").glob("tune/*/result.json")]
    assert len(first_run) == 2 and {result["train_pid"] for result in first_run} <= warmed[0]
    runs = sorted(p.name for p in (folder / "runs").iterdir())
    assert runs == ["grid-seed0", "random-seed0"]
    for name in runs:  # every sampling run spent exactly the grid's compute: 2 configs x 2 epochs x 3 folds
        summary = rundir.read_json(folder / "runs" / name / rundir.SUMMARY)
        assert summary["finished"] and summary["epochs_total"] == 12 and summary["n_train"] == 600
    with (folder / "report" / "summary.csv").open() as handle:
        summary_rows = {r["searcher"]: r for r in csv.DictReader(handle)}
    assert set(summary_rows) == {"grid", "random"} and summary_rows["random"]["runs"] == "1"
    assert (folder / "report" / "report.html").stat().st_size > 100_000

    # An interrupted comparison: one run never happened. --resume runs it alone, then reports both.
    shutil.rmtree(folder / "runs" / "random-seed0")
    shutil.rmtree(folder / "report")
    before = (folder / "runs" / "grid-seed0" / rundir.TRIALS).read_text()
    capsys.readouterr()
    assert compare.main(["--resume", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "grid seed 0: finished before" in out and "random seed 0 (starting" in out
    assert (folder / "runs" / "grid-seed0" / rundir.TRIALS).read_text() == before  # not run again
    assert rundir.read_json(folder / "runs" / "random-seed0" / rundir.SUMMARY)["finished"]
    assert (folder / "report" / "report.md").is_file()
