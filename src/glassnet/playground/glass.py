"""The glass of the playground: one neuron's numbers for one sample — z = Σ w·x + b, its
activation, and in step mode its gradient and update — read from `glassnet.explain`, which runs
the engine's own step; and predictions for rows the page types in.

Both read the session's published copy of the network, never the one being trained.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._typing import Array
from ..activations import Activation
from ..errors import GlassnetError
from ..explain import Explanation, explain
from ..layers import Dense
from ..validation import is_finite_number
from . import snapshot

if TYPE_CHECKING:
    from .session import Session


def _row(a: Array) -> list[float]:
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def _value(step_values: dict[str, Array], last: bool = True) -> Array:
    """The result of an explained step (its last value) or its first input."""
    values = list(step_values.values())
    return np.asarray(values[-1] if last else values[0])


def neuron(session: Session, layer: int, unit: int, sample: int) -> dict[str, Any]:
    """Unit `unit` of Dense layer `layer` (0 is the first hidden layer, the last the output
    layer) on training row `sample`: the numbers `glassnet.explain` shows for that row."""
    published = session.published
    model, data = published.model, session.data
    dense = model.dense_layers
    if not 0 <= layer < len(dense):
        raise GlassnetError(f"layer must be from 0 to {len(dense) - 1}, got {layer}")
    width = dense[layer].params["weight"].shape[1]
    if not 0 <= unit < width:
        raise GlassnetError(f"unit must be from 0 to {width - 1} in layer {layer}, got {unit}")
    n = len(data.X_train)
    if not 0 <= sample < n:
        raise GlassnetError(f"sample must be a training row from 0 to {n - 1}, got {sample}")
    X = data.inputs(data.X_train[sample : sample + 1])
    y = data.y_train[sample : sample + 1]
    with np.errstate(all="ignore"):
        e = explain(model, X, y, loss=model.loss, optimizer=model.optimizer)
    return _read(e, model.layers, model.layers.index(dense[layer]), unit, published.state) | {
        "layer": layer,
        "unit": unit,
        "sample": {"index": sample, "x": _row(data.X_train[sample]), "y": _row(y)},
    }


def _read(e: Explanation, layers: list[Any], i: int, unit: int, state: str) -> dict[str, Any]:
    """Layer `i`'s unit `unit` in an explanation, by the order of its steps: the inputs, one
    forward step per layer, the loss and its gradient, one backward step per layer from the
    last, then the updates."""
    n = len(layers)
    forward = [step.values for step in e.steps[1 : 1 + n]]
    backward = [step.values for step in reversed(e.steps[3 + n : 3 + 2 * n])]
    loss_gradient = e.steps[2 + n].values
    dense: Dense = layers[i]
    x = _value(forward[i - 1] if i else e.steps[0].values)[0]
    w = _value(forward[i], last=False)[:, unit]
    b = float(dense.params["bias"][unit]) if dense.bias else 0.0
    z = float(_value(forward[i])[0, unit])
    after = layers[i + 1] if i + 1 < n else None
    if isinstance(after, Activation):
        kind, a = after.kind.lower(), float(_value(forward[i + 1])[0, unit])
        dz_values = backward[i + 1]
    else:
        kind, a = "identity", z
        dz_values = loss_gradient if after is None else backward[i + 1]
    terms = " + ".join(f"{_term(wi)}·{_term(xi)}" for wi, xi in zip(w, x))
    bias = f" + {_term(b)}" if dense.bias else ""
    answer: dict[str, Any] = {
        "inputs": _row(x),
        "weights": _row(w),
        "bias": b,
        "z": z,
        "activation": kind,
        "a": a,
        "equation": f"z = Σ w·x + b = {terms}{bias} = {z:.6g}; a = {kind}(z) = {a:.6g}",
        "gradient": None,
        "update": None,
    }
    if state == "paused":
        grads = backward[i]
        first = next(iter(grads))
        dw = np.asarray(grads[first])[:, unit]
        db = float(np.asarray(list(grads.values())[1])[unit]) if dense.bias else 0.0
        index = sum(len(layer.params) for layer in layers[:i])
        old_w, new_w = dense.params["weight"][:, unit], e.new_weights[index][:, unit]
        answer["gradient"] = {"dz": float(_value(dz_values)[0, unit]), "dw": _row(dw), "db": db}
        answer["update"] = {
            "dw": _row(new_w - old_w),
            "db": float(e.new_weights[index + 1][unit] - dense.params["bias"][unit])
            if dense.bias
            else 0.0,
        }
    return answer


def predict(session: Session, x: Any) -> dict[str, Any]:
    """The network's answer for rows typed in the data's units: probabilities (classification)
    or values in the target's units, and the decided class names."""
    data = session.data
    k = data.n_inputs
    if (
        not isinstance(x, list)
        or not x
        or not all(isinstance(r, list) and len(r) == k and all(map(is_finite_number, r)) for r in x)
    ):
        raise GlassnetError(
            f'x must be rows of {k} numbers, e.g. {{"x": [[{", ".join(["0"] * k)}]]}}'
        )
    if len(x) > 10_000:
        raise GlassnetError(f"at most 10000 rows at once, got {len(x)}")
    model = session.published.model
    loss = model.loss or session.loss
    with np.errstate(all="ignore"):
        out = model.outputs(data.inputs(np.asarray(x, dtype=np.float64)))
    if not np.isfinite(out).all():
        raise GlassnetError("the network's outputs overflowed for these inputs")
    if data.task == "regression":
        assert data.prep is not None
        return {"outputs": [[v] for v in _row(data.prep.decode_target(out))], "labels": None}
    classes = data.classes or []
    labels = [classes[c] for c in snapshot.decided(loss, out)]
    return {"outputs": loss.probabilities(out).tolist(), "labels": labels}


def _term(value: float) -> str:
    """A number in a written sum: 4 significant digits, in brackets when negative (w·(−x))."""
    text = f"{value:.4g}"
    return f"({text})" if text.startswith("-") else text
