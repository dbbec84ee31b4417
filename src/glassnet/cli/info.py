"""`glassnet info` (what a model file holds) and `glassnet datasets` (the built-in data sets:
the list, and `datasets export` writing one as a CSV file)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shlex
import sys
from typing import Any, TypeGuard

from .. import datasets
from ..errors import ModelFileError
from ..network import Sequential
from ..preprocessing import Preprocessing
from ..schema import Schema
from ._common import Parser, add_command, check_output, non_negative_int, shown_label
from ._model import load_model
from ._training import check_dataset_name


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "info",
        help="show a model file's architecture, parameter count, dtype, data and training summary",
        example="glassnet info model.npz --json",
    )
    p.add_argument("model", metavar="MODEL", help="a model file ('-': stdin)")
    p.add_argument("--json", action="store_true", help="print the facts as JSON")
    p.set_defaults(handler=run_info)

    d = add_command(
        sub,
        "datasets",
        help="list the built-in data sets that 'glassnet train --dataset NAME' accepts",
        example="glassnet datasets\n  glassnet datasets export iris -o iris.csv",
    )
    d.add_argument("--json", action="store_true", help="print the list as JSON")
    d.set_defaults(handler=run_datasets)
    # 'kind' as in 'plot KIND': the word after the command, which names it in messages
    actions = d.add_subparsers(dest="kind", metavar="ACTION", parser_class=Parser)
    e = add_command(
        actions,
        "export",
        help="write a built-in data set as a CSV file: the data 'glassnet train --dataset NAME' "
        "learns from, for its models to be evaluated, diagnosed, explained and plotted on",
        example="glassnet datasets export moons -o moons.csv\n"
        "  glassnet train --dataset moons -o moons.npz && glassnet evaluate moons.npz moons.csv",
    )
    e.add_argument("name", metavar="NAME", help="a data set from 'glassnet datasets'")
    e.add_argument(
        "-o", "--output", required=True, metavar="FILE",
        help="the CSV file to write ('-': standard output)",
    )  # fmt: skip
    e.add_argument(
        "--seed", type=non_negative_int, default=0, metavar="S",
        help="the seed of the generated sets (moons, circles, spirals), as given to "
        "'glassnet train --dataset NAME --seed S' (default: 0)",
    )  # fmt: skip
    e.set_defaults(handler=run_export)


def model_facts(model: Sequential, prep: Preprocessing | None, path: str) -> dict[str, Any]:
    """Everything `info` reports, JSON-friendly (``prep`` None: outputs of unknown meaning)."""
    layers = []
    for layer in model.layers:
        layers.append(
            {
                "kind": layer.kind,
                "config": layer.get_config(),
                "n_parameters": int(sum(p.size for p in layer.params.values())),
            }
        )
    optimizer = None
    if model.optimizer is not None:
        optimizer = {
            "kind": model.optimizer.kind,
            "learning_rate": model.optimizer.schedule(0),
            "steps": model.optimizer.iterations,
        }
    return {
        "model": path,
        "dtype": str(model.dtype),
        "n_features": model.n_features_in,
        "n_outputs": model.n_outputs,
        "n_parameters": model.n_parameters(),
        "layers": layers,
        "loss": None if model.loss is None else model.loss.kind,
        "optimizer": optimizer,
        "task": prep.task if prep else None,
        "features": prep.features if prep else None,
        "target": prep.target if prep else None,
        "classes": prep.classes if prep else None,
        # how each column of the training table was used: kinds, categories, fills, set aside
        "schema": prep.schema.to_json() if prep and prep.schema else None,
        "training": model.metadata.get("training"),
    }


def format_facts(facts: dict[str, Any], summary: str) -> str:
    """The facts as a short text report; ``summary`` is `Sequential.summary()`."""
    lines = [f"{facts['model']}: glassnet model", summary]
    loss, opt = facts["loss"], facts["optimizer"]
    if loss or opt:
        trained = f"loss {loss}" if loss else "no loss"
        if opt:
            trained += (
                f", optimizer {opt['kind']} (learning rate {opt['learning_rate']:g}, "
                f"{opt['steps']} steps)"
            )
        lines.append(trained)
    features = facts["features"]
    shown = ", ".join(features) if features else f"{facts['n_features']} unnamed columns"
    if features and len(features) > 20:  # --json lists them all
        shown = ", ".join(features[:20]) + f", ... ({len(features)} in all)"
    target = facts["target"] or "the target"
    if facts["task"] is None:
        lines.append(f"task: unknown ({facts['n_outputs']} outputs, no preprocessing stored)")
    elif facts["task"] == "classification":
        classes = facts["classes"]
        lines.append(f"task: classification of {target!r} into {len(classes)} classes: "
                     + ", ".join(shown_label(c) for c in classes))  # fmt: skip
    else:
        lines.append(f"task: regression of {target!r}")
    lines.append(f"features: {shown}")
    if facts.get("schema") is not None:
        schema = Schema.from_json(facts["schema"])
        lines.append("columns:")
        lines += [f"  {line}" for line in schema.describe()]
        categories = [c for c in schema.used if c.kind == "category"]
        if categories:
            lines.append("categories:")
            lines += [f"  {c.name}: {', '.join(map(repr, c.categories))}" for c in categories]
        lines.append("missing values: " + ", ".join(repr(m) for m in schema.na))
    training = facts["training"]
    if isinstance(training, dict):  # written by train, but any JSON a file holds: check types
        parts = []
        if isinstance(training.get("data"), str):
            n = training.get("n_samples")
            parts.append(f"on {training['data']} ({n if _is_count(n) else '?'} rows)")
        if _is_count(training.get("epochs")):
            parts.append(f"{training['epochs']} epochs")
        for key in ("loss", "val_loss", "accuracy", "val_accuracy", "r2", "val_r2"):
            value = training.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parts.append(f"{key} {value:.4g}")
        if training.get("stopped_early") is True:
            best = training.get("best_epoch")
            kept = f", weights from its best epoch {best + 1}" if _is_count(best) else ""
            parts.append("stopped early" + kept)
        if parts:
            lines.append("training: " + ", ".join(parts))
    return "\n".join(lines)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities (which a hand-edited manifest may hold) as None: JSON
    has no such numbers, and ``json.dumps`` would write NaN, which JSON readers reject."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _is_count(value: Any) -> TypeGuard[int]:
    """Whether a value read from a model file is a count (an int >= 0, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def run_info(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    name = "<stdin>" if args.model == "-" else args.model
    try:
        prep: Preprocessing | None = Preprocessing.from_model(model, source=name)
    except ModelFileError:
        if "preprocessing" in model.metadata:
            raise  # stored but malformed: the file is damaged
        prep = None  # a model built in Python whose outputs the CLI cannot name; still show it
    facts = model_facts(model, prep, name)
    if args.json:
        print(json.dumps(_finite(facts), indent=2, allow_nan=False))
    else:
        print(format_facts(facts, model.summary()))
    return 0


def run_datasets(args: argparse.Namespace) -> int:
    has_sklearn = importlib.util.find_spec("sklearn") is not None
    rows = []
    for name in datasets.names():
        description = datasets.describe(name)
        needs = "scikit-learn" in description
        rows.append(
            {"name": name, "description": description, "available": has_sklearn or not needs}
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(name) for name in datasets.names())
    for r in rows:
        missing = "" if r["available"] else "  [needs: pip install 'glassnet[sklearn]']"
        print(f"{r['name']:<{width}}  {r['description']}{missing}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    check_dataset_name(args.name, "NAME", "glassnet datasets export")
    check_output(args.output, "-o/--output")
    data = datasets.load(args.name, seed=args.seed)
    data.to_csv(args.output)
    if args.output != "-" and sys.stderr.isatty():  # as train: a note for people at a terminal
        command = shlex.join(["glassnet", "train", args.output, "--target", data.target_name])
        shape = f"{len(data.X)} rows, {len(data.feature_names)} features"
        note = f"wrote {args.output}: {shape} and the target {data.target_name!r}"
        print(f"{note}; to learn it: {command}", file=sys.stderr)
    return 0
