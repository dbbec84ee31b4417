"""What the commands that train a network share (`train`, `plot evolution`): the options that
shape the network, reading the training data from a CSV file or a named data set, and building
the network."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import datasets, tables
from .._typing import Task
from ..activations import ACTIVATIONS
from ..errors import DataError
from ._common import CLIError, command_prog

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
    table = tables.read_csv(args.data, target=args.target)
    assert table.y_raw is not None
    task = args.task or tables.infer_task(table.y_raw)
    y, classes = tables.encode_target(table, task)
    if classes is not None and len(classes) < 2:
        raise DataError(
            f"{table.source}: the target column {args.target!r} holds a single class "
            f"({classes[0]!r}); classification needs at least 2"
        )
    return Data(table.X, y, table.columns, args.target, task, classes, table.source)
