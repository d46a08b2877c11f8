"""How a run's best configuration scores on the test set epoch by epoch: trained as its trial was
(the run's folds: with ``--cv 1`` the 80% it trained on) and as the refit trains it (all training
images), the held-out and test accuracy after every epoch. A diagnostic of the refit, not a
selection: the test curve is read, never used to choose.

    python benchmarks/peers/refit_curve.py benchmarks/results/peers/<run>/tune-jobs-holdout/run* \
        --out benchmarks/results/peers/<run>/refit-curve.json

The run's best trial by its CV score (as ``tune_jobs_anytime.py --best-only`` refits it), the
run's seed, two TensorFlow threads, one ``fit`` call per epoch (as a trial in lockstep trains; the
refit's single ``fit`` draws its shuffles differently, so its last point is a refit like the run's,
not the same one).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def curve(job, config, x, y, x_val, y_val, x_test, y_test, seed: int) -> list[dict]:
    """Train ``config`` on (x, y) as a trial does; after each epoch its held-out (if any) and test accuracy."""
    import keras

    from tune_jobs.engine.fold_training import more_steps_per_call
    from tune_jobs.engine.fresh_start import prepare_keras

    prepare_keras(threads=2, seed=seed)
    model = more_steps_per_call(job.model(config))
    points = []
    for epoch in range(1, config["epochs"] + 1):
        began = time.monotonic()
        model.fit(x, y, batch_size=config["batch_size"], epochs=epoch, initial_epoch=epoch - 1, verbose=0)
        point = {"epoch": epoch, "fit_s": round(time.monotonic() - began, 1),
                 "test": round(float(model.evaluate(x_test, y_test, batch_size=1024, verbose=0,
                                                    return_dict=True)["accuracy"]), 4)}
        if x_val is not None:
            point["held_out"] = round(float(model.evaluate(x_val, y_val, batch_size=1024, verbose=0,
                                                           return_dict=True)["accuracy"]), 4)
        points.append(point)
        print(json.dumps(point), flush=True)
    keras.backend.clear_session()
    return points


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    from tune_jobs.jobs import get_job
    from tune_jobs.jobs.base import DataOptions
    from tune_jobs.records.results import best_row, config_of
    from tune_jobs.records.runs import load_run, spec_of

    run = load_run(args.run_dir, allow_partial=True)
    job = get_job(run.settings.job)
    spec = spec_of(run.path, run.settings, job.hyperparameters)
    config = config_of(best_row(run.rows, run.objective), spec)
    seed = run.settings.seed
    data = job.load_data(DataOptions(data_dir=run.settings.data_dir, seed=seed)).arrays()
    x, y, x_test, y_test = data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    [(train, held_out)] = job.splits(y, run.settings.cv, seed)[:1]  # the first fold: with --cv 1, the only one
    result = {"run_dir": str(run.path), "config": config, "cv": run.settings.cv, "seed": seed,
              "as_its_trial": curve(job, config, x[train], y[train], x[held_out], y[held_out], x_test, y_test, seed),
              "as_the_refit": curve(job, config, x, y, None, None, x_test, y_test, seed),
              "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
