"""The fit loop: mini-batch gradient descent over epochs, with validation and callbacks.

`fit` reads as its phases: resolve the loss and optimizer, check and split the data, then run
either the lean loop (a full batch with nothing to report: the tutorial's case) or the epoch
loop (batches, metrics, validation, callbacks), and finish. The step itself — forward, loss,
backward, update — is `compiled.Step`; callbacks and `History` live in `callbacks`.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from . import kernels
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from ._typing import Array, Call, Network
from .callbacks import Callback, EarlyStopping, History, overrides
from .compiled import RUNNERS, Step, run_one
from .duo import Duo
from .errors import GlassnetError, TrainingDivergedError
from .layers import Dropout
from .lbfgs import Evaluation, minimize
from .plans import glassnets_own
from .validation import (
    all_finite,
    check_sample_weight,
    check_targets,
    check_X,
    check_y,
    flag,
    is_integer,
    level,
    n_rows,
    names,
    number_in,
    positive_int,
    seed_of,
)

__all__ = ["Callback", "EarlyStopping", "History", "fit"]


def _what_diverged(total: float, params: list[Array]) -> str:
    return f"the loss became {total}" if _all_finite(params) else "the weights became inf/NaN"


def _all_finite(arrays: Sequence[Array]) -> bool:
    """True when no array holds an inf or a NaN (checked after every epoch: kept lean)."""
    return all(map(all_finite, arrays))


def _split(X: Array, y: Array, w: Array | None, fraction: float, rng: np.random.Generator) -> _Data:
    """A random `fraction` of the samples (and their weights) held out for validation."""
    n = n_rows(X)
    n_val = math.ceil(n * fraction)
    if n_val >= n:
        raise GlassnetError(f"validation_split={fraction} leaves no training samples out of {n}")
    order = rng.permutation(n)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    if w is None:
        return _Data(X[train], y[train], X[val], y[val], rng)
    return _Data(X[train], y[train], X[val], y[val], rng, w[train], w[val])


@dataclass
class _Data:
    """The checked training and validation arrays, and the generator for shuffling.

    `X` (and `X_val`) may be a CSR matrix; `w` and `w_val` are per-sample weights, or None."""

    X: Any
    y: Array
    X_val: Any | None
    y_val: Array | None
    rng: np.random.Generator
    w: Array | None = None
    w_val: Array | None = None

    @property
    def general(self) -> bool:
        """Whether the batches need the step's methods: sparse X, or weighted samples."""
        return self.w is not None or not isinstance(self.X, np.ndarray)


def _components(
    model: Network,
    loss: str | _losses.Loss | None,
    optimizer: str | _optimizers.Optimizer | None,
) -> tuple[_losses.Loss, _optimizers.Optimizer]:
    """The loss and optimizer to train with: the ones given, else the model's previous ones."""
    loss_fn = _losses.get(loss) if loss is not None else model.loss
    if loss_fn is None:
        raise GlassnetError("fit needs a loss, e.g. loss='mse' or loss=CrossEntropy()")
    if optimizer is not None:
        return loss_fn, _optimizers.get(optimizer)
    if model.optimizer is not None:
        return loss_fn, model.optimizer
    raise GlassnetError("fit needs an optimizer, e.g. optimizer='adam' or optimizer=SGD(0.1)")


def _data(
    model: Network,
    X: Any,
    y: Any,
    loss: _losses.Loss,
    validation_data: tuple[Any, Any] | None,
    validation_split: float,
    seed: int | np.random.Generator | None,
    sample_weight: Any = None,
) -> _Data:
    """Check (X, y), the weights and the validation data; seed shuffling, the split and every
    Dropout."""
    dtype, labels = model.dtype, loss.takes_labels
    seed = seed_of(seed)
    split = number_in(validation_split, "validation_split", 0.0, 1.0)
    if split and validation_data is not None:
        raise GlassnetError(
            f"pass validation_split={validation_split!r} or validation_data, not both"
        )
    X = check_X(X, dtype=dtype, n_features=model.n_features_in)
    y = check_y(y, n_samples=n_rows(X), n_outputs=model.n_outputs, dtype=dtype, labels=labels)
    check_targets(y, loss)
    w = None if sample_weight is None else check_sample_weight(sample_weight, n_rows(X), dtype)

    seeds = np.random.SeedSequence(seed if not isinstance(seed, np.random.Generator) else None)
    if isinstance(seed, np.random.Generator):
        seeds = np.random.SeedSequence(int(seed.integers(2**63)))
    dropouts = [layer for layer in model.layers if isinstance(layer, Dropout)]
    children = seeds.spawn(1 + len(dropouts))
    rng = np.random.default_rng(children[0])
    for layer, child in zip(dropouts, children[1:]):
        layer.rng = np.random.default_rng(child)

    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise GlassnetError("validation_data must be a pair (X_val, y_val)")
        X_val = check_X(validation_data[0], dtype=dtype, n_features=model.n_features_in,
                        name="X_val")  # fmt: skip
        y_val = check_y(validation_data[1], n_samples=n_rows(X_val), n_outputs=model.n_outputs,
                        dtype=dtype, labels=labels, name="y_val")  # fmt: skip
        check_targets(y_val, loss, "y_val")
        return _Data(X, y, X_val, y_val, rng, w)
    if split:
        return _split(X, y, w, split, rng)
    return _Data(X, y, None, None, rng, w)


def _stopper(early_stopping: EarlyStopping | int | None) -> EarlyStopping | None:
    """`early_stopping` as an `EarlyStopping` (an int is its patience), checked."""
    if early_stopping is None or isinstance(early_stopping, EarlyStopping):
        return early_stopping
    if is_integer(early_stopping):
        return EarlyStopping(patience=positive_int(early_stopping, "early_stopping patience"))
    raise GlassnetError(
        "early_stopping must be an EarlyStopping or its patience (a positive integer), "
        f"got {early_stopping!r}"
    )


def _hooks(stopper: EarlyStopping | None, callbacks: Any) -> list[Callback]:
    """The callbacks fit tells, the stopper first; a GlassnetError for anything else."""
    if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, (list, tuple)):
        raise GlassnetError(f"callbacks must be a list of Callback objects, got {callbacks!r}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise GlassnetError(
                f"callbacks[{i}] must be a glassnet Callback (a subclass overriding its hooks), "
                f"got {cb!r}"
            )
    return [stopper, *callbacks] if stopper is not None else list(callbacks)


def _logged(metrics: Sequence[str], validation: bool) -> list[str]:
    """The names each epoch's logs will hold (what callbacks can monitor)."""
    names = ["loss", *metrics]
    return [*names, *(["val_" + n for n in names] if validation else []), "learning_rate", "time"]


class _Guard:
    """Watches for divergence: on it, puts back the weights and optimizer state fit started
    from, and makes the error that says so."""

    #: an epoch loss above this many times the first epoch's is divergence (caught long before
    #: it overflows; relative, so a sum-squared error that is large on big data is no alarm)
    GROWTH = 1e6
    #: ... and above this: from a nearly perfect fit (a warm start at a loss of 1e-12, say), a
    #: millionfold is still a small loss, not a run that is blowing up
    FLOOR = 1.0

    def __init__(self, model: Network, optimizer: _optimizers.Optimizer) -> None:
        self.model, self.optimizer = model, optimizer
        self.params = model.parameters()
        self.weights, self.state = model.get_weights(), optimizer.state_dict()
        self.first = math.nan  # the first epoch's loss
        self.limit = math.inf  # GROWTH × that (at least FLOOR), once it is known and positive

    def check(self, epoch: int, total: float, weights_too: bool = True) -> None:
        """Raise when the epoch's loss (or, with `weights_too`, a weight) is not finite, or
        the loss has grown more than `GROWTH`-fold over the first epoch's."""
        if not (math.isfinite(total) and (not weights_too or _all_finite(self.params))):
            raise self.diverged(epoch, _what_diverged(total, self.params))
        if total > self.limit:
            raise self.diverged(
                epoch,
                f"the loss grew from {self.first:.4g} (epoch 1) to {total:.4g}, more than "
                f"{self.GROWTH:.0e}-fold",
            )
        if epoch == 0:
            self.first = total
            self.limit = max(self.GROWTH * total, self.FLOOR) if total > 0 else math.inf

    def diverged(self, epoch: int, what: str, found_after: bool = False) -> TrainingDivergedError:
        reached = self.optimizer.learning_rate  # where a schedule had taken it (before restoring)
        for p, w in zip(self.params, self.weights):  # as fit found them, finite or not
            np.copyto(p, w)
        self.optimizer.load_state_dict(self.state)  # no inf/NaN momenta left for the next fit
        when = f"by epoch {epoch + 1}" if found_after else f"at epoch {epoch + 1}"
        if isinstance(self.optimizer, _optimizers.LBFGS):  # no learning rate to blame
            return TrainingDivergedError(
                f"training diverged {when}: {what}; the weights were restored to where fit "
                "started. Try scaling the inputs or a larger weight_decay"
            )
        schedule = self.optimizer.schedule  # the rate the user set, not where a schedule is
        rate = f"it was {schedule.learning_rate:g}"
        if reached != schedule.learning_rate:
            rate += f", scheduled to {reached:g} by then"
        return TrainingDivergedError(
            f"training diverged {when}: {what}; the weights "
            f"were restored to where fit started. Try a smaller learning rate ({rate})"
        )


# a diverging run overflows on its way to inf/NaN: stay quiet, detect it below and raise instead
@np.errstate(over="ignore", invalid="ignore")
def fit(
    model: Network,
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
    sample_weight: Any = None,
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
    sample_weight : array-like of shape (n_samples,), optional
        Each sample's weight in the loss: a batch's loss is the weighted mean Σ wᵢ·ℓᵢ / Σ w
        (the weighted sum for a "sum" loss), as scikit-learn weighs its MLP's. A validation
        split carries its weights, and `val_loss` is weighted too. None: the unweighted step.

    X may also be a scipy.sparse matrix (CSR, CSC, ...): the first Dense layer multiplies it
    sparse × dense, and its weight gradient xᵀ·grad never densifies it.

    Returns
    -------
    History
    """
    loss_fn, opt = _components(model, loss, optimizer)
    epochs = positive_int(epochs, "epochs")
    shuffle, verbose = flag(shuffle, "shuffle"), level(verbose, "verbose")
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
    stopper = _stopper(early_stopping)
    if isinstance(opt, _optimizers.LBFGS) and batch_size is not None:
        raise GlassnetError(
            f"LBFGS trains on the full batch: leave batch_size unset (got {batch_size})"
        )
    hooks = _hooks(stopper, callbacks)
    metrics = names(metrics, "metrics")
    train_metrics = [_metrics.get(name, loss_fn) for name in metrics]
    data = _data(model, X, y, loss_fn, validation_data, validation_split, seed, sample_weight)
    logged = _logged(metrics, data.X_val is not None)
    for cb in hooks:  # before any weight moves: a stopper watching what is never logged
        if isinstance(cb, EarlyStopping):
            cb.check(logged)
    opt.bind(model.parameters())  # an optimizer with state belongs to one model
    if glassnets_own(opt.schedule):  # a rate that passes float64 by the end: said now
        opt.schedule(opt.epoch + epochs - 1)
    n = n_rows(data.X)
    batch_size = n if batch_size is None else min(batch_size, n)

    model.loss, model.optimizer = loss_fn, opt
    history = History()
    guard = _Guard(model, opt)
    for cb in hooks:
        cb.on_train_begin(model)
    step = Step(model, loss_fn, opt)  # after the hooks: it binds what they may have changed

    if isinstance(opt, _optimizers.LBFGS):
        _lbfgs_loop(step, data, epochs, train_metrics, hooks, guard, history, verbose)
    elif batch_size >= n and not (
        train_metrics or hooks or data.X_val is not None or verbose or data.general
    ):
        _lean_loop(step, data, epochs, guard, history)
    else:
        _epoch_loop(step, data, epochs, batch_size, shuffle, train_metrics, hooks, guard,
                    history, verbose)  # fmt: skip

    stoppers = [cb for cb in hooks if isinstance(cb, EarlyStopping)]
    if stoppers:  # the one `early_stopping` names, or else one passed among the callbacks
        history.best_epoch = stoppers[0].best_epoch
    model.metadata["training"] = history.summary()
    # the stoppers first: the other callbacks see the restored best weights
    for cb in stoppers + [cb for cb in hooks if not isinstance(cb, EarlyStopping)]:
        cb.on_train_end(model, history)
    return history


def _lean_loop(step: Step, data: _Data, epochs: int, guard: _Guard, history: History) -> None:
    """A full batch, one step per epoch, and nothing else to report (the tutorial's case).

    Only the three lists `History` keeps are filled — no per-epoch dicts. When the step is
    glassnet's own arithmetic (compiled, no class of one's own), divergence is caught where it
    happens: NumPy raises at the first overflow or invalid operation, which that arithmetic never
    makes on finite numbers — so no epoch pays for scanning the weights, and one scan at the end
    covers the rest.
    """
    opt, model = guard.optimizer, guard.model
    losses, rates, times = [], [], []
    clock = time.perf_counter
    run, restore = step.program(data.X, data.y)
    before: Sequence[Call] = ()
    after: Sequence[Call] = ()
    loss_value: Callable[[], float] | None = None
    if isinstance(run, partial) and run.func is run_one:
        before, loss_value, after = run.args
    compiled = isinstance(run, partial) and run.func in RUNNERS
    own_optimizer = glassnets_own(opt) and glassnets_own(opt.schedule)
    parts = [*model.layers, model.loss]
    trusted = compiled and own_optimizer and all(map(glassnets_own, parts))
    # glassnet's optimizers move the rate only in set_epoch, and the constant schedule never
    # does: then set_epoch once is enough; anything else gets it every epoch, as in the epoch loop
    scheduled = not own_optimizer or type(opt.schedule) is not _optimizers.Constant
    if not scheduled:
        opt.set_epoch(opt.epoch)
    epoch = 0
    # The guard is asked only when the loss is not below `limit`: every epoch when the weights
    # must be scanned, else at epoch 1 (where it learns the loss to measure growth against) and
    # whenever the loss is NaN, inf or past that growth — one comparison per epoch otherwise.
    limit = -math.inf
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
                if scheduled:
                    opt.epoch += 1
                    rates.append(opt.learning_rate)
                if not total < limit:
                    guard.check(epoch, total, weights_too=not trusted)
                    if trusted:
                        limit = guard.limit
                losses.append(total)
                end = clock()
                times.append(end - start)
                start = end
    except FloatingPointError as error:
        raise guard.diverged(epoch, f"NumPy reported {error}") from None
    if not _all_finite(guard.params):
        raise guard.diverged(epoch, "the weights became inf/NaN", found_after=True)
    if not scheduled:  # a constant rate: the counter and the rates kept once, not per epoch
        opt.epoch += epochs
        rates = [opt.learning_rate] * epochs
    restore()
    history.history = {"loss": losses, "learning_rate": rates, "time": times}
    history.epochs = epochs


def _epoch_loop(
    step: Step,
    data: _Data,
    epochs: int,
    batch_size: int,
    shuffle: bool,
    train_metrics: list[_metrics.Metric],
    hooks: list[Callback],
    guard: _Guard,
    history: History,
    verbose: int,
) -> None:
    """Epochs of batches; after each: the logs (loss, metrics, validation), callbacks, stopping."""
    model, opt = guard.model, guard.optimizer
    X, y, n = data.X, data.y, n_rows(data.X)
    batch_hooks = [cb for cb in hooks if overrides(cb, "on_batch_end")]
    observe = _metrics.Observer(train_metrics) if train_metrics else None
    # callbacks that see every batch may read the layers' caches: keep them true
    keep = bool(batch_hooks)
    full_batch = batch_size >= n
    general = data.general
    two_cores: Duo | None = None
    if general:  # sparse or weighted batches: gathered afresh, trained through the methods
        restore: Call = _nothing
        order = np.arange(n)
    elif full_batch:
        run_full, restore = step.program(X, y, observe, keep_caches=keep)
    else:  # mini-batches gathered into buffers made once, each trained by a compiled step
        batches = _Batches(step, data, batch_size, observe, keep)
        restore, two_cores = batches.restore, step.duo
    count = 0  # optimizer steps so far
    held = two_cores.held() if two_cores is not None else nullcontext()
    with held:  # the second core's worker, if the step claimed it: released at the end
        for epoch in range(epochs):
            t0 = time.perf_counter()
            opt.set_epoch(opt.epoch)
            for m in train_metrics:
                m.reset()
            if general:
                total, count = _general_epoch(step, data, batch_size, shuffle, order, observe,
                                              batch_hooks, count, model)  # fmt: skip
            elif full_batch:
                total = run_full()
                count += 1
                for cb in batch_hooks:
                    cb.on_batch_end(count, model, total)
            else:
                total, count = batches.epoch(shuffle, batch_hooks, count, model)
            if observe is not None:
                observe.flush()
            stop = _epoch_end(step, data, epoch, epochs, total, t0, train_metrics, hooks, guard,
                              history, verbose)  # fmt: skip
            if stop:
                history.stopped_early = epoch + 1 < epochs
                break
    restore()  # the caches hold the last training batch's forward pass, as forward leaves them


class _Batches:
    """An epoch of mini-batches on the compiled path: each batch's rows gathered into buffers
    made once (the last, smaller batch into its own), each trained by the step compiled for
    them (`Step.program`); the step may claim the second core's worker (`glassnet.duo`), which
    then serves each epoch's batches and gathers half of each batch's rows."""

    def __init__(self, step: Step, data: _Data, rows: int, observe: Any, keep: bool) -> None:
        X, y = data.X, data.y
        self.step, self.data, self.rows = step, data, rows
        self.mean = step.loss.reduction == "mean"
        self.x = np.empty((rows, X.shape[1]), dtype=X.dtype)
        self.y = np.empty((rows, *y.shape[1:]), dtype=y.dtype)
        step.two_cores = True  # the step may claim the second core's worker
        self.run, self.restore = step.program(self.x, self.y, observe, keep_caches=keep)
        step.two_cores = step.duo is not None  # (not claimed by a last, smaller batch alone)
        self.x_last, self.y_last, self.run_last = self.x, self.y, self.run
        n_last = len(y) % rows
        if n_last:
            self.x_last = np.empty((n_last, X.shape[1]), dtype=X.dtype)
            self.y_last = np.empty((n_last, *y.shape[1:]), dtype=y.dtype)
            self.run_last, self.restore = step.program(self.x_last, self.y_last, observe,
                                                       keep_caches=keep)  # fmt: skip
        self.order = np.arange(len(y))
        self.gather = _gatherer(X, rows)  # after the step's plan: it may have imported Numba
        two_cores = step.duo
        self.serving = two_cores.serving if two_cores is not None else nullcontext
        if two_cores is not None:
            self.gather = two_cores.gatherer(X, rows) or self.gather

    def epoch(
        self, shuffle: bool, batch_hooks: list[Callback], count: int, model: Network
    ) -> tuple[float, int]:
        """One epoch: (its loss, optimizer steps so far)."""
        X, y, rows, order, gather = self.data.X, self.data.y, self.rows, self.order, self.gather
        n = len(order)
        xbuf, ybuf, run_full = self.x, self.y, self.run
        xlast, ylast, run_last, mean = self.x_last, self.y_last, self.run_last, self.mean
        if shuffle:
            self.data.rng.shuffle(order)
        total = 0.0
        with self.serving():
            for start in range(0, n, rows):
                idx = order[start : start + rows]
                whole = len(idx) == rows
                xb, yb = (xbuf, ybuf) if whole else (xlast, ylast)
                gather(X, idx, xb)
                y.take(idx, 0, yb)
                value = run_full() if whole else run_last()
                total += value * len(idx) if mean else value
                count += 1
                for cb in batch_hooks:
                    cb.on_batch_end(count, model, value)
        return (total / n if mean else total), count


#: batches of at least this many elements (rows × features) are gathered from a C-ordered float
#: `X` by the compiled `kernels.rows.take_rows` once Numba is imported (its load, a few ms, is then
#: repaid within an epoch); never worth importing Numba for alone
GATHER_FROM = 1 << 14


def _gatherer(X: Any, rows: int) -> Callable[[Array, Array, Array], object]:
    """How each batch of `rows` rows is gathered from X into its buffer, called as
    ``gather(X, idx, out)``: NumPy's take, or the kernel that asks for the next rows early."""
    if (type(X) is np.ndarray and X.ndim == 2 and X.flags.c_contiguous and X.dtype.char in "fd"
            and ("numba" in sys.modules or kernels.mode() == "numba")
            and kernels.worth(rows * X.shape[1], GATHER_FROM)):  # fmt: skip
        from .kernels.rows import take_rows

        return take_rows
    return _take


def _take(X: Array, idx: Array, out: Array) -> None:
    X.take(idx, 0, out)  # np.take, minus its Python wrapper


def _epoch_end(
    step: Step,
    data: _Data,
    epoch: int,
    epochs: int,
    total: float,
    t0: float,
    train_metrics: list[_metrics.Metric],
    hooks: list[Callback],
    guard: _Guard,
    history: History,
    verbose: int,
) -> bool:
    """After an epoch whose loss was `total`: the divergence check, the logs, the verbose line
    and the callbacks; True when one of them asks to stop."""
    model, opt = guard.model, guard.optimizer
    opt.epoch += 1
    guard.check(epoch, total)
    logs = _logs(model, data, total, train_metrics, step.loss)
    logs["learning_rate"] = opt.learning_rate
    logs["time"] = time.perf_counter() - t0
    history.append(logs)
    if verbose:
        _report(epoch, epochs, logs)
    stop = False
    for cb in hooks:
        if cb.on_epoch_end(epoch, logs, model):
            stop = True
    if hooks:
        _same_arrays(step.params, model)
    return stop


def _lbfgs_loop(
    step: Step,
    data: _Data,
    epochs: int,
    train_metrics: list[_metrics.Metric],
    hooks: list[Callback],
    guard: _Guard,
    history: History,
    verbose: int,
) -> None:
    """One L-BFGS-B solve on the full batch (`glassnet.lbfgs`): an epoch is one iteration of
    it, after which come the logs, the callbacks and stopping, as in the epoch loop."""
    opt = guard.optimizer
    assert isinstance(opt, _optimizers.LBFGS)
    # the metrics read the latest evaluation, which is the iterate when an iteration ends
    observe = partial(_observe_anew, train_metrics) if train_metrics else None
    evaluate = Evaluation(step, data.X, data.y, opt.weight_decay, observe, scale=opt.scale)
    epoch, start = 0, time.perf_counter()

    def iteration(total: float) -> bool:
        nonlocal epoch, start
        stop = _epoch_end(step, data, epoch, epochs, total, start, train_metrics, hooks, guard,
                          history, verbose)  # fmt: skip
        epoch += 1
        start = time.perf_counter()
        history.stopped_early = stop and epoch < epochs
        return stop

    opt.result = minimize(evaluate, max_iter=epochs, max_fun=opt.max_fun, tol=opt.tol,
                          on_iteration=iteration)  # fmt: skip
    opt.iterations += evaluate.count
    if not (math.isfinite(opt.result.objective) and _all_finite(guard.params)):
        what = _what_diverged(opt.result.objective, guard.params)
        raise guard.diverged(epoch, what, found_after=True)
    evaluate.restore()


def _observe_anew(train_metrics: list[_metrics.Metric], y_batch: Array, out: Array) -> None:
    """Each training metric of these outputs alone (a solve's latest evaluation)."""
    for m in train_metrics:
        m.reset()
        m.update(y_batch, out)


def _report(epoch: int, epochs: int, logs: dict[str, float]) -> None:
    """The verbose line of an epoch, to stderr."""
    shown = "  ".join(f"{k} {v:.6g}" for k, v in logs.items() if k != "learning_rate")
    print(f"epoch {epoch + 1}/{epochs}  {shown}", file=sys.stderr)


def _general_epoch(
    step: Step,
    data: _Data,
    batch_size: int,
    shuffle: bool,
    order: Array,
    observe: Callable[[Array, Array], None] | None,
    batch_hooks: list[Callback],
    count: int,
    model: Network,
) -> tuple[float, int]:
    """One epoch of sparse or weighted batches: (the epoch's loss, optimizer steps so far).

    Each batch's rows are gathered afresh (rows of a CSR matrix stay sparse) and trained
    through the step's methods; the order and the epoch's loss are those of the compiled loop.
    """
    X, y, w = data.X, data.y, data.w
    n = len(order)
    mean = step.loss.reduction == "mean"
    if batch_size < n and shuffle:
        data.rng.shuffle(order)
    total = 0.0
    for start in range(0, n, batch_size):
        if batch_size >= n:
            xb, yb, wb = X, y, w
        else:
            idx = order[start : start + batch_size]
            xb, yb, wb = X[idx], y[idx], None if w is None else w[idx]
        rows = yb.shape[0]
        value = step(xb, yb, observe) if wb is None else step.weighted(xb, yb, wb, observe)
        total += value * rows if mean else value
        count += 1
        for cb in batch_hooks:
            cb.on_batch_end(count, model, value)
    return (total / n if mean else total), count


def _nothing() -> None:
    pass


def _same_arrays(trained: list[Array], model: Network) -> None:
    """A GlassnetError when a callback replaced the model's parameter arrays (`astype`, or a
    new array assigned to ``layer.params``): the step goes on updating the arrays it was built
    on, so the model would end with weights no epoch trained, silently."""
    now = model.parameters()
    if len(now) != len(trained) or any(a is not b for a, b in zip(now, trained)):
        raise GlassnetError(
            "a callback replaced the model's parameter arrays during fit (astype, or a new "
            "array in layer.params); fit trains the arrays it started with, so the model would "
            "keep weights no epoch trained. Change weights in place (set_weights) instead"
        )


def _logs(
    model: Network,
    data: _Data,
    total: float,
    train_metrics: list[_metrics.Metric],
    loss: _losses.Loss,
) -> dict[str, float]:
    """An epoch's loss and metrics, and the same on the validation data."""
    logs: dict[str, float] = {"loss": total}
    for m in train_metrics:
        logs[m.name] = m.result()
    if data.X_val is not None and data.y_val is not None:
        out_val = model.outputs(data.X_val)
        if data.w_val is None:
            logs["val_loss"] = loss.forward(out_val, data.y_val)
        else:
            logs["val_loss"] = loss.weighted_forward(out_val, data.y_val, data.w_val)
        for m in train_metrics:
            logs["val_" + m.name] = _metrics.compute(m.name, data.y_val, out_val, loss)
    return logs
