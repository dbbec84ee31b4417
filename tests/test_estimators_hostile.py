"""The estimators under hostile input: every bad X, y or `classes` raises one short line naming
what was wrong; extreme targets give finite predictions or a clear error; warm starts and
partial_fit follow scikit-learn's rules."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from glassnet import DataError, GlassnetError, TrainingDivergedError
from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y = {"classifier": np.arange(20) % 2, "regressor": RNG.normal(size=20)}
MAKE = {"classifier": NeuralNetClassifier, "regressor": NeuralNetRegressor}


def _with(value: float, at: tuple[int, ...], a: np.ndarray) -> np.ndarray:
    a = a.astype(float if np.asarray(value).dtype.kind == "f" else object, copy=True)
    a[at] = value
    return a


def _hostile_X() -> dict[str, object]:
    strings = X.astype(str)
    strings[0, 0] = "abc"
    return {
        "empty": np.empty((0, 3)),
        "no features": np.empty((20, 0)),
        "1-D": X[:, 0],
        "3-D": X.reshape(20, 3, 1),
        "scalar": np.float64(1.0),
        "None": None,
        "NaN": _with(np.nan, (1, 2), X),
        "inf": _with(np.inf, (3, 0), X),
        "-inf": _with(-np.inf, (3, 0), X),
        "text": strings,
        "complex": X + 1j,
        "complex list": (X + 1j).tolist(),
        "dict in object array": _with({"a": 1}, (0, 0), X),  # type: ignore[arg-type]
        "None in object array": _with(None, (0, 0), X),  # type: ignore[arg-type]
        "ragged": [[1.0, 2.0, 3.0], [1.0, 2.0]] * 10,
        "sparse with NaN": sp.csr_matrix(_with(np.nan, (1, 2), X)),  # sparse X itself is read
        "masked": np.ma.masked_array(X, mask=X > 1),
        "text column": pd.DataFrame({"a": ["x"] * 20, "b": X[:, 1], "c": X[:, 2]}),
    }


def _hostile_y(kind: str) -> dict[str, object]:
    y = Y[kind]
    cases: dict[str, object] = {
        "shorter": y[:-1],
        "None": None,
        "NaN": _with(np.nan, (4,), y),
        "inf": _with(np.inf, (4,), y),
        "3-D": y.reshape(20, 1, 1),
        "scalar": 1.0,
        "complex": y + 1j,
        "sparse": sp.csr_matrix(y.reshape(-1, 1)),
        "ragged": [[1.0, 2.0], [1.0]] * 10,
    }
    if kind == "classifier":
        cases["continuous"] = Y["regressor"]
        cases["None labels"] = np.array([None] * 10 + list(y[10:]), dtype=object)
        cases["multiclass columns"] = np.stack([np.arange(20) % 3, y], axis=1)
    else:
        cases["text"] = np.array(["a", "b"] * 10)
    return cases


def _assert_one_clean_line(exc: BaseException, what: str) -> None:
    message = str(exc)
    assert isinstance(exc, ValueError), f"{what}: {type(exc).__name__}: {message}"
    assert isinstance(exc, GlassnetError), f"{what}: scikit-learn's own error: {message}"
    assert "\n" not in message, f"{what}: several lines: {message!r}"
    assert len(message) < 300, f"{what}: {len(message)} characters: {message!r}"
    # an array printed by NumPy: "[[", "[ 0.12  0.34", "array(", "np.float64(…)"
    dump = re.search(r"\[\[|\[ *-?\d+\.\d+ +-?\d|(?<![\w.])array\(|np\.\w+\(", message)
    assert dump is None, f"{what}: dumps an array: {message!r}"


def _calls(kind: str, fitted: object, Xb: object, yb: object) -> dict[str, object]:
    make = MAKE[kind]
    fresh = make((4,), max_iter=2, random_state=0)
    calls = {
        "fit": lambda: make((4,), max_iter=2, random_state=0).fit(Xb, yb),
        "score": lambda: fitted.score(Xb, yb),  # type: ignore[attr-defined]
    }
    if kind == "classifier":
        calls["partial_fit"] = lambda: fresh.partial_fit(Xb, yb, classes=[0, 1])
    else:
        calls["partial_fit"] = lambda: fresh.partial_fit(Xb, yb)
    return calls


@pytest.fixture(scope="module")
def fitted() -> dict[str, object]:
    """Each estimator fitted on X, and (as "<kind> named") on X with column names."""
    models: dict[str, object] = {}
    for kind, make in MAKE.items():
        models[kind] = make((4,), max_iter=2, random_state=0).fit(X, Y[kind])
        named = pd.DataFrame(X, columns=["a", "b", "c"])
        models[f"{kind} named"] = make((4,), max_iter=2, random_state=0).fit(named, Y[kind])
    return models


# scikit-learn warns when X has column names and the fit had none (its convention), then we raise
@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
@pytest.mark.parametrize("kind", list(MAKE))
def test_every_hostile_X_or_y_raises_one_short_glassnet_line(kind, fitted):
    model = fitted[kind]
    tried = 0
    hostile_X = _hostile_X()
    for label, Xb in hostile_X.items():
        for method, call in _calls(kind, model, Xb, Y[kind]).items():
            with pytest.raises(ValueError) as info:
                call()
            _assert_one_clean_line(info.value, f"{method} with X {label}")
            tried += 1
    hostile_X["2 features"] = X[:, :2]
    named = {"other feature names": pd.DataFrame(X, columns=["p", "q", "r"])}
    methods = ["predict", "predict_proba", "decision_function"] if kind == "classifier" else []
    for which, cases in [(kind, hostile_X), (f"{kind} named", named)]:
        for label, Xb in cases.items():
            for method in methods or ["predict"]:
                with pytest.raises(ValueError) as info:
                    getattr(fitted[which], method)(Xb)
                _assert_one_clean_line(info.value, f"{method} with X {label}")
                tried += 1
    for label, yb in _hostile_y(kind).items():
        for method, call in _calls(kind, model, X, yb).items():
            with pytest.raises(ValueError) as info:
                call()
            _assert_one_clean_line(info.value, f"{method} with y {label}")
            tried += 1
    assert tried > 80


def test_messages_keep_the_phrases_scikit_learns_checks_match(fitted):
    clf = NeuralNetClassifier((4,), max_iter=2, random_state=0)
    with pytest.raises(DataError, match="Reshape your data"):
        fitted["classifier"].predict(X[0])
    with pytest.raises(DataError, match="Complex data not supported"):
        clf.fit(X + 1j, Y["classifier"])
    with pytest.raises(DataError, match="NaN"):
        clf.fit(_with(np.nan, (1, 2), X), Y["classifier"])
    with pytest.raises(DataError, match="NaN"):
        clf.fit(sp.csr_matrix(_with(np.nan, (1, 2), X)), Y["classifier"])
    with pytest.raises(DataError, match="Unknown label type: continuous"):
        clf.fit(X, Y["regressor"])
    with pytest.raises(DataError, match=r"0 feature\(s\) \(shape=\(20, 0\)\) while a minimum"):
        clf.fit(np.empty((20, 0)), Y["classifier"])
    with pytest.raises(DataError, match="X has 2 features, but NeuralNetClassifier is expecting 3"):
        fitted["classifier"].predict(X[:, :2].copy())
    # a failed float conversion stays the TypeError scikit-learn's check_dtype_object expects
    with pytest.raises(TypeError, match="argument must be a string or a real number"):
        clf.fit(_with({"a": 1}, (0, 0), X), Y["classifier"])  # type: ignore[arg-type]


def test_nan_in_X_names_its_row_and_column():
    with pytest.raises(DataError, match=r"X contains NaN at row 1, column 2"):
        NeuralNetRegressor((4,), max_iter=2).fit(_with(np.nan, (1, 2), X), Y["regressor"])


@pytest.mark.parametrize("scale", [1e155, 1e300, 1e307])
def test_regressor_on_huge_targets_predicts_finite_values_quietly(scale):
    y = X @ [1.0, 2.0, 3.0]
    reg = NeuralNetRegressor((8,), max_iter=20, random_state=0).fit(X, y * scale)
    small = NeuralNetRegressor((8,), max_iter=20, random_state=0).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()
    assert np.isfinite(reg.predict(X * 1e3)).all()  # far outside: saturates, never ±inf
    # standardized targets make the fits the same up to the scale
    np.testing.assert_allclose(reg.predict(X) / scale, small.predict(X), rtol=1e-9)
    assert reg.score(X, y * scale) == pytest.approx(small.score(X, y), rel=1e-9)


def test_regressor_targets_at_the_float64_limits_are_standardized():
    y = np.r_[RNG.normal(size=18) * 1e307, 1.7e308, -1.7e308]
    reg = NeuralNetRegressor((8,), max_iter=5, random_state=0).fit(X[:20], y)
    assert np.isfinite(reg.predict(X)).all()
    assert np.isfinite(reg.score(X, y))


def test_regressor_standardization_has_the_bits_of_mean_and_std():
    for scale in [1e-3, 1.0, 7.0, 1e5]:
        y = RNG.normal(size=(20, 2)) * scale + 3.0
        reg = NeuralNetRegressor((4,), max_iter=1, random_state=0).fit(X, y)
        np.testing.assert_array_equal(reg._y_mean, y.mean(axis=0))
        np.testing.assert_array_equal(reg._y_scale, y.std(axis=0))


def test_float32_regressor_refuses_targets_beyond_float32():
    reg = NeuralNetRegressor((4,), max_iter=2, dtype="float32")
    with pytest.raises(DataError, match=r"y reaches 1e\+39, beyond the float32 range"):
        reg.fit(X, np.full(20, 1e39) * np.r_[1.0, -1.0].repeat(10))
    reg.fit(X, Y["regressor"] * 1e37)
    assert np.isfinite(reg.predict(X * 1e6)).all()


def test_divergence_message_names_the_learning_rate_the_user_set():
    y = X @ [1.0, 2.0, 3.0]
    reg = NeuralNetRegressor((8,), solver="sgd", learning_rate_init=1.0, max_iter=50)
    with pytest.raises(TrainingDivergedError, match=r"learning_rate_init \(it was 1\)") as info:
        reg.set_params(random_state=0).fit(X * 100, y * 100)
    assert "0.5" not in str(info.value)


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([], "classes is empty"),
        ([0, 1, np.nan], "classes contains nan"),
        ([0, 1, 1], "classes lists 1 more than once"),
        ([0], "classes has one class only"),
        ([[0, 1]], "classes must be 1-D"),
        (["a", 1], "classes mixes strings and numbers"),
        ([None, 1], "classes contains None"),
    ],
)
def test_partial_fit_refuses_bad_classes(classes, message):
    with pytest.raises(GlassnetError, match=re.escape(message)):
        NeuralNetClassifier((4,)).partial_fit(X, Y["classifier"], classes=classes)


def test_regressor_reads_numeric_string_targets_as_numbers():
    y = Y["regressor"]
    as_text = NeuralNetRegressor((4,), max_iter=3, random_state=0).fit(X, y.astype(str))
    as_numbers = NeuralNetRegressor((4,), max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(as_text.predict(X), as_numbers.predict(X))
    assert as_text.score(X, y.astype(str)) == as_numbers.score(X, y)
    with pytest.raises(DataError, match="y must hold numbers for a regressor, got 'a'"):
        NeuralNetRegressor((4,)).fit(X, np.array(["1.5", "a"] * 10, dtype=object))


@pytest.mark.parametrize(
    "change",
    [{"hidden_layer_sizes": (7, 3)}, {"activation": "tanh"}, {"dtype": "float32"},
     {"dropout": 0.2}],
)  # fmt: skip
def test_warm_start_with_another_architecture_refits_from_scratch(change):
    y = Y["classifier"]
    warm = NeuralNetClassifier((4,), warm_start=True, max_iter=3, random_state=0).fit(X, y)
    warm.set_params(**change).fit(X, y)
    cold = NeuralNetClassifier((4,), max_iter=3, random_state=0).set_params(**change).fit(X, y)
    np.testing.assert_array_equal(warm.predict_proba(X), cold.predict_proba(X))
    assert warm.n_iter_ == cold.n_iter_ and warm.loss_curve_ == cold.loss_curve_


def test_partial_fit_refuses_a_changed_architecture():
    clf = NeuralNetClassifier((4,), random_state=0).partial_fit(X, Y["classifier"], classes=[0, 1])
    clf.set_params(hidden_layer_sizes=(2,))
    with pytest.raises(GlassnetError, match=r"hidden_layer_sizes is \(2,\) and the network has"):
        clf.partial_fit(X, Y["classifier"])


def test_warm_start_needs_the_same_classes_as_scikit_learn_does():
    y = Y["classifier"]
    clf = NeuralNetClassifier((4,), warm_start=True, max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(GlassnetError, match=r"warm_start can only be used where y has the same"):
        clf.fit(X, np.arange(20) % 3)
    with pytest.raises(GlassnetError, match=r"previously \[0, 1\], y has \[0\]"):
        clf.fit(X, np.zeros(20, dtype=int))
    clf.fit(X, y)  # the same classes continue


def test_score_refuses_labels_of_another_kind_in_one_line(fitted):
    with pytest.raises(GlassnetError, match="y holds strings, but the classes_ are numbers"):
        fitted["classifier"].score(X, Y["classifier"].astype(str))
    with pytest.raises(GlassnetError, match="y has 2 target columns, but the network has 1"):
        fitted["regressor"].score(X, np.ones((20, 2)))


def test_no_warning_leaks_from_the_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = NeuralNetRegressor((4,), max_iter=2, random_state=0).fit(X, Y["regressor"] * 1e200)
        reg.predict(X * 1e300)


def test_float32_targets_near_the_end_of_the_float32_range_are_quiet() -> None:
    # scikit-learn's finiteness check sums y first: 3e38 + 3e38 overflows float32 with a warning
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = np.linspace(-3e38, 3e38, 40).astype(np.float32)
    reg = NeuralNetRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        reg.fit(X, y)
    assert np.all(np.isfinite(reg.predict(X)))


@pytest.mark.parametrize(
    ("y", "phrase"),
    [
        (np.array(["a", 1] * 10, dtype=object), "not supported between instances"),
        (np.array([b"no", b"yes"] * 10), "bytes"),
    ],
    ids=["strings and numbers", "bytes"],
)
def test_labels_that_cannot_be_classes_are_one_data_error_line(y, phrase):
    with pytest.raises(DataError, match=f"y cannot be class labels: .*{phrase}") as info:
        NeuralNetClassifier((4,), max_iter=2).fit(X, y)
    assert "\n" not in str(info.value)
