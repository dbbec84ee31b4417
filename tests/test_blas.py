"""`glassnet.blas`: BLAS libraries held at one thread by a count the holders share.

L-BFGS holds the solver's BLAS (every library but NumPy's) while it solves; lanes hold NumPy's
while a step runs in two threads. Holders in several threads, and the two parts, must never
leave a library at one thread once all have left, whatever the order they come and go in.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet import blas, lanes, lbfgs

threadpoolctl = pytest.importorskip("threadpoolctl")


def _threads() -> dict[str, int]:
    return {
        lib["filepath"]: lib["num_threads"]
        for lib in threadpoolctl.threadpool_info()
        if lib["user_api"] == "blas"
    }


def _numpys() -> list:
    libs = [lib for lib in blas.libraries() if blas.numpys(lib)]
    if not libs:
        pytest.skip("threadpoolctl finds no BLAS under NumPy")
    return libs


def test_numpys_own_blas_is_told_apart_from_the_others() -> None:
    libs = blas.libraries()
    assert any(blas.numpys(lib) for lib in libs)
    import scipy.linalg  # noqa: F401  (loads scipy's own BLAS, where the wheel ships one)

    others = [lib for lib in blas.libraries() if not blas.numpys(lib)]
    assert all("numpy" not in lib.filepath.split("site-packages")[-1][:7] for lib in others)


def test_holders_coming_and_going_in_any_order_restore_what_the_first_found() -> None:
    libs = _numpys()
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        start = _threads()
        first, second = blas.one_thread(libs), blas.one_thread(libs)
        first.__enter__()
        second.__enter__()
        assert all(_threads()[lib.filepath] == 1 for lib in libs)
        first.__exit__(None, None, None)  # the first out: the second still holds
        assert all(_threads()[lib.filepath] == 1 for lib in libs)
        second.__exit__(None, None, None)
        assert _threads() == start


def test_the_solver_and_the_lanes_hold_different_libraries() -> None:
    import scipy.linalg  # noqa: F401

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        start = _threads()
        with lanes.one_blas_thread():
            mid = _threads()
            with lbfgs._solver_blas_serial():
                assert set(_threads().values()) == {1}
            assert _threads() == mid  # the solver put back what it found, not the lanes' 1s
        assert _threads() == start
        numpys = {lib.filepath for lib in _numpys()}
        assert all(n == (1 if path in numpys else start[path]) for path, n in mid.items())


@pytest.mark.skipif(lanes.cores() < 2, reason="lanes need two cores")
def test_a_solve_outlasting_a_fit_in_lanes_on_another_thread_leaves_blas_as_it_was() -> None:
    import scipy.linalg  # noqa: F401

    rng = np.random.default_rng(0)
    X = rng.standard_normal((24_000, 100))
    y = (X[:, :3].sum(axis=1, keepdims=True) > 0).astype(float)
    started = threading.Event()

    class Started(gn.Callback):
        def on_epoch_end(self, epoch, logs, model) -> None:
            started.set()

    def fit_in_lanes() -> None:
        model = gn.Sequential([gn.Dense(100, 32, rng=0), gn.Sigmoid(), gn.Dense(32, 1, rng=1)])
        model.fit(X, y, loss=gn.BinaryCrossEntropy(), optimizer=gn.SGD(1.0), epochs=4,
                  callbacks=[Started()])  # fmt: skip

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        start = _threads()
        thread = threading.Thread(target=fit_in_lanes)
        thread.start()
        started.wait(timeout=60)
        model = gn.Sequential([gn.Dense(100, 16, rng=0), gn.Tanh(), gn.Dense(16, 1, rng=1)])
        model.fit(X[:2000], y[:2000], loss=gn.BinaryCrossEntropy(), optimizer=gn.LBFGS(tol=0),
                  epochs=400)  # fmt: skip
        thread.join(timeout=120)
        assert _threads() == start


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_while_blas_is_held_gets_its_threads_back() -> None:
    numpys = _numpys()
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"), blas.one_thread(numpys):
        pid = os.fork()
        if pid == 0:  # nobody in the child will leave the hold: it is undone at the fork
            os._exit(0 if [lib.num_threads for lib in numpys] == [2] * len(numpys) else 1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
