"""The optimizers' side of the fused updates (`glassnet.kernels.optim`), without Numba.

`Optimizer.step` runs a rule's compiled update (`Compiled`) over flat views of the model's
parameters and gradients (`flat_views`: the same memory, reshaped, made once per `fit` by the
compiled step) where `compiled` says the kernel is worth loading; an update that made a value
that is not finite is reported as NumPy would have reported it (`report_overflow`).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._typing import Array
from . import worth


def layout(params: Sequence[Array]) -> tuple[str, tuple[int, ...]]:
    """What a compiled update is specific to: the parameters' dtype and their sizes."""
    return params[0].dtype.char, tuple(p.size for p in params)


class Compiled:
    """A rule's compiled whole-model update and what it is given besides the parameters,
    gradients and state: which parameters are weight matrices (they take weight decay) and the
    coefficients, in the parameters' dtype. Flat views of another `layout` than the one it
    was made for are not given to it: the NumPy rule runs then."""

    __slots__ = ("coef", "decayed", "kernel", "layout")

    def __init__(self, kernel: Any, params: Sequence[Array], n_coef: int) -> None:
        self.kernel, self.layout = kernel, layout(params)
        self.decayed = np.array([p.ndim >= 2 for p in params])
        self.coef = np.ones(n_coef, dtype=params[0].dtype)


class FlatViews:
    """1-D views of a model's parameters and of their gradients, and their `layout`."""

    __slots__ = ("grads", "layout", "params")

    def __init__(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        self.params = tuple(p.reshape(-1) for p in params)
        self.grads = tuple(g.reshape(-1) for g in grads)
        self.layout = layout(params)


def flat_views(params: Sequence[Array], grads: Sequence[Array]) -> FlatViews | None:
    """`params` and `grads` as flat views, or None where a view would be a copy (an array not
    C-contiguous), or an array is of another dtype than the first parameter's, or a gradient is
    shaped unlike its parameter: the NumPy rule then runs (and says what is wrong, if anything)."""
    if not params or len(params) != len(grads):
        return None
    dtype = params[0].dtype
    for p, g in zip(params, grads):
        if not (p.dtype == g.dtype == dtype and p.shape == g.shape and p.flags.c_contiguous
                and g.flags.c_contiguous):  # fmt: skip
            return None
    return FlatViews(params, grads)


def compiled(
    rule: str, params: Sequence[Array], size: int, *, threshold: int, threshold_loaded: int
) -> Compiled | None:
    """The compiled update named `rule` in `glassnet.kernels.optim` for `params` (`size`
    elements in all), or None when it is not worth it: `kernels.worth` from `threshold`
    elements, or from `threshold_loaded` when Numba is already imported (another kernel has paid
    for it, and this one only loads from the disk cache). Only float32 and float64 compile."""
    if params[0].dtype not in (np.float32, np.float64):
        return None
    if not worth(size, threshold_loaded if "numba" in sys.modules else threshold):
        return None
    from . import optim  # imports Numba

    return Compiled(getattr(optim, rule), params, optim.N_COEF)


def report_overflow(grads: Sequence[Array]) -> None:
    """A compiled update made a value that is not finite: from finite gradients that is an
    overflow, which NumPy would have reported where it happened: report it as ``np.geterr()``
    asks (the training loop raises on it; inf or NaN gradients are reported by nobody)."""
    if not all(np.isfinite(g).all() for g in grads):
        return
    message = "overflow encountered in the fused optimizer update"
    mode = np.geterr()["over"]
    if mode == "raise":
        raise FloatingPointError(message)
    if mode == "warn":
        warnings.warn(message, RuntimeWarning, stacklevel=4)
