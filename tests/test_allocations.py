"""After its first epoch, training allocates no new arrays: memory measured with tracemalloc.

NumPy reports its array buffers to tracemalloc, so a batch that made even one temporary of a
hidden layer's size would show up in the peak. These checks count bytes, never seconds.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels, optimizers

# A hidden activation of one batch is 256 × 512 × 8 bytes = 1 MiB (float64): large enough that a
# single per-batch temporary of that size is unmistakable next to the limits below.
BATCH, HIDDEN = 256, 512
GROWTH_LIMIT = 1_000_000  # bytes an epoch may add for good (the bound: < 1 MB)
PEAK_LIMIT = 256 * 1024  # bytes an epoch may hold at once beyond what it started with


class EpochMemory(gn.Callback):
    """Records tracemalloc's current size at each epoch's end, and the peak since the last one."""

    def __init__(self) -> None:
        self.current: list[int] = []
        self.peak_above_start: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: gn.Sequential) -> None:
        current, peak = tracemalloc.get_traced_memory()
        if self.current:
            self.peak_above_start.append(peak - self.current[-1])
        self.current.append(current)
        tracemalloc.reset_peak()


def _model(hidden_activation: gn.Layer, n_out: int, dtype: type, *, dropout: bool) -> gn.Sequential:
    layers: list[gn.Layer] = [gn.Dense(20, HIDDEN, rng=0, dtype=dtype), hidden_activation]
    if dropout:
        layers.append(gn.Dropout(0.2, rng=1))
    layers += [gn.Dense(HIDDEN, n_out, rng=2, dtype=dtype)]
    return gn.Sequential(layers)


CASES = {
    "relu-cross-entropy-adam-float64": (gn.ReLU(), "labels", gn.CrossEntropy(), gn.Adam(1e-3)),
    "tanh-mse-sgd-momentum-float32": (
        gn.Tanh(),
        "values",
        gn.MeanSquaredError(),
        gn.SGD(0.01, momentum=0.9, nesterov=True),
    ),
    "sigmoid-bce-rmsprop-float64": (
        gn.Sigmoid(),
        "binary",
        gn.BinaryCrossEntropy(),
        gn.RMSprop(1e-3),
    ),
    "leaky-relu-dropout-sse-adam-clip-float32": (
        gn.LeakyReLU(0.1),
        "values",
        gn.SumSquaredError(),
        gn.Adam(1e-4, clip_norm=1.0, weight_decay=1e-4),
    ),
}


def _data(kind: str, dtype: type) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(0)
    n = 5 * BATCH + 37  # a shorter last batch too
    X = rng.standard_normal((n, 20)).astype(dtype)
    if kind == "labels":
        return X, rng.integers(0, 4, n), 4
    if kind == "binary":
        return X, (rng.random((n, 1)) < 0.5).astype(dtype), 1
    return X, rng.standard_normal((n, 3)).astype(dtype), 3


@pytest.mark.parametrize("case", sorted(CASES))
def test_epochs_after_the_first_allocate_no_new_arrays(case):
    activation, kind, loss, optimizer = CASES[case]
    dtype = np.float32 if case.endswith("float32") else np.float64
    X, y, n_out = _data(kind, dtype)
    model = _model(activation, n_out, dtype, dropout="dropout" in case)
    memory = EpochMemory()
    tracemalloc.start()
    try:
        model.fit(
            X, y, loss=loss, optimizer=optimizer, epochs=4, batch_size=BATCH, seed=0,
            callbacks=[memory],
        )  # fmt: skip
    finally:
        tracemalloc.stop()
    growth = memory.current[-1] - memory.current[0]
    assert growth < GROWTH_LIMIT, f"epochs 2-4 kept {growth:,} more bytes"
    # every epoch after the first: no batch made a temporary anywhere near a layer's size
    assert max(memory.peak_above_start) < PEAK_LIMIT, memory.peak_above_start


@pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is absent")
@pytest.mark.parametrize("case", sorted(CASES))
def test_epochs_after_the_first_allocate_no_new_arrays_with_fused_updates(case, monkeypatch):
    """The same on the compiled kernels' path (`glassnet.kernels`): the fused optimizer update
    makes its flat views once per fit, and a kernel's call allocates no array."""
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    activation, kind, loss, given = CASES[case]
    optimizer = optimizers.from_config(given.kind, given.get_config())  # unstepped: its own
    dtype = np.float32 if case.endswith("float32") else np.float64
    X, y, n_out = _data(kind, dtype)
    model = _model(activation, n_out, dtype, dropout="dropout" in case)
    memory = EpochMemory()
    model.fit(X[:BATCH], y[:BATCH], loss=loss, optimizer=optimizer, batch_size=BATCH)  # compiled
    tracemalloc.start()
    try:
        model.fit(
            X, y, loss=loss, optimizer=optimizer, epochs=4, batch_size=BATCH, seed=0,
            callbacks=[memory],
        )  # fmt: skip
    finally:
        tracemalloc.stop()
    assert optimizer._units is not None and optimizer._units[0].fused is not None
    growth = memory.current[-1] - memory.current[0]
    assert growth < GROWTH_LIMIT, f"epochs 2-4 kept {growth:,} more bytes"
    assert max(memory.peak_above_start) < PEAK_LIMIT, memory.peak_above_start


def test_the_first_epoch_does_allocate_the_buffers_so_the_check_can_see_arrays():
    """Guards the test above: tracemalloc does see NumPy's buffers made during an epoch."""
    X, y, n_out = _data("labels", np.float64)
    model = _model(gn.ReLU(), n_out, np.float64, dropout=False)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), epochs=1, batch_size=BATCH)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # the layers keep their batch buffers (outputs, gradients) and Adam its moments: > 2 MiB
    assert after - before > 2 * BATCH * HIDDEN * 8


def test_full_batch_training_allocates_nothing_per_iteration():
    """The tutorial's case: full batch, many epochs; memory stays flat after the first."""
    nn = gn.NeuralNetwork()
    memory = EpochMemory()
    tracemalloc.start()
    try:
        nn.model.fit(
            gn.tutorial.TRAINING_INPUTS, gn.tutorial.TRAINING_OUTPUTS, loss=nn.loss,
            optimizer=nn.optimizer, epochs=200, callbacks=[memory],
        )  # fmt: skip
    finally:
        tracemalloc.stop()
    # History keeps a few floats per epoch; nothing else may grow
    growth = memory.current[-1] - memory.current[0]
    assert growth < 200 * 200, f"{growth:,} bytes over 199 epochs"
    assert max(memory.peak_above_start) < 16 * 1024


class _WastefulReLU(gn.ReLU):
    """A ReLU that makes a fresh array per batch: what the checks above must catch."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._y = np.maximum(x, 0.0)
        return self._y


def test_a_layer_that_allocates_per_batch_is_caught_by_the_peak_check():
    X, y, n_out = _data("labels", np.float64)
    model = _model(_WastefulReLU(), n_out, np.float64, dropout=False)
    memory = EpochMemory()
    tracemalloc.start()
    try:
        model.fit(
            X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), epochs=3, batch_size=BATCH,
            callbacks=[memory],
        )  # fmt: skip
    finally:
        tracemalloc.stop()
    assert max(memory.peak_above_start) > PEAK_LIMIT


def test_a_large_full_batch_trained_in_blocks_allocates_nothing_per_epoch():
    """The blocked full-batch path (`compiled.Step`) reuses its block buffers too."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9000, 20))  # 3 blocks of 3000 rows with 64 hidden units
    y = (rng.random((9000, 1)) < 0.5).astype(np.float64)
    # a block's hidden activations are 3000 × 64 × 8 bytes = 1.5 MB: none may be made anew
    _check_sigmoid_full_batch_epochs(X, y)


def _check_sigmoid_full_batch_epochs(X: np.ndarray, y: np.ndarray) -> None:
    """Train features → 64 sigmoid units → 1 on the full batch for 4 epochs; after the first,
    no epoch keeps or makes anything near a block's arrays."""
    n_features = X.shape[1]
    model = gn.Sequential([gn.Dense(n_features, 64, rng=0), gn.Sigmoid(), gn.Dense(64, 1, rng=1)])
    memory = EpochMemory()
    tracemalloc.start()
    try:
        model.fit(
            X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(0.5), epochs=4,
            callbacks=[memory],
        )  # fmt: skip
    finally:
        tracemalloc.stop()
    growth = memory.current[-1] - memory.current[0]
    assert growth < GROWTH_LIMIT, f"epochs 2-4 kept {growth:,} more bytes"
    assert max(memory.peak_above_start) < PEAK_LIMIT, memory.peak_above_start


def test_a_full_batch_trained_in_two_lanes_allocates_nothing_per_epoch(monkeypatch):
    """Lanes (`glassnet.lanes`): each lane's copies of the layers keep their block buffers."""
    from glassnet import lanes

    if lanes.count(4, [gn.Dense(2, 2)], gn.BinaryCrossEntropy(), False) != 2:
        pytest.skip("lanes need two cores and threadpoolctl")
    monkeypatch.setenv(kernels.ENVIRONMENT, "auto")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24_000, 100))  # 10 blocks of 2,400 rows, two lanes of 5
    y = (rng.random((24_000, 1)) < 0.5).astype(np.float64)
    # a block's hidden activations are 2,400 × 64 × 8 bytes = 1.2 MB: none may be made anew
    _check_sigmoid_full_batch_epochs(X, y)
