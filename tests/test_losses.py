"""Losses: the definitions (as PyTorch states them), stability for huge logits, dtypes, names."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet import losses
from glassnet.errors import GlassnetError


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def test_sum_squared_error_is_half_the_sum_and_its_gradient_is_the_residual(
    rng: np.random.Generator,
) -> None:
    pred, y = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    loss = gn.SumSquaredError()
    assert loss.forward(pred, y) == pytest.approx(0.5 * np.sum((y - pred) ** 2), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), pred - y, rtol=1e-15)
    assert loss.reduction == "sum"


def test_mean_squared_error_averages_over_every_element(rng: np.random.Generator) -> None:
    pred, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss = gn.MeanSquaredError()
    assert loss.forward(pred, y) == pytest.approx(np.mean((y - pred) ** 2), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), 2 * (pred - y) / 15, rtol=1e-14)
    assert loss.reduction == "mean"


def test_binary_cross_entropy_takes_logits_and_averages_over_elements(
    rng: np.random.Generator,
) -> None:
    z, y = rng.standard_normal((6, 3)) * 3, rng.random((6, 3))
    p = _sigmoid(z)
    loss = gn.BinaryCrossEntropy()
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss.forward(z, y) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(loss.backward(), (p - y) / 18, rtol=1e-12)


def test_cross_entropy_with_labels_one_hot_and_soft_targets(rng: np.random.Generator) -> None:
    z = rng.standard_normal((5, 4)) * 3
    labels = rng.integers(0, 4, size=5)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(5), labels]))
    loss = gn.CrossEntropy()
    assert loss.forward(z, labels) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(loss.backward(), (p - np.eye(4)[labels]) / 5, atol=1e-15)
    assert loss.forward(z, np.eye(4)[labels]) == pytest.approx(expected, rel=1e-13)
    soft = rng.random((5, 4))
    soft /= soft.sum(axis=1, keepdims=True)
    assert loss.forward(z, soft) == pytest.approx(-np.mean((soft * np.log(p)).sum(1)), rel=1e-13)
    np.testing.assert_allclose(loss.backward(), (p - soft) / 5, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e4, 1e30])
def test_cross_entropies_are_finite_without_warnings_for_huge_logits(
    dtype: type, scale: float
) -> None:
    z = np.array([[scale, -scale, 0.0], [-scale, scale, 1.0], [0.0, 0.0, scale]], dtype=dtype)
    labels = np.array([0, 0, 1])  # confident and right, confident and wrong
    y = np.eye(3, dtype=dtype)[labels]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            ce = gn.CrossEntropy()
            ce_value, ce_grad = ce.forward(z, labels), ce.backward()
            bce = gn.BinaryCrossEntropy()
            bce_value, bce_grad = bce.forward(z, y), bce.backward()
    assert np.isfinite(ce_value) and np.isfinite(bce_value)
    assert np.isfinite(ce_grad).all() and np.isfinite(bce_grad).all()
    assert ce_grad.dtype == dtype and bce_grad.dtype == dtype
    # a confident wrong answer costs about the logit gap: row 1 misses by 2·scale, row 2 by scale
    assert ce_value == pytest.approx((2 * scale + scale) / 3, rel=1e-5)
    np.testing.assert_allclose(ce_grad.sum(axis=1), 0.0, atol=1e-6)


def test_binary_cross_entropy_of_huge_logits_is_exact() -> None:
    z = np.array([[1e4, -1e4]])
    loss = gn.BinaryCrossEntropy()
    assert loss.forward(z, np.array([[1.0, 0.0]])) == 0.0
    assert loss.forward(z, np.array([[0.0, 1.0]])) == pytest.approx(1e4)
    np.testing.assert_array_equal(loss.backward(), [[0.5, -0.5]])


@pytest.mark.parametrize("cls", [gn.SumSquaredError, gn.MeanSquaredError, gn.BinaryCrossEntropy])
def test_float32_in_float32_gradient_out(cls: type[gn.Loss], rng: np.random.Generator) -> None:
    pred = rng.standard_normal((4, 2)).astype(np.float32)
    y = rng.random((4, 2)).astype(np.float32)
    loss = cls()
    assert isinstance(loss.forward(pred, y), float)
    assert loss.backward().dtype == np.float32


def test_loss_lookup_by_name_and_kind() -> None:
    assert isinstance(losses.get("mse"), gn.MeanSquaredError)
    assert isinstance(losses.get("CrossEntropy"), gn.CrossEntropy)
    assert isinstance(losses.get("BCE"), gn.BinaryCrossEntropy)
    loss = gn.SumSquaredError()
    assert losses.get(loss) is loss
    with pytest.raises(GlassnetError, match="unknown loss 'hinge'"):
        losses.get("hinge")


finite = st.floats(-50, 50, allow_nan=False, width=64)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=finite))
def test_cross_entropy_is_non_negative_and_shift_invariant(z: np.ndarray) -> None:
    labels = np.arange(len(z)) % z.shape[1]
    loss = gn.CrossEntropy()
    value = loss.forward(z, labels)
    grad = loss.backward().copy()
    assert value >= 0
    assert loss.forward(z + 7.0, labels) == pytest.approx(value, abs=1e-9)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 3)), elements=finite),
    st.data(),
)
def test_binary_cross_entropy_is_at_least_the_entropy_of_the_targets(
    z: np.ndarray, data: st.DataObject
) -> None:
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0, 1)))
    value = gn.BinaryCrossEntropy().forward(z, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.nan_to_num(y * np.log(y)) - np.nan_to_num((1 - y) * np.log1p(-y))
    assert value >= h.mean() - 1e-12


class _ScaledMSE(gn.MeanSquaredError):
    """A loss of one's own with a setting of its own (module level: picklable)."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return self.scale * super().forward(y_pred, y_true)


def test_a_loss_of_ones_own_keeps_its_settings_through_copy_and_pickle() -> None:
    import copy
    import pickle

    loss = _ScaledMSE(3.0)
    loss.forward(np.ones((4, 1)), np.zeros((4, 1)))
    for twin in (copy.deepcopy(loss), pickle.loads(pickle.dumps(loss))):
        assert twin.scale == 3.0
        assert twin.forward(np.ones((2, 1)), np.zeros((2, 1))) == 3.0
        assert not twin._buffers or len(twin._buffers) == 1  # only this call's scratch


@pytest.mark.parametrize("scale", [1e308, 1.7e308])
def test_cross_entropies_and_softmax_are_quiet_at_the_float64_extremes(scale: float) -> None:
    z = np.array([[scale, -scale], [-scale, scale], [-scale, -scale]])
    labels = np.array([1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = gn.Softmax().forward(z)
        ce = gn.CrossEntropy()
        value = ce.forward(z, labels)
        grad = ce.backward()
        bce = gn.BinaryCrossEntropy()
        b = bce.forward(z[:, :1], np.array([[0.0], [1.0], [1.0]]))
        bgrad = bce.backward()
        probs = gn.CrossEntropy().probabilities(z), bce.probabilities(z)
        evaluated = gn.CrossEntropy().value(z, labels)
    np.testing.assert_array_equal(p, [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    assert value == np.inf == evaluated  # the true loss is beyond float64: inf, said plainly
    assert np.isfinite(grad).all() and np.isfinite(bgrad).all()
    assert b > 1e307
    assert all(np.isfinite(q).all() for q in probs)


def test_binary_cross_entropy_is_quiet_when_its_sums_pass_float64() -> None:
    z = np.array([[1.7e308, 1.7e308], [1.7e308, -1.7e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = gn.BinaryCrossEntropy().forward(z, np.zeros_like(z))
    assert value == pytest.approx(0.75 * 1.7e308)  # the true mean: three terms of 1.7e308, one 0


def test_the_cross_entropies_mean_is_finite_where_only_its_sum_is_not() -> None:
    # two terms of 1e308: their mean is a float64 though their sum is not
    bce = gn.BinaryCrossEntropy().forward(np.array([[1e308], [-1e308]]), np.array([[0.0], [1.0]]))
    assert bce == pytest.approx(1e308, rel=1e-12)
    beyond = gn.CrossEntropy().forward(np.array([[-1e308, 1e308]]), np.array([0]))
    assert beyond == np.inf  # the true loss, 2e308, is beyond float64
    ok = gn.CrossEntropy().forward(np.array([[1e308, -1e308]]), np.array([0]))
    assert ok == 0.0


@pytest.mark.parametrize(
    ("z", "y"),
    [
        ([1e17, 1.0], [1.0, 0.0]),  # a confident right logit beside an ordinary wrong one
        ([-1e308, 1e308, 1.0], [0.0, 1.0, 0.0]),
        ([1e8, 1e-3, -4.0], [1.0, 0.0, 0.5]),
        ([30.0, -30.0, 0.0], [1.0, 0.0, 1.0]),
    ],
)
def test_binary_cross_entropy_matches_its_terms_summed_one_by_one(
    z: list[float], y: list[float]
) -> None:
    # a reference in exact arithmetic, term by term: max(z, 0) − z·y + log(1 + e^(−|z|))
    from fractions import Fraction

    terms = [
        Fraction(max(zi, 0.0))
        - Fraction(zi) * Fraction(yi)
        + Fraction(math.log1p(math.exp(-abs(zi))))
        for zi, yi in zip(z, y)
    ]
    expected = float(sum(terms) / len(terms))
    col = np.array(z).reshape(-1, 1), np.array(y).reshape(-1, 1)
    assert gn.BinaryCrossEntropy().forward(*col) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_with_one_hot_rows_matches_labels_at_opposite_extremes() -> None:
    # z − max(z) passes −1.8e308 for the wrong class: −inf there, times its target 0
    z = np.array([[1e308, -1e308], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_rows = gn.CrossEntropy().forward(z, np.array([[1.0, 0.0], [1.0, 0.0]]))
        from_labels = gn.CrossEntropy().forward(z, np.array([0, 0]))
        net = gn.Sequential([gn.Dense(2, 2, rng=0)])
        net.layers[0].params["weight"][...] = [[1e308, -1e308], [0, 0]]
        evaluated = net.evaluate(
            np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), loss="cross_entropy"
        )
    assert from_rows == from_labels == pytest.approx((1.0 + math.log1p(math.exp(-1.0))) / 2)
    assert evaluated["loss"] == 0.0


# ----------------------------------------------------------------- per-sample weights


def _targets_for(loss: losses.Loss, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if isinstance(loss, losses.CrossEntropy):
        return rng.integers(0, k, n)
    if isinstance(loss, losses.Poisson):
        return rng.poisson(2.0, (n, k)).astype(float)
    return (
        rng.random((n, k))
        if isinstance(loss, losses.BinaryCrossEntropy)
        else rng.normal(size=(n, k))
    )


@pytest.mark.parametrize("name", ["sse", "mse", "bce", "cross_entropy", "poisson"])
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_integer_sample_weights_weigh_like_repeated_samples(name, seed):
    rng = np.random.default_rng(seed)
    n, k = 6, 3
    z, y = rng.normal(size=(n, k)) * 3, _targets_for(losses.get(name), rng, n, k)
    w = rng.integers(0, 4, n).astype(float)
    w[0] = max(w[0], 1.0)
    weighted, repeated = losses.get(name), losses.get(name)
    value = weighted.weighted_forward(z, y, w)
    grad = weighted.weighted_backward().copy()
    reps = w.astype(int)
    expected = repeated.forward(np.repeat(z, reps, axis=0), np.repeat(y, reps, axis=0))
    owner, g = np.repeat(np.arange(n), reps), repeated.backward()
    summed = np.array([g[owner == i].sum(axis=0) for i in range(n)])  # each sample's copies
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(grad, summed, rtol=1e-10, atol=1e-15)


class _MeanAbsoluteError(losses.Loss):
    """A loss of one's own with no `sample_values`: the generic row-by-row one serves."""

    def forward(self, y_pred, y_true):
        self._r = y_pred - y_true
        return float(np.abs(self._r).mean())

    def backward(self):
        return np.sign(self._r) / self._r.size


def test_a_loss_of_ones_own_is_weighted_through_its_forward_row_by_row():
    z, y, w = np.array([[1.0], [3.0]]), np.zeros((2, 1)), np.array([3.0, 1.0])
    assert _MeanAbsoluteError().weighted_forward(z, y, w) == pytest.approx((3 * 1 + 1 * 3) / 4)


# ----------------------------------------------------------------- Poisson


def test_poisson_is_half_the_poisson_deviance_on_log_means(rng: np.random.Generator) -> None:
    z, y = rng.normal(size=(8, 2)), rng.poisson(2.0, (8, 2)).astype(float)
    mu = np.exp(z)
    half_deviance = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0) - y + mu
    loss = gn.Poisson()
    assert loss.forward(z, y) == pytest.approx(half_deviance.mean(), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), (mu - y) / y.size, rtol=1e-12)
    np.testing.assert_allclose(loss.probabilities(z), mu)
    assert loss.forward(np.log(y + 1.0), y + 1.0) == pytest.approx(0.0, abs=1e-12)  # μ = y


@pytest.mark.parametrize(
    ("z", "first_term"),
    # row 0's term e^z − 2z + 2·log 2 − 2: e^z dominates above, −2z below; inf past float64
    [(1e308, math.inf), (1e3, math.inf), (700.0, math.exp(700.0)),
     (-1e3, 2e3 + 2 * math.log(2) - 2), (-1e308, math.inf)],
)  # fmt: skip
def test_poisson_is_quiet_and_right_at_extreme_log_means(z: float, first_term: float) -> None:
    z2, y = np.array([[z], [0.0]]), np.array([[2.0], [0.0]])  # row 1's term: e^0 = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = gn.Poisson()
        value = loss.forward(z2, y)
        rows = gn.Poisson().sample_values(z2, y)
    assert value == pytest.approx((first_term + 1.0) / 2, rel=1e-12)
    np.testing.assert_allclose(rows, [first_term, 1.0], rtol=1e-12)
    assert not np.isnan(loss.backward()).any()


def test_poisson_refuses_negative_targets_in_one_line() -> None:
    net = gn.Sequential([gn.Dense(1, 1, rng=0)])
    with pytest.raises(
        gn.DataError,
        match=r"^y holds -1\.0 at row 1, column 0, but Poisson reads targets "
        r"as counts or rates >= 0$",
    ):
        net.fit(
            np.ones((2, 1)), np.array([[1.0], [-1.0]]), loss="poisson", optimizer="sgd", epochs=1
        )
