"""Fused kernels (Numba) for `CrossEntropy`'s step: softmax of the logits, the loss's terms and
its gradient, in two passes over the (rows × classes) logits around NumPy's exponential.

In NumPy the loss and its gradient are a dozen calls on a small array (W3: 128 × 10), each
mostly per-call overhead. Here: one kernel shifts each row by its maximum (and picks the shifted
logit of each row's label), NumPy's own ``exp`` runs (its SIMD exponential, not Numba's scalar
one: the same values), and one kernel sums each row as ``ndarray.sum`` does (NumPy's pairwise
summation, 0 + the pairwise sum of the row), divides by it and writes the gradient
``(p − y) / n``. Every element's operations are the reference's in its order: the probabilities,
the gradient and the row sums are NumPy's bit for bit.

This module imports Numba: import it only when a kernel is used (see ``glassnet.kernels``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from .._typing import Array, Call
from . import jit as numba_jit

# at module level, not made in a function as `kernels.elementwise` does: a kernel that calls
# another finds it as a global, and so is loaded from Numba's cache instead of compiled again
jit: Any = numba_jit()


#: the widest row `normalize` sums as NumPy does: up to 128 elements NumPy's pairwise summation
#: is one block (eight running sums); wider rows keep the NumPy path (`CrossEntropy.plan`)
WIDEST = 128


@jit
def row_sum(a: Array, zero: Any) -> Any:
    """Σ a (at most `WIDEST` elements) in NumPy's order (``pairwise_sum`` in its
    loops_utils.h): fewer than 8 one by one from 0, else in eight running sums, then the rest."""
    n = a.shape[0]
    if n < 8:
        res = zero
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    while i < n - n % 8:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return res


@jit
def shift(z: Array, p: Array) -> None:
    """p ← z − max(z) row by row (e^p ≤ 1); a NaN in a row makes its maximum NaN, as
    ``z.max(axis=1)`` does."""
    for i in range(z.shape[0]):
        m = z[i, 0]
        for j in range(1, z.shape[1]):
            v = z[i, j]
            if v > m or v != v:
                m = v
        for j in range(z.shape[1]):
            p[i, j] = z[i, j] - m


@jit
def shift_pick(z: Array, labels: Array, p: Array, picked: Array) -> None:
    """`shift`, and picked[i] ← p[i, labels[i]]: each row's shifted logit of its class."""
    shift(z, p)
    for i in range(z.shape[0]):
        c = labels[i]
        if c < 0 or c >= z.shape[1]:
            raise IndexError("a class label is out of range")
        picked[i] = p[i, c]


@jit
def total(a: Array, zero: Any) -> Any:
    """Σ a (at most `WIDEST` values) as ``a.sum()`` gives it: 0 + its pairwise sum."""
    return zero + row_sum(a, zero)


@jit
def shift_pick_total(z: Array, labels: Array, p: Array, picked: Array, zero: Any) -> Any:
    """`shift_pick`, and Σ picked (at most `WIDEST` rows) as ``picked.sum()`` gives it."""
    shift_pick(z, labels, p, picked)
    return total(picked, zero)


@jit
def normalize(p: Array, zero: Any, sums: Array) -> None:
    """sums[i] ← Σ row i (as ``p.sum(axis=1)``: 0 + its pairwise sum); p[i] / sums[i]."""
    for i in range(p.shape[0]):
        row = p[i]
        s = zero + row_sum(row, zero)
        sums[i] = s
        for j in range(p.shape[1]):
            row[j] = row[j] / s


@jit
def softmax_grad_labels(
    p: Array, labels: Array, scale: Any, one: Any, zero: Any, sums: Array, g: Array
) -> None:
    """`normalize`, then g ← (p − onehot(labels)) · scale, as the reference's copy,
    g[rows, labels] −= 1 and g *= scale."""
    normalize(p, zero, sums)
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            g[i, j] = p[i, j] * scale
        c = labels[i]
        g[i, c] = (p[i, c] - one) * scale


@jit
def softmax_grad_rows(p: Array, y: Array, scale: Any, zero: Any, sums: Array, g: Array) -> None:
    """`normalize`, then g ← (p − y) · scale, as np.subtract(p, y, out=g), g *= scale."""
    normalize(p, zero, sums)
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            g[i, j] = p[i, j] - y[i, j]  # rounded to g's dtype, as NumPy's out= does
            g[i, j] = g[i, j] * scale


KERNELS = {
    "shift": shift,
    "shift_pick": shift_pick,
    "shift_pick_total": shift_pick_total,
    "total": total,
    "softmax_grad_labels": softmax_grad_labels,
    "softmax_grad_rows": softmax_grad_rows,
}


def kernel(name: str) -> Any:
    """The compiled kernel `name` (compiled, or loaded from the disk cache, at its first call)."""
    return KERNELS[name]


def cross_entropy_value(
    z: Array,
    labels: Array,
    p: Array,
    g: Array,
    scratch: tuple[Array, Array],
    pick_rows: Callable[[], float],
) -> Callable[[], float]:
    """`CrossEntropy`'s step on logits `z` and class `labels` (or target rows) as one call:
    it returns the loss (as ``CrossEntropy.forward``) and leaves softmax(z) in `p` and the
    gradient (p − y) / n in `g`. `scratch` is two arrays of one value per row; `pick_rows`
    gives Σ y·(z − max) from `p` when the targets are rows (the reference's own sum)."""
    n = z.shape[0]
    sums, picked = scratch
    dtype = z.dtype.type
    scale, one, zero = dtype(1.0 / n), dtype(1), dtype(0)  # as NumPy rounds g *= 1.0 / n
    # Σ over rows in a kernel where NumPy's order is one block (n ≤ WIDEST): a NumPy reduction
    # right after the step's products costs ~15 µs in W3's step (its machinery out of cache)
    small = n <= WIDEST
    shift_pick: Callable[[], float]
    if labels.ndim == 2:
        shift_pick = partial(_then, partial(kernel("shift"), z, p), pick_rows)
        after = partial(kernel("softmax_grad_rows"), p, labels, scale, zero, sums, g)
    else:
        if small:
            shift_pick = partial(kernel("shift_pick_total"), z, labels, p, picked, zero)
        else:
            first = partial(kernel("shift_pick"), z, labels, p, picked)
            shift_pick = partial(_then, first, partial(_sum, picked))
        after = partial(kernel("softmax_grad_labels"), p, labels, scale, one, zero, sums, g)
    log_sums = partial(np.log, sums, sums)
    log_total = partial(kernel("total"), sums, zero) if small else partial(_sum, sums)
    return partial(_value, shift_pick, partial(np.exp, p, p), after, log_sums, log_total, n)


def _sum(a: Array) -> float:
    return float(a.sum())


def _then(first: Call, second: Callable[[], float]) -> float:
    first()
    return second()


def _value(
    shift_pick: Callable[[], float],
    exp: Call,
    after: Call,
    log_sums: Call,
    log_total: Callable[[], float],
    n: int,
) -> float:
    """Run the kernels around NumPy's exp and log; the loss, mean over rows of
    log Σ e^(z − max) minus the shifted logit of the class (each / n, as the reference)."""
    shifted_true = shift_pick()  # Σ y·(z − max), before p changes
    exp()
    after()
    log_sums()  # NumPy's own log: the reference's values
    return float(log_total()) / n - shifted_true / n
