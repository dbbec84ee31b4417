"""Activation layers: `Sigmoid`, `Tanh`, `ReLU`, `LeakyReLU`, `Softmax`, `Identity`.

Each derivative sits right beside its forward pass, written in terms of the output where that is
the classic form (σ' = σ(1 − σ), tanh' = 1 − tanh²).
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

import numpy as np

from ._typing import Array, Call
from .errors import GlassnetError
from .layers import Layer
from .plans import bind, own_function
from .validation import fraction

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
    """An elementwise (or row-wise) function with no parameters; caches its output for backward.

    A subclass gives the function and its derivative as two kernels, ``_apply(x, out)`` and
    ``_derive(y, grad, dx)``; `forward`, `backward` and the fit loop's plans all run those same
    kernels, so each formula is written once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: Array | None = None

    def forward(self, x: Array, training: bool = False) -> Array:
        self._y = self._apply(x, self._out("out", x, training))
        return self._y

    def backward(self, grad: Array) -> Array:
        y = self._cached_output()
        return self._derive(y, grad, self._buffer("dx", y.shape, y.dtype))

    def plan_forward(self, x: Array, order: str = "C") -> tuple[Array, list[Call]]:
        """As `Layer.plan_forward`; the output stored in `order` ("F": unit by unit)."""
        out = self._y = self._buffer("out", x.shape, x.dtype, order)
        return out, [bind(self._apply, x, out)]

    def plan_backward(
        self, grad: Array, input_grad: bool = True, order: str = "C"
    ) -> tuple[Array, list[Call]]:
        """As `Layer.plan_backward`; d loss / d input stored in `order`."""
        y = self._cached_output()
        dx = self._buffer("dx", y.shape, y.dtype, order)
        return dx, [bind(self._derive, y, grad, dx)]

    def _apply(self, x: Array, out: Array | None) -> Array:
        """out ← f(x) (a fresh array when `out` is None); return it."""
        raise NotImplementedError

    def _derive(self, y: Array, grad: Array, dx: Array) -> Array:
        """dx ← grad · f′, given the output y = f(x); return dx."""
        raise NotImplementedError

    def output(self) -> Array:
        """The output of the last training forward pass (or plan), which backward reads."""
        return self._cached_output()

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

    @classmethod
    def constants(cls, dtype: np.dtype) -> tuple[Any, Any]:
        """The clip point and 1 as scalars of `dtype` (float32 or float64), for a kernel."""
        low, one = cls._CONSTANTS[dtype.char]
        return low[()], one[()]

    def _apply(self, x: Array, out: Array | None) -> Array:
        low, one = self._CONSTANTS.get(x.dtype.char, (-700.0, 1.0))
        if out is None:
            out = np.maximum(x, low)  # a fresh array, of x's float dtype (float64 for ints)
            x = out
        if x.nbytes <= 2 * BLOCK_BYTES:
            return _sigmoid(x, out, low, one)
        for rows in row_blocks(x):
            _sigmoid(x[rows], out[rows], low, one)
        return out

    def plan_forward(self, x: Array, order: str = "C") -> tuple[Array, list[Call]]:
        out, calls = super().plan_forward(x, order)
        # one block, and the kernel is this class's: its passes themselves, no Python between
        if x.nbytes <= 2 * BLOCK_BYTES and own_function(self._apply, Sigmoid._apply):
            calls = _sigmoid_passes(x, out, *self._CONSTANTS[x.dtype.char])
        return out, calls

    def plan_backward(
        self, grad: Array, input_grad: bool = True, order: str = "C"
    ) -> tuple[Array, list[Call]]:
        dx, calls = super().plan_backward(grad, input_grad, order)
        y = self._cached_output()
        if y.nbytes <= 2 * BLOCK_BYTES and own_function(self._derive, Sigmoid._derive):
            calls = _sigmoid_backward_passes(y, grad, dx, self._CONSTANTS[y.dtype.char][1])
        return dx, calls

    def _derive(self, y: Array, grad: Array, dx: Array) -> Array:
        one = self._CONSTANTS.get(y.dtype.char, (0.0, 1.0))[1]
        if y.nbytes <= 2 * BLOCK_BYTES:
            return _sigmoid_backward(y, grad, dx, one)
        for rows in row_blocks(y):
            _sigmoid_backward(y[rows], grad[rows], dx[rows], one)
        return dx


def _sigmoid(x: Array, out: Array, low: Any, one: Any) -> Array:
    """out ← σ(max(x, low)), in place: five passes, no temporaries."""
    for call in _sigmoid_passes(x, out, low, one):
        call()
    return out


def _sigmoid_passes(x: Array, out: Array, low: Any, one: Any) -> list[Call]:
    """The five passes of `_sigmoid`, pre-bound: a training plan runs them with no Python in
    between (positional ``out``: NumPy parses it faster than a keyword)."""
    return [
        partial(np.maximum, x, low, out=out),  # (np.maximum takes out= as a keyword only)
        partial(np.negative, out, out),
        partial(np.exp, out, out),
        partial(np.add, out, one, out),
        partial(np.reciprocal, out, out),  # 1/(1 + e^(−z)), the same IEEE division as 1.0 / out
    ]


def _sigmoid_backward(y: Array, grad: Array, dx: Array, one: Any) -> Array:
    """dx ← grad · y(1 − y), in place."""
    for call in _sigmoid_backward_passes(y, grad, dx, one):
        call()
    return dx


def _sigmoid_backward_passes(y: Array, grad: Array, dx: Array, one: Any) -> list[Call]:
    # σ'(z) = σ(z)(1 − σ(z)): the tutorial's sigmoid_derivative, applied to the output
    return [
        partial(np.subtract, one, y, dx),
        partial(np.multiply, dx, y, dx),
        partial(np.multiply, dx, grad, dx),
    ]


class Tanh(Activation):
    """tanh(z), with derivative 1 − tanh²(z)."""

    kind = "Tanh"

    def _apply(self, x: Array, out: Array | None) -> Array:
        return np.tanh(x, out=out)

    def _derive(self, y: Array, grad: Array, dx: Array) -> Array:
        np.multiply(y, y, out=dx)
        np.subtract(1.0, dx, out=dx)
        dx *= grad
        return dx


class ReLU(Activation):
    """max(0, z), with derivative 1 where z > 0 and 0 elsewhere."""

    kind = "ReLU"

    def _apply(self, x: Array, out: Array | None) -> Array:
        return np.maximum(x, 0.0, out=out)

    def _derive(self, y: Array, grad: Array, dx: Array) -> Array:
        np.greater(y, 0.0, out=dx)  # 1.0 where z > 0, else 0.0 (y > 0 exactly where z > 0)
        dx *= grad
        return dx


class LeakyReLU(Activation):
    """z where z > 0, else `negative_slope`·z; derivative 1 or `negative_slope`.

    Parameters
    ----------
    negative_slope : float, default 0.01
    """

    kind = "LeakyReLU"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = fraction(negative_slope, "negative_slope")

    def _apply(self, x: Array, out: Array | None) -> Array:
        # for 0 ≤ a < 1, max(z, a·z) is z for z > 0 and a·z otherwise
        out = np.multiply(x, self.negative_slope, out=out)
        return np.maximum(x, out, out=out)

    def _derive(self, y: Array, grad: Array, dx: Array) -> Array:
        # slope = 1 where z > 0 (exactly where y > 0), a elsewhere: a + (1 − a)·[z > 0]
        np.greater(y, 0.0, out=dx)
        dx *= 1.0 - self.negative_slope
        dx += self.negative_slope
        dx *= grad
        return dx

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
        # x − max(x) passes −1.8e308 for inputs of opposite huge signs: −inf, whose e^ is the
        # right 0 (the compiled step runs `_apply` itself, under fit's error state)
        with np.errstate(over="ignore"):
            return super().forward(x, training)

    def _apply(self, x: Array, out: Array | None) -> Array:
        rowmax = x.max(axis=1, keepdims=True)
        out = np.subtract(x, rowmax, out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def _derive(self, y: Array, grad: Array, dx: Array) -> Array:
        # Jacobian-vector product: ∂L/∂zᵢ = yᵢ (gᵢ − Σⱼ gⱼ yⱼ)
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

    def plan_forward(self, x: Array, order: str = "C") -> tuple[Array, list[Call]]:
        return x, []

    def plan_backward(
        self, grad: Array, input_grad: bool = True, order: str = "C"
    ) -> tuple[Array, list[Call]]:
        return grad, []


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
