"""Sequential's public boundary: construction, predict, evaluate (bad input, threads, extremes)."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import DataError, GlassnetError


def _net(n_in: int = 3, n_out: int = 1, dtype: str = "float64") -> gn.Sequential:
    return gn.Sequential(
        [gn.Dense(n_in, 4, rng=0, dtype=dtype), gn.Tanh(), gn.Dense(4, n_out, rng=1, dtype=dtype)]
    )


@pytest.mark.parametrize("dtype", ["float32 ", "banana", "", "int64", "float16", object, 3])
def test_an_invalid_dtype_is_refused_by_every_entry_point(dtype: object) -> None:
    for make in (
        lambda: gn.Dense(3, 3, dtype=dtype),
        lambda: gn.Sequential([gn.Dense(3, 1)], dtype=dtype),
        lambda: gn.Sequential([gn.Dense(3, 1)]).astype(dtype),
        lambda: gn.network.mlp(3, [2], 1, dtype=dtype),
    ):
        with pytest.raises(GlassnetError, match=r"dtype must be float32 or float64, got"):
            make()


def test_valid_dtype_spellings_still_work() -> None:
    assert gn.Dense(2, 2, dtype="float32").dtype == np.float32
    assert gn.Sequential([gn.Dense(2, 2)], dtype=np.float32).dtype == np.float32
    assert gn.Sequential([gn.Dense(2, 2)]).astype("f8").dtype == np.float64


def test_the_same_layer_object_twice_is_refused() -> None:
    d = gn.Dense(3, 3)
    with pytest.raises(GlassnetError, match="layer 3 is the same object as layer 1"):
        gn.Sequential([d, gn.Tanh(), d])
    act = gn.Tanh()
    with pytest.raises(GlassnetError, match="layer 4 is the same object as layer 2"):
        gn.Sequential([gn.Dense(3, 3), act, gn.Dense(3, 3), act])


@pytest.mark.parametrize("batch_size", [0, -1, None, 2.5, True, "8"])
def test_predict_refuses_a_batch_size_that_is_not_a_positive_integer(batch_size: object) -> None:
    with pytest.raises(GlassnetError, match="batch_size must be a positive integer"):
        _net().predict(np.ones((5, 3)), batch_size=batch_size)  # type: ignore[arg-type]


def test_predict_in_batches_equals_predict_at_once() -> None:
    X = np.random.default_rng(0).standard_normal((10, 3))
    np.testing.assert_allclose(_net().predict(X, batch_size=3), _net().predict(X), rtol=1e-12)


def test_masked_arrays_are_refused_not_read_without_their_mask() -> None:
    X = np.ma.masked_array(np.ones((4, 3)), mask=np.eye(4, 3, dtype=bool))
    net = _net()
    with pytest.raises(DataError, match="X is a masked array"):
        net.predict(X)
    with pytest.raises(DataError, match="y is a masked array"):
        net.evaluate(np.ones((4, 3)), np.ma.masked_array(np.ones(4)), loss="mse")
    with pytest.raises(DataError, match="masked array"):
        net.fit(X, np.ones(4), loss="mse", optimizer="sgd")


def test_evaluate_from_eight_threads_matches_one_thread() -> None:
    rng = np.random.default_rng(0)
    net = gn.network.mlp(6, [16], 3, rng=0)
    net.fit(rng.standard_normal((40, 6)), rng.integers(0, 3, 40), loss="cross_entropy",
            optimizer="adam", epochs=2)  # fmt: skip
    # same shapes (the scratch a loss keeps is by shape), different numbers
    data = [(rng.standard_normal((64, 6)), rng.integers(0, 3, 64)) for _ in range(8)]
    expected = [net.evaluate(X, y) for X, y in data]
    probs = [net.predict_proba(X) for X, _ in data]
    wrong: list[int] = []
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        barrier.wait()
        X, y = data[k]
        for _ in range(60):
            if net.evaluate(X, y) != expected[k]:
                wrong.append(k)
            if not np.array_equal(net.predict_proba(X), probs[k]):
                wrong.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


@pytest.mark.parametrize("loss", ["mse", "sse", "bce"])
def test_evaluate_is_thread_safe_for_every_loss(loss: str) -> None:
    rng = np.random.default_rng(1)
    net = _net()
    data = [(rng.standard_normal((32, 3)), rng.random((32, 1)).round()) for _ in range(8)]
    expected = [net.evaluate(X, y, loss=loss) for X, y in data]
    results: dict[int, list[dict[str, float]]] = {k: [] for k in range(8)}
    threads = [
        threading.Thread(
            target=lambda k=k: results[k].extend(
                net.evaluate(*data[k], loss=loss) for _ in range(40)
            )
        )
        for k in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected[k] for k in range(8) for r in results[k])


def test_evaluate_leaves_the_losses_training_scratch_alone() -> None:
    loss = gn.CrossEntropy()
    z, y = np.array([[1.0, 2.0, 0.5]]), np.array([1])
    value = loss.forward(z, y)
    grad = loss.backward().copy()
    assert loss.value(np.array([[5.0, -1.0, 0.0]]), np.array([0])) != value
    np.testing.assert_array_equal(loss.backward(), grad)


def test_evaluate_refuses_binary_cross_entropy_targets_outside_zero_to_one() -> None:
    with pytest.raises(DataError, match=r"y holds 3\.0 at row 1.*\[0, 1\]"):
        _net().evaluate(np.ones((3, 3)), np.array([0.0, 3.0, 1.0]), loss="bce")
    with pytest.raises(DataError, match=r"y holds -0\.5"):
        _net().evaluate(np.ones((3, 3)), np.array([0.0, -0.5, 1.0]), loss="bce")


def test_predict_at_the_float64_extremes_is_a_clear_error_not_a_warning() -> None:
    net = gn.network.mlp(3, [8], 1, rng=0)
    X = np.full((4, 3), 1.7e308)
    X[1] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match="outputs overflowed to inf/NaN for row 0"):
            net.predict(X)
        with pytest.raises(DataError, match="overflowed"):
            net.evaluate(X, np.ones(4), loss="mse")
        assert np.isfinite(net.predict(np.full((2, 3), 1e300) / 1e300)).all()


def test_values_beyond_float32_into_a_float32_model_are_a_clear_error() -> None:
    net = _net(dtype="float32")
    X = np.ones((3, 3))
    X[2, 1] = 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=r"X holds 1e\+300 at row 2, column 1, beyond the "
                                            r"range of float32"):  # fmt: skip
            net.predict(X)
        with pytest.raises(DataError, match="y holds -1e"):
            net.fit(np.ones((3, 3)), np.array([0.0, -1e39, 1.0]), loss="mse", optimizer="sgd")
        assert net.predict(np.full((2, 3), 3e38)).dtype == np.float32


def test_evaluate_refuses_unknown_metrics_before_computing() -> None:
    with pytest.raises(GlassnetError, match="unknown metric 'f1'"):
        _net().evaluate(np.ones((2, 3)), np.ones(2), loss="mse", metrics=["f1"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: gn.Sequential(None), "Sequential takes a list of layers, got None"),
        (lambda: gn.Sequential(gn.Dense(2, 2)), "Sequential takes a list of layers"),
        (lambda: _net().set_weights(None), "weights must be a list of arrays, got NoneType"),
        (lambda: gn.network.mlp(3, 4, 1), "hidden must be a list of layer sizes"),
        (lambda: gn.network.mlp(3, [4, 0], 1), "each of hidden must be a positive integer"),
        (lambda: gn.network.mlp(3, [4], 1, dropout=""), "dropout must be a number in"),
        (lambda: gn.network.mlp(3, [4], 1, dropout=None), "dropout must be a number in"),
        (lambda: gn.Dense(2, 2, dtype=np.float64(1.0)), "dtype must be float32 or float64"),
        (
            lambda: _net().evaluate(np.ones((2, 3)), np.ones(2), loss="mse", metrics=3),
            "metrics must be a list of names",
        ),
        (
            lambda: _net().evaluate(np.ones((2, 3)), np.ones(2), loss="mse", metrics="mse"),
            "metrics must be a list of names",
        ),
    ],
)
def test_hostile_arguments_found_by_the_sweep_are_one_line_errors(make: Any, message: str) -> None:
    with pytest.raises(GlassnetError, match=message):
        make()
