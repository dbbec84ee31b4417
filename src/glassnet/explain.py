"""Explain one training step: each equation of the engine's step, filled with its live numbers.

`explain` runs one full-batch training iteration through the engine's own step (layers, loss,
optimizer), watching the arrays it computes, and lays them out as an `Explanation`: forward,
loss, backward and update, one `ExplainedStep` per equation, printable as text, markdown or JSON.
Given `Inputs` (what the numbers stand for: a table's columns as read, the class names), the
first step shows each value as read beside the standardized numbers the network sees, and the
loss shows each target by name beside the one-hot vector it is scored against.
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
from .activations import Activation, Identity, Sigmoid, Softmax
from .compiled import Step
from .errors import GlassnetError
from .layers import Dense, Dropout, Layer
from .validation import LEGACY_SEEDS, check_X, check_y, positive_int, seed_of

if TYPE_CHECKING:
    from .network import Sequential

__all__ = ["ExplainedStep", "Explanation", "Inputs", "explain"]


@dataclass
class ExplainedStep:
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
    steps : list of ExplainedStep
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
    steps: list[ExplainedStep] = field(default_factory=list)
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
        for n, step, starts in self._numbered():
            if starts:
                lines += ["", f"== {step.phase} =="]
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
        for n, step, starts in self._numbered():
            if starts:
                lines += ["", f"## {step.phase.capitalize()}"]
            lines += ["", f"### {n}. {step.title}", "", f"`{step.equation}`"]
            if step.note:
                lines += ["", f"*{step.note}*"]
            lines += ["", "```"]
            for name, value in step.values.items():
                lines += _text_value(name, value, indent="")
            lines.append("```")
        return "\n".join(lines) + "\n"

    def _numbered(self) -> list[tuple[int, ExplainedStep, bool]]:
        """(number from 1, step, whether it starts a phase) for each step, as both renderings
        show them."""
        phases = ["", *(step.phase for step in self.steps)]
        return [
            (n, step, step.phase != phases[n - 1]) for n, step in enumerate(self.steps, start=1)
        ]

    def render(self, format: str = "text") -> str:
        """The explanation as "text", "markdown" or "json"."""
        renderers = {"text": self.to_text, "markdown": self.to_markdown, "json": self.to_json}
        if format not in renderers:
            raise GlassnetError(f"format must be one of text, markdown, json; got {format!r}")
        return renderers[format]()

    def __str__(self) -> str:
        return self.to_text()


@dataclass
class Inputs:
    """What the numbers of a batch stand for, for `explain` to show beside them.

    Attributes
    ----------
    columns : dict of str to (ndarray of shape (n_samples,), list of int)
        Per column of the table: its values as read (text, numbers or dates), and the
        network inputs made from it (columns of ``x``).
    features : ndarray of shape (n_samples, n_features_in)
        The inputs before standardization: numbers with missing values filled, one-hot
        categories, date parts.
    names : list of str, length n_features_in
        The name of each input, e.g. ``island=Dream``.
    target : ndarray of shape (n_samples,) or None
        The target as read: class labels, or values in their own units.
    classes : list of str or None
        For classification, the label of each class index.
    """

    columns: dict[str, tuple[Array, list[int]]]
    features: Array
    names: list[str]
    target: Array | None = None
    classes: list[str] | None = None


def _jsonable(value: Any) -> Any:
    """Nested lists of floats; NaN and ±inf (which JSON cannot hold) as strings; text as is."""
    a = np.asarray(value)
    if a.dtype.kind in "USO":
        return a.tolist()
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
    "Poisson": (
        "L = mean(e^ŷ − y·ŷ + y·log y − y)   (ŷ are log-means)",
        "∂L/∂ŷ = (e^ŷ − y) / n",
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
    inputs: Inputs | None = None,
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
    inputs : Inputs, optional
        What ``X`` and ``y`` stand for (e.g. a table's columns), shown beside them.

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
    seed = seed_of(seed, generator=False, below=LEGACY_SEEDS)  # the tutorial's RandomState
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
    if inputs is not None and len(inputs.features) != len(X):
        raise GlassnetError(f"inputs describe {len(inputs.features)} rows, X has {len(X)}")
    if iteration > 1:
        model.fit(X, y, loss=loss_fn, optimizer=opt, epochs=iteration - 1, shuffle=False,
                  seed=seed)  # fmt: skip
    return _walk(model, X, y, loss_fn, opt, iteration, inputs)


class _Seen:
    """A `compiled.Watcher` that keeps a copy of every array the step shows it."""

    def __init__(self) -> None:
        self.outputs: dict[int, Array] = {}
        self.input_grads: dict[int, Array] = {}

    def output(self, i: int, out: Array) -> None:
        self.outputs[i] = out.copy()

    def input_grad(self, i: int, grad: Array) -> None:
        self.input_grads[i] = grad.copy()


@dataclass
class _Record:
    """One engine step as it happened: what `_walk` saw, ready to be laid out as equations."""

    layers: list[Layer]
    X: Array
    y: Array
    loss: _losses.Loss
    value: float
    seen: _Seen
    weights: list[dict[str, Array]]  # each layer's parameters before the update
    grads: list[dict[str, Array]]  # ... and their gradients, as backward left them
    derivatives: dict[int, Array]  # each activation's own derivative at this step
    new_weights: list[Array]
    learning_rate: float
    plain_sgd: bool
    tutorial: bool
    inputs: Inputs | None = None

    @property
    def names(self) -> list[str]:
        return _names(self.layers)


def _walk(
    model: Sequential, X: Array, y: Array, loss: _losses.Loss, opt: _optimizers.Optimizer,
    iteration: int, inputs: Inputs | None = None,
) -> Explanation:  # fmt: skip
    """Run the engine's own step once, as the fit loop does, and lay out every array it made."""
    plain_sgd = (
        isinstance(opt, _optimizers.SGD) and not opt.momentum and not opt.weight_decay
        and opt.clip_norm is None
    )  # fmt: skip
    opt.set_epoch(opt.epoch)  # as fit does at the start of each epoch (schedules)
    step, seen = Step(model, loss, opt), _Seen()
    value = step.forward_backward(X, y, watch=seen)
    layers = model.layers
    weights = [{k: p.copy() for k, p in layer.params.items()} for layer in layers]
    grads = [{k: g.copy() for k, g in layer.grads.items()} for layer in layers]
    # each activation's own derivative: its backward pass applied to a gradient of ones (now
    # that the step has read the layer's buffers, they are free for it)
    derivatives = {
        i: layer.backward(np.ones_like(seen.outputs[i])).copy()
        for i, layer in enumerate(layers)
        if isinstance(layer, Activation) and layer.kind in _ACTIVATION_MATH
    }
    step.update(step.params, step.grads)  # the optimizer's own step, in place
    opt.epoch += 1
    record = _Record(
        layers, X, y, loss, value, seen, weights, grads, derivatives,
        new_weights=[p.copy() for p in step.params],
        learning_rate=float(opt.learning_rate),
        plain_sgd=plain_sgd,
        # the tutorial's names (adjustments, new weights = weights + adjustments) fit only its step
        tutorial=_is_tutorial(model, loss) and plain_sgd and opt.learning_rate == 1.0,
        inputs=inputs,
    )  # fmt: skip
    steps = _forward_steps(record) + _loss_steps(record)
    steps += _backward_steps(record) + _update_steps(record, type(opt).__name__)
    return Explanation(
        iteration=iteration,
        model=repr(model),
        loss=repr(loss),
        optimizer=repr(opt),
        learning_rate=record.learning_rate,
        loss_value=float(value),
        steps=steps,
        new_weights=record.new_weights,
    )


def _where(i: int, layer: Layer) -> str:
    return f"layer {i + 1}, {type(layer).__name__}"


def _inputs_step(r: _Record) -> ExplainedStep:
    """The batch: each column as read beside the inputs made from it, standardized."""
    if r.inputs is None:
        return ExplainedStep("forward", "Inputs", "x: one row per example", {"x": r.X.copy()})
    values: dict[str, Array] = {}
    for column, (raw, js) in r.inputs.columns.items():
        shown = "[" + ", ".join(r.inputs.names[j] for j in js) + "]"
        values[column] = raw
        made = r.inputs.features[:, js]
        as_read = len(js) == 1 and raw.dtype.kind == "f" and np.array_equal(made[:, 0], raw)
        if not as_read:  # a number read as it is needs no second line
            values[f"inputs{shown}"] = made if len(js) > 1 else made[:, 0]
        values[f"x{shown}"] = r.X[:, js] if len(js) > 1 else r.X[:, js[0]]
    values["x"] = r.X.copy()
    return ExplainedStep(
        "forward",
        "Inputs — each value as read, beside the numbers the network sees",
        "x = (inputs − mean) / scale, as learned in training: one row per example",
        values,
        "missing values filled, categories one-hot, dates in parts, then standardized",
    )


def _forward_steps(r: _Record) -> list[ExplainedStep]:
    """Each layer's forward pass on the batch: its equation and its output."""
    steps = [_inputs_step(r)]
    names, previous, k = r.names, "x", 0
    for i, layer in enumerate(r.layers):
        name, out, where = names[i], r.seen.outputs[i], _where(i, layer)
        if isinstance(layer, Dense):
            k += 1
            w, b = f"W{_subscript(k)}", f"b{_subscript(k)}"
            values = {w: r.weights[i]["weight"]}
            equation = f"{name} = {previous} · {w}"
            if layer.bias:
                values[b] = r.weights[i]["bias"]
                equation += f" + {b}"
            values[name] = out
            title = "Weighted sums" + (" (the neuron's input to the sigmoid)" if r.tutorial else "")
            steps.append(ExplainedStep("forward", f"{title} — {where}", equation, values))
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
            title = "Outputs" if i == len(r.layers) - 1 else "Activations"
            steps.append(ExplainedStep("forward", f"{title} — {where}", equation, {name: out}))
        previous = name
    return steps


def _loss_steps(r: _Record) -> list[ExplainedStep]:
    """The loss, and its gradient: where the error enters."""
    out, grad = r.seen.outputs[len(r.layers) - 1], r.seen.input_grads[len(r.layers)]
    loss_eq, grad_eq = _LOSS_MATH.get(r.loss.kind, (f"L = {r.loss.kind}(ŷ, y)", "∂L/∂ŷ"))
    values = {"y": r.y.copy(), "ŷ": out.copy(), "L": np.float64(r.value)}
    if r.inputs is not None and r.inputs.target is not None:
        named = {"y as read": r.inputs.target}
        if r.inputs.classes is not None and r.y.ndim == 1:  # labels: scored as one-hot rows
            classes = ", ".join(r.inputs.classes)
            named[f"y one-hot [{classes}]"] = np.eye(len(r.inputs.classes), dtype=np.int64)[r.y]
        values = {**named, **values}
    grad_values = {"∂L/∂ŷ": grad}
    note = ""
    if isinstance(r.loss, _losses.SumSquaredError):
        grad_values = {"error": np.negative(grad), **grad_values}
        grad_eq = "error = y − ŷ;   " + grad_eq + " = −error"
        note = "the tutorial's error" if r.tutorial else ""
    return [
        ExplainedStep("loss", "Loss", loss_eq, values),
        ExplainedStep("backward", "Gradient of the loss", grad_eq, grad_values, note),
    ]


def _backward_steps(r: _Record) -> list[ExplainedStep]:
    """Each layer's backward pass, last layer first: the gradients it filled and passed down."""
    steps: list[ExplainedStep] = []
    names, grads_in = r.names, r.seen.input_grads
    k = sum(isinstance(layer, Dense) for layer in r.layers)
    for i in range(len(r.layers) - 1, -1, -1):
        layer = r.layers[i]
        name, where = names[i], _where(i, layer)
        below = names[i - 1] if i else "x"
        if isinstance(layer, Dense):
            w, b = f"W{_subscript(k)}", f"b{_subscript(k)}"
            values = {f"∂L/∂{w}": r.grads[i]["weight"]}  # ∂L/∂{name}: the step above
            equation = f"∂L/∂{w} = {below}ᵀ · ∂L/∂{name}"
            if layer.bias:
                values[f"∂L/∂{b}"] = r.grads[i]["bias"]
                equation += f";   ∂L/∂{b} = Σ ∂L/∂{name}"
            note = ""
            if r.tutorial:
                values["adjustments"] = np.negative(r.grads[i]["weight"])
                equation += f";   adjustments = −∂L/∂{w} = xᵀ · (error · σ'(z₁))"
                note = 'the tutorial\'s adjustments, its "error weighted derivative"'
            if i > 0:
                values[f"∂L/∂{below}"] = grads_in[i]
                equation += f";   ∂L/∂{below} = ∂L/∂{name} · {w}ᵀ"
            steps.append(ExplainedStep("backward", f"Gradients — {where}", equation, values, note))
            k -= 1
        elif i in r.derivatives:
            symbol, derivative_eq = _ACTIVATION_MATH[layer.kind]
            label = "sigmoid derivative" if r.tutorial else f"{symbol}'({below})"
            values = {label: r.derivatives[i], f"∂L/∂{below}": grads_in[i]}
            equation = f"{derivative_eq};   ∂L/∂{below} = ∂L/∂{name} ⊙ {label}"
            note = "the tutorial's sigmoid_derivative(output)" if r.tutorial else ""
            steps.append(ExplainedStep("backward", f"Through the activation — {where}",
                                       equation, values, note))  # fmt: skip
        else:
            kind = "Softmax Jacobian" if isinstance(layer, Softmax) else type(layer).__name__
            values = {f"∂L/∂{name}": grads_in[i + 1], f"∂L/∂{below}": grads_in[i]}
            steps.append(ExplainedStep("backward", f"Through {kind} — {where}",
                                       f"∂L/∂{below} = backward of {name}", values))  # fmt: skip
    return steps


def _update_steps(r: _Record, optimizer: str) -> list[ExplainedStep]:
    """The optimizer's update of each parameter: old, change, new."""
    steps: list[ExplainedStep] = []
    lr, j, k = r.learning_rate, 0, 0
    for i, layer in enumerate(r.layers):
        if not layer.params:
            continue
        k += 1
        for key in layer.params:
            symbol = ("W" if key == "weight" else "b") + _subscript(k)
            old, new = r.weights[i][key], r.new_weights[j]
            # plain SGD subtracts exactly η·g: show that, not new − old (which may round)
            change = np.negative(r.grads[i][key] * lr) if r.plain_sgd else new - old
            if r.tutorial:
                values = {"weights": old, "adjustments": change, "new weights": new}
                equation = "new weights = weights + adjustments   (η = 1: w ← w − η·∂L/∂w)"
                note = "the tutorial's synaptic_weights += adjustments"
            elif r.plain_sgd:
                values = {symbol: old, f"−η·∂L/∂{symbol}": change, f"new {symbol}": new}
                equation = f"{symbol} ← {symbol} − η·∂L/∂{symbol}"
                note = ""
            else:
                values = {symbol: old, f"Δ{symbol}": change, f"new {symbol}": new}
                equation = f"{symbol} ← {symbol} + Δ{symbol}   (Δ as {optimizer} computes it)"
                note = ""
            plural = "biases" if key == "bias" else f"{key}s"
            steps.append(ExplainedStep("update", f"New {plural} — {_where(i, layer)}", equation,
                                       values, note))  # fmt: skip
            j += 1
    return steps
