"""A trial process keeps the folds it made: a later trial on the same data and the same folds takes
them as they are, and scores exactly as a trial that made its own."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tune_jobs.engine import kept_folds, kept_models
from tune_jobs.engine.trainable import train_folds
from tune_jobs.jobs.fashion_mlp import JOB
from trial_process import CONFIG

pytestmark = pytest.mark.usefixtures("nothing_kept")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((90, 28, 28), dtype=np.float32), np.arange(90) % 10


def test_the_same_data_and_folds_are_made_once_and_other_ones_anew(data):
    x, y = data
    indices = JOB.splits(y, 3, 0)
    first = kept_folds.folds(x, y, indices)
    for (x_train, y_train, x_val, y_val), (train, val) in zip(first, indices, strict=True):
        assert all(isinstance(part, tf.Tensor) for part in (x_train, y_train, x_val, y_val))  # copied once
        np.testing.assert_array_equal(x_train.numpy(), x[train])
        np.testing.assert_array_equal(y_train.numpy(), y[train])
        np.testing.assert_array_equal(x_val.numpy(), x[val])
        np.testing.assert_array_equal(y_val.numpy(), y[val])
    assert kept_folds.folds(x, y, JOB.splits(y, 3, 0)) is first  # the folds made again: the same rows
    other_folds = kept_folds.folds(x, y, JOB.splits(y, 3, 1))
    assert other_folds is not first
    copy = kept_folds.folds(x.copy(), y, JOB.splits(y, 3, 1))  # equal values elsewhere: other data
    assert copy is not other_folds
    assert kept_folds.folds(x, y, indices) is not first  # one entry: the first folds went


def test_nothing_is_kept_where_the_environment_says_so(data, monkeypatch):
    monkeypatch.setenv(kept_folds.SWITCH, "0")
    x, y = data
    assert kept_folds.folds(x, y, JOB.splits(y, 3, 0)) is not kept_folds.folds(x, y, JOB.splits(y, 3, 0))


def test_a_trial_on_kept_folds_scores_as_one_that_made_its_own(data, monkeypatch):
    """The folds' rows as tensors kept from the trial before, or arrays sliced anew: the same numbers."""
    x, y = data

    def trial() -> list[dict]:
        kept_models.forget()
        seen: list[dict] = []
        train_folds(CONFIG, JOB, {"x_train": x, "y_train": y}, cv=3, seed=0, threads=1, node="here",
                    report=seen.append)
        return [{k: v for k, v in result.items() if not k.endswith("_s")} for result in seen]

    first = trial()
    made = kept_folds._kept[2]
    assert trial() == first and kept_folds._kept[2] is made  # the second trial took the first one's folds
    monkeypatch.setenv(kept_folds.SWITCH, "0")
    kept_folds.forget()
    assert trial() == first and kept_folds._kept is None


def test_a_warm_up_makes_the_folds_a_trial_of_that_data_then_takes(data, monkeypatch):
    """``ready_for_folds`` (what a comparison's warm-up runs in each trial process) makes the folds
    that the trials of a sweep on that data, with those folds, take as they are."""
    from tune_jobs.engine.trainable import ready_for_folds

    x, y = data
    ready_for_folds(JOB, {"x_train": x, "y_train": y}, cv=3, seed=0, threads=1)
    made = []
    copy = kept_folds._tensor
    monkeypatch.setattr(kept_folds, "_tensor", lambda rows: made.append(1) or copy(rows))
    seen = []
    train_folds(CONFIG, JOB, {"x_train": x, "y_train": y}, cv=3, seed=0, threads=1, node="here", report=seen.append)
    assert seen and made == []
    train_folds(CONFIG, JOB, {"x_train": x, "y_train": y}, cv=3, seed=1, threads=1, node="here", report=seen.append)
    assert len(made) == 12  # other folds (another seed): 3 folds x 4 arrays made
