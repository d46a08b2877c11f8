"""The compute budget's arithmetic and its stopper, on fake results (no Ray run)."""

import pickle

from tune_jobs.records import rundir
from tune_jobs.engine.budget import trials_within, used_by
from tune_jobs.engine.callbacks import BudgetStopper


def test_compute_of_rows_and_trials_a_budget_pays_for():
    assert used_by([{"epochs": "5"}, {"epochs": "2"}, {"epochs": ""}], cv=3) == 21
    assert trials_within(budget=300, cv=3, min_epochs=9) == 12  # 11.1 -> 12: the stopper cuts the last
    assert trials_within(budget=1, cv=3, min_epochs=9) == 1


def test_stopper_counts_epochs_not_calls_and_what_a_resumed_run_had(tmp_path):
    path = tmp_path / "trials.csv"
    rundir.write_csv(path, [{"trial_id": "a", "epochs": 4}], ["trial_id", "epochs"])  # 12 before resuming
    stopper = BudgetStopper(budget=30, cv=3, trials_path=path)
    assert not stopper.stop_all()  # nothing reported yet in this session
    for epoch in (1, 2, 3):
        assert stopper("b", {"epoch": epoch}) is False
    stopper("b", {"epoch": 3, "done": True})  # Ray repeats a function trainable's last result
    assert not stopper.stop_all()  # 12 + 9
    stopper("c", {"epoch": 1})
    stopper("c", {"epoch": 2})
    assert not stopper.stop_all()  # 12 + 9 + 6 = 27
    stopper("c", {"epoch": 3})
    assert stopper.stop_all()  # 30
    assert pickle.loads(pickle.dumps(stopper)).stop_all()
