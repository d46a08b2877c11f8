"""The budgets' arithmetic and their stoppers, on fake results (no Ray run); the time budget
of real sweeps: tests/test_searchers.py."""

import json
import pickle
import time
from datetime import timedelta

import pytest

from tune_jobs import cli
from tune_jobs.engine import budget
from tune_jobs.engine.budget import trials_within
from tune_jobs.engine.callbacks import BudgetStopper, TimeBudgetStopper
from tune_jobs.records import rundir
from tune_jobs.records.results import FROM_RECORDS, used_by
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import SpecError


def test_compute_of_rows_and_trials_a_budget_pays_for():
    assert used_by([{"epochs": "5"}, {"epochs": "2"}, {"epochs": ""}], cv=3) == 21
    assert trials_within(budget=300, cv=3, min_epochs=9) == 12  # 11.1 -> 12: the stopper cuts the last
    assert trials_within(budget=1, cv=3, min_epochs=9) == 1


def test_stopper_counts_epochs_not_calls_and_what_a_resumed_run_had(tmp_path):
    path = tmp_path / "trials.csv"
    rundir.write_csv(path, [{"trial_id": "a", "epochs": 4}], ["trial_id", "epochs"])  # 12 before resuming
    stopper = BudgetStopper(budget=30, cv=3, trials_path=path)
    assert not stopper.stop_all()  # nothing reported yet in this session
    stopper("a", {"epoch": 4, FROM_RECORDS: True})  # "a" again, from its row (a killed driver): counted
    for epoch in (1, 2, 3):
        assert stopper("b", {"epoch": epoch}) is False
    stopper("b", {"epoch": 3, "done": True})  # Ray repeats a function trainable's last result
    assert not stopper.stop_all()  # 12 + 9
    stopper("c", {"epoch": 1})
    stopper("c", {"epoch": 2})
    assert not stopper.stop_all()  # 12 + 9 + 6 = 27
    stopper("c", {"epoch": 3})
    assert stopper.stop_all()  # 30


def test_a_resumed_stopper_counts_the_table_and_not_the_epochs_of_trials_it_interrupted(tmp_path):
    """Ray restores the stopper it pickled with the experiment: epochs that a trial interrupted
    mid-way had trained are gone with it, and only the table's trials and this session's count."""
    path = tmp_path / "trials.csv"
    rundir.write_csv(path, [{"trial_id": "a", "epochs": 4}], ["trial_id", "epochs"])
    stopper = BudgetStopper(budget=30, cv=3, trials_path=path)
    stopper("a", {"epoch": 4})
    stopper("b", {"epoch": 6})  # running when the sweep was interrupted: 12 + 18 = 30, spent
    assert stopper.stop_all()
    budget.forget_clock(path)  # as the runner does after each session
    resumed = pickle.loads(pickle.dumps(stopper))  # as Ray restores it on --resume
    assert not resumed.stop_all()  # nothing reported yet in this session
    resumed("b", {"epoch": 2})  # "b" again, from nothing; ASHA stops it at its first rung
    assert not resumed.stop_all() and not budget.spent(path)  # the table's 12 + 6
    resumed("c", {"epoch": 4})
    assert resumed.stop_all()  # 12 + 6 + 12 = 30
    assert budget.spent(path)  # what the recorder and the progress line read: the trials it cut end there
    budget.forget_clock(path)


@pytest.mark.parametrize("text, seconds", [("900", 900), ("2.5", 2.5), ("90s", 90), ("15m", 900), ("1h30m", 5400),
                                           ("1.5h", 5400), ("1h0m30s", 3630)])
def test_a_time_budget_is_seconds_or_hours_minutes_and_seconds(text, seconds):
    assert cli.duration_s(text) == seconds


@pytest.mark.parametrize("value", [0, -1, True, "900", float("inf")])
def test_the_api_refuses_a_time_budget_that_is_not_a_positive_number_of_seconds(value):
    with pytest.raises(SpecError, match=f"--time-budget: {value!r} must be a positive number of seconds"):
        RunSettings(space="s.yaml", time_budget_s=value)


def test_a_notebooks_timedelta_is_the_same_budget_in_seconds_and_run_json_keeps_seconds():
    settings = RunSettings(space="s.yaml", time_budget_s=timedelta(minutes=1, seconds=30))
    assert settings.time_budget_s == 90.0 and json.loads(json.dumps(settings.to_json()))["time_budget_s"] == 90.0
    with pytest.raises(SpecError, match="--time-budget: -60.0 must be a positive number of seconds"):
        RunSettings(space="s.yaml", time_budget_s=timedelta(minutes=-1))


def test_the_time_stopper_counts_what_a_resumed_run_used_and_not_the_time_it_sat_stopped(tmp_path):
    path = tmp_path / "trials.csv"
    rundir.write_csv(path, [{"trial_id": "a", "elapsed_s": 7.0}, {"trial_id": "b", "elapsed_s": 9.6}],
                     ["trial_id", "elapsed_s"])  # the run had used 9.6 s of a 10 s budget
    budget.forget_clock(path)
    stopper = pickle.loads(pickle.dumps(TimeBudgetStopper(10.0, path)))  # as Ray restores it
    try:
        assert not stopper.stop_all() and not budget.ran_out_of_time(path)
        assert 0.3 < budget.time_left(path) <= 0.4
        time.sleep(0.45)
        assert stopper.stop_all() and budget.ran_out_of_time(path)
        assert stopper("t", {"epoch": 1}) is False  # it ends the sweep, never a single trial
    finally:
        budget.forget_clock(path)
    assert budget.time_left(path) is None and not budget.ran_out_of_time(path)


def test_trials_are_validated_only_after_the_epochs_something_reads():
    from pathlib import Path

    from tune_jobs.engine.fold_training import EVERY_EPOCH, LAST_EPOCH, Reports
    from tune_jobs.engine.runner import num_samples, trial_reports
    from tune_jobs.jobs import get_job
    from tune_jobs.space.spec import load_spec

    path = Path(__file__).resolve().parent.parent / "search_spaces" / "fashion_grid.yaml"
    spec = load_spec(str(path), get_job("fashion-mlp").hyperparameters).with_epochs(4)  # 144 configurations

    def reads(**changes) -> Reports:
        settings = RunSettings(**{"space": str(path), "searcher": "random", "budget": 432, **changes})
        return trial_reports(settings, spec, num_samples(settings, spec) or spec.n_configs)

    # A quarter of the grid's compute pays for 36 whole trials of 4 epochs x 3 folds: none is cut.
    assert num_samples(RunSettings(space=str(path), searcher="random", budget=432), spec) == 36
    assert reads() == reads(searcher="optuna") == reads(searcher="grid", budget=None) == LAST_EPOCH
    assert reads(searcher="grid", budget=144 * 12) == LAST_EPOCH
    assert reads(searcher="grid", budget=144 * 12 - 1) == EVERY_EPOCH  # the grid's last trial would be cut
    assert reads(budget=430) == EVERY_EPOCH  # 36 trials pay for 432: the last is cut
    assert reads(num_samples=40) == EVERY_EPOCH  # more trials than the budget pays for
    assert reads(time_budget_s=60.0) == reads(mlflow="http://127.0.0.1:5000") == EVERY_EPOCH
    # ASHA reads a score at its rungs (grace period 1, reduction factor 3: 1 and 3 of 4 epochs), budget or not
    assert reads(scheduler="asha") == reads(scheduler="asha", budget=None) == Reports(rungs=(1, 3, 4))
    assert reads(scheduler="asha", mlflow="http://127.0.0.1:5000") == EVERY_EPOCH  # MLflow's curves
    settings = RunSettings(space=str(path), searcher="random", budget=432)
    assert trial_reports(settings, spec, 36, resume=True) == EVERY_EPOCH  # the interruption may have cut a trial
