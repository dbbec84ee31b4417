"""`glassnet explain` and `glassnet diagnose` — see one training step's numbers, ask why a model
is not learning — and the plot kinds `weights`, `network` and `evolution`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from .. import datasets
from ..datasets import encode_target
from ..diagnostics import diagnose
from ..errors import DataError
from ..trace import explain
from ._common import (
    CLIError,
    add_command,
    legacy_seed,
    non_negative_int,
    positive_float,
    positive_int,
    step_count,
    step_count_or_zero,
)
from .predict import add_target_option, check_output, load_predictor, read_data

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
    if model_path == "-" and data_path == "-":
        raise CLIError("MODEL and DATA cannot both be '-' (standard input)", prog)
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


# --- plot kinds, registered in `glassnet plot` (see cli/plot.py's KINDS) -------------------------


def register_weights(kinds: Any) -> None:
    p = add_command(
        kinds,
        "weights",
        help="the tutorial neuron's three weights over its training iterations",
        example="glassnet plot weights -o weights.png --iterations 10000",
    )
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="the PNG file to write")
    p.add_argument(
        "--iterations",
        type=step_count,
        default=10000,
        metavar="N",
        help="training iterations (default: 10000)",
    )
    p.add_argument("--seed", type=legacy_seed, default=1, metavar="S", help="seed (default: 1)")
    p.set_defaults(handler=run_weights)


def run_weights(args: argparse.Namespace) -> int:
    from ..glass_plots import plot_weight_trajectories
    from ..trace import Trace
    from ..tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork

    check_output(args.output, "-o/--output", stdout_ok=False)
    nn = NeuralNetwork(seed=args.seed)
    # about 500 records, whatever the length of the training
    trace = Trace(every=max(1, args.iterations // 500))
    nn.model.fit(TRAINING_INPUTS, TRAINING_OUTPUTS, loss=nn.loss, optimizer=nn.optimizer,
                 epochs=args.iterations, shuffle=False, callbacks=[trace])  # fmt: skip
    plot_weight_trajectories(
        trace, args.output, title=f"the tutorial neuron's weights over {args.iterations} iterations"
    )
    return 0


def register_network(kinds: Any) -> None:
    p = add_command(
        kinds,
        "network",
        help="a network diagram: each weight a line, thickness its size, colour its sign",
        example="glassnet plot network model.npz -o network.png",
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        nargs="?",
        help="a model file (default: the tutorial's neuron after 10000 iterations)",
    )
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="the PNG file to write")
    p.add_argument(
        "--max-units",
        type=positive_int,
        default=16,
        metavar="N",
        help="draw at most N units per layer (default: 16)",
    )
    p.set_defaults(handler=run_network)


def run_network(args: argparse.Namespace) -> int:
    from ..glass_plots import plot_network
    from ..tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork

    check_output(args.output, "-o/--output", stdout_ok=False)
    names: list[str] | None = ["input 1", "input 2", "input 3"]
    if args.model is None:
        nn = NeuralNetwork()
        nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 10000)
        model = nn.model
    else:
        predictor = load_predictor(args.model)
        model, names = predictor.model, predictor.preprocessing.features
    plot_network(model, args.output, max_units=args.max_units, input_names=names)
    return 0


def register_evolution(kinds: Any) -> None:
    from ..optimizers import OPTIMIZERS
    from .train import HIDDEN_ACTIVATIONS, hidden_sizes

    p = add_command(
        kinds,
        "evolution",
        help="train a small network on 2-D data and draw how its decision boundary moved, "
        "as an animated GIF",
        example="glassnet plot evolution --dataset spirals --hidden 32,32 -o spirals.gif",
    )
    p.add_argument("data", nargs="?", metavar="DATA", help="a CSV file with 2 feature columns")
    p.add_argument("--target", metavar="COLUMN", help="the class column (with DATA)")
    p.add_argument("--dataset", metavar="NAME", help="a built-in 2-D data set: xor, moons, ...")
    p.add_argument("-o", "--output", required=True, metavar="GIF", help="the GIF file to write")
    p.add_argument("--hidden", type=hidden_sizes, default=[16, 16], metavar="SIZES",
                   help="hidden layer widths (default: 16,16)")  # fmt: skip
    p.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, default="relu",
                   help="(default: relu)")  # fmt: skip
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                   help="(default: adam)")  # fmt: skip
    p.add_argument("--learning-rate", type=positive_float, metavar="LR",
                   help="(default: 0.01)")  # fmt: skip
    p.add_argument("--epochs", type=step_count, default=200, metavar="N",
                   help="(default: 200)")  # fmt: skip
    p.add_argument("--batch-size", type=positive_int, default=32, metavar="N",
                   help="(default: 32)")  # fmt: skip
    p.add_argument("--frames", type=positive_int, default=30, metavar="N",
                   help="at most N frames (default: 30)")  # fmt: skip
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
                   help="(default: 0)")  # fmt: skip
    p.set_defaults(handler=run_evolution, task=None)  # `train.read_data` infers the task


def run_evolution(args: argparse.Namespace) -> int:
    from ..glass_plots import animate_boundary
    from ..losses import CrossEntropy
    from ..network import mlp
    from ..optimizers import get as get_optimizer
    from ..preprocessing import Preprocessing
    from ..trace import Trace
    from .train import read_data

    prog = "glassnet plot evolution"
    if (args.data is None) == (args.dataset is None):
        raise CLIError("give either a CSV file DATA (with --target) or --dataset NAME", prog)
    if args.data is not None and args.target is None:
        raise CLIError("the target column is required with DATA: --target COLUMN", prog)
    if args.dataset is not None and args.dataset not in datasets.names():
        raise CLIError(f"argument --dataset: unknown data set {args.dataset!r}; expected one "
                       f"of {', '.join(datasets.names())}", prog)  # fmt: skip
    check_output(args.output, "-o/--output", stdout_ok=False)
    data = read_data(args)
    if len(data.features) != 2:
        raise DataError(
            f"{data.source} has {len(data.features)} features; a decision boundary is drawn "
            "for exactly 2"
        )
    if data.task != "classification" or data.classes is None:
        raise DataError(f"{data.source} has a regression target; a decision boundary needs classes")
    prep = Preprocessing.fit(data.X, data.y, features=data.features, target=data.target,
                             task="classification", classes=data.classes)  # fmt: skip
    model = mlp(2, args.hidden, len(data.classes), activation=args.activation, rng=args.seed)
    n_steps = args.epochs * -(-len(data.X) // min(args.batch_size, len(data.X)))
    trace = Trace(every=max(1, n_steps // 300))
    X = prep.transform(data.X)
    with np.errstate(all="ignore"):  # a diverging run is reported by fit as one line
        model.fit(X, data.y, loss=CrossEntropy(),
                  optimizer=get_optimizer(args.optimizer, args.learning_rate or 0.01),
                  epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                  callbacks=[trace])  # fmt: skip
    animate_boundary(model, trace, X, data.y, args.output, max_frames=args.frames)
    return 0
