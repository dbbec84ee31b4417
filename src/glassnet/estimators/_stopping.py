"""scikit-learn's per-epoch bookkeeping and stopping rule, as a `Callback` the estimators'
`fit` runs inside `Sequential.fit` (with the L2 penalty scaled as scikit-learn's objective)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._typing import Array, Network
from ..callbacks import Callback
from ..optimizers import Optimizer
from ._rates import iteration_ends, trigger_stopping

__all__ = ["SklearnStopping"]


class SklearnStopping(Callback):
    """scikit-learn's per-epoch bookkeeping and stopping rule, run inside `Sequential.fit`.

    After each epoch: append scikit-learn's objective to ``loss_curve_``; then count epochs
    without improvement by more than `tol` — of the training loss, or of the validation score
    with `early_stopping` — and stop once the count exceeds `n_iter_no_change`.
    """

    def __init__(
        self,
        estimator: Any,  # the BaseNeuralNet whose fitted attributes it keeps
        *,
        n_samples: int,
        batch_size: int,
        validation: tuple[Any, Array, Array | None] | None,
        can_stop: bool,
        weights: Array | None = None,
    ) -> None:
        self.est = estimator
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.n_batches = math.ceil(n_samples / batch_size)
        self._squares = 0.0  # ‖W‖² before the coming step
        self._penalty_sum = 0.0  # Σ over this epoch's batches of ‖W‖² before each step
        self.validation = validation
        self.can_stop = can_stop
        # scikit-learn divides the L2 term by each batch's Σ w, not its size: taken here as the
        # batch size times the mean weight (exact for the full batch and for equal weights)
        self.mean_weight = 1.0 if weights is None else float(weights.mean())
        self.stopped = False
        self.best_weights: list[Array] | None = None

    @staticmethod
    def _weight_squares(model: Network) -> float:
        weights = [layer.params["weight"] for layer in model.layers if "weight" in layer.params]
        return sum((float(np.vdot(w, w)) for w in weights), 0.0)

    def _set_weight_decay(self, optimizer: Optimizer | None, batch_index: int) -> None:
        """scikit-learn's L2 gradient is α·W/len(batch): set it for the coming batch, which is
        shorter than the others when it is the last of the epoch and n % batch_size ≠ 0."""
        last = self.n_samples - (self.n_batches - 1) * self.batch_size
        size = last if batch_index == self.n_batches - 1 else self.batch_size
        if optimizer is not None:
            decay = float(self.est.alpha) * self.est._grad_ratio / (size * self.mean_weight)
            optimizer.weight_decay = decay

    def on_train_begin(self, model: Network) -> None:
        self._squares = self._weight_squares(model) if self.est.alpha else 0.0
        self._set_weight_decay(model.optimizer, 0)

    def on_batch_end(self, step: int, model: Network, loss: float) -> None:
        if self.est.alpha:
            self._penalty_sum += self._squares
            self._squares = self._weight_squares(model)
            self._set_weight_decay(model.optimizer, step % self.n_batches)

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> bool:
        est = self.est
        # scikit-learn adds ½·α·‖W‖²/n_batch to each batch's loss (with the weights before the
        # step) and averages the batches weighted by their sizes: the sizes cancel, leaving
        # ½·α·Σ_batches ‖W‖² / n_samples
        penalty = 0.5 * est.alpha * self._penalty_sum / (self.n_samples * self.mean_weight)
        self._penalty_sum = 0.0
        loss = logs["loss"] * est._loss_scale + penalty
        est.loss_ = loss
        est.loss_curve_.append(loss)
        est.n_iter_ += 1
        est.t_ += self.n_samples
        if est.verbose:  # scikit-learn's lines, on stdout as it prints them
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        tol = est.tol
        if self.validation is not None:
            score = est._score_encoded(*self.validation)
            scores, best = est.validation_scores_, est.best_validation_score_
            assert scores is not None and best is not None  # set by _initialize
            scores.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            # as scikit-learn compares: a NaN score (a diverged network) resets the count
            improved = not score < best + tol
            if score > best:
                est.best_validation_score_ = score
                self.best_weights = model.get_weights()
        else:
            best_loss = est.best_loss_
            assert best_loss is not None  # set by _initialize
            improved = loss <= best_loss - tol
            est.best_loss_ = min(best_loss, loss)
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        iteration_ends(est, model.optimizer, est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.validation is not None else "Training loss"
            message = (
                f"{what} did not improve more than tol={tol:f} for "
                f"{est.n_iter_no_change} consecutive epochs."
            )
            if trigger_stopping(est, model.optimizer, message):
                self.stopped = self.can_stop  # partial_fit's one epoch ends anyway
            else:
                est._no_improvement_count = 0  # "adaptive" carries on at a fifth of the rate
        return self.stopped
