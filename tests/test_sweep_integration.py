"""Real Ray, real Keras, a small subset of the real Fashion-MNIST."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tune_jobs import fashion
from tune_jobs.report import build as report
from tune_jobs.engine.local_cluster import end_processes_under
from tune_jobs.records import machine
from tune_jobs.records.rundir import read_csv

pytestmark = pytest.mark.integration


def sweep(argv, out: Path, data_dir: Path) -> tuple[int, Path]:
    code = fashion.main([*argv, "--data-dir", str(data_dir), "--out", str(out)])
    [run_dir] = list(out.iterdir())
    return code, run_dir


def grid_of(spec_text: str) -> set[tuple]:
    from tune_jobs.space.spec import parse_spec

    spec = parse_spec(spec_text, Path("x.yaml"))
    return set(itertools.product(*spec.grid.values()))


def configs_in(rows, params, spec_text: str) -> list[tuple]:
    from tune_jobs.records.results import column_of
    from tune_jobs.space.spec import parse_spec

    spec = parse_spec(spec_text, Path("x.yaml"))
    return [tuple(spec.parse(p, row[column_of(p)]) for p in params) for row in rows]


REDUCED = ("grid:\n  activation: [relu, swish]\n  optimizer: [SGD]\n  lr: [0.01, 1.0e+12]\n  batch_size: [256]\n"
           "  epochs: [2]\n")


def test_a_reduced_grid_on_two_workers_records_its_failing_trials_and_goes_on(real_data_dir, ray_tmpdir, write_space,
                                                                              tmp_path, capfd):
    """Half the grid diverges (SGD at lr 1e12): those trials are recorded with their error, the
    others finish, the best of them is refitted, and the exit code says some failed."""
    space = write_space(REDUCED)
    code, run_dir = sweep(["--space", str(space), "--workers", "2", "--max-train-samples", "3000"],
                          tmp_path / "runs", real_data_dir)
    assert code == 1
    rows = read_csv(run_dir / "trials.csv")
    assert len(rows) == 4
    assert set(configs_in(rows, ["activation", "optimizer", "lr", "batch_size", "epochs"], REDUCED)) == grid_of(REDUCED)
    ok = [row for row in rows if row["lr"] == "0.01"]
    failed = [row for row in rows if row["lr"] == "1000000000000.0"]
    assert len(ok) == len(failed) == 2
    for row in ok:
        assert row["status"] == "ok" and row["epochs"] == "2" and row["node"] and not row["error"]
        assert 0 < float(row["cv_accuracy"]) < 1 and float(row["time_s"]) > 0
    for row in failed:
        assert row["status"] == "failed"
        assert "FloatingPointError: training loss became nan at epoch 1" in row["error"]
        # Ray Tune retried it twice (--max-failures 2); only the first attempt trained.
        [errors] = (run_dir / "tune").glob(f"*{row['trial_id']}*/error.txt")
        attempts = errors.read_text().split("Failure # ")[1:]
        assert len(attempts) == 3 and ["train_folds" in a for a in attempts] == [True, False, False]
        assert all(a.rstrip().endswith("FloatingPointError: training loss became nan at epoch 1") for a in attempts)
    summary = json.loads((run_dir / "summary.json").read_text())
    best = max(ok, key=lambda r: float(r["cv_accuracy"]))
    assert summary["best_score"] == pytest.approx(float(best["cv_accuracy"]))
    assert summary["best_config"]["activation"] == best["activation"]
    assert summary["best_config"]["lr"] == 0.01 and summary["best_config"]["units"] == 128
    assert 0 < summary["test_score"] < 1
    assert summary["n_trials"] == 4 and summary["n_failed"] == 2 and summary["finished"]
    assert summary["epochs_total"] == sum(int(r["epochs"]) for r in rows) * 3
    assert summary["n_train"] == 3000 and summary["n_test"] == 10000
    assert summary["cpus_per_trial"] == pytest.approx((os.cpu_count() or 1) / 2, abs=1e-3)
    assert summary["versions"]["ray"] and summary["versions"]["tensorflow"]
    assert summary["machines"] == [machine.describe()] and summary["machines"][0]["cpu"]
    assert (run_dir / "space.yaml").read_text() == REDUCED
    assert (run_dir / "tune" / "tuner.pkl").is_file()  # what Ray needs to resume
    terminal = capfd.readouterr().out
    assert "trials 4/4 done 2 running 0 pending 0 failed 2" in terminal
    assert "Configuration for experiment" not in terminal  # Ray's tables go to the run directory
    assert "Configuration for experiment" in (run_dir / "driver.log").read_text()


def test_eight_workers_on_this_machine(real_data_dir, ray_tmpdir, write_space, tmp_path):
    """`--workers 8` on 2 cores: each trial a quarter of a CPU (TensorFlow then runs one thread);
    4 configurations, so 4 TensorFlow processes at once, which is what costs here."""
    space = write_space("grid:\n  activation: [relu, swish]\n  lr: [0.001, 0.01]\n"
                        "  batch_size: [256]\n  epochs: [1]\n")
    code, run_dir = sweep(["--space", str(space), "--workers", "8", "--cv", "2", "--max-train-samples", "1200",
                           "--no-refit"], tmp_path / "runs", real_data_dir)
    assert code == 0
    rows = read_csv(run_dir / "trials.csv")
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["cpus_per_trial"] == pytest.approx((os.cpu_count() or 1) / 8, abs=1e-3)
    assert summary["test_score"] is None


def test_a_stopped_then_killed_sweep_resumes_without_repeats(real_data_dir, ray_tmpdir, write_space, tmp_path,
                                                             monkeypatch):
    """SIGTERM to the driver (timeout, Kubernetes, a batch system's end of job); --resume, and that
    driver killed with its Ray (SIGKILL); --resume again, with a relative path: every configuration
    ends once. The finished run directory copied elsewhere still reports. Ctrl-C and SIGHUP (and a
    moved run directory): tests/test_searchers.py (the analytic trainable); the stop button:
    tests/test_api.py."""
    text = "grid:\n  activation: [relu, swish, selu]\n  lr: [0.001, 0.01]\n  batch_size: [256]\n  epochs: [2]\n"
    space = write_space(text)
    out = tmp_path / "runs"
    # Trials of a few seconds: the kill lands while the sweep still has trials to run
    argv = ["--space", str(space), "--workers", "1", "--max-train-samples", "4500", "--no-refit",
            "--data-dir", str(real_data_dir), "--out", str(out)]

    # Ray saves its state as a session starts and as it stops, and not between (a resumed session
    # keeps the first one's period): a kill between Ray's snapshot and the table's write, made certain
    rarely = {"TUNE_GLOBAL_CHECKPOINT_S": "3600"}
    code, leftovers = interrupt(argv, out, at_least=2, ray_tmpdir=ray_tmpdir, sig=signal.SIGTERM, env=rarely)
    [run_dir] = list(out.iterdir())
    stopped = {row["trial_id"]: row for row in read_csv(run_dir / "trials.csv")}
    assert 2 <= len(stopped) < 6 and all(row["status"] == "ok" for row in stopped.values()), len(stopped)
    assert code == 130 and leftovers == 0  # a clean stop, with Ray shut down
    assert not json.loads((run_dir / "summary.json").read_text())["finished"]

    interrupt(["--resume", str(run_dir)], out, at_least=len(stopped) + 1, ray_tmpdir=ray_tmpdir, sig=signal.SIGKILL)
    killed = {row["trial_id"]: row for row in read_csv(run_dir / "trials.csv")}
    assert len(stopped) < len(killed) < 6, (len(stopped), len(killed))
    assert all(row["status"] == "ok" for row in killed.values())
    assert all(killed[trial_id] == row for trial_id, row in stopped.items())

    monkeypatch.chdir(tmp_path)  # as the README writes it: a path relative to where the user stands
    code = fashion.main(["--resume", str(run_dir.relative_to(tmp_path))])
    assert code == 0
    after = read_csv(run_dir / "trials.csv")
    assert len(after) == 6 and len({r["trial_id"] for r in after}) == 6
    assert set(configs_in(after, ["activation", "lr", "batch_size", "epochs"], text)) == grid_of(text)
    assert all(row["status"] == "ok" and row["epochs"] == "2" for row in after)
    for row in after:
        if row["trial_id"] in killed:
            assert row == killed[row["trial_id"]]  # kept, not trained again
            [trial_dir] = (run_dir / "tune").glob(f"*{row['trial_id']}*")
            # No scheduler reads its epochs: one report, after the last epoch; once, not again
            [result] = [json.loads(line) for line in (trial_dir / "result.json").read_text().splitlines()]
            # Those of the killed session: reported from their rows, untrained
            assert result.get("from_records", False) == (row["trial_id"] not in stopped), (row, result)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["finished"] and summary["n_trials"] == 6
    assert summary["machines"] == [machine.describe()]  # three sessions on this machine: recorded once
    # A finished run directory copied elsewhere (rsync-down), the original gone, still reports
    copy = tmp_path / "elsewhere" / run_dir.name
    shutil.copytree(run_dir, copy)
    shutil.rmtree(run_dir)
    assert report.main([str(copy.relative_to(tmp_path)), "--out", "report"]) == 0
    assert "trials" in (tmp_path / "report" / "report.html").read_text()


def interrupt(argv: list[str], out: Path, at_least: int, ray_tmpdir: Path, sig: signal.Signals,
              env: dict[str, str] | None = None) -> tuple[int, int]:
    """Run the CLI as its own process (``env`` added to its environment) until `at_least` trials
    have ended, then send `sig`: SIGTERM to the driver, SIGKILL to the driver and its Ray.
    (exit code, Ray processes left over)."""
    driver = subprocess.Popen([sys.executable, "-m", "tune_jobs.fashion", *argv], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    try:
        wait_for_rows(out, at_least=at_least, timeout=240)
        if sig == signal.SIGTERM:
            os.kill(driver.pid, sig)
        else:
            os.killpg(driver.pid, sig)
        code = driver.wait(timeout=120)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
        leftovers = end_processes_under(ray_tmpdir)
    return code, leftovers


def test_asha_time_on_real_keras_reads_every_epoch_and_its_seconds(real_data_dir, ray_tmpdir, write_space, tmp_path):
    """asha-time on real training: every trial reports after each epoch (a rung of seconds may fall
    after any), with its seconds of training growing; where ASHA stopped a trial, it had trained
    past a rung (1 s here) and fewer than all its epochs."""
    space = write_space("name: tiny\ngrid:\n  batch_size: [32, 512]\n  lr: [0.001, 0.01]\n  epochs: [3]\n"
                        "scheduler:\n  grace_period_s: 1\n")
    code, run_dir = sweep(["--space", str(space), "--workers", "2", "--max-train-samples", "1500",
                           "--searcher", "grid", "--scheduler", "asha-time", "--no-refit"],
                          tmp_path / "runs", real_data_dir)
    assert code == 0
    rows = {r["trial_id"]: r for r in read_csv(run_dir / "trials.csv")}
    assert len(rows) == 4
    for path in (run_dir / "tune").glob("*/result.json"):
        results = [json.loads(line) for line in path.read_text().splitlines()]
        row = rows[results[-1]["trial_id"]]
        assert [r["epoch"] for r in results] == list(range(1, int(row["epochs"]) + 1))
        seconds = [r["train_time_s"] for r in results]
        assert seconds == sorted(seconds) and seconds[0] > 0
        assert (row["status"] == "stopped") == (int(row["epochs"]) < 3)
        if row["status"] == "stopped":
            assert seconds[-1] >= 1
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["scheduler"] == "asha-time" and summary["n_stopped"] == sum(
        r["status"] == "stopped" for r in rows.values())


def wait_for_rows(out: Path, at_least: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tables = list(out.glob("*/trials.csv"))
        if tables and len(rows := read_csv(tables[0])) >= at_least:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"no {at_least} finished trials within {timeout} s")


def test_optuna_with_asha_on_real_keras(real_data_dir, ray_tmpdir, write_space, tmp_path):
    space = write_space("name: tiny\ngrid:\n  activation: [relu, swish]\n  lr: [0.001, 0.01]\n  batch_size: [256]\n"
                        "  epochs: [4]\nscheduler:\n  grace_period: 1\n  reduction_factor: 3\n")  # rungs: 1, 3
    # One trial at a time with both CPUs (two TensorFlow threads), its folds taking turns
    code, run_dir = sweep(["--space", str(space), "--workers", "1", "--max-train-samples", "1500",
                           "--searcher", "optuna", "--scheduler", "asha", "--num-samples", "6", "--no-refit"],
                          tmp_path / "runs", real_data_dir)
    assert code == 0
    rows = read_csv(run_dir / "trials.csv")
    assert len(rows) == 4  # 6 asked of a 4-configuration space: each once, then the sweep ends
    assert len({(r["activation"], r["lr"]) for r in rows}) == 4
    for row in rows:
        assert row["status"] in ("ok", "stopped") and 0 < float(row["cv_accuracy"]) < 1
        assert (row["status"] == "stopped") == (int(row["epochs"]) < 4)
        assert len(row["fold_fit_s"].split()) == 3 and all(float(s) > 0 for s in row["fold_fit_s"].split())  # per fold
    # Validated and reported only where ASHA reads a score: its rungs, and the last epoch
    reported = [[json.loads(line)["epoch"] for line in path.read_text().splitlines()]
                for path in (run_dir / "tune").glob("*/result.json")]
    assert len(reported) == 4 and all(epochs in ([1], [1, 3], [1, 3, 4]) for epochs in reported), reported
    assert [1, 3, 4] in reported  # the best ran its every epoch
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["searcher"] == "optuna" and summary["scheduler"] == "asha"
    assert summary["epochs_total"] == sum(int(r["epochs"]) for r in rows) * 3
    assert summary["n_stopped"] == sum(r["status"] == "stopped" for r in rows)

    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    journal = JournalStorage(JournalFileBackend(str(run_dir / "optuna.journal")))
    study = optuna.load_study(study_name="tiny", storage=journal)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 4 + summary["n_answered_from_records"]  # trained, or answered from the records
