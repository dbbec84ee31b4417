"""Standardization and label encoding learned on training data, stored in and read from a model.

`Preprocessing` turns a raw table into what the network trains on — features standardized to
mean 0 and standard deviation 1, class labels as indices 0..k−1, a regression target
standardized too — and back. It saves itself in the model file: names and labels in
``model.metadata["preprocessing"]`` (JSON), means and scales in ``model.extras`` (arrays), and
the table's `Schema` (how each column became features) in ``model.metadata["schema"]``, so a
model file alone turns a raw CSV row into a prediction in the data's own units.
`Predictor` pairs a model with its preprocessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import losses as _losses
from ._typing import Array, Task
from .errors import DataError, ModelFileError
from .network import Sequential
from .schema import Schema
from .tables import is_number

__all__ = ["Predictor", "Preprocessing"]

METADATA_KEY = "preprocessing"
SCHEMA_KEY = "schema"
_EXTRAS = ("feature_mean", "feature_scale", "target_mean", "target_scale")


@dataclass
class Preprocessing:
    """What `glassnet train` learned about the data besides the weights.

    Attributes
    ----------
    features : list of str or None, length n_features
        The feature columns, in the order of the network's inputs; None when unknown (a model
        built in Python): then a CSV must hold exactly n_features columns, in order.
    target : str or None
        The target column's name.
    task : {"classification", "regression"}
    classes : list of str or None
        Class labels as text, ``classes[k]`` being the label of output k; None for regression.
    mean, scale : ndarray of shape (n_features,), float64
        Standardization: the network sees ``(X - mean) / scale``.
    target_mean, target_scale : float
        Regression only: the network predicts ``(y - target_mean) / target_scale``.
    schema : Schema or None
        How the columns of a table became ``features`` (`glassnet.schema`); None for a model
        saved without one, whose features are the table's columns, numbers all.
    """

    features: list[str] | None
    target: str | None
    task: Task
    classes: list[str] | None
    mean: Array
    scale: Array
    target_mean: float = 0.0
    target_scale: float = 1.0
    schema: Schema | None = None

    # ------------------------------------------------------------------ learning

    @classmethod
    def fit(
        cls,
        X: Array,
        y: Array,
        *,
        features: Sequence[str],
        target: str,
        task: Task,
        classes: Sequence[str] | None = None,
        source: str = "the data",
    ) -> Preprocessing:
        """Learn the standardization of ``X`` (and of ``y`` for regression).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            Class indices into ``classes``, or regression values.
        features : sequence of str, length n_features
        target : str
        task : {"classification", "regression"}
        classes : sequence of str, optional
            Required for classification.
        source : str, default="the data"
            The data's name for messages (e.g. the CSV file).

        Raises
        ------
        DataError
            A column's values are so large that standardizing them would overflow float64.
        """
        X = np.asarray(X, dtype=np.float64)
        mean, scale = _standardization(X)
        _check_standardizable(X, mean, scale, list(features), source)
        target_mean, target_scale = 0.0, 1.0
        if task == "regression":
            y2 = np.asarray(y, dtype=np.float64).reshape(-1, 1)
            m, s = _standardization(y2)
            _check_standardizable(y2, m, s, [target], source)
            target_mean, target_scale = float(m[0]), float(s[0])
        elif classes is None:
            raise DataError("classification needs the class labels")
        return cls(
            features=list(features),
            target=target,
            task=task,
            classes=None if classes is None else [str(c) for c in classes],
            mean=mean,
            scale=scale,
            target_mean=target_mean,
            target_scale=target_scale,
        )

    @property
    def n_features(self) -> int:
        return int(self.mean.shape[0])

    # ------------------------------------------------------------------ transforming

    def transform(self, X: Array, *, copy: bool = True) -> Array:
        """Standardize raw features: ``(X - mean) / scale``, shape (n_samples, n_features).

        With ``copy=False`` a float64 ``X`` is standardized in place (the same numbers, without
        a second array of its size) and returned.
        """
        if not copy and isinstance(X, np.ndarray) and X.dtype == np.float64 and X.flags.writeable:
            X -= self.mean
            X /= self.scale
            return X
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale

    def encode_target(self, y: Array) -> Array:
        """What the network learns: class indices unchanged, regression values standardized."""
        if self.task == "classification":
            return np.asarray(y, dtype=np.int64)
        return (np.asarray(y, dtype=np.float64) - self.target_mean) / self.target_scale

    def decode_target(self, out: Array) -> Array:
        """Regression outputs of shape (n_samples, 1) back in the target's units, shape (n,)."""
        return np.asarray(out, dtype=np.float64)[:, 0] * self.target_scale + self.target_mean

    def class_indices(self, y_raw: Sequence[str], *, source: str, lines: Sequence[int]) -> Array:
        """Map raw labels read from a file to the model's class indices.

        Numeric labels match by value (``1`` and ``1.0`` are the same class); a label the model
        never saw raises a DataError naming the file and line.
        """
        assert self.classes is not None
        numeric = all(is_number(c) for c in self.classes)
        index: dict[Any, int] = {}
        for k, c in enumerate(self.classes):
            index[float(c) if numeric else c] = k
        out = np.empty(len(y_raw), dtype=np.int64)
        for i, value in enumerate(y_raw):
            key: Any = value
            if numeric and is_number(value):
                key = float(value)
            found = index.get(key)
            if found is None:
                known = ", ".join(repr(c) for c in self.classes)
                raise DataError(
                    f"{source} line {lines[i]}, column {self.target!r}: class {value!r} was not "
                    f"seen in training; the model knows {known}"
                )
            out[i] = found
        return out

    # ------------------------------------------------------------------ the model file

    def store(self, model: Sequential) -> None:
        """Write this preprocessing into ``model.metadata`` and ``model.extras``."""
        model.metadata[METADATA_KEY] = {
            "features": self.features,
            "target": self.target,
            "task": self.task,
            "classes": self.classes,
        }
        model.extras["feature_mean"] = np.asarray(self.mean, dtype=np.float64)
        model.extras["feature_scale"] = np.asarray(self.scale, dtype=np.float64)
        model.extras["target_mean"] = np.array([self.target_mean])
        model.extras["target_scale"] = np.array([self.target_scale])
        if self.schema is not None:
            model.metadata[SCHEMA_KEY] = self.schema.to_json()

    @classmethod
    def from_model(cls, model: Sequential, *, source: str) -> Preprocessing:
        """The preprocessing stored in ``model``, or the identity for a model built in Python.

        Raises
        ------
        ModelFileError
            The stored preprocessing is malformed or does not fit the network, or (for a model
            without one) the network's outputs cannot be read as classes or one value.
        """
        meta = model.metadata.get(METADATA_KEY)
        if meta is None:
            return cls._identity(model, source=source)
        try:
            prep = cls._read(model, meta)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(
                f"cannot load model file '{source}': its preprocessing is malformed ({exc})"
            ) from None
        if SCHEMA_KEY in model.metadata:
            try:
                prep.schema = Schema.from_json(model.metadata[SCHEMA_KEY])
                if prep.schema.features != prep.features or prep.schema.target != prep.target:
                    raise ValueError("its inputs or target differ from the preprocessing's")
            except (TypeError, ValueError) as exc:
                raise ModelFileError(
                    f"cannot load model file '{source}': its schema is malformed ({exc})"
                ) from None
        return prep

    @classmethod
    def _read(cls, model: Sequential, meta: Any) -> Preprocessing:
        if not isinstance(meta, dict):
            raise TypeError(f"expected a JSON object, got {type(meta).__name__}")
        features, target, task, classes = (
            meta["features"],
            meta["target"],
            meta["task"],
            meta["classes"],
        )
        n, n_out = model.n_features_in, model.n_outputs
        if not (isinstance(features, list) and all(isinstance(f, str) for f in features)):
            raise TypeError("features must be a list of column names")
        if len(features) != n:
            raise ValueError(f"{len(features)} feature names for a network with {n} inputs")
        if not isinstance(target, str):
            raise TypeError("target must be a column name")
        if len(set(features)) != len(features) or target in features or not all(features):
            raise ValueError("feature names must be distinct, non-empty and not the target")
        if task == "classification":
            if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
                raise TypeError("classes must be a list of labels")
            if len(classes) != n_out or n_out < 2:
                raise ValueError(f"{len(classes)} class labels for {n_out} outputs")
            if len(set(classes)) != len(classes):
                raise ValueError("class labels must be distinct")
        elif task == "regression":
            if n_out != 1 or classes is not None:
                raise ValueError(f"a regression network must have 1 output, got {n_out}")
        else:
            raise ValueError(f"task {task!r} is not classification or regression")
        arrays = {}
        for name in _EXTRAS:
            a = np.asarray(model.extras[name], dtype=np.float64)
            size = n if name.startswith("feature") else 1
            if a.shape != (size,) or not np.isfinite(a).all():
                raise ValueError(f"'{name}' has shape {a.shape}, expected ({size},), finite")
            arrays[name] = a
        if (arrays["feature_scale"] <= 0).any() or arrays["target_scale"][0] <= 0:
            raise ValueError("scales must be positive")
        return cls(
            features=features,
            target=target,
            task=task,
            classes=classes,
            mean=arrays["feature_mean"],
            scale=arrays["feature_scale"],
            target_mean=float(arrays["target_mean"][0]),
            target_scale=float(arrays["target_scale"][0]),
        )

    @classmethod
    def _identity(cls, model: Sequential, *, source: str) -> Preprocessing:
        """No stored preprocessing: read the outputs from the loss the model was trained with."""
        n, n_out, loss = model.n_features_in, model.n_outputs, model.loss
        ones, zeros = np.ones(n), np.zeros(n)
        if isinstance(loss, _losses.CrossEntropy) and n_out >= 2:
            classes = [str(k) for k in range(n_out)]
            return cls(None, None, "classification", classes, zeros, ones)
        if isinstance(loss, _losses.BinaryCrossEntropy) and n_out == 1:
            return cls(None, None, "classification", ["0", "1"], zeros, ones)
        if n_out == 1:
            return cls(None, None, "regression", None, zeros, ones)
        kind = type(loss).__name__ if loss is not None else "no loss"
        raise ModelFileError(
            f"cannot use model file '{source}' here: it has {n_out} outputs and {kind}, and no "
            "preprocessing saved by 'glassnet train' to say what they mean"
        )


class Predictor:
    """A model and its preprocessing: raw features in, labels or values in the data's units out.

    Parameters
    ----------
    model : Sequential
    preprocessing : Preprocessing

    Examples
    --------
    >>> import glassnet as gn
    >>> net = gn.Sequential([gn.Dense(2, 1, rng=0)])
    >>> net.loss = gn.MeanSquaredError()
    >>> Predictor(net, Preprocessing.from_model(net, source="net")).predict([[1.0, 2.0]]).shape
    (1,)
    """

    def __init__(self, model: Sequential, preprocessing: Preprocessing) -> None:
        self.model = model
        self.preprocessing = preprocessing

    @property
    def task(self) -> Task:
        return self.preprocessing.task

    def outputs(self, X: Any) -> Array:
        """The network's raw outputs for raw features ``X``, shape (n_samples, n_outputs)."""
        return self.model.predict(self.preprocessing.transform(X))

    def predict(self, X: Any) -> Array:
        """Class indices (int64) or regression values in the target's units; shape (n_samples,)."""
        return self.decide(self.outputs(X))

    def decide(self, out: Array) -> Array:
        """`predict` from the network's outputs (as returned by `outputs`)."""
        if self.task == "regression":
            return self.preprocessing.decode_target(out)
        # one class per sample: the argmax of several outputs, or one output past its threshold
        return self._loss().decide(out, exclusive=True).astype(np.int64)

    def predict_proba(self, X: Any) -> Array:
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1."""
        return self.probabilities(self.outputs(X))

    def probabilities(self, out: Array) -> Array:
        """`predict_proba` from the network's outputs (as returned by `outputs`)."""
        if self.task != "classification":
            raise DataError("probabilities need a classification model; this one does regression")
        return self._loss().class_probabilities(out, dtype=np.float64)

    def _loss(self) -> _losses.Loss:
        """The model's loss, which says what its outputs mean; the base reading before any fit."""
        return self.model.loss if self.model.loss is not None else _losses.Loss()

    def labels(self, indices: Array) -> list[str]:
        """Class labels (text) of class indices."""
        classes = self.preprocessing.classes
        assert classes is not None
        return [classes[int(k)] for k in indices]


def _standardization(X: Array) -> tuple[Array, Array]:
    """Column means and standard deviations; a constant column gets scale 1 (left centred).

    The arithmetic is exactly ``(X / peak).mean(axis=0)`` and ``.std(axis=0)`` (NumPy's own
    steps: sum, divide, subtract the mean, square in place, sum, divide, square root), with one
    temporary array of X's size instead of three.
    """
    # divide each column by its largest magnitude first: summing or squaring values near the
    # float64 limit (~1.8e308) overflows, though their mean and deviation are representable
    peak = np.maximum(X.max(axis=0), -X.min(axis=0))  # = |X|.max(axis=0), with no |X| array
    peak = np.where((peak > 0) & np.isfinite(peak), peak, 1.0)
    n = X.shape[0]
    unit = X / peak
    unit_mean = np.add.reduce(unit, axis=0) / n
    mean = unit_mean * peak
    unit -= unit_mean
    np.multiply(unit, unit, out=unit)
    scale = np.sqrt(np.add.reduce(unit, axis=0) / n) * peak
    # a constant column carries no information; dividing by 1 instead of 0 keeps it finite
    scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
    return mean, scale


def _check_standardizable(
    X: Array, mean: Array, scale: Array, names: Sequence[str], source: str
) -> None:
    """Raise a DataError naming the first column whose standardized values would overflow."""
    with np.errstate(over="ignore"):  # overflow is what we look for; say it in one line
        # the largest |x − mean| is max(x) − mean or mean − min(x): rounding keeps the order
        largest = np.maximum(X.max(axis=0) - mean, mean - X.min(axis=0)) / scale
    for j in map(int, np.flatnonzero(~np.isfinite(largest))):
        peak = float(np.abs(X[:, j]).max())
        raise DataError(
            f"{source}, column {names[j]!r}: values up to {peak:g} are too large to standardize "
            "in float64; rescale the column"
        )
