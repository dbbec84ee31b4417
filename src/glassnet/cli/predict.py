"""`glassnet predict` and `glassnet evaluate`: use a trained model on a CSV file."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from .._typing import Array
from ..errors import DataError
from ..metrics import r2_score
from ..preprocessing import Predictor
from ..tables import Table, is_number, write_csv_atomic
from ._common import CLIError, add_command, check_output, shown_label
from ._model import add_target_option, check_one_stdin, load_predictor, read_data


def checked_outputs(predictor: Predictor, table: Table) -> Array:
    """The network's outputs for the table, or a DataError naming the first row they overflow
    (for regression, also once scaled back to the target's units)."""
    with np.errstate(all="ignore"):  # overflow is reported below, as one line
        out = predictor.outputs(table.X)
    finite = np.isfinite(out).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise DataError(
            f"{table.source} line {table.lines[i]}: the model's output is not finite; the "
            "features are too far outside the range it was trained on"
        )
    if predictor.task == "regression":
        with np.errstate(over="ignore"):
            finite = np.isfinite(predictor.decide(out))
        if not finite.all():
            i = int(np.argmin(finite))
            raise DataError(
                f"{table.source} line {table.lines[i]}: the prediction, in the target's units, "
                "is beyond the range of float64"
            )
    return out


# --- predict --------------------------------------------------------------------------------


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "predict",
        help="predict the target of every row of a CSV file (a target column is ignored)",
        example="glassnet predict model.npz new.csv -o predictions.csv",
    )
    p.add_argument("model", metavar="MODEL", help="a model file from 'glassnet train' ('-': stdin)")
    p.add_argument("data", metavar="DATA", help="a CSV file with the model's columns ('-': stdin)")
    p.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="where to write the predictions as CSV (default: standard output)",
    )
    p.add_argument(
        "--proba",
        action="store_true",
        help="write each class's probability, one column per class, instead of the label",
    )
    p.add_argument(
        "--id",
        metavar="COLUMN",
        help="write this column of DATA first, row for row, as it is spelled there (e.g. an ID)",
    )
    add_target_option(p)
    p.set_defaults(handler=run_predict)

    e = add_command(
        sub,
        "evaluate",
        help="score a model on a CSV file with the target column: accuracy, precision, recall, "
        "confusion matrix; or MSE, MAE, R²",
        example="glassnet evaluate model.npz test.csv --json",
    )
    e.add_argument("model", metavar="MODEL", help="a model file from 'glassnet train' ('-': stdin)")
    e.add_argument("data", metavar="DATA", help="a CSV file with the target column ('-': stdin)")
    e.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_target_option(e)
    e.set_defaults(handler=run_evaluate)


def run_predict(args: argparse.Namespace) -> int:
    check_one_stdin(args.model, args.data, "glassnet predict")
    check_output(args.output, "-o/--output")
    predictor = load_predictor(args.model)
    prep = predictor.preprocessing
    if args.proba and predictor.task != "classification":
        raise CLIError(f"--proba needs a classification model; {args.model} does regression",
                       "glassnet predict")  # fmt: skip
    target = args.target or prep.target
    read = read_data(args.data, predictor, target=target, need_target=False, id_column=args.id)
    table = read.table
    column = target or "prediction"
    rows: Any
    out = checked_outputs(predictor, table)
    if args.proba:
        header = list(prep.classes or [])
        rows = predictor.probabilities(out)
    elif predictor.task == "classification":
        header = [column]
        rows = ([label] for label in predictor.labels(predictor.decide(out)))
    else:
        header = [column]
        rows = predictor.decide(out).reshape(-1, 1)
    if read.ids is not None:
        header = [args.id, *header]
        rows = ([key, *row] for key, row in zip(read.ids, rows, strict=True))
    write_csv_atomic(args.output, header, rows)
    return 0


# --- evaluate --------------------------------------------------------------------------------


def classification_scores(y: Any, predicted: Any, classes: list[str]) -> dict[str, Any]:
    """Accuracy, per-class precision and recall (0 when undefined), and the confusion matrix.

    ``confusion_matrix[i][j]`` counts samples of true class i predicted as class j.
    """
    k = len(classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (np.asarray(y), np.asarray(predicted)), 1)
    hits = np.diag(confusion)
    predicted_count, true_count = confusion.sum(axis=0), confusion.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted_count > 0, hits / np.maximum(predicted_count, 1), 0.0)
        recall = np.where(true_count > 0, hits / np.maximum(true_count, 1), 0.0)
    return {
        "task": "classification",
        "n_samples": int(confusion.sum()),
        "accuracy": float(hits.sum() / max(confusion.sum(), 1)),
        "classes": classes,
        "precision": {c: float(v) for c, v in zip(classes, precision)},
        "recall": {c: float(v) for c, v in zip(classes, recall)},
        "support": {c: int(v) for c, v in zip(classes, true_count)},
        "confusion_matrix": confusion.tolist(),
    }


def regression_scores(y: Any, predicted: Any) -> dict[str, Any]:
    """MSE, MAE and R² (`glassnet.metrics.r2_score`: 0 when the target is constant), in the
    data's units."""
    y, predicted = np.asarray(y, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    with np.errstate(over="ignore"):  # values near the float64 limit: checked below
        residual = y - predicted
        mse = float(np.mean(residual**2))
        mae = float(np.abs(residual).mean())
    r2 = r2_score(y, predicted)
    if not all(np.isfinite(v) for v in (mse, mae, r2)):
        raise DataError(
            "the errors are too large to score in float64 (targets or predictions near "
            f"{float(np.abs(np.concatenate([y, predicted])).max()):g})"
        )
    return {"task": "regression", "n_samples": len(y), "mse": mse, "mae": mae, "r2": r2}


def run_evaluate(args: argparse.Namespace) -> int:
    check_one_stdin(args.model, args.data, "glassnet evaluate")
    predictor = load_predictor(args.model)
    prep = predictor.preprocessing
    target = args.target or prep.target
    table = read_data(args.data, predictor, target=target, need_target=True).table
    assert table.y_raw is not None
    predicted = predictor.decide(checked_outputs(predictor, table))
    if predictor.task == "classification":
        y = prep.class_indices(table.y_raw, source=table.source, lines=table.lines)
        scores = classification_scores(y, predicted, list(prep.classes or []))
    else:
        y = np.array([_value(v, table, i) for i, v in enumerate(table.y_raw)])
        try:
            scores = regression_scores(y, predicted)
        except DataError as exc:
            raise DataError(f"{table.source}, column {target!r}: {exc}") from None
    if args.json:
        print(json.dumps({"model": args.model, "data": table.source, **scores}, indent=2))
    else:
        print(format_scores(scores, model=args.model, data=table.source))
    return 0


def _value(text: str, table: Table, i: int) -> float:
    """A regression target value, or a DataError naming the file, line and column."""
    if not is_number(text):
        raise DataError(
            f"{table.source} line {table.lines[i]}, column {table.target!r}: expected a finite "
            f"number, got {text!r}"
        )
    return float(text)


def format_scores(scores: dict[str, Any], *, model: str, data: str) -> str:
    """The scores as an aligned text report."""
    lines = [f"{model} on {data}: {scores['n_samples']} rows, {scores['task']}"]
    if scores["task"] == "regression":
        lines += [f"  MSE  {scores['mse']:.6g}", f"  MAE  {scores['mae']:.6g}"]
        lines.append(f"  R²   {scores['r2']:.4f}")
        return "\n".join(lines)
    classes = [shown_label(c) for c in scores["classes"]]
    width = max(5, *(len(c) for c in classes))
    lines.append(f"  accuracy  {scores['accuracy']:.4f}")
    lines.append("")
    lines.append(f"  {'class':<{width}}  precision  recall  support")
    for c, label in zip(classes, scores["classes"]):
        lines.append(
            f"  {c:<{width}}  {scores['precision'][label]:>9.4f}  {scores['recall'][label]:>6.4f}  "
            f"{scores['support'][label]:>7d}"
        )
    lines.append("")
    lines.append("  confusion matrix (rows: true class, columns: predicted class)")
    cells = [[str(v) for v in row] for row in scores["confusion_matrix"]]
    cell = max(width, *(len(v) for row in cells for v in row))
    lines.append("  " + " " * width + "  " + "  ".join(f"{c:>{cell}}" for c in classes))
    for c, row in zip(classes, cells):
        lines.append(f"  {c:<{width}}  " + "  ".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)
