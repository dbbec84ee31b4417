"""Callbacks that hook into `fit` — `Callback`, `EarlyStopping` — and `History`, its record."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ._typing import Array, Network
from .errors import GlassnetError
from .validation import non_negative, positive_int


class Callback:
    """Hooks into `fit`; override what you need. Only overridden hooks are called."""

    def on_train_begin(self, model: Network) -> None:
        """Before the first epoch."""

    def on_batch_end(self, step: int, model: Network, loss: float) -> None:
        """After each optimizer step; `step` counts from 1 over the whole fit."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> bool | None:
        """After each epoch (0-based); return True to stop training."""
        return None

    def on_train_end(self, model: Network, history: History) -> None:
        """After the last epoch (and after early stopping restored the best weights)."""


def overrides(callback: Callback, hook: str) -> bool:
    """Whether `callback`'s class overrides the hook `hook` (the fit loop skips the others)."""
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


#: metrics that improve by rising (losses and MSE improve by falling)
_HIGHER_IS_BETTER = ("accuracy", "r2")


@dataclass
class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    Parameters
    ----------
    patience : int, default 10
    min_delta : float, default 0.0
    monitor : str, default "val_loss" (falls back to "loss" with no validation data)
        A loss or MSE improves by falling; accuracy and R² improve by rising.
    restore_best_weights : bool, default True
        At the end of training, put back the weights of the best epoch.

    After `fit`, `best_epoch` is the 0-based epoch of the best value (None if none improved).
    """

    patience: int = 10
    min_delta: float = 0.0
    monitor: str = "val_loss"
    restore_best_weights: bool = True
    best_epoch: int | None = field(default=None, init=False, repr=False, compare=False)
    _best: float = field(default=math.inf, init=False, repr=False, compare=False)
    _wait: int = field(default=0, init=False, repr=False, compare=False)
    _weights: list[Array] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.check()

    def check(self, logged: Collection[str] | None = None) -> None:
        """Refuse settings that cannot work; with `logged` (the names fit will log each epoch),
        a `monitor` that is not among them. `fit` calls this before training."""
        positive_int(self.patience, "early_stopping patience")
        non_negative(self.min_delta, "early_stopping min_delta")
        if not isinstance(self.monitor, str):
            raise GlassnetError(f"early_stopping monitor must be a name, got {self.monitor!r}")
        if logged is not None and self.watched(logged) not in logged:
            known = ", ".join(n for n in logged if n not in ("learning_rate", "time"))
            raise GlassnetError(
                f"early stopping monitors {self.watched(logged)!r}, which fit will not log "
                f"(it logs {known}); add it with metrics=[...] or pick one of those"
            )

    def on_train_begin(self, model: Network) -> None:
        self.best_epoch, self._best, self._wait, self._weights = None, math.inf, 0, None

    def watched(self, logs: Collection[str]) -> str:
        """The name of the logged value this stopper watches: `monitor`, or with no validation
        data (no "val_loss" logged) the training value of the same name."""
        return self.monitor if "val_loss" in logs else self.monitor.removeprefix("val_")

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> bool:
        name = self.watched(logs)
        value = logs.get(name)
        if value is None:
            raise GlassnetError(f"early stopping monitors {name!r}, which fit did not log")
        if name.removeprefix("val_") in _HIGHER_IS_BETTER:
            value = -value  # higher is better: minimise its negative
        if value < self._best - self.min_delta:
            self._best, self._wait, self.best_epoch = value, 0, epoch
            if self.restore_best_weights:
                self._weights = model.get_weights()
            return False
        self._wait += 1
        return self._wait >= self.patience

    def on_train_end(self, model: Network, history: History) -> None:
        if self._weights is not None:
            model.set_weights(self._weights)
            self._weights = None


@dataclass
class History:
    """What happened during `fit`: one list per quantity, one entry per epoch.

    ``history["loss"]``, ``history["val_loss"]``, ``history["accuracy"]``, ... and
    ``history["learning_rate"]``, ``history["time"]`` (seconds per epoch).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: int = 0
    best_epoch: int | None = None
    stopped_early: bool = False

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def append(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epochs += 1

    @property
    def loss(self) -> list[float]:
        return self.history.get("loss", [])

    @property
    def val_loss(self) -> list[float]:
        return self.history.get("val_loss", [])

    def summary(self) -> dict[str, Any]:
        """The last value of each quantity, and the epoch counts (JSON-friendly)."""
        # JSON has no inf/NaN (a validation loss can overflow): those become null
        last: dict[str, float | None] = {
            k: v[-1] if math.isfinite(v[-1]) else None
            for k, v in self.history.items()
            if v and k != "time"
        }
        return {"epochs": self.epochs, "best_epoch": self.best_epoch, **last}
