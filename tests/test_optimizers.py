"""Optimizers and schedules: hand-computed updates, decay and clipping rules, state, config."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet.errors import GlassnetError


def _pair(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A weight matrix and a bias, with gradients."""
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    return params, grads


def test_sgd_step_is_p_minus_lr_times_g_in_place(rng: np.random.Generator) -> None:
    params, grads = _pair(rng)
    arrays = [p for p in params]
    expected = [p - 0.1 * g for p, g in zip(params, grads)]
    gn.SGD(0.1).step(params, grads)
    for p, a, e in zip(params, arrays, expected):
        assert p is a  # updated in place: the network keeps sharing the array
        np.testing.assert_allclose(p, e, rtol=1e-15)


def test_sgd_momentum_and_nesterov_follow_pytorch_recurrences(rng: np.random.Generator) -> None:
    for nesterov in (False, True):
        p = rng.standard_normal(4)
        ref, v = p.copy(), np.zeros(4)
        opt = gn.SGD(0.05, momentum=0.9, nesterov=nesterov)
        for _ in range(4):
            g = rng.standard_normal(4)
            v = 0.9 * v + g
            ref -= 0.05 * (g + 0.9 * v if nesterov else v)
            opt.step([p], [g])
        np.testing.assert_allclose(p, ref, rtol=1e-14)


def test_adam_matches_kingma_and_ba_with_epsilon_outside_the_root(
    rng: np.random.Generator,
) -> None:
    p = rng.standard_normal(5)
    ref, m, v = p.copy(), np.zeros(5), np.zeros(5)
    opt = gn.Adam(0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3)
    for t in range(1, 6):
        g = rng.standard_normal(5)
        m = 0.8 * m + 0.2 * g
        v = 0.95 * v + 0.05 * g * g
        ref -= 0.01 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.95**t)) + 1e-3)
        opt.step([p], [g])
    np.testing.assert_allclose(p, ref, rtol=1e-13)
    assert opt.iterations == 5


def test_rmsprop_matches_its_recurrence(rng: np.random.Generator) -> None:
    p = rng.standard_normal(5)
    ref, v = p.copy(), np.zeros(5)
    opt = gn.RMSprop(0.01, rho=0.9, epsilon=1e-3)
    for _ in range(5):
        g = rng.standard_normal(5)
        v = 0.9 * v + 0.1 * g * g
        ref -= 0.01 * g / (np.sqrt(v) + 1e-3)
        opt.step([p], [g])
    np.testing.assert_allclose(p, ref, rtol=1e-13)


def test_weight_decay_applies_to_weight_matrices_only_and_leaves_grads_pure(
    rng: np.random.Generator,
) -> None:
    params, grads = _pair(rng)
    before = [p.copy() for p in params]
    grads_before = [g.copy() for g in grads]
    gn.SGD(0.1, weight_decay=0.5).step(params, grads)
    np.testing.assert_allclose(params[0], before[0] - 0.1 * (grads[0] + 0.5 * before[0]))
    np.testing.assert_allclose(params[1], before[1] - 0.1 * grads[1])  # bias: no decay
    for g, g0 in zip(grads, grads_before):
        np.testing.assert_array_equal(g, g0)


def test_clip_norm_rescales_the_global_gradient_norm(rng: np.random.Generator) -> None:
    params, grads = _pair(rng)
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    before = [p.copy() for p in params]
    gn.SGD(1.0, clip_norm=norm / 4).step(params, grads)
    step = [b - p for b, p in zip(before, params)]
    step_norm = math.sqrt(sum(float(np.sum(s * s)) for s in step))
    assert step_norm == pytest.approx(norm / 4, rel=1e-5)
    # direction unchanged
    np.testing.assert_allclose(step[0] / step_norm, grads[0] / np.linalg.norm(
        np.concatenate([g.ravel() for g in grads])), rtol=1e-9)  # fmt: skip


def test_clip_norm_leaves_small_gradients_alone(rng: np.random.Generator) -> None:
    params, grads = _pair(rng)
    expected = [p - g for p, g in zip(params, grads)]
    gn.SGD(1.0, clip_norm=1e6).step(params, grads)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.1, clip_norm=1.0),
        lambda: gn.Adam(0.1, weight_decay=0.1, clip_norm=1.0),
        lambda: gn.RMSprop(0.1, weight_decay=0.1),
    ],
)
def test_updates_keep_the_parameter_dtype(make: object, dtype: type) -> None:
    params = [np.ones((3, 2), dtype=dtype), np.ones(2, dtype=dtype)]
    grads = [np.full((3, 2), 0.5, dtype=dtype), np.full(2, 0.5, dtype=dtype)]
    opt = make()  # type: ignore[operator]
    opt.step(params, grads)
    opt.step(params, grads)
    assert all(p.dtype == dtype for p in params)
    assert all(a.dtype == dtype for slot in opt.state.values() for a in slot)


# ------------------------------------------------------------------ schedules


def test_step_decay_halves_every_step_size_epochs() -> None:
    s = gn.StepDecay(0.1, step_size=3, gamma=0.5)
    assert [s(e) for e in range(7)] == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025])


def test_exponential_decay_multiplies_by_gamma_each_epoch() -> None:
    s = gn.ExponentialDecay(0.2, gamma=0.9)
    assert [s(e) for e in range(4)] == pytest.approx([0.2, 0.18, 0.162, 0.1458])


def test_inverse_scaling_divides_by_a_power_of_the_epoch() -> None:
    s = gn.InverseScaling(1.0, power=0.5)
    assert [s(e) for e in range(4)] == pytest.approx([1, 1 / math.sqrt(2), 1 / math.sqrt(3), 0.5])


def test_optimizer_learning_rate_follows_its_schedule_per_epoch() -> None:
    opt = gn.SGD(gn.StepDecay(1.0, step_size=2, gamma=0.1))
    seen = []
    for epoch in range(5):
        opt.set_epoch(epoch)
        seen.append(opt.learning_rate)
    assert seen == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])


# ------------------------------------------------------------------ checks, state, config


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: gn.SGD(0.0), "learning_rate must be a positive number, got 0.0"),
        (lambda: gn.SGD(-1), "learning_rate must be a positive number, got -1"),
        (lambda: gn.SGD(float("nan")), "learning_rate must be a positive number, got nan"),
        (lambda: gn.SGD(0.1, momentum=1.0), r"momentum must be a number in \[0, 1\), got 1.0"),
        (lambda: gn.SGD(0.1, nesterov=True), "nesterov=True needs a momentum > 0"),
        (lambda: gn.Adam(beta_1=1.2), "beta_1"),
        (lambda: gn.Adam(epsilon=0), "epsilon"),
        (lambda: gn.RMSprop(rho=-0.5), "rho"),
        (lambda: gn.SGD(0.1, weight_decay=-1.0), "weight_decay"),
        (lambda: gn.SGD(0.1, clip_norm=0.0), "clip_norm"),
        (lambda: gn.StepDecay(0.1, gamma=0), "gamma"),
        (lambda: optimizers.get("adagrad"), "unknown optimizer 'adagrad'"),
    ],
)
def test_bad_hyper_parameters_raise_naming_the_value(make: object, match: str) -> None:
    with pytest.raises(GlassnetError, match=match):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "opt",
    [
        gn.SGD(gn.ExponentialDecay(0.1, gamma=0.9), momentum=0.5, weight_decay=0.01),
        gn.Adam(gn.StepDecay(0.01, step_size=2), clip_norm=2.0),
        gn.RMSprop(gn.InverseScaling(0.01, power=0.25), rho=0.8),
    ],
)
def test_config_and_state_rebuild_an_optimizer_that_steps_identically(
    opt: gn.Optimizer, rng: np.random.Generator
) -> None:
    params, grads = _pair(rng)
    opt.set_epoch(3)
    opt.step(params, grads)
    clone = optimizers.from_config(opt.kind, opt.get_config())
    clone.load_state_dict(opt.state_dict())
    assert clone.learning_rate == opt.learning_rate and clone.iterations == opt.iterations
    p1, p2 = [p.copy() for p in params], [p.copy() for p in params]
    opt.step(p1, [g.copy() for g in grads])
    clone.step(p2, [g.copy() for g in grads])
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a, b)


def test_state_dict_is_a_copy(rng: np.random.Generator) -> None:
    params, grads = _pair(rng)
    opt = gn.Adam(0.1)
    opt.step(params, grads)
    state = opt.state_dict()
    state["slots"]["m"][0][...] = 99.0
    assert not np.any(opt.state["m"][0] == 99.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.Adam(0.05, weight_decay=0.1),
        lambda: gn.Adam(0.05, weight_decay=0.1, clip_norm=1.0),
        lambda: gn.RMSprop(0.05, weight_decay=0.1),
        lambda: gn.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
    ],
)
def test_the_whole_model_update_with_weight_decay_is_the_per_parameter_update(make) -> None:
    # A rule with state updates a model's parameters as one flat array; with weight decay it
    # adds λ·W to the gathered gradients itself. The per-parameter path is the reference.
    rng = np.random.default_rng(0)
    shapes = [(5, 4), (4,), (4, 3), (3,)]
    start = [rng.standard_normal(s) for s in shapes]
    steps = [[rng.standard_normal(s) for s in shapes] for _ in range(5)]
    flat_params, plain_params = [p.copy() for p in start], [p.copy() for p in start]
    flat, plain = make(), make()
    plain.whole_model = False  # as when the parameters' dtypes differ: one parameter at a time
    for grads in steps:
        flat.step(flat_params, [g.copy() for g in grads])
        plain.step(plain_params, [g.copy() for g in grads])
    assert flat._units is not None and len(flat._units) == 1
    assert plain._units is not None and len(plain._units) == len(shapes)
    for a, b in zip(flat_params, plain_params):
        np.testing.assert_array_equal(a, b)
    for name in flat.slots:
        for a, b in zip(flat.state[name], plain.state[name]):
            np.testing.assert_array_equal(a, b)


def test_an_optimizers_pickle_holds_its_state_not_its_working_arrays() -> None:
    import pickle

    rng = np.random.default_rng(1)
    params = [rng.standard_normal((200, 100)), rng.standard_normal(100)]
    opt = gn.Adam(0.01)
    opt.step(params, [rng.standard_normal(p.shape) for p in params])
    size = sum(p.nbytes for p in params)
    blob = pickle.dumps(opt)
    assert len(blob) < 2 * size + 10_000  # m and v; no flat gradient or step arrays
    twin = pickle.loads(blob)
    a, b = [p.copy() for p in params], [p.copy() for p in params]
    grads = [rng.standard_normal(p.shape) for p in params]
    opt.step(a, [g.copy() for g in grads])
    twin.step(b, [g.copy() for g in grads])
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("step_size", [0.5, 1.5, 0, -2, True, "3", float("nan")])
def test_step_decay_takes_only_a_whole_number_of_epochs(step_size: object) -> None:
    with pytest.raises(GlassnetError, match="step_size must be a positive integer"):
        gn.optimizers.StepDecay(0.1, step_size=step_size)  # type: ignore[arg-type]


def test_schedules_whose_rate_passes_float64_are_refused_before_fit_moves_a_weight() -> None:
    for schedule in (optimizers.ExponentialDecay(0.1, gamma=1e308),
                     optimizers.StepDecay(0.1, step_size=1, gamma=1e308)):  # fmt: skip
        with pytest.raises(GlassnetError, match="passes float64's range"):
            schedule(3)
        net = gn.Sequential([gn.Dense(2, 1, rng=0)])
        start = net.get_weights()
        with pytest.raises(GlassnetError, match=r"0\.1 · 1e\+308\^\d+ passes float64"):
            net.fit(np.ones((4, 2)), np.ones(4), loss="mse", optimizer=gn.SGD(schedule), epochs=5)
        assert all(np.array_equal(a, b) for a, b in zip(start, net.get_weights()))
    assert optimizers.InverseScaling(0.1, power=1e308)(3) == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.SGD(10**400),
        lambda: gn.SGD(0.1, weight_decay=10**400),
        lambda: gn.SGD(0.1, clip_norm=-(10**400)),
        lambda: gn.StepDecay(0.1, gamma=10**400),
        lambda: gn.Adam(0.1, epsilon=10**400),
    ],
)
def test_an_integer_beyond_float64_is_a_one_line_error_not_an_overflow(make: object) -> None:
    with pytest.raises(GlassnetError, match=r"must be a .*number.*got -?10{20}") as caught:
        make()  # type: ignore[operator]
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("value", ["0.9", None, 1.0, -0.1, float("nan")])
def test_momentum_set_after_construction_is_checked(value: object) -> None:
    opt = gn.SGD(0.1, momentum=0.5)
    with pytest.raises(GlassnetError, match="momentum must be a number in"):
        opt.momentum = value  # type: ignore[assignment]
    assert opt.momentum == 0.5


def test_nesterov_momentum_cannot_be_turned_off_alone() -> None:
    opt = gn.SGD(0.1, momentum=0.9, nesterov=True)
    with pytest.raises(GlassnetError, match="nesterov=True needs a momentum > 0"):
        opt.momentum = 0.0


def test_state_dict_holds_only_the_state_the_rule_keeps(rng: np.random.Generator) -> None:
    params, grads = _pair(rng)
    opt = gn.SGD(0.1, momentum=0.9)
    opt.step(params, grads)
    opt.momentum = 0.0  # the velocity is no longer part of the rule
    assert opt.state_dict()["slots"] == {}
    clone = optimizers.from_config(opt.kind, opt.get_config())
    clone.load_state_dict(opt.state_dict())
    assert clone.slots == opt.slots == ()


def test_nesterov_is_a_bool_not_a_truthy_value() -> None:
    with pytest.raises(GlassnetError, match="nesterov must be True or False"):
        gn.SGD(0.1, momentum=0.9, nesterov="no")  # type: ignore[arg-type]
    assert gn.SGD(0.1, momentum=0.9, nesterov=np.bool_(True)).nesterov is True


class _MySGD(gn.SGD):
    """A subclass: keeps the general `_update` (the plain path is for glassnet's own SGD)."""


def _tutorial_fit(optimizer: gn.SGD, epochs: int = 300, callbacks=()) -> gn.Sequential:
    X, y = gn.tutorial.TRAINING_INPUTS.astype(float), gn.tutorial.TRAINING_OUTPUTS.astype(float)
    model = gn.Sequential(
        [gn.Dense(3, 4, rng=0), gn.Sigmoid(), gn.Dense(4, 1, rng=1), gn.Sigmoid()]
    )
    model.fit(X, y, loss=gn.SumSquaredError(), optimizer=optimizer, epochs=epochs,
              callbacks=list(callbacks))  # fmt: skip
    return model


def test_plain_gradient_descent_takes_its_short_path_bit_for_bit() -> None:
    """SGD(1.0) without momentum, clipping or decay steps as p ← p − g (`SGD._descend`): the
    same weights and step count as the general update a subclass runs."""
    plain, general = gn.SGD(1.0), _MySGD(1.0)
    model = _tutorial_fit(plain)
    reference = _tutorial_fit(general)
    assert compiled_update(model, plain).func.__name__ == "_descend"
    assert compiled_update(reference, general).func.__name__ == "_update"
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert plain.iterations == general.iterations == 300


def compiled_update(model: gn.Sequential, optimizer: gn.SGD):
    """The call `Step.program` plans for the optimizer's update."""
    return optimizer.plan_step(model.parameters(), model.gradients())[0]


class _MomentumFrom(gn.Callback):
    def __init__(self, epoch: int, optimizer: gn.SGD) -> None:
        self.epoch, self.optimizer = epoch, optimizer

    def on_epoch_end(self, epoch, logs, model) -> None:
        if epoch == self.epoch:
            self.optimizer.momentum = 0.9
            self.optimizer.learning_rate = 0.5


def test_the_short_path_steps_aside_when_momentum_or_rate_change_mid_fit() -> None:
    plain, general = gn.SGD(1.0), _MySGD(1.0)
    model = _tutorial_fit(plain, 60, [_MomentumFrom(20, plain)])
    reference = _tutorial_fit(general, 60, [_MomentumFrom(20, general)])
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert "velocity" in plain.state
