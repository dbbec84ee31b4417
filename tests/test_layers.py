"""Dense and Dropout, initializers, and the checks in their constructors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers
from glassnet.errors import GlassnetError


def test_dense_computes_x_times_w_plus_b(rng: np.random.Generator) -> None:
    layer = gn.Dense(4, 3, rng=0)
    assert layer.params["weight"].shape == (4, 3) and layer.params["bias"].shape == (3,)
    np.testing.assert_array_equal(layer.params["bias"], 0.0)  # biases start at zero
    layer.params["bias"][...] = [1.0, -2.0, 0.5]
    x = rng.standard_normal((5, 4))
    np.testing.assert_allclose(
        layer.forward(x), x @ layer.params["weight"] + layer.params["bias"], rtol=1e-15
    )


def test_dense_without_bias_has_only_a_weight(rng: np.random.Generator) -> None:
    layer = gn.Dense(2, 3, bias=False, rng=0)
    assert set(layer.params) == set(layer.grads) == {"weight"}
    x = rng.standard_normal((4, 2))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["weight"])


def test_dense_backward_fills_weight_and_bias_gradients(rng: np.random.Generator) -> None:
    layer = gn.Dense(3, 2, rng=0)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    layer.forward(x, training=True)
    dx = layer.backward(g)
    np.testing.assert_allclose(layer.grads["weight"], x.T @ g, rtol=1e-14)
    np.testing.assert_allclose(layer.grads["bias"], g.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(dx, g @ layer.params["weight"].T, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_keeps_its_dtype_through_forward_and_backward(dtype: type) -> None:
    layer = gn.Dense(3, 2, rng=0, dtype=dtype)
    x = np.ones((4, 3), dtype=dtype)
    out = layer.forward(x, training=True)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == layer.grads["weight"].dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_trains_to_the_same_bits_through_np_dot_and_np_matmul(
    dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large product goes through np.matmul, a small one through np.dot (`MATMUL_FROM`): the
    same BLAS routine, so the choice never moves a number — through the methods and the plan."""
    from glassnet import layers

    rng = np.random.default_rng(3)
    X = rng.standard_normal((96, 200)).astype(dtype)
    y = rng.integers(0, 3, 96)

    def trained(matmul_from: int) -> list[np.ndarray]:
        monkeypatch.setattr(layers, "MATMUL_FROM", matmul_from)
        model = gn.Sequential([gn.Dense(200, 64, rng=1, dtype=dtype), gn.ReLU(),
                               gn.Dense(64, 3, rng=2, dtype=dtype)])  # fmt: skip
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(1e-2), epochs=3,
                  batch_size=32, shuffle=True, seed=0)  # fmt: skip
        layer = model.layers[0]
        layer.forward(X[:40], training=True)  # the methods path too
        layer.backward(np.ones((40, 64), dtype=dtype))
        return [*model.get_weights(), *layer.grads.values()]

    for dotted, multiplied in zip(trained(1 << 62), trained(0)):
        np.testing.assert_array_equal(dotted, multiplied)


def test_dense_weights_repeat_with_the_same_seed_and_differ_with_another() -> None:
    a, b, c = gn.Dense(5, 4, rng=3), gn.Dense(5, 4, rng=3), gn.Dense(5, 4, rng=4)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])


def test_dense_draws_from_a_given_generator_without_touching_global_state() -> None:
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checking it stays untouched
    gn.Dense(3, 3, rng=np.random.default_rng(0))
    gn.Dense(3, 3)  # no seed: fresh entropy, still not the global stream
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize(
    ("n_in", "n_out"), [(0, 3), (3, 0), (-1, 2), (2.5, 3), (True, 3), ("3", 2)]
)
def test_dense_rejects_sizes_that_are_not_positive_integers(n_in: object, n_out: object) -> None:
    with pytest.raises(GlassnetError, match="must be a positive integer, got"):
        gn.Dense(n_in, n_out)  # type: ignore[arg-type]


def test_dense_rejects_unknown_initializer_and_dtype() -> None:
    with pytest.raises(GlassnetError, match="unknown initializer 'ones'"):
        gn.Dense(2, 2, init="ones")
    with pytest.raises(GlassnetError, match="float32 or float64, got"):
        gn.Dense(2, 2, dtype=np.int64)
    with pytest.raises(GlassnetError, match="seed"):
        gn.Dense(2, 2, rng="seven")  # type: ignore[arg-type]


def test_dropout_is_the_identity_at_inference(rng: np.random.Generator) -> None:
    layer = gn.Dropout(0.5, rng=0)
    x = rng.standard_normal((4, 3))
    assert layer.forward(x) is x
    assert layer.backward(x) is x


def test_dropout_drops_the_given_share_and_keeps_the_expectation() -> None:
    layer = gn.Dropout(0.25, rng=0)
    x = np.ones((400, 250))
    out = layer.forward(x, training=True)
    dropped = float(np.mean(out == 0.0))
    assert dropped == pytest.approx(0.25, abs=0.01)
    np.testing.assert_allclose(out[out != 0], 1 / 0.75)  # inverted dropout: survivors scaled
    assert out.mean() == pytest.approx(1.0, abs=0.02)
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad, out)  # the same mask flows back


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_the_dtype(dtype: type) -> None:
    out = gn.Dropout(0.5, rng=0).forward(np.ones((3, 3), dtype=dtype), training=True)
    assert out.dtype == dtype


def test_dropout_masks_repeat_with_the_same_seed() -> None:
    x = np.ones((10, 10))
    a = gn.Dropout(0.5, rng=1).forward(x, training=True).copy()
    b = gn.Dropout(0.5, rng=1).forward(x, training=True).copy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", True, float("nan")])
def test_dropout_rejects_rates_outside_zero_to_one(rate: object) -> None:
    with pytest.raises(GlassnetError, match=r"dropout rate must be a number in \[0, 1\)"):
        gn.Dropout(rate)  # type: ignore[arg-type]


def test_dropout_of_rate_zero_is_the_identity_even_while_training() -> None:
    x = np.arange(6.0).reshape(2, 3)
    assert gn.Dropout(0.0).forward(x, training=True) is x


# ------------------------------------------------------------------ initializers


@pytest.mark.parametrize(
    ("name", "bound"),
    [
        ("uniform", 1.0),
        ("glorot_uniform", np.sqrt(6 / (200 + 100))),
        ("he_uniform", np.sqrt(6 / 200)),
    ],
)
def test_uniform_initializers_fill_their_interval(name: str, bound: float) -> None:
    w = initializers.get(name)((200, 100), np.random.default_rng(0), np.dtype(np.float64))
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)


@pytest.mark.parametrize(
    ("name", "std"),
    [("glorot_normal", np.sqrt(2 / 300)), ("he_normal", np.sqrt(2 / 200))],
)
def test_normal_initializers_have_the_documented_spread(name: str, std: float) -> None:
    w = initializers.get(name)((200, 100), np.random.default_rng(0), np.dtype(np.float64))
    assert w.mean() == pytest.approx(0.0, abs=0.01 * std * 10)
    assert w.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("name", list(initializers.INITIALIZERS))
def test_initializers_honour_the_dtype(name: str) -> None:
    w = initializers.get(name)((3, 2), np.random.default_rng(0), np.dtype(np.float32))
    assert w.dtype == np.float32 and w.shape == (3, 2)


def test_a_callable_initializer_is_used_as_is() -> None:
    layer = gn.Dense(2, 3, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype=dtype))
    np.testing.assert_array_equal(layer.params["weight"], 0.5)


class _TwoGrads(gn.Layer):
    """A layer of one's own whose gradients are not a mirror of its parameters."""

    kind = "TwoGrads"

    def __init__(self) -> None:
        super().__init__()
        self.params = {"w": np.ones(3)}
        self.grads = {"w": np.zeros(3), "extra": np.zeros(2)}


def test_pickles_keep_the_layers_shape_of_gradients() -> None:
    import pickle

    dense = gn.Dense(3, 2, rng=0)
    dense.forward(np.ones((5, 3)), training=True)
    dense.backward(np.ones((5, 2)))
    twin = pickle.loads(pickle.dumps(dense))
    assert twin.grads.keys() == dense.grads.keys()
    assert all(twin.grads[k].shape == dense.grads[k].shape for k in dense.grads)
    assert not any(np.any(g) for g in twin.grads.values())  # the last batch's stay behind
    own = pickle.loads(pickle.dumps(_TwoGrads()))
    assert set(own.grads) == {"w", "extra"}
    bare = gn.Identity.__new__(gn.Identity)  # no __init__: no params at all
    pickle.loads(pickle.dumps(bare))


def test_a_dense_layer_too_big_for_memory_says_how_much_it_needs() -> None:
    with pytest.raises(GlassnetError, match=r"Dense\(1000000, 1000000\) in float64.*14\.6 TiB"):
        gn.Dense(10**6, 10**6)
    with pytest.raises(GlassnetError, match=r"7\.28 TiB"):
        gn.Dense(10**6, 10**6, dtype="float32")
