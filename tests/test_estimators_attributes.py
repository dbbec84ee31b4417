"""The estimators' fitted attributes and the small scikit-learn behaviours around fitting:
names, meanings and dtypes as `MLPClassifier` / `MLPRegressor` have them."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor

X, y = make_classification(n_samples=80, n_features=5, n_informative=3, n_classes=3,
                           random_state=0)  # fmt: skip


def _fitted(**params: object) -> NeuralNetClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return NeuralNetClassifier((6, 4), random_state=0, max_iter=5, **params).fit(X, y)


def test_coefs_and_intercepts_are_the_networks_own_arrays():
    clf = _fitted()
    assert [c.shape for c in clf.coefs_] == [(5, 6), (6, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (4,), (3,)]
    before = clf.predict_proba(X)
    clf.coefs_[-1][:] = 0.0  # writing into them changes the model
    clf.intercepts_[-1][:] = 0.0
    assert np.allclose(clf.predict_proba(X), 1 / 3)
    assert not np.allclose(before, 1 / 3)


@pytest.mark.parametrize("how", ["partial_fit", "warm_start", "refit", "pickle"])
def test_coefs_stay_the_trained_arrays_after_more_training(how):
    clf = _fitted(warm_start=how == "warm_start")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if how == "partial_fit":
            clf.partial_fit(X, y)
        elif how == "pickle":
            clf = pickle.loads(pickle.dumps(clf))
        else:
            clf.fit(X, y)
    weights = clf.network_.dense_layers[0].params["weight"]
    assert clf.coefs_[0] is weights
    clf.coefs_[0][0, 0] = 123.0
    assert clf.network_.get_weights()[0][0, 0] == 123.0


def test_scikit_learns_fitted_attributes_have_its_meaning():
    clf = _fitted()
    assert (clf.n_layers_, clf.n_outputs_, clf.out_activation_) == (4, 3, "softmax")
    assert clf.t_ == clf.n_iter_ * len(X) == 5 * 80
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert not hasattr(NeuralNetClassifier(), "coefs_")  # before a fit, as scikit-learn
    assert not hasattr(NeuralNetClassifier(), "out_activation_")


@pytest.mark.parametrize(
    ("target", "expected"),
    [(y == 0, "logistic"), (np.eye(3)[y], "logistic"), (y, "softmax")],
    ids=["binary", "multilabel", "multiclass"],
)
def test_out_activation_is_named_as_scikit_learn_names_it(target, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = NeuralNetClassifier((3,), max_iter=2, random_state=0).fit(X, target)
        reg = NeuralNetRegressor((3,), max_iter=2).fit(X, y.astype(float))
    assert clf.out_activation_ == expected
    assert reg.out_activation_ == "identity"


def test_samples_seen_grow_across_partial_fit_and_warm_start():
    clf = NeuralNetClassifier((4,), random_state=0, warm_start=True, max_iter=2)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X[:30], y[:30])
    assert clf.t_ == 110
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.t_ == 110 + 2 * 80


def test_fitted_attributes_survive_pickle_clone_and_model_files(tmp_path):
    clf = _fitted(early_stopping=True, validation_fraction=0.25)
    path = tmp_path / "m.npz"
    clf.save(path)
    for other in (pickle.loads(pickle.dumps(clf)), NeuralNetClassifier.load(path)):
        for name in ("t_", "n_iter_", "loss_", "best_loss_", "loss_curve_",
                     "validation_scores_", "best_validation_score_", "n_layers_",
                     "out_activation_", "n_outputs_"):  # fmt: skip
            assert getattr(other, name) == getattr(clf, name), name
        for a, b in zip(other.coefs_ + other.intercepts_, clf.coefs_ + clf.intercepts_):
            assert np.array_equal(a, b)
    assert not hasattr(clone(clf), "coefs_")


def test_n_iter_no_change_inf_never_stops_for_want_of_improvement():
    clf = NeuralNetClassifier((4,), tol=1e9, max_iter=12, n_iter_no_change=np.inf)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 12


@pytest.mark.parametrize("Estimator", [NeuralNetClassifier, NeuralNetRegressor])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_input_keeps_float32_weights_when_dtype_is_not_given(Estimator, dtype):
    est = Estimator((4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X.astype(dtype), y)
    assert all(a.dtype == dtype for a in est.coefs_ + est.intercepts_)
    assert est.predict(X).dtype == (dtype if Estimator is NeuralNetRegressor else y.dtype)
    # an explicit dtype still decides
    explicit = Estimator((4,), max_iter=1, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        explicit.fit(X.astype(np.float32), y)
    assert explicit.coefs_[0].dtype == np.float64


def test_batch_size_above_the_samples_warns_as_scikit_learn_and_is_clipped():
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        NeuralNetClassifier((3,), batch_size=500, max_iter=1).partial_fit(X, y, classes=[0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at or below the sample count
        NeuralNetClassifier((3,), batch_size=80, max_iter=1).partial_fit(X, y, classes=[0, 1, 2])


def test_non_finite_validation_predictions_are_recorded_as_nan_not_an_error():
    Xr, yr = make_regression(n_samples=40, n_features=3, random_state=0)
    reg = NeuralNetRegressor((4,), max_iter=3, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(Xr, yr)
    reg.network_.dense_layers[-1].params["bias"][:] = np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(reg._score_encoded(Xr, (yr - yr.mean()).reshape(-1, 1)))


def test_regressor_loss_is_scikit_learns_on_the_scale_of_y():
    # ½·mean((ŷ − y)²) over samples and targets, in y's units, whatever normalize_y does inside
    Xr, yr = make_regression(n_samples=60, n_features=4, random_state=11)
    yr = 1000 * yr + 5
    reg = NeuralNetRegressor((8,), alpha=0.0, batch_size=60, shuffle=False, random_state=0)
    reg.partial_fit(Xr, yr)
    before = reg.predict(Xr)
    reg.partial_fit(Xr, yr)  # one full-batch step: its loss is at the weights before it
    assert reg.loss_ == pytest.approx(0.5 * np.mean((before - yr) ** 2), rel=1e-9)


def test_multi_output_regression_trains_as_long_as_scikit_learns_tol_asks():
    # y of scale ~100: a tol on the standardized loss stopped after a few dozen epochs
    Xr, yr = make_regression(n_samples=200, n_targets=5, random_state=11)
    reg = NeuralNetRegressor(50, max_iter=300, random_state=1, learning_rate_init=0.01)
    reg.fit(Xr, yr)
    assert reg.n_iter_ > 100
    assert reg.score(Xr, yr) > 0.99
