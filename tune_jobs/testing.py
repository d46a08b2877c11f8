"""Fakes for tests of searchers and schedulers: a trainable with a known optimum, no TensorFlow.

Its score improves with every epoch, like a real learning curve, and its optimum is known, so
a test can ask whether a searcher found it and what an early-stopping scheduler saved. It
reports whatever the job's objective names: ``ANALYTIC`` maximizes an accuracy,
``ANALYTIC_MIN`` minimizes an error (1 - that accuracy), so both directions run one contract.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from tune_jobs.jobs.base import Data, DataOptions, Job
from tune_jobs.jobs.objective import SEED_OBJECTIVE, Objective
from tune_jobs.records.results import TRAINING_SECONDS

# The best value of each hyperparameter and what getting it right is worth.
OPTIMUM = {"activation": ("swish", 0.10), "lr": (0.01, 0.10), "batch_norm": (1, 0.05), "dropout": (0.2, 0.05)}
BASE = 0.5


def final_score(config: Mapping[str, Any]) -> float:
    """The score after the last epoch: BASE plus the worth of every hyperparameter set right."""
    return BASE + sum(worth for name, (best, worth) in OPTIMUM.items() if config.get(name) == best)


def best_score() -> float:
    return BASE + sum(worth for _, worth in OPTIMUM.values())


def reported(objective: Objective, accuracy: float) -> float:
    """What the analytic trainable reports for ``accuracy`` under ``objective``."""
    return accuracy if objective.maximize else 1.0 - accuracy


def tiny_data(options: DataOptions | None = None) -> Data:
    return Data(np.zeros((10, 1)), np.arange(10) % 2, np.zeros((5, 1)), np.arange(5) % 2, source="zeros")


def _no_model(config: Mapping[str, Any]):
    raise NotImplementedError("the analytic jobs train no model: run them with analytic_trainable")


ANALYTIC = Job(name="analytic", load_data=tiny_data, build_model=_no_model, objective=SEED_OBJECTIVE,
               source="analytic")
ANALYTIC_MIN = Job(name="analytic-min", load_data=tiny_data, build_model=_no_model,
                   objective=Objective("error", "min", 0.003), source="analytic-min")


def analytic_trainable(config: Mapping[str, Any], *, job: Job = ANALYTIC, data: Any = None, cv: int = 3,
                       seed: int = 0) -> None:
    """Reports the job's ``cv_<metric>`` after every epoch, approaching ``final_score`` (same signature
    as a Tune trainable the runner is given). A configuration's ``epoch_s``, if given, makes each epoch
    last that long (to interrupt a sweep); its ``virtual_epoch_s`` (default 1) is what each epoch adds
    to the ``train_time_s`` it reports (a clock for asha-time that costs no waiting)."""
    import time

    from ray import tune

    epochs = config["epochs"]
    objective = job.objective
    for epoch in range(1, epochs + 1):
        time.sleep(config.get("epoch_s", 0))
        accuracy = final_score(config) * (0.5 + 0.5 * epoch / epochs)
        tune.report({objective.key: reported(objective, accuracy), objective.std_key: 0.0, "epoch": epoch,
                     TRAINING_SECONDS: epoch * config.get("virtual_epoch_s", 1.0), "node": "fake"})


def resources_trainable(config: Mapping[str, Any], *, job: Job = ANALYTIC, data: Any = None, cv: int = 3,
                        seed: int = 0) -> None:
    """Reports the resources Ray gave the trial: its CPU and GPU share, the GPU ids it sees, and
    when it slept (wall clock), so that a test can tell which trials ran at the same time."""
    import os
    import time

    import ray
    from ray import tune

    slept_from = time.time()
    time.sleep(config.get("epoch_s", 0))
    slept_to = time.time()
    share = tune.get_context().get_trial_resources().required_resources
    tune.report({job.objective.key: final_score(config), "epoch": config["epochs"], "node": "fake",
                 "cpu_share": share.get("CPU", 0.0), "gpu_share": share.get("GPU", 0.0),
                 "gpu_ids": ",".join(map(str, ray.get_gpu_ids())),
                 "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
                 "slept_from": slept_from, "slept_to": slept_to})


def counting_train(folder: str, epochs: int, *, threads: int, report: Callable[[dict], None]) -> None:
    """A warm task's training without TensorFlow (``warm_workers.run``): epochs of a second in
    small steps, a file for each epoch it began and each it ended, holding the id of the process
    that trained it."""
    import time

    for epoch in range(1, epochs + 1):
        (Path(folder) / f"began-{epoch}").write_text(str(os.getpid()))
        for _ in range(50):
            time.sleep(0.02)
        (Path(folder) / f"ended-{epoch}").write_text(str(os.getpid()))
        report({"epoch": epoch, "pid": os.getpid()})


def failing_train(*, threads: int, report: Callable[[dict], None]) -> None:
    raise FloatingPointError("training loss became nan at epoch 1")


class StandInTrial:
    """What Tune's trial actor does around ``warm_workers.run``: Tune's ``report`` raises
    SystemExit in the trial's thread once the scheduler has stopped the trial."""

    stop_to_end_s: float | None = None  # the last stopped run's seconds from its stop to its end

    def run(self, train: Callable[..., None], *args: Any, stop_after: int | None = None) -> list[dict]:
        from tune_jobs.engine import warm_workers

        seen: list[dict] = []
        stopped: list[float] = []

        def report(result: dict) -> None:
            seen.append(result)
            if len(seen) == stop_after:
                stopped.append(time.monotonic())
                raise SystemExit(0)

        try:
            warm_workers.run(train, *args, threads=1, report=report)
        except SystemExit:
            pass
        self.stop_to_end_s = time.monotonic() - stopped[0] if stopped else None
        return seen

    def last_stop_to_end_s(self) -> float | None:
        return self.stop_to_end_s
