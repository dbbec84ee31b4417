"""The training step — forward, loss, backward, update — run as is or compiled into calls.

`Step` is one training step over a batch. `fit` compiles it once per batch shape
(`Step.program`) into a flat list of pre-bound NumPy calls that the layers, the loss and the
optimizer contribute; running the step is then those calls and nothing else. A part of one's own
is trained through its methods instead (`plans.plans_cover` says which: the one rule).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from . import duo, lanes
from ._typing import Array, Call, Network
from .fused import Fusion
from .layers import Dense, Layer
from .plans import plans_cover

if TYPE_CHECKING:
    from .losses import Loss
    from .optimizers import Optimizer


class Step:
    """One training step — forward, loss, backward, optimizer update — over a batch.

    Built once per `fit`, so that the per-step work is only the arithmetic: the bound methods,
    the reversed layer order and the parameter lists are looked up here, not on every batch.

    A large batch (the full batch of a big data set) is computed a block of rows at a time, so
    that each layer's arrays stay in the CPU cache from one pass to the next instead of
    streaming through memory once per pass. The blocks' gradients add up to the batch's — a
    mean loss weights each block by its share of the rows — and one update follows.
    """

    #: bytes of the widest layer's array per block (a large block: few BLAS calls per step)
    BLOCK_BYTES = 1 << 21
    #: a block's size, in `BLOCK_BYTES`, when the step runs fused kernels (`fused.Fusion`): with
    #: fewer passes over a block, fewer and larger products pay (bench/NOTES.md, W4). A batch
    #: of several blocks then sums its gradient over other blocks than the NumPy path does: the
    #: same training up to rounding, not bit for bit
    FUSED_BLOCK_SCALE = 2

    def __init__(self, model: Network, loss: Loss, optimizer: Optimizer) -> None:
        layers = self.layers = model.layers
        self.forwards = [layer.forward for layer in layers]
        self.backwards = [layer.backward for layer in layers[:0:-1]]
        self.first = layers[0]
        # nobody needs d loss / d X: a first Dense layer skips that product
        self.first_dense = self.first if isinstance(self.first, Dense) else None
        self.loss = loss
        self.loss_forward, self.loss_backward = loss.forward, loss.backward
        self.mean_loss = loss.reduction == "mean"
        self.update = optimizer.step
        self.update_plan = optimizer.plan_step
        self.loss_plan = loss_plan(loss)
        # the lowest layer with parameters: below it, backward has nothing to compute
        self.lowest_params = next((i for i, la in enumerate(layers) if la.params), len(layers))
        self.params, self.grads = model.parameters(), model.gradients()
        widths, width = [model.n_features_in], model.n_features_in
        for layer in layers:
            width = layer.output_width(width) or width
            widths.append(width)
        widest = max(widths) * model.dtype.itemsize
        self.block_rows = max(256, self.BLOCK_BYTES // widest)
        self.fused_block_rows = max(256, self.FUSED_BLOCK_SCALE * self.BLOCK_BYTES // widest)
        self.sums: list[Array] = []  # the gradients summed over blocks
        self.dtype = model.dtype
        #: whether the fit loop lets a step use the second core's worker (`glassnet.duo`), and
        #: the worker, once a step in one block and one lane has claimed it
        self.two_cores = False
        self.duo: duo.Duo | None = None

    def __call__(
        self, xb: Array, yb: Array, observe: Callable[[Array, Array], None] | None = None
    ) -> float:
        """Train on one batch and return its loss; `observe(y, outputs)` sees every output."""
        n = xb.shape[0]  # (a sparse batch has no len)
        if n < 2 * self.block_rows:
            value = self.forward_backward(xb, yb, observe)
            self.update(self.params, self.grads)
            return value
        blocks = self.blocks(xb, yb)
        total = 0.0
        for i, (x, y, weight) in enumerate(blocks):
            total += weight * self.forward_backward(x, y, observe, weight)
            for call in self.block_sum(i, len(blocks)):
                call()
        self.update(self.params, self.grads)
        return total

    def blocks(self, xb: Array, yb: Array, block_rows: int = 0) -> list[tuple[Array, Array, float]]:
        """(rows of xb, rows of yb, the block's weight in the batch's loss) for each block of
        about `block_rows` rows (`self.block_rows` unless given)."""
        n = xb.shape[0]
        block_rows = block_rows or self.block_rows
        if n < 2 * block_rows:
            return [(xb, yb, 1.0)]
        n_blocks = -(-n // block_rows)
        rows = -(-n // n_blocks)  # blocks of (nearly) equal size
        starts = range(0, n, rows)
        weights = [(min(n, i + rows) - i) / n if self.mean_loss else 1.0 for i in starts]
        return [(xb[i : i + rows], yb[i : i + rows], w) for i, w in zip(starts, weights)]

    def block_sum(self, i: int, n_blocks: int) -> list[Call]:
        """Calls that add block `i`'s gradients to the sum over the batch's blocks (`block_sum`)."""
        return block_sum(self.grads, self.sums, i, n_blocks)

    def program(
        self,
        xb: Array,
        yb: Array,
        observe: Callable[[Array, Array], None] | None = None,
        *,
        keep_caches: bool = False,
    ) -> tuple[Callable[[], float], Call]:
        """The step on the batch arrays `xb`, `yb`, compiled into a function of no arguments.

        Each layer, the loss and the optimizer contribute their part of the step as pre-bound
        NumPy calls on the buffers they own (`Layer.plan_forward`), so running the step is
        those calls and nothing else: no method lookups, no buffer lookups, no branches. The
        function trains on whatever `xb` and `yb` hold when it is called — the fit loop
        gathers each batch into the same two arrays. A layer without a plan (a layer class of
        your own) makes it fall back to calling `forward` and `backward`.

        Returns the step and a call that points the layers' forward caches (what `Trace` reads)
        at this step's arrays, as running `forward` would; with `keep_caches` the step does so
        itself, first thing.
        """
        fallback = partial(self, xb, yb, observe), _nothing
        if not isinstance(xb, np.ndarray) or not all(map(plans_cover, self.layers)):
            return fallback  # a sparse batch, or a layer of one's own
        layers = self.layers
        update = self.update_plan(self.params, self.grads)  # first: it may import Numba
        fusion = Fusion(layers, xb.shape[0])  # layers planned together, as compiled kernels
        blocks = self.blocks(xb, yb)
        n_lanes = lanes.count(len(blocks), layers, self.loss, observe is not None)
        if n_lanes == 1 and fusion.pairs:  # one lane of fused kernels: larger blocks
            blocks = self.blocks(xb, yb, self.fused_block_rows)
        fusion.transposed = n_lanes == 2  # (bit for bit is not promised there)
        caches: dict[int, list[tuple[Layer, str, Any]]] = {}  # the last block's, by layer
        half = -(-len(blocks) // n_lanes)
        parts = [(layers, self.loss_plan, self.grads, self.sums)]
        if n_lanes == 2:  # the second half of the blocks on copies of the layers and the loss
            copies = [lanes.replica(layer) for layer in layers]
            loss = lanes.replica(self.loss)
            grads = [g for layer in copies for g in layer.grads.values()]
            parts.append((copies, loss_plan(loss), grads, []))
        lane_segments: list[_Planned] = []
        for (lane_layers, lane_loss, grads, sums), lane_blocks in zip(
            parts, [blocks[:half], blocks[half:]]
        ):
            segments = self._plan_blocks(
                lane_layers, lane_loss, fusion, lane_blocks, observe, caches, grads, sums
            )
            if segments is None:
                return fallback
            lane_segments.append(segments)
        restore = partial(_set_caches, [entry for entries in caches.values() for entry in entries])
        if n_lanes == 2:
            first, second = (partial(run_blocks, tuple(s)) for s in lane_segments)
            join = [partial(np.add, g, h, g) for g, h in zip(self.grads, parts[1][2])]
            if keep_caches:
                join.append(restore)
            return partial(lanes.run, first, second, (*join, *update)), restore
        segments = lane_segments[0]
        segments[-1][3].extend(update)
        if keep_caches:
            segments[0][0].insert(0, restore)
        if len(segments) == 1:
            before, value, _, after = segments[0]
            two_cores = self._duo(xb.shape[0])
            if two_cores is not None:  # its large parts cut in two, half on the second core
                before, after = two_cores.rewrite(before), two_cores.rewrite(after)
            return partial(run_one, tuple(before), value, tuple(after)), restore
        return partial(run_blocks, [(tuple(b), v, w, tuple(a)) for b, v, w, a in segments]), restore

    def _duo(self, rows: int) -> duo.Duo | None:
        """The second core's worker for a step of `rows` rows, claimed at the first plan that
        may use it (`two_cores`) when the Dense layers' three products a step are worth it."""
        if self.duo is None and self.two_cores:
            dense = [layer for layer in self.layers if type(layer) is Dense]
            work = 3 * rows * sum(layer.n_in * layer.n_out for layer in dense)
            self.duo = duo.claim(self.dtype, work)
        return self.duo

    def _plan_blocks(
        self,
        layers: list[Layer],
        loss_plan: Callable[[Array, Array], tuple[Callable[[], float], Array, Sequence[Call]]],
        fusion: Fusion,
        blocks: list[tuple[Array, Array, float]],
        observe: Callable[[Array, Array], None] | None,
        caches: dict[int, list[tuple[Layer, str, Any]]],
        grads: list[Array],
        sums: list[Array],
    ) -> _Planned | None:
        """The compiled blocks of one lane (see `program`): forward and backward calls on
        `layers`, whose gradients `grads` are summed over the blocks in `sums` (the sum landing
        in `grads`). Records each layer's forward caches in `caches`, by the position of the
        layer; None when a layer has no plan."""
        segments: _Planned = []
        for i, (x, y, weight) in enumerate(blocks):
            before: list[Call] = []
            out, depth = x, 0
            while depth < len(layers):
                fused, out, calls = fusion.forward(layers, depth, out)
                if not fused:
                    planned = layers[depth].plan_forward(out)
                    if planned is None:
                        return None
                    out, calls = planned
                before += calls
                for k in range(depth, depth + max(fused, 1)):
                    caches[k] = [
                        (self.layers[k], name, getattr(layers[k], name))
                        for name in _CACHES
                        if getattr(layers[k], name, None) is not None
                    ]
                depth += max(fused, 1)
            value, grad, after = loss_plan(out, y)
            after = list(after)
            if observe is not None:
                after.insert(0, partial(observe, y, out))
            if weight != 1.0:
                after.append(partial(np.multiply, grad, weight, grad))
            depth = len(layers) - 1
            while depth >= self.lowest_params:  # no parameters below: nobody needs those grads
                fused, grad, calls = fusion.backward(layers, depth, grad, self.lowest_params)
                if not fused:
                    input_grad = depth > self.lowest_params
                    grad, calls = layers[depth].plan_backward(grad, input_grad=input_grad)
                after += calls
                depth -= max(fused, 1)
            if len(blocks) > 1:
                after += block_sum(grads, sums, i, len(blocks))
            segments.append((before, value, weight, after))
        return segments

    def weighted(
        self,
        xb: Any,
        yb: Array,
        wb: Array,
        observe: Callable[[Array, Array], None] | None = None,
    ) -> float:
        """Train on one batch whose samples weigh `wb` (see `Loss.weighted_forward`); return its
        weighted loss. Through the methods, in one block: the compiled step has no weights."""
        out = xb
        for forward in self.forwards:
            out = forward(out, True)
        value = self.loss.weighted_forward(out, yb, wb)
        if observe is not None:
            observe(yb, out)
        grad = self.loss.weighted_backward()
        for backward in self.backwards:
            grad = backward(grad)
        if self.first_dense is not None:
            self.first_dense.backward(grad, input_grad=False)
        else:
            self.first.backward(grad)
        self.update(self.params, self.grads)
        return value

    def forward_backward(
        self,
        xb: Array,
        yb: Array,
        observe: Callable[[Array, Array], None] | None = None,
        weight: float = 1.0,
        *,
        watch: Watcher | None = None,
    ) -> float:
        """Fill every layer's grads with d (weight · loss) / d params; return the loss.

        `watch` (a `Watcher`) is shown each array of the step as it is computed."""
        out = xb
        for i, forward in enumerate(self.forwards):
            out = forward(out, True)
            if watch is not None:
                watch.output(i, out)
        value = self.loss_forward(out, yb)
        if observe is not None:
            observe(yb, out)
        grad = self.loss_backward()
        if weight != 1.0:
            grad *= weight  # the loss's own buffer, rewritten by its next backward
        if watch is not None:
            watch.input_grad(len(self.layers), grad)
        for i, backward in zip(range(len(self.layers) - 1, 0, -1), self.backwards):
            grad = backward(grad)
            if watch is not None:
                watch.input_grad(i, grad)
        if self.first_dense is not None:
            self.first_dense.backward(grad, input_grad=False)
        else:
            grad = self.first.backward(grad)
            if watch is not None:
                watch.input_grad(0, grad)
        return value


class Watcher(Protocol):
    """Sees the arrays of `Step.forward_backward` as it computes them (`explain` is one).

    They are the engine's own buffers, rewritten by the next step: copy what you keep. The
    compiled `program` has no watcher: watching costs the training loop nothing.
    """

    def output(self, i: int, out: Array) -> None:
        """Layer `i` has computed its output `out` (the last layer's is ŷ)."""

    def input_grad(self, i: int, grad: Array) -> None:
        """d loss / d the input of part `i` has been computed: first the loss, counted as part
        ``len(layers)`` (its input is ŷ), then the layers from the last down (a first `Dense`
        layer skips it: nobody needs d loss / d X)."""


def loss_plan(loss: Loss) -> Callable[[Array, Array], tuple[Callable[[], float], Array, Any]]:
    """The loss's part of the compiled step: its plan, or its methods (`plans.plans_cover`)."""
    return loss.plan if plans_cover(loss) else loss.plan_by_methods


def block_sum(grads: list[Array], sums: list[Array], i: int, n_blocks: int) -> list[Call]:
    """Calls that add block `i`'s gradients `grads` to their sum over the batch's blocks.

    The sum runs in `sums` (filled with new arrays the first time) and the last block's addition
    lands in `grads`, where the optimizer (or the other lane, `lanes`) reads them."""
    if not sums:
        sums += [np.empty_like(g) for g in grads]
    if i == 0:
        return [partial(np.copyto, acc, g) for acc, g in zip(sums, grads)]
    last = i == n_blocks - 1
    return [partial(np.add, acc, g, g if last else acc) for acc, g in zip(sums, grads)]


def run_one(before: Sequence[Call], value: Callable[[], float], after: Sequence[Call]) -> float:
    """Run a compiled step of one block (see `Step.program`)."""
    for call in before:
        call()
    loss = value()
    for call in after:
        call()
    return loss


#: one block of a compiled step: (forward calls, loss value, block weight, calls after the value)
_Planned = list[tuple[list[Call], Callable[[], float], float, list[Call]]]
_Segment = tuple[Sequence[Call], Callable[[], float], float, Sequence[Call]]


def run_blocks(segments: Sequence[_Segment]) -> float:
    """Run a compiled step of several blocks (see `Step.program`)."""
    total = 0.0
    for before, value, weight, after in segments:
        for call in before:
            call()
        total += weight * value()
        for call in after:
            call()
    return total


#: the functions a compiled step runs through (`Step.program`): glassnet's own calls, no others
RUNNERS = (run_one, run_blocks, lanes.run)

#: the attributes in which layers cache their last forward pass (`Layer._x`, `_y`)
_CACHES = frozenset({"_x", "_y"})  # (Dropout sets its `_mask` as each step runs)


def _set_caches(caches: Sequence[tuple[Layer, str, Any]]) -> None:
    for layer, name, value in caches:
        setattr(layer, name, value)


def _nothing() -> None:
    pass
