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
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from . import kernels
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
def _threadpoolctl() -> bool:
    """Whether threadpoolctl is installed and finds the BLAS NumPy's products run on."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return False
    return any(lib.user_api == "blas" for lib in _controller().lib_controllers)


def count(n_blocks: int, layers: Sequence[Layer], loss: object, observed: bool) -> int:
    """How many lanes (1 or 2) a step of `n_blocks` blocks runs in; `observed`: something
    (training metrics) sees every block's output, in order, so one lane."""
    if observed or n_blocks < 2 * MIN_BLOCKS or kernels.mode() == "numpy":
        return 1
    if cores() < 2 or not _threadpoolctl():
        return 1
    parts = [*((layer, REPLICABLE) for layer in layers), (loss, REPLICABLE_LOSSES)]
    if not all(type(p) in kinds and glassnets_own(p) for p, kinds in parts):
        return 1
    _controller.cache_clear()  # once a fit: BLAS libraries loaded since (scipy's) are held too
    return 2


def replica(part: _T) -> _T:
    """A copy of a layer or a loss that shares its parameters (the same arrays) and has scratch
    arrays, forward caches and gradients of its own (a pickle's copy: `Layer.__getstate__`)."""
    return copy.copy(part)


@cache
def _worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="glassnet-lane")


if hasattr(os, "register_at_fork"):  # a forked child has no worker thread: it starts its own
    os.register_at_fork(after_in_child=_worker.cache_clear)


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_limit_lock = threading.Lock()
_limit: list[Any] = []  # threadpoolctl's limiter while any step runs in lanes
_inside = 0  # how many steps do (fits in several threads of one's own)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS limited to one thread inside: each lane's products on the lane's own core. The
    limit is the process's: the first step in lanes sets it and the last to finish restores
    what was there before, so that fits in threads of one's own cannot leave it changed."""
    global _inside
    with _limit_lock:
        if _inside == 0:
            _limit.append(_controller().limit(limits=1, user_api="blas"))
        _inside += 1
    try:
        yield
    finally:
        with _limit_lock:
            _inside -= 1
            if _inside == 0:
                _limit.pop().restore_original_limits()


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
