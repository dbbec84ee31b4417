"""The second core's worker (`glassnet.duo`): a fit on two cores trains as on one.

Each job is cut in two halves of whole rows, columns or elements, computed by the same BLAS
routine or kernel as the whole. An update's and a gather's halves are the whole's bit for bit;
a product's halves are smaller products, for which OpenBLAS may pick another kernel (its
small-matrix ones) and round the sums otherwise: the training agrees with the one-core step's to
1e-12 in float64 and float32's rounding in float32, as the kernels agree with the NumPy path
(the reference holds NumPy's BLAS at one thread: OpenBLAS's own two threads round some products
otherwise too). The thresholds are lowered so that small models use it.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import glassnet as gn
from glassnet import blas, duo, kernels, lanes

pytestmark = pytest.mark.skipif(
    not kernels.available() or duo._gemm() is None or lanes.cores() < 2,
    reason="needs numba, threadpoolctl, NumPy's wheel OpenBLAS and two cores",
)

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}  # relative, as in test_kernels

RULES: dict[str, Callable[[], gn.Optimizer]] = {
    "adam": lambda: gn.Adam(1e-2),
    "adam-decay-clip": lambda: gn.Adam(1e-2, weight_decay=1e-2, clip_norm=0.5),
    "rmsprop-decay": lambda: gn.RMSprop(1e-3, weight_decay=1e-3),
    "sgd-nesterov-decay-clip": lambda: gn.SGD(
        0.05, momentum=0.9, nesterov=True, weight_decay=1e-2, clip_norm=0.5
    ),
}


@pytest.fixture
def two_threads() -> Iterator[None]:
    """NumPy's BLAS allowed two threads (the suite runs with one, and the worker is used only
    where BLAS may use two)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        yield


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch, two_threads: None) -> None:
    """Kernels, and the worker's cuts, whatever the size."""
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")


def _fit(make: Callable[[], gn.Optimizer], dtype: type, widths: tuple[int, ...],
         batch: int = 100) -> tuple[list[np.ndarray], list[float]]:  # fmt: skip
    rng = np.random.default_rng(0)
    X = rng.standard_normal((530, widths[0])).astype(dtype)
    y = rng.integers(0, widths[-1], 530)
    layers: list[gn.Layer] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers += [gn.Dense(a, b, rng=i, dtype=dtype), gn.ReLU()]
    model = gn.Sequential(layers[:-1])
    history = model.fit(X, y, loss=gn.CrossEntropy(), optimizer=make(), epochs=3,
                        batch_size=batch, seed=0)  # fmt: skip
    return model.get_weights(), history["loss"]


def _one_core(*args: object) -> tuple[list[np.ndarray], list[float]]:
    """The same fit on one core: NumPy's BLAS held at one thread, so no worker either."""
    with blas.one_thread([lib for lib in blas.libraries() if blas.numpys(lib)]):
        return _fit(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_fit_on_two_cores_agrees_with_the_one_core_fit(small, monkeypatch, rule, dtype):
    used = []
    real = duo.Duo.serving

    def serving(self):  # type: ignore[no-untyped-def]
        used.append(self.n_jobs)
        return real(self)

    monkeypatch.setattr(duo.Duo, "serving", serving)
    # odd widths: cuts that fall off the 16-element grid, a product cut by rows and by columns
    args = (RULES[rule], dtype, (37, 70, 45, 5))
    weights, losses = _fit(*args)
    assert used and used[0] >= 6  # products, the update's halves, the gather
    ref_weights, ref_losses = _one_core(*args)
    rtol = TOLERANCE[dtype]
    np.testing.assert_allclose(losses, ref_losses, rtol=rtol)
    for w, r in zip(weights, ref_weights):
        np.testing.assert_allclose(w, r, rtol=rtol, atol=rtol * np.abs(r).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_product_layout_cut_in_two_is_the_whole_product(small, dtype):
    rng = np.random.default_rng(1)
    two = duo.Duo(np.dtype(dtype))
    cases = []
    for m, k, n in [(128, 50, 40), (40, 50, 128), (33, 17, 65), (64, 64, 64)]:
        for a in (rng.standard_normal((m, k)), rng.standard_normal((k, m)).T):
            for b in (rng.standard_normal((k, n)), rng.standard_normal((n, k)).T):
                a_, b_ = a.astype(dtype), b.astype(dtype)
                out = np.full((m, n), np.nan, dtype)
                call = two.product(a_, b_, out)
                assert call is not None
                cases.append((call, a_, b_, out))
    numpys = [lib for lib in blas.libraries() if blas.numpys(lib)]
    with two.serving():
        for call, a, b, out in cases:
            call()
            with blas.one_thread(numpys):
                whole = a @ b
            rtol = TOLERANCE[dtype]
            np.testing.assert_allclose(out, whole, rtol=rtol, atol=rtol * np.abs(whole).max())


def test_products_it_cannot_give_by_pointer_are_left_to_numpy(small):
    two = duo.Duo(np.dtype(np.float64))
    a = np.ones((64, 64))
    assert two.product(a[:, ::2], a[::2], np.empty((64, 32))) is None  # strided both ways
    assert two.product(a.astype(np.float32), a, np.empty((64, 64))) is None  # another dtype
    assert two.product(a, a, np.empty((64, 64), order="F")) is None  # out by columns
    call = np.matmul  # a call it does not know stays as it is
    assert two.rewrite([call]) == [call]


def test_the_worker_stops_and_blas_threads_come_back_even_when_the_fit_fails(small):
    numpys = [lib for lib in blas.libraries() if blas.numpys(lib)]
    before = [lib.num_threads for lib in numpys]

    class Boom(gn.Callback):
        def on_batch_end(self, batch, model, loss):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((300, 40)), rng.integers(0, 3, 300)
    model = gn.Sequential([gn.Dense(40, 64), gn.ReLU(), gn.Dense(64, 3)])
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=100,
                  callbacks=[Boom()])  # fmt: skip
    assert not [t for t in threading.enumerate() if t.name == "glassnet-duo"]
    assert [lib.num_threads for lib in numpys] == before
    assert duo.RUNNING.get() is None


def test_it_is_not_claimed_on_the_numpy_path_for_small_steps_or_twice_at_once(
    monkeypatch, two_threads
):
    big = 1 << 30
    monkeypatch.setenv(kernels.ENVIRONMENT, "numpy")
    assert duo.claim(np.dtype(np.float32), big) is None
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    assert duo.claim(np.dtype(np.float16), big) is None
    monkeypatch.setenv(kernels.ENVIRONMENT, "auto")
    assert duo.claim(np.dtype(np.float32), 1 << 10) is None
    first = duo.claim(np.dtype(np.float32), big)
    assert first is not None
    assert duo.claim(np.dtype(np.float64), big) is None  # one worker spinning at a time
    first.close()
    second = duo.claim(np.dtype(np.float64), big)
    assert second is not None
    second.close()
    with blas.one_thread([lib for lib in blas.libraries() if blas.numpys(lib)]):
        assert duo.claim(np.dtype(np.float32), big) is None  # one BLAS thread: one core asked


def test_two_fits_in_two_threads_both_train_and_one_of_them_uses_the_worker(small):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((400, 40)), rng.integers(0, 3, 400)
    models = [gn.Sequential([gn.Dense(40, 64, rng=0), gn.ReLU(), gn.Dense(64, 3, rng=1)])
              for _ in range(2)]  # fmt: skip
    losses: list[float] = []

    def fit(model: gn.Sequential) -> None:
        history = model.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), epochs=20,
                            batch_size=100, seed=0)  # fmt: skip
        losses.append(history["loss"][-1])

    threads = [threading.Thread(target=fit, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(losses) == 2
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-12)  # the same training
    assert duo.claim(np.dtype(np.float64), 1 << 30) is not None  # released by both


# ------------------------------------------------------------------ what an adversarial pass found


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[duo.Duo]:
    """The duos whose worker serves, as they serve."""
    seen: list[duo.Duo] = []
    real = duo.Duo.serving

    def serving(self):  # type: ignore[no-untyped-def]
        seen.append(self)
        return real(self)

    monkeypatch.setattr(duo.Duo, "serving", serving)
    return seen


def _mlp(n_in: int = 40, hidden: int = 64) -> gn.Sequential:
    return gn.Sequential([gn.Dense(n_in, hidden, rng=0), gn.ReLU(), gn.Dense(hidden, 3, rng=1)])


def _data(n: int = 300, width: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, width)), rng.integers(0, 3, n)


def test_a_child_forked_during_a_fit_trains_on_its_own(small):
    X, y = _data()

    class Fork(gn.Callback):
        def on_batch_end(self, batch, model, loss):  # type: ignore[no-untyped-def]
            if batch != 2:
                return
            pid = os.fork()
            if pid == 0:  # the child: no worker here; its fits must not wait for one
                code = 1
                try:
                    _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=100)
                    code = 0
                finally:
                    os._exit(code)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    assert os.waitstatus_to_exitcode(status) == 0
                    return
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child's fit hung")

    _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=100, epochs=1,
               callbacks=[Fork()])  # fmt: skip


def test_an_interrupt_while_the_worker_starts_leaves_no_worker_behind(small, monkeypatch):
    real_serve = duo._serve

    def late(*args):  # type: ignore[no-untyped-def]
        threading.Event().wait(0.3)  # the fit's thread is interrupted before the worker serves
        real_serve(*args)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(duo, "_serve", late)
    monkeypatch.setattr(duo, "time", types.SimpleNamespace(sleep=interrupt))
    X, y = _data()
    with pytest.raises(KeyboardInterrupt):
        _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=100)
    assert not [t for t in threading.enumerate() if t.name == "glassnet-duo"]
    assert duo.claim(np.dtype(np.float64), 1 << 30) is not None  # released


def test_between_epochs_the_worker_is_gone_and_blas_has_its_threads_back(small, monkeypatch):
    seen = _capture(monkeypatch)
    numpys = [lib for lib in blas.libraries() if blas.numpys(lib)]
    between: list[tuple[int, list[int]]] = []

    class Look(gn.Callback):
        def on_epoch_end(self, epoch, logs, model):  # type: ignore[no-untyped-def]
            workers = [t for t in threading.enumerate() if t.name == "glassnet-duo"]
            between.append((len(workers), [lib.num_threads for lib in numpys]))

    X, y = _data()
    _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=100, epochs=3,
               validation_data=(X, y), callbacks=[Look()])  # fmt: skip
    assert len(seen) == 3  # serving each epoch's batches
    assert between == [(0, [2] * len(numpys))] * 3


def test_a_last_smaller_batch_does_not_claim_it_when_the_full_ones_are_in_blocks(
    small, monkeypatch
):
    from glassnet.compiled import Step

    monkeypatch.setattr(Step, "BLOCK_BYTES", 1024)  # full batches of 200 rows: in blocks
    monkeypatch.setattr(Step, "FUSED_BLOCK_SCALE", 1)
    seen = _capture(monkeypatch)
    X, y = _data(1050)
    _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=500, epochs=2)
    assert not seen or not any(d.used for d in seen)


def test_after_the_fit_it_holds_no_array_and_state_loaded_midway_reuses_its_rows(
    small, monkeypatch
):
    seen = _capture(monkeypatch)
    optimizer = gn.Adam()
    rows_after: list[int] = []

    class Reload(gn.Callback):
        def on_batch_end(self, batch, model, loss):  # type: ignore[no-untyped-def]
            optimizer.load_state_dict(optimizer.state_dict())  # fresh state arrays
            rows_after.append(seen[-1].n_jobs)

    X, y = _data(1000)
    _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=optimizer, batch_size=100, epochs=2,
               callbacks=[Reload()])  # fmt: skip
    assert len(set(rows_after[1:])) == 1  # the update's rows written over, not appended
    two = seen[-1]
    assert not two._kept and not two._rules and not two._kinds  # let go at the end


@pytest.mark.parametrize(
    "make", [lambda: gn.Adam(1e-3, clip_norm=1.0), lambda: gn.SGD(0.01, momentum=0.9)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_epochs_after_the_first_allocate_no_new_arrays_on_two_cores(
    small, monkeypatch, make, dtype
):
    """As `tests/test_allocations.py`, with the worker serving: its hand-offs allocate no array
    (the gather's addresses go into the table in place; an update's rows are made once)."""
    seen = _capture(monkeypatch)
    peaks: list[int] = []
    currents: list[int] = []

    class Memory(gn.Callback):
        def on_epoch_end(self, epoch, logs, model):  # type: ignore[no-untyped-def]
            current, peak = tracemalloc.get_traced_memory()
            if currents:
                peaks.append(peak - currents[-1])
            currents.append(current)
            tracemalloc.reset_peak()

    rng = np.random.default_rng(0)
    n = 5 * 256 + 37
    X, y = rng.standard_normal((n, 20)).astype(dtype), rng.integers(0, 4, n)
    model = gn.Sequential([gn.Dense(20, 512, rng=0, dtype=dtype), gn.ReLU(),
                           gn.Dense(512, 4, rng=2, dtype=dtype)])  # fmt: skip
    tracemalloc.start()
    try:
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=make(), epochs=4, batch_size=256,
                  seed=0, callbacks=[Memory()])  # fmt: skip
    finally:
        tracemalloc.stop()
    assert seen and seen[0].n_jobs > 0  # (the worker had work)
    assert currents[-1] - currents[0] < 1_000_000
    assert max(peaks) < 256 * 1024, peaks  # a hidden activation of one batch is 0.5-1 MiB


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_the_worker_has_not_taken_are_run_by_the_caller(small, dtype):
    """A second core busy with another thread (or no worker at all, here) costs the split, not
    a wait: the caller takes the worker's half when its own is done."""
    rng = np.random.default_rng(2)
    two = duo.Duo(np.dtype(dtype))
    a, b = rng.standard_normal((96, 70)).astype(dtype), rng.standard_normal((70, 130)).astype(dtype)
    out = np.full((96, 130), np.nan, dtype)
    call = two.product(a, b, out)
    assert call is not None
    for _ in range(3):  # no worker serving: each call returns, the whole product computed
        out[:] = np.nan
        call()
        np.testing.assert_allclose(out, a @ b, rtol=TOLERANCE[dtype], atol=1e-12)
    two.close()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_fit_on_two_cores_agrees_with_the_numpy_reference_path(small, monkeypatch, dtype):
    """The worker against ``GLASSNET_KERNELS=numpy`` (the reference, no kernel, no worker)."""
    seen = _capture(monkeypatch)
    args = (RULES["adam-decay-clip"], dtype, (64, 96, 48, 4))
    weights, losses = _fit(*args)
    assert seen and seen[0].n_jobs > 0
    monkeypatch.setenv(kernels.ENVIRONMENT, "numpy")
    ref_weights, ref_losses = _fit(*args)
    assert len(seen) == 3  # (the reference's fit claimed none: three epochs, one fit)
    rtol = TOLERANCE[dtype]
    np.testing.assert_allclose(losses, ref_losses, rtol=rtol)
    for w, r in zip(weights, ref_weights):
        np.testing.assert_allclose(w, r, rtol=rtol, atol=rtol * np.abs(r).max())


def test_an_interrupt_in_the_workers_own_stop_is_caught_by_the_fits_end(small, monkeypatch):
    """An interrupt can land inside a `finally`: the worker left serving is stopped when the
    fit closes its duo, and a duo dropped without closing frees the claim as it goes."""
    real_stop = duo._stop
    calls = []

    def interrupted_once(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt  # before the worker was told anything
        real_stop(*args)

    monkeypatch.setattr(duo, "_stop", interrupted_once)
    X, y = _data()
    with pytest.raises(KeyboardInterrupt):
        _mlp().fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.Adam(), batch_size=100)
    assert len(calls) >= 2
    assert not [t for t in threading.enumerate() if t.name == "glassnet-duo"]
    dropped = duo.claim(np.dtype(np.float64), 1 << 30)
    assert dropped is not None
    del dropped  # never closed (an interrupt before the fit's end, say): gone, not held
    assert duo.claim(np.dtype(np.float64), 1 << 30) is not None
