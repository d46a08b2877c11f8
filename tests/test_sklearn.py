"""tune_jobs.sklearn: the seed's notebook cells with only the imports changed, scikit-learn's results,
agreement with scikit-learn's GridSearchCV + scikeras on the same folds, and the searching sibling."""

from __future__ import annotations

import numpy as np
import pytest

from tune_jobs.errors import BadInput
from tune_jobs.sklearn import GridSearchCV, KerasClassifier, KerasRegressor, TuneSearchCV
from tune_jobs.sklearn.codec import Codec
from tune_jobs.sklearn.cv_results import ranks
from tune_jobs.sklearn.search import _entry


# The seed's cells, verbatim but for the imports: `''` is the seed's placeholder when there is no
# batch normalization, which Keras 3's Sequential refuses.
def create_model(_optimizer, _lr, _batch_norm, _activation, _dropout):
    import keras

    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=[28, 28]),
        keras.layers.BatchNormalization() if _batch_norm else '',
        keras.layers.Dropout(_dropout),
        keras.layers.Dense(128, activation=_activation),
        keras.layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer=_optimizer(learning_rate=_lr), loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model


def fixed_model(_optimizer, _lr, _batch_norm, _activation, _dropout):
    """The README's one-line fix: keras.layers.Identity() in place of ''."""
    import keras

    model = keras.models.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.BatchNormalization() if _batch_norm else keras.layers.Identity(),
        keras.layers.Dropout(_dropout),
        keras.layers.Dense(128, activation=_activation),
        keras.layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer=_optimizer(learning_rate=_lr), loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model


def seed_grid(**changes):
    import keras

    grid = {'_activation': ['relu', 'swish'], '_batch_norm': [1, 0], '_dropout': [0.2], '_lr': [0.01],
            '_optimizer': [keras.optimizers.Adam], 'batch_size': [128], 'epochs': [2]}
    return {**grid, **changes}


@pytest.fixture(scope="module")
def images(real_data_dir):
    from tune_jobs.jobs.fashion_data import load_fashion_mnist

    data = load_fashion_mnist(real_data_dir)
    return data.x_train[:900], data.y_train[:900], data.x_test[:300], data.y_test[:300]


# --- units: values, ranks, wrappers, distributions ---

def test_a_grid_of_objects_travels_as_labels_and_comes_back_the_same_objects():
    class Adam:
        pass
    other_adam = type("Adam", (), {})
    codec = Codec.of({"opt": [Adam, other_adam, None], "lr": [0.01, np.float64(0.1)], "act": ["relu"]})
    assert codec.space_values("opt") == ["Adam", "Adam#", "None"]
    assert codec.space_values("lr") == [0.01, 0.1]
    config = {"opt": "Adam#", "lr": 0.1, "act": "relu", "epochs": 3}
    assert codec.decode(config) == {"opt": other_adam, "lr": 0.1, "act": "relu"}  # epochs is not searched
    assert codec.encode("opt", None) == "None" and codec.encode("opt", Adam) == "Adam"


def test_ranks_follow_scikit_learn_ties_share_the_lowest_and_nan_is_last():
    assert ranks(np.array([0.5, np.nan, 0.7, 0.5])).tolist() == [2, 4, 1, 2]
    assert ranks(np.array([np.nan, np.nan])).tolist() == [1, 1]


def test_the_wrapper_routes_by_signature_clones_and_refuses_unknown_parameters():
    from sklearn.base import clone

    model = KerasClassifier(build_fn=create_model, verbose=3, _lr=0.01)
    assert model.get_params()["_lr"] == 0.01 and model.get_params()["build_fn"] is create_model
    copy = clone(model).set_params(_activation="relu", epochs=2)
    assert copy.routed("build") == {"_lr": 0.01, "_activation": "relu"}
    assert copy.routed("fit") == {"verbose": 3, "epochs": 2}
    assert model.get_params() == {"verbose": 3, "_lr": 0.01, "build_fn": create_model}  # the clone is apart
    with pytest.raises(ValueError, match="_units is not a legal parameter"):
        KerasClassifier(build_fn=create_model, _units=3)


def test_a_fold_is_scored_by_the_candidate_with_its_own_parameters_as_scikit_learn_scores_it():
    """scikit-learn scores a fitted clone of the estimator with the candidate's parameters set, so
    its ``predict`` takes the candidate's batch size (the seed searches ``batch_size``), not the base
    estimator's: the drop-in scored at Keras' default 32 where scikeras predicted at 512."""
    from sklearn.metrics import accuracy_score, get_scorer

    from tune_jobs.sklearn.estimator_job import estimator_job

    grid = seed_grid(batch_size=[64, 256])
    codec = Codec.of(grid)
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 28, 28), dtype=np.float32), np.arange(60) % 10
    seen = []

    def scorer(estimator, x, y):
        seen.append(estimator.get_params()["batch_size"])
        return get_scorer("accuracy")(estimator, x, y)

    base = KerasClassifier(build_fn=fixed_model, batch_size=32, verbose=0)
    job = estimator_job(base, codec, x, y, [(np.arange(30), np.arange(30, 60))], scorer, "candidate-params")
    config = {name: codec.encode(name, values[-1]) for name, values in grid.items()}
    model = job.model(config)
    score = job.scorer_for(config)(model, x[30:], y[30:])
    assert seen == [256] and base.get_params()["batch_size"] == 32
    assert score == accuracy_score(y[30:], model.predict(x[30:], verbose=0).argmax(axis=1))


def test_distributions_become_space_ranges_and_bad_ones_are_refused():
    from scipy import stats

    assert _entry(stats.uniform(0.1, 0.4), "d") == {"uniform": [0.1, 0.5]}
    assert _entry(stats.loguniform(1e-4, 1e-1), "lr") == {"loguniform": [1e-4, 1e-1]}
    assert _entry(stats.randint(1, 5), "n") == {"int": [1, 4]}
    assert _entry((8, 16), "units") == [8, 16]
    with pytest.raises(BadInput, match=r"scipy.stats.norm is not supported"):
        _entry(stats.norm(0, 1), "x")
    with pytest.raises(BadInput, match=r"param_distributions\['x'\]: \[\] is empty"):
        _entry([], "x")


def test_bad_searches_are_refused_before_ray_starts(tmp_path):
    x, y = np.zeros((30, 28, 28), np.float32), np.arange(30) % 3
    model = KerasClassifier(build_fn=fixed_model)
    with pytest.raises(BadInput, match="a list of several grids is not supported"):
        GridSearchCV(model, [seed_grid(), seed_grid()], out=str(tmp_path)).fit(x, y)
    with pytest.raises(BadInput, match="search='bayes' must be one of random, optuna"):
        TuneSearchCV(model, {"_lr": [0.1]}, search="bayes", out=str(tmp_path)).fit(x, y)
    with pytest.raises(BadInput, match="return_train_score=True is not supported"):
        GridSearchCV(model, seed_grid(), return_train_score=True, out=str(tmp_path)).fit(x, y)
    with pytest.raises(BadInput, match=r"param_grid\['_lr'\]: 0.1 must be a list"):
        GridSearchCV(model, seed_grid(_lr=0.1), out=str(tmp_path)).fit(x, y)
    assert not any(tmp_path.iterdir())  # nothing written


# --- integration: real Ray, real Keras, real Fashion-MNIST ---

@pytest.mark.integration
def test_the_seeds_cells_run_with_only_the_imports_changed(images, shared_ray, tmp_path, monkeypatch):
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection import GridSearchCV as SklearnGridSearchCV

    from tune_jobs.records.runs import load_run

    monkeypatch.chdir(tmp_path)
    train_images, train_labels, test_images, test_labels = images
    param_grid = seed_grid()
    # The seed's cell, as it was:
    model = KerasClassifier(build_fn=create_model, verbose=3)
    grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=3)
    with pytest.warns(FitFailedWarning, match="Only instances of `keras.Layer` can be added"):
        grid_result = grid.fit(train_images, train_labels)
    assert set(grid_result.best_params_) == set(param_grid)
    assert grid_result.best_params_["_batch_norm"] == 1  # the '' candidates failed
    assert grid_result.best_score_ == np.nanmax(grid.cv_results_["mean_test_score"]) > 0.4

    # cv_results_ has exactly the keys scikit-learn's GridSearchCV gives the same grid.
    expected = sklearn_keys(SklearnGridSearchCV, param_grid, train_labels)
    assert set(grid.cv_results_) == expected
    failed = np.array([p["_batch_norm"] == 0 for p in grid.cv_results_["params"]])
    assert np.isnan(grid.cv_results_["mean_test_score"][failed]).all()
    assert (grid.cv_results_["rank_test_score"][failed] == 3).all()
    assert np.isfinite(grid.cv_results_["split2_test_score"][~failed]).all()
    assert (grid.cv_results_["mean_fit_time"][~failed] > 0).all()
    import pandas as pd

    assert len(pd.DataFrame(grid.cv_results_)) == 4

    # refit=True: the best candidate trained on everything, as scikit-learn does (16 steps of an
    # unseeded model: well above chance, 0.1, but not always above 0.4; once 0.35)
    assert grid.score(test_images, test_labels) > 0.25
    assert set(grid.predict(test_images[:20])) <= set(range(10))
    assert grid.predict_proba(test_images[:3]).shape == (3, 10)

    # An ordinary run directory: the report reads it.
    run = load_run(grid.run_dir_)
    assert len(run.rows) == 4 and sum(r["status"] == "failed" for r in run.rows) == 2


def sklearn_keys(search_class, param_grid, y):
    """The keys scikit-learn's own search gives ``param_grid``, from a fast stand-in estimator."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class StandIn(ClassifierMixin, BaseEstimator):
        def __init__(self, _optimizer=None, _lr=None, _batch_norm=None, _activation=None, _dropout=None,
                     batch_size=None, epochs=None):
            self._optimizer, self._lr, self._batch_norm = _optimizer, _lr, _batch_norm
            self._activation, self._dropout, self.batch_size, self.epochs = _activation, _dropout, batch_size, epochs

        def fit(self, x, y):
            self.classes_ = np.unique(y)
            return self

        def predict(self, x):
            return np.zeros(len(x), dtype=int)

    x = np.zeros((len(y), 1))
    return set(search_class(StandIn(), param_grid, cv=3).fit(x, y).cv_results_)


@pytest.mark.integration
def test_error_score_raise_stops_with_the_trials_error(images, shared_ray, tmp_path):
    x, y, _, _ = images
    grid = GridSearchCV(KerasClassifier(build_fn=create_model), seed_grid(_activation=["relu"]), cv=3,
                        error_score="raise", out=str(tmp_path))
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        grid.fit(x, y)


@pytest.mark.integration
def test_scores_agree_with_scikit_learn_and_scikeras_on_the_same_folds(images, shared_ray, tmp_path):
    """Per candidate, within fold noise: scikeras drops parameters that start with ``_``, so its
    model function takes the same parameters under scikeras' ``model__`` names."""
    from scikeras.wrappers import KerasClassifier as ScikerasClassifier
    from sklearn.model_selection import GridSearchCV as SklearnGridSearchCV

    x, y, _, _ = images
    param_grid = seed_grid(_batch_norm=[1], _activation=["relu", "swish"], _lr=[0.001, 0.01], epochs=[3])
    ours = GridSearchCV(KerasClassifier(build_fn=fixed_model), param_grid, cv=3, refit=False,
                        out=str(tmp_path)).fit(x, y)

    def scikeras_model(optimizer, lr, batch_norm, activation, dropout):
        return fixed_model(optimizer, lr, batch_norm, activation, dropout)

    renamed = {(f"model__{k[1:]}" if k.startswith("_") else k): v for k, v in param_grid.items()}
    first = {k: v[0] for k, v in renamed.items()}
    theirs = SklearnGridSearchCV(ScikerasClassifier(model=scikeras_model, verbose=0, random_state=0, **first),
                                 renamed, cv=3, refit=False, n_jobs=1).fit(x, y)
    ours_scores = {key(p): s for p, s in zip(ours.cv_results_["params"], ours.cv_results_["mean_test_score"])}
    for params, mean, std in zip(theirs.cv_results_["params"], theirs.cv_results_["mean_test_score"],
                                 theirs.cv_results_["std_test_score"]):
        ours_mean = ours_scores[key({(f"_{k[7:]}" if k.startswith("model__") else k): v for k, v in params.items()})]
        assert abs(ours_mean - mean) <= max(0.06, 3 * std), (params, ours_mean, mean, std)


def key(params):
    return tuple(sorted((k, getattr(v, "__name__", v)) for k, v in params.items()))


def linear_data(n=300):
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, (n, 1)).astype("float32")
    return x, (3 * x[:, 0] + 4 + rng.normal(0, 1, n)).astype("float32")


def regressor(_lr, units):
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(_lr), loss="mse")
    return model


@pytest.mark.integration
def test_the_searching_sibling_samples_with_optuna_and_stops_early(shared_ray, tmp_path):
    from scipy import stats

    x, y = linear_data()
    search = TuneSearchCV(KerasRegressor(build_fn=regressor, epochs=6, batch_size=32),
                          {"_lr": stats.loguniform(1e-3, 1e-1), "units": [8, 16]}, n_trials=4, search="optuna",
                          early_stopping=True, scoring="neg_mean_squared_error", cv=3, random_state=1,
                          out=str(tmp_path))
    search.fit(x, y)
    results = search.cv_results_
    assert len(results["params"]) == 4 and {"param__lr", "param_units", "split2_test_score"} <= set(results)
    assert 1e-3 <= search.best_params_["_lr"] <= 1e-1 and search.best_params_["units"] in (8, 16)
    assert search.best_score_ == max(results["mean_test_score"]) < 0  # minus an MSE
    assert search.predict(x[:5]).shape == (5,)


@pytest.mark.integration
def test_a_time_budget_ends_the_search_with_the_candidates_that_ran(shared_ray, tmp_path, capfd):
    """tune-sklearn's time_budget_s, a timedelta too: far more trials are asked for than the budget
    holds; the search ends by then, and its candidates are the trials that ran. A budget that ends
    before any trial reports is a clear error, not an empty search."""
    import json
    from datetime import timedelta

    from scipy import stats
    from sklearn.linear_model import Ridge

    x, y = linear_data(90)
    # A trial's first report can come more than 12 s after the start on a loaded machine (a CI
    # run's did not; 10.8 s for two trials on an idle one): a budget that ends before any trial
    # reports is the error tested below, so the search runs again with twice the budget, up to 48 s.
    budgets = (12, 24, 48)
    for budget in budgets:
        search = TuneSearchCV(Ridge(), {"alpha": stats.loguniform(1e-3, 1e3)},  # an endless space
                              n_trials=100_000, time_budget_s=timedelta(seconds=budget), cv=3, random_state=0,
                              out=str(tmp_path))
        try:
            search.fit(x, y)
            break
        except ValueError as error:
            if budget == budgets[-1] or "no candidate was scored" not in str(error):
                raise
    ran = len(search.cv_results_["params"])
    assert 1 <= ran < 100_000 and len(search.cv_results_["mean_test_score"]) == ran
    summary = json.loads((search.run_dir_ / "summary.json").read_text())
    assert summary["finished"] and summary["n_trials"] == ran
    assert f"the time budget of {budget} s ran out" in capfd.readouterr().out
    assert 1e-3 <= search.best_params_["alpha"] <= 1e3 and search.predict(x[:3]).shape == (3,)

    none_ran = TuneSearchCV(Ridge(), {"alpha": stats.loguniform(1e-3, 1e3)}, n_trials=10, time_budget_s=0.001,
                            cv=3, out=str(tmp_path))
    with pytest.raises(ValueError, match=r"no candidate was scored within time_budget_s=0\.001 \(run directory "):
        none_ran.fit(x, y)
    assert not hasattr(none_ran, "best_params_")


@pytest.mark.integration
def test_any_estimator_runs_as_trials_keras_3s_own_wrapper_too(shared_ray, tmp_path):
    import keras

    def model_fn(X, y, units=8):
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model

    x, y = linear_data(150)
    estimator = keras.wrappers.SKLearnRegressor(model=model_fn, fit_kwargs={"epochs": 2, "verbose": 0})
    grid = GridSearchCV(estimator, {"model_kwargs": [{"units": 4}, {"units": 8}]}, cv=3, out=str(tmp_path))
    grid.fit(x, y)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_params_["model_kwargs"] in ({"units": 4}, {"units": 8})
    assert grid.predict(x[:4]).shape[0] == 4
