"""The estimators' solvers and rates: ``solver="lbfgs"`` with ``max_fun``, scikit-learn's
learning-rate schedules for sgd, and its verbose lines."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from glassnet import GlassnetError
from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


def test_lbfgs_fits_as_well_as_scikit_learns_lbfgs(digits):
    X, y = digits
    ours = NeuralNetClassifier((30,), solver="lbfgs", random_state=0).fit(X, y)
    theirs = MLPClassifier((30,), solver="lbfgs", random_state=0).fit(X, y)
    assert ours.score(X, y) >= theirs.score(X, y) - 0.01
    assert 0 < ours.n_iter_ <= 200 and len(ours.loss_curve_) == ours.n_iter_
    # loss_ is scikit-learn's objective at the solution: the curve's last entry
    assert ours.loss_ == pytest.approx(ours.loss_curve_[-1])
    assert ours.loss_ == pytest.approx(theirs.loss_, abs=0.01)


def test_lbfgs_regressor_reaches_a_good_fit():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * np.sin(3 * X[:, 0])
    reg = NeuralNetRegressor((20,), solver="lbfgs", random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.99


def test_lbfgs_warns_as_scikit_learn_when_max_fun_or_max_iter_stops_it(digits):
    X, y = digits
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge") as caught:
        clf = NeuralNetClassifier((30,), solver="lbfgs", max_fun=15, random_state=0).fit(X, y)
    assert clf.n_iter_ < 15 and "EVALUATIONS EXCEEDS LIMIT" in str(caught[0].message)
    with pytest.warns(ConvergenceWarning, match=r"Increase the number of iterations"):
        clf = NeuralNetClassifier((30,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    assert clf.n_iter_ == 5


def test_lbfgs_has_no_partial_fit_and_max_fun_is_checked(digits):
    X, y = digits
    # as scikit-learn: the method is not there at all for lbfgs
    assert not hasattr(NeuralNetClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(NeuralNetRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        NeuralNetClassifier(solver="lbfgs").partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(GlassnetError, match="max_fun"):
        NeuralNetClassifier(solver="lbfgs", max_fun=0).fit(X, y)


def test_solver_and_rate_parameters_round_trip_through_model_files(digits, tmp_path):
    X, y = digits
    params = {"learning_rate": "invscaling", "power_t": 0.25, "max_fun": 123}
    clf = NeuralNetClassifier((5,), solver="sgd", max_iter=3, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.save(tmp_path / "c.npz")
    back = NeuralNetClassifier.load(tmp_path / "c.npz")
    assert {k: back.get_params()[k] for k in params} == params
    lbfgs = NeuralNetRegressor((5,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lbfgs.fit(X, y.astype(float))
    lbfgs.save(tmp_path / "r.npz")
    again = NeuralNetRegressor.load(tmp_path / "r.npz")
    assert again.solver == "lbfgs"
    np.testing.assert_array_equal(again.predict(X), lbfgs.predict(X))


def test_invscaling_sets_the_rate_from_the_samples_seen(digits):
    X, y = digits
    clf = NeuralNetClassifier((5,), solver="sgd", learning_rate="invscaling", power_t=0.25,
                              learning_rate_init=0.1, max_iter=3, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # after 3 epochs of 400 samples: η₀ / (t + 1)^power_t with t = 1200, as scikit-learn
    assert clf.t_ == 1200
    assert clf.network_.optimizer.learning_rate == pytest.approx(0.1 / 1201**0.25)
    clf.partial_fit(X, y)
    assert clf.network_.optimizer.learning_rate == pytest.approx(0.1 / 1601**0.25)


def test_adaptive_divides_the_rate_by_five_until_it_is_tiny(digits, capsys):
    X, y = digits
    # tol=0.5: no epoch improves enough, so the rate falls by 5 each time the count trips
    clf = NeuralNetClassifier((5,), solver="sgd", learning_rate="adaptive", tol=0.5,
                              max_iter=3000, random_state=0, verbose=True)  # fmt: skip
    clf.fit(X, y)
    assert clf.network_.optimizer.learning_rate < 1e-6
    # the count first trips after 12 epochs (the first one improves on inf), then after every
    # 11; 1e-3 / 5^k <= 1e-6 first at k = 5, so the sixth trip stops
    assert clf.n_iter_ == 12 + 5 * 11
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.000200" in out
    assert out.rstrip().endswith("Learning rate too small. Stopping.")


def test_constant_rate_stops_where_adam_would(digits):
    X, y = digits
    clf = NeuralNetClassifier((5,), solver="sgd", tol=0.5, random_state=0).fit(X, y)
    assert clf.n_iter_ == 12 and clf.network_.optimizer.learning_rate == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"power_t": -1.0}, "power_t"),
        ({"max_fun": 2.5}, "max_fun"),
    ],
)
def test_bad_rate_and_solver_parameters_are_one_line(digits, params, message):
    X, y = digits
    with pytest.raises(GlassnetError, match=message):
        NeuralNetClassifier(**params).fit(X, y)
