"""An adversarial pass over glassnet's public API: hostile calls, files, threads and numbers.

    .venv/bin/python tests/adversarial_pass.py            # a table of outcomes, and the totals
    .venv/bin/python tests/adversarial_pass.py --json     # the same as JSON

Not a pytest module (the regression tests pin each fix where it belongs); this is the pass the
reliability issue asks to repeat until it finds nothing new, kept so that anyone can run it
again and compare. Each case is one call made the way a user could make it, judged as:

- ``clean``: a one-line `GlassnetError` (or, where the case says so, a correct result);
- ``wrong``: it returned, but the result is wrong, or a bad input was silently accepted;
- ``crash``: any other exception, or a multi-line message;
- ``hang``: no answer within the case's time limit;
- ``noisy``: it returned or failed cleanly, but a warning leaked.

Only the public API is used, so the same file measures any version of glassnet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn

Outcome = str
CASES: list[tuple[str, str, Callable[[Path], Any]]] = []


class Wrong(Exception):
    """The call returned, but what it returned (or accepted) is wrong."""


def case(group: str) -> Callable[[Callable[[Path], Any]], Callable[[Path], Any]]:
    def register(fn: Callable[[Path], Any]) -> Callable[[Path], Any]:
        CASES.append((group, fn.__name__, fn))
        return fn

    return register


def refuses(fn: Callable[[], Any]) -> None:
    """The call must raise a GlassnetError; returning is a silent acceptance."""
    try:
        fn()
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    raise Wrong("accepted silently")


def _one_line(exc: BaseException) -> None:
    text = str(exc)
    if "\n" in text or len(text) > 400:
        raise RuntimeError(f"not one line: {text[:80]!r}...")


def _xy(n: int = 40, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, (X[:, 0] > 0).astype(int)


def _net(d: int = 3, k: int = 2) -> gn.Sequential:
    return gn.Sequential([gn.Dense(d, 4, rng=0), gn.Tanh(), gn.Dense(4, k, rng=1)])


def _trained(tmp: Path) -> tuple[gn.Sequential, Path]:
    X, y = _xy()
    net = _net()
    net.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.01), epochs=2, batch_size=8, seed=0)
    path = tmp / "good.npz"
    net.save(path)
    return net, path


def _save_keeps_old(tmp: Path, edit: Callable[[gn.Sequential], None]) -> None:
    """`save` after `edit` either round-trips exactly or refuses, leaving the old file."""
    net, path = _trained(tmp)
    before = path.read_bytes()
    edit(net)
    try:
        net.save(path)
    except gn.GlassnetError as exc:
        _one_line(exc)
        if path.read_bytes() != before:
            raise Wrong("save refused, but the previous file changed") from None
        return
    try:
        back = gn.load(path)
    except gn.GlassnetError:
        raise Wrong("save wrote a file load refuses (the good model is lost)") from None
    for name, value in net.extras.items():
        got = back.extras.get(name)
        if got is None or got.dtype != np.asarray(value).dtype or not np.array_equal(got, value):
            raise Wrong(f"extra {name!r} came back different")


def _rewrite(path: Path, edit: Callable[[dict[str, Any], dict[str, bytes]], None]) -> None:
    """Rewrite a model file's manifest and members, keeping checksums consistent."""
    import hashlib

    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json"}
    edit(manifest, members)
    for name in list(manifest.get("arrays", {})):
        blob = members.get(name + ".npy")
        if blob is not None:
            manifest["arrays"][name] = {
                "sha256": hashlib.sha256(blob).hexdigest(),
                "bytes": len(blob),
            }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, blob in members.items():
            zf.writestr(name, blob)


def _npy(a: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=False)
    return buf.getvalue()


# ---------------------------------------------------------------- saving and model files


@case("save")
def extras_name_with_a_space(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("feature mean", np.ones(3)))


@case("save")
def extras_name_with_a_slash(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("a/b", np.ones(3)))


@case("save")
def extras_of_str_dtype(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("names", np.array(["a", "b"])))


@case("save")
def extras_of_complex_dtype(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("z", np.array([1 + 2j])))


@case("save")
def extras_of_datetime_dtype(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("t", np.array(["2020-01-01"], "M8[D]")))


@case("save")
def extras_of_object_dtype(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("o", np.array([{}, 1], dtype=object)))


@case("save")
def extras_that_is_a_list(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.extras.__setitem__("l", [1.0, 2.0]))


@case("save")
def metadata_over_16_mib(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.metadata.__setitem__("big", "x" * (17 * 2**20)))


@case("save")
def metadata_with_a_set(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.metadata.__setitem__("s", {1, 2}))


@case("save")
def metadata_with_nan(tmp: Path) -> None:
    _save_keeps_old(tmp, lambda m: m.metadata.__setitem__("n", float("nan")))


@case("save")
def save_to_none(tmp: Path) -> None:
    refuses(lambda: _net().save(None))  # type: ignore[arg-type]


@case("save")
def save_to_a_bytes_path(tmp: Path) -> None:
    path = bytes(tmp / "b.npz")
    try:
        _net().save(path)  # type: ignore[arg-type]
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    if not gn.load(path.decode()).layers:
        raise Wrong("bytes path saved something else")


@case("save")
def save_to_a_256_character_name(tmp: Path) -> None:
    refuses(lambda: _net().save(tmp / ("m" * 256 + ".npz")))


@case("save")
def save_to_a_directory(tmp: Path) -> None:
    refuses(lambda: _net().save(tmp))


@case("save")
def save_to_a_fifo(tmp: Path) -> None:
    fifo = tmp / "fifo.npz"
    os.mkfifo(fifo)
    refuses(lambda: _net().save(fifo))


def _bounded(path: Path, call: Callable[[], Any], factor: float = 10.0) -> None:
    """`call` (a load of `path`) must fail cleanly or succeed within `factor` × the file's size
    of Python-allocated memory."""
    import tracemalloc

    size = path.stat().st_size
    tracemalloc.start()
    try:
        call()
    except gn.GlassnetError as exc:
        _one_line(exc)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if peak > factor * size + 50 * 2**20:
        raise Wrong(f"a {size / 2**20:.1f} MB file took {peak / 2**20:.0f} MB to load")


@case("load")
def one_array_listed_many_times(tmp: Path) -> None:
    net = gn.Sequential([gn.Dense(1000, 1000, rng=0)])
    X = np.ones((4, 1000))
    net.fit(X, X, loss="mse", optimizer=gn.SGD(0.01, momentum=0.9), epochs=1)
    path = tmp / "big.npz"
    net.save(path)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        weight = manifest["layers"][0]["params"]["weight"]
        manifest["optimizer"]["slots"]["velocity"] = [weight] * 150

    _rewrite(path, edit)
    _bounded(path, lambda: gn.load(path))


@case("load")
def a_manifest_integer_of_5000_digits(tmp: Path) -> None:
    _, path = _trained(tmp)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    text = members["manifest.json"].decode()
    text = text.replace('"iterations": ', '"iterations": ' + "9" * 5000 + "0 * ", 1)
    text = text.replace("0 * ", "", 1)
    members["manifest.json"] = text.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    refuses(lambda: gn.load(path))


@case("load")
def nan_weights_in_a_file(tmp: Path) -> None:
    _, path = _trained(tmp)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        name = manifest["layers"][0]["params"]["weight"]
        w = np.load(__import__("io").BytesIO(members[name + ".npy"]))
        w[0, 0] = np.nan
        members[name + ".npy"] = _npy(w)

    _rewrite(path, edit)
    refuses(lambda: gn.load(path))


@case("load")
def optimizer_slot_renamed(tmp: Path) -> None:
    _, path = _trained(tmp)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        slots = manifest["optimizer"]["slots"]
        slots["velocity"] = slots.pop("m")

    _rewrite(path, edit)
    try:
        model = gn.load(path)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    X, y = _xy()
    try:
        model.fit(X, y, epochs=1)
    except gn.GlassnetError as exc:
        _one_line(exc)
        raise Wrong("loaded, then failed at the next fit") from None


@case("load")
def optimizer_slot_with_nan(tmp: Path) -> None:
    _, path = _trained(tmp)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        name = manifest["optimizer"]["slots"]["v"][0]
        v = np.load(__import__("io").BytesIO(members[name + ".npy"]))
        v[...] = np.nan
        members[name + ".npy"] = _npy(v)

    _rewrite(path, edit)
    refuses(lambda: gn.load(path))


@case("load")
def nine_hundred_thousand_activation_layers(tmp: Path) -> None:
    import time

    _, path = _trained(tmp)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        manifest["layers"][1:1] = [{"kind": "Tanh", "config": {}, "params": {}}] * 900_000
        manifest["optimizer"] = None

    _rewrite(path, edit)
    start = time.perf_counter()
    try:
        gn.load(path)
    except gn.GlassnetError as exc:
        _one_line(exc)
    took = time.perf_counter() - start
    if took > 3.0:
        raise Wrong(f"a {path.stat().st_size / 2**20:.1f} MB file took {took:.1f} s to load")


@case("load")
def set_weights_with_nan(tmp: Path) -> None:
    net = _net()
    weights = net.get_weights()
    weights[0][0, 0] = np.nan
    refuses(lambda: net.set_weights(weights))


@case("load")
def set_weights_with_a_wrong_shape(tmp: Path) -> None:
    net = _net()
    weights = net.get_weights()
    weights[0] = weights[0].T
    refuses(lambda: net.set_weights(weights))


# ---------------------------------------------------------------- dtypes, construction


@case("construct")
def dense_dtype_with_a_trailing_space(tmp: Path) -> None:
    refuses(lambda: gn.Dense(3, 3, dtype="float32 "))


@case("construct")
def sequential_dtype_banana(tmp: Path) -> None:
    refuses(lambda: gn.Sequential([gn.Dense(3, 3)], dtype="banana"))


@case("construct")
def astype_with_a_trailing_space(tmp: Path) -> None:
    refuses(lambda: _net().astype("float32 "))


@case("construct")
def astype_int(tmp: Path) -> None:
    refuses(lambda: _net().astype("int64"))


@case("construct")
def the_same_layer_twice(tmp: Path) -> None:
    d = gn.Dense(3, 3, rng=0)
    refuses(lambda: gn.Sequential([d, gn.Tanh(), d]))


@case("construct")
def the_same_activation_twice(tmp: Path) -> None:
    t = gn.Tanh()
    refuses(lambda: gn.Sequential([gn.Dense(3, 3), t, gn.Dense(3, 3), t]))


@case("construct")
def a_dense_of_a_million_squared(tmp: Path) -> None:
    refuses(lambda: gn.Dense(10**6, 10**6))


@case("construct")
def step_decay_with_a_fractional_step(tmp: Path) -> None:
    refuses(lambda: gn.StepDecay(0.1, step_size=0.5))


@case("construct")
def step_decay_with_step_one_and_a_half(tmp: Path) -> None:
    refuses(lambda: gn.StepDecay(0.1, step_size=1.5))


@case("construct")
def neural_network_seed_2_to_the_32(tmp: Path) -> None:
    refuses(lambda: gn.NeuralNetwork(seed=2**32))


@case("construct")
def early_stopping_min_delta_nan(tmp: Path) -> None:
    refuses(lambda: _fit(early_stopping=gn.EarlyStopping(min_delta=float("nan"))))


# ---------------------------------------------------------------- fit and predict arguments


def _fit(**kwargs: Any) -> gn.History:
    X, y = _xy()
    args: dict[str, Any] = {"loss": "cross_entropy", "optimizer": gn.SGD(0.1), "epochs": 2}
    args.update(kwargs)
    return _net().fit(X, y, **args)


@case("fit")
def early_stopping_two_and_a_half(tmp: Path) -> None:
    refuses(lambda: _fit(early_stopping=2.5))


@case("fit")
def a_callback_that_is_an_object(tmp: Path) -> None:
    refuses(lambda: _fit(callbacks=[object()]))


@case("fit")
def callbacks_none(tmp: Path) -> None:
    try:
        _fit(callbacks=None)
    except gn.GlassnetError as exc:
        _one_line(exc)


@case("fit")
def validation_split_with_validation_data(tmp: Path) -> None:
    X, y = _xy()
    refuses(lambda: _fit(validation_split=0.2, validation_data=(X, y)))


@case("fit")
def monitored_metric_not_logged(tmp: Path) -> None:
    X, y = _xy()
    net = _net()
    before = net.get_weights()
    try:
        net.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.1), epochs=3,
                early_stopping=gn.EarlyStopping(monitor="accuracy"))  # fmt: skip
    except gn.GlassnetError as exc:
        _one_line(exc)
        if any(not np.array_equal(a, b) for a, b in zip(before, net.get_weights())):
            raise Wrong("said so only after training had changed the weights") from None
        return
    raise Wrong("accepted silently")


@case("fit")
def one_optimizer_for_two_models(tmp: Path) -> None:
    X, y = _xy()
    opt = gn.Adam(0.01)
    a, b = _net(), _net()
    a.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=1)
    before = b.get_weights()
    try:
        b.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=1)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    # accepted: then b must have trained as with a fresh Adam continuing nothing of a's state
    c = _net()
    c.set_weights(before)
    fresh = gn.Adam(0.01)
    fresh.iterations = 0
    c.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.01), epochs=1)
    if any(not np.allclose(p, q) for p, q in zip(b.get_weights(), c.get_weights())):
        raise Wrong("the second model trained on the first model's optimizer state")


@case("fit")
def bce_targets_outside_zero_one(tmp: Path) -> None:
    X, _ = _xy()
    net = gn.Sequential([gn.Dense(3, 1, rng=0)])
    refuses(lambda: net.fit(X, np.full((40, 1), 3.0), loss="bce", optimizer="sgd", epochs=1))


@case("fit")
def masked_arrays(tmp: Path) -> None:
    X, y = _xy()
    Xm = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    Xm.mask[0, 0] = True
    Xm.data[0, 0] = 1e300
    try:
        _net().fit(Xm, y, loss="cross_entropy", optimizer=gn.SGD(0.1), epochs=1)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    raise Wrong("trained on the masked value")


@case("fit")
def fit_seed_minus_one(tmp: Path) -> None:
    refuses(lambda: _fit(seed=-1))


@case("fit")
def fit_seed_text(tmp: Path) -> None:
    refuses(lambda: _fit(seed="abc"))


@case("predict")
def predict_batch_size_zero(tmp: Path) -> None:
    refuses(lambda: _net().predict(np.ones((3, 3)), batch_size=0))


@case("predict")
def predict_batch_size_minus_one(tmp: Path) -> None:
    refuses(lambda: _net().predict(np.ones((3, 3)), batch_size=-1))


@case("predict")
def predict_batch_size_none(tmp: Path) -> None:
    try:
        _net().predict(np.ones((3, 3)), batch_size=None)  # type: ignore[arg-type]
    except gn.GlassnetError as exc:
        _one_line(exc)


@case("predict")
def predict_batch_size_two_and_a_half(tmp: Path) -> None:
    refuses(lambda: _net().predict(np.ones((3, 3)), batch_size=2.5))  # type: ignore[arg-type]


@case("predict")
def predict_at_the_float64_maximum(tmp: Path) -> None:
    out = _net().predict(np.full((2, 3), 1.7e308))
    if not np.all(np.isfinite(out)):
        raise Wrong("non-finite outputs for finite inputs")


@case("predict")
def predict_at_minus_the_float64_maximum(tmp: Path) -> None:
    out = _net().predict(np.full((2, 3), -1.7e308))
    if not np.all(np.isfinite(out)):
        raise Wrong("non-finite outputs for finite inputs")


@case("predict")
def float32_model_given_huge_float64(tmp: Path) -> None:
    net = _net().astype("float32")
    try:
        out = net.predict(np.full((2, 3), 1e300))
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    if not np.all(np.isfinite(out)):
        raise Wrong("non-finite outputs")


@case("predict")
def predict_proba_at_huge_logits(tmp: Path) -> None:
    net = gn.Sequential([gn.Dense(3, 2, rng=0)])
    net.loss = gn.CrossEntropy()
    net.layers[0].params["weight"][...] = [[1e308, -1e308], [0, 0], [0, 0]]
    p = net.predict_proba(np.array([[1.0, 0, 0], [-1.0, 0, 0]]))
    if not (np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)):
        raise Wrong("probabilities are not finite rows summing to 1")


@case("predict")
def cross_entropy_at_huge_logits(tmp: Path) -> None:
    # the label's logit is the largest: the true loss is 0; the other label's is beyond float64
    loss = gn.CrossEntropy()
    right = loss.forward(np.array([[1e308, -1e308]]), np.array([0]))
    beyond = loss.forward(np.array([[1e308, -1e308]]), np.array([1]))
    if right != 0.0 or beyond != np.inf:
        raise Wrong(f"losses {right}, {beyond}; expected 0 and inf (2e308 is beyond float64)")


@case("predict")
def bce_at_huge_logits(tmp: Path) -> None:
    # two terms of 1e308 each: their mean, 1e308, is a float64 even though their sum is not
    value = gn.BinaryCrossEntropy().forward(np.array([[1e308], [-1e308]]), np.array([[0.0], [1.0]]))
    if not np.isclose(value, 1e308, rtol=1e-12):
        raise Wrong(f"loss {value}, expected 1e308")


@case("predict")
def softmax_at_huge_inputs(tmp: Path) -> None:
    out = gn.Softmax().forward(np.array([[1e308, -1e308, 0.0]]))
    if not (np.all(np.isfinite(out)) and np.isclose(out.sum(), 1.0)):
        raise Wrong(f"softmax {out}")


# ---------------------------------------------------------------- numerics and the glass


@case("numerics")
def divergence_before_overflow(tmp: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)) * 10  # unscaled inputs, a large rate: SGD(10) explodes
    y = X @ rng.standard_normal((5, 1))
    net = gn.Sequential([gn.Dense(5, 1, rng=0)])
    start = net.get_weights()
    try:
        hist = net.fit(X, y, loss="mse", optimizer=gn.SGD(10), epochs=40)
    except gn.TrainingDivergedError as exc:
        _one_line(exc)
        if "10" not in str(exc):
            raise Wrong("the message does not name the learning rate set (10)") from None
        if any(not np.array_equal(a, b) for a, b in zip(start, net.get_weights())):
            raise Wrong("the weights were not restored") from None
        return
    if max(hist.loss) > 1e6 * hist.loss[0]:
        raise Wrong(f"the loss grew from {hist.loss[0]:.3g} to {max(hist.loss):.3g} in silence")


class _NaNWeightGrad(gn.Dense):
    """A Dense whose weight gradient comes out NaN (its input gradient is right)."""

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        dx = super().backward(grad, input_grad=input_grad)
        self.grads["weight"][...] = np.nan
        return dx


class _NaNInputGrad(gn.Layer):
    """A layer of one's own whose input gradient is NaN."""

    kind = "NaNInputGrad"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x * 2.0

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * np.nan


@case("numerics")
def gradcheck_of_nan_weight_gradients(tmp: Path) -> None:
    layer = _NaNWeightGrad(3, 2, rng=0)
    if gn.gradcheck(layer, np.ones((2, 3))).ok:
        raise Wrong("NaN weight gradients reported ok")


@case("numerics")
def gradcheck_of_nan_input_gradients(tmp: Path) -> None:
    if gn.gradcheck(_NaNInputGrad(), np.ones((2, 3))).ok:
        raise Wrong("NaN input gradients reported ok")


@case("numerics")
def gradcheck_eps_zero(tmp: Path) -> None:
    refuses(lambda: gn.gradcheck(gn.Tanh(), np.ones((2, 3)), eps=0))


@case("numerics")
def gradcheck_cross_entropy_labels_out_of_range(tmp: Path) -> None:
    refuses(lambda: gn.gradcheck(gn.CrossEntropy(), np.ones((2, 3)), np.array([0, 7])))


@case("numerics")
def diagnose_max_samples_zero(tmp: Path) -> None:
    X, y = _xy()
    net = _net()
    net.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.1), epochs=1)
    refuses(lambda: gn.diagnose(net, X, y, max_samples=0))


@case("numerics")
def explain_seed_2_to_the_40(tmp: Path) -> None:
    refuses(lambda: gn.explain(seed=2**40))


def _eight_threads(call: Callable[[Any], Any], same: Callable[[Any, Any], bool]) -> None:
    """Eight threads make the same calls in different orders; every answer must be the one a
    single thread gets."""
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((n, 20)), rng.integers(0, 2, n)) for n in range(300, 1100, 20)]
    want = [call(b) for b in batches]
    wrong: list[int] = []

    def worker(k: int) -> None:
        for i in range(len(batches)):
            j = (i * 7 + k) % len(batches)
            if not same(call(batches[j]), want[j]):
                wrong.append(j)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if wrong:
        raise Wrong(f"{len(wrong)} of {8 * len(batches)} answers wrong")


def _wide() -> gn.Sequential:
    net = gn.Sequential([gn.Dense(20, 64, rng=0), gn.Tanh(), gn.Dense(64, 2, rng=1)])
    net.loss = gn.CrossEntropy()
    return net


@case("numerics")
def evaluate_from_eight_threads(tmp: Path) -> None:
    net = _wide()
    _eight_threads(lambda b: net.evaluate(*b)["loss"], lambda a, b: a == b)


@case("numerics")
def predict_from_eight_threads(tmp: Path) -> None:
    net = _wide()
    _eight_threads(lambda b: net.predict(b[0]), np.array_equal)


@case("numerics")
def predict_proba_from_eight_threads(tmp: Path) -> None:
    net = _wide()
    _eight_threads(lambda b: net.predict_proba(b[0]), np.array_equal)


# ---------------------------------------------------------------- the second pass: neighbours


@case("neighbours")
def momentum_turned_off_after_training_then_saved(tmp: Path) -> None:
    def edit(m: gn.Sequential) -> None:
        X, y = _xy()
        m.fit(X, y, optimizer=gn.SGD(0.1, momentum=0.9), epochs=1)
        assert m.optimizer is not None
        m.optimizer.momentum = 0.0

    _save_keeps_old(tmp, edit)


@case("neighbours")
def nesterov_turned_on_after_construction_then_saved(tmp: Path) -> None:
    def edit(m: gn.Sequential) -> None:
        m.optimizer = gn.SGD(0.1)
        m.optimizer.nesterov = True

    _save_keeps_old(tmp, edit)


@case("neighbours")
def momentum_set_to_text(tmp: Path) -> None:
    refuses(lambda: setattr(gn.SGD(0.1), "momentum", "0.9"))


@case("neighbours")
def learning_rate_ten_to_the_400(tmp: Path) -> None:
    refuses(lambda: gn.SGD(10**400))


@case("neighbours")
def validation_split_ten_to_the_400(tmp: Path) -> None:
    X, y = _xy()
    refuses(lambda: _net().fit(X, y, loss="cross_entropy", optimizer="sgd",
                               validation_split=10**400))  # fmt: skip


@case("neighbours")
def early_stopping_min_delta_ten_to_the_400(tmp: Path) -> None:
    refuses(lambda: gn.EarlyStopping(min_delta=10**400))


def _loads_and_saves_again(tmp: Path, path: Path) -> None:
    """A model file `load` reads can be written again by `save` (or load refuses it)."""
    try:
        back = gn.load(path)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    try:
        back.save(tmp / "again.npz")
    except gn.GlassnetError:
        raise Wrong("load read a file whose model save then refuses") from None


@case("neighbours")
def extras_name_that_is_a_number(tmp: Path) -> None:
    _, path = _trained(tmp)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        manifest["extras"] = [5]
        manifest["arrays"]["extra.5"] = {}
        members["extra.5.npy"] = _npy(np.ones(2))

    _rewrite(path, edit)
    _loads_and_saves_again(tmp, path)


@case("neighbours")
def a_member_twice_in_the_archive(tmp: Path) -> None:
    _, path = _trained(tmp)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")
        zf.writestr("manifest.json", b'{"format": "glassnet-model"}')
        for name, blob in members.items():
            zf.writestr(name, blob)
    refuses(lambda: gn.load(path))


@case("neighbours")
def an_optimizer_kind_5000_characters_long(tmp: Path) -> None:
    _, path = _trained(tmp)
    _rewrite(path, lambda manifest, members: manifest["optimizer"].update(kind="x" * 5000))
    refuses(lambda: gn.load(path))


@case("neighbours")
def astype_from_a_callback_mid_fit(tmp: Path) -> None:
    class Astype(gn.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> None:
            if epoch == 0:
                model.astype(np.float32)

    X, y = _xy()
    net = _net()
    try:
        history = net.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.05), epochs=5,
                          batch_size=8, seed=0, callbacks=[Astype()])  # fmt: skip
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    now = net.evaluate(X, y)["loss"]
    if abs(now - history.history["loss"][-1]) > 0.1:
        raise Wrong(
            f"history ends at loss {history.history['loss'][-1]:.3f}; the model is at {now:.3f}"
        )


@case("neighbours")
def bce_of_a_confident_logit_beside_a_wrong_one(tmp: Path) -> None:
    # max(1e17, 0) − 1e17·1 = 0 and 1 + log(1 + e^−1) for the second: the mean is 0.6566...
    value = gn.BinaryCrossEntropy().forward(np.array([[1e17], [1.0]]), np.array([[1.0], [0.0]]))
    if not np.isclose(value, (1.0 + np.log1p(np.exp(-1.0))) / 2, rtol=1e-12):
        raise Wrong(f"loss {value}, expected 0.6566")


@case("neighbours")
def bce_at_opposite_extremes_beside_an_ordinary_logit(tmp: Path) -> None:
    z, y = np.array([[-1e308], [1e308], [1.0]]), np.array([[0.0], [1.0], [0.0]])
    value = gn.BinaryCrossEntropy().forward(z, y)
    if not np.isclose(value, (1.0 + np.log1p(np.exp(-1.0))) / 3, rtol=1e-12):
        raise Wrong(f"loss {value}, expected 0.4378")


@case("neighbours")
def evaluate_one_hot_rows_at_opposite_extremes(tmp: Path) -> None:
    net = gn.Sequential([gn.Dense(2, 2, rng=0)])
    net.layers[0].params["weight"][...] = [[1e308, -1e308], [0, 0]]
    got = net.evaluate(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), loss="cross_entropy")
    if got["loss"] != 0.0:  # as with the label 0: the right class, certain
        raise Wrong(f"loss {got['loss']}, expected 0.0 (as with the label 0)")


# ---------------------------------------------------------------- the estimators


def _estimators() -> Any:
    from glassnet.estimators import NeuralNetClassifier, NeuralNetRegressor

    return NeuralNetClassifier, NeuralNetRegressor


def _quiet_fit(est: Any, X: Any, y: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|Maximum iterations).*")
        return est.fit(X, y, **kwargs)


def _regressor_on(y: np.ndarray) -> None:
    """A regressor fit on these (huge) targets refuses them in one line or predicts finitely."""
    _, Reg = _estimators()
    X, _ = _xy()
    try:
        reg = _quiet_fit(Reg(hidden_layer_sizes=(4,), max_iter=5, random_state=0), X, y)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    if not np.all(np.isfinite(reg.predict(X))):
        raise Wrong("infinite predictions")


@case("estimators")
def regressor_on_y_of_1e200(tmp: Path) -> None:
    _regressor_on(np.linspace(-1e200, 1e200, 40))


@case("estimators")
def regressor_on_float32_y_of_1e38(tmp: Path) -> None:
    _regressor_on(np.linspace(-3e38, 3e38, 40).astype(np.float32))


@case("estimators")
def regressor_divergence_names_the_rate_set(tmp: Path) -> None:
    _, Reg = _estimators()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 4)) * 1e4
    y = X.sum(axis=1)
    try:
        _quiet_fit(Reg(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1.0,
                       max_iter=30, random_state=0), X, y)  # fmt: skip
    except gn.TrainingDivergedError as exc:
        _one_line(exc)
        if "it was 1" not in str(exc) and "learning_rate_init=1" not in str(exc):
            raise Wrong(f"names another rate: {exc}") from None
        return
    except gn.GlassnetError as exc:
        _one_line(exc)


@case("estimators")
def partial_fit_with_no_classes(tmp: Path) -> None:
    Clf, _ = _estimators()
    X, y = _xy()
    refuses(lambda: Clf(hidden_layer_sizes=(4,)).partial_fit(X, y, classes=[]))


@case("estimators")
def partial_fit_with_nan_among_the_classes(tmp: Path) -> None:
    Clf, _ = _estimators()
    X, y = _xy()
    refuses(lambda: Clf(hidden_layer_sizes=(4,)).partial_fit(X, y, classes=[0.0, np.nan]))


@case("estimators")
def regressor_y_as_numeric_strings(tmp: Path) -> None:
    _, Reg = _estimators()
    X, _ = _xy()
    y = np.array([str(v) for v in np.linspace(0, 1, 40)])
    try:
        reg = _quiet_fit(Reg(hidden_layer_sizes=(4,), max_iter=20, random_state=0), X, y)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    if not np.issubdtype(reg.predict(X).dtype, np.floating):
        raise Wrong("predictions are not numbers")


@case("estimators")
def warm_start_with_other_hidden_sizes(tmp: Path) -> None:
    Clf, _ = _estimators()
    X, y = _xy()
    clf = _quiet_fit(Clf(hidden_layer_sizes=(4,), max_iter=5, warm_start=True, random_state=0),
                     X, y)  # fmt: skip
    clf.set_params(hidden_layer_sizes=(7,))
    try:
        _quiet_fit(clf, X, y)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    widths = (
        [w.shape[1] for w in clf.coefs_]
        if hasattr(clf, "coefs_")
        else [layer.n_out for layer in clf.network_.dense_layers]
    )
    if widths[0] != 7:
        raise Wrong(f"kept the old hidden sizes: {widths}")


@case("estimators")
def classifier_load_with_reversed_classes(tmp: Path) -> None:
    Clf, _ = _estimators()
    X, y = _xy()
    clf = _quiet_fit(Clf(hidden_layer_sizes=(4,), max_iter=20, random_state=0), X, y)
    path = tmp / "clf.npz"
    clf.save(path)

    def edit(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        text = json.dumps(manifest["metadata"])
        meta = json.loads(text)
        est = meta.get("estimator", meta)
        for key in ("classes", "classes_"):
            if key in est:
                est[key] = list(reversed(est[key]))
        manifest["metadata"] = meta

    _rewrite(path, edit)
    try:
        back = Clf.load(path)
    except gn.GlassnetError as exc:
        _one_line(exc)
        return
    if not np.array_equal(back.predict(X), clf.predict(X)):
        raise Wrong("loaded with flipped predictions")


@case("estimators")
def classifier_on_labels_mixing_strings_and_numbers(tmp: Path) -> None:
    X, _ = _xy()
    Clf = _estimators()[0]
    y = np.array(["a", 1] * 20, dtype=object)
    refuses(lambda: _quiet_fit(Clf(hidden_layer_sizes=(4,), max_iter=3), X, y))


@case("estimators")
def classifier_on_bytes_labels(tmp: Path) -> None:
    X, _ = _xy()
    Clf = _estimators()[0]
    refuses(lambda: _quiet_fit(Clf(hidden_layer_sizes=(4,), max_iter=3), X,
                               np.array([b"no", b"yes"] * 20)))  # fmt: skip


def _bad_estimator_input(method: str, which: int, X: Any, y: Any = None) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        est = _estimators()[which](hidden_layer_sizes=(4,), max_iter=3, random_state=0)
        Xg, yg = _xy()
        if method in ("predict", "score"):
            _quiet_fit(est, Xg, yg if which == 0 else yg.astype(float))
            call = (lambda: est.predict(X)) if method == "predict" else (lambda: est.score(X, y))
        else:
            call = lambda: _quiet_fit(est, X, y)  # noqa: E731
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*(converge|Maximum iterations).*")
                call()
        except gn.GlassnetError as exc:
            _one_line(exc)
            return
        except ValueError as exc:  # scikit-learn's own message
            text = str(exc)
            if "\n" in text or len(text) > 300:
                raise RuntimeError(f"multi-line or dumping message ({len(text)} chars)") from None
            raise RuntimeError(f"scikit-learn's message, not glassnet's: {text[:60]}") from None
        raise Wrong("accepted silently")

    return run


_X, _Y = _xy()
for _which, _name in ((0, "classifier"), (1, "regressor")):
    _y = _Y if _which == 0 else _Y.astype(float)
    for _label, _args in {
        "empty_X": (np.empty((0, 3)), np.empty(0)),
        "1d_X": (np.ones(40), _y),
        "3d_X": (np.ones((40, 3, 1)), _y),
        "nan_X": (np.where(np.eye(40, 3) > 0, np.nan, _X), _y),
        "inf_X": (np.where(np.eye(40, 3) > 0, np.inf, _X), _y),
        "string_X": (np.array([["a", "b", "c"]] * 40), _y),
        "complex_X": (_X + 1j, _y),
        "object_X": (np.array([[{}, 1, 2]] * 40, dtype=object), _y),
        "short_y": (_X, _y[:30]),
        "nan_y": (_X, np.where(np.arange(40) == 3, np.nan, _y.astype(float))),
        "2d_y_three_columns_of_nan": (_X, np.full((40, 3), np.nan)),
    }.items():
        CASES.append(
            (f"estimators-{_name}", f"fit_{_label}", _bad_estimator_input("fit", _which, *_args))
        )
    for _label, _Xbad in {
        "wrong_width": np.ones((5, 4)),
        "nan": np.full((5, 3), np.nan),
        "strings": np.array([["x", "y", "z"]] * 5),
        "complex": np.ones((5, 3)) + 1j,
    }.items():
        CASES.append(
            (
                f"estimators-{_name}",
                f"predict_{_label}",
                _bad_estimator_input("predict", _which, _Xbad),
            )
        )


# ---------------------------------------------------------------- running


def run_case(fn: Callable[[Path], Any], timeout: float) -> tuple[Outcome, str]:
    result: dict[str, Any] = {}

    def target() -> None:
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                fn(Path(tmp))
                result["outcome"], result["detail"] = "clean", ""
            except Wrong as exc:
                result["outcome"], result["detail"] = "wrong", str(exc)
            except Exception as exc:
                text = str(exc).splitlines()[0][:100] if str(exc) else ""
                result["outcome"], result["detail"] = "crash", f"{type(exc).__name__}: {text}"
            leaked = [w for w in seen if not issubclass(w.category, DeprecationWarning)]
            if leaked and result["outcome"] == "clean":
                w = leaked[0]
                result["outcome"] = "noisy"
                result["detail"] = f"{w.category.__name__}: {str(w.message)[:80]}"

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return "hang", f"no answer in {timeout:g} s"
    return result["outcome"], result["detail"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("-k", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    rows = []
    for group, name, fn in CASES:
        if args.k and args.k not in name:
            continue
        outcome, detail = run_case(fn, args.timeout)
        rows.append({"group": group, "case": name, "outcome": outcome, "detail": detail})
        if not args.json:
            print(f"{outcome:6} {group:22} {name:48} {detail}", flush=True)
    totals = {k: sum(r["outcome"] == k for r in rows) for k in ("clean", "wrong", "crash", "hang",
                                                                "noisy")}  # fmt: skip
    if args.json:
        print(json.dumps({"cases": len(rows), "totals": totals, "rows": rows}, indent=1))
    else:
        print(f"\n{len(rows)} cases: " + ", ".join(f"{v} {k}" for k, v in totals.items()))
    sys.stdout.flush()
    os._exit(0)  # a hung case's thread may still be waiting (a FIFO): leave without it


if __name__ == "__main__":
    main(sys.argv[1:])
