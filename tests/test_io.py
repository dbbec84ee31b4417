"""Model files: exact round trips, exact resumption, and hostile files that must fail cleanly."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet as gn
import glassnet.io as gio
from glassnet.errors import GlassnetError, ModelFileError


def _data(n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.7).astype(int)


def _model(dtype: Any = np.float64) -> gn.Sequential:
    """Every layer kind, in one small network."""
    layers = [
        gn.Dense(4, 6, rng=0),
        gn.LeakyReLU(0.05),
        gn.Dropout(0.2),
        gn.Dense(6, 5, rng=1),
        gn.Tanh(),
        gn.Dense(5, 5, bias=False, rng=2),
        gn.Sigmoid(),
        gn.Dense(5, 4, rng=3),
        gn.ReLU(),
        gn.Dense(4, 4, rng=4),
        gn.Softmax(),
        gn.Identity(),
        gn.Dense(4, 3, rng=5),
    ]
    return gn.Sequential(layers, dtype=dtype)


def _trained(dtype: Any = np.float64, optimizer: gn.Optimizer | None = None) -> gn.Sequential:
    model = _model(dtype)
    X, y = _data()
    opt = optimizer or gn.Adam(gn.StepDecay(0.01, step_size=2), weight_decay=0.01, clip_norm=5.0)
    model.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=3, batch_size=5, seed=1)
    model.metadata["note"] = {"classes": ["a", "b", "c"], "scale": 1.5}
    model.extras["mean"] = np.arange(4, dtype=np.float64)
    return model


def _same_model(a: gn.Sequential, b: gn.Sequential) -> bool:
    X, _ = _data()
    same = repr(a) == repr(b) and np.array_equal(a.predict(X), b.predict(X))
    same = same and all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights()))
    same = same and a.metadata == b.metadata and type(a.loss) is type(b.loss)
    if a.optimizer is None or b.optimizer is None:
        return same and a.optimizer is b.optimizer
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    same = same and sa["iterations"] == sb["iterations"] and sa["epoch"] == sb["epoch"]
    for slot in sa["slots"]:
        same = same and all(
            np.array_equal(p, q) for p, q in zip(sa["slots"][slot], sb["slots"][slot])
        )
    return same


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_bit_identical_predictions(tmp_path: Path, dtype: Any) -> None:
    model = _trained(dtype)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = gn.load(path)
    assert loaded.dtype == dtype
    X, _ = _data()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert _same_model(model, loaded)
    assert isinstance(loaded.loss, gn.CrossEntropy)
    np.testing.assert_array_equal(loaded.extras["mean"], model.extras["mean"])
    assert loaded.metadata["note"] == {"classes": ["a", "b", "c"], "scale": 1.5}
    assert (
        loaded.optimizer is not None
        and loaded.optimizer.get_config() == model.optimizer.get_config()
    )  # type: ignore[union-attr]


def test_a_model_file_holds_a_json_manifest_and_one_npy_per_array(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    _trained().save(path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
        for name, entry in manifest["arrays"].items():
            blob = zf.read(name + ".npy")
            assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
    assert manifest["format"] == "glassnet-model" and manifest["format_version"] == 1
    assert manifest["dtype"] == "float64" and manifest["loss"] == "CrossEntropy"
    assert [layer["kind"] for layer in manifest["layers"]][:3] == ["Dense", "LeakyReLU", "Dropout"]
    assert names == {"manifest.json"} | {n + ".npy" for n in manifest["arrays"]}
    assert manifest["metadata"]["training"]["epochs"] == 3
    # inference needs only NumPy: the arrays load with np.load and pickle off
    with np.load(path, allow_pickle=False) as npz:
        assert npz["layer0.weight"].shape == (4, 6)


def test_saving_without_the_optimizer_loads_without_one(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model = _trained()
    model.save(path, include_optimizer=False)
    loaded = gn.load(path)
    assert loaded.optimizer is None
    np.testing.assert_array_equal(loaded.predict(_data()[0]), model.predict(_data()[0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.Adam(gn.StepDecay(0.01, step_size=2), weight_decay=0.01, clip_norm=5.0),
        lambda: gn.SGD(gn.ExponentialDecay(0.1, gamma=0.9), momentum=0.9, nesterov=True),
        lambda: gn.RMSprop(gn.InverseScaling(0.01), rho=0.9, weight_decay=0.001),
    ],
    ids=["adam", "sgd_nesterov", "rmsprop"],
)
def test_resumed_training_equals_uninterrupted_training_exactly(
    tmp_path: Path, dtype: Any, make: Callable[[], gn.Optimizer]
) -> None:
    X, y = _data()
    model = _trained(dtype, make())
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = gn.load(path)
    # the same later fit call, on the model in memory and on the one from the file
    h1 = model.fit(X, y, epochs=4, batch_size=5, seed=2)
    h2 = loaded.fit(X, y, epochs=4, batch_size=5, seed=2)
    assert h1["loss"] == h2["loss"] and h1["learning_rate"] == h2["learning_rate"]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert _same_model(model, loaded)
    # and the resumed run is not what a fresh optimizer would have given
    fresh = gn.load(path)
    fresh.fit(X, y, optimizer=make(), epochs=4, batch_size=5, seed=2)
    assert not np.array_equal(fresh.get_weights()[0], model.get_weights()[0])


def test_metadata_that_is_not_json_is_refused_before_writing(tmp_path: Path) -> None:
    model = _trained()
    model.metadata["bad"] = object()
    with pytest.raises(GlassnetError, match="JSON"):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ hostile files


@pytest.fixture(scope="module")
def good_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("good") / "model.npz"
    _trained().save(path)
    return path


def _fails(path: Path, *phrases: str) -> ModelFileError:
    """Load `path`, expecting a ModelFileError naming the file and each phrase."""
    with pytest.raises(ModelFileError) as info:
        gn.load(path)
    message = str(info.value)
    assert str(path) in message, message
    for phrase in phrases:
        assert phrase in message, message
    assert "\n" not in message
    return info.value


def _rewrite(
    src: Path,
    dst: Path,
    manifest: Callable[[dict[str, Any]], Any] | None = None,
    blobs: Callable[[dict[str, Any], dict[str, bytes]], None] | None = None,
) -> Path:
    """Copy a model file, editing its manifest and arrays (and fixing their checksums)."""
    with zipfile.ZipFile(src) as zf:
        m = json.loads(zf.read("manifest.json"))
        arrays = {n[:-4]: zf.read(n) for n in zf.namelist() if n.endswith(".npy")}
    if blobs is not None:
        blobs(m, arrays)
        for name, blob in arrays.items():
            m["arrays"].setdefault(name, {})["sha256"] = hashlib.sha256(blob).hexdigest()
    text = m if manifest is None else manifest(m)
    text = text if isinstance(text, (str, bytes)) else json.dumps(m if text is None else text)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("manifest.json", text)
        for name, blob in arrays.items():
            zf.writestr(name + ".npy", blob)
    return dst


def test_missing_file(tmp_path: Path) -> None:
    _fails(tmp_path / "nope.npz", "no such file")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    _fails(path, "empty")


def test_directory(tmp_path: Path) -> None:
    _fails(tmp_path, "directory")


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated_file(tmp_path: Path, good_file: Path, fraction: float) -> None:
    data = good_file.read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: int(len(data) * fraction)])
    _fails(path)


def test_truncated_by_one_byte(tmp_path: Path, good_file: Path) -> None:
    path = tmp_path / "cut.npz"
    path.write_bytes(good_file.read_bytes()[:-1])
    _fails(path)


@pytest.mark.parametrize("size", [1, 22, 100, 5000])
def test_garbage_bytes(tmp_path: Path, size: int) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(np.random.default_rng(size).bytes(size))
    _fails(path, "not a glassnet model")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    path.write_text("layers: [Dense(3, 1)]\n")
    _fails(path)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model file (a few kB) with optimizer state, metadata and an extra array."""
    model = gn.Sequential([gn.Dense(4, 3, rng=0), gn.Tanh(), gn.Dense(3, 3, rng=1)])
    X, y = _data()
    model.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.1, momentum=0.9), epochs=2)
    model.metadata["classes"] = ["a", "b", "c"]
    model.extras["mean"] = np.arange(4.0)
    path = tmp_path_factory.mktemp("small") / "model.npz"
    model.save(path)
    return path


@pytest.mark.parametrize("part", range(4))
def test_every_single_bit_flip_fails_cleanly_or_changes_nothing(
    tmp_path: Path, small_file: Path, part: int
) -> None:
    # one flipped bit per byte position (the bit varies with the position), over the whole
    # file in four interleaved parts so that xdist can spread them
    original = gn.load(small_file)
    data = bytearray(small_file.read_bytes())
    path = tmp_path / "flipped.npz"
    outcomes = {"error": 0, "unchanged": 0}
    for pos in range(part, len(data), 4):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << (pos % 8)
        path.write_bytes(flipped)
        try:
            loaded = gn.load(path)
        except ModelFileError as exc:
            assert str(path) in str(exc)
            outcomes["error"] += 1
            continue
        # the flip hit a byte nothing reads (a timestamp, a version field): same model
        assert _same_model(original, loaded), f"flipping a bit of byte {pos} changed the model"
        outcomes["unchanged"] += 1
    assert outcomes["error"] > len(data) // 8


def test_foreign_npz_without_manifest(tmp_path: Path) -> None:
    path = tmp_path / "foreign.npz"
    rng = np.random.default_rng(0)
    np.savez(path, weight=rng.standard_normal((3, 2)), bias=rng.standard_normal(2))
    _fails(path, "no manifest.json", "not written by glassnet")


def test_zip_without_manifest(tmp_path: Path) -> None:
    path = tmp_path / "plain.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    _fails(path, "no manifest.json")


@pytest.mark.parametrize(
    ("edit", "phrase"),
    [
        (lambda m: {**m, "format": "keras"}, "does not describe a glassnet model"),
        (lambda m: {**m, "format_version": 2}, "format version 2 is not supported"),
        (lambda m: {**m, "format_version": "1"}, "format version '1' is not supported"),
        (lambda m: [m], "does not describe a glassnet model"),
        (lambda m: "{not json", "not valid JSON"),
        (lambda m: b"\xff\xfe\x00", "not valid JSON"),
        (lambda m: "[" * 100_000 + "]" * 100_000, "manifest.json"),
        (lambda m: {**m, "dtype": "object"}, "dtype"),
        (lambda m: {**m, "dtype": "float16"}, "dtype float16 is not float32 or float64"),
        (lambda m: {**m, "layers": []}, "malformed"),
        (lambda m: {**m, "layers": "Dense"}, "malformed"),
        (lambda m: {**m, "loss": "Hinge"}, "unknown loss 'Hinge'"),
        (lambda m: {**m, "loss": ["CrossEntropy"]}, "malformed"),
    ],
)
def test_bad_manifests(tmp_path: Path, good_file: Path, edit: Any, phrase: str) -> None:
    _fails(_rewrite(good_file, tmp_path / "bad.npz", manifest=edit), phrase)


def _layer(m: dict[str, Any], i: int, **changes: Any) -> dict[str, Any]:
    m["layers"][i].update(changes)
    return m


def _config(m: dict[str, Any], i: int, **changes: Any) -> dict[str, Any]:
    m["layers"][i]["config"].update(changes)
    return m


def _optimizer(m: dict[str, Any], **changes: Any) -> dict[str, Any]:
    m["optimizer"].update(changes)
    return m


@pytest.mark.parametrize(
    ("edit", "phrase"),
    [
        (lambda m: _layer(m, 1, kind="Swish"), "layer 2 has unknown kind 'Swish'"),
        (lambda m: _layer(m, 1, kind="__import__('os')"), "unknown kind"),
        (lambda m: _layer(m, 1, kind={"eval": 1}), "malformed"),
        (lambda m: _config(m, 0, n_in=5), "layer 1's weight does not match its configuration"),
        (lambda m: _config(m, 0, n_in=10**6, n_out=10**6), "does not match its configuration"),
        (lambda m: _config(m, 0, bias=False), "layer 1 (Dense) has parameters"),
        (lambda m: _config(m, 0, init="he_normal"), "malformed"),
        (lambda m: _config(m, 1, negative_slope=[0.1]), "malformed configuration"),
        (lambda m: _config(m, 1, negative_slope=5.0), "negative_slope"),
        (lambda m: _config(m, 2, rate=1.5), "dropout rate"),
        (
            lambda m: _layer(m, 3, params={"weight": "layer3.weight"}),
            "layer 4 (Dense) has parameters ['weight']",
        ),
        (
            lambda m: _layer(m, 3, params={"weight": "layer0.weight", "bias": "layer3.bias"}),
            "layer 4's weight does not match its configuration",
        ),
        (
            lambda m: _layer(m, 3, params={"weight": "layer3.weight", "bias": "layer0.bias"}),
            "layer 4's bias has shape (6,) and dtype float64, expected (5,) and float64",
        ),
        (
            lambda m: _layer(m, 0, params={"weight": "../../etc/passwd", "bias": "layer0.bias"}),
            "not listed in the manifest",
        ),
        (
            lambda m: _layer(m, 0, params={"weight": "missing", "bias": "layer0.bias"}),
            "not listed in the manifest",
        ),
        (lambda m: _optimizer(m, kind="Adagrad"), "unknown optimizer kind 'Adagrad'"),
        (lambda m: _optimizer(m, iterations="many"), "malformed"),
        (lambda m: _optimizer(m, iterations=float("inf")), "malformed"),
        (lambda m: _optimizer(m, epoch=10**400), "malformed"),
        (lambda m: _optimizer(m, slots={"m": ["layer0.weight"]}), "optimizer state 'm' does not"),
        (lambda m: _optimizer(m, config={"schedule": {"kind": "cosine"}}), "schedule"),
        (lambda m: {**m, "extras": ["nope"]}, "'extra.nope' is not listed"),
        (lambda m: {**m, "metadata": [1, 2]}, "manifest field 'metadata' is malformed"),
    ],
)
def test_manifests_that_do_not_match_the_arrays(
    tmp_path: Path, good_file: Path, edit: Any, phrase: str
) -> None:
    _fails(_rewrite(good_file, tmp_path / "bad.npz", manifest=edit), phrase)


def test_a_huge_epoch_with_a_growing_schedule_fails_cleanly(
    tmp_path: Path, good_file: Path
) -> None:
    def edit(m: dict[str, Any]) -> dict[str, Any]:
        m["optimizer"]["config"]["schedule"] = {
            "kind": "exponential",
            "learning_rate": 0.1,
            "gamma": 10.0,
        }
        m["optimizer"]["epoch"] = 10**6
        return m

    _fails(_rewrite(good_file, tmp_path / "bad.npz", manifest=edit))


def test_a_changed_array_fails_its_checksum(tmp_path: Path, good_file: Path) -> None:
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(good_file) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            blob = src.read(name)
            if name == "layer0.weight.npy":
                a = np.lib.format.read_array(io.BytesIO(blob))
                a[0, 0] += 1.0
                buf = io.BytesIO()
                np.lib.format.write_array(buf, a)
                blob = buf.getvalue()
            dst.writestr(name, blob)
    _fails(path, "array 'layer0.weight' fails its SHA-256 check")


class _Payload:
    """Unpickling this would create a marker file: the proof that code ran."""

    marker = ""

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.marker),))


def _pickled_array(marker: Path) -> bytes:
    _Payload.marker = str(marker)
    a = np.empty((4, 6), dtype=object)
    a[...] = _Payload()
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=True)
    blob = buf.getvalue()
    # the payload is live: this is what a careless reader would run
    assert b"touch" in blob and pickle.loads(pickle.dumps(_Payload())) is None
    assert marker.exists()
    marker.unlink()
    return blob


@pytest.mark.parametrize("where", ["layer0.weight", "optimizer.m.0", "extra.mean"])
def test_an_object_array_is_refused_and_its_pickle_never_runs(
    tmp_path: Path, good_file: Path, where: str
) -> None:
    marker = tmp_path / "pwned"

    def plant(m: dict[str, Any], arrays: dict[str, bytes]) -> None:
        arrays[where] = _pickled_array(marker)

    path = _rewrite(good_file, tmp_path / "bad.npz", blobs=plant)
    _fails(path, where)
    assert not marker.exists()
    # the file is a live bomb for a careless reader, which is what makes the test meaningful


def test_an_array_header_claiming_a_huge_shape_does_not_allocate(
    tmp_path: Path, good_file: Path
) -> None:
    def lie(m: dict[str, Any], arrays: dict[str, bytes]) -> None:
        buf = io.BytesIO()
        header = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(b"\x00" * 8 * 24)
        arrays["layer0.weight"] = buf.getvalue()

    path = _rewrite(good_file, tmp_path / "bad.npz", blobs=lie)
    tracemalloc.start()
    try:
        _fails(path, "layer0.weight")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_a_huge_dense_config_with_tiny_arrays_does_not_allocate(
    tmp_path: Path, good_file: Path
) -> None:
    edit = lambda m: _config(m, 3, n_in=10**6, n_out=10**6)  # noqa: E731
    path = _rewrite(good_file, tmp_path / "bad.npz", manifest=edit)
    tracemalloc.start()
    try:
        _fails(path, "layer 4's weight does not match its configuration")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


@pytest.mark.parametrize(
    ("descr", "phrase"),
    [("<c16", "complex128"), ("|V8", "numbers"), ("<U4", "numbers"), ("<m8[s]", "numbers")],
)
def test_arrays_of_non_numeric_dtypes_are_refused(
    tmp_path: Path, good_file: Path, descr: str, phrase: str
) -> None:
    def plant(m: dict[str, Any], arrays: dict[str, bytes]) -> None:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.zeros(24, dtype=descr).reshape(4, 6))
        arrays["layer0.weight"] = buf.getvalue()

    _fails(_rewrite(good_file, tmp_path / "bad.npz", blobs=plant), "layer0.weight")


# ------------------------------------------------------------------ atomic saving


def test_a_failure_mid_write_leaves_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.npz"
    _trained().save(path)
    before = path.read_bytes()

    def broken(f: Any, manifest: str, blobs: dict[str, bytes]) -> None:
        f.write(b"PK\x03\x04 half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gio, "_write_zip", broken)
    with pytest.raises(ModelFileError, match="No space left on device") as info:
        _model().save(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_an_interrupt_mid_write_leaves_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.npz"
    _trained().save(path)
    before = path.read_bytes()

    def interrupted(f: Any, manifest: str, blobs: dict[str, bytes]) -> None:
        f.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(gio, "_write_zip", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _model().save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    gn.load(path)


@pytest.mark.parametrize("where", ["missing_dir/model.npz", "a_file/model.npz", "a_dir"])
def test_unwritable_paths_raise_model_file_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_dir").mkdir()
    target = tmp_path / where
    with pytest.raises(ModelFileError, match="cannot write model file") as info:
        _model().save(target)
    assert str(target) in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir", "a_file"]
    assert list((tmp_path / "a_dir").iterdir()) == []


def test_saving_replaces_an_existing_model(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    _model().save(path)
    model = _trained()
    model.save(path)
    assert _same_model(gn.load(path), model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_saved_file_permissions_follow_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    _model().save(path)
    old = os.umask(0o022)
    os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~old


def test_a_compressed_member_is_refused_before_it_is_inflated(
    tmp_path: Path, good_file: Path
) -> None:
    # 64 MiB of zeros deflate to about 64 kB: a zip bomb in miniature
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(good_file) as src, zipfile.ZipFile(bomb, "w") as dst:
        for name in src.namelist():
            if name == "layer0.weight.npy":
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(info, "w") as f:
                    chunk = bytes(2**20)
                    for _ in range(64):
                        f.write(chunk)
            else:
                dst.writestr(name, src.read(name))
    assert bomb.stat().st_size < 2**20
    tracemalloc.start()
    try:
        _fails(bomb, "'layer0.weight.npy' is compressed")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_a_model_whose_validation_loss_overflowed_can_still_be_saved(tmp_path: Path) -> None:
    X, _ = _data()
    y = X[:, :1]
    model = gn.Sequential([gn.Dense(4, 3, rng=0), gn.ReLU(), gn.Dense(3, 1, rng=1)])
    history = model.fit(X, y, loss="mse", optimizer="sgd", epochs=2, validation_data=(X * 1e200, y))
    assert history["val_loss"][-1] == np.inf
    model.save(tmp_path / "model.npz")
    loaded = gn.load(tmp_path / "model.npz")
    assert loaded.metadata["training"]["val_loss"] is None
    assert loaded.metadata["training"]["loss"] == history["loss"][-1]
