"""scikit-learn's names for glassnet's parts: activations, solvers, and `random_state`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..activations import Identity, ReLU, Sigmoid, Tanh
from ..errors import GlassnetError
from ..layers import Layer
from ..validation import is_integer

__all__ = ["ACTIVATIONS", "SOLVERS", "as_rng"]

#: scikit-learn's activation names → glassnet layers
ACTIVATIONS: dict[str, type[Layer]] = {
    "identity": Identity,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
}
SOLVERS = ("adam", "sgd", "rmsprop", "lbfgs")


def as_rng(random_state: Any) -> np.random.Generator:
    """A Generator from scikit-learn's `random_state` (None, int, RandomState or Generator)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # draw a seed from the caller's own stream, as sklearn's check_random_state would use it
        return np.random.default_rng(int(random_state.randint(2**31 - 1)))
    if random_state is None or is_integer(random_state):
        return np.random.default_rng(random_state)
    raise GlassnetError(
        f"random_state must be None, an int, a RandomState or a Generator, got {random_state!r}"
    )
