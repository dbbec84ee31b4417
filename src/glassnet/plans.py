"""The one rule of when a part's plan may stand in for its methods in the compiled step.

A layer, a loss or an optimizer contributes its part of the training step as a *plan*: pre-bound
NumPy calls on arrays it owns (see `Layer.plan_forward`, `Loss.plan`, `Optimizer.plan_step`).
A part of one's own — a subclass that overrides `forward` without a plan, a method replaced on
an instance, a kernel that returns a new array — must be run through its methods instead. This
module says which (`plans_cover`), binds kernels safely (`bind`), and says when a part is
glassnet's own arithmetic, which never overflows on finite numbers (`glassnets_own`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from types import FunctionType
from typing import Any

import numpy as np

from ._typing import Array, Call


def own_function(bound: Any, function: Callable[..., Any]) -> bool:
    """Whether a bound method is `function` itself (not a subclass's or an instance's own)."""
    return getattr(bound, "__func__", None) is function


def replaced_on_instance(obj: object, names: Sequence[str]) -> bool:
    """Whether any of these methods is replaced on `obj` itself.

    Each is looked up by name: asking for the instance's ``__dict__`` (``vars``) would make
    CPython keep its attributes in a real dict from then on, and every attribute read in the
    training loop slower (W1 lost 0.3 µs per iteration to that)."""
    cls = type(obj)
    for name in names:
        function = getattr(cls, name, None)
        if isinstance(function, FunctionType) and not own_function(
            getattr(obj, name, None), function
        ):
            return True
    return False


def plans_cover(obj: object) -> bool:
    """True when each plan method of `obj` (a layer or a loss) is defined at least as deep in its
    class tree as the method it mirrors: a subclass that overrides `forward` alone (or an instance
    given its own `forward`) falls back to `forward`."""
    mro = type(obj).__mro__

    def depth(name: str) -> int:
        return next(i for i, cls in enumerate(mro) if name in vars(cls))

    pairs = [("forward", "plan_forward"), ("backward", "plan_backward")]
    if hasattr(obj, "plan_by_methods"):  # a loss: one plan mirrors both its methods
        pairs = [("forward", "plan"), ("backward", "plan")]
    if replaced_on_instance(obj, [name for pair in pairs for name in pair]):
        return False
    return all(depth(plan) <= depth(method) for method, plan in pairs)


def glassnets_own(obj: object) -> bool:
    """True for an instance of one of glassnet's own classes (not a subclass of one's own), with
    none of its methods replaced on the instance: its arithmetic never overflows on finite
    numbers, so an overflow in it means divergence."""
    cls = type(obj)
    if not cls.__module__.startswith("glassnet."):
        return False
    methods = [name for name in dir(cls) if isinstance(getattr(cls, name, None), FunctionType)]
    return not replaced_on_instance(obj, methods)


def bind(kernel: Callable[..., Array], *args: Array) -> Call:
    """A kernel pre-bound to its arrays, the last of which is its output.

    glassnet's own kernels write into that output; a kernel of one's own (a subclass's) may
    return a new array instead, so its result is copied in."""
    if (getattr(kernel, "__module__", None) or "").startswith("glassnet."):
        return partial(kernel, *args)
    return partial(_into, kernel, args)


def _into(kernel: Callable[..., Array], args: tuple[Array, ...]) -> None:
    result = kernel(*args)
    if result is not args[-1]:
        np.copyto(args[-1], result)
