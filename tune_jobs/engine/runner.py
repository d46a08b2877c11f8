"""The only place that starts Ray and builds a Tuner; it fills the run directory.

    run_sweep(settings, spec, job, data, run_dir, resume=False) -> exit code
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator

from tune_jobs.errors import BadInput
from tune_jobs.jobs.base import Data, Job
from tune_jobs.jobs.objective import Objective
from tune_jobs.records import machine, rundir
from tune_jobs.records.results import best_row, config_of, read_trials, Recorded, summarize, used_by
from tune_jobs.records.optuna_study import write_study
from tune_jobs.records.summary import read_summary
from tune_jobs.searchers import SearchRequest, get_searcher
from tune_jobs.searchers.schedulers import make_scheduler, min_epochs, reads_at
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import Spec
from tune_jobs.engine import budget as budgets, cpu_load, progress, refitter, stored_data, tracking, warm_workers
from tune_jobs.engine.fold_training import EVERY_EPOCH, LAST_EPOCH, Reports
from tune_jobs.engine.budget import trials_within

EXIT_OK, EXIT_TRIALS_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def run_sweep(settings: RunSettings, spec: Spec, job: Job, data: Data, run_dir: Path,
              resume: bool = False, trainable: Callable | None = None) -> int:
    """Run (or finish) the sweep of ``spec`` in ``run_dir``; 0 ok, 1 some trials failed, 130 unfinished.

    ``trainable`` defaults to the k-fold Keras trainable; tests pass a cheap analytic one.
    """
    started = time.monotonic()
    warn_about_load(settings)  # before our own Ray starts and makes the CPUs busy
    parent_run = None
    if settings.mlflow:  # before Ray: a tracking server that does not answer is the user's to fix
        parent_run = tracking.start(settings.mlflow, run_dir, job.name, settings.to_json(), resume)
    with ray_output_to(run_dir / rundir.DRIVER_LOG):
        started_ray = start_ray(settings.address, run_dir / rundir.DRIVER_LOG, settings.cpus)
        # A notebook keeps the local Ray it started, as Ray Tune leaves it: its next sweep starts warm.
        keep_ray = started_ray and settings.address is None and progress.in_notebook()
        if keep_ray:
            warm_workers.keep()
        try:
            with stop_signals_as_ctrl_c(), rundir.running_in(run_dir):  # after ray.init (its SIGTERM handler)
                # Trials in warm task processes only where a later sweep of this Ray session can find them.
                warm = (keep_ray or not started_ray) and warm_workers.in_session()
                plan, cpus, outcome = search_and_refit(settings, spec, job, data, run_dir, resume, trainable,
                                                       parent_run, warm)
        finally:
            if started_ray and not keep_ray:
                stop_ray()
    before = read_summary(run_dir / rundir.SUMMARY) if resume else {}
    wall_s = time.monotonic() - started + float(before.get("wall_s", 0.0))
    summary = {
        "name": spec.name, "job": settings.job, "objective": job.objective.to_json(),
        "searcher": settings.searcher, "scheduler": settings.scheduler, "space": str(spec.path),
        **outcome, "noise_variance": data.noise_variance, "data_source": data.source,
        "n_planned": plan.total, "n_answered_from_records": rundir.count_lines(run_dir / rundir.ANSWERS),
        "budget": settings.budget, "max_epochs": spec.max_epochs,
        "wall_s": round(wall_s, 1), "workers": settings.workers, "cpus_per_trial": cpus,
        "cv": settings.cv, "seed": settings.seed, "search_seed": settings.searcher_seed,
        "n_train": int(len(data.y_train)), "n_test": int(len(data.y_test)), "versions": versions(),
        "machines": machine.with_this_session(before.get("machines", [])),
    }
    rundir.write_json(run_dir / rundir.SUMMARY, summary)
    if settings.searcher != "optuna":  # the optuna searcher keeps its own study as it goes
        write_study(run_dir, spec, job.objective, read_trials(run_dir / rundir.TRIALS))
    if settings.mlflow:
        tracking.finish(run_dir, summary)
    if not outcome["finished"]:
        return EXIT_INTERRUPTED
    return EXIT_TRIALS_FAILED if summary["n_failed"] or summary["refit_error"] else EXIT_OK


def search_and_refit(settings: RunSettings, spec: Spec, job: Job, data: Data, run_dir: Path, resume: bool,
                     trainable: Callable | None, parent_run: str | None, warm: bool = False):
    """The trials on the Ray this process is connected to, then the refit: (plan, CPUs per trial, outcome)."""
    data_ref = stored_data.put(data)  # the last sweep's object, where it holds the same arrays
    objective = job.objective
    request = SearchRequest(spec=spec, objective=objective, seed=settings.searcher_seed, workers=settings.workers,
                            run_dir=run_dir, num_samples=num_samples(settings, spec),
                            optuna_storage=settings.optuna_storage)
    plan = get_searcher(settings.searcher).plan(request)
    cpus = cpus_per_trial(settings.workers, settings.cpus)
    progress.console.write(
        f"{settings.searcher} search, {describe_size(settings, plan.total)}, "
        f"{settings.workers} at a time ({cpus:g} CPU{gpu_note(settings)} each), "
        f"job {job.name}, {len(data.y_train)} training samples\n")
    tuner = make_tuner(settings, spec, job, plan, data_ref, cpus, run_dir, resume, trainable, parent_run, warm)
    if settings.refit and trains_keras(job, trainable):  # the refitter's import overlaps the trials
        refitter.warm()
    try:
        with snapshots_every(snapshot_period_s(plan.total)):
            tuner.fit()
        out_of_time = budgets.ran_out_of_time(run_dir / rundir.TRIALS)
    finally:
        budgets.forget_clock(run_dir / rundir.TRIALS)  # a resumed session starts its own
    rows = read_trials(run_dir / rundir.TRIALS)
    spent = settings.budget is not None and used_by(rows, settings.cv) >= settings.budget
    if out_of_time:
        progress.console.write(f"the time budget of {settings.time_budget_s:g} s ran out: the sweep ended\n")
    exhausted = every_configuration_tried(spec, rows)
    if exhausted and len(rows) < plan.total:
        progress.console.write(f"every one of the space's {len(rows)} configurations was tried: "
                               f"the sweep ended early\n")
    finished = len(rows) >= plan.total or spent or out_of_time or exhausted
    best = best_row(rows, objective)
    outcome = {"finished": finished, "best_config": config_of(best, spec) if best else None,
               **summarize(rows, settings.cv, spec, objective), "test_score": None, "refit_error": None}
    if finished and settings.refit and best:
        outcome.update(refit(job, outcome["best_config"], data_ref, settings.seed, len(data.y_train)))
    return plan, cpus, outcome


def every_configuration_tried(spec: Spec, rows) -> bool:
    """A finite space whose every configuration has a trial that ended: nothing is left to try."""
    configs = spec.configurations()
    if configs is None:
        return False
    ended = {tuple(config_of(r, spec).get(n) for n in spec.params) for r in rows if r["status"] != "failed"}
    return len(ended) >= len(configs)


def trains_keras(job: Job, trainable: Callable | None) -> bool:
    """Whether the trials are the k-fold Keras trainable (not a job's own, nor a test's)."""
    return not (trainable or job.trainable)


def make_tuner(settings: RunSettings, spec: Spec, job: Job, plan, data_ref, cpus: float, run_dir: Path,
               resume: bool, trainable: Callable | None, parent_run: str | None = None, warm: bool = False):
    import ray
    from ray import tune

    from tune_jobs.engine.callbacks import ProgressView, SilentReporter, TrialsRecorder
    from tune_jobs.engine.trainable import InObjectStore, train_cv

    given = {"job": job, "data": data_ref, "cv": settings.cv, "seed": settings.seed}
    if trainable is None:  # tests pass a Tune trainable of their own
        trainable = train_cv
        (run_dir / rundir.RAISED).mkdir(exist_ok=True)
        given.update(job=InObjectStore(ray.put(job)), data=InObjectStore(data_ref), warm=warm,
                     raised=str(run_dir / rundir.RAISED))
        if job.trainable:
            given["train"] = job.trainable
        else:
            given["reports"] = trial_reports(settings, spec, plan.total, resume)
        if resume:  # trials the table has and Ray's last snapshot may not: not trained again
            given["ended"] = ended_results(run_dir, spec, job.objective)
    trainable = tune.with_parameters(trainable, **given)
    if given.get("warm"):
        trainable.__mixins__ = (warm_workers.EndsItsTask,)  # Tune's class for it: see wrap_function
    trainable = tune.with_resources(trainable, trial_resources(cpus, settings.gpus_per_trial))
    storage_path, name = experiment_location(settings, run_dir)
    if resume:
        accept_old_module_names()
        return tune.Tuner.restore(f"{storage_path}/{name}", trainable=trainable,
                                  resume_unfinished=True, resume_errored=False, restart_errored=False)
    return tune.Tuner(
        trainable,
        param_space=plan.param_space,
        tune_config=tune.TuneConfig(
            metric=job.objective.key, mode=job.objective.mode, search_alg=plan.search_alg,
            num_samples=plan.num_samples,
            scheduler=make_scheduler(settings.scheduler, spec.max_epochs, spec.scheduler),
            max_concurrent_trials=settings.workers, reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            storage_path=storage_path, name=name, verbose=0, log_to_file=True,
            # Ray draws its own HTML table in a notebook (elsewhere verbose=0 silences it).
            progress_reporter=SilentReporter() if progress.in_notebook() else None,
            callbacks=[TrialsRecorder(run_dir / rundir.TRIALS, spec, job.objective),
                       ProgressView(plan.total, job.objective, budget=settings.budget, cv=settings.cv),
                       *([tracking.trial_callback(settings.mlflow, job.name, parent_run)] if parent_run else [])],
            # Ray Tune retries a dead node's trials and also those that raised: ``retries`` makes the
            # latter raise again at once.
            failure_config=tune.FailureConfig(
                max_failures=0 if settings.fail_fast else settings.max_failures, fail_fast=settings.fail_fast),
            stop=stopper(settings, run_dir / rundir.TRIALS),
        ),
    )


def ended_results(run_dir: Path, spec: Spec, objective: Objective) -> dict[str, Recorded]:
    """Every trial ``trials.csv`` has as finished, by trial id. Ray saves its experiment state
    every second, the recorder its table too, each on its own clock: a driver killed between the
    two leaves trials the table has ended and Ray's state still running."""
    rows = read_trials(rundir.located(run_dir / rundir.TRIALS))
    return {row["trial_id"]: recorded for row in rows if (recorded := Recorded.of(row, spec, objective))}


def stopper(settings: RunSettings, trials_path: Path):
    """What ends the sweep before its trials are done: a compute budget, a time budget, or both."""
    from ray.tune.stopper import CombinedStopper

    from tune_jobs.engine.callbacks import BudgetStopper, TimeBudgetStopper

    stoppers = [*([BudgetStopper(settings.budget, settings.cv, trials_path)] if settings.budget else []),
                *([TimeBudgetStopper(settings.time_budget_s, trials_path)] if settings.time_budget_s else [])]
    return CombinedStopper(*stoppers) if len(stoppers) > 1 else (stoppers[0] if stoppers else None)


SNAPSHOT_ENV = "TUNE_GLOBAL_CHECKPOINT_S"  # Ray Tune's period for saving the experiment's state, read by fit()
SNAPSHOT_TRIALS_PER_S = 1000


def snapshot_period_s(total_trials: int) -> float:
    """How often Ray saves the experiment: every second, so that a killed driver loses at most a
    second of trials; a sweep of more than 1,000 trials every ``total / 1000`` seconds, since each
    snapshot writes every trial again (BENCHMARKS.md, section 12)."""
    return max(1.0, total_trials / SNAPSHOT_TRIALS_PER_S)


@contextmanager
def snapshots_every(seconds: float) -> Iterator[None]:
    """Ray Tune's snapshot period for one fit(), unless the user set their own."""
    if SNAPSHOT_ENV in os.environ:
        yield
        return
    os.environ[SNAPSHOT_ENV] = f"{seconds:g}"
    try:
        yield
    finally:
        os.environ.pop(SNAPSHOT_ENV, None)


def trial_reports(settings: RunSettings, spec: Spec, planned_trials: int, resume: bool = False) -> Reports:
    """After which epochs a trial validates its folds and reports: where something reads its score.
    Validating and reporting every epoch cost a third of a short trial's time (BENCHMARKS.md, 5b),
    a 15-epoch trial's lockstep 1.3x its time validated once (section 14).

    - MLflow's curves: every epoch.
    - A scheduler that stops trials early: its rungs (ASHA's 1, 3, 9 of 15 epochs). A budget or a
      time budget that ends the sweep between two rungs cuts a running trial back to the last one
      it reported: it keeps that rung's epochs and score, and the epochs trained since are lost.
    - A time budget, or a compute budget that can cut a trial (the trials it cuts keep the epochs
      they trained, and their score): every epoch. A compute budget that pays for every planned
      trial in full never cuts one (a sampling searcher's trials are as many as the budget pays
      for); a resumed run may have spent part of it on trials its interruption cut.
    - Otherwise only after the last epoch."""
    if settings.mlflow:
        return EVERY_EPOCH
    rungs = reads_at(settings.scheduler, spec.max_epochs, spec.scheduler)
    if rungs:
        return Reports(rungs=rungs)
    if settings.time_budget_s is not None:
        return EVERY_EPOCH
    if settings.budget is None:
        return LAST_EPOCH
    cut = resume or planned_trials * spec.max_epochs * settings.cv > settings.budget
    return EVERY_EPOCH if cut else LAST_EPOCH


def accept_old_module_names() -> None:
    """Ray's saved experiment pickles our callbacks by module name: runs interrupted before this
    package was called ``engine`` (it was ``tune_jobs.sweep``) still resume."""
    import importlib

    for name in ("callbacks", "progress", "budget", "trainable"):
        sys.modules.setdefault(f"tune_jobs.sweep.{name}", importlib.import_module(f"tune_jobs.engine.{name}"))


def experiment_location(settings: RunSettings, run_dir: Path) -> tuple[str, str]:
    """Where Ray Tune keeps the experiment, as (storage_path, name): ``tune/`` in the run directory,
    or, on a cluster of several nodes, a folder named after the run in the shared ``--storage``
    (a path every node mounts, or a cloud URI such as ``s3://bucket/prefix``)."""
    if settings.storage:
        return settings.storage.rstrip("/"), run_dir.name
    return str(run_dir), rundir.TUNE_DIR


def num_samples(settings: RunSettings, spec: Spec) -> int | None:
    """The trials a sampling searcher runs: as asked, or as many as the budget can pay for."""
    if settings.num_samples is not None or settings.budget is None or settings.searcher == "grid":
        return settings.num_samples
    least = min_epochs(settings.scheduler, spec.max_epochs, spec.scheduler)
    return trials_within(settings.budget, settings.cv, least)


def gpu_note(settings: RunSettings) -> str:
    return f", {settings.gpus_per_trial:g} GPU" if settings.gpus_per_trial else ""


def describe_size(settings: RunSettings, total: int) -> str:
    if settings.budget is None:
        size = f"{total} trials x {settings.cv} folds"
    else:
        size = f"up to {total} trials x {settings.cv} folds until {settings.budget} epochs x folds are spent"
    if settings.time_budget_s is not None:
        size += f", for at most {progress.clock(settings.time_budget_s)}"
    return size


class ClusterError(BadInput):
    """The cluster named by --address cannot be joined: the user fixes the address or the token."""


# Ray lowers its worker processes' priority by 15 (its ``worker_niceness``) to keep its own
# services responsive: beside any other busy process a trial then gets about 3% of a core (a
# 2-trial sweep beside two busy loops took 7.9x as long as at the driver's priority; BENCHMARKS.md,
# section 17). A sweep is the work its user started, as GridSearchCV's worker processes are:
# trials keep the driver's priority, and ``nice python -m tune_jobs ...`` still puts a whole sweep
# in the background.
AT_THE_DRIVERS_PRIORITY = {"worker_niceness": 0}
NICENESS_ENV = "RAY_worker_niceness"  # Ray's own setting, which a user may give instead
# A starting raylet connects to its own object store, mostly before the store listens, and tries
# again only after ``raylet_client_connect_timeout_milliseconds`` (1 s): the node registers a
# second later, and ``ray.init``, which polls for it once a second, returns a second later
# (BENCHMARKS.md, section 10). Ten times the tries, a tenth of the wait apart: the same 10 s in all.
QUICK_FIRST_CONNECT = {"raylet_client_connect_timeout_milliseconds": 100, "raylet_client_num_connect_attempts": 100}


def local_system_config() -> dict[str, int]:
    """Ray's settings for a local Ray that tune-jobs starts: warm task processes, trials at the
    driver's priority, a quick first connect; each group whole, unless the environment sets any of
    it as Ray reads it (``RAY_<name>``, which a ``_system_config`` would override)."""
    ours: dict[str, int] = {}
    for group in (warm_workers.SYSTEM_CONFIG, AT_THE_DRIVERS_PRIORITY, QUICK_FIRST_CONNECT):
        if not any(f"RAY_{name}" in os.environ for name in group):
            ours.update(group)
    return ours


def start_ray(address: str | None, log_path: Path | None = None, cpus: int | None = None) -> bool:
    """Join the cluster at ``address``, or start a private local Ray (its temp dir: RAY_TMPDIR).

    True when this call connected, so the caller disconnects; a Ray the caller's own program
    already runs (a notebook, a test, an earlier sweep's in a notebook) is used as it is and left
    running, unless it is a local Ray tune-jobs started for other settings (another ``--cpus``, a
    cluster's ``address`` now): that one is shut down first.
    """
    import ray

    if ray.is_initialized():
        if not warm_workers.replaceable(address, cpus):
            return False
        stop_ray()
    common = {"log_to_driver": False, "logging_level": "WARNING"}
    if address:
        try:
            ray.init(address=address, **common)
        except (ray.exceptions.AuthenticationError, ConnectionError) as exc:
            refused = isinstance(exc, ray.exceptions.AuthenticationError)
            raise ClusterError(join_problem(address, exc, refused, log_path)) from None
    else:
        with loopback_only():
            ray.init(address="local", include_dashboard=False, num_cpus=cpus,
                     _system_config=local_system_config(), **common)
        warm_workers.started_here(cpus)
        private_token()
    return True


def stop_ray() -> None:
    """``ray.shutdown()``, without its one-second wait on the autoscaler's monitor. Ray ends its GCS
    first; the monitor's SIGTERM handler then reports to that GCS, waits, and is killed a second
    later (BENCHMARKS.md, section 10). A local Ray this process started has nothing to autoscale:
    its monitor is killed first, as Ray would kill it, and the rest ends as Ray ends it."""
    import ray
    from ray._private import ray_constants, worker

    node = getattr(worker, "_global_node", None)  # this process's own node, where it started one
    if node is not None and node.is_head():
        for started in node.all_processes.get(ray_constants.PROCESS_TYPE_MONITOR, []):
            started.process.kill()
            with suppress(subprocess.TimeoutExpired):  # Ray's shutdown waits on it again
                started.process.wait(timeout=10)
    ray.shutdown()


@contextmanager
def loopback_only() -> Iterator[None]:
    """A local Ray that listens on loopback only: nothing of a laptop's sweep is reachable from the
    network it sits on. In this Ray version a node binds its servers to loopback when its IP is
    127.0.0.1, and it takes 127.0.0.1 as its IP when "clusters are not enabled"
    (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, read once, at Ray's import; ray.init's own
    ``_node_ip_address="127.0.0.1"`` is replaced by the machine's address). Set only while the
    node starts, so that this process can still join a real cluster afterwards."""
    from ray._private import ray_constants

    before = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = before


def private_token() -> None:
    """Ray writes the token of a new local cluster readable by everyone (~/.ray/auth_token, 644):
    only its owner needs it."""
    token = Path.home() / ".ray" / "auth_token"
    try:
        if token.stat().st_uid == os.getuid() and token.stat().st_mode & 0o077:
            token.chmod(0o600)
    except OSError:
        pass  # no token file (authentication off, or a token from RAY_AUTH_TOKEN)


def trial_resources(cpus: float, gpus: float) -> dict[str, float]:
    """What each trial asks Ray for: Ray places it on a node that has both."""
    return {"cpu": cpus, "gpu": gpus} if gpus else {"cpu": cpus}


def join_problem(address: str, exc: Exception, refused: bool, log_path: Path | None) -> str:
    """Why joining failed, in the user's terms. A wrong token shows only in Ray's log lines
    (``InvalidAuthToken``), which go to ``log_path``; a missing one raises AuthenticationError."""
    logged = log_path.read_text(errors="replace") if log_path and log_path.is_file() else ""
    if refused or "InvalidAuthToken" in logged:
        return (f"cannot join the Ray cluster at {address}: its token authentication refused this driver; "
                "set RAY_AUTH_TOKEN (or ~/.ray/auth_token) to the cluster's token, which `ray get-auth-token` "
                "prints on its head")
    return f"cannot join the Ray cluster at {address}: {str(exc).strip().splitlines()[0]}"


def cpus_per_trial(workers: int, cap: int | None = None) -> float:
    """Each of ``workers`` concurrent trials gets an equal share of the cluster's CPUs, or of the
    ``cap`` this run may use of them (``--cpus``)."""
    import ray

    total = ray.cluster_resources().get("CPU", 1.0)
    return math.floor(min(total, cap or total) / workers * 10_000) / 10_000  # Ray's resource precision


def warn_about_load(settings: RunSettings) -> None:
    """Say so when this machine's CPUs are already busy, or more trials than cores are asked for:
    both slow every trial down, silently (measured: BENCHMARKS.md, section 11)."""
    cores = os.cpu_count() or 1
    usable = settings.cpus or cores
    if settings.address is None and settings.workers > usable:
        progress.say(f"note: {settings.workers} trials at once on {usable} CPU{'s' if usable > 1 else ''}: on CPUs "
                     f"more trials than cores is slower, not faster (--workers {usable} would do the same work sooner)")
    if settings.address is None:
        busy = cpu_load.others_percent()  # now, not the load average: a run that just ended is gone
        if busy >= 50:
            progress.say(f"note: this machine's CPUs are already {busy:.0f}% busy: trials will run slower; "
                         f"--cpus N caps this run's share")


def refit(job: Job, config: dict[str, Any], data_ref, seed: int, n_train: int) -> dict[str, Any]:
    """GridSearchCV's refit, with all of the largest node's CPUs (``refitter`` says where).

    A refit that fails is reported, not raised: the sweep's results are already safe on disk.
    """
    progress.console.write(f"refitting the best configuration on {n_train} training samples\n")
    try:
        return {"test_score": refitter.refit_and_score_remote(job, config, data_ref, seed)}
    except Exception as exc:  # a Ray error wraps whatever the refit raised
        progress.console.write(f"the refit failed: {exc}\n")
        return {"refit_error": str(exc).strip().splitlines()[-1][:500]}


STOP_SIGNALS = ("SIGTERM", "SIGHUP")  # what timeout, Slurm, Kubernetes, systemd send; a closed terminal


@contextmanager
def stop_signals_as_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP end the sweep as Ctrl-C does: during the trials Ray Tune saves its state
    one last time and returns; before or after them, KeyboardInterrupt. Either way the run resumes
    with --resume. (Ray Tune itself catches only SIGINT.)"""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    numbers = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    previous = {number: signal.getsignal(number) for number in numbers}
    for number in numbers:
        signal.signal(number, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


@contextmanager
def ray_output_to(log_path: Path) -> Iterator[None]:
    """Send everything printed to fds 1 and 2 (Ray's tables, warnings, tracebacks) and Ray's log
    records to ``log_path``; the progress line keeps the real terminal (or the notebook's cell)
    through ``progress.console``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    streams = sys.stdout, sys.stderr  # may write elsewhere than fds 1 and 2 (under pytest, in a notebook)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    # Ray's logger holds the stream it found at import: in a notebook, the cell's, not fd 2.
    handlers = [h for h in logging.getLogger("ray").handlers
                if isinstance(h, logging.StreamHandler) and h.stream in streams]
    for handler in handlers:
        handler.setStream(sys.stderr)
    previous, progress.console = progress.console, progress.live(terminal)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for handler in handlers:
            handler.setStream(streams[1])
        sys.stdout, sys.stderr = streams
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log_fd):
            os.close(fd)
        progress.console = previous
        terminal.close()


def import_ray():
    """Ray, imported without its notebook advice (tqdm's "IProgress not found", Ray's "Missing
    packages: ipywidgets"): the progress line replaces its bars and tables."""
    logging.getLogger("ray.widgets.util").addFilter(lambda record: "ipywidgets" not in record.getMessage())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import ray
    return ray


def versions() -> dict[str, str | None]:
    found = {}
    for package in ("tune-jobs", "ray", "tensorflow", "keras", "optuna", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found
