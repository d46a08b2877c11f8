import numpy as np

from tune_jobs.jobs.folds import fold_indices, stratified_subset

Y = np.repeat(np.arange(10), 30)  # 300 labels, 30 per class


def test_every_sample_validates_exactly_once_and_folds_are_stratified():
    folds = fold_indices(Y, 3, seed=0)
    assert len(folds) == 3
    validation = np.concatenate([va for _, va in folds])
    assert sorted(validation) == list(range(len(Y)))
    for train, val in folds:
        assert not set(train) & set(val)
        assert np.bincount(Y[val]).tolist() == [10] * 10


def test_folds_are_seeded():
    same = [np.array_equal(a[1], b[1]) for a, b in zip(fold_indices(Y, 3, 7), fold_indices(Y, 3, 7))]
    other = [np.array_equal(a[1], b[1]) for a, b in zip(fold_indices(Y, 3, 7), fold_indices(Y, 3, 8))]
    assert all(same) and not all(other)


def test_stratified_subset_keeps_the_class_balance():
    keep = stratified_subset(Y, 100, seed=0)
    assert len(keep) == 100 and len(set(keep)) == 100
    assert np.bincount(Y[keep]).tolist() == [10] * 10
    assert list(stratified_subset(Y, None, 0)) == list(range(300))
    assert list(stratified_subset(Y, 1000, 0)) == list(range(300))
