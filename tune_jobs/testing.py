"""Fakes for tests of searchers and schedulers: a trainable with a known optimum, no TensorFlow.

Its score improves with every epoch, like a real learning curve, and its optimum is known, so
a test can ask whether a searcher found it and what an early-stopping scheduler saved.
"""

from __future__ import annotations

from typing import Any, Mapping

# The best value of each hyperparameter and what getting it right is worth.
OPTIMUM = {"activation": ("swish", 0.10), "lr": (0.01, 0.10), "batch_norm": (1, 0.05), "dropout": (0.2, 0.05)}
BASE = 0.5


def final_score(config: Mapping[str, Any]) -> float:
    """The score after the last epoch: BASE plus the worth of every hyperparameter set right."""
    return BASE + sum(worth for name, (best, worth) in OPTIMUM.items() if config.get(name) == best)


def best_score() -> float:
    return BASE + sum(worth for _, worth in OPTIMUM.values())


def analytic_trainable(config: Mapping[str, Any], *, data: Any = None, cv: int = 3, seed: int = 0) -> None:
    """Reports ``cv_accuracy`` after every epoch, approaching ``final_score`` (same signature as train_cv).

    ``data["epoch_s"]``, if given, makes each epoch last that long (to interrupt a sweep mid-way).
    """
    import time

    from ray import tune

    epochs = config["epochs"]
    for epoch in range(1, epochs + 1):
        time.sleep((data or {}).get("epoch_s", 0))
        score = final_score(config) * (0.5 + 0.5 * epoch / epochs)
        tune.report({"cv_accuracy": score, "cv_accuracy_std": 0.0, "epoch": epoch, "node": "fake"})


def resources_trainable(config: Mapping[str, Any], *, data: Any = None, cv: int = 3, seed: int = 0) -> None:
    """Reports the resources Ray gave the trial: its CPU and GPU share, and the GPU ids it sees."""
    import os
    import time

    import ray
    from ray import tune

    time.sleep((data or {}).get("epoch_s", 0))
    share = tune.get_context().get_trial_resources().required_resources
    tune.report({"cv_accuracy": final_score(config), "epoch": config["epochs"], "node": "fake",
                 "cpu_share": share.get("CPU", 0.0), "gpu_share": share.get("GPU", 0.0),
                 "gpu_ids": ",".join(map(str, ray.get_gpu_ids())),
                 "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", "")})
