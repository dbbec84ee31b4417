"""What the page draws of a network at one moment: the loss curves, the output's heatmap with the
points, each hidden unit's own heatmap, the weights, the metric and the confusion matrix.

Every function here reads a copy of the network (`Frame` is made from the session's published
copy), never the one being trained, and returns JSON-ready lists of finite numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._typing import Array
from ..activations import Activation
from ..losses import Loss
from ..metrics import r2_score
from ..network import Sequential
from .data import PlayData

#: points across each side of the output's heatmap, and of each unit's small one
SIZE, SMALL = 50, 16
#: the loss curves sent to the page keep at most this many points
CURVE_POINTS = 500


@dataclass
class Curve:
    """The training and test loss per epoch, thinned as it grows: every `stride`-th epoch is
    kept, and the stride doubles when `CURVE_POINTS` are reached (so the curve keeps its
    shape at constant cost)."""

    epochs: list[int] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    test: list[float | None] = field(default_factory=list)
    stride: int = 1
    last: tuple[int, float, float | None] | None = None

    def add(self, epoch: int, train: float, test: float | None) -> None:
        self.last = (epoch, train, test)
        if epoch % self.stride:
            return
        self.epochs.append(epoch)
        self.train.append(train)
        self.test.append(test)
        if len(self.epochs) >= CURVE_POINTS:
            self.stride *= 2
            keep = [i for i, e in enumerate(self.epochs) if e % self.stride == 0]
            self.epochs = [self.epochs[i] for i in keep]
            self.train = [self.train[i] for i in keep]
            self.test = [self.test[i] for i in keep]

    def cut(self, epoch: int) -> None:
        """Forget the epochs after `epoch` (a diverged run put back where it was finite)."""
        keep = [i for i, e in enumerate(self.epochs) if e <= epoch]
        self.epochs = [self.epochs[i] for i in keep]
        self.train = [self.train[i] for i in keep]
        self.test = [self.test[i] for i in keep]
        self.last = None
        if self.epochs:
            self.last = (self.epochs[-1], self.train[-1], self.test[-1])

    def to_json(self) -> dict[str, list[Any]]:
        epochs, train, test = list(self.epochs), list(self.train), list(self.test)
        if self.last is not None and (not epochs or epochs[-1] != self.last[0]):
            epochs.append(self.last[0])
            train.append(self.last[1])
            test.append(self.last[2])
        return {"epochs": epochs, "train_loss": _rounded(train), "test_loss": _rounded(test)}


def _rounded(values: list[Any], digits: int = 6) -> list[Any]:
    return [None if v is None else float(f"{v:.{digits}g}") for v in values]


def _grid(lo: Array, hi: Array, size: int) -> tuple[Array, Array]:
    """The x and y coordinates of a size × size grid, row-major from the top-left corner (the
    page's y axis points down, so the first row is the largest y)."""
    xs = np.linspace(lo[0], hi[0], size)
    ys = np.linspace(hi[1], lo[1], size)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


@dataclass
class View:
    """Where the heatmaps are drawn: the two inputs shown and the range of each (the data's
    units, with a margin), the other inputs held at their training means."""

    pair: tuple[int, int]
    lo: Array
    hi: Array
    means: Array

    @classmethod
    def of(cls, data: PlayData, pair: tuple[int, int]) -> View:
        X = np.concatenate([data.X_train, data.X_test]) if len(data.X_test) else data.X_train
        shown = X[:, list(pair)]
        lo, hi = shown.min(axis=0), shown.max(axis=0)
        margin = np.maximum((hi - lo) * 0.1, 0.1)
        return cls(pair, lo - margin, hi + margin, data.X_train.mean(axis=0))

    def rows(self, size: int) -> Array:
        """The grid as raw input rows: the two shown inputs varying, the others at their means."""
        gx, gy = _grid(self.lo, self.hi, size)
        rows = np.tile(self.means, (size * size, 1))
        rows[:, self.pair[0]] = gx
        rows[:, self.pair[1]] = gy
        return rows


def heatmap(model: Sequential, loss: Loss, data: PlayData, view: View) -> dict[str, Any]:
    """The output over the grid: P(class 1) for two classes, the winning class (with its
    probability as `confidence`) for more, the value in the target's units for a regression."""
    out = model.outputs(data.inputs(view.rows(SIZE)))
    result: dict[str, Any] = {
        "size": SIZE,
        "x_range": [float(view.lo[0]), float(view.hi[0])],
        "y_range": [float(view.lo[1]), float(view.hi[1])],
        "features": [data.features[view.pair[0]], data.features[view.pair[1]]],
    }
    if data.task == "regression":
        assert data.prep is not None
        result["values"] = _list(data.prep.decode_target(out), 4)
        return result
    p = loss.class_probabilities(out)
    if p.shape[1] == 2:
        result["values"] = _list(p[:, 1], 4)
    else:
        result["values"] = p.argmax(axis=1).tolist()
        result["confidence"] = _list(p.max(axis=1), 3)
    return result


def neuron_maps(model: Sequential, data: PlayData, view: View) -> list[list[dict[str, Any]]]:
    """Each hidden unit's output over a small grid, layer by layer."""
    x = data.inputs(view.rows(SMALL))
    layers: list[list[dict[str, Any]]] = []
    for layer in model.layers[:-1]:
        x = layer.forward(x)
        if isinstance(layer, Activation):
            layers.append([{"values": _list(x[:, u], 3)} for u in range(x.shape[1])])
    return layers


def weights(model: Sequential) -> tuple[list[Any], list[Any]]:
    """Each Dense layer's weights as out × in (row u: the weights into unit u) and biases."""
    ws, bs = [], []
    for layer in model.dense_layers:
        w = layer.params["weight"]
        ws.append(_list(w.T, 6))
        b = layer.params.get("bias")
        bs.append(_list(b, 6) if b is not None else [0.0] * w.shape[1])
    return ws, bs


def metric(model: Sequential, loss: Loss, data: PlayData, X: Array, y: Array) -> float | None:
    """Accuracy (classification) or R² (regression) of the rows X (raw) against y (encoded)."""
    if len(X) == 0:
        return None
    out = model.outputs(data.inputs(X))
    if data.task == "regression":
        value = float(r2_score(y.ravel(), out.ravel())) if len(X) > 1 else None
    else:
        value = float(np.mean(decided(loss, out) == labels(loss, y)))
    return value if value is None or math.isfinite(value) else None


def decided(loss: Loss, out: Array) -> Array:
    """The class of each row of outputs, as an index."""
    if out.shape[1] == 1:
        return loss.decide(out).astype(np.int64)
    return np.asarray(loss.decide(out, exclusive=True), dtype=np.int64)


def labels(loss: Loss, y: Array) -> Array:
    return np.asarray(loss.labels_of(y, exclusive=True), dtype=np.int64).ravel()


def confusion(model: Sequential, loss: Loss, data: PlayData) -> list[list[int]] | None:
    """Counts of (true class, decided class) on the test rows (the training rows without any)."""
    if data.classes is None:
        return None
    X, y = (data.X_test, data.y_test) if len(data.X_test) else (data.X_train, data.y_train)
    k = len(data.classes)
    truth, guess = labels(loss, y), decided(loss, model.outputs(data.inputs(X)))
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (truth, guess), 1)
    return matrix.tolist()


def points(data: PlayData, pair: tuple[int, int]) -> dict[str, list[list[float]]]:
    """Each row's two shown inputs and its label (class index, or the value in its units)."""

    def rows(X: Array, y: Array) -> list[list[float]]:
        if data.task == "regression" and data.prep is not None:
            shown = data.prep.decode_target(y)
        else:
            shown = y.ravel()
        return np.column_stack([X[:, pair[0]], X[:, pair[1]], shown]).round(6).tolist()

    return {"train": rows(data.X_train, data.y_train), "test": rows(data.X_test, data.y_test)}


def finite(model: Sequential) -> bool:
    return all(bool(np.isfinite(p).all()) for p in model.parameters())


def _list(a: Array, digits: int) -> list[Any]:
    """An array as nested lists of numbers rounded to `digits` decimals (significant for the
    weights, whose size varies)."""
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()
