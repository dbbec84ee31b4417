"""Step 1 of the learner's path: the tutorial's single neuron, trained and seen through.

The classic tutorial trains one sigmoid neuron with three inputs to notice that the output is the
first input. Here the same neuron runs on glassnet's engine, so we can watch it learn: the first
training iteration with every number (``glassnet.explain``), its three weights over 10,000
iterations (a ``Trace``), its loss curve, and a diagram of the trained neuron.

Run:  python examples/01_tutorial_neuron.py --out pictures/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.tutorial import NEW_SITUATION, TRAINING_INPUTS, TRAINING_OUTPUTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("pictures"), help="where the pictures go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    nn = gn.NeuralNetwork(seed=1)  # the tutorial's np.random.seed(1), without the global state
    print("Beginning randomly generated weights:", nn.synaptic_weights.ravel())

    # One iteration, step by step, with the real numbers: this is what train() repeats.
    print()
    print(gn.explain(iteration=1))

    # nn.train(inputs, outputs, 10000) is fit() on the engine underneath; calling fit directly
    # lets us hang a Trace on it that records the weights after each of the first 10
    # iterations, then every 10 (the weights move fastest at the start).
    trace = gn.Trace(every=10, first=10)
    history = nn.model.fit(
        TRAINING_INPUTS, TRAINING_OUTPUTS, loss=nn.loss, optimizer=nn.optimizer,
        epochs=10000, shuffle=False, callbacks=[trace],
    )  # fmt: skip
    print("Ending weights after training:", nn.synaptic_weights.ravel())
    answer = float(nn.think(NEW_SITUATION)[0])
    print(f"Considering new situation {NEW_SITUATION} -> {answer:.8f}")
    assert abs(answer - 0.99993704) < 1e-8  # the tutorial's own answer

    w = trace.weights[0][:, :, 0]  # shape (1009 records, 3 weights)
    recorded = list(trace.steps)  # 1, 2, ..., 10, 20, 30, ..., 10000
    print("weights after 10, 100, 1000, 10000 iterations:")
    for step in (10, 100, 1000, 10000):
        print(f"  {step:>5}: {np.round(w[recorded.index(step)], 4)}")

    from glassnet.glass_plots import plot_network, plot_weight_trajectories
    from glassnet.plots import plot_curves

    # the tutorial trains on all four examples at once: an iteration is one step and one epoch
    iteration = "iteration (one step on all 4 examples)"
    plot_weight_trajectories(trace, args.out / "01_weights.png", xlabel=iteration,
                             title="the tutorial neuron's three weights")  # fmt: skip
    plot_curves(history.history, args.out / "01_loss.png", xlabel=iteration,
                title="loss ½Σ(y − ŷ)² per iteration")  # fmt: skip
    w1, w2, w3 = nn.synaptic_weights.ravel()
    formula = f"output = σ({w1:.1f}·input 1 {w2:+.1f}·input 2 {w3:+.1f}·input 3)"
    plot_network(nn.model, args.out / "01_network.png", input_names=["input 1", "input 2",
                 "input 3"], output_names=["output"], title=formula)  # fmt: skip
    print(f"pictures written to {args.out}/01_*.png")


if __name__ == "__main__":
    main()
