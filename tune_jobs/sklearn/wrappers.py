"""``KerasClassifier`` and ``KerasRegressor`` as the seed's notebook knew them (TensorFlow 2's
``tf.keras.wrappers.scikit_learn``, removed in Keras 3): ``build_fn`` and keyword parameters,
each routed by name to ``build_fn`` or to ``fit``/``predict``, parameters starting with ``_`` too
(scikeras, its archived successor, drops those, so the seed's ``param_grid`` runs nowhere else).

    model = KerasClassifier(build_fn=create_model, verbose=3, epochs=15)
    model.fit(x, y).predict(x)

They are ordinary scikit-learn estimators (clone, set_params, scikit-learn's own GridSearchCV);
``tune_jobs.sklearn.GridSearchCV`` trains them as Ray Tune trials, their folds in lockstep.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

# What Keras' fit would use when neither the estimator nor the grid says (keras.Model.fit's defaults).
FIT_DEFAULTS = {"batch_size": 32, "epochs": 1}


def arguments(function: Callable) -> set[str]:
    """The parameter names ``function`` takes (all of them, when it takes **kwargs: None)."""
    return set(inspect.signature(function).parameters)


def _model_methods() -> dict[str, set[str]]:
    import keras

    return {name: arguments(getattr(keras.Model, name)) - {"self", "x", "y"}
            for name in ("fit", "predict", "evaluate")}


class KerasWrapper(BaseEstimator):
    """The parameter routing both wrappers share."""

    def __init__(self, build_fn: Callable[..., Any] | None = None, **sk_params: Any):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def check_params(self, params: dict[str, Any]) -> None:
        """Each parameter must be an argument of build_fn or of Keras' fit/predict/evaluate."""
        if self.build_fn is None or not callable(self.build_fn):
            raise ValueError(f"build_fn must be a function that returns a compiled Keras model, got {self.build_fn!r}")
        legal = set().union(arguments(self.build_fn), *_model_methods().values())
        for name in params:
            if name not in legal:
                raise ValueError(f"{name} is not a legal parameter: neither an argument of "
                                 f"{getattr(self.build_fn, '__name__', 'build_fn')} nor of Keras' fit/predict")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params: Any) -> "KerasWrapper":
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def __sklearn_clone__(self):
        return type(self)(build_fn=self.build_fn, **self.sk_params)

    def routed(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The parameters that go to ``build_fn`` (method "build") or to Keras' fit/predict/evaluate."""
        params = self.sk_params if params is None else params
        names = arguments(self.build_fn) if method == "build" else _model_methods()[method]
        return {k: v for k, v in params.items() if k in names}

    def build(self, params: dict[str, Any] | None = None):
        """A compiled model of ``params`` (default: this estimator's)."""
        return self.build_fn(**self.routed("build", params))

    def _fit(self, x, y, **kwargs: Any) -> "KerasWrapper":
        self.model = self.build()
        self.history_ = self.model.fit(x, target_for(self.model, y), **{**self.routed("fit"), **kwargs}).history
        return self

    def _predict(self, x) -> np.ndarray:
        return np.asarray(self.model.predict(x, **self.routed("predict")))


class KerasClassifier(ClassifierMixin, KerasWrapper):
    """A Keras classifier as a scikit-learn estimator; ``score`` is accuracy, as scikit-learn's."""

    def fit(self, x, y, **kwargs: Any) -> "KerasClassifier":
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
            y = y.argmax(axis=1)
        else:
            self.classes_ = np.unique(y)
        self.n_classes_ = len(self.classes_)
        return self._fit(x, np.searchsorted(self.classes_, y), **kwargs)

    def predict_proba(self, x) -> np.ndarray:
        probabilities = self._predict(x)
        return np.hstack([1 - probabilities, probabilities]) if probabilities.shape[1] == 1 else probabilities

    def predict(self, x) -> np.ndarray:
        probabilities = self._predict(x)
        index = probabilities.argmax(axis=-1) if probabilities.shape[-1] > 1 else (probabilities[:, 0] > 0.5)
        return self.classes_[index.astype(int)]


class KerasRegressor(RegressorMixin, KerasWrapper):
    """A Keras regressor as a scikit-learn estimator; ``score`` is R², as scikit-learn's (Keras 2's
    wrapper returned minus the loss: pass ``scoring="neg_mean_squared_error"`` for that)."""

    def fit(self, x, y, **kwargs: Any) -> "KerasRegressor":
        return self._fit(x, np.asarray(y), **kwargs)

    def predict(self, x) -> np.ndarray:
        predictions = self._predict(x)
        return predictions[:, 0] if predictions.ndim == 2 and predictions.shape[1] == 1 else predictions


def target_for(model, y: np.ndarray) -> np.ndarray:
    """Class indices one-hot for a model compiled with ``categorical_crossentropy`` (Keras 2's
    wrapper did the same), as they are otherwise."""
    loss = getattr(model, "loss", None)
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    if str(name).lower() in ("categorical_crossentropy", "categoricalcrossentropy") and y.ndim == 1:
        import keras

        width = getattr(model, "output_shape", (None,))[-1]
        return keras.utils.to_categorical(y, width)
    return y
