"""The folds of a trial fused into one Keras model: ``benchmarks/fused_folds.py``'s probe.

k copies of the job's network side by side in one Keras model, each with its own weights (as its
own model would start) and optimizer state, each step feeding every copy a batch of its own fold;
one ``fit`` for every epoch, all folds validated in one pass. Issue 13 proposed it; against the
folds taking turns by the own epoch loop it took 1.27x their time at 2 threads (BENCHMARKS.md,
section 14c), so tune-jobs does not train this way. It stays here so that the figure can be run
again; it suits models a fused copy computes as the model alone would (the seed's MLP: one input
and output, Keras' own steps, an optimizer that does not couple variables, no fit options).
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

import numpy as np

from tune_jobs.engine.fold_training import (VALIDATION_BATCH, FoldScores, OnEpoch, Split, check_finite,
                                            compile_arguments)
from tune_jobs.jobs.base import Job


def fused_compile_arguments(compiled: Mapping[str, Any], outputs: int) -> dict[str, Any]:
    """``compile`` arguments for ``outputs`` fused copies: a fresh loss and metrics per output, the
    metrics weighted ones so that rows padding a shorter fold's validation set (weight 0) do not
    count. The optimizer's state is per variable, so one optimizer keeps each copy's own."""
    copies = [compile_arguments(compiled) for _ in range(outputs)]
    return {**copies[0], "loss": [c["loss"] for c in copies], "metrics": None,
            "weighted_metrics": [c.get("metrics") or [] for c in copies]}


class FusedFolds:
    def __init__(self, job: Job, models: list, splits: list[Split]):
        import keras

        if job.scorer or job.fit_options:
            raise ValueError(f"job {job.name}: a fused copy does not apply its own scorer or fit options")
        self.models, self.k = models, len(models)
        inputs = [keras.Input(shape=models[0].inputs[0].shape[1:], name=f"x{i}") for i in range(self.k)]
        outputs = [keras.layers.Identity(name=f"fold{i}")(m(x)) for i, (m, x) in enumerate(zip(models, inputs))]
        self.model = keras.Model(inputs, outputs)
        self.model.compile(**fused_compile_arguments(models[0].get_compile_config(), self.k))
        self.x, self.y = _padded([s[0] for s in splits]), _padded([s[1] for s in splits])
        self.val_x, self.val_y = _padded([s[2] for s in splits]), _padded([s[3] for s in splits])
        self.val_weight = _weights([len(s[2]) for s in splits])

    def train(self, epochs: Sequence[int], batch_size: int, on_epoch: OnEpoch) -> None:
        """As ``TakingTurns.train``: every fold up to the last of ``epochs``, validated after each
        of them; a step trains all folds, so each fold's ``fit_s`` is an equal share."""
        import keras

        trainer, reported = self, set(epochs)

        class EachEpoch(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.began = time.monotonic()

            def on_epoch_end(self, epoch, logs=None):
                scores = [{name: logs[f"fold{i}_{name}"] for name in _fold_names(logs, i)} for i in range(trainer.k)]
                for fold in scores:
                    check_finite(fold, epoch + 1)
                if epoch + 1 in reported:
                    fit_s = (time.monotonic() - self.began) / trainer.k
                    trainer._validate(scores)
                    for fold in scores:
                        fold["fit_s"] = fit_s
                    on_epoch(epoch + 1, scores)
                    self.began = time.monotonic()

        self.model.fit(self.x, self.y, batch_size=batch_size, epochs=max(epochs), verbose=0, callbacks=[EachEpoch()])

    def _validate(self, scores: list[FoldScores]) -> None:
        began = time.monotonic()
        logs = self.model.evaluate(self.val_x, self.val_y, sample_weight=self.val_weight,
                                   batch_size=VALIDATION_BATCH, verbose=0, return_dict=True)
        for fold in range(self.k):
            scores[fold].update({f"val_{name}": logs[f"fold{fold}_{name}"] for name in _fold_names(logs, fold)})
            scores[fold]["score_s"] = (time.monotonic() - began) / self.k


def _fold_names(logs: Mapping[str, float], fold: int) -> list[str]:
    prefix = f"fold{fold}_"
    return [name[len(prefix):] for name in logs if name.startswith(prefix)]


def _padded(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Folds of unequal length (at most a few rows) made equal for one ``fit``: a shorter fold
    repeats its own first rows, so that it still sees only its own data."""
    longest = max(len(a) for a in arrays)
    return [a if len(a) == longest else np.concatenate([a, a[:longest - len(a)]]) for a in arrays]


def _weights(lengths: list[int]) -> list[np.ndarray] | None:
    """Validation weights: 1 for a fold's own rows, 0 for the rows that pad it (None: none padded)."""
    longest = max(lengths)
    if all(n == longest for n in lengths):
        return None
    return [np.concatenate([np.ones(n, "float32"), np.zeros(longest - n, "float32")]) for n in lengths]
