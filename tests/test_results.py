from pathlib import Path
from types import SimpleNamespace

import pytest

from tune_jobs.engine.callbacks import TrialsRecorder
from tune_jobs.records.results import (
    FROM_RECORDS,
    Recorded,
    best_row,
    config_of,
    read_trials,
    summarize,
    trial_row,
    write_rows,
)

from tune_jobs.jobs.fashion_mlp import HYPERPARAMETERS
from tune_jobs.jobs.objective import SEED_OBJECTIVE as ACC, Objective
from tune_jobs.space.spec import parse_spec

SPEC = parse_spec("grid:\n  activation: [relu, swish]\n  lr: [0.01, 0.002]\n  epochs: [3]\n", Path("s.yaml"),
                  HYPERPARAMETERS)


def trial(trial_id, status="TERMINATED", epochs_trained=3, acc=0.8, error_file=None, **config):
    config = {"activation": "relu", "lr": 0.01, "epochs": 3, "units": 128, **config}
    result = {"cv_accuracy": acc, "cv_accuracy_std": 0.01, "epoch": epochs_trained,
              "time_total_s": 12.345, "node": "host:abc"} if epochs_trained else {}
    return SimpleNamespace(trial_id=trial_id, status=status, config=config, last_result=result,
                           error_file=error_file)


def test_rows_of_ok_stopped_and_failed_trials(tmp_path):
    error_file = tmp_path / "error.txt"
    error_file.write_text("Traceback (most recent call last):\n  File x\nFloatingPointError: loss became nan\n\n")
    assert trial_row(trial("t0"), SPEC, ACC, failed=False) == {
        "trial_id": "t0", "status": "ok", "activation": "relu", "lr": 0.01, "max_epochs": 3,
        "cv_accuracy": 0.8, "cv_accuracy_std": 0.01, "epochs": 3, "time_s": 12.35, "elapsed_s": None,
        "node": "host:abc", "error": "",
    }
    assert trial_row(trial("t1", epochs_trained=1), SPEC, ACC, failed=False)["status"] == "stopped"
    failed = trial_row(trial("t2", epochs_trained=0, error_file=str(error_file)), SPEC, ACC, failed=True)
    assert failed["status"] == "failed" and failed["error"] == "FloatingPointError: loss became nan"
    assert "cv_accuracy" not in failed
    assert trial_row(trial("t3", error_file=str(tmp_path / "gone")), SPEC, ACC, failed=True)["error"] == (
        "trial failed (no error file)")


def test_table_round_trip_best_and_summary(tmp_path):
    ended = [(trial("t1", acc=0.70), False, 10.0), (trial("t0", acc=0.85, activation="swish", lr=0.002), False, 20.0),
             (trial("t2", epochs_trained=2, acc=0.99), True, 30.04)]
    path = tmp_path / "trials.csv"
    write_rows(path, [trial_row(t, SPEC, ACC, failed, elapsed) for t, failed, elapsed in ended], SPEC, ACC)
    rows = read_trials(path)
    assert [r["trial_id"] for r in rows] == ["t1", "t0", "t2"]  # Ray's order, the order of creation
    assert list(rows[0]) == ["trial_id", "status", "activation", "lr", "max_epochs", "cv_accuracy",
                             "cv_accuracy_std", "epochs", "time_s", "elapsed_s", "node", "error",
                             "fold_scores", "fold_fit_s", "fold_score_s"]
    assert [r["elapsed_s"] for r in rows] == ["10.0", "20.0", "30.0"]
    best = best_row(rows, ACC)
    assert best["trial_id"] == "t0"  # the failed trial's 0.99 does not count
    assert config_of(best, SPEC) == {**HYPERPARAMETERS.defaults(), "activation": "swish", "lr": 0.002, "epochs": 3}
    summary = summarize(rows, 3, SPEC, ACC)
    assert summary["n_trials"] == 3 and summary["n_failed"] == 1 and summary["n_distinct_configs"] == 2
    assert summary["epochs_total"] == (3 + 3 + 2) * 3
    assert summary["best_score"] == pytest.approx(0.85)
    lowest = Objective("accuracy", "min")  # the same rows, read as an error to minimize
    assert best_row(rows, lowest)["trial_id"] == "t1" and summarize(rows, 3, SPEC, lowest)["best_score"] == 0.7


def test_recorder_writes_ended_trials_only(tmp_path):
    """A resumed run's finished trials, then Ray's events; an interrupted trial is not a result."""
    path = tmp_path / "trials.csv"
    before = trial("t0", acc=0.6)  # finished in an earlier session
    done, broken, interrupted = trial("t1", "RUNNING"), trial("t2", "RUNNING"), trial("t3", "RUNNING")
    trials = [before, done, broken, interrupted, trial("t4", "PENDING")]
    recorder = TrialsRecorder(path, SPEC, ACC)
    recorder.on_step_begin(0, trials)
    recorder.on_trial_complete(1, trials, done)  # Ray calls this while the status is still RUNNING
    broken.status = "ERROR"  # Ray sets it before it calls on_trial_error
    recorder.on_trial_error(2, trials, broken)
    interrupted.status = "TERMINATED"  # what Ray's clean-up after Ctrl-C does in memory
    recorder.on_experiment_end(trials)
    rows = read_trials(path)
    assert [(r["trial_id"], r["status"]) for r in rows] == [("t0", "ok"), ("t1", "ok"), ("t2", "failed")]


def test_recorder_clock_continues_after_a_resume(tmp_path, monkeypatch):
    """elapsed_s counts running time: a resumed session starts where the last ended trial was."""
    import tune_jobs.engine.callbacks as callbacks

    now = [1000.0]
    monkeypatch.setattr(callbacks.time, "monotonic", lambda: now[0])
    path = tmp_path / "trials.csv"
    first, second = trial("t0", "RUNNING"), trial("t1", "RUNNING")
    recorder = TrialsRecorder(path, SPEC, ACC)
    recorder.on_step_begin(0, [first, second])
    now[0] += 30
    recorder.on_trial_complete(1, [first, second], first)
    now[0] += 5000  # interrupted with t1 running, then resumed much later by a new recorder
    first.status = "TERMINATED"
    resumed = TrialsRecorder(path, SPEC, ACC)
    resumed.on_step_begin(0, [first, second])
    now[0] += 12
    resumed.on_trial_complete(1, [first, second], second)
    assert [float(r["elapsed_s"]) for r in read_trials(path)] == [30.0, 42.0]


def test_a_table_ahead_of_ray_s_state_keeps_its_rows_and_serves_their_results(tmp_path):
    """A driver killed after the table's write and before Ray's snapshot: on resume Ray has t1 and
    t2 running again (t2's id given to another configuration); the table has both as ended."""
    path = tmp_path / "trials.csv"
    ended = [trial("t0", acc=0.6), trial("t1", acc=0.7, lr=0.002), trial("t2", acc=0.5), trial("t3", epochs_trained=0)]
    ended[1].last_result.update(folds=[0.69, 0.71], fold_fit_s=[2.0, 2.5], fold_score_s=[0.25, 0.5])
    write_rows(path, [trial_row(t, SPEC, ACC, t.trial_id == "t3", 10.0 * i) for i, t in enumerate(ended)], SPEC, ACC)
    rows = read_trials(path)
    recorded = {row["trial_id"]: Recorded.of(row, SPEC, ACC) for row in rows}
    assert recorded["t3"] is None  # a failed trial: its recorded error is raised again (engine.retries)
    assert recorded["t1"].result == {"cv_accuracy": 0.7, "cv_accuracy_std": 0.01, "epoch": 3, "node": "host:abc",
                                     "folds": [0.69, 0.71], "fold_fit_s": [2.0, 2.5], "fold_score_s": [0.25, 0.5],
                                     "train_time_s": 5.25,  # ASHA over seconds reads it: the folds' seconds
                                     FROM_RECORDS: True}
    t1, t2 = trial("t1", "RUNNING", lr=0.002), trial("t2", "RUNNING", activation="swish")
    assert recorded["t1"].is_of(t1.config) and not recorded["t2"].is_of(t2.config)

    trials = [ended[0], t1, t2]
    recorder = TrialsRecorder(path, SPEC, ACC)
    recorder.on_step_begin(0, trials)
    t1.last_result = {**recorded["t1"].result, "time_total_s": 0.01}  # what the trainable reports for it
    recorder.on_trial_complete(1, trials, t1)
    t2.last_result["cv_accuracy"] = 0.9  # trained: another configuration under the same id
    recorder.on_trial_complete(2, trials, t2)
    recorder.on_experiment_end(trials)
    after = read_trials(path)
    assert after[:2] == rows[:2] and after[3] == rows[3]  # kept as they were, in the table's order
    assert (after[2]["activation"], after[2]["cv_accuracy"]) == ("swish", "0.9")


def test_no_best_when_every_trial_failed():
    assert best_row([{"status": "failed", "cv_accuracy": ""}], ACC) is None
    assert summarize([], 3, SPEC, ACC)["best_score"] is None


def test_a_summary_written_before_jobs_existed_reads_as_the_seeds_job():
    from tune_jobs.records.summary import objective_of, upgrade

    old = upgrade({"best_cv_accuracy": 0.88, "best_cv_accuracy_std": 0.002, "test_accuracy": 0.89, "cv": 3})
    assert old["best_score"] == 0.88 and old["best_score_std"] == 0.002 and old["test_score"] == 0.89
    assert old["job"] == "fashion-mlp" and objective_of(old) == ACC


def test_the_optuna_study_of_a_long_numeric_grid_stays_small_and_loads(tmp_path):
    """Every run is an Optuna study; a grid of 300 learning rates is recorded as the range it spans,
    not 300 levels repeated in every trial's record (5,000 trials made 200 MB that way)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    from tune_jobs.records.optuna_study import write_study

    lrs = [round(0.0001 * (i + 1), 6) for i in range(300)]
    spec = parse_spec(f"name: many\ngrid:\n  lr: {lrs}\n  epochs: [1]\n", Path("many.yaml"))
    rows = [{"trial_id": f"t{i}", "status": "ok", "lr": str(lr), "max_epochs": "1", "epochs": "1",
             "cv_accuracy": str(0.5 + lr), "time_s": "0.1"} for i, lr in enumerate(lrs)]
    path = write_study(tmp_path, spec, ACC, rows)
    assert path.stat().st_size < 300 * 2_000
    study = optuna.load_study(study_name="many", storage=JournalStorage(JournalFileBackend(str(path))))
    assert len(study.trials) == 300 and study.best_params["lr"] == max(lrs)
    assert study.best_value == pytest.approx(0.5 + max(lrs))
