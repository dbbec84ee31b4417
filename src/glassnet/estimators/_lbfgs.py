"""``solver="lbfgs"`` for the estimators: scikit-learn's objective minimized by `LBFGS` in
`Sequential.fit`, with its ``max_iter``, ``max_fun``, ``tol`` and its `ConvergenceWarning`.

scikit-learn minimizes F = loss + ½·α·‖W‖²/n on its own scale of the loss, which is s times
glassnet's (`_loss_scale`). The solve hands L-BFGS-B exactly that F: s × (glassnet's loss +
½·(α/(n·s))·‖W‖²), i.e. ``weight_decay`` α/(n·s) and ``scale`` s — on F's own scale, because
L-BFGS-B's stopping rules read it (the gradient tolerance ``tol``, and a relative decrease
measured against max(|F|, 1)). ``loss_`` and ``loss_curve_`` report F. (With several regression
targets scikit-learn pairs that F with a gradient k times its own; glassnet uses F's true
gradient.)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._typing import Array, Network
from ..callbacks import Callback
from ..optimizers import LBFGS

__all__ = ["fit_lbfgs"]


class _Curve(Callback):
    """After each L-BFGS iteration: scikit-learn's objective into ``loss_curve_``."""

    def __init__(self, estimator: Any, n_samples: int) -> None:
        self.est, self.n_samples = estimator, n_samples

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> bool:
        est = self.est
        weights = [layer.params["weight"] for layer in model.layers if "weight" in layer.params]
        squares = sum((float(np.vdot(w, w)) for w in weights), 0.0)
        loss = logs["loss"] * est._loss_scale + 0.5 * float(est.alpha) * squares / self.n_samples
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {len(est.loss_curve_)}, loss = {loss:.8f}")
        return False


def fit_lbfgs(est: Any, X: Array, y: Array, seed: int) -> None:
    """Train ``est.network_`` on the full batch (X, y) by L-BFGS-B; set ``n_iter_``, ``loss_``,
    ``loss_curve_``; warn as scikit-learn does when the solve stops short of converging."""
    n, scale = X.shape[0], est._loss_scale
    optimizer = LBFGS(
        max_fun=int(est.max_fun),
        tol=float(est.tol),
        weight_decay=float(est.alpha) / (n * scale),
        scale=scale,
    )
    est.network_.fit(X, y, loss=est._loss, optimizer=optimizer, epochs=int(est.max_iter),
                     callbacks=[_Curve(est, n)], seed=seed)  # fmt: skip
    result = optimizer.result
    est.n_iter_ = min(result.n_iter, int(est.max_iter))
    est.loss_ = result.objective
    est.best_loss_ = None  # scikit-learn's lbfgs keeps no best loss
    if result.status != 0:  # scikit-learn's warning (`_check_optimize_result`), line for line
        message = (
            f"lbfgs failed to converge after {est.n_iter_} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if est.n_iter_ == est.max_iter:
            message += (
                "\nIncrease the number of iterations to improve the convergence "
                f"(max_iter={est.max_iter})."
            )
        message += (
            "\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
        )
        warnings.warn(message, ConvergenceWarning, stacklevel=4)
