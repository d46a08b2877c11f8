"""How a trial starts Keras: its CPU share, its seeds, the previous trial's models gone.

Keras' ``clear_session`` and ``set_random_seed`` (through ``tf.random.set_seed``) each clear
TensorFlow's kernel cache. That cache holds the instantiated, graph-optimized form of every
traced function called so far: a model that ``kept_models`` keeps is not traced again, but its
epoch and validation functions were instantiated again in every trial, about 0.25 s of a trial of
one epoch on the full data (``benchmarks/trial_cost.py``; BENCHMARKS.md, section 14f).

The cache is cleared so that TensorFlow's stateful random kernels (``tf.random.uniform`` and the
like, run eagerly with an operation seed) start their streams again; Keras' own layers draw from
stateless ops seeded by their own variables, not from those. So a trial keeps the cache where
every trial since the cache was last cleared in this process trained only Keras' own steps
(:func:`trial_ended`): models of Keras' own classes (``kept_models.shape_key``), by the own epoch
loop, scored by Keras. Its numbers are those of a trial after a full clear
(``tests/test_fresh_start.py``). The first trial of a process, and the trial after any other,
starts from a cleared cache as Keras' own functions leave it. What the rule trusts: that a job's
model function of Keras' own layers does not itself run such a kernel eagerly (to draw an
architecture, say); one that did would score by its place among a process' trials.
"""

from __future__ import annotations

import gc
import importlib
import random
from typing import Any, Callable

import numpy as np

# Whether every trial since TensorFlow's kernel cache was last cleared in this process trained only
# Keras' own steps. False in a new process: its first trial clears it.
_only_keras_steps_since_cleared = False
# Trials' collections between two releases of the frozen objects (:func:`_collected`), at most.
REFREEZE_EVERY = 20
_collections_since_released = 0


def prepare_keras(threads: int, seed: int) -> None:
    """Pin TensorFlow to the trial's CPU share (it ignores Ray's) and start Keras clean: its
    session cleared (the previous models go), every random seed set. What runs next (a refit, a
    scikit-learn estimator's fit) is not known to run only Keras' own steps: the trial after it
    clears the kernel cache again."""
    global _only_keras_steps_since_cleared

    _only_keras_steps_since_cleared = False
    _pin_threads(threads)
    import keras

    _collected(keras.backend.clear_session)  # it collects: the previous trial's models go
    keras.utils.set_random_seed(seed)


def ready(threads: int) -> None:
    """What a trial process's first trial starts with, done ahead (``warm_workers.warm_up``):
    TensorFlow pinned to ``threads``, Keras imported, what they left alive frozen."""
    _pin_threads(threads)
    importlib.import_module("keras")
    _collected(gc.collect)


def trial_started(threads: int, seed: int) -> None:
    """:func:`prepare_keras` for a trial of the folds, TensorFlow's kernel cache kept where the
    trials since it was last cleared left nothing in it that a seed must start again."""
    global _only_keras_steps_since_cleared

    if not (_only_keras_steps_since_cleared and _can_keep_kernels()):
        prepare_keras(threads, seed)
        return
    _only_keras_steps_since_cleared = False  # until this trial has ended as one of Keras' own steps
    _pin_threads(threads)
    _clear_session_keeping_kernels()
    _set_random_seed_keeping_kernels(seed)


def trial_ended(only_keras_steps: bool) -> None:
    """Whether the trial that ended trained only Keras' own steps (nothing in it ran a stateful
    TensorFlow random kernel): the next trial may then keep the kernel cache."""
    global _only_keras_steps_since_cleared

    _only_keras_steps_since_cleared = only_keras_steps


def tensorflow_seed() -> int | None:
    """TensorFlow's global seed, as ``tf.random.set_seed`` (and so ``keras.utils.set_random_seed``)
    or :func:`trial_started` set it; None where none is set."""
    from tensorflow.python.eager import context

    return getattr(context.context(), "_seed", None)


def _pin_threads(threads: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        # On a GPU that trials share (--gpus-per-trial < 1), each takes memory as it needs it,
        # not the whole card. Ray sets CUDA_VISIBLE_DEVICES to the trial's GPUs.
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        pass  # a reused actor keeps what its first trial set: the same share


def _can_keep_kernels() -> bool:
    """Keras on TensorFlow, with the private state the two functions below reset where they are
    (else a trial clears the cache as Keras does)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    from keras.src.backend.common import global_state
    from tensorflow.python.eager import context

    return (hasattr(global_state, "GLOBAL_STATE_TRACKER") and hasattr(global_state, "GLOBAL_SETTINGS_TRACKER")
            and hasattr(context.context(), "_rng"))


def _clear_session_keeping_kernels() -> None:
    """``keras.backend.clear_session()`` on TensorFlow (Keras 3.15's), less its clearing of the
    kernel cache: Keras' global state (layer names, settings, seed generator) and TensorFlow's
    default graph anew, and a garbage collection."""
    import threading

    import tensorflow as tf
    from keras.src.backend.common import global_state

    global_state.GLOBAL_STATE_TRACKER = threading.local()
    global_state.GLOBAL_SETTINGS_TRACKER = threading.local()
    tf.compat.v1.reset_default_graph()
    _collected(gc.collect)


def _set_random_seed_keeping_kernels(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)`` on TensorFlow, less ``tf.random.set_seed``'s clearing
    of the kernel cache: Python's, NumPy's and Keras' seeds, and TensorFlow's global seed with the
    sequence of operation seeds it draws from."""
    from keras.src.backend.common import global_state
    from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
    from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    from tensorflow.python.eager import context

    global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    eager = context.context()
    eager._seed, eager._rng = seed, random.Random(seed)  # Context._set_global_seed, less its clearing


def _collected(collect: Callable[[], Any]) -> None:
    """``collect()`` (a garbage collection, or what runs one), then everything still alive frozen:
    left out of every later collection, which ``clear_session`` runs per trial. A trial's collection
    then scans what the trial before it made, not the libraries' objects (TensorFlow's 400,000),
    nor the models and traced functions kept across trials: these grew a trial's collection from
    0.05 to 0.3 s over 200 trials (``benchmarks/long_lived_process.py``; BENCHMARKS.md, 14g). The
    graphs TensorFlow held of earlier trials' traces go first (:func:`forget_library_gradients`).
    What dies after it was frozen is freed by its reference count, or, held in cycles (a Keras
    model's layers), once the frozen objects go back to the collector: when ``kept_models`` lets
    a model go (:func:`release_frozen`), and every REFREEZE_EVERY trials."""
    global _collections_since_released

    _collections_since_released += 1
    if _collections_since_released >= REFREEZE_EVERY:
        release_frozen()
    forget_library_gradients()  # what held the earlier trials' traced graphs: they go in this collection
    collect()
    gc.freeze()


LIBRARIES = ("tensorflow.", "keras.")  # modules whose custom gradients are their own ops


def forget_library_gradients() -> None:
    """Drop the custom gradients TensorFlow registered as earlier traces met TensorFlow's and Keras'
    own ops.

    An op with a custom gradient, traced, registers its gradient function under a name of its own
    in TensorFlow's process-wide gradient registry, which never lets one go, and each holds the graph
    it was traced in (tensorflow issues 97697, 80895). Keras' optimizer meets one in every traced
    step (it sums the gradients in an all-reduce, one replica under TensorFlow's default strategy
    too), a ``swish`` activation another. A trial whose model ``kept_models`` does not keep (a model
    of the user's own class) traces its steps anew: 7 MiB a trial of the seed's MLP held for good,
    resident memory 1,244 -> 2,543 MiB over 200 trials (``python benchmarks/long_lived_process.py
    --own-class``; BENCHMARKS.md, 14h). A step's gradients are traced with the step, and nothing
    differentiates an earlier trial's graphs again. Only the libraries' own entries go; custom
    gradients of a job's own code stay."""
    from tensorflow.python.framework import ops

    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    if not isinstance(registry, dict):
        return
    for name in [name for name, entry in registry.items()
                 if name.startswith("CustomGradient-") and _a_librarys_own(entry)]:
        del registry[name]


def _a_librarys_own(entry: Any) -> bool:
    """Whether a registry entry is ``custom_gradient``'s wrapper (its closure's ``tape_grad_fn``)
    around a gradient function (``grad_fn``) of TensorFlow's or Keras' own modules."""
    function = entry.get("type") if isinstance(entry, dict) else None
    for name in ("tape_grad_fn", "grad_fn"):
        code, cells = getattr(function, "__code__", None), getattr(function, "__closure__", None) or ()
        if code is None or name not in code.co_freevars:
            return False
        try:
            function = cells[code.co_freevars.index(name)].cell_contents
        except (IndexError, ValueError):  # a cell not filled (yet)
            return False
    return (getattr(function, "__module__", None) or "").startswith(LIBRARIES)


def release_frozen() -> None:
    """The frozen objects back to the collector: the next trial's collection frees what of them died."""
    global _collections_since_released

    gc.unfreeze()
    _collections_since_released = 0
