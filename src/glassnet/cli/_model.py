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
    Table,
    column_hint,
    read_columns,
    read_csv,
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
    """Read a CSV holding the model's columns; others are ignored (with one note).

    With ``need_target`` the target column must be there (evaluate, explain, plot); rows with
    no target value are left out, with a note. Otherwise a target column is ignored (predict).
    A model without stored column names takes every column but the target, in order, and
    checks only their number.
    """
    prep = predictor.preprocessing
    name = "<stdin>" if path == "-" else path
    source = _rereadable(path)
    if target is None and need_target:
        raise CLIError("this model does not name its target column; give it with --target")
    if target is not None and prep.features is not None and target in prep.features:
        raise CLIError(f"argument --target: {target!r} is one of the model's feature columns")
    header = _header(source)
    if id_column is not None and header is not None and id_column not in header:
        raise CLIError(f"argument --id: {name} has no column {id_column!r}; the columns are "
                       + listed(header) + column_hint(id_column, header))  # fmt: skip
    if prep.features is None:
        return _read_unnamed(source, name, predictor, target, need_target, id_column)
    schema = prep.schema or Schema.numeric(prep.features, prep.target)
    target = target if need_target else None
    wanted = [c.name for c in schema.used]
    wanted += [c for c in (target, id_column) if c is not None and c not in wanted]
    text = [c for c in (*schema.text_columns(), target, id_column) if c is not None]
    columns = read_columns(source, na=schema.na, text=text, columns=wanted, source_name=name)
    extra = [c for c in header or [] if c not in wanted and c != prep.target]
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
    lines = columns.lines if rows is None else columns.lines[rows]
    table = Table(schema.features, X, target, y_raw, name, lines.tolist())
    ids = None
    if id_column is not None:
        cells = columns.values[id_column]
        ids = ["" if v is None else str(v) for v in (cells if rows is None else cells[rows])]
    return Rows(table, columns, rows, ids)


def _read_unnamed(
    source: str | IO[bytes], name: str, predictor: Predictor, target: str | None,
    need_target: bool, id_column: str | None,
) -> Rows:  # fmt: skip
    """A model built in Python, without column names: every column but the target (and the
    ``--id`` column), in order, read as numbers."""
    prep = predictor.preprocessing
    header = _header(source) or []
    present = target is not None and (need_target or target in header)
    features = [c for c in header if c not in (target, id_column)] if id_column else None
    table = read_csv(
        source, target=target if present else None, feature_columns=features, source_name=name,
    )  # fmt: skip
    if table.X.shape[1] != prep.n_features:
        raise DataError(
            f"{name}: {table.X.shape[1]} feature column(s) ({', '.join(table.columns[:10])}"
            f"{', ...' if len(table.columns) > 10 else ''}), but the model expects "
            f"{prep.n_features}"
        )
    ids = None
    if id_column is not None:
        if not isinstance(source, str):
            source.seek(0)
        cells = read_columns(source, text=[id_column], columns=[id_column], source_name=name)
        ids = ["" if v is None else str(v) for v in cells.values[id_column]]
    return Rows(table, ids=ids)


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
