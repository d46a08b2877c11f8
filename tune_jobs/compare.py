"""Several searchers on one space under one compute budget, several seeds each, then the report.

    python -m tune_jobs.compare --space search_spaces/fashion_grid.yaml \\
        --searchers grid,random,optuna,optuna+asha --seeds 3 --workers 2 --max-train-samples 12000 --epochs 5
    python -m tune_jobs.compare --job sine --searchers grid,optuna+asha --seeds 3
    python -m tune_jobs.compare --resume runs/compare-fashion-grid-20261129-120000

The budget is the grid's compute (configurations x epochs x folds) unless ``--budget`` or
``--budget-fraction`` says otherwise; the grid runs once (it has no randomness), every other
searcher once per seed, on the same data and folds (``--seed``), with its own search seed; the
runs go seed by seed, each searcher in turn, so that their wall times are measured side by side.
Each run is an ordinary run directory under ``runs/``; an interrupted comparison resumes
where it stopped, finished runs untouched.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

from tune_jobs import cli, searchers
from tune_jobs.errors import BadInput
from tune_jobs.jobs import DEFAULT_JOB, Job, get_job
from tune_jobs.records import rundir
from tune_jobs.records.runs import spec_of
from tune_jobs.records.summary import read_summary
from tune_jobs.searchers import schedulers
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import Spec, SpecError, load_spec

PLAN = "compare.json"
RUNS = "runs"
REPORT = "report"


@dataclass(frozen=True)
class Entry:
    """One run of the comparison."""

    label: str  # searcher[+scheduler], as given
    searcher: str
    scheduler: str
    search_seed: int
    directory: str  # under runs/

    def settings(self, base: RunSettings, budget: int | None, runs_dir: Path) -> RunSettings:
        return replace(base, searcher=self.searcher, scheduler=self.scheduler, search_seed=self.search_seed,
                       budget=None if self.searcher == "grid" else budget, out=str(runs_dir))


def parse_searchers(text: str) -> list[tuple[str, str, str]]:
    """``grid,optuna+asha`` -> [(label, searcher, scheduler)], each name checked."""
    found = []
    for label in [part.strip() for part in text.split(",") if part.strip()]:
        searcher, _, scheduler = label.partition("+")
        searchers.check_name(searcher)
        schedulers.check_name(scheduler or "none")
        found.append((label, searcher, scheduler or "none"))
    if not found:
        raise SpecError(f"--searchers {text!r}: name at least one, e.g. grid,optuna+asha")
    if len({f[0] for f in found}) < len(found):
        raise SpecError(f"--searchers {text!r}: a searcher is named twice")
    return found


def plan(spec: Spec, names: str, seeds: int) -> list[Entry]:
    """Seed by seed, every searcher once per seed (the grid, which has no randomness, in the first
    round only): searchers whose wall times are compared run side by side, not hours apart on a
    machine whose pace moves."""
    named = parse_searchers(names)
    for _, searcher, _ in named:
        searchers.get_searcher(searcher).check(spec)
    return [Entry(label, searcher, scheduler, seed, f"{label}-seed{seed}")
            for seed in range(seeds) for label, searcher, scheduler in named if seed == 0 or searcher != "grid"]


def budget_of(spec: Spec, cv: int, budget: int | None, fraction: float | None) -> int:
    """Epochs x folds each sampling run may spend: given, or a fraction of the grid's compute."""
    if budget is not None:
        return budget
    if not spec.is_grid:
        raise SpecError(f"{spec.path}: not a grid, so there is no grid budget to match; give --budget EPOCHS_X_FOLDS")
    return max(1, round(spec.n_configs * spec.max_epochs * cv * (1.0 if fraction is None else fraction)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tune_jobs.compare", description=__doc__.splitlines()[0])
    p.add_argument("--job", help=f"a registered job, a job file or package.module (default: {DEFAULT_JOB})")
    p.add_argument("--space", help="search-space YAML (default: the job's)")
    p.add_argument("--searchers", default="grid,random,optuna,optuna+asha",
                   help="comma-separated searcher[+scheduler] (default: grid,random,optuna,optuna+asha)")
    p.add_argument("--seeds", type=int, default=3, help="runs of each stochastic searcher (default: 3)")
    p.add_argument("--budget", type=int, metavar="EPOCHS_X_FOLDS", help="compute of each sampling run")
    p.add_argument("--budget-fraction", type=float, help="compute of each sampling run as a fraction of the grid's")
    for option in ("workers", "cv", "epochs", "max_train_samples", "seed"):
        p.add_argument(f"--{option.replace('_', '-')}", type=int)
    p.add_argument("--no-refit", dest="refit", action="store_const", const=False)
    p.add_argument("--out", default="runs", help="parent of the comparison's folder (default: runs/)")
    p.add_argument("--data-dir")
    p.add_argument("--address", help="join this Ray cluster instead of starting a local one")
    p.add_argument("--resume", metavar="COMPARE_DIR", help="finish an interrupted comparison")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        folder, base, spec, job, entries, budget = resumed(args) if args.resume else prepared(args)
        job, data = cli.job_data(job, base, spec)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return cli.EXIT_BAD_INPUT
    if not args.resume:
        folder = start(args.out, spec, base, entries, budget)
    print(f"comparison: {folder}\n{len(entries)} runs; each sampling run spends {budget} epochs x folds", flush=True)
    try:
        return run_all(folder, base, spec, job, entries, budget, data)
    except BadInput as exc:  # a cluster that refuses this driver; the comparison resumes once fixed
        print(f"error: {exc}\ncontinue with: python -m tune_jobs.compare --resume {folder}", file=sys.stderr)
        return cli.EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: python -m tune_jobs.compare --resume {folder}", file=sys.stderr)
        return 130


def prepared(args: argparse.Namespace) -> tuple[None, RunSettings, Spec, Job, list[Entry], int]:
    if args.seeds < 1:
        raise SpecError(f"--seeds: {args.seeds} must be an integer >= 1")
    if args.budget_fraction is not None and not 0 < args.budget_fraction <= 10:
        raise SpecError(f"--budget-fraction: {args.budget_fraction} must be in (0, 10]")
    if args.budget is not None and args.budget_fraction is not None:
        raise SpecError("--budget and --budget-fraction: give one of them")
    passed = ("workers", "cv", "epochs", "max_train_samples", "seed", "refit", "data_dir", "address")
    given = {k: getattr(args, k) for k in passed if getattr(args, k) is not None}
    job = get_job(args.job or DEFAULT_JOB)
    base = cli.new_settings(job, {**given, **({"space": args.space} if args.space else {})}, smoke=False)
    cli.check_out(args.out)
    spec = load_spec(base.space, job.hyperparameters)
    if base.epochs is not None:
        spec = spec.with_epochs(base.epochs)
    entries = plan(spec, args.searchers, args.seeds)
    budget = budget_of(spec, base.cv, args.budget, args.budget_fraction)
    RunSettings(**{**base.to_json(), "budget": budget})  # validates the budget
    return None, base, spec, job, entries, budget


def resumed(args: argparse.Namespace) -> tuple[Path, RunSettings, Spec, Job, list[Entry], int]:
    folder = Path(args.resume).resolve()  # Ray Tune restores from absolute paths only
    if not (folder / PLAN).is_file():
        raise SpecError(f"--resume {args.resume}: not a comparison folder (no {PLAN})")
    stored = rundir.read_json(folder / PLAN)
    base = replace(RunSettings.from_json(stored["settings"]), address=args.address)
    job = get_job(base.job)
    spec = spec_of(folder, base, job.hyperparameters)
    return folder, base, spec, job, [Entry(**e) for e in stored["entries"]], stored["budget"]


def start(out: str, spec: Spec, base: RunSettings, entries: list[Entry], budget: int) -> Path:
    folder = rundir.new_run_dir(out, f"compare-{spec.name}")
    rundir.write_text(folder / rundir.SPACE, spec.text)
    rundir.write_json(folder / PLAN, {"settings": base.to_json(), "budget": budget,
                                      "entries": [asdict(e) for e in entries]})
    return folder


def run_all(folder: Path, base: RunSettings, spec: Spec, job: Job, entries: list[Entry], budget: int, data) -> int:
    """Every run not yet finished, in order, on one Ray; then the report of them all."""
    import ray

    from tune_jobs.report.build import write_report
    from tune_jobs.engine import stored_data, warm_workers
    from tune_jobs.engine.trainable import ready_for_folds
    from tune_jobs.engine.runner import (EXIT_INTERRUPTED, cpus_per_trial, ray_output_to, run_sweep, start_ray,
                                         stop_ray, trains_keras)
    from tune_jobs.records.runs import load_runs

    started = time.monotonic()
    with ray_output_to(folder / rundir.DRIVER_LOG):
        started_ray = start_ray(base.address, folder / rundir.DRIVER_LOG, base.cpus)
    codes = []
    warm_up = started_ray and trains_keras(job, None) and not base.gpus_per_trial
    try:
        for number, entry in enumerate(entries, 1):
            run_dir = folder / RUNS / entry.directory
            if read_summary(run_dir / rundir.SUMMARY).get("finished"):
                print(f"[{number}/{len(entries)}] {entry.label} seed {entry.search_seed}: finished before", flush=True)
                continue
            if warm_up:  # the first run's trials start warm, as the later runs' do: the runs' wall times compare
                warm_up = False
                warmed = warm_workers.warm_up(base.workers, max(1, int(cpus_per_trial(base.workers, base.cpus))),
                                              ready_for_folds, ray.put(job), stored_data.put(data),
                                              cv=base.cv, seed=base.seed)
                if warmed:
                    print(f"{len(warmed)} trial processes started, TensorFlow imported, folds made "
                          f"(elapsed {_clock(started)})", flush=True)
            settings = entry.settings(base, budget, folder / RUNS)
            resume = (run_dir / rundir.SETTINGS).is_file()
            if not resume:
                cli.start_run_dir(settings, spec, job, run_dir)
            print(f"[{number}/{len(entries)}] {entry.label} seed {entry.search_seed} "
                  f"({'resuming' if resume else 'starting'}; elapsed {_clock(started)}): {run_dir}", flush=True)
            code = run_sweep(settings, spec, job, data, run_dir, resume=resume)
            if code == EXIT_INTERRUPTED:
                raise KeyboardInterrupt
            codes.append(code)
    finally:
        if started_ray:
            stop_ray()
    report = write_report(load_runs([folder / RUNS / e.directory for e in entries]), folder / REPORT)
    print(f"report: {report / 'report.html'} (elapsed {_clock(started)})")
    return max(codes, default=0)


def _clock(started: float) -> str:
    from tune_jobs.engine.progress import clock

    return clock(time.monotonic() - started)


if __name__ == "__main__":
    cli.run_as_program(main)
