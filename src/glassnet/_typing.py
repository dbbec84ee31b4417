"""The aliases glassnet modules annotate with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
#: what a model does with its target: predict a class, or a number
Task = Literal["classification", "regression"]
FloatDType = type[np.float32] | type[np.float64]
#: one pre-bound step of a compiled training step: a call with no arguments
Call = Callable[[], object]


class Network(Protocol):
    """What the engine's parts below `network.py` — the step, the fit loop, callbacks, model
    files — use of a `Sequential`, named as a type so that they need not import it.

    `Sequential` is the one implementation; the loss and optimizer are glassnet's `Loss` and
    `Optimizer` (typed loosely here: this module sits below them).
    """

    layers: list[Any]
    loss: Any
    optimizer: Any
    metadata: dict[str, Any]
    extras: dict[str, Array]

    @property
    def dtype(self) -> np.dtype: ...
    @property
    def n_features_in(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    def parameters(self) -> list[Array]: ...
    def gradients(self) -> list[Array]: ...
    def get_weights(self) -> list[Array]: ...
    def set_weights(self, weights: Sequence[Array]) -> None: ...
    def outputs(self, X: Array, batch_size: int = 4096) -> Array: ...
