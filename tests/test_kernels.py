"""The compiled kernels (`glassnet.kernels`, the `fast` extra) against the NumPy reference.

Training with a kernel must give the NumPy path's numbers: to 1e-12 in float64 and to float32's
rounding in float32 (the fused optimizer updates are in fact bit-identical). Each test runs both
paths, choosing them with ``GLASSNET_KERNELS`` (numpy: the reference; numba: a kernel whatever
the size). Tests that need Numba skip without it; CI installs it (the dev extra).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is absent")

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}  # relative; float32: its rounding, compounded


def _use(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)


def _fused(optimizer: gn.Optimizer) -> bool:
    """Whether the optimizer's update runs as a compiled kernel."""
    units = optimizer._units
    return bool(units) and units[0].fused is not None


# ------------------------------------------------------------------ fused optimizer updates

RULES: dict[str, Callable[[], gn.Optimizer]] = {
    "adam": lambda: gn.Adam(1e-2),
    "adam-decay-clip": lambda: gn.Adam(1e-2, weight_decay=1e-2, clip_norm=0.1),
    "rmsprop-decay": lambda: gn.RMSprop(1e-2, weight_decay=1e-3),
    "rmsprop-clip": lambda: gn.RMSprop(1e-2, clip_norm=0.1),
    "sgd-momentum": lambda: gn.SGD(0.05, momentum=0.9),
    "sgd-nesterov-decay-clip": lambda: gn.SGD(
        0.05, momentum=0.9, nesterov=True, weight_decay=1e-2, clip_norm=0.1
    ),
}


def _train(
    make: Callable[[], gn.Optimizer], dtype: type, *, weighted: bool = False, epochs: int = 6
) -> tuple[gn.Sequential, gn.Optimizer]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 8)).astype(dtype)
    y = rng.integers(0, 3, 300)
    model = gn.Sequential(
        [gn.Dense(8, 16, rng=0, dtype=dtype), gn.Tanh(), gn.Dense(16, 3, rng=1, dtype=dtype)]
    )
    optimizer = make()
    weights = rng.random(300) + 0.5 if weighted else None  # weighted: through `Optimizer.step`
    model.fit(X, y, loss=gn.CrossEntropy(), optimizer=optimizer, epochs=epochs, batch_size=32,
              seed=0, sample_weight=weights)  # fmt: skip
    return model, optimizer


def _assert_same_training(a: tuple[gn.Sequential, gn.Optimizer],
                          b: tuple[gn.Sequential, gn.Optimizer], dtype: type) -> None:  # fmt: skip
    (model_a, opt_a), (model_b, opt_b) = a, b
    tol = TOLERANCE[dtype]
    # the parameters, the gradients (clipped in place alike) and the rule's state
    pairs = [*zip(model_a.parameters(), model_b.parameters()),
             *zip(model_a.gradients(), model_b.gradients())]  # fmt: skip
    for name in opt_a.slots:
        pairs += zip(opt_a.state[name], opt_b.state[name])
    for x, y in pairs:
        assert x.dtype == y.dtype == dtype
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(RULES))
def test_a_fused_update_trains_to_the_numpy_rules_numbers(monkeypatch, name, dtype):
    _use(monkeypatch, "numpy")
    reference = _train(RULES[name], dtype)
    _use(monkeypatch, "numba")
    fused = _train(RULES[name], dtype)
    assert _fused(fused[1]) and not _fused(reference[1])
    _assert_same_training(fused, reference, dtype)


@needs_numba
@pytest.mark.parametrize("name", ["adam-decay-clip", "sgd-nesterov-decay-clip"])
def test_the_fused_update_outside_the_compiled_step_gives_the_same_numbers(monkeypatch, name):
    # sample weights train through the layers' methods and `Optimizer.step`, which makes the
    # flat views at every step instead of once per fit
    _use(monkeypatch, "numpy")
    reference = _train(RULES[name], np.float64, weighted=True, epochs=3)
    _use(monkeypatch, "numba")
    fused = _train(RULES[name], np.float64, weighted=True, epochs=3)
    assert _fused(fused[1])
    _assert_same_training(fused, reference, np.float64)


def _resumed(monkeypatch: pytest.MonkeyPatch, mode: str) -> tuple[gn.Sequential, gn.Adam]:
    """Two epochs, then two more with a new optimizer resuming from the first one's state."""
    _use(monkeypatch, mode)
    model, first = _train(RULES["adam"], np.float64, epochs=2)
    if mode == "numba":  # the moments the user sees are the ones the kernel updates
        assert all(np.shares_memory(m, first._units[0].state[0]) for m in first.state["m"])
    resumed = gn.Adam(1e-2)
    resumed.load_state_dict(first.state_dict())
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((300, 8)), rng.integers(0, 3, 300)
    model.fit(X, y, loss=gn.CrossEntropy(), optimizer=resumed, epochs=2, batch_size=32, seed=1)
    assert _fused(resumed) == (mode == "numba")
    return model, resumed


@needs_numba
def test_training_resumed_from_a_state_dict_carries_on_as_the_numpy_path(monkeypatch):
    _assert_same_training(_resumed(monkeypatch, "numba"), _resumed(monkeypatch, "numpy"),
                          np.float64)  # fmt: skip


@needs_numba
def test_gradients_a_kernel_cannot_take_as_they_are_run_the_numpy_rule(monkeypatch):
    _use(monkeypatch, "numba")
    rng = np.random.default_rng(3)
    params = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    grads = [np.asfortranarray(rng.standard_normal((4, 3))), rng.standard_normal(3)]
    fused, reference = gn.Adam(0.1), gn.Adam(0.1)
    p1, p2 = [p.copy() for p in params], [p.copy() for p in params]
    fused.step(p1, grads)  # not C-contiguous: a flat view would be a copy
    assert _fused(fused)
    _use(monkeypatch, "numpy")
    reference.step(p2, grads)
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a, b)
    _use(monkeypatch, "numba")
    with pytest.raises(ValueError):  # the wrong shape: NumPy's error, never a kernel's crash
        fused.step(p1, [np.ones(5), np.ones(3)])


@needs_numba
@pytest.mark.parametrize("mode", ["numpy", "numba"])
def test_an_overflowing_update_is_reported_as_numpy_reports_it(monkeypatch, mode):
    _use(monkeypatch, mode)
    params = [np.ones((3, 2), dtype=np.float32)]
    grads = [np.full((3, 2), 3e38, dtype=np.float32)]
    optimizer = gn.SGD(10.0, momentum=0.9)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        optimizer.step(params, grads)  # η·v = 3e39: beyond float32
    assert _fused(optimizer) == (mode == "numba")
    with np.errstate(over="ignore"):  # inf and NaN in: nothing to report
        optimizer.step(params, grads)


class Halved(gn.Adam):
    """Adam with a rule of its own: half of Adam's step."""

    def direction(self, g, state, out):  # type: ignore[no-untyped-def]
        return super().direction(g, state, out) * 0.5


class Renamed(gn.Adam):
    """Adam under another name: Adam's rule."""


@needs_numba
def test_a_rule_of_ones_own_runs_its_own_direction_not_the_kernel(monkeypatch):
    _use(monkeypatch, "numba")
    start = [np.ones((3, 2)), np.ones(2)]
    grads = [np.full((3, 2), 0.5), np.full(2, 0.5)]
    moved = {}
    replaced = gn.Adam(0.1)
    replaced.direction = lambda g, state, out: np.zeros_like(g)  # type: ignore[method-assign]
    for optimizer in (gn.Adam(0.1), Halved(0.1), Renamed(0.1), replaced):
        params = [p.copy() for p in start]
        optimizer.step(params, [g.copy() for g in grads])
        moved[type(optimizer).__name__ if optimizer is not replaced else "replaced"] = (
            _fused(optimizer), float(start[0][0, 0] - params[0][0, 0])
        )  # fmt: skip
    assert moved["Adam"][0] and moved["Renamed"] == moved["Adam"]
    assert moved["Halved"] == (False, pytest.approx(moved["Adam"][1] / 2))
    assert moved["replaced"] == (False, 0.0)


def test_under_numpy_no_update_is_fused_however_large(monkeypatch):
    _use(monkeypatch, "numpy")
    params = [np.zeros((600, 500)), np.zeros(500)]
    optimizer = gn.Adam()
    optimizer.step(params, [np.ones_like(p) for p in params])
    assert not _fused(optimizer)


POLICY = """
import sys, numpy as np, glassnet as gn
def fused(n):  # an Adam step over a weight matrix of n elements and a bias
    params = [np.zeros((n // 10, 10), dtype=np.float32), np.zeros(10, dtype=np.float32)]
    opt = gn.Adam()
    opt.step(params, [np.ones_like(p) for p in params])
    return opt._units[0].fused is not None
print(fused(3_460), fused(20_000), "numba" in sys.modules)  # W7's size, then W2's
print(fused(gn.Adam.FUSED_FROM), "numba" in sys.modules)
print(fused(3_460), fused(20_000))  # Numba loaded: from FUSED_FROM_LOADED
"""


@needs_numba
def test_auto_fuses_large_models_and_never_imports_numba_for_small_ones():
    env = {k: v for k, v in os.environ.items() if k != kernels.ENVIRONMENT}  # auto
    out = subprocess.run([sys.executable, "-c", POLICY], capture_output=True, text=True,
                         check=True, env=env)  # fmt: skip
    assert out.stdout.split("\n")[:3] == [
        "False False False",  # no kernel, no Numba: its import would cost more than it saves
        "True True",
        "False True",
    ]


LOAD = """
import sys, numpy as np, glassnet as gn
from glassnet import kernels
print("numba" in sys.modules, kernels.load(), "numba" in sys.modules)
optim = sys.modules.get("glassnet.kernels.optim")  # the kernel modules imported, none loaded
print(optim is not None and not optim.adam.signatures)
params = [np.zeros((2_000, 10)), np.zeros(10)]  # W2's size: fused once Numba is loaded
opt = gn.Adam()
opt.step(params, [np.ones_like(p) for p in params])
print(opt._units[0].fused is not None)
"""


@needs_numba
@pytest.mark.parametrize("mode", ["auto", "numpy"])
def test_load_imports_numba_up_front_so_smaller_models_fuse_unless_numpy_is_asked(mode):
    env = {**os.environ, kernels.ENVIRONMENT: mode}
    out = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True,
                         check=True, env=env)  # fmt: skip
    if mode == "auto":
        assert out.stdout.split() == ["False", "True", "True", "True", "True"]
    else:  # the reference only: nothing imported, nothing fused
        assert out.stdout.split() == ["False", "False", "False", "False", "False"]


# ------------------------------------------------------------------ the batch gather


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, rows", [((1000, 37), 50), ((300, 784), 128), ((10, 3), 2),
                                         ((40, 16), 0), ((5, 1), 5)])  # fmt: skip
def test_take_rows_gathers_exactly_what_numpys_take_does(dtype, shape, rows):
    """Rows of any width (not a whole number of cache lines too), fewer rows than it asks for
    ahead, none, repeated ones."""
    from glassnet.kernels.rows import take_rows

    rng = np.random.default_rng(rows)
    X = rng.standard_normal(shape).astype(dtype)
    X[0, 0] = np.nan  # copied, not computed with
    idx = rng.integers(0, shape[0], rows)
    out = np.full((rows, shape[1]), -1.0, dtype=dtype)
    take_rows(X, idx, out)
    np.testing.assert_array_equal(out, X.take(idx, 0))


@pytest.mark.parametrize("mode", ["numpy", "numba"])
def test_the_fit_loop_gathers_with_the_kernel_only_where_it_can(monkeypatch, mode):
    """The kernel for a C-ordered float X whose batches are large enough, under "numba" (and under
    "auto" once Numba is imported); NumPy's take otherwise — and the same training either way."""
    from glassnet import training

    _use(monkeypatch, mode)
    X = np.random.default_rng(0).standard_normal((200, 8))
    kernel = mode == "numba" and kernels.available()
    assert (training._gatherer(X, 32) is not training._take) == kernel
    assert training._gatherer(np.asfortranarray(X), 32) is training._take
    assert training._gatherer(X[:, ::2], 32) is training._take
    assert training._gatherer(X.astype(np.int64), 32) is training._take

    def trained() -> list[np.ndarray]:
        model = gn.Sequential([gn.Dense(8, 5, rng=0), gn.Tanh(), gn.Dense(5, 1, rng=1)])
        model.fit(X, X[:, :1] ** 2, loss="mse", optimizer=gn.Adam(1e-2), epochs=3,
                  batch_size=32, shuffle=True, seed=0)  # fmt: skip
        return model.get_weights()

    reference = trained()
    monkeypatch.setattr(training, "_gatherer", lambda X, rows: training._take)
    for a, b in zip(reference, trained()):
        np.testing.assert_array_equal(a, b)


def test_auto_gathers_large_batches_with_the_kernel_once_numba_is_imported():
    """In a fresh process: W3's batches (128 × 784) are NumPy's take before Numba is imported
    and the kernel after; small batches (W2's 64 × 64) stay NumPy's take."""
    code = (
        "import sys, numpy as np\n"
        "from glassnet import kernels, training\n"
        "X = np.zeros((1000, 784), np.float32)\n"
        "before = training._gatherer(X, 128) is training._take\n"
        "kernels.load()\n"
        "print(before, training._gatherer(X, 128) is training._take,"
        " training._gatherer(np.zeros((1000, 64)), 64) is training._take)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != kernels.ENVIRONMENT}  # auto
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)  # fmt: skip
    expected = "True False True" if kernels.available() else "True True True"
    assert out.stdout.strip() == expected


@needs_numba
def test_the_gather_kernel_runs_as_python_under_numbas_debugging_switch():
    """NUMBA_DISABLE_JIT=1 runs every kernel as Python; the gather's prefetch (an intrinsic, which
    only compiled code has) becomes a no-op there, and the fit trains as the NumPy path does."""
    code = (
        "import numpy as np, glassnet as gn\n"
        "X = np.random.default_rng(0).standard_normal((300, 60)); y = np.arange(300) % 3\n"
        "m = gn.Sequential([gn.Dense(60, 8, rng=1), gn.ReLU(), gn.Dense(8, 3, rng=2)])\n"
        "m.fit(X, y, loss=gn.CrossEntropy(), optimizer='sgd', epochs=2, batch_size=64, seed=0)\n"
        "print(repr(float(m.get_weights()[0].sum())))\n"
    )
    sums = []
    for mode, disabled in (("numba", "1"), ("numpy", "0")):
        env = {**os.environ, kernels.ENVIRONMENT: mode, "NUMBA_DISABLE_JIT": disabled}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env=env)  # fmt: skip
        sums.append(float(out.stdout))
    assert abs(sums[0] - sums[1]) <= 1e-12 * max(1.0, abs(sums[1]))
