"""The optimizers' whole update — clipping's scale, weight decay, the rule, the step — in one pass.

NumPy runs Adam's update as about twelve passes over the model's parameters, gradients and
moments, one per operation; each kernel here does the same arithmetic element by element in one
pass over them all, in the same order and the same precision, so its numbers are NumPy's to the
last bit: the coefficients come in an array of the parameters' dtype (a Python float beside a
float32 array is rounded to float32 first, as NumPy does), and nothing is reordered or fused
(without ``fastmath`` Numba never contracts ``a * b + c`` into one rounding).

A rule's kernel (`adam`, `rmsprop`, `sgd`) takes the parameters and their gradients as two tuples
of flat views of the model's own arrays, which of them are weight matrices (`decayed`: they take
the L2 term), the rule's state as the flat arrays the optimizer keeps (a view per parameter
inside them), the coefficients (`coef`, its slots named below) and two switches: `clipping` (the
gradients are scaled, in place, by ``coef[SCALE]``) and `decaying` (λ = ``coef[DECAY]`` is not 0).
It returns whether every new parameter and state value is finite: NumPy reports an overflow where
it happens, a kernel says so at the end (`Optimizer.step` then does what ``np.geterr()`` asks).

This module imports Numba: `glassnet.optimizers` imports it only when `kernels.worth` says a
kernel will run. Each kernel compiles at its first call for a dtype and a number of parameters,
or loads that from Numba's disk cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import jit as numba_jit

#: slots of `coef` shared by every rule: the clipping scale, the L2 factor λ
SCALE, DECAY = 0, 1
#: Adam's slots: β₁, 1 − β₁, β₂, 1 − β₂, 1/√(1 − β₂ᵗ), ε, η / (1 − β₁ᵗ)
B1, ONE_MINUS_B1, B2, ONE_MINUS_B2, ROOT_CORRECTION, EPSILON, STEP_SIZE = range(2, 9)
#: RMSprop's slots: ρ, 1 − ρ, ε, η
RHO, ONE_MINUS_RHO, RMS_EPSILON, RMS_RATE = range(2, 6)
#: SGD's slots: μ (the momentum), η
MOMENTUM, RATE = range(2, 4)
#: the length of `coef` (the longest rule's)
N_COEF = 9

kernel: Any = numba_jit()


# Each rule is a loop over the parameters calling a kernel for one parameter's elements: a loop
# that indexes the tuples directly is vectorized by LLVM for one or two parameters, not for six.


@kernel
def adam_part(p, g, m, v, coef, clipping, decay_here):
    """Adam on one parameter's elements (`Adam.direction`'s operations, in its order)."""
    scale, decay = coef[SCALE], coef[DECAY]
    b1, c1, b2, c2 = coef[B1], coef[ONE_MINUS_B1], coef[B2], coef[ONE_MINUS_B2]
    root, eps, size = coef[ROOT_CORRECTION], coef[EPSILON], coef[STEP_SIZE]
    finite = True
    for i in range(p.size):
        gi = g[i]
        if clipping:  # g ← g · clip / ‖g‖, in the model's grads as `_clip` leaves them
            gi = gi * scale
            g[i] = gi
        if decay_here:  # λ·W + g: d/dW ½λ‖W‖²
            gi = p[i] * decay + gi
        mi = m[i] * b1 + gi * c1  # m ← β₁m + (1 − β₁)g
        vi = v[i] * b2 + (gi * gi) * c2  # v ← β₂v + (1 − β₂)g²
        m[i] = mi
        v[i] = vi
        # p ← p − (η / (1 − β₁ᵗ)) · m / (√v · 1/√(1 − β₂ᵗ) + ε)
        pi = p[i] - (mi / (np.sqrt(vi) * root + eps)) * size
        p[i] = pi
        finite &= np.isfinite(pi) & np.isfinite(vi)
    return finite


@kernel
def rmsprop_part(p, g, v, coef, clipping, decay_here):
    """RMSprop on one parameter's elements (`RMSprop.direction`'s operations, in its order)."""
    scale, decay = coef[SCALE], coef[DECAY]
    rho, c, eps, rate = coef[RHO], coef[ONE_MINUS_RHO], coef[RMS_EPSILON], coef[RMS_RATE]
    finite = True
    for i in range(p.size):
        gi = g[i]
        if clipping:
            gi = gi * scale
            g[i] = gi
        if decay_here:
            gi = p[i] * decay + gi
        vi = v[i] * rho + (gi * gi) * c  # v ← ρv + (1 − ρ)g²
        v[i] = vi
        pi = p[i] - (gi / (np.sqrt(vi) + eps)) * rate  # p ← p − η·g / (√v + ε)
        p[i] = pi
        finite &= np.isfinite(pi) & np.isfinite(vi)
    return finite


@kernel
def sgd_part(p, g, velocity, coef, clipping, decay_here, nesterov):
    """SGD with momentum on one parameter's elements (`SGD.direction`'s operations, in order)."""
    scale, decay, mu, rate = coef[SCALE], coef[DECAY], coef[MOMENTUM], coef[RATE]
    finite = True
    for i in range(p.size):
        gi = g[i]
        if clipping:
            gi = gi * scale
            g[i] = gi
        if decay_here:
            gi = p[i] * decay + gi
        vi = velocity[i] * mu + gi  # v ← μv + g
        velocity[i] = vi
        # p ← p − η·(μv + g) with Nesterov, p ← p − η·v without
        pi = p[i] - ((vi * mu + gi) * rate if nesterov else vi * rate)
        p[i] = pi
        finite &= np.isfinite(pi) & np.isfinite(vi)
    return finite


@kernel
def adam(params, grads, decayed, m, v, coef, clipping, decaying):
    """Adam over the whole model; `m`, `v` flat, in the parameters' order."""
    finite = True
    start = 0
    for k in range(len(params)):
        end = start + params[k].size
        finite &= adam_part(params[k], grads[k], m[start:end], v[start:end], coef, clipping,
                            decaying and decayed[k])  # fmt: skip
        start = end
    return finite


@kernel
def rmsprop(params, grads, decayed, v, coef, clipping, decaying):
    """RMSprop over the whole model; `v` flat, in the parameters' order."""
    finite = True
    start = 0
    for k in range(len(params)):
        end = start + params[k].size
        finite &= rmsprop_part(params[k], grads[k], v[start:end], coef, clipping,
                               decaying and decayed[k])  # fmt: skip
        start = end
    return finite


@kernel
def sgd(params, grads, decayed, velocity, coef, clipping, decaying, nesterov):
    """SGD with momentum over the whole model; `velocity` flat, in the parameters' order."""
    finite = True
    start = 0
    for k in range(len(params)):
        end = start + params[k].size
        finite &= sgd_part(params[k], grads[k], velocity[start:end], coef, clipping,
                           decaying and decayed[k], nesterov)  # fmt: skip
        start = end
    return finite
