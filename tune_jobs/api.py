"""The Python API: what the command line does, from a notebook or a script.

    import tune_jobs
    result = tune_jobs.sweep("fashion-mlp", space={"activation": ["relu", "swish"], "lr": [0.001, 0.01]},
                             workers=2, max_train_samples=6000, epochs=3)
    result.best_config, result.best_score, result.test_score
    result.trials                      # a pandas DataFrame: trials.csv
    result.report()                    # report.html of the run
    tune_jobs.resume(result.run_dir)   # finish a run the stop button interrupted

A job is a registered name, a job file, ``package.module``, or a notebook's own functions
(``load_data=``, ``build_model=``); a space is a file or a dict (a plain dict of lists is a grid,
as scikit-learn's ``param_grid``). Every option of ``python -m tune_jobs run`` is a keyword, with
its name in snake case (``max_train_samples=``). The run directory is the CLI's, so ``--resume``,
``python -m tune_jobs.report`` and ``tune_jobs.resume`` all work on it.

Bad input raises :class:`tune_jobs.BadInput` (a ``ValueError``) with the command line's message,
before Ray starts and before anything is written.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping

from tune_jobs import cli
from tune_jobs.errors import BadInput
from tune_jobs.jobs import Job
from tune_jobs.records import rundir
from tune_jobs.records.summary import objective_of, read_summary
from tune_jobs.settings import RunSettings
from tune_jobs.space.spec import Spec, SpecError, parse_spec

OPTIONS = tuple(f.name for f in fields(RunSettings) if f.name not in ("job", "space"))


def sweep(job: str | Job | None = None, space: str | Path | Mapping[str, Any] | None = None, *,
          load_data: Callable[[], Any] | Any = None, build_model: Callable[[Mapping[str, Any]], Any] | None = None,
          metric: str | None = None, mode: str | None = None, hyperparameters: Mapping[str, Any] | None = None,
          smoke: bool = False, **options: Any) -> "SweepResult":
    """Run a sweep and return its result; see the module's docstring.

    ``metric``, ``mode`` and ``hyperparameters`` describe a job of ``load_data``/``build_model``
    (a job file's METRIC, MODE and HYPERPARAMETERS). ``options`` are the run options:
    workers, cv, epochs, max_train_samples, seed, search_seed, budget, time_budget_s (seconds or a timedelta;
    the command line's --time-budget), refit, out, data_dir,
    address, storage, max_failures, gpus_per_trial, searcher, num_samples, scheduler,
    optuna_storage, mlflow.
    """
    _quiet_imports()
    given = _options(options)
    the_job = _job(job, load_data, build_model, metric, mode, hyperparameters)
    spec = None
    if isinstance(space, Mapping):
        spec = space_from_dict(space, the_job.name, the_job.hyperparameters)
    elif space is not None:
        given["space"] = str(space)
    settings, spec, the_job, data, _ = cli.prepare_run(the_job, given, smoke=smoke, space=spec)
    return execute(settings, spec, the_job, data, None)


def resume(run_dir: str | Path, *, address: str | None = None) -> "SweepResult":
    """Finish an interrupted sweep (the notebook's stop button, Ctrl-C, a killed kernel) without
    repeating its finished trials; everything else comes from the run directory."""
    _quiet_imports()
    given = {"address": address} if address else {}
    settings, spec, job, data, found = cli.prepare_run(None, given, resume=run_dir)
    return execute(settings, spec, job, data, found)


def execute(settings: RunSettings, spec: Spec, job: Job, data, run_dir: Path | None) -> "SweepResult":
    """Run what ``cli.prepare_run`` checked (in ``run_dir`` when resuming) and read its result back."""
    from tune_jobs.engine import progress

    _quiet_imports()
    from tune_jobs.engine.runner import run_sweep

    resuming = run_dir is not None
    run_dir = run_dir or cli.start_run_dir(settings, spec, job)
    progress.say(f"{'resuming' if resuming else 'run directory'}: {run_dir}")
    try:
        run_sweep(settings, spec, job, data, run_dir, resume=resuming)
    except BadInput:  # found only once Ray starts: a cluster that refuses this driver
        if not resuming:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    except KeyboardInterrupt:  # outside Tune's own handler: Ray starting, the refit
        progress.say(f"interrupted; continue with tune_jobs.resume({str(run_dir)!r})")
        raise
    result = SweepResult(run_dir)
    if not result.finished:
        progress.say(f"unfinished; continue with tune_jobs.resume({str(run_dir)!r})")
    return result


@dataclass(frozen=True)
class SweepResult:
    """A run directory read back: what the sweep found, and its trials."""

    run_dir: Path

    @cached_property
    def summary(self) -> dict[str, Any]:
        return read_summary(self.run_dir / rundir.SUMMARY)

    @property
    def objective(self):
        return objective_of(self.summary)

    @property
    def finished(self) -> bool:
        return bool(self.summary.get("finished"))

    @property
    def best_config(self) -> dict[str, Any] | None:
        return self.summary.get("best_config")

    @property
    def best_score(self) -> float | None:
        """The best mean CV score, in the job's metric (``objective`` says which, and its direction)."""
        return self.summary.get("best_score")

    @property
    def best_score_std(self) -> float | None:
        return self.summary.get("best_score_std")

    @property
    def test_score(self) -> float | None:
        """The refit's score on the test set; None without a refit."""
        return self.summary.get("test_score")

    @cached_property
    def trials(self):
        """``trials.csv`` as a pandas DataFrame, one row per trial, in the order they ended."""
        import pandas as pd

        return pd.read_csv(self.run_dir / rundir.TRIALS)

    def report(self, out: str | Path | None = None) -> Path:
        """Write this run's report (report.html, report.md, CSV tables); the HTML page's path."""
        from tune_jobs.records.runs import load_runs
        from tune_jobs.report.build import HTML, write_report

        runs = load_runs([self.run_dir], allow_partial=True)
        return write_report(runs, Path(out) if out else self.run_dir / "report") / HTML

    def _facts(self) -> list[tuple[str, str]]:
        objective = self.objective
        s = self.summary
        cv = s.get("cv", 3)
        state = "finished" if self.finished else f"unfinished: tune_jobs.resume({str(self.run_dir)!r})"
        return [
            ("job", f"{s.get('job')} ({objective.label}, {objective.mode})"),
            ("trials", f"{s.get('n_trials')} ({s.get('n_failed')} failed), {state}"),
            ("best config", str(self.best_config)),
            (f"best {objective.score_label(cv)}", objective.format(self.best_score)
             + (f" +- {objective.format(self.best_score_std)}" if cv > 1 else "")),
            (f"test {objective.metric}", "not refit" if self.test_score is None else objective.format(self.test_score)),
            ("wall time", f"{s.get('wall_s', 0):.0f} s"),
            ("run directory", str(self.run_dir)),
        ]

    def __repr__(self) -> str:
        return "SweepResult(\n" + "".join(f"  {k}: {v}\n" for k, v in self._facts()) + ")"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(v)}</td></tr>" for k, v in self._facts())
        return f"<table>{rows}</table>"


def space_from_dict(space: Mapping[str, Any], name: str, hyperparameters=None) -> Spec:
    """A space given as a dict: a space file's content (``{"grid": ...}`` or ``{"space": ...}``),
    or a plain dict of lists, read as a grid (scikit-learn's ``param_grid``)."""
    import yaml

    document = dict(space) if {"grid", "space"} & set(space) else {"name": name, "grid": dict(space)}
    document.setdefault("name", name)
    try:
        text = yaml.safe_dump(_plain(document), sort_keys=False)
    except yaml.YAMLError as exc:
        raise SpecError(f"space: {exc}; the values of a space must be numbers, strings or true/false") from None
    return parse_spec(text, Path("space"), hyperparameters)


def _plain(value: Any) -> Any:
    """numpy's scalars and arrays as Python's, so that a space dict written with them reads."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and callable(value.tolist):
        return _plain(value.tolist())
    return value


def _job(job, load_data, build_model, metric, mode, hyperparameters) -> Job:
    from tune_jobs.jobs import DEFAULT_JOB, get_job
    from tune_jobs.jobs.user_file import job_from_functions

    if build_model is not None or load_data is not None:
        if job is not None or build_model is None or load_data is None:
            raise BadInput("sweep(): give either job= (a name, a file, a module) or both load_data= and build_model=")
        return job_from_functions(load_data, build_model, metric=metric, mode=mode, tolerance=None,
                                  hyperparameters=hyperparameters)
    described = {"metric": metric, "mode": mode, "hyperparameters": hyperparameters}
    for name, value in described.items():
        if value is not None:
            raise BadInput(f"sweep(): {name}= describes a job of load_data= and build_model=; a job file "
                           f"says it as {name.upper()}")
    return job if isinstance(job, Job) else get_job(job or DEFAULT_JOB)


def _quiet_imports() -> None:
    from tune_jobs.engine.runner import import_ray

    import_ray()


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = [k for k in options if k not in OPTIONS]
    if unknown:
        raise BadInput(f"sweep(): unknown option {unknown[0]}= (valid: {', '.join(OPTIONS)})")
    return {k: v for k, v in options.items() if v is not None}
