"""The tutorial's `NeuralNetwork` — same names, same numbers — as a thin face over the engine.

The tutorial trains one sigmoid neuron with three inputs and no bias::

    output      = sigmoid(X @ w)
    adjustments = X.T @ ((y − output) · output · (1 − output))    # "error weighted derivative"
    w          += adjustments

That is one step of gradient descent with learning rate 1 on the sum-squared error
L(w) = ½·Σ(y − σ(Xw))². By the chain rule, with ŷ = σ(Xw) and σ' = σ(1 − σ):

    ∂L/∂ŷ = ŷ − y
    ∂L/∂w = Xᵀ·((ŷ − y) · ŷ(1 − ŷ))  = −adjustments
    w − 1·∂L/∂w = w + adjustments

So `NeuralNetwork` is `Sequential([Dense(3, 1, bias=False), Sigmoid()])` trained full-batch by
`SGD(learning_rate=1.0)` on `SumSquaredError()`; reproducing the tutorial's numbers proves the
engine's math.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._typing import Array
from .activations import Sigmoid
from .errors import DataError, GlassnetError
from .layers import Dense
from .losses import SumSquaredError
from .network import Sequential
from .optimizers import SGD
from .validation import LEGACY_SEEDS, seed_of

#: the tutorial's four training examples: the output is the first input
TRAINING_INPUTS = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float64)
TRAINING_OUTPUTS = np.array([[0, 1, 1, 0]], dtype=np.float64).T
#: the "new situation" the tutorial asks about; the answer should be close to 1
NEW_SITUATION = np.array([1, 0, 0], dtype=np.float64)


def starting_weights(seed: int = 1) -> Array:
    """The tutorial's ``2 * np.random.random((3, 1)) - 1`` after ``np.random.seed(seed)``.

    Drawn from a private legacy `RandomState`, so NumPy's global random state is untouched.
    """
    return 2 * np.random.RandomState(seed).random_sample((3, 1)) - 1


class NeuralNetwork:
    """The tutorial's single neuron: three inputs, one sigmoid output, no bias.

    Parameters
    ----------
    seed : int, default 1
        Seed of the starting weights (the tutorial's ``np.random.seed(1)``).

    Attributes
    ----------
    synaptic_weights : ndarray of shape (3, 1)
        The neuron's weights — the very array the engine trains (its `Dense` layer's weight).
    model : Sequential
        The engine underneath: ``Sequential([Dense(3, 1, bias=False), Sigmoid()])``.

    Examples
    --------
    >>> nn = NeuralNetwork()
    >>> nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 10000)
    >>> round(float(nn.think([1, 0, 0])[0]), 8)
    0.99993704
    """

    def __init__(self, seed: int = 1) -> None:
        seed = seed_of(seed, generator=False, below=LEGACY_SEEDS)  # legacy RandomState's range
        if seed is None:
            raise GlassnetError("seed must be a non-negative integer below 2**32, got None")
        self.neuron = Dense(3, 1, bias=False, init="zeros")
        self.model = Sequential([self.neuron, Sigmoid()])
        self.neuron.params["weight"][...] = starting_weights(int(seed))
        self.loss = SumSquaredError()
        self.optimizer = SGD(learning_rate=1.0)

    @property
    def synaptic_weights(self) -> Array:
        return self.neuron.params["weight"]

    @synaptic_weights.setter
    def synaptic_weights(self, value: Any) -> None:
        self.model.set_weights([np.asarray(value, dtype=np.float64).reshape(3, 1)])

    def sigmoid(self, x: Any) -> Array:
        """σ(x) = 1 / (1 + e^(−x)), computed by the engine's `Sigmoid` layer."""
        x = np.asarray(x, dtype=np.float64)
        return Sigmoid().forward(x.reshape(-1)).reshape(x.shape)

    def sigmoid_derivative(self, x: Any) -> Array:
        """σ'(z) written in terms of the output x = σ(z): x·(1 − x)."""
        x = np.asarray(x, dtype=np.float64)
        return x * (1 - x)

    def train(self, training_inputs: Any, training_outputs: Any, training_iterations: int) -> None:
        """Run `training_iterations` full-batch steps: each is the tutorial's weight update."""
        self.model.fit(
            training_inputs,
            training_outputs,
            loss=self.loss,
            optimizer=self.optimizer,
            epochs=training_iterations,
            batch_size=None,
            shuffle=False,
        )

    def think(self, inputs: Any) -> Array:
        """The neuron's output for one situation (3 values) or a batch of shape (n, 3).

        Accepts a list, a 1-D or 2-D array, or numeric strings (as typed at the tutorial's
        prompt). Returns shape (1,) for one situation and (n, 1) for a batch.
        """
        x = _as_float(inputs)
        if x.ndim == 1:
            return self.model.predict(x.reshape(1, -1))[0]
        return self.model.predict(x)


def _as_float(inputs: Any) -> Array:
    a = np.asarray(inputs)
    if a.dtype.kind in "US":  # the tutorial feeds strings typed at its prompt
        try:
            a = np.char.strip(a.astype(str)).astype(np.float64)
        except ValueError:
            raise DataError(f"inputs must be numbers, got {inputs!r}") from None
    if a.ndim not in (1, 2) or a.shape[-1] != 3:
        raise DataError(f"expected 3 inputs (or rows of 3), got shape {a.shape}")
    return a
