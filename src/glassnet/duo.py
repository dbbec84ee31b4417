"""Two cores for a mini-batch step: glassnet's own worker on the second, OpenBLAS's held off it.

A mini-batch step (W3: 128 rows through 784-256-128-10) is a chain of short calls — products of
~50–230 µs, an optimizer pass, a gather — so two threads only pay if handing work over costs
next to nothing. OpenBLAS's worker spins between its products for that reason; but it cuts only
the products, and another thread of ours on the same core starves it (bench/NOTES.md). So while
such a fit runs, NumPy's BLAS is held at one thread and the second core runs glassnet's worker
(`kernels.duo.serve`), spinning, which takes half of each of the step's large parts: of each
large product, of the optimizer's compiled update and of the batch gather. Each half is a call
on whole rows or columns of the same arrays, with the same arithmetic as the whole call: the
training is the one-core step's (tested).

Used by the fit loop (`training`) when the compiled kernels run (`glassnet.kernels`), the
machine lets this process use two cores, `threadpoolctl` can hold NumPy's BLAS, that BLAS is
the OpenBLAS NumPy's wheels ship (its ``cblas_?gemm`` found by name) and may use two threads
(``OPENBLAS_NUM_THREADS=1`` or threadpoolctl's limit of one: one core, as asked), for a step
whose products are large enough (`WORTH_FROM`), and by one fit of a process at a time; never
for a step in two lanes (`lanes`: a large batch, where each lane has a core already).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, partial
from typing import Any

import numpy as np

from . import blas, kernels, lanes
from ._typing import Array, Call
from .errors import GlassnetError

#: multiply-adds of a product from which its halves go to the two cores
PRODUCT_FROM = 1 << 20
#: multiply-adds of a step's products from which a fit uses the worker (W3: 60 M; W2: 0.4 M)
WORTH_FROM = 1 << 24
#: elements from which an optimizer update is cut in two
UPDATE_FROM = 1 << 14
#: rows × width from which a batch gather is cut in two
GATHER_FROM = 1 << 15
#: a cut falls on a multiple of this many rows or columns (whole cache lines of float32)
ALIGN = 16
#: job rows a fit may use
CAPACITY = 256
#: cblas's flags for a factor as it is and transposed
AS_IS, TRANSPOSED = 111, 112

#: the duo serving in this context (set by `Duo.serving`): the optimizer's compiled update
#: asks it for its rule cut in two (`updates`)
RUNNING: ContextVar[Duo | None] = ContextVar("glassnet_duo", default=None)


@cache
def _gemm() -> tuple[dict[str, int], bool, Any] | None:
    """NumPy's BLAS as the worker calls it: the addresses of its ``cblas_sgemm`` and
    ``cblas_dgemm``, whether its integers are 64-bit, and threadpoolctl's controller of it;
    None unless it is the OpenBLAS of NumPy's wheels (scipy-openblas: ILP64 names end in
    ``64_``) and threadpoolctl can hold it."""
    for lib in blas.libraries():
        if not (blas.numpys(lib) and lib.internal_api == "openblas"):
            continue
        try:
            shared = ctypes.CDLL(lib.filepath)
        except OSError:
            return None
        for suffix, ilp64 in (("64_", True), ("", False)):
            try:
                found = {c: getattr(shared, f"scipy_cblas_{c}gemm{suffix}") for c in "sd"}
            except AttributeError:
                continue
            addresses = {c: ctypes.cast(fn, ctypes.c_void_p).value or 0 for c, fn in found.items()}
            return {"f": addresses["s"], "d": addresses["d"]}, ilp64, lib
    return None


def claim(dtype: np.dtype, multiply_adds: int) -> Duo | None:
    """A `Duo` for a fit in `dtype` whose step's products come to `multiply_adds`, when one is
    worth it (see the module's note) and no other fit of this process holds one: a second
    worker spinning on the same two cores would starve both fits. Numba must be imported
    already (by the step's other kernels), unless ``GLASSNET_KERNELS=numba``."""
    if dtype.char not in "fd" or not kernels.worth(multiply_adds, WORTH_FROM):
        return None
    if "numba" not in sys.modules and kernels.mode() != "numba":
        return None
    if not sys.platform.startswith("linux") or kernels.jit_disabled() or lanes.cores() < 2:
        return None
    found = _gemm()
    if found is None or found[2].num_threads < 2:
        return None  # (BLAS given one thread, by OPENBLAS_NUM_THREADS say: one core wanted)
    global _owner
    with _claiming:
        owner = _owner()
        if owner is not None and not owner.closed and owner.pid == os.getpid():
            return None
        two = Duo(dtype)
        _owner = weakref.ref(two)
    return two


def _nobody() -> Duo | None:
    return None


#: the process's one duo, if any: claimed until it is closed or gone (an interrupted fit's duo
#: is garbage, not a lock left held); a child forked from its process does not count it
_owner: Callable[[], Duo | None] = _nobody
_claiming = threading.Lock()


def _forked() -> None:
    """A forked child has no worker: a fit there may make its own."""
    RUNNING.set(None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


class Duo:
    """The second core's worker for one fit in `dtype`, and the job table it runs.

    `product`, `gatherer` and `rule` give the step's calls cut in two; `running` starts the
    worker (NumPy's BLAS held at one thread) and stops it when the fit is done."""

    def __init__(self, dtype: np.dtype) -> None:
        """(`claim` makes the process's one duo; made directly, it is nobody's.)"""
        self.closed = False
        #: the worker thread while it serves; stopped by `serving`, else by `close`, else when
        #: this duo is collected (an interrupt can land anywhere, even in a `finally`)
        self._worker: list[threading.Thread | None] = [None]
        from .kernels import duo as k  # imports Numba

        found = _gemm()
        assert found is not None
        self._k, (self._fn, self._ilp64, self._blas) = k, found
        self.dtype = np.dtype(dtype)
        self.zero = self.dtype.type(0)
        self.flags = np.zeros(k.N_FLAGS, dtype=np.int64)
        self.jobs = np.zeros((CAPACITY, k.WIDTH), dtype=np.int64)
        self.n_jobs = 0
        self._kept: dict[int, Any] = {}  # by first row: the arrays the rows point into
        #: by kind of update: the arrays its rows were made for (ids), and the rows
        self._rules: dict[int, tuple[tuple[int, ...], tuple[int, int, int]]] = {}
        self._kinds: dict[Any, int | None] = {}  # an optimizer kernel's kind of job rows
        self.pid = os.getpid()
        weakref.finalize(self, _stop, self.flags, self._worker, k.GO)
        self.used = False

    def _add(
        self, *rows: list[int], keep: tuple[Any, ...] = (), at: int | None = None
    ) -> int | None:
        """Write job rows into the table — appended, or over as many rows from `at` — keeping
        `keep` (the arrays they point into) alive as long as they are there; the first's
        number, or None when the table is full."""
        first = self.n_jobs if at is None else at
        if first + len(rows) > CAPACITY:
            return None
        for i, row in enumerate(rows):
            self.jobs[first + i, : len(row)] = row
        self.n_jobs = max(self.n_jobs, first + len(rows))
        self._kept[first] = keep
        self.used = True
        return first

    def product(self, a: Array, b: Array, out: Array) -> Call | None:
        """``np.matmul(a, b, out)`` cut in two halves of `out`'s rows or columns (its longer
        side); None where it is not cut: too small, another dtype, or a layout BLAS cannot be
        given by pointer and stride."""
        arrays = (a, b, out)
        if not all(type(x) is np.ndarray and x.ndim == 2 and x.dtype == self.dtype for x in arrays):
            return None
        (m, k), (k2, n) = a.shape, b.shape
        if (
            k2 != k
            or out.shape != (m, n)
            or not kernels.worth(m * n * k, PRODUCT_FROM)
            or max(m, n) < 2 * ALIGN
        ):
            return None
        size = self.dtype.itemsize
        if out.strides[1] != size or out.strides[0] < n * size:
            return None
        layouts = [_layout(x, size) for x in (a, b)]
        if None in layouts:
            return None
        (ta, lda, a_row, _), (tb, ldb, _, b_col) = layouts  # type: ignore[misc]
        ldc = out.strides[0] // size
        pa, pb, pc = (_address(x) for x in arrays)
        if m >= n:  # rows of out: rows of op(a)
            cut = _cut(m)
            shapes = [(cut, n), (m - cut, n)]
            second = (pa + cut * a_row, pb, pc + cut * ldc * size)
        else:  # columns of out: columns of op(b)
            cut = _cut(n)
            shapes = [(m, cut), (m, n - cut)]
            second = (pa, pb + cut * b_col, pc + cut * size)
        job = [self._k.PRODUCT, self._fn[self.dtype.char], self._ilp64, ta, tb]
        rows = [[*job, h, w, k, x, lda, y, ldb, z, ldc]
                for (h, w), (x, y, z) in zip(shapes, [(pa, pb, pc), second])]  # fmt: skip
        first = self._add(*rows, keep=arrays)
        if first is None:
            return None
        return self._pair(first, first + 1, first + 2)

    def _pair(self, first: int, middle: int, end: int) -> Call:
        """A call running job rows first … middle − 1 here and middle … end − 1 on the worker."""
        return partial(self._k.work, self.flags, self.jobs, self.zero, first, middle, end, 0, 0, 0)

    def rewrite(self, calls: list[Call]) -> list[Call]:
        """`calls` with each large product (a `partial` of np.matmul or np.dot on three 2-D
        arrays) cut in two (`product`); the others as they are."""
        out = []
        for call in calls:
            cut = None
            if (isinstance(call, partial) and call.func in (np.matmul, np.dot)
                    and len(call.args) == 3 and not call.keywords):  # fmt: skip
                cut = self.product(*call.args)
            out.append(call if cut is None else cut)
        return out

    def gatherer(self, X: Array, rows: int) -> Callable[[Array, Array, Array], object] | None:
        """``gather(X, idx, out)`` with the second half of the rows copied by the worker, for a
        C-ordered `X` of this dtype and batches of `rows` rows; None if not worth it."""
        if not (type(X) is np.ndarray and X.ndim == 2 and X.flags.c_contiguous
                and X.dtype == self.dtype):  # fmt: skip
            return None
        if not kernels.worth(rows * X.shape[1], GATHER_FROM):
            return None
        row = [self._k.TAKE, _address(X), *X.shape]
        first = self._add(row, row, keep=(X,))
        if first is None:
            return None
        pair, rows_ = self._pair(first, first + 1, first + 2), self.jobs[first : first + 2]
        return partial(_gather, pair, rows_, X.shape[1] * self.dtype.itemsize)

    def rule(self, kernel: Any) -> Callable[..., bool] | None:
        """The optimizer kernel `kernel` (`optim.adam`, `rmsprop` or `sgd`) as a call with its
        arguments that runs it in two halves of the model's elements; None for another."""
        if self.pid != os.getpid():  # (a child forked during a fit: no worker there)
            return None
        if kernel not in self._kinds:
            kinds = {"adam": self._k.ADAM, "rmsprop": self._k.RMSPROP, "sgd": self._k.SGD}
            self._kinds[kernel] = kinds.get(getattr(kernel, "__name__", ""))
        kind = self._kinds[kernel]
        return None if kind is None else partial(self._update, kind, kernel)

    def _update(
        self, kind: int, kernel: Any, params: tuple[Array, ...], grads: tuple[Array, ...],
        decayed: Array, *rest: Any
    ) -> bool:  # fmt: skip
        """The update `kernel(params, grads, decayed, *rest)`, cut in two (see `rule`)."""
        states = rest[: 2 if kind == self._k.ADAM else 1]
        coef, clipping, decaying, *extra = rest[len(states) :]
        key = (*map(id, params), *map(id, grads), *map(id, states), id(coef))
        known = self._rules.get(kind)
        if known is not None and known[0] == key:
            rows = known[1]
        else:  # new arrays (a first step, or state loaded): rows for them, over the old ones
            made = self._rule_rows(kind, params, grads, decayed, states, coef,
                                   None if known is None else known[1])  # fmt: skip
            if made is None:
                return bool(kernel(params, grads, decayed, *rest))
            rows = made
            self._rules[kind] = key, rows
        nesterov = int(bool(extra[0])) if extra else 0
        return bool(self._k.work(self.flags, self.jobs, self.zero, *rows, int(clipping),
                                 int(decaying), nesterov))  # fmt: skip

    def _rule_rows(
        self, kind: int, params: tuple[Array, ...], grads: tuple[Array, ...], decayed: Array,
        states: tuple[Array, ...], coef: Array, old: tuple[int, int, int] | None,
    ) -> tuple[int, int, int] | None:  # fmt: skip
        """Job rows for an update: the elements of the first half, then of the second (each
        parameter's share a row), written over the `old` rows of this kind if as many;
        (first row, first of the second half, end)."""
        sizes = [p.size for p in params]
        total = sum(sizes)
        if not kernels.worth(total, UPDATE_FROM) or coef.dtype != self.dtype:
            return None
        cut = _cut(total)
        size = self.dtype.itemsize
        address = [[_address(x) for x in group]
                   for group in (params, grads)]  # fmt: skip
        state = [_address(s) for s in states]
        halves: list[list[list[int]]] = [[], []]
        start = 0
        for k, n in enumerate(sizes):
            for half, (lo, hi) in enumerate(((0, cut), (cut, total))):
                a, b = max(start, lo), min(start + n, hi)
                if a >= b:
                    continue
                at = (a - start) * size  # into the parameter
                s_at = a * size  # into the flat state
                halves[half].append([
                    kind, address[0][k] + at, address[1][k] + at, state[0] + s_at,
                    state[-1] + s_at, b - a, _address(coef),
                    int(decayed[k]),
                ])  # fmt: skip
            start += n
        n_rows = len(halves[0]) + len(halves[1])
        over = old[0] if old is not None and old[2] - old[0] == n_rows else None
        first = self._add(*halves[0], *halves[1], keep=(params, grads, states, coef), at=over)
        if first is None:
            return None
        return first, first + len(halves[0]), first + len(halves[0]) + len(halves[1])

    @contextmanager
    def serving(self) -> Iterator[None]:
        """The worker serving inside (an epoch's batches: not its validation or callbacks at
        its end), NumPy's BLAS held at one thread and the optimizer told (`RUNNING`); nothing
        if the table holds no job."""
        if not self.used:
            yield
            return
        assert self._blas is not None
        k = self._k
        self.flags[:] = 0
        failed: list[BaseException] = []
        worker = threading.Thread(target=_serve, args=(k.work, self.flags, self.jobs, self.zero,
                                  failed), name="glassnet-duo", daemon=True)  # fmt: skip
        self._worker[0] = worker
        token = RUNNING.set(self)
        try:
            with blas.one_thread([self._blas]):
                try:
                    worker.start()
                    # serving before the first step hands it work (its kernel loaded or compiled)
                    while not self.flags[k.SERVING] and worker.is_alive():
                        time.sleep(1e-4)
                    if failed:
                        raise GlassnetError(f"glassnet's second-core worker failed: {failed[0]!r}")
                    yield
                finally:  # (also after an interrupt anywhere above: a started worker stops)
                    _stop(self.flags, self._worker, k.GO)
        finally:
            RUNNING.reset(token)

    @contextmanager
    def held(self) -> Iterator[None]:
        """This duo for the fit inside (`serving` each epoch), `close`d at its end."""
        try:
            yield
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker if it still serves, let another fit claim a duo, and let go of the
        arrays the table points into."""
        _stop(self.flags, self._worker, self._k.GO)
        self.closed = True
        self._kept.clear()
        self._rules.clear()
        self._kinds.clear()
        self.used = False


def _stop(flags: Array, worker: list[threading.Thread | None], go: int) -> None:
    """Tell the worker in `worker` (if any) to return (slot `go` of its flags), and wait."""
    flags[go] = -1  # (an aligned int64 store: seen whole)
    thread = worker[0]
    if thread is not None and thread.ident is not None:
        thread.join()
    worker[0] = None


def _serve(work: Any, flags: Array, jobs: Array, zero: Any, failed: list[BaseException]) -> None:
    """The worker thread: `work` as the worker until told to stop; an error kept in `failed`
    (one it could only meet compiling or loading its kernel) for the fit to raise."""
    try:
        work(flags, jobs, zero, -1, 0, 0, 0, 0, 0)
    except BaseException as error:  # (raised by the fit's thread)
        failed.append(error)


def _gather(pair: Call, rows: Array, line: int, X: Array, idx: Array, out: Array) -> None:
    """out[i] ← X[idx[i]] by the two job rows `rows` (`Duo.gatherer`): half of the rows each;
    `line` is the bytes of a row."""
    if idx.dtype != np.intp or not idx.flags.c_contiguous:  # (the fit loop's are)
        X.take(idx, 0, out)
        return
    n = len(idx)
    half = n // 2
    at, to = _address(idx), _address(out)
    rows[:, 4:7] = ((at, half, to), (at + half * idx.itemsize, n - half, to + half * line))
    pair()


def _address(a: Array) -> int:
    """Where `a`'s first element is."""
    return a.__array_interface__["data"][0]


def _cut(n: int) -> int:
    """Where `n` rows (columns, elements) are cut in two: near the middle, on `ALIGN`."""
    return max(ALIGN, (n // 2 + ALIGN // 2) // ALIGN * ALIGN) if n >= 2 * ALIGN else n // 2


def _layout(x: Array, size: int) -> tuple[int, int, int, int] | None:
    """A factor as cblas takes it in row-major order: (as is or transposed, its leading
    dimension, the bytes from one row of op(x) to the next, from one column to the next)."""
    rows, cols = x.shape
    s0, s1 = x.strides
    if s1 == size and s0 % size == 0 and s0 >= cols * size:
        return AS_IS, s0 // size, s0, size
    if s0 == size and s1 % size == 0 and s1 >= rows * size:
        return TRANSPOSED, s1 // size, size, s1
    return None
