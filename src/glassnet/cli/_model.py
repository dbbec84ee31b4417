"""What the commands that use a trained model share: loading it with its preprocessing (from a
path or ``-``), and reading a CSV file against it."""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from typing import IO, Any

from ..errors import DataError, ModelFileError
from ..files import is_device_or_pipe
from ..network import Sequential
from ..network import load as load_network
from ..preprocessing import Predictor, Preprocessing
from ..tables import BINARY_SNIFF_BYTES, Table, read_csv, refuse_binary_start
from ._common import CLIError


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


def read_data(path: str, predictor: Predictor, *, target: str | None, need_target: bool) -> Table:
    """Read a CSV whose feature columns must be the model's; the target column is optional.

    With ``need_target`` the target column must be there (evaluate, plot); otherwise it is
    ignored when present (predict). A model without stored column names takes every column but
    the target, in order, and checks only their number.
    """
    prep = predictor.preprocessing
    name = "<stdin>" if path == "-" else path
    source = _rereadable(path)
    if target is None and need_target:
        raise CLIError("this model does not name its target column; give it with --target")
    if target is not None and prep.features is not None and target in prep.features:
        raise CLIError(f"argument --target: {target!r} is one of the model's feature columns")
    present = target is not None and (need_target or _has_column(source, target))
    table = read_csv(
        source, target=target if present else None, feature_columns=prep.features,
        source_name=name,
    )  # fmt: skip
    if table.X.shape[1] != prep.n_features:
        raise DataError(
            f"{name}: {table.X.shape[1]} feature column(s) ({', '.join(table.columns[:10])}"
            f"{', ...' if len(table.columns) > 10 else ''}), but the model expects "
            f"{prep.n_features}"
        )
    return table


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


def _has_column(source: str | IO[bytes], column: str) -> bool:
    """Whether the CSV's header names ``column`` (False if unreadable: read_csv will say why)."""
    try:
        if isinstance(source, str):
            with open(source, encoding="utf-8-sig", newline="") as f:
                first = f.readline()
        else:
            first = source.readline().decode("utf-8-sig")
            source.seek(0)
        header = next(csv.reader([first]), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return column in [h.strip() for h in header]
