"""A CSV file as training data, read the one way: its columns' use learned (`schema.Schema`), the
rows without a target left out, the task decided and the labels encoded — what ``glassnet
train`` and the playground both learn from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import tables
from ._typing import Array, Task
from .errors import DataError
from .schema import Schema, learn, target_rows

__all__ = ["TrainingTable", "na_markers", "read_training_table"]


@dataclass
class TrainingTable:
    """A training file's features and target, before standardization."""

    X: Array
    y: Array
    features: list[str]
    target: str
    task: Task
    classes: list[str] | None
    source: str
    schema: Schema
    left_out: int  # rows without a target value


def na_markers(extra: Sequence[str] = ()) -> list[str]:
    """The cells that mean a missing value: the usual markers and ``extra`` ones."""
    return [*tables.NA_MARKERS, *(m for m in extra if m not in tables.NA_MARKERS)]


def check_columns(names: Sequence[str], source: str, target: str, ignore: Sequence[str]) -> None:
    """Refuse a target or a column to ignore that the file lacks, or the target ignored."""
    if target not in names:
        raise DataError(
            f"{source}: no target column {target!r}; the columns are "
            + tables.quoted_names(names)
            + tables.column_hint(target, names)
        )
    for name in ignore:
        if name not in names:
            raise DataError(
                f"{source} has no column {name!r} to ignore; the columns are "
                + tables.quoted_names(names)
                + tables.column_hint(name, names)
            )
    if target in ignore:
        raise DataError(f"{source}: {target!r} is the target column; it cannot be ignored")


def check_classes(classes: list[str] | None, source: str, target: str) -> None:
    """Refuse a classification target holding a single class."""
    if classes is not None and len(classes) < 2:
        raise DataError(
            f"{source}: the target column {target!r} holds a single class "
            f"({classes[0]!r}); classification needs at least 2"
        )


def read_training_table(
    path: str,
    target: str,
    *,
    task: Task | None = None,
    ignore: Sequence[str] = (),
    na: Sequence[str] = (),
    na_indicator: bool = False,
    check: Callable[[list[str], str], object] | None = None,
) -> TrainingTable:
    """Read a CSV file to train on: features as its learned `Schema` makes them, the target
    encoded (the task found from it unless given).

    ``na`` adds missing-value markers to the usual ones. ``check(names, source)`` is called with
    the file's columns before anything is learned (default: `check_columns`, which refuses a
    missing target or column to ignore with a DataError).
    """
    markers = na_markers(na)
    # the columns that hold numbers are read straight into one matrix: when they are all the
    # features, the network trains on that matrix itself (`Schema.transform`: no copy)
    with tables.CSVFile(path, na=markers) as file:
        together = [c for c in file.header if c != target and c not in ignore]
        columns = file.read(text=[target], together=together)
    if check is not None:
        check(columns.names, columns.source)
    else:
        check_columns(columns.names, columns.source, target, ignore)
    y_raw, rows = target_rows(columns, target)
    if not y_raw:
        raise DataError(f"{columns.source}: the target column {target!r} has no values")
    every = len(rows) == columns.n_rows
    kept = None if every else rows
    schema = learn(columns, target=target, ignore=list(ignore), na_indicator=na_indicator,
                   na=markers, rows=kept)  # fmt: skip
    X, _ = schema.transform(columns, rows=kept)
    lines = tables.RowLines(columns, kept)
    table = tables.Table(schema.features, X, target, y_raw, columns.source, lines)
    task = task or tables.infer_task(y_raw)
    y, classes = tables.encode_target(table, task)
    check_classes(classes, table.source, target)
    return TrainingTable(X, y, schema.features, target, task, classes, table.source, schema,
                         columns.n_rows - len(rows))  # fmt: skip
