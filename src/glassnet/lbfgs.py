"""Full-batch training by L-BFGS-B: scipy's quasi-Newton solver driving the engine's own step.

The solver sees the parameters as one flat vector. Each evaluation writes that vector into the
layers' own arrays, runs `compiled.Step`'s program — forward, loss, backward; `LBFGS` adds no
update — and reads the gradient back from the layers' grads, with the L2 term: the objective is
loss + ½·λ·‖W‖² over the weight matrices, its gradient ∇loss + λ·W. scipy is imported only
when a solve starts (`glassnet` itself needs NumPy alone).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import blas
from ._typing import Array
from .compiled import Step
from .errors import GlassnetError

__all__ = ["Evaluation", "Solve", "minimize"]


@dataclass
class Solve:
    """How a solve ended: scipy's counts, status (0: converged) and message."""

    n_iter: int
    n_fun: int
    status: int
    message: str
    objective: float


def _scipy_optimize() -> Any:
    try:
        import scipy.optimize
    except ImportError:
        raise GlassnetError(
            "the L-BFGS solver needs scipy: pip install scipy (or glassnet[sklearn])"
        ) from None
    return scipy.optimize


class Evaluation:
    """The objective and its gradient at a flat vector of parameters, computed by `step`.

    `loss` holds the loss (without the L2 term) of the latest evaluation; `count` how many
    evaluations there have been.
    """

    def __init__(
        self,
        step: Step,
        X: Array,
        y: Array,
        weight_decay: float,
        observe: Callable[[Array, Array], None] | None = None,
        scale: float = 1.0,
    ) -> None:
        self.run, self.restore = step.program(X, y, observe)
        self.params, self.grads = step.params, step.grads
        ends = np.cumsum([p.size for p in self.params]).tolist()
        self.slices = [slice(e - p.size, e) for p, e in zip(self.params, ends)]
        self.size = ends[-1] if ends else 0
        self.weight_decay, self.scale = weight_decay, scale
        # the weight matrices take the L2 term; biases do not (as `Optimizer.weight_decay`)
        self.decayed = [bool(weight_decay) and p.ndim >= 2 for p in self.params]
        self.loss = float("nan")
        self.count = 0

    def pack(self) -> Array:
        """The parameters as one float64 vector (what scipy works in)."""
        x = np.empty(self.size)
        for p, s in zip(self.params, self.slices):
            x[s] = p.ravel()
        return x

    def unpack(self, x: Array) -> None:
        """Write the flat vector `x` into the layers' own parameter arrays."""
        for p, s in zip(self.params, self.slices):
            np.copyto(p, x[s].reshape(p.shape))

    def __call__(self, x: Array) -> tuple[float, Array]:
        self.unpack(x)
        loss = self.run()
        gradient = np.empty(self.size)
        squares = 0.0
        for p, g, s, decayed in zip(self.params, self.grads, self.slices, self.decayed):
            view = gradient[s].reshape(p.shape)
            if decayed:  # d/dW ½λ‖W‖² = λ·W
                np.multiply(p, self.weight_decay, out=view)
                view += g
                squares += float(np.vdot(p, p))
            else:
                np.copyto(view, g)
        self.loss = float(loss)
        self.count += 1
        if self.scale != 1.0:  # the objective on the scale its stopping rules should read
            gradient *= self.scale
        return self.scale * (self.loss + 0.5 * self.weight_decay * squares), gradient


def minimize(
    evaluate: Evaluation,
    *,
    max_iter: int,
    max_fun: int,
    tol: float,
    on_iteration: Callable[[float], bool] | None = None,
) -> Solve:
    """Run scipy's L-BFGS-B from the current parameters, as scikit-learn's MLPs configure it
    (``maxiter``, ``maxfun``, ``gtol``), and leave its solution in the layers' arrays.

    `on_iteration(loss)` is called after every iteration with the loss at the new iterate (the
    parameters hold it then); returning True ends the solve there.
    """
    optimize = _scipy_optimize()
    callback = None
    if on_iteration is not None:

        def callback(intermediate_result: Any) -> None:
            # L-BFGS-B's last evaluation is the iterate it accepts: its loss is `evaluate.loss`
            if on_iteration(evaluate.loss):
                raise StopIteration

    with _solver_blas_serial():
        result = optimize.minimize(
            evaluate,
            evaluate.pack(),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
        )
    evaluate.unpack(result.x)
    return Solve(
        n_iter=int(result.nit),
        n_fun=int(result.nfev),
        status=int(result.status),
        message=str(result.message),
        objective=float(result.fun),
    )


# --- the solver's own BLAS --------------------------------------------------------------------
#
# A scipy wheel ships its own OpenBLAS beside NumPy's, each with a pool of threads that keep
# spinning for a while after a call. L-BFGS-B's few small BLAS calls per iteration gain nothing
# from threads, but its pool's spinning threads take the cores from NumPy's next matrix product,
# and NumPy's spinning threads from the solver: on 2 cores, digits with 100 hidden units solves
# 3-4x faster with the solver's pool at one thread (bench W5). NumPy's pool is left alone.


def _solver_blas_serial() -> Any:
    """Every BLAS library but NumPy's own at one thread while the block runs (nothing to do
    without threadpoolctl, which comes with scikit-learn; solves in several threads, and lanes
    holding NumPy's, share the count: `blas.one_thread`)."""
    return blas.one_thread(_other_blas())


@functools.cache
def _other_blas() -> tuple[Any, ...]:
    """threadpoolctl's controllers of the BLAS libraries loaded besides NumPy's (found once)."""
    return tuple(lib for lib in blas.libraries() if not blas.numpys(lib))
