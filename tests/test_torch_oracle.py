"""PyTorch as the oracle: identical networks give the same outputs, loss, gradients and steps.

Weights are copied across (glassnet's Dense weight is (n_in, n_out), torch's Linear weight is
its transpose) and everything runs in float64, so agreement is to 1e-10, not "roughly".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn

ATOL = 1e-10
OUT = -1  # placeholder for the output width, which depends on the loss

# architecture specs: (n_in, n_out, bias) for Dense, else an activation name
ARCHS: dict[str, list[Any]] = {
    "3-5-k_sigmoid": [(3, 5, True), "sigmoid", (5, OUT, True)],
    "3-5-k_sigmoid_out": [(3, 5, True), "sigmoid", (5, OUT, True), "sigmoid"],
    "4-8-8-k_relu_tanh": [(4, 8, True), "relu", (8, 8, True), "tanh", (8, OUT, True)],
    "4-6-k_leaky": [(4, 6, True), ("leaky", 0.2), (6, OUT, True)],
    "4-6-softmax-5-k": [(4, 6, True), "softmax", (6, 5, True), "tanh", (5, OUT, True)],
    "4-7-k_no_bias": [(4, 7, False), "tanh", (7, OUT, False)],
    "3-k_linear": [(3, OUT, True)],
}

LOSSES = ["sse", "mse", "bce", "ce_labels", "ce_onehot", "ce_probs", "poisson"]


def _activation(spec: Any) -> tuple[gn.Layer, torch.nn.Module]:
    if isinstance(spec, tuple):
        return gn.LeakyReLU(spec[1]), torch.nn.LeakyReLU(spec[1])
    return {
        "sigmoid": (gn.Sigmoid(), torch.nn.Sigmoid()),
        "tanh": (gn.Tanh(), torch.nn.Tanh()),
        "relu": (gn.ReLU(), torch.nn.ReLU()),
        "softmax": (gn.Softmax(), torch.nn.Softmax(dim=1)),
    }[spec]


def build(arch: str, n_out: int, seed: int = 0) -> tuple[gn.Sequential, torch.nn.Sequential]:
    """The same network twice: glassnet and torch, with equal (random, non-zero) weights."""
    rng = np.random.default_rng(seed)
    g_layers: list[gn.Layer] = []
    t_layers: list[torch.nn.Module] = []
    for spec in ARCHS[arch]:
        if isinstance(spec, tuple) and len(spec) == 3:
            n_in, width, bias = spec
            width = n_out if width == OUT else width
            dense = gn.Dense(n_in, width, bias=bias, rng=rng)
            linear = torch.nn.Linear(n_in, width, bias=bias, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(dense.params["weight"].T.copy()))
                if bias:
                    dense.params["bias"][...] = rng.standard_normal(width) * 0.3
                    linear.bias.copy_(torch.from_numpy(dense.params["bias"]))
            g_layers.append(dense)
            t_layers.append(linear)
        else:
            g, t = _activation(spec)
            g_layers.append(g)
            t_layers.append(t)
    return gn.Sequential(g_layers), torch.nn.Sequential(*t_layers)


def data(loss: str, n: int, n_in: int, n_out: int, seed: int = 1) -> tuple[np.ndarray, Any]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    if loss in ("sse", "mse"):
        y: Any = rng.standard_normal((n, n_out))
    elif loss == "bce":
        y = rng.random((n, n_out))
        y[: n // 2] = np.round(y[: n // 2])  # hard and soft targets, several columns
    elif loss == "ce_labels":
        y = rng.integers(0, n_out, size=n)
    elif loss == "poisson":
        y = rng.poisson(2.0, (n, n_out)).astype(float)  # counts, zeros among them
    elif loss == "ce_onehot":
        y = np.eye(n_out)[rng.integers(0, n_out, size=n)]
    else:
        p = rng.random((n, n_out)) + 0.05
        y = p / p.sum(axis=1, keepdims=True)
    return X, y


def losses(kind: str) -> tuple[gn.Loss, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """The glassnet loss and PyTorch's definition of the same quantity."""
    if kind == "sse":
        mse_sum = torch.nn.MSELoss(reduction="sum")
        return gn.SumSquaredError(), lambda out, y: 0.5 * mse_sum(out, y)
    if kind == "mse":
        return gn.MeanSquaredError(), torch.nn.MSELoss()
    if kind == "bce":
        return gn.BinaryCrossEntropy(), torch.nn.BCEWithLogitsLoss()
    if kind == "poisson":
        nll = torch.nn.PoissonNLLLoss(log_input=True)  # e^z − y·z, without y·log y − y
        return gn.Poisson(), lambda out, y: nll(out, y) + torch.mean(torch.xlogy(y, y) - y)
    return gn.CrossEntropy(), torch.nn.CrossEntropyLoss()


def n_out_for(loss: str) -> int:
    return 1 if loss in ("sse", "mse") else 3


def torch_target(y: Any) -> torch.Tensor:
    t = torch.from_numpy(np.asarray(y))
    return t.long() if t.dtype not in (torch.float64, torch.float32) else t


def _close(a: Any, b: Any, what: str) -> None:
    a = np.asarray(a.detach().numpy() if isinstance(a, torch.Tensor) else a)
    b = np.asarray(b.detach().numpy() if isinstance(b, torch.Tensor) else b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape}"
    np.testing.assert_allclose(a, b, rtol=0, atol=ATOL, err_msg=what)


def torch_params(net: torch.nn.Sequential) -> list[torch.Tensor]:
    """Torch's parameters in glassnet's order (weight transposed, then bias, layer by layer)."""
    return [p for p in net.parameters()]


def as_glassnet(p: torch.Tensor) -> np.ndarray:
    return p.detach().numpy().T if p.ndim == 2 else p.detach().numpy()


# ------------------------------------------------------------------ one forward and backward


@pytest.mark.parametrize("loss_kind", LOSSES)
@pytest.mark.parametrize("arch", list(ARCHS))
def test_forward_loss_and_every_gradient_agree_with_torch(arch: str, loss_kind: str) -> None:
    k = n_out_for(loss_kind)
    if arch.startswith("3-5-k_sigmoid") and loss_kind.startswith("ce"):
        k = 2
    g_net, t_net = build(arch, k)
    X, y = data(loss_kind, 7, g_net.n_features_in, k)
    g_loss, t_loss = losses(loss_kind)

    out = g_net.forward(X)
    value = g_loss.forward(out, y)
    dx = g_net.backward(g_loss.backward())

    xt = torch.from_numpy(X.copy()).requires_grad_(True)
    out_t = t_net(xt)
    value_t = t_loss(out_t, torch_target(y))
    value_t.backward()

    _close(out, out_t, "outputs")
    assert abs(value - value_t.item()) <= ATOL, (value, value_t.item())
    _close(dx, xt.grad, "input gradient")
    g_grads = g_net.gradients()
    t_grads = [p.grad for p in torch_params(t_net)]
    assert len(g_grads) == len(t_grads)
    for i, (g, t) in enumerate(zip(g_grads, t_grads, strict=True)):
        assert t is not None
        _close(g, as_glassnet(t), f"gradient of parameter {i}")


def test_cross_entropy_with_labels_equals_cross_entropy_with_one_hot_rows() -> None:
    X, labels = data("ce_labels", 9, 4, 3)
    out = build("4-6-k_leaky", 3)[0].forward(X)
    a, b = gn.CrossEntropy(), gn.CrossEntropy()
    assert a.forward(out, labels) == pytest.approx(b.forward(out, np.eye(3)[labels]), abs=1e-14)
    np.testing.assert_allclose(a.backward(), b.backward(), atol=1e-16)


# ------------------------------------------------------------------ several optimizer steps


OPTIMIZERS: dict[str, tuple[Callable[..., gn.Optimizer], Callable[..., torch.optim.Optimizer]]] = {
    "sgd": (lambda **kw: gn.SGD(0.1, **kw), lambda g, **kw: torch.optim.SGD(g, lr=0.1, **kw)),
    "sgd_momentum": (
        lambda **kw: gn.SGD(0.1, momentum=0.9, **kw),
        lambda g, **kw: torch.optim.SGD(g, lr=0.1, momentum=0.9, **kw),
    ),
    "sgd_nesterov": (
        lambda **kw: gn.SGD(0.1, momentum=0.9, nesterov=True, **kw),
        lambda g, **kw: torch.optim.SGD(g, lr=0.1, momentum=0.9, nesterov=True, **kw),
    ),
    "adam": (
        lambda **kw: gn.Adam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7, **kw),
        lambda g, **kw: torch.optim.Adam(g, lr=0.01, betas=(0.8, 0.99), eps=1e-7, **kw),
    ),
    "rmsprop": (
        lambda **kw: gn.RMSprop(0.01, rho=0.9, epsilon=1e-7, **kw),
        lambda g, **kw: torch.optim.RMSprop(g, lr=0.01, alpha=0.9, eps=1e-7, **kw),
    ),
}


def torch_optimizer(name: str, net: torch.nn.Sequential, weight_decay: float) -> Any:
    """glassnet decays weight matrices only, never biases: two torch param groups."""
    weights = [p for p in net.parameters() if p.ndim == 2]
    biases = [p for p in net.parameters() if p.ndim == 1]
    groups = [{"params": weights, "weight_decay": weight_decay}]
    if biases:
        groups.append({"params": biases, "weight_decay": 0.0})
    return OPTIMIZERS[name][1](groups)


def run_torch(
    t_net: torch.nn.Sequential,
    opt: Any,
    t_loss: Callable[..., torch.Tensor],
    batches: list[tuple[np.ndarray, Any]],
    clip_norm: float | None,
) -> list[float]:
    values = []
    for xb, yb in batches:
        opt.zero_grad()
        value = t_loss(t_net(torch.from_numpy(xb)), torch_target(yb))
        value.backward()
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(t_net.parameters(), clip_norm)
        opt.step()
        values.append(value.item())
    return values


def _assert_same_weights(g_net: gn.Sequential, t_net: torch.nn.Sequential) -> None:
    g_params = g_net.parameters()
    t_params = torch_params(t_net)
    for i, (g, t) in enumerate(zip(g_params, t_params, strict=True)):
        _close(g, as_glassnet(t), f"parameter {i} after training")


@pytest.mark.parametrize("clip_norm", [None, 0.05])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
def test_five_full_batch_steps_agree_with_torch(
    opt_name: str, weight_decay: float, clip_norm: float | None
) -> None:
    g_net, t_net = build("4-8-8-k_relu_tanh", 3)
    X, y = data("ce_labels", 12, 4, 3)
    g_loss, t_loss = losses("ce_labels")
    g_opt = OPTIMIZERS[opt_name][0](weight_decay=weight_decay, clip_norm=clip_norm)
    history = g_net.fit(X, y, loss=g_loss, optimizer=g_opt, epochs=5, shuffle=False)
    t_values = run_torch(
        t_net, torch_optimizer(opt_name, t_net, weight_decay), t_loss, [(X, y)] * 5, clip_norm
    )
    np.testing.assert_allclose(history["loss"], t_values, rtol=0, atol=ATOL)
    _assert_same_weights(g_net, t_net)
    # the steps moved the weights: agreement is not the trivial kind
    assert not np.allclose(g_net.parameters()[0], build("4-8-8-k_relu_tanh", 3)[0].parameters()[0])


@pytest.mark.parametrize("loss_kind", LOSSES)
@pytest.mark.parametrize("opt_name", ["sgd_nesterov", "adam"])
def test_five_steps_agree_with_torch_for_every_loss(opt_name: str, loss_kind: str) -> None:
    k = n_out_for(loss_kind)
    g_net, t_net = build("3-5-k_sigmoid_out" if loss_kind == "sse" else "4-6-k_leaky", k)
    X, y = data(loss_kind, 10, g_net.n_features_in, k)
    g_loss, t_loss = losses(loss_kind)
    g_net.fit(X, y, loss=g_loss, optimizer=OPTIMIZERS[opt_name][0](), epochs=5)
    run_torch(t_net, torch_optimizer(opt_name, t_net, 0.0), t_loss, [(X, y)] * 5, None)
    _assert_same_weights(g_net, t_net)


@pytest.mark.parametrize("loss_kind", ["sse", "mse", "ce_labels"])
def test_unshuffled_mini_batches_agree_with_torch(loss_kind: str) -> None:
    k = n_out_for(loss_kind)
    g_net, t_net = build("4-7-k_no_bias", k)
    X, y = data(loss_kind, 10, 4, k)
    g_loss, t_loss = losses(loss_kind)
    g_opt = OPTIMIZERS["adam"][0](weight_decay=0.01, clip_norm=0.5)
    g_net.fit(X, y, loss=g_loss, optimizer=g_opt, epochs=2, batch_size=4, shuffle=False)
    # batches of 4, 4 and the remaining 2, in order, twice
    batches = [(X[i : i + 4], y[i : i + 4]) for i in (0, 4, 8)] * 2
    run_torch(t_net, torch_optimizer("adam", t_net, 0.01), t_loss, batches, 0.5)
    _assert_same_weights(g_net, t_net)


def _gradient_norm(net: gn.Sequential, loss: gn.Loss, X: np.ndarray, y: Any) -> float:
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    return float(np.sqrt(sum(float(np.vdot(g, g)) for g in net.gradients())))


@pytest.mark.parametrize("offset", [-1e-3, -5e-7, 0.0, 5e-7, 1e-3])
def test_gradient_clipping_near_the_threshold_matches_torch(offset: float) -> None:
    # torch scales by clip / (norm + 1e-6) whenever that is below 1, so a norm just under the
    # threshold is still (very slightly) scaled: the rule must be the same to agree to 1e-10
    X, y = data("ce_labels", 12, 4, 3)
    norm = _gradient_norm(build("4-8-8-k_relu_tanh", 3)[0], gn.CrossEntropy(), X, y)
    clip = norm + offset
    g_net, t_net = build("4-8-8-k_relu_tanh", 3)
    g_net.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(1.0, clip_norm=clip), epochs=1)
    t_opt = torch.optim.SGD(t_net.parameters(), lr=1.0)
    run_torch(t_net, t_opt, losses("ce_labels")[1], [(X, y)], clip)
    _assert_same_weights(g_net, t_net)


def test_clipping_in_the_oracle_tests_is_active() -> None:
    X, y = data("ce_labels", 12, 4, 3)
    assert _gradient_norm(build("4-8-8-k_relu_tanh", 3)[0], gn.CrossEntropy(), X, y) > 0.05 * 4
