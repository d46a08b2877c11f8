"""A user's job: a Python file (``my_job.py``) or an importable module (``package.module``).

The contract, so that people can write one without reading our code:

    load_data()            -> (x_train, y_train), (x_test, y_test)     Keras' datasets convention
    build_model(config)    -> a compiled keras.Model for one configuration (a dict of the space's
                              hyperparameters; batch_size and epochs go to fit, never here)
    METRIC = "accuracy"    optional: a name the compiled model reports (default: "accuracy" for
                              integer class labels, "mse" otherwise)
    MODE = "max"           optional: "max" or "min" (default from the metric)
    TOLERANCE = 0.003      optional: what "within X of the best" means, in the metric's units
    HYPERPARAMETERS = {"units": 64, "lr": Param(0.01, check=...)}
                           optional: the names a space may use, with defaults (and checks);
                              without it, any name is taken

Everything is checked before Ray starts (``probe``): the file imports, both functions exist,
the data has the right shape, one model builds, is compiled, fits the labels and reports the
metric. Each problem is a :class:`JobError` naming the file.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

import numpy as np

from tune_jobs.jobs.base import Data, DataOptions, Job, JobError
from tune_jobs.jobs.hyperparameters import Hyperparameter, Hyperparameters, TRAINING_NAMES, kind_of
from tune_jobs.jobs.objective import MODES, Objective, default_mode, objective_for


CONSTANTS = ("METRIC", "MODE", "TOLERANCE")


@dataclass(frozen=True)
class Param:
    """A declared hyperparameter of a user's job: its default (which gives its kind) and a check
    returning what is wrong with a value, or None."""

    default: Any
    check: Callable[[Any], str | None] | None = None
    doc: str = ""


def is_file_ref(ref: str) -> bool:
    return ref.endswith(".py") or "/" in ref or "\\" in ref


def load_user_job(ref: str) -> Job:
    """The job in the file or module ``ref``; its data is read and one model probed by :func:`probe`."""
    module, where = _import(ref)
    for name in ("load_data", "build_model"):
        if not callable(getattr(module, name, None)):
            raise JobError(f"{where}: has no {name}() function; a job file needs load_data() and build_model(config)")
    return _job(module.load_data, module.build_model, where=where,
                name=Path(where).stem if is_file_ref(ref) else ref,
                declared=getattr(module, "HYPERPARAMETERS", None), doc=module.__doc__,
                constants={k: getattr(module, k) for k in CONSTANTS if hasattr(module, k)})


def job_from_functions(load_data: Callable[[], Any] | Any, build_model: Callable[[Mapping[str, Any]], Any], *,
                       metric: str | None = None, mode: str | None = None, tolerance: float | None = None,
                       hyperparameters: Mapping[str, Any] | None = None) -> Job:
    """The same contract from a notebook's own functions (``tune_jobs.sweep(load_data=..., build_model=...)``).

    ``load_data`` may also be the arrays themselves. The job is saved in the run directory,
    pickled by value, so that ``tune_jobs.resume`` needs nothing but the directory.
    """
    where = f"build_model={getattr(build_model, '__qualname__', type(build_model).__name__)}"
    if not callable(build_model):
        raise JobError(f"{where}: build_model must be a function of a configuration dict returning a compiled model")
    loader = load_data if callable(load_data) else (lambda: load_data)
    send_by_value(loader, build_model)
    constants = {k: v for k, v in (("METRIC", metric), ("MODE", mode), ("TOLERANCE", tolerance)) if v is not None}
    name = getattr(build_model, "__name__", "job").replace("_", "-").strip("-<>") or "job"
    return replace(_job(loader, build_model, where=where, name=name, declared=hyperparameters,
                        doc=build_model.__doc__, constants=constants), pickled=True)


def _job(load_data: Callable[[], Any], build_model: Callable, *, where: str, name: str, declared: Any,
         doc: str | None, constants: Mapping[str, Any]) -> Job:
    return Job(
        name=name,
        load_data=_Loader(load_data, where),
        build_model=build_model,
        objective=Objective(),  # replaced by ``probe``, once the labels are known
        hyperparameters=Hyperparameters(None if declared is None else _declarations(declared, where)),
        folds="stratified",
        description=next(iter((doc or "").strip().splitlines()), ""),
        source=where,
        probe=partial(probe, constants=dict(constants)),
    )


class _Loader:
    """A user's ``load_data()`` behind the built-in jobs' ``load_data(options)``, its result checked."""

    def __init__(self, function: Callable[[], Any], where: str):
        self.function, self.where = function, where

    def __call__(self, options: DataOptions) -> Data:
        try:
            returned = self.function()
        except Exception as exc:
            raise JobError(f"{self.where}: load_data() raised {_last_line(exc)}") from None
        return _as_data(returned, self.where)


def send_by_value(*objects: Any) -> None:
    """Ray's workers get the module of each function or class by value when it is the user's own
    (a notebook's helper module, a script beside it, a test file): no worker has it on its path.
    Installed packages and the standard library stay by reference."""
    from ray import cloudpickle

    for obj in objects:
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        path = getattr(module, "__file__", None)
        if module is None or module.__name__ == "__main__" or path is None or _installed(Path(path)):
            continue
        cloudpickle.register_pickle_by_value(module)


def _installed(path: Path) -> bool:
    import sysconfig

    roots = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib", "stdlib", "platstdlib")}
    return any(path.resolve().is_relative_to(root) for root in roots)


def _import(ref: str) -> tuple[ModuleType, str]:
    if is_file_ref(ref):
        path = Path(ref).expanduser().resolve()
        if not path.is_file():
            raise JobError(f"--job {ref}: no such job file "
                           f"(nor a registered job; `python -m tune_jobs jobs` lists them)")
        name = "tune_jobs_user_job_" + re.sub(r"\W", "_", str(path))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # cloudpickle sends a module's functions by value only from sys.modules
        where = str(path)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise JobError(f"{where}: the job file does not import: {_import_problem(exc, path)}") from None
    else:
        where = ref
        try:
            module = importlib.import_module(ref)
        except Exception as exc:
            raise JobError(f"--job {ref}: neither a registered job nor an importable module "
                           f"({_import_problem(exc, None)}); "
                           f"`python -m tune_jobs jobs` lists the registered ones") from None
    from ray import cloudpickle  # Ray's own copy: the one that sends trainables' parameters

    # Ray's workers, on this machine or another node, get the job's functions by value: they
    # need neither the file nor the module on their path.
    cloudpickle.register_pickle_by_value(module)
    return module, where


def _import_problem(exc: BaseException, path: Path | None) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if path and Path(f.filename) == path]
    line = f" (line {frames[-1].lineno})" if frames else ""
    return f"{_last_line(exc)}{line}"


def _last_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}".rstrip(": ")


def _declarations(declared: Any, where: str) -> list[Hyperparameter]:
    if not isinstance(declared, Mapping):
        raise JobError(f"{where}: HYPERPARAMETERS must be a dict of name -> default (or Param), got {declared!r}")
    table = []
    for name, entry in declared.items():
        param = entry if isinstance(entry, Param) else Param(entry)
        kind = kind_of(param.default)
        if not isinstance(name, str) or name in TRAINING_NAMES or kind is None:
            raise JobError(f"{where}: HYPERPARAMETERS[{name!r}]: {param.default!r} must be a default number, "
                           f"string or bool of a model hyperparameter (batch_size and epochs are training options)")
        table.append(Hyperparameter(name, param.default, kind, param.check, param.doc))
    return table


def _as_data(returned: Any, where: str) -> Data:
    shape = "load_data() must return (x_train, y_train), (x_test, y_test)"
    try:
        (x_train, y_train), (x_test, y_test) = returned
    except (TypeError, ValueError):
        raise JobError(f"{where}: {shape}, got {type(returned).__name__}") from None
    arrays = {}
    for name, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        try:
            arrays[name] = np.asarray(value)
        except Exception as exc:
            raise JobError(f"{where}: load_data()'s {name} is not an array ({_last_line(exc)})") from None
        if arrays[name].ndim == 0 or len(arrays[name]) == 0:
            raise JobError(f"{where}: load_data()'s {name} is empty")
    for part in ("train", "test"):
        nx, ny = len(arrays[f"x_{part}"]), len(arrays[f"y_{part}"])
        if nx != ny:
            raise JobError(f"{where}: load_data()'s x_{part} has {nx} rows but y_{part} has {ny}")
    return Data(**arrays, source=where)


def classes(y: np.ndarray) -> bool:
    """Integer class labels: stratified folds and accuracy by default."""
    return y.ndim == 1 and np.issubdtype(y.dtype, np.integer)


def probe(job: Job, data: Data, config: Mapping[str, Any], *, constants: Mapping[str, Any]) -> Job:
    """The job with its objective and folds settled from its labels, after one model of ``config``
    was built, checked to be compiled, evaluated on two training rows (which fails when its
    output does not fit the labels, and tells which metrics it reports) and, under a scheduled
    ``lr_schedule``, checked to let its learning rate be set."""
    import keras

    where = job.source
    labelled = classes(data.y_train)
    metric = constants.get("METRIC", "accuracy" if labelled else "mse")
    mode = constants.get("MODE", default_mode(metric) if isinstance(metric, str) else None)
    if not isinstance(metric, str) or not metric:
        raise JobError(f"{where}: METRIC = {metric!r} must be the name of a metric the compiled model reports")
    if mode not in MODES:
        raise JobError(f"{where}: MODE = {mode!r} must be 'max' or 'min'")
    tolerance = constants.get("TOLERANCE")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or not tolerance > 0):
        raise JobError(f"{where}: TOLERANCE = {tolerance!r} must be a number > 0, in the metric's units")
    try:
        model = job.model(config)
    except Exception as exc:
        raise JobError(f"{where}: build_model({dict(config)!r}) raised {_last_line(exc)}") from None
    if not isinstance(model, keras.Model):
        raise JobError(f"{where}: build_model(config) returned {type(model).__name__}, not a keras.Model")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise JobError(f"{where}: build_model(config) returned a model that is not compiled; call model.compile(...)")
    try:
        reported = model.evaluate(data.x_train[:2], data.y_train[:2], verbose=0, return_dict=True)
    except Exception as exc:
        raise JobError(f"{where}: the model of build_model(config) does not fit the data's shapes "
                       f"(x_train {data.x_train.shape}, y_train {data.y_train.shape}): {_last_line(exc)}") from None
    if metric not in reported:
        raise JobError(f"{where}: METRIC = {metric!r} is not reported by the compiled model (it reports "
                       f"{', '.join(reported)}); add it to compile(metrics=[...]) or set METRIC")
    from tune_jobs.engine.fold_training import epoch_learning_rates

    try:
        epoch_learning_rates(model, config)
    except ValueError as exc:
        raise JobError(f"{where}: {exc}") from None
    return replace(job, objective=objective_for(metric, mode, tolerance), folds="stratified" if labelled else "kfold")
