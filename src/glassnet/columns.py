"""A CSV file's columns as typed arrays: numbers, dates and times, or text.

Ordered as: `Columns`, reading a file (`CSVFile`, `read_columns`), then reading a file larger
than memory: `survey` learns every column's kind in one pass, `iter_columns` reads it chunk by
chunk. What each kind is, and the grammar of numbers, are `cells`'; the bytes, pyarrow and the
messages about a file's shape are `csv_engine`'s.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

import numpy as np

from . import csv_engine as engine
from ._typing import Array
from .cells import (
    KINDS,
    MISSING,
    NA_MARKERS,
    arrow_kind,
    from_arrow,
    from_cells,
    joined,
    kind_of,
    number_chunk,
    numbers,
    to_float,
)
from .errors import DataError, GlassnetError

__all__ = ["CSVFile", "Columns", "iter_columns", "read_columns", "survey"]

#: pieces parsed at once, each by pyarrow on one thread of ours (pyarrow's own thread pool is
#: never started: at exit it can abort the process, apache/arrow#34314)
PARSERS = 2


# --- the columns ------------------------------------------------------------------------------


class Columns:
    """A CSV file's columns as read, before anything decides what they mean for learning.

    Attributes
    ----------
    names : list of str
        The header, stripped, in file order (or the columns asked for, in that order).
    values : dict of str to ndarray, each of shape (n_rows,)
        Per column, one of: float64 when every present cell spells a number (missing cells
        NaN; ``inf`` stays inf for the caller to refuse); ``datetime64`` when every present
        cell is an ISO date or date and time (missing NaT; ``[D]`` for dates, finer for times;
        times with a UTC offset are given in UTC); otherwise an object array of the cells as
        stripped ``str``, ``None`` for a missing cell. A column asked for as text is always
        the last kind. 0/1 columns are numbers; true/false, yes/no are text.
    source : str
        The file's name as used in messages.
    lines : ndarray of int64, shape (n_rows,)
        The file line each data row starts on (the header is line 1); found when first asked.
    matrix : ndarray of shape (n_rows, k) or None
        The number columns asked to be read ``together`` (`CSVFile.read`), in that order, as
        one C-contiguous float64 matrix; their ``values`` are its columns (views, not copies).
    together : list of str
        The names of the matrix's columns, in order (empty without a matrix).
    """

    def __init__(
        self,
        names: list[str],
        values: dict[str, Array],
        source: str,
        lines: Array | engine.Lines,
        matrix: Array | None = None,
        together: Sequence[str] = (),
    ) -> None:
        self.names, self.values, self.source, self.matrix = names, values, source, matrix
        self.together = list(together) if matrix is not None else []
        self._lines = lines

    @property
    def lines(self) -> Array:
        if isinstance(self._lines, engine.Lines):
            self._lines = self._lines.array()
        return self._lines

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        lines = self._lines
        return lines.n_rows if isinstance(lines, engine.Lines) else int(lines.shape[0])

    def line(self, row: int) -> int:
        """The file line data row ``row`` (0-based) starts on, for messages."""
        lines = self._lines
        return lines.line(row) if isinstance(lines, engine.Lines) else int(lines[row])

    def kind(self, name: str) -> str:
        """The column's kind: "number", "datetime" or "text"."""
        dtype = self.values[name].dtype
        return "number" if dtype.kind == "f" else "datetime" if dtype.kind == "M" else "text"

    def __repr__(self) -> str:
        kinds = ", ".join(f"{name}: {self.kind(name)}" for name in self.names[:10])
        return f"Columns({self.source!r}, {self.n_rows} rows; {kinds})"


# --- reading a file -----------------------------------------------------------------------------


class CSVFile:
    """A CSV file with a header row, opened for reading its columns (see `read_columns`).

    Opening it reads and checks the header (and the first piece of data), so the caller can
    check column names against it before the values are read.
    """

    def __init__(
        self,
        path_or_file: str | os.PathLike[str] | IO[Any],
        *,
        na: Sequence[str] = NA_MARKERS,
        sep: str = ",",
        decimal: str = ".",
        source_name: str | None = None,
        stream: bool = False,
    ) -> None:
        self.name = source_name or source_name_of(path_or_file)
        if len(sep) != 1 or sep in '"\r\n' or decimal not in (".", ","):
            raise GlassnetError(
                f"sep must be one character other than a quote or line end and decimal '.' or "
                f"',', got sep={sep!r}, decimal={decimal!r}"
            )
        self.na, self.sep, self.decimal, self.stream = tuple(na), sep, decimal, stream
        self.markers = frozenset(self.na)
        # a marker spelling a number ("-999") must match " -999 " too, which pyarrow reads as
        # a number before it compares markers: pieces holding spaces then read such columns again
        self._numeric_markers = any(to_float(m) is not None for m in self.na if m.strip())
        engine.pyarrow_csv()  # say now if it is missing, before reading anything
        self.source = engine.Source(path_or_file, self.name, stream=stream)
        self._size = self.source.size()
        file = self.source.open()
        try:
            head = engine.read_head(file, self.name, sep)
            self.header = head.names
            if len(self.header) == 1:
                hint = engine.other_separator(self.header, head, sep)
                if hint:
                    raise DataError(f"{self.name}: one column {engine.show(self.header[0])}{hint}")
            if all(to_float(column) is not None for column in self.header):  # nan, inf: data too
                raise DataError(
                    f"{self.name} line 1: the first row looks like data "
                    f"({', '.join(self.header)}); expected a header row naming the columns"
                )
            self._first: Iterator[engine.Piece] | None = self._closing(file, head)
            self._next = next(self._first, None)
        except BaseException:
            self.source.close(file)
            raise
        if self._next is None:
            raise DataError(f"{self.name} has a header but no data rows")

    def _closing(self, file: IO[bytes], head: engine.Head) -> Iterator[engine.Piece]:
        """The pieces of an open file, closing it when done (or dropped)."""
        return _closing(
            self.source, file, engine.pieces(file, head, self.name, whole_quoted=not self.stream)
        )

    def close(self) -> None:
        """Close the file, if reading it was left half done."""
        if self._first is not None:
            self._first.close()  # type: ignore[attr-defined]
            self._first = self._next = None

    def __enter__(self) -> CSVFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def hint(self, wanted: str | None = None) -> str:
        """A note for a missing column: the header may be data, or ``wanted`` misspelled."""
        if any(to_float(column) is not None for column in self.header):
            return " (the first row looks like data: is the header row missing?)"
        return engine.spelling_hint(wanted, self.header) if wanted is not None else ""

    def check_columns(self, wanted: Iterable[str]) -> list[str]:
        """``wanted`` as a list, or a DataError naming the columns the file lacks."""
        wanted = list(wanted)
        missing = [column for column in wanted if column not in self.header]
        if missing:
            raise DataError(
                f"{self.name}: missing columns {engine.quoted_names(missing)}; the columns are "
                f"{engine.quoted_names(self.header)}" + self.hint(missing[0])
            )
        return wanted

    def read(
        self,
        columns: Sequence[str] | None = None,
        *,
        text: Iterable[str] = (),
        together: Sequence[str] = (),
    ) -> Columns:
        """The columns asked for (default: all), typed; see `read_columns`.

        ``together`` names columns expected to hold numbers: they are read straight into one
        C-contiguous float64 matrix (`Columns.matrix`), with no second copy — what a network
        trains on. If one of them holds something else, there is no matrix.
        """
        wanted = self.check_columns(self.header if columns is None else columns)
        as_text = set(text)
        together = [c for c in together if c in wanted and c not in as_text]
        parts: dict[str, list[tuple[str, Any]]] = {column: [] for column in wanted}
        block = _Block(together, self._size, len(self.header), self.name)
        lines = engine.Lines()
        for piece, table in self._tables(wanted, as_text):
            rows = table.num_rows
            taken = block.take(table, lines.n_rows)
            for column in wanted:
                if column in taken:
                    continue
                part = from_arrow(
                    table.column(column), markers=self.markers, decimal=self.decimal,
                    text=column in as_text,
                )  # fmt: skip
                if not block.put(column, part, lines.n_rows, rows):
                    parts[column].append(part)
            del table
            lines.add(rows, piece.line, engine.piece_lines(piece, rows, self.sep))
        kinds = {c: kind_of([k for k, _ in parts[c]] + block.kinds(c)) for c in wanted}
        matrix = block.matrix(lines.n_rows, kinds)
        values: dict[str, Array] = {}
        for column in wanted:
            kind, column_parts = kinds[column], parts.pop(column)
            if kind == "number" and column in block.index:
                values[column] = block.column(column, lines.n_rows, matrix)
            elif kind is not None:
                values[column] = joined(column_parts, kind)
            del column_parts  # each column's pieces freed as soon as it is joined
        values.update(self._texts([c for c in wanted if kinds[c] is None]))
        engine.release_memory()
        return Columns(wanted, {c: values[c] for c in wanted}, self.name, lines, matrix,
                       together=list(block.index))  # fmt: skip

    def malformed(self, before: int) -> DataError | None:
        """A quoting problem Python's strict csv module finds before line ``before``, if any.

        pyarrow reads ``3,"4"x`` as the value ``4x``; a message about that value would mislead
        where the quotes are what is wrong.
        """
        for piece in self._pieces():
            if piece.line >= before:
                break
            if not piece.quoted:
                continue
            found = engine.diagnose(piece, len(self.header), self.name, self.sep)
            if found is not None and found.line < before:  # type: ignore[attr-defined]
                return found
        return None

    def _texts(self, wanted: list[str]) -> dict[str, Array]:
        """Columns whose pieces read as different kinds, read again as text."""
        if not wanted:
            return {}
        parts: dict[str, list[tuple[str, Any]]] = {column: [] for column in wanted}
        for _, table in self._tables(wanted, set(wanted)):
            for column in wanted:
                parts[column].append(
                    from_arrow(table.column(column), markers=self.markers, decimal=".", text=True)
                )
        return {column: joined(parts[column], "text") for column in wanted}

    def _pieces(self) -> Iterator[engine.Piece]:
        """The file's pieces: the ones opening it started, or the file read again."""
        if self._next is not None and self._first is not None:
            first, rest, self._next, self._first = self._next, self._first, None, None
            yield first
            yield from rest
            return
        file = self.source.open()
        try:
            head = engine.read_head(file, self.name, self.sep)
        except BaseException:
            self.source.close(file)
            raise
        yield from self._closing(file, head)

    def _tables(self, include: list[str], strings: set[str]) -> Iterator[tuple[engine.Piece, Any]]:
        """Each piece parsed by pyarrow, with the file's problems said in our words.

        pyarrow parses the next `PARSERS` pieces (each on a thread of ours, the GIL released)
        while the caller turns this one into NumPy arrays. ``include`` is read anew for each
        piece: a caller may drop the columns it has learned enough about.
        """
        width = len(self.header)
        with ThreadPoolExecutor(PARSERS) as ahead:
            pending: deque[tuple[engine.Piece, Future[Any]]] = deque()
            for piece in self._pieces():
                # pyarrow takes a quote left open as running to the end of the data, rows and all
                unbalanced = piece.quoted and piece.data.count(b'"') % 2
                if unbalanced or piece.blank:
                    found = engine.diagnose(piece, width, self.name, self.sep)
                    if found is not None:
                        raise found
                pending.append((piece, ahead.submit(self._parsed, piece, list(include), strings)))
                if len(pending) > PARSERS:
                    done, parsed = pending.popleft()
                    yield done, parsed.result()
            while pending:
                done, parsed = pending.popleft()
                yield done, parsed.result()

    def _parsed(self, piece: engine.Piece, include: list[str], strings: set[str]) -> Any:
        """One piece as a pyarrow table; columns pyarrow reads unlike glassnet are read as text."""
        import pyarrow

        width = len(self.header)
        try:
            table = self._parse(piece, include, strings)
            again = [c for c in include if self._respell(piece, table.column(c).type)]
            if again:
                table2 = self._parse(piece, again, set(again))
                for column in again:
                    j = table.schema.get_field_index(column)
                    table = table.set_column(j, column, table2.column(column))
        except pyarrow.ArrowException:
            raise engine.unreadable(piece, width, self.name, self.sep) from None
        if any(str(t) in ("binary", "large_binary") for t in table.schema.types):
            raise engine.unreadable(piece, width, self.name, self.sep)  # not UTF-8
        return table

    def _parse(self, piece: engine.Piece, include: list[str], strings: set[str]) -> Any:
        return engine.parse(
            piece, self.header, include=include, strings=strings, na=self.na, sep=self.sep,
            decimal=self.decimal,
        )  # fmt: skip

    def _respell(self, piece: engine.Piece, arrow_type: Any) -> bool:
        """Whether a column of this pyarrow type must be read again as text in this piece."""
        name = str(arrow_type)
        if arrow_kind(name) is None:
            return name not in ("binary", "large_binary")  # times of day are text to glassnet
        if arrow_kind(name) != "number":
            return False
        data = piece.data
        # one-byte searches first: they are fast (memchr), two-byte ones are not
        hexadecimal = name.startswith(("int", "uint")) and (
            (b"x" in data and b"0x" in data) or (b"X" in data and b"0X" in data)
        )
        padded = self._numeric_markers and (b" " in data or b"\t" in data)
        return hexadecimal or padded  # pyarrow reads 0x10 as 16, and " -999 " before markers


class _Block:
    """The number columns read ``together``, written piece by piece into one float64 matrix.

    A piece of such a column that holds numbers goes straight into the matrix; any other piece
    is kept aside as usual (a missing one both ways), so the column can still be of another kind.
    """

    def __init__(self, names: Sequence[str], size: int | None, width: int, source: str) -> None:
        self.index = {name: j for j, name in enumerate(names)}
        self.seen: dict[str, list[str]] = {name: [] for name in names}
        self.source = source
        self.out: Array | None = None
        if names and size is not None:
            # each record takes at least `width` bytes (its separators and line end): a bound
            # on the rows; the pages past the real rows are never touched, so cost no memory
            try:
                self.out = np.empty((size // max(width, 1) + 1, len(names)))
            except MemoryError:
                self.out = None

    def take(self, table: Any, start: int) -> set[str]:
        """Write the columns pyarrow read as numbers straight into the matrix; their names.

        Block by block of rows, every column in turn, so the rows written stay in cache.
        """
        if self.out is None:
            return set()
        names = [n for n in self.index if arrow_kind(str(table.column(n).type)) == "number"]
        if start + table.num_rows > len(self.out):
            raise DataError(f"cannot read {self.source}: it grew while it was read")
        chunks = [table.column(name).chunks for name in names]
        layout = [len(chunk) for chunk in chunks[0]] if chunks else []
        if any([len(chunk) for chunk in column] != layout for column in chunks):
            for name in names:  # not cut alike: column by column
                rows = self.out[start : start + table.num_rows]
                numbers(table.column(name), out=rows[:, self.index[name]])
        else:
            for k, n in enumerate(layout):
                for name, column in zip(names, chunks):
                    number_chunk(column[k], self.out[start : start + n, self.index[name]])
                start += n
        for name in names:
            self.seen[name].append("number")
        return set(names)

    def put(self, column: str, part: tuple[str, Any], start: int, rows: int) -> bool:
        """Write one piece of ``column`` into the matrix; True if nothing else need keep it."""
        j = self.index.get(column)
        if j is None or self.out is None:
            return False
        kind, values = part
        self.seen[column].append(kind)
        if kind in ("number", MISSING):
            if start + rows > len(self.out):
                raise DataError(f"cannot read {self.source}: it grew while it was read")
            self.out[start : start + rows, j] = values if kind == "number" else np.nan
        return kind == "number"

    def kinds(self, column: str) -> list[str]:
        return self.seen.get(column, []) if self.out is not None else []

    def matrix(self, n_rows: int, kinds: Mapping[str, str | None]) -> Array | None:
        """The matrix, if every column of it holds numbers."""
        if self.out is None or any(kinds[name] != "number" for name in self.index):
            return None
        out, self.out = self.out, None
        return out[:n_rows]

    def column(self, name: str, n_rows: int, matrix: Array | None) -> Array:
        """A number column: a view of the matrix, or a copy of its column if there is none."""
        if matrix is not None:
            return matrix[:, self.index[name]]
        assert self.out is not None
        return self.out[:n_rows, self.index[name]].copy()


def _closing(
    source: engine.Source, file: IO[bytes], pieces: Iterator[engine.Piece]
) -> Iterator[engine.Piece]:
    """``pieces``, then ``file`` closed (also if they are dropped half read)."""
    try:
        yield from pieces
    finally:
        source.close(file)


def read_columns(
    path_or_file: str | os.PathLike[str] | IO[Any],
    *,
    na: Sequence[str] = NA_MARKERS,
    text: Iterable[str] = (),
    columns: Sequence[str] | None = None,
    source_name: str | None = None,
    sep: str = ",",
    decimal: str = ".",
    together: Sequence[str] = (),
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
        Read only these columns, in this order (the others are not parsed); a DataError names
        any the file lacks.
    source_name : str or None
        The name to use for the file in messages (default: the path, or ``<stdin>``).
    sep : str, default=","
        The field separator (``";"`` and ``"\\t"`` are common too).
    decimal : {".", ","}, default="."
        The decimal mark of numbers (``","`` in many European ``;``-separated files).
    together : sequence of str
        Columns expected to hold numbers, to read straight into one matrix (`Columns.matrix`).

    Every problem raises a `DataError` with a one-line message naming the file and, where it
    applies, the line and column. A file whose header is one column that ``;``, tab or ``|``
    would split is refused with a note saying so.

    Examples
    --------
    >>> import io
    >>> cols = read_columns(io.StringIO("id,x,when\\nA1,1.5,2024-01-31\\nB2,NA,\\n"))
    >>> cols.values["id"].tolist(), cols.values["x"].tolist(), str(cols.values["when"].dtype)
    (['A1', 'B2'], [1.5, nan], 'datetime64[D]')
    """
    with CSVFile(path_or_file, na=na, sep=sep, decimal=decimal, source_name=source_name) as file:
        return file.read(columns, text=text, together=together)


def source_name_of(path_or_file: str | os.PathLike[str] | IO[Any]) -> str:
    """The file's name for messages: the path as given, ``<stdin>``, or the file object's name."""
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.fspath(path_or_file)
        return "<stdin>" if path == "-" else path
    return str(getattr(path_or_file, "name", "<file>"))


# --- reading a file larger than memory ----------------------------------------------------------


def survey(
    path: str | os.PathLike[str],
    *,
    na: Sequence[str] = NA_MARKERS,
    text: Iterable[str] = (),
    columns: Sequence[str] | None = None,
    sep: str = ",",
    decimal: str = ".",
) -> dict[str, str]:
    """Every column's kind over the whole file, in one pass that keeps no values.

    The first pass of reading a file larger than memory: give its answer to `iter_columns` as
    ``types``, so that no chunk can change a column's kind. Memory stays near one piece of the
    file (`csv_engine.PIECE_BYTES`); a column once seen to be text is not parsed again.

    Returns
    -------
    dict of str to {"number", "datetime", "text"}
    """
    file = CSVFile(path, na=na, sep=sep, decimal=decimal, stream=True)
    wanted = file.check_columns(file.header if columns is None else columns)
    as_text = set(text)
    seen: dict[str, list[str]] = {column: [] for column in wanted}
    undecided = [column for column in wanted if column not in as_text]
    for _, table in file._tables(undecided, set()):
        for column in list(undecided):
            kind = arrow_kind(str(table.column(column).type))
            if kind == "text":
                kind, _ = from_arrow(
                    table.column(column), markers=file.markers, decimal=decimal, text=False
                )
            seen[column].append(kind or "text")
            if kind_of(seen[column]) in (None, "text"):
                undecided.remove(column)  # text from here on, whatever follows
        if not undecided:
            break
    return {column: kind_of(seen[column]) or "text" if column not in as_text else "text"
            for column in wanted}  # fmt: skip


def iter_columns(
    path: str | os.PathLike[str],
    *,
    types: Mapping[str, str],
    na: Sequence[str] = NA_MARKERS,
    columns: Sequence[str] | None = None,
    chunk_rows: int = 65536,
    sep: str = ",",
    decimal: str = ".",
) -> Iterator[Columns]:
    """A CSV file's rows, ``chunk_rows`` at a time, each chunk a `Columns` of fixed kinds.

    Memory stays near one chunk plus one piece of the file, whatever the file's size. A path of
    ``"-"``, a pipe or a device is read once, as it comes.

    Parameters
    ----------
    path : str or path-like
    types : mapping of str to {"number", "datetime", "text"}
        Every column's kind (e.g. from `survey`, or a model's schema). A cell that does not
        fit its column's kind raises a DataError naming its line; dates arrive as
        ``datetime64[s]`` in every chunk.
    na, sep, decimal
        As for `read_columns`.
    columns : sequence of str or None
        The columns to read, in this order (default: every column of ``types``).
    chunk_rows : int, default=65536
        Rows per chunk (the last may be shorter).

    Yields
    ------
    Columns
        ``line(row)`` gives the file line of the chunk's row.
    """
    if not (isinstance(chunk_rows, int) and chunk_rows > 0):
        raise GlassnetError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    wanted = list(types) if columns is None else list(columns)
    unknown = [c for c in wanted if types.get(c) not in KINDS]
    if unknown:
        raise GlassnetError(
            f"types must give each column one of {', '.join(KINDS)}; got "
            f"{', '.join(f'{c}: {types.get(c)!r}' for c in unknown[:5])}"
        )
    file = CSVFile(path, na=na, sep=sep, decimal=decimal, stream=True)
    wanted = file.check_columns(wanted)
    as_text = {c for c in wanted if types[c] == "text"}
    pending: dict[str, list[Array]] = {column: [] for column in wanted}
    lines, held = engine.Lines(), 0
    for piece, table in file._tables(wanted, as_text):
        rows = table.num_rows
        lines.add(rows, piece.line, engine.piece_lines(piece, rows, sep))
        for column in wanted:
            values = _fixed(file, table.column(column), types[column], piece, lines, column)
            pending[column].append(values)
        held += rows
        while held >= chunk_rows:
            yield _chunk(file.name, pending, lines, chunk_rows)
            held -= chunk_rows
    if held:
        yield _chunk(file.name, pending, lines, held)


def _fixed(
    file: CSVFile, column: Any, kind: str, piece: engine.Piece, lines: engine.Lines, name: str
) -> Array:
    """One piece of a column as ``kind``, or a DataError naming the first cell that is not."""
    part_kind, values = from_arrow(
        column, markers=file.markers, decimal=file.decimal, text=kind == "text"
    )
    if part_kind == MISSING:
        values = joined([(part_kind, values)], kind)
    elif part_kind != kind:
        _refuse(file, piece, lines, name, kind)
    return values.astype("datetime64[s]") if kind == "datetime" else values


def _refuse(file: CSVFile, piece: engine.Piece, lines: engine.Lines, name: str, kind: str) -> None:
    """Raise a DataError naming the first cell of the piece that is not of the column's kind."""
    # the piece read as another kind: find the first cell that is not a `kind`, spelled as written
    cells = file._parse(piece, [name], {name}).column(name).to_pylist()
    start = lines.n_rows - len(cells)
    for row, cell in enumerate(cells):
        cell = None if cell is None or cell.strip() in file.markers else cell.strip()
        if cell is not None and from_cells([cell], markers=file.markers, decimal=file.decimal,
                                           text=False)[0] != kind:  # fmt: skip
            expected = "a number" if kind == "number" else "a date or time"
            raise DataError(
                f"{file.name} line {lines.line(start + row)}, column {name!r}: expected "
                f"{expected} as in the rest of the column, got {engine.show(cell)}"
            )
    raise GlassnetError(f"{file.name}, column {name!r}: a piece did not read as {kind}")


def _chunk(name: str, pending: dict[str, list[Array]], lines: engine.Lines, rows: int) -> Columns:
    """The first ``rows`` rows held, as a `Columns`; the rest stay pending."""
    values = {}
    for column, arrays in pending.items():
        whole = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
        values[column], rest = whole[:rows], whole[rows:]
        pending[column] = [rest] if len(rest) else []
    chunk = Columns(list(pending), values, name, lines.part(0, rows))
    lines.drop(rows)
    return chunk
