"""How fast could W1 be? The tutorial's loop against the engine's arithmetic written inline.

    .venv/bin/python bench/w1_floor.py

The "inline" loop does exactly the NumPy calls one glassnet training iteration makes for the
tutorial's neuron (Dense → Sigmoid → SumSquaredError → SGD(1.0)), with every buffer made once
and no layers, methods or bookkeeping at all: the floor for any engine that keeps the same
guarantees. The variants drop one guarantee each, to show what each costs.
"""

from __future__ import annotations

import time

import numpy as np

ITERATIONS = 20_000


def tutorial(n: int) -> np.ndarray:
    """The tutorial's 9 lines (integer inputs, as published)."""
    X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    w = 2 * np.random.RandomState(1).random_sample((3, 1)) - 1
    for _ in range(n):
        output = 1 / (1 + np.exp(-(np.dot(X, w))))
        w += np.dot(X.T, (y - output) * output * (1 - output))
    return w


def inline(n: int, *, clip: bool = True, loss: bool = True) -> np.ndarray:
    """The engine's calls for one iteration, inline: clip, sigmoid, loss value, backward, step."""
    X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=float)
    y = np.array([[0, 1, 1, 0]], dtype=float).T
    w = 2 * np.random.RandomState(1).random_sample((3, 1)) - 1
    h, r, dx, gw = np.empty((4, 1)), np.empty((4, 1)), np.empty((4, 1)), np.empty((3, 1))
    low, one, XT = np.array(-700.0), np.array(1.0), X.T
    for _ in range(n):
        np.dot(X, w, out=h)
        if clip:  # e^(−z) must not overflow (the engine promises no warning, ever)
            np.maximum(h, low, out=h)
        np.negative(h, out=h)
        np.exp(h, out=h)
        np.add(h, one, out=h)
        np.reciprocal(h, out=h)
        np.subtract(h, y, out=r)
        if loss:  # History records every epoch's loss
            _ = 0.5 * float(np.vdot(r, r))
        np.subtract(one, h, out=dx)
        dx *= h
        dx *= r
        np.dot(XT, dx, out=gw)
        w -= gw  # SGD at learning rate 1
    return w


def main() -> None:
    variants = {
        "tutorial (9 lines)": tutorial,
        "engine arithmetic inline": inline,
        "  … without the clip": lambda n: inline(n, clip=False),
        "  … without the loss value": lambda n: inline(n, loss=False),
    }
    best = {name: float("inf") for name in variants}
    for _ in range(5):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn(ITERATIONS)
            best[name] = min(best[name], (time.perf_counter() - t0) / ITERATIONS * 1e6)
    for name, us in best.items():
        print(f"{name:<28} {us:5.2f} µs/iteration")
    assert np.allclose(tutorial(100), inline(100), atol=1e-12)


if __name__ == "__main__":
    main()
