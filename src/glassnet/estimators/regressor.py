"""`NeuralNetRegressor`: one linear output per target column on `BaseNeuralNet`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .._typing import Array
from ..errors import GlassnetError
from ..losses import MeanSquaredError
from ._base import BaseNeuralNet

__all__ = ["NeuralNetRegressor"]


class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    """A multi-layer perceptron regressor with scikit-learn's API, trained by glassnet.

    A linear output layer trained with `MeanSquaredError`; one output per target column.
    Parameters and attributes are those of `NeuralNetClassifier` (without `classes_`), plus:

    Parameters
    ----------
    normalize_y : bool, default True
        Train on standardized targets, (y − mean) / std, and map predictions back. Unlike
        scikit-learn's `MLPRegressor` (which has no such option), this makes the defaults work
        on targets far from unit scale: with raw targets around 150, as in `load_diabetes`,
        200 Adam epochs at learning rate 1e-3 cannot even reach the mean. With `partial_fit`,
        the mean and std come from the first call's data. `alpha` and ``loss_curve_`` then
        refer to the standardized targets.

    Attributes
    ----------
    loss_curve_ : list of float
        scikit-learn's objective, ½·mean squared error + L2 penalty, after each epoch.
    validation_scores_ : list of float or None
        Validation R² per epoch when `early_stopping`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = NeuralNetRegressor((32,), learning_rate_init=0.01, random_state=0)
    >>> reg.fit(X, 2 * X[:, 0] + 1).score(X, 2 * X[:, 0] + 1) > 0.95
    True
    """

    _stratify = False

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        tol: float = 1e-4,
        verbose: int | bool = 0,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        dtype: str | type = "float64",
        normalize_y: bool = True,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            dropout=dropout,
            dtype=dtype,
        )
        self.normalize_y = normalize_y

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one linear output per target column
        return tags

    def _set_targets(self, y: Array, *, classes: Any, incremental: bool) -> None:
        k = 1 if y.ndim == 1 else y.shape[1]
        self._n_outputs, self._loss = k, MeanSquaredError()
        # glassnet's MSE = mean((ŷ − y)²) has gradient 2(ŷ − y)/(n·k); scikit-learn's
        # ½·mean((ŷ − y)²) is optimised with gradient (ŷ − y)/n
        self._grad_ratio, self._loss_scale = 2.0 / k, 0.5
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), k)
        if self.normalize_y:
            std = y2.std(axis=0)
            self._y_mean, self._y_scale = y2.mean(axis=0), np.where(std > 0, std, 1.0)
        else:
            self._y_mean, self._y_scale = np.zeros(k), np.ones(k)

    def _encode(self, y: Array, *, first: bool) -> Array:
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if y2.shape[1] != self._n_outputs:
            raise GlassnetError(
                f"y has {y2.shape[1]} target columns, but the network has {self._n_outputs}"
            )
        return np.asarray((y2 - self._y_mean) / self._y_scale, dtype=self._np_dtype())

    def _score_encoded(self, X: Array, y: Array) -> float:
        return float(r2_score(y, self.network_.predict(X)))

    def predict(self, X: Any) -> Array:
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for one target, else (n_samples, n_targets)
        """
        out = self._raw_predict(X)
        out = (out * self._y_scale + self._y_mean).astype(out.dtype, copy=False)
        return out[:, 0] if out.shape[1] == 1 else out

    def _targets_state(self) -> dict[str, Any]:
        return {"n_outputs": self._n_outputs}

    def _targets_arrays(self) -> dict[str, Array]:
        return {"estimator.y_mean": self._y_mean, "estimator.y_scale": self._y_scale}

    def _restore_targets(self, state: dict[str, Any], extras: dict[str, Array]) -> None:
        k = state["n_outputs"]
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise GlassnetError(f"field 'targets.n_outputs' is {k!r:.40}, expected an int >= 1")
        if k != self.network_.n_outputs:
            raise GlassnetError(
                f"field 'targets.n_outputs' is {k}, but the network has {self.network_.n_outputs}"
            )
        self._set_targets(np.zeros((1, k)), classes=None, incremental=False)
        self._y_mean = np.asarray(extras["estimator.y_mean"], dtype=np.float64)
        self._y_scale = np.asarray(extras["estimator.y_scale"], dtype=np.float64)
        for name, value in (("y_mean", self._y_mean), ("y_scale", self._y_scale)):
            if value.shape != (k,) or not np.isfinite(value).all():
                raise GlassnetError(
                    f"field '{name}' has shape {value.shape} or holds NaN or infinity; "
                    f"expected {k} finite numbers"
                )
        if not (self._y_scale > 0).all():
            raise GlassnetError("field 'y_scale' must hold numbers > 0 (standard deviations)")
        if not self.normalize_y and ((self._y_mean != 0).any() or (self._y_scale != 1).any()):
            raise GlassnetError(
                "fields 'y_mean' and 'y_scale' must be 0 and 1 with normalize_y=False"
            )
