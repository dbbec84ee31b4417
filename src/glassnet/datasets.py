"""The data sets glassnet learns from: the tutorial's examples, XOR, 2-D toy sets, scikit-learn's.

Ordered as: the two fixed tables, the three generators, then the named-dataset registry
(`load`). Reading and writing CSV files is `glassnet.tables`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._typing import Array, Task
from .errors import GlassnetError
from .tables import write_csv_atomic
from .validation import count, non_negative

__all__ = [
    "BUILTIN",
    "Dataset",
    "describe",
    "load",
    "make_circles",
    "make_gaussians",
    "make_moons",
    "make_plane",
    "make_spirals",
    "make_xor",
    "names",
    "tutorial",
    "xor",
]


# --- the two fixed tables ----------------------------------------------------------------------


def tutorial() -> tuple[Array, Array]:
    """The tutorial's four training examples: the output is the first input.

    Returns
    -------
    X : ndarray of shape (4, 3), float64
    y : ndarray of shape (4, 1), float64

    Examples
    --------
    >>> X, y = tutorial()
    >>> X.shape, y.ravel().tolist()
    ((4, 3), [0.0, 1.0, 1.0, 0.0])
    """
    from .tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS

    return TRAINING_INPUTS.copy(), TRAINING_OUTPUTS.copy()


def xor() -> tuple[Array, Array]:
    """Exclusive or of two bits: the smallest problem a single neuron cannot learn.

    Returns
    -------
    X : ndarray of shape (4, 2), float64
    y : ndarray of shape (4, 1), float64

    Examples
    --------
    >>> X, y = xor()
    >>> y.ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return X, y


# --- generated 2-D classification sets ----------------------------------------------------------


def make_moons(
    n_samples: int = 200, *, noise: float = 0.1, seed: int | None = None
) -> tuple[Array, Array]:
    """Two interleaving half circles.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points; the two classes differ in size by at most one.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to every coordinate.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        0 for the upper moon, 1 for the lower one.

    Examples
    --------
    >>> X, y = make_moons(100, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [50, 50])
    """
    count(n_samples, "n_samples", minimum=2)
    non_negative(noise, "noise")
    y, t = _balanced(n_samples, 2)
    angle = np.pi * t
    # The lower moon is the upper one turned upside down and shifted by (1, -0.5).
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(y[:, None] == 0, upper, lower)
    return _noisy_shuffle(X, y, noise, seed)


def make_circles(
    n_samples: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[Array, Array]:
    """A circle inside a larger circle.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points; the two classes differ in size by at most one.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to every coordinate.
    factor : float, default=0.5
        Radius of the inner circle relative to the outer one, in (0, 1).
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        0 for the outer circle, 1 for the inner one.

    Examples
    --------
    >>> X, y = make_circles(10, noise=0.0, seed=0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 6)[y == 1].tolist()
    [0.5, 0.5, 0.5, 0.5, 0.5]
    """
    count(n_samples, "n_samples", minimum=2)
    non_negative(noise, "noise")
    if not 0 < factor < 1:
        raise GlassnetError(f"factor must be between 0 and 1 (exclusive), got {factor!r}")
    y, t = _balanced(n_samples, 2, endpoint=False)  # 0 and 2π are the same point on a circle
    radius = np.where(y == 0, 1.0, factor)
    angle = 2 * np.pi * t
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _noisy_shuffle(X, y, noise, seed)


def make_spirals(
    n_samples: int = 300,
    *,
    n_classes: int = 2,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: int | None = None,
) -> tuple[Array, Array]:
    """Interleaved spiral arms, one per class (the CS231n spiral).

    Point i of arm k sits at radius r and angle θ = 2π·(turns·r + k/n_classes) + noise·ε,
    with ε ~ N(0, 1): the noise jitters the angle, so the arms stay apart far from the centre.

    Parameters
    ----------
    n_samples : int, default=300
        Number of points; class sizes differ by at most one.
    n_classes : int, default=2
        Number of arms.
    noise : float, default=0.2
        Standard deviation of the angular noise, in radians.
    turns : float, default=1.0
        How many full turns each arm makes from the centre to radius 1.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        The arm of each point, 0 to ``n_classes - 1``.

    Examples
    --------
    >>> X, y = make_spirals(300, n_classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    count(n_classes, "n_classes", minimum=2)
    count(n_samples, "n_samples", minimum=n_classes)
    non_negative(noise, "noise")
    if not (math.isfinite(turns) and turns > 0):
        raise GlassnetError(f"turns must be a positive number, got {turns!r}")
    rng = np.random.default_rng(seed)
    y, t = _balanced(n_samples, n_classes)
    radius = 0.1 + 0.9 * t  # start off the origin, so the arms do not share a point
    angle = 2 * np.pi * (turns * t + y / n_classes) + noise * rng.standard_normal(n_samples)
    X = radius[:, None] * np.column_stack([np.sin(angle), np.cos(angle)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_xor(
    n_samples: int = 200, *, noise: float = 0.0, seed: int | None = None
) -> tuple[Array, Array]:
    """Points in the square [−1, 1]², labelled by the exclusive or of their signs.

    Parameters
    ----------
    n_samples : int, default=200
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to every coordinate after labelling.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        1 where x₁ and x₂ have opposite signs (as `xor` answers 1 for (0, 1)), else 0.

    Examples
    --------
    >>> X, y = make_xor(100, seed=0)
    >>> bool(((X[:, 0] * X[:, 1] < 0) == (y == 1)).all())
    True
    """
    count(n_samples, "n_samples", minimum=2)
    non_negative(noise, "noise")
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    X += np.where(X >= 0, 0.05, -0.05)  # a margin along the axes, so no point sits on a border
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X + noise * rng.standard_normal(X.shape), y


def make_gaussians(
    n_samples: int = 200, *, n_classes: int = 2, noise: float = 0.0, seed: int | None = None
) -> tuple[Array, Array]:
    """One round Gaussian cloud per class, the centres evenly spaced on a circle of radius ½.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points; class sizes differ by at most one.
    n_classes : int, default=2
    noise : float, default=0.0
        Added to the clouds' standard deviation of 0.15: the larger, the more they overlap.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> X, y = make_gaussians(90, n_classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((90, 2), [30, 30, 30])
    """
    count(n_classes, "n_classes", minimum=2)
    count(n_samples, "n_samples", minimum=n_classes)
    non_negative(noise, "noise")
    y, _ = _balanced(n_samples, n_classes)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 4  # 2 classes: a diagonal
    centres = 0.5 * np.column_stack([np.cos(angle), np.sin(angle)])
    rng = np.random.default_rng(seed)
    X = centres[y] + (0.15 + noise) * rng.standard_normal((n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_plane(
    n_samples: int = 200, *, noise: float = 0.0, seed: int | None = None
) -> tuple[Array, Array]:
    """A regression: points in [−1, 1]², the target the plane y = (x₁ + x₂)/2 plus noise.

    Parameters
    ----------
    n_samples : int, default=200
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the target.
    seed : int or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), float64

    Examples
    --------
    >>> X, y = make_plane(5, seed=0)
    >>> np.allclose(y, X.sum(axis=1) / 2)
    True
    """
    count(n_samples, "n_samples", minimum=2)
    non_negative(noise, "noise")
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = X.sum(axis=1) / 2 + noise * rng.standard_normal(n_samples)
    return X, y


def _balanced(n_samples: int, n_classes: int, *, endpoint: bool = True) -> tuple[Array, Array]:
    """Labels 0, 1, …, k−1 dealt in turn, and each point's position t in [0, 1] along its class."""
    i = np.arange(n_samples)
    rank = i // n_classes  # 0, 1, 2, … within each class
    largest = rank[-1]
    t = rank / max(largest, 1) if endpoint else rank / (largest + 1)
    return (i % n_classes).astype(np.int64), t


def _noisy_shuffle(X: Array, y: Array, noise: float, seed: int | None) -> tuple[Array, Array]:
    """Add N(0, noise²) to every coordinate and shuffle the rows, from one seeded generator."""
    rng = np.random.default_rng(seed)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


# --- named data sets ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named data set, ready to train on.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,)
        int64 class labels for classification, float64 values for regression.
    feature_names : list of str, length n_features
    target_name : str
    task : {"classification", "regression"}
    target_names : list of str or None
        The name of each class label (``target_names[y[i]]``); None for regression.
    description : str
        One line saying what the data is.
    """

    X: Array
    y: Array
    feature_names: list[str]
    target_name: str
    task: Task
    target_names: list[str] | None
    description: str

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the data set as a CSV file that ``glassnet train`` reads as the same problem.

        The header names the features, then the target (``target_name``); each row is one
        sample, floats written exactly (``repr``), a class as its name (``target_names[y]``).
        The file is written all at once (`glassnet.tables.write_csv_atomic`); ``"-"`` writes
        to standard output.

        Parameters
        ----------
        path : str or path-like

        Examples
        --------
        >>> import io, contextlib
        >>> text = io.StringIO()
        >>> with contextlib.redirect_stdout(text):
        ...     load("xor").to_csv("-")
        >>> print(text.getvalue().splitlines()[:2])
        ['x1,x2,y', '0.0,0.0,0']
        """
        header = [*self.feature_names, self.target_name]
        if self.target_names is None:
            labels: list[object] = list(self.y)
        else:
            labels = [self.target_names[k] for k in self.y]
        rows = ([*x, label] for x, label in zip(self.X, labels))
        write_csv_atomic(path, header, rows)


def _classes(
    X: Array, y: Array, features: list[str], target: str, classes: list[str], description: str
) -> Dataset:
    """A classification Dataset with float64 features and int64 labels."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).astype(np.int64)
    return Dataset(X, y, features, target, "classification", classes, description)


Loader = Callable[[int, str], Dataset]  # (seed, description) -> Dataset


def _fixed(table: Callable[[], tuple[Array, Array]]) -> Loader:
    """Loader for tutorial/xor: the (4, 1) float targets become (4,) int labels."""

    def loader(seed: int, description: str) -> Dataset:
        X, y = table()
        features = [f"x{j + 1}" for j in range(X.shape[1])]
        return _classes(X, y.ravel(), features, "y", ["0", "1"], description)

    return loader


def _generated(make: Callable[..., tuple[Array, Array]], n_classes: int = 2) -> Loader:
    """Loader for a generated 2-D set with its default size and noise."""

    def loader(seed: int, description: str) -> Dataset:
        X, y = make(seed=seed)
        classes = [str(k) for k in range(n_classes)]
        return _classes(X, y, ["x1", "x2"], "class", classes, description)

    return loader


def _sklearn(name: str, target: str) -> Loader:
    """Loader for one of scikit-learn's bundled data sets (no download), imported on use."""

    def loader(seed: int, description: str) -> Dataset:
        try:
            from sklearn import datasets as sk
        except ImportError:
            raise GlassnetError(
                f"dataset {name!r} needs scikit-learn: pip install 'glassnet[sklearn]'"
            ) from None
        bunch = getattr(sk, f"load_{name}")()
        X = np.ascontiguousarray(bunch.data, dtype=np.float64)
        features = [str(f) for f in bunch.feature_names]
        if name == "diabetes":
            y = np.asarray(bunch.target, dtype=np.float64)
            return Dataset(X, y, features, target, "regression", None, description)
        classes = [str(c) for c in bunch.target_names]
        return _classes(X, bunch.target, features, target, classes, description)

    return loader


# name -> (one-line description, loader)
BUILTIN: dict[str, tuple[str, Loader]] = {
    "tutorial": (
        "the tutorial's 4 examples: the output is the first of 3 inputs",
        _fixed(tutorial),
    ),
    "xor": ("exclusive or of 2 bits, 4 examples: not linearly separable", _fixed(xor)),
    "moons": (
        "two interleaving half circles, 200 points in 2-D, 2 classes",
        _generated(make_moons),
    ),
    "circles": ("a circle inside a circle, 200 points in 2-D, 2 classes", _generated(make_circles)),
    "spirals": ("two spiral arms, 300 points in 2-D, 2 classes", _generated(make_spirals)),
    "digits": (
        "8x8 images of handwritten digits, 1797 samples, 10 classes (scikit-learn)",
        _sklearn("digits", "digit"),
    ),
    "iris": (
        "iris flowers, 150 samples, 4 measurements, 3 species (scikit-learn)",
        _sklearn("iris", "species"),
    ),
    "wine": (
        "wines, 178 samples, 13 chemical measurements, 3 cultivars (scikit-learn)",
        _sklearn("wine", "cultivar"),
    ),
    "breast_cancer": (
        "breast tumours, 569 samples, 30 measurements, malignant or benign (scikit-learn)",
        _sklearn("breast_cancer", "diagnosis"),
    ),
    "diabetes": (
        "diabetes progression after a year, 442 patients, 10 features, regression (scikit-learn)",
        _sklearn("diabetes", "progression"),
    ),
}


def names() -> list[str]:
    """The names `load` accepts, in a fixed order: the built-in sets first, then scikit-learn's."""
    return list(BUILTIN)


def describe(name: str) -> str:
    """One line saying what the data set ``name`` is (for ``glassnet datasets``)."""
    return BUILTIN[_known(name)][0]


def load(name: str, *, seed: int = 0) -> Dataset:
    """Load a data set by name.

    Parameters
    ----------
    name : str
        One of `names()`: tutorial, xor, moons, circles, spirals (built in) or digits, iris,
        wine, breast_cancer, diabetes (bundled with scikit-learn, which must be installed).
    seed : int, default=0
        Seed for the generated sets (moons, circles, spirals); ignored by the others.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, n_features) and a 1-D ``y`` of shape (n_samples,).

    Examples
    --------
    >>> data = load("xor")
    >>> data.X.shape, data.y.tolist(), data.task
    ((4, 2), [0, 1, 1, 0], 'classification')
    """
    description, loader = BUILTIN[_known(name)]
    return loader(seed, description)


def _known(name: str) -> str:
    """Return ``name`` if it is a known data set, else raise naming the known ones."""
    if name not in BUILTIN:
        raise GlassnetError(f"unknown dataset {name!r}; expected one of: {', '.join(BUILTIN)}")
    return name
