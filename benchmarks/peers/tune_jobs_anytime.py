"""tune-jobs' side of the peer comparison: a run cut at a wall time, and the test accuracy of its
best-so-far configuration over time.

    timeout -s INT 50m python -m tune_jobs run --searcher optuna --scheduler asha \
        --space search_spaces/fashion_automl.yaml --num-samples 400 --no-refit --out runs/peers
    python benchmarks/peers/tune_jobs_anytime.py runs/peers/<run> --minutes 50 \
        --out benchmarks/results/peers/tune-jobs-optuna-asha-automl

Ctrl-C at the wall time (``timeout -s INT``) leaves the run as an interrupted sweep leaves it:
trials.csv holds every trial that ended, with when (``elapsed_s``). Then, outside the timed part,
each configuration that was the best so far (by mean CV score, among trials that ended within
``--minutes``; with ``--best-only`` the last of them alone) is refitted on all the training images,
as the run's own refit does, and scored on the test set: ``anytime.csv`` (seconds, best CV score,
its test accuracy) and ``result.json``, the same fields keras_tuner_run.py writes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from keras_tuner_run import write_anytime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--best-only", action="store_true",
                   help="refit only the best configuration at --minutes (a refit of a CNN takes minutes)")
    args = p.parse_args()

    from tune_jobs.engine.trainable import refit_and_score
    from tune_jobs.jobs import get_job
    from tune_jobs.jobs.base import DataOptions
    from tune_jobs.records.results import config_of, score
    from tune_jobs.records.runs import load_run, spec_of

    run = load_run(args.run_dir, allow_partial=True)
    job = get_job(run.settings.job)
    spec = spec_of(run.path, run.settings, job.hyperparameters)  # the job's defaults for what the file leaves out
    objective = run.objective
    data = job.load_data(DataOptions(data_dir=run.settings.data_dir, seed=run.settings.seed)).arrays()
    limit = args.minutes * 60
    ended = sorted((r for r in run.rows if r.get("elapsed_s") and float(r["elapsed_s"]) <= limit),
                   key=lambda r: float(r["elapsed_s"]))
    improvements, best = [], None
    for row in ended:
        value = score(row, objective)
        if row["status"] != "ok" or value is None or (best is not None and not objective.better(value, best)):
            continue
        best = value
        improvements.append((row, value))
    rows = []
    for row, value in improvements[-1:] if args.best_only else improvements:
        config = config_of(row, spec)
        test = refit_and_score(job, config, data, run.settings.seed, threads=2)
        rows.append({"s": float(row["elapsed_s"]), objective.key: round(value, 4), "test_accuracy": round(test, 4),
                     "trial_id": row["trial_id"]})
        print(json.dumps(rows[-1]), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_anytime(out, objective.key, rows)
    label = run.settings.searcher + ("" if run.settings.scheduler == "none" else f"+{run.settings.scheduler}")
    label += " holdout" if run.settings.cv == 1 else ""  # --cv 1: one held-out split, as the peers
    result = {"tool": f"tune-jobs {label}", "job": run.job, "space": run.spec.name, "seed": run.settings.searcher_seed,
              "minutes": args.minutes, "wall_s": min(limit, float(run.summary.get("wall_s") or limit)),
              "n_train": run.summary.get("n_train"), "trials": len(ended),
              "models_trained": len(ended) * run.settings.cv,
              f"best_{objective.key}": rows[-1][objective.key] if rows else None,
              "test_accuracy": rows[-1]["test_accuracy"] if rows else None,
              "when": time.strftime("%Y-%m-%d %H:%M:%S"), "run_dir": str(run.path)}
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
