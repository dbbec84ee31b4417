"""`Sequential`: layers applied in order — forward, backward, parameters, and the public API.

`mlp` builds the common one from layer sizes: Dense layers with an activation between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import pairwise
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations as _activations
from . import io as _io
from . import losses as _losses
from . import training as _training
from ._typing import Array
from .errors import DataError, GlassnetError
from .initializers import Initializer
from .layers import Dense, Dropout, Layer
from .validation import (
    all_finite,
    as_generator,
    check_targets,
    check_X,
    check_y,
    float_dtype,
    fraction,
    is_sparse,
    n_rows,
    names,
    positive_int,
    positive_ints,
)

if TYPE_CHECKING:
    from .optimizers import Optimizer


class Sequential:
    """A stack of layers: ``Sequential([Dense(2, 4), Sigmoid(), Dense(4, 1), Sigmoid()])``.

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order. Consecutive `Dense` sizes must chain (activations keep the width).
    dtype : float32 or float64, optional
        Convert every parameter to this dtype. By default the layers' own dtype (all equal).

    Attributes
    ----------
    loss, optimizer : Loss and Optimizer or None
        Those of the last `fit`, reused by the next `fit`, saved with the model.
    metadata : dict
        JSON-friendly facts saved in the model file (the CLI keeps preprocessing here).

    Examples
    --------
    >>> from glassnet import Sequential, Dense, Sigmoid, SGD, SumSquaredError, datasets
    >>> X, y = datasets.xor()
    >>> net = Sequential([Dense(2, 4, rng=0), Sigmoid(), Dense(4, 1, rng=1), Sigmoid()])
    >>> history = net.fit(X, y, loss=SumSquaredError(), optimizer=SGD(1.0), epochs=10)
    >>> net.predict(X).shape
    (4, 1)
    """

    def __init__(self, layers: Iterable[Layer], *, dtype: Any = None) -> None:
        if isinstance(layers, (str, bytes, Layer)) or not isinstance(layers, Iterable):
            raise GlassnetError(f"Sequential takes a list of layers, got {layers!r}")
        self.layers: list[Layer] = list(layers)
        self.loss: _losses.Loss | None = None
        self.optimizer: Optimizer | None = None
        self.metadata: dict[str, Any] = {}
        self.extras: dict[str, Array] = {}
        self._check_layers()
        if dtype is not None:
            self.astype(dtype)
        self._check_dtypes()

    # ------------------------------------------------------------------ structure

    def _check_layers(self) -> None:
        if not self.layers:
            raise GlassnetError("Sequential needs at least one layer, got none")
        width: int | None = None
        seen: dict[int, int] = {}
        for i, layer in enumerate(self.layers, start=1):
            if not isinstance(layer, Layer):
                raise GlassnetError(f"layer {i} must be a glassnet Layer, got {layer!r}")
            # one instance in two places would share its caches and gradients: backward would
            # read the wrong input, and the optimizer update one array twice
            first = seen.setdefault(id(layer), i)
            if first != i:
                raise GlassnetError(
                    f"layer {i} is the same object as layer {first} ({layer!r}); each place "
                    "in a Sequential needs its own layer instance"
                )
            if isinstance(layer, Dense) and width is not None and layer.n_in != width:
                raise GlassnetError(
                    f"layer {i}, {layer!r}, expects {layer.n_in} inputs, but the layers before "
                    f"it output {width}"
                )
            width = layer.output_width(width)
        if not any(isinstance(layer, Dense) for layer in self.layers):
            raise GlassnetError("Sequential needs at least one Dense layer to know its input size")

    def _check_dtypes(self) -> None:
        kinds = {p.dtype for p in self.parameters()}
        if len(kinds) > 1:
            raise GlassnetError(
                f"all layers must share one dtype, got {sorted(str(k) for k in kinds)}; "
                "pass Sequential(..., dtype=np.float32) to convert"
            )

    def astype(self, dtype: Any) -> Sequential:
        """Convert every parameter to float32 or float64, in place; returns self."""
        dt = float_dtype(dtype)
        for layer in self.layers:
            for key in layer.params:
                layer.params[key] = np.ascontiguousarray(layer.params[key], dtype=dt)
                layer.grads[key] = np.zeros_like(layer.params[key])
        self.optimizer = None  # any optimizer state referred to the old arrays
        return self

    @property
    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def dtype(self) -> np.dtype:
        return self.dense_layers[0].dtype

    @property
    def n_features_in(self) -> int:
        return self.dense_layers[0].n_in

    @property
    def n_outputs(self) -> int:
        width: int | None = None
        for layer in self.layers:
            width = layer.output_width(width)
        assert width is not None
        return width

    def parameters(self) -> list[Array]:
        """Every trainable array, layer by layer (weight before bias); optimizers update them."""
        return [p for layer in self.layers for p in layer.params.values()]

    def gradients(self) -> list[Array]:
        """The gradient arrays matching `parameters()`, written by `backward`."""
        return [g for layer in self.layers for g in layer.grads.values()]

    def n_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def get_weights(self) -> list[Array]:
        """Copies of every parameter array."""
        return [p.copy() for p in self.parameters()]

    def set_weights(self, weights: Sequence[Array]) -> None:
        """Copy `weights` (as from `get_weights`) into the parameters, in place.

        Every array is checked before any is copied: the same count and shapes as
        `parameters()`, real numbers, finite in the model's dtype. A bad one raises
        GlassnetError and leaves the weights as they were.
        """
        params = self.parameters()
        if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
            raise GlassnetError(f"weights must be a list of arrays, got {type(weights).__name__}")
        if len(weights) != len(params):
            raise GlassnetError(f"expected {len(params)} arrays, got {len(weights)}")
        checked = []
        for i, (p, w) in enumerate(zip(params, weights)):
            try:
                w = np.asarray(w)
            except (TypeError, ValueError) as exc:
                raise GlassnetError(f"array {i} is not an array of numbers ({exc})") from None
            if w.shape != p.shape:
                raise GlassnetError(f"array {i} has shape {w.shape}, expected {p.shape}")
            if w.dtype.kind not in "biuf":
                raise GlassnetError(f"array {i} has dtype {w.dtype}, expected real numbers")
            with np.errstate(over="ignore"):  # 1e300 overflows float32: caught just below
                w = w.astype(p.dtype)
            if not np.isfinite(w).all():
                raise GlassnetError(
                    f"array {i} holds NaN or infinite values (in {p.dtype}); weights must be finite"
                )
            checked.append(w)
        for p, w in zip(params, checked):
            np.copyto(p, w)

    # ------------------------------------------------------------------ computation

    def forward(self, x: Array, training: bool = False) -> Array:
        """The network's output for a batch `x` of shape (n_samples, n_features_in)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad: Array) -> Array:
        """Back-propagate d loss / d output; fills every layer's grads; returns d loss / d input."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    # ------------------------------------------------------------------ public API

    #: `glassnet.training.fit`, as a method: ``model.fit(X, y, loss=..., optimizer=..., ...)``
    fit = _training.fit

    def predict(self, X: Any, *, batch_size: int = 4096) -> Array:
        """The network's raw outputs, shape (n_samples, n_outputs), computed in chunks.

        With a logits loss (`CrossEntropy`, `BinaryCrossEntropy`) these are logits; see
        `predict_proba` for probabilities.
        """
        batch_size = positive_int(batch_size, "batch_size")
        X = check_X(X, dtype=self.dtype, n_features=self.n_features_in)
        return self._finite_outputs(X, batch_size)

    def _finite_outputs(self, X: Array, batch_size: int = 4096) -> Array:
        """`outputs` for the public calls: quiet, and a DataError if they overflowed."""
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.outputs(X, batch_size)
        if not all_finite(out):
            row = int(np.argwhere(~np.isfinite(out))[0][0])
            values = X[row].toarray() if is_sparse(X) else X[row]
            raise DataError(
                f"the network's outputs overflowed to inf/NaN for row {row} of X "
                f"(its largest magnitude is {float(np.abs(values).max()):.3g}); "
                "scale the inputs, or check the weights"
            )
        return out

    def outputs(self, X: Array, batch_size: int = 4096) -> Array:
        """The raw outputs of an already checked `X`, `batch_size` rows at a time.

        Fresh arrays, with no scratch shared between calls (`forward` with training=False):
        several threads may call this, `predict`, `predict_proba` and `evaluate` on one model
        at once. `fit` may not run alongside them.
        """
        n = X.shape[0]  # (a sparse X, rows of a CSR matrix, has no len)
        if n <= batch_size:
            return self.forward(X)
        chunks = [self.forward(X[i : i + batch_size]) for i in range(0, n, batch_size)]
        return np.concatenate(chunks)

    def predict_proba(self, X: Any) -> Array:
        """Probabilities, as the loss reads the outputs (`Loss.probabilities`).

        Softmax or sigmoid of the logits after a logits loss; the outputs themselves after a
        squared error, or before any `fit`.
        """
        out = self.predict(X)
        return out if self.loss is None else self.loss.probabilities(out)

    def evaluate(
        self,
        X: Any,
        y: Any,
        *,
        loss: str | _losses.Loss | None = None,
        metrics: Sequence[str] | None = None,
    ) -> dict[str, float]:
        """The loss (when known) and each metric on (X, y), as a dict.

        By default the metrics are accuracy after a cross-entropy loss, MSE and R² after
        `MeanSquaredError`, and accuracy after `SumSquaredError` (the tutorial's classifier).
        """
        from .metrics import get as get_metric

        loss_fn = _losses.get(loss) if loss is not None else self.loss
        if metrics is None:
            regression = isinstance(loss_fn, _losses.MeanSquaredError)
            metrics = ("mse", "r2") if regression else ("accuracy",)
        metrics = names(metrics, "metrics")
        X = check_X(X, dtype=self.dtype, n_features=self.n_features_in)
        labels = loss_fn is not None and loss_fn.takes_labels
        y = check_y(
            y, n_samples=n_rows(X), n_outputs=self.n_outputs, dtype=self.dtype, labels=labels
        )
        if loss_fn is not None:
            check_targets(y, loss_fn)
        metric_fns = [get_metric(name, loss_fn) for name in metrics]  # names checked first
        out = self._finite_outputs(X)
        result: dict[str, float] = {}
        with np.errstate(over="ignore", invalid="ignore"):  # a loss beyond float64 is inf
            if loss_fn is not None:
                result["loss"] = loss_fn.value(out, y)  # fresh scratch: safe across threads
            for metric in metric_fns:
                metric.update(y, out)
                result[metric.name] = metric.result()
        return result

    def save(self, path: str | PathLike[str], *, include_optimizer: bool = True) -> None:
        """Write the model to one `.npz` file, atomically; see `glassnet.io.save`."""
        _io.save(self, path, include_optimizer=include_optimizer)

    def summary(self) -> str:
        """A table of the layers, their output widths and parameter counts."""
        lines = [f"Sequential ({self.dtype}, {self.n_parameters():,} parameters)"]
        width: int | None = None
        for i, layer in enumerate(self.layers, start=1):
            width = layer.output_width(width)
            count = sum(p.size for p in layer.params.values())
            lines.append(f"  {i:>2}. {layer!r:<40} -> {width} outputs, {count:,} parameters")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(repr(layer) for layer in self.layers) + "])"


def load(path: str | PathLike[str]) -> Sequential:
    """Read a model written by `Sequential.save`: bit-identical predictions, optimizer state
    restored.

    Raises
    ------
    ModelFileError
        The file is missing, empty, truncated, not a glassnet model, of another format version,
        modified (a checksum fails), or holds anything but numeric arrays.
    """
    return _io.load(path, Sequential)


def mlp(
    n_in: int,
    hidden: Sequence[int],
    n_out: int,
    *,
    activation: str | Callable[[], Layer] = "relu",
    init: str | Initializer | None = None,
    out_init: str | Initializer = "glorot_uniform",
    bias_init: Initializer | None = None,
    dropout: float = 0.0,
    rng: np.random.Generator | int | None = None,
    dtype: Any = np.float64,
) -> Sequential:
    """A multi-layer perceptron from its sizes: Dense layers, `activation` between them.

    The last layer is linear: its outputs are logits for a cross-entropy, values for a squared
    error. All weights come from one generator, layer by layer (weights, then biases), so a
    seed fixes the whole network.

    Parameters
    ----------
    n_in : int
        Input features.
    hidden : sequence of int
        Units of each hidden layer (empty: one Dense layer, a linear model).
    n_out : int
        Outputs.
    activation : str or callable returning a Layer, default "relu"
        A name from `glassnet.activations.ACTIVATIONS`, or a factory (such as a class) called
        once per hidden layer.
    init : str or initializer, optional
        The hidden layers' weights. By default He uniform after "relu" and "leaky_relu" (it
        keeps the variance of activations that zero half their inputs), Glorot uniform after
        any other activation.
    out_init : str or initializer, default "glorot_uniform"
        The output layer's weights.
    bias_init : initializer, optional
        Called like `init` with the layer's (n_in, n_out) and returning its n_out biases;
        None leaves them zero.
    dropout : float, default 0.0
        When > 0, a `Dropout` of this rate after each hidden activation.
    rng : numpy Generator or int seed, optional
    dtype : float32 or float64, default float64

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = mlp(2, [8, 8], 3, activation="tanh", rng=0)
    >>> [type(layer).__name__ for layer in net.layers]
    ['Dense', 'Tanh', 'Dense', 'Tanh', 'Dense']
    """
    generator = as_generator(rng)
    hidden = positive_ints(hidden, "hidden")
    dropout = fraction(dropout, "dropout")
    if init is None:
        init = "he_uniform" if activation in ("relu", "leaky_relu") else "glorot_uniform"
    make_activation = activation if callable(activation) else partial(_activations.get, activation)
    sizes = [n_in, *hidden, n_out]
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        last = i == len(sizes) - 2
        dense = Dense(fan_in, fan_out, init=out_init if last else init, rng=generator, dtype=dtype)
        if bias_init is not None:
            dense.params["bias"][...] = bias_init((fan_in, fan_out), generator, dense.dtype)
        layers.append(dense)
        if not last:
            layers.append(make_activation())
            if dropout:
                layers.append(Dropout(dropout))
    return Sequential(layers)
