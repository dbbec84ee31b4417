"""Step 4 of the learner's path: two interleaved spirals, a problem with a curved answer.

XOR needed a few lines; two spirals need a boundary that winds around the centre. A network with
two hidden layers of 64 ReLU units learns it in a few seconds. We first break the training on
purpose — a learning rate 100× too high — and let glassnet say what went wrong, then train it
properly and watch the boundary find its way between the arms.

Run:  python examples/04_spirals.py --out pictures/
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import glassnet as gn


def spiral_net() -> gn.Sequential:
    """2 inputs → 64 ReLU → 64 ReLU → 2 logits; He initialisation suits ReLU."""
    return gn.Sequential([
        gn.Dense(2, 64, rng=0, init="he_uniform"), gn.ReLU(),
        gn.Dense(64, 64, rng=1, init="he_uniform"), gn.ReLU(),
        gn.Dense(64, 2, rng=2),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("pictures"), help="where the pictures go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    X, y = gn.datasets.make_spirals(400, noise=0.2, seed=0)
    X_test, y_test = gn.datasets.make_spirals(400, noise=0.2, seed=1)  # fresh points to test on
    fit = {"loss": gn.CrossEntropy(), "batch_size": 32, "seed": 0, "metrics": ["accuracy"]}

    # 1. Broken on purpose: Adam with learning rate 1.0 (0.01 works). The Watchdog callback
    #    warns during fit; diagnose() explains afterwards.
    print("== learning rate 1.0: what goes wrong ==")
    broken = spiral_net()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", gn.TrainingWarning)
        history = broken.fit(X, y, optimizer=gn.Adam(1.0), epochs=30,
                             callbacks=[gn.Watchdog()], **fit)  # fmt: skip
    for w in caught:
        print("warning:", w.message)
    print(f"accuracy after 30 epochs: {history['accuracy'][-1]:.1%}")
    print(gn.diagnose(broken, X, y, history=history))

    # 2. Healthy: learning rate 0.01, traced to watch the boundary move.
    print("== learning rate 0.01 ==")
    net = spiral_net()
    trace = gn.Trace(every=25)
    history = net.fit(X, y, optimizer=gn.Adam(0.01), epochs=150, callbacks=[trace],
                      validation_data=(X_test, y_test), **fit)  # fmt: skip
    accuracy = net.evaluate(X_test, y_test)["accuracy"]
    print(f"test accuracy {accuracy:.1%} after {history.epochs} epochs")
    assert accuracy > 0.95

    from glassnet.glass_plots import animate_boundary, plot_network
    from glassnet.plots import plot_boundary, plot_curves

    animate_boundary(net, trace, X, y, args.out / "04_boundary.gif", max_frames=20,
                     feature_names=["x1", "x2"], classes=["arm 0", "arm 1"])  # fmt: skip
    plot_boundary(net, X_test, y_test, args.out / "04_boundary.png",
                  title=f"test points: {accuracy:.1%} right")  # fmt: skip
    plot_curves(history.history, args.out / "04_curves.png", title="spirals, Adam(0.01)")
    plot_network(net, args.out / "04_network.png", max_units=8, input_names=["x1", "x2"],
                 output_names=["arm 0", "arm 1"])  # fmt: skip
    print(f"pictures written to {args.out}/04_*")


if __name__ == "__main__":
    main()
