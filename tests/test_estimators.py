"""The scikit-learn estimators: scikit-learn's own checks, its MLP as an oracle, partial_fit,
streaming, pipelines and searches, pickling and model files, and the defaults' accuracy."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import warnings
from functools import partial

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import glassnet
from glassnet import GlassnetError, ModelFileError
from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor, fit_stream, iter_chunks

# ----------------------------------------------------------------- scikit-learn's own checks

# Small networks with a larger learning rate keep the ~110 checks fast; they still have to
# genuinely pass, e.g. check_classifiers_train asks for > 83% training accuracy on blobs.
CHECKED = [
    NeuralNetClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100),
    NeuralNetRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100),
]


def _check_name(check: partial[object]) -> str:
    return getattr(check, "func", check).__name__


# ConvergenceWarning is scikit-learn's convention when max_iter is reached, which the checks'
# short trainings do; every other warning still fails the test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED)
def test_estimators_pass_scikit_learns_checks(estimator, check):
    if _check_name(check) == "check_array_api_input" and not os.environ.get("SCIPY_ARRAY_API"):
        # scipy reads SCIPY_ARRAY_API once, at import, and array-API dispatch needs it: run
        # this check in a fresh interpreter that has it set instead of skipping it
        payload = pickle.dumps((check, estimator))
        code = (
            "import pickle, sys, warnings\n"
            "from sklearn.exceptions import ConvergenceWarning\n"
            "warnings.simplefilter('error')\n"
            "warnings.simplefilter('ignore', ConvergenceWarning)\n"
            "check, est = pickle.loads(sys.stdin.buffer.read())\n"
            "check(est)\n"
        )
        env = {**os.environ, "SCIPY_ARRAY_API": "1"}
        done = subprocess.run(
            [sys.executable, "-c", code], input=payload, env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return
    check(estimator)


# ----------------------------------------------------------------- optional dependency


def test_import_glassnet_needs_only_numpy():
    code = "import sys, glassnet; print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_missing_scikit_learn_raises_import_error_with_install_hint():
    code = (
        "import sys\n"
        "sys.modules['sklearn'] = None  # what an environment without scikit-learn looks like\n"
        "import glassnet\n"
        "try:\n"
        "    glassnet.NeuralNetClassifier\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'glassnet[sklearn]'" in done.stdout


def test_estimators_are_reachable_from_the_package():
    assert glassnet.NeuralNetClassifier is NeuralNetClassifier
    assert glassnet.NeuralNetRegressor is NeuralNetRegressor


# ----------------------------------------------------------------- targets


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_binary_classifier_has_one_sigmoid_output_and_two_probability_columns(blobs):
    X, y = blobs
    labels = np.where(y == 0, "cat", "dog")
    clf = _quiet_fit(NeuralNetClassifier((16,), learning_rate_init=0.01, random_state=0), X, labels)
    assert clf.network_.n_outputs == 1
    assert isinstance(clf.network_.loss, glassnet.BinaryCrossEntropy)
    assert list(clf.classes_) == ["cat", "dog"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = clf.predict(X)
    assert set(predicted) <= {"cat", "dog"}
    np.testing.assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(predicted == "dog", clf.decision_function(X) > 0)
    assert clf.score(X, labels) > 0.85


def test_multiclass_classifier_with_string_labels_uses_softmax_cross_entropy(blobs):
    X, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = _quiet_fit(NeuralNetClassifier((16,), learning_rate_init=0.01, random_state=0), X, names)
    assert isinstance(clf.network_.loss, glassnet.CrossEntropy)
    assert clf.network_.n_outputs == 3
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X))
    assert clf.score(X, names) > 0.8


def test_multilabel_indicator_targets_get_one_sigmoid_per_label():
    X, Y = make_multilabel_classification(n_samples=200, n_features=8, n_classes=4, random_state=0)
    clf = _quiet_fit(NeuralNetClassifier((32,), learning_rate_init=0.01, random_state=0), X, Y)
    assert clf.network_.n_outputs == 4
    assert isinstance(clf.network_.loss, glassnet.BinaryCrossEntropy)
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    predicted = clf.predict(X)
    assert predicted.shape == Y.shape
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and proba.min() >= 0 and proba.max() <= 1
    np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))
    assert (predicted == Y).mean() > 0.85


def test_single_class_is_rejected_with_a_message_naming_it():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(GlassnetError, match=r"one class only \(yes\)"):
        NeuralNetClassifier().fit(X, ["yes"] * 10)


def test_regressor_predicts_several_targets_and_standardizes_them():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([1000 + 300 * X[:, 0], -5 * X[:, 1] + X[:, 2]])
    reg = _quiet_fit(NeuralNetRegressor((32,), max_iter=300, random_state=0), X, Y)
    assert reg.predict(X).shape == (300, 2)
    assert reg.score(X, Y) > 0.95
    # the network itself sees standardized targets: its raw outputs are near unit scale
    assert np.abs(reg.network_.predict(X)).max() < 10
    raw = _quiet_fit(
        NeuralNetRegressor((32,), max_iter=50, random_state=0, normalize_y=False), X, Y
    )
    assert raw.score(X, Y) < reg.score(X, Y)


# ----------------------------------------------------------------- scikit-learn as an oracle


@pytest.mark.parametrize("batch_size", [60, 25])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "regression"])
def test_sgd_training_matches_scikit_learns_mlp_step_for_step(target, momentum, batch_size):
    """Same starting weights, same batches (all 60, or 25, 25, 10), α > 0: the same weights and
    objective, which pins the loss scaling, the L2 scaling per batch and the SGD update."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = {
        "binary": (X[:, 0] > 0).astype(int),
        "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
        "multilabel": (X[:, :3] > 0).astype(int),
        "regression": np.column_stack([X @ [1.0, -2.0, 0.5, 3.0] + 5, X[:, 1]]),
    }[target]
    params = dict(
        hidden_layer_sizes=(5,),
        solver="sgd",
        momentum=momentum,
        learning_rate_init=0.05,
        alpha=0.3,
        batch_size=batch_size,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=100,
        max_iter=1,
        random_state=0,
    )
    if target == "regression":
        ours, theirs = NeuralNetRegressor(normalize_y=False, **params), MLPRegressor(**params)
    else:
        ours, theirs = NeuralNetClassifier(**params), MLPClassifier(**params)
    with pytest.warns(ConvergenceWarning):
        ours.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        theirs.set_params(warm_start=True).fit(X, y)
    W = ours.network_.get_weights()
    theirs.coefs_, theirs.intercepts_ = [W[0].copy(), W[2].copy()], [W[1].copy(), W[3].copy()]
    for est in (ours, theirs):
        with pytest.warns(ConvergenceWarning):
            est.set_params(warm_start=True, max_iter=4).fit(X, y)
    W = ours.network_.get_weights()
    expected = [a for pair in zip(theirs.coefs_, theirs.intercepts_) for a in pair]
    for mine, sk in zip(W, expected):
        np.testing.assert_allclose(mine, sk, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours.loss_curve_[-4:], theirs.loss_curve_[-4:], rtol=1e-12)


def test_adam_training_stays_within_epsilon_placement_of_scikit_learns():
    """Adam differs from scikit-learn's only in where ε enters (after vs before the bias
    correction of √v), so a few steps agree closely but not bit for bit."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    y = np.digitize(X[:, 0] - X[:, 1], [-0.5, 0.5])
    params = dict(hidden_layer_sizes=(5,), alpha=0.3, batch_size=25, shuffle=False, tol=0.0,
                  n_iter_no_change=100, max_iter=1, random_state=0,
                  learning_rate_init=0.01)  # fmt: skip
    ours, theirs = NeuralNetClassifier(**params), MLPClassifier(warm_start=True, **params)
    with pytest.warns(ConvergenceWarning):
        ours.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        theirs.fit(X, y)
    W = ours.network_.get_weights()
    theirs.coefs_, theirs.intercepts_ = [W[0].copy(), W[2].copy()], [W[1].copy(), W[3].copy()]
    for est in (ours, theirs):
        with pytest.warns(ConvergenceWarning):
            est.set_params(warm_start=True, max_iter=5).fit(X, y)
    np.testing.assert_allclose(ours.network_.get_weights()[0], theirs.coefs_[0], atol=1e-4)
    np.testing.assert_allclose(ours.loss_curve_[-5:], theirs.loss_curve_[-5:], rtol=1e-5)


# ----------------------------------------------------------------- stopping and attributes


def test_training_stops_on_tol_like_scikit_learn_and_keeps_its_bookkeeping(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converging by tol must not warn
        clf = NeuralNetClassifier((16,), learning_rate_init=0.01, tol=1e-3, random_state=0)
        clf.fit(X, y)
    assert 10 < clf.n_iter_ < 200
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.validation_scores_ is None
    # replay scikit-learn's rule: it must fire at the last epoch and not before
    best, count, fired = np.inf, 0, []
    for loss in clf.loss_curve_:
        count = count + 1 if loss > best - clf.tol else 0
        best = min(best, loss)
        fired.append(count > clf.n_iter_no_change)
    assert fired[-1] and not any(fired[:-1])


def test_reaching_max_iter_warns_convergence_warning(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        clf = NeuralNetClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3


def test_early_stopping_scores_a_held_out_split_and_keeps_the_best_epoch(blobs):
    X, y = blobs
    clf = NeuralNetClassifier(
        (16,), early_stopping=True, learning_rate_init=0.01, n_iter_no_change=5, random_state=0
    ).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)
    with pytest.raises(GlassnetError, match="partial_fit does not support early_stopping"):
        clf.partial_fit(X, y)


def test_same_random_state_gives_identical_models_and_another_does_not(blobs):
    X, y = blobs
    make = partial(NeuralNetClassifier, (8,), max_iter=5, dropout=0.2)
    a = _quiet_fit(make(random_state=3), X, y).predict_proba(X)
    b = _quiet_fit(make(random_state=3), X, y).predict_proba(X)
    c = _quiet_fit(make(random_state=4), X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_dropout_and_float32_build_the_network_asked_for(blobs):
    X, y = blobs
    clf = _quiet_fit(
        NeuralNetClassifier((8, 4), activation="tanh", dropout=0.5, dtype="float32", max_iter=3),
        X,
        y,
    )
    kinds = [layer.kind for layer in clf.network_.layers]
    assert kinds == ["Dense", "Tanh", "Dropout", "Dense", "Tanh", "Dropout", "Dense"]
    assert clf.network_.dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32


def test_warm_start_continues_from_the_fitted_weights(blobs):
    X, y = blobs
    clf = _quiet_fit(NeuralNetClassifier((8,), max_iter=5, random_state=0, warm_start=True), X, y)
    first = list(clf.loss_curve_)
    _quiet_fit(clf, X, y)
    assert clf.loss_curve_[:5] == first and len(clf.loss_curve_) == 10
    assert clf.n_iter_ == 5
    assert clf.loss_curve_[5] < first[0]  # it went on from trained weights, not from scratch


def test_verbose_prints_each_epoch_to_stdout_and_quiet_prints_nothing(blobs, capsys):
    X, y = blobs
    _quiet_fit(NeuralNetClassifier((4,), max_iter=2, random_state=0), X, y)
    assert capsys.readouterr() == ("", "")
    _quiet_fit(NeuralNetClassifier((4,), max_iter=2, random_state=0, verbose=1), X, y)
    out, err = capsys.readouterr()
    assert err == "" and "Iteration 2, loss = " in out  # where scikit-learn prints them


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hidden_layer_sizes": (10, 0)},
         r"hidden_layer_sizes must hold positive integers, got \(10, 0\)"),
        ({"activation": "softplus"},
         "activation must be one of identity, logistic, tanh, relu; got 'softplus'"),
        ({"solver": "newton"}, "solver must be one of adam, sgd, rmsprop, lbfgs; got 'newton'"),
        ({"alpha": -1.0}, r"alpha must be a number in \[0, inf\), got -1.0"),
        ({"batch_size": 0}, "batch_size must be 'auto' or a positive integer, got 0"),
        ({"max_iter": 0}, "max_iter must be a positive integer, got 0"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\), got 1.0"),
        ({"dtype": "float16"}, "dtype must be 'float32' or 'float64', got 'float16'"),
        ({"validation_fraction": 0.0},
         r"validation_fraction must be a number in \(0, 1\), got 0.0"),
    ],
)  # fmt: skip
def test_bad_hyper_parameters_raise_at_fit_naming_the_value(blobs, params, message):
    X, y = blobs
    clf = NeuralNetClassifier(**params)  # scikit-learn's contract: __init__ never validates
    with pytest.raises(GlassnetError, match=message):
        clf.fit(X, y)


def test_feature_names_from_a_dataframe_are_kept(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = _quiet_fit(NeuralNetClassifier((4,), max_iter=2, random_state=0), frame, y)
    assert list(clf.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(clf.decision_function(frame), clf.network_.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"f0": "other"}))


# ----------------------------------------------------------------- partial_fit


def test_partial_fit_needs_classes_on_the_first_call(blobs):
    X, y = blobs
    with pytest.raises(GlassnetError, match="classes must be passed on the first call"):
        NeuralNetClassifier().partial_fit(X, y)


def test_partial_fit_with_another_feature_count_raises_scikit_learns_message(blobs):
    X, y = blobs
    clf = NeuralNetClassifier((4,), random_state=0).partial_fit(X[:, :4], y, classes=[0, 1, 2])
    message = "X has 3 features, but NeuralNetClassifier is expecting 4 features as input."
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X[:, :3], y)


def test_partial_fit_rejects_unknown_classes_and_changed_classes(blobs):
    X, y = blobs
    clf = NeuralNetClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(GlassnetError, match=r"classes .*7.* not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(GlassnetError, match="is not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1])


def test_partial_fit_keeps_the_optimizer_state_across_calls(blobs):
    X, y = blobs
    clf = NeuralNetClassifier((8,), random_state=0)
    clf.partial_fit(X[:150], y[:150], classes=np.unique(y))
    optimizer = clf.network_.optimizer
    steps, moment = optimizer.iterations, optimizer.state["m"][0].copy()
    clf.partial_fit(X[150:], y[150:])
    assert clf.network_.optimizer is optimizer
    assert optimizer.iterations == steps + 1  # 150 samples: one batch of min(200, 150)
    assert not np.array_equal(optimizer.state["m"][0], moment)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    # a chunk may lack some classes: the network still has one output per class
    clf.partial_fit(X[y == 0], y[y == 0])
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_regressor_partial_fit_learns_from_chunks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = X @ [2.0, -1.0, 0.5] + 40.0
    reg = NeuralNetRegressor((16,), learning_rate_init=0.01, random_state=0)
    for _ in range(5):
        for Xc, yc in iter_chunks(X, y, chunk_size=500):
            reg.partial_fit(Xc, yc)
    assert reg.n_iter_ == 20
    assert reg.score(X, y) > 0.95


# ----------------------------------------------------------------- streaming beyond memory


def test_fit_stream_trains_from_a_memmap_one_chunk_at_a_time(tmp_path):
    X, y = make_classification(n_samples=3000, n_features=10, random_state=0)
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    np.save(tmp_path / "y.npy", y)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    y_disk = np.load(tmp_path / "y.npy", mmap_mode="r")
    seen: list[int] = []

    def chunks():
        for Xc, yc in iter_chunks(X_disk, y_disk, chunk_size=1000, random_state=0):
            seen.append(len(Xc))
            yield Xc, yc

    clf = NeuralNetClassifier((32,), learning_rate_init=0.01, random_state=0)
    fit_stream(clf, chunks, classes=[0, 1], epochs=4)
    assert seen == [1000] * 12
    assert clf.n_iter_ == 12
    assert clf.score(X, y) > 0.9


def test_fit_stream_reads_an_iterator_of_chunks_once(blobs):
    X, y = blobs
    stream = ((X[i : i + 100], y[i : i + 100]) for i in range(0, len(X), 100))
    clf = fit_stream(NeuralNetClassifier((8,), random_state=0), stream, classes=[0, 1, 2])
    assert clf.n_iter_ == 3
    with pytest.raises(GlassnetError, match="epochs > 1 needs chunks as a callable"):
        fit_stream(clf, iter([(X, y)]), epochs=2)
    with pytest.raises(GlassnetError, match="stream of chunks was empty"):
        fit_stream(clf, [])


def test_iter_chunks_covers_every_row_once_in_any_order():
    X = np.arange(23).reshape(-1, 1)
    for seed in (None, 1):
        rows = np.concatenate(
            [Xc[:, 0] for Xc, _ in iter_chunks(X, X[:, 0], chunk_size=5, random_state=seed)]
        )
        np.testing.assert_array_equal(np.sort(rows), np.arange(23))
    with pytest.raises(GlassnetError, match="chunk_size must be a positive integer"):
        next(iter_chunks(X, X, chunk_size=0))


# ----------------------------------------------------------------- drop-in for scikit-learn


def test_pipeline_grid_search_and_cross_validation_work_unchanged():
    X, y = load_iris(return_X_y=True)
    clf = NeuralNetClassifier((16,), learning_rate_init=0.01, random_state=0)
    pipe = make_pipeline(StandardScaler(), clf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
        search = GridSearchCV(pipe, {"neuralnetclassifier__alpha": [1e-4, 1e-1]}, cv=3).fit(X, y)
    assert scores.mean() > 0.9
    assert search.best_params_["neuralnetclassifier__alpha"] in (1e-4, 1e-1)
    assert search.score(X, y) > 0.9


@pytest.mark.parametrize(
    ("est", "load"),
    [
        (NeuralNetClassifier((8,), max_iter=20, random_state=0), load_iris),
        (NeuralNetRegressor((8,), max_iter=20, random_state=0), load_diabetes),
    ],
)
def test_pickle_and_clone_round_trips_give_identical_predictions(est, load):
    X, y = load(return_X_y=True)
    est = clone(est)
    _quiet_fit(est, X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    refit = _quiet_fit(clone(est), X, y)
    np.testing.assert_array_equal(refit.predict(X), est.predict(X))
    # training goes on identically from the copy: weights, optimizer moments and random stream
    restored.partial_fit(X, y)
    est.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))


def test_pickles_hold_the_model_not_the_training_buffers():
    X, y = load_digits(return_X_y=True)
    clf = _quiet_fit(NeuralNetClassifier(max_iter=2, batch_size=len(X), random_state=0), X, y)
    # weights, their gradients and Adam's two moments: 4 arrays of each parameter, 8 bytes each;
    # the last batch (here all of X, 920 kB) and the layers' scratch buffers stay behind
    assert len(pickle.dumps(clf)) < 4 * 8 * clf.network_.n_parameters() + 20_000


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["setosa", "versicolor", "virginica"]),
        np.array(["no", "yes", "yes"], dtype=object),
        np.array([-1.0, 0.0, 2.0]),
        np.array([3, 7, 9]),
    ],
)
def test_save_and_load_round_trip_a_classifier_in_the_safe_model_format(tmp_path, labels):
    X, y = load_iris(return_X_y=True)
    clf = _quiet_fit(NeuralNetClassifier((8,), max_iter=20, random_state=0), X, labels[y])
    clf.save(tmp_path / "clf.npz")
    loaded = NeuralNetClassifier.load(tmp_path / "clf.npz")
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.get_params() == clf.get_params()
    assert loaded.loss_curve_ == clf.loss_curve_ and loaded.n_iter_ == clf.n_iter_
    # the bare network reads with glassnet.load alone and gives the same logits
    network = glassnet.load(tmp_path / "clf.npz")
    np.testing.assert_array_equal(network.predict(X), clf.network_.predict(X))
    # a loaded estimator trains on, from the saved optimizer state
    steps = loaded.network_.optimizer.iterations
    loaded.partial_fit(X, labels[y])
    assert loaded.network_.optimizer.iterations == steps + 1


def test_save_and_load_round_trip_a_multi_output_regressor(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    Y = np.column_stack([y, 2 * y])
    reg = _quiet_fit(NeuralNetRegressor((8,), max_iter=10, random_state=0), X, Y)
    reg.save(tmp_path / "reg.npz")
    loaded = NeuralNetRegressor.load(tmp_path / "reg.npz")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.score(X, Y) == reg.score(X, Y)


def test_loading_a_file_as_the_wrong_kind_of_estimator_fails_clearly(tmp_path):
    X, y = load_iris(return_X_y=True)
    _quiet_fit(NeuralNetClassifier((4,), max_iter=2), X, y).save(tmp_path / "clf.npz")
    with pytest.raises(ModelFileError, match="it holds a NeuralNetClassifier"):
        NeuralNetRegressor.load(tmp_path / "clf.npz")
    net = glassnet.Sequential([glassnet.Dense(4, 3)])
    net.save(tmp_path / "bare.npz")
    with pytest.raises(ModelFileError, match="holds a bare network"):
        NeuralNetClassifier.load(tmp_path / "bare.npz")


# ----------------------------------------------------------------- good defaults

# Both sides get only hidden_layer_sizes=(100,), max_iter=200 and a random_state, inside a
# Pipeline with StandardScaler, on the same folds. scikit-learn's MLP is the oracle, run here.
DEFAULTS_CASES = {
    "digits": (load_digits, "classification"),
    "breast_cancer": (load_breast_cancer, "classification"),
    "wine": (load_wine, "classification"),
    "iris": (load_iris, "classification"),
    "diabetes": (load_diabetes, "regression"),
}


def compare_defaults(name: str, random_state: int = 0) -> tuple[float, float]:
    """Mean cross-validated accuracy (or R²) of scikit-learn's MLP and of glassnet's."""
    load, task = DEFAULTS_CASES[name]
    X, y = load(return_X_y=True)
    if task == "classification":
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        models = [MLPClassifier, NeuralNetClassifier]
    else:
        cv = KFold(5, shuffle=True, random_state=0)
        models = [MLPRegressor, NeuralNetRegressor]
    means = []
    for model in models:
        est = model(hidden_layer_sizes=(100,), max_iter=200, random_state=random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=cv)
        means.append(float(scores.mean()))
    return means[0], means[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEFAULTS_CASES))
def test_defaults_match_scikit_learns_mlp(name):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # two xdist workers on two cores: no BLAS oversubscription
        theirs, ours = compare_defaults(name)
    if DEFAULTS_CASES[name][1] == "classification":
        assert ours >= theirs - 0.01, f"{name}: glassnet {ours:.4f}, scikit-learn {theirs:.4f}"
    else:
        assert ours >= theirs, f"{name}: glassnet R² {ours:.4f}, scikit-learn R² {theirs:.4f}"


def test_a_logit_of_exactly_zero_is_the_negative_class_as_in_scikit_learn():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]] * 5)
    y = np.array(["no", "yes", "yes", "no"] * 5)
    clf = NeuralNetClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    last = clf.network_.layers[-1]
    last.params["weight"][...] = 0.0
    last.params["bias"][...] = 0.0  # every logit is 0: p = ½ exactly
    assert list(clf.predict(X[:4])) == ["no"] * 4  # on only when p > ½
    assert clf.score(X, y) == 0.5


# ----------------------------------------------------------------- sample weights and sparse X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_hot_encoder_pipeline_trains_on_its_sparse_output():
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    X = rng.choice(["red", "green", "blue"], size=(200, 2))
    y = (X[:, 0] == "red").astype(int)
    pipe = make_pipeline(
        OneHotEncoder(), NeuralNetClassifier((8,), learning_rate_init=0.05, random_state=0)
    )
    assert pipe.fit(X, y).score(X, y) == 1.0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [NeuralNetClassifier, NeuralNetRegressor])
def test_sparse_X_fits_and_predicts_as_its_dense_twin(Estimator):
    import scipy.sparse as sp

    X, y = make_classification(n_samples=120, n_features=8, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0, early_stopping=True)
    dense, sparse = Estimator(**params).fit(X, y), Estimator(**params).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.predict(sp.csr_array(X)), dense.predict(X), rtol=1e-9)
    assert sparse.score(sp.csr_matrix(X), y) == pytest.approx(dense.score(X, y))
    online = Estimator(**{**params, "early_stopping": False}).fit(sp.csr_matrix(X), y)
    online.partial_fit(sp.csr_matrix(X), y)
    if Estimator is NeuralNetClassifier:
        np.testing.assert_allclose(online.predict_proba(sp.csr_matrix(X)).sum(axis=1), 1.0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [NeuralNetClassifier, NeuralNetRegressor])
def test_unit_sample_weights_fit_as_none_with_early_stopping(Estimator):
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    params = dict(hidden_layer_sizes=(10,), early_stopping=True, batch_size=10, random_state=42,
                  max_iter=15, learning_rate_init=0.01)  # fmt: skip
    a = Estimator(**params).fit(X, y, sample_weight=np.ones(len(y)))
    b = Estimator(**params).fit(X, y)
    np.testing.assert_allclose(a.predict(X), b.predict(X))
    assert a.validation_scores_ == pytest.approx(b.validation_scores_)


@pytest.mark.parametrize(
    ("weights", "phrase"),
    [(np.ones(3), "shape"), (np.r_[-1.0, np.ones(99)], ">= 0"), (np.zeros(100), "all zero")],
)
def test_bad_sample_weights_are_refused_in_one_line(weights, phrase):
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    for est in (NeuralNetClassifier(max_iter=2), NeuralNetRegressor(max_iter=2)):
        with pytest.raises(GlassnetError, match=phrase) as info:
            est.fit(X, y, sample_weight=weights)
        assert "\n" not in str(info.value)
