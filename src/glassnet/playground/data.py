"""The playground's configuration and its data: a built-in 2-D set, the tutorial's four examples,
or a CSV file read exactly as `glassnet train` reads it, split into training and test rows.

Ordered as: the configuration (`Config`, `parse_config`: every field checked once, with the
page's names), then the data (`PlayData`, `build_data`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .. import datasets
from .._typing import Array, Task
from ..activations import ACTIVATIONS
from ..errors import DataError, GlassnetError
from ..optimizers import OPTIMIZERS
from ..preprocessing import Preprocessing
from ..schema import Schema
from ..training_table import read_training_table
from ..tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS
from ..validation import count, number_in, one_of, positive_float, positive_ints

HIDDEN_ACTIVATIONS = [name for name in ACTIVATIONS if name != "softmax"]
LOSSES = ["auto", "cross_entropy", "mse"]
#: the largest network the page may ask for: it draws every unit and every link
MAX_LAYERS, MAX_UNITS = 6, 64
MAX_CLASSES = 8

#: the generated sets: name -> (task, make(n, noise, classes, seed) -> (X, y), takes classes)
Make = Callable[[int, float, int, int], tuple[Array, Array]]
GENERATED: dict[str, tuple[Task, Make, bool]] = {
    "circles": (
        "classification",
        lambda n, noise, k, seed: datasets.make_circles(n, noise=noise, seed=seed),
        False,
    ),
    "xor": (
        "classification",
        lambda n, noise, k, seed: datasets.make_xor(n, noise=noise, seed=seed),
        False,
    ),
    "moons": (
        "classification",
        lambda n, noise, k, seed: datasets.make_moons(n, noise=noise, seed=seed),
        False,
    ),
    "spirals": (
        "classification",
        lambda n, noise, k, seed: datasets.make_spirals(n, n_classes=k, noise=noise, seed=seed),
        True,
    ),
    "gaussians": (
        "classification",
        lambda n, noise, k, seed: datasets.make_gaussians(n, n_classes=k, noise=noise, seed=seed),
        True,
    ),
    "plane": (
        "regression",
        lambda n, noise, k, seed: datasets.make_plane(n, noise=noise, seed=seed),
        False,
    ),
}
#: how each generated set's function is called, for the exported script
CALLS = {
    "circles": "make_circles({n}, noise={noise!r}, seed={seed})",
    "xor": "make_xor({n}, noise={noise!r}, seed={seed})",
    "moons": "make_moons({n}, noise={noise!r}, seed={seed})",
    "spirals": "make_spirals({n}, n_classes={classes}, noise={noise!r}, seed={seed})",
    "gaussians": "make_gaussians({n}, n_classes={classes}, noise={noise!r}, seed={seed})",
    "plane": "make_plane({n}, noise={noise!r}, seed={seed})",
}
DATA = [*GENERATED, "tutorial", "csv"]
#: the tutorial's own seed (its np.random.seed(1)): its run answers 0.99993704
TUTORIAL_SEED = 1
TUTORIAL_EPOCHS = 10_000


@dataclass
class Config:
    """What the page asked for: the data, the network and its training (the URL fragment)."""

    data: str = "circles"
    noise: float = 0.1
    ratio: float = 0.7  # the training share
    n: int = 300
    classes: int = 2  # spirals and gaussians
    target: str | None = None  # csv
    hidden: list[int] = field(default_factory=lambda: [8, 8])
    activation: str = "tanh"
    loss: str = "auto"
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    batch_size: int = 10
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    x_feature: int = 0
    y_feature: int = 1
    epochs: int | None = None  # play pauses there (the tutorial: its 10,000 iterations)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_config(given: Any) -> Config:
    """The configuration from the page's JSON object, each field checked; a GlassnetError
    naming the first bad one."""
    if not isinstance(given, dict):
        raise GlassnetError(f"the configuration must be a JSON object, got {given!r:.60}")
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise GlassnetError(
            f"unknown configuration field {unknown[0]!r}; expected some of {', '.join(known)}"
        )
    c = Config(**given)
    one_of(c.data, "data", DATA)
    c.noise = number_in(c.noise, "noise", 0.0, 0.5)
    c.ratio = number_in(c.ratio, "ratio", 0.1, 0.9)
    c.n = count(c.n, "n", minimum=20)
    if c.n > 5000:
        raise GlassnetError(f"n must be at most 5000 points, got {c.n}")
    c.classes = count(c.classes, "classes", minimum=2)
    if c.classes > MAX_CLASSES:
        raise GlassnetError(f"classes must be at most {MAX_CLASSES}, got {c.classes}")
    if c.target is not None and not isinstance(c.target, str):
        raise GlassnetError(f"target must be a column name, got {c.target!r}")
    c.hidden = positive_ints(c.hidden, "hidden") if c.hidden else []
    if len(c.hidden) > MAX_LAYERS or any(h > MAX_UNITS for h in c.hidden):
        raise GlassnetError(
            f"hidden must be at most {MAX_LAYERS} layers of at most {MAX_UNITS} units, "
            f"got {c.hidden}"
        )
    one_of(c.activation, "activation", HIDDEN_ACTIVATIONS)
    one_of(c.loss, "loss", LOSSES)
    one_of(c.optimizer, "optimizer", OPTIMIZERS)
    c.learning_rate = positive_float(c.learning_rate, "learning_rate")
    c.batch_size = count(c.batch_size, "batch_size", minimum=1)
    c.l2 = number_in(c.l2, "l2", 0.0)
    c.dropout = number_in(c.dropout, "dropout", 0.0, 0.9)
    c.seed = count(c.seed, "seed", minimum=0)
    c.x_feature = count(c.x_feature, "x_feature", minimum=0)
    c.y_feature = count(c.y_feature, "y_feature", minimum=0)
    if c.epochs is not None:
        c.epochs = count(c.epochs, "epochs", minimum=1)
    if c.data == "tutorial":
        c.seed = TUTORIAL_SEED
        c.epochs = TUTORIAL_EPOCHS if c.epochs is None else c.epochs
    return c


@dataclass
class PlayData:
    """The rows a session trains and tests on, in the data's own units, and what they mean.

    ``y_train``/``y_test`` are what the loss takes: class indices for a cross-entropy, a column
    of values for a squared error. ``prep`` turns raw rows into the network's inputs (None:
    the tutorial, which trains on its inputs as they are).
    """

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    features: list[str]
    target: str
    task: Task
    classes: list[str] | None
    source: str
    prep: Preprocessing | None
    schema: Schema | None = None
    train_rows: Array | None = None  # indices into the data as read
    test_rows: Array | None = None
    file: str | None = None  # a CSV file's name as the page knows it (an upload's, or its path)

    @property
    def n_inputs(self) -> int:
        return len(self.features)

    def inputs(self, X: Array) -> Array:
        """Raw rows as the network sees them."""
        return np.asarray(X, dtype=np.float64) if self.prep is None else self.prep.transform(X)

    def describe(self) -> dict[str, Any]:
        """The `data` part of the session's answer to the page."""
        return {
            "features": self.features,
            "target": self.target,
            "classes": self.classes,
            "task": self.task,
            "n_train": len(self.X_train),
            "n_test": len(self.X_test),
            "inputs": self.n_inputs,
            "source": self.source,
            "columns": self.schema.describe() if self.schema is not None else None,
        }


def split_rows(n: int, ratio: float, seed: int) -> tuple[Array, Array]:
    """Training and test row indices: a `ratio` share of the rows, drawn with `seed`, each part
    in the data's order (the exported script does the same)."""
    order = np.random.default_rng(seed).permutation(n)
    n_train = min(max(round(n * ratio), 1), n - 1)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def build_data(config: Config, csv: str | None = None, csv_name: str | None = None) -> PlayData:
    """The configuration's data: `csv` is the path of the CSV file for ``data="csv"``
    (an upload, or the command line's), shown as `csv_name`."""
    if config.data == "tutorial":
        X, y = TRAINING_INPUTS.copy(), TRAINING_OUTPUTS.copy()
        features = ["input 1", "input 2", "input 3"]
        empty = np.empty((0, 3)), np.empty((0, 1))
        return PlayData(X, y, *empty, features, "output", "classification", ["0", "1"],
                        "the tutorial's 4 examples", None, train_rows=np.arange(4),
                        test_rows=np.arange(0))  # fmt: skip
    if config.data == "csv":
        if csv is None:
            raise GlassnetError("no CSV file yet: upload one (or give it on the command line)")
        return _csv_data(config, csv, csv_name or csv)
    task, make, takes_classes = GENERATED[config.data]
    X, y = make(config.n, config.noise, config.classes if takes_classes else 2, config.seed)
    if task == "classification":
        classes: list[str] | None = [str(k) for k in range(int(y.max()) + 1)]
        target = "class"
    else:
        classes, target = None, "y"
    return _split(config, X, y, ["x1", "x2"], target, task, classes, config.data, None)


def _csv_data(config: Config, path: str, name: str) -> PlayData:
    """A CSV file read as `glassnet train FILE --target COLUMN` reads it."""
    if not config.target:
        raise GlassnetError("choose the target column of the CSV file")
    try:
        data = read_training_table(path, config.target)
    except (
        GlassnetError
    ) as exc:  # the message `glassnet train` gives, naming the file as the page does
        raise DataError(str(exc).replace(path, name)) from None
    if len(data.X) < 2:
        raise DataError(f"{name}: {len(data.X)} rows with a target value; need at least 2")
    source = str(data.source).replace(path, name)
    found = _split(config, np.asarray(data.X), np.asarray(data.y), list(data.features),
                   data.target, data.task, data.classes, source, data.schema)  # fmt: skip
    found.file = name
    return found


def _split(
    config: Config, X: Array, y: Array, features: list[str], target: str, task: Task,
    classes: list[str] | None, source: str, schema: Schema | None,
) -> PlayData:  # fmt: skip
    """Split into training and test rows, and learn the standardization on the training rows."""
    train, test = split_rows(len(X), config.ratio, config.seed)
    prep = Preprocessing.fit(X[train], y[train], features=features, target=target, task=task,
                             classes=classes, source=source)  # fmt: skip
    prep.schema = schema
    y_train, y_test = prep.encode_target(y[train]), prep.encode_target(y[test])
    if task == "regression":
        y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    return PlayData(X[train], y_train, X[test], y_test, features, target, task, classes, source,
                    prep, schema, train, test)  # fmt: skip


def features_pair(config: Config, n_inputs: int) -> tuple[int, int]:
    """The two inputs the heatmaps are drawn over (the others held at their means)."""
    if n_inputs == 1:
        return 0, 0
    x, y = config.x_feature, config.y_feature
    for name, value in (("x_feature", x), ("y_feature", y)):
        if value >= n_inputs:
            raise GlassnetError(f"{name} must be below the {n_inputs} inputs, got {value}")
    return x, y
