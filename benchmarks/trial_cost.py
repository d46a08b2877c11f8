"""Where a small trial's time goes: the trainable's steps timed one by one, in one process.

    python benchmarks/trial_cost.py [--samples 12000] [--epochs 3] [--threads 1] [--repeats 3]

A trial of the seed's model on 3 stratified folds (the drop-in benchmark's size by default), as
``train_cv`` runs a grid's (the folds in turns, each fold's epochs by the own epoch loop, validated
once): Keras' fresh start, the folds (their rows sliced and copied into tensors, or kept), building
the fold models, compiling again, ``fit``'s order, each fold's loops, swapping a fold's state in and
out, the first epoch (where the loop is traced), the later ones, the first validation (traced too)
and the later ones.
``--samples 60000 --epochs 1`` is an ASHA trial stopped at its first rung on the full data. Ray's own cost per
trial is measured by ``benchmarks/many_trials.py`` (plain Ray Tune: about 0.03 s per trial).

Two kinds of trial, alternating: the first in its trial process, which compiles its own model and
makes its own folds, and a later one, which trains in the model an earlier trial of that shape left
(``tune_jobs.engine.kept_models``: another learning rate, the same network) on the folds it left
(``tune_jobs.engine.kept_folds``: the same data, the same folds). Prints the median
seconds of each step over the repeats, side by side, and the ratio of the trials' times; and one
full garbage collection timed before the first trial (TensorFlow imported, nothing frozen) and
after the last (what ``prepare_keras`` froze left out), with the number of objects frozen.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.fused_folds import CONFIG  # noqa: E402


def one_trial(x, y, epochs: int, threads: int, kept: bool) -> dict[str, float]:
    """One trial as ``train_cv`` runs a grid's (folds in turns, each fold's epochs by the own epoch
    loop, validated once), timed step by step: {step: seconds}. ``kept``: in a model of its shape
    that the previous trial compiled, on its folds. The steps of ``TakingTurns``' set-up are its
    own, one by one."""
    from tune_jobs.engine import kept_folds, kept_models
    from tune_jobs.engine.fold_training import FitOrders, OwnEpochs, load_state, more_steps_per_call, save_state
    from tune_jobs.engine.trainable import prepare_keras
    from tune_jobs.jobs.fashion_mlp import JOB

    steps: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - clock[0]
        clock[0] = now

    if not kept:
        kept_models.forget()
        kept_folds.forget()
    prepare_keras(threads=threads, seed=0)
    lap("Keras' fresh start (clear_session, seed)")
    splits = kept_folds.folds(x, y, JOB.splits(y, 3, 0))
    lap("the folds: their rows sliced and copied into tensors (or those kept)")
    config = {**CONFIG, "epochs": epochs, "lr": CONFIG["lr"] * (2 if kept else 1)}
    models = [JOB.model(config) for _ in splits]
    lap("building the fold models")
    first = more_steps_per_call(models[0])  # TakingTurns.__init__, step by step
    first.optimizer.build(first.trainable_variables)
    fresh = [v.numpy() for v in first.optimizer.variables]
    model = kept_models.reuse(first)
    states = [(m.get_weights(), fresh) for m in models]
    lap("compiling again (steps per call), optimizer state")
    orders = FitOrders()
    orders(len(splits[0][0]), True)
    lap("fit's order (Keras' data adapter)")
    loops = [OwnEpochs.where_possible(model, JOB, split[0], split[1], orders) for split in splits]
    lap("each fold's loop (traced where the model is new)")
    for fold, split in enumerate(splits):
        load_state(model, states[fold])
        lap("swapping a fold's weights and optimizer state in and out")
        for epoch in range(epochs):
            loops[fold].epoch(config["batch_size"])
            lap("first epoch (the loop traced)" if fold == 0 and epoch == 0 else "later epochs")
        loops[fold].validate(split[2], split[3])
        lap("first validation (traced where the model is new)" if fold == 0 else "later validations")
        states[fold] = save_state(model)
        lap("swapping a fold's weights and optimizer state in and out")
    return steps


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=12000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    from tune_jobs.jobs.fashion_data import load_fashion_mnist
    from tune_jobs.jobs.fashion_mlp import JOB

    data = load_fashion_mnist(None)
    keep = JOB.subset(data.y_train, args.samples if args.samples < len(data.y_train) else None, 0)
    x, y = data.x_train[keep], data.y_train[keep]
    importlib.import_module("keras")  # before the collection is timed, as in a trial process

    unfrozen_s = timed_collection()
    runs = {False: [], True: []}
    for _ in range(args.repeats):
        for kept in (False, True):  # alternating: a noisy machine hurts both alike
            runs[kept].append(one_trial(x, y, args.epochs, args.threads, kept))
    median = {kept: {name: statistics.median(run.get(name, 0.0) for run in found) for name in found[0]}
              for kept, found in runs.items()}
    total = {kept: sum(steps.values()) for kept, steps in median.items()}
    print(f"{args.samples} images, 3 folds, {args.epochs} epochs, {args.threads} thread(s), median of "
          f"{args.repeats} trials each (folds in turns, validated once); seconds and share of the trial:")
    print(f"{'first trial':>17} {'a later trial':>17}  step")
    for name in median[False]:
        own, kept = median[False][name], median[True].get(name, 0.0)
        print(f"{own:7.3f} s {100 * own / total[False]:5.1f} % {kept:7.3f} s {100 * kept / total[True]:5.1f} %  {name}")
    print(f"{total[False]:7.3f} s {'':7} {total[True]:7.3f} s {'':7}  the trial; later / first = "
          f"{total[True] / total[False]:.3f}")
    print(f"one full garbage collection: {unfrozen_s:.3f} s before the first trial, {timed_collection():.3f} s after "
          f"the last ({gc.get_freeze_count()} objects frozen out of it by prepare_keras)")
    return 0


def timed_collection() -> float:
    began = time.perf_counter()
    gc.collect()
    return time.perf_counter() - began


if __name__ == "__main__":
    sys.exit(main())
