"""The drop-in against what it replaces: tune_jobs.sklearn.GridSearchCV + its KerasClassifier against
scikit-learn's GridSearchCV + scikeras' KerasClassifier, on the same grid, folds, epochs and n_jobs.

    python benchmarks/dropin_vs_gridsearchcv.py --pairs 3 --out benchmarks/results/dropin

Each side runs as a whole process (imports, Ray's start, the search; no refit), the two sides
alternating, so that a noisy machine hurts both alike; it prints each time and the ratios, and
writes them with both sides' per-candidate scores to ``--out``. The grid: 8 configurations of the
seed's (activation relu/swish x batch_norm 1/0 x lr 0.001/0.01; dropout 0.2, Adam, batch 512),
the seed's model (with keras.layers.Identity() for its '' placeholder), 12,000 training images,
StratifiedKFold(3) as cv=3 makes it, 3 epochs. A third side, tune-jobs-own, is tune-jobs with every
trial compiling its own model (TUNE_JOBS_KEEP_MODELS=0: no compiled model kept across the trials of
a trial process), the measure of what keeping them buys; the sides' order rotates per round.

``--grid seed`` runs the seed's own grid instead (its 144 configurations: activation x batch_norm x
dropout x lr x optimizer x batch_size), as section 5's comparison sizes it:

    python benchmarks/dropin_vs_gridsearchcv.py --grid seed --samples 6000 --epochs 4 --pairs 2 \
        --sides tune-jobs gridsearchcv --out benchmarks/results/dropin-seed-grid
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STARTED = time.monotonic()


def create_model(_optimizer, _lr, _batch_norm, _activation, _dropout):
    import keras

    model = keras.models.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.BatchNormalization() if _batch_norm else keras.layers.Identity(),
        keras.layers.Dropout(_dropout),
        keras.layers.Dense(128, activation=_activation),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=_optimizer(learning_rate=_lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def scikeras_model(optimizer, lr, batch_norm, activation, dropout):
    """scikeras drops parameters that start with '_': the same function under its model__ names."""
    return create_model(optimizer, lr, batch_norm, activation, dropout)


def _eight(keras, epochs: int) -> dict:
    return {"_activation": ["relu", "swish"], "_batch_norm": [1, 0], "_dropout": [0.2], "_lr": [0.001, 0.01],
            "_optimizer": [keras.optimizers.Adam], "batch_size": [512], "epochs": [epochs]}


def _seed(keras, epochs: int) -> dict:
    """The seed notebook's param_grid, verbatim but for the epochs."""
    return {"_activation": ["relu", "selu", "swish"], "_batch_norm": [1, 0], "_dropout": [0.2, 0.4],
            "_lr": [0.001, 0.002, 0.01], "_optimizer": [keras.optimizers.RMSprop, keras.optimizers.Adam],
            "batch_size": [512, 1024], "epochs": [epochs]}


GRIDS = {"eight": _eight, "seed": _seed}  # eight configurations of the seed's grid, or its own 144


def grid(name: str, epochs: int) -> dict:
    """The param_grid called ``name`` in GRIDS."""
    import keras

    return GRIDS[name](keras, epochs)


SIDES = ("tune-jobs", "gridsearchcv", "tune-jobs-own")


def run_side(side: str, grid_name: str, samples: int, epochs: int, n_jobs: int, out: Path) -> None:
    """One side, in this process: the search, then its scores and times as JSON."""
    from tune_jobs.jobs.fashion_data import load_fashion_mnist

    data = load_fashion_mnist()
    x, y = data.x_train[:samples], data.y_train[:samples]
    param_grid = grid(grid_name, epochs)
    search_started = time.monotonic()
    if side.startswith("tune-jobs"):
        from tune_jobs.sklearn import GridSearchCV, KerasClassifier

        search = GridSearchCV(KerasClassifier(build_fn=create_model), param_grid, cv=3, n_jobs=n_jobs, refit=False,
                              out=tempfile.mkdtemp(prefix="dropin-runs-")).fit(x, y)  # its run dirs: not results
        params = search.cv_results_["params"]
    else:
        from scikeras.wrappers import KerasClassifier
        from sklearn.model_selection import GridSearchCV

        renamed = {(f"model__{k[1:]}" if k.startswith("_") else k): v for k, v in param_grid.items()}
        first = {k: v[0] for k, v in renamed.items()}
        search = GridSearchCV(KerasClassifier(model=scikeras_model, verbose=0, random_state=0, **first), renamed,
                              cv=3, n_jobs=n_jobs, refit=False).fit(x, y)
        params = [{(f"_{k[7:]}" if k.startswith("model__") else k): v for k, v in p.items()}
                  for p in search.cv_results_["params"]]
    results = search.cv_results_
    scores = {json.dumps({k: getattr(v, "__name__", v) for k, v in sorted(p.items())}): float(s)
              for p, s in zip(params, results["mean_test_score"])}
    # Seconds in the folds' fits and scorings, summed over every fit, as scikit-learn's cv_results_
    # has them on both sides: where a side's time goes besides its process's fixed cost.
    fit_s, score_s = (float(np.sum(results[f"mean_{what}_time"]) * search.n_splits_) for what in ("fit", "score"))
    print(json.dumps({"side": side, "search_s": time.monotonic() - search_started,
                      "process_s": time.monotonic() - STARTED, "fit_s": fit_s, "score_s": score_s, "scores": scores}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=2)
    p.add_argument("--grid", choices=GRIDS, default="eight")
    p.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    p.add_argument("--samples", type=int, default=12_000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--out", default="benchmarks/results/dropin")
    p.add_argument("--side", help=argparse.SUPPRESS)
    args = p.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.side:
        return run_side(args.side, args.grid, args.samples, args.epochs, args.n_jobs, out)
    if not {"tune-jobs", "gridsearchcv"} <= set(args.sides):
        p.error("--sides: tune-jobs and gridsearchcv are the ratio's two sides")
    runs = []
    sides = list(args.sides)
    for pair in range(args.pairs):
        turn = pair % len(sides)
        for side in sides[turn:] + sides[:turn]:  # rotating: a noisy machine hurts every side alike
            began = time.monotonic()
            env = {**os.environ, "TUNE_JOBS_KEEP_MODELS": "0" if side == "tune-jobs-own" else "1"}
            done = subprocess.run([sys.executable, __file__, "--side", side, "--grid", args.grid,
                                   "--samples", str(args.samples),
                                   "--epochs", str(args.epochs), "--n-jobs", str(args.n_jobs), "--out", str(out)],
                                  capture_output=True, text=True, check=True, env=env)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result.update(pair=pair, wall_s=time.monotonic() - began)
            runs.append(result)
            print(f"round {pair}: {side:13s} whole process {result['wall_s']:6.1f} s (search {result['search_s']:.1f} s; "
                  f"fits {result['fit_s']:.1f} s, scoring {result['score_s']:.1f} s, summed over fits)", flush=True)
    ratios, own_ratios = [], []
    for pair in range(args.pairs):
        side_of = {r["side"]: r for r in runs if r["pair"] == pair}
        ours, theirs, own = side_of["tune-jobs"], side_of["gridsearchcv"], side_of.get("tune-jobs-own")
        ratios.append(ours["wall_s"] / theirs["wall_s"])
        worst = max(abs(ours["scores"][k] - theirs["scores"][k]) for k in theirs["scores"])
        print(f"round {pair}: tune-jobs / GridSearchCV + scikeras = {ratios[-1]:.3f} (whole processes); largest "
              f"difference of a candidate's mean CV accuracy: {worst:.4f} ({len(theirs['scores'])} candidates)")
        if own:
            own_ratios.append(own["wall_s"] / theirs["wall_s"])
            same = all(ours["scores"][k] == own["scores"][k] for k in own["scores"])
            print(f"round {pair}: tune-jobs-own / GridSearchCV = {own_ratios[-1]:.3f}; tune-jobs / tune-jobs-own = "
                  f"{ours['wall_s'] / own['wall_s']:.3f}; kept models score {'exactly as' if same else 'NOT as'} "
                  f"own ones")
    summary = {"command": " ".join(sys.argv), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "grid": args.grid,
               "samples": args.samples, "epochs": args.epochs, "n_jobs": args.n_jobs, "runs": runs,
               "ratios": ratios, "ratios_own_models": own_ratios}
    (out / "dropin.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"ratios: {', '.join(f'{r:.3f}' for r in ratios)} (target: at most 0.8)"
          + (f"; every trial compiling its own model: {', '.join(f'{r:.3f}' for r in own_ratios)}" if own_ratios else ""))


if __name__ == "__main__":
    main()
