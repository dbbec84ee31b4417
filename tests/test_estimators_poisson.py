"""`NeuralNetRegressor(loss="poisson")`: scikit-learn's Poisson MLP (half deviance, log link)."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import DataError, GlassnetError
from glassnet.estimators import NeuralNetRegressor


def _counts(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, 2))
    return X, rng.poisson(np.exp(X[:, 0] + 0.5 * X[:, 1])).astype(float)


def _fit(**kw) -> NeuralNetRegressor:
    X, y = _counts()
    params = {"hidden_layer_sizes": (4,), "max_iter": 30, "random_state": 0, "tol": 0.0}
    return NeuralNetRegressor(loss="poisson", **{**params, **kw}).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_regressor_predicts_means_and_reports_scikit_learns_half_deviance(solver):
    X, y = _counts()
    reg = _fit(solver=solver)
    assert reg.out_activation_ == "exp"
    mu = reg.predict(X)
    assert (mu > 0).all()
    np.testing.assert_allclose(mu, np.exp(reg.network_.predict(X)[:, 0]))  # y not standardized
    xlogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    squares = sum(float(np.vdot(w, w)) for w in reg.coefs_)
    half_deviance = np.mean(xlogy - y + mu) + 0.5 * reg.alpha * squares / len(y)
    if solver == "lbfgs":  # loss_ is the objective at the final weights
        assert reg.loss_ == pytest.approx(half_deviance, rel=1e-6)
    assert np.isfinite(reg.loss_curve_).all() and reg.loss_curve_[-1] < reg.loss_curve_[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_squared_error_keeps_the_identity_output():
    X, y = _counts()
    reg = NeuralNetRegressor((4,), max_iter=5, random_state=0).fit(X, y)
    assert reg.loss == "squared_error" and reg.out_activation_ == "identity"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_poisson_regressor_survives_a_model_file_round_trip(tmp_path):
    X, _ = _counts()
    reg = _fit(max_iter=3)
    reg.save(tmp_path / "m.npz")
    back = NeuralNetRegressor.load(tmp_path / "m.npz")
    assert back.loss == "poisson" and back.out_activation_ == "exp"
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    assert back.loss_ == reg.loss_


def test_poisson_refuses_negative_targets_in_one_line():
    X, y = _counts()
    y[3] = -1.0
    reg = NeuralNetRegressor(loss="poisson")
    with pytest.raises(DataError, match=r"^y holds -1\.0 at row 3, but loss='poisson' needs "):
        reg.fit(X, y)


def test_poisson_refuses_all_zero_targets_and_unknown_losses():
    X, y = _counts()
    with pytest.raises(DataError, match="all zeros, but loss='poisson' needs"):
        NeuralNetRegressor(loss="poisson").fit(X, np.zeros_like(y))
    with pytest.raises(GlassnetError, match=r"^loss must be one of squared_error, poisson; got"):
        NeuralNetRegressor(loss="absolute_error").fit(X, y)
