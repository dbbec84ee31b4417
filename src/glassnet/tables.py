"""Tabular files: CSV text read into numeric features and a raw target column, and written back.

Ordered as: the strict numeric table (`read_csv`, `Table`: every feature a finite number, on top
of `read_columns`), the target column (`infer_task`, `encode_target`), then writing
(`write_csv_atomic`). The typed columns every reader builds on (`Columns`, `read_columns`,
`iter_columns`) live in `glassnet.columns`, the one grammar of numbers written as text
(`to_float`, `is_number`, `parse_number`) in `glassnet.cells`, the bytes and pyarrow in
`glassnet.csv_engine`; all are importable from here.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, overload

import numpy as np

from ._typing import Array, Task
from .cells import KINDS, NA_MARKERS, is_number, parse_number, to_float
from .columns import Columns, CSVFile, iter_columns, read_columns, survey
from .csv_engine import (
    BINARY_SNIFF_BYTES,
    quoted_names,
    refuse_binary_start,
    show,
    spelling_hint,
)
from .errors import DataError, GlassnetError
from .files import atomic_write, reason
from .validation import all_finite

__all__ = [
    "BINARY_SNIFF_BYTES",
    "KINDS",
    "NA_MARKERS",
    "CSVFile",
    "Columns",
    "RowLines",
    "Table",
    "column_hint",
    "encode_target",
    "infer_task",
    "is_number",
    "iter_columns",
    "parse_number",
    "read_columns",
    "read_csv",
    "refuse_binary_start",
    "survey",
    "to_float",
    "write_csv_atomic",
]

# An integer target with at most this many distinct values is read as class labels.
MAX_INTEGER_CLASSES = 20


# --- the strict numeric table -------------------------------------------------------------------


@dataclass
class Table:
    """Numeric features (and an optional raw target column) read from a CSV file.

    Attributes
    ----------
    columns : list of str, length n_features
        The feature column names, in the order of the columns of ``X``.
    X : ndarray of shape (n_rows, n_features), float64
        Every value finite; C-contiguous.
    target : str or None
        The name of the target column, if one was asked for.
    y_raw : list of str or None, length n_rows
        The target column's values, stripped but not converted; see `infer_task`.
    source : str
        The file's name as used in messages.
    lines : sequence of int, length n_rows
        The line of the file each row came from (the header is line 1); a `RowLines` finds
        them only when a message needs one.
    """

    columns: list[str]
    X: Array
    target: str | None
    y_raw: list[str] | None
    source: str
    lines: Sequence[int]

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self.X.shape[0])


class RowLines(Sequence[int]):
    """The file line each kept row of ``columns`` starts on (all rows, or ``rows``), looked up
    only when first asked: counting the lines of a large file costs a pass over its bytes, and
    most runs never need a line number."""

    def __init__(self, columns: Columns, rows: Array | None = None) -> None:
        self._columns: Columns | None = columns
        self._rows = rows
        self._n = columns.n_rows if rows is None else len(rows)
        self._lines: Array | None = None

    def _array(self) -> Array:
        if self._lines is None:
            assert self._columns is not None
            lines = self._columns.lines
            self._lines = lines if self._rows is None else lines[self._rows]
            self._columns = self._rows = None
        return self._lines

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> list[int]: ...
    def __getitem__(self, i: int | slice) -> int | list[int]:
        if isinstance(i, slice):
            return [int(line) for line in self._array()[i]]
        return int(self._array()[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self._array().tolist())

    def __eq__(self, other: object) -> bool:  # equal to the list of the same lines
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable in spirit, like a list

    def __repr__(self) -> str:
        return f"RowLines({list(self)!r})"


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
    got 'abc'``. Missing values are refused here (`read_columns` reads them).

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
    with CSVFile(path_or_file, na=(), source_name=source_name) as file:
        columns = _feature_columns(file, target, feature_columns)
        wanted = columns + ([target] if target is not None else [])
        read = file.read(wanted, text=[target] if target is not None else [], together=columns)
        X = read.matrix
        if X is None or not all_finite(X):
            raise _first_bad_number(file, read, columns)
    y_raw = None if target is None else _target_cells(read, target)
    return Table(columns, X, target, y_raw, read.source, RowLines(read))


def _first_bad_number(file: CSVFile, read: Columns, columns: list[str]) -> DataError:
    """The message for the first feature cell, in file order, that is not a finite number."""
    first: tuple[int, int] | None = None  # (row, feature)
    for j, column in enumerate(columns):
        values = read.values[column]
        if values.dtype.kind == "f":
            bad = np.flatnonzero(~np.isfinite(values)[: first[0] if first else None])[:1]
            row = int(bad[0]) if len(bad) else None
        else:
            indexed = enumerate(values[: first[0] if first else None])
            row = next((i for i, cell in indexed if not is_number(cell or "")), None)
        if row is not None:
            first = (row, j)
    if first is None:
        return DataError(f"{read.source}: expected a finite number in every feature cell")
    row, j = first
    malformed = file.malformed(read.line(row) + 1)
    if malformed is not None:
        return malformed
    column = columns[j]
    cells = read.values[column]
    if cells.dtype.kind == "f":  # nan, inf, 1e999: read the column again for their spelling
        cells = file.read([column], text=[column]).values[column]
    return _number_error(cells[row] or "", read.source, read.line(row), column)


def _target_cells(read: Columns, target: str) -> list[str]:
    """The target column's stripped cells, or a DataError for a missing, NaN or infinite one."""
    cells: list[str] = read.values[target].tolist()
    numbers = _numbers_or_none(cells)
    if numbers is not None and np.isfinite(numbers).all():
        return cells
    spelled = (
        set(cells) if numbers is None else {cells[i] for i in np.flatnonzero(~np.isfinite(numbers))}
    )
    bad = {cell for cell in spelled if not cell or not math.isfinite(to_float(cell) or 0.0)}
    row = next(i for i, cell in enumerate(cells) if cell in bad) if bad else None
    if row is None:
        return cells
    where = f"{read.source} line {read.line(row)}, column {target!r}"
    if not cells[row]:
        raise DataError(f"{where}: missing target value")
    # nan and inf spell numbers, but no class label and no value to regress on
    raise DataError(f"{where}: expected a class label or a finite number, got {show(cells[row])}")


def _feature_columns(
    file: CSVFile, target: str | None, expected: Sequence[str] | None
) -> list[str]:
    """The feature columns of the file, in the expected order if one is given."""
    header, name = file.header, file.name
    if target is not None and target not in header:
        raise DataError(
            f"{name}: no target column {target!r}; the columns are {quoted_names(header)}"
            + file.hint(target)
        )
    available = [column for column in header if column != target]
    if not available:
        raise DataError(
            f"{name}: the target {target!r} is the only column; expected feature columns too"
        )
    if expected is None:
        return available
    missing = [column for column in expected if column not in available]
    if missing:
        raise DataError(
            f"{name}: missing feature columns {quoted_names(missing)}; "
            f"the model expects {quoted_names(expected)}" + file.hint()
        )
    extra = [column for column in available if column not in expected]
    if extra:
        raise DataError(
            f"{name}: unexpected columns {quoted_names(extra)}; the model expects "
            f"{quoted_names(expected)}" + ("" if target else " (and no target column was named)")
        )
    return list(expected)


def column_hint(wanted: str, header: Sequence[str]) -> str:
    """Why a file may lack the column ``wanted``, as a note to append to a message: its first
    row looks like data (no header row), or it names a column spelled alike ('' if neither).
    (A file another separator would split is refused when read, with its own note.)"""
    if any(to_float(column) is not None for column in header):
        return " (the first row looks like data: is the header row missing?)"
    return spelling_hint(wanted, header)


def _number_error(cell: str, name: str, line: int, column: str) -> DataError:
    """A feature or target value that is not a finite number, as a DataError naming its place."""
    where = f"{name} line {line}, column {column!r}"
    if not cell.strip():
        return DataError(f"{where}: missing value; expected a number")
    try:
        parse_number(cell)
    except ValueError as e:
        return DataError(f"{where}: {e}, got {show(cell)}")
    return DataError(f"{where}: expected a number, got {show(cell)}")


# --- the target column -------------------------------------------------------------------------


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
    # text labels mean classes; nan and inf spell numbers (read_csv refuses them in a target)
    values = _numbers_or_none(y_raw)
    if values is None:
        return "classification"
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
        if _numbers_or_none(table.y_raw) is None:
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
    y = _numbers_or_none(table.y_raw)
    if y is not None and all_finite(y):
        return y, None
    for i, value in enumerate(table.y_raw):
        if not is_number(value):
            raise _number_error(value, table.source, table.lines[i], table.target)
    raise GlassnetError(f"{table.source}: expected finite numbers in column {table.target!r}")


def _numbers_or_none(cells: Sequence[str]) -> Array | None:
    """The cells as float64 if every one spells a number (`to_float`'s grammar), else None."""
    if isinstance(cells, Labels):
        return cells.numbers
    return parse_all(cells)


def parse_all(cells: Sequence[str]) -> Array | None:
    """The cells as float64 if every one spells a number (`to_float`'s grammar), else None."""
    try:
        return np.array(cells, dtype=np.float64)  # NumPy parses str as Python's float does
    except (ValueError, TypeError):
        return None


class Labels(list[str]):
    """A target column's values as text, parsed as numbers once (`numbers`: float64, or None
    when one is not a number): deciding the task and encoding the target both ask, and a large
    column costs ~20 ms a parse. Treat it as read-only: the parse is not redone on change."""

    def __init__(self, cells: Iterable[str]) -> None:
        super().__init__(cells)
        self.numbers = parse_all(self)


# --- writing ------------------------------------------------------------------------------------


def write_csv_atomic(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Any]
) -> None:
    """Write a CSV file all at once: readers see the old file or the whole new one, never half.

    The rows go to a temporary file in the same directory, which then replaces ``path``
    (`glassnet.files.atomic_write`). ``"-"`` writes to standard output instead, and an existing
    device or pipe (e.g. ``/dev/null``) is written into, not replaced. The text is UTF-8.

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
        _write_csv_to_stdout(header, rows)
        return
    try:
        atomic_write(path, lambda f: _write_csv(f, header, rows))
    except OSError as e:
        raise DataError(f"cannot write {os.fspath(path)}: {reason(e)}") from None


def _write_csv_to_stdout(header: Sequence[str], rows: Iterable[Any]) -> None:
    """Write the CSV to standard output in UTF-8, as to a file, whatever the locale's encoding
    (an ASCII terminal could not print a label like 'café')."""
    if sys.stdout is None:
        raise DataError("cannot write <stdout>: standard output is closed")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (e.g. io.StringIO): it takes any character
        _write_rows(sys.stdout, header, rows)
        return
    sys.stdout.flush()
    _write_csv(buffer, header, rows)


def _write_csv(f: IO[bytes], header: Sequence[str], rows: Iterable[Any]) -> None:
    """Write the header and rows as UTF-8 CSV to an open binary file (left open)."""
    text = io.TextIOWrapper(f, encoding="utf-8", newline="", write_through=True)
    try:
        _write_rows(text, header, rows)
        text.flush()
    finally:
        text.detach()  # leave the binary file open: its owner closes it


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
