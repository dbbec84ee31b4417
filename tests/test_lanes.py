"""Lanes (`glassnet.lanes`): a large batch's blocks trained on two threads, one BLAS thread each.

The NumPy reference (``GLASSNET_KERNELS=numpy``) runs the blocks one after another; lanes must
train the same network up to rounding (the gradient's sum grouped differently), give the same
result run after run, leave BLAS's thread count as they found it, and never run where a copy of
a part could not stand in for it.
"""

from __future__ import annotations

import multiprocessing
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet import blas, compiled, kernels, lanes

threadpoolctl = pytest.importorskip("threadpoolctl")  # in the fast and test extras

needs_two_cores = pytest.mark.skipif(lanes.cores() < 2, reason="lanes need two cores")

ROWS, FEATURES = 24_000, 100  # 2 MiB blocks of 2,621 rows: 10 blocks, two lanes of 5


def _data(dtype: type, kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((ROWS, FEATURES)).astype(dtype)
    if kind == "binary":
        return X, (X[:, :3].sum(axis=1, keepdims=True) > 0).astype(dtype)
    if kind == "labels":
        return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    return X, X[:, :2] @ np.array([[1.0, -0.5], [0.25, 2.0]], dtype=dtype)


NETWORKS = {
    "sigmoid-bce": (gn.Sigmoid, 1, "binary", gn.BinaryCrossEntropy, 1.0),
    "relu-cross-entropy": (gn.ReLU, 3, "labels", gn.CrossEntropy, 0.5),
    "tanh-mse": (gn.Tanh, 2, "values", gn.MeanSquaredError, 0.05),
}


def _model(name: str, dtype: type) -> gn.Sequential:
    activation, n_out, *_ = NETWORKS[name]
    return gn.Sequential(
        [
            gn.Dense(FEATURES, 64, rng=0, dtype=dtype),
            activation(),
            gn.Dense(64, n_out, rng=1, dtype=dtype),
        ]
    )


def _train(name: str, dtype: type, mode: str, monkeypatch: pytest.MonkeyPatch, epochs: int = 8):
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    _, _, kind, loss, lr = NETWORKS[name]
    X, y = _data(dtype, kind)
    model = _model(name, dtype)
    history = model.fit(X, y, loss=loss(), optimizer=gn.SGD(lr), epochs=epochs, batch_size=None)
    return model, history


def _program_runner(model: gn.Sequential, X: np.ndarray, y: np.ndarray, loss: gn.Loss):
    model.fit(X[:8], y[:8], loss=loss, optimizer=gn.SGD(0.1), epochs=1)
    step = compiled.Step(model, model.loss, model.optimizer)
    return step.program(X, y)[0]


@needs_two_cores
@pytest.mark.parametrize("mode", ["auto", "numba"])
def test_a_large_full_batch_runs_in_two_lanes(mode, monkeypatch):
    if mode == "numba" and not kernels.available():
        pytest.skip("numba (the fast extra) is absent")
    monkeypatch.setenv(kernels.ENVIRONMENT, mode)
    X, y = _data(np.float64, "binary")
    run = _program_runner(_model("sigmoid-bce", np.float64), X, y, gn.BinaryCrossEntropy())
    assert run.func is lanes.run


def test_the_numpy_reference_keeps_its_blocks_in_one_lane(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numpy")
    X, y = _data(np.float64, "binary")
    run = _program_runner(_model("sigmoid-bce", np.float64), X, y, gn.BinaryCrossEntropy())
    assert run.func is compiled.run_blocks


@needs_two_cores
@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lanes_train_as_the_numpy_reference_up_to_rounding(name, dtype, monkeypatch):
    reference, ref_history = _train(name, dtype, "numpy", monkeypatch)
    laned, history = _train(name, dtype, "auto", monkeypatch)
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-5, 1e-6)
    for got, want in zip(laned.get_weights(), reference.get_weights()):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=rtol)
    # and they did differ in how the gradient was summed: this compared two paths, not one
    assert ref_history["loss"] != history["loss"] or name != "sigmoid-bce" or dtype != np.float64


@needs_two_cores
def test_lanes_give_the_same_weights_run_after_run(monkeypatch):
    first, _ = _train("relu-cross-entropy", np.float64, "auto", monkeypatch, epochs=5)
    for _ in range(3):
        again, _ = _train("relu-cross-entropy", np.float64, "auto", monkeypatch, epochs=5)
        for a, b in zip(again.get_weights(), first.get_weights()):
            np.testing.assert_array_equal(a, b)


def _blas_threads() -> list[int]:
    """The thread count of each of NumPy's own BLAS libraries, which lanes hold at one thread
    (scipy's are the solver's, `glassnet.blas`; OpenMP libraries, torch's say, are left out)."""
    return [lib.num_threads for lib in blas.libraries() if blas.numpys(lib)]


@needs_two_cores
def test_the_second_lane_runs_on_another_thread_with_one_blas_thread(monkeypatch):
    seen: list[tuple[str, list[int]]] = []
    real_run_blocks = compiled.run_blocks

    def spy(segments):
        counts = _blas_threads()
        seen.append((threading.current_thread().name, counts))
        return real_run_blocks(segments)

    monkeypatch.setattr(compiled, "run_blocks", spy)
    before = _blas_threads()
    _train("sigmoid-bce", np.float64, "auto", monkeypatch, epochs=2)
    threads = {name for name, _ in seen}
    assert threading.current_thread().name in threads
    assert any(name.startswith("glassnet-lane") for name in threads), threads
    assert all(all(n == 1 for n in counts) for _, counts in seen if counts)
    assert _blas_threads() == before


@needs_two_cores
def test_a_layer_drawing_random_numbers_or_a_loss_of_ones_own_keeps_one_lane(monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "auto")
    X, y = _data(np.float64, "binary")
    dropout = gn.Sequential(
        [gn.Dense(FEATURES, 64, rng=0), gn.Sigmoid(), gn.Dropout(0.1, rng=0), gn.Dense(64, 1)]
    )
    assert _program_runner(dropout, X, y, gn.BinaryCrossEntropy()).func is not lanes.run

    class Weighted(gn.BinaryCrossEntropy):
        pass

    model = _model("sigmoid-bce", np.float64)
    assert _program_runner(model, X, y, Weighted()).func is not lanes.run
    # a LeakyReLU's slope is read at each call: a copy would miss a callback's change
    leaky = gn.Sequential([gn.Dense(FEATURES, 64, rng=0), gn.LeakyReLU(0.1), gn.Dense(64, 1)])
    assert _program_runner(leaky, X, y, gn.BinaryCrossEntropy()).func is not lanes.run


@needs_two_cores
def test_training_metrics_see_every_block_in_order_in_one_lane(monkeypatch):
    assert lanes.count(10, _model("tanh-mse", np.float64).layers, gn.MeanSquaredError(), True) == 1
    assert lanes.count(3, _model("tanh-mse", np.float64).layers, gn.MeanSquaredError(), False) == 1
    assert lanes.count(4, _model("tanh-mse", np.float64).layers, gn.MeanSquaredError(), False) == 2


@needs_two_cores
def test_divergence_in_a_lane_is_reported_as_the_reference_reports_it(monkeypatch):
    X, y = _data(np.float64, "values")
    y[-5:] = 1e200  # rows of the second lane's last block: their squared errors pass float64
    messages = []
    for mode in ("numpy", "auto"):
        monkeypatch.setenv(kernels.ENVIRONMENT, mode)
        model = _model("tanh-mse", np.float64)
        start = model.get_weights()
        with pytest.raises(gn.GlassnetError, match="diverged") as error:
            model.fit(X, y, loss=gn.MeanSquaredError(), optimizer=gn.SGD(0.1), epochs=3)
        messages.append(str(error.value))
        for got, want in zip(model.get_weights(), start):
            np.testing.assert_array_equal(got, want)  # put back where fit started
    assert messages[0] == messages[1]


def test_numpys_error_state_goes_with_the_second_lane_and_its_error_comes_back():
    def overflow() -> float:
        return float((np.array([1e300]) * 1e300)[0])

    joined: list[int] = []
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        lanes.run(lambda: 1.0, overflow, [lambda: joined.append(1)])
    with np.errstate(over="ignore"):
        assert lanes.run(lambda: 1.0, overflow, [lambda: joined.append(1)]) == np.inf
    assert joined == [1]  # the join ran only when both lanes finished without an error


def test_an_error_in_the_first_lane_waits_for_the_second():
    finished: list[str] = []

    def slow() -> float:
        threading.Event().wait(0.2)
        finished.append("second")
        return 1.0

    def fail() -> float:
        raise ValueError("first lane")

    with pytest.raises(ValueError, match="first lane"):
        lanes.run(fail, slow, [])
    assert finished == ["second"]


@needs_two_cores
def test_the_forward_caches_point_at_the_last_block_after_training(monkeypatch):
    model, _ = _train("sigmoid-bce", np.float64, "auto", monkeypatch, epochs=1)
    X, _ = _data(np.float64, "binary")
    first = model.layers[0]
    assert first._x is not None and len(first._x) < ROWS
    np.testing.assert_array_equal(first._x, X[-len(first._x) :])


def _fit_in_child(queue) -> None:  # pragma: no cover - runs in a forked process
    X, y = _data(np.float64, "binary")
    model = _model("sigmoid-bce", np.float64)
    history = model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(1.0), epochs=2)
    queue.put(history["loss"][-1])


@needs_two_cores
@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_process_forked_after_training_trains_in_lanes_too(monkeypatch):
    """The worker thread does not survive a fork: the child must start its own, not hang."""
    _, history = _train("sigmoid-bce", np.float64, "auto", monkeypatch, epochs=2)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_fit_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung in its lanes")
    assert child.exitcode == 0
    assert queue.get(timeout=5) == history["loss"][-1]


@needs_two_cores
@pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is absent")
def test_in_lanes_a_sigmoid_pair_below_one_unit_stores_its_arrays_unit_by_unit(monkeypatch):
    """(Wᵀ·xᵀ)ᵀ: one BLAS thread streams a long block faster as the right-hand factor."""
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    X, y = _data(np.float64, "binary")
    model = _model("sigmoid-bce", np.float64)
    run = _program_runner(model, X, y, gn.BinaryCrossEntropy())
    assert run.func is lanes.run
    for lane in run.args[:2]:
        names = {
            getattr(getattr(call, "func", call), "__name__", "")
            for before, _, _, after in lane.args[0]
            for call in (*before, *after)
        }
        assert {"bias_clip_negate_t", "sigmoid_backward_outer_t"} <= names, names
    hidden = model.layers[1].output()
    assert hidden.flags.f_contiguous and not hidden.flags.c_contiguous


@needs_two_cores
def test_fits_in_threads_of_ones_own_train_as_alone_and_leave_blas_as_it_was(monkeypatch):
    """Two fits at once share the worker and the process's BLAS limit: neither may leave BLAS at
    one thread, nor train differently from a fit alone."""
    alone, _ = _train("sigmoid-bce", np.float64, "auto", monkeypatch, epochs=4)
    before = _blas_threads()
    models: dict[int, gn.Sequential] = {}

    def fit(i: int) -> None:
        X, y = _data(np.float64, "binary")
        model = _model("sigmoid-bce", np.float64)
        model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(1.0), epochs=4)
        models[i] = model

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(models) == [0, 1, 2]
    for model in models.values():
        for got, want in zip(model.get_weights(), alone.get_weights()):
            np.testing.assert_array_equal(got, want)
    assert _blas_threads() == before


@needs_two_cores
def test_lbfgs_on_a_large_batch_evaluates_in_lanes_as_the_reference(monkeypatch):
    pytest.importorskip("scipy")
    X, y = _data(np.float64, "values")
    calls: list[int] = []
    real_run = lanes.run

    def counted(*args):
        calls.append(1)
        return real_run(*args)

    monkeypatch.setattr(lanes, "run", counted)
    results = []
    for mode in ("numpy", "auto"):
        monkeypatch.setenv(kernels.ENVIRONMENT, mode)
        model = _model("tanh-mse", np.float64)
        history = model.fit(X, y, loss=gn.MeanSquaredError(), optimizer=gn.LBFGS(), epochs=15)
        results.append((model.get_weights(), history["loss"]))
    (reference, ref_loss), (laned, loss) = results
    assert calls, "the evaluations did not run in lanes"
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-9)
    for got, want in zip(laned, reference):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


@needs_two_cores
def test_a_weight_stored_in_fortran_order_trains_in_lanes_as_the_reference(monkeypatch):
    """A weight assigned as another array's transpose (ported weights): the copies' gradients
    take the layer's own layout, so the products can write into them."""
    runs = []
    for mode in ("numpy", "auto"):
        monkeypatch.setenv(kernels.ENVIRONMENT, mode)
        X, y = _data(np.float64, "binary")
        model = _model("sigmoid-bce", np.float64)
        layer = model.layers[0]
        layer.params["weight"] = np.asfortranarray(layer.params["weight"])
        model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(1.0), epochs=3)
        runs.append(model.get_weights())
    for got, want in zip(*runs):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
