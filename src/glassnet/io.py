"""Model files: one `.npz` (a zip) holding ``manifest.json`` and one ``.npy`` per array.

Loading never unpickles and never runs code from the file: the manifest is JSON, every array is
read with ``allow_pickle=False`` after its SHA-256 is checked, and the architecture is rebuilt
only from a fixed table of layer kinds. Anything unexpected raises `ModelFileError` naming the
file and the problem, before any model is returned. Saving writes a temporary file beside the
target and renames it into place, so a crash never leaves half a model behind.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import math
import re
import zipfile
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import losses as _losses
from . import optimizers as _optimizers
from ._typing import Array, Network
from .activations import ACTIVATIONS
from .errors import GlassnetError, ModelFileError
from .files import as_path, atomic_write, not_replaceable, reason
from .layers import Dense, Dropout, Layer
from .validation import shown

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_MAX_MANIFEST = 16 * 2**20  # bytes
_MAX_ARRAY = 4 * 2**30
_ARRAY_KINDS = "fiub"  # floats, integers, booleans: never objects
_MAX_NAME = 128
_NAME = re.compile(rf"^[A-Za-z0-9_.-]{{1,{_MAX_NAME}}}$")
#: the most layers a model file may hold (loading each costs time; real networks have dozens)
MAX_LAYERS = 10_000
#: how deeply metadata may nest (JSON's own parser stops near the recursion limit)
MAX_DEPTH = 100
_MAX_INT_BITS = 13_000  # about 3,900 decimal digits: Python parses at most 4,300

#: the model `load` builds (a `Sequential`)
Model = TypeVar("Model", bound=Network)

LAYER_KINDS: dict[str, type[Layer]] = {
    "Dense": Dense,
    "Dropout": Dropout,
    **{cls.kind: cls for cls in ACTIVATIONS.values()},
}


def _array_bytes(a: Array) -> bytes:
    buf = _io.BytesIO()
    # as it is: `np.ascontiguousarray` would turn a 0-d array into shape (1,)
    np.lib.format.write_array(buf, a, allow_pickle=False)
    return buf.getvalue()


def save(model: Network, path: str | PathLike[str], *, include_optimizer: bool = True) -> None:
    """Write `model` to `path` atomically (a temporary file, then a rename).

    Everything is checked before the path is touched: a model that `load` would refuse (NaN
    weights, extras or metadata a model file cannot hold exactly, too many layers) raises
    GlassnetError and leaves an existing file as it was.

    Parameters
    ----------
    model : Sequential
    path : str or path-like
        The file to write, conventionally ending in ``.npz``; replaced if it exists. A
        directory, a pipe (FIFO), a socket or a name longer than 255 bytes is refused.
    include_optimizer : bool, default True
        Also store the optimizer's configuration and state, so that training resumes exactly.

    Raises
    ------
    GlassnetError
        The model cannot be stored exactly (the message says what); ModelFileError when the
        path cannot be written.
    """
    target = as_path(path)
    problem = not_replaceable(target)
    if problem is not None:
        raise ModelFileError(f"cannot write model file '{target}': {problem}")
    if len(model.layers) > MAX_LAYERS:
        raise GlassnetError(
            f"cannot save a model of {len(model.layers)} layers; model files hold at most "
            f"{MAX_LAYERS:,}"
        )
    arrays: dict[str, Array] = {}
    layers = []
    for i, layer in enumerate(model.layers):
        names = {}
        for key, p in layer.params.items():
            if not np.isfinite(p).all():
                raise GlassnetError(
                    f"cannot save: layer {i + 1}'s {key} holds NaN or infinite values"
                )
            names[key] = f"layer{i}.{key}"
            arrays[names[key]] = p
        layers.append({"kind": layer.kind, "config": layer.get_config(), "params": names})
    optimizer = None
    if include_optimizer and model.optimizer is not None:
        opt = model.optimizer
        try:  # settings changed after construction (nesterov without momentum, a beta of 1)
            _optimizers.from_config(opt.kind, opt.get_config())
        except (GlassnetError, TypeError, ValueError, KeyError) as exc:
            raise GlassnetError(
                f"cannot save: the optimizer {opt!r} could not be rebuilt from its settings "
                f"({exc}); save with include_optimizer=False to keep the weights alone"
            ) from None
        state = opt.state_dict()
        slots = {}
        for slot, values in state["slots"].items():
            if not all(np.isfinite(v).all() for v in values):
                raise GlassnetError(
                    f"cannot save: the optimizer's state '{slot}' holds NaN or infinite values; "
                    "save with include_optimizer=False to keep the weights alone"
                )
            slots[slot] = [f"optimizer.{slot}.{j}" for j in range(len(values))]
            arrays.update(zip(slots[slot], values))
        optimizer = {
            "kind": opt.kind,
            "config": opt.get_config(),
            "iterations": state["iterations"],
            "epoch": state["epoch"],
            "slots": slots,
        }
    arrays.update(_extras(model.extras))
    if not isinstance(model.metadata, dict):
        raise GlassnetError(f"model metadata must be a dict, got {type(model.metadata).__name__}")
    exact_json(model.metadata, "metadata")
    blobs = {name: _array_bytes(a) for name, a in arrays.items()}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "dtype": str(model.dtype),
        "layers": layers,
        "loss": None if model.loss is None else model.loss.kind,
        "optimizer": optimizer,
        "metadata": model.metadata,
        "extras": sorted(model.extras),
        "arrays": {
            name: {"sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob)}
            for name, blob in blobs.items()
        },
    }
    try:
        text = json.dumps(manifest, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise GlassnetError(f"model metadata must be JSON-serializable: {exc}") from None
    size = len(text.encode("utf-8"))
    if size > _MAX_MANIFEST:
        raise GlassnetError(
            f"cannot save: the manifest (architecture and metadata) would take {size:,} bytes, "
            f"over the {_MAX_MANIFEST:,} a model file allows; keep large data in extras"
        )
    _atomic_write(Path(target), lambda f: _write_zip(f, text, blobs))


def _extras(extras: Any) -> dict[str, Array]:
    """The model's extras as the arrays a model file stores, or a GlassnetError saying which
    one a model file cannot hold exactly (a name outside [A-Za-z0-9_.-], not numbers)."""
    if not isinstance(extras, dict):
        raise GlassnetError(f"model extras must be a dict, got {type(extras).__name__}")
    arrays = {}
    for name, value in extras.items():
        if not isinstance(name, str) or not _NAME.match(f"extra.{name}"):
            raise GlassnetError(
                f"cannot save extras[{name!r}]: an extras name must be 1 to {_MAX_NAME - 6} of "
                "the characters A-Z a-z 0-9 _ . -"
            )
        try:
            a = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise GlassnetError(f"cannot save extras[{name!r}]: not an array ({exc})") from None
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.hasobject or a.dtype.fields is not None:
            raise GlassnetError(
                f"cannot save extras[{name!r}]: its dtype is {a.dtype}, but model files hold "
                "only arrays of numbers (float, int, unsigned int, bool)"
            )
        if a.nbytes > _MAX_ARRAY:
            raise GlassnetError(
                f"cannot save extras[{name!r}]: {a.nbytes:,} bytes, over the {_MAX_ARRAY:,} "
                "an array in a model file may hold"
            )
        arrays[f"extra.{name}"] = a
    return arrays


def exact_json(value: Any, where: str, depth: int = 0) -> None:
    """Raise a GlassnetError unless JSON holds `value` exactly: dicts with str keys, lists,
    str, int, finite float, bool and None, nested at most `MAX_DEPTH` deep. (A tuple would
    come back as a list, an int key as a str, NaN not at all.)"""
    if depth > MAX_DEPTH:
        top = where.split("[", 1)[0]  # the path itself would be MAX_DEPTH levels long
        raise GlassnetError(f"model {top} is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (str, bool)):
        return
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            raise GlassnetError(f"model {where} holds an integer of over 4,000 digits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise GlassnetError(f"model {where} holds {value}, which JSON cannot hold")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            exact_json(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise GlassnetError(
                    f"model {where} has the key {key!r}; JSON keys are strings only"
                )
            exact_json(item, f"{where}[{key!r}]", depth + 1)
        return
    raise GlassnetError(
        f"model {where} holds a {type(value).__name__} ({shown(value, 60)}), which JSON cannot "
        "hold exactly; use dict, list, str, int, float, bool or None"
    )


def _write_zip(f: Any, manifest: str, blobs: dict[str, bytes]) -> None:
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST, manifest)
        for name, blob in blobs.items():
            zf.writestr(name + ".npy", blob)


def _atomic_write(target: Path, write: Any) -> None:
    """Write the model file all at once (`glassnet.files.atomic_write`), or say why not."""
    try:
        atomic_write(target, write)
    except OSError as exc:
        raise ModelFileError(f"cannot write model file '{target}': {reason(exc)}") from None


# ---------------------------------------------------------------------------- loading


class _Reader:
    """Reads and verifies one model file; every problem becomes a ModelFileError."""

    def __init__(self, path: str | PathLike[str]) -> None:
        self.path = str(path)
        self.used: set[str] = set()  # the arrays built into the model so far

    def fail(self, problem: str) -> ModelFileError:
        # cut: a problem may quote a value from the file (a name thousands of characters long)
        if len(problem) > 300:
            problem = problem[:297] + "..."
        return ModelFileError(f"cannot load model file '{self.path}': {problem}")

    def open(self) -> zipfile.ZipFile:
        p = Path(self.path)
        try:
            if p.is_dir():
                raise self.fail("it is a directory")
            if p.stat().st_size == 0:
                raise self.fail("the file is empty")
            return zipfile.ZipFile(p)
        except ModelFileError:
            raise
        except FileNotFoundError:
            raise self.fail("no such file") from None
        except PermissionError:
            raise self.fail("permission denied") from None
        except zipfile.BadZipFile:
            raise self.fail(
                "not a glassnet model (not an .npz/zip archive, or truncated)"
            ) from None
        except OSError as exc:
            raise self.fail(exc.strerror or str(exc)) from None
        except Exception as exc:  # NotImplementedError, ValueError, ... from a damaged directory
            raise self.fail(f"not a readable zip archive ({type(exc).__name__}: {exc})") from None

    def member(self, zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise self.fail(f"'{name}' is missing from the archive") from None
        if info.file_size > limit:
            raise self.fail(f"'{name}' is implausibly large ({info.file_size} bytes)")
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            # `save` never compresses: refusing it means a small file can never inflate into
            # gigabytes (a zip bomb); memory use stays bounded by the file's own size
            raise self.fail(f"'{name}' is compressed, but glassnet stores every member as is")
        try:
            return zf.read(info)
        except Exception as exc:  # BadZipFile, zlib.error and friends from a damaged stream
            raise self.fail(f"'{name}' is corrupt ({type(exc).__name__}: {exc})") from None

    def manifest(self, zf: zipfile.ZipFile) -> dict[str, Any]:
        names = zf.namelist()
        if MANIFEST not in names:
            raise self.fail("no manifest.json inside: this .npz was not written by glassnet")
        if len(set(names)) != len(names):  # which copy counts would depend on the reader
            twice = sorted({n for n in names if names.count(n) > 1})
            raise self.fail(f"the archive holds {twice[0]!r} more than once")
        raw = self.member(zf, MANIFEST, _MAX_MANIFEST)
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # also an integer of thousands of digits
            raise self.fail(f"manifest.json is not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise self.fail("manifest.json does not describe a glassnet model")
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise self.fail(
                f"format version {version!r} is not supported; this glassnet reads version "
                f"{FORMAT_VERSION}"
            )
        return manifest

    def array(self, zf: zipfile.ZipFile, manifest: dict[str, Any], name: str) -> Array:
        entry = _expect(manifest.get("arrays"), dict, self, "arrays").get(name)
        if not isinstance(name, str) or not _NAME.match(name) or not isinstance(entry, dict):
            raise self.fail(f"array {name!r} is not listed in the manifest")
        blob = self.member(zf, name + ".npy", _MAX_ARRAY)
        if hashlib.sha256(blob).hexdigest() != entry.get("sha256"):
            raise self.fail(f"array '{name}' fails its SHA-256 check (the file was modified)")
        return self.npy(name, blob)

    def claim(self, name: str) -> None:
        """Mark array `name` as built into the model: a second use fails, so that a file
        naming one array 400 times cannot make 400 copies of it (memory stays bounded by the
        file's size). Claimed after the checks of shape, so those speak first."""
        if name in self.used:
            raise self.fail(f"array '{name}' is used twice in the manifest")
        self.used.add(name)

    def npy(self, name: str, blob: bytes) -> Array:
        """Parse one .npy blob; its header must match its size before anything is allocated."""
        f = _io.BytesIO(blob)
        fmt = np.lib.format
        try:
            version = fmt.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f".npy format version {version} is not supported")
            if version == (1, 0):
                shape, fortran_order, dtype = fmt.read_array_header_1_0(f)
            else:
                shape, fortran_order, dtype = fmt.read_array_header_2_0(f)
        except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
            raise self.fail(f"array '{name}' has an unreadable header ({exc})") from None
        if dtype.kind not in _ARRAY_KINDS or dtype.hasobject:
            raise self.fail(f"array '{name}' has dtype {dtype}; model files hold only numbers")
        count = math.prod(shape)
        if len(blob) - f.tell() != count * dtype.itemsize:
            raise self.fail(
                f"array '{name}' claims shape {shape} of {dtype} ({count * dtype.itemsize} bytes) "
                f"but holds {len(blob) - f.tell()} bytes"
            )
        a = np.frombuffer(blob, dtype=dtype, count=count, offset=f.tell())
        return a.reshape(shape, order="F" if fortran_order else "C").copy()


def _is_plain(value: Any) -> bool:
    """Whether a configuration value is one `get_config` writes: a str, bool, int or a finite
    float (a manifest may spell NaN and Infinity, and 1e999 reads as infinity)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (int, bool, str))


def _finite(reader: _Reader, value: Array, what: str) -> Array:
    """`value`, unless it holds NaN or infinity: never loaded silently."""
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        raise reader.fail(f"{what} holds NaN or infinite values")
    return value


def _expect(value: Any, kind: type | tuple[type, ...], reader: _Reader, what: str) -> Any:
    if not isinstance(value, kind):
        raise reader.fail(f"manifest field '{what}' is malformed")
    return value


def load(path: str | PathLike[str], build: Callable[[list[Layer]], Model]) -> Model:
    """Read a model written by `save`: bit-identical predictions, optimizer state restored.

    `build` makes the model from its layers: `glassnet.load` passes `Sequential`, so that this
    module, below the network, never imports it.

    Raises
    ------
    ModelFileError
        The file is missing, empty, truncated, not a glassnet model, of another format version,
        modified (a checksum fails), or holds anything but numeric arrays.
    """
    reader = _Reader(path)
    with reader.open() as zf:
        manifest = reader.manifest(zf)
        try:
            return _build(reader, zf, manifest, build)
        except ModelFileError:
            raise
        except (
            GlassnetError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            ArithmeticError,
        ) as exc:
            raise reader.fail(f"the manifest is malformed ({type(exc).__name__}: {exc})") from None


def _build(
    reader: _Reader,
    zf: zipfile.ZipFile,
    manifest: dict[str, Any],
    build: Callable[[list[Layer]], Model],
) -> Model:
    dtype = np.dtype(manifest["dtype"])
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise reader.fail(f"dtype {dtype} is not float32 or float64")
    layers: list[Layer] = []
    specs = _expect(manifest.get("layers"), list, reader, "layers")
    if len(specs) > MAX_LAYERS:
        raise reader.fail(
            f"it lists {len(specs):,} layers; model files hold at most {MAX_LAYERS:,}"
        )
    for i, spec in enumerate(specs):
        spec = _expect(spec, dict, reader, f"layers[{i}]")
        cls = LAYER_KINDS.get(spec.get("kind"))
        if cls is None:
            raise reader.fail(f"layer {i + 1} has unknown kind {spec.get('kind')!r}")
        config = _expect(spec.get("config", {}), dict, reader, f"layers[{i}].config")
        if not all(_is_plain(v) for v in config.values()):
            raise reader.fail(f"layer {i + 1} has a malformed configuration {config!r}")
        names = _expect(spec.get("params", {}), dict, reader, "params")
        params = {key: reader.array(zf, manifest, name) for key, name in names.items()}
        if cls is Dense:
            w = params.get("weight")
            if w is None or w.shape != (config.get("n_in"), config.get("n_out")):
                raise reader.fail(f"layer {i + 1}'s weight does not match its configuration")
            layer: Layer = Dense(**config, init="zeros", dtype=dtype)
        else:
            layer = cls(**config)
        if set(params) != set(layer.params):
            raise reader.fail(f"layer {i + 1} ({spec['kind']}) has parameters {sorted(params)}")
        for key, value in params.items():
            if value.shape != layer.params[key].shape or value.dtype != dtype:
                raise reader.fail(
                    f"layer {i + 1}'s {key} has shape {value.shape} and dtype {value.dtype}, "
                    f"expected {layer.params[key].shape} and {dtype}"
                )
            reader.claim(names[key])
            layer.params[key][...] = _finite(reader, value, f"layer {i + 1}'s {key}")
        layers.append(layer)
    model = build(layers)

    loss_kind = manifest.get("loss")
    if loss_kind is not None:
        if loss_kind not in _losses.BY_KIND:
            raise reader.fail(f"unknown loss {loss_kind!r}")
        model.loss = _losses.BY_KIND[loss_kind]()
    opt_spec = manifest.get("optimizer")
    if opt_spec is not None:
        model.optimizer = _optimizer(reader, zf, manifest, opt_spec, model.parameters())
    model.metadata = _expect(manifest.get("metadata", {}), dict, reader, "metadata")
    for name in _expect(manifest.get("extras", []), list, reader, "extras"):
        if not isinstance(name, str):
            raise reader.fail(f"extras name {shown(name, 60)} is not a string")
        model.extras[name] = reader.array(zf, manifest, f"extra.{name}")
        reader.claim(f"extra.{name}")
    return model


def _optimizer(
    reader: _Reader,
    zf: zipfile.ZipFile,
    manifest: dict[str, Any],
    spec: Any,
    params: list[Array],
) -> _optimizers.Optimizer:
    """The optimizer a manifest describes, its state checked as the next `fit` will use it:
    the slots its kind keeps (all or none), one array per parameter of the same shape and
    dtype, finite, second moments never negative, counters integers in range."""
    spec = _expect(spec, dict, reader, "optimizer")
    config = _expect(spec["config"], dict, reader, "optimizer.config")
    schedule = _expect(config.get("schedule"), dict, reader, "optimizer.config.schedule")
    values = [*config.values(), *schedule.values()]
    if not all(v is None or v is schedule or _is_plain(v) for v in values):
        raise reader.fail(f"the optimizer has a malformed configuration {shown(config, 200)}")
    opt = _optimizers.from_config(spec["kind"], config)
    for counter in ("iterations", "epoch"):  # a negative step count breaks Adam's bias terms
        value = spec[counter]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**62:
            raise reader.fail(
                f"manifest field 'optimizer.{counter}' is malformed: {shown(value, 40)}, "
                "expected an integer >= 0"
            )
    names = _expect(spec["slots"], dict, reader, "optimizer.slots")
    slots = {}
    for slot, listed in names.items():
        listed = _expect(listed, list, reader, f"optimizer.slots.{slot}")
        if len(listed) != len(params):
            raise reader.fail(f"optimizer state '{slot}' does not match the parameters")
        values = []
        for j, (name, p) in enumerate(zip(listed, params)):
            value = reader.array(zf, manifest, name)
            if value.shape != p.shape or value.dtype != p.dtype:
                raise reader.fail(f"optimizer state '{slot}' does not match the parameters")
            reader.claim(name)
            values.append(value)
            _finite(reader, value, f"optimizer state '{slot}' {j}")
            if slot == "v" and (value < 0).any():  # a mean of squares, under a square root
                raise reader.fail(f"optimizer state 'v' {j} holds negative values")
        slots[slot] = values
    if slots and set(slots) != set(opt.slots):  # none yet, before the first step
        raise reader.fail(
            f"the optimizer's state holds {shown(sorted(slots), 80)}, but {opt.kind} keeps "
            f"{sorted(opt.slots)}"
        )
    opt.load_state_dict({"iterations": spec["iterations"], "epoch": spec["epoch"], "slots": slots})
    return opt


def read_manifest(path: str | PathLike[str]) -> dict[str, Any]:
    """The verified manifest alone (for `glassnet info`), without building the model."""
    reader = _Reader(path)
    with reader.open() as zf:
        return reader.manifest(zf)
