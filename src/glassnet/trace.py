"""The glass: record what training does (`Trace`) and explain one training step with its numbers.

`Trace` is a fit callback that copies weights, gradients, activation statistics and the loss
every N steps into arrays. `explain` walks one full-batch training iteration layer by layer —
forward, loss, backward, update — and keeps every intermediate array the engine's own layers,
loss and optimizer produced, so a learner sees the real numbers behind each equation.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import losses as _losses
from . import optimizers as _optimizers
from ._typing import Array
from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .errors import GlassnetError
from .layers import Dense, Dropout, Layer
from .training import Callback
from .validation import check_X, check_y, positive_int

if TYPE_CHECKING:
    from .network import Sequential

__all__ = ["Explanation", "Step", "Trace", "activation_stats", "explain"]

#: a sigmoid output this close to 0 or 1 (a tanh output this close to ±1) counts as saturated:
#: there σ' = σ(1 − σ) < 0.0099 (tanh' = 1 − tanh² < 0.02), so almost no gradient flows back
SATURATION_MARGIN = 0.01

STAT_NAMES = ("mean", "std", "zero", "dead", "saturated")


def activation_stats(layer: Layer, out: Array) -> dict[str, float]:
    """Summary statistics of one activation layer's output for a batch.

    Parameters
    ----------
    layer : Layer
        The activation layer (its kind decides what "saturated" means).
    out : ndarray of shape (n_samples, n_units)
        Its output for the batch.

    Returns
    -------
    dict with keys
        ``mean``, ``std`` — of every value; ``zero`` — fraction of values exactly 0;
        ``dead`` — fraction of units that are 0 for every sample (a ReLU that never fires gets
        no gradient, so it never recovers); ``saturated`` — fraction of values within
        `SATURATION_MARGIN` of a sigmoid's 0 or 1, or of a tanh's ±1 (0 for other layers).
    """
    mean = float(out.mean())
    std = float(out.std())
    zero = float(np.count_nonzero(out == 0.0)) / out.size
    dead = 0.0
    if isinstance(layer, (ReLU, LeakyReLU)):
        dead = float(np.count_nonzero(np.all(out <= 0.0, axis=0))) / out.shape[1]
    saturated = 0.0
    if isinstance(layer, Sigmoid):
        near = (out < SATURATION_MARGIN) | (out > 1.0 - SATURATION_MARGIN)
        saturated = float(np.count_nonzero(near)) / out.size
    elif isinstance(layer, Tanh):
        saturated = float(np.count_nonzero(np.abs(out) > 1.0 - SATURATION_MARGIN)) / out.size
    return {"mean": mean, "std": std, "zero": zero, "dead": dead, "saturated": saturated}


def cached_output(layer: Layer) -> Array | None:
    """The output an activation layer cached in its last forward pass (None if it keeps none)."""
    if not isinstance(layer, Activation) or isinstance(layer, Identity):
        return None
    out = getattr(layer, "_y", None)
    return out if isinstance(out, np.ndarray) and out.ndim == 2 and out.size else None


# --------------------------------------------------------------------------- Trace


class Trace(Callback):
    """Record weights, gradients, activation statistics and the loss every `every` steps.

    Use it as ``model.fit(X, y, ..., callbacks=[trace])``. After each `every`-th optimizer step
    it copies, for every layer with parameters, the weights (after the step) and the gradients
    (the ones that step used), and for every activation layer the statistics of the output it
    cached in that step's forward pass (see `activation_stats`). No layer is wrapped or hooked:
    without a `Trace`, training runs exactly as before and pays nothing.

    Parameters
    ----------
    every : int, default 1
        Record after steps every, 2·every, ... (a step is one batch).

    Attributes
    ----------
    steps : ndarray of shape (n_records,)
        The step (counted from 1 over the traced fits) of each record.
    loss : ndarray of shape (n_records,)
        The batch loss at each recorded step.
    weights, biases : dict of int to ndarray of shape (n_records, *param_shape)
        Keyed by the layer's index in ``model.layers``.
    gradients, bias_gradients : dict of int to ndarray of shape (n_records, *param_shape)
    activations : dict of int to dict of str to ndarray of shape (n_records,)
        ``trace.activations[i]["dead"]`` etc., for each activation layer ``i``.
    initial : dict of int to dict of str to ndarray
        Every parameter before the first step (e.g. ``initial[0]["weight"]``).

    Examples
    --------
    >>> import glassnet as gn
    >>> nn = gn.NeuralNetwork()
    >>> trace = Trace(every=100)
    >>> _ = nn.model.fit(*gn.datasets.tutorial(), loss=nn.loss, optimizer=nn.optimizer,
    ...                  epochs=1000, callbacks=[trace])
    >>> trace.weights[0].shape
    (10, 3, 1)
    """

    def __init__(self, every: int = 1) -> None:
        self.every = positive_int(every, "every")
        self._reset(None)

    def _reset(self, model: Sequential | None) -> None:
        """Forget every record: a new model starts a new trace."""
        self._model = model
        self._offset = 0  # steps taken in earlier fits of the same model
        self._last = 0
        self._steps: list[int] = []
        self._loss: list[float] = []
        self._params: dict[tuple[int, str], list[Array]] = {}
        self._grads: dict[tuple[int, str], list[Array]] = {}
        self._stats: dict[int, dict[str, list[float]]] = {}
        self.initial: dict[int, dict[str, Array]] = {}
        self._arrays: dict[str, Any] = {}

    # -- the hooks

    def on_train_begin(self, model: Sequential) -> None:
        if model is not self._model:
            self._reset(model)
            self.initial = {
                i: {k: p.copy() for k, p in layer.params.items()}
                for i, layer in enumerate(model.layers)
                if layer.params
            }
        self._offset = self._last

    def on_batch_end(self, step: int, model: Sequential, loss: float) -> None:
        total = self._offset + step
        self._last = total
        if total % self.every:
            return
        self._arrays = {}
        self._steps.append(total)
        self._loss.append(float(loss))
        for i, layer in enumerate(model.layers):
            for key, p in layer.params.items():
                self._params.setdefault((i, key), []).append(p.copy())
                self._grads.setdefault((i, key), []).append(layer.grads[key].copy())
            out = cached_output(layer)
            if out is not None:
                stats = self._stats.setdefault(i, {name: [] for name in STAT_NAMES})
                for name, value in activation_stats(layer, out).items():
                    stats[name].append(value)

    # -- the record, as arrays

    def _stacked(self, store: dict[tuple[int, str], list[Array]], key: str) -> dict[int, Array]:
        cache_key = f"{id(store)}-{key}"
        if cache_key not in self._arrays:
            self._arrays[cache_key] = {i: np.stack(v) for (i, k), v in store.items() if k == key}
        result: dict[int, Array] = self._arrays[cache_key]
        return result

    @property
    def steps(self) -> Array:
        return np.array(self._steps, dtype=np.int64)

    @property
    def loss(self) -> Array:
        return np.array(self._loss, dtype=np.float64)

    @property
    def weights(self) -> dict[int, Array]:
        return self._stacked(self._params, "weight")

    @property
    def biases(self) -> dict[int, Array]:
        return self._stacked(self._params, "bias")

    @property
    def gradients(self) -> dict[int, Array]:
        return self._stacked(self._grads, "weight")

    @property
    def bias_gradients(self) -> dict[int, Array]:
        return self._stacked(self._grads, "bias")

    @property
    def activations(self) -> dict[int, dict[str, Array]]:
        return {
            i: {name: np.array(values, dtype=np.float64) for name, values in stats.items()}
            for i, stats in self._stats.items()
        }

    def __len__(self) -> int:
        return len(self._steps)

    def parameters_at(self, record: int) -> list[Array]:
        """Every parameter at record `record` (negative counts from the end), in the order of
        ``model.parameters()`` — ready for ``model.set_weights``. ``parameters_at(-1)`` is the
        last record; use `initial` for the state before the first step."""
        if not self._steps:
            raise GlassnetError("the trace is empty: train with callbacks=[trace] first")
        return [v[record] for v in self._params.values()]

    def initial_parameters(self) -> list[Array]:
        """Every parameter before the first step, in the order of ``model.parameters()``."""
        return [p for i in sorted(self.initial) for p in self.initial[i].values()]


# --------------------------------------------------------------------------- explain


@dataclass
class Step:
    """One step of an explained iteration: an equation and the live numbers that fill it.

    Attributes
    ----------
    phase : {"forward", "loss", "backward", "update"}
    title : str
        What the step computes, in words.
    equation : str
        The step's math, e.g. ``"z₁ = x · W₁"``.
    values : dict of str to ndarray
        The numbers, in the order they are read (inputs first, result last).
    note : str
        Where the step meets the tutorial, or a reason.
    """

    phase: str
    title: str
    equation: str
    values: dict[str, Array]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "title": self.title,
            "equation": self.equation,
            "note": self.note,
            "values": {name: _jsonable(v) for name, v in self.values.items()},
            "shapes": {name: list(np.shape(v)) for name, v in self.values.items()},
        }


@dataclass
class Explanation:
    """One training iteration, step by step, with the engine's own numbers.

    Attributes
    ----------
    iteration : int
        Which iteration (1 is the first full-batch step).
    model, loss, optimizer : str
        What was trained, as text.
    loss_value : float
        The loss at the start of the iteration (before its update).
    steps : list of Step
    new_weights : list of ndarray
        Every parameter after the update, in the order of ``model.parameters()``: exactly what
        ``fit(..., epochs=iteration)`` ends with.
    """

    iteration: int
    model: str
    loss: str
    optimizer: str
    learning_rate: float
    loss_value: float
    steps: list[Step] = field(default_factory=list)
    new_weights: list[Array] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Every number, JSON-friendly (non-finite values become the strings "nan", "inf")."""
        return {
            "iteration": self.iteration,
            "model": self.model,
            "loss": self.loss,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "loss_value": _jsonable(self.loss_value),
            "steps": [step.to_dict() for step in self.steps],
            "new_weights": [_jsonable(w) for w in self.new_weights],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_text(self) -> str:
        lines = [
            f"Iteration {self.iteration} of {self.model}",
            f"loss {self.loss}, optimizer {self.optimizer}, learning rate η = "
            f"{self.learning_rate:g}",
        ]
        phase = ""
        for n, step in enumerate(self.steps, start=1):
            if step.phase != phase:
                phase = step.phase
                lines += ["", f"== {phase} =="]
            lines += ["", f"{n}. {step.title}", f"   {step.equation}"]
            if step.note:
                lines.append(f"   ({step.note})")
            for name, value in step.values.items():
                lines += _text_value(name, value, indent="   ")
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        lines = [
            f"# Iteration {self.iteration}",
            "",
            f"Model `{self.model}`, loss `{self.loss}`, optimizer `{self.optimizer}`, "
            f"learning rate η = {self.learning_rate:g}.",
        ]
        phase = ""
        for n, step in enumerate(self.steps, start=1):
            if step.phase != phase:
                phase = step.phase
                lines += ["", f"## {phase.capitalize()}"]
            lines += ["", f"### {n}. {step.title}", "", f"`{step.equation}`"]
            if step.note:
                lines += ["", f"*{step.note}*"]
            lines += ["", "```"]
            for name, value in step.values.items():
                lines += _text_value(name, value, indent="")
            lines.append("```")
        return "\n".join(lines) + "\n"

    def render(self, format: str = "text") -> str:
        """The explanation as "text", "markdown" or "json"."""
        renderers = {"text": self.to_text, "markdown": self.to_markdown, "json": self.to_json}
        if format not in renderers:
            raise GlassnetError(f"format must be one of text, markdown, json; got {format!r}")
        return renderers[format]()

    def __str__(self) -> str:
        return self.to_text()


def _jsonable(value: Any) -> Any:
    """Nested lists of floats; NaN and ±inf (which JSON cannot hold) as strings."""
    a = np.asarray(value)
    if a.dtype.kind in "biu":
        return a.tolist()
    if np.isfinite(a).all():
        return a.astype(np.float64).tolist()
    obj = a.astype(object)
    flat = obj.reshape(-1)
    for i, v in enumerate(flat):
        flat[i] = float(v) if math.isfinite(v) else str(float(v))
    return obj.tolist()


def _text_value(name: str, value: Any, *, indent: str) -> list[str]:
    a = np.asarray(value)
    with np.printoptions(precision=8, suppress=False, threshold=200, edgeitems=4, linewidth=96):
        text = np.array2string(a, separator=" ") if a.ndim else f"{float(a):.10g}"
    rows = text.splitlines()
    if len(rows) == 1:
        return [f"{indent}{name} = {rows[0]}"]
    label = f"{indent}{name} ="
    pad = indent + "  "
    return [label, *(pad + row for row in rows)]


def _subscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


_ACTIVATION_MATH = {
    "Sigmoid": ("σ", "σ'(z) = σ(z)·(1 − σ(z))"),
    "Tanh": ("tanh", "tanh'(z) = 1 − tanh²(z)"),
    "ReLU": ("relu", "relu'(z) = 1 if z > 0 else 0"),
    "LeakyReLU": ("leaky_relu", "leaky_relu'(z) = 1 if z > 0 else a"),
}

_LOSS_MATH = {
    "SumSquaredError": ("L = ½·Σ(y − ŷ)²", "∂L/∂ŷ = ŷ − y"),
    "MeanSquaredError": ("L = mean((y − ŷ)²)", "∂L/∂ŷ = 2·(ŷ − y) / n"),
    "BinaryCrossEntropy": (
        "L = mean(max(ŷ, 0) − ŷ·y + log(1 + e^(−|ŷ|)))   (ŷ are logits)",
        "∂L/∂ŷ = (σ(ŷ) − y) / n",
    ),
    "CrossEntropy": (
        "L = mean(logsumexp(ŷ) − Σ y·ŷ)   (ŷ are logits)",
        "∂L/∂ŷ = (softmax(ŷ) − y) / n",
    ),
}


def _names(layers: list[Layer]) -> list[str]:
    """The symbol of each layer's output: z₁ for the first Dense, a₁ for its activation, ..."""
    names, k = [], 0
    for layer in layers:
        if isinstance(layer, Dense):
            k += 1
            names.append(f"z{_subscript(k)}")
        elif isinstance(layer, Dropout):
            names.append(f"d{_subscript(max(k, 1))}")
        else:
            names.append(f"a{_subscript(max(k, 1))}")
    names[-1] = "ŷ"
    return names


def _is_tutorial(model: Sequential, loss: _losses.Loss) -> bool:
    """One bias-free Dense and a Sigmoid on the sum-squared error: the tutorial's neuron."""
    layers = model.layers
    return (
        len(layers) == 2
        and isinstance(layers[0], Dense)
        and not layers[0].bias
        and isinstance(layers[1], Sigmoid)
        and isinstance(loss, _losses.SumSquaredError)
    )


def explain(
    model: Sequential | None = None,
    X: Any = None,
    y: Any = None,
    *,
    loss: str | _losses.Loss | None = None,
    optimizer: str | _optimizers.Optimizer | None = None,
    iteration: int = 1,
    seed: int = 1,
) -> Explanation:
    """Walk one full-batch training iteration, printing-ready, with the engine's real numbers.

    With no model, this is the tutorial's neuron (starting weights from `seed`, default 1) on
    the tutorial's four examples, trained by SGD with learning rate 1 on the sum-squared error:
    the steps then carry the tutorial's names (error, sigmoid derivative, adjustments).

    The first ``iteration − 1`` steps run through ``fit`` on a copy; iteration ``iteration`` is
    then run layer by layer by the same layers, loss and optimizer, keeping each intermediate
    array. The caller's model and optimizer are not changed.

    Parameters
    ----------
    model : Sequential, optional
        Any small network; default the tutorial's neuron.
    X : array-like of shape (n_samples, n_features_in), optional
        The whole batch (default: the tutorial's inputs, with no model).
    y : array-like of shape (n_samples, n_outputs), or (n_samples,) labels, optional
    loss, optimizer : Loss and Optimizer or names, optional
        Default: the model's own from its last fit (SSE and SGD(1.0) for the tutorial).
    iteration : int, default 1
        Which step to show, counted from 1.
    seed : int, default 1
        The tutorial neuron's seed (used only with no model).

    Returns
    -------
    Explanation
        ``print(explain())`` shows it as text; see `Explanation.render` for markdown and JSON.

    Examples
    --------
    >>> e = explain()  # the tutorial neuron's first iteration
    >>> [round(float(w), 8) for w in e.new_weights[0].ravel()]
    [0.12025406, 0.50456196, -0.85063774]
    >>> print(e.render("markdown"))  # doctest: +SKIP
    """
    from .tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork

    iteration = positive_int(iteration, "iteration")
    if model is None:
        nn = NeuralNetwork(seed=seed)
        model = nn.model
        loss = nn.loss if loss is None else loss
        optimizer = nn.optimizer if optimizer is None else optimizer
        X = TRAINING_INPUTS if X is None else X
        y = TRAINING_OUTPUTS if y is None else y
    if X is None or y is None:
        raise GlassnetError("explain needs the data: pass X and y with the model")
    loss_fn = _losses.get(loss) if loss is not None else model.loss
    opt = _optimizers.get(optimizer) if optimizer is not None else model.optimizer
    if loss_fn is None or opt is None:
        raise GlassnetError("explain needs a loss and an optimizer (the model has not been fit)")
    # work on copies: the caller's model, loss and optimizer stay as they are
    model, loss_fn, opt = copy.deepcopy((model, loss_fn, opt))
    X = check_X(X, dtype=model.dtype, n_features=model.n_features_in)
    y = check_y(y, n_samples=len(X), n_outputs=model.n_outputs, dtype=model.dtype,
                labels=loss_fn.takes_labels)  # fmt: skip
    if iteration > 1:
        model.fit(X, y, loss=loss_fn, optimizer=opt, epochs=iteration - 1, shuffle=False,
                  seed=seed)  # fmt: skip
    return _walk(model, X, y, loss_fn, opt, iteration)


def _walk(
    model: Sequential, X: Array, y: Array, loss: _losses.Loss, opt: _optimizers.Optimizer,
    iteration: int,
) -> Explanation:  # fmt: skip
    """Run one training step as the fit loop does, keeping every intermediate array."""
    plain_sgd = (
        isinstance(opt, _optimizers.SGD) and not opt.momentum and not opt.weight_decay
        and opt.clip_norm is None
    )  # fmt: skip
    opt.set_epoch(opt.epoch)  # as fit does at the start of each epoch (schedules)
    # the tutorial's names (adjustments, new weights = weights + adjustments) fit only its step
    tutorial = _is_tutorial(model, loss) and plain_sgd and opt.learning_rate == 1.0
    layers = model.layers
    names = _names(layers)
    steps: list[Step] = []

    # ---- forward: each layer's own forward pass, on the batch
    steps.append(Step("forward", "Inputs", "x: one row per example", {"x": X.copy()}))
    out, previous, k = X, "x", 0
    for i, layer in enumerate(layers):
        out = layer.forward(out, True)
        name = names[i]
        where = f"layer {i + 1}, {type(layer).__name__}"
        if isinstance(layer, Dense):
            k += 1
            w, b = f"W{_subscript(k)}", f"b{_subscript(k)}"
            values = {w: layer.params["weight"].copy()}
            equation = f"{name} = {previous} · {w}"
            if layer.bias:
                values[b] = layer.params["bias"].copy()
                equation += f" + {b}"
            values[name] = out.copy()
            title = "Weighted sums" + (" (the neuron's input to the sigmoid)" if tutorial else "")
            steps.append(Step("forward", f"{title} — {where}", equation, values))
        else:
            symbol = _ACTIVATION_MATH.get(layer.kind, (layer.kind.lower(), ""))[0]
            if isinstance(layer, Dropout):
                equation = f"{name} = {previous} ⊙ mask / (1 − {layer.rate:g})"
            elif isinstance(layer, Identity):
                equation = f"{name} = {previous}"
            else:
                equation = f"{name} = {symbol}({previous})"
            if isinstance(layer, Sigmoid):
                equation += f" = 1 / (1 + e^(−{previous}))"
            title = "Outputs" if i == len(layers) - 1 else "Activations"
            steps.append(Step("forward", f"{title} — {where}", equation, {name: out.copy()}))
        previous = name

    # ---- the loss, and its gradient: where the error enters
    value = loss.forward(out, y)
    loss_eq, grad_eq = _LOSS_MATH.get(loss.kind, (f"L = {loss.kind}(ŷ, y)", "∂L/∂ŷ"))
    steps.append(
        Step("loss", "Loss", loss_eq, {"y": y.copy(), "ŷ": out.copy(), "L": np.float64(value)})
    )
    grad = loss.backward()
    grad_values = {"∂L/∂ŷ": grad.copy()}
    note = ""
    if isinstance(loss, _losses.SumSquaredError):
        grad_values = {"error": np.negative(grad), **grad_values}
        grad_eq = "error = y − ŷ;   " + grad_eq + " = −error"
        note = "the tutorial's error" if tutorial else ""
    steps.append(Step("backward", "Gradient of the loss", grad_eq, grad_values, note))

    # ---- backward: each layer's own backward pass, last layer first
    k = len(model.dense_layers)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        name, where = names[i], f"layer {i + 1}, {type(layer).__name__}"
        below = names[i - 1] if i else "x"
        if isinstance(layer, Dense):
            w, b = f"W{_subscript(k)}", f"b{_subscript(k)}"
            grad = layer.backward(grad, input_grad=i > 0)
            values = {f"∂L/∂{w}": layer.grads["weight"].copy()}  # ∂L/∂{name}: the step above
            equation = f"∂L/∂{w} = {below}ᵀ · ∂L/∂{name}"
            if layer.bias:
                values[f"∂L/∂{b}"] = layer.grads["bias"].copy()
                equation += f";   ∂L/∂{b} = Σ ∂L/∂{name}"
            note = ""
            if tutorial:
                values["adjustments"] = np.negative(layer.grads["weight"])
                equation += f";   adjustments = −∂L/∂{w} = xᵀ · (error · σ'(z₁))"
                note = 'the tutorial\'s adjustments, its "error weighted derivative"'
            if i > 0:
                values[f"∂L/∂{below}"] = grad.copy()
                equation += f";   ∂L/∂{below} = ∂L/∂{name} · {w}ᵀ"
            steps.append(Step("backward", f"Gradients — {where}", equation, values, note))
            k -= 1
        elif isinstance(layer, Activation) and layer.kind in _ACTIVATION_MATH:
            symbol, derivative_eq = _ACTIVATION_MATH[layer.kind]
            # the layer's own derivative: its backward pass applied to a gradient of ones
            derivative = layer.backward(np.ones_like(grad)).copy()
            grad = layer.backward(grad)
            label = "sigmoid derivative" if tutorial else f"{symbol}'({below})"
            values = {label: derivative, f"∂L/∂{below}": grad.copy()}
            equation = f"{derivative_eq};   ∂L/∂{below} = ∂L/∂{name} ⊙ {label}"
            note = "the tutorial's sigmoid_derivative(output)" if tutorial else ""
            steps.append(Step("backward", f"Through the activation — {where}", equation,
                              values, note))  # fmt: skip
        else:
            upstream = grad.copy()
            grad = layer.backward(grad)
            kind = "Softmax Jacobian" if isinstance(layer, Softmax) else type(layer).__name__
            steps.append(Step("backward", f"Through {kind} — {where}",
                              f"∂L/∂{below} = backward of {name}",
                              {f"∂L/∂{name}": upstream, f"∂L/∂{below}": grad.copy()}))  # fmt: skip

    # ---- update: the optimizer's own step, in place
    params, grads = model.parameters(), model.gradients()
    before = [p.copy() for p in params]
    opt.step(params, grads)
    opt.epoch += 1
    lr = opt.learning_rate
    j, k = 0, 0
    for i, layer in enumerate(layers):
        if not layer.params:
            continue
        k += 1
        for key in layer.params:
            symbol = ("W" if key == "weight" else "b") + _subscript(k)
            old, new = before[j], params[j].copy()
            # plain SGD subtracts exactly η·g: show that, not new − old (which may round)
            change = np.negative(grads[j] * lr) if plain_sgd else new - old
            if tutorial:
                values = {"weights": old, "adjustments": change, "new weights": new}
                equation = "new weights = weights + adjustments   (η = 1: w ← w − η·∂L/∂w)"
                note = "the tutorial's synaptic_weights += adjustments"
            elif plain_sgd:
                values = {symbol: old, f"−η·∂L/∂{symbol}": change, f"new {symbol}": new}
                equation = f"{symbol} ← {symbol} − η·∂L/∂{symbol}"
                note = ""
            else:
                values = {symbol: old, f"Δ{symbol}": change, f"new {symbol}": new}
                equation = (
                    f"{symbol} ← {symbol} + Δ{symbol}   (Δ as {type(opt).__name__} computes it)"
                )
                note = ""
            where = f"layer {i + 1}, {type(layer).__name__}"
            plural = "biases" if key == "bias" else f"{key}s"
            steps.append(Step("update", f"New {plural} — {where}", equation, values, note))
            j += 1

    return Explanation(
        iteration=iteration,
        model=repr(model),
        loss=repr(loss),
        optimizer=repr(opt),
        learning_rate=float(lr),
        loss_value=float(value),
        steps=steps,
        new_weights=[p.copy() for p in params],
    )
