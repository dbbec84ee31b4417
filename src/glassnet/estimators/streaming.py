"""Data larger than memory: `iter_chunks` slices it, `fit_stream` feeds `partial_fit`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin

from .._typing import Array
from ..errors import GlassnetError
from ..validation import positive_int

__all__ = ["fit_stream", "iter_chunks"]


def iter_chunks(
    X: Any, y: Any, *, chunk_size: int = 10_000, random_state: int | None = None
) -> Iterator[tuple[Array, Array]]:
    """Yield consecutive (X, y) slices of `chunk_size` rows, in order or in a seeded random order.

    With a NumPy memmap (``np.load(path, mmap_mode="r")``) only one chunk is in memory at a
    time. Rows inside a chunk keep their order; `partial_fit` shuffles them.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), e.g. a memmap
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    chunk_size : int, default 10_000
    random_state : int, optional
        Visit the chunks in a random order drawn from this seed.
    """
    positive_int(chunk_size, "chunk_size")
    n = len(X)
    if len(y) != n:
        raise GlassnetError(f"X and y have different lengths: {n} and {len(y)} samples")
    starts = np.arange(0, n, chunk_size)
    if random_state is not None:
        starts = np.random.default_rng(random_state).permutation(starts)
    for start in starts:
        stop = min(int(start) + chunk_size, n)
        yield np.asarray(X[start:stop]), np.asarray(y[start:stop])


def fit_stream(
    estimator: Any,
    chunks: Iterable[tuple[Any, Any]] | Callable[[], Iterable[tuple[Any, Any]]],
    *,
    classes: Any = None,
    epochs: int = 1,
) -> Any:
    """Train `estimator` on a stream of (X, y) chunks with `partial_fit`: data larger than memory.

    Parameters
    ----------
    estimator : NeuralNetClassifier or NeuralNetRegressor (or any estimator with partial_fit)
    chunks : iterable of (X, y), or a callable returning a fresh one
        For more than one epoch pass a callable (e.g. ``lambda: iter_chunks(X, y)``): it is
        called once per epoch, since an iterator can be read only once.
    classes : array-like, optional
        Every class of the whole stream; required for a classifier that was not fitted yet.
    epochs : int, default 1
        Passes over the stream.

    Returns
    -------
    estimator

    Examples
    --------
    >>> X = np.load("big_X.npy", mmap_mode="r")  # doctest: +SKIP
    >>> y = np.load("big_y.npy", mmap_mode="r")  # doctest: +SKIP
    >>> clf = NeuralNetClassifier(random_state=0)  # doctest: +SKIP
    >>> fit_stream(clf, lambda: iter_chunks(X, y), classes=[0, 1], epochs=5)  # doctest: +SKIP
    """
    positive_int(epochs, "epochs")
    if epochs > 1 and not callable(chunks):
        raise GlassnetError(
            "epochs > 1 needs chunks as a callable returning a fresh iterable each epoch, "
            "e.g. lambda: iter_chunks(X, y)"
        )
    is_classifier = isinstance(estimator, ClassifierMixin)
    seen = 0
    for _ in range(epochs):
        stream = chunks() if callable(chunks) else chunks
        for X, y in stream:
            if is_classifier and classes is not None and not hasattr(estimator, "classes_"):
                estimator.partial_fit(X, y, classes=classes)
            else:
                estimator.partial_fit(X, y)
            seen += 1
    if seen == 0:
        raise GlassnetError("the stream of chunks was empty; expected at least one (X, y) pair")
    return estimator
