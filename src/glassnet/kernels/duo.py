"""The second core's side of a step (Numba): a worker that waits by spinning, and its jobs.

A mini-batch step on two cores pays a thread's wake-up each time the second core is handed
work: ~45 µs on this machine's VM, more than a product of W3's takes. OpenBLAS avoids it by
keeping its worker spinning between products; glassnet does the same, with OpenBLAS held at
one thread so that the second core is its worker's alone (`glassnet.duo`). The worker is a
nogil kernel (`serve`) that never returns to Python while a fit runs: it polls a sequence
number and runs the rows of a job table (`jobs`) it is pointed at, while the calling thread
runs its own rows (`pair`); the two meet at a second sequence number. The jobs are matrix
products (NumPy's own BLAS, called by address), optimizer updates and the batch gather, each
cut in two halves of whole rows or columns: the same arithmetic on the same elements as the
uncut call, so the same numbers.

A job is a row of int64: its kind, then addresses (of arrays the caller keeps alive) and sizes.

This module imports Numba: import it only when the worker will run.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from . import jit as numba_jit
from .optim import N_COEF, adam_part, rmsprop_part, sgd_part
from .rows import take_rows

#: the job kinds (column 0 of a job row)
NOTHING, PRODUCT, TAKE, ADAM, RMSPROP, SGD = range(6)
#: columns of a job row
WIDTH = 16
#: slots of the flags array, each on its own cache line (8 int64): the sequence number posted,
#: the first and last job rows posted, the sequence number done, the worker's result, the three
#: switches of an update (`run`), the caller's last sequence number, whether the worker is
#: serving, and the last sequence number whose rows someone took (the worker, or the caller when
#: the worker had not started them by the time the caller's own rows were done)
GO, FIRST, LAST, DONE, OK, SWITCH_1, SWITCH_2, SWITCH_3, SENT, SERVING, TAKEN = (
    8 * i for i in range(11)
)
N_FLAGS = 8 * 11
#: polls of a flag before each further one gives the core away (``sched_yield``) first: tens
#: of µs of spinning (longer than the gaps inside a step), then the core is offered to any other
#: thread that wants it (on an idle core the call returns at once), so that a busy machine is
#: not held up by a spinning wait
PATIENCE = 1 << 16
#: cblas's row-major order
ROW_MAJOR = 101


def _intrinsics() -> tuple[Any, ...]:
    """`load(flags, i)` (an atomic read with acquire order), `store(flags, i, value)` (an atomic
    write with release order), `take(flags, i, expected, new)` (an atomic compare-and-swap:
    whether flags[i] held `expected` and now holds `new`), `pointer(address, zero)` (the
    address as a pointer to zero's type), `gemm32` / `gemm64` (cblas's ?gemm called at an
    address, with 32- or 64-bit integers: LP64 or ILP64 BLAS, in the type of its scalar
    arguments) and `give_way()` (the system's ``sched_yield``: another thread waiting for this
    core runs)."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    def give_way(typingctx: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            fn_type = ir.FunctionType(ir.IntType(32), [])
            builder.call(cgutils.get_or_insert_function(builder.module, fn_type, "sched_yield"), [])
            return context.get_dummy_value()

        return types.void(), codegen

    def load(typingctx: Any, array: Any, index: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            return builder.load_atomic(builder.gep(data, [args[1]]), "acquire", 8)

        return types.int64(array, index), codegen

    def store(typingctx: Any, array: Any, index: Any, value: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            value = context.cast(builder, args[2], signature.args[2], types.int64)
            builder.store_atomic(value, builder.gep(data, [args[1]]), "release", 8)
            return context.get_dummy_value()

        return types.void(array, index, value), codegen

    def take(typingctx: Any, array: Any, index: Any, expected: Any, new: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            old, new = (context.cast(builder, v, t, types.int64)
                        for v, t in zip(args[2:], signature.args[2:]))  # fmt: skip
            pair = builder.cmpxchg(builder.gep(data, [args[1]]), old, new, "acq_rel", "acquire")
            return builder.extract_value(pair, 1)

        return types.boolean(array, index, expected, new), codegen

    def pointer(typingctx: Any, address: Any, zero: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            target = context.get_value_type(signature.args[1]).as_pointer()
            return builder.inttoptr(args[0], target)

        return types.CPointer(zero)(address, zero), codegen

    def gemm(bits: int) -> Any:
        def call(typingctx: Any, fn: Any, ta: Any, tb: Any, m: Any, n: Any, k: Any, a: Any,
                 lda: Any, b: Any, ldb: Any, c: Any, ldc: Any, zero: Any) -> Any:  # fmt: skip

            def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
                real = context.get_value_type(signature.args[-1])
                to = real.as_pointer()
                i32, size = ir.IntType(32), ir.IntType(bits)
                fn_type = ir.FunctionType(
                    ir.VoidType(),
                    [i32, i32, i32, size, size, size, real, to, size, to, size, real, to, size],
                )  # cblas_?gemm(order, op(A), op(B), m, n, k, α, A, lda, B, ldb, β, C, ldc)
                target = builder.inttoptr(args[0], fn_type.as_pointer())

                def whole(v: Any, t: Any) -> Any:
                    return builder.trunc(v, t) if t.width < 64 else v

                _, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, _ = args
                builder.call(target, [
                    i32(ROW_MAJOR), whole(ta, i32), whole(tb, i32),
                    whole(m, size), whole(n, size), whole(k, size), real(1.0),
                    builder.inttoptr(a, to), whole(lda, size),
                    builder.inttoptr(b, to), whole(ldb, size), real(0.0),
                    builder.inttoptr(c, to), whole(ldc, size),
                ])  # fmt: skip
                return context.get_dummy_value()

            return types.void(*[types.int64] * 12, zero), codegen

        return intrinsic(call)

    return (intrinsic(load), intrinsic(store), intrinsic(take), intrinsic(pointer), gemm(32),
            gemm(64), intrinsic(give_way))  # fmt: skip


load, store, take, pointer, gemm32, gemm64, give_way = _intrinsics()
kernel: Any = numba_jit()


@kernel
def run(jobs, zero, first, last, switch_1, switch_2, switch_3):
    """Run job rows first … last − 1 of `jobs` (in `zero`'s dtype); whether every new value of
    the updates among them is finite (the `optim` kernels' answer). The switches: an update's
    `clipping`, `decaying` and SGD's `nesterov`."""
    finite = True
    for r in range(first, last):
        job = jobs[r]
        kind = job[0]
        if kind == PRODUCT:  # fn, 64-bit ints, op(A), op(B), m, n, k, A, lda, B, ldb, C, ldc
            if job[2]:
                gemm64(job[1], job[3], job[4], job[5], job[6], job[7], job[8], job[9],
                       job[10], job[11], job[12], job[13], zero)  # fmt: skip
            else:
                gemm32(job[1], job[3], job[4], job[5], job[6], job[7], job[8], job[9],
                       job[10], job[11], job[12], job[13], zero)  # fmt: skip
        elif kind == TAKE:  # X, its rows, its width, the row numbers, how many, out
            X = numba.carray(pointer(job[1], zero), (job[2], job[3]))
            idx = numba.carray(pointer(job[4], np.intp(0)), job[5])
            take_rows(X, idx, numba.carray(pointer(job[6], zero), (job[5], job[3])))
        elif kind >= ADAM:  # p, g, state 1, state 2, n, coef, whether it takes weight decay
            n = job[5]
            p = numba.carray(pointer(job[1], zero), n)
            g = numba.carray(pointer(job[2], zero), n)
            coef = numba.carray(pointer(job[6], zero), N_COEF)
            clipping, decay_here = switch_1 != 0, switch_2 != 0 and job[7] != 0
            s1 = numba.carray(pointer(job[3], zero), n)
            if kind == ADAM:
                s2 = numba.carray(pointer(job[4], zero), n)
                finite &= adam_part(p, g, s1, s2, coef, clipping, decay_here)
            elif kind == RMSPROP:
                finite &= rmsprop_part(p, g, s1, coef, clipping, decay_here)
            else:
                finite &= sgd_part(p, g, s1, coef, clipping, decay_here, switch_3 != 0)
    return finite


@kernel
def work(flags, jobs, zero, first, middle, end, switch_1, switch_2, switch_3):
    """Rows middle … end − 1 on the worker and first … middle − 1 here, at once; whether every
    new value of an update among them is finite. With `first` negative, be the worker: wait
    (spinning) for a sequence number at `GO`, take its rows (`TAKEN`), run them, post the result
    and the number at `DONE`; return at a negative number. Rows the worker has not taken by the
    time the caller's own are done — its core busy with another thread — the caller takes and
    runs itself: a busy second core costs the split, never a wait for it. (One kernel, one
    signature: a fit loads one from the disk cache, a few ms each.)"""
    if first < 0:
        store(flags, SERVING, 1)
        last = 0
        idle = 0
        while True:
            posted = load(flags, GO)
            if posted == last:
                idle += 1
                if idle > PATIENCE:  # (not the only thread wanting this core, perhaps)
                    give_way()
                continue
            idle = 0
            if posted < 0:
                return True
            last = posted
            if take(flags, TAKEN, posted - 1, posted):  # (else the caller ran them itself)
                flags[OK] = run(jobs, zero, flags[FIRST], flags[LAST], flags[SWITCH_1],
                                flags[SWITCH_2], flags[SWITCH_3])  # fmt: skip
                store(flags, DONE, posted)
    sent = flags[SENT] + 1
    flags[SENT] = sent
    flags[FIRST], flags[LAST] = middle, end
    flags[SWITCH_1], flags[SWITCH_2], flags[SWITCH_3] = switch_1, switch_2, switch_3
    store(flags, GO, sent)
    finite = run(jobs, zero, first, middle, switch_1, switch_2, switch_3)
    if take(flags, TAKEN, sent - 1, sent):  # the worker has not started them: run them here
        return run(jobs, zero, middle, end, switch_1, switch_2, switch_3) and finite
    idle = 0
    while load(flags, DONE) != sent:
        idle += 1
        if idle > PATIENCE:
            give_way()
    return finite and flags[OK] != 0
