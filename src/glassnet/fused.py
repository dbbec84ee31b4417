"""Fused plans: a `Dense` layer's bias and the `Sigmoid` after it, run as compiled kernels.

In NumPy a hidden layer ``σ(x·W + b)`` is, besides its products, a chain of passes over its
(rows × units) array: the bias added and Sigmoid's five passes forward; backward, the outer
product of a one-unit layer above and Sigmoid's derivative's three passes. With the `fast`
extra (Numba) the compiled step runs those chains as a few kernels (`kernels.elementwise`),
with the reference's arithmetic in its order: the same results, bit for bit, block by block.
(A batch large enough to be cut into blocks is cut into larger ones when kernels run,
`Step.FUSED_BLOCK_SCALE`: its gradient is then summed over other blocks, the same up to rounding.)

`Step.program` asks `Fusion` which layers to plan together; everything else is planned by the
layers themselves. Only glassnet's own `Dense` and `Sigmoid` are fused (a subclass, or a method
replaced on an instance, keeps its own plan), and only when `kernels.worth` says so. The same
holds for a `Dense` and the `ReLU` after it, and a `Dense` layer's bias alone (at the end).
"""

from __future__ import annotations

import sys
from functools import partial
from itertools import pairwise
from typing import Any, TypeGuard, TypeVar

from . import kernels
from ._typing import Array, Call
from .activations import ReLU, Sigmoid
from .layers import Dense, Layer
from .plans import glassnets_own

_L = TypeVar("_L", bound=Layer)

#: hidden-array elements per batch (rows × units) from which the kernels repay Numba's import
#: and loading them in a fresh process (~0.3 s): a step's passes over a million elements take
#: ~4 ms in NumPy, and the kernels save about half of that
THRESHOLD = 1 << 20
#: the same for a (Dense, ReLU) pair once Numba is imported (another kernel paid for it): on a
#: small batch the kernels save NumPy's per-call overhead (measured: bench/NOTES.md)
RELU_FROM_LOADED = 1 << 12
#: the same for a Dense layer's bias alone (not followed by an activation planned with it)
BIAS_FROM_LOADED = 1 << 10


def _own(layer: Layer | None, cls: type[_L]) -> TypeGuard[_L]:
    """Whether `layer` is glassnet's own `cls` itself: no subclass, no method replaced."""
    return type(layer) is cls and glassnets_own(layer)


class Fusion:
    """Which layers of a network the compiled step plans together, for a batch of `rows` rows.

    A pair (`Dense` with a bias, `Sigmoid`) starting at depth d is planned as one: forward, the
    product, then the bias and σ in three passes instead of six; backward, σ′ in one pass
    instead of three — and, when the layer above is a `Dense` with one unit, its input gradient
    (an outer product) formed in that same pass.
    """

    def __init__(self, layers: list[Layer], rows: int) -> None:
        self.pairs: set[int] = set()  # depths of the Dense layers fused with their Sigmoid
        self.outer: set[int] = set()  # depths of the one-unit Dense layers above such a pair
        self.relu = relu_pairs(layers, rows)  # depths of the Dense layers fused with their ReLU
        for d, (dense, act) in enumerate(pairwise(layers)):
            if not (_own(dense, Dense) and _own(act, Sigmoid) and dense.bias):
                continue
            if not kernels.worth(rows * dense.n_out, THRESHOLD):
                continue
            self.pairs.add(d)
            above = layers[d + 2] if d + 2 < len(layers) else None
            if above is not None and _own(above, Dense) and above.n_out == 1:
                self.outer.add(d + 2)
        self.bias = lone_biases(layers, rows, self.pairs | self.relu)  # Dense's bias alone
        #: a pair below a one-unit layer stores its arrays unit by unit (Fortran order), its
        #: product computed as (Wᵀ·xᵀ)ᵀ: set by `Step.program` for a batch in two lanes
        #: (`glassnet.lanes`), where one BLAS thread streams the rows faster so (bench/NOTES.md,
        #: W4) and bit for bit is not promised
        self.transposed = False
        self.unit_majors: set[int] = set()  # depths of the pairs planned so (`unit_major`)

    def forward(self, layers: list[Layer], depth: int, x: Array) -> tuple[int, Array, list[Call]]:
        """(layers planned, output, calls) for the forward pass from `depth` on, if fused there;
        (0, x, []) if not."""
        if depth in self.relu:
            return relu_forward(layers, depth, x)
        if depth in self.bias:
            return bias_forward(layers, depth, x)
        if depth not in self.pairs:
            return 0, x, []
        dense, act = layers[depth], layers[depth + 1]
        assert isinstance(dense, Dense) and isinstance(act, Sigmoid)
        unit_major = self.unit_major(layers, depth, x)
        order = "F" if unit_major else "C"
        planned = dense.plan_forward(x, add_bias=False, order=order)
        if planned is None:  # a sparse batch: not fused
            return 0, x, []
        if unit_major:
            self.unit_majors.add(depth)
        z, calls = planned
        y, _ = act.plan_forward(z, order=order)  # its buffers and cache; its calls are the kernels'
        from .kernels.elementwise import bias_sigmoid_calls

        low, one = Sigmoid.constants(z.dtype)
        bias = dense.params["bias"]
        return 2, y, calls + bias_sigmoid_calls(z, bias, low, one, y, unit_major=unit_major)

    def unit_major(self, layers: list[Layer], depth: int, x: Array) -> bool:
        """Whether the pair at `depth` stores its arrays unit by unit (`transposed`): only below
        a one-unit layer, whose σ′ pass forms the whole incoming gradient itself."""
        w = layers[depth].params["weight"]
        return self.transposed and depth + 2 in self.outer and x.dtype is w.dtype

    def backward(
        self, layers: list[Layer], depth: int, grad: Array, lowest_params: int
    ) -> tuple[int, Array, list[Call]]:
        """(layers planned, d loss / d input, calls) for the backward pass from `depth` down, if
        fused there; (0, grad, []) if not. Below `lowest_params` nobody needs d loss / d input."""
        if depth - 1 in self.relu:
            return relu_backward(layers, depth, grad, lowest_params)
        if depth not in self.outer and depth - 1 not in self.pairs:
            return 0, grad, []
        from .kernels.elementwise import kernel

        calls: list[Call] = []
        top = depth
        if depth in self.outer:  # a one-unit Dense above: its outer product goes into σ′'s pass
            above = layers[depth]
            assert isinstance(above, Dense)
            _, calls = above.plan_backward(grad, input_grad=False)
            depth -= 1
        act, dense = layers[depth], layers[depth - 1]
        assert isinstance(act, Sigmoid) and isinstance(dense, Dense)
        y = act.output()
        unit_major = depth - 1 in self.unit_majors
        # its buffer for dx; its calls are replaced by a kernel
        dx, _ = act.plan_backward(y, order="F" if unit_major else "C")
        one = Sigmoid.constants(y.dtype)[1]
        derive: Any
        if top == depth:
            derive = partial(kernel("sigmoid_backward"), y, grad, one, dx)
        else:
            w = layers[top].params["weight"].T  # (units, 1) as a row: a view
            if unit_major:
                derive = partial(kernel("sigmoid_backward_outer_t"), y.T, grad, w, one, dx.T)
            else:
                derive = partial(kernel("sigmoid_backward_outer"), y, grad, w, one, dx)
        below, below_calls = dense.plan_backward(dx, input_grad=depth - 1 > lowest_params)
        return top - depth + 2, below, [*calls, derive, *below_calls]


# (Dense with a bias, ReLU): forward the bias and max(·, 0) in one pass, backward [y > 0] · grad
# in one (`kernels.relu`); and a Dense's bias alone, a kernel instead of NumPy's broadcast add


def relu_pairs(layers: list[Layer], rows: int) -> set[int]:
    """Depths of the `Dense` layers (with a bias) whose `ReLU` above is planned with them, for a
    batch of `rows` rows: from `THRESHOLD` hidden elements, or `RELU_FROM_LOADED` when Numba is
    already imported (`kernels.worth`)."""
    threshold = RELU_FROM_LOADED if "numba" in sys.modules else THRESHOLD
    return {
        d
        for d, (dense, act) in enumerate(pairwise(layers))
        if _own(dense, Dense) and _own(act, ReLU) and dense.bias
        and kernels.worth(rows * dense.n_out, threshold)
    }  # fmt: skip


def lone_biases(layers: list[Layer], rows: int, taken: set[int]) -> set[int]:
    """Depths of the `Dense` layers with a bias, not in `taken` (planned with an activation),
    whose bias a kernel adds: from `THRESHOLD` output elements, or `BIAS_FROM_LOADED` when Numba
    is already imported."""
    threshold = BIAS_FROM_LOADED if "numba" in sys.modules else THRESHOLD
    return {
        d
        for d, dense in enumerate(layers)
        if d not in taken and _own(dense, Dense) and dense.bias
        and kernels.worth(rows * dense.n_out, threshold)
    }  # fmt: skip


def bias_forward(layers: list[Layer], depth: int, x: Array) -> tuple[int, Array, list[Call]]:
    """`Fusion.forward` for a Dense layer whose bias alone is a kernel: the product, the bias."""
    dense = layers[depth]
    assert isinstance(dense, Dense)
    planned = dense.plan_forward(x, add_bias=False)
    if planned is None:  # a sparse batch: not fused
        return 0, x, []
    z, calls = planned
    from .kernels.relu import kernel

    return 1, z, [*calls, partial(kernel("bias_add"), z, dense.params["bias"])]


def relu_forward(layers: list[Layer], depth: int, x: Array) -> tuple[int, Array, list[Call]]:
    """`Fusion.forward` for a (Dense, ReLU) pair at `depth`: the product, then one kernel."""
    dense, act = layers[depth], layers[depth + 1]
    assert isinstance(dense, Dense) and isinstance(act, ReLU)
    planned = dense.plan_forward(x, add_bias=False)
    if planned is None:  # a sparse batch: not fused
        return 0, x, []
    z, calls = planned
    y, _ = act.plan_forward(z)  # its buffer and cache; its call is replaced by the kernel
    from .kernels.relu import kernel

    zero = z.dtype.type(0)
    return 2, y, [*calls, partial(kernel("bias_relu"), z, dense.params["bias"], zero, y)]


def relu_backward(
    layers: list[Layer], depth: int, grad: Array, lowest_params: int
) -> tuple[int, Array, list[Call]]:
    """`Fusion.backward` for a (Dense, ReLU) pair whose ReLU is at `depth`: one kernel for
    ReLU′ · grad, then the Dense layer's products."""
    act, dense = layers[depth], layers[depth - 1]
    assert isinstance(act, ReLU) and isinstance(dense, Dense)
    y = act.output()
    dx, _ = act.plan_backward(grad)  # its buffer for dx; its call is replaced by the kernel
    from .kernels.relu import kernel

    one, zero = y.dtype.type(1), y.dtype.type(0)
    derive = partial(kernel("relu_backward"), y, grad, one, zero, dx)
    below, below_calls = dense.plan_backward(dx, input_grad=depth - 1 > lowest_params)
    return 2, below, [derive, *below_calls]
