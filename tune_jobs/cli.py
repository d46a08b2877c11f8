"""Command line of a sweep: run-time options only; no hyperparameters, no logic.

    python -m tune_jobs run --job sine --smoke
    python -m tune_jobs run --job my_job.py --space my_space.yaml --workers 2
    python -m tune_jobs.fashion --workers 8                  # the same as run --job fashion-mlp
    python -m tune_jobs.fashion --resume runs/fashion-grid-20261129-101500
"""

from __future__ import annotations

import argparse
import faulthandler
import re
import shutil
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from tune_jobs.engine import cpu_load, tracking
from tune_jobs.errors import BadInput
from tune_jobs.jobs import DEFAULT_JOB, Data, DataOptions, Job, JobError, get_job, prepare
from tune_jobs.jobs.user_file import is_file_ref
from tune_jobs.records import rundir
from tune_jobs.records.runs import spec_of
from tune_jobs.records.summary import objective_of, read_summary
from tune_jobs.searchers import get_searcher
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import Spec, SpecError, load_spec

EXIT_BAD_INPUT = 2


def parser(prog: str, job: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run a hyperparameter sweep as parallel Ray Tune trials.")
    if job is None:
        p.add_argument("--job", help=f"a registered job (`python -m tune_jobs jobs`), a job file (my_job.py) or "
                                     f"package.module (default: {DEFAULT_JOB})")
    p.add_argument("--space", help="search-space YAML (default: the job's)")
    p.add_argument("--workers", type=int, help="trials at once; each gets an equal CPU share (default: all cores)")
    p.add_argument("--cpus", type=int, help="the CPUs this run may use: the size of the local Ray, or this run's "
                                            "share of a cluster (default: all)")
    p.add_argument("--cv", type=int, help="folds of cross-validation per configuration (default: 3); 1: one "
                                          "held-out validation split of 20%%, as Keras' validation_split=0.2, "
                                          "a third of the compute")
    p.add_argument("--epochs", type=int, help="override the space file's epochs")
    p.add_argument("--max-train-samples", type=int, help="train on a subset of this size (stratified for classes)")
    p.add_argument("--seed", type=int, help="seed of folds, subset, synthetic data, initial weights and searcher "
                                            "(default: 0)")
    p.add_argument("--search-seed", type=int, help="seed of the searcher alone (default: --seed)")
    p.add_argument("--budget", type=int, metavar="EPOCHS_X_FOLDS",
                   help="end the sweep after this much compute: epochs x folds over all trials")
    p.add_argument("--time-budget", dest="time_budget_s", type=duration_s, metavar="DURATION",
                   help="end the sweep after this much time (900, 90s, 15m, 1h30m; Ray's start and the refit "
                        "not counted); trials it cuts keep the epochs they trained")
    p.add_argument("--no-refit", dest="refit", action="store_const", const=False,
                   help="skip training the best configuration on all training data")
    p.add_argument("--out", help="parent of the run directory (default: runs/)")
    p.add_argument("--data-dir", help="folder with the data set's files (Fashion-MNIST: or set FASHION_MNIST_DIR)")
    p.add_argument("--address", help="join this Ray cluster instead of starting a local one")
    p.add_argument("--storage", metavar="PATH_OR_URI", help="Ray Tune's experiment state in storage every node "
                   "reaches (a shared mount or s3://...; default: tune/ in the run directory)")
    p.add_argument("--max-failures", type=int,
                   help="retries of a trial whose process or node died; a trial that raised is not "
                   "retried (default: 2)")
    p.add_argument("--gpus-per-trial", type=float, help="GPUs each trial asks Ray for; 0.25 puts 4 on one GPU "
                   "(default: 0)")
    p.add_argument("--searcher", help="grid (every configuration once), random or optuna (default: grid)")
    p.add_argument("--num-samples", type=int, help="trials of a sampling searcher (random, optuna; default: 20)")
    p.add_argument("--scheduler", help="early stopping: none, asha (rungs of epochs) or asha-time (rungs of "
                   "seconds trained) (default: none)")
    p.add_argument("--optuna-storage", metavar="URL", help="database URL of the Optuna study "
                   "(default: optuna.journal in the run directory)")
    p.add_argument("--mlflow", metavar="TRACKING_URI", help="also track the sweep in MLflow: one run per trial, "
                   "nested under one run per sweep (pip install 'tune-jobs[mlflow]')")
    p.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted sweep; other options come from it")
    p.add_argument("--smoke", action="store_true", help="a run of about a minute on a small subset")
    return p


DURATION = re.compile(r"(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?")


def duration_s(text: str) -> float:
    """``--time-budget``'s value in seconds: a number of seconds, or hours, minutes and seconds
    written as 1h30m, 15m, 90s."""
    text = text.strip()
    match = re.fullmatch(r"\d+(?:\.\d+)?", text) or DURATION.fullmatch(text)
    if not text or not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (900, 90s, 15m, 1h30m)")
    units = match.groupdict()
    seconds = float(text) if not units else sum(
        float(units[unit] or 0) * factor for unit, factor in (("h", 3600), ("m", 60), ("s", 1)))
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be longer than 0 s")
    return seconds


def main(argv: Sequence[str] | None, *, prog: str, job: str | None = None) -> int:
    """A sweep of ``job`` (None: the ``--job`` option decides); the exit code."""
    args = parser(prog, job).parse_args(argv)
    if job is not None:
        args.job = job
    given = {f.name: getattr(args, f.name) for f in fields(RunSettings)
             if getattr(args, f.name, None) is not None and f.name != "job"}
    try:
        settings, spec, the_job, data, run_dir = prepare_run(args.job, given, resume=args.resume, smoke=args.smoke)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    resume = run_dir is not None
    run_dir = run_dir or start_run_dir(settings, spec, the_job)
    try:
        return execute(settings, spec, the_job, data, run_dir, resume)
    except BadInput as exc:  # found only once Ray starts: a cluster that refuses this driver
        if not resume:
            shutil.rmtree(run_dir, ignore_errors=True)  # it holds nothing yet but what we wrote
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # outside Tune's own handler (Ray starting, the refit)
        print(f"\ninterrupted; continue with: --resume {run_dir}", file=sys.stderr)
        return 130


def run_as_program(main: Callable[[], int]) -> NoReturn:
    """``sys.exit(main())`` for a ``python -m`` entry point. A crash in native code (Ray's core
    worker, TensorFlow) would end the process with no word; with faulthandler it leaves a Python
    traceback of every thread on fd 2: the terminal, or driver.log while a sweep runs."""
    faulthandler.enable(all_threads=True)
    sys.exit(main())


def prepare_run(job_ref: str | Job | None, given: dict[str, Any], resume: str | Path | None = None,
                smoke: bool = False, space: Spec | None = None) -> tuple[RunSettings, Spec, Job, Data, Path | None]:
    """Everything checked before Ray starts: settings, job, space, data; the run directory when resuming.

    ``job_ref`` is a name, a file, a module, or (from the Python API) a Job; ``given`` the options
    as RunSettings names them; ``space`` a space already read (the API's dict), else settings.space.
    """
    cpu_load.begin_unless_open()  # the load is measured over this preparation (and a script's start), not in a wait
    if resume:
        settings, run_dir = resumed_settings(Path(resume), given, job_ref if isinstance(job_ref, str) else None)
        job = saved_job(run_dir) or get_job(settings.job)
        spec = spec_of(run_dir, settings, job.hyperparameters)
    else:
        job = job_ref if isinstance(job_ref, Job) else get_job(job_ref or DEFAULT_JOB)
        if space is not None:
            given = {**given, "space": str(space.path)}
        settings = new_settings(job, given, smoke=smoke)
        spec, run_dir = space or load_spec(settings.space, job.hyperparameters), None
        if settings.epochs is not None:
            spec = spec.with_epochs(settings.epochs)
        get_searcher(settings.searcher).check(spec)
        check_out(settings.out)
    tracking.check_installed(settings.mlflow)
    job, data = job_data(job, settings, spec)
    return settings, spec, job, data, run_dir


def job_data(job: Job, settings: RunSettings, spec: Spec) -> tuple[Job, Data]:
    """The job ready to run on its data, as the run's options cut it (see jobs.prepare)."""
    options = DataOptions(data_dir=settings.data_dir, seed=settings.seed)
    return prepare(job, options, settings.max_train_samples, settings.cv, spec.first_config())


def new_settings(job: Job, given: dict, smoke: bool) -> RunSettings:
    """The options of a new run: the job's defaults, ``--smoke``'s presets, then what was given."""
    space = job.smoke_space if smoke else job.default_space
    presets = {"space": str(space)} if space else {}
    if smoke and job.smoke_samples:
        presets["max_train_samples"] = job.smoke_samples
    if "space" not in given and "space" not in presets:
        raise SpecError(f"--space: job {job.source} has no space file of its own; give --space FILE")
    # A job file is recorded by its absolute path, and so are the paths below, so that --resume
    # works from any folder.
    return RunSettings(**{**presets, **absolute_paths(given), "job": job.source})


def absolute_paths(given: dict[str, Any]) -> dict[str, Any]:
    """``--data-dir``, a ``--storage`` folder and a SQLite ``--optuna-storage`` file as absolute paths
    (URIs such as s3://... and database servers stay as given)."""
    fixed = dict(given)
    for name in ("data_dir", "storage"):
        value = fixed.get(name)
        if value and "://" not in value:
            fixed[name] = str(Path(value).expanduser().resolve())
    url = fixed.get("optuna_storage")
    prefix = "sqlite:///"
    if url and url.startswith(prefix) and not url[len(prefix):].startswith("/") and url[len(prefix):] != ":memory:":
        fixed["optuna_storage"] = prefix + str(Path(url[len(prefix):]).resolve())
    return fixed


def check_out(out: str) -> None:
    """``--out`` must be a folder (or not exist yet): found before Ray starts."""
    path = Path(out)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise SpecError(f"--out {out}: {existing} is a file, not a folder")


def resumed_settings(typed: Path, given: dict, job: str | None) -> tuple[RunSettings, Path]:
    run_dir = typed.resolve()  # Ray Tune's restore takes absolute paths or URIs only
    stored = run_dir / rundir.SETTINGS
    if not stored.is_file():
        raise SpecError(f"--resume {typed}: not a run directory (no {rundir.SETTINGS})")
    settings = RunSettings.from_json(rundir.read_json(stored))
    changed = {k: v for k, v in given.items() if k != "address" and getattr(settings, k) != v}
    if job is not None and job != settings.job and not (is_file_ref(job) and Path(job).resolve() == Path(settings.job)):
        changed["job"] = job
    if changed:
        used = ", ".join(f"--{k.replace('_', '-')} {getattr(settings, k)}" for k in changed)
        raise SpecError(f"--resume {typed}: options cannot change on resume (the run used {used})")
    return replace(settings, address=given.get("address")), run_dir


def start_run_dir(settings: RunSettings, spec: Spec, job: Job, run_dir: Path | None = None) -> Path:
    """A new run directory (``run_dir``, or a fresh timestamped one under ``--out``) holding what
    --resume needs: the space as used, the options (with the job's objective, for reports), and a
    job made of Python functions (the API's), which no name can find again."""
    if run_dir is None:
        run_dir = rundir.new_run_dir(settings.out, spec.name)
    run_dir.mkdir(parents=True, exist_ok=True)
    rundir.write_text(run_dir / rundir.SPACE, spec.text)
    rundir.write_json(run_dir / rundir.SETTINGS, {**settings.to_json(), "objective": job.objective.to_json()})
    if job.pickled:
        from ray import cloudpickle

        rundir.write_bytes(run_dir / rundir.JOB, cloudpickle.dumps(job))
    return run_dir


def saved_job(run_dir: Path) -> Job | None:
    """The job a run of Python functions saved (see start_run_dir), None for a job found by name."""
    path = run_dir / rundir.JOB
    if not path.is_file():
        return None
    from ray import cloudpickle

    try:
        return cloudpickle.loads(path.read_bytes())
    except Exception as exc:  # a function's module that is gone, a different Python ...
        raise JobError(f"{path}: the run's job cannot be loaded again ({type(exc).__name__}: {exc})") from None


def execute(settings: RunSettings, spec: Spec, job: Job, data: Data, run_dir: Path, resume: bool) -> int:
    from tune_jobs.engine.runner import EXIT_INTERRUPTED, EXIT_TRIALS_FAILED, run_sweep

    print(f"{'resuming' if resume else 'run directory'}: {run_dir}")
    print(f"Ray's logs: {run_dir / rundir.DRIVER_LOG}", flush=True)
    code = run_sweep(settings, spec, job, data, run_dir, resume=resume)
    report(run_dir)
    if code == EXIT_INTERRUPTED:
        print(f"unfinished; continue with: --resume {run_dir}")
    elif code == EXIT_TRIALS_FAILED:
        print(f"some trials failed: see the error column of {run_dir / rundir.TRIALS}")
    return code


def report(run_dir: Path) -> None:
    """What the sweep found, in the job's metric; a regression's noise floor beside its test score."""
    summary = read_summary(run_dir / rundir.SUMMARY)
    objective = objective_of(summary)
    test = summary["test_score"]
    print(f"best configuration: {summary['best_config']}")
    if summary["best_score"] is not None:
        spread = (f"+- {objective.format(summary['best_score_std'])} over {summary['cv']} folds"
                  if summary["cv"] > 1 else "on one held-out split")
        print(f"best {objective.score_label(summary['cv'])}: {objective.format(summary['best_score'])} ({spread})")
    floor = summary.get("noise_variance")
    beside = f" (the noise variance, its floor: {floor:.4g})" if floor is not None and test is not None else ""
    print(f"test {objective.metric} of the refit: {'not refit' if test is None else objective.format(test)}{beside}")
    print(f"{summary['n_trials']} trials, {summary['n_failed']} failed, in {summary['wall_s']:.0f} s; "
          f"results: {run_dir}")
