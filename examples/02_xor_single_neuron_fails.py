"""Step 2 of the learner's path: one neuron cannot learn XOR, however long it trains.

The tutorial ends by asking what happens if we connect several neurons. First, why we must: XOR
(output 1 when exactly one input is 1) puts its two classes on opposite corners of a square.
A single neuron computes σ(w·x + b): its decision boundary, where σ = 0.5, is one straight line,
and no line separates the corners. Trained as the tutorial trains (sum-squared error, SGD with
learning rate 1), its best answer is to hedge: every output drifts to 0.5.

Run:  python examples/02_xor_single_neuron_fails.py --out pictures/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import glassnet as gn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("pictures"), help="where the pictures go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    X, y = gn.datasets.xor()
    # the tutorial's neuron with a bias: as strong as a single neuron can be
    neuron = gn.Sequential([gn.Dense(2, 1, rng=0, init="uniform"), gn.Sigmoid()])
    trace = gn.Trace(every=50)
    history = neuron.fit(X, y, loss=gn.SumSquaredError(), optimizer=gn.SGD(1.0), epochs=10000,
                         callbacks=[trace])  # fmt: skip

    out = neuron.predict(X).ravel()
    print("x1 x2 | target  single neuron")
    for (a, b), target, o in zip(X, y.ravel(), out):
        print(f" {a:.0f}  {b:.0f} |   {target:.0f}     {o:.4f}")
    w = np.round(neuron.layers[0].params["weight"].ravel(), 4) + 0.0  # + 0.0: no "-0."
    b = neuron.layers[0].params["bias"][0]
    print(f"weights {w}, bias {b:.4f}: no line w·x + b = 0 splits the corners, so the neuron")
    print("has learned to ignore its inputs and answer 0.5, the least wrong constant")
    print(f"loss {history.loss[0]:.4f} -> {history.loss[-1]:.4f} after 10000 iterations")
    assert np.all(np.abs(out - 0.5) < 0.1)  # stuck hedging at 0.5

    from glassnet.glass_plots import animate_boundary
    from glassnet.plots import plot_curves

    animate_boundary(neuron, trace, X, y, args.out / "02_boundary.gif", max_frames=20,
                     title="one neuron", feature_names=["x1", "x2"])  # fmt: skip
    # full batch, as the tutorial: an iteration is one step on all 4 examples (one epoch)
    plot_curves(history.history, args.out / "02_loss.png", xlabel="iteration",
                title="one neuron on XOR: the loss stalls at 0.5")  # fmt: skip
    print(f"pictures written to {args.out}/02_*")


if __name__ == "__main__":
    main()
