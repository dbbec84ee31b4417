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
from .errors import DataError, GlassnetError, ModelFileError
from .network import Sequential
from .schema import Schema
from .tables import is_number

__all__ = ["Moments", "Predictor", "Preprocessing"]

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
        y_moments = None
        if task == "regression":
            y_moments = Moments.of(np.asarray(y, dtype=np.float64).reshape(-1, 1))
        return cls.from_moments(Moments.of(X), y_moments, features=features, target=target,
                                task=task, classes=classes, source=source)  # fmt: skip

    @classmethod
    def from_moments(
        cls,
        X_moments: Moments,
        y_moments: Moments | None,
        *,
        features: Sequence[str],
        target: str,
        task: Task,
        classes: Sequence[str] | None = None,
        source: str = "the data",
    ) -> Preprocessing:
        """Learn the standardization from `Moments` gathered block by block (a file larger than
        memory: ``glassnet train --stream``); `fit` is this on whole arrays.

        ``y_moments`` are the regression target's (None for classification); the other
        parameters and the errors are `fit`'s.
        """
        mean, scale = X_moments.standardization(list(features), source=source)
        target_mean, target_scale = 0.0, 1.0
        if task == "regression":
            if y_moments is None:
                raise GlassnetError("regression needs the moments of the target")
            m, s = y_moments.standardization([target], source=source)
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


class Moments:
    """Column means and standard deviations of rows given a block at a time, exact for all of
    them: `Preprocessing`'s standardization of arrays in memory (one block) or of a file read in
    chunks.

    Blocks are merged by Chan, Golub and LeVeque's pairwise update of the mean and of the sum of
    squared deviations ``M2``: for a block of ``k`` rows, mean ``m_b`` and ``M2_b``, after ``n``
    rows of mean ``m``: ``δ = m_b − m``, ``m += δ·k/(n + k)``, ``M2 += M2_b + δ²·n·k/(n + k)``.
    Each column is kept in units of its largest magnitude so far (rescaled when a block brings a
    larger one): summing or squaring values near the float64 limit (~1.8e308) would overflow,
    though their mean and deviation are representable. One block gives exactly
    ``(X / peak).mean(axis=0) * peak`` and ``(X / peak).std(axis=0) * peak`` (NumPy's own
    steps), with one temporary array of the block's size.

    Examples
    --------
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> m = Moments(2)
    >>> m.update(X[:4]); m.update(X[4:])
    >>> mean, scale = m.standardization(["a", "b"], source="X")
    >>> np.allclose(mean, X.mean(axis=0)), np.allclose(scale, X.std(axis=0))
    (True, True)
    """

    def __init__(self, n_columns: int) -> None:
        self.n = 0
        self.lo = np.full(n_columns, np.inf)  # each column's least and greatest value
        self.hi = np.full(n_columns, -np.inf)
        self.peak = np.ones(n_columns)  # the unit of `mean` and of `m2`'s square root
        self.mean = np.zeros(n_columns)
        self.m2 = np.zeros(n_columns)

    @classmethod
    def of(cls, X: Array) -> Moments:
        """The moments of one array of shape (n_rows, n_columns)."""
        moments = cls(X.shape[1])
        moments.update(X)
        return moments

    def update(self, X: Array) -> None:
        """Add the rows of ``X`` (float64, finite), shape (k, n_columns).

        A block of rows at a time (about 1 MB), merged as separate updates are: the working
        copies stay in cache and the memory never holds a second ``X``.
        """
        rows = max(1, (1 << 17) // max(X.shape[1], 1))
        for start in range(0, X.shape[0], rows):
            self._update(X[start : start + rows])

    def _update(self, X: Array) -> None:
        k = X.shape[0]
        if k == 0:
            return
        self.lo = np.minimum(self.lo, X.min(axis=0))
        self.hi = np.maximum(self.hi, X.max(axis=0))
        peak = np.maximum(self.hi, -self.lo)  # = |X|.max(axis=0) so far, with no |X| array
        peak = np.where((peak > 0) & np.isfinite(peak), peak, 1.0)
        unit = X / peak
        unit_mean = np.add.reduce(unit, axis=0) / k
        unit -= unit_mean
        np.multiply(unit, unit, out=unit)
        m2 = np.add.reduce(unit, axis=0)
        if self.n:
            ratio = self.peak / peak  # the rows so far, in the new unit
            mean, n = self.mean * ratio, self.n + k
            delta = unit_mean - mean
            self.mean = mean + delta * (k / n)
            self.m2 = self.m2 * ratio * ratio + m2 + delta * delta * (self.n * k / n)
        else:
            self.mean, self.m2 = unit_mean, m2
        self.n += k
        self.peak = peak

    def standardization(self, names: Sequence[str], *, source: str) -> tuple[Array, Array]:
        """The mean and scale of each column; a constant column gets scale 1 (left centred).

        Raises
        ------
        DataError
            Naming the first column whose standardized values would overflow float64.
        """
        if self.n == 0:
            raise DataError(f"{source}: no rows to learn the standardization from")
        mean = self.mean * self.peak
        scale = np.sqrt(self.m2 / self.n) * self.peak
        # a constant column carries no information; dividing by 1 instead of 0 keeps it finite
        scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
        with np.errstate(over="ignore"):  # overflow is what we look for; say it in one line
            # the largest |x − mean| is max(x) − mean or mean − min(x): rounding keeps the order
            largest = np.maximum(self.hi - mean, mean - self.lo) / scale
        for j in map(int, np.flatnonzero(~np.isfinite(largest))):
            peak = max(abs(float(self.lo[j])), abs(float(self.hi[j])))
            raise DataError(
                f"{source}, column {names[j]!r}: values up to {peak:g} are too large to "
                "standardize in float64; rescale the column"
            )
        return mean, scale
