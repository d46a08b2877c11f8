"""AutoKeras' ImageClassifier on Fashion-MNIST, as its users run it, for a fixed wall time.

    python benchmarks/peers/autokeras_run.py --minutes 15 --out benchmarks/results/peers/<comparison>/autokeras

"Give it the data, it builds the model": ``ak.ImageClassifier`` with its documented defaults (its
task-specific tuner and initial architectures, objective val_loss, ``validation_split=0.2``,
epochs chosen by its own early stopping), on the same training and test images as tune-jobs. The
search gets ``--minutes`` of wall time: no trial starts after it and the running trial is stopped
then (keras_tuner_run.Deadline). AutoKeras then trains its best model on all the training images
(its ``fit`` does; recorded apart as ``final_fit_s``, as tune-jobs' refit is not in its wall time).
``trials.jsonl`` has a line per trial as it ends; ``result.json`` and ``anytime.csv`` the test
accuracy of the model AutoKeras exports, at the time its search ended.

AutoKeras 3.0.0 (the newest) fails with Keras >= 3.10 at its first model: it gives ``Dense`` a NumPy
integer for ``units`` (the output shape it read from the data), which Keras now refuses. ``int_shapes``
casts those shapes to ``int`` before any model is built; nothing else of AutoKeras is changed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from keras_tuner_run import Deadline, training_images, write_anytime


def int_shapes() -> None:
    """AutoKeras 3.0.0 with Keras >= 3.10: the graph's input and output shapes as Python ints."""
    from autokeras import graph

    set_io_shapes = graph.Graph.set_io_shapes

    def as_ints(shape):
        return tuple(None if d is None else int(d) for d in shape)

    def set_int_io_shapes(self, shapes):
        set_io_shapes(self, shapes)
        for node in self.inputs:
            node.shape = as_ints(node.shape)
        for node in self.outputs:
            node.in_blocks[0].shape = as_ints(node.in_blocks[0].shape)

    graph.Graph.set_io_shapes = set_int_io_shapes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train-samples", type=int)
    p.add_argument("--out", required=True)
    args = p.parse_args()

    import autokeras as ak
    from autokeras.tuners.task_specific import ImageClassifierTuner

    from tune_jobs.jobs.base import DataOptions
    from tune_jobs.jobs.fashion_mlp import JOB

    int_shapes()
    data = JOB.load_data(DataOptions())
    x, y = training_images(JOB, data, args.max_train_samples, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = Deadline(started + args.minutes * 60, out / "trials.jsonl", started, objective="val_loss")
    classifier = ak.ImageClassifier(num_classes=10, tuner=deadline.tuner_class(ImageClassifierTuner), seed=args.seed,
                                    directory=str(out), project_name="ak", overwrite=False)
    classifier.fit(x, y, validation_split=0.2, callbacks=[deadline.keras_callback()], verbose=0)
    wall = time.monotonic() - started
    searched = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    within = [r for r in searched if r["within_time"] and r["val_loss"] is not None]
    search_s = min(args.minutes * 60, searched[-1]["s"]) if searched else None
    test = float(classifier.evaluate(data.x_test, data.y_test, verbose=0)[1])
    best = min(within, key=lambda r: r["val_loss"]) if within else None
    write_anytime(out, "val_loss", [{"s": search_s, "val_loss": best["val_loss"], "test_accuracy": round(test, 4),
                                     "trial_id": best["trial_id"]}] if best else [])
    result = {"tool": "autokeras ImageClassifier", "job": "fashion images", "space": "AutoKeras' own",
              "seed": args.seed, "minutes": args.minutes, "wall_s": round(wall, 1), "search_s": search_s,
              "final_fit_s": round(wall - search_s, 1) if search_s else None, "n_train": int(len(y)),
              "models_trained": len(within), "trials": len(searched),
              "best_val_loss": best and best["val_loss"], "test_accuracy": round(test, 4),
              "best_hyperparameters": best and best["hyperparameters"], "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    (out / "result.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
