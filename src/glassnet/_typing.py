"""The aliases glassnet modules annotate with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
#: what a model does with its target: predict a class, or a number
Task = Literal["classification", "regression"]
FloatDType = type[np.float32] | type[np.float64]
#: one pre-bound step of a compiled training step: a call with no arguments
Call = Callable[[], object]
