"""Compiled models kept across the trials of one trial process, one per model shape.

Keras traces a model's training, validation and prediction steps the first time each runs: for a
short trial that is a third of its time (BENCHMARKS.md, section 10). A Ray Tune actor is reused
for trial after trial (``reuse_actors``), and many of a sweep's configurations build the same
network: they differ only in values the traced steps read from variables (the weights, the
optimizer's learning rate and state, the dropout seed) or pass as data (the batch size, the
epochs). Such a trial loads its fresh state into the compiled model an earlier trial of that
shape left, and its steps run without tracing again.

Only models made of Keras' own classes are kept: their configs say everything their steps
compute, so two equal configs trace the same steps. A model with custom layers, losses,
metrics or optimizers, or a subclassed model, is compiled per trial as before; so is every model
where the environment sets ``TUNE_JOBS_KEEP_MODELS=0`` (benchmarks/trial_cost.py,
kept_models_sweep.py and dropin_vs_gridsearchcv.py measure with and without; BENCHMARKS.md,
section 10b).
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import Any

from tune_jobs.engine.fresh_start import release_frozen

# Shapes kept per process, at most. The optimizer is part of a shape (its compile config): the
# seed's grid has 24 (3 activations x batch norm or not x 2 dropouts x 2 optimizers), and a
# searcher draws them in any order. With 16 kept, a third of the trials of a random draw over it
# compiled and traced their model again (BENCHMARKS.md, 14g: benchmarks/long_lived_process.py). A
# model of the seed's MLP keeps about 1 MB of weights and optimizer state; the parameter cap keeps
# large networks from piling up.
KEEP = 32
MAX_KEPT_PARAMETERS = 20_000_000

SWITCH = "TUNE_JOBS_KEEP_MODELS"

_kept: OrderedDict[str, Any] = OrderedDict()


def reuse(fresh):
    """The model to train a trial's folds with: an earlier trial's compiled model of the same shape,
    holding ``fresh``'s variables (weights, dropout seeds; the optimizer's are loaded per fold),
    or ``fresh`` itself, kept for later trials. ``fresh`` is compiled and its optimizer built."""
    key = shape_key(fresh) if os.environ.get(SWITCH, "1") != "0" else None
    if key is None or fresh.count_params() > MAX_KEPT_PARAMETERS:
        return fresh
    kept = _kept.get(key)
    if kept is None or not same_variables(kept, fresh):
        let_go = kept is not None
        _kept[key] = fresh
        while len(_kept) > KEEP or sum(m.count_params() for m in _kept.values()) > MAX_KEPT_PARAMETERS:
            _kept.popitem(last=False)  # the least recently used
            let_go = True
        if let_go:  # a model's layers hold cycles: the collector frees it, if it may look at it
            release_frozen()
        return fresh
    _kept.move_to_end(key)
    for target, value in zip(kept.variables, fresh.variables):
        target.assign(value)
    return kept


def forget() -> None:
    """Drop every kept model (tests; a process that needs the memory back)."""
    _kept.clear()
    release_frozen()


def shape_key(model) -> str | None:
    """What a model's traced steps depend on, as text: its architecture and its compile config
    without the learning rate (a variable the steps read). None: not a model of Keras' own
    classes, so not kept."""
    import keras
    from keras.src.models.functional import Functional

    if type(model) not in (keras.Sequential, Functional):
        return None
    layers = list(model._flatten_layers(include_self=False))
    if any(not type(layer).__module__.startswith("keras.") or isinstance(layer, keras.layers.Lambda)
           for layer in layers):
        return None  # a Lambda layer's code is not its config
    compiled = model.get_compile_config()
    if not compiled:  # not compiled
        return None
    try:
        described = {"model": model.get_config(), "compile": without_learning_rate(compiled)}
        return json.dumps(described, sort_keys=True, default=_refuse) if _only_keras_objects(described) else None
    except (TypeError, ValueError, NotImplementedError):  # a config Keras cannot give, or not JSON
        return None


def without_learning_rate(compiled: dict[str, Any]) -> dict[str, Any]:
    optimizer = compiled.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("config", {}).get("learning_rate"), float):
        return compiled  # a schedule is part of the steps: it stays in the key
    config = {k: v for k, v in optimizer["config"].items() if k != "learning_rate"}
    return {**compiled, "optimizer": {**optimizer, "config": config}}


def same_variables(kept, fresh) -> bool:
    def shapes(variables):
        return [tuple(v.shape) for v in variables]

    return (shapes(kept.variables) == shapes(fresh.variables)
            and shapes(kept.optimizer.variables) == shapes(fresh.optimizer.variables))


def _only_keras_objects(config: Any) -> bool:
    """No object of the config comes from outside Keras (a custom or registered class)."""
    if isinstance(config, dict):
        if config.get("registered_name") is not None:
            return False
        module = config.get("module")
        if isinstance(module, str) and not module.startswith("keras"):
            return False
        return all(_only_keras_objects(v) for v in config.values())
    if isinstance(config, (list, tuple)):
        return all(_only_keras_objects(v) for v in config)
    return True


def _refuse(value: Any) -> Any:
    raise TypeError(f"not serializable: {type(value).__name__}")
