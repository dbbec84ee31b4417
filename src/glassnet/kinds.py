"""What kind a column of a training table is — a number, a yes/no, a category, a date, or one to
set aside (an identifier, free text, a constant) — and the words and numbers that decide it.

`find_kind` looks at one column as `tables.read_columns` gives it (float64, datetime64 or text)
and says how it is used, as a `Column`; `glassnet.schema` gathers the columns of a table into a
`Schema` and turns them into features. Every rule looks at each distinct value once (a dict of
counts), never at each cell in Python.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._typing import Array
from .errors import DataError
from .tables import Columns, to_float
from .validation import shown

__all__ = [
    "DATE_ORDERS",
    "DATE_PARTS",
    "KINDS",
    "NAT",
    "OTHER",
    "SET_ASIDE",
    "USED",
    "Column",
    "Place",
    "date_part",
    "date_seconds",
    "find_kind",
    "first_of",
    "names_an_identifier",
    "refuse_infinite",
    "refuse_words",
    "truth",
]

#: kinds of column that become features, then the kinds set aside (with the reason in words)
USED = ("number", "boolean", "category", "date")
SET_ASIDE = {
    "identifier": "identifier",
    "text": "free text",
    "constant": "constant",
    "missing": "all missing",
    "many_categories": "too many categories",
    "ignored": "ignored (--ignore)",
}
KINDS = (*USED, *SET_ASIDE)
#: the numeric features a date or time becomes (those that vary in training are kept)
DATE_PARTS = ("year", "month", "day", "dayofyear", "weekday", "hour")
TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1"})
FALSE_WORDS = frozenset({"no", "false", "n", "f", "0"})
#: one-hot columns at most per category column; beyond, the most frequent are kept and the rest
#: share one "other" input (or the column is set aside when the kept ones cover under half)
MAX_CATEGORIES = 50
MIN_CATEGORY_ROWS = 5  # a category kept from a crowd is seen in at least this many rows
OTHER = "(other)"
#: a column of numbers with at most this many different words among them is refused, naming
#: the first (a missing-value marker, perhaps); with more, it is text
MAX_STRAY_WORDS = 3
#: below this many rows, "a distinct value in every row" is no evidence of an identifier
MIN_ROWS = 20
ID_SHARE = 0.95  # distinct in at least this share of the rows: an identifier
NAMED_ID_SHARE = 0.3  # ... or this share, when the header names an identifier
# header words that name an identifier: as the last word ('PatientID', 'record_no'), the first
# ('id_patient'), or the whole name ('#', 'Unnamed: 0' from a saved pandas index)
_ID_LAST = frozenset({"id", "ids", "uuid", "guid", "key", "identifier", "no", "nr", "num",
                      "number", "code", "rowid", "rownum"})  # fmt: skip
_ID_FIRST = frozenset({"id", "uuid", "guid", "rowid", "unnamed"})
_ID_WHOLE = frozenset({"", "index", "idx", "row", "rownames"})
# a date, year first (ISO: 2024-01-31) or last (1/31/2024, 31.01.24), with an optional time
# (13:05, 1:05 PM) and UTC offset
_TIME = (
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp][Mm])?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_YEAR_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})" + _TIME)
#: how a date's numbers are ordered: year first (ISO), or last with the month or the day first
DATE_ORDERS = {"ymd": "year/month/day", "mdy": "month/day/year", "dmy": "day/month/year"}
NAT = np.iinfo(np.int64).min  # NaT as int64


@dataclass
class Column:
    """How one column is used: its kind and what was learned about it in training.

    Attributes
    ----------
    name : str
    kind : str
        One of `KINDS`: ``number``, ``boolean``, ``category``, ``date`` become features; the
        others are set aside.
    fill : float, str or None
        What a missing value becomes: the median (number), the most frequent value (boolean
        0/1, category), the median date as ISO text (date).
    categories : list of str
        A category's one-hot inputs, in sorted order; with ``other``, one more input for the rest.
    other : bool
    parts : list of str
        A date's features, from `DATE_PARTS`.
    order : str
        How a date written as text orders its numbers: one of `DATE_ORDERS`.
    indicator : bool
        One more 0/1 input saying the value was missing.
    missing : int
        Missing values in the training rows.
    note : str
        Why a column was set aside, or how it was read, in words.
    """

    name: str
    kind: str
    fill: float | str | None = None
    categories: list[str] = field(default_factory=list)
    other: bool = False
    parts: list[str] = field(default_factory=list)
    order: str = "ymd"
    indicator: bool = False
    missing: int = 0
    note: str = ""

    @property
    def used(self) -> bool:
        return self.kind in USED

    @property
    def features(self) -> list[str]:
        """The names of the network inputs this column becomes (none if set aside)."""
        if self.kind in ("number", "boolean"):
            names = [self.name]
        elif self.kind == "category":
            names = [f"{self.name}={c}" for c in self.categories]
            names += [f"{self.name}={OTHER}"] if self.other else []
        elif self.kind == "date":
            names = [f"{self.name}.{part}" for part in self.parts]
        else:
            return []
        return names + ([f"{self.name}.missing"] if self.indicator else [])

    def describe(self) -> str:
        """How the column is used, in a few words, e.g. ``category (3 values)``."""
        if not self.used:
            return "set aside: " + SET_ASIDE[self.kind] + (f" ({self.note})" if self.note else "")
        if self.kind == "category":
            k = len(self.categories)
            what = f"category ({k} most frequent values + other)" if self.other else (
                f"category ({k} value{'s' if k != 1 else ''})")  # fmt: skip
        elif self.kind == "date":
            order = f" ({DATE_ORDERS[self.order]})" if self.order != "ymd" else ""
            what = f"date{order} → " + ", ".join(self.features[: len(self.parts)])
        else:
            what = self.kind
        if self.missing:
            what += f"; {self.missing} missing, filled with {_fill_text(self)}"
            what += " and flagged" if self.indicator else ""
        return what

    def to_json(self) -> dict[str, Any]:
        """The column as JSON: only the fields its kind uses."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "missing": self.missing}
        if self.kind == "category":
            out.update(categories=list(self.categories), other=self.other)
        elif self.kind == "date":
            out.update(parts=list(self.parts), order=self.order)
        if self.used:
            out.update(fill=self.fill, indicator=self.indicator)
        if self.note:
            out["note"] = self.note
        return out


def _fill_text(column: Column) -> str:
    if column.kind == "number" and isinstance(column.fill, float):
        return f"{column.fill:g}"
    if column.kind == "boolean":
        return "true (1)" if column.fill == 1.0 else "false (0)"
    return shown(column.fill, 40)


class Place:
    """Where row ``i`` of a column came from, for messages: ``data.csv line 7, column 'age'``."""

    def __init__(self, columns: Columns, name: str, rows: Array | None) -> None:
        self.columns, self.name, self.rows = columns, name, rows

    def __call__(self, i: int) -> str:
        row = i if self.rows is None else int(self.rows[i])
        return f"{self.columns.source} line {self.columns.line(row)}, column {self.name!r}"


def find_kind(name: str, values: Array, at: Place, *, last_resort: bool = False) -> Column:
    """How the column ``name`` of training rows is used, found from its values and its name.

    Parameters
    ----------
    name : str
    values : ndarray of shape (n_rows,)
        float64 (NaN missing), datetime64 (NaT missing) or object (str, None missing), as
        `tables.read_columns` gives them.
    at : Place
        Where each row came from, for messages.
    last_resort : bool, default=False
        Nothing else is left to learn from: numbers that never change or that number the rows
        (0 or 1 up to the row count, a time step perhaps) are used as they are.

    Raises
    ------
    DataError
        Numbers with a stray word (suggesting ``--na`` if it marks a missing value), or an
        infinity.
    """
    if values.dtype.kind == "f":
        return _learn_numbers(name, values, at, last_resort=last_resort)
    if values.dtype.kind == "M":
        return _learn_dates(name, values.astype("datetime64[s]"))
    return _learn_text(name, values, at)


def _learn_numbers(name: str, v: Array, at: Place, *, last_resort: bool) -> Column:
    # a column of a matrix read together strides across every row of it: the passes below
    # (NaN, infinities, least, greatest, median) run on one contiguous copy instead
    v = np.ascontiguousarray(v)
    missing = np.isnan(v)
    n_missing = int(np.count_nonzero(missing))
    present = v[~missing] if n_missing else v
    if present.size == 0:
        return Column(name, "missing", missing=n_missing)
    refuse_infinite(v, at)
    lo, hi = float(present.min()), float(present.max())
    if lo == hi and not last_resort:
        return Column(name, "constant", missing=n_missing, note=f"{lo:g}")
    if lo == 0.0 and hi == 1.0 and np.count_nonzero((present != 0) & (present != 1)) == 0:
        ones = int(np.count_nonzero(present))
        fill = 1.0 if 2 * ones > present.size else 0.0
        return Column(name, "boolean", fill=fill, missing=n_missing)
    why = _numbers_rows(name, present, complete=not last_resort and n_missing == 0, lo=lo, hi=hi)
    if why:
        return Column(name, "identifier", missing=n_missing, note=why)
    return Column(name, "number", fill=_median(present), missing=n_missing)


def _median(v: Array) -> float:
    """The median, halving before adding: values near the float64 limit must not overflow.

    One partition finds the upper middle value; the lower one of an even count is the largest
    value before it (a partition for two positions at once costs five times as much).
    """
    k = v.size // 2
    part = np.partition(v, k)
    if v.size % 2:
        return float(part[k])
    return float(part[:k].max() / 2 + part[k] / 2)


def _numbers_rows(name: str, present: Array, *, complete: bool, lo: float, hi: float) -> str:
    """Why a column of distinct integers is an identifier ('' if it is not one).

    A measurement can be distinct in every row too (a price, a population), so distinctness is
    not enough: the header must name an identifier, or the integers must number the rows —
    from 0 or 1 up to about the row count (a few numbers missing: rows left out), each once.
    """
    n = present.size
    named = names_an_identifier(name)
    numbering = complete and n >= MIN_ROWS and lo in (0.0, 1.0) and n <= hi - lo + 1 <= n / ID_SHARE
    if not (named or numbering) or not np.array_equal(present, np.floor(present)):
        return ""
    distinct = np.unique(present).size
    if numbering and distinct == n:
        return f"the integers {lo:g} to {hi:g}, numbering the rows"
    if named and n >= 2 and distinct >= NAMED_ID_SHARE * n:
        return f"integers named like an identifier, {distinct} distinct in {n} rows"
    return ""


def names_an_identifier(name: str) -> bool:
    """Whether a header names an identifier: ``PatientID``, ``record_no``, ``Unnamed: 0``."""
    words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]
    if not words:
        return name.strip() in ("", "#")
    return words[-1] in _ID_LAST or words[0] in _ID_FIRST or name.strip().lower() in _ID_WHOLE


def refuse_infinite(v: Array, at: Place) -> None:
    bad = np.isinf(v)
    if bad.any():
        i = int(np.argmax(bad))
        got = "inf" if v[i] > 0 else "-inf"
        raise DataError(f"{at(i)}: expected a finite number, got {got!r}")


def _learn_dates(name: str, d: Array) -> Column:
    missing = np.isnat(d)
    n_missing = int(np.count_nonzero(missing))
    present = d[~missing] if n_missing else d
    if present.size == 0:
        return Column(name, "missing", missing=n_missing)
    parts = [p for p in DATE_PARTS if np.ptp(date_part(present, p)) > 0]
    if not parts:
        return Column(name, "constant", missing=n_missing, note=str(present[0]))
    seconds = np.sort(present.astype(np.int64))
    middle = int(seconds[(seconds.size - 1) // 2])  # the lower median: a date that occurred
    fill = np.datetime_as_string(np.datetime64(middle, "s"))
    return Column(name, "date", fill=str(fill), parts=parts, missing=n_missing)


def date_part(d: Array, part: str) -> Array:
    """One numeric feature of datetime64 values (no NaT), as int64."""
    days = d.astype("datetime64[D]")
    if part == "year":
        return d.astype("datetime64[Y]").astype(np.int64) + 1970
    if part == "month":
        return d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    if part == "day":
        return (days - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    if part == "dayofyear":
        return (days - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1
    if part == "weekday":  # Monday 0 ... Sunday 6; 1970-01-01 was a Thursday
        return (days.astype(np.int64) + 3) % 7
    return (d.astype("datetime64[h]") - days).astype(np.int64)  # hour


def date_seconds(text: str, order: str = "ymd") -> int | None:
    """Seconds since 1970 (UTC) of a date or time, None if ``text`` spells none.

    Year first always reads (``2024-01-31``, ``2024/1/31 13:05``, ``2024-01-31T13:05:00Z``,
    ``...+01:00``); year last reads with ``order`` ``mdy`` (``1/31/2024 1:05 PM``) or ``dmy``
    (``31.01.24``), a two-digit year being 1969 to 2068.
    """
    text = text.strip()
    match = _YEAR_FIRST.fullmatch(text)
    if match is not None:
        year, month, day = match.group(1, 2, 3)
    else:
        match = _YEAR_LAST.fullmatch(text) if order != "ymd" else None
        if match is None:
            return None
        first, second, year = match.group(1, 2, 3)
        month, day = (first, second) if order == "mdy" else (second, first)
        if len(year) == 2:
            year = ("19" if int(year) >= 69 else "20") + year
    hour, minute, second_, half, offset = match.groups()[3:]
    h = int(hour or 0)
    if half is not None:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() == "pm" else 0)
    iso = f"{year}-{int(month):02d}-{int(day):02d}T{h:02d}:{minute or '00'}:{second_ or '00'}"
    try:
        value = int(np.datetime64(iso, "s").astype(np.int64))
    except ValueError:  # e.g. 2024-02-30, month 13
        return None
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        value -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return value


def _date_order(texts: Iterable[str]) -> tuple[str, dict[str | None, int]] | None:
    """How a column's texts spell dates, and each one's seconds; None if they are not dates.

    Year first is ISO; year last is read month first (as in the US) unless a day over 12 comes
    first somewhere, then day first.
    """
    for order in DATE_ORDERS:
        seconds: dict[str | None, int] = {}
        for text in texts:
            value = date_seconds(text, order)
            if value is None:
                break
            seconds[text] = value
        else:
            return order, seconds
    return None


def _learn_text(name: str, values: Array, at: Place) -> Column:
    counts = Counter(values.tolist())
    n_missing = counts.pop(None, 0)
    n = values.size - n_missing
    if n == 0:
        return Column(name, "missing", missing=n_missing)
    if len(counts) == 1:
        return Column(name, "constant", missing=n_missing, note=shown(next(iter(counts)), 40))
    truths = {value: truth(value) for value in counts}
    if None not in truths.values() and len(set(truths.values())) == 2:
        ones = sum(counts[v] for v, meaning in truths.items() if meaning == 1.0)
        fill = 1.0 if 2 * ones > n else 0.0
        return Column(name, "boolean", fill=fill, missing=n_missing)
    words = {v for v in counts if to_float(v) is None}
    numbers = n - sum(counts[v] for v in words)
    if 2 * numbers >= n and len(words) <= MAX_STRAY_WORDS:
        # numbers with a stray word or two (a missing-value marker?): say where, never guess.
        # Many different words among numbers (tickets 'A/5 21171' among '347082') are text.
        refuse_words(values, words, at, hint=True)
    dates = _date_order(counts)
    if dates is not None:
        order, seconds = dates
        seconds[None] = NAT  # missing
        d = np.fromiter(map(seconds.__getitem__, values.tolist()), np.int64, values.size)
        column = _learn_dates(name, d.view("datetime64[s]"))
        column.order = order
        return column
    return _learn_words(name, counts, n, n_missing)


def _learn_words(name: str, counts: Counter[str], n: int, n_missing: int) -> Column:
    """A text column that is not numbers, booleans or dates: free text, an identifier, or a
    category (the most frequent values, if too many to one-hot)."""
    k = len(counts)
    words = sum(len(value.split()) * c for value, c in counts.items()) / n
    if words >= 5 or (words >= 3 and k >= 0.5 * n):
        return Column(name, "text", missing=n_missing, note=f"{words:.1f} words per value")
    named = names_an_identifier(name)
    if (n >= MIN_ROWS and k >= ID_SHARE * n) or (named and n >= 2 and k >= NAMED_ID_SHARE * n):
        return Column(name, "identifier", missing=n_missing, note=f"{k} distinct in {n} rows")
    ranked = sorted(counts, key=lambda value: (-counts[value], value))
    if k <= MAX_CATEGORIES and (n < MIN_ROWS or k <= n / 2):
        return Column(name, "category", fill=ranked[0], categories=sorted(counts),
                      missing=n_missing)  # fmt: skip
    kept = [v for v in ranked[:MAX_CATEGORIES] if counts[v] >= MIN_CATEGORY_ROWS]
    covered = sum(counts[v] for v in kept)
    if len(kept) < 2 or 2 * covered < n:
        note = f"{k} values; those seen {MIN_CATEGORY_ROWS}+ times cover {covered / n:.0%} of rows"
        return Column(name, "many_categories", missing=n_missing, note=note)
    return Column(name, "category", fill=ranked[0], categories=sorted(kept), other=True,
                  missing=n_missing, note=f"{k - len(kept)} rarer values as {OTHER}")  # fmt: skip


def truth(text: str) -> float | None:
    """1.0 or 0.0 for a word of yes or no (any case) or the number 1 or 0; None for others."""
    word = text.lower()
    if word in TRUE_WORDS:
        return 1.0
    if word in FALSE_WORDS:
        return 0.0
    number = to_float(text)
    return number if number in (0.0, 1.0) else None


def first_of(cells: list[Any], wanted: set[Any]) -> int:
    """The index of the first cell that is one of ``wanted`` (for messages: a rare path)."""
    return int(np.argmax(np.fromiter(map(wanted.__contains__, cells), bool, len(cells))))


def refuse_words(values: Array, bad: set[Any], at: Place, *, hint: bool) -> None:
    """A DataError at the first row holding a value of ``bad`` (a word where a number belongs)."""
    i = first_of(values.tolist(), bad)
    word = values[i]
    advice = f" (if it marks a missing value: --na={shlex.quote(word)})" if hint else ""
    raise DataError(f"{at(i)}: expected a number, got {shown(word, 40)}{advice}")
