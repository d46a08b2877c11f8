"""The seed's method on a space file: scikit-learn GridSearchCV over a scikeras KerasClassifier.

    python benchmarks/gridsearchcv_seed.py SPACE --max-train-samples N --n-jobs 2 --json OUT

Same data subset and same folds as tune-jobs (StratifiedKFold(cv, shuffle=True, random_state=seed)),
so that the two can be compared configuration by configuration.
"""

from __future__ import annotations

import argparse
import json
import time

T0 = time.monotonic()


def make_model(activation, batch_norm, dropout, lr, optimizer, units, layers, meta):
    from tune_jobs.jobs.fashion_mlp import build_model

    config = dict(activation=activation, batch_norm=batch_norm, dropout=dropout, lr=lr, optimizer=optimizer,
                  units=units, layers=layers)
    return build_model(config, meta["X_shape_"][1:], meta["n_classes_"])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("space")
    p.add_argument("--max-train-samples", type=int)
    p.add_argument("--cv", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--json", required=True)
    args = p.parse_args()

    from scikeras.wrappers import KerasClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from tune_jobs.jobs import DataOptions, get_job, prepare
    from tune_jobs.space.spec import load_spec

    job = get_job("fashion-mlp")
    spec = load_spec(args.space, job.hyperparameters)
    _, data = prepare(job, DataOptions(seed=args.seed), args.max_train_samples, args.cv, spec.first_config())
    data = data.arrays()
    model_params = ("activation", "batch_norm", "dropout", "lr", "optimizer", "units", "layers")
    grid = {**{k: [v] for k, v in spec.fixed.items()}, **{k: list(v) for k, v in spec.grid.items()}}
    param_grid = {(f"model__{k}" if k in model_params else k): v for k, v in grid.items()}
    first = {k: v[0] for k, v in param_grid.items()}
    clf = KerasClassifier(model=make_model, verbose=0, random_state=args.seed, **first)
    search = GridSearchCV(clf, param_grid, cv=StratifiedKFold(args.cv, shuffle=True, random_state=args.seed),
                          n_jobs=args.n_jobs, refit=False)
    started = time.monotonic()
    search.fit(data["x_train"], data["y_train"])
    results = [
        {"params": {k.removeprefix("model__"): v for k, v in params.items()}, "cv_accuracy": float(mean),
         "cv_accuracy_std": float(std)}
        for params, mean, std in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"],
                                     search.cv_results_["std_test_score"])
    ]
    best = {k.removeprefix("model__"): v for k, v in search.best_params_.items()}
    with open(args.json, "w") as handle:
        json.dump({"fit_s": time.monotonic() - started, "process_s": time.monotonic() - T0,
                   "best_config": best, "best_cv_accuracy": float(search.best_score_), "results": results}, handle)


if __name__ == "__main__":
    main()
