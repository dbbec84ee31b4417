"""The data glassnet learns from: the tutorial's examples, XOR, 2-D toy sets, and strict CSV files.

Ordered as: the two fixed tables, the three generators, the named-dataset registry (`load`),
then reading and writing CSV for the command line.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import math
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

import numpy as np
from numpy.typing import NDArray

from glassnet.errors import DataError, GlassnetError
from glassnet.validation import count, non_negative

Array = NDArray[Any]
Task = Literal["classification", "regression"]

__all__ = [
    "BUILTIN",
    "Dataset",
    "Table",
    "describe",
    "encode_target",
    "infer_task",
    "load",
    "make_circles",
    "make_moons",
    "make_spirals",
    "names",
    "read_csv",
    "tutorial",
    "write_csv_atomic",
    "xor",
]

# An integer target with at most this many distinct values is read as class labels.
MAX_INTEGER_CLASSES = 20

# A CSV file whose first this many bytes hold a NUL byte is refused as binary before reading on.
BINARY_SNIFF_BYTES = 1 << 16


# --- the two fixed tables ----------------------------------------------------------------------


def tutorial() -> tuple[Array, Array]:
    """The tutorial's four training examples: the output is the first input.

    Returns
    -------
    X : ndarray of shape (4, 3), float64
    y : ndarray of shape (4, 1), float64

    Examples
    --------
    >>> X, y = tutorial()
    >>> X.shape, y.ravel().tolist()
    ((4, 3), [0.0, 1.0, 1.0, 0.0])
    """
    from .tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS

    return TRAINING_INPUTS.copy(), TRAINING_OUTPUTS.copy()


def xor() -> tuple[Array, Array]:
    """Exclusive or of two bits: the smallest problem a single neuron cannot learn.

    Returns
    -------
    X : ndarray of shape (4, 2), float64
    y : ndarray of shape (4, 1), float64

    Examples
    --------
    >>> X, y = xor()
    >>> y.ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return X, y


# --- generated 2-D classification sets ----------------------------------------------------------


def make_moons(
    n_samples: int = 200, *, noise: float = 0.1, seed: int | None = None
) -> tuple[Array, Array]:
    """Two interleaving half circles.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points; the two classes differ in size by at most one.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to every coordinate.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        0 for the upper moon, 1 for the lower one.

    Examples
    --------
    >>> X, y = make_moons(100, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [50, 50])
    """
    count(n_samples, "n_samples", minimum=2)
    non_negative(noise, "noise")
    y, t = _balanced(n_samples, 2)
    angle = np.pi * t
    # The lower moon is the upper one turned upside down and shifted by (1, -0.5).
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(y[:, None] == 0, upper, lower)
    return _noisy_shuffle(X, y, noise, seed)


def make_circles(
    n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[Array, Array]:
    """A circle inside a larger circle.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points; the two classes differ in size by at most one.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to every coordinate.
    factor : float, default=0.5
        Radius of the inner circle relative to the outer one, in (0, 1).
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        0 for the outer circle, 1 for the inner one.

    Examples
    --------
    >>> X, y = make_circles(10, noise=0.0, seed=0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 6)[y == 1].tolist()
    [0.5, 0.5, 0.5, 0.5, 0.5]
    """
    count(n_samples, "n_samples", minimum=2)
    non_negative(noise, "noise")
    if not 0 < factor < 1:
        raise GlassnetError(f"factor must be between 0 and 1 (exclusive), got {factor!r}")
    y, t = _balanced(n_samples, 2, endpoint=False)  # 0 and 2π are the same point on a circle
    radius = np.where(y == 0, 1.0, factor)
    angle = 2 * np.pi * t
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _noisy_shuffle(X, y, noise, seed)


def make_spirals(
    n_samples: int = 300,
    *,
    n_classes: int = 2,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: int | None = None,
) -> tuple[Array, Array]:
    """Interleaved spiral arms, one per class (the CS231n spiral).

    Point i of arm k sits at radius r and angle θ = 2π·(turns·r + k/n_classes) + noise·ε,
    with ε ~ N(0, 1): the noise jitters the angle, so the arms stay apart far from the centre.

    Parameters
    ----------
    n_samples : int, default=300
        Number of points; class sizes differ by at most one.
    n_classes : int, default=2
        Number of arms.
    noise : float, default=0.2
        Standard deviation of the angular noise, in radians.
    turns : float, default=1.0
        How many full turns each arm makes from the centre to radius 1.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        The arm of each point, 0 to ``n_classes - 1``.

    Examples
    --------
    >>> X, y = make_spirals(300, n_classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    count(n_classes, "n_classes", minimum=2)
    count(n_samples, "n_samples", minimum=n_classes)
    non_negative(noise, "noise")
    if not (math.isfinite(turns) and turns > 0):
        raise GlassnetError(f"turns must be a positive number, got {turns!r}")
    rng = np.random.default_rng(seed)
    y, t = _balanced(n_samples, n_classes)
    radius = 0.1 + 0.9 * t  # start off the origin, so the arms do not share a point
    angle = 2 * np.pi * (turns * t + y / n_classes) + noise * rng.standard_normal(n_samples)
    X = radius[:, None] * np.column_stack([np.sin(angle), np.cos(angle)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def _balanced(n_samples: int, n_classes: int, *, endpoint: bool = True) -> tuple[Array, Array]:
    """Labels 0, 1, …, k−1 dealt in turn, and each point's position t in [0, 1] along its class."""
    i = np.arange(n_samples)
    rank = i // n_classes  # 0, 1, 2, … within each class
    largest = rank[-1]
    t = rank / max(largest, 1) if endpoint else rank / (largest + 1)
    return (i % n_classes).astype(np.int64), t


def _noisy_shuffle(X: Array, y: Array, noise: float, seed: int | None) -> tuple[Array, Array]:
    """Add N(0, noise²) to every coordinate and shuffle the rows, from one seeded generator."""
    rng = np.random.default_rng(seed)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


# --- named data sets ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named data set, ready to train on.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
        int64 class labels for classification, float64 values for regression.
    feature_names : list of str, length n_features
    target_name : str
    task : {"classification", "regression"}
    target_names : list of str or None
        The name of each class label (``target_names[y[i]]``); None for regression.
    description : str
        One line saying what the data is.
    """

    X: Array
    y: Array
    feature_names: list[str]
    target_name: str
    task: Task
    target_names: list[str] | None
    description: str


def _classes(
    X: Array, y: Array, features: list[str], target: str, classes: list[str], description: str
) -> Dataset:
    """A classification Dataset with float64 features and int64 labels."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).astype(np.int64)
    return Dataset(X, y, features, target, "classification", classes, description)


Loader = Callable[[int, str], Dataset]  # (seed, description) -> Dataset


def _fixed(table: Callable[[], tuple[Array, Array]]) -> Loader:
    """Loader for tutorial/xor: the (4, 1) float targets become (4,) int labels."""

    def loader(seed: int, description: str) -> Dataset:
        X, y = table()
        features = [f"x{j + 1}" for j in range(X.shape[1])]
        return _classes(X, y.ravel(), features, "y", ["0", "1"], description)

    return loader


def _generated(make: Callable[..., tuple[Array, Array]], n_classes: int = 2) -> Loader:
    """Loader for a generated 2-D set with its default size and noise."""

    def loader(seed: int, description: str) -> Dataset:
        X, y = make(seed=seed)
        classes = [str(k) for k in range(n_classes)]
        return _classes(X, y, ["x1", "x2"], "class", classes, description)

    return loader


def _sklearn(name: str, target: str) -> Loader:
    """Loader for one of scikit-learn's bundled data sets (no download), imported on use."""

    def loader(seed: int, description: str) -> Dataset:
        try:
            from sklearn import datasets as sk
        except ImportError:
            raise GlassnetError(
                f"dataset {name!r} needs scikit-learn: pip install 'glassnet[sklearn]'"
            ) from None
        bunch = getattr(sk, f"load_{name}")()
        X = np.ascontiguousarray(bunch.data, dtype=np.float64)
        features = [str(f) for f in bunch.feature_names]
        if name == "diabetes":
            y = np.asarray(bunch.target, dtype=np.float64)
            return Dataset(X, y, features, target, "regression", None, description)
        classes = [str(c) for c in bunch.target_names]
        return _classes(X, bunch.target, features, target, classes, description)

    return loader


# name -> (one-line description, loader)
BUILTIN: dict[str, tuple[str, Loader]] = {
    "tutorial": (
        "the tutorial's 4 examples: the output is the first of 3 inputs",
        _fixed(tutorial),
    ),
    "xor": ("exclusive or of 2 bits, 4 examples: not linearly separable", _fixed(xor)),
    "moons": (
        "two interleaving half circles, 200 points in 2-D, 2 classes",
        _generated(make_moons),
    ),
    "circles": ("a circle inside a circle, 200 points in 2-D, 2 classes", _generated(make_circles)),
    "spirals": ("two spiral arms, 300 points in 2-D, 2 classes", _generated(make_spirals)),
    "digits": (
        "8x8 images of handwritten digits, 1797 samples, 10 classes (scikit-learn)",
        _sklearn("digits", "digit"),
    ),
    "iris": (
        "iris flowers, 150 samples, 4 measurements, 3 species (scikit-learn)",
        _sklearn("iris", "species"),
    ),
    "wine": (
        "wines, 178 samples, 13 chemical measurements, 3 cultivars (scikit-learn)",
        _sklearn("wine", "cultivar"),
    ),
    "breast_cancer": (
        "breast tumours, 569 samples, 30 measurements, malignant or benign (scikit-learn)",
        _sklearn("breast_cancer", "diagnosis"),
    ),
    "diabetes": (
        "diabetes progression after a year, 442 patients, 10 features, regression (scikit-learn)",
        _sklearn("diabetes", "progression"),
    ),
}


def names() -> list[str]:
    """The names `load` accepts, in a fixed order: the built-in sets first, then scikit-learn's."""
    return list(BUILTIN)


def describe(name: str) -> str:
    """One line saying what the data set ``name`` is (for ``glassnet datasets``)."""
    return BUILTIN[_known(name)][0]


def load(name: str, *, seed: int = 0) -> Dataset:
    """Load a data set by name.

    Parameters
    ----------
    name : str
        One of `names()`: tutorial, xor, moons, circles, spirals (built in) or digits, iris,
        wine, breast_cancer, diabetes (bundled with scikit-learn, which must be installed).
    seed : int, default=0
        Seed for the generated sets (moons, circles, spirals); ignored by the others.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, n_features) and a 1-D ``y`` of shape (n_samples,).

    Examples
    --------
    >>> data = load("xor")
    >>> data.X.shape, data.y.tolist(), data.task
    ((4, 2), [0, 1, 1, 0], 'classification')
    """
    description, loader = BUILTIN[_known(name)]
    return loader(seed, description)


def _known(name: str) -> str:
    """Return ``name`` if it is a known data set, else raise naming the known ones."""
    if name not in BUILTIN:
        raise GlassnetError(f"unknown dataset {name!r}; expected one of: {', '.join(BUILTIN)}")
    return name


# --- CSV files ----------------------------------------------------------------------------------


@dataclass
class Table:
    """Numeric features (and an optional raw target column) read from a CSV file.

    Attributes
    ----------
    columns : list of str, length n_features
        The feature column names, in the order of the columns of ``X``.
    X : ndarray of shape (n_rows, n_features), float64
        Every value finite.
    target : str or None
        The name of the target column, if one was asked for.
    y_raw : list of str or None, length n_rows
        The target column's values, stripped but not converted; see `infer_task`.
    source : str
        The file's name as used in messages.
    lines : list of int, length n_rows
        The line of the file each row came from (the header is line 1).
    """

    columns: list[str]
    X: Array
    target: str | None
    y_raw: list[str] | None
    source: str
    lines: list[int]

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self.X.shape[0])


def read_csv(
    path_or_file: str | os.PathLike[str] | IO[Any],
    *,
    target: str | None = None,
    feature_columns: Sequence[str] | None = None,
    source_name: str | None = None,
) -> Table:
    """Read a CSV file with a header row into numeric features and a raw target column.

    Every problem raises a `DataError` with a one-line message naming the file and, where it
    applies, the line and column, e.g. ``data.csv line 7, column 'age': expected a number,
    got 'abc'``.

    Parameters
    ----------
    path_or_file : str, path-like or text file object
        A path, ``"-"`` for standard input, or an open file. UTF-8 text; a BOM is allowed.
    target : str or None, default=None
        The column to return as ``y_raw`` instead of as a feature.
    feature_columns : sequence of str or None, default=None
        The feature columns a trained model expects. The file must hold exactly these (plus the
        target, if given), in any order; ``X`` is arranged in this order.
    source_name : str or None, default=None
        The name to use for the file in messages (default: the path, or ``<stdin>``).

    Returns
    -------
    Table

    Examples
    --------
    >>> import io
    >>> table = read_csv(io.StringIO("a,b,label\\n1,2,cat\\n3,4,dog\\n"), target="label")
    >>> table.columns, table.X.tolist(), table.y_raw
    (['a', 'b'], [[1.0, 2.0], [3.0, 4.0]], ['cat', 'dog'])
    """
    name = source_name or _source_name(path_or_file)
    records = _records(_read_text(path_or_file, name), name)
    if not records:
        raise DataError(f"{name} is empty: expected a header row and at least one data row")
    header = [column.strip() for column in records[0][1]]
    rows = records[1:]
    _check_header(header, name)
    if not rows:
        raise DataError(f"{name} has a header but no data rows")
    for line, row in rows:
        if len(row) != len(header):
            raise DataError(
                f"{name} line {line}: expected {len(header)} fields as in the header, "
                f"got {len(row)}" + (" (a blank line)" if not row else "")
            )

    features = _feature_columns(header, target, feature_columns, name)
    lines = [line for line, _ in rows]
    cells = [[row[j] for j in features] for _, row in rows]
    columns = [header[j] for j in features]
    X = _numbers(cells, columns, lines, name)

    y_raw = None
    if target is not None:
        t = header.index(target)
        y_raw = [row[t].strip() for _, row in rows]
        for value, line in zip(y_raw, lines, strict=True):
            if not value:
                raise DataError(f"{name} line {line}, column {target!r}: missing target value")
            if _is_number(value) and not math.isfinite(float(value)):  # nan, inf: not a class
                raise DataError(
                    f"{name} line {line}, column {target!r}: expected a class label or a finite "
                    f"number, got {_show(value)}"
                )
    return Table(columns, X, target, y_raw, name, lines)


def _numbers(cells: list[list[str]], columns: list[str], lines: list[int], name: str) -> Array:
    """The feature cells as a finite float64 array, or a DataError for the first bad value."""
    try:
        X = np.array(cells, dtype=np.float64)  # fast path: NumPy parses every string at once
        if np.isfinite(X).all():
            return X
    except ValueError:
        pass
    # Slow path, only when something is wrong: parse cell by cell to report the first bad one.
    return np.array(
        [
            [_number(c, name, line, col) for c, col in zip(row, columns, strict=True)]
            for row, line in zip(cells, lines, strict=True)
        ],
        dtype=np.float64,
    )


def _source_name(path_or_file: str | os.PathLike[str] | IO[Any]) -> str:
    """The file's name for messages: the path as given, ``<stdin>``, or the file object's name."""
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.fspath(path_or_file)
        return "<stdin>" if path == "-" else path
    return str(getattr(path_or_file, "name", "<file>"))


def _read_text(path_or_file: str | os.PathLike[str] | IO[Any], name: str) -> str:
    """The whole file as text, or a DataError saying why it cannot be read."""
    try:
        if isinstance(path_or_file, (str, os.PathLike)) and os.fspath(path_or_file) == "-":
            if sys.stdin is None:
                raise DataError(f"cannot read {name}: standard input is closed")
            stream: Any = getattr(sys.stdin, "buffer", sys.stdin)  # bytes, so we decide UTF-8
            data = _read_all(stream, name)
        elif isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, "rb") as f:
                data = _read_all(f, name)
        else:
            data = _read_all(path_or_file, name)
        text: str = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except FileNotFoundError:
        raise DataError(f"cannot read {name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"cannot read {name}: it is a directory, expected a CSV file") from None
    except PermissionError:
        raise DataError(f"cannot read {name}: permission denied") from None
    except UnicodeDecodeError as e:
        line = e.object[: e.start].count(b"\n") + 1
        raise DataError(
            f"cannot read {name}: not UTF-8 text (line {line}, byte {e.start})"
        ) from None
    except OSError as e:
        raise DataError(f"cannot read {name}: {e.strerror or e}") from None
    if "\x00" in text:
        raise DataError(f"cannot read {name}: binary data (a NUL byte), expected CSV text")
    return text.removeprefix("\ufeff")


def _read_all(stream: IO[Any], name: str) -> bytes | str:
    """All of ``stream``, refusing binary data as soon as its first block shows a NUL byte.

    A device like /dev/zero, or a pipe from /dev/urandom, never ends: read whole, it would fill
    memory before anything could be said about it.
    """
    first = stream.read(BINARY_SNIFF_BYTES)
    if isinstance(first, bytes):
        refuse_binary_start(first, name)
    elif "\x00" in first:
        raise DataError(f"cannot read {name}: binary data (a NUL byte), expected CSV text")
    rest = stream.read()
    return first + rest if rest else first


def refuse_binary_start(first: bytes, name: str) -> None:
    """Raise a DataError if the first bytes of a file show it is not UTF-8 CSV text.

    UTF-16 (recognized by its byte-order mark) is named as such; any other NUL byte means binary.
    """
    if first[:2] in (b"\xff\xfe", b"\xfe\xff"):  # the byte-order mark of UTF-16
        raise DataError(
            f"cannot read {name}: not UTF-8 text (line 1, byte 0); it looks UTF-16: save it as "
            "UTF-8"
        )
    if b"\x00" in first:
        raise DataError(f"cannot read {name}: binary data (a NUL byte), expected CSV text")


def _records(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Parse CSV text into (line number, fields) pairs, dropping blank lines at the end."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    line = 1  # where the next record starts; a quoted field may span several lines
    try:
        for row in reader:
            records.append((line, row))
            line = reader.line_num + 1
    except csv.Error as e:
        raise DataError(f"{name} line {line}: malformed CSV ({e})") from None
    while records and len(records[-1][1]) <= 1 and not "".join(records[-1][1]).strip():
        records.pop()
    return records


def _check_header(header: list[str], name: str) -> None:
    """Raise unless the header names every column once and does not look like a data row."""
    if not any(header):
        raise DataError(f"{name} line 1 is blank: expected a header row naming the columns")
    empty = [j + 1 for j, column in enumerate(header) if not column]
    if empty:
        raise DataError(
            f"{name} line 1: column {empty[0]} has no name; "
            "expected a header row naming every column"
        )
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise DataError(f"{name} line 1: duplicate column names {_names(duplicates)}")
    if all(_is_number(column) for column in header):
        raise DataError(
            f"{name} line 1: the first row looks like data ({', '.join(header)}); "
            "expected a header row naming the columns"
        )


def _feature_columns(
    header: list[str], target: str | None, expected: Sequence[str] | None, name: str
) -> list[int]:
    """Indices of the feature columns in ``header``, in the expected order if one is given."""
    if target is not None and target not in header:
        raise DataError(
            f"{name}: no target column {target!r}; the columns are {_names(header)}"
            + (_separator_hint(header) or _spelling_hint(target, header))
        )
    available = [column for column in header if column != target]
    if not available:
        raise DataError(
            f"{name}: the target {target!r} is the only column; expected feature columns too"
        )
    if expected is None:
        return [header.index(column) for column in available]
    missing = [column for column in expected if column not in available]
    if missing:
        raise DataError(
            f"{name}: missing feature columns {_names(missing)}; "
            f"the model expects {_names(expected)}" + _separator_hint(header)
        )
    extra = [column for column in available if column not in expected]
    if extra:
        raise DataError(
            f"{name}: unexpected columns {_names(extra)}; the model expects {_names(expected)}"
            + ("" if target else " (and no target column was named)")
        )
    return [header.index(column) for column in expected]


def _separator_hint(header: list[str]) -> str:
    """A note for a header read as one column that another separator would split, else ''."""
    if len(header) == 1:
        for separator, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if separator in header[0]:
                return f" (the file looks {label}-separated; glassnet reads comma-separated values)"
    return ""


def _spelling_hint(wanted: str, header: list[str]) -> str:
    """' (did you mean 'Label'?)' for a column name differing in case or by a typo, else ''."""
    folded = [column for column in header if column.casefold() == wanted.casefold()]
    close = folded or difflib.get_close_matches(wanted, header, n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _number(cell: str, name: str, line: int, column: str) -> float:
    """Parse one feature value, or raise a DataError naming the file, line and column."""
    where = f"{name} line {line}, column {column!r}"
    text = cell.strip()
    if not text:
        raise DataError(f"{where}: missing value; expected a number")
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: expected a number, got {_show(cell)}") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: expected a finite number, got {_show(cell)}")
    return value


def _is_number(text: str) -> bool:
    """True if ``text`` parses as a float."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show(value: str, limit: int = 40) -> str:
    """A quoted, single-line, length-limited rendering of a value for messages."""
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _names(columns: Iterable[str], limit: int = 10) -> str:
    """Column names quoted and comma-separated, for messages; the first ``limit`` of many."""
    names = [_show(column) for column in columns]
    if len(names) > limit:  # a 1,000-column file must not make a 10,000-character message
        return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"
    return ", ".join(names)


def infer_task(y_raw: Sequence[str]) -> Task:
    """Decide whether a raw target column holds class labels or numbers to regress.

    Text labels mean classification; so do integers with at most 20 distinct values (e.g. 0/1,
    digits). Any other numbers mean regression.

    Parameters
    ----------
    y_raw : sequence of str, length n_rows

    Returns
    -------
    {"classification", "regression"}

    Examples
    --------
    >>> infer_task(["cat", "dog"]), infer_task(["0", "1", "1"]), infer_task(["0.5", "1.25"])
    ('classification', 'classification', 'regression')
    """
    if len(y_raw) == 0:
        raise DataError("cannot infer the task from an empty target column")
    if not all(_is_number(value) for value in y_raw):
        return "classification"
    values = np.array(y_raw, dtype=np.float64)
    integers = bool(np.isfinite(values).all() and (values == np.round(values)).all())
    if integers and len(np.unique(values)) <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def encode_target(table: Table, task: Task) -> tuple[Array, list[str] | None]:
    """Turn a table's raw target column into the ``y`` a model trains on.

    Parameters
    ----------
    table : Table
        Read with a ``target``.
    task : {"classification", "regression"}
        Usually ``infer_task(table.y_raw)``.

    Returns
    -------
    y : ndarray of shape (n_rows,)
        int64 indices into ``classes`` for classification; finite float64 for regression.
    classes : list of str or None
        The sorted class labels (numerically, if all are numbers); None for regression.

    Examples
    --------
    >>> import io
    >>> table = read_csv(io.StringIO("x,label\\n1,b\\n2,a\\n3,b\\n"), target="label")
    >>> y, classes = encode_target(table, "classification")
    >>> y.tolist(), classes
    ([1, 0, 1], ['a', 'b'])
    """
    if table.y_raw is None or table.target is None:
        raise GlassnetError(f"{table.source} was read without a target column")
    if task == "classification":
        if not all(_is_number(value) for value in table.y_raw):
            classes = sorted(set(table.y_raw))
            index = {label: k for k, label in enumerate(classes)}
            return np.array([index[value] for value in table.y_raw], dtype=np.int64), classes
        # numbers are classes by value: 1, 1.0 and 01 are one class, spelled as first seen
        spelling: dict[float, str] = {}
        for value in table.y_raw:
            spelling.setdefault(float(value), value)
        numbers = sorted(spelling)
        position = {number: k for k, number in enumerate(numbers)}
        indices = np.array([position[float(value)] for value in table.y_raw], dtype=np.int64)
        return indices, [spelling[number] for number in numbers]
    y = [
        _number(value, table.source, line, table.target)
        for value, line in zip(table.y_raw, table.lines, strict=True)
    ]
    return np.array(y, dtype=np.float64), None


def write_csv_atomic(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Any]
) -> None:
    """Write a CSV file all at once: readers see the old file or the whole new one, never half.

    The rows go to a temporary file in the same directory, which then replaces ``path``
    (``os.replace`` is atomic). ``"-"`` writes to standard output instead, and an existing
    device or pipe (e.g. ``/dev/null``) is written into, not replaced.

    Parameters
    ----------
    path : str or path-like
    header : sequence of str
    rows : iterable of sequences
        Floats are written with ``repr`` so they read back exactly; a 2-D array works too.

    Raises
    ------
    DataError
        If the file cannot be written (e.g. the directory is missing); nothing is left behind.
    """
    if os.fspath(path) == "-":
        if sys.stdout is None:
            raise DataError("cannot write <stdout>: standard output is closed")
        _write_rows_to_stdout(header, rows)
        return
    path = os.fspath(path)
    if _is_device_or_pipe(path):  # e.g. /dev/null: write into it, as renaming would replace it
        try:
            with open(path, "w", newline="", encoding="utf-8") as f:
                _write_rows(f, header, rows)
        except OSError as e:
            raise DataError(f"cannot write {path}: {e.strerror or e}") from None
        return
    temporary = os.path.join(
        os.path.dirname(os.path.abspath(path)),
        f".{os.path.basename(path)[:64]}.{uuid.uuid4().hex[:8]}.tmp",
    )
    try:
        with open(temporary, "x", newline="", encoding="utf-8") as f:
            _write_rows(f, header, rows)
        os.replace(temporary, path)
    except OSError as e:
        _remove_quietly(temporary)
        reason = "no such directory" if isinstance(e, FileNotFoundError) else e.strerror or e
        raise DataError(f"cannot write {path}: {reason}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def _write_rows_to_stdout(header: Sequence[str], rows: Iterable[Any]) -> None:
    """Write the CSV to standard output in UTF-8, as to a file, whatever the locale's encoding
    (an ASCII terminal could not print a label like 'café')."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (e.g. io.StringIO): it takes any character
        _write_rows(sys.stdout, header, rows)
        return
    sys.stdout.flush()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        _write_rows(text, header, rows)
        text.flush()
    finally:
        text.detach()  # leave sys.stdout's own binary stream open


def _write_rows(f: IO[str], header: Sequence[str], rows: Iterable[Any]) -> None:
    """Write the header and rows as CSV to an open text file."""
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)


def _cell(value: Any) -> str:
    """A value as CSV text; floats as ``repr`` (shortest exact form, even for NumPy floats)."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _is_device_or_pipe(path: str) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a directory."""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def _remove_quietly(path: str) -> None:
    """Delete ``path`` if it exists."""
    with contextlib.suppress(OSError):
        os.remove(path)
