"""`glassnet plot KIND ...`: every figure the command line draws (the ``plot`` extra, matplotlib).

The kinds: ``boundary`` (a trained model's decision regions), and the glass drawn — ``evolution``
(a boundary moving during training, a GIF), ``weights`` (the tutorial neuron's weights over its
iterations), ``network`` (a diagram of the weights).

To add a plot kind: write one ``register_KIND(kinds)`` function here that adds its subparser
(with `add_command`, so --help shows an example) and sets ``handler=``, and append it to
`KINDS`. The drawing itself belongs in `glassnet.plots` or `glassnet.glass_plots`, saved with
`glassnet.plots.save_figure` (atomically).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DataError
from ..losses import CrossEntropy
from ..network import mlp
from ..optimizers import OPTIMIZERS
from ..optimizers import get as get_optimizer
from ..preprocessing import Preprocessing
from ..trace import Trace
from ..tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork
from ._common import (
    Parser,
    add_command,
    check_output,
    legacy_seed,
    non_negative_int,
    positive_float,
    positive_int,
    step_count,
)
from ._model import add_target_option, check_one_stdin, load_predictor, read_data
from ._training import (
    HIDDEN_ACTIVATIONS,
    check_data_source,
    hidden_sizes,
    read_training_data,
)


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
    check_one_stdin(args.model, args.data, prog)
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
    table = read_data(args.data, predictor, target=target, need_target=target is not None).table
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


# --- weights, network, evolution: the glass, drawn -----------------------------------------------


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

    check_output(args.output, "-o/--output", stdout_ok=False)
    nn = NeuralNetwork(seed=args.seed)
    # about 500 records, whatever the length of the training, and every one of the first
    # iterations: the log step axis spreads them out
    every = max(1, args.iterations // 500)
    trace = Trace(every=every, first=every)
    nn.model.fit(TRAINING_INPUTS, TRAINING_OUTPUTS, loss=nn.loss, optimizer=nn.optimizer,
                 epochs=args.iterations, shuffle=False, callbacks=[trace])  # fmt: skip
    plot_weight_trajectories(
        trace, args.output, xlabel="iteration (one step on all 4 examples)",
        title=f"the tutorial neuron's weights over {args.iterations} iterations",
    )  # fmt: skip
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

    check_output(args.output, "-o/--output", stdout_ok=False)
    inputs: list[str] | None = ["input 1", "input 2", "input 3"]
    outputs: list[str] | None = ["output"]
    if args.model is None:
        nn = NeuralNetwork()
        nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 10000)
        model = nn.model
    else:
        predictor = load_predictor(args.model)
        model, prep = predictor.model, predictor.preprocessing
        # the features it reads; the class each output scores, or the one value it predicts
        inputs = prep.features
        outputs = prep.classes
        if outputs is None and prep.target is not None:
            outputs = [prep.target]
        if inputs is not None and len(inputs) != model.n_features_in:
            inputs = None  # columns that do not map one to one onto the network's inputs
    plot_network(model, args.output, max_units=args.max_units, input_names=inputs,
                 output_names=outputs)  # fmt: skip
    return 0


def register_evolution(kinds: Any) -> None:
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
    p.set_defaults(handler=run_evolution, task=None)  # `read_training_data` infers the task


def run_evolution(args: argparse.Namespace) -> int:
    from ..glass_plots import animate_boundary

    prog = "glassnet plot evolution"
    check_data_source(args, prog)
    check_output(args.output, "-o/--output", stdout_ok=False)
    data = read_training_data(args)
    if len(data.features) != 2:
        raise DataError(
            f"{data.source} has {len(data.features)} features; a decision boundary is drawn "
            "for exactly 2"
        )
    if data.task != "classification" or data.classes is None:
        raise DataError(f"{data.source} has a regression target; a decision boundary needs classes")
    prep = Preprocessing.fit(data.X, data.y, features=data.features, target=data.target,
                             task="classification", classes=data.classes)  # fmt: skip
    model = mlp(2, args.hidden, len(data.classes), activation=args.activation,
                          dtype="float64", rng=args.seed)  # fmt: skip
    n_steps = args.epochs * -(-len(data.X) // min(args.batch_size, len(data.X)))
    trace = Trace(every=max(1, n_steps // 300))
    X = prep.transform(data.X)
    with np.errstate(all="ignore"):  # a diverging run is reported by fit as one line
        model.fit(X, data.y, loss=CrossEntropy(),
                  optimizer=get_optimizer(args.optimizer, args.learning_rate or 0.01),
                  epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                  callbacks=[trace])  # fmt: skip
    # the network sees standardized features: the axes are in those units
    axes = [f"{name} (standardized)" for name in data.features]
    animate_boundary(model, trace, X, data.y, args.output, max_frames=args.frames,
                     feature_names=axes, classes=data.classes)  # fmt: skip
    return 0


#: one registration function per plot kind, in --help order
KINDS: list[Callable[[Any], None]] = [
    register_boundary,
    register_evolution,
    register_weights,
    register_network,
]
