"""`glassnet explain` and `glassnet diagnose`: see one training step's numbers, ask why a model
is not learning."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from .._typing import Array
from ..diagnostics import diagnose
from ..explain import Inputs, explain
from ..preprocessing import Preprocessing
from ..tables import encode_target
from ._common import (
    CLIError,
    add_command,
    legacy_seed,
    positive_int,
    step_count,
    step_count_or_zero,
)
from ._model import Rows, add_target_option, check_one_stdin, load_predictor, read_data

FORMATS = ("text", "markdown", "json")


def register(sub: Any) -> None:
    e = add_command(
        sub,
        "explain",
        help="walk one training iteration step by step, each equation with its live numbers "
        "(default: the tutorial's neuron, iteration 1)",
        example="glassnet explain --iteration 2 --format markdown",
    )
    e.add_argument(
        "model",
        metavar="MODEL",
        nargs="?",
        help="a model file from 'glassnet train' (default: the tutorial's neuron)",
    )
    e.add_argument(
        "data", metavar="DATA", nargs="?", help="a CSV file with the target column, with MODEL"
    )
    e.add_argument(
        "--iteration",
        type=step_count,
        default=1,
        metavar="N",
        help="which full-batch iteration to show, counted from 1 (default: 1)",
    )
    e.add_argument("--format", choices=FORMATS, default="text", help="output format")
    e.add_argument(
        "--seed",
        type=legacy_seed,
        default=1,
        metavar="S",
        help="the tutorial neuron's seed (default: 1, the tutorial's)",
    )
    e.add_argument(
        "--rows",
        type=positive_int,
        metavar="N",
        help="use only the first N rows of DATA (default: all)",
    )
    add_target_option(e)
    e.set_defaults(handler=run_explain)

    d = add_command(
        sub,
        "diagnose",
        help="why isn't it learning? gradient norms, dead and saturated units, update sizes, "
        "divergence and plateaus, each with a hint",
        example="glassnet diagnose model.npz data.csv --epochs 20",
    )
    d.add_argument("model", metavar="MODEL", help="a model file from 'glassnet train'")
    d.add_argument("data", metavar="DATA", help="a CSV file with the model's columns and target")
    d.add_argument(
        "--epochs",
        type=step_count_or_zero,
        default=0,
        metavar="N",
        help="also train a copy for N epochs and judge its loss curve (default: 0, no probe)",
    )
    d.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    add_target_option(d)
    d.set_defaults(handler=run_diagnose)


def _training_data(model_path: str, data_path: str, target: str | None, prog: str) -> Any:
    """The model, (X, y) as the network trained on them (the stored preprocessing applied), and
    what they stand for (`Inputs`; None for a model saved without a schema)."""
    check_one_stdin(model_path, data_path, prog)
    predictor = load_predictor(model_path)
    prep = predictor.preprocessing
    target = target or prep.target
    read = read_data(data_path, predictor, target=target, need_target=True)
    table = read.table
    assert table.y_raw is not None
    if prep.task == "classification":
        y = prep.class_indices(table.y_raw, source=table.source, lines=table.lines)
        as_read = np.array(table.y_raw)
    else:
        as_read = encode_target(table, "regression")[0]
        y = prep.encode_target(as_read)
    return predictor.model, prep.transform(table.X), y, _inputs(read, prep, as_read)


def _inputs(read: Rows, prep: Preprocessing, target: Array) -> Inputs | None:
    """Each used column as read beside the inputs the schema made of it, for `explain`."""
    if prep.schema is None or read.columns is None:
        return None  # a model saved before schemas: its explanation stays as it was
    columns: dict[str, tuple[Array, list[int]]] = {}
    j = 0
    for column in prep.schema.used:
        values = read.columns.values[column.name]
        values = values if read.rows is None else values[read.rows]
        width = len(column.features)
        columns[column.name] = (_as_read(values), list(range(j, j + width)))
        j += width
    names = prep.schema.features
    return Inputs(columns, read.table.X, names, target, prep.classes)


def _as_read(values: Array) -> Array:
    """A column's values for showing: numbers as they are, text and dates as text."""
    if values.dtype.kind == "f":
        return values
    if values.dtype.kind == "M":
        return np.datetime_as_string(values)
    return np.array(["(missing)" if v is None else str(v) for v in values.tolist()])


def _head(inputs: Inputs | None, n: int) -> Inputs | None:
    """The first ``n`` rows of ``inputs``."""
    if inputs is None:
        return None
    columns = {name: (raw[:n], js) for name, (raw, js) in inputs.columns.items()}
    target = None if inputs.target is None else inputs.target[:n]
    return Inputs(columns, inputs.features[:n], inputs.names, target, inputs.classes)


def run_explain(args: argparse.Namespace) -> int:
    prog = "glassnet explain"
    if args.model is None:
        if args.rows is not None or args.target is not None:
            raise CLIError("--rows and --target need MODEL and DATA", prog)
        explanation = explain(iteration=args.iteration, seed=args.seed)
    else:
        if args.data is None:
            raise CLIError("MODEL needs DATA: a CSV file with the target column", prog)
        model, X, y, inputs = _training_data(args.model, args.data, args.target, prog)
        if args.rows is not None:
            X, y, inputs = X[: args.rows], y[: args.rows], _head(inputs, args.rows)
        explanation = explain(model, X, y, iteration=args.iteration, inputs=inputs)
    sys.stdout.write(explanation.render(args.format))
    return 0


def run_diagnose(args: argparse.Namespace) -> int:
    model, X, y, _ = _training_data(args.model, args.data, args.target, "glassnet diagnose")
    training = model.metadata.get("training")  # metadata is whatever the file holds
    options = training.get("options") if isinstance(training, dict) else None
    batch_size = options.get("batch_size") if isinstance(options, dict) else None
    diagnosis = diagnose(
        model,
        X,
        y,
        epochs=args.epochs,
        batch_size=batch_size if isinstance(batch_size, int) and batch_size > 0 else None,
    )
    if args.json:
        print(json.dumps({"model": args.model, "data": args.data, **diagnosis.to_dict()},
                         indent=2, allow_nan=False))  # fmt: skip
    else:
        sys.stdout.write(f"{args.model} on {args.data}: " + diagnosis.to_text())
    return 0
