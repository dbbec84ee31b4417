"""The fused (Dense, ReLU) pair and CrossEntropy's kernels (`glassnet.fused`,
`glassnet.kernels.relu`, `glassnet.kernels.softmax`).

Each check runs the compiled step both ways — kernels forced (GLASSNET_KERNELS=numba, whatever
the size) and the NumPy reference (GLASSNET_KERNELS=numpy) — and asks for the same numbers bit
for bit, gradients that agree with finite differences, NumPy's rules at the edges (NaN, −0,
infinities), no allocation per batch, and no Numba for a small model under auto.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.compiled import Step

pytestmark = pytest.mark.skipif(not kernels.available(), reason="needs the fast extra (Numba)")

ARCHITECTURES: dict[str, Callable[[Any], list[gn.layers.Layer]]] = {
    # two fused pairs: the upper one's Dense passes d loss / d input down
    "two-relu-layers": lambda dt: [gn.Dense(5, 16, rng=0, dtype=dt), gn.ReLU(),
                                   gn.Dense(16, 8, rng=1, dtype=dt), gn.ReLU(),
                                   gn.Dense(8, 3, rng=2, dtype=dt)],
    # a ReLU last: nothing above it; a Dense without bias is not fused
    "relu-last": lambda dt: [gn.Dense(5, 6, rng=0, dtype=dt, bias=False), gn.ReLU(),
                             gn.Dense(6, 3, rng=1, dtype=dt), gn.ReLU()],
}  # fmt: skip
TARGETS = ["labels", "one-hot", "mse"]


def _data(n: int, dtype: Any, target: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 5)).astype(dtype)
    labels = rng.integers(0, 3, n)
    if target == "labels":
        return X, labels
    if target == "one-hot":
        return X, np.eye(3, dtype=dtype)[labels]
    return X, rng.standard_normal((n, 3)).astype(dtype)


def _fit(arch: str, target: str, dtype: Any, mode: str, monkeypatch: Any, **fit_kwargs: Any):
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    model = gn.Sequential(ARCHITECTURES[arch](dtype), dtype=dtype)
    X, y = _data(600, dtype, target)
    loss = gn.MeanSquaredError() if target == "mse" else gn.CrossEntropy()
    history = model.fit(X, y, loss=loss, optimizer=gn.Adam(0.01), epochs=4, seed=1, **fit_kwargs)
    return model, history


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("batching", ["full-blocks", "full", "minibatch"])
def test_fused_relu_and_cross_entropy_train_bit_for_bit_as_numpy(
    arch, target, dtype, batching, monkeypatch
):
    fit_kwargs: dict[str, Any] = {"batch_size": 64} if batching == "minibatch" else {}
    if batching == "full-blocks":  # 600 rows in blocks of 256 rows or so, gradients summed
        monkeypatch.setattr(Step, "BLOCK_BYTES", 1024)
    fused = _fit(arch, target, dtype, "numba", monkeypatch, **fit_kwargs)
    reference = _fit(arch, target, dtype, "numpy", monkeypatch, **fit_kwargs)
    for p, q in zip(fused[0].parameters(), reference[0].parameters()):
        assert p.dtype == dtype
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(fused[1]["loss"], reference[1]["loss"])
    for a, b in zip(fused[0].layers, reference[0].layers):  # the caches Trace reads: the same
        for name in ("_x", "_y"):
            np.testing.assert_array_equal(getattr(a, name, None), getattr(b, name, None))


def _kernel_names(step: Callable[[], float]) -> set[str]:
    """Names of the functions a one-block compiled step (`Step.program`) calls, the loss's
    value and what it calls included."""
    before, value, after = step.args  # type: ignore[attr-defined]
    calls = [*before, value, *getattr(value, "args", ()), *after]
    return {getattr(getattr(c, "func", c), "__name__", "") for c in calls}


@pytest.mark.parametrize("mode", ["numba", "numpy"])
def test_the_compiled_step_runs_the_kernels_only_when_they_are_chosen(mode, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    model = gn.Sequential(ARCHITECTURES["two-relu-layers"](np.float32))
    X, y = _data(50, np.float32, "labels")
    loss = gn.CrossEntropy()
    model.fit(X, y, loss=loss, optimizer="sgd", epochs=1)  # buffers and caches in place
    step, _ = Step(model, loss, gn.SGD(0.1)).program(X, y)
    names = _kernel_names(step)
    fused = {"bias_relu", "relu_backward", "_value", "bias_add"}  # bias_add: the last layer
    assert fused <= names if mode == "numba" else not fused & names, names


class _MyReLU(gn.ReLU):
    def _apply(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return super()._apply(x, out)


class _MyCrossEntropy(gn.CrossEntropy):
    pass


def test_a_relu_or_cross_entropy_of_ones_own_keeps_its_own_plan(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    from glassnet.fused import Fusion

    assert Fusion([gn.Dense(3, 4), _MyReLU(), gn.Dense(4, 2)], rows=10).relu == set()
    z, y = np.zeros((10, 2)), np.zeros(10, dtype=np.int64)
    value, _, _ = _MyCrossEntropy().plan(z, y)
    assert value.func.__name__ == "_forward"  # type: ignore[attr-defined]
    value, _, _ = gn.CrossEntropy().plan(z, y)
    assert value.func.__name__ == "_value"  # type: ignore[attr-defined]


def test_relu_kernels_follow_numpys_rules_bit_for_bit():
    from glassnet.kernels.relu import kernel

    special = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-310, -1e-310, 2.5, -2.5]
    for dtype in (np.float64, np.float32):
        with np.errstate(all="ignore"):
            z = np.array([special], dtype=dtype).repeat(len(special), axis=0)
            bias = np.array(special, dtype=dtype)
            y = np.empty_like(z)
            kernel("bias_relu")(z, bias, dtype(0), y)
            expected = np.maximum(z + bias, 0.0)
            np.testing.assert_array_equal(y.view(f"u{y.itemsize}"),
                                          expected.view(f"u{y.itemsize}"))  # fmt: skip
            grad = z.T.copy()  # NaN, ±0, ±inf gradients against every output
            dx = np.empty_like(z)
            kernel("relu_backward")(y, grad, dtype(1), dtype(0), dx)
            expected = np.greater(y, 0.0).astype(dtype) * grad
        assert np.signbit(expected).any() and np.isnan(expected).any()
        np.testing.assert_array_equal(dx.view(f"u{dx.itemsize}"), expected.view(f"u{dx.itemsize}"))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("classes", [1, 3, 8, 10, 13, 128])
def test_cross_entropy_kernels_give_numpys_loss_probabilities_and_gradient(
    dtype, classes, monkeypatch
):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    rng = np.random.default_rng(classes)
    z = (rng.standard_normal((37, classes)) * 20).astype(dtype)
    z[0, 0] = 1e30 if dtype == np.float64 else 1e20  # a confident row
    labels = rng.integers(0, classes, 37)
    for y in (labels, np.eye(classes, dtype=dtype)[labels] * dtype(0.75)):
        reference = gn.CrossEntropy()
        value = reference.forward(z, y)
        grad = reference.backward()
        fused = gn.CrossEntropy()
        run, g, _ = fused.plan(z, y)
        assert run.func.__name__ == "_value"  # type: ignore[attr-defined]
        assert run() == value  # the same sums, in NumPy's order
        np.testing.assert_array_equal(g, grad)
        np.testing.assert_array_equal(fused._p, reference._p)


def test_a_label_out_of_range_is_an_error_not_a_read_past_the_array(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    run, _, _ = gn.CrossEntropy().plan(np.zeros((4, 3)), np.array([0, 1, 3, 2]))
    with pytest.raises(IndexError):
        run()


def _loss_of(model: gn.Sequential, loss: gn.Loss, X: np.ndarray, y: np.ndarray) -> float:
    return loss.forward(model.predict(X), y)


def test_the_fused_step_gradients_match_finite_differences(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    model = gn.Sequential(ARCHITECTURES["two-relu-layers"](np.float64))
    X, y = _data(40, np.float64, "labels")
    loss = gn.CrossEntropy()
    model.fit(X, y, loss=loss, optimizer="sgd", epochs=1)  # buffers and caches in place
    start = [p.copy() for p in model.parameters()]
    step, _ = Step(model, loss, gn.SGD(1e-3)).program(X, y)
    step()
    grads = [g.copy() for g in model.gradients()]
    assert {"bias_relu", "relu_backward", "_value"} <= _kernel_names(step)
    eps = 1e-6
    for p, p0 in zip(model.parameters(), start):
        p[...] = p0  # back to where the gradients were taken
    for p, g in zip(model.parameters(), grads):
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            keep = p[i]
            p[i] = keep + eps
            up = _loss_of(model, loss, X, y)
            p[i] = keep - eps
            down = _loss_of(model, loss, X, y)
            p[i] = keep
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_fused_epochs_after_the_first_allocate_no_new_arrays(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5 * 256 + 37, 20))
    y = rng.integers(0, 10, len(X))
    model = gn.Sequential([gn.Dense(20, 512, rng=0), gn.ReLU(), gn.Dense(512, 10, rng=1)])
    model.fit(X[:300], y[:300], loss="cross_entropy", optimizer="sgd", epochs=1)  # compiled
    peaks: list[int] = []

    class Peak(gn.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> None:
            peaks.append(tracemalloc.get_traced_memory()[1] - tracemalloc.get_traced_memory()[0])
            tracemalloc.reset_peak()

    tracemalloc.start()
    try:
        model.fit(X, y, loss="cross_entropy", optimizer="sgd", epochs=4, batch_size=256,
                  callbacks=[Peak()])  # fmt: skip
    finally:
        tracemalloc.stop()
    # a hidden array of one batch is 1 MiB: no batch after the first epoch made one
    assert max(peaks[1:]) < 256 * 1024, peaks


POLICY = """
import sys, numpy as np, glassnet as gn
from glassnet import kernels
from glassnet.fused import Fusion
X = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
y = np.arange(300) % 3
model = gn.Sequential([gn.Dense(8, 32, dtype=np.float32), gn.ReLU(),
                       gn.Dense(32, 3, dtype=np.float32)])
model.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=128)
print("numba" in sys.modules)
w3 = [gn.Dense(784, 256), gn.ReLU(), gn.Dense(256, 128), gn.ReLU(), gn.Dense(128, 10)]
print(sorted(Fusion(w3, rows=128).relu))
kernels.load()
print(sorted(Fusion(w3, rows=128).relu), sorted(Fusion(w3, rows=16).relu))
"""


def test_a_small_model_under_auto_never_imports_numba_and_w3_fuses_once_it_is_loaded():
    env = {k: v for k, v in os.environ.items() if k != kernels.ENVIRONMENT}  # auto
    out = subprocess.run([sys.executable, "-c", POLICY], capture_output=True, text=True,
                         check=True, env=env)  # fmt: skip
    # no Numba for a small model; W3's 128 × 256 and 128 × 128 fuse once it is loaded; with 16
    # rows only 16 × 256 (16 × 128 is under `fused.RELU_FROM_LOADED`)
    assert out.stdout.split("\n")[:3] == ["False", "[]", "[0, 2] [0]"]


FIRST_PLAN = """
import sys, numpy as np, glassnet as gn
from glassnet.compiled import Step
w3 = gn.Sequential([gn.Dense(784, 256, dtype=np.float32), gn.ReLU(),
                    gn.Dense(256, 128, dtype=np.float32), gn.ReLU(),
                    gn.Dense(128, 10, dtype=np.float32)])
X, y = np.zeros((128, 784), dtype=np.float32), np.arange(128) % 10
step, _ = Step(w3, gn.CrossEntropy(), gn.Adam()).program(X, y)
before, value, after = step.args
print("numba" in sys.modules, [getattr(c.func, "__name__", "") for c in before])
"""


def test_a_model_whose_fused_update_imports_numba_plans_the_other_kernels_with_it():
    """W3's 235 K parameters fuse Adam's update, which imports Numba: the step is then planned
    with the ReLU pairs, the lone bias and the loss as kernels — in a fresh process too, so that
    the first-ever run compiles the kernels a later run loads from the cache."""
    env = {k: v for k, v in os.environ.items() if k != kernels.ENVIRONMENT}  # auto
    out = subprocess.run([sys.executable, "-c", FIRST_PLAN], capture_output=True, text=True,
                         check=True, env=env)  # fmt: skip
    plan = "['matmul', 'bias_relu', 'matmul', 'bias_relu', 'dot', 'bias_add']"  # large: matmul
    assert out.stdout.strip() == f"True {plan}"
