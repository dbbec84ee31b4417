"""Optimizers — `SGD` (momentum, Nesterov), `Adam`, `RMSprop`, `LBFGS` — and rate schedules.

Ordered as: schedules; the general `Optimizer` (its one step: clipping, weight decay, state, the
rule run over the whole model or per parameter); then each rule as a small subclass that only
says which step a gradient and its state give (`direction`). Every update is in place: the
network and the optimizer share the same arrays.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import numpy as np

from . import duo
from ._typing import Array, Call
from .errors import GlassnetError
from .kernels import updates
from .plans import own_function, replaced_on_instance
from .validation import flag, fraction, non_negative, positive_float, positive_int

# ---------------------------------------------------------------- learning-rate schedules


class Schedule:
    """A learning rate as a function of the epoch (0-based)."""

    kind: ClassVar[str] = "constant"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = positive_float(learning_rate, "learning_rate")

    def __call__(self, epoch: int) -> float:
        return self.learning_rate

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """η(epoch) = η₀."""


class StepDecay(Schedule):
    """η(epoch) = η₀ · gamma^⌊epoch / step_size⌋."""

    kind = "step"

    def __init__(self, learning_rate: float, *, step_size: int = 10, gamma: float = 0.5) -> None:
        super().__init__(learning_rate)
        self.step_size = positive_int(step_size, "step_size")
        self.gamma = positive_float(gamma, "gamma")

    def __call__(self, epoch: int) -> float:
        return _scaled(self.learning_rate, self.gamma, epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    """η(epoch) = η₀ · gamma^epoch."""

    kind = "exponential"

    def __init__(self, learning_rate: float, *, gamma: float = 0.95) -> None:
        super().__init__(learning_rate)
        self.gamma = positive_float(gamma, "gamma")

    def __call__(self, epoch: int) -> float:
        return _scaled(self.learning_rate, self.gamma, epoch)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma}


class InverseScaling(Schedule):
    """η(epoch) = η₀ / (epoch + 1)^power (scikit-learn's "invscaling", per epoch)."""

    kind = "inverse_scaling"

    def __init__(self, learning_rate: float, *, power: float = 0.5) -> None:
        super().__init__(learning_rate)
        self.power = positive_float(power, "power")

    def __call__(self, epoch: int) -> float:
        try:
            return self.learning_rate / (epoch + 1) ** self.power
        except OverflowError:  # (epoch + 1)^power beyond float64: the rate is 0 by then
            return 0.0

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power": self.power}


def _scaled(rate: float, gamma: float, k: int) -> float:
    """rate · gammaᵏ, or a GlassnetError when gammaᵏ passes float64's range."""
    try:
        return rate * gamma**k
    except OverflowError:
        raise GlassnetError(
            f"the learning rate {rate:g} · {gamma:g}^{k} passes float64's range; "
            "use a gamma below 1 or fewer epochs"
        ) from None


SCHEDULES: dict[str, type[Schedule]] = {
    cls.kind: cls for cls in (Constant, StepDecay, ExponentialDecay, InverseScaling)
}


# ---------------------------------------------------------------- the general optimizer


class _Unit:
    """The arrays one application of an update rule works on: the gradient it reads, its state
    slots, and `out`, where the rule leaves the step to subtract.

    With `views`, the unit spans the whole model: `g`, the slots and `out` are flat arrays with
    one view per parameter (``views[name][i]``), so that a rule runs once for every parameter.
    """

    __slots__ = ("decayed", "fused", "g", "out", "state", "views")

    def __init__(
        self,
        g: Array | None,
        state: tuple[Array, ...],
        out: Array,
        decayed: Array | None = None,
        views: dict[str, list[Array]] | None = None,
    ) -> None:
        self.g, self.state, self.out, self.decayed, self.views = g, state, out, decayed, views
        #: the rule compiled into one pass over the whole model, when it runs instead
        self.fused: updates.Compiled | None = None


class Optimizer:
    """One general step — clip, decay, then the rule's `direction` — shared by every optimizer.

    A subclass says only how the step is computed from a gradient and its state
    (`direction(g, state, out)`); this class applies it in place. When the rule keeps state
    (`slots`) and every parameter has one dtype, the rule runs once over the whole model — its
    gradient, state and step as flat arrays with a view per parameter — instead of once per
    parameter: a dozen array operations per step rather than a dozen per parameter, which is
    what small networks spend most on. Both ways compute the same numbers, element by element.

    Parameters
    ----------
    learning_rate : float or Schedule
        A constant, or a schedule of the epoch (see `StepDecay`, `ExponentialDecay`, ...).
    weight_decay : float, default 0
        L2 penalty λ: adds λ·W to the gradient of every weight matrix (not biases), as
        scikit-learn's `alpha` does.
    clip_norm : float, optional
        Rescale the gradients so that their global L2 norm is at most this.
    """

    kind: ClassVar[str] = "Optimizer"
    #: names of the per-parameter state arrays (e.g. Adam's first and second moments)
    slots: tuple[str, ...] = ()
    #: run a rule with state once over the whole model when the dtypes allow (False: once per
    #: parameter; the numbers are the same either way)
    whole_model: bool = True
    #: the rule's compiled whole-model update in `glassnet.kernels.optim` ("" for none); it runs
    #: instead of `direction` (the same numbers) when Numba is installed and the model has enough
    #: elements to repay loading it (`kernels.worth`): `FUSED_FROM` in a process yet without
    #: Numba (importing it and loading a first kernel take ~0.6 s: ~1,200 W3 steps' saving),
    #: `FUSED_FROM_LOADED` once it is there (another kernel has run; this one loads in ~10 ms)
    fused_rule: ClassVar[str] = ""
    FUSED_FROM: ClassVar[int] = 200_000
    FUSED_FROM_LOADED: ClassVar[int] = 10_000
    #: the arrays the rule runs on (built at the first step; never pickled)
    _units: list[_Unit] | None = None
    #: the parameter arrays `_units` were built for (weak references; never pickled)
    _owner: list[weakref.ref[Array]] | None = None

    def __init__(
        self,
        learning_rate: float | Schedule = 0.01,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        self.schedule = (
            learning_rate if isinstance(learning_rate, Schedule) else Constant(learning_rate)
        )
        self.learning_rate = self.schedule(0)
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.clip_norm = None if clip_norm is None else positive_float(clip_norm, "clip_norm")
        self.iterations = 0  # steps taken
        self.epoch = 0
        self.state: dict[str, list[Array]] = {}

    def set_epoch(self, epoch: int) -> None:
        """Called by the fit loop at the start of each epoch: apply the schedule."""
        self.epoch = epoch
        self.learning_rate = self.schedule(epoch)

    def direction(self, g: Array, state: tuple[Array, ...], out: Array) -> Array:
        """The step to subtract from a parameter with gradient `g`, usually written into `out`.

        `state` holds this parameter's arrays named by `slots`, updated in place. The rule may
        be given one parameter or the whole model at once (flat arrays): it is elementwise.
        """
        raise NotImplementedError

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        """Update every array of `params` in place from the matching array of `grads`."""
        self._update(params, grads, None)

    def _update(
        self, params: Sequence[Array], grads: Sequence[Array], flat: updates.FlatViews | None
    ) -> None:
        """`step`, given ``updates.flat_views(params, grads)`` when the compiled step made them."""
        units = self._units
        if units is None:
            units = self._build(params)
        self.iterations += 1
        fused = units[0].fused if units else None
        if fused is not None:  # the rule compiled: one call for the whole update
            if flat is None or flat.layout != fused.layout:
                flat = updates.flat_views(params, grads)
            if flat is not None and flat.layout == fused.layout:
                self._run_fused(units[0], flat, grads)
                return
        if self.clip_norm is not None:
            _clip(grads, self.clip_norm)
        decay = self.weight_decay
        if units and units[0].views is not None:  # one unit: the whole model at once
            unit, views = units[0], units[0].views
            assert unit.g is not None
            for p, view, g in zip(params, views["g"], grads):
                if decay and p.ndim >= 2:  # λ·W + g: d/dW ½λ‖W‖² added to a copy of the grad
                    np.multiply(p, decay, out=view)
                    view += g
                else:
                    np.copyto(view, g)
            step = self.direction(unit.g, unit.state, unit.out)
            for p, s in zip(params, views["out"] if step is unit.out else _split(step, params)):
                p -= s
            return
        direction = self.direction
        for p, g, unit in zip(params, grads, units):
            if decay and p.ndim >= 2:  # the model's own grads stay pure
                assert unit.decayed is not None
                g = np.add(np.multiply(p, decay, out=unit.decayed), g, out=unit.decayed)
            p -= direction(g, unit.state, unit.out)

    def bind(self, params: Sequence[Array]) -> None:
        """Make `params` (one model's parameter arrays) the ones this optimizer updates.

        Called by `fit` before training. An optimizer whose rule keeps state per parameter
        (momentum, Adam's moments) belongs to the arrays it has updated: another model's are
        refused, since that state would move them. One with no state (plain SGD) is rebound.
        """
        owner = self._owner
        if owner is None or (len(owner) == len(params) and
                             all(ref() is p for ref, p in zip(owner, params))):  # fmt: skip
            return
        if self.slots and any(self.state.get(name) for name in self.slots):
            raise GlassnetError(
                f"this {type(self).__name__} holds state ({', '.join(self.slots)}) for another "
                "model's parameters; give each model its own optimizer (a new one, or "
                "copy.deepcopy of this one before either model trains)"
            )
        self._units, self._owner = None, None

    def plan_step(self, params: Sequence[Array], grads: Sequence[Array]) -> list[Call]:
        """The update as pre-bound calls, for the fit loop's compiled step (`Step.program`)."""
        if replaced_on_instance(self, ["step"]) or type(self).step is not Optimizer.step:
            return [partial(self.step, params, grads)]  # a step of one's own
        # the flat views a fused rule runs on, made once here rather than at every step
        flat = updates.flat_views(params, grads)
        if flat is not None and self.whole_model and self.slots:
            # whether the rule is compiled, asked now rather than at the first step: if it
            # imports Numba, the step's other kernels are planned knowing it is there
            self._fused(params, sum(p.size for p in params))
        return [partial(self._update, params, grads, flat)]

    def fused_arguments(self, coef: Array) -> tuple[Any, ...]:
        """For the rule's compiled update: write this step's coefficients into `coef` (slots of
        `glassnet.kernels.optim`) and return the kernel's arguments after the two switches."""
        raise NotImplementedError

    def _run_fused(self, unit: _Unit, flat: updates.FlatViews, grads: Sequence[Array]) -> None:
        """The step as one compiled pass over the whole model (`glassnet.kernels.optim`), on
        the unit's flat state; the gradients' global norm alone is NumPy's (`_clip_scale`)."""
        fused, decay = unit.fused, self.weight_decay
        assert fused is not None
        coef = fused.coef
        scale = 1.0 if self.clip_norm is None else _clip_scale(grads, self.clip_norm)
        coef[0], coef[1] = scale, decay  # (`optim.SCALE`, `optim.DECAY`)
        extra = self.fused_arguments(coef)
        kernel = fused.kernel
        two_cores = duo.RUNNING.get()  # a fit on two cores: the update in two halves
        if two_cores is not None:
            kernel = two_cores.rule(kernel) or kernel
        if not kernel(flat.params, flat.grads, fused.decayed, *unit.state, coef, scale < 1.0,
                      decay != 0.0, *extra):  # fmt: skip
            updates.report_overflow(grads)

    def _build(self, params: Sequence[Array]) -> list[_Unit]:
        """The arrays the rule runs on, carrying on from `state` (e.g. from `load_state_dict`)."""
        state = self.state
        for name in self.slots:
            if name not in state:  # a slot new since the last step (momentum turned on)
                state[name] = [np.zeros_like(p) for p in params]
        if self.whole_model and self.slots and len({p.dtype for p in params}) == 1:
            dtype, sizes = params[0].dtype, [p.size for p in params]
            ends = np.cumsum(sizes).tolist()
            flat = {name: np.zeros(ends[-1], dtype=dtype) for name in (*self.slots, "g", "out")}
            views = {
                name: [a[e - n : e].reshape(p.shape) for p, n, e in zip(params, sizes, ends)]
                for name, a in flat.items()
            }
            for name in self.slots:
                for view, old in zip(views[name], state[name]):
                    np.copyto(view, old)
                state[name] = views[name]
            slots = tuple(flat[name] for name in self.slots)
            unit = _Unit(flat["g"], slots, flat["out"], views=views)
            unit.fused = self._fused(params, ends[-1])
            self._units = [unit]
        else:
            self._units = [
                _Unit(None, tuple(state[name][i] for name in self.slots), *_two_like(p))
                for i, p in enumerate(params)
            ]
        self._owner = [weakref.ref(p) for p in params]
        return self._units

    def _fused(self, params: Sequence[Array], size: int) -> updates.Compiled | None:
        """The rule's compiled whole-model update, when there is one (`fused_rule`), the rule is
        this class's own `direction`, and it is worth it for a model of `size` elements."""
        rule = self.fused_rule
        owner = next(cls for cls in type(self).__mro__ if "direction" in vars(cls))
        if not rule or vars(owner).get("fused_rule") != rule:
            return None  # no compiled rule, or a subclass's own `direction`: NumPy runs it
        if replaced_on_instance(self, ["direction"]):
            return None
        return updates.compiled(rule, params, size, threshold=self.FUSED_FROM,
                                threshold_loaded=self.FUSED_FROM_LOADED)  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, JSON-friendly (saved in model files)."""
        return {
            "schedule": {"kind": self.schedule.kind, **self.schedule.get_config()},
            "weight_decay": self.weight_decay,
            "clip_norm": self.clip_norm,
        }

    def state_dict(self) -> dict[str, Any]:
        """Counters and per-parameter state, so that training can resume exactly."""
        return {
            "iterations": self.iterations,
            "epoch": self.epoch,
            # only what the rule keeps: a velocity left from before momentum was turned off is
            # no state of a momentum-free SGD (a model file holding it would not load)
            "slots": {k: [a.copy() for a in v] for k, v in self.state.items() if k in self.slots},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.iterations = int(state["iterations"])
        self.set_epoch(int(state["epoch"]))
        self.state = {k: [np.array(a) for a in v] for k, v in state["slots"].items()}
        self._units = None

    def __getstate__(self) -> dict[str, Any]:
        # the working arrays are rebuilt at the next step: a pickle holds configuration and state
        state = dict(self.__dict__)
        state.pop("_units", None)
        state.pop("_owner", None)
        state["state"] = {k: [a.copy() for a in v] for k, v in self.state.items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a pickle from before the one step contract also held working arrays: left behind
        for name in ("_scratch", "_decayed", "_flat", "_flat_views", "_step_size",
                     "_root_correction"):  # fmt: skip
            state.pop(name, None)
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.schedule!r})"


def _clip(grads: Sequence[Array], clip_norm: float) -> None:
    """Scale the gradients in place so that their global L2 norm is at most `clip_norm`."""
    scale = _clip_scale(grads, clip_norm)
    if scale < 1.0:
        for g in grads:
            g *= scale


def _clip_scale(grads: Sequence[Array], clip_norm: float) -> float:
    """The factor that brings the gradients' global L2 norm to `clip_norm`, when below 1."""
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    # PyTorch's clip_grad_norm_: scale by clip / (norm + 1e-6) whenever that is below 1
    return clip_norm / (total + 1e-6)


def _two_like(p: Array) -> tuple[Array, Array]:
    """`out` and `decayed` for one parameter's unit."""
    return np.empty_like(p), np.empty_like(p)


def _split(flat: Array, params: Sequence[Array]) -> list[Array]:
    """Views of a flat array, one per parameter, shaped like it."""
    ends = np.cumsum([p.size for p in params]).tolist()
    return [flat[e - p.size : e].reshape(p.shape) for p, e in zip(params, ends)]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, in PyTorch's form.

    v ← μ·v + g;  p ← p − η·(g + μ·v) with Nesterov, p ← p − η·v without, p ← p − η·g when μ = 0.

    Examples
    --------
    >>> SGD(learning_rate=1.0)  # the tutorial's update
    SGD(learning_rate=Constant(learning_rate=1.0))
    """

    kind = "SGD"
    fused_rule = "sgd"

    def __init__(
        self,
        learning_rate: float | Schedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clip_norm=clip_norm)
        self.nesterov = flag(nesterov, "nesterov")
        self.momentum = momentum

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "momentum" in state:  # pickled before momentum became a property
            state["_momentum"] = state.pop("momentum")
            state["slots"] = ("velocity",) if state["_momentum"] else ()
        super().__setstate__(state)

    @property
    def momentum(self) -> float:
        return self._momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        # checked here, so that a momentum set after construction is one a model file can hold
        value = fraction(value, "momentum")
        if self.nesterov and value == 0.0:
            raise GlassnetError("nesterov=True needs a momentum > 0, got momentum=0")
        # momentum keeps a velocity per parameter: turned on or off, the arrays are rebuilt
        self._momentum = value
        self.slots = ("velocity",) if value else ()
        self._units = None

    def direction(self, g: Array, state: tuple[Array, ...], out: Array) -> Array:
        rate = self.learning_rate
        if not state:  # plain gradient descent: η·g
            if rate == 1.0:  # the tutorial's rate: multiplying by 1 changes nothing
                return g
            return np.multiply(g, rate, out=out)
        (v,) = state
        v *= self.momentum
        v += g
        if self.nesterov:
            np.multiply(v, self.momentum, out=out)
            out += g
            out *= rate
            return out
        return np.multiply(v, rate, out=out)

    def fused_arguments(self, coef: Array) -> tuple[Any, ...]:
        coef[2], coef[3] = self.momentum, self.learning_rate  # (`optim.MOMENTUM`, `optim.RATE`)
        return (self.nesterov,)

    def plan_step(self, params: Sequence[Array], grads: Sequence[Array]) -> list[Call]:
        planned = super().plan_step(params, grads)
        update = getattr(planned[0], "func", None) if len(planned) == 1 else None
        if (type(self) is SGD and own_function(update, Optimizer._update)
                and not replaced_on_instance(self, ["direction"])):  # fmt: skip
            return [partial(self._descend, *planned[0].args)]  # type: ignore[attr-defined]
        return planned

    def _descend(
        self, params: Sequence[Array], grads: Sequence[Array], flat: updates.FlatViews | None
    ) -> None:
        """`_update` for the tutorial's rule, plain gradient descent at rate 1 without clipping
        or decay: p ← p − g with nothing else to decide (W1: ~0.4 of ~6 µs an iteration)."""
        if (self.slots or self.learning_rate != 1.0 or self.clip_norm is not None
                or self.weight_decay or self._units is None):  # fmt: skip
            return self._update(params, grads, flat)
        self.iterations += 1
        for p, g in zip(params, grads):
            p -= g

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), in the form PyTorch uses.

    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    p ← p − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
    """

    kind = "Adam"
    fused_rule = "adam"
    slots = ("m", "v")

    def __init__(
        self,
        learning_rate: float | Schedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clip_norm=clip_norm)
        self.beta_1 = fraction(beta_1, "beta_1")
        self.beta_2 = fraction(beta_2, "beta_2")
        self.epsilon = positive_float(epsilon, "epsilon")

    def direction(self, g: Array, state: tuple[Array, ...], out: Array) -> Array:
        m, v = state
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        m *= b1
        m += np.multiply(g, 1.0 - b1, out=out)
        v *= b2
        np.multiply(g, g, out=out)
        out *= 1.0 - b2
        v += out
        # out ← √v̂ + ε with v̂ = v / (1 − β₂ᵗ); then step = (η / (1 − β₁ᵗ)) · m / out
        np.sqrt(v, out=out)
        out *= 1.0 / math.sqrt(1.0 - b2**t)
        out += self.epsilon
        np.divide(m, out, out=out)
        out *= self.learning_rate / (1.0 - b1**t)
        return out

    def fused_arguments(self, coef: Array) -> tuple[Any, ...]:
        # the scalars `direction` computes, each rounded to the dtype as NumPy rounds them
        # (slots `optim.B1` ... `optim.STEP_SIZE`)
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        coef[2], coef[3], coef[4], coef[5] = b1, 1.0 - b1, b2, 1.0 - b2
        coef[6] = 1.0 / math.sqrt(1.0 - b2**t)
        coef[7] = self.epsilon
        coef[8] = self.learning_rate / (1.0 - b1**t)
        return ()

    def get_config(self) -> dict[str, Any]:
        extra = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        return {**super().get_config(), **extra}


class RMSprop(Optimizer):
    """RMSprop (Hinton), in PyTorch's form: v ← ρv + (1 − ρ)g²;  p ← p − η·g / (√v + ε)."""

    kind = "RMSprop"
    fused_rule = "rmsprop"
    slots = ("v",)

    def __init__(
        self,
        learning_rate: float | Schedule = 0.001,
        rho: float = 0.99,
        epsilon: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clip_norm=clip_norm)
        self.rho = fraction(rho, "rho")
        self.epsilon = positive_float(epsilon, "epsilon")

    def direction(self, g: Array, state: tuple[Array, ...], out: Array) -> Array:
        (v,) = state
        v *= self.rho
        np.multiply(g, g, out=out)
        out *= 1.0 - self.rho
        v += out
        np.sqrt(v, out=out)
        out += self.epsilon
        np.divide(g, out, out=out)
        out *= self.learning_rate
        return out

    def fused_arguments(self, coef: Array) -> tuple[Any, ...]:
        # slots `optim.RHO` ... `optim.RMS_RATE`
        coef[2], coef[3], coef[4], coef[5] = (
            self.rho,
            1.0 - self.rho,
            self.epsilon,
            self.learning_rate,
        )
        return ()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class LBFGS(Optimizer):
    """L-BFGS-B (scipy's), full batch: `fit` hands the whole solve to `glassnet.lbfgs`.

    One epoch of `fit` is one L-BFGS iteration (a quasi-Newton step found by a line search,
    which may evaluate the loss several times), so ``epochs`` is scikit-learn's ``max_iter``.
    The objective is the loss plus ½·λ·‖W‖² over the weight matrices (`weight_decay` λ). It keeps
    no state between fits (a model file stores only these settings); it needs scipy.

    Parameters
    ----------
    max_fun : int, default 15000
        Most evaluations of the loss and its gradient (scikit-learn's ``max_fun``).
    tol : float, default 1e-5
        Stop when every component of the (projected) gradient is at most this (scipy's gtol).
    weight_decay : float, default 0
        L2 penalty λ on the weight matrices (not the biases).
    scale : float, default 1
        The objective handed to L-BFGS-B is `scale` × (loss + ½·λ·‖W‖²): its stopping rules
        read the objective's own size (a relative decrease against max(|f|, 1)), so a loss on
        another scale (scikit-learn's, say) stops where that library's would.

    Examples
    --------
    >>> LBFGS(max_fun=500)
    LBFGS(max_fun=500, tol=1e-05, weight_decay=0.0)
    """

    kind = "LBFGS"
    #: how the latest solve ended (a `glassnet.lbfgs.Solve`: iterations, evaluations, status,
    #: scipy's message); None before the first
    result: Any = None

    def __init__(
        self,
        max_fun: int = 15000,
        tol: float = 1e-5,
        *,
        weight_decay: float = 0.0,
        scale: float = 1.0,
    ) -> None:
        super().__init__(1.0, weight_decay=weight_decay)
        self.max_fun = positive_int(max_fun, "max_fun")
        self.tol = non_negative(tol, "tol")
        self.scale = positive_float(scale, "scale")

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        """Nothing: L-BFGS moves the weights between the evaluations of a solve, not per step."""

    def plan_step(self, params: Sequence[Array], grads: Sequence[Array]) -> list[Call]:
        return []  # the compiled step is then forward, loss and backward: what a solve evaluates

    def get_config(self) -> dict[str, Any]:
        # the schedule is there for the model file's reader; L-BFGS has no learning rate
        schedule = {"kind": self.schedule.kind, **self.schedule.get_config()}
        return {"schedule": schedule, "max_fun": self.max_fun, "tol": self.tol,
                "weight_decay": self.weight_decay, "scale": self.scale}  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"LBFGS(max_fun={self.max_fun}, tol={self.tol!r}, weight_decay={self.weight_decay!r})"
        )


#: the stepping optimizers (what the CLI offers, with a learning rate)
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}
#: every optimizer by name: the stepping ones and the full-batch solver
_BY_NAME: dict[str, type[Optimizer]] = {**OPTIMIZERS, "lbfgs": LBFGS}


def get(optimizer: str | Optimizer, learning_rate: float | None = None) -> Optimizer:
    """An optimizer from its name ("sgd", "adam", "rmsprop", "lbfgs") or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    cls = _BY_NAME.get(str(optimizer).lower())
    if cls is None:
        known = ", ".join(_BY_NAME)
        raise GlassnetError(f"unknown optimizer {optimizer!r}; expected one of {known}")
    if cls is LBFGS and learning_rate is not None:
        raise GlassnetError("lbfgs takes no learning rate: its steps come from line searches")
    return cls() if learning_rate is None else cls(learning_rate)


def from_config(kind: str, config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from `kind` and `get_config()` (used when loading model files)."""
    cls = {c.kind: c for c in _BY_NAME.values()}.get(kind)
    if cls is None:
        raise GlassnetError(f"unknown optimizer kind {kind!r}")
    config = dict(config)
    sched = dict(config.pop("schedule"))
    if cls is LBFGS:  # no learning rate: its steps come from line searches
        return cls(**config)
    sched_cls = SCHEDULES.get(sched.pop("kind"))
    if sched_cls is None:
        raise GlassnetError(f"unknown learning-rate schedule in {config!r}")
    return cls(sched_cls(**sched), **config)
