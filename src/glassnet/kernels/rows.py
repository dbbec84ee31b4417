"""A batch's rows gathered from a large training array (Numba), asking for the next rows early.

A shuffled epoch gathers each batch's rows from all over ``X``: on data larger than the caches
each row starts with a trip to memory, and NumPy's ``take`` copies one row after the other, so
the trips are waited for one at a time (W3: 128 rows of 784 float32 from 188 MB, ~80 µs of a
~1.3 ms step). `take_rows` asks for the rows `AHEAD` of the one it copies (a prefetch of each
of their cache lines, which does not wait), so that several trips overlap. A copy: the batch
holds exactly what ``X.take(idx, 0, out)`` writes.

This module imports Numba: import it only when the kernel is used (see ``glassnet.kernels``).
"""

from __future__ import annotations

from typing import Any

from .._typing import Array
from . import jit as numba_jit
from . import jit_disabled

#: how many rows ahead of the one being copied are asked for
AHEAD = 4
#: the bytes of a cache line
LINE = 64


def _prefetch() -> Any:
    """`prefetch(array, i)`: LLVM's prefetch of the cache line holding ``array[i]`` (for reading,
    into every cache level); it neither waits nor faults."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    # named by address space alone: LLVM 15 on (numba 0.61 on, the `fast` extra's floor)
    name = "llvm.prefetch.p0"

    def prefetch(typingctx: Any, array: Any, index: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
            i32 = ir.IntType(32)
            fn_type = ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fn_type, name)
            builder.call(fn, [address, i32(0), i32(3), i32(1)])  # read, keep everywhere, data
            return context.get_dummy_value()

        return types.void(array, index), codegen

    return intrinsic(prefetch)


def _no_prefetch(array: Array, index: int) -> None:
    """`prefetch` where Numba runs the kernels as Python (``NUMBA_DISABLE_JIT=1``, its debugging
    switch): an intrinsic exists only in compiled code, and asking early is only for speed."""


# module-level kernels (not closures): Numba's disk cache keys a closure by its cells' values,
# and an intrinsic's differ from process to process
prefetch = _no_prefetch if jit_disabled() else _prefetch()
kernel: Any = numba_jit()


@kernel
def ask_for(row: Array) -> None:
    """Prefetch every cache line of the 1-D `row`."""
    for j in range(0, row.size, max(LINE // row.itemsize, 1)):
        prefetch(row, j)


@kernel
def take_rows(X: Array, idx: Array, out: Array) -> None:
    """out[i] ← X[idx[i]] for each i, the rows `AHEAD` asked for before each copy."""
    n = idx.size
    for i in range(min(AHEAD, n)):
        ask_for(X[idx[i]])
    for i in range(n):
        if i + AHEAD < n:
            ask_for(X[idx[i + AHEAD]])
        src, dst = X[idx[i]], out[i]
        for j in range(dst.size):
            dst[j] = src[j]
