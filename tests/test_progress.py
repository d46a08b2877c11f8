import io
import itertools
import pickle
from types import SimpleNamespace

from tune_jobs.jobs.objective import SEED_OBJECTIVE, Objective
from tune_jobs.engine import progress
from tune_jobs.engine.callbacks import ProgressView
from tune_jobs.engine.progress import Counts, clock, eta_s, format_line

IDS = itertools.count()


def test_line_and_eta():
    counts = Counts(total=10, done=3, running=2, failed=1, best=0.8912)
    assert counts.pending == 4
    assert format_line(counts, 125, 250) == (
        "trials 4/10 done 3 running 2 pending 4 failed 1 | best cv_accuracy 0.8912 | elapsed 0:02:05 eta 0:04:10"
    )
    assert eta_s(100, 4, 6) == 150 and eta_s(100, 0, 6) is None and eta_s(100, 0, 0) == 0
    assert clock(None) == "?" and clock(3725) == "1:02:05"


def t(status, acc=None, trial_id=None):
    return SimpleNamespace(status=status, config={}, last_result={"cv_accuracy": acc} if acc else {},
                           trial_id=trial_id or str(next(IDS)))


def test_view_prints_a_line_per_finished_trial_when_not_a_terminal(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    view = ProgressView(3, SEED_OBJECTIVE)
    a, b, c = t("RUNNING", trial_id="a"), t("PENDING", trial_id="b"), t("PENDING", trial_id="c")
    trials = [a, b, c]
    view.on_step_end(0, trials)
    b.status = "RUNNING"
    view.on_trial_start(1, trials, b)
    view.on_step_end(1, trials)  # nothing finished: no line
    a.last_result = {"cv_accuracy": 0.7}
    view.on_trial_complete(2, trials, a)  # Ray's event, before the step ends (the status follows)
    a.status = "TERMINATED"
    view.on_step_end(2, trials)  # held: a's successor has not started yet
    c.status = "RUNNING"
    view.on_trial_start(3, trials, c)
    view.on_step_end(3, trials)
    b.last_result = {"cv_accuracy": 0.9}
    view.on_trial_complete(3, trials, b)
    view.on_trial_error(3, trials, c)
    view.on_trial_complete(3, trials, a)  # an event twice counts once
    b.status, c.status = "TERMINATED", "ERROR"
    view.on_step_end(3, trials)
    view.on_experiment_end(trials)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("trials 1/3 done 1 running 2 pending 0 failed 0 | best cv_accuracy 0.7000")
    assert lines[2].startswith("trials 3/3 done 2 running 0 pending 0 failed 1 | best cv_accuracy 0.9000")
    assert lines[2].endswith("eta 0:00:00")


def test_a_logs_line_waits_for_the_ended_trials_successor_or_a_moment(monkeypatch):
    """Written at a trial's end, a log's line said "running 1" all along with 2 workers training
    (2026-12-03's seed-0 run: 152 such lines). It waits for the successor to start; when none
    starts (the last trials, a budget's end), it comes ``SETTLE_S`` later or at the sweep's end."""
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    now = [0.0]
    monkeypatch.setattr("tune_jobs.engine.callbacks.time.monotonic", lambda: now[0])
    view = ProgressView(6, SEED_OBJECTIVE)
    trials = [t("RUNNING", trial_id="r1"), t("RUNNING", trial_id="r2")] + [t("PENDING") for _ in range(4)]
    view.on_step_end(0, trials)
    for trial in trials[:2]:
        view.on_trial_start(0, trials, trial)
    view.on_step_end(0, trials)

    def end(trial, step):
        trial.last_result = {"cv_accuracy": 0.8}
        view.on_trial_complete(step, trials, trial)
        trial.status = "TERMINATED"
        view.on_step_end(step, trials)

    def start(trial, step):
        trial.status = "RUNNING"
        view.on_trial_start(step, trials, trial)
        view.on_step_end(step, trials)

    end(trials[0], 1)
    written = out.getvalue().splitlines()
    start(trials[2], 2)
    assert len(out.getvalue().splitlines()) == len(written) + 1
    assert out.getvalue().splitlines()[-1].startswith("trials 1/6 done 1 running 2 pending 3 failed 0")
    end(trials[1], 3)  # nothing starts after it (say the machine is slow to)
    now[0] = view.SETTLE_S - 0.1
    view.on_step_end(4, trials)
    assert out.getvalue().splitlines()[-1].startswith("trials 1/6")
    now[0] = view.SETTLE_S
    view.on_step_end(5, trials)
    assert out.getvalue().splitlines()[-1].startswith("trials 2/6 done 2 running 1 pending 3 failed 0")
    end(trials[2], 6)  # held at the sweep's end (Ctrl-C): written then
    view.on_experiment_end(trials)
    assert out.getvalue().splitlines()[-1].startswith("trials 3/6 done 3 running 0 pending 3 failed 0")


def test_a_resumed_session_counts_what_had_ended_once_then_by_events(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    view = ProgressView(4, SEED_OBJECTIVE)
    view.on_step_end(0, [t("RUNNING")])  # the interrupted session's count
    view = pickle.loads(pickle.dumps(view))  # Ray restores its callbacks from the saved experiment
    trials = [t("TERMINATED", 0.8), t("ERROR"), t("RUNNING"), t("PENDING")]
    view.on_step_end(0, trials)
    assert out.getvalue().splitlines()[-1].startswith("trials 2/4 done 1 running 1 pending 1 failed 1")
    trials[2].last_result = {"cv_accuracy": 0.85}
    view.on_trial_complete(1, trials, trials[2])
    trials[2].status = "TERMINATED"
    view.on_step_end(1, trials)
    trials[3].status = "RUNNING"
    view.on_trial_start(2, trials, trials[3])
    view.on_step_end(2, trials)
    assert out.getvalue().splitlines()[-1].startswith(
        "trials 3/4 done 2 running 1 pending 0 failed 1 | best cv_accuracy 0.8500")


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
        return SimpleNamespace(status=status, config={}, last_result={"cv_accuracy": acc, "epoch": epoch},
                               trial_id=str(next(IDS)))

    first, second = trial("RUNNING", 0), trial("PENDING", 0)
    view.on_step_end(0, [first, second])
    now[0] = 100.0  # a quarter of the budget in 100 s: 300 s to go
    second.status = "RUNNING"
    view.on_trial_start(1, [first, second], second)
    first.last_result, second.last_result = {"cv_accuracy": 0.8, "epoch": 20}, {"cv_accuracy": 0.8, "epoch": 10}
    view.on_trial_complete(1, [first, second], first)
    first.status = "TERMINATED"
    view.on_step_end(1, [first, second])
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
        return SimpleNamespace(status=status, config={"epochs": 10}, trial_id=str(next(IDS)),
                               last_result={"cv_accuracy": 0.8, "epoch": epoch} if epoch else {})

    trials = [trial("RUNNING", 0), trial("RUNNING", 0)] + [trial("PENDING", 0) for _ in range(8)]
    view.on_step_end(0, trials)
    now[0] = 60.0
    trials[0].last_result, trials[1].last_result = {"cv_accuracy": 0.8, "epoch": 10}, {"epoch": 9}
    view.on_trial_complete(1, trials, trials[0])
    trials[0].status = "TERMINATED"
    view.on_step_end(1, trials)
    assert out.getvalue().splitlines()[-1].endswith("elapsed 0:01:00 eta 0:04:16")


def test_a_minimized_metric_shows_its_lowest_value(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    mse = Objective("mse", "min", 0.05, relative=True)
    view = ProgressView(3, mse)

    def trial(status, value=None):
        return SimpleNamespace(status=status, config={}, last_result={"cv_mse": value} if value else {},
                               trial_id=str(next(IDS)))

    view.on_step_end(0, [trial("TERMINATED", 0.5), trial("TERMINATED", 0.00012), trial("TERMINATED", 2.0)])
    assert "| best cv_mse 0.00012 |" in out.getvalue()


def test_a_step_costs_the_same_whatever_the_number_of_trials_before_it(monkeypatch):
    """The view reads Ray's list of trials once per session; then only events and live trials."""
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", out)
    view = ProgressView(10_001, SEED_OBJECTIVE)

    class Counted(list):
        reads = 0

        def __iter__(self):
            Counted.reads += 1
            return super().__iter__()

    trials = Counted([t("TERMINATED", 0.5) for _ in range(10_000)] + [t("RUNNING")])
    view.on_step_end(0, trials)
    for step in range(1, 50):
        view.on_step_end(step, trials)
    trials[-1].last_result = {"cv_accuracy": 0.8}
    view.on_trial_complete(50, trials, trials[-1])
    trials[-1].status = "TERMINATED"
    view.on_step_end(50, trials)
    assert Counted.reads == 1
    assert out.getvalue().splitlines()[-1].startswith("trials 10001/10001 done 10001")


def test_a_run_saved_before_the_engine_package_was_renamed_still_unpickles():
    import pickle

    from tune_jobs.engine.callbacks import BudgetStopper
    from tune_jobs.engine.runner import accept_old_module_names

    saved = pickle.dumps(BudgetStopper(10, 3, "trials.csv"), protocol=0)
    old = saved.replace(b"tune_jobs.engine.callbacks", b"tune_jobs.sweep.callbacks")
    assert old != saved
    accept_old_module_names()
    assert pickle.loads(old).budget == 10
