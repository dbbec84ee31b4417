"""`glassnet plot KIND ...`: draw a figure of a trained model (the ``plot`` extra, matplotlib).

To add a plot kind: write one ``register_KIND(kinds)`` function that adds its subparser (with
`add_command`, so --help shows an example) and sets ``handler=``, and append it to `KINDS`. The
drawing itself belongs in `glassnet.plots`, saving its PNG atomically.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..errors import DataError
from ._common import CLIError, Parser, add_command
from .glass import register_evolution, register_network, register_weights
from .predict import add_target_option, check_output, load_predictor, read_data


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "plot",
        help="draw a figure (a PNG, or an animated GIF for evolution)",
        example="glassnet plot boundary model.npz data.csv -o boundary.png",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=Parser)
    kinds.required = True
    for register_kind in KINDS:
        register_kind(kinds)


# --- boundary -----------------------------------------------------------------------------------


def register_boundary(kinds: Any) -> None:
    p = add_command(
        kinds,
        "boundary",
        help="decision regions of a classifier over its two features, with the data points",
        example="glassnet plot boundary model.npz data.csv -o boundary.png",
    )
    p.add_argument("model", metavar="MODEL", help="a classification model with 2 features")
    p.add_argument(
        "data",
        metavar="DATA",
        help="a CSV file with the model's 2 feature columns and its target column",
    )
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="the PNG file to write")
    p.add_argument(
        "--resolution",
        type=_resolution,
        default=200,
        metavar="N",
        help="grid points along each axis, 10 to 2000 (default: 200)",
    )
    add_target_option(p)
    p.set_defaults(handler=run_boundary)


def _resolution(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 10 <= value <= 2000:
        raise argparse.ArgumentTypeError(f"expected an integer from 10 to 2000, got {text!r}")
    return value


def run_boundary(args: argparse.Namespace) -> int:
    prog = "glassnet plot boundary"
    if args.model == "-" and args.data == "-":
        raise CLIError("MODEL and DATA cannot both be '-' (standard input)", prog)
    check_output(args.output, "-o/--output", stdout_ok=False)
    predictor = load_predictor(args.model)
    prep = predictor.preprocessing
    name = "<stdin>" if args.model == "-" else args.model
    if predictor.task != "classification":
        raise DataError(f"{name} is a regression model; decision regions need a classifier")
    if prep.n_features != 2:
        raise DataError(
            f"{name} has {prep.n_features} features; a decision boundary is drawn for exactly 2"
        )
    target = args.target or prep.target
    table = read_data(args.data, predictor, target=target, need_target=target is not None)
    y = None
    if table.y_raw is not None:
        y = prep.class_indices(table.y_raw, source=table.source, lines=table.lines)

    from ..plots import plot_boundary

    plot_boundary(
        predictor,
        table.X,
        y,
        args.output,
        classes=prep.classes,
        feature_names=table.columns,
        target_name=target,
        title=f"{name} on {table.source}",
        resolution=args.resolution,
    )
    return 0


#: one registration function per plot kind, in --help order
KINDS: list[Callable[[Any], None]] = [
    register_boundary,
    register_evolution,
    register_weights,
    register_network,
]
