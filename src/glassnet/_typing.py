"""The array alias every glassnet module annotates with."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]
FloatDType = type[np.float32] | type[np.float64]
