"""KerasTuner over tune-jobs' own space files and models, as its users run it, for a fixed wall time.

    python benchmarks/peers/keras_tuner_run.py --tuner hyperband --space search_spaces/fashion_grid.yaml \
        --minutes 50 --out benchmarks/results/peers/kt-hyperband-fashion-grid

The hypermodel builds exactly the job's model (``job.model(config)``, the seed's MLP or the CNN) from
values KerasTuner's ``hp`` draws over the same space file (a list -> ``hp.Choice``, ``uniform`` /
``loguniform`` -> ``hp.Float``, ``int`` -> ``hp.Int``, ``units`` per layer -> ``units_1`` ..
``units_<layers>``; ``batch_size`` is drawn in ``HyperModel.fit``). Otherwise KerasTuner's documented
defaults, as its tutorial ("Introduction to the Keras Tuner") runs them: objective ``val_accuracy``
on ``validation_split=0.2`` of the training images, ``EarlyStopping(monitor="val_loss", patience=5)``,
one execution per trial, Hyperband's ``factor=3`` with ``max_epochs`` = the space's epochs. A space's
``lr_schedule`` (``cosine``) reaches KerasTuner's fit as a KerasTuner user would give it: Keras'
``LearningRateScheduler`` callback, with the rates tune-jobs' trials set (over the space's epochs).

Wall time: no trial starts after ``--minutes``, and the trial running then is stopped at that time
(a Keras callback), so every tool is judged on what it finished within the same time. ``trials.jsonl``
gets a line as each trial ends (seconds since the start, hyperparameters, its val_accuracy, and
whether it ended within the time; not its epochs). Afterwards, outside the timed part, ``--evaluate``
scores on the test set the model KerasTuner kept of every trial that was the best so far (what
``tuner.get_best_models()`` returns at that moment): ``anytime.csv`` (seconds, best val_accuracy,
its test accuracy) and ``result.json``.
The tuner's own directory (``kt/``) is kept; running the command again resumes the search there.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

TUNERS = {"hyperband": "Hyperband", "bayesian": "BayesianOptimization", "random": "RandomSearch"}
OBJECTIVE = "val_accuracy"


def hyperparameters(hp, spec) -> dict[str, Any]:
    """A configuration of ``spec`` drawn by KerasTuner's ``hp`` (``epochs`` is the tuner's)."""
    config = dict(spec.fixed)
    for name, domain in spec.params.items():
        if name in ("epochs", "batch_size"):
            continue
        config[name] = draw(hp, name, domain)
    for name, domain in spec.per_layer.items():
        for layer in range(1, int(config.get("layers", 1)) + 1):
            config[f"{name}_{layer}"] = draw(hp, f"{name}_{layer}", domain)
    return config


def draw(hp, name: str, domain) -> Any:
    from tune_jobs.space.domains import Choice, Uniform

    if isinstance(domain, Choice):
        return hp.Choice(name, list(domain.values)) if len(domain.values) > 1 else hp.Fixed(name, domain.values[0])
    sampling = "log" if domain.log else "linear"
    if isinstance(domain, Uniform):
        return hp.Float(name, domain.low, domain.high, sampling=sampling)
    return hp.Int(name, domain.low, domain.high, sampling=sampling)


def hypermodel(job, spec):
    import keras_tuner

    class SpaceHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            return job.model(hyperparameters(hp, spec))

        def fit(self, hp, model, *args, **kwargs):
            from tune_jobs.engine.fold_training import epoch_learning_rates, scheduled

            batch = spec.params.get("batch_size")
            batch_size = draw(hp, "batch_size", batch) if batch else spec.fixed.get("batch_size", 32)
            config = {**hyperparameters(hp, spec), "epochs": spec.max_epochs}
            callbacks = [*kwargs.pop("callbacks", []), *scheduled(epoch_learning_rates(model, config))]
            return model.fit(*args, batch_size=batch_size, callbacks=callbacks, **kwargs)

    return SpaceHyperModel()


class Deadline:
    """Ends a search at ``deadline`` (time.monotonic()): no new trial, the running one stopped.

    Only the search: a tool's own training of its final model after the search (AutoKeras') runs
    whole. ``objective`` names the score each ended trial is logged with."""

    def __init__(self, deadline: float, log: Path, started: float, objective: str = OBJECTIVE):
        self.deadline, self.log, self.started, self.objective = deadline, log, started, objective
        self.searching = True

    def keras_callback(self):
        import keras

        watch = self  # by closure: tuners deep-copy their callbacks

        class StopAtDeadline(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if watch.searching and time.monotonic() >= watch.deadline:
                    self.model.stop_training = True

        return StopAtDeadline()

    def tuner_class(self, base):
        watch = self

        class Timed(base):
            def pre_create_trial(self):
                super().pre_create_trial()
                if time.monotonic() >= watch.deadline:
                    self.oracle.max_trials = len(self.oracle.trials)  # the oracle answers STOPPED

            def on_trial_end(self, trial):
                super().on_trial_end(trial)
                finished = self.oracle.get_trial(trial.trial_id)
                record = {"s": round(time.monotonic() - watch.started, 1), "trial_id": trial.trial_id,
                          "status": str(finished.status), watch.objective: finished.score,
                          "within_time": time.monotonic() <= watch.deadline,
                          "hyperparameters": finished.hyperparameters.values}
                with watch.log.open("a") as out:
                    out.write(json.dumps(record, default=str) + "\n")

            def on_search_end(self):
                super().on_search_end()
                watch.searching = False

        return Timed


def training_images(job, data, max_train_samples: int | None, seed: int):
    """``data``'s training arrays, or the stratified subset tune-jobs' ``--max-train-samples`` takes."""
    x, y = data.x_train, data.y_train
    if max_train_samples:
        keep = job.subset(y, max_train_samples, seed)
        x, y = x[keep], y[keep]
    return x, y


def write_anytime(out: Path, score_key: str, rows: list[dict[str, Any]]) -> None:
    """``anytime.csv``, the one format every peer runner writes: when, best score, its test accuracy."""
    with (out / "anytime.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["s", score_key, "test_accuracy", "trial_id"])
        writer.writeheader()
        writer.writerows(rows)


def make_tuner(name: str, job, spec, out: Path, seed: int, deadline: Deadline):
    import keras_tuner

    base = deadline.tuner_class(getattr(keras_tuner, TUNERS[name]))
    common = {"objective": OBJECTIVE, "seed": seed, "directory": str(out), "project_name": "kt", "overwrite": False}
    if name == "hyperband":
        return base(hypermodel(job, spec), max_epochs=spec.max_epochs, factor=3, **common)
    return base(hypermodel(job, spec), max_trials=10_000, **common)


def search(args) -> None:
    import keras

    from tune_jobs.jobs import get_job
    from tune_jobs.jobs.base import DataOptions
    from tune_jobs.space.spec import load_spec

    job = get_job(args.job)
    spec = load_spec(args.space, job.hyperparameters)
    x, y = training_images(job, job.load_data(DataOptions()), args.max_train_samples, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = Deadline(started + args.minutes * 60, out / "trials.jsonl", started)
    tuner = make_tuner(args.tuner, job, spec, out, args.seed, deadline)
    epochs = spec.max_epochs
    stop_early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)
    tuner.search(x, y, epochs=epochs, validation_split=0.2, callbacks=[stop_early, deadline.keras_callback()],
                 verbose=0)
    (out / "search.json").write_text(json.dumps({
        "tool": f"keras-tuner {TUNERS[args.tuner]}", "job": args.job, "space": args.space, "seed": args.seed,
        "minutes": args.minutes, "wall_s": round(time.monotonic() - started, 1), "n_train": int(len(y)),
        "when": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2) + "\n")


def evaluate(args) -> None:
    """Test accuracy of each best-so-far model KerasTuner kept, in the order the trials ended."""
    from tune_jobs.jobs import get_job
    from tune_jobs.jobs.base import DataOptions
    from tune_jobs.space.spec import load_spec

    job = get_job(args.job)
    spec = load_spec(args.space, job.hyperparameters)
    data = job.load_data(DataOptions())
    out = Path(args.out)
    never = Deadline(float("inf"), out / "unused.jsonl", 0.0)
    tuner = make_tuner(args.tuner, job, spec, out, args.seed, never)
    records = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    rows, best = [], None
    for record in sorted(records, key=lambda r: r["s"]):
        score = record[OBJECTIVE]
        if not record["within_time"] or score is None or (best is not None and score <= best[OBJECTIVE]):
            continue
        model = tuner.load_model(tuner.oracle.get_trial(record["trial_id"]))
        test = model.evaluate(data.x_test, data.y_test, verbose=0, return_dict=True)["accuracy"]
        best = {**record, "test_accuracy": test}
        rows.append({"s": record["s"], OBJECTIVE: score, "test_accuracy": round(test, 4),
                     "trial_id": record["trial_id"]})
    write_anytime(out, OBJECTIVE, rows)
    within = [r for r in records if r["within_time"]]
    result = {**json.loads((out / "search.json").read_text()), "models_trained": len(within),
              "best_" + OBJECTIVE: best and best[OBJECTIVE], "test_accuracy": best and round(best["test_accuracy"], 4),
              "best_hyperparameters": best and best["hyperparameters"]}
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tuner", choices=sorted(TUNERS), required=True)
    p.add_argument("--job", default="fashion-mlp")
    p.add_argument("--space", required=True)
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train-samples", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--evaluate", action="store_true", help="only score what a finished search kept")
    args = p.parse_args()
    if not args.evaluate:
        search(args)
    evaluate(args)


if __name__ == "__main__":
    main()
