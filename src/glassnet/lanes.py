"""Lanes: the blocks of a large batch trained on both cores at once.

A batch too large for the CPU cache is trained a block of rows at a time (`compiled.Step`).
Each block's forward and backward pass touches only its own rows and its own scratch arrays;
only the parameters are shared (read), and the gradient is the sum of the blocks'. So the
blocks can run in two *lanes*: the first half of them on the calling thread, the second half
on a worker thread, each lane with its own copy of the layers' scratch arrays and gradients
(`replica`), summing its blocks' gradients in order; the two sums are then added and one update
follows, as before. The result is the serial blocks' up to rounding (the sum is grouped
differently), and the same from run to run: which lane runs which block never changes.

Two lanes only pay when each gets a core: the matrix products inside them must then run on one
thread each, or BLAS's own threads and the lanes fight over the cores (bench/NOTES.md, W4). So
lanes are used only when BLAS's thread count can be set for the duration of the step — by
`threadpoolctl`, part of the `fast` extra — on a machine with at least two cores, under
``GLASSNET_KERNELS`` other than ``numpy`` (the NumPy reference keeps its serial blocks), and for
a network of glassnet's own layers and loss (whose scratch arrays a copy can replace: a layer
drawing random numbers, `Dropout`, shares its generator, so it is not replicated).
"""

from __future__ import annotations

import contextvars
import copy
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import cache
from typing import Any, TypeVar

import numpy as np

from . import blas, kernels
from .activations import Identity, ReLU, Sigmoid, Softmax, Tanh
from .layers import Dense, Layer
from .losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, Poisson, SumSquaredError
from .plans import glassnets_own

#: the classes whose copies (`replica`) share only the parameters: their plans keep nothing
#: else between calls but scratch arrays and forward caches (not `LeakyReLU`: its slope is read
#: at each call, and a callback may change it on the layer, not on a copy; not `Dropout`: its
#: generator would be shared by two threads)
REPLICABLE = (Dense, Sigmoid, Tanh, ReLU, Softmax, Identity)
REPLICABLE_LOSSES = (BinaryCrossEntropy, CrossEntropy, MeanSquaredError, Poisson, SumSquaredError)
#: blocks each lane needs before two lanes are used
MIN_BLOCKS = 2

_T = TypeVar("_T")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (not on Linux)
        return os.cpu_count() or 1


@cache
def _numpys_blas() -> tuple[Any, ...]:
    """threadpoolctl's controllers of NumPy's own BLAS (none without threadpoolctl): where the
    lanes' products run. Found afresh once a fit (`count`)."""
    return tuple(lib for lib in blas.libraries() if blas.numpys(lib))


def count(n_blocks: int, layers: Sequence[Layer], loss: object, observed: bool) -> int:
    """How many lanes (1 or 2) a step of `n_blocks` blocks runs in; `observed`: something
    (training metrics) sees every block's output, in order, so one lane."""
    if observed or n_blocks < 2 * MIN_BLOCKS or kernels.mode() == "numpy":
        return 1
    if cores() < 2:
        return 1
    parts = [*((layer, REPLICABLE) for layer in layers), (loss, REPLICABLE_LOSSES)]
    if not all(type(p) in kinds and glassnets_own(p) for p, kinds in parts):
        return 1
    _numpys_blas.cache_clear()  # once a fit
    return 2 if _numpys_blas() else 1  # (a BLAS threadpoolctl cannot hold would fight the lanes)


def replica(part: _T) -> _T:
    """A copy of a layer or a loss that shares its parameters (the same arrays) and has scratch
    arrays, forward caches and gradients of its own (a pickle's copy: `Layer.__getstate__`),
    the gradients laid out as the part's own (the products write into them)."""
    twin = copy.copy(part)
    grads = getattr(part, "grads", None)
    if grads:
        twin.grads = {name: np.empty_like(g) for name, g in grads.items()}  # type: ignore[attr-defined]
    return twin


@cache
def _worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="glassnet-lane")


if hasattr(os, "register_at_fork"):  # a forked child has no worker thread: it starts its own
    os.register_at_fork(after_in_child=_worker.cache_clear)


def one_blas_thread() -> Any:
    """NumPy's BLAS at one thread inside: each lane's products on the lane's own core. The
    setting is the process's, held by a count shared with every other holder (`blas`)."""
    return blas.one_thread(_numpys_blas())


def run(
    first: Callable[[], float], second: Callable[[], float], join: Sequence[Callable[[], Any]]
) -> float:
    """Run the two lanes at once — `second` on the worker thread, in a copy of this thread's
    context (NumPy's error state goes with it) — then the `join` calls; return the lanes'
    losses summed. An error in either lane is raised here, once both have stopped."""
    with one_blas_thread():
        other: Future[float] = _worker().submit(contextvars.copy_context().run, second)
        try:
            total = first()
        except BaseException:
            wait([other])
            raise
        total += other.result()
    for call in join:
        call()
    return total
