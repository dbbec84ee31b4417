"""`NeuralNetRegressor`: one linear output per target column on `BaseNeuralNet`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .._typing import Array
from ..errors import DataError, GlassnetError
from ..losses import MeanSquaredError, Poisson
from ..validation import one_of
from ._base import BaseNeuralNet

__all__ = ["NeuralNetRegressor"]

#: the `loss` parameter's choices, as scikit-learn's MLPRegressor names them
LOSS_CHOICES = ("squared_error", "poisson")


def _power_above(top: Any) -> Any:
    """The least power of two ≥ `top` (elementwise; 1 where `top` is 0; at most 2¹⁰²³, the
    largest there is): dividing by it is exact, so the quotients' sums of squares give the same
    bits as the values' would, without overflowing."""
    return np.ldexp(1.0, np.minimum(np.frexp(np.where(top > 0, top, 1.0))[1], 1023))


class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    """A multi-layer perceptron regressor with scikit-learn's API, trained by glassnet.

    A linear output layer trained with `MeanSquaredError` (or, with ``loss="poisson"``, the
    `Poisson` loss on log-means); one output per target column. Parameters and attributes are
    those of `NeuralNetClassifier` (without `classes_`), plus:

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default "squared_error"
        As scikit-learn's `MLPRegressor`: "squared_error" is half the mean squared error;
        "poisson" is half the Poisson deviance with a log link (``out_activation_`` "exp": the
        network's outputs are log-means, predictions their exponential). Poisson targets are
        counts or rates, y ≥ 0 with a positive sum (an all-zero y has no finite optimum); they
        are never standardized: `normalize_y` is ignored, since the log link already sets the
        scale (scikit-learn trains on y as given, too).
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
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        power_t: float = 0.5,
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
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        dropout: float = 0.0,
        dtype: str | type | None = None,
        normalize_y: bool = True,
        loss: str = "squared_error",
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
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
            max_fun=max_fun,
            dropout=dropout,
            dtype=dtype,
        )
        self.normalize_y = normalize_y
        self.loss = loss

    _out_activation = "identity"

    def _check_params(self) -> None:
        super()._check_params()
        one_of(self.loss, "loss", LOSS_CHOICES)

    def _standardizes(self) -> bool:
        """Whether targets are standardized: with `normalize_y`, and never for Poisson."""
        return bool(self.normalize_y) and self.loss != "poisson"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one linear output per target column
        return tags

    def _set_targets(self, y: Array, *, classes: Any, incremental: bool) -> None:
        k = 1 if y.ndim == 1 else y.shape[1]
        poisson = self.loss == "poisson"
        self._n_outputs = k
        self._loss = Poisson() if poisson else MeanSquaredError()
        self._out_activation = "exp" if poisson else "identity"
        # glassnet's MSE = mean((ŷ − y)²) has gradient 2(ŷ − y)/(n·k); scikit-learn's
        # ½·mean((ŷ − y)²) is optimised with gradient (ŷ − y)/n. Its Poisson loss sums the k
        # columns' mean half-deviances, gradient (μ − y)/n; glassnet's means them, (μ − y)/(n·k)
        self._grad_ratio, self._loss_scale = (1.0 / k, float(k)) if poisson else (2.0 / k, 0.5)
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), k)
        self._check_range(y2)
        if self._standardizes():
            # mean and std of y / 2^e, 2^e ≥ max |y|, times 2^e: the same bits as y.mean() and
            # y.std() (a power of two scales exactly), but Σ y² no longer overflows for |y|
            # above ~1e154
            power = _power_above(np.abs(y2).max(axis=0))
            std = (y2 / power).std(axis=0) * power
            self._y_mean = (y2 / power).mean(axis=0) * power
            self._y_scale = np.where(std > 0, std, 1.0)
        else:
            self._y_mean, self._y_scale = np.zeros(k), np.ones(k)
        self._set_loss_scale()

    def _set_loss_scale(self) -> None:
        """scikit-learn's loss on the scale of y per unit of glassnet's MSE on the standardized
        targets: ½ (its ½·mean) times the mean of the columns' variances — exact for one target
        or columns of one scale; with unequal scales, exact when the standardized errors are
        spread evenly over the columns. Capped at the float64 range (targets beyond ~1e154).
        For Poisson, k: scikit-learn sums the columns' mean half-deviances, glassnet means them."""
        if self.loss == "poisson":
            self._loss_scale = float(self._n_outputs)
            return
        with np.errstate(over="ignore"):
            scale = 0.5 * float(np.mean(self._y_scale**2))
        self._loss_scale = min(scale, float(np.finfo(np.float64).max) / 1e4)

    def _weigh_targets(self, y: Array, sample_weight: Array) -> None:
        """With `normalize_y`, the weighted mean and standard deviation of y: a sample of weight
        2 counts as that sample twice, as in scikit-learn's weighted fit."""
        if not self._standardizes():
            return
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), self._n_outputs)
        power = _power_above(np.abs(y2).max(axis=0))  # as in `_set_targets`: Σ y² stays finite
        z = y2 / power
        mean = np.average(z, axis=0, weights=sample_weight)
        std = np.sqrt(np.average((z - mean) ** 2, axis=0, weights=sample_weight)) * power
        self._y_mean = mean * power
        self._y_scale = np.where(std > 0, std, 1.0)

    def _check_range(self, y: Array) -> None:
        """Refuse targets whose predictions could not be represented in the network's dtype."""
        dtype = self._np_dtype()
        top, limit = float(np.abs(y).max(initial=0.0)), float(np.finfo(dtype).max)
        if top > limit:
            raise DataError(
                f"y reaches {top:.3g}, beyond the {dtype} range (±{limit:.3g}) of "
                f"this estimator's network (dtype={self.dtype!r}); use dtype='float64' or "
                "rescale y"
            )

    def _check_score_targets(self, y: Array) -> None:
        self._check_columns(y.reshape(-1, 1) if y.ndim == 1 else y)

    def _check_columns(self, y2: Array) -> None:
        if y2.shape[1] != self._n_outputs:
            raise GlassnetError(
                f"y has {y2.shape[1]} target columns, but the network has {self._n_outputs}"
            )

    def _encode(self, y: Array, *, first: bool) -> Array:
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        self._check_columns(y2)
        if self.loss == "poisson":
            _check_counts(y2, first=first)
        # halves first: a difference of two values near ±1.8e308 would overflow, their halves'
        # cannot; halving is exact, so the result has the bits of (y − mean) / scale
        with np.errstate(over="ignore"):
            z = (y2 * 0.5 - self._y_mean * 0.5) / (self._y_scale * 0.5)
        dtype = self._np_dtype()
        if not np.all(np.abs(z) <= float(np.finfo(dtype).max)):
            raise DataError(
                f"y reaches {float(np.abs(y2).max()):.3g}, too far from the targets the "
                f"network was first fitted on to be represented in {dtype}; rescale y"
                + (" or refit" if self.normalize_y else " or set normalize_y=True")
            )
        return np.asarray(z, dtype=dtype)

    def _score_encoded(self, X: Any, y: Array, sample_weight: Array | None = None) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            pred = self.network_.outputs(X)
            if self.loss == "poisson":  # scored as `predict` is: on the means
                pred = self._loss.probabilities(pred)
        if not np.isfinite(pred).all():
            return math.nan  # recorded as scikit-learn records it (r2_score would refuse it)
        return float(r2_score(y, pred, sample_weight=sample_weight))

    # the mixin's score would come first in the method order: take the checked one
    score = BaseNeuralNet.score

    def _metric(self, X: Any, y: Array, *, sample_weight: Any) -> float:
        """R² computed on y and predictions divided by a power of two above both, so that |y|
        near 1e308 does not overflow Σ(y − ŷ)² (R² is scale-invariant; the division is exact)."""
        pred = self.predict(X)
        power = float(_power_above(max(float(np.abs(y).max()), float(np.abs(pred).max()))))
        return float(r2_score(y / power, pred / power, sample_weight=sample_weight))

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
        # map back from standardized targets; beyond the dtype's largest value a prediction
        # saturates there rather than becoming ±inf
        limit = np.finfo(out.dtype).max
        with np.errstate(over="ignore"):
            raw = out * self._y_scale + self._y_mean
            if self.loss == "poisson":  # log-means: the predicted means are their e^
                raw = self._loss.probabilities(raw)
        out = np.clip(raw, -limit, limit, out=raw).astype(out.dtype, copy=False)
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
        self._set_loss_scale()
        for name, value in (("y_mean", self._y_mean), ("y_scale", self._y_scale)):
            if value.shape != (k,) or not np.isfinite(value).all():
                raise GlassnetError(
                    f"field '{name}' has shape {value.shape} or holds NaN or infinity; "
                    f"expected {k} finite numbers"
                )
        if not (self._y_scale > 0).all():
            raise GlassnetError("field 'y_scale' must hold numbers > 0 (standard deviations)")
        if not self._standardizes() and ((self._y_mean != 0).any() or (self._y_scale != 1).any()):
            raise GlassnetError(
                "fields 'y_mean' and 'y_scale' must be 0 and 1 with normalize_y=False or "
                "loss='poisson'"
            )


def _check_counts(y: Array, *, first: bool) -> None:
    """A DataError unless `y` (n_samples, n_outputs) holds Poisson targets: ≥ 0, and with a
    positive sum when it starts a fit (with an all-zero y the log-means go to −inf)."""
    negative = y < 0
    if negative.any():
        row, col = (int(i) for i in np.argwhere(negative)[0])
        raise DataError(
            f"y holds {y[row, col].item()!r} at row {row}, but loss='poisson' needs targets "
            ">= 0 (counts or rates)"
        )
    if first and not y.sum() > 0:
        raise DataError("y is all zeros, but loss='poisson' needs targets with a positive sum")
