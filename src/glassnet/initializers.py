"""Weight initializers: the tutorial's uniform(−1, 1), Glorot and He, from an explicit Generator."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._typing import Array
from .errors import GlassnetError

Initializer = Callable[[tuple[int, int], np.random.Generator, "np.dtype[np.floating]"], Array]


def uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype) -> Array:
    """The tutorial's ``2 * random((n_in, n_out)) - 1``: uniform on [−1, 1)."""
    return (2.0 * rng.random(shape) - 1.0).astype(dtype, copy=False)


def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype) -> Array:
    """U(−a, a) with a = √(6 / (n_in + n_out)) (Glorot & Bengio, 2010)."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def glorot_normal(shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype) -> Array:
    """N(0, σ²) with σ = √(2 / (n_in + n_out))."""
    std = np.sqrt(2.0 / (shape[0] + shape[1]))
    return rng.normal(0.0, std, size=shape).astype(dtype, copy=False)


def he_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype) -> Array:
    """U(−a, a) with a = √(6 / n_in) (He et al., 2015), for ReLU layers."""
    limit = np.sqrt(6.0 / shape[0])
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def he_normal(shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype) -> Array:
    """N(0, σ²) with σ = √(2 / n_in), for ReLU layers."""
    std = np.sqrt(2.0 / shape[0])
    return rng.normal(0.0, std, size=shape).astype(dtype, copy=False)


def zeros(shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype) -> Array:
    """All zeros (the default for biases)."""
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "uniform": uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
}


def get(init: str | Initializer) -> Initializer:
    """Look an initializer up by name, or pass a callable through."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except (KeyError, TypeError):
        known = ", ".join(INITIALIZERS)
        raise GlassnetError(f"unknown initializer {init!r}; expected one of {known}") from None
