"""Finite-difference proof of every backward pass: layers, losses and whole models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import DataError, GlassnetError

TOL = 1e-6

ACTIVATIONS: dict[str, Callable[[], gn.Layer]] = {
    "sigmoid": gn.Sigmoid,
    "tanh": gn.Tanh,
    "relu": gn.ReLU,
    "leaky_relu_0": lambda: gn.LeakyReLU(0.0),
    "leaky_relu_0.01": lambda: gn.LeakyReLU(0.01),
    "leaky_relu_0.3": lambda: gn.LeakyReLU(0.3),
    "leaky_relu_0.9": lambda: gn.LeakyReLU(0.9),
    "softmax": gn.Softmax,
    "identity": gn.Identity,
}


def _targets(kind: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Targets of shape (n, k) (or (n,) labels) that suit the loss `kind`."""
    if kind in ("sse", "mse"):
        return rng.standard_normal((n, k))
    if kind == "bce":
        return rng.random((n, k))  # soft targets in [0, 1], several columns
    if kind == "ce_labels":
        return rng.integers(0, k, size=n)
    if kind == "ce_onehot":
        return np.eye(k)[rng.integers(0, k, size=n)]
    if kind == "poisson":
        return rng.poisson(2.0, (n, k)).astype(float)  # counts, zeros among them
    if kind == "ce_soft":
        p = rng.random((n, k)) + 0.1
        return p / p.sum(axis=1, keepdims=True)
    raise AssertionError(kind)


LOSS_KINDS: dict[str, Callable[[], gn.Loss]] = {
    "sse": gn.SumSquaredError,
    "mse": gn.MeanSquaredError,
    "bce": gn.BinaryCrossEntropy,
    "ce_labels": gn.CrossEntropy,
    "ce_onehot": gn.CrossEntropy,
    "ce_soft": gn.CrossEntropy,
    "poisson": gn.Poisson,
}


def _assert_ok(report: gn.GradcheckReport) -> None:
    assert report.ok, str(report)
    assert report.errors  # something was checked


# ------------------------------------------------------------------ single layers


@pytest.mark.parametrize("bias", [True, False])
def test_dense_backward_matches_finite_differences(bias: bool, rng: np.random.Generator) -> None:
    layer = gn.Dense(4, 3, bias=bias, rng=1)
    if bias:
        layer.params["bias"][...] = rng.standard_normal(3)
    report = gn.gradcheck(layer, rng.standard_normal((5, 4)), tolerance=TOL)
    _assert_ok(report)
    expected = {"input", "Dense.weight"} | ({"Dense.bias"} if bias else set())
    assert set(report.errors) == expected


def test_dropout_backward_in_training_mode_uses_the_same_mask(rng: np.random.Generator) -> None:
    layer = gn.Dropout(0.4, rng=3)
    x = rng.standard_normal((6, 5))
    _assert_ok(gn.gradcheck(layer, x, training=True, tolerance=TOL))
    # the mask really drops something, so the check was not of the identity
    out = layer.forward(x, training=True)
    assert np.any(out == 0.0) and np.any(out != 0.0)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("training", [False, True])
def test_activation_backward_matches_finite_differences(
    name: str, training: bool, rng: np.random.Generator
) -> None:
    x = rng.standard_normal((5, 4)) * 2.0
    _assert_ok(gn.gradcheck(ACTIVATIONS[name](), x, training=training, tolerance=TOL))


# ------------------------------------------------------------------ losses


@pytest.mark.parametrize("kind", list(LOSS_KINDS))
def test_loss_backward_matches_finite_differences(kind: str, rng: np.random.Generator) -> None:
    pred = rng.standard_normal((6, 3)) * 2.0
    y = _targets(kind, 6, 3, rng)
    _assert_ok(gn.gradcheck(LOSS_KINDS[kind](), pred, y, tolerance=TOL))


def test_cross_entropy_backward_for_large_logits_matches_finite_differences(
    rng: np.random.Generator,
) -> None:
    pred = rng.standard_normal((4, 3)) * 30.0
    y = _targets("ce_soft", 4, 3, rng)
    _assert_ok(gn.gradcheck(gn.CrossEntropy(), pred, y, tolerance=TOL))


# ------------------------------------------------------------------ whole models


def _model(
    activation: str, n_out: int, *, bias: bool = True, dropout: float = 0.0
) -> gn.Sequential:
    layers: list[gn.Layer] = [gn.Dense(3, 4, bias=bias, rng=1), ACTIVATIONS[activation]()]
    if dropout:
        layers.append(gn.Dropout(dropout, rng=7))
    layers += [gn.Dense(4, 5, bias=bias, rng=2), ACTIVATIONS[activation]()]
    layers.append(gn.Dense(5, n_out, bias=bias, rng=3))
    model = gn.Sequential(layers)
    # non-zero biases, so that their gradients are exercised away from the starting point
    b = np.random.default_rng(0)
    for layer in model.dense_layers:
        if bias:
            layer.params["bias"][...] = b.standard_normal(layer.n_out) * 0.5
    return model


@pytest.mark.parametrize("loss_kind", list(LOSS_KINDS))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_two_hidden_layer_model_gradients_match_finite_differences(
    activation: str, loss_kind: str, rng: np.random.Generator
) -> None:
    model = _model(activation, 3)
    x = rng.standard_normal((6, 3))
    y = _targets(loss_kind, 6, 3, rng)
    report = gn.gradcheck(model, x, y, loss=LOSS_KINDS[loss_kind](), tolerance=TOL)
    _assert_ok(report)
    assert len(report.errors) == 1 + len(model.parameters())


@pytest.mark.parametrize("loss_kind", list(LOSS_KINDS))
@pytest.mark.parametrize("variant", ["no_bias", "dropout"])
def test_model_variants_gradients_match_finite_differences(
    variant: str, loss_kind: str, rng: np.random.Generator
) -> None:
    kw: dict[str, Any] = {"bias": False} if variant == "no_bias" else {"dropout": 0.3}
    model = _model("tanh", 3, **kw)
    x = rng.standard_normal((6, 3))
    y = _targets(loss_kind, 6, 3, rng)
    training = variant == "dropout"
    _assert_ok(gn.gradcheck(model, x, y, loss=LOSS_KINDS[loss_kind](), training=training))


def test_tutorial_neuron_gradient_matches_finite_differences(rng: np.random.Generator) -> None:
    model = gn.Sequential([gn.Dense(3, 1, bias=False, init="uniform", rng=1), gn.Sigmoid()])
    x = rng.integers(0, 2, size=(4, 3)).astype(float)
    y = rng.integers(0, 2, size=(4, 1)).astype(float)
    _assert_ok(gn.gradcheck(model, x, y, loss=gn.SumSquaredError(), tolerance=TOL))


# ------------------------------------------------------------------ gradcheck itself


class _ScaledWrongDense(gn.Dense):
    """A Dense whose weight gradient is off by 1%: the kind of slip gradcheck must catch."""

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        out = super().backward(grad, input_grad=input_grad)
        self.grads["weight"] *= 1.01
        return out


class _ForgetsActivation(gn.Layer):
    """A tanh whose backward forgets the derivative (returns grad unchanged)."""

    kind = "Broken"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return np.tanh(x)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


def test_gradcheck_reports_a_wrong_parameter_gradient(rng: np.random.Generator) -> None:
    report = gn.gradcheck(_ScaledWrongDense(4, 3, rng=0), rng.standard_normal((5, 4)))
    assert not report.ok
    assert not bool(report)
    assert report.errors["Dense.weight"] > 1e-3
    assert report.errors["input"] <= TOL  # the input gradient is still right
    assert "FAILED" in str(report)


def test_gradcheck_reports_a_wrong_input_gradient_inside_a_model(
    rng: np.random.Generator,
) -> None:
    model = gn.Sequential([gn.Dense(3, 4, rng=0), _ForgetsActivation(), gn.Dense(4, 2, rng=1)])
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    report = gn.gradcheck(model, x, y, loss=gn.MeanSquaredError())
    assert not report.ok
    assert report.errors["layer1.Dense.weight"] > 1e-3
    assert report.errors["layer3.Dense.weight"] <= TOL  # above the broken layer all is well


def test_gradcheck_refuses_float32_parameters(rng: np.random.Generator) -> None:
    with pytest.raises(GlassnetError, match="float64"):
        gn.gradcheck(gn.Dense(3, 2, rng=0, dtype=np.float32), rng.standard_normal((4, 3)))


def test_gradcheck_of_a_model_needs_a_loss(rng: np.random.Generator) -> None:
    with pytest.raises(GlassnetError, match="loss"):
        gn.gradcheck(gn.Sequential([gn.Dense(3, 2, rng=0)]), rng.standard_normal((4, 3)))


class _NaNGradients(gn.Dense):
    """A Dense whose backward writes NaN into its weight gradient."""

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        dx = super().backward(grad, input_grad=input_grad)
        self.grads["weight"][0, 0] = np.nan
        return dx


class _InfInput(gn.Tanh):
    def backward(self, grad: np.ndarray) -> np.ndarray:
        dx = super().backward(grad).copy()
        dx[0, 0] = np.inf
        return dx


@pytest.mark.parametrize("layer", [_NaNGradients(3, 2, rng=0), _InfInput()])
def test_nan_or_inf_in_a_gradient_fails_the_check(layer: gn.layers.Layer) -> None:
    report = gn.gradcheck(layer, np.ones((4, 3)))
    assert not report.ok and not report
    assert report.worst == np.inf
    assert "FAILED" in str(report)


@pytest.mark.parametrize("eps", [0, 0.0, -1e-6, float("nan"), float("inf"), None, "1e-6"])
def test_gradcheck_refuses_a_step_that_is_not_a_positive_number(eps: object) -> None:
    with pytest.raises(GlassnetError, match="eps must be a positive number"):
        gn.gradcheck(gn.Dense(3, 2, rng=0), np.ones((4, 3)), eps=eps)  # type: ignore[arg-type]


def test_gradcheck_refuses_labels_out_of_range_for_cross_entropy() -> None:
    with pytest.raises(DataError, match=r"labels in \[0, 5\].*expects labels in \[0, 2\]"):
        gn.gradcheck(gn.CrossEntropy(), np.ones((4, 3)), np.array([0, 1, 2, 5]))
    net = gn.Sequential([gn.Dense(3, 3, rng=0)])
    with pytest.raises(DataError, match="labels in"):
        gn.gradcheck(net, np.ones((4, 3)), np.array([-1, 0, 1, 2]), loss=gn.CrossEntropy())


def test_gradcheck_refuses_bad_seeds_and_non_finite_inputs() -> None:
    with pytest.raises(GlassnetError, match="seed must be a seed"):
        gn.gradcheck(gn.Dense(3, 2, rng=0), seed=-1)
    with pytest.raises(DataError, match="x contains nan"):
        gn.gradcheck(gn.Dense(3, 2, rng=0), np.full((2, 3), np.nan))


def test_gradcheck_takes_a_loss_by_name_and_refuses_unknown_ones() -> None:
    net = gn.Sequential([gn.Dense(3, 1, rng=0)])
    assert gn.gradcheck(net, np.ones((4, 3)), np.ones(4), loss="mse").ok
    with pytest.raises(GlassnetError, match=r"unknown loss 1\.5"):
        gn.gradcheck(net, np.ones((4, 3)), np.ones(4), loss=1.5)  # type: ignore[arg-type]


def test_gradcheck_with_a_huge_step_fails_quietly() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = gn.gradcheck(gn.Dense(3, 2, rng=0), np.ones((4, 3)), eps=1e308)
    assert not report.ok
