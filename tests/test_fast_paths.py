"""The fit loop's fast paths compute the same numbers as the plain path they replace.

A large full batch is trained block by block (`compiled.Step.BLOCK_BYTES`), Sigmoid runs its
passes on cache-sized row blocks (`activations.BLOCK_BYTES`), and a full-batch fit with nothing
to report takes a lean loop. Each must agree with the straightforward computation.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations, compiled

N_ROWS = 9000  # with 64 hidden units: 3 blocks of 3000 rows at the default block size


def _model(n_out: int) -> gn.Sequential:
    return gn.Sequential(
        [gn.Dense(30, 64, rng=0), gn.Sigmoid(), gn.Dense(64, 32, rng=1), gn.Tanh(),
         gn.Dense(32, n_out, rng=2)]
    )  # fmt: skip


def _data(kind: str) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_ROWS, 30))
    if kind == "labels":
        return X, rng.integers(0, 3, N_ROWS), 3
    return X, rng.standard_normal((N_ROWS, 2)), 2


CASES = [
    ("labels", gn.CrossEntropy, ("accuracy",)),
    ("values", gn.MeanSquaredError, ("mse",)),
    ("values", gn.SumSquaredError, ()),
]


@pytest.mark.parametrize(("kind", "loss", "metrics"), CASES, ids=lambda c: str(c))
def test_a_large_full_batch_trained_in_blocks_matches_one_block(kind, loss, metrics, monkeypatch):
    X, y, n_out = _data(kind)
    assert len(X) >= 2 * compiled.Step.BLOCK_BYTES // (64 * 8)  # blocks really are used
    blocked = _model(n_out)
    history = blocked.fit(X, y, loss=loss(), optimizer=gn.Adam(1e-2), epochs=3, metrics=metrics)

    monkeypatch.setattr(compiled.Step, "BLOCK_BYTES", 1 << 40)
    whole = _model(n_out)
    reference = whole.fit(X, y, loss=loss(), optimizer=gn.Adam(1e-2), epochs=3, metrics=metrics)

    for a, b in zip(blocked.parameters(), whole.parameters()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(history["loss"], reference["loss"], rtol=1e-12)
    for name in metrics:
        np.testing.assert_allclose(history[name], reference[name], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training_mode", [False, True])
def test_sigmoid_on_row_blocks_equals_the_formula_exactly(dtype, training_mode):
    rows = 4 * activations.BLOCK_BYTES // (50 * np.dtype(dtype).itemsize) + 7  # ragged last block
    x = np.random.default_rng(1).normal(scale=8.0, size=(rows, 50)).astype(dtype)
    assert len(activations.row_blocks(x)) > 1
    layer = gn.Sigmoid()
    y = layer.forward(x, training=training_mode)
    np.testing.assert_array_equal(y, 1 / (1 + np.exp(-x)))
    grad = np.ones_like(x) * dtype(0.5)
    np.testing.assert_array_equal(layer.backward(grad), grad * (y * (1 - y)))


def test_the_lean_full_batch_loop_keeps_the_same_history_as_the_general_loop():
    X, y = gn.tutorial.TRAINING_INPUTS, gn.tutorial.TRAINING_OUTPUTS

    class Nothing(gn.Callback):
        """A callback that does nothing, which sends fit down the general loop."""

    def fit(callbacks: list[gn.Callback]) -> tuple[gn.History, np.ndarray]:
        nn = gn.NeuralNetwork()
        history = nn.model.fit(
            X, y, loss=nn.loss, optimizer=gn.SGD(1.0), epochs=50, callbacks=callbacks
        )
        return history, nn.synaptic_weights

    lean, w_lean = fit([])
    general, w_general = fit([Nothing()])
    np.testing.assert_array_equal(w_lean, w_general)
    assert lean["loss"] == general["loss"]
    assert lean["learning_rate"] == general["learning_rate"]
    assert list(lean.history) == list(general.history)
    assert len(lean["time"]) == lean.epochs == general.epochs == 50
