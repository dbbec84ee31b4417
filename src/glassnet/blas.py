"""The BLAS libraries' thread pools, held at one thread while a block of code runs.

Two parts of glassnet do so, through `threadpoolctl` (an optional extra): L-BFGS holds the
solver's own BLAS (scipy's: every library but NumPy's) while it solves (`lbfgs`), and lanes hold
NumPy's while a step runs on two threads of glassnet's own (`lanes`). Each library is held by a
count — the first holder sets one thread, the last one out restores what the first found — so
that holders in several threads, and the two parts, never undo each other's setting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np


def libraries() -> list[Any]:
    """threadpoolctl's controllers of the BLAS libraries loaded now (none without it)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    return [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]


def numpys(lib: Any) -> bool:
    """Whether `lib` is NumPy's own BLAS, the one its products run on (under numpy/ or
    numpy.libs/)."""
    home = os.path.dirname(os.path.realpath(np.__file__))
    return os.path.realpath(lib.filepath).startswith(home)


_lock = threading.Lock()
#: the libraries held now, by file: [holders, the thread count the first holder found, its
#: controller]
_held: dict[str, list[Any]] = {}


def _forked() -> None:
    """In a child forked while a holder ran: none of the holders is there to leave, so each
    library held gets back the thread count its first holder found."""
    global _lock
    _lock = threading.Lock()
    for _, threads, lib in _held.values():
        with suppress(Exception):  # (if it cannot, the child goes on at one thread)
            lib.set_num_threads(threads)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


@contextmanager
def one_thread(libs: Iterable[Any]) -> Iterator[None]:
    """Each of `libs` (controllers from `libraries`) at one thread inside the block."""
    keys = []
    with _lock:
        for lib in libs:
            entry = _held.get(lib.filepath)
            if entry is None:
                entry = _held[lib.filepath] = [0, lib.num_threads, lib]
                lib.set_num_threads(1)
            entry[0] += 1
            keys.append(lib.filepath)
    try:
        yield
    finally:
        with _lock:
            for key in keys:
                entry = _held[key]
                entry[0] -= 1
                if entry[0] == 0:
                    del _held[key]
                    entry[2].set_num_threads(entry[1])
