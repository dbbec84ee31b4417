"""`glassnet train`: learn a network from a CSV file (or a built-in data set) and save it.

Order of work: check every option and output path, read the data, learn the preprocessing,
build and fit the network, then write the outputs — the plot to a temporary file first, then the
model, then the plot renamed into place — so a run that fails leaves no output behind and never
clobbers an existing file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import sys
import tempfile
import time
from typing import Any

import numpy as np

from ..callbacks import History
from ..diagnostics import loss_record
from ..errors import GlassnetError
from ..files import is_device_or_pipe, not_replaceable, temporary_sibling
from ..losses import CrossEntropy, MeanSquaredError
from ..network import Sequential, mlp
from ..optimizers import OPTIMIZERS
from ..optimizers import get as get_optimizer
from ..plots import MISSING_MATPLOTLIB
from ..preprocessing import Preprocessing
from ..progress import progress_callback
from ._common import (
    CLIError,
    add_command,
    check_output,
    fraction,
    non_negative_int,
    note,
    positive_float,
    positive_int,
    same_file,
    silence,
    step_count,
)
from ._stream import CHUNK_ROWS, Stream, check_stream_args, read_stream, stream_summary
from ._training import (
    HIDDEN_ACTIVATIONS,
    Data,
    add_column_options,
    check_data_source,
    hidden_sizes,
    read_training_data,
)

PROG = "glassnet train"


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "train",
        help="train a network on a CSV file (or a built-in data set) and save it",
        example="glassnet train data.csv --target label -o model.npz --hidden 64,32 --epochs 50\n"
        "  glassnet train --dataset moons -o moons.npz --plot curves.png",
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "data", nargs="?", metavar="DATA", help="a CSV file with a header row ('-': stdin)"
    )
    data.add_argument("--target", metavar="COLUMN", help="the column to predict (with DATA)")
    data.add_argument(
        "--dataset",
        metavar="NAME",
        help="train on a built-in data set instead of a file (see 'glassnet datasets')",
    )
    data.add_argument(
        "--task",
        choices=["classification", "regression"],
        help="default: classification for text or few distinct integer targets, else regression",
    )
    add_column_options(data)
    data.add_argument(
        "--stream",
        action="store_true",
        help="read DATA in chunks, never whole: for a file larger than memory (it is read "
        "once for its columns, once for their standardization, then once per epoch)",
    )
    data.add_argument(
        "--chunk-rows",
        type=positive_int,
        metavar="N",
        help=f"rows per chunk with --stream (default: {CHUNK_ROWS})",
    )
    net = p.add_argument_group("network and training")
    net.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=[64, 32],
        metavar="SIZES",
        help="hidden layer widths, comma-separated, or 'none' (default: 64,32)",
    )
    net.add_argument(
        "--activation",
        choices=HIDDEN_ACTIVATIONS,
        default="relu",
        help="hidden layer activation (default: relu)",
    )
    net.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default="adam", help="(default: adam)"
    )
    net.add_argument(
        "--learning-rate",
        type=positive_float,
        metavar="LR",
        help="step size (default: 0.001 for adam and rmsprop, 0.01 for sgd)",
    )
    net.add_argument(
        "--epochs",
        type=step_count,
        default=100,
        metavar="N",
        help="(default: 100, at most 1000000)",
    )
    net.add_argument(
        "--batch-size", type=positive_int, default=32, metavar="N", help="(default: 32)"
    )
    net.add_argument(
        "--validation-split",
        type=fraction,
        default=0.0,
        metavar="F",
        help="hold out this fraction of the rows to validate on, in [0, 1) (default: 0)",
    )
    net.add_argument(
        "--early-stopping",
        type=positive_int,
        metavar="PATIENCE",
        help="stop after PATIENCE epochs without improvement of the validation loss "
        "(the training loss without --validation-split) and keep the best weights",
    )
    net.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="(default: 0)")
    net.add_argument(
        "--dtype", choices=["float32", "float64"], default="float64", help="(default: float64)"
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the model file to write (.npz)"
    )
    out.add_argument(
        "--plot", metavar="PNG", help="also draw the loss and validation curves to this PNG"
    )
    out.add_argument(
        "--json", action="store_true", help="print a summary of the run as JSON on stdout"
    )
    talk = out.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="store_true", help="one line per epoch on stderr")
    talk.add_argument("-q", "--quiet", action="store_true", help="no progress at all")
    p.set_defaults(handler=run)


def _check_args(args: argparse.Namespace) -> None:
    check_data_source(args, PROG)
    check_stream_args(args)
    if args.output == "-" and args.json:
        raise CLIError("-o - writes the model to stdout, so --json cannot print there", PROG)
    check_output(args.output, "-o/--output")
    why = None if args.output == "-" else not_replaceable(args.output)
    if why is not None:  # say so now, not after training: a model file is never written there
        raise GlassnetError(f"cannot write the model to {args.output}: {why}")
    if args.output == "-" and sys.stdout.isatty():
        raise CLIError("-o - would write a binary model file to the terminal; pipe it", PROG)
    if args.plot is not None:
        check_output(args.plot, "--plot", stdout_ok=False)
        if same_file(args.plot, args.output) and not is_device_or_pipe(args.plot):
            raise CLIError("--plot and -o/--output name the same file", PROG)
        if importlib.util.find_spec("matplotlib") is None:  # say so before training, not after
            raise GlassnetError(f"--plot: {MISSING_MATPLOTLIB}")


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    stream = read_stream(args) if args.stream else None
    data = stream.data() if stream is not None else read_training_data(args)
    if not args.quiet:
        report_columns(data)
    n_samples = stream.rows if stream is not None else len(data.X)
    if args.validation_split > 0 and math.ceil(n_samples * args.validation_split) >= n_samples:
        # fit holds out ceil(n * fraction) rows; say it in the command line's words
        raise CLIError(
            f"argument --validation-split: {args.validation_split:g} of the {n_samples} rows "
            f"of {data.source} leaves none to train on",
            PROG,
        )
    if stream is not None:
        prep = stream.preprocessing()
    else:
        prep = Preprocessing.fit(
            data.X, data.y, features=data.features, target=data.target, task=data.task,
            classes=data.classes, source=data.source,
        )  # fmt: skip
        prep.schema = data.schema
    classification = data.task == "classification"
    n_out = len(data.classes or ()) if classification else 1
    model = mlp(
        len(data.features), args.hidden, n_out, activation=args.activation, rng=args.seed,
        dtype=args.dtype,
    )  # fmt: skip
    progress = progress_callback(args.epochs, verbose=args.verbose, quiet=args.quiet)
    started = time.perf_counter()
    # a diverging run overflows on its way to the NaN loss that fit reports as one clear error;
    # NumPy's warnings about it would only bury that message in noise
    try:
        with np.errstate(all="ignore"):
            callbacks = [progress] if progress is not None else []
            history = _fit(model, data, prep, stream, args, callbacks)
    finally:
        if progress is not None:
            progress.close()
    seconds = time.perf_counter() - started

    prep.store(model)
    model.metadata["training"].update(
        {
            "data": data.source,
            "n_samples": n_samples,
            "stopped_early": history.stopped_early,
            "seconds": round(seconds, 3),
            "history": loss_record(history.loss),  # for 'glassnet diagnose' to judge later
            "options": {
                "hidden": args.hidden,
                "activation": args.activation,
                "optimizer": args.optimizer,
                "learning_rate": model.optimizer.schedule(0) if model.optimizer else None,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "validation_split": args.validation_split,
                "early_stopping": args.early_stopping,
                "seed": args.seed,
                "dtype": args.dtype,
                **({"stream": True, "chunk_rows": stream.chunk_rows} if stream else {}),
            },
        }
    )
    write_outputs(model, history.history, args)

    summary = {
        "model": args.output,
        "data": data.source,
        "task": data.task,
        "target": data.target,
        "classes": data.classes,
        "n_samples": n_samples,
        "n_features": len(data.features),
        **(
            {"columns": columns_used(data), "rows_without_target": data.left_out}
            if data.schema is not None
            else {}
        ),
        "n_parameters": model.n_parameters(),
        "seconds": round(seconds, 3),
        **history.summary(),
        "stopped_early": history.stopped_early,
        "plot": args.plot,
        **({"stream": stream_summary(stream)} if stream is not None else {}),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    if not args.quiet and (args.verbose or sys.stderr.isatty()):
        print(describe_run(summary), file=sys.stderr)
    return 0


def _fit(
    model: Sequential,
    data: Data,
    prep: Preprocessing,
    stream: Stream | None,
    args: argparse.Namespace,
    callbacks: list[Any],
) -> History:
    """Train on the data in memory, or chunk by chunk over the file with --stream."""
    classification = data.task == "classification"
    loss = CrossEntropy() if classification else MeanSquaredError()
    optimizer = get_optimizer(args.optimizer, args.learning_rate)
    metric = "accuracy" if classification else "r2"
    if stream is not None:
        return stream.fit(model, prep, loss=loss, optimizer=optimizer, epochs=args.epochs,
                          batch_size=args.batch_size, metric=metric, seed=args.seed,
                          callbacks=callbacks)  # fmt: skip
    return model.fit(
        prep.transform(data.X, copy=False),  # data.X is ours: standardize in place
        prep.encode_target(data.y),
        loss=loss,
        optimizer=optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        early_stopping=args.early_stopping,
        callbacks=callbacks,
        metrics=[metric],
        seed=args.seed,
    )


def columns_used(data: Data) -> list[dict[str, Any]]:
    """How each column of the CSV file was used, JSON-friendly: the schema's columns, each with
    the inputs it became."""
    assert data.schema is not None
    return [{**c.to_json(), "inputs": c.features} for c in data.schema.columns]


def report_columns(data: Data) -> None:
    """Say on stderr how each column was used, and which rows were left out.

    A table of complete columns of numbers gets no report: each column is an input as it is.
    """
    schema = data.schema
    if schema is None:
        return
    if not all(c.kind == "number" and not c.missing for c in schema.columns):
        print(f"columns of {data.source} (target {data.target!r}):", file=sys.stderr)
        for line in schema.describe():
            print(f"  {line}", file=sys.stderr)
    if data.left_out:
        rows = "row" if data.left_out == 1 else "rows"
        note(f"{data.source}: left out {data.left_out} {rows} with no value in the target "
             f"column {data.target!r}")  # fmt: skip


def write_outputs(
    model: Sequential, history: dict[str, list[float]], args: argparse.Namespace
) -> None:
    """Plot to a temporary file, save the model, then rename the plot: all or nothing."""
    staged = None
    if args.plot is not None:
        from ..plots import plot_curves

        source = args.dataset or ("<stdin>" if args.data == "-" else os.path.basename(args.data))
        title = f"training on {source}"
        if is_device_or_pipe(args.plot):  # e.g. /dev/null: nothing to stage, nothing to replace
            plot_curves(history, args.plot, title=title)
        else:
            staged = temporary_sibling(args.plot, ".png")
            try:
                plot_curves(history, staged, title=title)
            except GlassnetError as exc:  # name the user's file, not the staging one
                raise GlassnetError(str(exc).replace(staged, args.plot)) from None
    try:
        if args.output == "-":
            _save_to_stdout(model)
        else:
            model.save(args.output)
        if staged is not None:
            os.replace(staged, args.plot)
    finally:
        if staged is not None and os.path.exists(staged):
            os.remove(staged)


def _save_to_stdout(model: Sequential) -> None:
    """Write the model file's bytes to standard output (for pipes)."""
    if sys.stdout is None:
        raise GlassnetError("cannot write <stdout>: standard output is closed")
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.npz")
        model.save(path)
        try:
            with open(path, "rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # the reader stopped early: what it got is no model file
            silence(sys.stdout)
            raise GlassnetError(
                "the model was not written in full: the reader of standard output closed it "
                f"after part of the {os.path.getsize(path)} bytes"
            ) from None


def describe_run(summary: dict[str, Any]) -> str:
    """One line saying what was trained and how it ended."""
    shown = [f"{summary['epochs']} epochs"]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy", "r2", "val_r2"):
        if key in summary:
            shown.append(f"{key} {summary[key]:.4g}")
    early = ", stopped early" if summary["stopped_early"] else ""
    where = "stdout" if summary["model"] == "-" else summary["model"]
    return f"saved {where}: {', '.join(shown)}{early} ({summary['seconds']:.1f}s)"
