"""Model files that save writes and load refuses, paths that are not files, hostile files that
would take unbounded memory or time, NaN weights, and optimizer state checked at load."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet.errors import GlassnetError, ModelFileError


def _model() -> gn.Sequential:
    X = np.linspace(-1, 1, 24).reshape(8, 3)
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.Tanh(), gn.Dense(4, 2, rng=1)])
    model.fit(X, np.arange(8) % 2, loss="cross_entropy", optimizer="adam", epochs=2, seed=0)
    return model


def _edit(
    src: Path,
    dst: Path,
    manifest: Callable[[dict[str, Any]], Any] | None = None,
    arrays: Callable[[dict[str, np.ndarray]], None] | None = None,
) -> Path:
    """Copy a model file with its manifest and arrays edited (checksums made to match)."""
    with zipfile.ZipFile(src) as zf:
        m = json.loads(zf.read("manifest.json"))
        blobs = {n[:-4]: zf.read(n) for n in zf.namelist() if n.endswith(".npy")}
    if arrays is not None:
        values = {name: np.lib.format.read_array(io.BytesIO(b)) for name, b in blobs.items()}
        arrays(values)
        for name, a in values.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, a)
            blobs[name] = buf.getvalue()
            m["arrays"][name] = {"sha256": hashlib.sha256(blobs[name]).hexdigest()}
    text = json.dumps(m) if manifest is None else manifest(m)
    text = text if isinstance(text, str) else json.dumps(text)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("manifest.json", text)
        for name, blob in blobs.items():
            zf.writestr(name + ".npy", blob)
    return dst


def _refused(path: Path, *phrases: str) -> None:
    with pytest.raises(ModelFileError) as info:
        gn.load(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message, message
    for phrase in phrases:
        assert phrase in message, message


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    _model().save(path)
    return path


# ------------------------------------------------------ save never writes what load refuses


def _not_json(model: gn.Sequential, value: Any) -> None:
    model.metadata["x"] = value


_REFUSALS: list[tuple[str, Callable[[gn.Sequential], None], str]] = [
    ("a space in an extras name", lambda m: m.extras.update({"feature mean": np.zeros(3)}), "name"),
    ("a slash in an extras name", lambda m: m.extras.update({"../x": np.zeros(3)}), "name"),
    ("a long extras name", lambda m: m.extras.update({"a" * 123: np.zeros(3)}), "name"),
    ("an int extras name", lambda m: m.extras.update({1: np.zeros(3)}), "name"),
    ("str extras", lambda m: m.extras.update({"s": np.array(["a", "b"])}), "dtype is <U1"),
    ("bytes extras", lambda m: m.extras.update({"s": np.array([b"a"])}), "dtype is |S1"),
    ("datetime extras", lambda m: m.extras.update({"t": np.array(["2020"], "M8[D]")}), "dtype"),
    ("complex extras", lambda m: m.extras.update({"c": np.array([1j])}), "dtype is complex128"),
    ("object extras", lambda m: m.extras.update({"o": np.array([1, "a"], object)}), "dtype"),
    ("ragged extras", lambda m: m.extras.update({"r": [[1], [1, 2]]}), "not an array"),
    ("a tuple in metadata", lambda m: _not_json(m, (1, 2)), "tuple"),
    ("an int key in metadata", lambda m: _not_json(m, {1: 2}), "key 1"),
    ("NaN in metadata", lambda m: _not_json(m, [math.nan]), "nan"),
    ("a set in metadata", lambda m: _not_json(m, {1}), "set"),
    ("a huge int in metadata", lambda m: _not_json(m, 10**5000), "4,000 digits"),
    ("deep metadata", lambda m: _not_json(m, json.loads("[" * 500 + "]" * 500)), "nested"),
    ("a 17 MiB manifest", lambda m: _not_json(m, "x" * 17 * 2**20), "16,777,216"),
    ("metadata not a dict", lambda m: setattr(m, "metadata", [1]), "dict"),
    ("NaN weights", lambda m: m.layers[0].params["weight"].fill(np.nan), "layer 1's weight"),
    ("inf bias", lambda m: m.layers[2].params["bias"].fill(np.inf), "layer 3's bias"),
    (
        "NaN optimizer state",
        lambda m: m.optimizer.state["v"][0].fill(np.nan),  # type: ignore[union-attr]
        "include_optimizer=False",
    ),
    ("10,001 layers", lambda m: m.layers.extend(gn.Identity() for _ in range(9998)), "10,000"),
]


@pytest.mark.parametrize(("case", "spoil", "phrase"), _REFUSALS, ids=[r[0] for r in _REFUSALS])
def test_save_refuses_what_load_would_refuse_and_leaves_the_old_file(
    tmp_path: Path, case: str, spoil: Callable[[gn.Sequential], None], phrase: str
) -> None:
    path = tmp_path / "model.npz"
    model = _model()
    model.save(path)
    before = path.read_bytes()
    spoil(model)
    with pytest.raises(GlassnetError) as info:
        model.save(path)
    assert phrase in str(info.value) and "\n" not in str(info.value), str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_zero_dimensional_extra_keeps_its_shape(tmp_path: Path) -> None:
    model = _model()
    model.extras["scale"] = np.array(2.5)
    model.save(tmp_path / "m.npz")
    assert gn.load(tmp_path / "m.npz").extras["scale"].shape == ()


_NAME_CHARS = "abcXYZ019_.-"
_DTYPES = [
    "float16", "float32", "float64", "longdouble", ">f8", "int8", "<i2", ">i4", "int64", "uint8",
    "uint16", ">u4", "uint64", "bool", "complex64", "complex128", "U3", "S2", "M8[D]", "m8[s]",
]  # fmt: skip
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**4300), 10**4300)
    | st.floats()
    | st.text()
)
_json_like = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=5) | st.integers(0, 3), inner, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def _extras(draw: st.DrawFn) -> tuple[str, np.ndarray]:
    name = draw(st.text(_NAME_CHARS, min_size=1, max_size=123) | st.text(max_size=8))
    dtype = np.dtype(draw(st.sampled_from(_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    return name, draw(hnp.arrays(dtype, shape))


def _same_json(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (a float by its repr: -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    return repr(a) == repr(b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extras=st.lists(_extras(), max_size=3), metadata=st.dictionaries(st.text(), _json_like))
def test_whatever_save_accepts_load_reads_back_identically(
    extras: list[tuple[str, np.ndarray]], metadata: dict[str, Any]
) -> None:
    model = gn.Sequential([gn.Dense(2, 3, rng=0), gn.ReLU(), gn.Dense(3, 1, rng=1)])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.npz"
        gn.Sequential([gn.Dense(2, 1, rng=2)]).save(path)
        before = path.read_bytes()
        model.extras = dict(extras)
        model.metadata = metadata
        try:
            model.save(path)
        except GlassnetError:
            assert path.read_bytes() == before
            assert os.listdir(directory) == ["model.npz"]
            return
        loaded = gn.load(path)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))
    assert loaded.extras.keys() == model.extras.keys()
    for name, value in model.extras.items():
        a, b = np.asarray(value), loaded.extras[name]
        assert (a.dtype, a.shape, a.tobytes()) == (b.dtype, b.shape, b.tobytes())
    assert _same_json(loaded.metadata, metadata)


# ------------------------------------------------------------------ paths that are not files


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        (None, "path must be a str or path-like object, got None"),
        (b"model.npz", "path must be a str or path-like object, got b'model.npz'"),
        (3, "got 3"),
        ("", "path must name a file"),
        ("a\0b.npz", "NUL"),
    ],
)
def test_a_path_that_is_not_a_path_is_one_clear_error(
    tmp_path: Path, path: Any, phrase: str
) -> None:
    os.chdir(tmp_path)
    with pytest.raises(GlassnetError, match=phrase):
        _model().save(path)
    assert os.listdir(tmp_path) == []


def test_a_file_name_over_255_bytes_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="256 characters long; file systems allow at most 255"):
        _model().save(tmp_path / ("m" * 252 + ".npz"))
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_saving_to_a_fifo_is_refused_not_written_or_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    # a reader is waiting, so that the old behaviour (writing into the pipe) cannot hang here
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(ModelFileError, match="it is a pipe"):
            _model().save(fifo)
        assert os.read(reader, 64) == b""  # nothing was written
    finally:
        os.close(reader)
    assert os.listdir(tmp_path) == ["model.npz"]


# ------------------------------------------------------------------ bounded loading


def test_an_array_listed_many_times_is_refused_without_copying_it_each_time(
    tmp_path: Path, peak_bytes: Callable[[Callable[[], object]], int]
) -> None:
    # one 720 kB weight named by 150 layers: loading made 150 copies (108 MB) before
    path = tmp_path / "m.npz"
    gn.Sequential([gn.Dense(300, 300, rng=0)]).save(path)

    def repeat(m: dict[str, Any]) -> dict[str, Any]:
        m["layers"] = m["layers"] * 150
        return m

    bad = _edit(path, tmp_path / "bad.npz", manifest=repeat)
    assert peak_bytes(lambda: _refused(bad, "array 'layer0.weight' is used twice")) < 16 * 2**20


def test_an_optimizer_slot_naming_a_weight_is_refused(tmp_path: Path, saved: Path) -> None:
    def reuse(m: dict[str, Any]) -> dict[str, Any]:
        m["optimizer"]["slots"]["m"][0] = "layer0.weight"
        return m

    _refused(_edit(saved, tmp_path / "bad.npz", manifest=reuse), "used twice")


def test_more_layers_than_a_model_file_holds_are_refused(tmp_path: Path, saved: Path) -> None:
    def pad(m: dict[str, Any]) -> dict[str, Any]:
        m["layers"] += [{"kind": "ReLU"}] * 600_000  # 11 MB of manifest
        return m

    _refused(_edit(saved, tmp_path / "bad.npz", manifest=pad), "600,003 layers", "at most 10,000")


def test_an_integer_of_thousands_of_digits_in_the_manifest_is_a_model_file_error(
    tmp_path: Path, saved: Path
) -> None:
    def huge(m: dict[str, Any]) -> str:
        return json.dumps(m).replace('"n_in": 3', '"n_in": 1' + "0" * 5000)

    _refused(_edit(saved, tmp_path / "bad.npz", manifest=huge), "not valid JSON")


@pytest.mark.parametrize("spelled", ["NaN", "Infinity", "1e999"])
def test_a_non_finite_layer_setting_is_refused(tmp_path: Path, spelled: str) -> None:
    path = tmp_path / "m.npz"
    gn.Sequential([gn.Dense(2, 2, rng=0), gn.LeakyReLU(0.1)]).save(path)

    def edit(m: dict[str, Any]) -> str:
        return json.dumps(m).replace('"negative_slope": 0.1', f'"negative_slope": {spelled}')

    _refused(_edit(path, tmp_path / "bad.npz", manifest=edit), "malformed configuration")


# ------------------------------------------------------------------ NaN weights


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["layer0.weight", "layer2.bias", "optimizer.m.1"])
def test_non_finite_numbers_in_a_file_are_refused(
    tmp_path: Path, saved: Path, where: str, value: float
) -> None:
    def spoil(arrays: dict[str, np.ndarray]) -> None:
        arrays[where].flat[0] = value

    _refused(_edit(saved, tmp_path / "bad.npz", arrays=spoil), "holds NaN or infinite values")


@pytest.mark.parametrize(
    ("weights", "phrase"),
    [
        (lambda w: [np.full_like(w[0], np.nan), *w[1:]], "array 0 holds NaN or infinite"),
        (lambda w: [*w[:3], np.full_like(w[3], -np.inf)], "array 3 holds NaN or infinite"),
        (lambda w: [np.full(w[0].shape, 1e300), *w[1:]], "(in float32)"),
        (lambda w: [w[0].astype(complex), *w[1:]], "array 0 has dtype complex128"),
        (lambda w: [w[0].astype(str), *w[1:]], "array 0 has dtype <U"),
        (lambda w: [w[0].T, *w[1:]], "array 0 has shape (4, 3), expected (3, 4)"),
        (lambda w: w[:3], "expected 4 arrays, got 3"),
        (lambda w: None, "weights must be a list of arrays, got NoneType"),
        (lambda w: [[[1], [1, 2]], *w[1:]], "array 0 is not an array of numbers"),
    ],
)
def test_set_weights_refuses_bad_arrays_and_changes_nothing(
    weights: Callable[[list[np.ndarray]], Any], phrase: str
) -> None:
    model = _model().astype(np.float32)
    before = model.get_weights()
    with pytest.raises(GlassnetError) as info:
        model.set_weights(weights([w.astype(np.float64) for w in before]))
    assert phrase in str(info.value), str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_set_weights_still_casts_finite_arrays_into_the_model_dtype() -> None:
    model = _model().astype(np.float32)
    weights = [np.ones(w.shape, dtype=np.int64) for w in model.get_weights()]
    model.set_weights(weights)
    assert all(w.dtype == np.float32 and (w == 1).all() for w in model.get_weights())


# ------------------------------------------------------------------ optimizer state


def _slots(**slots: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(m: dict[str, Any]) -> dict[str, Any]:
        m["optimizer"].update(slots)
        return m

    return edit


def _renamed(m: dict[str, Any]) -> dict[str, Any]:
    m["optimizer"]["slots"] = {"x": m["optimizer"]["slots"]["m"], "v": m["optimizer"]["slots"]["v"]}
    return m


def _only_v(m: dict[str, Any]) -> dict[str, Any]:
    del m["optimizer"]["slots"]["m"]
    return m


def _as_sgd(m: dict[str, Any]) -> dict[str, Any]:
    config = m["optimizer"]["config"]
    m["optimizer"]["kind"] = "SGD"
    m["optimizer"]["config"] = {"schedule": config["schedule"], "momentum": 0.9}
    return m


@pytest.mark.parametrize(
    ("edit", "phrase"),
    [
        (_renamed, "holds ['v', 'x'], but Adam keeps ['m', 'v']"),
        (_only_v, "holds ['v'], but Adam keeps ['m', 'v']"),
        (_as_sgd, "but SGD keeps ['velocity']"),
        (_slots(iterations=-1), "'optimizer.iterations' is malformed"),
        (_slots(iterations=2**70), "'optimizer.iterations' is malformed"),
        (_slots(epoch=True), "'optimizer.epoch' is malformed"),
        (_slots(slots=[]), "'optimizer.slots' is malformed"),
        (_slots(slots={"m": "optimizer.m.0", "v": []}), "malformed"),
    ],
)
def test_optimizer_state_is_checked_at_load_not_at_the_next_fit(
    tmp_path: Path, saved: Path, edit: Callable[[dict[str, Any]], Any], phrase: str
) -> None:
    _refused(_edit(saved, tmp_path / "bad.npz", manifest=edit), phrase)


@pytest.mark.parametrize(
    ("spoil", "phrase"),
    [
        (lambda a: a.__setitem__("optimizer.v.0", -a["optimizer.v.0"] - 1), "'v' 0 holds negative"),
        (
            lambda a: a.__setitem__("optimizer.m.1", a["optimizer.m.1"].astype(np.float32)),
            "optimizer state 'm' does not match",
        ),
        (
            lambda a: a.__setitem__("optimizer.m.1", a["optimizer.m.1"][:1]),
            "optimizer state 'm' does not match",
        ),
    ],
)
def test_optimizer_arrays_are_checked_at_load(
    tmp_path: Path, saved: Path, spoil: Callable[[dict[str, np.ndarray]], None], phrase: str
) -> None:
    _refused(_edit(saved, tmp_path / "bad.npz", arrays=spoil), phrase)


def test_a_model_saved_before_its_first_step_loads_and_trains(tmp_path: Path) -> None:
    model = gn.Sequential([gn.Dense(3, 1, rng=0)])
    model.optimizer = gn.Adam()
    model.save(tmp_path / "m.npz")
    loaded = gn.load(tmp_path / "m.npz")
    X = np.ones((4, 3))
    loaded.fit(X, np.ones((4, 1)), loss="mse", epochs=1)
    assert loaded.optimizer is not None and loaded.optimizer.iterations == 1


# ------------------------------------------------------------------ estimators' saved fields


@pytest.fixture(scope="module")
def estimators(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A saved binary, multiclass and multilabel classifier and a regressor."""
    pytest.importorskip("sklearn")
    import warnings

    from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor

    directory = tmp_path_factory.mktemp("estimators")
    X = np.random.default_rng(0).standard_normal((30, 3))
    targets = {
        "binary": (NeuralNetClassifier((4,)), (X[:, 0] > 0).astype(int)),
        "multiclass": (NeuralNetClassifier((4, 3)), np.array(["a", "b", "c"])[np.arange(30) % 3]),
        "multilabel": (NeuralNetClassifier((4,)), (X[:, :2] > 0).astype(int)),
        "regressor": (NeuralNetRegressor((4,), solver="sgd", dropout=0.1), X[:, :2]),
    }
    paths = {}
    for name, (est, y) in targets.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.set_params(max_iter=3, random_state=0).fit(X, y)
        paths[name] = directory / f"{name}.npz"
        est.save(paths[name])
    return paths


def _state(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Edit an estimator's saved fields: ``params__solver="sgd"`` sets ["params"]["solver"]."""

    def edit(m: dict[str, Any]) -> dict[str, Any]:
        for key, value in changes.items():
            *path, last = key.split("__")
            where = m["metadata"]["estimator"]
            for part in path:
                where = where[part]
            where[last] = value
        return m

    return edit


def _reversed_classes(arrays: dict[str, np.ndarray]) -> None:
    arrays["extra.estimator.classes"] = arrays["extra.estimator.classes"][::-1].copy()


@pytest.mark.parametrize(
    ("which", "manifest", "arrays", "field"),
    [
        ("binary", None, _reversed_classes, "'targets.classes'"),
        ("multiclass", _state(targets__classes=["c", "b", "a"]), None, "'targets.classes'"),
        ("multiclass", _state(targets__classes=["a", "a", "b"]), None, "'targets.classes'"),
        ("binary", _state(targets__kind="multiclass"), None, "'targets.kind'"),
        ("multiclass", _state(targets__kind="binary"), None, "'targets.kind'"),
        ("multiclass", _state(targets__kind="multilabel"), None, "'targets.classes'"),
        ("binary", _state(targets__kind="regression"), None, "'targets.kind'"),
        ("multilabel", _state(targets__kind="binary"), None, "'targets'"),
        ("multiclass", _state(targets__classes_dtype="bytes"), None, "'targets.classes'"),
        ("multiclass", _state(params__hidden_layer_sizes=[5, 3]), None, "'hidden_layer_sizes'"),
        ("multiclass", _state(params__hidden_layer_sizes=[4]), None, "'hidden_layer_sizes'"),
        ("binary", _state(params__activation="tanh"), None, "'activation'"),
        ("binary", _state(params__dropout=0.5), None, "'dropout'"),
        ("regressor", _state(params__dropout=0.2), None, "'dropout'"),
        ("binary", _state(params__solver="sgd"), None, "'solver'"),
        ("binary", _state(params__solver="lbfgs"), None, "solver"),
        ("binary", _state(params__dtype="float32"), None, "'dtype'"),
        ("binary", _state(n_features_in=4), None, "'n_features_in'"),
        ("binary", _state(n_iter=-1), None, "'n_iter'"),
        ("regressor", _state(targets__n_outputs=3), None, "'targets.n_outputs'"),
        ("regressor", _state(targets__n_outputs="2"), None, "'targets.n_outputs'"),
        (
            "regressor",
            None,
            lambda a: a.__setitem__("extra.estimator.y_scale", -a["extra.estimator.y_scale"]),
            "'y_scale'",
        ),
        (
            "regressor",
            None,
            lambda a: a.__setitem__("extra.estimator.y_mean", np.full(2, np.nan)),
            "'y_mean'",
        ),
        (
            "regressor",
            None,
            lambda a: a.__setitem__("extra.estimator.y_mean", np.zeros(3)),
            "'y_mean'",
        ),
        ("regressor", _state(params__normalize_y=False), None, "normalize_y=False"),
    ],
)
def test_an_estimators_edited_fields_are_checked_against_its_network(
    tmp_path: Path,
    estimators: dict[str, Path],
    which: str,
    manifest: Callable[[dict[str, Any]], Any] | None,
    arrays: Callable[[dict[str, np.ndarray]], None] | None,
    field: str,
) -> None:
    from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor

    cls = NeuralNetRegressor if which == "regressor" else NeuralNetClassifier
    bad = _edit(estimators[which], tmp_path / "bad.npz", manifest=manifest, arrays=arrays)
    with pytest.raises(ModelFileError) as info:
        cls.load(bad)
    message = str(info.value)
    assert field in message and str(bad) in message and "\n" not in message, message


@pytest.mark.parametrize("which", ["binary", "multiclass", "multilabel", "regressor"])
def test_an_unedited_estimator_file_still_loads(estimators: dict[str, Path], which: str) -> None:
    from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor

    cls = NeuralNetRegressor if which == "regressor" else NeuralNetClassifier
    assert cls.load(estimators[which]).network_ is not None


def test_a_model_whose_momentum_was_turned_off_saves_a_file_that_loads(tmp_path: Path) -> None:
    X = np.linspace(-1, 1, 24).reshape(8, 3)
    model = gn.Sequential([gn.Dense(3, 2, rng=0)])
    model.fit(X, np.arange(8) % 2, loss="cross_entropy", optimizer=gn.SGD(0.1, momentum=0.9))
    assert model.optimizer is not None
    model.optimizer.momentum = 0.0
    model.save(tmp_path / "m.npz")
    loaded = gn.load(tmp_path / "m.npz")
    assert loaded.optimizer is not None and loaded.optimizer.momentum == 0.0


@pytest.mark.parametrize(
    ("opt", "setting", "value"),
    [(gn.SGD(0.1), "nesterov", True), (gn.Adam(0.1), "beta_1", 1.0), (gn.RMSprop(), "rho", 2.0)],
)
def test_save_refuses_an_optimizer_whose_settings_were_changed_past_loading(
    tmp_path: Path, saved: Path, opt: gn.Optimizer, setting: str, value: object
) -> None:
    target = tmp_path / "m.npz"
    target.write_bytes(saved.read_bytes())
    model = gn.load(target)
    setattr(opt, setting, value)
    model.optimizer = opt
    with pytest.raises(GlassnetError, match="could not be rebuilt from its settings"):
        model.save(target)
    assert target.read_bytes() == saved.read_bytes()
    gn.load(target)


@pytest.mark.parametrize(
    ("spoil", "phrase"),
    [
        (lambda m: m.update(extras=[5]), "extras name 5 is not a string"),
        (lambda m: m.update(extras=[None]), "extras name None is not a string"),
    ],
)
def test_load_refuses_extras_names_that_are_not_strings(
    tmp_path: Path, saved: Path, spoil: Callable[[dict[str, Any]], None], phrase: str
) -> None:
    def edit(m: dict[str, Any]) -> str:
        spoil(m)
        for name in m["extras"]:  # an array for each extras name, so that only the name is wrong
            m["arrays"][f"extra.{name}"] = m["arrays"]["layer0.bias"]
        return json.dumps(m)

    _refused(_edit(saved, tmp_path / "bad.npz", manifest=edit), phrase)


def test_an_archive_holding_a_member_twice_is_refused(tmp_path: Path, saved: Path) -> None:
    with zipfile.ZipFile(saved) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    path = tmp_path / "twice.npz"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it writes
        zf.writestr("manifest.json", members["manifest.json"])
        for name, blob in members.items():
            zf.writestr(name, blob)  # the manifest a second time, and every array
    _refused(path, "holds 'manifest.json' more than once")


def test_a_huge_value_quoted_from_a_file_keeps_the_message_short(
    tmp_path: Path, saved: Path
) -> None:
    def edit(m: dict[str, Any]) -> dict[str, Any]:
        m["optimizer"]["kind"] = "x" * 5000
        return m

    path = _edit(saved, tmp_path / "bad.npz", manifest=edit)
    with pytest.raises(ModelFileError, match="unknown optimizer kind 'xxx") as info:
        gn.load(path)
    assert len(str(info.value)) < 400 + len(str(path))


def test_metadata_nested_too_deep_is_refused_in_a_short_message(tmp_path: Path) -> None:
    model = gn.Sequential([gn.Dense(3, 1, rng=0)])
    deep: Any = 1
    for _ in range(150):
        deep = [deep]
    model.metadata["deep"] = deep
    with pytest.raises(GlassnetError, match="model metadata is nested more than 100") as info:
        model.save(tmp_path / "m.npz")
    assert len(str(info.value)) < 100


def test_metadata_holding_an_int_too_long_to_print_is_refused_in_one_line(tmp_path: Path) -> None:
    # the tuple is what JSON can't hold exactly; quoting it must not trip Python's 4,300-digit
    # limit for turning an int into text
    net = gn.Sequential([gn.Dense(2, 1, rng=0)])
    net.metadata["t"] = (10**5000,)
    with pytest.raises(GlassnetError, match="too large to show") as info:
        net.save(tmp_path / "m.npz")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "m.npz").exists()
