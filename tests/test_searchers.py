"""One contract for every searcher in the registry, on the analytic trainable (no TensorFlow)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tune_jobs.records import rundir
from tune_jobs.records.results import column_of, read_trials
from tune_jobs.engine.runner import run_sweep
from tune_jobs.searchers import SEARCHERS
from tune_jobs.searchers import schedulers
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import SpecError, parse_spec
from tune_jobs.testing import ANALYTIC, ANALYTIC_MIN, analytic_trainable, best_score, final_score, reported, tiny_data

SPACE = """name: analytic
grid:
  activation: [relu, selu, swish]
  lr: [0.001, 0.002, 0.01]
  batch_norm: [1, 0]
  dropout: [0.2, 0.4]
  epochs: [9]
"""
PARAMS = ["activation", "lr", "batch_norm", "dropout", "epochs"]
DATA = tiny_data()
SPEC = parse_spec(SPACE, Path("analytic.yaml"))


def sweep(tmp_path: Path, searcher: str, job=ANALYTIC, **options) -> tuple[int, list[dict], dict, Path]:
    settings = RunSettings(space="analytic.yaml", job=job.source, searcher=searcher, refit=False, out=str(tmp_path),
                           **options)
    run_dir = rundir.new_run_dir(tmp_path, f"{searcher}-{options.get('seed', 0)}")
    code = run_sweep(settings, SPEC, job, DATA, run_dir, trainable=analytic_trainable)
    rows = read_trials(run_dir / rundir.TRIALS)
    return code, rows, json.loads((run_dir / rundir.SUMMARY).read_text()), run_dir


def configs(rows: list[dict]) -> list[dict]:
    return [{p: SPEC.parse(p, row[column_of(p)]) for p in PARAMS} for row in rows]


GRID = parse_spec(SPACE, Path("analytic.yaml")).grid


@pytest.mark.parametrize("job", [ANALYTIC, ANALYTIC_MIN], ids=["max", "min"])
@pytest.mark.parametrize("searcher", sorted(SEARCHERS))
def test_every_searcher_keeps_to_the_space_and_the_budget_and_finds_the_optimum(searcher, job, shared_ray, tmp_path):
    options = {} if searcher == "grid" else {"num_samples": 30}
    code, rows, summary, _ = sweep(tmp_path, searcher, job=job, workers=2, **options)
    assert code == 0
    expected = 36 if searcher == "grid" else 30
    assert len(rows) == expected and summary["n_trials"] == expected and summary["finished"]
    for config in configs(rows):
        assert all(config[p] in GRID[p] for p in PARAMS), config
    objective = job.objective
    assert summary["objective"] == objective.to_json() and job.objective.key in rows[0]
    scores = [float(r[objective.key]) for r in rows]
    assert summary["best_score"] == (max(scores) if objective.mode == "max" else min(scores))  # the direction
    assert objective.reached(summary["best_score"], reported(objective, best_score() - 0.05))
    assert summary["epochs_total"] == expected * 9 * 3
    assert 1 <= summary["n_distinct_configs"] <= expected
    if searcher == "grid":  # the product, each configuration exactly once, and so the optimum itself
        seen = [tuple(c[p] for p in PARAMS) for c in configs(rows)]
        assert sorted(seen, key=str) == sorted(itertools.product(*(GRID[p] for p in PARAMS)), key=str)
        assert summary["best_score"] == pytest.approx(reported(objective, best_score()))
        assert summary["n_distinct_configs"] == 36


@pytest.mark.parametrize("job", [ANALYTIC, ANALYTIC_MIN], ids=["max", "min"])
def test_asha_stops_trials_early_and_saves_compute(job, shared_ray, tmp_path):
    _, rows, summary, _ = sweep(tmp_path, "grid", job=job, workers=2, scheduler="asha")
    stopped = [r for r in rows if r["status"] == "stopped"]
    assert stopped and all(int(r["epochs"]) < 9 for r in stopped)
    assert summary["n_stopped"] == len(stopped)
    assert summary["epochs_total"] < 36 * 9 * 3
    assert summary["best_score"] == pytest.approx(reported(job.objective, best_score()))  # the best was not cut


def test_asha_time_compares_trials_after_equal_seconds_of_training(shared_ray, tmp_path):
    """asha-time: each configuration in two twins with the same curve per epoch, one ten times slower
    per epoch (the analytic trainable's clock). ASHA over epochs would treat the twins alike; over
    seconds, a slow twin's first epoch meets the rung where fast ones have trained nine, and is
    stopped sooner. The best configuration's fast twin still trains to its end."""
    space = tmp_path / "analytic.yaml"
    space.write_text(SPACE.replace("grid:\n", "grid:\n  virtual_epoch_s: [1, 10]\n")
                     + "scheduler:\n  grace_period_s: 3\n")
    settings = RunSettings(space=str(space), job=ANALYTIC.source, searcher="grid", scheduler="asha-time",
                           refit=False, out=str(tmp_path), workers=2)
    run_dir = rundir.new_run_dir(tmp_path, "asha-time")
    assert run_sweep(settings, parse_spec(space.read_text(), space), ANALYTIC, DATA, run_dir,
                     trainable=analytic_trainable) == 0
    rows = read_trials(run_dir / rundir.TRIALS)
    summary = json.loads((run_dir / rundir.SUMMARY).read_text())
    assert len(rows) == 72
    epochs = {speed: [int(r["epochs"]) for r in rows if float(r[column_of("virtual_epoch_s")]) == speed]
              for speed in (1, 10)}
    assert sum(epochs[10]) < sum(epochs[1]) / 2, epochs
    assert min(epochs[10]) == 1 and max(epochs[1]) == 9  # a slow twin stopped at its first report
    assert summary["best_score"] == pytest.approx(reported(ANALYTIC.objective, best_score()))
    assert summary["n_stopped"] == sum(r["status"] == "stopped" for r in rows) > 0


def test_asha_time_reads_every_epoch_at_rungs_of_seconds():
    """A rung of seconds can fall after any epoch, so a trial reports after each; Ray's rungs are
    the grace period times powers of the factor, in the trial's own seconds of training."""
    settings = {"grace_period_s": 20, "reduction_factor": 3}
    scheduler = schedulers.make_scheduler("asha-time", 15, settings)
    rungs = sorted(milestone for bracket in scheduler._brackets for milestone, _ in bracket._rungs)
    assert rungs[:3] == [20, 60, 180] and scheduler._time_attr == "train_time_s"
    assert schedulers.reads_at("asha-time", 15, settings) == tuple(range(1, 16))
    assert schedulers.min_epochs("asha-time", 15, settings) == 1


@pytest.mark.parametrize("searcher", ["random", "optuna"])
def test_same_seed_same_suggestions_one_at_a_time(searcher, shared_ray, tmp_path):
    first = configs(sweep(tmp_path / "a", searcher, workers=1, num_samples=8, seed=3)[1])
    again = configs(sweep(tmp_path / "b", searcher, workers=1, num_samples=8, seed=3)[1])
    other = configs(sweep(tmp_path / "c", searcher, workers=1, num_samples=8, seed=4)[1])
    assert first == again and first != other


def test_the_optuna_study_persists_every_trial(shared_ray, tmp_path):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    _, rows, _, run_dir = sweep(tmp_path, "optuna", workers=2, num_samples=12)
    storage = JournalStorage(JournalFileBackend(str(run_dir / "optuna.journal")))
    study = optuna.load_study(study_name="analytic", storage=storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    # Every trained trial, and every repeat answered from the records, is a complete trial of the study.
    answered = rundir.count_lines(run_dir / rundir.ANSWERS)
    assert len(complete) == 12 + answered
    values = {round(t.value, 6) for t in complete}
    assert values == {round(final_score(c), 6) for c in configs(rows)}


@pytest.mark.parametrize("options, message", [
    ({"searcher": "grid", "num_samples": 5}, "--num-samples 5: does not apply to searcher 'grid' (its options: none)"),
    ({"searcher": "random", "optuna_storage": "sqlite:///x.db"},
     "--optuna-storage sqlite:///x.db: does not apply to searcher 'random' (its options: --num-samples)"),
    ({"searcher": "hyperband"}, "--searcher: unknown searcher 'hyperband' (valid: grid, random, optuna)"),
    ({"scheduler": "pbt"}, "--scheduler: unknown scheduler 'pbt' (valid: none, asha, asha-time)"),
    ({"searcher": "optuna", "num_samples": 0}, "--num-samples: 0 must be an integer >= 1"),
])
def test_options_that_do_not_apply_are_rejected(options, message):
    with pytest.raises(SpecError) as error:
        RunSettings(space="x.yaml", **options)
    assert str(error.value) == message


@pytest.mark.parametrize("section, message", [
    ("scheduler:\n  grace_period: 0\n", "scheduler.grace_period: 0 must be an integer >= 1"),
    ("scheduler:\n  grace_period_s: 0\n", "scheduler.grace_period_s: 0 must be an integer >= 1"),
    ("scheduler:\n  reduction_factor: 1\n", "scheduler.reduction_factor: 1 must be an integer >= 2"),
    ("scheduler:\n  brackets: 2\n", "scheduler.brackets: unknown key"),
])
def test_bad_scheduler_settings(section, message):
    with pytest.raises(SpecError, match=message):
        parse_spec("grid:\n  lr: [0.1]\n" + section, Path("s.yaml"))


@pytest.mark.parametrize("max_epochs, grace_period, reduction_factor", [
    (15, 1, 3), (15, 3, 3), (9, 1, 3), (27, 1, 3), (10, 1, 2), (3, 1, 2), (15, 1, 4), (16, 2, 2)])
def test_asha_is_read_at_rays_own_rungs_and_the_last_epoch(max_epochs, grace_period, reduction_factor):
    """Trials validate only where ASHA reads a score: Ray's own rungs (read from its bracket), and max_t."""
    settings = {"grace_period": grace_period, "reduction_factor": reduction_factor}
    scheduler = schedulers.make_scheduler("asha", max_epochs, settings)
    rays = {milestone for bracket in scheduler._brackets for milestone, _ in bracket._rungs}
    assert schedulers.reads_at("asha", max_epochs, settings) == tuple(sorted(rays | {max_epochs}))
    assert schedulers.reads_at("none", max_epochs, settings) == ()


def test_a_grace_period_longer_than_the_trials_is_their_length():
    """``--epochs 2`` on a space whose ASHA waits 3 epochs: trials of 2 epochs, read after the last."""
    settings = {"grace_period": 3}
    assert schedulers.make_scheduler("asha", 2, settings) is not None  # Ray asserts grace_period <= max_t
    assert schedulers.reads_at("asha", 2, settings) == (2,)
    assert schedulers.min_epochs("asha", 2, settings) == 2


DEEP = """name: deep
space:
  layers: {int: [1, 3]}
  units: {int: [8, 64], log: true, per_layer: true}
  lr: {loguniform: [1.0e-4, 1.0e-1]}
  dropout: {uniform: [0.0, 0.5]}
  activation: [relu, swish]
  epochs: 2
"""


@pytest.mark.parametrize("searcher", ["random", "optuna"])
def test_distributions_and_units_only_for_existing_layers(searcher, shared_ray, tmp_path):
    spec = parse_spec(DEEP, Path("deep.yaml"))
    settings = RunSettings(space="deep.yaml", searcher=searcher, refit=False, num_samples=12, workers=2)
    run_dir = rundir.new_run_dir(tmp_path, searcher)
    assert run_sweep(settings, spec, ANALYTIC, DATA, run_dir, trainable=analytic_trainable) == 0
    rows = read_trials(run_dir / rundir.TRIALS)
    assert len(rows) == 12 and list(rows[0])[2:10] == [
        "layers", "lr", "dropout", "activation", "max_epochs", "units_1", "units_2", "units_3"]
    for row in rows:
        layers = int(row["layers"])
        assert 1 <= layers <= 3 and 1e-4 <= float(row["lr"]) <= 1e-1 and 0 <= float(row["dropout"]) <= 0.5
        for i in (1, 2, 3):
            value = row[f"units_{i}"]
            assert (value != "") == (i <= layers), row
            assert value == "" or 8 <= int(value) <= 64
    assert len({row["lr"] for row in rows}) == 12  # continuous: no two alike


def test_optuna_study_in_a_database_url(shared_ray, tmp_path):
    import optuna

    url = f"sqlite:///{tmp_path / 'studies.db'}"
    _, rows, summary, run_dir = sweep(tmp_path, "optuna", workers=2, num_samples=6, optuna_storage=url)
    assert len(rows) == 6 and summary["finished"]
    study = optuna.load_study(study_name="analytic", storage=url)
    # the trained trials and the repeats answered from the records (a repeat of a running
    # configuration, which has no result yet, is marked failed in the study)
    assert len(study.trials) >= 6 + rundir.count_lines(run_dir / rundir.ANSWERS)
    complete = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert complete == 6 + summary["n_answered_from_records"]


RESUMABLE = """
import sys, numpy as np
from pathlib import Path
from tune_jobs.records import rundir
from tune_jobs.engine.runner import run_sweep
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import parse_spec
from tune_jobs.testing import ANALYTIC, analytic_trainable, tiny_data
space, run_dir, resume = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "resume"
spec = parse_spec(Path(space).read_text(), Path(space))
settings = RunSettings(space=space, searcher="optuna", num_samples=10, workers=1, refit=False)
sys.exit(run_sweep(settings, spec, ANALYTIC, tiny_data(), run_dir, resume=resume, trainable=analytic_trainable))
"""


def test_an_interrupted_optuna_sweep_resumes_the_same_study(shared_ray, tmp_path, monkeypatch):
    """Ctrl-C (SIGINT to the process group) mid-sweep, --resume, a closed terminal (SIGHUP) mid-resume,
    then --resume of the run directory moved elsewhere: the study ends with exactly num_samples
    trials, none repeated.
    (tests/test_sweep_integration.py does it with real Keras, through the command line.)"""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    ray_tmp = tempfile.mkdtemp(prefix="tj-", dir="/tmp")
    monkeypatch.setenv("RAY_TMPDIR", ray_tmp)  # their own Ray, not ours
    try:
        script, space, run_dir = tmp_path / "resumable.py", tmp_path / "analytic.yaml", tmp_path / "run"
        script.write_text(RESUMABLE)
        space.write_text(SPACE.replace("epochs: [9]", "epochs: [3]\n  epoch_s: [0.3]"))
        run_dir.mkdir()
        before = interrupt([script, space, run_dir, "new"], run_dir, at_least=3, how="ctrl-c")
        assert 3 <= len(before) < 10
        middle = interrupt([script, space, run_dir, "resume"], run_dir, at_least=len(before) + 1, how="sighup")
        assert len(before) < len(middle) < 10 and middle[: len(before)] == before, (len(before), len(middle))
        moved = tmp_path / "elsewhere" / run_dir.name  # movable: copied elsewhere (rsync-down), the original gone
        shutil.copytree(run_dir, moved)
        shutil.rmtree(run_dir)
        resumed = subprocess.run([sys.executable, str(script), str(space), str(moved), "resume"], timeout=180,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    after = read_trials(moved / rundir.TRIALS)
    assert len(after) == 10 and len({r["trial_id"] for r in after}) == 10
    assert after[: len(middle)] == middle  # kept as they were, in their order
    journal = JournalStorage(JournalFileBackend(str(moved / "optuna.journal")))
    study = optuna.load_study(study_name="analytic", storage=journal)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 10 + rundir.count_lines(moved / rundir.ANSWERS)  # trained, or answered
    assert len({tuple(sorted(r.items())) for r in configs(after)}) == 10  # none trained twice, resume too


def interrupt(argv: list, run_dir: Path, at_least: int, how: str) -> list[dict]:
    """Run the driver script until `at_least` trials have ended, interrupt it as `how` says, and
    return the trials it recorded; it must exit as after Ctrl-C (130)."""
    driver = subprocess.Popen([sys.executable, *map(str, argv)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(read_trials(run_dir / rundir.TRIALS)) < at_least and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)
    os.killpg(driver.pid, signal.SIGINT) if how == "ctrl-c" else os.kill(driver.pid, signal.SIGHUP)
    assert driver.wait(timeout=60) == 130
    return read_trials(run_dir / rundir.TRIALS)


def test_a_time_budget_ends_the_sweep_and_the_trials_it_cuts_keep_their_epochs(shared_ray, tmp_path, capfd):
    """36 trials of 240 epochs of 0.25 s, two at a time, need 18 minutes; a budget of 10 s (more on
    a loaded machine, see below) ends the sweep as finished (exit 0) while the first two run, and
    they are recorded as stopped with the epochs they trained."""
    from datetime import timedelta

    # The first two trials must report before the budget ends, and how soon they do depends on the
    # machine's load (a CI run beside a busy test saw neither report in 10 s, after a 2-trial probe
    # had taken 3 s). A budget that ended before both reported proves nothing about cut trials: the
    # sweep runs again with twice the budget, up to 40 s, under a trial's 60 s.
    space = parse_spec(SPACE.replace("epochs: [9]", "epochs: [240]\n  epoch_s: [0.25]"), Path("analytic.yaml"))
    for budget in (10, 20, 40):
        settings = RunSettings(space="analytic.yaml", job=ANALYTIC.source, searcher="grid", refit=False,
                               workers=2, time_budget_s=float(budget), out=str(tmp_path))
        run_dir = rundir.new_run_dir(tmp_path, f"timed-{budget}")
        assert run_sweep(settings, space, ANALYTIC, DATA, run_dir, trainable=analytic_trainable) == 0
        if len(read_trials(run_dir / rundir.TRIALS)) >= 2:
            break
    rows = read_trials(run_dir / rundir.TRIALS)
    summary = json.loads((run_dir / rundir.SUMMARY).read_text())
    assert summary["finished"] and len(rows) == 2, [(r["status"], r["epochs"]) for r in rows]
    assert all(r["status"] == "stopped" and 1 <= int(r["epochs"]) < 240 for r in rows)
    assert all(float(r["elapsed_s"]) < budget + 1.0 for r in rows)  # Ray notices within a step
    assert summary["epochs_total"] == sum(int(r["epochs"]) for r in rows) * 3
    printed = capfd.readouterr().out
    assert f"36 trials x 3 folds, for at most {timedelta(seconds=budget)}" in printed
    assert f"the time budget of {budget} s ran out" in printed
    assert "trials 2/36 done 2 running 0 pending 34 failed 0" in printed  # the last line counts the cut trials


@pytest.mark.parametrize("searcher,scheduler", [("grid", "none"), ("random", "none"), ("optuna", "asha")])
def test_a_budget_ends_every_searcher_at_exactly_that_compute(searcher, scheduler, shared_ray, tmp_path):
    """The budget (epochs x folds) is what searchers compare at; trials cut by it are `stopped`."""
    budget = 300  # less than the grid's 36 x 9 x 3 = 972
    code, rows, summary, _ = sweep(tmp_path, searcher, workers=2, scheduler=scheduler, budget=budget)
    assert code == 0 and summary["finished"] and summary["budget"] == budget
    assert summary["epochs_total"] == sum(int(r["epochs"]) for r in rows) * 3
    # All the budget, unless every one of the 36 configurations was tried first (ASHA's short trials)
    assert summary["epochs_total"] == budget or (summary["epochs_total"] < budget and len(rows) == 36)
    assert all(r["status"] in ("ok", "stopped") for r in rows)
    assert any(r["status"] == "stopped" for r in rows)  # 300 is not a whole number of 27-epoch trials
    assert all(float(r["elapsed_s"]) >= 0 for r in rows)
    assert [float(r["elapsed_s"]) for r in rows] == sorted(float(r["elapsed_s"]) for r in rows)


def test_a_shared_storage_holds_tunes_experiment_and_the_run_directory_the_tables(shared_ray, tmp_path):
    """--storage: what a cluster of several nodes needs; the run directory keeps the tables."""
    shared = tmp_path / "shared"
    code, rows, summary, run_dir = sweep(tmp_path, "random", workers=2, num_samples=4, storage=str(shared))
    assert code == 0 and len(rows) == 4
    assert any((shared / run_dir.name).glob("experiment_state-*.json"))
    assert not (run_dir / rundir.TUNE_DIR).exists()


SMALL = parse_spec("name: small\ngrid:\n  activation: [relu, swish]\n  lr: [0.001, 0.01]\n  epochs: [3]\n",
                   Path("small.yaml"))


@pytest.mark.parametrize("scheduler", ["none", "asha"])
@pytest.mark.parametrize("searcher", ["random", "optuna"])
def test_no_configuration_is_trained_twice_and_a_finite_space_ends_early(searcher, scheduler, shared_ray, tmp_path):
    """10 trials asked of a 4-configuration space: each configuration trained once, then the sweep ends."""
    settings = RunSettings(space="small.yaml", job=ANALYTIC.source, searcher=searcher, scheduler=scheduler,
                           num_samples=10, workers=2, refit=False, out=str(tmp_path))
    run_dir = rundir.new_run_dir(tmp_path, searcher)
    assert run_sweep(settings, SMALL, ANALYTIC, DATA, run_dir, trainable=analytic_trainable) == 0
    rows = read_trials(run_dir / rundir.TRIALS)
    trained = [(r["activation"], r["lr"]) for r in rows]
    assert len(trained) == len(set(trained)) == 4
    summary = json.loads((run_dir / rundir.SUMMARY).read_text())
    assert summary["finished"] and summary["n_trials"] == 4 and summary["n_planned"] == 10
    assert summary["n_answered_from_records"] == rundir.count_lines(run_dir / rundir.ANSWERS)


class Stubborn:
    """A sampler that always suggests the same configuration (what TPE does near convergence)."""

    def __init__(self):
        self.told, self.queue = [], []

    def suggest(self, trial_id):
        return self.queue.pop(0) if self.queue else {"activation": "relu", "lr": 0.001}

    def enqueue(self, config):
        self.queue.append(config)

    def on_trial_complete(self, trial_id, result=None, error=False):
        self.told.append((trial_id, result, error))

    def on_trial_result(self, trial_id, result):
        pass


def test_a_repeat_is_answered_from_the_records_then_an_untried_configuration_takes_its_place(tmp_path):
    from tune_jobs.searchers.no_repeats import RETRIES, NoRepeats

    inner = Stubborn()
    searcher = NoRepeats(inner, SMALL, "cv_accuracy", "max", tmp_path, seed=0)
    first = searcher.suggest("t1")
    assert first == {"activation": "relu", "lr": 0.001}
    searcher.on_trial_complete("t1", {"cv_accuracy": 0.7, "epoch": 3})
    second = searcher.suggest("t2")
    assert second != first and second in [{k: c[k] for k in ("activation", "lr")} for c in SMALL.configurations()]
    answered = [t for t in inner.told if t[0].startswith("t2")]
    assert len(answered) == RETRIES and all(r == {"cv_accuracy": 0.7, "epoch": 3} for _, r, _ in answered)
    assert rundir.count_lines(tmp_path / rundir.ANSWERS) == RETRIES
    searcher.on_trial_complete("t2", {"cv_accuracy": 0.8, "epoch": 3})
    for trial in ("t3", "t4"):
        assert searcher.suggest(trial) not in (None, "FINISHED")
        searcher.on_trial_complete(trial, {"cv_accuracy": 0.5, "epoch": 3})
    assert searcher.suggest("t5") == "FINISHED"  # every configuration tried
