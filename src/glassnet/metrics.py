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
        # Σ(y − ȳ)² = Σy² − (Σy)²/n: the sums accumulate batch by batch, so one pass is all there is
        return r2_from_sums(s[2], s[1] - s[0] ** 2 / n)


class Observer:
    """Feeds training metrics the batches' targets and outputs a few thousand rows at a time.

    A batch is copied into two buffers (made once); the metrics update when they fill and at
    `flush`. A small batch so costs two copies instead of each metric's own passes (an epoch
    of batch 32 on 300,000 rows: 9,375 updates become 74). The sums are those of the batches
    together, so a metric's result is the same up to the order of its additions.
    """

    rows = 4096

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics
        self._y: Array | None = None
        self._out: Array | None = None
        self._n = 0

    def __call__(self, y: Array, out: Array) -> None:
        ybuf, obuf, n = self._y, self._out, self._n
        k = out.shape[0]
        if obuf is None or ybuf is None or n + k > obuf.shape[0] or not _fits(ybuf, y, obuf, out):
            self.flush()
            if 2 * k > self.rows:  # a large batch: straight to the metrics
                for m in self.metrics:
                    m.update(y, out)
                return
            if obuf is None or ybuf is None or not _fits(ybuf, y, obuf, out):
                ybuf = self._y = np.empty((self.rows, *y.shape[1:]), dtype=y.dtype)
                obuf = self._out = np.empty((self.rows, *out.shape[1:]), dtype=out.dtype)
            n = 0
        ybuf[n : n + k] = y
        obuf[n : n + k] = out
        self._n = n + k

    def flush(self) -> None:
        """Update the metrics with the rows held; call before reading their results."""
        n, ybuf, obuf = self._n, self._y, self._out
        if n and ybuf is not None and obuf is not None:
            for m in self.metrics:
                m.update(ybuf[:n], obuf[:n])
        self._n = 0


def _fits(ybuf: Array, y: Array, obuf: Array, out: Array) -> bool:
    """Whether rows like ``y`` and ``out`` can be copied into these buffers as they are."""
    return (ybuf.dtype == y.dtype and obuf.dtype == out.dtype
            and ybuf.shape[1:] == y.shape[1:] and obuf.shape[1:] == out.shape[1:])  # fmt: skip


def r2_from_sums(ss_res: Array | float, ss_tot: Array | float) -> float:
    """R² = 1 − SS_res / SS_tot per output, averaged over outputs; 0 for a constant target.

    A constant target (SS_tot = 0) has nothing to explain: its R² is 0, as scikit-learn's
    ``r2_score(..., force_finite=True)``.
    """
    ss_res, ss_tot = np.asarray(ss_res, dtype=np.float64), np.asarray(ss_tot, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), 0.0)
    return float(r2.mean())


def r2_score(y: Array, out: Array) -> float:
    """R² of predictions ``out`` against targets ``y`` over whole arrays, averaged over outputs.

    The residuals and the deviations from the mean are divided by one common size before they
    are squared, so values near the float64 limit (1e308) do not overflow; the ratio SS_res /
    SS_tot is unchanged by that scale.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    out : ndarray of the same shape

    Returns
    -------
    float
        1 for perfect predictions, 0 for a constant target, NaN if the errors are beyond
        float64 even so (a residual that overflowed).

    Examples
    --------
    >>> r2_score(np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]))
    0.7321428571428571
    """
    y, out = np.asarray(y, dtype=np.float64), np.asarray(out, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        residual = y - out.reshape(y.shape)
        deviation = y - y.mean(axis=0)
        size = max(float(np.abs(residual).max()), float(np.abs(deviation).max()), 1e-300)
        ss_res = np.sum((residual / size) ** 2, axis=0)
        ss_tot = np.sum((deviation / size) ** 2, axis=0)
    if not (np.isfinite(ss_res).all() and np.isfinite(ss_tot).all()):
        return float("nan")
    return r2_from_sums(ss_res, ss_tot)


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
