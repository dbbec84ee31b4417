"""The compiled training step (`training._Step.program`) computes what `forward`/`backward` do.

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
from glassnet import training
from glassnet.errors import TrainingDivergedError
from glassnet.layers import Layer


def _methods_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `fit` take the uncompiled path: every layer and loss looks plan-less."""
    monkeypatch.setattr(training, "_plans_cover", lambda obj: False)


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
    monkeypatch.setattr(training._Step, "BLOCK_BYTES", 1)  # 256-row blocks: 700 = 3 blocks
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

    assert not training._plans_cover(_ScaledSigmoid())
    assert training._plans_cover(gn.Sigmoid()) and training._plans_cover(gn.SumSquaredError())
    assert not training._plans_cover(_FreshMSE())  # its plan is the generic one: still exact

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

    model = gn.Sequential(ARCHITECTURES["relu-leaky"](3))
    dense = model.layers[0]
    original = dense.plan_forward

    def remember(x: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        out, calls = original(x)
        return out, [*calls, lambda: setattr(dense, "_last_out", out.copy())]

    dense.plan_forward = remember  # type: ignore[method-assign]
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
        TrainingDivergedError, match=r"diverged at epoch [12]: the arithmetic overflowed"
    ):
        model.fit(X * 1e200, y, loss="mse", optimizer=gn.SGD(1e200), epochs=3)
    assert np.geterr() == before
    for a, b in zip(model.get_weights(), start):
        np.testing.assert_array_equal(a, b)


def test_the_lean_loop_finds_weights_that_were_not_finite_from_the_start():
    X, y = _data(30, 1)
    model = gn.Sequential([gn.Dense(5, 1, rng=0), gn.Sigmoid()])
    weights = model.get_weights()
    weights[0][0, 0] = np.inf
    model.set_weights(weights)
    with pytest.raises(TrainingDivergedError, match="inf/NaN"):
        model.fit(np.abs(X), y, loss="sse", optimizer=gn.SGD(0.1), epochs=2)
