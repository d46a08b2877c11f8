"""Command line of a sweep: run-time options only; no hyperparameters, no logic.

    python -m tune_jobs.fashion --smoke
    python -m tune_jobs.fashion --workers 8 --space search_spaces/fashion_grid.yaml
    python -m tune_jobs.fashion --resume runs/fashion-grid-20261129-101500
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from tune_jobs import rundir
from tune_jobs.errors import BadInput
from tune_jobs.runs import spec_of
from tune_jobs.searchers import get_searcher
from tune_jobs.settings import RunSettings
from tune_jobs.spec import Spec, SpecError, load_spec

EXIT_BAD_INPUT = 2
SPACES = Path(__file__).resolve().parent.parent / "search_spaces"
# --smoke: about a minute on 2 cores. Explicit options still win over these.
SMOKE = {"space": str(SPACES / "fashion_smoke.yaml"), "max_train_samples": 6000}

LoadData = Callable[[RunSettings], Mapping[str, np.ndarray]]


def parser(prog: str, default_space: Path) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run a hyperparameter sweep as parallel Ray Tune trials.")
    p.add_argument("--space", help=f"search-space YAML (default: {default_space})")
    p.add_argument("--workers", type=int, help="trials at once; each gets an equal CPU share (default: all cores)")
    p.add_argument("--cv", type=int, help="folds of cross-validation per configuration (default: 3)")
    p.add_argument("--epochs", type=int, help="override the space file's epochs")
    p.add_argument("--max-train-samples", type=int, help="train on a stratified subset of this size")
    p.add_argument("--seed", type=int, help="seed of folds, subset, initial weights and searcher (default: 0)")
    p.add_argument("--search-seed", type=int, help="seed of the searcher alone (default: --seed)")
    p.add_argument("--budget", type=int, metavar="EPOCHS_X_FOLDS",
                   help="end the sweep after this much compute: epochs x folds over all trials")
    p.add_argument("--no-refit", dest="refit", action="store_const", const=False,
                   help="skip training the best configuration on all training data")
    p.add_argument("--out", help="parent of the run directory (default: runs/)")
    p.add_argument("--data-dir", help="folder with the data set's files (or set FASHION_MNIST_DIR)")
    p.add_argument("--address", help="join this Ray cluster instead of starting a local one")
    p.add_argument("--storage", metavar="PATH_OR_URI", help="Ray Tune's experiment state in storage every node "
                   "reaches (a shared mount or s3://...; default: tune/ in the run directory)")
    p.add_argument("--max-failures", type=int,
                   help="retries of a failed trial, e.g. when its node dies (default: 2)")
    p.add_argument("--gpus-per-trial", type=float, help="GPUs each trial asks Ray for; 0.25 puts 4 on one GPU "
                   "(default: 0)")
    p.add_argument("--searcher", help="grid (every configuration once), random or optuna (default: grid)")
    p.add_argument("--num-samples", type=int, help="trials of a sampling searcher (random, optuna; default: 20)")
    p.add_argument("--scheduler", help="early stopping: none or asha (default: none)")
    p.add_argument("--optuna-storage", metavar="URL", help="database URL of the Optuna study "
                   "(default: optuna.journal in the run directory)")
    p.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted sweep; other options come from it")
    p.add_argument("--smoke", action="store_true", help="a run of about a minute on a small subset")
    return p


def main(argv: Sequence[str] | None, *, prog: str, default_space: Path, load_data: LoadData) -> int:
    args = parser(prog, default_space).parse_args(argv)
    try:
        settings, spec, run_dir = prepare(args, default_space)
        data = load_data(settings)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    resume = run_dir is not None
    run_dir = run_dir or start_run_dir(settings, spec)
    try:
        return execute(settings, spec, data, run_dir, resume)
    except BadInput as exc:  # found only once Ray starts: a cluster that refuses this driver
        if not resume:
            shutil.rmtree(run_dir, ignore_errors=True)  # it holds nothing yet but what we wrote
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # outside Tune's own handler (Ray starting, the refit)
        print(f"\ninterrupted; continue with: --resume {run_dir}", file=sys.stderr)
        return 130


def prepare(args: argparse.Namespace, default_space: Path) -> tuple[RunSettings, Spec, Path | None]:
    """Validated settings and spec; the run directory when resuming (a new one is made later)."""
    given = {f.name: getattr(args, f.name) for f in fields(RunSettings)
             if getattr(args, f.name, None) is not None}
    if args.resume:
        return resumed(Path(args.resume), given)
    presets = SMOKE if args.smoke else {}
    settings = RunSettings(**{"space": str(default_space), **presets, **given})
    spec = load_spec(settings.space)
    if settings.epochs is not None:
        spec = spec.with_epochs(settings.epochs)
    get_searcher(settings.searcher).check(spec)
    return settings, spec, None


def resumed(run_dir: Path, given: dict) -> tuple[RunSettings, Spec, Path]:
    stored = run_dir / rundir.SETTINGS
    if not stored.is_file():
        raise SpecError(f"--resume {run_dir}: not a run directory (no {rundir.SETTINGS})")
    settings = RunSettings.from_json(rundir.read_json(stored))
    changed = {k: v for k, v in given.items() if k != "address" and getattr(settings, k) != v}
    if changed:
        used = ", ".join(f"--{k.replace('_', '-')} {getattr(settings, k)}" for k in changed)
        raise SpecError(f"--resume {run_dir}: options cannot change on resume (the run used {used})")
    settings = replace(settings, address=given.get("address"))
    return settings, spec_of(run_dir, settings), run_dir


def start_run_dir(settings: RunSettings, spec: Spec, run_dir: Path | None = None) -> Path:
    """A new run directory (``run_dir``, or a fresh timestamped one under ``--out``) holding what
    --resume needs: the space as used and the options."""
    if run_dir is None:
        run_dir = rundir.new_run_dir(settings.out, spec.name)
    run_dir.mkdir(parents=True, exist_ok=True)
    rundir.write_text(run_dir / rundir.SPACE, spec.text)
    rundir.write_json(run_dir / rundir.SETTINGS, settings.to_json())
    return run_dir


def execute(settings: RunSettings, spec: Spec, data: Mapping[str, np.ndarray], run_dir: Path, resume: bool) -> int:
    from tune_jobs.runner import EXIT_INTERRUPTED, EXIT_TRIALS_FAILED, run_sweep

    print(f"{'resuming' if resume else 'run directory'}: {run_dir}")
    print(f"Ray's logs: {run_dir / rundir.DRIVER_LOG}", flush=True)
    code = run_sweep(settings, spec, data, run_dir, resume=resume)
    report(run_dir)
    if code == EXIT_INTERRUPTED:
        print(f"unfinished; continue with: --resume {run_dir}")
    elif code == EXIT_TRIALS_FAILED:
        print(f"some trials failed: see the error column of {run_dir / rundir.TRIALS}")
    return code


def report(run_dir: Path) -> None:
    summary = rundir.read_json(run_dir / rundir.SUMMARY)
    test = summary["test_accuracy"]
    print(f"best configuration: {summary['best_config']}")
    if summary["best_cv_accuracy"] is not None:
        print(f"best mean CV accuracy: {summary['best_cv_accuracy']:.4f} "
              f"(+- {summary['best_cv_accuracy_std']:.4f} over {summary['cv']} folds)")
    print(f"test accuracy of the refit: {'not refit' if test is None else f'{test:.4f}'}")
    print(f"{summary['n_trials']} trials, {summary['n_failed']} failed, in {summary['wall_s']:.0f} s; "
          f"results: {run_dir}")
