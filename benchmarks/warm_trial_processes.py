"""Can a Keras trial start in a process that already imported TensorFlow? A probe for issue 13's
remaining lever (a comparison's ten runs each pay the import once per worker).

    python benchmarks/warm_trial_processes.py [--fits 4]

Ray Tune ends its trial actors with every ``Tuner.fit``, so each fit's first trial per worker
imports TensorFlow again. Four ways to run the same small fit (4 trials of a tiny Keras model, 2 at
a time on 2 CPUs), four fits in a row in one Ray session, each printing its wall time and whether
its trials found Keras already imported:

- ``actor``: training in Tune's trial actor, as tune-jobs does today;
- ``actor-hook``: the same, with a ``worker_process_setup_hook`` that imports Keras in every new
  worker process (the actor's process imports it as it starts, before its first trial);
- ``task``: the actor hands the training to a CPU-less Ray task (a streaming generator that yields
  each epoch's result) on the same node, so that a pooled task worker could keep TensorFlow;
- ``task-kept``: the same, in a Ray started with ``num_workers_soft_limit`` and
  ``idle_worker_killing_time_threshold_ms`` raised, so that idle task workers are not ended.

Not a tune-jobs code path: it measures whether building one would pay.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time

import numpy as np

EPOCHS = 3
MODES = ("actor", "actor-hook", "task", "task-kept")


def train(epochs: int):
    """A tiny Keras fit, one result per epoch; ``warm``: Keras was imported before this trial."""
    warm = "keras" in sys.modules
    import keras

    rng = np.random.default_rng(0)
    x = rng.random((2000, 20), dtype=np.float32)
    y = (x.sum(axis=1) > 10).astype("int32")
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    for _ in range(epochs):
        history = model.fit(x, y, epochs=1, batch_size=64, verbose=0)
        yield {"accuracy": float(history.history["accuracy"][-1]), "pid": os.getpid(), "warm": int(warm)}


def import_keras() -> None:
    importlib.import_module("keras")  # for its side effect: Keras stays in sys.modules


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fits", type=int, default=4)
    p.add_argument("--mode", choices=MODES)
    args = p.parse_args()
    if args.mode is None:  # each mode in its own process, so that each starts its own Ray
        import subprocess

        for mode in MODES:
            subprocess.run([sys.executable, __file__, "--mode", mode, "--fits", str(args.fits)], check=True)
        return

    import ray
    from ray import tune
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    def train_task(epochs: int):
        yield from train(epochs)

    def trainable(config):
        if args.mode.startswith("actor"):
            for result in train(EPOCHS):
                tune.report(result)
            return
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        for ref in train_task.options(num_returns="streaming", scheduling_strategy=here).remote(EPOCHS):
            tune.report(ray.get(ref))

    kept = {"num_workers_soft_limit": 8, "idle_worker_killing_time_threshold_ms": 600_000}
    temp = tempfile.mkdtemp(prefix="warm-", dir="/tmp")
    ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=temp, logging_level="ERROR",
             log_to_driver=False, _system_config=kept if args.mode == "task-kept" else None,
             runtime_env={"worker_process_setup_hook": import_keras} if args.mode == "actor-hook" else None)
    try:
        for fit in range(args.fits):
            began = time.monotonic()
            results = tune.Tuner(trainable, param_space={"i": tune.grid_search(list(range(4)))},
                                 tune_config=tune.TuneConfig(max_concurrent_trials=2, reuse_actors=True),
                                 run_config=tune.RunConfig(storage_path=f"{temp}/storage", verbose=0)).fit()
            # Each trial's first epoch says whether its process had Keras before the trial began.
            firsts = [r.metrics_dataframe.iloc[0] for r in results]
            print(json.dumps({"mode": args.mode, "fit": fit, "wall_s": round(time.monotonic() - began, 1),
                              "trials_starting_warm": sum(int(f["warm"]) for f in firsts),
                              "processes": len({int(f["pid"]) for f in firsts})}), flush=True)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
