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

Three kinds of trial, alternating: the first in its trial process, which compiles its own model and
makes its own folds; and a later one, which trains in the model an earlier trial of that shape left
(``tune_jobs.engine.kept_models``: another learning rate, the same network) on the folds it left
(``tune_jobs.engine.kept_folds``: the same data, the same folds), once as such a trial ran before
``tune_jobs.engine.fresh_start`` (TensorFlow's kernel cache cleared, as Keras' ``clear_session``
and ``set_random_seed`` do, fit's order computed anew, every fold model built) and once as it
runs now (the cache kept after a trial of Keras' own steps, fit's order known, the later folds'
initial weights kept: ``tune_jobs.engine.kept_fold_weights``). Prints the median seconds of each
step over the repeats, side by side, and the ratios of the trials' times; and one
full garbage collection timed before the first trial (TensorFlow imported, nothing frozen) and
after the last (what the trials' starts froze left out: ``fresh_start``), with the number of objects frozen.
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


KINDS = {"first": "first trial", "before": "later, as before", "later": "a later trial"}


def one_trial(x, y, epochs: int, threads: int, kind: str) -> dict[str, float]:
    """One trial as ``train_cv`` runs a grid's (folds in turns, each fold's epochs by the own epoch
    loop, validated once), timed step by step: {step: seconds}. ``kind`` (of KINDS): "first", or in
    a model of its shape that the previous trial compiled, on its folds, as before ("before": every
    fold model built) or now ("later": the later folds' initial weights those of the first trial,
    ``kept_fold_weights``). The steps of ``TakingTurns``' set-up are its own, one by one."""
    from tune_jobs.engine import fold_training, fresh_start, kept_fold_weights, kept_folds, kept_models
    from tune_jobs.engine.fold_training import OwnEpochs, fit_order, load_state, more_steps_per_call, save_state
    from tune_jobs.jobs.fashion_mlp import JOB

    steps: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - clock[0]
        clock[0] = now

    kept = kind != "first"
    if not kept:
        kept_models.forget()
        kept_folds.forget()
        kept_fold_weights.forget()
    if kind != "later":
        fold_training._known_orders.clear()
    fresh_start.trial_ended(only_keras_steps=kind == "later")  # the trial before it
    fresh_start.trial_started(threads=threads, seed=0)
    lap("Keras' fresh start (its session cleared, seeds)")
    splits = kept_folds.folds(x, y, JOB.splits(y, 3, 0))
    lap("the folds: their rows sliced and copied into tensors (or those kept)")
    config = {**CONFIG, "epochs": epochs, "lr": CONFIG["lr"] * (2 if kept else 1)}
    if kind == "before":  # every fold model built
        models = [JOB.model(config) for _ in splits]
        first, initial_weights = models[0], [m.get_weights() for m in models]
    else:  # the later folds' weights kept from a trial of this shape and seed (not in the first)
        first, initial_weights = kept_fold_weights.fold_starts(lambda: JOB.model(config), len(splits))
    lap("building the fold models")
    first = more_steps_per_call(first)  # TakingTurns.__init__, step by step
    first.optimizer.build(first.trainable_variables)
    fresh = [v.numpy() for v in first.optimizer.variables]
    model = kept_models.reuse(first)
    states = [(weights, fresh) for weights in initial_weights]
    lap("compiling again (steps per call), optimizer state")
    fit_order(len(splits[0][0]), True)
    lap("fit's order (Keras' data adapter)")
    loops = [OwnEpochs.where_possible(model, JOB, split[0], split[1]) for split in splits]
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
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    for _ in range(args.repeats):
        for kind in KINDS:  # alternating: a noisy machine hurts them alike
            runs[kind].append(one_trial(x, y, args.epochs, args.threads, kind))
    median = {kind: {name: statistics.median(run.get(name, 0.0) for run in found) for name in runs["first"][0]}
              for kind, found in runs.items()}
    total = {kind: sum(steps.values()) for kind, steps in median.items()}
    print(f"{args.samples} images, 3 folds, {args.epochs} epochs, {args.threads} thread(s), median of "
          f"{args.repeats} trials each (folds in turns, validated once); seconds and share of the trial:")
    print("".join(f"{title:>22}" for title in KINDS.values()) + "  step")
    for name in median["first"]:
        print("".join(f"{median[kind][name]:12.3f} s {100 * median[kind][name] / total[kind]:5.1f} %" for kind in KINDS)
              + f"  {name}")
    print("".join(f"{total[kind]:12.3f} s {'':7}" for kind in KINDS) + "  the trial")
    print(f"a later trial / first = {total['later'] / total['first']:.3f}; later, as before / first = "
          f"{total['before'] / total['first']:.3f}; a later trial / later, as before = "
          f"{total['later'] / total['before']:.3f}")
    print(f"one full garbage collection: {unfrozen_s:.3f} s before the first trial, {timed_collection():.3f} s after "
          f"the last ({gc.get_freeze_count()} objects frozen out of it by the trials' starts)")
    return 0


def timed_collection() -> float:
    began = time.perf_counter()
    gc.collect()
    return time.perf_counter() - began


if __name__ == "__main__":
    sys.exit(main())
