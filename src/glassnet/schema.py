"""What each column of a table means for learning, learned once on the training rows and stored
in the model file as JSON: a `Schema` turns a table's columns into the network's numeric
features, the same way for the training data and for new data.

Ordered as: the `Schema` (its features, how new columns become them, its JSON), `learn` (each
column's kind, found by `glassnet.kinds`), how each kind writes its inputs (vectorised: one pass
over each column, categories by dict lookups), the target column, then reading the JSON back
with every field checked.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from ._typing import Array
from .errors import DataError
from .kinds import (
    DATE_ORDERS,
    DATE_PARTS,
    KINDS,
    NAT,
    OTHER,
    SET_ASIDE,
    Column,
    Place,
    date_part,
    date_seconds,
    find_kind,
    first_of,
    refuse_infinite,
    refuse_words,
    truth,
)
from .tables import NA_MARKERS, Columns, Labels, to_float
from .validation import is_finite_number, shown

__all__ = ["Schema", "learn", "target_rows"]

# --- learning ------------------------------------------------------------------------------------


@dataclass
class Schema:
    """Every column of a training table and how it becomes the network's inputs.

    Attributes
    ----------
    columns : list of Column
        In file order, the target left out; set-aside columns too, to say so.
    target : str or None
    na : list of str
        The cells read as missing values (`tables.read_columns`'s ``na``), so that new data is
        read the way the training data was.

    Examples
    --------
    >>> import io
    >>> from glassnet.tables import read_columns
    >>> table = read_columns(io.StringIO("size,colour,y\\n1.5,red,a\\nNA,blue,b\\n3,red,a\\n"))
    >>> schema = learn(table, target="y")
    >>> schema.features
    ['size', 'colour=blue', 'colour=red']
    >>> schema.transform(table)[0].tolist()
    [[1.5, 0.0, 1.0], [2.25, 1.0, 0.0], [3.0, 0.0, 1.0]]
    """

    columns: list[Column]
    target: str | None
    na: list[str] = field(default_factory=lambda: list(NA_MARKERS))

    @property
    def used(self) -> list[Column]:
        """The columns that become features, in order."""
        return [c for c in self.columns if c.used]

    @property
    def features(self) -> list[str]:
        """The name of each network input, in order."""
        return [name for c in self.used for name in c.features]

    @classmethod
    def numeric(cls, features: Sequence[str], target: str | None) -> Schema:
        """The schema of a model saved without one: every feature a number, nothing to fill."""
        return cls([Column(name, "number") for name in features], target)

    def text_columns(self) -> list[str]:
        """Columns to read as text whatever they hold: categories and booleans (``1`` is a
        category as well as a number)."""
        return [c.name for c in self.used if c.kind in ("category", "boolean")]

    def describe(self) -> list[str]:
        """One line per column: its name and how it is used."""
        width = min(24, max((len(c.name) for c in self.columns), default=0))
        return [f"{c.name:<{width}}  {c.describe()}" for c in self.columns]

    # ------------------------------------------------------------------ transforming

    def transform(self, columns: Columns, *, rows: Array | None = None) -> tuple[Array, list[str]]:
        """The features of ``columns`` (or of its ``rows``) and notes on what was unexpected.

        Parameters
        ----------
        columns : Columns
            Read with this schema's ``na``; it must hold every used column (others are ignored).
        rows : ndarray of int, optional
            The data rows to take, in order (default: all).

        Returns
        -------
        X : ndarray of shape (n_rows, n_features), float64
            When every input is a column of numbers read together as ``columns.matrix`` (in
            this order), X is that matrix itself, filled in place: no copy. Missing values
            filled as learned; a category unseen in training gives all zeros
            (or the "other" input, if the column has one).
        notes : list of str
            One line per column with unseen categories, counting them.

        Raises
        ------
        DataError
            A value the column's kind cannot read (``abc`` for a number), an infinity, or a
            missing value in a column with nothing to fill it with.
        """
        if rows is None and self._numbers_only(columns):
            # every input a column of numbers, read together as this matrix: X is the matrix
            X = columns.matrix
            assert X is not None
            for j, column in enumerate(self.used):
                _fill(column, X[:, j], Place(columns, column.name, rows))
            return X, []
        n = columns.n_rows if rows is None else len(rows)
        X = np.empty((n, len(self.features)))
        notes: list[str] = []
        numbers: list[tuple[int, Array, Array | None]] = []  # copied last, in blocks of rows
        j = 0
        for column in self.used:
            values = columns.values[column.name]
            at = Place(columns, column.name, rows)
            width = len(column.features)
            if column.kind == "number" and values.dtype.kind == "f" and not column.indicator:
                numbers.append((j, values, rows))  # gathered straight into X: no copy
                j += width
                continue
            values = values if rows is None else values[rows]
            block = X[:, j : j + width]
            if column.kind == "number":
                numbers.append((j, _as_numbers(values, at), None))
                missing, note = np.isnan(numbers[-1][1]), ""
            else:
                missing, note = _INTO[column.kind](column, values, block, at)
            if column.indicator:
                block[:, -1] = missing
            if note:
                notes.append(f"{columns.source}, column {column.name!r}: {note}")
            j += width
        _copy_numbers(X, numbers)
        for column, (j, _, _) in zip([c for c in self.used if c.kind == "number"], numbers):
            _fill(column, X[:, j], Place(columns, column.name, rows))
        return X, notes

    def _numbers_only(self, columns: Columns) -> bool:
        """Whether the features are exactly ``columns.matrix``: the used columns, in order, are
        its columns, each a number giving one input (then `transform` fills it in place)."""
        return (
            columns.matrix is not None
            and columns.together == [column.name for column in self.used]
            and all(c.kind == "number" and c.features == [c.name] for c in self.used)
            and all(columns.kind(c.name) == "number" for c in self.used)
        )

    # ------------------------------------------------------------------ the model file

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "target": self.target,
            "na": list(self.na),
            "columns": [c.to_json() for c in self.columns],
        }

    @classmethod
    def from_json(cls, data: Any) -> Schema:
        """A schema from its JSON, every field checked; a ValueError or TypeError says what is
        wrong (the model file's reader wraps it in a ModelFileError)."""
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        if data.get("version") != 1:
            raise ValueError(f"version {shown(data.get('version'), 20)} is not 1")
        target, na = data.get("target"), _strings(data.get("na"), "na")
        if target is not None and not isinstance(target, str):
            raise TypeError("target must be a column name or null")
        items = data.get("columns")
        if not isinstance(items, list):
            raise TypeError("columns must be a list")
        columns = [_column_from_json(item, k) for k, item in enumerate(items)]
        names = [c.name for c in columns]
        if len(set(names)) != len(names) or target in names:
            raise ValueError("column names must be distinct and not the target")
        schema = cls(columns, target, na)
        features = schema.features
        if len(set(features)) != len(features):
            raise ValueError("the columns' inputs must have distinct names")
        return schema


def learn(
    columns: Columns,
    *,
    target: str | None,
    ignore: Iterable[str] = (),
    na_indicator: bool = False,
    na: Sequence[str] = NA_MARKERS,
    rows: Array | None = None,
    missing: Mapping[str, int] | None = None,
) -> Schema:
    """Find how each column of a training table is used (see `Column` and `KINDS`).

    Parameters
    ----------
    columns : Columns
        The training table, as `tables.read_columns` read it (with ``na``).
    target : str or None
        The target column, left out of the schema.
    ignore : iterable of str
        Columns to set aside whatever they hold.
    na_indicator : bool, default=False
        Add a 0/1 input per used column that had missing values.
    na : sequence of str
        The missing-value markers the table was read with, kept for reading new data.
    rows : ndarray of int, optional
        The training rows (default: all), e.g. those with a target.
    missing : mapping of str to int, optional
        Each column's missing values in all the training rows, when ``columns`` holds a sample
        of them (a file larger than memory): the counts reported, stored and flagged
        (``na_indicator``) are these.

    Raises
    ------
    DataError
        A column of numbers with a stray word (naming the file, line, column and value), an
        infinity, or no column left to learn from.
    """
    ignored = set(ignore)

    def kind_of(name: str, *, last_resort: bool = False) -> Column:
        if name in ignored:
            return Column(name, "ignored")
        values = columns.values[name]
        at = Place(columns, name, rows)
        column = find_kind(
            name, values if rows is None else values[rows], at, last_resort=last_resort
        )
        if missing is not None:
            column.missing = missing[name]
        column.indicator = na_indicator and column.used and column.missing > 0
        return column

    learned = [kind_of(name) for name in columns.names if name != target]
    if not any(c.used for c in learned):
        # nothing left to learn from: numbers that never change, or that number the rows (a
        # time step t = 0, 1, ... perhaps), are used as they are rather than refused
        learned = [kind_of(c.name, last_resort=True) if c.kind in ("identifier", "constant")
                   else c for c in learned]  # fmt: skip
    schema = Schema(learned, target, list(na))
    _check_features(schema, columns.source)
    return schema


def _check_features(schema: Schema, source: str) -> None:
    features = schema.features
    if not features:
        aside = ", ".join(f"{c.name!r} ({SET_ASIDE[c.kind]})" for c in schema.columns[:10])
        raise DataError(f"{source}: no column left to learn from" + (
            f"; set aside: {aside}" if aside else ""))  # fmt: skip
    seen: set[str] = set()
    for name in features:
        if name in seen or name == schema.target:
            raise DataError(
                f"{source}: two columns would make inputs named {shown(name, 40)}; rename one"
            )
        seen.add(name)


# --- transforming: each kind writes its inputs into its block of X --------------------------------


def _copy_numbers(X: Array, numbers: list[tuple[int, Array, Array | None]]) -> None:
    """Copy columns of numbers into X (taking ``rows`` of each, if given) a block of rows at a
    time: a column written whole strides across every row of X, a block stays in cache."""
    block = max(1, 2**18 // max(1, X.shape[1]))  # about 2 MB of X at a time
    for start in range(0, X.shape[0], block):
        stop = min(start + block, X.shape[0])
        for j, v, rows in numbers:
            X[start:stop, j] = v[start:stop] if rows is None else v[rows[start:stop]]


def _fill(column: Column, v: Array, at: Place) -> None:
    """Fill the missing values (NaN) of a column of X in place; refuse an infinity."""
    if np.isfinite(v).all():  # the usual case, in one pass
        return
    refuse_infinite(v, at)
    missing = np.isnan(v)
    if column.fill is None:  # a model saved before schemas: it knows no fill
        raise DataError(f"{at(int(np.argmax(missing)))}: missing value; expected a number")
    v[missing] = column.fill


def _as_numbers(values: Array, at: Place) -> Array:
    """A column as float64 (NaN missing): as read, or parsed when the reader kept it as text."""
    if values.dtype.kind == "f":
        return values
    if values.dtype.kind != "O":
        raise DataError(f"{at(0)}: expected a number, got {shown(str(values[0]), 40)}")
    parsed = {value: to_float(value) for value in set(values.tolist()) if value is not None}
    bad = {value for value, number in parsed.items() if number is None}
    if bad:
        refuse_words(values, bad, at, hint=False)
    return np.fromiter(map(parsed.get, values.tolist(), repeat(math.nan)), np.float64, values.size)


def _booleans_into(column: Column, values: Array, out: Array, at: Place) -> tuple[Array, str]:
    if values.dtype.kind == "f":
        v = values
        wrong = ~np.isnan(v) & (v != 0) & (v != 1)
        if wrong.any():
            i = int(np.argmax(wrong))
            raise DataError(f"{at(i)}: expected yes or no (1 or 0), got {v[i]:g}")
    else:
        seen = set(values.tolist()) - {None}
        truths = {value: truth(value) for value in seen}
        for value, meaning in truths.items():
            if meaning is None:
                i = first_of(values.tolist(), {value})
                raise DataError(f"{at(i)}: expected yes or no, true or false, 1 or 0; got "
                                f"{shown(value, 40)}")  # fmt: skip
        v = np.fromiter(map(truths.get, values.tolist(), repeat(math.nan)), np.float64, len(values))
    out[:, 0] = v
    missing = np.isnan(v)
    _fill(column, out[:, 0], at)
    return missing, ""


def _categories_into(column: Column, values: Array, out: Array, at: Place) -> tuple[Array, str]:
    index: dict[Any, int] = {c: k for k, c in enumerate(column.categories)}
    rest = len(column.categories) if column.other else -1  # where values not kept go
    cells = _as_text(values)
    codes = np.fromiter(map(index.get, cells, repeat(-2)), np.int64, len(cells))
    missing = np.fromiter(map(operator.is_, cells, repeat(None)), bool, len(cells))
    unseen = (codes == -2) & ~missing
    codes[unseen] = rest
    codes[missing] = index.get(column.fill, rest)
    out[:] = 0.0
    hit = np.flatnonzero(codes >= 0)
    out[hit, codes[hit]] = 1.0
    note = ""
    if unseen.any():
        examples = sorted({cells[i] for i in np.flatnonzero(unseen)[:1000]})
        shown_ = ", ".join(shown(e, 30) for e in examples[:3]) + (", ..." if len(examples) > 3
                                                                   else "")  # fmt: skip
        n = int(np.count_nonzero(unseen))
        where = f"read as {OTHER}" if column.other else "given all-zero inputs"
        note = f"{n} row{'s' if n != 1 else ''} with a category not seen in training ({shown_}), "
        note += where
    return missing, note


def _as_text(values: Array) -> list[Any]:
    """A column's cells as str (None missing), whatever dtype the reader gave it."""
    if values.dtype.kind == "O":
        return values.tolist()
    if values.dtype.kind == "f":
        return [None if math.isnan(x) else f"{x:g}" for x in values.tolist()]
    return [None if np.isnat(x) else str(x) for x in values]


def _dates_into(column: Column, values: Array, out: Array, at: Place) -> tuple[Array, str]:
    d = _as_dates(values, at, column.order)
    missing = np.isnat(d)
    if missing.any():
        d = d.copy()
        d[missing] = np.datetime64(date_seconds(str(column.fill)), "s")
    for k, part in enumerate(column.parts):
        out[:, k] = date_part(d, part)
    return missing, ""


def _as_dates(values: Array, at: Place, order: str) -> Array:
    """A column as datetime64[s] (NaT missing): as read, parsed from text, or all missing."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]")
    if values.dtype.kind == "f":
        present = ~np.isnan(values)
        if present.any():
            i = int(np.argmax(present))
            raise DataError(f"{at(i)}: expected a date, got {values[i]:g}")
        return np.full(values.shape, np.datetime64("NaT"), "datetime64[s]")
    seen = set(values.tolist()) - {None}
    seconds: dict[Any, int | None] = {v: date_seconds(v, order) for v in seen}
    for value, s in seconds.items():
        if s is None:
            i = first_of(values.tolist(), {value})
            like = {"ymd": "2024-01-31", "mdy": "1/31/2024", "dmy": "31/1/2024"}[order]
            raise DataError(f"{at(i)}: expected a date like {like}, got {shown(value, 40)}")
    seconds[None] = NAT
    return np.fromiter(map(seconds.__getitem__, values.tolist()), np.int64, values.size).view(
        "datetime64[s]"
    )


#: how each kind but numbers (copied in blocks by `Schema.transform`) writes its inputs: into
#: its block of X, returning where values were missing and a note ('' if none)
Into = Callable[[Column, Array, Array, Place], tuple[Array, str]]
_INTO: dict[str, Into] = {
    "boolean": _booleans_into,
    "category": _categories_into,
    "date": _dates_into,
}


# --- the target column ---------------------------------------------------------------------------


def target_rows(columns: Columns, target: str) -> tuple[list[str], Array]:
    """The target's values (as text) in the rows that have one, and those rows' indices.

    The target should be read as text (``read_columns(..., text=[target])``), so that a label
    keeps its spelling. Raises a DataError for ``inf`` (a number no model can learn).
    """
    values = columns.values[target]
    cells = _as_text(values)
    rows = np.flatnonzero(np.fromiter(map(operator.is_not, cells, repeat(None)), bool, len(cells)))
    labels = Labels(cells if len(rows) == len(cells) else [cells[i] for i in rows.tolist()])
    # a column of numbers: NumPy parsed them all at once; labels: each distinct one looked at
    finite = labels.numbers is not None and bool(np.isfinite(labels.numbers).all())
    for value in () if finite else set(labels):
        number = to_float(value)
        if number is not None and not math.isfinite(number):
            i = int(rows[labels.index(value)])
            raise DataError(
                f"{columns.source} line {columns.line(i)}, column {target!r}: expected a class "
                f"label or a finite number, got {shown(value, 40)}"
            )
    return labels, rows


# --- the model file ------------------------------------------------------------------------------


def _strings(value: Any, what: str) -> list[str]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise TypeError(f"{what} must be a list of strings")
    return value


def _column_from_json(item: Any, k: int) -> Column:
    """One column of a stored schema, checked: its kind, and the fields that kind uses."""
    where = f"column {k + 1}"
    if not isinstance(item, dict):
        raise TypeError(f"{where} must be a JSON object")
    name, kind, missing = item.get("name"), item.get("kind"), item.get("missing", 0)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{where}: name must be a non-empty string")
    where = f"column {name!r}"
    if kind not in KINDS:
        raise ValueError(f"{where}: kind {shown(kind, 30)} is not one of {', '.join(KINDS)}")
    if not (isinstance(missing, int) and not isinstance(missing, bool) and missing >= 0):
        raise TypeError(f"{where}: missing must be a count")
    note = item.get("note", "")
    if not isinstance(note, str):
        raise TypeError(f"{where}: note must be a string")
    column = Column(name, kind, missing=missing, note=note)
    if not column.used:
        return column
    column.indicator = item.get("indicator", False)
    if not isinstance(column.indicator, bool):
        raise TypeError(f"{where}: indicator must be true or false")
    fill: Any = item.get("fill")
    if kind in ("number", "boolean"):
        if not is_finite_number(fill):
            raise ValueError(f"{where}: fill must be a finite number")
        if kind == "boolean" and fill not in (0, 1):
            raise ValueError(f"{where}: fill must be 0 or 1")
        column.fill = float(fill)
    elif kind == "category":
        column.categories = _strings(item.get("categories"), f"{where}: categories")
        column.other = item.get("other", False)
        if not isinstance(column.other, bool):
            raise TypeError(f"{where}: other must be true or false")
        distinct = len(set(column.categories)) == len(column.categories)
        if not column.categories or not distinct or not all(column.categories):
            raise ValueError(f"{where}: categories must be distinct non-empty strings")
        if not (fill in column.categories or (column.other and isinstance(fill, str))):
            raise ValueError(f"{where}: fill must be one of its categories")
        column.fill = fill
    else:  # date
        column.parts = _strings(item.get("parts"), f"{where}: parts")
        column.order = item.get("order", "ymd")
        if column.order not in DATE_ORDERS:
            raise ValueError(f"{where}: order must be one of {', '.join(DATE_ORDERS)}")
        if not column.parts or column.parts != [p for p in DATE_PARTS if p in column.parts]:
            raise ValueError(f"{where}: parts must be some of {', '.join(DATE_PARTS)}, in order")
        if not isinstance(fill, str) or date_seconds(fill) is None:
            raise ValueError(f"{where}: fill must be a date like 2024-01-31")
        column.fill = fill
    return column
