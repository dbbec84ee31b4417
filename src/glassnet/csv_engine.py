"""CSV files read through pyarrow.csv piece by piece, with our own one-line messages.

Ordered as: messages, the source (opening it, its first bytes, the header record, a separator
it might really use), pieces (the bytes after the header, cut at record boundaries), parsing a
piece (pyarrow.csv, imported only here and only when a file is read), line numbers, and the
diagnosis: when pyarrow refuses a piece, or reads something glassnet does not accept, Python's
``csv`` module reads that piece again to say exactly where and why — pyarrow's own texts never
reach the user. What the cells *mean* (numbers, dates, text) is `cells`' business, and the
columns they make `columns`'.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import io
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from ._typing import Array
from .errors import DataError, GlassnetError

# The first bytes of a file are checked for NUL bytes (binary data) before reading on.
BINARY_SNIFF_BYTES = 1 << 16
# A file is parsed in pieces of about this many bytes: memory stays near the pieces in hand
# (`columns.PARSERS` of them being parsed, one being converted), not the file.
PIECE_BYTES = 1 << 21
# pyarrow parses a piece in blocks of this size, on the one thread it is given.
BLOCK_BYTES = 1 << 20

MISSING_PYARROW = "reading CSV files needs pyarrow: pip install 'glassnet[csv]'"

# Separators a file with a one-column header may really use, as messages name them.
OTHER_SEPARATORS = {";": "';'", "\t": "tab", "|": "'|'", ",": "','"}

_BLANK = b" \t\r\n\x0b\x0c"
_NUMBER_WITH_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def pyarrow_csv() -> Any:
    """The ``pyarrow.csv`` module, or a GlassnetError saying how to install it."""
    try:
        import pyarrow.csv
    except ImportError:
        raise GlassnetError(MISSING_PYARROW) from None
    return pyarrow.csv


# --- messages -----------------------------------------------------------------------------------


def show(value: str, limit: int = 40) -> str:
    """A quoted, single-line, length-limited rendering of a value for messages."""
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def quoted_names(columns: Iterable[str], limit: int = 10) -> str:
    """Column names quoted and comma-separated, for messages; the first ``limit`` of many."""
    names = [show(column) for column in columns]
    if len(names) > limit:  # a 1,000-column file must not make a 10,000-character message
        return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"
    return ", ".join(names)


def spelling_hint(wanted: str, header: Sequence[str]) -> str:
    """' (did you mean 'Label'?)' for a column name differing in case or by a typo, else ''."""
    folded = [column for column in header if column.casefold() == wanted.casefold()]
    close = folded or difflib.get_close_matches(wanted, list(header), n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- the source ---------------------------------------------------------------------------------


class Source:
    """A CSV file's bytes: a regular file (opened again for each pass) or bytes held in memory.

    Standard input, pipes, devices and file objects are read whole at once (their first block
    checked for binary data first, so /dev/zero is refused at once), unless ``stream`` asks to
    read them once, piece by piece.
    """

    def __init__(
        self, path_or_file: str | os.PathLike[str] | IO[Any], name: str, *, stream: bool = False
    ) -> None:
        self.name = name
        self.path: str | None = None
        self.data: bytes | None = None
        self.stream: IO[bytes] | None = None
        self.owned = True  # whether closing the stream is ours to do (not for standard input)
        with self.reading():
            if isinstance(path_or_file, (str, os.PathLike)) and os.fspath(path_or_file) != "-":
                path = os.fspath(path_or_file)
                if os.path.isdir(path):
                    raise IsADirectoryError(path)
                if not os.path.exists(path) or os.path.isfile(path):
                    self.path = path  # opened (and its errors said) when read
                    return
                opened: IO[Any] = open(path, "rb")  # noqa: SIM115 (a device or pipe, read here)
            elif isinstance(path_or_file, (str, os.PathLike)):
                if sys.stdin is None:
                    raise DataError(f"cannot read {name}: standard input is closed")
                opened = getattr(sys.stdin, "buffer", sys.stdin)  # bytes: we decide UTF-8
                self.owned = False
            else:
                opened = path_or_file
                self.owned = False
            if stream and not isinstance(opened.read(0), str):
                self.stream = opened
                return
            try:
                self.data = read_all(opened, name)
            finally:
                if self.owned:
                    opened.close()
            self.owned = True  # from here on, a stream of the bytes read

    def reading(self) -> Any:
        """A context in which OSErrors become one-line DataErrors naming the file."""
        return _Reading(self.name)

    def open(self) -> IO[bytes]:
        """A binary stream of the file from its first byte."""
        if self.path is not None:
            with self.reading():
                return open(self.path, "rb")
        if self.stream is not None:
            stream, self.stream = self.stream, None
            return stream
        if self.data is None:
            raise GlassnetError(f"{self.name} can be read only once")
        return io.BytesIO(self.data)

    def close(self, file: IO[bytes]) -> None:
        """Close a stream `open` gave, unless it is standard input or the caller's file."""
        if self.owned:
            file.close()

    def size(self) -> int | None:
        """The file's size in bytes, if known before reading it."""
        if self.data is not None:
            return len(self.data)
        if self.path is not None:
            with self.reading():
                return os.path.getsize(self.path)
        return None


class _Reading:
    """Turns the OSErrors of opening or reading a file into one-line DataErrors."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None or not issubclass(kind, OSError):
            return
        name = self.name
        if issubclass(kind, FileNotFoundError):
            raise DataError(f"cannot read {name}: no such file") from None
        if issubclass(kind, IsADirectoryError):
            raise DataError(f"cannot read {name}: it is a directory, expected a CSV file") from None
        if issubclass(kind, PermissionError):
            raise DataError(f"cannot read {name}: permission denied") from None
        raise DataError(f"cannot read {name}: {exc.strerror or exc}") from None


def read_all(stream: IO[Any], name: str) -> bytes:
    """All of ``stream`` as bytes, refusing binary data as soon as its first block shows it.

    A device like /dev/zero, or a pipe from /dev/urandom, never ends: read whole, it would fill
    memory before anything could be said about it. Text streams are encoded as UTF-8.
    """
    first = stream.read(BINARY_SNIFF_BYTES)
    if isinstance(first, str):
        if "\x00" in first:
            raise DataError(f"cannot read {name}: binary data (a NUL byte), expected CSV text")
        return (first + stream.read()).encode("utf-8", "surrogateescape")
    refuse_binary_start(first, name)
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


@dataclass
class Head:
    """The header record of a file and what was read after it."""

    names: list[str]  # stripped, in file order
    lines: int  # the physical lines the header spans (more than 1 if a quoted name holds one)
    rest: bytes  # the bytes read after the header record
    offset: int  # the file offset of ``rest``


def read_head(stream: IO[bytes], name: str, sep: str) -> Head:
    """Read the header record, refusing binary data, blank or empty files and bad names."""
    buf = stream.read(BINARY_SNIFF_BYTES)
    refuse_binary_start(buf, name)
    start = 3 if buf.startswith(b"\xef\xbb\xbf") else 0  # the UTF-8 byte-order mark
    while True:
        end = _record_end(buf, start)
        if end is not None:
            break
        more = stream.read(BINARY_SNIFF_BYTES)
        if not more:
            end = (len(buf), len(buf))
            break
        buf += more
    record, after = buf[start : end[0]], end[1]
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError as e:
        raise utf8_error(buf, start + e.start, 1, 0, name) from None
    if not text.strip():
        rest = buf[after:]
        while rest.strip(_BLANK) == b"" and (more := stream.read(BINARY_SNIFF_BYTES)):
            rest += more
        if not rest.strip(_BLANK):
            raise DataError(f"{name} is empty: expected a header row and at least one data row")
        raise DataError(f"{name} line 1 is blank: expected a header row naming the columns")
    try:
        row = next(csv.reader([text], delimiter=sep, strict=True))
    except csv.Error as e:
        raise DataError(f"{name} line 1: malformed CSV ({e})") from None
    header = [column.strip() for column in row]
    _check_names(header, name)
    return Head(header, 1 + count_lines(record), buf[after:], after)


def _record_end(buf: bytes, start: int) -> tuple[int, int] | None:
    """(end of the first record's text, start of the next) in ``buf``, or None if not there yet.

    A line end inside double quotes belongs to a field, not to the end of the record.
    """
    position = start
    while True:
        ends = [i for i in (buf.find(b"\n", position), buf.find(b"\r", position)) if i >= 0]
        if not ends:
            return None
        end = min(ends)
        if buf.count(b'"', start, end) % 2 == 0:
            if buf[end : end + 1] == b"\r":
                if end + 1 == len(buf):
                    return None  # a \n may follow in the next block
                return (end, end + 2) if buf[end + 1 : end + 2] == b"\n" else (end, end + 1)
            return end, end + 1
        position = end + 1


def _check_names(header: list[str], name: str) -> None:
    """Raise unless the header names every column once."""
    empty = [j + 1 for j, column in enumerate(header) if not column]
    if empty:
        raise DataError(
            f"{name} line 1: column {empty[0]} has no name; "
            "expected a header row naming every column"
        )
    duplicates = sorted(column for column, n in Counter(header).items() if n > 1)
    if duplicates:
        raise DataError(f"{name} line 1: duplicate column names {quoted_names(duplicates)}")


def label_of(sep: str) -> str:
    """A separator as messages name it: ',' or tab."""
    return OTHER_SEPARATORS.get(sep, repr(sep))


def other_separator(header: Sequence[str], head: Head, sep: str) -> str:
    """A note for a file whose one-column header another separator would split, else ''.

    The note names the separator the header and the first data lines agree on, and decimal
    commas (``3,14``) if the numbers use them, as spreadsheets in much of Europe write.
    """
    if len(header) != 1:
        return ""
    lines = head.rest[:BINARY_SNIFF_BYTES].decode("utf-8", "replace").splitlines()[:5]
    for other, label in OTHER_SEPARATORS.items():
        if other == sep or other not in header[0]:
            continue
        width = len(next(csv.reader([header[0]], delimiter=other)))
        rows = list(csv.reader(lines, delimiter=other))
        if width > 1 and all(len(row) == width for row in rows if row):
            cells = [cell.strip() for row in rows for cell in row]
            comma = any(_NUMBER_WITH_DECIMAL_COMMA.fullmatch(cell) for cell in cells)
            commas = " with decimal commas" if comma and other != "," else ""
            ours = (
                "comma-separated values" if sep == "," else f"values separated by {label_of(sep)}"
            )
            fix = f"save it with {label_of(sep)} between fields" + (
                " and '.' in numbers" if commas else ""
            )
            return f" (the file looks {label}-separated{commas}; glassnet reads {ours}: {fix})"
    return ""


# --- pieces -------------------------------------------------------------------------------------


@dataclass
class Piece:
    """Whole records of a file, in bytes, and where they start."""

    data: bytes | bytearray
    offset: int  # the file offset of data[0]
    line: int  # the file line data[0] is on
    quoted: bool  # whether a double quote occurs (a field may then span lines)
    lines: int = 0  # the line ends in data
    blank: bool = False  # whether a line of data is empty (in a quoted field, it may belong)


def pieces(
    stream: IO[bytes], head: Head, name: str, *, size: int | None = None, whole_quoted: bool = True
) -> Iterator[Piece]:
    """The records after the header, in pieces of about ``size`` bytes cut between records.

    Without double quotes every line end ends a record. With them, a line end ends a record
    when the quotes before it are balanced — true of every file that quotes as RFC 4180 does;
    a stray quote inside an unquoted field (``5'10"``) would misplace the cut, so
    ``whole_quoted`` reads the rest of such a file as one piece instead. Blank lines at the end
    are dropped (blank lines before more records start the next piece, which says so); a NUL
    byte anywhere refuses the file as binary. Each piece is read into a buffer of its own,
    handed on to pyarrow without a copy.
    """
    size = size or PIECE_BYTES
    buf, offset, line, quoted, eof = bytearray(head.rest), head.offset, 1 + head.lines, False, False
    want = size
    while True:
        if len(buf) < want and not eof:
            buf, eof = _filled(stream, buf, want)
        quoted = quoted or b'"' in buf
        if quoted and whole_quoted and not eof:
            buf += stream.read()
            eof = True
        cut = _blank_tail(buf, len(buf) if eof else _last_record_end(buf, quoted))
        if cut == 0 and not eof:
            want = len(buf) + size  # no record ends in here yet (or only blank lines): read on
            continue
        data, buf = buf, buf[cut:]
        del data[cut:]
        if b"\x00" in data:
            raise DataError(f"cannot read {name}: binary data (a NUL byte), expected CSV text")
        lines, blank = scan_lines(data)
        if data:
            yield Piece(data, offset, line, quoted, lines, blank)
        if eof:
            return
        offset, line, want = offset + cut, line + lines, size


def _filled(stream: IO[bytes], buf: bytearray, want: int) -> tuple[bytearray, bool]:
    """``buf`` followed by what the stream holds next, up to ``want`` bytes in all (read in
    place); and whether the stream ended."""
    out = bytearray(want)
    have = len(buf)
    out[:have] = buf
    readinto = getattr(stream, "readinto", None)
    with memoryview(out) as view:
        while have < want:
            if readinto is not None:
                n = readinto(view[have:])
            else:  # a file object of the caller's, without readinto
                more = stream.read(want - have)
                n = len(more)
                view[have : have + n] = more
            if not n:
                break
            have += n
    del out[have:]
    return out, have < want


def _last_record_end(buf: bytes | bytearray, quoted: bool) -> int:
    """The length of ``buf`` up to and including its last line end between records (0: none)."""
    end = buf.rfind(b"\n")
    if not quoted:
        return end + 1
    balance = buf.count(b'"', 0, end) % 2
    while end >= 0 and balance:
        previous = buf.rfind(b"\n", 0, end)
        balance ^= buf.count(b'"', previous + 1, end) % 2
        end = previous
    return end + 1


def _blank_tail(buf: bytes | bytearray, end: int) -> int:
    """Where the blank (or all-space) lines that end ``buf[:end]`` begin (``end``: none)."""
    stop = end
    while stop > 0:
        start = max(0, stop - BINARY_SNIFF_BYTES)
        kept = len(buf[start:stop].rstrip(_BLANK))
        if kept:
            last = start + kept  # just past the last byte that is not blank
            break
        stop = start
    else:
        return 0
    ends = [i for i in (buf.find(b"\n", last, end), buf.find(b"\r", last, end)) if i >= 0]
    if not ends:
        return end
    first = min(ends)
    return first + 2 if buf[first : first + 2] == b"\r\n" else first + 1


def count_lines(data: bytes | bytearray) -> int:
    """The line ends in ``data``: \\n, \\r\\n or a lone \\r, as Python's csv module counts them."""
    if b"\r" not in data:  # the usual file: one pass
        return data.count(b"\n")
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def line_ends(data: bytes | bytearray) -> Array:
    """The position of each line end in ``data`` (of the \\n of a \\r\\n), as the csv module
    counts lines: \\n, \\r\\n or a lone \\r."""
    a = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(a == 10)
    if b"\r" in data:
        returns = np.flatnonzero(a == 13)
        ends = np.union1d(ends, returns[a[np.minimum(returns + 1, len(a) - 1)] != 10])
    return ends


def scan_lines(data: bytes | bytearray) -> tuple[int, bool]:
    """The number of line ends in ``data``, and whether one of its lines is empty.

    A line is empty when a line end comes first in ``data`` or right after another: ``\n\n``,
    ``\n\r`` (the next line ends at once, by ``\r`` or ``\r\n``) or ``\r\r``; a ``\r``
    followed by ``\n`` is one line end. Without ``\r`` (the usual file) one pass finds the line
    ends, whose gaps say both; with it, byte searches.
    """
    if b"\r" in data:
        blank = data[:1] in (b"\n", b"\r") or any(pair in data for pair in _EMPTY_LINE)
        return count_lines(data), blank
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    blank = len(ends) > 0 and (ends[0] == 0 or bool((ends[1:] - ends[:-1] == 1).any()))
    return len(ends), blank


_EMPTY_LINE = (b"\n\n", b"\n\r", b"\r\r")


# --- parsing a piece ----------------------------------------------------------------------------


def parse(
    piece: Piece,
    names: Sequence[str],
    *,
    include: Sequence[str],
    strings: Iterable[str] = (),
    na: Sequence[str],
    sep: str,
    decimal: str,
) -> Any:
    """The piece as a ``pyarrow.Table`` of the ``include`` columns; ``strings`` read as text.

    pyarrow infers each column's type (integers, floats, dates, times, text) from the piece. It
    is told: no booleans (a 0/1 column is numbers, true/false is text, as glassnet decides),
    the missing-value markers ``na``, and that a blank line is a row, so that one is seen.
    Raises ``pyarrow.ArrowInvalid`` for what it cannot parse (see `diagnose`).
    """
    pa_csv = pyarrow_csv()
    import pyarrow

    # one thread: the caller runs pieces side by side on threads it joins (`columns.PARSERS`)
    read = pa_csv.ReadOptions(column_names=list(names), block_size=BLOCK_BYTES, use_threads=False)
    options = pa_csv.ParseOptions(
        delimiter=sep, ignore_empty_lines=False, newlines_in_values=piece.quoted
    )
    convert = pa_csv.ConvertOptions(
        include_columns=list(include),
        column_types={column: pyarrow.string() for column in strings},
        null_values=list(na),
        strings_can_be_null=True,
        true_values=[],
        false_values=[],
        decimal_point=decimal,
    )
    buffer = pyarrow.py_buffer(piece.data)
    try:
        return pa_csv.read_csv(
            buffer, read_options=read, parse_options=options, convert_options=convert
        )
    except pyarrow.ArrowInvalid as e:
        if "straddl" not in str(e):  # not a record longer than a block: the caller diagnoses
            raise
    read.block_size = len(piece.data) + 1  # a record longer than a block: the piece as one
    return pa_csv.read_csv(
        buffer, read_options=read, parse_options=options, convert_options=convert
    )


def release_memory() -> None:
    """Give the memory pyarrow's allocator keeps for reuse back to the system (after reading:
    the arrays glassnet keeps are NumPy's, and training needs the room)."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


# --- line numbers -------------------------------------------------------------------------------


class Lines:
    """The file line each data row starts on, kept per piece (a range, or an array if a quoted
    field spans lines), and found exactly only when asked."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # the first row of each piece
        self.parts: list[tuple[int, int, Array | None]] = []  # (rows, first line, lines)

    def add(self, rows: int, line: int, lines: Array | None = None) -> None:
        self.starts.append(self.n_rows)
        self.parts.append((rows, line, lines))

    @property
    def n_rows(self) -> int:
        return self.starts[-1] + self.parts[-1][0] if self.parts else 0

    def line(self, row: int) -> int:
        if row < 0:
            row += self.n_rows
        k = bisect.bisect_right(self.starts, row) - 1
        if k < 0 or row >= self.n_rows:
            raise IndexError(f"row {row} of {self.n_rows}")
        _, first, lines = self.parts[k]
        return (
            int(lines[row - self.starts[k]]) if lines is not None else first + row - self.starts[k]
        )

    def array(self) -> Array:
        """Every row's line, int64 of shape (n_rows,)."""
        parts = [
            lines if lines is not None else np.arange(first, first + rows, dtype=np.int64)
            for rows, first, lines in self.parts
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def part(self, start: int, stop: int) -> Lines:
        """The lines of rows ``start`` to ``stop`` (a chunk of rows)."""
        out = Lines()
        row = start
        while row < stop:
            k = bisect.bisect_right(self.starts, row) - 1
            rows, first, lines = self.parts[k]
            end = min(stop, self.starts[k] + rows)
            skip = row - self.starts[k]
            if lines is None:
                out.add(end - row, first + skip)
            else:
                out.add(end - row, first, lines[skip : skip + end - row])
            row = end
        return out

    def drop(self, rows: int) -> None:
        """Forget the first ``rows`` rows (read already, in a stream)."""
        cut = self.part(rows, self.n_rows)
        self.starts, self.parts = cut.starts, cut.parts


def piece_lines(piece: Piece, rows: int, sep: str) -> Array | None:
    """The line each record of a piece starts on, or None if each takes one line."""
    data = piece.data
    if not piece.quoted or piece.lines + (data[-1:] not in (b"\n", b"\r")) == rows:
        return None
    ends = line_ends(data)
    a = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(a == 34)
    record_ends = ends[np.searchsorted(quotes, ends) % 2 == 0]  # line ends between records
    starts = np.concatenate([[0], record_ends + 1])
    starts = starts[starts < len(a)]
    if len(starts) == rows:  # the quotes are balanced as RFC 4180 writes them
        return piece.line + np.searchsorted(ends, starts).astype(np.int64)
    text = piece.data.decode("utf-8", "replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    found, line = [], piece.line
    for _ in reader:
        found.append(line)
        line = piece.line + reader.line_num
    return np.array(found[:rows], dtype=np.int64)


# --- diagnosis ----------------------------------------------------------------------------------


def diagnose(piece: Piece, width: int, name: str, sep: str) -> DataError | None:
    """What Python's csv module finds wrong in a piece of records ``width`` fields wide, if
    anything: text that is not UTF-8, a malformed quote, a row of another width, a blank line.
    The error's ``line`` attribute holds the line it names."""
    try:
        text = piece.data.decode("utf-8")
    except UnicodeDecodeError as e:
        return utf8_error(piece.data, e.start, piece.line, piece.offset, name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    line = piece.line
    found = None
    try:
        for row in reader:
            if len(row) != width:
                blank = " (a blank line)" if not row else ""
                found = DataError(
                    f"{name} line {line}: expected {width} fields as in the header, "
                    f"got {len(row)}{blank}"
                )
                break
            line = piece.line + reader.line_num
    except csv.Error as e:
        found = DataError(f"{name} line {line}: malformed CSV ({e})")
    if found is not None:
        found.line = line  # type: ignore[attr-defined]
    return found


def unreadable(piece: Piece, width: int, name: str, sep: str) -> DataError:
    """The message for a piece pyarrow could not read: the diagnosis, or where it starts."""
    found = diagnose(piece, width, name, sep)
    if found is not None:
        return found
    return DataError(f"{name}: cannot read the records from line {piece.line} on as CSV")


def utf8_error(data: bytes | bytearray, start: int, line: int, offset: int, name: str) -> DataError:
    """'not UTF-8 text' at byte ``start`` of ``data``, with a hint if the text is latin-1."""
    line += count_lines(data[:start])
    window = data[max(0, start - BINARY_SNIFF_BYTES) : start + BINARY_SNIFF_BYTES]
    try:
        latin = not _CONTROL.search(window.decode("cp1252"))
    except UnicodeDecodeError:
        latin = False
    hint = "; it looks latin-1/cp1252: save it as UTF-8" if latin else ""
    error = DataError(
        f"cannot read {name}: not UTF-8 text (line {line}, byte {offset + start}){hint}"
    )
    error.line = line  # type: ignore[attr-defined]
    return error
    return DataError(
        f"cannot read {name}: not UTF-8 text (line {line}, byte {offset + start}){hint}"
    )
