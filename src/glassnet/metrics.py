"""Metrics — accuracy, MSE, R² — from network outputs, whole or accumulated batch by batch."""

from __future__ import annotations

import numpy as np

from ._typing import Array
from .errors import GlassnetError
from .losses import Loss


class Metric:
    """Accumulates sums over batches; `result()` gives the metric over all of them."""

    name = "metric"

    def __init__(self, loss: Loss | None) -> None:
        self.loss = loss
        self.reset()

    def reset(self) -> None:
        self._sums: Array | float = 0.0
        self._count = 0

    def update(self, y: Array, out: Array) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError


class Accuracy(Metric):
    """Share of samples whose predicted class (or every label, for multilabel) is right.

    The loss decides the classes (`Loss.decide`, `Loss.labels_of`). With no loss, several
    outputs are read as scores of classes that exclude each other, one as a probability.
    """

    name = "accuracy"

    def update(self, y: Array, out: Array) -> None:
        loss, exclusive = (self.loss, False) if self.loss is not None else (Loss(), True)
        hit = loss.decide(out, exclusive=exclusive) == loss.labels_of(y, exclusive=exclusive)
        if hit.ndim > 1:
            hit = hit.all(axis=1)
        self._sums = float(self._sums) + float(hit.sum())
        self._count += len(hit)

    def result(self) -> float:
        return float(self._sums) / max(self._count, 1)


class MSE(Metric):
    """Mean of (y − ŷ)² over every element."""

    name = "mse"

    def update(self, y: Array, out: Array) -> None:
        r = out - y.reshape(out.shape)
        self._sums = float(self._sums) + float(np.vdot(r, r))
        self._count += r.size

    def result(self) -> float:
        return float(self._sums) / max(self._count, 1)


class R2(Metric):
    """Coefficient of determination 1 − SS_res / SS_tot, averaged over outputs (as scikit-learn)."""

    name = "r2"

    def update(self, y: Array, out: Array) -> None:
        y = y.reshape(out.shape).astype(np.float64)
        r = out - y
        rows = np.stack([y.sum(axis=0), (y * y).sum(axis=0), (r * r).sum(axis=0)])
        self._sums = rows if isinstance(self._sums, float) else self._sums + rows
        self._count += len(y)

    def result(self) -> float:
        s = np.asarray(self._sums)
        n = max(self._count, 1)
        ss_tot = s[1] - s[0] ** 2 / n
        ss_res = s[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), 0.0)
        return float(r2.mean())


METRICS: dict[str, type[Metric]] = {"accuracy": Accuracy, "mse": MSE, "r2": R2}


def get(name: str, loss: Loss | None) -> Metric:
    cls = METRICS.get(name)
    if cls is None:
        raise GlassnetError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return cls(loss)


def compute(name: str, y: Array, out: Array, loss: Loss | None) -> float:
    """One metric over whole arrays."""
    metric = get(name, loss)
    metric.update(y, out)
    return metric.result()
