"""What the commands that use a trained model share: loading it with its preprocessing (from a
path or ``-``), and reading a CSV file against it through the model's `Schema`."""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from .._typing import Array
from ..errors import DataError, ModelFileError
from ..files import is_device_or_pipe
from ..network import Sequential
from ..network import load as load_network
from ..preprocessing import Predictor, Preprocessing
from ..schema import Schema, target_rows
from ..tables import (
    BINARY_SNIFF_BYTES,
    Columns,
    RowLines,
    Table,
    column_hint,
    read_columns,
    refuse_binary_start,
)
from ._common import CLIError, listed, note


def add_target_option(p: Any) -> None:
    """Add ``--target COLUMN``, which defaults to the column the model was trained on."""
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="the target column (default: the one the model was trained on)",
    )


def check_one_stdin(model: str, data: str | None, prog: str) -> None:
    """Refuse MODEL and DATA both read from standard input: it can be read only once."""
    if model == "-" and data == "-":
        raise CLIError("MODEL and DATA cannot both be '-' (standard input)", prog)


def load_model(path: str) -> Sequential:
    """A model from a file, or from standard input when ``path`` is ``-``."""
    source = _rereadable(path, model=True)
    if isinstance(source, str):
        return load_network(source)
    # a zip archive needs seeking: copy the stream into a temporary file and load that
    fd, temporary = tempfile.mkstemp(suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(source.read())
        return load_network(temporary)
    except ModelFileError as exc:
        name = "<stdin>" if path == "-" else path
        raise ModelFileError(str(exc).replace(temporary, name)) from None
    finally:
        os.remove(temporary)


def load_predictor(path: str) -> Predictor:
    """A model and the preprocessing stored with it."""
    model = load_model(path)
    name = "<stdin>" if path == "-" else path
    return Predictor(model, Preprocessing.from_model(model, source=name))


@dataclass
class Rows:
    """A CSV file read against a model.

    Attributes
    ----------
    table : Table
        The model's features (as its schema makes them, before standardization), the target
        as text if asked for, and the file line of each row.
    columns : Columns or None
        The columns as read (None for a model without column names); row ``i`` of the table is
        row ``rows[i]`` of these (all rows, in order, when ``rows`` is None).
    rows : ndarray of int or None
    ids : list of str or None
        The ``--id`` column's text, one per row of the table ('' where missing).
    """

    table: Table
    columns: Columns | None = None
    rows: Array | None = None
    ids: list[str] | None = None


def read_data(
    path: str,
    predictor: Predictor,
    *,
    target: str | None,
    need_target: bool,
    id_column: str | None = None,
) -> Rows:
    """Read a CSV holding the model's columns through its schema; others are ignored (with one
    note), unseen categories counted (a note per column).

    With ``need_target`` the target column must be there (evaluate, explain, plot); rows with
    no target value are left out, with a note. Otherwise a target column is ignored (predict).
    A model saved without a schema reads its columns as numbers; one without column names
    takes every column but the target, in order, and checks only their number.
    """
    prep = predictor.preprocessing
    name = "<stdin>" if path == "-" else path
    source = _rereadable(path)
    if target is None and need_target:
        raise CLIError("this model does not name its target column; give it with --target")
    if target is not None and prep.features is not None and target in prep.features:
        raise CLIError(f"argument --target: {target!r} is one of the model's feature columns")
    header = _header(source)
    if not header:  # not CSV text, or empty: the reader says why, in one line
        read_columns(source, source_name=name)
        header = header or []
    if id_column is not None and id_column not in header:
        raise CLIError(f"argument --id: {name} has no column {id_column!r}; the columns are "
                       + listed(header) + column_hint(id_column, header))  # fmt: skip
    if prep.schema is not None:
        schema = prep.schema
    elif prep.features is not None:  # saved before schemas: its columns are numbers
        schema = Schema.numeric(prep.features, prep.target)
    else:  # built in Python: every column but the target (and --id) is a feature, in order
        schema = Schema.numeric(_unnamed(header, prep, target, id_column, name), target)
    given, target = target, target if need_target else None
    wanted = [c.name for c in schema.used]
    wanted += [c for c in (target, id_column) if c is not None and c not in wanted]
    text = [c for c in (*schema.text_columns(), target, id_column) if c is not None]
    numbers = [c.name for c in schema.used if c.kind == "number"]  # read into one matrix
    columns = read_columns(source, na=schema.na, text=text, columns=wanted, source_name=name,
                           together=[c for c in numbers if c not in text])  # fmt: skip
    extra = [c for c in header if c not in (*wanted, given, prep.target)]
    if extra:
        note(f"{name}: ignoring {len(extra)} column{'s' if len(extra) > 1 else ''} the model "
             f"does not use: {listed(extra)}")  # fmt: skip
    y_raw, rows = None, None
    if target is not None:
        y_raw, kept = target_rows(columns, target)
        if not y_raw:
            raise DataError(f"{name}: the target column {target!r} has no values")
        if len(kept) < columns.n_rows:
            rows, n = kept, columns.n_rows - len(kept)
            note(f"{name}: left out {n} row{'s' if n > 1 else ''} with no value in the target "
                 f"column {target!r}")  # fmt: skip
    X, notes = schema.transform(columns, rows=rows)
    for text_ in notes:
        note(text_)
    table = Table(schema.features, X, target, y_raw, name, RowLines(columns, rows))
    ids = None
    if id_column is not None:
        cells = columns.values[id_column]
        ids = ["" if v is None else str(v) for v in (cells if rows is None else cells[rows])]
    return Rows(table, columns, rows, ids)


def _unnamed(
    header: list[str], prep: Preprocessing, target: str | None, id_column: str | None, name: str
) -> list[str]:
    """The feature columns for a model without column names: all but the target and --id."""
    features = [c for c in header if c not in (target, id_column)]
    if len(features) != prep.n_features:
        raise DataError(
            f"{name}: {len(features)} feature column(s) ({', '.join(features[:10])}"
            f"{', ...' if len(features) > 10 else ''}), but the model expects {prep.n_features}"
        )
    return features


def _rereadable(path: str, *, model: bool = False) -> str | IO[bytes]:
    """``path`` itself for a regular file; the bytes of stdin or of a pipe or device, read once.

    The first block is checked before reading on (a model file is a zip archive, starting
    ``PK``; a CSV file holds no NUL byte), so /dev/zero or /dev/urandom is refused at once
    instead of read until memory runs out.
    """
    name = "<stdin>" if path == "-" else path
    if path == "-":
        if sys.stdin is None:
            raise DataError("cannot read <stdin>: standard input is closed")
        stream = sys.stdin.buffer
    elif is_device_or_pipe(path):
        try:
            stream = open(path, "rb")  # noqa: SIM115 (closed below, after reading)
        except OSError:
            return path  # read_csv or load will open it again and say what is wrong
    else:
        return path
    try:
        first = stream.read(BINARY_SNIFF_BYTES)
        if model and first and not first.startswith(b"PK"):
            raise ModelFileError(
                f"cannot load model file '{name}': not a glassnet model (not an .npz/zip archive)"
            )
        if not model:
            refuse_binary_start(first, name)
        return io.BytesIO(first + stream.read())
    except OSError as exc:
        raise DataError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        if path != "-":
            stream.close()


def _header(source: str | IO[bytes]) -> list[str] | None:
    """The CSV's column names (None if unreadable: the reader will say why)."""
    try:
        if isinstance(source, str):
            with open(source, encoding="utf-8-sig", newline="") as f:
                first = f.readline()
        else:
            first = source.readline().decode("utf-8-sig")
            source.seek(0)
        header = next(csv.reader([first]), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [h.strip() for h in header]
