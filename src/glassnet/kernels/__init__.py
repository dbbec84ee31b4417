"""Compiled kernels (the optional `fast` extra: Numba) for the passes NumPy cannot fuse.

NumPy runs each operation as a pass over its arrays; where a training step is a chain of such
passes over the same data (an optimizer's update, a bias and an activation, a loss's
elementwise chain) a kernel does the chain in one pass, with the same arithmetic. The NumPy
path stays the reference and the default install: a kernel is used only when

- Numba is installed (``pip install glassnet[fast]``),
- ``GLASSNET_KERNELS`` does not say ``numpy`` (``numba`` uses a kernel whatever the size: the
  tests' way to run both paths on small data), and
- the work is large enough to repay a call into compiled code, and Numba's import (~0.3 s)
  and first load of a cached kernel in a fresh process (`worth`).

This package imports nothing heavy: Numba is imported by the first kernel asked for (or by
`load`, up front), never by ``import glassnet``. Kernels compile at their first call and are
cached on disk (``cache=True``), so later processes load them instead of compiling again.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from typing import Any

#: the environment variable that chooses the path: "numpy" (the reference only), "numba"
#: (kernels whatever the size), or unset / "auto" (kernels where they pay, when installed)
ENVIRONMENT = "GLASSNET_KERNELS"
MODES = ("auto", "numpy", "numba")


@cache
def available() -> bool:
    """Whether Numba is installed (the `fast` extra); it is not imported to find out."""
    return importlib.util.find_spec("numba") is not None


def mode() -> str:
    """``GLASSNET_KERNELS`` as one of `MODES` (unset or empty: "auto")."""
    value = os.environ.get(ENVIRONMENT, "").strip().lower() or "auto"
    if value not in MODES:
        from ..errors import GlassnetError

        raise GlassnetError(
            f"{ENVIRONMENT}={value!r} is not one of {', '.join(MODES)} (unset means auto)"
        )
    return value


def worth(work: int, threshold: int) -> bool:
    """Whether a kernel should run work of size ``work`` (elements touched per call, say) when
    kernels pay from ``threshold`` on: never without Numba or under "numpy", always under
    "numba", from the threshold under "auto"."""
    chosen = mode()
    if chosen == "numpy" or not available():
        return False
    return chosen == "numba" or work >= threshold


def jit_disabled() -> bool:
    """Whether Numba runs kernels as Python (``NUMBA_DISABLE_JIT``, its debugging switch)."""
    if "numba" in sys.modules:
        return bool(getattr(sys.modules["numba"].config, "DISABLE_JIT", False))
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() not in ("", "0")


def load() -> bool:
    """Import Numba and set its compiler up now; True if kernels can run in this process.

    The first kernel of a process otherwise pays for both inside the `fit` that needs it:
    importing Numba (~0.3 s) and, at its first call, Numba's set-up of its type registries
    (~0.4 s, which imports scipy.linalg when scipy is there). A program that trains several
    times, a server, or a benchmark that times training alone (as ``import torch`` happens
    before its clock) can pay them up front, with glassnet's kernel modules imported too (their
    ~17 Numba dispatchers, ~7 ms, made: no kernel compiled or loaded); kernels then only load
    from the disk cache (a few ms each) at their first call, and a model from `threshold_loaded`
    elements on runs them (`kernels.updates`). Under ``GLASSNET_KERNELS=numpy``, or without
    Numba, it does nothing and says False.
    """
    if mode() == "numpy" or not available():
        return False
    _ready()(0)
    from . import duo, elementwise, optim, relu, rows, softmax  # noqa: F401  (their dispatchers)

    elementwise._kernels()
    relu._kernels()
    return True


def jit() -> Any:
    """Numba's ``njit`` with glassnet's settings — on-disk cache, NumPy's error model (x / 0 is
    inf, no per-element check to stop SIMD), no GIL — Numba imported with its own warnings kept
    out of the user's program. Imports Numba: call it only where a kernel will run."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numba

    return numba.njit(cache=True, error_model="numpy", nogil=True)


@cache
def _ready() -> Any:
    """A trivial kernel whose first call sets Numba's registries up (loaded from the cache)."""
    return jit()(_identity)


def _identity(x: int) -> int:
    return x
