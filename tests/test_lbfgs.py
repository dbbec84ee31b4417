"""Full-batch L-BFGS-B (`glassnet.lbfgs`, `optimizers.LBFGS`) through `Sequential.fit`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import LBFGS, GlassnetError
from glassnet.compiled import Step
from glassnet.lbfgs import Evaluation
from glassnet.network import mlp

pytest.importorskip("scipy")


def _net(seed: int = 0) -> gn.Sequential:
    return mlp(2, [8], 1, activation=gn.Tanh, rng=seed)


def test_lbfgs_fits_xor_and_logs_one_loss_per_iteration():
    X, y = gn.datasets.xor()
    net = _net()
    history = net.fit(X, y, loss="bce", optimizer=LBFGS(), epochs=200)
    result = net.optimizer.result
    assert len(history.loss) == result.n_iter == history.epochs
    assert history.loss[-1] < 1e-3 < history.loss[0]
    assert ((net.predict(X) > 0) == y).all()  # logits: z > 0 is class 1
    assert net.optimizer.iterations == result.n_fun  # every evaluation counted


def test_lbfgs_by_name_and_epochs_cap_its_iterations():
    X, y = gn.datasets.xor()
    history = _net().fit(X, y, loss="bce", optimizer="lbfgs", epochs=3)
    assert history.epochs == 3


@settings(max_examples=10, deadline=None)
@given(decay=st.floats(0.0, 1.0), seed=st.integers(0, 100))
def test_lbfgs_gradient_is_the_objectives_own(decay, seed):
    # the flat gradient scipy sees is d/dθ (loss + ½λ‖W‖²), by central differences
    X, y = gn.datasets.xor()
    net = _net(seed)
    net.loss = gn.losses.get("bce")
    evaluate = Evaluation(Step(net, net.loss, LBFGS()), X, y, decay)
    x = evaluate.pack()
    _, g = evaluate(x)
    rng = np.random.default_rng(seed)
    for i in rng.choice(len(x), 5, replace=False):
        e = np.zeros_like(x)
        e[i] = 1e-6
        numeric = (evaluate(x + e)[0] - evaluate(x - e)[0]) / 2e-6
        assert numeric == pytest.approx(g[i], rel=1e-4, abs=1e-7)


def test_lbfgs_weight_decay_shrinks_the_weights():
    X, y = gn.datasets.xor()
    free, decayed = _net(), _net()
    free.fit(X, y, loss="bce", optimizer=LBFGS(), epochs=50)
    decayed.fit(X, y, loss="bce", optimizer=LBFGS(weight_decay=0.1), epochs=50)
    norm = lambda net: sum(float((w**2).sum()) for w in net.get_weights()[::2])  # noqa: E731
    assert norm(decayed) < norm(free)


def test_a_model_trained_by_lbfgs_saves_and_loads(tmp_path):
    X, y = gn.datasets.xor()
    net = _net()
    net.fit(X, y, loss="bce", optimizer=LBFGS(max_fun=50, tol=1e-6, weight_decay=1e-3), epochs=20)
    net.save(tmp_path / "m.npz")
    back = gn.load(tmp_path / "m.npz")
    assert isinstance(back.optimizer, LBFGS)
    assert (back.optimizer.max_fun, back.optimizer.tol, back.optimizer.weight_decay) == (
        50, 1e-6, 1e-3,
    )  # fmt: skip
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    back.fit(X, y, epochs=5)  # and trains on from there


def test_a_callback_stops_the_solve():
    class StopAtThree(gn.Callback):
        def on_epoch_end(self, epoch, logs, model):
            return epoch == 2

    X, y = gn.datasets.xor()
    history = _net().fit(X, y, loss="bce", optimizer=LBFGS(), epochs=100,
                         callbacks=[StopAtThree()], metrics=["accuracy"])  # fmt: skip
    assert history.epochs == 3 and history.stopped_early
    assert len(history["accuracy"]) == 3


def test_lbfgs_refuses_mini_batches_and_a_learning_rate():
    X, y = gn.datasets.xor()
    with pytest.raises(GlassnetError, match="full batch"):
        _net().fit(X, y, loss="bce", optimizer=LBFGS(), batch_size=2)
    with pytest.raises(GlassnetError, match="no learning rate"):
        gn.optimizers.get("lbfgs", 0.1)
    with pytest.raises(GlassnetError, match="max_fun"):
        LBFGS(max_fun=0)


def test_lbfgs_divergence_restores_the_weights():
    X, y = gn.datasets.xor()
    net = _net()
    start = net.get_weights()
    y_bad = np.full_like(y, 1e300)
    with pytest.raises(gn.TrainingDivergedError, match="restored"):
        net.fit(X, y_bad, loss="mse", optimizer=LBFGS(), epochs=10)
    for a, b in zip(net.get_weights(), start):
        np.testing.assert_array_equal(a, b)


def test_the_solvers_own_blas_runs_serial_during_a_solve_and_is_restored():
    # scipy's bundled BLAS and NumPy's each keep a pool of spinning threads; during a solve the
    # solver's pool is held to one thread (bench W5: 3-4x faster on 2 cores), NumPy's untouched
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from glassnet import lbfgs

    def counts():
        return {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}

    lbfgs._scipy_optimize()  # loads scipy's BLAS, as a solve does
    others = {lib.filepath for lib in lbfgs._other_blas()}
    before, during = counts(), []

    class Look(gn.Callback):
        def on_epoch_end(self, epoch, logs, model):
            during.append(counts())

    X, y = gn.datasets.xor()
    _net().fit(X, y, loss="bce", optimizer=LBFGS(), epochs=3, callbacks=[Look()])
    assert during and counts() == before
    numpy_own = set(before) - others
    assert numpy_own and all(during[0][path] == before[path] for path in numpy_own)
    assert all(during[0][path] == 1 for path in others)
