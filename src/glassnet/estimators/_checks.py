"""The estimators' data checks: scikit-learn's validation wrapped so that every bad X, y or
`classes` raises one `DataError` line naming what was wrong — never several lines, never an array.

The messages keep the phrases scikit-learn's estimator checks look for ("Reshape your data",
"Complex data not supported", "0 feature(s) (shape=…) while a minimum of 1 is required", "NaN",
"inf", "sparse", "Unknown label type", "X has 1 features, but … is expecting 3 features").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .. import validation
from .._typing import Array
from ..errors import DataError, GlassnetError
from ..validation import all_finite, is_masked

__all__ = [
    "NotNumbersError",
    "check_X",
    "check_X_y",
    "check_classes",
    "check_labels",
    "check_sample_weight",
    "check_targets",
    "numeric_targets",
    "one_line",
    "translated",
]

#: the longest message a translated scikit-learn error keeps
_LIMIT = 240
#: the sparse formats X may come in (others are converted to CSR); the network reads CSR
SPARSE = ["csr", "csc"]


class NotNumbersError(DataError, TypeError):
    """Values that are not numbers (a dict in an object array): a DataError, and the TypeError
    scikit-learn's checks expect of a failed conversion to float."""


def one_line(text: str, limit: int = _LIMIT) -> str:
    """`text` on one line: scikit-learn's "- name" lists joined by commas, array dumps dropped,
    ``np.str_('a')`` shown as ``'a'``, and cut to `limit` characters."""
    parts: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("[", "array=")):
            continue  # an array printed over several lines
        if line.startswith("- ") and parts:
            parts[-1] += (" " if parts[-1].endswith(":") else ", ") + line[2:]
        else:
            parts.append(line)
    ends = tuple(".:;")
    folded = " ".join(p if p.endswith(ends) or p is parts[-1] else p + ";" for p in parts)
    folded = re.sub(r"np\.\w+\(([^()]*)\)", r"\1", folded)
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


@contextmanager
def translated(name: str) -> Iterator[None]:
    """Turn scikit-learn's ValueError/TypeError about `name` into a one-line DataError (a failed
    float conversion into a NotNumbersError, which is both); glassnet's own errors and
    NotFittedError pass unchanged."""
    try:
        yield
    except (GlassnetError, NotFittedError):
        raise
    except TypeError as exc:
        raise NotNumbersError(
            f"{name} holds values that are not numbers: {one_line(str(exc))}"
        ) from None
    except ValueError as exc:
        message = one_line(str(exc))
        if message.startswith("could not convert"):
            message = f"{name} holds text that is not a number ({message})"
        raise DataError(message) from None


def _describe(shape: tuple[int, ...]) -> str:
    return "a scalar" if not shape else f"{len(shape)}-D shape {shape}"


def _shape(value: Any, name: str) -> tuple[int, ...]:
    """The shape of array-like `value`, after refusing what no estimator can read."""
    if value is None:
        raise DataError(f"{name} is None; expected an array-like of numbers")
    if sparse.issparse(value):
        if name != "X":
            raise DataError(
                f"{name} is a sparse matrix ({type(value).__name__}), but these estimators "
                f"need dense {name}: pass {name}.toarray()"
            )
        return tuple(int(n) for n in value.shape)  # X: read as CSR, never densified
    if is_masked(value):
        raise DataError(
            f"{name} is a masked array, whose mask would be ignored: fill or drop the masked "
            f"values first, e.g. {name}.filled(value) or {name}[~{name}.mask.any(axis=1)]"
        )
    shape = getattr(value, "shape", None)  # arrays, DataFrames: no conversion needed
    if not isinstance(shape, tuple):
        try:
            shape = np.asarray(value).shape
        except ValueError:  # nested sequences of different lengths
            raise DataError(f"{name} is ragged: its rows have different lengths") from None
    if getattr(getattr(value, "dtype", None), "kind", "") == "c":
        raise DataError(
            f"Complex data not supported: {name} has dtype {value.dtype}; expected real numbers"
        )
    return tuple(int(n) for n in shape)


def _check_finite(a: Any, name: str, what: str = "finite numbers") -> None:
    if sparse.issparse(a):  # the stored values (the rest are zeros)
        if not all_finite(a.data):
            bad = a.data[~np.isfinite(a.data)][0]
            value = "NaN" if np.isnan(bad) else ("inf" if bad > 0 else "-inf")
            raise DataError(f"{name} contains {value} among its stored values; expected {what}")
        return
    if a.dtype.kind in "fc" and not all_finite(a):
        pos = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
        value = "NaN" if np.isnan(a[pos]) else ("inf" if a[pos] > 0 else "-inf")
        raise DataError(f"{name} contains {value} at {where}; expected {what}")


def _check_X_shape(X: Any) -> int:
    """The number of samples of an X that is 2-D with at least one sample and one feature."""
    shape = _shape(X, "X")
    if len(shape) != 2:
        hint = (
            "; Reshape your data: X.reshape(-1, 1) for one feature, X.reshape(1, -1) for one sample"
            if len(shape) < 2
            else ""
        )
        raise DataError(f"X must be 2-D (n_samples, n_features), got {_describe(shape)}{hint}")
    if shape[0] == 0:
        raise DataError(f"X has 0 samples (shape={shape}); expected at least 1")
    if shape[1] == 0:
        # scikit-learn's own words, which its estimator checks match
        raise DataError(f"X has 0 feature(s) (shape={shape}) while a minimum of 1 is required.")
    return shape[0]


def check_X(estimator: Any, X: Any, *, dtype: np.dtype) -> Array:
    """X for prediction: a finite 2-D array of `dtype` with the fitted features."""
    _check_X_shape(X)
    with translated("X"):
        X = validate_data(
            estimator, X, reset=False, dtype=dtype, ensure_all_finite=False, accept_sparse=SPARSE
        )
    _check_finite(X, "X")
    return X


def numeric_targets(y: Array) -> Array:
    """Regression targets as float64: numeric strings are read as numbers, as X's are."""
    if y.dtype.kind in "fiub":
        return y
    try:
        return y.astype(np.float64)
    except (TypeError, ValueError):
        first = next((v for v in y.ravel().tolist() if not _is_numeric(v)), None)
        raise DataError(
            f"y must hold numbers for a regressor, got {first!r} (dtype {y.dtype}); for class "
            "labels use NeuralNetClassifier"
        ) from None


def _is_numeric(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_targets(estimator: Any, X: Any, y: Any, *, numeric: bool) -> Array:
    """y as an array: 1-D or 2-D, as long as X (whose shape is checked first), real, and finite
    when `numeric` (a regressor's targets, numeric strings read as numbers) or float."""
    n = _check_X_shape(X)
    if y is None:
        raise DataError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None"
        )
    shape = _shape(y, "y")
    if len(shape) not in (1, 2):
        raise DataError(
            f"y must be 1-D (n_samples,) or 2-D (n_samples, n_outputs), got {_describe(shape)}"
        )
    if shape[0] != n:
        raise DataError(f"X and y have different lengths: {n} and {shape[0]} samples")
    with translated("y"):
        y = np.asarray(y)
    if y.dtype.kind == "c":
        raise DataError(f"Complex data not supported: y has dtype {y.dtype}; expected real numbers")
    if numeric:
        y = numeric_targets(y)
    _check_finite(y, "y", "finite targets" if numeric else "class labels")
    return y


def check_X_y(
    estimator: Any, X: Any, y: Any, *, reset: bool, dtype: np.dtype | list[Any], numeric: bool
) -> tuple[Array, Array]:
    """Training data: X as for `check_X`, y as for `check_targets`."""
    y = check_targets(estimator, X, y, numeric=numeric)
    # scikit-learn's finiteness check sums y first: targets near the float range's ends overflow
    # that sum (to inf − inf) with a warning before the check looks element by element
    with translated("X"), np.errstate(over="ignore", invalid="ignore"):
        X, y = validate_data(
            estimator, X, y, reset=reset, dtype=dtype, multi_output=True,
            y_numeric=numeric, ensure_all_finite=False, accept_sparse=SPARSE,
        )  # fmt: skip
    _check_finite(X, "X")
    return X, y


def check_sample_weight(sample_weight: Any, X: Any) -> Array | None:
    """`sample_weight` for fit (None stays None): shape (n_samples,), finite, ≥ 0, not all
    zero, as float64 — one DataError line otherwise."""
    if sample_weight is None:
        return None
    return validation.check_sample_weight(sample_weight, X.shape[0], np.dtype(np.float64))


def check_labels(y: Array, estimator: str) -> None:
    """`y` as class labels: scikit-learn's check, its message on one line."""
    try:
        check_classification_targets(y)
    except TypeError as exc:  # labels of two kinds (1 and "a") cannot be sorted; bytes
        raise DataError(
            f"y cannot be class labels: {one_line(str(exc))}; labels must be all numbers or "
            "all strings"
        ) from None
    except ValueError as exc:
        kind = re.search(r"Unknown label type: (\w[\w-]*)", str(exc))
        if kind is None:
            raise DataError(f"y cannot be class labels: {one_line(str(exc))}") from None
        kinds = {"continuous": "continuous values", "unknown": "values of no known label type"}
        what = kinds.get(kind.group(1), f"{kind.group(1)} values")
        raise DataError(
            f"Unknown label type: {kind.group(1)}; y holds {what}, but {estimator} needs "
            "discrete class labels (integers or strings) or a 0/1 indicator matrix"
        ) from None


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds, for a message: 1, not np.int64(1)."""
    return value.item() if isinstance(value, np.generic) else value


def check_classes(classes: Any) -> Array:
    """`classes` given to partial_fit: the sorted distinct labels, at least 2, no NaN."""
    shape = _shape(classes, "classes")
    if len(shape) != 1:
        raise DataError(f"classes must be 1-D, a list of class labels, got {_describe(shape)}")
    if isinstance(classes, (list, tuple)) and len({isinstance(c, str) for c in classes}) > 1:
        raise DataError("classes mixes strings and numbers; class labels must be of one kind")
    a = np.asarray(classes)
    if a.dtype.kind == "f" and not all_finite(a):
        raise DataError(f"classes contains {a[~np.isfinite(a)][0]}; class labels must be finite")
    if a.dtype == object and any(v is None or (isinstance(v, float) and v != v) for v in a):
        raise DataError("classes contains None or NaN; class labels must be numbers or strings")
    with translated("classes"):
        unique = np.unique(a)
    if len(unique) < len(a):
        values, counts = np.unique(a, return_counts=True)
        twice = _plain(values[counts > 1][0])
        raise DataError(f"classes lists {twice!r} more than once; list each class once")
    if len(unique) < 2:
        found = "is empty" if len(unique) == 0 else f"has one class only ({_plain(unique[0])!r})"
        raise DataError(f"classes {found}; a classifier needs at least 2 classes")
    return unique
