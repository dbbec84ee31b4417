"""Why isn't it learning? Measure a network's health and name what is wrong in plain language.

`diagnose` looks at one training step on a copy of the model — per-layer gradient norms, dead
ReLUs, saturated sigmoid/tanh units, the size of an update relative to the weights — and at the
loss curve, when given, for divergence and plateaus. Each `Finding` says what was measured and
what to try. `Watchdog` runs the same checks during `fit` and warns with `TrainingWarning`.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from . import losses as _losses
from . import optimizers as _optimizers
from ._typing import Array, Network
from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .callbacks import Callback, History
from .compiled import Step
from .errors import GlassnetError, TrainingDivergedError
from .layers import Dense, Layer
from .trace import Trace, activation_stats, cached_output
from .validation import check_X, check_y, count, positive_int, seed_of

if TYPE_CHECKING:
    from .network import Sequential

__all__ = [
    "Diagnosis",
    "Finding",
    "LayerReport",
    "TrainingWarning",
    "Watchdog",
    "diagnose",
    "loss_record",
    "stored_losses",
]

# Thresholds, each with its reason.
#: a loss that grows this many times within `RISE_WINDOW` epochs is running away
RISE_FACTOR = 10.0
RISE_WINDOW = 3
#: a loss that fell less than this fraction over at least `PLATEAU_EPOCHS` epochs is stuck
PLATEAU_DROP = 0.01
PLATEAU_EPOCHS = 10
#: half the units of a layer dead (or saturated) means half its capacity gets no gradient
DEAD_SHARE = 0.5
SATURATED_SHARE = 0.5
#: one step should move the weights by ~1e-3 of their size (a rule of thumb from CS231n);
#: 10% per step jumps around, 1e-6 per step gets nowhere
LARGE_UPDATE = 0.1
SMALL_UPDATE = 1e-6
#: ...but tiny steps are fine once the gradient itself is tiny: the model has converged
CONVERGED_GRADIENT = 1e-4
#: gradients this much smaller (relative to the weights) in the first layer than in the last
#: have vanished on the way back; this much larger have exploded
VANISHING_RATIO = 1e-4
EXPLODING_GRADIENT = 1e3
#: a loss curve kept in a model file's metadata holds at most this many epochs (evenly spread,
#: the last always among them): enough to see a rise or a plateau, small enough for a manifest
HISTORY_POINTS = 1000
#: findings whose hints say the learning rate is too high (or to lower it), and those that say
#: it is too low: when one of the first is present, none of the second may advise raising it
RATE_TOO_HIGH = ("divergence", "large_updates", "exploding_gradient", "dead_relu")
RATE_TOO_LOW = ("plateau", "small_updates")


class TrainingWarning(UserWarning):
    """A sign, seen during `fit`, that the network is not learning well."""


@dataclass
class Finding:
    """One problem found, with the numbers and a plain-language hint.

    Attributes
    ----------
    code : str
        "divergence", "plateau", "dead_relu", "saturation", "vanishing_gradient",
        "exploding_gradient", "large_updates" or "small_updates".
    message : str
        What was measured, e.g. "loss rose 12× in 3 epochs (epoch 4 → 7)".
    hint : str
        What it probably means and what to try.
    layer : int or None
        Index in ``model.layers`` of the layer concerned, if one.
    value : float
        The measured quantity the finding rests on.
    """

    code: str
    message: str
    hint: str
    layer: int | None = None
    value: float = math.nan

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}"


@dataclass
class LayerReport:
    """What was measured in one layer (NaN where it does not apply).

    Attributes
    ----------
    index : int
        Position in ``model.layers``.
    kind : str
    weight_norm, gradient_norm, update_ratio : float
        ‖W‖, ‖∂L/∂W‖ and ‖ΔW‖ / ‖W‖ for one optimizer step (Dense layers).
    mean, std, zero, dead, saturated : float
        Output statistics (activation layers); see `glassnet.trace.activation_stats`.
    """

    index: int
    kind: str
    weight_norm: float = math.nan
    gradient_norm: float = math.nan
    update_ratio: float = math.nan
    mean: float = math.nan
    std: float = math.nan
    zero: float = math.nan
    dead: float = math.nan
    saturated: float = math.nan


@dataclass
class Diagnosis:
    """The result of `diagnose`: findings (empty when healthy) and the per-layer measurements.

    Attributes
    ----------
    findings : list of Finding
    layers : list of LayerReport
    loss : float
        The loss on the diagnosed samples before the probe step.
    n_samples : int
        How many samples were used.
    """

    findings: list[Finding] = field(default_factory=list)
    layers: list[LayerReport] = field(default_factory=list)
    loss: float = math.nan
    n_samples: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @property
    def codes(self) -> list[str]:
        """The code of each finding, in order."""
        return [f.code for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: NaN measurements become None."""

        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {
                k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in d.items()
            }

        return {
            "ok": self.ok,
            "loss": None if not math.isfinite(self.loss) else self.loss,
            "n_samples": self.n_samples,
            "findings": [clean(asdict(f)) for f in self.findings],
            "layers": [clean(asdict(r)) for r in self.layers],
        }

    def to_text(self) -> str:
        lines = [f"loss {self.loss:.6g} on {self.n_samples} samples", ""]
        header = f"{'layer':<16} {'|W|':>9} {'|dL/dW|':>9} {'|dW|/|W|':>9} "
        header += f"{'mean':>8} {'std':>8} {'dead':>6} {'satur.':>6}"
        lines.append(header)
        for r in self.layers:
            cells = [f"{r.index + 1:>2}. {r.kind:<12}"]
            cells += [_cell(v, 9, ".3g") for v in (r.weight_norm, r.gradient_norm, r.update_ratio)]
            cells += [_cell(v, 8, ".3g") for v in (r.mean, r.std)]
            cells += [_cell(v, 6, ".0%") for v in (r.dead, r.saturated)]
            lines.append(" ".join(cells))
        lines.append("")
        if self.ok:
            lines.append("no problems found")
        for f in self.findings:
            lines.append(f"- {f.message}")
            lines.append(f"  hint: {f.hint}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()


def _cell(value: float, width: int, spec: str) -> str:
    return f"{'':>{width}}" if math.isnan(value) else f"{value:>{width}{spec}}"


# --------------------------------------------------------------------------- the checks


def loss_findings(
    losses: Sequence[float], *, unit: str = "epoch", epochs: Sequence[int] | None = None
) -> list[Finding]:
    """Divergence and plateau in a loss curve (one value per epoch, or per `unit`).

    Parameters
    ----------
    losses : sequence of float
        The training loss, oldest first.
    unit : str, default "epoch"
        What one entry is, for the messages.
    epochs : sequence of int, optional
        The number of each entry's epoch, when the curve keeps only some epochs (`loss_record`);
        default 1, 2, 3, ...
    """
    values = [float(v) for v in losses]
    numbers = list(epochs) if epochs is not None else list(range(1, len(values) + 1))
    findings = rise_findings(values, unit=unit, epochs=numbers)
    if not findings and values:
        span = numbers[-1] - numbers[0] + 1
        findings = drift_findings(values[0], values[-1], span, unit=unit)
    return findings


def rise_findings(
    values: Sequence[float],
    *,
    unit: str = "epoch",
    start: int = 1,
    epochs: Sequence[int] | None = None,
) -> list[Finding]:
    """A non-finite loss, or the largest rise of `RISE_FACTOR`× or more within `RISE_WINDOW`
    entries; `start` is the number of the first entry (or `epochs` numbers each), for the
    messages."""
    number = list(epochs) if epochs is not None else [start + i for i in range(len(values))]
    for i, v in enumerate(values):
        if not math.isfinite(v):
            return [Finding(
                "divergence",
                f"the loss became {v} at {unit} {number[i]}",
                "the learning rate is probably too high: try one 10× smaller",
                value=v,
            )]  # fmt: skip
    # the largest rise within RISE_WINDOW steps: v[j] / v[i] for i < j <= i + RISE_WINDOW
    factor, i, j = 1.0, 0, 0
    for a, low in enumerate(values):
        for b in range(a + 1, min(a + RISE_WINDOW, len(values) - 1) + 1):
            if low > 0 and values[b] / low > factor:
                factor, i, j = values[b] / low, a, b
    if factor < RISE_FACTOR:
        return []
    n = number[j] - number[i]
    return [Finding(
        "divergence",
        f"loss rose {factor:.3g}× in {n} {unit}{'s' if n > 1 else ''} "
        f"({unit} {number[i]} → {number[j]})",
        "the learning rate is probably too high: try one 10× smaller",
        value=factor,
    )]  # fmt: skip


def drift_findings(first: float, last: float, n: int, *, unit: str = "epoch") -> list[Finding]:
    """From the first and last of `n` losses: a loss that doubled, or one stuck on a plateau."""
    if n < PLATEAU_EPOCHS or not first > 0:
        return []
    drop = (first - last) / first
    if drop <= -1.0:  # slower than RISE_FACTOR in RISE_WINDOW, but the loss at least doubled
        return [Finding(
            "divergence",
            f"loss rose {1 - drop:.3g}× in {n} {unit}s ({first:.4g} → {last:.4g})",
            "the learning rate is probably too high: try one 10× smaller",
            value=1 - drop,
        )]  # fmt: skip
    if abs(drop) < PLATEAU_DROP:
        return [Finding(
            "plateau",
            f"loss moved only {abs(drop):.2%} in {n} {unit}s ({first:.4g} → {last:.4g})",
            "the network is not learning: the learning rate is probably too low (try one "
            "10× larger), or units are dead or saturated (see the other findings), or the "
            "targets do not depend on the inputs",
            value=drop,
        )]  # fmt: skip
    return []


def activation_outputs(layers: Sequence[Layer]) -> dict[int, Array]:
    """The output each activation layer cached in the last training step, by layer index."""
    return {i: out for i, layer in enumerate(layers) if (out := cached_output(layer)) is not None}


def activation_findings(layers: Sequence[Layer], outputs: dict[int, Array]) -> list[Finding]:
    """Dead ReLUs and saturated sigmoid/tanh units among the hidden layers' `outputs`."""
    findings: list[Finding] = []
    last = len(layers) - 1
    for i, out in outputs.items():
        layer = layers[i]
        if i == last:  # a saturated output is a confident answer, not a stuck hidden unit
            continue
        stats = activation_stats(layer, out)
        if isinstance(layer, (ReLU, LeakyReLU)) and stats["dead"] >= DEAD_SHARE:
            n_dead = round(stats["dead"] * out.shape[1])
            findings.append(Finding(
                "dead_relu",
                f"{n_dead} of {out.shape[1]} units of layer {i + 1} ({layer.kind}) output 0 "
                f"for every sample ({stats['dead']:.0%} dead)",
                "a dead ReLU gets no gradient and never recovers: lower the learning rate, "
                "start biases at 0 with He initialisation, or use LeakyReLU",
                layer=i,
                value=stats["dead"],
            ))  # fmt: skip
        if isinstance(layer, (Sigmoid, Tanh)) and stats["saturated"] >= SATURATED_SHARE:
            name = "σ'" if isinstance(layer, Sigmoid) else "tanh'"
            findings.append(Finding(
                "saturation",
                f"{stats['saturated']:.0%} of layer {i + 1}'s {layer.kind} outputs are "
                f"saturated (within {0.01:g} of their limits, where {name} ≈ 0)",
                "saturated units pass almost no gradient back: standardise the inputs, start "
                "from smaller weights (Glorot initialisation), or use ReLU",
                layer=i,
                value=stats["saturated"],
            ))  # fmt: skip
    return findings


def gradient_findings(layers: Sequence[Layer], reports: Sequence[LayerReport]) -> list[Finding]:
    """Exploding gradients in any Dense layer; vanishing ones in the first versus the last."""
    findings: list[Finding] = []
    dense = [r for r in reports if r.kind == "Dense"]
    for r in dense:
        size = max(r.weight_norm, 1.0)
        if not math.isfinite(r.gradient_norm) or r.gradient_norm > EXPLODING_GRADIENT * size:
            findings.append(Finding(
                "exploding_gradient",
                f"the gradient of layer {r.index + 1} has norm {r.gradient_norm:.3g} "
                f"(its weights: {r.weight_norm:.3g})",
                "gradients this large throw the weights far: lower the learning rate, "
                "standardise the inputs, or clip gradients (SGD(..., clip_norm=1.0))",
                layer=r.index,
                value=r.gradient_norm,
            ))  # fmt: skip
    if len(dense) >= 2 and not findings:
        first, last = dense[0], dense[-1]
        rel_first = first.gradient_norm / max(first.weight_norm, 1e-12)
        rel_last = last.gradient_norm / max(last.weight_norm, 1e-12)
        if rel_last > CONVERGED_GRADIENT and rel_first < VANISHING_RATIO * rel_last:
            findings.append(Finding(
                "vanishing_gradient",
                f"the gradient reaching layer {first.index + 1} is {rel_first / rel_last:.1e} "
                f"times (relative to its weights) the one at layer {last.index + 1}",
                "the first layers barely learn: look for saturated or dead units, use ReLU "
                "with He initialisation, or fewer layers",
                layer=first.index,
                value=rel_first / rel_last,
            ))  # fmt: skip
    return findings


def update_findings(reports: Sequence[LayerReport]) -> list[Finding]:
    """Steps far too large or far too small for the weights they move."""
    findings: list[Finding] = []
    for r in reports:
        ratio = r.update_ratio
        if math.isnan(ratio):
            continue
        if ratio > LARGE_UPDATE:
            findings.append(Finding(
                "large_updates",
                f"one step changes layer {r.index + 1}'s weights by {ratio:.0%} of their size "
                "(about 0.1% is healthy)",
                "the learning rate is probably too high: try one 10× smaller",
                layer=r.index,
                value=ratio,
            ))  # fmt: skip
        elif ratio < SMALL_UPDATE and r.gradient_norm > CONVERGED_GRADIENT * r.weight_norm:
            findings.append(Finding(
                "small_updates",
                f"one step changes layer {r.index + 1}'s weights by only {ratio:.1e} of their "
                "size (about 1e-3 is healthy), though the gradient is not small",
                "the learning rate is probably too low: try one 10× or 100× larger",
                layer=r.index,
                value=ratio,
            ))  # fmt: skip
    return findings


def coherent(findings: Sequence[Finding]) -> list[Finding]:
    """The findings with no contradictory advice: when one says the learning rate is too high
    (`RATE_TOO_HIGH`: a rising loss, huge steps or gradients, dead ReLUs), a plateau or small
    updates do not also say it is too low; their hints point to the other findings instead."""
    if not any(f.code in RATE_TOO_HIGH for f in findings):
        return list(findings)
    hints = {
        "plateau": "the network is not learning, and the other findings say why: raising the "
        "learning rate would make them worse",
        "small_updates": "this layer barely moves while the other findings say the learning "
        "rate is too high: the layers learn at very different speeds; standardise the inputs, "
        "or use Adam, which scales each weight's step",
    }
    return [replace(f, hint=hints[f.code]) if f.code in RATE_TOO_LOW else f for f in findings]


def loss_record(losses: Sequence[float], *, max_points: int = HISTORY_POINTS) -> dict[str, Any]:
    """A training's loss curve, small enough for a model file's metadata (JSON).

    Keeps at most `max_points` epochs, evenly spread, always the first and last; the losses
    rounded to 6 significant digits; a non-finite loss as None. `stored_losses` reads it back.

    Returns
    -------
    dict
        ``{"epoch": [1, ...], "loss": [...]}``, epochs counted from 1.
    """
    n = len(losses)
    every = max(1, math.ceil(n / max(max_points - 1, 1)))
    kept = list(range(0, n, every))
    if kept and kept[-1] != n - 1:
        kept.append(n - 1)
    values = [float(losses[i]) for i in kept]
    return {
        "epoch": [i + 1 for i in kept],
        "loss": [float(f"{v:.6g}") if math.isfinite(v) else None for v in values],
    }


def stored_losses(model: Sequential) -> tuple[list[float], list[int]] | None:
    """The loss curve `loss_record` left in ``model.metadata["training"]["history"]``, as
    (losses, epoch numbers); None when there is none, or what is there is not such a curve (a
    model file's metadata is whatever the file holds). A None loss reads back as infinity."""
    training = model.metadata.get("training")
    record = training.get("history") if isinstance(training, dict) else None
    if not isinstance(record, dict):
        return None
    epochs, losses = record.get("epoch"), record.get("loss")
    if not (isinstance(epochs, list) and isinstance(losses, list)) or not epochs:
        return None
    if len(epochs) != len(losses) or len(epochs) > HISTORY_POINTS:
        return None
    if not all(isinstance(e, int) and not isinstance(e, bool) for e in epochs):
        return None
    if any(b <= a for a, b in itertools.pairwise(epochs)) or epochs[0] < 1:
        return None
    values = []
    for v in losses:
        if v is None:
            values.append(math.inf)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            values.append(float(v))
        else:
            return None
    return values, epochs


def _losses_of(history: History | Trace | Sequence[float] | None) -> tuple[list[float], str]:
    if history is None:
        return [], "epoch"
    if isinstance(history, History):
        return list(history.loss), "epoch"
    if isinstance(history, Trace):
        return [float(v) for v in history.loss], "record"
    values = np.asarray(history) if isinstance(history, (list, tuple, np.ndarray)) else None
    if values is None or values.ndim != 1 or values.dtype.kind not in "iuf":
        raise GlassnetError(
            f"history must be a History, a Trace or a list of losses, got {history!r}"
        )
    return [float(v) for v in values], "epoch"


def _norm(a: Array) -> float:
    return float(np.sqrt(np.vdot(a, a).real)) if a.size else 0.0


def diagnose(
    model: Sequential,
    X: Any,
    y: Any,
    *,
    loss: str | _losses.Loss | None = None,
    optimizer: str | _optimizers.Optimizer | None = None,
    history: History | Trace | Sequence[float] | None = None,
    epochs: int = 0,
    batch_size: int | None = None,
    max_samples: int = 2048,
    seed: int = 0,
) -> Diagnosis:
    """Why isn't it learning? Measure one training step on a copy of the model, and the loss curve.

    On up to `max_samples` samples of (X, y) (a random subset when there are more), a copy of
    the model runs one forward pass, one backward pass and one step of a copy of the optimizer.
    That gives each layer's gradient norm, its dead and saturated units, and the size of the
    update relative to the weights. With `history`, the loss curve is checked for divergence
    (a 10× rise within 3 epochs, or a non-finite loss) and plateaus (less than 1% fall over 10 or
    more epochs). The model itself is not changed.

    Parameters
    ----------
    model : Sequential
    X : array-like of shape (n_samples, n_features_in)
    y : array-like of shape (n_samples, n_outputs), or (n_samples,) class labels
    loss, optimizer : Loss and Optimizer or names, optional
        Default: the model's own from its last fit.
    history : History, Trace or sequence of float, optional
        The loss curve of the training to judge. Default: the curve `loss_record` stored in
        ``model.metadata`` (``glassnet train`` stores it in the model file), unless `epochs`
        asks for a probe.
    epochs : int, default 0
        If positive (and no `history` is given), first train a copy of the model for this many
        epochs on the samples and judge that loss curve: a probe of how training goes from here.
    batch_size : int, optional
        The probe's batch size (default: the full batch).
    max_samples : int, default 2048
    seed : int, default 0
        Picks the subset when X has more than `max_samples` rows.

    Returns
    -------
    Diagnosis
        ``diagnosis.findings`` is empty when nothing looks wrong; ``print(diagnosis)`` shows a
        table and every finding with its hint.

    Examples
    --------
    >>> import glassnet as gn
    >>> X, y = gn.datasets.xor()
    >>> net = gn.Sequential([gn.Dense(2, 4, rng=0), gn.Tanh(), gn.Dense(4, 1, rng=1)])
    >>> history = net.fit(X, y, loss="mse", optimizer=gn.SGD(1e-7), epochs=20)
    >>> diagnose(net, X, y, history=history).codes
    ['plateau', 'small_updates', 'small_updates']
    """
    max_samples = positive_int(max_samples, "max_samples")
    seed = seed_of(seed, generator=False)
    epochs = count(epochs, "epochs", minimum=0)
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
    loss_fn = _losses.get(loss) if loss is not None else model.loss
    opt = _optimizers.get(optimizer) if optimizer is not None else model.optimizer
    if loss_fn is None:
        raise GlassnetError("diagnose needs a loss: pass loss=... or a model that has been fit")
    X = check_X(X, dtype=model.dtype, n_features=model.n_features_in)
    y = check_y(y, n_samples=len(X), n_outputs=model.n_outputs, dtype=model.dtype,
                labels=loss_fn.takes_labels)  # fmt: skip
    if len(X) > max_samples:
        pick = np.sort(np.random.default_rng(seed).choice(len(X), max_samples, replace=False))
        X, y = X[pick], y[pick]

    losses, unit = _losses_of(history)
    numbers = None
    if epochs and history is None:
        if opt is None:
            raise GlassnetError("a probe (epochs > 0) needs an optimizer: pass optimizer=...")
        losses = _probe(model, X, y, loss_fn, opt, epochs, batch_size, seed)
        unit = "probe epoch"
    elif history is None and (stored := stored_losses(model)) is not None:
        losses, numbers = stored  # the curve of the training that made the model

    # one step of the engine's own, on copies: the caller's model and optimizer stay as they
    # are. With no optimizer (a model saved without one) there is no update to measure; the
    # step needs one to be built, but its update is not run.
    net, loss_fn, opt = copy.deepcopy((model, loss_fn, opt))
    layers = net.layers
    step = Step(net, loss_fn, opt if opt is not None else _optimizers.SGD())
    value = step.forward_backward(X, y)
    outputs = activation_outputs(layers)  # what the step left behind, as `Watchdog` reads it
    before = {i: layer.params["weight"].copy() for i, layer in enumerate(layers)
              if isinstance(layer, Dense)}  # fmt: skip
    if opt is not None:
        step.update(step.params, step.grads)

    reports = []
    for i, layer in enumerate(layers):
        r = LayerReport(i, type(layer).__name__)
        if i in before:
            w0 = before[i]
            r.weight_norm = _norm(w0)
            r.gradient_norm = _norm(layer.grads["weight"])
            if opt is not None and r.weight_norm > 0:
                r.update_ratio = _norm(layer.params["weight"] - w0) / r.weight_norm
        if i in outputs:
            for key, v in activation_stats(layer, outputs[i]).items():
                setattr(r, key, v)
        reports.append(r)

    findings = loss_findings(losses, unit=unit, epochs=numbers)
    findings += activation_findings(layers, outputs)
    findings += gradient_findings(layers, reports)
    findings += update_findings(reports)
    return Diagnosis(coherent(findings), reports, float(value), len(X))


class _LossRecorder(Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> bool | None:
        self.losses.append(float(logs["loss"]))
        return None


def _probe(
    model: Sequential, X: Array, y: Array, loss: _losses.Loss, opt: _optimizers.Optimizer,
    epochs: int, batch_size: int | None, seed: int,
) -> list[float]:  # fmt: skip
    """The per-epoch losses of a copy of the model trained `epochs` more epochs (inf if it
    diverged)."""
    net, loss, opt = copy.deepcopy((model, loss, opt))
    recorder = _LossRecorder()
    try:
        with np.errstate(all="ignore"):  # a diverging probe is a finding, not a warning
            net.fit(X, y, loss=loss, optimizer=opt, epochs=positive_int(epochs, "epochs"),
                    batch_size=batch_size, seed=seed, callbacks=[recorder])  # fmt: skip
    except TrainingDivergedError:
        recorder.losses.append(math.inf)
    return recorder.losses


class Watchdog(Callback):
    """Warn during `fit` when training goes wrong, with `TrainingWarning` and a hint.

    At the end of each epoch it checks the loss curve so far (divergence, plateau), the outputs
    the hidden activation layers cached in the last batch (dead ReLUs, saturated units) and the
    gradients of the last batch. Each kind of problem is warned about once per fit. It only
    overrides `on_epoch_end`, so the batch loop never calls it.

    Examples
    --------
    >>> import glassnet as gn
    >>> X, y = gn.datasets.xor()
    >>> net = gn.Sequential([gn.Dense(2, 4, rng=0), gn.Tanh(), gn.Dense(4, 1, rng=1)])
    >>> history = net.fit(X, y, loss="mse", optimizer="adam", epochs=50, callbacks=[Watchdog()])
    """

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.warned: list[Finding] = []
        self._seen: set[tuple[str, int | None]] = set()

    def on_train_begin(self, model: Network) -> None:
        self.losses = []
        self._seen = set()

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> bool | None:
        for finding in self.check(logs, model):
            warnings.warn(f"epoch {epoch + 1}: {finding}", TrainingWarning, stacklevel=2)
        return None

    def check(self, logs: dict[str, float], model: Network) -> list[Finding]:
        """The findings of an epoch that ended with `logs`, each kind once per fit: what
        `on_epoch_end` warns about (for a caller that says it another way)."""
        new: list[Finding] = []
        self.losses.append(float(logs["loss"]))
        # only the newest window and the two ends: constant work per epoch, however long the fit
        n = len(self.losses)
        tail = self.losses[-(RISE_WINDOW + 1) :]
        findings = rise_findings(tail, start=n - len(tail) + 1)
        if not findings:
            findings = drift_findings(self.losses[0], self.losses[-1], n)
        findings += activation_findings(model.layers, activation_outputs(model.layers))
        reports = [
            LayerReport(i, "Dense", _norm(layer.params["weight"]), _norm(layer.grads["weight"]))
            for i, layer in enumerate(model.layers)
            if isinstance(layer, Dense)
        ]
        findings += gradient_findings(model.layers, reports)
        for finding in findings:
            key = (finding.code, finding.layer)
            if key in self._seen:
                continue
            self._seen.add(key)
            self.warned.append(finding)
            new.append(finding)
        return new
