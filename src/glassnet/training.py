"""The fit loop: batching, shuffling, validation, early stopping, callbacks, and `History`.

The hot path — `_Step` over one batch — allocates nothing once the first batch of each
size has run: batches are gathered with ``np.take(..., out=)`` into buffers made once, and every
layer, loss and optimizer writes into arrays it owns.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from types import FunctionType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from ._typing import Array, Call
from .errors import GlassnetError, TrainingDivergedError
from .layers import Dense, Dropout, Layer
from .validation import all_finite, check_X, check_y, positive_int

if TYPE_CHECKING:
    from .network import Sequential


class Callback:
    """Hooks into `fit`; override what you need. Only overridden hooks are called."""

    def on_train_begin(self, model: Sequential) -> None:
        """Before the first epoch."""

    def on_batch_end(self, step: int, model: Sequential, loss: float) -> None:
        """After each optimizer step; `step` counts from 1 over the whole fit."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Sequential) -> bool | None:
        """After each epoch (0-based); return True to stop training."""
        return None

    def on_train_end(self, model: Sequential, history: History) -> None:
        """After the last epoch (and after early stopping restored the best weights)."""


@dataclass
class EarlyStopping:
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    Parameters
    ----------
    patience : int, default 10
    min_delta : float, default 0.0
    monitor : str, default "val_loss" (falls back to "loss" with no validation data)
        A loss or MSE improves by falling; accuracy and R² improve by rising.
    restore_best_weights : bool, default True
    """

    patience: int = 10
    min_delta: float = 0.0
    monitor: str = "val_loss"
    restore_best_weights: bool = True


@dataclass
class History:
    """What happened during `fit`: one list per quantity, one entry per epoch.

    ``history["loss"]``, ``history["val_loss"]``, ``history["accuracy"]``, ... and
    ``history["learning_rate"]``, ``history["time"]`` (seconds per epoch).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: int = 0
    best_epoch: int | None = None
    stopped_early: bool = False

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def append(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs += 1

    @property
    def loss(self) -> list[float]:
        return self.history.get("loss", [])

    @property
    def val_loss(self) -> list[float]:
        return self.history.get("val_loss", [])

    def summary(self) -> dict[str, Any]:
        """The last value of each quantity, and the epoch counts (JSON-friendly)."""
        # JSON has no inf/NaN (a validation loss can overflow): those become null
        last: dict[str, float | None] = {
            k: v[-1] if math.isfinite(v[-1]) else None
            for k, v in self.history.items()
            if v and k != "time"
        }
        return {"epochs": self.epochs, "best_epoch": self.best_epoch, **last}


class _Step:
    """One training step — forward, loss, backward, optimizer update — over a batch.

    Built once per `fit`, so that the per-step work is only the arithmetic: the bound methods,
    the reversed layer order and the parameter lists are looked up here, not on every batch.

    A large batch (the full batch of a big data set) is computed a block of rows at a time, so
    that each layer's arrays stay in the CPU cache from one pass to the next instead of
    streaming through memory once per pass. The blocks' gradients add up to the batch's — a
    mean loss weights each block by its share of the rows — and one update follows.
    """

    #: bytes of the widest layer's array per block (a large block: few BLAS calls per step)
    BLOCK_BYTES = 1 << 21

    def __init__(self, model: Sequential, loss: _losses.Loss, optimizer: _optimizers.Optimizer):
        layers = self.layers = model.layers
        self.forwards = [layer.forward for layer in layers]
        self.backwards = [layer.backward for layer in layers[:0:-1]]
        self.first = layers[0]
        # nobody needs d loss / d X: a first Dense layer skips that product
        self.first_dense = self.first if isinstance(self.first, Dense) else None
        self.loss_forward, self.loss_backward = loss.forward, loss.backward
        self.mean_loss = loss.reduction == "mean"
        self.update = optimizer.step
        self.update_plan = optimizer.plan_step
        self.loss_plan = loss.plan if _plans_cover(loss) else partial(_losses.Loss.plan, loss)
        # the lowest layer with parameters: below it, backward has nothing to compute
        self.lowest_params = next((i for i, la in enumerate(layers) if la.params), len(layers))
        self.params, self.grads = model.parameters(), model.gradients()
        widths, width = [model.n_features_in], model.n_features_in
        for layer in layers:
            width = layer.output_width(width) or width
            widths.append(width)
        self.block_rows = max(256, self.BLOCK_BYTES // (max(widths) * model.dtype.itemsize))
        self.sums: list[Array] = []  # the gradients summed over blocks

    def __call__(
        self, xb: Array, yb: Array, observe: Callable[[Array, Array], None] | None = None
    ) -> float:
        """Train on one batch and return its loss; `observe(y, outputs)` sees every output."""
        n = len(xb)
        if n < 2 * self.block_rows:
            value = self.forward_backward(xb, yb, observe)
            self.update(self.params, self.grads)
            return value
        if not self.sums:
            self.sums = [np.empty_like(g) for g in self.grads]
        total = 0.0
        for i, (x, y, weight) in enumerate(self.blocks(xb, yb)):
            total += weight * self.forward_backward(x, y, observe, weight)
            for acc, g in zip(self.sums, self.grads):
                if i:
                    acc += g
                else:
                    np.copyto(acc, g)
        for acc, g in zip(self.sums, self.grads):
            np.copyto(g, acc)
        self.update(self.params, self.grads)
        return total

    def blocks(self, xb: Array, yb: Array) -> list[tuple[Array, Array, float]]:
        """(rows of xb, rows of yb, the block's weight in the batch's loss) for each block."""
        n = len(xb)
        if n < 2 * self.block_rows:
            return [(xb, yb, 1.0)]
        n_blocks = -(-n // self.block_rows)
        rows = -(-n // n_blocks)  # blocks of (nearly) equal size
        starts = range(0, n, rows)
        weights = [(min(n, i + rows) - i) / n if self.mean_loss else 1.0 for i in starts]
        return [(xb[i : i + rows], yb[i : i + rows], w) for i, w in zip(starts, weights)]

    def program(
        self,
        xb: Array,
        yb: Array,
        observe: Callable[[Array, Array], None] | None = None,
        *,
        keep_caches: bool = False,
    ) -> tuple[Callable[[], float], Call]:
        """The step on the batch arrays `xb`, `yb`, compiled into a function of no arguments.

        Each layer, the loss and the optimizer contribute their part of the step as pre-bound
        NumPy calls on the buffers they own (`Layer.plan_forward`), so running the step is
        those calls and nothing else: no method lookups, no buffer lookups, no branches. The
        function trains on whatever `xb` and `yb` hold when it is called — the fit loop
        gathers each batch into the same two arrays. A layer without a plan (a layer class of
        your own) makes it fall back to calling `forward` and `backward`.

        Returns the step and a call that points the layers' forward caches (what `Trace` reads)
        at this step's arrays, as running `forward` would; with `keep_caches` the step does so
        itself, first thing.
        """
        fallback = partial(self, xb, yb, observe), _nothing
        if not all(_plans_cover(layer) for layer in self.layers):
            return fallback
        blocks = self.blocks(xb, yb)
        if len(blocks) > 1 and not self.sums:
            self.sums = [np.empty_like(g) for g in self.grads]
        segments: list[tuple[list[Call], Callable[[], float], float, list[Call]]] = []
        caches: dict[int, list[tuple[Layer, str, Any]]] = {}  # the last block's, by layer
        for i, (x, y, weight) in enumerate(blocks):
            before: list[Call] = []
            out = x
            for layer in self.layers:
                planned = layer.plan_forward(out)
                if planned is None:
                    return fallback
                out, calls = planned
                before += calls
                caches[id(layer)] = [
                    (layer, name, getattr(layer, name))
                    for name in _CACHES
                    if getattr(layer, name, None) is not None
                ]
            value, grad, after = self.loss_plan(out, y)
            after = list(after)
            if observe is not None:
                after.insert(0, partial(observe, y, out))
            if weight != 1.0:
                after.append(partial(np.multiply, grad, weight, grad))
            for depth, layer in reversed(list(enumerate(self.layers))):
                if depth < self.lowest_params:
                    break  # no parameters below: nobody needs these gradients
                grad, calls = layer.plan_backward(grad, input_grad=depth > self.lowest_params)
                after += calls
            if len(blocks) > 1:  # gradients summed over blocks (the last lands in grads)
                pairs = zip(self.sums, self.grads)
                if i == 0:
                    after += [partial(np.copyto, acc, g) for acc, g in pairs]
                else:
                    target = "grads" if i == len(blocks) - 1 else "sums"
                    after += [
                        partial(np.add, acc, g, g if target == "grads" else acc) for acc, g in pairs
                    ]
            segments.append((before, value, weight, after))
        segments[-1][3].extend(self.update_plan(self.params, self.grads))
        restore = partial(_set_caches, [entry for entries in caches.values() for entry in entries])
        if keep_caches:
            segments[0][0].insert(0, restore)
        if len(segments) == 1:
            before, value, _, after = segments[0]
            return partial(_run_one, tuple(before), value, tuple(after)), restore
        return partial(_run, [(tuple(b), v, w, tuple(a)) for b, v, w, a in segments]), restore

    def forward_backward(
        self,
        xb: Array,
        yb: Array,
        observe: Callable[[Array, Array], None] | None = None,
        weight: float = 1.0,
    ) -> float:
        """Fill every layer's grads with d (weight · loss) / d params; return the loss."""
        out = xb
        for forward in self.forwards:
            out = forward(out, True)
        value = self.loss_forward(out, yb)
        if observe is not None:
            observe(yb, out)
        grad = self.loss_backward()
        if weight != 1.0:
            grad *= weight  # the loss's own buffer, rewritten by its next backward
        for backward in self.backwards:
            grad = backward(grad)
        if self.first_dense is not None:
            self.first_dense.backward(grad, input_grad=False)
        else:
            self.first.backward(grad)
        return value


def _run_one(before: Sequence[Call], value: Callable[[], float], after: Sequence[Call]) -> float:
    """Run a compiled step of one block (see `_Step.program`)."""
    for call in before:
        call()
    loss = value()
    for call in after:
        call()
    return loss


#: one block of a compiled step: (forward calls, loss value, block weight, calls after the value)
_Segment = tuple[Sequence[Call], Callable[[], float], float, Sequence[Call]]


def _run(segments: Sequence[_Segment]) -> float:
    """Run a compiled step of several blocks (see `_Step.program`)."""
    total = 0.0
    for before, value, weight, after in segments:
        for call in before:
            call()
        total += weight * value()
        for call in after:
            call()
    return total


#: the attributes in which layers cache their last forward pass (`Layer._x`, `_y`)
_CACHES = frozenset({"_x", "_y"})  # (Dropout sets its `_mask` as each step runs)


def _set_caches(caches: Sequence[tuple[Layer, str, Any]]) -> None:
    for layer, name, value in caches:
        setattr(layer, name, value)


def _nothing() -> None:
    pass


def _plans_cover(obj: object) -> bool:
    """True when each plan method of `obj` is defined at least as deep in its class tree as the
    method it mirrors: a subclass that overrides `forward` alone (or an instance given its own
    `forward`) falls back to `forward`."""
    mro = type(obj).__mro__

    def depth(name: str) -> int:
        return next(i for i, cls in enumerate(mro) if name in vars(cls))

    pairs = [("forward", "plan_forward"), ("backward", "plan_backward")]
    if isinstance(obj, _losses.Loss):
        pairs = [("forward", "plan"), ("backward", "plan")]
    if _replaced_on_instance(obj, [name for pair in pairs for name in pair]):
        return False
    return all(depth(plan) <= depth(method) for method, plan in pairs)


def _glassnets_own(obj: object) -> bool:
    """True for an instance of one of glassnet's own classes (not a subclass of one's own), with
    none of its methods replaced on the instance."""
    cls = type(obj)
    if not cls.__module__.startswith("glassnet."):
        return False
    methods = [name for name in dir(cls) if isinstance(getattr(cls, name, None), FunctionType)]
    return not _replaced_on_instance(obj, methods)


def _replaced_on_instance(obj: object, names: Sequence[str]) -> bool:
    """Whether any of these methods is replaced on `obj` itself.

    Each is looked up by name: asking for the instance's ``__dict__`` (``vars``) would make
    CPython keep its attributes in a real dict from then on, and every attribute read in the
    training loop slower (W1 lost 0.3 µs per iteration to that)."""
    cls = type(obj)
    for name in names:
        function = getattr(cls, name, None)
        if isinstance(function, FunctionType):
            bound = getattr(obj, name, None)
            if getattr(bound, "__func__", None) is not function:
                return True
    return False


def _what_diverged(total: float, params: list[Array]) -> str:
    return f"the loss became {total}" if _all_finite(params) else "the weights became inf/NaN"


def _all_finite(arrays: list[Array]) -> bool:
    """True when no array holds an inf or a NaN (checked after every epoch: kept lean)."""
    return all(map(all_finite, arrays))


def _split(
    X: Array, y: Array, fraction: float, rng: np.random.Generator
) -> tuple[Array, Array, Array, Array]:
    """A random `fraction` of the samples held out for validation."""
    if not 0.0 < fraction < 1.0:
        raise GlassnetError(f"validation_split must be in [0, 1), got {fraction!r}")
    n_val = math.ceil(len(X) * fraction)
    if n_val >= len(X):
        raise GlassnetError(
            f"validation_split={fraction} leaves no training samples out of {len(X)}"
        )
    order = rng.permutation(len(X))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return X[train], y[train], X[val], y[val]


# a diverging run overflows on its way to inf/NaN: stay quiet, detect it below and raise instead
@np.errstate(over="ignore", invalid="ignore")
def fit(
    model: Sequential,
    X: Any,
    y: Any,
    *,
    loss: str | _losses.Loss | None = None,
    optimizer: str | _optimizers.Optimizer | None = None,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    early_stopping: EarlyStopping | int | None = None,
    callbacks: Sequence[Callback] = (),
    metrics: Sequence[str] = (),
    seed: int | np.random.Generator | None = None,
    verbose: int = 0,
) -> History:
    """Train `model` on (X, y) with mini-batch gradient descent.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features_in)
    y : array-like of shape (n_samples, n_outputs), or (n_samples,) integer class labels
        for `CrossEntropy`.
    loss : Loss or name, optional
        Defaults to the loss of the model's previous `fit`.
    optimizer : Optimizer or name, optional
        Defaults to the optimizer of the previous `fit`, whose state carries on.
    epochs : int
        Passes over the data.
    batch_size : int, optional
        Samples per step; None (the default) means the full batch.
    shuffle : bool, default True
        Reshuffle the samples every epoch (mini-batches only).
    validation_data : (X_val, y_val), optional
    validation_split : float, default 0
        Hold out this fraction of (X, y), chosen at random with `seed`, for validation.
    early_stopping : EarlyStopping or int (patience), optional
    callbacks : sequence of Callback
    metrics : sequence of "accuracy", "mse", "r2"
        Computed on the training batches and on the validation data each epoch.
    seed : int or Generator, optional
        Seeds shuffling, the validation split and dropout: equal seeds give bit-identical runs.
    verbose : int, default 0
        1 prints one line per epoch to stderr.

    Returns
    -------
    History
    """
    loss_fn = _losses.get(loss) if loss is not None else model.loss
    if loss_fn is None:
        raise GlassnetError("fit needs a loss, e.g. loss='mse' or loss=CrossEntropy()")
    if optimizer is not None:
        opt = _optimizers.get(optimizer)
    elif model.optimizer is not None:
        opt = model.optimizer
    else:
        raise GlassnetError("fit needs an optimizer, e.g. optimizer='adam' or optimizer=SGD(0.1)")
    epochs = positive_int(epochs, "epochs")
    dtype = model.dtype
    X = check_X(X, dtype=dtype, n_features=model.n_features_in)
    labels = loss_fn.takes_labels
    y = check_y(y, n_samples=len(X), n_outputs=model.n_outputs, dtype=dtype, labels=labels)

    seeds = np.random.SeedSequence(seed if not isinstance(seed, np.random.Generator) else None)
    if isinstance(seed, np.random.Generator):
        seeds = np.random.SeedSequence(int(seed.integers(2**63)))
    dropouts = [layer for layer in model.layers if isinstance(layer, Dropout)]
    children = seeds.spawn(1 + len(dropouts))
    rng = np.random.default_rng(children[0])
    for layer, child in zip(dropouts, children[1:]):
        layer.rng = np.random.default_rng(child)

    X_val = y_val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise GlassnetError("validation_data must be a pair (X_val, y_val)")
        X_val = check_X(validation_data[0], dtype=dtype, n_features=model.n_features_in,
                        name="X_val")  # fmt: skip
        y_val = check_y(validation_data[1], n_samples=len(X_val), n_outputs=model.n_outputs,
                        dtype=dtype, labels=labels, name="y_val")  # fmt: skip
    elif validation_split:
        X, y, X_val, y_val = _split(X, y, float(validation_split), rng)

    n = len(X)
    if batch_size is None:
        batch_size = n
    batch_size = min(positive_int(batch_size, "batch_size"), n)
    stopper = (
        EarlyStopping(patience=early_stopping)
        if isinstance(early_stopping, int)
        else (early_stopping)
    )
    if stopper is not None:
        positive_int(stopper.patience, "early_stopping patience")
    for name in metrics:
        _metrics.get(name, loss_fn)
    monitor = None
    if stopper is not None:
        monitor = stopper.monitor if X_val is not None else stopper.monitor.removeprefix("val_")

    model.loss, model.optimizer = loss_fn, opt
    history = History()
    params = model.parameters()
    start_weights, start_state = model.get_weights(), opt.state_dict()
    best_value, best_weights, wait = math.inf, None, 0

    batch_hooks = [cb for cb in callbacks if _overrides(cb, "on_batch_end")]
    for cb in callbacks:
        cb.on_train_begin(model)

    full_batch = batch_size >= n
    order = np.arange(n)
    if not full_batch:  # the batches are gathered into these, made once
        xbuf = np.empty((batch_size, X.shape[1]), dtype=dtype)
        ybuf = np.empty((batch_size, *y.shape[1:]), dtype=y.dtype)
        n_last = n % batch_size
        xlast = np.empty((n_last, X.shape[1]), dtype=dtype) if n_last else xbuf
        ylast = np.empty((n_last, *y.shape[1:]), dtype=y.dtype) if n_last else ybuf
    train_metrics = [_metrics.get(name, loss_fn) for name in metrics]
    train_step = _Step(model, loss_fn, opt)

    def update_metrics(y_batch: Array, out: Array) -> None:
        for m in train_metrics:
            m.update(y_batch, out)

    observe = update_metrics if train_metrics else None
    step = 0

    def diverged(epoch: int, what: str, found_after: bool = False) -> TrainingDivergedError:
        model.set_weights(start_weights)
        opt.load_state_dict(start_state)  # no inf/NaN momenta left for the next fit
        when = f"by epoch {epoch + 1}" if found_after else f"at epoch {epoch + 1}"
        return TrainingDivergedError(
            f"training diverged {when}: {what}; the weights "
            f"were restored to where fit started. Try a smaller learning rate "
            f"(it was {opt.learning_rate:g})"
        )

    if full_batch and not (train_metrics or callbacks or X_val is not None or stopper or verbose):
        # The lean loop (the tutorial's case): one step per epoch and nothing else to report,
        # so only the three lists History keeps are filled — no per-epoch dicts.
        # When the step is glassnet's own arithmetic (compiled, no class of one's own), divergence
        # is caught where it happens: NumPy raises at the first overflow or invalid operation,
        # which that arithmetic never makes on finite numbers — so no epoch pays for scanning
        # the weights, and one scan at the end covers the rest.
        losses, rates, times = [], [], []
        clock = time.perf_counter
        run, restore = train_step.program(X, y)
        before: Sequence[Call] = ()
        after: Sequence[Call] = ()
        loss_value: Callable[[], float] | None = None
        if isinstance(run, partial) and run.func is _run_one:
            before, loss_value, after = run.args
        compiled = isinstance(run, partial) and run.func in (_run_one, _run)
        own_optimizer = _glassnets_own(opt) and _glassnets_own(opt.schedule)
        trusted = compiled and own_optimizer and all(map(_glassnets_own, [*model.layers, loss_fn]))
        # glassnet's optimizers move the rate only in set_epoch, and the constant schedule never
        # does: then set_epoch once is enough; anything else gets it every epoch, as in the
        # general loop
        scheduled = not own_optimizer or type(opt.schedule) is not _optimizers.Constant
        if not scheduled:
            opt.set_epoch(opt.epoch)
        epoch = 0
        try:
            with np.errstate(over="raise", invalid="raise") if trusted else nullcontext():
                start = clock()
                for epoch in range(epochs):
                    if scheduled:
                        opt.set_epoch(opt.epoch)
                    if loss_value is None:
                        total = run()
                    else:  # a one-block step, run here: one Python call less per epoch
                        for call in before:
                            call()
                        total = loss_value()
                        for call in after:
                            call()
                    opt.epoch += 1
                    if not (math.isfinite(total) and (trusted or _all_finite(params))):
                        raise diverged(epoch, _what_diverged(total, params))
                    losses.append(total)
                    rates.append(opt.learning_rate)
                    end = clock()
                    times.append(end - start)
                    start = end
        except FloatingPointError as error:
            raise diverged(epoch, f"NumPy reported {error}") from None
        if not _all_finite(params):
            raise diverged(epoch, "the weights became inf/NaN", found_after=True)
        restore()
        history.history = {"loss": losses, "learning_rate": rates, "time": times}
        history.epochs = epochs
        epochs = 0  # done: skip the general loop below

    if epochs:  # callbacks that see every batch may read the layers' caches: keep them true
        keep = bool(batch_hooks)
        xb, yb = (X, y) if full_batch else (xbuf, ybuf)
        run_full, restore = train_step.program(xb, yb, observe, keep_caches=keep)
        run_last = run_full
        if not full_batch and n_last:
            run_last, restore = train_step.program(xlast, ylast, observe, keep_caches=keep)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        opt.set_epoch(opt.epoch)
        for m in train_metrics:
            m.reset()
        total = 0.0
        if full_batch:
            total = run_full()
            step += 1
            for cb in batch_hooks:
                cb.on_batch_end(step, model, total)
        else:
            if shuffle:
                rng.shuffle(order)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                whole = len(idx) == batch_size
                xb, yb = (xbuf, ybuf) if whole else (xlast, ylast)
                X.take(idx, 0, xb)  # np.take, minus its Python wrapper
                y.take(idx, 0, yb)
                value = run_full() if whole else run_last()
                total += value * len(idx) if loss_fn.reduction == "mean" else value
                step += 1
                for cb in batch_hooks:
                    cb.on_batch_end(step, model, value)
            if loss_fn.reduction == "mean":
                total /= n
        opt.epoch += 1

        if not (math.isfinite(total) and _all_finite(params)):
            raise diverged(epoch, _what_diverged(total, params))
        logs: dict[str, float] = {"loss": total}
        for m in train_metrics:
            logs[m.name] = m.result()
        if X_val is not None and y_val is not None:
            out_val = model._predict(X_val)
            logs["val_loss"] = loss_fn.forward(out_val, y_val)
            for name in metrics:
                logs["val_" + name] = _metrics.compute(name, y_val, out_val, loss_fn)
        logs["learning_rate"] = opt.learning_rate
        logs["time"] = time.perf_counter() - t0
        history.append(logs)
        if verbose:
            shown = "  ".join(f"{k} {v:.6g}" for k, v in logs.items() if k != "learning_rate")
            print(f"epoch {epoch + 1}/{epochs}  {shown}", file=sys.stderr)

        stop = False
        if stopper is not None and monitor is not None:
            watched = logs.get(monitor)
            if watched is None:
                raise GlassnetError(f"early stopping monitors {monitor!r}, which fit did not log")
            if monitor.removeprefix("val_") in ("accuracy", "r2"):
                watched = -watched  # higher is better: minimise its negative
            if watched < best_value - stopper.min_delta:
                best_value, wait, history.best_epoch = watched, 0, epoch
                if stopper.restore_best_weights:
                    best_weights = model.get_weights()
            else:
                wait += 1
                stop = wait >= stopper.patience
        for cb in callbacks:
            if cb.on_epoch_end(epoch, logs, model):
                stop = True
        if stop:
            history.stopped_early = epoch + 1 < epochs
            break

    if epochs:
        restore()  # the caches hold the last training batch's forward pass, as forward leaves them
    if best_weights is not None:
        model.set_weights(best_weights)
    model.metadata["training"] = history.summary()
    for cb in callbacks:
        cb.on_train_end(model, history)
    return history


def _overrides(callback: Callback, hook: str) -> bool:
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)
