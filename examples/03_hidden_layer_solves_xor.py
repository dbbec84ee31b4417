"""Step 3 of the learner's path: a hidden layer of four neurons learns XOR.

Connect neurons, as the tutorial suggests: four sigmoid neurons see the inputs, and one more
sees their outputs. Each hidden neuron draws its own line; the output neuron combines them, so
the network can fence off the corners a single line could not. Same loss, same optimizer, same
10,000 iterations as step 2 — only the architecture changed.

Run:  python examples/03_hidden_layer_solves_xor.py --out pictures/
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
    net = gn.Sequential([
        gn.Dense(2, 4, rng=1, init="uniform"), gn.Sigmoid(),  # the hidden layer
        gn.Dense(4, 1, rng=2, init="uniform"), gn.Sigmoid(),  # the output neuron
    ])  # fmt: skip

    # the first iteration, every number, now through two layers: backpropagation at work
    print(gn.explain(net, X, y, loss=gn.SumSquaredError(), optimizer=gn.SGD(1.0)).to_text())

    trace = gn.Trace(every=50)
    history = net.fit(X, y, loss=gn.SumSquaredError(), optimizer=gn.SGD(1.0), epochs=10000,
                      callbacks=[trace, gn.Watchdog()])  # fmt: skip
    out = net.predict(X).ravel()
    print("x1 x2 | target  network")
    for (a, b), target, o in zip(X, y.ravel(), out):
        print(f" {a:.0f}  {b:.0f} |   {target:.0f}     {o:.4f}")
    print(f"loss {history.loss[0]:.4f} -> {history.loss[-1]:.6f} after 10000 iterations")
    assert np.all(np.abs(out - y.ravel()) < 0.1)  # all four within 0.1 of the target

    # the same health check `glassnet diagnose` runs: gradients, units, update sizes
    print(gn.diagnose(net, X, y, history=history))

    from glassnet.glass_plots import animate_boundary, plot_network
    from glassnet.plots import plot_curves

    animate_boundary(net, trace, X, y, args.out / "03_boundary.gif", max_frames=16,
                     title="4 hidden", feature_names=["x1", "x2"])  # fmt: skip
    # full batch, as the tutorial: an iteration is one step on all 4 examples (one epoch)
    plot_curves(history.history, args.out / "03_loss.png", xlabel="iteration",
                title="a hidden layer on XOR")  # fmt: skip
    plot_network(net, args.out / "03_network.png", input_names=["x1", "x2"],
                 output_names=["x1 XOR x2"])  # fmt: skip
    print(f"pictures written to {args.out}/03_*")


if __name__ == "__main__":
    main()
