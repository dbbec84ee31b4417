"""Losses: `SumSquaredError`, `MeanSquaredError`, the cross-entropies that take logits, and
`Poisson` on log-means.

Each loss has ``forward(y_pred, y_true) -> float`` and ``backward() -> d loss / d y_pred`` (for
the last `forward`). The cross-entropies fuse the sigmoid or softmax into the loss, so their
gradient is (p − y)/n, finite for any logits.

A loss also owns what a network's outputs mean once trained on it: `probabilities` (softmax or
sigmoid of logits, or the values as they are) and `decide` (the class decided from them);
`labels_of` reads the true classes out of targets the same way. Metrics, `predict_proba`, the
estimators, the CLI and the plots all ask the loss instead of guessing.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

import numpy as np

from . import kernels
from ._typing import Array
from .activations import Sigmoid, Softmax
from .errors import GlassnetError
from .plans import glassnets_own


class Loss:
    """Base class. `reduction` says how per-batch values add up to an epoch's: "sum" or "mean"."""

    kind: ClassVar[str] = "Loss"
    reduction: ClassVar[str] = "mean"
    #: True when targets may be integer class labels of shape (n_samples,)
    takes_labels: ClassVar[bool] = False
    #: an output at or above this decides its label "on": ½ for values read as probabilities
    threshold: ClassVar[float] = 0.5
    #: (low, high) when the targets must lie in that range (checked at `fit` and `evaluate`)
    target_range: ClassVar[tuple[float, float] | None] = None
    #: scratch arrays by (name, shape, dtype); None until `__init__` (or the first `_buffer`)
    _buffers: dict[tuple[str, tuple[int, ...], str], Array] | None = None
    #: each row's factor on `backward`'s gradient in the last `weighted_forward`
    _row_scale: Array

    def __init__(self) -> None:
        self._buffers = {}

    def forward(self, y_pred: Array, y_true: Array) -> float:
        raise NotImplementedError

    def backward(self) -> Array:
        raise NotImplementedError

    def __call__(self, y_pred: Array, y_true: Array) -> float:
        return self.forward(y_pred, y_true)

    def value(self, y_pred: Array, y_true: Array) -> float:
        """The loss of `y_pred` against `y_true`, computed on scratch of its own.

        `forward` is the training kernel: it leaves what `backward` needs in buffers the loss
        reuses. This leaves the loss untouched (it runs a copy, with fresh buffers), so several
        threads may call it at once, as `Sequential.evaluate` does; and it is quiet where the
        value passes float64's range (inf).
        """
        scratch = copy.copy(self)  # a pickle's copy: settings kept, scratch left behind
        with np.errstate(over="ignore", invalid="ignore"):
            return scratch.forward(y_pred, y_true)

    # ------------------------------------------------------------ per-sample weights

    def sample_values(self, y_pred: Array, y_true: Array) -> Array:
        """Each sample's loss, shape (n_samples,): `forward` is their mean (their sum for a
        "sum" reduction). This generic one computes the rows one at a time (`value` of one
        row: right for any loss that is a mean over samples); the built-in losses vectorise it.
        """
        return np.array(
            [self.value(y_pred[i : i + 1], y_true[i : i + 1]) for i in range(len(y_pred))]
        )

    def weighted_forward(self, y_pred: Array, y_true: Array, sample_weight: Array) -> float:
        """The loss with per-sample weights w, as scikit-learn weighs its MLP's: the weighted
        mean Σ wᵢ·ℓᵢ / Σ w for a "mean" reduction, Σ wᵢ·ℓᵢ for "sum". `weighted_backward`
        then gives its gradient."""
        self.forward(y_pred, y_true)  # leaves what backward needs
        w = sample_weight
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.dot(self.sample_values(y_pred, y_true), w))
        if self.reduction != "mean":
            self._row_scale = w
            return total
        w_sum = float(w.sum())
        # backward's rows are ∇ℓᵢ / n: times wᵢ·n / Σ w they are the weighted mean's
        self._row_scale = w * (len(w) / w_sum)
        return total / w_sum

    def weighted_backward(self) -> Array:
        """d (weighted loss) / d y_pred for the last `weighted_forward`."""
        grad = self.backward()
        grad *= self._row_scale.reshape(-1, *([1] * (grad.ndim - 1)))
        return grad

    # ------------------------------------------------------------ what the outputs mean

    def probabilities(self, out: Array) -> Array:
        """The network's outputs `out`, shape (n_samples, n_outputs), as probabilities.

        Here the outputs themselves: a squared error compares them with the targets directly,
        so a network with a sigmoid output already gives probabilities. The cross-entropies,
        which take logits, apply their softmax or sigmoid.
        """
        return out

    def class_probabilities(self, out: Array, *, dtype: Any = None) -> Array:
        """`probabilities` with one column per class, shape (n_samples, n_classes).

        A single column is P(class 1), so it becomes the two columns (1 − p, p); several
        columns are returned as they are. With `dtype`, p is converted before 1 − p is taken.

        Examples
        --------
        >>> import numpy as np
        >>> BinaryCrossEntropy().class_probabilities(np.array([[0.0]]))
        array([[0.5, 0.5]])
        """
        p = self.probabilities(out)
        if dtype is not None:
            p = np.asarray(p, dtype=dtype)
        return np.column_stack([1.0 - p[:, 0], p[:, 0]]) if p.shape[1] == 1 else p

    def decide(self, out: Array, *, exclusive: bool = False, strict: bool = False) -> Array:
        """The classes decided from outputs `out` of shape (n_samples, n_outputs).

        Each output at or above `threshold` turns its label on: bools of shape (n_samples,)
        for one output, (n_samples, n_outputs) for independent labels. With `exclusive` (one
        class per sample), several outputs are scores instead: the class is their argmax. With
        `strict`, an output exactly at the threshold stays off (scikit-learn's rule, p > ½).

        Examples
        --------
        >>> import numpy as np
        >>> SumSquaredError().decide(np.array([[0.2], [0.7]]))
        array([False,  True])
        >>> SumSquaredError().decide(np.array([[0.2, 0.7]]), exclusive=True)
        array([1])
        """
        if exclusive and out.shape[1] > 1:
            return out.argmax(axis=1)
        decided = out > self.threshold if strict else out >= self.threshold
        return decided if out.shape[1] > 1 else decided[:, 0]

    def labels_of(self, y: Array, *, exclusive: bool = False) -> Array:
        """The true classes in targets `y`, comparable with what `decide` returns.

        Labels of shape (n_samples,) are returned as given; columns of targets are read as
        probabilities (on at ½), or with `exclusive` by their argmax.
        """
        if y.ndim == 1:
            return y
        if exclusive and y.shape[1] > 1:
            return y.argmax(axis=1)
        decided = y >= 0.5
        return decided if y.shape[1] > 1 else decided[:, 0]

    def plan(
        self, y_pred: Array, y_true: Array
    ) -> tuple[Callable[[], float], Array, list[Callable[[], object]]]:
        """The loss as pre-bound calls for the fit loop (see `Layer.plan_forward`).

        Returns (value, grad, calls): ``value()`` computes the loss of what `y_pred` and
        `y_true` hold when it runs; after it, `calls` leave d loss / d y_pred in `grad`.
        """
        return self.plan_by_methods(y_pred, y_true)

    def plan_by_methods(
        self, y_pred: Array, y_true: Array
    ) -> tuple[Callable[[], float], Array, list[Callable[[], object]]]:
        """`plan` made of `forward` and `backward` themselves: right for any loss, including a
        subclass that overrides them without a plan of its own."""
        grad = self._buffer("g", y_pred)  # where `backward` leaves it: then nothing is copied
        return partial(self.forward, y_pred, y_true), grad, [partial(_relay, self.backward, grad)]

    def _buffer(self, name: str, like: Array) -> Array:
        key = (name, like.shape, like.dtype.char)  # a str hashes faster than a dtype
        buffers = self._buffers
        if buffers is None:  # a subclass of one's own that skipped Loss.__init__
            buffers = self._buffers = {}
        buf = buffers.get(key)
        if buf is None:
            if len(buffers) > 16:
                buffers.clear()
            buf = buffers[key] = np.empty(like.shape, like.dtype)
        return buf

    def __getstate__(self) -> dict[str, Any]:
        # as for layers: attributes named with a leading underscore are scratch and the last
        # batch's caches, not pickled; the loss's own settings (a loss of one's own may have
        # some) are
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        state["_buffers"] = {}
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SumSquaredError(Loss):
    """½·Σ(y − ŷ)², summed over samples and outputs: the tutorial's loss.

    Its gradient is ŷ − y. Through a sigmoid output, one SGD step with learning rate 1 is the
    tutorial's update — see `glassnet.tutorial`.
    """

    kind = "SumSquaredError"
    reduction = "sum"

    def forward(self, y_pred: Array, y_true: Array) -> float:
        self._r = self._buffer("r", y_pred)
        return _half_squared_error(y_pred, y_true, self._r)

    def backward(self) -> Array:
        # d/dŷ ½(y − ŷ)² = ŷ − y
        return self._r

    def sample_values(self, y_pred: Array, y_true: Array) -> Array:
        r = y_pred - y_true
        return 0.5 * np.einsum("ij,ij->i", r, r)

    def plan(
        self, y_pred: Array, y_true: Array
    ) -> tuple[Callable[[], float], Array, list[Callable[[], object]]]:
        r = self._r = self._buffer("r", y_pred)  # the value leaves the gradient in r
        return partial(_half_squared_error, y_pred, y_true, r), r, []


def _half_squared_error(y_pred: Array, y_true: Array, r: Array) -> float:
    """r ← ŷ − y; return ½·Σ r²."""
    np.subtract(y_pred, y_true, out=r)
    return 0.5 * float(np.vdot(r, r))  # vdot reads r flat: Σ r²


class MeanSquaredError(Loss):
    """mean((y − ŷ)²) over every element, as PyTorch's MSELoss and Keras define it."""

    kind = "MeanSquaredError"

    def forward(self, y_pred: Array, y_true: Array) -> float:
        r = np.subtract(y_pred, y_true, out=self._buffer("r", y_pred))
        self._r = r
        return float(np.vdot(r, r)) / r.size

    def backward(self) -> Array:
        g = self._buffer("g", self._r)
        np.multiply(self._r, 2.0 / self._r.size, out=g)
        return g

    def sample_values(self, y_pred: Array, y_true: Array) -> Array:
        r = y_pred - y_true
        return np.einsum("ij,ij->i", r, r) / r.shape[1]


class LogitsLoss(Loss):
    """A loss on logits (the cross-entropies): `forward` is quiet at the float64 extremes.

    Logits of opposite huge signs (±1e308) pass float64's range inside the loss (z − max(z),
    Σ max(z, 0)): the results are the right 0 probabilities and an inf loss where the true one
    is beyond float64, with no warning. The fit loop's plan runs the kernel `_forward` itself,
    under fit's own NumPy error state (where an overflow while training is divergence).
    """

    def forward(self, y_pred: Array, y_true: Array) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return self._forward(y_pred, y_true)

    def plan(
        self, y_pred: Array, y_true: Array
    ) -> tuple[Callable[[], float], Array, list[Callable[[], object]]]:
        grad = self._buffer("g", y_pred)
        return partial(self._forward, y_pred, y_true), grad, [partial(_relay, self.backward, grad)]

    def _forward(self, y_pred: Array, y_true: Array) -> float:
        raise NotImplementedError


class BinaryCrossEntropy(LogitsLoss):
    """Binary cross-entropy on logits z, with the sigmoid fused in (PyTorch's BCEWithLogitsLoss).

    loss = mean over every element of  max(z, 0) − z·y + log(1 + e^(−|z|)),
    gradient (σ(z) − y) / n_elements: finite with no warning for any finite logits.
    """

    kind = "BinaryCrossEntropy"
    threshold = 0.0  # on logits: σ(z) ≥ ½ exactly when z ≥ 0
    target_range = (0.0, 1.0)

    def probabilities(self, out: Array) -> Array:
        """σ(z) of the logits: P(label on), column by column."""
        return Sigmoid().forward(out)

    def _forward(self, y_pred: Array, y_true: Array) -> float:
        z = y_pred
        t = self._buffer("t", z)
        np.abs(z, out=t)
        np.negative(t, out=t)
        np.exp(t, out=t)  # e^(−|z|) ∈ (0, 1]
        p = self._buffer("p", z)
        # σ(z) = 1/(1 + e^(−|z|)) for z ≥ 0 and e^(−|z|)/(1 + e^(−|z|)) for z < 0
        np.add(t, 1.0, out=p)
        np.divide(1.0, p, out=p)
        np.multiply(p, t, out=p, where=z < 0)
        self._p, self._y = p, y_true
        np.log1p(t, out=t)
        # each element's term, max(z, 0) − z·y + log(1 + e^(−|z|)), formed before any sum: apart,
        # the sums of max(z, 0) and z·y over a batch cancel, and a confident logit's 1e17 there
        # wipes out the others' terms. max(z, 0) − z·y lies in [0, |z|] for y in [0, 1]: finite,
        # and exactly 0 where a confident logit is right
        u = np.maximum(z, 0.0, out=self._buffer("u", z))
        u -= np.multiply(z, y_true, out=self._buffer("zy", z))
        u += t
        n = z.size
        total = float(u.sum())
        if total == math.inf:  # a sum beyond float64 of finite terms: their mean may not be
            return float(np.divide(u, n, out=u).sum())
        return total / n

    def backward(self) -> Array:
        g = self._buffer("g", self._p)
        np.subtract(self._p, self._y, out=g)
        g *= 1.0 / g.size
        return g

    def sample_values(self, y_pred: Array, y_true: Array) -> Array:
        z = y_pred  # each element's max(z, 0) − z·y + log(1 + e^(−|z|)), as in `_forward`
        return (np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))).mean(axis=1)


class CrossEntropy(LogitsLoss):
    """Softmax cross-entropy on logits (PyTorch's CrossEntropyLoss), mean over samples.

    Targets are integer class labels of shape (n_samples,) or rows of shape
    (n_samples, n_classes) (one-hot, or any probabilities).
    loss = mean over samples of  logsumexp(z) − Σ y·z,  gradient (softmax(z) − y) / n.
    """

    kind = "CrossEntropy"
    takes_labels = True

    def probabilities(self, out: Array) -> Array:
        """softmax(z) of each row of logits: P(class), rows summing to 1."""
        # z − max(z) may pass −1.8e308 for logits of opposite huge signs: −inf, whose e^ is the
        # right 0, so that overflow is no error
        with np.errstate(over="ignore"):
            return Softmax().forward(out)

    def decide(self, out: Array, *, exclusive: bool = True, strict: bool = False) -> Array:
        """The class with the largest logit (classes here always exclude each other)."""
        return out.argmax(axis=1)

    def labels_of(self, y: Array, *, exclusive: bool = True) -> Array:
        """Labels as given, or the argmax of one-hot (or probability) rows."""
        return y if y.ndim == 1 else y.argmax(axis=1)

    _rows: Array | None = None  # 0, 1, …, n − 1 for the last batch size (see `_row_numbers`)

    #: logits (rows × classes) from which the compiled kernels run the step once Numba is
    #: imported (another kernel paid for it), and without (`kernels.worth`)
    FUSED_FROM_LOADED, FUSED_FROM = 1 << 8, 1 << 20

    def plan(
        self, y_pred: Array, y_true: Array
    ) -> tuple[Callable[[], float], Array, list[Callable[[], object]]]:
        """As `Loss.plan`; glassnet's own CrossEntropy on float logits runs its step as two
        kernels around NumPy's exp (`kernels.softmax`) where `kernels.worth` says so."""
        z = y_pred
        threshold = self.FUSED_FROM_LOADED if "numba" in sys.modules else self.FUSED_FROM
        targets = y_true.dtype.kind in "iu" if y_true.ndim == 1 else y_true.shape == z.shape
        fused = type(self) is CrossEntropy and z.ndim == 2 and z.dtype.char in "fd" and targets
        fused = fused and z.shape[1] <= 128  # (`kernels.softmax.WIDEST`: one block to sum)
        if not (fused and glassnets_own(self) and kernels.worth(z.size, threshold)):
            return super().plan(y_pred, y_true)
        from .kernels.softmax import cross_entropy_value

        p, g = self._buffer("p", z), self._buffer("g", z)
        scratch = self._buffer("sums", z[:, 0]), self._buffer("picked", z[:, 0])
        self._p, self._y = p, y_true  # what `backward` reads, as `forward` leaves them
        value = cross_entropy_value(z, y_true, p, g, scratch, partial(_pick, p, y_true))
        return value, g, []

    def _forward(self, y_pred: Array, y_true: Array) -> float:
        z = y_pred
        n = z.shape[0]
        p = self._buffer("p", z)
        np.subtract(z, z.max(axis=1, keepdims=True), out=p)  # shift: e^(z − max) ≤ 1
        shifted_true = _pick(p, y_true, self._row_numbers(n))  # Σ y·(z − max), before p changes
        np.exp(p, out=p)
        sums = p.sum(axis=1)
        p /= sums[:, None]
        self._p, self._y = p, y_true
        return float(np.log(sums).sum()) / n - shifted_true / n  # (each / n: see BCE)

    def backward(self) -> Array:
        p, y = self._p, self._y
        g = self._buffer("g", p)
        if y.ndim == 1:
            np.copyto(g, p)
            g[self._row_numbers(len(y)), y] -= 1.0
        else:
            np.subtract(p, y, out=g)
        g *= 1.0 / len(g)
        return g

    def sample_values(self, y_pred: Array, y_true: Array) -> Array:
        shifted = y_pred - y_pred.max(axis=1, keepdims=True)  # logsumexp(z) − z_y, shifted
        lse = np.log(np.exp(shifted).sum(axis=1))
        if y_true.ndim == 1:
            return lse - shifted[np.arange(len(y_true)), y_true]
        picked = np.where(y_true != 0, shifted, 0.0) * y_true  # −inf · 0 counts for nothing
        return lse * y_true.sum(axis=1) - picked.sum(axis=1)

    def _row_numbers(self, n: int) -> Array:
        """0, 1, …, n − 1 (kept: the same batch size comes back every step)."""
        rows = self._rows
        if rows is None or len(rows) != n:
            rows = self._rows = np.arange(n)
        return rows


class Poisson(LogitsLoss):
    """Half the Poisson deviance on log-means z, with the exp link fused in (scikit-learn's
    ``MLPRegressor(loss="poisson")``; PyTorch's PoissonNLLLoss(log_input=True) plus a constant).

    The network's outputs are z = log μ; targets are counts or rates y ≥ 0.
    loss = mean over every element of  e^z − y·z + (y·log y − y)  (0·log 0 = 0), which is
    y·log(y/μ) − y + μ, half the deviance: 0 where μ = y. The constant term does not change the
    gradient, (e^z − y) / n_elements; it makes the value scikit-learn's. Quiet for any finite z:
    where the true value passes float64's range the result is inf, with no warning.
    """

    kind = "Poisson"
    target_range = (0.0, math.inf)

    def probabilities(self, out: Array) -> Array:
        """e^z of the log-means: the predicted means μ (inf past float64's range, quietly)."""
        with np.errstate(over="ignore"):
            return np.exp(out)

    def _forward(self, y_pred: Array, y_true: Array) -> float:
        z = y_pred
        mu = np.exp(z, out=self._buffer("p", z))
        self._p, self._y = mu, y_true
        u = _poisson_terms(z, y_true, mu, self._buffer("u", z))
        total = float(u.sum())
        if total == math.inf:  # a sum beyond float64 of finite terms: their mean may not be
            return float(np.divide(u, z.size, out=u).sum())
        return total / z.size

    def backward(self) -> Array:
        g = self._buffer("g", self._p)
        np.subtract(self._p, self._y, out=g)  # d/dz (e^z − y·z) = μ − y
        g *= 1.0 / g.size
        return g

    def sample_values(self, y_pred: Array, y_true: Array) -> Array:
        with np.errstate(over="ignore", invalid="ignore"):  # quiet, as `forward`
            mu = np.exp(y_pred)
            u = _poisson_terms(y_pred, y_true, mu, np.empty_like(mu))
            return u.mean(axis=1)


def _poisson_terms(z: Array, y: Array, mu: Array, out: Array) -> Array:
    """out ← e^z − y·z + y·log y − y, element by element (μ = e^z given); where e^z and y·z
    both pass float64's range (inf − inf: NaN) the term is the true +inf."""
    np.multiply(y, z, out=out)
    np.subtract(mu, out, out=out)
    ylogy = np.log(y, out=np.zeros_like(out), where=y > 0)
    ylogy *= y
    ylogy -= y
    out += ylogy
    np.copyto(out, math.inf, where=np.isnan(out) & (mu == math.inf))
    return out


def _relay(backward: Callable[[], Array], grad: Array) -> None:
    """Run `backward` and make sure its result is in `grad` (it is, unless buffers were remade)."""
    result = backward()
    if result is not grad:
        np.copyto(grad, result)


def _pick(values: Array, y_true: Array, rows: Array | None = None) -> float:
    """Σ over rows of the value at each row's label (labels), or of y·values (rows of weights)."""
    if y_true.ndim == 1:
        rows = np.arange(len(y_true)) if rows is None else rows
        return float(values[rows, y_true].sum())
    total = float(np.vdot(values, y_true))
    if total != total:  # NaN: a −inf value (z − max(z) past float64) times a target of 0
        total = float(np.vdot(np.where(y_true != 0, values, 0.0), y_true))  # counts for nothing
    return total


LOSSES: dict[str, type[Loss]] = {
    "sse": SumSquaredError,
    "sum_squared_error": SumSquaredError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "bce": BinaryCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "cross_entropy": CrossEntropy,
    "poisson": Poisson,
}
BY_KIND: dict[str, type[Loss]] = {cls.kind: cls for cls in LOSSES.values()}


def get(loss: str | Loss) -> Loss:
    """A loss from its name ("mse", "cross_entropy", ...) or an instance."""
    if isinstance(loss, Loss):
        return loss
    cls = LOSSES.get(str(loss).lower()) or BY_KIND.get(str(loss))
    if cls is None:
        known = ", ".join(LOSSES)
        raise GlassnetError(f"unknown loss {loss!r}; expected one of {known}")
    return cls()
