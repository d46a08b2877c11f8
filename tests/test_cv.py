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


def test_cv_1_holds_out_a_fifth_stratified_or_shuffled_and_seeded():
    from tune_jobs.jobs.folds import HOLDOUT, kfold_indices, too_small

    for split, stratified in ((fold_indices, True), (kfold_indices, False)):
        [(train, val)] = split(Y, 1, 0)
        assert len(val) == len(Y) * HOLDOUT and sorted([*train, *val]) == list(range(len(Y)))
        assert list(train) == sorted(train) and list(val) == sorted(val)
        if stratified:
            assert np.bincount(Y[val]).tolist() == [6] * 10
        assert np.array_equal(split(Y, 1, 0)[0][1], val) and not np.array_equal(split(Y, 1, 1)[0][1], val)
    assert too_small(Y, 1, "stratified") is None
    assert "fewer than the 2 a held-out split needs" in too_small(np.array([0, 0, 1]), 1, "stratified")
    assert "1 training samples are fewer than the 2 a held-out split needs" in too_small(np.array([0.5]), 1, "kfold")
    ten_classes = np.repeat(np.arange(10), 3)  # 30 samples: 6 held out, fewer than the 10 classes
    assert "leaves 6 and 24, and a stratified split needs each of the 10 classes on both sides" in \
        too_small(ten_classes, 1, "stratified")
    assert too_small(np.repeat(np.arange(10), 5), 1, "stratified") is None  # 10 held out: one of each
    [(train, val)] = fold_indices(np.repeat(np.arange(10), 5), 1, 0)
    assert len(val) == 10
