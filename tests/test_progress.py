import io
from types import SimpleNamespace

from tune_jobs.jobs.objective import SEED_OBJECTIVE, Objective
from tune_jobs.engine import progress
from tune_jobs.engine.callbacks import ProgressView
from tune_jobs.engine.progress import Counts, clock, eta_s, format_line


def test_line_and_eta():
    counts = Counts(total=10, done=3, running=2, failed=1, best=0.8912)
    assert counts.pending == 4
    assert format_line(counts, 125, 250) == (
        "trials 4/10 done 3 running 2 pending 4 failed 1 | best cv_accuracy 0.8912 | elapsed 0:02:05 eta 0:04:10"
    )
    assert eta_s(100, 4, 6) == 150 and eta_s(100, 0, 6) is None and eta_s(100, 0, 0) == 0
    assert clock(None) == "?" and clock(3725) == "1:02:05"


def t(status, acc=None):
    return SimpleNamespace(status=status, config={}, last_result={"cv_accuracy": acc} if acc else {})


def test_view_prints_a_line_per_finished_trial_when_not_a_terminal(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    view = ProgressView(3, SEED_OBJECTIVE)
    view.on_step_end(0, [t("RUNNING"), t("PENDING"), t("PENDING")])
    view.on_step_end(1, [t("RUNNING"), t("RUNNING"), t("PENDING")])  # nothing finished: no line
    view.on_trial_complete(2, [], None)  # Ray's event, before the step ends
    view.on_step_end(2, [t("TERMINATED", 0.7), t("RUNNING"), t("PENDING")])
    view.on_trial_complete(3, [], None)
    view.on_trial_error(3, [], None)
    view.on_step_end(3, [t("TERMINATED", 0.7), t("TERMINATED", 0.9), t("ERROR")])
    view.on_experiment_end([t("TERMINATED", 0.7), t("TERMINATED", 0.9), t("ERROR")])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("trials 1/3 done 1 running 1 pending 1 failed 0 | best cv_accuracy 0.7000")
    assert lines[2].startswith("trials 3/3 done 2 running 0 pending 0 failed 1 | best cv_accuracy 0.9000")
    assert lines[2].endswith("eta 0:00:00")


def test_a_budgeted_sweep_shows_compute_spent_and_its_eta_follows_compute(monkeypatch):
    counts = Counts(total=50, done=4, running=2, failed=1, best=0.85, used=90, budget=360)
    assert format_line(counts, 60, 180).startswith(
        "trials 5 done 4 running 2 failed 1 | compute 90/360 epochs x folds (25%) | best cv_accuracy 0.8500")
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    now = [0.0]
    monkeypatch.setattr("tune_jobs.engine.callbacks.time.monotonic", lambda: now[0])
    view = ProgressView(50, SEED_OBJECTIVE, budget=360, cv=3)

    def trial(status, epoch, acc=0.8):
        return SimpleNamespace(status=status, config={}, last_result={"cv_accuracy": acc, "epoch": epoch})

    view.on_step_end(0, [trial("RUNNING", 0)])
    now[0] = 100.0  # a quarter of the budget in 100 s: 300 s to go
    view.on_trial_complete(1, [], None)
    view.on_step_end(1, [trial("TERMINATED", 20), trial("RUNNING", 10)])
    assert out.getvalue().splitlines()[-1].endswith("elapsed 0:01:40 eta 0:05:00")


def test_eta_counts_running_trials_by_their_epochs(monkeypatch):
    """Two workers, 10 trials of 10 epochs, each trial 60 s: when the first ends, the second is
    at epoch 9, so 1.9 trials' work is done in 60 s and 8.1 remain: about 256 s, not 540 s."""
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    now = [0.0]
    monkeypatch.setattr("tune_jobs.engine.callbacks.time.monotonic", lambda: now[0])
    view = ProgressView(10, SEED_OBJECTIVE)

    def trial(status, epoch):
        return SimpleNamespace(status=status, config={"epochs": 10},
                               last_result={"cv_accuracy": 0.8, "epoch": epoch} if epoch else {})

    view.on_step_end(0, [trial("RUNNING", 0), trial("RUNNING", 0)] + [trial("PENDING", 0)] * 8)
    now[0] = 60.0
    view.on_trial_complete(1, [], None)
    view.on_step_end(1, [trial("TERMINATED", 10), trial("RUNNING", 9)] + [trial("PENDING", 0)] * 8)
    assert out.getvalue().splitlines()[-1].endswith("elapsed 0:01:00 eta 0:04:16")


def test_a_minimized_metric_shows_its_lowest_value(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    mse = Objective("mse", "min", 0.05, relative=True)
    view = ProgressView(3, mse)

    def trial(status, value=None):
        return SimpleNamespace(status=status, config={}, last_result={"cv_mse": value} if value else {})

    view.on_step_end(0, [trial("TERMINATED", 0.5), trial("TERMINATED", 0.00012), trial("TERMINATED", 2.0)])
    assert "| best cv_mse 0.00012 |" in out.getvalue()


def test_without_an_ended_trial_the_view_does_not_count_again(monkeypatch):
    """Counting is linear in the trials: between a sweep's events a step costs nothing."""
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    view = ProgressView(2, SEED_OBJECTIVE)
    counted = []
    real = view._count
    monkeypatch.setattr(view, "_count", lambda trials: counted.append(1) or real(trials))
    for step in range(50):
        view.on_step_end(step, [t("RUNNING"), t("PENDING")])
    assert len(counted) == 1
    view.on_trial_complete(50, [], None)
    view.on_step_end(50, [t("TERMINATED", 0.8), t("RUNNING")])
    assert len(counted) == 2 and out.getvalue().splitlines()[-1].startswith("trials 1/2 done 1")


def test_a_run_saved_before_the_engine_package_was_renamed_still_unpickles():
    import pickle

    from tune_jobs.engine.callbacks import BudgetStopper
    from tune_jobs.engine.runner import accept_old_module_names

    saved = pickle.dumps(BudgetStopper(10, 3, "trials.csv"), protocol=0)
    old = saved.replace(b"tune_jobs.engine.callbacks", b"tune_jobs.sweep.callbacks")
    assert old != saved
    accept_old_module_names()
    assert pickle.loads(old).budget == 10
