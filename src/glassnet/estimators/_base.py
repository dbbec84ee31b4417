"""What `NeuralNetClassifier` and `NeuralNetRegressor` share: `BaseNeuralNet` (parameters, the
network, the fit loop, model files) and scikit-learn's per-epoch stopping rule as a `Callback`.

The L2 penalty follows scikit-learn: its objective adds α·‖W‖²/(2·n_batch), whose gradient is
α·W/n_batch, so the optimizer's ``weight_decay`` is set to α·c/n_batch, where c is the ratio of
glassnet's loss gradient to scikit-learn's (1 for the cross-entropies with one output per sample,
1/k for k independent labels, 2/k for the mean squared error over k targets). ``loss_curve_``
reports scikit-learn's objective, so that `tol` means the same thing in both libraries.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from functools import partial
from os import PathLike
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._typing import Array
from ..errors import GlassnetError, TrainingDivergedError
from ..layers import Dropout
from ..losses import Loss
from ..network import Sequential, mlp
from ..optimizers import SGD, Adam, Optimizer, RMSprop
from ..validation import float_dtype, is_integer, number_in, one_of, positive_int
from . import _files
from ._checks import check_sample_weight, check_targets, check_X, check_X_y, translated
from ._lbfgs import fit_lbfgs
from ._names import ACTIVATIONS, SOLVERS, as_rng
from ._rates import LEARNING_RATES
from ._stopping import SklearnStopping

__all__ = ["ACTIVATIONS", "SOLVERS", "BaseNeuralNet"]

#: each real-valued hyper-parameter's range: (name, low, high, whether low itself is refused)
_INTERVALS: list[tuple[str, float, float, bool]] = [
    ("alpha", 0.0, math.inf, False),
    ("tol", 0.0, math.inf, False),
    ("learning_rate_init", 0.0, math.inf, True),
    ("power_t", 0.0, math.inf, False),
    ("momentum", 0.0, 1.0, False),
    ("beta_1", 0.0, 1.0, False),
    ("beta_2", 0.0, 1.0, False),
    ("epsilon", 0.0, math.inf, True),
    ("validation_fraction", 0.0, 1.0, True),
    ("dropout", 0.0, 1.0, False),
]


def _sklearn_uniform(
    shape: tuple[int, int],
    rng: np.random.Generator,
    dtype: np.dtype,
    *,
    factor: float,
    bias: bool = False,
) -> Array:
    """scikit-learn's initialisation of a layer of `shape` (n_in, n_out): U(−a, a) with
    a = √(f / (n_in + n_out)), f = 2 for the logistic activation and 6 otherwise, for the
    weights and, with `bias`, for the n_out biases too."""
    bound = math.sqrt(factor / (shape[0] + shape[1]))
    return rng.uniform(-bound, bound, shape[1] if bias else shape).astype(dtype, copy=False)


def stochastic(estimator: Any) -> bool:
    """Whether `estimator`'s solver trains batch by batch, so that `partial_fit` exists (as in
    scikit-learn, ``hasattr(est, "partial_fit")`` is False for ``solver="lbfgs"``)."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {estimator.solver} is "
            "not stochastic."
        )
    return True


class BaseNeuralNet(BaseEstimator):
    """What the classifier and the regressor share: parameters, the network, the fit loop."""

    # fitted attributes (set by fit / partial_fit / load)
    network_: Sequential
    n_outputs_: int
    n_iter_: int
    t_: int
    loss_: float | None
    loss_curve_: list[float]
    best_loss_: float | None
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    #: the loss the network trains on, and its gradient and value relative to scikit-learn's
    _loss: Loss
    _grad_ratio: float
    _loss_scale: float

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
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.dtype = dtype

    # ------------------------------------------------------------------ fitted network
    # Read off `network_` on each access, so they follow it through fit, partial_fit, warm
    # starts, `set_weights`, pickling and model files: nothing to keep in step.

    @property
    def coefs_(self) -> list[Array]:
        """The weight matrices, ``coefs_[i]`` of shape (units of layer i, units of layer i + 1):
        the network's own arrays (training updates them in place; writing into them changes
        the model)."""
        return [layer.params["weight"] for layer in self.network_.dense_layers]

    @property
    def intercepts_(self) -> list[Array]:
        """The bias vectors, ``intercepts_[i]`` of shape (units of layer i + 1,): the network's
        own arrays, as `coefs_`."""
        return [layer.params["bias"] for layer in self.network_.dense_layers]

    @property
    def n_layers_(self) -> int:
        """Layers of units, input and output included (scikit-learn's count)."""
        return len(self.network_.dense_layers) + 1

    @property
    def _optimizer(self) -> Optimizer:
        """The optimizer that trains `network_` (scikit-learn's MLPs keep theirs under this
        name; its ``learning_rate`` is the rate in force, after any schedule)."""
        optimizer = self.network_.optimizer
        if optimizer is None:
            raise AttributeError("_optimizer")
        return optimizer

    @property
    def out_activation_(self) -> str:
        """scikit-learn's name of the output activation: "softmax", "logistic" or "identity"
        (glassnet fuses it into the loss, so the network itself ends in a linear layer)."""
        self.network_  # noqa: B018 -- AttributeError before a fit, as for the other attributes
        return self._out_activation

    # ------------------------------------------------------------------ parameters

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, (int, np.integer)) else list(sizes)
        if not all(is_integer(s) and s >= 1 for s in sizes):
            got = self.hidden_layer_sizes
            raise GlassnetError(f"hidden_layer_sizes must hold positive integers, got {got!r}")
        return [int(s) for s in sizes]

    def _np_dtype(self) -> np.dtype:
        """The network's dtype: `dtype` when given, else the one the last fresh fit chose
        (scikit-learn's dtype preservation: float32 for float32 X, float64 otherwise)."""
        if self.dtype is not None:
            return float_dtype(self.dtype, spelled="'float32' or 'float64'")
        return getattr(self, "_dtype", np.dtype(np.float64))

    def _check_params(self) -> None:
        """Validate every hyper-parameter; a bad one raises GlassnetError (a ValueError)."""
        self._hidden_sizes()
        self._np_dtype()
        one_of(self.activation, "activation", ACTIVATIONS)
        one_of(self.solver, "solver", SOLVERS)
        one_of(self.learning_rate, "learning_rate", LEARNING_RATES)
        for name, low, high, open_low in _INTERVALS:
            number_in(getattr(self, name), name, low, high, open_low=open_low)
        positive_int(self.max_iter, "max_iter")
        positive_int(self.max_fun, "max_fun")
        if self.n_iter_no_change != math.inf:  # np.inf: never stop for want of improvement
            positive_int(self.n_iter_no_change, "n_iter_no_change")
        bs = self.batch_size
        if not (bs == "auto" if isinstance(bs, str) else is_integer(bs) and bs >= 1):
            raise GlassnetError(f"batch_size must be 'auto' or a positive integer, got {bs!r}")

    def _make_optimizer(self) -> Optimizer:
        lr = float(self.learning_rate_init)
        if self.solver == "sgd":
            # plain SGD is not scale-invariant: divide by the gradient ratio c so that each step
            # is the one scikit-learn takes (Adam and RMSprop normalise the scale away)
            lr /= self._grad_ratio
            nesterov = bool(self.nesterovs_momentum) and self.momentum > 0
            return SGD(lr, momentum=float(self.momentum), nesterov=nesterov)
        if self.solver == "rmsprop":
            return RMSprop(lr, epsilon=float(self.epsilon))
        return Adam(lr, float(self.beta_1), float(self.beta_2), float(self.epsilon))

    def _build_network(self, n_in: int, n_out: int) -> Sequential:
        """An MLP with scikit-learn's initialisation (see `_sklearn_uniform`)."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        weights = partial(_sklearn_uniform, factor=factor)
        return mlp(
            n_in, self._hidden_sizes(), n_out, activation=ACTIVATIONS[self.activation],
            init=weights, out_init=weights, bias_init=partial(weights, bias=True),
            dropout=float(self.dropout), rng=self._rng, dtype=self._np_dtype(),
        )  # fmt: skip

    # ------------------------------------------------------------------ training

    def _validate_Xy(self, X: Any, y: Any, *, reset: bool) -> tuple[Array, Array]:
        # dtype=None: float32 X stays float32, the rest becomes float64 (as scikit-learn)
        preserve = reset and self.dtype is None
        dtype = [np.float64, np.float32] if preserve else self._np_dtype()
        X, y = check_X_y(
            self, X, y, reset=reset, dtype=dtype,
            numeric=isinstance(self, RegressorMixin),
        )  # fmt: skip
        if reset:
            self._dtype = X.dtype
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # scikit-learn's convention for a column vector
        return X, y

    def _fit(
        self, X: Any, y: Any, *, incremental: bool, classes: Any = None, sample_weight: Any = None
    ) -> Any:
        self._check_params()
        if incremental and self.early_stopping:
            raise GlassnetError("partial_fit does not support early_stopping=True")
        fitted = hasattr(self, "network_")
        first = not fitted or not (self.warm_start or incremental)
        changed = None if first else self._changed_architecture()
        if changed is not None:
            if incremental:
                raise GlassnetError(
                    f"partial_fit continues the fitted network, but {changed}; call fit to "
                    "train a new network"
                )
            first = True  # warm_start cannot reuse a network of another shape: start afresh
        X, y = self._validate_Xy(X, y, reset=first)
        weights = check_sample_weight(sample_weight, X)
        if first:
            self._rng = as_rng(self.random_state)
            self._set_targets(y, classes=classes, incremental=incremental)
            if weights is not None:
                self._weigh_targets(y, weights)
        elif not incremental:
            self._check_warm_targets(y)
        y_enc = self._encode(y, first=first)
        if first:
            self._initialize(X.shape[1])
        if self.solver == "lbfgs":  # full batch; no early stopping, as in scikit-learn
            self.n_iter_ = 0
            fit_lbfgs(self, X, y_enc, seed=int(self._rng.integers(2**63)))
            return self
        network = self.network_
        if network.optimizer is None or not incremental:
            # fit starts a fresh optimizer (as scikit-learn does, even with warm_start);
            # partial_fit keeps the network's, so its moments carry across calls
            network.optimizer = self._make_optimizer()
        optimizer = network.optimizer

        if not incremental:
            self.n_iter_ = 0  # counts the epochs of this fit, as in scikit-learn
            self._no_improvement_count = 0
            if self.early_stopping and self.validation_scores_ is None:
                # warm_start after a fit without early stopping: start its bookkeeping now
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            elif not self.early_stopping and self.best_loss_ is None:
                self.best_loss_ = np.inf
        validation = None
        if self.early_stopping:
            X, y_enc, weights, validation = self._split_validation(X, y_enc, weights)
        n = X.shape[0]
        if self.batch_size != "auto" and int(self.batch_size) > n:
            warnings.warn(  # scikit-learn's warning, word for word
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                UserWarning,
                stacklevel=3,
            )
        batch = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        optimizer.weight_decay = float(self.alpha) * self._grad_ratio / batch
        stopping = SklearnStopping(
            self,
            n_samples=n,
            batch_size=batch,
            validation=validation,
            can_stop=not incremental,
            weights=weights,
        )
        try:
            network.fit(
                X,
                y_enc,
                loss=self._loss,
                optimizer=optimizer,
                epochs=1 if incremental else int(self.max_iter),
                batch_size=batch,
                shuffle=bool(self.shuffle),
                callbacks=[stopping],
                seed=int(self._rng.integers(2**63)),
                sample_weight=weights,
            )
        except TrainingDivergedError as exc:
            if not (self.early_stopping and stopping.best_weights is not None):
                raise TrainingDivergedError(self._users_rate(str(exc))) from None
            # as scikit-learn: with early stopping, a diverged epoch is a NaN validation score
            # and training ends on the best epoch's weights (restored below), with a warning
            assert self.validation_scores_ is not None  # kept under early stopping
            self.validation_scores_.append(math.nan)
            warnings.warn(
                f"{self._users_rate(str(exc)).split(';')[0]}; kept the weights of the best "
                f"validation score ({self.best_validation_score_:.6g})",
                ConvergenceWarning,
                stacklevel=3,
            )
            stopping.stopped = True
        if stopping.best_weights is not None:
            network.set_weights(stopping.best_weights)  # early stopping keeps the best epoch
        if not incremental and not stopping.stopped:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _users_rate(self, message: str) -> str:
        """`message` naming `learning_rate_init` where the optimizer's own rate stood: the
        optimizer runs at a rate rescaled for glassnet's loss (see `_make_optimizer`)."""
        rate = f"learning_rate_init (it was {self.learning_rate_init:g})"
        named, found = re.subn(r"learning rate \(it was [^)]*\)", rate, message)
        return named if found else f"{message}; learning_rate_init was {self.learning_rate_init:g}"

    def _changed_architecture(self) -> str | None:
        """Which parameter no longer describes the fitted network (set_params since the fit), or
        None when the network is still the one the parameters ask for."""
        network = self.network_
        hidden = tuple(layer.n_out for layer in network.dense_layers[:-1])
        if hidden != tuple(self._hidden_sizes()):
            return f"hidden_layer_sizes is {self.hidden_layer_sizes!r} and the network has {hidden}"
        kinds = {type(layer) for layer in network.layers if not layer.params}
        if hidden and ACTIVATIONS[self.activation] not in kinds:
            return f"activation is {self.activation!r} and the network has another"
        rates = [layer.rate for layer in network.layers if isinstance(layer, Dropout)]
        if rates != [float(self.dropout)] * len(hidden if self.dropout else ()):
            return f"dropout is {self.dropout!r} and the network has {max(rates, default=0.0)}"
        if network.dtype != self._np_dtype():
            return f"dtype is {self.dtype!r} and the network has {network.dtype}"
        return None

    def _initialize(self, n_features: int) -> None:
        self.n_outputs_ = self._n_outputs
        self.network_ = self._build_network(n_features, self._n_outputs)
        self.n_iter_ = 0
        self.t_ = 0  # samples seen, over every epoch of every fit since this one
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _split_validation(
        self, X: Any, y: Array, weights: Array | None
    ) -> tuple[Any, Array, Array | None, tuple[Any, Array, Array | None]]:
        """A held-out split for early stopping (the weights split with their samples, and the
        validation score weighted by them, as scikit-learn does)."""
        stratify = y if self._stratify else None
        arrays = (X, y) if weights is None else (X, y, weights)
        parts = train_test_split(
            *arrays, test_size=self.validation_fraction, stratify=stratify,
            random_state=int(self._rng.integers(2**31 - 1)),
        )  # fmt: skip
        X_train, X_val, y_train, y_val = parts[:4]
        w_train, w_val = parts[4:] if weights is not None else (None, None)
        if X_val.shape[0] < 2:
            raise GlassnetError(
                f"The validation set is too small: {X_val.shape[0]} sample(s), too few to score; "
                f"increase validation_fraction (it is {self.validation_fraction}) or the data"
            )
        return X_train, y_train, w_train, (X_val, y_val, w_val)

    @available_if(stochastic)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Each sample's weight in the loss (see `fit`).

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train from scratch (or from the current weights with `warm_start`).

        Runs up to `max_iter` epochs, stopping early when the training loss (or, with
        `early_stopping`, the validation score) has not improved by `tol` for
        `n_iter_no_change` epochs in a row; warns with `ConvergenceWarning` if it never stops.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A scipy.sparse X (CSR, CSC) is never densified: the first layer multiplies it
            sparse × dense.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Each sample's weight, ≥ 0, as in scikit-learn 1.7+: each batch's loss is the
            weighted mean Σ wᵢ·ℓᵢ / Σ w; with `early_stopping` the weights are split with
            their samples and weigh the validation score.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC X: the first layer multiplies sparse × dense
        return tags

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """scikit-learn's score of `predict(X)` against `y`: mean accuracy (subset accuracy for
        multilabel targets) for the classifier, R² for the regressor.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float

        Raises
        ------
        DataError
            X or y cannot be scored (one line saying why).
        """
        check_is_fitted(self, "network_")
        y = check_targets(self, X, y, numeric=isinstance(self, RegressorMixin))
        self._check_score_targets(y)
        with translated("y"):
            return float(self._metric(X, y, sample_weight=sample_weight))

    def _raw_predict(self, X: Any) -> Array:
        check_is_fitted(self, "network_")
        return self.network_.predict(check_X(self, X, dtype=self._np_dtype()))

    # ------------------------------------------------------------------ model files

    def save(self, path: str | PathLike[str]) -> None:
        """Write the fitted estimator to one safe `.npz` model file (no pickle inside).

        The network, its optimizer state, the hyper-parameters and the fitted attributes are
        all stored; `load` rebuilds an estimator with identical predictions, and
        ``glassnet.load(path)`` reads the bare network (NumPy alone suffices for inference).
        """
        _files.save(self, path)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Any:
        """Read an estimator written by `save`.

        Raises
        ------
        ModelFileError
            The file is not a glassnet model, was saved by another estimator class, or holds a
            field that disagrees with its network.
        """
        return _files.load(cls, path)

    # the subclasses say how targets are encoded, scored, saved and restored
    _n_outputs: int
    _stratify: bool
    _out_activation: str

    def _set_targets(self, y: Array, *, classes: Any, incremental: bool) -> None:
        raise NotImplementedError

    def _encode(self, y: Array, *, first: bool) -> Array:
        raise NotImplementedError

    def _metric(self, X: Any, y: Array, *, sample_weight: Any) -> float:
        raise NotImplementedError

    def _weigh_targets(self, y: Array, sample_weight: Array) -> None:
        """Redo what `_set_targets` learned from y with the samples weighted (the regressor's
        standardization); nothing for the classifier."""

    def _check_score_targets(self, y: Array) -> None:
        """Refuse targets of another kind than the fitted ones (the metric's error otherwise)."""

    def _check_warm_targets(self, y: Array) -> None:
        """Refuse targets a warm-started fit cannot continue with (scikit-learn's rules)."""

    def _score_encoded(self, X: Any, y: Array, sample_weight: Array | None = None) -> float:
        raise NotImplementedError

    def _targets_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _targets_arrays(self) -> dict[str, Array]:
        return {}

    def _restore_targets(self, state: dict[str, Any], extras: dict[str, Array]) -> None:
        raise NotImplementedError
