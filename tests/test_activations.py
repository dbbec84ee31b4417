"""Activation layers: values, derivatives beside them, and numerical safety at extreme inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet import activations
from glassnet.errors import GlassnetError

DTYPES = [np.float32, np.float64]
ALL = [gn.Sigmoid, gn.Tanh, gn.ReLU, gn.LeakyReLU, gn.Softmax, gn.Identity]


def _extremes(dtype: type) -> np.ndarray:
    big = np.finfo(dtype).max
    return np.array([[-big, -1e30, -1e4, -1.0, 0.0, 1.0, 1e4, 1e30, big]], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [False, True])
def test_sigmoid_is_finite_without_warnings_for_extreme_inputs(dtype: type, training: bool) -> None:
    x = _extremes(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # not even a silenced overflow (underflow of e^(−z) to 0 is exact enough and allowed)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = gn.Sigmoid().forward(x, training=training)
    assert y.dtype == dtype
    assert np.isfinite(y).all()
    assert ((y >= 0) & (y <= 1)).all()
    assert y[0, 0] == pytest.approx(0.0, abs=1e-30) and y[0, -1] == 1.0
    assert y[0, 4] == 0.5
    assert np.all(np.diff(y[0]) >= 0)  # monotone even where it saturates


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_equals_the_tutorial_formula_where_it_does_not_overflow(dtype: type) -> None:
    x = np.linspace(-30, 30, 61, dtype=dtype).reshape(1, -1)
    np.testing.assert_array_equal(gn.Sigmoid().forward(x), 1 / (1 + np.exp(-x)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls", [gn.Tanh, gn.ReLU, gn.LeakyReLU, gn.Softmax, gn.Identity])
def test_activations_are_finite_without_warnings_for_extreme_inputs(
    cls: type[gn.Layer], dtype: type
) -> None:
    x = _extremes(dtype)
    if cls is gn.Softmax:
        # ±max would overflow the shift z − max(z) itself; ±1e30 spans 60 orders of magnitude
        x = np.vstack([x[:, 1:-1], -x[:, 1:-1]])
    layer = cls()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layer.forward(x, training=True)
        dx = layer.backward(np.ones_like(y))
    assert y.dtype == dtype and dx.dtype == dtype
    if cls not in (gn.LeakyReLU, gn.Identity, gn.ReLU):  # those pass ±max through, by design
        assert np.isfinite(y).all() and np.isfinite(dx).all()


def test_softmax_of_huge_logits_is_one_hot_and_finite() -> None:
    y = gn.Softmax().forward(np.array([[1e4, 0.0, -1e4], [1e308, 1e308, 0.0]]))
    np.testing.assert_allclose(y, [[1, 0, 0], [0.5, 0.5, 0]])


@pytest.mark.parametrize("cls", ALL)
def test_derivative_beside_forward_matches_the_closed_form(
    cls: type[gn.Layer], rng: np.random.Generator
) -> None:
    x = rng.standard_normal((5, 4)) * 3
    layer = cls()
    y = layer.forward(x, training=True).copy()
    grad = rng.standard_normal(y.shape)
    dx = layer.backward(grad)
    if cls is gn.Sigmoid:
        expected = grad * y * (1 - y)
    elif cls is gn.Tanh:
        expected = grad * (1 - np.tanh(x) ** 2)
    elif cls is gn.ReLU:
        expected = grad * (x > 0)
    elif cls is gn.LeakyReLU:
        expected = grad * np.where(x > 0, 1.0, 0.01)
    elif cls is gn.Softmax:
        # full Jacobian diag(y) − y yᵀ, row by row
        expected = np.stack([(np.diag(r) - np.outer(r, r)) @ g for r, g in zip(y, grad)])
    else:
        expected = grad
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", ALL)
def test_inference_forward_returns_a_fresh_array_and_training_reuses_a_buffer(
    cls: type[gn.Layer], rng: np.random.Generator
) -> None:
    layer = cls()
    x = rng.standard_normal((3, 4))
    a, b = layer.forward(x), layer.forward(x)
    np.testing.assert_array_equal(a, b)
    if cls is not gn.Identity:
        assert not np.shares_memory(a, b)
        assert not np.shares_memory(a, x)  # the input is never overwritten
        t1 = layer.forward(x, training=True)
        t2 = layer.forward(x, training=True)
        assert np.shares_memory(t1, t2)
        np.testing.assert_array_equal(t2, a)


def test_leaky_relu_rejects_bad_slopes() -> None:
    for bad in (-0.1, 1.0, 2, "0.1", True):
        with pytest.raises(GlassnetError, match="negative_slope"):
            gn.LeakyReLU(bad)  # type: ignore[arg-type]


def test_activation_lookup_by_name_and_unknown_name() -> None:
    assert isinstance(activations.get("ReLU"), gn.ReLU)
    with pytest.raises(GlassnetError, match=r"unknown activation 'swish'.*relu"):
        activations.get("swish")


def test_backward_before_forward_is_a_clear_error() -> None:
    with pytest.raises(GlassnetError, match="before forward"):
        gn.Sigmoid().backward(np.ones((1, 1)))


# ------------------------------------------------------------------ properties

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
matrices = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6), elements=finite
)


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_softmax_rows_are_probabilities_that_sum_to_one(x: np.ndarray) -> None:
    y = gn.Softmax().forward(x)
    assert ((y >= 0) & (y <= 1)).all()
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)
    # the largest logit gets the largest probability
    assert (y.argmax(axis=1) == x.argmax(axis=1)).all() or np.allclose(
        y.max(axis=1), y[np.arange(len(y)), x.argmax(axis=1)]
    )


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(-100, 100))
def test_softmax_is_invariant_to_shifting_a_row(x: np.ndarray, c: float) -> None:
    np.testing.assert_allclose(
        gn.Softmax().forward(x + c), gn.Softmax().forward(x), rtol=1e-6, atol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(2, 40), elements=finite))
def test_sigmoid_is_in_unit_interval_monotone_and_symmetric(v: np.ndarray) -> None:
    x = np.sort(v).reshape(1, -1)
    y = gn.Sigmoid().forward(x)
    assert ((y >= 0) & (y <= 1)).all()
    assert (np.diff(y[0]) >= 0).all()
    np.testing.assert_allclose(gn.Sigmoid().forward(-x), 1 - y, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(0.0, 0.99))
def test_relu_and_leaky_relu_are_piecewise_linear(x: np.ndarray, slope: float) -> None:
    np.testing.assert_array_equal(gn.ReLU().forward(x), np.maximum(x, 0))
    np.testing.assert_array_equal(gn.LeakyReLU(slope).forward(x), np.where(x > 0, x, slope * x))


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_tanh_is_odd_and_bounded(x: np.ndarray) -> None:
    y = gn.Tanh().forward(x)
    assert (np.abs(y) <= 1).all()
    np.testing.assert_array_equal(gn.Tanh().forward(-x), -y)
