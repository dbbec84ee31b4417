"""Tabular files: CSV text read into numeric features and a raw target column, and written back.

Ordered as: numbers written as text (the one place that decides what "a number" is), reading
(`read_csv`: bytes → text → records → header → columns → numbers, each step refusing what it
cannot use with a message naming the file, line and column), the target column (`infer_task`,
`encode_target`), then writing (`write_csv_atomic`).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from ._typing import Array, Task
from .errors import DataError, GlassnetError
from .files import atomic_write, reason

__all__ = [
    "NA_MARKERS",
    "Columns",
    "Table",
    "column_hint",
    "encode_target",
    "infer_task",
    "is_number",
    "parse_number",
    "read_columns",
    "read_csv",
    "refuse_binary_start",
    "to_float",
    "write_csv_atomic",
]

# An integer target with at most this many distinct values is read as class labels.
MAX_INTEGER_CLASSES = 20

# A CSV file whose first this many bytes hold a NUL byte is refused as binary before reading on.
BINARY_SNIFF_BYTES = 1 << 16


# --- numbers written as text --------------------------------------------------------------------


def to_float(text: str) -> float | None:
    """The float ``text`` spells, NaN and infinities included, or None if it spells none.

    The grammar is Python's ``float``, which NumPy's conversion of strings follows too, so a
    file reads the same whichever of them parses it: spaces around the number (``" 3 "``),
    exponents (``1e-3``), underscores between digits (``1_000``), and ``nan``, ``inf`` or
    ``infinity`` in any case.
    """
    try:
        return float(text)
    except ValueError:
        return None


def is_number(text: str) -> bool:
    """Whether ``text`` spells a finite number.

    ``nan`` and ``inf`` spell floats, but no feature, target or option may be one: a network
    cannot learn from them, and a class label spelled so would be refused as well.

    Examples
    --------
    >>> is_number(" 3 "), is_number("1e-3"), is_number("nan"), is_number("three")
    (True, True, False, False)
    """
    value = to_float(text)
    return value is not None and math.isfinite(value)


def parse_number(text: str) -> float:
    """The finite number ``text`` spells, or a ValueError saying what was expected.

    The message is ``expected a number`` or ``expected a finite number``: the caller adds
    where the text came from and shows it in its own way (a file's line and column, an option).

    Examples
    --------
    >>> parse_number(" 2.5 ")
    2.5
    """
    value = to_float(text)
    if value is None:
        raise ValueError("expected a number")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


# Cells that mean "no value" unless the user says otherwise (`--na` adds to them).
NA_MARKERS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", ".", "?")


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Columns:
    """A CSV file's columns as read, before anything decides what they mean for learning.

    Attributes
    ----------
    names : list of str
        The header, stripped, in file order (or the columns asked for, in that order).
    values : dict of str to ndarray, each of shape (n_rows,)
        Per column, one of: float64 when every present cell spells a number (missing cells
        NaN; ``inf`` stays inf for the caller to refuse); ``datetime64`` when every present
        cell is an ISO date or time (missing NaT); otherwise an object array of the cells as
        stripped ``str``, ``None`` for a missing cell. A column asked for as text is always
        the last kind.
    source : str
        The file's name as used in messages.
    """

    names: list[str]
    values: dict[str, Array]
    source: str
    lines: Array  # int64, the file line each data row starts on (the header is line 1)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self.lines.shape[0])

    def line(self, row: int) -> int:
        """The file line data row ``row`` (0-based) starts on, for messages."""
        return int(self.lines[row])


def read_columns(
    path_or_file: str | os.PathLike[str] | IO[Any],
    *,
    na: Sequence[str] = NA_MARKERS,
    text: Iterable[str] = (),
    columns: Sequence[str] | None = None,
    source_name: str | None = None,
) -> Columns:
    """Read a CSV file with a header row into typed columns (see `Columns`).

    Parameters
    ----------
    path_or_file : str, path-like or binary/text file object
        A path, ``"-"`` for standard input, or an open file. UTF-8 text; a BOM is allowed.
    na : sequence of str, default=NA_MARKERS
        Cells (after stripping spaces) that mean a missing value.
    text : iterable of str
        Columns to keep as text whatever they hold (e.g. a category spelled with digits).
    columns : sequence of str or None
        Read only these columns, in this order; a DataError names any the file lacks.
    source_name : str or None
        The name to use for the file in messages (default: the path, or ``<stdin>``).

    Every problem raises a `DataError` with a one-line message naming the file and, where it
    applies, the line and column.
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
    wanted = list(header) if columns is None else list(columns)
    missing = [column for column in wanted if column not in header]
    if missing:
        raise DataError(
            f"{name}: missing columns {_names(missing)}; the columns are {_names(header)}"
            + _separator_hint(header)
        )
    markers, as_text = set(na), set(text)
    values: dict[str, Array] = {}
    for column in wanted:
        j = header.index(column)
        cells: list[str | None] = [row[j].strip() for _, row in rows]
        cells = [None if cell in markers else cell for cell in cells]
        values[column] = _typed(cells, as_text=column in as_text)
    return Columns(wanted, values, name, np.array([line for line, _ in rows], dtype=np.int64))


def _typed(cells: list[str | None], *, as_text: bool) -> Array:
    """One column's cells as float64 (NaN missing) if every present cell is a number, else text."""
    if not as_text:
        numbers = [to_float(cell) if cell is not None else math.nan for cell in cells]
        present = [cell for cell in cells if cell is not None]
        if all(to_float(cell) is not None for cell in present):
            return np.array(numbers, dtype=np.float64)
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return out


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
            number = to_float(value)
            if number is not None and not math.isfinite(number):  # nan, inf: not a class
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
    if all(to_float(column) is not None for column in header):  # nan and inf too: data
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


def column_hint(wanted: str, header: Sequence[str]) -> str:
    """Why a file may lack the column ``wanted``, as a note to append to a message: it looks
    separated by another character, or names a column spelled alike ('' if neither)."""
    return _separator_hint(list(header)) or _spelling_hint(wanted, list(header))


def _number(cell: str, name: str, line: int, column: str) -> float:
    """Parse one feature value, or raise a DataError naming the file, line and column."""
    where = f"{name} line {line}, column {column!r}"
    if not cell.strip():
        raise DataError(f"{where}: missing value; expected a number")
    try:
        return parse_number(cell)
    except ValueError as e:
        raise DataError(f"{where}: {e}, got {_show(cell)}") from None


def _show(value: str, limit: int = 40) -> str:
    """A quoted, single-line, length-limited rendering of a value for messages."""
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _names(columns: Iterable[str], limit: int = 10) -> str:
    """Column names quoted and comma-separated, for messages; the first ``limit`` of many."""
    names = [_show(column) for column in columns]
    if len(names) > limit:  # a 1,000-column file must not make a 10,000-character message
        return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"
    return ", ".join(names)


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
    if any(to_float(value) is None for value in y_raw):
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
        if any(to_float(value) is None for value in table.y_raw):
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
