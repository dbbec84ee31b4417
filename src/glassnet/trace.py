"""The recorder: what training does, as arrays — weights, gradients, activation statistics, loss.

`Trace` is a fit callback that copies them every N steps; it reads what the engine's step leaves
behind (parameters, gradients, each activation's cached output), so tracing wraps nothing.
`explain` (one step's equations with their numbers) lives in `glassnet.explain`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._typing import Array, Network
from .activations import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .callbacks import Callback
from .errors import GlassnetError
from .layers import Layer
from .validation import count, positive_int

__all__ = ["Trace", "activation_stats", "cached_output"]

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
    (and each of the `first` steps) it copies, for every layer with parameters, the weights
    (after the step) and the gradients (the ones that step used), and for every activation
    layer the statistics of the output it cached in that step's forward pass (see
    `activation_stats`). No layer is wrapped or hooked: without a `Trace`, training runs exactly
    as before and pays nothing.

    Parameters
    ----------
    every : int, default 1
        Record after steps every, 2·every, ... (a step is one batch).
    first : int, default 0
        Also record after each of the steps 1, 2, ..., first. Training moves most at its start,
        and a log step axis spreads the start out: with ``first=every`` no two neighbouring
        records are more than a factor 2 apart, so a line drawn through them on a log axis
        follows recorded points, not guesses.

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
    >>> dense = Trace(every=100, first=100)  # steps 1, 2, ..., 100, then 200, 300, ...
    """

    def __init__(self, every: int = 1, *, first: int = 0) -> None:
        self.every = positive_int(every, "every")
        self.first = count(first, "first", minimum=0)
        self._reset(None)

    def _reset(self, model: Network | None) -> None:
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

    def on_train_begin(self, model: Network) -> None:
        if model is not self._model:
            self._reset(model)
            self.initial = {
                i: {k: p.copy() for k, p in layer.params.items()}
                for i, layer in enumerate(model.layers)
                if layer.params
            }
        self._offset = self._last

    def on_batch_end(self, step: int, model: Network, loss: float) -> None:
        total = self._offset + step
        self._last = total
        if total % self.every and total > self.first:
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
