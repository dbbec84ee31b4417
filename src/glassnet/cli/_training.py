"""What the commands that train a network share (`train`, `plot evolution`): the options that
shape the network, reading the training data from a CSV file (each column's use learned as a
`Schema`) or a named data set, and building the network."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import datasets, tables, training_table
from .._typing import Task
from ..activations import ACTIVATIONS
from ..schema import Schema
from ..training_table import read_training_table
from ._common import CLIError, command_prog, listed

HIDDEN_ACTIVATIONS = [name for name in ACTIVATIONS if name != "softmax"]
MAX_UNITS = 1_000_000  # per hidden layer; 1e6 x 1e6 weights would already need 8 TB


def hidden_sizes(text: str) -> list[int]:
    """argparse type: hidden layer widths like ``64,32`` (``none`` for no hidden layer)."""
    if text.strip().lower() == "none":
        return []
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        sizes = []
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected positive layer widths like 64,32 (or 'none'), got {text!r}"
        )
    if max(sizes) > MAX_UNITS:  # past 2**63 NumPy cannot even name the shape
        raise argparse.ArgumentTypeError(
            f"expected layer widths of at most {MAX_UNITS} units, got {text!r}"
        )
    return sizes


def column_names(text: str) -> list[str]:
    """argparse type: column names or missing-value markers, comma-separated (``a,b``)."""
    names = [name.strip() for name in text.split(",")]
    if not any(names):
        raise argparse.ArgumentTypeError(f"expected names separated by commas, got {text!r}")
    return [name for name in names if name]


def add_column_options(p: Any) -> None:
    """The options that say how to read a CSV file's columns: ``--ignore``, ``--na``,
    ``--na-indicator``."""
    p.add_argument(
        "--ignore",
        type=column_names,
        action="extend",
        default=[],
        metavar="COL[,COL...]",
        help="columns to leave out of training (e.g. an identifier glassnet did not recognise)",
    )
    p.add_argument(
        "--na",
        type=column_names,
        action="extend",
        default=[],
        metavar="MARKER[,MARKER...]",
        help="more cells that mean a missing value, besides empty, NA, N/A, NaN, null, '.', '?'",
    )
    p.add_argument(
        "--na-indicator",
        action="store_true",
        help="add a 0/1 input per column that had missing values, saying a value was missing",
    )


def check_data_source(args: argparse.Namespace, prog: str) -> None:
    """Refuse anything but one source of training data: a CSV file DATA with --target COLUMN,
    or --dataset NAME of a data set `datasets.load` knows."""
    if (args.data is None) == (args.dataset is None):
        raise CLIError("give either a CSV file DATA (with --target) or --dataset NAME", prog)
    if args.data is not None and args.target is None:
        raise CLIError("the target column is required with DATA: --target COLUMN", prog)
    if args.dataset is None:
        return
    check_dataset_name(args.dataset, "--dataset", prog)
    if args.target is not None:
        raise CLIError("--target is for a CSV file; a data set knows its target", prog)
    if getattr(args, "ignore", None) or getattr(args, "na", None):
        raise CLIError("--ignore and --na are for a CSV file; a data set has numbers only", prog)


def check_dataset_name(name: str, argument: str, prog: str) -> None:
    """Refuse a data set name `datasets.load` does not know, listing the ones it does."""
    if name not in datasets.names():
        raise CLIError(
            f"argument {argument}: unknown data set {name!r}; expected one of "
            f"{', '.join(datasets.names())}",
            prog,
        )


@dataclass
class Data:
    """Training data before preprocessing."""

    X: Any
    y: Any
    features: list[str]
    target: str
    task: Task
    classes: list[str] | None
    source: str
    schema: Schema | None = None  # a CSV file's: how each column became features
    left_out: int = 0  # rows without a target value


def read_training_data(args: argparse.Namespace) -> Data:
    """The CSV file or the named data set, with the task decided and labels encoded."""
    if args.dataset is not None:
        d = datasets.load(args.dataset, seed=args.seed)
        source = f"dataset {args.dataset}"
        task, y, classes = d.task, d.y, d.target_names
        if args.task == "regression" and d.task == "classification":
            task, y, classes = "regression", d.y.astype(np.float64), None
        elif args.task == "classification" and d.task == "regression":
            raise CLIError(
                f"{source} is a regression data set; --task classification", command_prog(args)
            )
        return Data(d.X, y, d.feature_names, d.target_name, task, classes, source)
    t = read_training_table(
        args.data, args.target, task=args.task, ignore=getattr(args, "ignore", []),
        na=getattr(args, "na", []), na_indicator=getattr(args, "na_indicator", False),
        check=lambda names, source: check_columns(names, source, args),
    )  # fmt: skip
    return Data(t.X, t.y, t.features, t.target, t.task, t.classes, t.source, t.schema,
                t.left_out)  # fmt: skip


def na_markers(args: argparse.Namespace) -> list[str]:
    """The cells that mean a missing value: the usual markers and those given with ``--na``."""
    return training_table.na_markers(getattr(args, "na", []))


def check_columns(names: list[str], source: str, args: argparse.Namespace) -> list[str]:
    """Refuse a target or an ``--ignore`` column the file lacks, or the target ignored; the
    columns to ignore."""
    ignore, prog = getattr(args, "ignore", []), command_prog(args)
    training_table.check_columns(names, source, args.target, ())  # the target, in its words
    for name in ignore:
        if name not in names:
            raise CLIError(f"argument --ignore: {source} has no column {name!r}; the "
                           f"columns are {listed(names)}"
                           + tables.column_hint(name, names), prog)  # fmt: skip
    if args.target in ignore:
        raise CLIError(f"argument --ignore: {args.target!r} is the target column", prog)
    return list(ignore)
