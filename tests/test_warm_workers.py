"""Trials in task processes that outlive a sweep (``tune_jobs.engine.warm_workers``), on a Ray
that tune-jobs started: a stopped trial's task ends where Tune stopped it and its process trains
the next trial, the next sweep's too; a trial's error reaches Tune as itself; a second sweep of
real Keras trials starts no new TensorFlow process and scores exactly as the first, also after a
budget ended the first mid-epoch."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tune_jobs import cli
from tune_jobs.engine import warm_workers
from tune_jobs.records.rundir import read_csv
from tune_jobs.testing import StandInTrial, counting_train, failing_train

pytestmark = pytest.mark.integration


def test_a_stopped_trial_ends_where_tune_stopped_it_and_its_process_trains_the_next(shared_ray, tmp_path):
    import ray

    assert warm_workers.in_session()
    folders = [tmp_path / name for name in ("stopped", "next", "next-sweep")]
    for folder in folders:
        folder.mkdir()
    trial = ray.remote(num_cpus=1)(StandInTrial).remote()
    stopped = ray.get(trial.run.remote(counting_train, str(folders[0]), 5, stop_after=2))
    assert [r["epoch"] for r in stopped] == [1, 2]
    # The next trial at once, as Tune starts it on the actor it reuses: the stopped trial returned
    # only once its task had ended, so the task's process is free to train it (not a new process)
    following = ray.get(trial.run.remote(counting_train, str(folders[1]), 2))
    assert [r["epoch"] for r in following] == [1, 2]
    time.sleep(2)  # two more epochs' time
    files = sorted(p.name for p in folders[0].iterdir())
    # It waited for Tune's answer after each epoch; the third began (if at all) only as Ray's cancel
    # came, and was cut short.
    assert files in (["began-1", "began-2", "ended-1", "ended-2"],
                     ["began-1", "began-2", "began-3", "ended-1", "ended-2"]), files
    ray.kill(trial)  # Tune ends its trial actors with every fit: the next sweep's trial is another actor
    next_sweep = ray.get(ray.remote(num_cpus=1)(StandInTrial).remote().run.remote(counting_train, str(folders[2]), 1))
    assert {r["pid"] for r in stopped + following + next_sweep} == {stopped[0]["pid"]}  # one process, kept
    assert stopped[0]["pid"] != os.getpid()


def test_a_trials_error_reaches_tune_as_itself_and_an_ended_task_is_never_cancelled(shared_ray, monkeypatch,
                                                                                    tmp_path):
    """A task that ended on its own (its error, or its training's end) is waited for, not cancelled:
    in Ray 2.60 a cancel crossing its last reply fails a check in the core worker of the process
    that owns the task (the trial's actor), which dies with it."""
    import ray

    cancels = []
    real_cancel = ray.cancel
    monkeypatch.setattr(ray, "cancel", lambda *args, **kwargs: cancels.append(args) or real_cancel(*args, **kwargs))
    with pytest.raises(FloatingPointError, match="training loss became nan at epoch 1"):
        warm_workers.run(failing_train, threads=1, report=print)
    reports = []
    warm_workers.run(counting_train, str(tmp_path), 2, threads=1, report=reports.append)
    assert [r["epoch"] for r in reports] == [1, 2]
    assert cancels == []


def tensorflow_processes(ray_temp: Path) -> set[int]:
    """This Ray's processes (started with its RAY_TMPDIR: Ray's workers rename their command line)
    that have loaded TensorFlow."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int(proc.name) != os.getpid() \
                    and f"RAY_TMPDIR={ray_temp}\0" in (proc / "environ").read_text(errors="replace") \
                    and "/tensorflow/python/" in (proc / "maps").read_text(errors="replace"):
                found.add(int(proc.name))
        except OSError:
            continue
    return found


def test_a_second_sweep_starts_no_new_tensorflow_process_and_scores_as_the_first(shared_ray, real_data_dir, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("grid:\n  activation: [relu, swish]\n  lr: [0.001, 0.01]\n  batch_size: [128]\n  epochs: [2]\n")

    def sweep(out: Path) -> list[dict]:
        code = cli.main(["--job", "fashion-mlp", "--space", str(space), "--max-train-samples", "600", "--cv", "2",
                         "--workers", "2", "--no-refit", "--data-dir", str(real_data_dir), "--out", str(out)],
                        prog="python -m tune_jobs run")
        assert code == 0
        [run_dir] = list(out.iterdir())
        return read_csv(run_dir / "trials.csv")

    first = sweep(tmp_path / "first")
    warm = tensorflow_processes(shared_ray)
    assert 1 <= len(warm) <= 2  # the two trials' task processes; the trials' actors never import it
    # Each result names the process that trained it (Tune's own "pid" is the trial's actor)
    results = [json.loads(path.read_text().splitlines()[-1])
               for path in (tmp_path / "first").glob("*/tune/*/result.json")]
    assert len(results) == 4 and {r["train_pid"] for r in results} == warm
    assert not {r["pid"] for r in results} & warm
    second = sweep(tmp_path / "second")
    assert tensorflow_processes(shared_ray) == warm

    def scores(rows: list[dict]) -> dict[tuple, str]:
        return {(r["activation"], r["lr"]): r["cv_accuracy"] for r in rows}

    assert len(first) == 4 and scores(first) == scores(second)


def test_a_sweep_a_budget_ends_mid_trial_leaves_its_trials_processes_warm(shared_ray, real_data_dir, tmp_path):
    """A budget ends the sweep while a trial is mid-epoch (as a time budget or Ctrl-C can): Tune
    stops its actor at once, and Ray ends a running task whose owner died, process and all, so
    the next sweep imported TensorFlow again. The trial's task now ends first: the next sweep
    trains in the same processes. (Epochs of a second or so: a trial waiting for Tune's answer
    between two epochs ended its task in time before.)"""
    def sweep(out: Path, epochs: int, *extra: str) -> Path:
        space = tmp_path / f"space-{epochs}.yaml"
        space.write_text(f"grid:\n  activation: [relu, swish]\n  lr: [0.001]\n  batch_size: [32]\n"
                         f"  epochs: [{epochs}]\n")
        code = cli.main(["--job", "fashion-mlp", "--space", str(space), "--max-train-samples", "12000", "--cv", "2",
                         "--workers", "2", "--no-refit", "--data-dir", str(real_data_dir), "--out", str(out), *extra],
                        prog="python -m tune_jobs run")
        assert code == 0
        [run_dir] = list(out.iterdir())
        return run_dir

    cut = sweep(tmp_path / "cut", 40, "--budget", "8")  # 4 epochs x 2 folds of two trials' 40
    rows = read_csv(cut / "trials.csv")
    assert rows and all(int(r["epochs"]) < 40 for r in rows)  # every trial was cut by the budget
    warm = tensorflow_processes(shared_ray)
    assert warm
    following = sweep(tmp_path / "next", 1)
    trained_in = {json.loads(path.read_text().splitlines()[-1])["train_pid"]
                  for path in following.glob("tune/*/result.json")}
    # Both trials in warm processes: in one, where the first trial's 1 epoch ended before the second
    # trial's task was placed (Ray hands it the idle process), or in both
    assert trained_in and trained_in <= warm, (trained_in, warm)
    assert tensorflow_processes(shared_ray) == warm
