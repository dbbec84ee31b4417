"""A public finite-difference check of backward passes: a layer, a loss, or a model with its loss.

For each parameter (and the input), the analytic gradient from `backward` is compared with
central differences (f(θ + ε) − f(θ − ε)) / 2ε, in float64. The error reported for a parameter
is max |analytic − numeric| / max(max |analytic|, max |numeric|): the worst element's error,
relative to the size of that parameter's gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import losses as _losses
from ._typing import Array
from .errors import GlassnetError
from .layers import Layer
from .losses import Loss
from .network import Sequential
from .validation import check_targets, check_X, check_y, non_negative, positive_float, seed_of


@dataclass
class GradcheckReport:
    """Worst relative error per checked array, and whether all are within `tolerance`.

    A gradient (analytic or numeric) holding a NaN or an infinity counts as an error of inf:
    it never passes.
    """

    errors: dict[str, float] = field(default_factory=dict)
    tolerance: float = 1e-6

    @property
    def worst(self) -> float:
        # a NaN (from a gradient of one's own) ranks above everything: max() would skip it
        return max(self.errors.values(), default=0.0, key=lambda e: math.inf if e != e else e)

    @property
    def ok(self) -> bool:
        return all(e <= self.tolerance for e in self.errors.values())  # NaN fails too

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        rows = [f"{name:<28} {err:.2e}" for name, err in self.errors.items()]
        verdict = "ok" if self.ok else "FAILED"
        return "\n".join(
            [*rows, f"worst {self.worst:.2e} (tolerance {self.tolerance:g}): {verdict}"]
        )


def _relative_error(analytic: Array, numeric: Array) -> float:
    if not (np.isfinite(analytic).all() and np.isfinite(numeric).all()):
        return math.inf
    scale = max(float(np.abs(analytic).max()), float(np.abs(numeric).max()), 1e-7)
    return float(np.abs(analytic - numeric).max()) / scale


def _numeric(f: Callable[[], float], a: Array, eps: float) -> Array:
    """Central differences of f with respect to every element of `a` (perturbed in place)."""
    out = np.zeros_like(a)
    flat, grad = a.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = f()
        flat[i] = keep - eps
        down = f()
        flat[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return out


def _frozen_randomness(layers: list[Layer]) -> Callable[[], None]:
    """Return a function that rewinds every layer's Generator (dropout masks repeat exactly)."""
    saved = [(lyr, lyr.rng.bit_generator.state) for lyr in layers if hasattr(lyr, "rng")]

    def rewind() -> None:
        for layer, state in saved:
            layer.rng.bit_generator.state = state

    return rewind


def _targets(loss: Loss, y: Any, pred: Array) -> Array:
    """`y` checked against predictions `pred` as fit checks targets (labels in range, ...)."""
    checked = check_y(y, n_samples=len(pred), n_outputs=pred.shape[1],
                      dtype=np.dtype(np.float64), labels=loss.takes_labels)  # fmt: skip
    check_targets(checked, loss)
    return checked


def _require_float64(arrays: list[Array], what: str) -> None:
    for a in arrays:
        if a.dtype != np.float64:
            raise GlassnetError(f"gradcheck runs in float64, but {what} holds {a.dtype} arrays")


# a huge eps or a gradient of one's own may overflow: the error is then inf (a failed check)
@np.errstate(over="ignore", invalid="ignore")
def gradcheck(
    target: Layer | Loss | Sequential,
    x: Any = None,
    y: Any = None,
    *,
    loss: Loss | str | None = None,
    training: bool = False,
    eps: float = 1e-6,
    tolerance: float = 1e-6,
    seed: int = 0,
) -> GradcheckReport:
    """Compare `backward` with central differences.

    Parameters
    ----------
    target : Layer, Loss or Sequential
        A layer: checks f = Σ forward(x)·g for a fixed random g. A loss: checks
        d loss(x, y) / d x. A Sequential: needs `loss`, checks d loss(model(x), y).
    x : ndarray of shape (n_samples, n_features)
        Input (a layer or model) or predictions (a loss), float64. Random if omitted for a
        layer or model.
    y : ndarray
        Targets, for a loss or a model.
    loss : Loss
        With a Sequential target.
    training : bool
        Run forward in training mode (dropout masks are held fixed between evaluations).
    eps, tolerance : float
        Step of the central differences, and the largest relative error that passes.
    seed : int
        For the random input and the random upstream gradient.

    Returns
    -------
    GradcheckReport
        ``report.errors`` maps "input" and each parameter ("layer1.Dense.weight", ...) to its
        worst relative error; ``bool(report)`` is True when all are within `tolerance`.

    Examples
    --------
    >>> from glassnet import Dense, gradcheck
    >>> gradcheck(Dense(3, 2, rng=0), np.ones((4, 3))).ok
    True
    """
    eps = positive_float(eps, "eps")
    tolerance = non_negative(tolerance, "tolerance")
    rng = np.random.default_rng(seed_of(seed))
    report = GradcheckReport(tolerance=tolerance)

    if isinstance(target, Loss):
        if x is None or y is None:
            raise GlassnetError("gradcheck of a loss needs predictions x and targets y")
        pred = check_X(x, dtype=np.dtype(np.float64), name="x").copy()
        y = _targets(target, y, pred)
        target.forward(pred, y)
        analytic = target.backward().copy()
        numeric = _numeric(lambda: target.forward(pred, y), pred, eps)
        report.errors["input"] = _relative_error(analytic, numeric)
        return report

    net: Layer | Sequential  # what is checked: its own forward and backward passes
    if isinstance(target, Layer):
        net, layers = target, [target]
        named = [(f"{target.kind}.{k}", p, target.grads[k]) for k, p in target.params.items()]
    elif isinstance(target, Sequential):
        if loss is None:
            raise GlassnetError(
                "gradcheck of a Sequential needs its loss, e.g. loss=MeanSquaredError()"
            )
        net, layers = target, target.layers
        named = [
            (f"layer{i}.{layer.kind}.{k}", p, layer.grads[k])
            for i, layer in enumerate(layers, start=1)
            for k, p in layer.params.items()
        ]
    else:
        raise GlassnetError(f"gradcheck takes a Layer, a Loss or a Sequential, got {target!r}")
    _require_float64([p for _, p, _ in named], repr(target))

    n_in = getattr(layers[0], "n_in", None)
    if x is None:
        x = rng.standard_normal((5, n_in or 4))
    inputs = check_X(x, dtype=np.dtype(np.float64), n_features=n_in, name="x").copy()
    rewind = _frozen_randomness(layers)

    def output() -> Array:
        rewind()  # every evaluation draws the same dropout masks
        return net.forward(inputs, training)

    output_grad: Callable[[], Array]
    if isinstance(net, Layer):
        upstream = rng.standard_normal(output().shape)

        def f() -> float:
            return float(np.vdot(output(), upstream))

        def output_grad() -> Array:
            return upstream  # d f / d output: f = Σ output · upstream
    else:
        assert loss is not None
        loss_fn = _losses.get(loss)
        if y is None:
            raise GlassnetError("gradcheck of a Sequential needs targets y")
        y_arr = _targets(loss_fn, y, output())

        def f() -> float:
            return loss_fn.forward(output(), y_arr)

        output_grad = loss_fn.backward

    f()  # one evaluation, whose forward caches the backward pass reads
    analytic_input = net.backward(output_grad()).copy()
    analytic = {name: g.copy() for name, _, g in named}

    report.errors["input"] = _relative_error(analytic_input, _numeric(f, inputs, eps))
    for name, p, _ in named:
        report.errors[name] = _relative_error(analytic[name], _numeric(f, p, eps))
    return report
