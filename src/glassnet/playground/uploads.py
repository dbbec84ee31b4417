"""A CSV file offered to the playground (uploaded, or named on the command line): its columns and
rows as `glassnet train` would read them, and the column most likely to be the target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DataError
from ..tables import read_columns

#: column names that usually hold what is to be predicted, tried in this order
TARGET_NAMES = ("target", "label", "class", "y", "outcome", "species")


@dataclass(frozen=True)
class Upload:
    """A readable CSV file: where it is, the name the page knows it by, its columns."""

    path: str
    name: str
    columns: list[str]
    rows: int

    @property
    def suggested_target(self) -> str:
        """A column named like a target, else the last one."""
        lowered = {c.lower(): c for c in self.columns}
        for name in TARGET_NAMES:
            if name in lowered:
                return lowered[name]
        return self.columns[-1]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "columns": self.columns, "rows": self.rows,
                "suggested_target": self.suggested_target}  # fmt: skip


def read_upload(path: str, name: str) -> Upload:
    """Read the file at `path` as `glassnet train` reads a table; a DataError (the CLI's one-line
    message, naming the file `name`) if it cannot be."""
    columns = read_columns(path, source_name=name)
    if len(columns.names) < 2:
        raise DataError(f"{name}: one column only; the playground needs features and a target")
    if columns.n_rows < 2:
        raise DataError(f"{name}: {columns.n_rows} rows of data; need at least 2")
    return Upload(path, name, list(columns.names), columns.n_rows)
