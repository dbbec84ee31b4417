"""Fused elementwise kernels (Numba) for a bias and an activation, forward and backward.

A hidden layer's step is, in NumPy, a chain of passes over the same (rows × units) array: the
bias added and Sigmoid's five passes forward; backward, a one-unit layer's outer product and
Sigmoid's derivative's three passes. These kernels run such a chain in one pass, with the
arithmetic of the NumPy reference in the same order: their results are the reference's bit for
bit (each element's few operations, no sums).

The exponential is left to NumPy: its SIMD ``exp`` runs ~2× faster than Numba's scalar one on
this hardware (no SVML), so Sigmoid's forward is a kernel, ``np.exp`` and a kernel — three
passes instead of six, and the exponential the reference's own.

This module imports Numba: import it only when a kernel is used (see ``glassnet.kernels``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from .._typing import Array


@cache
def _kernels() -> dict[str, Any]:
    """The kernels, compiled (or loaded from Numba's on-disk cache) at the first use."""
    from . import jit as glassnets_jit

    jit: Any = glassnets_jit()

    @jit
    def bias_clip_negate(z: Array, bias: Array, low: Any, out: Array) -> None:
        """out ← −max(z + bias, low): Sigmoid's argument of exp, the bias added."""
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                t = z[i, j] + bias[j]
                out[i, j] = -(low if t < low else t)  # np.maximum's: a NaN stays NaN

    @jit
    def one_over_one_plus(out: Array, one: Any) -> None:
        """out ← 1 / (1 + out): σ from e^(−z)."""
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = one / (one + out[i, j])

    @jit
    def sigmoid_backward(y: Array, grad: Array, one: Any, dx: Array) -> None:
        """dx ← grad · y(1 − y): σ′ from the output, times the incoming gradient."""
        for i in range(y.shape[0]):
            for j in range(y.shape[1]):
                dx[i, j] = (one - y[i, j]) * y[i, j] * grad[i, j]

    @jit
    def sigmoid_backward_outer(y: Array, g: Array, w: Array, one: Any, dx: Array) -> None:
        """As `sigmoid_backward` with grad = g · w (g a column, w a row: a one-unit layer's
        input gradient, its outer product formed as it is read)."""
        for i in range(y.shape[0]):
            gi = g[i, 0]
            for j in range(y.shape[1]):
                dx[i, j] = (one - y[i, j]) * y[i, j] * (gi * w[0, j])

    # the same on a unit-major (transposed) layout: zt, out, y, dx are (units × rows), C order

    @jit
    def bias_clip_negate_t(zt: Array, bias: Array, low: Any, out: Array) -> None:
        """out ← −max(zt + bias[:, None], low): `bias_clip_negate` with units as rows."""
        for j in range(zt.shape[0]):
            b = bias[j]
            for i in range(zt.shape[1]):
                t = zt[j, i] + b
                out[j, i] = -(low if t < low else t)

    @jit
    def sigmoid_backward_outer_t(y: Array, g: Array, w: Array, one: Any, dx: Array) -> None:
        """`sigmoid_backward_outer` with units as rows (g is still a column of rows)."""
        for j in range(y.shape[0]):
            wj = w[0, j]
            for i in range(y.shape[1]):
                dx[j, i] = (one - y[j, i]) * y[j, i] * (g[i, 0] * wj)

    return {
        "bias_clip_negate_t": bias_clip_negate_t,
        "sigmoid_backward_outer_t": sigmoid_backward_outer_t,
        "bias_clip_negate": bias_clip_negate,
        "one_over_one_plus": one_over_one_plus,
        "sigmoid_backward": sigmoid_backward,
        "sigmoid_backward_outer": sigmoid_backward_outer,
    }


def kernel(name: str) -> Any:
    """The compiled kernel `name` (importing Numba on the first call)."""
    return _kernels()[name]


def bias_sigmoid_calls(
    z: Array, bias: Array, low: Any, one: Any, out: Array, *, unit_major: bool = False
) -> list[Any]:
    """Calls that make out ← σ(max(z + bias, low)), bit for bit as Dense's bias add followed by
    Sigmoid's five passes: −max(z + b, low) in one pass, NumPy's exp, 1/(1 + ·) in one pass.
    `unit_major`: z and out are the transposes of C-ordered (units × rows) arrays."""
    from functools import partial

    negate = kernel("bias_clip_negate")
    if unit_major:
        z, out, negate = z.T, out.T, kernel("bias_clip_negate_t")
    return [
        partial(negate, z, bias, low, out),
        partial(np.exp, out, out),
        partial(kernel("one_over_one_plus"), out, one),
    ]
