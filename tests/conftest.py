"""Shared fixtures for the engine tests: a seeded Generator and small model builders."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh Generator with a fixed seed, so every test sees the same numbers."""
    return np.random.default_rng(12345)


def _mlp(
    sizes: tuple[int, ...], activation: str = "tanh", *, seed: int = 0, dtype: object = np.float64
) -> gn.Sequential:
    """Dense layers of `sizes` with `activation` between them and a linear output."""
    layers: list[gn.Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(gn.Dense(n_in, n_out, rng=seed + i, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(activations.get(activation))
    return gn.Sequential(layers)


@pytest.fixture
def mlp() -> Callable[..., gn.Sequential]:
    """``mlp((3, 5, 1), "tanh", seed=0, dtype=np.float64)`` builds a small network."""
    return _mlp


def _peak_bytes(run: Callable[[], object]) -> int:
    """Call `run` and return the most memory Python held at once meanwhile (tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def peak_bytes() -> Callable[[Callable[[], object]], int]:
    """``peak_bytes(lambda: ...)``: the peak memory (bytes) Python allocated while it ran."""
    return _peak_bytes


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every matplotlib Figure the plot functions draw during the test, in order: read their
    axes, lines and texts instead of the pixels."""
    pytest.importorskip("matplotlib")
    from glassnet import glass_plots, plots

    figures: list[object] = []
    make = plots.figure

    def keep(width: float, height: float) -> object:
        fig = make(width, height)
        figures.append(fig)
        return fig

    monkeypatch.setattr(plots, "figure", keep)
    monkeypatch.setattr(glass_plots, "figure", keep)
    return figures
