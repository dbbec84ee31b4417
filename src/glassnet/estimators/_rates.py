"""scikit-learn's learning-rate schedules for ``solver="sgd"``: "constant", "invscaling"
(η = η₀ / (t + 1)^power_t after each epoch, t the samples seen so far) and "adaptive" (η / 5
when the no-improvement count trips, stopping only once η ≤ 1e-6).

The rate is kept in the optimizer's constant schedule, on glassnet's scale (scikit-learn's rate
divided by the gradient ratio, see `BaseNeuralNet._make_optimizer`): it is what the next epoch
uses, what `partial_fit` continues with, and what a model file stores.
"""

from __future__ import annotations

from typing import Any

from ..optimizers import Optimizer

__all__ = ["LEARNING_RATES", "iteration_ends", "trigger_stopping"]

LEARNING_RATES = ("constant", "invscaling", "adaptive")

#: below this, "adaptive" stops instead of dividing the rate again (scikit-learn's)
_SMALLEST = 1e-6


def _scheduled(est: Any, kind: str) -> bool:
    return bool(est.solver == "sgd" and est.learning_rate == kind)


def _set_rate(est: Any, optimizer: Optimizer, rate: float) -> None:
    """Make scikit-learn's `rate` the one the optimizer uses from the next epoch on."""
    optimizer.schedule.learning_rate = optimizer.learning_rate = rate / est._grad_ratio


def iteration_ends(est: Any, optimizer: Optimizer | None, time_step: int) -> None:
    """After an epoch: "invscaling" sets η₀ / (time_step + 1)^power_t."""
    if optimizer is not None and _scheduled(est, "invscaling"):
        rate = float(est.learning_rate_init) / (time_step + 1) ** float(est.power_t)
        _set_rate(est, optimizer, rate)


def trigger_stopping(est: Any, optimizer: Optimizer | None, message: str) -> bool:
    """The no-improvement count has tripped: True to stop, or (with "adaptive") False after
    dividing the rate by 5, printing scikit-learn's line when `verbose`."""
    if optimizer is None or not _scheduled(est, "adaptive"):
        if est.verbose:
            print(message + " Stopping.")
        return True
    rate = optimizer.learning_rate * est._grad_ratio
    if rate <= _SMALLEST:
        if est.verbose:
            print(message + " Learning rate too small. Stopping.")
        return True
    rate /= 5.0
    _set_rate(est, optimizer, rate)
    if est.verbose:
        print(message + f" Setting learning rate to {rate:f}")
    return False
