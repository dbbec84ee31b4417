"""The layer contract, and the layers that hold weights or shape the data: `Dense`, `Dropout`.

Every layer has ``params`` and ``grads`` (dicts of arrays with the same keys and shapes),
``forward(x, training=False)`` and ``backward(grad)``. ``backward`` fills ``grads`` and returns
d loss / d input. Arrays returned by ``forward(..., training=True)`` and by ``backward`` live in
buffers the layer reuses: they stay valid until the layer's next call of the same kind. That is
what lets a training step run without allocating (``forward`` with ``training=False``, the
inference path, always returns a fresh array).
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

import numpy as np

from . import initializers
from ._typing import Array, Call
from .errors import GlassnetError
from .validation import as_generator, fits_in_memory, float_dtype, fraction, positive_int, size_of

_ONES: dict[tuple[int, str], Array] = {}


def _ones(n: int, dtype: np.dtype) -> Array:
    """n ones of `dtype`, read-only and kept: sums over rows become products, ``1ᵀ·a``."""
    key = (n, dtype.char)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 64:  # many batch sizes came and went
            _ONES.clear()
        ones = _ONES[key] = np.ones(n, dtype=dtype)
        ones.flags.writeable = False
    return ones


#: from this many multiply-adds on, a product goes through np.matmul rather than np.dot. The two
#: call the same BLAS routine with the same arguments (the same numbers, bit for bit), but for
#: a large product with a transposed factor np.dot reaches it ~20% slower (W3's xᵀ·grad, 784 ×
#: 128 · 128 × 256 in float32: 248 against 207 µs); for a small one np.dot's call costs less
#: (0.3–0.5 µs, the tutorial's whole product)
MATMUL_FROM = 1 << 20


def _product(rows: int, inner: int, cols: int, *arrays: Array) -> Any:
    """The NumPy function for a (rows × inner)·(inner × cols) product of `arrays` into a reused
    buffer: np.dot for a small one, np.matmul for a large one (`MATMUL_FROM`), and np.matmul
    whenever the dtypes differ (np.dot's `out` must be the exact type of the result)."""
    dtype = arrays[0].dtype
    if any(a.dtype is not dtype for a in arrays) or rows * inner * cols >= MATMUL_FROM:
        return np.matmul
    return np.dot


def _mirrors(grads: Any, params: Any) -> bool:
    """Whether `grads` has exactly the keys, shapes and dtypes of `params` (both dicts)."""
    if not isinstance(grads, dict) or not isinstance(params, dict) or grads.keys() != params.keys():
        return False
    return all(
        np.shape(grads[k]) == np.shape(p) and getattr(grads[k], "dtype", None) == p.dtype
        for k, p in params.items()
    )


class Layer:
    """Base class: the contract every layer follows.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable arrays, updated in place by optimizers. Empty for activations.
    grads : dict of str to ndarray
        d loss / d param, same keys and shapes as `params`, written by `backward`.
    """

    #: the name this layer is saved under in model files
    kind: ClassVar[str] = "Layer"
    #: forward-pass caches: None before the first forward, and after unpickling
    _x: Array | None = None
    _y: Array | None = None
    _mask: Array | None = None

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self._buffers: dict[tuple[str, tuple[int, ...], str], Array] = {}

    def forward(self, x: Array, training: bool = False) -> Array:
        """Compute the layer's output for a batch `x` of shape (n_samples, n_in)."""
        raise NotImplementedError

    def backward(self, grad: Array) -> Array:
        """Given d loss / d output, fill `grads` and return d loss / d input."""
        raise NotImplementedError

    def plan_forward(self, x: Array) -> tuple[Array, list[Call]] | None:
        """The training forward pass as pre-bound calls, for the fit loop to run again and again.

        Returns the array the output will be in and the calls that fill it from whatever `x`
        holds when they run (the fit loop refills the same batch buffers every step), or None
        when this layer has no plan (the fit loop then calls `forward` and `backward`). The
        calls run the same kernels as `forward`, on the buffers `forward` would use.
        """
        return None

    def plan_backward(self, grad: Array, input_grad: bool = True) -> tuple[Array, list[Call]]:
        """The backward pass as pre-bound calls, after `plan_forward`: (d loss / d input, calls).

        `grad` is the array d loss / d output will be in; with `input_grad` False the calls
        may skip d loss / d input (nobody needs it below the first layer).
        """
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (saved in model files)."""
        return {}

    def output_width(self, n_in: int | None) -> int | None:
        """Number of output features given `n_in` input features (None: unknown)."""
        return n_in

    def _buffer(
        self, name: str, shape: tuple[int, ...], dtype: np.dtype, order: str = "C"
    ) -> Array:
        """A scratch array owned by this layer, reused while shape and dtype stay the same; in
        Fortran `order`, the transpose of a C-ordered buffer (a (rows × units) array stored unit
        by unit)."""
        if order == "F":
            return self._buffer(name + ".T", shape[::-1], dtype).T
        key = (name, shape, dtype.char)  # a str: cheaper to hash and compare than a dtype
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) > 32:  # many batch shapes came and went: start afresh
                self._buffers.clear()
            buf = self._buffers[key] = np.empty(shape, dtype=dtype)
        return buf

    def _out(self, name: str, like: Array, training: bool) -> Array | None:
        """The `out=` target: a reused buffer while training, None (a fresh array) otherwise."""
        return self._buffer(name, like.shape, like.dtype) if training else None

    def __getstate__(self) -> dict[str, Any]:
        # Attributes named with a leading underscore are scratch buffers and forward-pass
        # caches (which may hold a whole training set), and the gradients are the last batch's
        # (rebuilt as zeros when they mirror the params): a pickle holds config and params.
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        if _mirrors(state.get("grads"), state.get("params")):
            del state["grads"]
        state["_buffers"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "grads" not in state and "params" in state:
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """A fully connected layer: ``y = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output features; the weight matrix has shape (n_in, n_out).
    bias : bool, default True
        Whether to add a bias vector of shape (n_out,) (initialised to zero).
    init : str or callable, default "glorot_uniform"
        "uniform" (the tutorial's U(−1, 1)), "glorot_uniform", "glorot_normal",
        "he_uniform", "he_normal", "zeros", or ``f(shape, rng, dtype) -> array``.
    rng : numpy Generator or int seed, optional
        Where the initial weights come from; never NumPy's global random state.
    dtype : float32 or float64, default float64

    Examples
    --------
    >>> layer = Dense(3, 1, bias=False, rng=0)
    >>> layer.forward(np.ones((2, 3))).shape
    (2, 1)
    """

    kind = "Dense"

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        bias: bool = True,
        init: str | initializers.Initializer = "glorot_uniform",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.n_in = positive_int(n_in, "n_in")
        self.n_out = positive_int(n_out, "n_out")
        self.bias = bool(bias)
        self.init = init
        dt = float_dtype(dtype)
        generator = as_generator(rng)
        # the weights and their gradient: refused before NumPy (or the system) runs out
        nbytes = 2 * self.n_in * self.n_out * dt.itemsize
        what = f"Dense({self.n_in}, {self.n_out}) in {dt}, its weights and their gradient,"
        fits_in_memory(nbytes, what)
        try:
            weight = initializers.get(init)((self.n_in, self.n_out), generator, dt)
        except MemoryError:
            raise GlassnetError(f"{what} need {size_of(nbytes)}: out of memory") from None
        self.params["weight"] = np.ascontiguousarray(weight, dtype=dt)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        if self.bias:
            self.params["bias"] = np.zeros(self.n_out, dtype=dt)
            self.grads["bias"] = np.zeros(self.n_out, dtype=dt)
        self._x: Array | None = None

    @property
    def dtype(self) -> np.dtype:
        return self.params["weight"].dtype

    def forward(self, x: Array, training: bool = False) -> Array:
        self._x = x
        w = self.params["weight"]
        if type(x) is not np.ndarray and not isinstance(x, np.ndarray):
            return self._forward_sparse(x, training)
        if training:  # into the reused buffer
            product = _product(x.shape[0], self.n_in, self.n_out, x, w)
            out = product(x, w, out=self._buffer("out", (x.shape[0], self.n_out), w.dtype))
        else:
            out = np.matmul(x, w)
        if self.bias:
            out += self.params["bias"]
        return out

    def backward(self, grad: Array, *, input_grad: bool = True) -> Array:
        """Fill dW = xᵀ·grad and db = Σ grad; return grad·Wᵀ (unless `input_grad` is False)."""
        x = self._x
        if x is None:
            raise GlassnetError("Dense.backward called before forward")
        w = self.params["weight"]
        product = _product(len(grad), self.n_in, self.n_out, x, w, grad)
        if type(x) is np.ndarray or isinstance(x, np.ndarray):
            product(x.T, grad, out=self.grads["weight"])
        else:  # a sparse batch (the first layer's): xᵀ·grad without densifying x
            np.copyto(self.grads["weight"], x.T @ grad)
        if self.bias:
            # db = Σ over rows = 1ᵀ·grad: one BLAS product, 2–3× faster than np.sum(axis=0)
            small = _product(len(grad), 1, self.n_out, w, grad)
            small(_ones(len(grad), w.dtype), grad, out=self.grads["bias"])
        if not input_grad:
            return grad
        dx = self._buffer("dx", (grad.shape[0], self.n_in), w.dtype)
        return product(grad, w.T, out=dx)

    def _forward_sparse(self, x: Any, training: bool) -> Array:
        """x @ W + b for a scipy.sparse batch `x`: a sparse × dense product, x never densified."""
        w = self.params["weight"]
        out = np.asarray(x @ w, dtype=w.dtype)  # a fresh array, training or not
        if self.bias:
            out += self.params["bias"]
        return out

    def plan_forward(
        self, x: Array, *, add_bias: bool = True, order: str = "C"
    ) -> tuple[Array, list[Call]] | None:
        """As `Layer.plan_forward`; with `add_bias` False the calls leave the bias out (a fused
        kernel after them adds it, see `fused.Fusion`). In Fortran `order` the output is stored
        unit by unit, computed as (Wᵀ·xᵀ)ᵀ: the same products, another rounding of their sums."""
        if not isinstance(x, np.ndarray):
            return None  # a sparse batch: the fit loop calls forward and backward
        self._x = x
        w = self.params["weight"]
        out = self._buffer("out", (x.shape[0], self.n_out), w.dtype, order)
        product = _product(x.shape[0], self.n_in, self.n_out, x, w)
        # out= given by position: NumPy parses that faster than a keyword; in Fortran order BLAS
        # streams a long x faster as the right-hand factor
        calls: list[Call] = [
            partial(product, w.T, x.T, out.T) if order == "F" else partial(product, x, w, out)
        ]
        if self.bias and add_bias:
            calls.append(partial(np.add, out, self.params["bias"], out))
        return out, calls

    def plan_backward(self, grad: Array, input_grad: bool = True) -> tuple[Array, list[Call]]:
        x, w = self._x, self.params["weight"]
        if x is None:
            raise GlassnetError("Dense.plan_backward called before plan_forward")
        product = _product(len(grad), self.n_in, self.n_out, x, w, grad)
        calls: list[Call] = [partial(product, x.T, grad, self.grads["weight"])]
        if self.bias:  # db = 1ᵀ·grad, as in `backward`
            small = _product(len(grad), 1, self.n_out, w, grad)
            calls.append(partial(small, _ones(len(grad), w.dtype), grad, self.grads["bias"]))
        if not input_grad:
            return grad, calls
        dx = self._buffer("dx", (grad.shape[0], self.n_in), w.dtype)
        calls.append(partial(product, grad, w.T, dx))
        return dx, calls

    def get_config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_out": self.n_out, "bias": self.bias}

    def output_width(self, n_in: int | None) -> int | None:
        return self.n_out


class Dropout(Layer):
    """Inverted dropout: while training, zero each input with probability `rate` and scale the
    rest by 1 / (1 − rate), so that inference needs no rescaling. The identity otherwise.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping each unit.
    rng : numpy Generator or int seed, optional
        Where the masks come from. `Sequential.fit(seed=...)` reseeds it for repeatable runs.
    """

    kind = "Dropout"

    def __init__(self, rate: float, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.rate = fraction(rate, "dropout rate")
        self.rng = as_generator(rng)
        self._mask: Array | None = None

    def forward(self, x: Array, training: bool = False) -> Array:
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        mask = self._mask = self._draw(self._buffer("mask", x.shape, x.dtype))
        return np.multiply(x, mask, out=self._buffer("out", x.shape, x.dtype))

    def backward(self, grad: Array) -> Array:
        if self._mask is None:
            return grad
        return np.multiply(grad, self._mask, out=self._buffer("dx", grad.shape, grad.dtype))

    def plan_forward(self, x: Array) -> tuple[Array, list[Call]]:
        mask = self._buffer("mask", x.shape, x.dtype)  # `_mask` is set as each step runs
        out = self._buffer("out", x.shape, x.dtype)
        return out, [partial(self._forward_into, x, mask, out)]

    def plan_backward(self, grad: Array, input_grad: bool = True) -> tuple[Array, list[Call]]:
        dx = self._buffer("dx", grad.shape, grad.dtype)
        return dx, [partial(self._backward_into, grad, dx)]

    def _forward_into(self, x: Array, mask: Array, out: Array) -> None:
        """`forward(x, True)` into `out` (the rate is read now: a callback may change it)."""
        if self.rate == 0.0:
            self._mask = None
            np.copyto(out, x)
        else:
            self._mask = self._draw(mask)
            np.multiply(x, mask, out)

    def _backward_into(self, grad: Array, dx: Array) -> None:
        if self._mask is None:
            np.copyto(dx, grad)
        else:
            np.multiply(grad, self._mask, dx)

    def _draw(self, mask: Array) -> Array:
        """A fresh mask: 0 with probability `rate`, else 1 / (1 − rate), so that E[output] = x."""
        self.rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        return mask

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
