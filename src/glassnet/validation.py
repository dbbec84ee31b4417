"""Checks at the public boundary: every bad input becomes one GlassnetError naming what was wrong.

Two kinds: parameters (a size, a rate, a dtype, a seed: each check written once, used by every
constructor and estimator that takes one) and data (X and y: shape, dtype, finiteness, labels).
Inside the engine, layers, losses and optimizers trust their inputs; they are only reached through
these checks (`Sequential.fit`, `predict`, `evaluate`, the estimators, the CLI).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._typing import Array
from .errors import DataError, GlassnetError

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# ---------------------------------------------------------------- parameters


def is_integer(value: Any) -> bool:
    """Whether `value` is a Python or NumPy integer; a bool is not (``True`` is no size)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether `value` is a real Python or NumPy number (an int or a float), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """Whether `value` is a number (`is_number`) that a float holds finitely: not NaN or ±inf,
    and not an integer beyond float64's range (``10**400``, which `float` cannot convert)."""
    if not is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def shown(value: Any, limit: int = 60) -> str:
    """`repr(value)` for a message, cut to `limit` characters (a 400-digit integer stays
    readable, and the message one line)."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit for text, or one inside
        text = f"<a {type(value).__name__} too large to show>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def positive_int(value: Any, name: str) -> int:
    """`value` as an int, or a GlassnetError unless it is an integer ≥ 1.

    Examples
    --------
    >>> positive_int(3, "n_in")
    3
    >>> positive_int(0, "n_in")
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: n_in must be a positive integer, got 0
    """
    if not is_integer(value) or value < 1:
        raise GlassnetError(f"{name} must be a positive integer, got {shown(value)}")
    return int(value)


def count(value: Any, name: str, *, minimum: int) -> int:
    """`value` as an int, or a GlassnetError unless it is an integer ≥ `minimum`."""
    if not is_integer(value) or value < minimum:
        raise GlassnetError(f"{name} must be an integer >= {minimum}, got {shown(value)}")
    return int(value)


def positive_float(value: Any, name: str) -> float:
    """`value` as a float, or a GlassnetError unless it is a finite number > 0."""
    if not is_finite_number(value) or not value > 0:
        raise GlassnetError(f"{name} must be a positive number, got {shown(value)}")
    return float(value)


def non_negative(value: Any, name: str) -> float:
    """`value` as a float, or a GlassnetError unless it is a finite number ≥ 0."""
    if not is_finite_number(value) or not value >= 0:
        raise GlassnetError(f"{name} must be a finite number >= 0, got {shown(value)}")
    return float(value)


def number_in(
    value: Any, name: str, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """`value` as a float, or a GlassnetError unless it is a finite number in [low, high).

    With `open_low`, the interval is (low, high): `low` itself is refused too.

    Examples
    --------
    >>> number_in(0.0, "validation_fraction", 0.0, 1.0, open_low=True)
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetError: validation_fraction must be a number in (0, 1), got 0.0
    """
    ok = is_finite_number(value) and low <= value < high
    if not ok or (open_low and value == low):
        side = "(" if open_low else "["
        raise GlassnetError(
            f"{name} must be a number in {side}{low:g}, {high:g}), got {shown(value)}"
        )
    return float(value)


def fraction(value: Any, name: str) -> float:
    """`value` as a float, or a GlassnetError unless it is a number in [0, 1) (a rate, a β)."""
    return number_in(value, name, 0.0, 1.0)


def flag(value: Any, name: str) -> bool:
    """`value` as a bool, or a GlassnetError unless it is one (True/False, NumPy's, 0 or 1):
    a string such as "no" is true to Python, so it is refused rather than read as yes."""
    if isinstance(value, (bool, np.bool_)) or (is_integer(value) and value in (0, 1)):
        return bool(value)
    raise GlassnetError(f"{name} must be True or False, got {shown(value)}")


def level(value: Any, name: str) -> int:
    """`value` as an int ≥ 0 (a verbosity), or a GlassnetError; True and False count as 1, 0."""
    if isinstance(value, (bool, np.bool_)) or (is_integer(value) and value >= 0):
        return int(value)
    raise GlassnetError(f"{name} must be an integer >= 0 (or a bool), got {shown(value)}")


def one_of(value: Any, name: str, choices: Iterable[str]) -> str:
    """`value`, or a GlassnetError unless it is one of `choices` (names in a table)."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise GlassnetError(f"{name} must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def names(value: Any, name: str) -> list[str]:
    """`value` as a list of names, or a GlassnetError unless it is a list or tuple of strings."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise GlassnetError(
            f"{name} must be a list of names, e.g. ['accuracy'], got {shown(value)}"
        )
    return list(value)


def positive_ints(value: Any, name: str) -> list[int]:
    """`value` as a list of ints, or a GlassnetError unless it is a sequence of integers ≥ 1."""
    if not isinstance(value, (list, tuple, range)) and not (
        isinstance(value, np.ndarray) and value.ndim == 1
    ):
        raise GlassnetError(
            f"{name} must be a list of layer sizes, e.g. [16, 8], got {shown(value)}"
        )
    return [positive_int(v, f"each of {name}") for v in value]


def float_dtype(dtype: Any, *, spelled: str = "float32 or float64") -> np.dtype:
    """`dtype` as a NumPy dtype, or a GlassnetError unless it is float32 or float64.

    `spelled` is how the message names the two (the estimators quote them, as strings).
    """
    # every failure raises here: a None standing for "not a dtype" would pass a `not in` test,
    # since NumPy 2 compares ``np.dtype("float64") == None`` as True
    try:  # a name, a type or a dtype (NumPy also reads a dtype off any scalar: not here)
        dt = np.dtype(dtype) if isinstance(dtype, (str, type, np.dtype)) else None
    except (TypeError, ValueError):
        dt = None
    if dt is None or not any(dt is ok or dt == ok for ok in _FLOAT_DTYPES):
        raise GlassnetError(f"dtype must be {spelled}, got {dtype!r}")
    return dt


#: the largest seed NumPy's legacy `RandomState` takes (the tutorial's starting weights)
LEGACY_SEEDS = 2**32


def seed_of(
    value: Any, name: str = "seed", *, generator: bool = True, below: int | None = None
) -> Any:
    """`value` if it is a seed: None, an integer ≥ 0 (< `below` when given) or, with
    `generator`, a numpy Generator; else a GlassnetError naming `name`."""
    if value is None or (generator and isinstance(value, np.random.Generator)):
        return value
    if is_integer(value) and value >= 0 and (below is None or value < below):
        return int(value)
    expected = "a non-negative integer" + (f" below 2**{below.bit_length() - 1}" if below else "")
    also = ", None or a numpy Generator" if generator else " or None"
    raise GlassnetError(f"{name} must be a seed: {expected}{also}; got {shown(value)}")


def size_of(nbytes: float) -> str:
    """A byte count the way people read it: ``7.28 TiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.3g} {unit}" if unit != "bytes" else f"{int(nbytes)} bytes"
        nbytes /= 1024
    raise AssertionError  # pragma: no cover


def physical_memory() -> int | None:
    """This machine's RAM in bytes, where the system says (None elsewhere)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def fits_in_memory(nbytes: int, what: str) -> None:
    """A GlassnetError, before anything is allocated, when `what` needs more than the RAM."""
    ram = physical_memory()
    if ram is not None and nbytes > ram:
        raise GlassnetError(
            f"{what} would need {size_of(nbytes)} of memory, more than this machine's "
            f"{size_of(ram)}: out of memory"
        )


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A seed (or None) as a new Generator; a Generator passes through untouched."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(seed_of(rng, "rng"))


# ---------------------------------------------------------------- data


def check_targets(y: Array, loss: Any, name: str = "y") -> None:
    """A DataError unless the checked targets `y` lie in `loss.target_range` (when it has one):
    a binary cross-entropy reads its targets as probabilities, so they are in [0, 1]; a Poisson
    loss as counts or rates, ≥ 0."""
    bounds = getattr(loss, "target_range", None)
    if bounds is None or y.dtype.kind != "f":
        return
    low, high = bounds
    outside = (y < low) | (y > high)
    if outside.any():
        pos = tuple(int(i) for i in np.argwhere(outside)[0])
        where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
        meaning = (
            f"as counts or rates >= {low:g}"  # Poisson's: no upper bound
            if high == math.inf
            else f"as probabilities in [{low:g}, {high:g}]"
        )
        raise DataError(
            f"{name} holds {y[pos].item()!r} at {where}, but {type(loss).__name__} reads targets "
            f"{meaning}"
        )


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def all_finite(a: Array) -> bool:
    """Whether `a` holds no NaN or infinity.

    Σ a² (one BLAS dot: no temporary array, no floating-point warning) is finite whenever every
    element is; only when it is not (a NaN, an infinity, or values above ~1e154) is the
    elementwise test needed.
    """
    if a.dtype.kind not in "fc":
        return True  # integers and booleans are always finite
    return math.isfinite(np.vdot(a, a)) or bool(np.isfinite(a).all())


def _first_bad(a: Array) -> str:
    """Where the first NaN or infinity of `a` sits, and what it is."""
    pos = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
    return f"{a[pos].item()!r} at {where}"  # nan, inf, -inf: not np.float64(nan)


def is_masked(value: Any) -> bool:
    """Whether `value` is a NumPy masked array — asked without importing ``numpy.ma`` (13 ms in
    a fresh process, which every first fit would pay): an object of a module never imported
    cannot be one."""
    ma = sys.modules.get("numpy.ma")
    return ma is not None and isinstance(value, ma.MaskedArray)


def as_numeric(value: Any, name: str) -> Array:
    """`value` as a real-valued NumPy array, or a DataError naming what it was."""
    if value is None:
        raise DataError(f"{name} is None; expected an array of numbers")
    if is_masked(value):  # its mask would be dropped without a word
        raise DataError(
            f"{name} is a masked array, which glassnet does not read; drop or fill the masked "
            f"values first (e.g. {name}.filled(...) or {name}.compressed())"
        )
    try:
        a = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise DataError(f"{name} could not be read as an array: {exc}") from None
    if a.dtype == object or a.dtype.kind in "USV":
        raise DataError(f"{name} must be numeric, got {_describe(a)}; convert strings to numbers")
    if a.dtype.kind == "c":
        raise DataError(f"{name} must be real, got complex values ({_describe(a)})")
    if a.dtype.kind not in "biuf":
        raise DataError(f"{name} must be numeric, got {_describe(a)}")
    return a


def is_sparse(X: Any) -> bool:
    """Whether `X` is a scipy.sparse matrix or array (told without importing scipy)."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "tocsr")


def check_sparse_X(X: Any, *, dtype: np.dtype, n_features: int | None, name: str) -> Any:
    """A sparse `X` as a CSR matrix of `dtype` (never densified): 2-D, not empty, real, with the
    expected feature count and finite stored values. CSC and the other formats become CSR once:
    the fit loop gathers batches by rows."""
    shape = tuple(X.shape)
    if len(shape) != 2:
        raise DataError(f"{name} must be 2-D (n_samples, n_features), got sparse shape {shape}")
    if shape[0] == 0 or shape[1] == 0:
        raise DataError(f"{name} is empty: got shape {shape}, expected at least 1 sample")
    if n_features is not None and shape[1] != n_features:
        raise DataError(
            f"{name} has {shape[1]} features per sample, but the network expects {n_features}"
        )
    kind = X.dtype.kind
    if kind == "c":
        raise DataError(f"{name} must be real, got complex values (sparse, dtype {X.dtype})")
    if kind not in "biuf":
        raise DataError(f"{name} must be numeric, got a sparse matrix of dtype {X.dtype}")
    csr = X.tocsr()
    with np.errstate(over="ignore", invalid="ignore"):
        csr = csr.astype(dtype, copy=False)
    if not all_finite(csr.data):
        bad = csr.data[~np.isfinite(csr.data)][0]
        raise DataError(
            f"{name} contains {bad.item()!r} among its stored values (sparse, "
            f"in {dtype}); expected finite numbers"
        )
    return csr


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype) -> Array:
    """Per-sample weights: shape (n_samples,), finite, ≥ 0 and not all zero, as `dtype`."""
    w = as_numeric(sample_weight, "sample_weight")
    if w.shape != (n_samples,):
        raise DataError(
            f"sample_weight must have shape ({n_samples},), one weight per sample, "
            f"got shape {w.shape}"
        )
    w = as_finite(w, dtype, "sample_weight")
    if (w < 0).any():
        i = int(np.argmax(w < 0))
        raise DataError(f"sample_weight holds {w[i].item()!r} at row {i}; weights must be >= 0")
    if not w.any():
        raise DataError("sample_weight is all zero; at least one sample must weigh > 0")
    return w


def n_rows(X: Any) -> int:
    """The number of samples of a checked X (a sparse matrix has no `len`)."""
    return int(X.shape[0])


def check_X(X: Any, *, dtype: np.dtype, n_features: int | None = None, name: str = "X") -> Any:
    """A C-contiguous 2-D array of `dtype` with finite values and the expected feature count;
    a scipy.sparse `X` comes back as a CSR matrix (see `check_sparse_X`)."""
    if is_sparse(X):
        return check_sparse_X(X, dtype=dtype, n_features=n_features, name=name)
    a = as_numeric(X, name)
    if a.ndim != 2:
        hint = "; use X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one sample"
        raise DataError(
            f"{name} must be 2-D (n_samples, n_features), got {a.ndim}-D shape {a.shape}"
            + (hint if a.ndim == 1 else "")
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise DataError(f"{name} is empty: got shape {a.shape}, expected at least 1 sample")
    if n_features is not None and a.shape[1] != n_features:
        raise DataError(
            f"{name} has {a.shape[1]} features per sample, but the network expects {n_features}"
        )
    return as_finite(a, dtype, name)


def as_finite(a: Array, dtype: np.dtype, name: str) -> Array:
    """`a` as a C-contiguous array of `dtype`, or a DataError naming its first NaN or infinity —
    or the first value beyond what `dtype` holds (1e300 into float32), found after a quiet cast."""
    with np.errstate(over="ignore", invalid="ignore"):
        cast = np.ascontiguousarray(a, dtype=dtype)
    if all_finite(cast):
        return cast
    pos = tuple(int(i) for i in np.argwhere(~np.isfinite(cast))[0])
    if cast is not a and np.isfinite(a[pos]):
        where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
        limit = float(np.finfo(dtype).max)
        raise DataError(
            f"{name} holds {a[pos].item()!r} at {where}, beyond the range of {dtype} "
            f"(±{limit:.3g}), the network's dtype; scale {name} or use a float64 network"
        )
    raise DataError(f"{name} contains {_first_bad(cast)}; expected finite numbers")


def check_y(
    y: Any,
    *,
    n_samples: int,
    n_outputs: int,
    dtype: np.dtype,
    labels: bool = False,
    name: str = "y",
) -> Array:
    """Targets matching the network's output: shape (n, n_outputs), or (n,) class labels.

    With `labels` (a loss like CrossEntropy), a 1-D integer `y` holds class indices in
    [0, n_outputs); otherwise a 1-D `y` is taken as one column when the network has one output.
    """
    a = as_numeric(y, name)
    if a.ndim == 0 or a.ndim > 2:
        raise DataError(f"{name} must be 1-D or 2-D, got shape {a.shape}")
    if len(a) != n_samples:
        raise DataError(f"X and {name} have different lengths: {n_samples} and {len(a)} samples")
    if labels and a.ndim == 1:
        if a.dtype.kind == "f":
            if not all_finite(a):
                raise DataError(f"{name} contains {_first_bad(a)}; expected class labels")
            if not np.array_equal(a, np.round(a)):
                raise DataError(f"{name} holds class labels, so must be integers; got {a[:5]}")
        ai = a.astype(np.intp)
        if ai.min() < 0 or ai.max() >= n_outputs:
            raise DataError(
                f"{name} holds class labels in [{ai.min()}, {ai.max()}], but the network has "
                f"{n_outputs} outputs, so expects labels in [0, {n_outputs - 1}]"
            )
        return ai
    if labels and a.ndim == 2 and a.shape[1] == n_outputs and all_finite(a):
        sums = a.sum(axis=1)
        if (a < 0).any() or not np.allclose(sums, 1.0, atol=1e-6):
            row = int(np.argmax((a < 0).any(axis=1) | ~np.isclose(sums, 1.0, atol=1e-6)))
            raise DataError(
                f"{name} rows must be one-hot or probabilities summing to 1; row {row} is "
                f"{a[row].tolist()}"
            )
    if a.ndim == 1:
        if n_outputs != 1:
            raise DataError(
                f"{name} has shape {a.shape}, but the network has {n_outputs} outputs; "
                f"expected shape ({n_samples}, {n_outputs})"
            )
        a = a.reshape(-1, 1)
    if a.shape[1] != n_outputs:
        raise DataError(f"{name} has {a.shape[1]} columns, but the network has {n_outputs} outputs")
    return as_finite(a, dtype, name)
