"""The tutorial's closing question: one neuron cannot learn XOR; one hidden layer can."""

from __future__ import annotations

import numpy as np

from glassnet import SGD, Dense, Sequential, Sigmoid, SumSquaredError, datasets


def test_a_single_neuron_cannot_learn_xor():
    X, y = datasets.xor()
    # the tutorial's neuron, given a bias input so it is as strong as a single neuron can be
    neuron = Sequential([Dense(2, 1, rng=0, init="uniform"), Sigmoid()])
    neuron.fit(X, y, loss=SumSquaredError(), optimizer=SGD(1.0), epochs=10000)
    out = neuron.predict(X).ravel()
    # XOR is not linearly separable: the best a single neuron can do is hedge at 0.5
    assert np.all(np.abs(out - 0.5) < 0.1), out
    assert np.max(np.abs(out - y.ravel())) > 0.4


def test_one_hidden_layer_learns_xor():
    X, y = datasets.xor()
    net = Sequential(
        [
            Dense(2, 4, rng=1, init="uniform"),
            Sigmoid(),
            Dense(4, 1, rng=2, init="uniform"),
            Sigmoid(),
        ]
    )
    net.fit(X, y, loss=SumSquaredError(), optimizer=SGD(1.0), epochs=10000)
    out = net.predict(X).ravel()
    assert np.all(np.abs(out - y.ravel()) < 0.1), out
