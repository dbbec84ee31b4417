"""Optimizers — `SGD` (momentum, Nesterov), `Adam`, `RMSprop` — and learning-rate schedules.

Ordered as: schedules; the general `Optimizer` (weight decay, clipping, state); then each rule as
a small subclass that only says how one parameter moves. Every update is in place: the network
and the optimizer share the same arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar

import numpy as np

from ._typing import Array, Call
from .errors import GlassnetError
from .validation import fraction, non_negative, positive_float

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
        self.step_size = int(positive_float(step_size, "step_size"))
        self.gamma = positive_float(gamma, "gamma")

    def __call__(self, epoch: int) -> float:
        return self.learning_rate * self.gamma ** (epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    """η(epoch) = η₀ · gamma^epoch."""

    kind = "exponential"

    def __init__(self, learning_rate: float, *, gamma: float = 0.95) -> None:
        super().__init__(learning_rate)
        self.gamma = positive_float(gamma, "gamma")

    def __call__(self, epoch: int) -> float:
        return self.learning_rate * self.gamma**epoch

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma}


class InverseScaling(Schedule):
    """η(epoch) = η₀ / (epoch + 1)^power (scikit-learn's "invscaling", per epoch)."""

    kind = "inverse_scaling"

    def __init__(self, learning_rate: float, *, power: float = 0.5) -> None:
        super().__init__(learning_rate)
        self.power = positive_float(power, "power")

    def __call__(self, epoch: int) -> float:
        return self.learning_rate / (epoch + 1) ** self.power

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power": self.power}


SCHEDULES: dict[str, type[Schedule]] = {
    cls.kind: cls for cls in (Constant, StepDecay, ExponentialDecay, InverseScaling)
}


# ---------------------------------------------------------------- the general optimizer


class Optimizer:
    """One general step: decay, clip, then each parameter's rule (`_update`), in place.

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
        self._scratch: list[Array] = []
        self._decayed: list[Array] = []

    def set_epoch(self, epoch: int) -> None:
        """Called by the fit loop at the start of each epoch: apply the schedule."""
        self.epoch = epoch
        self.learning_rate = self.schedule(epoch)

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        """Update every array of `params` in place from the matching array of `grads`."""
        if not self._scratch:
            self._init_state(params)
        self.iterations += 1
        if self.clip_norm is not None:
            total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            # PyTorch's clip_grad_norm_: scale by clip / (norm + 1e-6) whenever that is below 1
            scale = self.clip_norm / (total + 1e-6)
            if scale < 1.0:
                for g in grads:
                    g *= scale
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.weight_decay and p.ndim >= 2:
                # d/dW ½λ‖W‖² = λW, added to a copy: the model's own grads stay pure
                g = np.multiply(p, self.weight_decay, out=self._decayed[i])
                g += grads[i]
            self._update(i, p, g)

    def plan_step(self, params: Sequence[Array], grads: Sequence[Array]) -> list[Call]:
        """The update as pre-bound calls, for the fit loop's compiled step (`_Step.program`)."""
        return [partial(self.step, params, grads)]

    def _init_state(self, params: Sequence[Array]) -> None:
        self._scratch = [np.empty_like(p) for p in params]
        self._decayed = [np.empty_like(p) for p in params]
        if not self.state:
            self.state = {name: [np.zeros_like(p) for p in params] for name in self.slots}

    def _update(self, i: int, p: Array, g: Array) -> None:
        raise NotImplementedError

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
            "slots": {k: [a.copy() for a in v] for k, v in self.state.items()},
        }

    def __getstate__(self) -> dict[str, Any]:
        # scratch arrays are rebuilt on the next step: pickles hold only configuration and state
        return {**self.__dict__, "_scratch": [], "_decayed": []}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.iterations = int(state["iterations"])
        self.set_epoch(int(state["epoch"]))
        self.state = {k: [np.array(a) for a in v] for k, v in state["slots"].items()}
        self._scratch = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.schedule!r})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, in PyTorch's form.

    v ← μ·v + g;  p ← p − η·(g + μ·v) with Nesterov, p ← p − η·v without, p ← p − η·g when μ = 0.

    Examples
    --------
    >>> SGD(learning_rate=1.0)  # the tutorial's update
    SGD(learning_rate=Constant(learning_rate=1.0))
    """

    kind = "SGD"

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
        self.momentum = fraction(momentum, "momentum")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise GlassnetError("nesterov=True needs a momentum > 0, got momentum=0")
        self.slots = ("velocity",) if self.momentum else ()

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        # read every time: a callback may turn momentum, decay or clipping on between steps
        if self.momentum or self.clip_norm is not None or self.weight_decay:
            super().step(params, grads)
            return
        # plain gradient descent, p ← p − η·g: nothing else to do, so no general machinery
        if not self._scratch:
            self._init_state(params)
        self.iterations += 1
        for p, g, scratch in zip(params, grads, self._scratch):
            _descend(p, g, self.learning_rate, scratch)

    def _update(self, i: int, p: Array, g: Array) -> None:
        if not self.momentum:
            _descend(p, g, self.learning_rate, self._scratch[i])
            return
        if "velocity" not in self.state:  # momentum turned on after the first step
            self.state["velocity"] = [np.zeros_like(a) for a in self._scratch]
        v = self.state["velocity"][i]
        v *= self.momentum
        v += g
        step = self._scratch[i]
        if self.nesterov:
            np.multiply(v, self.momentum, out=step)
            step += g
            step *= self.learning_rate
        else:
            np.multiply(v, self.learning_rate, out=step)
        p -= step

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


def _descend(p: Array, g: Array, rate: float, scratch: Array) -> None:
    """p ← p − η·g, in place (`scratch` holds η·g)."""
    if rate == 1.0:  # the tutorial's rate: multiplying by 1 changes nothing
        p -= g
    else:
        p -= np.multiply(g, rate, out=scratch)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), in the form PyTorch uses.

    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    p ← p − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
    """

    kind = "Adam"
    slots = ("m", "v")
    _step_size = 0.0
    _root_correction = 1.0

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

    _flat: dict[str, Array] | None = None

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        t = self.iterations + 1
        self._step_size = self.learning_rate / (1.0 - self.beta_1**t)
        self._root_correction = 1.0 / math.sqrt(1.0 - self.beta_2**t)
        if not self._scratch:
            self._init_state(params)
        if self._flat is None or self.clip_norm is not None:
            super().step(params, grads)
            return
        # the whole model at once: gather the gradients, one update, then each parameter moves
        self.iterations += 1
        flat, decay = self._flat, self.weight_decay
        for p, view, g in zip(params, self._flat_views["g"], grads):
            if decay and p.ndim >= 2:  # λ·W + g, the very sum `Optimizer.step` makes
                np.multiply(p, decay, out=view)
                view += g
            else:
                np.copyto(view, g)
        self._moments(flat["m"], flat["v"], flat["g"], flat["step"])
        for p, step in zip(params, self._flat_views["step"]):
            p -= step

    def _init_state(self, params: Sequence[Array]) -> None:
        super()._init_state(params)
        self._flat = None
        if len({p.dtype for p in params}) != 1:
            return
        # One contiguous array per moment (and for the gradient and the step), with each
        # parameter's state a view into it: an update is then a dozen array operations for the
        # whole model instead of a dozen per parameter — what small networks spend most on.
        dtype, sizes = params[0].dtype, [p.size for p in params]
        ends = np.cumsum(sizes).tolist()
        flat = {name: np.zeros(ends[-1], dtype=dtype) for name in (*self.slots, "g", "step")}
        views = {
            name: [
                a[end - size : end].reshape(p.shape) for p, size, end in zip(params, sizes, ends)
            ]
            for name, a in flat.items()
        }
        for name in self.slots:  # carry on from the state so far (e.g. from load_state_dict)
            for view, old in zip(views[name], self.state[name]):
                np.copyto(view, old)
        self.state = {name: views[name] for name in self.slots}
        self._flat, self._flat_views = flat, views

    def _update(self, i: int, p: Array, g: Array) -> None:
        tmp = self._scratch[i]
        self._moments(self.state["m"][i], self.state["v"][i], g, tmp)
        p -= tmp

    def _moments(self, m: Array, v: Array, g: Array, tmp: Array) -> None:
        """Update the moments m and v from g, in place, and leave the step in `tmp`."""
        b1, b2 = self.beta_1, self.beta_2
        m *= b1
        m += np.multiply(g, 1.0 - b1, out=tmp)
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        # tmp ← √v̂ + ε with v̂ = v / (1 − β₂ᵗ); then step = (η / (1 − β₁ᵗ)) · m / tmp
        np.sqrt(v, out=tmp)
        tmp *= self._root_correction
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= self._step_size

    def get_config(self) -> dict[str, Any]:
        extra = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        return {**super().get_config(), **extra}


class RMSprop(Optimizer):
    """RMSprop (Hinton), in PyTorch's form: v ← ρv + (1 − ρ)g²;  p ← p − η·g / (√v + ε)."""

    kind = "RMSprop"
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

    def _update(self, i: int, p: Array, g: Array) -> None:
        v, tmp = self.state["v"][i], self._scratch[i]
        v *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= self.learning_rate
        p -= tmp

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(optimizer: str | Optimizer, learning_rate: float | None = None) -> Optimizer:
    """An optimizer from its name ("sgd", "adam", "rmsprop") or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    cls = OPTIMIZERS.get(str(optimizer).lower())
    if cls is None:
        known = ", ".join(OPTIMIZERS)
        raise GlassnetError(f"unknown optimizer {optimizer!r}; expected one of {known}")
    return cls() if learning_rate is None else cls(learning_rate)


def from_config(kind: str, config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from `kind` and `get_config()` (used when loading model files)."""
    cls = {c.kind: c for c in OPTIMIZERS.values()}.get(kind)
    if cls is None:
        raise GlassnetError(f"unknown optimizer kind {kind!r}")
    config = dict(config)
    sched = dict(config.pop("schedule"))
    sched_cls = SCHEDULES.get(sched.pop("kind"))
    if sched_cls is None:
        raise GlassnetError(f"unknown learning-rate schedule in {config!r}")
    return cls(sched_cls(**sched), **config)
