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
from .files import atomic_write, reason
from .layers import Dense, Dropout, Layer

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_MAX_MANIFEST = 16 * 2**20  # bytes
_MAX_ARRAY = 4 * 2**30
_ARRAY_KINDS = "fiub"  # floats, integers, booleans: never objects
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

#: the model `load` builds (a `Sequential`)
Model = TypeVar("Model", bound=Network)

LAYER_KINDS: dict[str, type[Layer]] = {
    "Dense": Dense,
    "Dropout": Dropout,
    **{cls.kind: cls for cls in ACTIVATIONS.values()},
}


def _array_bytes(a: Array) -> bytes:
    buf = _io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def save(model: Network, path: str | PathLike[str], *, include_optimizer: bool = True) -> None:
    """Write `model` to `path` atomically (a temporary file, then a rename).

    Parameters
    ----------
    model : Sequential
    path : str or path-like
        The file to write, conventionally ending in ``.npz``; replaced if it exists.
    include_optimizer : bool, default True
        Also store the optimizer's configuration and state, so that training resumes exactly.
    """
    arrays: dict[str, Array] = {}
    layers = []
    for i, layer in enumerate(model.layers):
        names = {}
        for key, p in layer.params.items():
            names[key] = f"layer{i}.{key}"
            arrays[names[key]] = p
        layers.append({"kind": layer.kind, "config": layer.get_config(), "params": names})
    optimizer = None
    if include_optimizer and model.optimizer is not None:
        opt = model.optimizer
        state = opt.state_dict()
        slots = {}
        for slot, values in state["slots"].items():
            slots[slot] = [f"optimizer.{slot}.{j}" for j in range(len(values))]
            arrays.update(zip(slots[slot], values))
        optimizer = {
            "kind": opt.kind,
            "config": opt.get_config(),
            "iterations": state["iterations"],
            "epoch": state["epoch"],
            "slots": slots,
        }
    for name, value in model.extras.items():
        arrays[f"extra.{name}"] = np.asarray(value)
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
    target = Path(path)
    _atomic_write(target, lambda f: _write_zip(f, text, blobs))


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

    def fail(self, problem: str) -> ModelFileError:
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
        if info.compress_type != zipfile.ZIP_STORED:
            # `save` never compresses: refusing it means a small file can never inflate into
            # gigabytes (a zip bomb); memory use stays bounded by the file's own size
            raise self.fail(f"'{name}' is compressed, but glassnet stores every member as is")
        try:
            return zf.read(info)
        except Exception as exc:  # BadZipFile, zlib.error and friends from a damaged stream
            raise self.fail(f"'{name}' is corrupt ({type(exc).__name__}: {exc})") from None

    def manifest(self, zf: zipfile.ZipFile) -> dict[str, Any]:
        if MANIFEST not in zf.namelist():
            raise self.fail("no manifest.json inside: this .npz was not written by glassnet")
        raw = self.member(zf, MANIFEST, _MAX_MANIFEST)
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
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
    for i, spec in enumerate(_expect(manifest.get("layers"), list, reader, "layers")):
        spec = _expect(spec, dict, reader, f"layers[{i}]")
        cls = LAYER_KINDS.get(spec.get("kind"))
        if cls is None:
            raise reader.fail(f"layer {i + 1} has unknown kind {spec.get('kind')!r}")
        config = _expect(spec.get("config", {}), dict, reader, f"layers[{i}].config")
        if any(not isinstance(v, (int, float, bool, str)) for v in config.values()):
            raise reader.fail(f"layer {i + 1} has a malformed configuration {config!r}")
        params = {
            key: reader.array(zf, manifest, name)
            for key, name in _expect(spec.get("params", {}), dict, reader, "params").items()
        }
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
            layer.params[key][...] = value
        layers.append(layer)
    model = build(layers)

    loss_kind = manifest.get("loss")
    if loss_kind is not None:
        if loss_kind not in _losses.BY_KIND:
            raise reader.fail(f"unknown loss {loss_kind!r}")
        model.loss = _losses.BY_KIND[loss_kind]()
    opt_spec = manifest.get("optimizer")
    if opt_spec is not None:
        opt = _optimizers.from_config(opt_spec["kind"], opt_spec["config"])
        slots = {
            slot: [reader.array(zf, manifest, name) for name in names]
            for slot, names in opt_spec["slots"].items()
        }
        shapes = [p.shape for p in model.parameters()]
        for slot, values in slots.items():
            if [v.shape for v in values] != shapes:
                raise reader.fail(f"optimizer state '{slot}' does not match the parameters")
        for counter in ("iterations", "epoch"):  # a negative step count breaks Adam's bias terms
            value = opt_spec[counter]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise reader.fail(
                    f"manifest field 'optimizer.{counter}' is malformed: {value!r}, expected an "
                    "integer >= 0"
                )
        opt.load_state_dict(
            {"iterations": opt_spec["iterations"], "epoch": opt_spec["epoch"], "slots": slots}
        )
        model.optimizer = opt
    model.metadata = _expect(manifest.get("metadata", {}), dict, reader, "metadata")
    for name in _expect(manifest.get("extras", []), list, reader, "extras"):
        model.extras[name] = reader.array(zf, manifest, f"extra.{name}")
    return model


def read_manifest(path: str | PathLike[str]) -> dict[str, Any]:
    """The verified manifest alone (for `glassnet info`), without building the model."""
    reader = _Reader(path)
    with reader.open() as zf:
        return reader.manifest(zf)
