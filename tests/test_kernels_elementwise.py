"""The fused bias + Sigmoid kernels (`glassnet.fused`, `glassnet.kernels.elementwise`).

Each check runs the compiled step both ways — kernels forced (GLASSNET_KERNELS=numba, whatever
the size) and the NumPy reference (GLASSNET_KERNELS=numpy) — and asks for the same numbers bit
for bit, gradients that agree with finite differences, and no allocation per batch.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import blas, kernels, lanes
from glassnet.compiled import Step

pytestmark = pytest.mark.skipif(not kernels.available(), reason="needs the fast extra (Numba)")

ARCHITECTURES: dict[str, Callable[[Any], list[gn.layers.Layer]]] = {
    # one-unit output: σ′ and the layer above's outer product in one pass
    "sigmoid-one-unit": lambda dt: [gn.Dense(3, 7, rng=0, dtype=dt), gn.Sigmoid(),
                                    gn.Dense(7, 1, rng=1, dtype=dt)],
    "sigmoid-two-units": lambda dt: [gn.Dense(3, 7, rng=0, dtype=dt), gn.Sigmoid(),
                                     gn.Dense(7, 2, rng=1, dtype=dt)],
    # two fused pairs: the upper one's Dense must pass d loss / d input down
    "two-sigmoid-layers": lambda dt: [gn.Dense(3, 6, rng=0, dtype=dt), gn.Sigmoid(),
                                      gn.Dense(6, 5, rng=1, dtype=dt), gn.Sigmoid(),
                                      gn.Dense(5, 1, rng=2, dtype=dt)],
    # a Sigmoid last, after a Dense: nothing above it
    "sigmoid-last": lambda dt: [gn.Dense(3, 4, rng=0, dtype=dt), gn.Tanh(),
                                gn.Dense(4, 2, rng=1, dtype=dt), gn.Sigmoid()],
}  # fmt: skip


def _data(n: int, dtype: Any, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3)).astype(dtype)
    y = (rng.random((n, n_out)) < 0.5).astype(dtype)
    return X, y


def _fit(arch: str, dtype: Any, mode: str, monkeypatch: pytest.MonkeyPatch, **fit_kwargs: Any):
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    model = gn.Sequential(ARCHITECTURES[arch](dtype), dtype=dtype)
    n_out = model.layers[-2].n_out if arch == "sigmoid-last" else model.layers[-1].n_out
    X, y = _data(600, dtype, n_out)
    loss = gn.MeanSquaredError() if arch == "sigmoid-last" else gn.BinaryCrossEntropy()
    history = model.fit(X, y, loss=loss, optimizer=gn.SGD(0.5), epochs=5, seed=1, **fit_kwargs)
    return model, history


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("batching", ["full-blocks", "full", "minibatch"])
def test_fused_kernels_train_bit_for_bit_as_the_numpy_path(arch, dtype, batching, monkeypatch):
    fit_kwargs: dict[str, Any] = {"batch_size": 64} if batching == "minibatch" else {}
    if batching == "full-blocks":  # 600 rows in blocks of 256 rows or so, gradients summed
        monkeypatch.setattr(Step, "BLOCK_BYTES", 1024)
    # on one core: the second core's worker cuts a product into smaller ones, which OpenBLAS
    # may round otherwise (to float rounding: tests/test_duo.py); one BLAS thread, no worker
    with blas.one_thread([lib for lib in blas.libraries() if blas.numpys(lib)]):
        fused = _fit(arch, dtype, "numba", monkeypatch, **fit_kwargs)
        reference = _fit(arch, dtype, "numpy", monkeypatch, **fit_kwargs)
    for p, q in zip(fused[0].parameters(), reference[0].parameters()):
        assert p.dtype == dtype
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(fused[1]["loss"], reference[1]["loss"])


def _kernel_names(step: Callable[[], float]) -> set[str]:
    """Names of the functions a compiled step (`Step.program`) calls."""
    segments = step.args[0] if len(step.args) == 1 else [step.args]  # type: ignore[attr-defined]
    calls = [c for segment in segments for part in segment if isinstance(part, tuple)
             for c in part]  # fmt: skip
    return {getattr(getattr(c, "func", c), "__name__", "") for c in calls}


@pytest.mark.parametrize("mode", ["numba", "numpy"])
def test_the_compiled_step_runs_the_kernels_only_when_they_are_chosen(mode, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    model = gn.Sequential(ARCHITECTURES["sigmoid-one-unit"](np.float64))
    X, y = _data(50, np.float64, 1)
    model.fit(X, y, loss="bce", optimizer="sgd", epochs=1)  # buffers and caches in place
    step, _ = Step(model, gn.BinaryCrossEntropy(), gn.SGD(0.1)).program(X, y)
    names = _kernel_names(step)
    fused = {"bias_clip_negate", "one_over_one_plus", "sigmoid_backward_outer"}
    assert fused <= names if mode == "numba" else not fused & names, names


def test_a_small_network_under_auto_is_not_fused(monkeypatch):
    """Under auto, kernels run only from `fused.THRESHOLD` elements: a small model never
    imports Numba for them."""
    monkeypatch.delenv(kernels.ENVIRONMENT, raising=False)
    from glassnet.fused import THRESHOLD, Fusion

    layers = ARCHITECTURES["two-sigmoid-layers"](np.float64)
    assert Fusion(layers, rows=1000).pairs == set()
    assert Fusion(layers, rows=THRESHOLD // 5 + 1).pairs == {0, 2}  # widths 6 and 5


class _MySigmoid(gn.Sigmoid):
    def _apply(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return super()._apply(x, out)


def test_a_sigmoid_of_ones_own_or_a_dense_without_bias_keeps_its_own_plan(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    from glassnet.fused import Fusion

    layers = [gn.Dense(3, 4), _MySigmoid(), gn.Dense(4, 1, bias=False), gn.Sigmoid()]
    assert Fusion(layers, rows=10).pairs == set()


def _loss_of(model: gn.Sequential, loss: gn.Loss, X: np.ndarray, y: np.ndarray) -> float:
    return loss.forward(model.predict(X), y)


@pytest.mark.parametrize("arch", ["sigmoid-one-unit", "two-sigmoid-layers"])
def test_the_fused_step_gradients_match_finite_differences(arch, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    model = gn.Sequential(ARCHITECTURES[arch](np.float64))
    X, y = _data(40, np.float64, 1)
    loss = gn.BinaryCrossEntropy()
    model.fit(X, y, loss=loss, optimizer="sgd", epochs=1)  # buffers and caches in place
    start = [p.copy() for p in model.parameters()]
    step, _ = Step(model, loss, gn.SGD(1e-3)).program(X, y)
    step()
    grads = [g.copy() for g in model.gradients()]
    assert "bias_clip_negate" in _kernel_names(step)
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
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-9)


def test_fused_epochs_after_the_first_allocate_no_new_arrays(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5 * 256 + 37, 20))
    y = (rng.random((len(X), 1)) < 0.5).astype(np.float64)
    model = gn.Sequential([gn.Dense(20, 512, rng=0), gn.Sigmoid(), gn.Dense(512, 1, rng=1)])
    model.fit(X[:300], y[:300], loss="bce", optimizer="sgd", epochs=1)  # kernels compiled
    peaks: list[int] = []

    class Peak(gn.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> None:
            peaks.append(tracemalloc.get_traced_memory()[1] - tracemalloc.get_traced_memory()[0])
            tracemalloc.reset_peak()

    tracemalloc.start()
    try:
        model.fit(X, y, loss="bce", optimizer="sgd", epochs=4, batch_size=256, callbacks=[Peak()])
    finally:
        tracemalloc.stop()
    # a hidden array of one batch is 1 MiB: no batch after the first epoch made one
    assert max(peaks[1:]) < 256 * 1024, peaks


def _wide_data(n: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, 3)).astype(dtype)
    y = (X @ np.array([1.0, -2.0, 0.5]) > 0).astype(dtype).reshape(-1, 1)
    return X, y


@pytest.mark.parametrize("mode", ["numba", "numpy"])
def test_a_fused_step_runs_in_larger_blocks(mode, monkeypatch):
    """With the kernels, a large full batch run in one lane runs in blocks
    `Step.FUSED_BLOCK_SCALE` times larger (fewer, larger products); the NumPy path keeps its
    blocks, and so do two lanes (`glassnet.lanes`: each lane's block in its own core's cache)."""
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    monkeypatch.setattr(Step, "BLOCK_BYTES", 7 * 8 * 300)  # 300 rows of 7 float64 units
    model = gn.Sequential(ARCHITECTURES["sigmoid-one-unit"](np.float64))
    X, y = _wide_data(2000, np.float64)
    model.fit(X[:50], y[:50], loss="bce", optimizer="sgd", epochs=1)  # buffers and caches
    monkeypatch.setattr(lanes, "cores", lambda: 1)  # one lane
    step, _ = Step(model, gn.BinaryCrossEntropy(), gn.SGD(0.1)).program(X, y)
    n_blocks = len(step.args[0])  # type: ignore[attr-defined]
    assert n_blocks == (4 if mode == "numba" else 7), n_blocks  # 2000 rows: 600 or 300 a block
    monkeypatch.setattr(lanes, "cores", lambda: 2)
    if mode == "numba" and lanes.count(7, model.layers, gn.BinaryCrossEntropy(), False) == 2:
        step, _ = Step(model, gn.BinaryCrossEntropy(), gn.SGD(0.1)).program(X, y)
        first, second, _ = step.args  # type: ignore[attr-defined]
        assert (len(first.args[0]), len(second.args[0])) == (4, 3)  # 300 rows a block


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_blocks_train_as_the_numpy_blocks_within_rounding(dtype, monkeypatch):
    """The kernel path's larger blocks sum the batch's gradient in another grouping than the
    NumPy path's: the same training up to rounding (1e-12 in float64)."""
    monkeypatch.setattr(Step, "BLOCK_BYTES", 7 * 8 * 300)
    runs = []
    for mode in ("numba", "numpy"):
        monkeypatch.setenv(kernels.ENVIRONMENT, mode)
        model = gn.Sequential(ARCHITECTURES["sigmoid-one-unit"](dtype), dtype=dtype)
        X, y = _wide_data(2000, dtype)
        history = model.fit(X, y, loss="bce", optimizer=gn.SGD(2.0), epochs=40)
        runs.append((model.parameters(), history["loss"]))
    (fused, fused_loss), (reference, reference_loss) = runs
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (1e-4, 1e-6)
    for p, q in zip(fused, reference):
        assert p.dtype == dtype
        np.testing.assert_allclose(p, q, rtol=rtol, atol=atol)
    np.testing.assert_allclose(fused_loss, reference_loss, rtol=rtol)
    assert not all(np.array_equal(p, q) for p, q in zip(fused, reference))  # blocks differ
