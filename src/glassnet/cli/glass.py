"""`glassnet explain` and `glassnet diagnose`: see one training step's numbers, ask why a model
is not learning."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..diagnostics import diagnose
from ..explain import explain
from ..tables import encode_target
from ._common import (
    CLIError,
    add_command,
    legacy_seed,
    positive_int,
    step_count,
    step_count_or_zero,
)
from ._model import add_target_option, check_one_stdin, load_predictor, read_data

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
    """The model and (X, y) as the network trained on them: the stored preprocessing applied."""
    check_one_stdin(model_path, data_path, prog)
    predictor = load_predictor(model_path)
    prep = predictor.preprocessing
    target = target or prep.target
    table = read_data(data_path, predictor, target=target, need_target=True)
    assert table.y_raw is not None
    if prep.task == "classification":
        y = prep.class_indices(table.y_raw, source=table.source, lines=table.lines)
    else:
        y = prep.encode_target(encode_target(table, "regression")[0])
    return predictor.model, prep.transform(table.X), y


def run_explain(args: argparse.Namespace) -> int:
    prog = "glassnet explain"
    if args.model is None:
        if args.rows is not None or args.target is not None:
            raise CLIError("--rows and --target need MODEL and DATA", prog)
        explanation = explain(iteration=args.iteration, seed=args.seed)
    else:
        if args.data is None:
            raise CLIError("MODEL needs DATA: a CSV file with the target column", prog)
        model, X, y = _training_data(args.model, args.data, args.target, prog)
        if args.rows is not None:
            X, y = X[: args.rows], y[: args.rows]
        explanation = explain(model, X, y, iteration=args.iteration)
    sys.stdout.write(explanation.render(args.format))
    return 0


def run_diagnose(args: argparse.Namespace) -> int:
    model, X, y = _training_data(args.model, args.data, args.target, "glassnet diagnose")
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
