"""The kinds of a table's columns — numbers, dates and times, text — and the one grammar of
numbers written as text.

Ordered as: numbers written as text (the one place that decides what "a number" is), the
missing-value markers, then the kinds: the one table of how a piece of a column, as pyarrow
read it, becomes a NumPy array (`from_arrow`), and how the pieces of a column join (`joined`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import csv_engine as engine
from ._typing import Array

__all__ = [
    "KINDS",
    "MISSING",
    "NA_MARKERS",
    "arrow_kind",
    "from_arrow",
    "from_cells",
    "is_number",
    "joined",
    "kind_of",
    "number_chunk",
    "numbers",
    "parse_number",
    "to_float",
]


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


# --- the kinds of columns -----------------------------------------------------------------------

# What a column holds: float64 (NaN missing), datetime64 (NaT missing), or an object array of
# stripped str (None missing). A piece of a column whose cells are all missing fits any kind.
KINDS = ("number", "datetime", "text")
MISSING = "missing"

# pyarrow's numeric types (as pyarrow names them) and the NumPy dtype of their values
_NUMERIC = {
    "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8", "uint8": "u1", "uint16": "u2",
    "uint32": "u4", "uint64": "u8", "halffloat": "f2", "float": "f4", "double": "f8",
}  # fmt: skip
_DATE_UNITS = {"date32[day]": ("D", "i4"), "date64[ms]": ("ms", "i8")}


def arrow_kind(type_name: str) -> str | None:
    """The kind a pyarrow column type reads as directly, or None (its cells are read as text)."""
    if type_name in _NUMERIC:
        return "number"
    if type_name == "null":
        return MISSING
    if type_name in _DATE_UNITS or type_name.startswith("timestamp["):
        return "datetime"
    if type_name in ("string", "large_string"):
        return "text"
    return None  # times of day, binary (not UTF-8): read again as text, or refused


def from_arrow(
    column: Any, *, markers: frozenset[str], decimal: str, text: bool
) -> tuple[str, Any]:
    """One piece of a column, as pyarrow read it, as (kind, NumPy array or row count if missing).

    Text is stripped and compared with the missing-value ``markers``; text that then spells only
    numbers (Python's grammar, `to_float`) or only ISO dates becomes that kind, unless ``text``.
    """
    kind = arrow_kind(str(column.type))
    if kind == "number":
        return kind, numbers(column)
    if kind == "datetime":
        return kind, _datetimes(column)
    if kind == MISSING:
        return (kind, len(column)) if not text else ("text", _objects([None] * len(column)))
    # without a space anywhere in the column, no cell needs stripping, and pyarrow has already
    # found the missing-value markers (it was given them): the cells are ready as they come
    padded = any(_has_space(chunk) for chunk in column.chunks)
    return from_cells(
        column.to_pylist(), markers=markers if padded else frozenset(), decimal=decimal,
        text=text, strip=padded,
    )  # fmt: skip


# Bytes that begin a character str.strip removes: ASCII spaces and controls, and the lead byte
# of every other Unicode space (U+0085, U+00A0; U+1680; U+2000–U+205F; U+3000) in UTF-8.
_SPACE_BYTES = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\xc2\xe1\xe2\xe3"


def _has_space(chunk: Any) -> bool:
    """Whether a pyarrow string array's text holds a byte that may start a space."""
    data = chunk.buffers()[2]
    if data is None:
        return False
    text = data.to_pybytes()
    return any(bytes([byte]) in text for byte in _SPACE_BYTES)


def from_cells(
    cells: list[str | None],
    *,
    markers: frozenset[str],
    decimal: str,
    text: bool,
    strip: bool = True,
) -> tuple[str, Any]:
    """Raw text cells (None: missing) as (kind, array) — see `from_arrow`; ``strip=False``
    when no cell has spaces around it."""
    stripped: list[str | None] = cells
    if markers:  # one pass: strip, then compare with the markers
        stripped = [None if c is None or (s := c.strip()) in markers else s for c in cells]
    elif strip:
        stripped = [None if c is None else c.strip() for c in cells]
    if text:
        return "text", _objects(stripped)
    present = [cell for cell in stripped if cell is not None]
    if not present:
        return MISSING, len(cells)
    numbers = _spelled_numbers(stripped, present, decimal)
    if numbers is not None:
        return "number", numbers
    dates = _spelled_dates(stripped, present, decimal)
    if dates is not None:
        return "datetime", dates
    return "text", _objects(stripped)


def _objects(cells: list[str | None]) -> Array:
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return out


def _spelled_numbers(cells: list[str | None], present: list[str], decimal: str) -> Array | None:
    """The cells as float64 if every present one spells a number, else None."""
    if decimal != ".":
        present = [cell.replace(decimal, ".") for cell in present]
    if not all(to_float(cell) is not None for cell in present):
        return None
    out = np.full(len(cells), np.nan)
    out[[i for i, cell in enumerate(cells) if cell is not None]] = [float(c) for c in present]
    return out


def _spelled_dates(cells: list[str | None], present: list[str], decimal: str) -> Array | None:
    """The cells as datetime64 if pyarrow reads every present one as a date or time, else None.

    pyarrow decides, as it does for a column it reads straight from the file: the cells are
    given to it as a one-column CSV file of their own.
    """
    if not all(cell[:1].isdigit() and "-" in cell for cell in present):
        return None
    lines = ['"' + cell.replace('"', '""') + '"' for cell in present]
    piece = engine.Piece("\n".join(lines).encode(), 0, 1, quoted=True)
    table = engine.parse(piece, ["v"], include=["v"], na=(), sep=",", decimal=decimal)
    if arrow_kind(str(table.column(0).type)) != "datetime":
        return None
    found = _datetimes(table.column(0))
    out = np.full(len(cells), np.datetime64("NaT"), dtype=found.dtype)
    out[[i for i, cell in enumerate(cells) if cell is not None]] = found
    return out


def numbers(column: Any, out: Array | None = None) -> Array:
    """A numeric pyarrow column as float64, NaN for missing, written into ``out`` if given (a
    column of a matrix, say): one copy from pyarrow's buffers, and no pandas."""
    if out is None:
        out = np.empty(len(column), dtype=np.float64)
    start = 0
    for chunk in column.chunks:
        number_chunk(chunk, out[start : start + len(chunk)])
        start += len(chunk)
    return out


def number_chunk(chunk: Any, out: Array) -> None:
    """Write one numeric pyarrow array into ``out`` as float64 (NaN for missing)."""
    n = len(chunk)
    dtype = np.dtype(_NUMERIC[str(chunk.type)])
    out[:] = np.frombuffer(chunk.buffers()[1], dtype, n, chunk.offset * dtype.itemsize)
    if chunk.null_count:
        out[~_valid(chunk)] = np.nan


def _datetimes(column: Any) -> Array:
    """A date or timestamp pyarrow column as datetime64 (a timezone's times as UTC), NaT missing."""
    name = str(column.type)
    unit, values = _DATE_UNITS.get(name, (getattr(column.type, "unit", "s"), "i8"))
    out = np.empty(len(column), dtype=f"datetime64[{unit}]")
    start = 0
    for chunk in column.chunks:
        n = len(chunk)
        dtype = np.dtype(values)
        raw = np.frombuffer(chunk.buffers()[1], dtype, n, chunk.offset * dtype.itemsize)
        part = out[start : start + n]
        part.view(np.int64)[:] = raw
        if chunk.null_count:
            part[~_valid(chunk)] = np.datetime64("NaT")
        start += n
    return out


def _valid(chunk: Any) -> Array:
    """The validity bitmap of a pyarrow array as a bool array (False: missing)."""
    bits = np.unpackbits(np.frombuffer(chunk.buffers()[0], np.uint8), bitorder="little")
    return bits[chunk.offset : chunk.offset + len(chunk)].astype(bool)


def joined(parts: list[tuple[str, Any]], kind: str) -> Array:
    """A column's pieces as one array of ``kind`` (missing pieces filled with NaN, NaT or None)."""
    arrays = []
    unit = next((a.dtype for k, a in parts if k == "datetime"), np.dtype("datetime64[s]"))
    for part_kind, values in parts:
        if part_kind != MISSING:
            arrays.append(values)
        elif kind == "number":
            arrays.append(np.full(values, np.nan))
        elif kind == "datetime":
            arrays.append(np.full(values, np.datetime64("NaT"), dtype=unit))
        else:
            arrays.append(_objects([None] * values))
    if not arrays:
        return np.zeros(0, dtype={"number": np.float64, "text": object}.get(kind, unit))
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def kind_of(parts: Iterable[str]) -> str | None:
    """The kind of a column whose pieces have these kinds; None if they disagree (read as text)."""
    kinds = set(parts) - {MISSING}
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else "number"
