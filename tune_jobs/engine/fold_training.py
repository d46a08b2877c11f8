"""How the k fold models of a trial are trained: one compiled model, the folds in turns.

A trainer validates the folds and calls ``on_epoch(epoch, scores per fold)`` after the epochs its
:class:`Reports` name, and only there: every epoch (a budget or MLflow's curves read them: the
folds then train in lockstep), a scheduler's rungs (ASHA reads a score at 1, 3, 9 epochs: the
epochs between train in one turn per fold), or once, after the last epoch.

:class:`TakingTurns`: one compiled model, each fold's weights and optimizer state swapped in for
its turn: Keras traces a model's steps once per trial instead of once per fold (and once per model
shape in a trial process, where ``kept_models`` keeps it). A turn is a fold's epochs up to the next
report: one epoch in lockstep, all of them when the trial reports once. Each epoch is one call into
TensorFlow (:class:`OwnEpochs`: the model's ``train_step`` over the rows in ``fit``'s order, without
``fit``'s input pipeline: the same numbers in 0.72-0.80 of a sweep's time), and so is each
validation (the model's ``test_step``, as ``evaluate`` runs it); or, where a job's fit options need
Keras' ``fit``, the turn's epochs in one ``fit``. The folds' rows come as tensors a trial process
keeps from trial to trial (``kept_folds``).

The folds fused into one Keras model (k copies side by side, issue 13's proposal) lost to these
turns: 1.27x their time at 2 threads (BENCHMARKS.md, section 14c); that trainer lives on only as
the benchmark's probe, ``benchmarks/fused_trainer.py``.

A configuration's ``lr_schedule`` other than a constant rate sets the optimizer's learning rate
before every epoch (:func:`epoch_learning_rates`): by the own loop, or by Keras'
``LearningRateScheduler`` in ``fit``, with the same rates.

Where Keras' ``fit`` or ``evaluate`` runs, the model runs ``STEPS_PER_EXECUTION`` steps per call
into TensorFlow (where its compile arguments can be copied): a small model's step is short, and
Keras' per-call work between steps was a sixth of an epoch's time on this machine's CPUs.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from tune_jobs.engine import kept_models
from tune_jobs.engine.fresh_start import tensorflow_seed
from tune_jobs.engine.kept_folds import Split
from tune_jobs.jobs import lr_schedules
from tune_jobs.jobs.base import Job

# Validation is forward passes only: large batches cut its per-batch cost.
VALIDATION_BATCH = 4096
# Training steps per call into TensorFlow (Keras' ``steps_per_execution``).
STEPS_PER_EXECUTION = 16

FoldScores = dict[str, float]  # Keras' names: loss, <metric>, val_<metric>, val_loss; and fit_s, score_s
OnEpoch = Callable[[int, list[FoldScores]], None]


@dataclass(frozen=True)
class Reports:
    """After which epochs a trial validates its folds and reports: after every epoch (``every``),
    else after each of a scheduler's ``rungs`` it reaches, and after its last."""

    every: bool = False
    rungs: tuple[int, ...] = ()

    def epochs(self, last: int) -> list[int]:
        if self.every:
            return list(range(1, last + 1))
        return sorted({rung for rung in self.rungs if rung < last} | {last})


EVERY_EPOCH = Reports(every=True)
LAST_EPOCH = Reports()


def compile_arguments(compiled: Mapping[str, Any]) -> dict[str, Any]:
    """``compile`` arguments rebuilt from a model's compile config (as Keras' own
    ``compile_from_config`` does: new objects every call), with STEPS_PER_EXECUTION."""
    import keras

    arguments = keras.saving.deserialize_keras_object(dict(compiled))
    arguments["steps_per_execution"] = max(compiled.get("steps_per_execution") or 1, STEPS_PER_EXECUTION)
    return arguments


def more_steps_per_call(model):
    """``model`` compiled again as the job compiled it, but with STEPS_PER_EXECUTION (where its
    compile arguments can be rebuilt; else as it was)."""
    try:
        model.compile(**compile_arguments(model.get_compile_config()))
    except (TypeError, ValueError) as error:  # a custom loss, metric or optimizer Keras cannot rebuild
        logging.getLogger(__name__).debug("kept the job's compile (one step per call): %s", error)
    return model


def check_finite(scores: FoldScores, epoch: int) -> None:
    """A NaN loss fails the trial: it cannot recover."""
    if not math.isfinite(scores["loss"]):
        raise FloatingPointError(f"training loss became {scores['loss']} at epoch {epoch}")


def epoch_learning_rates(model, config: Mapping[str, Any]) -> list[float] | None:
    """The learning rate of each epoch (0-based) by ``config``'s ``lr_schedule``, scaling the rate
    ``model`` was compiled with; None for a constant rate, where nothing is set."""
    name = config.get("lr_schedule", lr_schedules.DEFAULT)
    if name == lr_schedules.DEFAULT:
        return None
    import keras

    compiled = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    try:
        model.optimizer.learning_rate = compiled
    except (TypeError, AttributeError):  # compiled with a LearningRateSchedule or a callable
        raise ValueError(f"lr_schedule: {name!r} needs a model compiled with a number as its optimizer's "
                         f"learning rate, not a LearningRateSchedule; use lr_schedule: {lr_schedules.DEFAULT} "
                         f"with a model that schedules its own") from None
    return lr_schedules.learning_rates(name, compiled, config["epochs"])


def set_learning_rate(model, learning_rates: Sequence[float] | None, epoch: int) -> None:
    """Epoch ``epoch``'s (0-based) rate, before it trains; nothing for a constant rate (None)."""
    if learning_rates:
        model.optimizer.learning_rate = learning_rates[epoch]


State = tuple[list[np.ndarray], list[np.ndarray]]  # a fold's model weights, its optimizer's variables


class TakingTurns:
    """The folds of one trial in ``first`` (the first fold's model, as the job compiled it), each
    fold starting from its own ``initial_weights`` (in fold order: ``kept_fold_weights``)."""

    def __init__(self, job: Job, first, initial_weights: Sequence[list[np.ndarray]], splits: list[Split],
                 learning_rates: Sequence[float] | None = None):
        first = more_steps_per_call(first)
        first.optimizer.build(first.trainable_variables)
        fresh = [v.numpy() for v in first.optimizer.variables]  # its learning rate too
        self.job, self.model, self.splits = job, kept_models.reuse(first), splits
        self.learning_rates = learning_rates  # per epoch, None: the compiled rate throughout
        self.states: list[State] = [(weights, fresh) for weights in initial_weights]
        # Each fold's loop once per trial, not per turn: its rows copied into tensors (in lockstep a
        # trial has epochs x folds turns) and fit's order.
        self.loops = [OwnEpochs.where_possible(self.model, job, x, y) for x, y, _, _ in splits]
        # Steps of Keras' own classes by the own loop, scored by Keras (or by a scorer that only
        # predicts): nothing of them draws from TensorFlow's stateful random kernels (``fresh_start``).
        scored_by_keras = job.scorer is None or getattr(job.scorer, "predicts_only", False)
        self.only_keras_steps = (kept_models.shape_key(first) is not None and scored_by_keras
                                 and all(loop is not None for loop in self.loops))

    def train(self, epochs: Sequence[int], batch_size: int, on_epoch: OnEpoch) -> None:
        """Train every fold up to the last of ``epochs``, validated after each of them (and only
        there), then ``on_epoch(epoch, scores per fold)``; a fold's ``fit_s``/``score_s`` are its
        seconds since the previous call. A turn is each fold's epochs from one report to the next."""
        for initial_epoch, last_epoch in zip([0, *epochs], epochs):
            on_epoch(last_epoch, [self._turn(fold, batch_size, initial_epoch, last_epoch)
                                  for fold in range(len(self.splits))])

    def _turn(self, fold: int, batch_size: int, initial_epoch: int, epochs: int) -> FoldScores:
        load_state(self.model, self.states[fold])
        scores = train_epochs(self.model, self.splits[fold], batch_size, initial_epoch, epochs, self.job,
                              self.loops[fold], self.learning_rates)
        self.states[fold] = save_state(self.model)
        return scores


def load_state(model, state: State) -> None:
    weights, optimizer = state
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, optimizer):
        variable.assign(value)


def save_state(model) -> State:
    return model.get_weights(), [v.numpy() for v in model.optimizer.variables]


def train_epochs(model, split: Split, batch_size: int, initial_epoch: int, epochs: int, job: Job,
                 loop: OwnEpochs | None, learning_rates: Sequence[float] | None = None) -> FoldScores:
    """Epochs ``initial_epoch + 1 .. epochs`` of one fold model, validated after the last (by Keras
    or by the job's scorer), with the seconds of each. A NaN loss fails the trial. ``loop``: the
    fold's own epoch loop on ``model``, None where only ``fit`` does what the job asks.
    ``learning_rates``: each epoch's (0-based), None to keep the rate the model has."""
    x_train, y_train, x_val, y_val = split
    started = time.monotonic()
    if loop is None:
        scores = _fit(model, split, batch_size, initial_epoch, epochs, job, learning_rates)
    else:
        for epoch in range(initial_epoch + 1, epochs + 1):
            set_learning_rate(model, learning_rates, epoch - 1)
            scores = loop.epoch(batch_size)
            check_finite(scores, epoch)
        if not job.scorer:
            scores.update(loop.validate(x_val, y_val))
    scores["fit_s"], scores["score_s"] = time.monotonic() - started, 0.0
    if job.scorer:
        started = time.monotonic()
        scores[f"val_{job.objective.metric}"] = float(job.scorer(model, np.asarray(x_val), np.asarray(y_val)))
        scores["score_s"] = time.monotonic() - started
    return scores


def _fit(model, split: Split, batch_size: int, initial_epoch: int, epochs: int, job: Job,
         learning_rates: Sequence[float] | None = None) -> FoldScores:
    """The same epochs by Keras' own ``fit`` (with the job's fit options), validated by Keras unless
    the job has its own scorer."""
    x_train, y_train, x_val, y_val = split
    validation = {} if job.scorer else {"validation_data": (x_val, y_val), "validation_batch_size": VALIDATION_BATCH,
                                        "validation_freq": epochs}
    import keras

    options = fit_options(job, learning_rates, keras.callbacks.TerminateOnNaN())
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch,
                        verbose=0, **validation, **options)
    for epoch, loss in enumerate(history.history["loss"], start=initial_epoch + 1):
        check_finite({"loss": loss}, epoch)
    return {name: values[-1] for name, values in history.history.items()}


def fit_options(job: Job, learning_rates: Sequence[float] | None, *callbacks) -> dict[str, Any]:
    """The job's ``fit`` options, its callbacks followed by ``callbacks`` and the schedule's."""
    return {**job.fit_options, "callbacks": [*job.fit_options.get("callbacks", []), *callbacks,
                                             *scheduled(learning_rates)]}


def scheduled(learning_rates: Sequence[float] | None) -> list:
    """``fit``'s callbacks that set each epoch's learning rate (``fit`` counts epochs from 0, from
    ``initial_epoch`` on): none for a constant rate."""
    if not learning_rates:
        return []
    import keras

    return [keras.callbacks.LearningRateScheduler(lambda epoch, rate: float(learning_rates[epoch]))]


# ``fit`` options the own epoch loop does as ``fit`` would (``shuffle`` True or False, not "batch").
OWN_LOOP_FIT_OPTIONS = frozenset({"shuffle"})


class OwnEpochs:
    """A fold's epochs as one call into TensorFlow each: the model's own ``train_step`` on batches of
    the rows in ``fit``'s order, gathered inside the same ``tf.function``, not Keras' ``fit``.

    ``fit`` feeds the steps through a ``tf.data`` pipeline and a loop of optional values; for the
    seed's small network that machinery took 0.57-0.78 of an epoch's own-loop time again on this
    machine's CPU (``benchmarks/fit_compute.py``; BENCHMARKS.md, section 14c). The steps are the
    model's (its loss, metrics, optimizer, a custom ``train_step`` too); an epoch's logs are its
    metrics' results as ``fit`` reports them; the batches are ``fit``'s (:func:`fit_order`), so
    the numbers are ``fit``'s. The traced function is kept on the model, so a model that
    ``kept_models`` keeps does not trace it again."""

    def __init__(self, model, x: np.ndarray, y: np.ndarray, order: np.ndarray):
        import tensorflow as tf

        self.model, self.order = model, order
        self.x, self.y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
        self.steps = _epoch_function(model, self.x, self.y)

    @classmethod
    def where_possible(cls, model, job: Job, x, y) -> OwnEpochs | None:
        """The loop for this fold, or None where only ``fit`` does what the job asks: other fit
        options (callbacks, class weights, ``shuffle="batch"`` ...), inputs that are not one array
        or tensor, a model run eagerly, another backend than TensorFlow."""
        import keras

        shuffle = job.fit_options.get("shuffle", True)
        if set(job.fit_options) - OWN_LOOP_FIT_OPTIONS or shuffle not in (True, False):
            return None
        if keras.backend.backend() != "tensorflow" or model.run_eagerly:
            return None
        import tensorflow as tf

        if not all(isinstance(rows, (np.ndarray, tf.Tensor)) for rows in (x, y)):
            return None
        return cls(model, x, y, fit_order(len(x), shuffle))

    def epoch(self, batch_size: int) -> FoldScores:
        self.model.reset_metrics()
        self.steps(self.x, self.y, self.order, np.int64(batch_size))
        return {name: float(value) for name, value in self.model.get_metrics_result().items()}

    def validate(self, x, y) -> FoldScores:
        """``evaluate(x, y, batch_size=VALIDATION_BATCH)``'s logs as ``val_*``: the model's own
        ``test_step`` on the rows in order, as one call (``evaluate`` builds an input pipeline of
        the rows per call, about as long as the steps themselves on this machine's CPU)."""
        self.model.reset_metrics()
        _validation_function(self.model, x, y)(x, y, np.int64(VALIDATION_BATCH))
        return {f"val_{name}": float(value) for name, value in self.model.get_metrics_result().items()}


# fit's orders this process computed, by row count and TensorFlow's global seed: nothing else
# decides one (``tests/test_fold_training.py``), and each costs a ``tf.data`` pipeline (0.05 s).
_known_orders: dict[tuple[int, int], np.ndarray] = {}
KNOWN_ORDERS = 64  # row counts x seeds kept, at most: a sweep's folds have one or two row counts


def fit_order(rows: int, shuffle: bool) -> np.ndarray:
    """The order in which Keras' ``fit`` feeds the rows of a numpy array (read-only).

    With the seed set (every trial sets it), ``fit`` draws the same permutation for every epoch and
    every call: its ``tf.data`` pipeline runs a shuffle op seeded by the global seed, anew per epoch
    (``tests/test_fold_training.py`` checks it against ``fit``'s batches; TensorFlow issue 29558 is
    the same behaviour for a dataset's ``shuffle``). Keras' own data adapter computes that
    permutation here, so the own loop trains on ``fit``'s batches and gives its numbers; a process
    computes it once per row count and seed."""
    if not shuffle:
        return np.arange(rows, dtype=np.int64)
    seed = tensorflow_seed()
    if seed is None:  # no seed: fit's order is drawn anew every time
        return _shuffled_by_keras(rows)
    if (rows, seed) not in _known_orders:
        if len(_known_orders) >= KNOWN_ORDERS:
            _known_orders.clear()
        _known_orders[rows, seed] = _shuffled_by_keras(rows)
        _known_orders[rows, seed].setflags(write=False)
    return _known_orders[rows, seed]


def _shuffled_by_keras(rows: int) -> np.ndarray:
    from keras.src.trainers.data_adapters import get_data_adapter

    adapter = get_data_adapter(np.arange(rows, dtype=np.int64), batch_size=max(rows, 1), shuffle=True)
    (order,) = adapter.get_tf_dataset().take(1)  # one batch: the whole epoch
    return np.asarray(order, dtype=np.int64)


def _epoch_function(model, x, y):
    """The model's traced epoch for inputs of this shape and type (traced once per model)."""
    import tensorflow as tf

    # An explicit while loop, not AutoGraph, as Keras' own trainer does: AutoGraph converts a loop
    # by reading this file's source, which fails where the source is gone or changed under a
    # running sweep.
    def trace():
        @tf.function(autograph=False, input_signature=[*_signature(x, y), tf.TensorSpec([None], tf.int64),
                                                       tf.TensorSpec([], tf.int64)])
        def epoch(x, y, order, batch_size):
            rows = tf.shape(order, out_type=tf.int64)[0]

            def step(start):
                batch = order[start:start + batch_size]
                model.train_step((tf.gather(x, batch), tf.gather(y, batch)))
                return (start + batch_size,)

            tf.while_loop(lambda start: start < rows, step, (tf.constant(0, tf.int64),))

        return epoch

    return _kept_on(model, "epoch", x, y, trace)


def _validation_function(model, x, y):
    """The model's traced validation for inputs of this shape and type (traced once per model)."""
    import tensorflow as tf

    def trace():
        @tf.function(autograph=False, input_signature=[*_signature(x, y), tf.TensorSpec([], tf.int64)])
        def validate(x, y, batch_size):
            rows = tf.shape(x, out_type=tf.int64)[0]

            def step(start):
                model.test_step((x[start:start + batch_size], y[start:start + batch_size]))
                return (start + batch_size,)

            tf.while_loop(lambda start: start < rows, step, (tf.constant(0, tf.int64),))

        return validate

    return _kept_on(model, "validation", x, y, trace)


def _kept_on(model, name: str, x, y, trace: Callable[[], Any]):
    """``trace()``'s function, kept on the model for inputs of this shape and type: a model that
    ``kept_models`` keeps does not trace it again."""
    key = f"{tuple(x.shape[1:])} {x.dtype.name} {tuple(y.shape[1:])} {y.dtype.name}"
    kept = getattr(model, f"_tune_jobs_{name}", None)
    if kept is None or kept[0] != key:
        kept = key, trace()
        setattr(model, f"_tune_jobs_{name}", kept)
    return kept[1]


def _signature(x, y) -> list:
    import tensorflow as tf

    return [tf.TensorSpec([None, *x.shape[1:]], x.dtype), tf.TensorSpec([None, *y.shape[1:]], y.dtype)]
