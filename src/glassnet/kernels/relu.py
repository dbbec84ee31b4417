"""Fused kernels (Numba) for a `Dense` layer's bias and the `ReLU` after it, forward and backward,
and for a `Dense` layer's bias alone.

In NumPy, ``max(x·W + b, 0)`` is, besides the product, two passes (the bias added, the maximum)
and its derivative two more (``y > 0`` as 1 or 0, times the gradient). On a small batch the
passes' cost is mostly NumPy's per-call overhead, so each pair becomes one compiled call. Each
element's operations are the reference's, in its order, with ``np.maximum``'s rules (a NaN
stays NaN; ``max(−0, 0)`` is +0, NumPy's second argument on a tie): the results are NumPy's bit
for bit. A bias alone (a last layer's, before the loss) is NumPy's broadcast ``np.add`` on a
narrow array, which costs ~18 µs on W3's 128 × 10 logits inside the step; the kernel ~4 µs.

This module imports Numba: import it only when a kernel is used (see ``glassnet.kernels``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .._typing import Array


@cache
def _kernels() -> dict[str, Any]:
    """The kernels, compiled (or loaded from Numba's on-disk cache) at the first use."""
    from . import jit as glassnets_jit

    jit: Any = glassnets_jit()

    @jit
    def bias_relu(z: Array, bias: Array, zero: Any, y: Array) -> None:
        """y ← max(z + bias, 0), as np.add then np.maximum(·, 0)."""
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                t = z[i, j] + bias[j]
                y[i, j] = zero if t <= zero else t  # NaN: not ≤ 0, kept; −0: +0

    @jit
    def bias_add(z: Array, bias: Array) -> None:
        """z ← z + bias, row by row (np.add(z, bias, z))."""
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                z[i, j] = z[i, j] + bias[j]

    @jit
    def relu_backward(y: Array, grad: Array, one: Any, zero: Any, dx: Array) -> None:
        """dx ← [y > 0] · grad, as np.greater into dx then dx *= grad (0 · −g is −0)."""
        for i in range(y.shape[0]):
            for j in range(y.shape[1]):
                dx[i, j] = (one if y[i, j] > zero else zero) * grad[i, j]

    return {"bias_relu": bias_relu, "bias_add": bias_add, "relu_backward": relu_backward}


def kernel(name: str) -> Any:
    """The compiled kernel `name` (importing Numba on the first call)."""
    return _kernels()[name]
