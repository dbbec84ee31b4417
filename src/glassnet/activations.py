"""Activation layers: `Sigmoid`, `Tanh`, `ReLU`, `LeakyReLU`, `Softmax`, `Identity`.

Each derivative sits right beside its forward pass, written in terms of the output where that is
the classic form (σ' = σ(1 − σ), tanh' = 1 − tanh²).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ._typing import Array
from .errors import GlassnetError
from .layers import Layer

#: bytes per block when an activation runs several elementwise passes over a large array: the
#: block stays in the core's L2 cache from one pass to the next (see `row_blocks`)
BLOCK_BYTES = 1 << 18


def row_blocks(a: Array) -> list[slice]:
    """Row slices of `a` of about `BLOCK_BYTES` each (one slice when `a` is small).

    A chain of NumPy passes over a big array streams it through memory once per pass; run
    block by block, the chain reads and writes memory once and the other passes hit the cache.
    """
    if a.nbytes <= 2 * BLOCK_BYTES or a.ndim != 2:
        return [slice(None)]
    rows = max(1, BLOCK_BYTES // max(1, a.strides[0]))
    return [slice(i, i + rows) for i in range(0, a.shape[0], rows)]


class Activation(Layer):
    """An elementwise (or row-wise) function with no parameters; caches its output for backward."""

    def __init__(self) -> None:
        super().__init__()
        self._y: Array | None = None

    def _cached_output(self) -> Array:
        if self._y is None:
            raise GlassnetError(f"{type(self).__name__}.backward called before forward")
        return self._y


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^(−z)), the tutorial's activation.

    Finite for every finite input in float32 and float64, with no NumPy warning: z is clipped
    below where e^(−z) would overflow, where σ(z) is already below the dtype's smallest normal
    number. Elsewhere the result is exactly the tutorial's ``1 / (1 + np.exp(-x))``.
    """

    kind = "Sigmoid"
    #: clip point and 1, per dtype (by `dtype.char`): e^(−z) stays finite, and σ at the clip
    #: point is 1e−304 (float64) or 1e−38 (float32). They are 0-d arrays of the data's dtype
    #: because NumPy takes those faster than Python floats (no scalar conversion per call).
    _CONSTANTS: ClassVar[dict[str, tuple[Array, Array]]] = {
        "d": (np.array(-700.0), np.array(1.0)),
        "f": (np.array(-87.0, dtype=np.float32), np.array(1.0, dtype=np.float32)),
    }

    def forward(self, x: Array, training: bool = False) -> Array:
        out = self._out("out", x, training)
        low, one = self._CONSTANTS.get(x.dtype.char, (-700.0, 1.0))
        if out is None:
            out = np.maximum(x, low)  # a fresh array, of x's float dtype (float64 for ints)
            x = out
        if x.nbytes <= 2 * BLOCK_BYTES:
            self._y = _sigmoid(x, out, low, one)
        else:
            for rows in row_blocks(x):
                _sigmoid(x[rows], out[rows], low, one)
            self._y = out
        return out

    def backward(self, grad: Array) -> Array:
        y = self._cached_output()
        dx = self._buffer("dx", y.shape, y.dtype)
        one = self._CONSTANTS.get(y.dtype.char, (0.0, 1.0))[1]
        if y.nbytes <= 2 * BLOCK_BYTES:
            return _sigmoid_backward(y, grad, dx, one)
        for rows in row_blocks(y):
            _sigmoid_backward(y[rows], grad[rows], dx[rows], one)
        return dx


def _sigmoid(x: Array, out: Array, low: Any, one: Any) -> Array:
    """out ← σ(max(x, low)), in place: five passes, no temporaries."""
    np.maximum(x, low, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.add(out, one, out=out)
    return np.reciprocal(out, out=out)  # 1/(1 + e^(−z)), the same IEEE division as 1.0 / out


def _sigmoid_backward(y: Array, grad: Array, dx: Array, one: Any) -> Array:
    """dx ← grad · y(1 − y), in place."""
    # σ'(z) = σ(z)(1 − σ(z)): the tutorial's sigmoid_derivative, applied to the output
    np.subtract(one, y, out=dx)
    dx *= y
    dx *= grad
    return dx


class Tanh(Activation):
    """tanh(z), with derivative 1 − tanh²(z)."""

    kind = "Tanh"

    def forward(self, x: Array, training: bool = False) -> Array:
        self._y = np.tanh(x, out=self._out("out", x, training))
        return self._y

    def backward(self, grad: Array) -> Array:
        y = self._cached_output()
        dx = self._buffer("dx", y.shape, y.dtype)
        np.multiply(y, y, out=dx)
        np.subtract(1.0, dx, out=dx)
        dx *= grad
        return dx


class ReLU(Activation):
    """max(0, z), with derivative 1 where z > 0 and 0 elsewhere."""

    kind = "ReLU"

    def forward(self, x: Array, training: bool = False) -> Array:
        self._y = np.maximum(x, 0.0, out=self._out("out", x, training))
        return self._y

    def backward(self, grad: Array) -> Array:
        y = self._cached_output()
        active = self._buffer("active", y.shape, np.dtype(bool))
        np.greater(y, 0.0, out=active)
        return np.multiply(grad, active, out=self._buffer("dx", y.shape, y.dtype))


class LeakyReLU(Activation):
    """z where z > 0, else `negative_slope`·z; derivative 1 or `negative_slope`.

    Parameters
    ----------
    negative_slope : float, default 0.01
    """

    kind = "LeakyReLU"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise GlassnetError(f"negative_slope must be a number, got {negative_slope!r}")
        if not 0.0 <= negative_slope < 1.0:
            raise GlassnetError(f"negative_slope must be in [0, 1), got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, x: Array, training: bool = False) -> Array:
        out = self._out("out", x, training)
        # for 0 ≤ a < 1, max(z, a·z) is z for z > 0 and a·z otherwise
        out = np.multiply(x, self.negative_slope, out=out)
        self._y = np.maximum(x, out, out=out)
        return self._y

    def backward(self, grad: Array) -> Array:
        y = self._cached_output()  # y > 0 exactly where z > 0
        slope = self._buffer("slope", y.shape, y.dtype)
        np.greater(y, 0.0, out=slope)
        # slope = 1 where z > 0, a elsewhere: a + (1 − a)·[z > 0]
        slope *= 1.0 - self.negative_slope
        slope += self.negative_slope
        return np.multiply(grad, slope, out=self._buffer("dx", y.shape, y.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class Softmax(Activation):
    """Row-wise softmax(z)ᵢ = e^(zᵢ) / Σⱼ e^(zⱼ), shifted by the row maximum so it never overflows.

    For classification, prefer a linear last layer with `CrossEntropy`, which takes the logits and
    fuses softmax into the loss (gradient p − y, stable for any input). This layer is for when the
    probabilities themselves are wanted inside a network.
    """

    kind = "Softmax"

    def forward(self, x: Array, training: bool = False) -> Array:
        out = self._out("out", x, training)
        rowmax = x.max(axis=1, keepdims=True)
        out = np.subtract(x, rowmax, out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        self._y = out
        return out

    def backward(self, grad: Array) -> Array:
        # Jacobian-vector product: ∂L/∂zᵢ = yᵢ (gᵢ − Σⱼ gⱼ yⱼ)
        y = self._cached_output()
        dx = self._buffer("dx", y.shape, y.dtype)
        np.multiply(grad, y, out=dx)
        dot = dx.sum(axis=1, keepdims=True)
        np.subtract(grad, dot, out=dx)
        dx *= y
        return dx


class Identity(Activation):
    """The identity: a linear output, as for regression."""

    kind = "Identity"

    def forward(self, x: Array, training: bool = False) -> Array:
        return x

    def backward(self, grad: Array) -> Array:
        return grad


ACTIVATIONS: dict[str, type[Activation]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
    "identity": Identity,
}


def get(name: str | Activation) -> Activation:
    """An activation layer from its name ("relu", "tanh", ...) or an instance."""
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[str(name).lower()]()
    except KeyError:
        known = ", ".join(ACTIVATIONS)
        raise GlassnetError(f"unknown activation {name!r}; expected one of {known}") from None
