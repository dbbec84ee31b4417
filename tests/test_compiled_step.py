"""The compiled training step (`compiled.Step.program`) computes what `forward`/`backward` do.

`fit` runs each step as a flat list of pre-bound NumPy calls that the layers, the loss and the
optimizer contribute (`Layer.plan_forward`, `Loss.plan`, `Optimizer.plan_step`). These tests
train the same model twice — compiled, and through the layers' methods (the path taken when a
layer has no plan) — and ask for bit-identical weights and losses, over every layer, loss,
optimizer, batching mode and dtype; then they check the fallbacks and the side effects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import compiled as gn_compiled
from glassnet.errors import TrainingDivergedError
from glassnet.layers import Layer


def _methods_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `fit` take the uncompiled path: every layer and loss looks plan-less."""
    monkeypatch.setattr(gn_compiled, "plans_cover", lambda obj: False)


def _data(n: int, n_out: int, kind: str = "binary") -> tuple[np.ndarray, np.ndarray]:
    """Inputs, and targets of a `kind`: "labels", "onehot" rows, or "binary" columns."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, 5))
    labels = rng.integers(0, n_out, n)
    if kind == "labels":
        return X, labels
    if kind == "onehot":
        return X, np.eye(n_out)[labels]
    return X, (rng.standard_normal((n, n_out)) > 0).astype(float)


ARCHITECTURES: dict[str, Callable[[int], list[Layer]]] = {
    "sigmoid-tanh": lambda k: [gn.Dense(5, 8, rng=0), gn.Sigmoid(), gn.Dense(8, 6, rng=1),
                               gn.Tanh(), gn.Dense(6, k, rng=2)],
    "relu-leaky": lambda k: [gn.Dense(5, 8, rng=0), gn.ReLU(), gn.Dense(8, 6, rng=1),
                             gn.LeakyReLU(0.1), gn.Dense(6, k, rng=2)],
    "dropout-identity": lambda k: [gn.Dropout(0.2), gn.Dense(5, 8, rng=0), gn.ReLU(),
                                   gn.Dropout(0.5), gn.Dense(8, k, bias=False, rng=1),
                                   gn.Identity()],
    "softmax-layer": lambda k: [gn.Dense(5, 8, rng=0), gn.Tanh(), gn.Dense(8, k, rng=1),
                                gn.Softmax()],
}  # fmt: skip

LOSSES: dict[str, tuple[Callable[[], gn.Loss], str]] = {
    "sse": (gn.SumSquaredError, "binary"),
    "mse": (gn.MeanSquaredError, "binary"),
    "bce": (gn.BinaryCrossEntropy, "binary"),
    "ce-labels": (gn.CrossEntropy, "labels"),
    "ce-rows": (gn.CrossEntropy, "onehot"),
    "poisson": (gn.Poisson, "binary"),
}

OPTIMIZERS: dict[str, Callable[[], gn.Optimizer]] = {
    "sgd": lambda: gn.SGD(0.05),
    "sgd-1": lambda: gn.SGD(1.0),
    "nesterov-decay": lambda: gn.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda: gn.Adam(1e-2),
    "adam-clip-decay": lambda: gn.Adam(1e-2, weight_decay=1e-2, clip_norm=0.5),
    "rmsprop-schedule": lambda: gn.RMSprop(gn.optimizers.StepDecay(1e-2, step_size=2)),
}

BATCHING: dict[str, dict[str, Any]] = {
    "full-lean": {},
    "full-metrics": {"metrics": ("mse",)},
    "minibatch-remainder": {"batch_size": 16},  # 50 rows: 16, 16, 16, 2
    "minibatch-validation": {"batch_size": 25, "validation_split": 0.2},
}


def _train(
    arch: str, loss: str, opt: str, dtype: Any, fit_kwargs: dict[str, Any], n: int = 50
) -> tuple[gn.Sequential, gn.History]:
    make_loss, kind = LOSSES[loss]
    X, y = _data(n, 3, kind)
    model = gn.Sequential(ARCHITECTURES[arch](3), dtype=dtype)
    history = model.fit(X, y, loss=make_loss(), optimizer=OPTIMIZERS[opt](), epochs=4, seed=3,
                        **fit_kwargs)  # fmt: skip
    return model, history


def _assert_identical(a: tuple[gn.Sequential, gn.History], b: tuple[gn.Sequential, gn.History]):
    for p, q in zip(a[0].parameters(), b[0].parameters()):
        np.testing.assert_array_equal(p, q)
    for key in ("loss", "val_loss", "mse"):
        if key in b[1].history:
            np.testing.assert_array_equal(a[1][key], b[1][key])


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_compiled_step_matches_the_methods_for_every_layer_and_loss(arch, loss, monkeypatch):
    for batching in ("full-lean", "minibatch-remainder"):
        compiled = _train(arch, loss, "adam", np.float64, BATCHING[batching])
        with monkeypatch.context() as m:
            _methods_only(m)
            reference = _train(arch, loss, "adam", np.float64, BATCHING[batching])
        _assert_identical(compiled, reference)


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("batching", list(BATCHING))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_step_matches_the_methods_for_every_optimizer_and_batching(
    opt, batching, dtype, monkeypatch
):
    compiled = _train("sigmoid-tanh", "mse", opt, dtype, BATCHING[batching])
    with monkeypatch.context() as m:
        _methods_only(m)
        reference = _train("sigmoid-tanh", "mse", opt, dtype, BATCHING[batching])
    _assert_identical(compiled, reference)
    assert all(p.dtype == dtype for p in compiled[0].parameters())


@pytest.mark.parametrize("loss", ["mse", "sse", "ce-labels"])
def test_compiled_blocks_of_a_large_batch_match_the_methods(loss, monkeypatch):
    monkeypatch.setattr(gn_compiled.Step, "BLOCK_BYTES", 1)  # 256-row blocks: 700 = 3 blocks
    for kwargs in ({}, {"metrics": ("accuracy",) if loss == "ce-labels" else ("mse",)}):
        compiled = _train("relu-leaky", loss, "adam", np.float64, kwargs, n=700)
        with monkeypatch.context() as m:
            _methods_only(m)
            reference = _train("relu-leaky", loss, "adam", np.float64, kwargs, n=700)
        _assert_identical(compiled, reference)


class _ScaledSigmoid(gn.Sigmoid):
    """Overrides forward/backward but not the plans: fit must use the overrides."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return super().forward(2.0 * x, training)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return 2.0 * super().backward(grad)


class _Softsign(Layer):
    """A layer of one's own, with no plan: x / (1 + |x|)."""

    kind = "Softsign"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._x = x
        return x / (1.0 + np.abs(x))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        assert self._x is not None
        return grad / (1.0 + np.abs(self._x)) ** 2


class _FreshMSE(gn.Loss):
    """A loss of one's own whose backward returns a new array every time."""

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        self._diff = y_pred - y_true
        return float(np.mean(self._diff**2))

    def backward(self) -> np.ndarray:
        return 2.0 * self._diff / self._diff.size


def test_layers_and_losses_of_ones_own_are_trained_through_their_methods(monkeypatch):
    X, y = _data(40, 1)

    def run(layer: Layer, loss: gn.Loss) -> list[np.ndarray]:
        model = gn.Sequential([gn.Dense(5, 4, rng=0), layer, gn.Dense(4, 1, rng=1)])
        model.fit(X, y, loss=loss, optimizer=gn.SGD(0.05), epochs=3, batch_size=16, seed=0)
        return model.get_weights()

    assert not gn_compiled.plans_cover(_ScaledSigmoid())
    assert gn_compiled.plans_cover(gn.Sigmoid()) and gn_compiled.plans_cover(gn.SumSquaredError())
    assert not gn_compiled.plans_cover(_FreshMSE())  # its plan is the generic one: still exact

    scaled, plain = (
        run(_ScaledSigmoid(), gn.MeanSquaredError()),
        run(gn.Sigmoid(), gn.MeanSquaredError()),
    )
    assert not np.allclose(scaled[0], plain[0])  # the override changed the training
    softsign, fresh = run(_Softsign(), gn.MeanSquaredError()), run(gn.Sigmoid(), _FreshMSE())
    with monkeypatch.context() as m:
        _methods_only(m)
        for got, want in zip(
            (scaled, softsign, fresh),
            (
                run(_ScaledSigmoid(), gn.MeanSquaredError()),
                run(_Softsign(), gn.MeanSquaredError()),
                run(gn.Sigmoid(), _FreshMSE()),
            ),
        ):
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)
    for a, b in zip(fresh, plain):  # the same loss as MeanSquaredError, up to rounding
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_after_fit_the_layer_caches_hold_the_last_training_batch():
    X, y = _data(50, 3, "labels")
    model = gn.Sequential(ARCHITECTURES["relu-leaky"](3))
    model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=16,
              validation_data=(X[:7], y[:7]), seed=0)  # fmt: skip
    relu = model.layers[1]
    assert relu._y is not None and relu._y.shape == (2, 8)  # the last batch: 50 = 3·16 + 2
    x = model.layers[0]._x  # not the validation data, which fit predicted after that batch
    assert x is not None and x.shape == (2, 5)
    assert all((row == X).all(axis=1).any() for row in x)


def test_a_callback_that_reads_the_caches_sees_each_batch():
    X, y = _data(50, 3, "labels")
    seen: list[tuple[int, ...]] = []

    class Spy(gn.Callback):
        def on_batch_end(self, step: int, model: gn.Sequential, loss: float) -> None:
            out = model.layers[1]._y
            assert out is not None
            seen.append(out.shape)
            np.testing.assert_array_equal(out, np.maximum(model.layers[0]._last_out, 0.0))

    class RememberingDense(gn.Dense):
        """Adds a call to its plan that copies its output aside, for the spy to compare."""

        def plan_forward(self, x: np.ndarray) -> tuple[np.ndarray, list[Any]]:
            out, calls = super().plan_forward(x)
            return out, [*calls, lambda: setattr(self, "_last_out", out.copy())]

    model = gn.Sequential([RememberingDense(5, 8, rng=0), *ARCHITECTURES["relu-leaky"](3)[1:]])
    model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=16,
              validation_data=(X[:7], y[:7]), seed=0, callbacks=[Spy()])  # fmt: skip
    assert seen == [(16, 8), (16, 8), (16, 8), (2, 8)] * 2


def test_the_lean_loop_restores_numpys_error_state_and_reports_overflow():
    X, y = _data(30, 1)
    before = np.geterr()
    model = gn.Sequential([gn.Dense(5, 4, rng=0), gn.Tanh(), gn.Dense(4, 1, rng=1)])
    model.fit(X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=3)
    assert np.geterr() == before
    start = model.get_weights()
    with pytest.raises(
        TrainingDivergedError, match=r"diverged at epoch [12]: NumPy reported overflow"
    ):
        model.fit(X * 1e200, y, loss="mse", optimizer=gn.SGD(1e200), epochs=3)
    assert np.geterr() == before
    for a, b in zip(model.get_weights(), start):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------- what a compiled step must not freeze


def _fit_both(make: Callable[[], tuple[gn.Sequential, dict[str, Any]]], monkeypatch):
    """Fit twice, compiled and through the methods; return both models' weights and losses."""
    runs = []
    for methods in (False, True):
        with monkeypatch.context() as m:
            if methods:
                _methods_only(m)
            model, kwargs = make()
            history = model.fit(**kwargs)
            runs.append((model.get_weights(), history["loss"]))
    return runs


def _assert_same_runs(runs: list[tuple[list[np.ndarray], list[float]]]) -> None:
    (w1, l1), (w2, l2) = runs
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(l1, l2)


class _Change(gn.Callback):
    """Sets `attr` of the optimizer, or of layer `layer`, to `value` after the first batch."""

    def __init__(self, attr: str, value: Any, layer: int | None = None) -> None:
        self.attr, self.value, self.layer = attr, value, layer

    def on_batch_end(self, step: int, model: gn.Sequential, loss: float) -> None:
        if step == 1:
            target = model.optimizer if self.layer is None else model.layers[self.layer]
            setattr(target, self.attr, self.value)


@pytest.mark.parametrize(
    "change",
    [_Change("weight_decay", 0.5), _Change("clip_norm", 1e-3), _Change("momentum", 0.9),
     _Change("learning_rate", 0.5), _Change("rate", 0.5, layer=1)],
    ids=["decay", "clip", "momentum", "rate", "dropout"],
)  # fmt: skip
def test_settings_changed_between_batches_take_effect(change, monkeypatch):
    X, y = _data(64, 1)

    def make(callbacks: list[gn.Callback]) -> Callable[[], tuple[gn.Sequential, dict[str, Any]]]:
        def build() -> tuple[gn.Sequential, dict[str, Any]]:
            layers = [gn.Dense(5, 8, rng=0), gn.Dropout(0.0), gn.Tanh(), gn.Dense(8, 1, rng=1)]
            kwargs = {"X": X, "y": y, "loss": "mse", "optimizer": gn.SGD(0.1), "epochs": 3,
                      "batch_size": 16, "seed": 0, "callbacks": callbacks}  # fmt: skip
            return gn.Sequential(layers), kwargs

        return build

    changed = _fit_both(make([change]), monkeypatch)
    _assert_same_runs(changed)
    unchanged = _fit_both(make([gn.Callback()]), monkeypatch)
    assert not np.array_equal(changed[0][0][0], unchanged[0][0][0])  # the change mattered


def test_an_optimizer_of_ones_own_has_its_step_and_set_epoch_called():
    class MaxNormSGD(gn.SGD):
        steps = 0

        def __init__(self, learning_rate: float) -> None:
            super().__init__(learning_rate)
            self.epochs_seen: list[int] = []

        def set_epoch(self, epoch: int) -> None:
            super().set_epoch(epoch)
            self.learning_rate = 0.01 * (epoch + 1)  # a warm-up of its own

        def step(self, params: Any, grads: Any) -> None:
            type(self).steps += 1
            self.epochs_seen.append(self.epoch)
            super().step(params, grads)
            for p in params:
                np.clip(p, -0.1, 0.1, out=p)

    X, y = _data(40, 1)
    model = gn.Sequential([gn.Dense(5, 4, rng=0), gn.Tanh(), gn.Dense(4, 1, rng=1)])
    opt = MaxNormSGD(0.01)
    history = model.fit(X, y * 100, loss="mse", optimizer=opt, epochs=4)  # the lean loop
    assert MaxNormSGD.steps == 4 and opt.epochs_seen == [0, 1, 2, 3] and opt.epoch == 4
    np.testing.assert_allclose(history["learning_rate"], [0.01, 0.02, 0.03, 0.04])
    assert all(np.abs(p).max() <= 0.1 for p in model.parameters())


def test_kernels_of_ones_own_are_used_even_when_they_return_new_arrays(monkeypatch):
    class HardSigmoid(gn.Sigmoid):
        def _apply(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
            return np.clip(0.2 * x + 0.5, 0.0, 1.0, out=out)

        def _derive(self, y: np.ndarray, grad: np.ndarray, dx: np.ndarray) -> np.ndarray:
            return grad * ((y > 0) & (y < 1)) * 0.2  # a new array, not dx

    class Softsign(gn.activations.Activation):
        def _apply(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
            return x / (1.0 + np.abs(x))  # a new array, not out

        def _derive(self, y: np.ndarray, grad: np.ndarray, dx: np.ndarray) -> np.ndarray:
            return grad * (1.0 - np.abs(y)) ** 2

    X, y = _data(48, 1)
    for activation in (HardSigmoid, Softsign):
        for batch_size in (None, 16):

            def make(activation=activation, batch_size=batch_size):
                layers = [gn.Dense(5, 6, rng=0), activation(), gn.Dense(6, 1, rng=1)]
                kwargs = {"X": X, "y": y, "loss": "mse", "optimizer": gn.SGD(0.1),
                          "epochs": 3, "batch_size": batch_size, "seed": 0}  # fmt: skip
                return gn.Sequential(layers), kwargs

            _assert_same_runs(_fit_both(make, monkeypatch))


def test_a_loss_that_skips_loss_init_and_an_instance_with_its_own_forward(monkeypatch):
    class BareMSE(gn.Loss):
        def __init__(self) -> None:  # no super().__init__()
            pass

        def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
            self._d = y_pred - y_true
            return float(np.mean(self._d**2))

        def backward(self) -> np.ndarray:
            return 2.0 * self._d / self._d.size

    X, y = _data(32, 1)

    def make() -> tuple[gn.Sequential, dict[str, Any]]:
        tanh = gn.Tanh()
        tanh.forward = lambda x, training=False: gn.Tanh.forward(tanh, 2.0 * x, training)  # type: ignore[method-assign]
        tanh.backward = lambda grad: 2.0 * gn.Tanh.backward(tanh, grad)  # type: ignore[method-assign]
        model = gn.Sequential([gn.Dense(5, 4, rng=0), tanh, gn.Dense(4, 1, rng=1)])
        kwargs = {"X": X, "y": y, "loss": BareMSE(), "optimizer": gn.SGD(0.1), "epochs": 3}
        return model, kwargs

    assert not gn_compiled.plans_cover(make()[0].layers[1])
    _assert_same_runs(_fit_both(make, monkeypatch))


def test_harmless_overflow_in_a_layer_of_ones_own_is_not_divergence():
    class NaiveSigmoid(Layer):
        """1 / (1 + e^(−z)) with no guard: e^(−z) overflows to inf, and σ is rightly 0."""

        kind = "NaiveSigmoid"

        def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
            self._y = 1.0 / (1.0 + np.exp(-x))
            return self._y

        def backward(self, grad: np.ndarray) -> np.ndarray:
            assert self._y is not None
            return grad * self._y * (1.0 - self._y)

    X, y = _data(20, 1)
    X[0] = -1e3  # e^(1000 · w) overflows for some weights
    model = gn.Sequential([gn.Dense(5, 3, rng=0), NaiveSigmoid(), gn.Dense(3, 1, rng=1)])
    history = model.fit(X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=3)  # the lean loop
    assert all(np.isfinite(history["loss"]))
    assert np.geterr()["over"] == "warn"


def test_an_interrupted_lean_loop_leaves_the_epoch_counter_with_the_steps():
    class Interrupt(gn.SGD):
        def step(self, params: Any, grads: Any) -> None:
            if self.iterations == 7:
                raise KeyboardInterrupt
            super().step(params, grads)

    X, y = _data(20, 1)
    model = gn.Sequential([gn.Dense(5, 1, rng=0), gn.Sigmoid()])
    opt = Interrupt(0.1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y, loss="sse", optimizer=opt, epochs=100)
    assert opt.iterations == opt.epoch == 7
    assert np.geterr()["over"] == "warn"


# ------------------------------------------------------- the lean loop is the general loop, faster


class _HalvingSGD(gn.SGD):
    """Changes its own rate inside step(): the schedule resets it every epoch."""

    def step(self, params: Any, grads: Any) -> None:
        super().step(params, grads)
        self.learning_rate *= 0.5


class _CountingSchedule(gn.optimizers.Schedule):
    def __init__(self, learning_rate: float) -> None:
        super().__init__(learning_rate)
        self.calls: list[int] = []

    def __call__(self, epoch: int) -> float:
        self.calls.append(epoch)
        return self.learning_rate / (1 + epoch)


def _warm_up_instance() -> gn.Optimizer:
    opt = gn.SGD(0.05)
    plain = opt.set_epoch

    def warm(epoch: int) -> None:  # replaced on the instance only
        plain(epoch)
        opt.learning_rate = 0.01 * (epoch + 1)

    opt.set_epoch = warm  # type: ignore[method-assign]
    return opt


def _sigmoid_with_own_apply() -> gn.Sigmoid:
    layer = gn.Sigmoid()
    layer._apply = lambda x, out: np.tanh(x, out=out)  # type: ignore[method-assign]
    return layer


LEAN_CASES: dict[str, Callable[[], tuple[list[Layer], gn.Optimizer]]] = {
    "optimizer-changes-its-rate": lambda: (_tanh_layers(), _HalvingSGD(0.5)),
    "set-epoch-on-instance": lambda: (_tanh_layers(), _warm_up_instance()),
    "stateful-schedule": lambda: (_tanh_layers(), gn.SGD(_CountingSchedule(0.1))),
    "sigmoid-apply-on-instance": lambda: (
        [gn.Dense(5, 4, rng=0), _sigmoid_with_own_apply(), gn.Dense(4, 1, rng=1)],
        gn.SGD(0.1),
    ),
}


def _tanh_layers() -> list[Layer]:
    return [gn.Dense(5, 4, rng=0), gn.Tanh(), gn.Dense(4, 1, rng=1)]


@pytest.mark.parametrize("case", list(LEAN_CASES))
def test_the_lean_loop_trains_as_the_general_loop_does(case):
    X, y = _data(30, 1)
    runs = []
    for callbacks in ([], [gn.Callback()]):  # a callback sends fit through the general loop
        layers, opt = LEAN_CASES[case]()
        model = gn.Sequential(layers)
        history = model.fit(X, y, loss="mse", optimizer=opt, epochs=4, callbacks=callbacks)
        runs.append((model.get_weights(), history["loss"], history["learning_rate"], opt))
    (w1, l1, r1, o1), (w2, l2, r2, o2) = runs
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(l1, l2)
    np.testing.assert_array_equal(r1, r2)
    if isinstance(o1.schedule, _CountingSchedule):
        assert o1.schedule.calls == o2.schedule.calls == [0, 0, 1, 2, 3]  # __init__, then each


def test_a_loss_instance_with_its_own_forward_may_overflow_harmlessly():
    X, y = _data(20, 1)
    loss = gn.MeanSquaredError()
    plain = loss.forward

    def forward(y_pred: np.ndarray, y_true: np.ndarray) -> float:
        np.exp(np.full(2, 1000.0))  # overflows to inf, and nothing uses it
        return plain(y_pred, y_true)

    loss.forward = forward  # type: ignore[method-assign]
    model = gn.Sequential(_tanh_layers())
    history = model.fit(X, y, loss=loss, optimizer=gn.SGD(0.1), epochs=3)
    assert all(np.isfinite(history["loss"]))


def test_dropout_with_rate_zero_leaves_no_mask_after_fit():
    X, y = _data(20, 1)
    model = gn.Sequential([gn.Dense(5, 4, rng=0), gn.Dropout(0.0), gn.Dense(4, 1, rng=1)])
    model.fit(X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=2)
    dropout = model.layers[1]
    assert dropout._mask is None
    grad = np.ones((3, 4))
    np.testing.assert_array_equal(dropout.backward(grad), grad)


def test_weights_found_inf_only_at_the_end_are_reported_by_that_epoch():
    X, y = _data(30, 1)
    model = gn.Sequential([gn.Dense(5, 1, rng=0), gn.Sigmoid()])
    model.layers[0].params["weight"][0, 0] = np.inf  # set_weights refuses it
    with pytest.raises(TrainingDivergedError, match="diverged by epoch 5: the weights became"):
        model.fit(np.abs(X), y, loss="sse", optimizer=gn.SGD(0.1), epochs=5)


def test_a_kernel_without_a_module_is_bound_as_one_of_ones_own():
    from glassnet import plans

    kernel = eval("lambda x, out: x * 2", {})  # a function whose __module__ is None
    assert kernel.__module__ is None
    x, out = np.arange(3.0), np.zeros(3)
    plans.bind(kernel, x, out)()
    np.testing.assert_array_equal(out, [0.0, 2.0, 4.0])
