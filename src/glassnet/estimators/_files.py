"""Estimator model files: `save` and `load` of a fitted estimator in glassnet's safe `.npz`
format (the network's file, with the hyper-parameters and fitted attributes in its manifest),
every saved field checked against the network on the way back."""

from __future__ import annotations

import math
from os import PathLike
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..errors import GlassnetError, ModelFileError
from ..layers import Dense, Dropout, Layer
from ..network import load as load_network
from ..optimizers import LBFGS, SGD, Adam, RMSprop
from ._names import ACTIVATIONS, as_rng

__all__ = ["check_restored", "load", "save"]

#: the `format` field of an estimator's part of the manifest
FORMAT = "glassnet-estimator"


def save(self: Any, path: str | PathLike[str]) -> None:
    """Write the fitted estimator to one safe `.npz` model file (no pickle inside).

    The network, its optimizer state, the hyper-parameters and the fitted attributes are
    all stored; `load` rebuilds an estimator with identical predictions, and
    ``glassnet.load(path)`` reads the bare network (NumPy alone suffices for inference).
    """
    check_is_fitted(self, "network_")
    params = {}
    for key, value in self.get_params().items():
        if key == "hidden_layer_sizes":
            value = self._hidden_sizes()
        elif key == "dtype" and value is not None:
            value = str(self._np_dtype())
        elif key == "random_state" and not isinstance(value, (int, type(None))):
            value = None  # a random generator's state is not kept in model files
        params[key] = value.item() if isinstance(value, np.generic) else value
    state: dict[str, Any] = {
        "format": FORMAT,
        "class": type(self).__name__,
        "params": params,
        "n_features_in": int(self.n_features_in_),
        "n_iter": int(self.n_iter_),
        "t": int(self.t_),
        "loss": _number(getattr(self, "loss_", None)),
        "loss_curve": [float(v) for v in self.loss_curve_],
        "best_loss": _number(self.best_loss_),
        "validation_scores": None
        if self.validation_scores_ is None
        else [float(v) for v in self.validation_scores_],
        "best_validation_score": _number(self.best_validation_score_),
        "targets": self._targets_state(),
    }
    names = getattr(self, "feature_names_in_", None)
    if names is not None:
        state["feature_names_in"] = [str(v) for v in names]
    network = self.network_
    extras = dict(network.extras)
    metadata = dict(network.metadata)
    try:
        network.metadata = {**metadata, "estimator": state}
        network.extras = {**extras, **self._targets_arrays()}
        network.save(path)
    finally:
        network.metadata, network.extras = metadata, extras


def _number(value: Any) -> float | None:
    """A fitted number for the manifest: a float, or None where scikit-learn keeps None."""
    return None if value is None else float(value)


def load(cls: Any, path: str | PathLike[str]) -> Any:
    """Read an estimator written by `save`.

    Raises
    ------
    ModelFileError
        The file is not a glassnet model, or was saved by another estimator class.
    """
    network = load_network(path)
    state = network.metadata.get("estimator")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ModelFileError(
            f"cannot load '{path}' as {cls.__name__}: it holds a bare network, not an "
            "estimator; use glassnet.load for it"
        )
    if state.get("class") != cls.__name__:
        raise ModelFileError(
            f"cannot load '{path}' as {cls.__name__}: it holds a {state.get('class')}"
        )
    try:
        params = dict(state["params"])
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        est = cls(**params)
        est.network_ = network
        est.n_features_in_ = int(state["n_features_in"])
        if "feature_names_in" in state:
            est.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        est.n_iter_ = int(state["n_iter"])
        est.loss_curve_ = list(state["loss_curve"])
        est.validation_scores_ = state["validation_scores"]
        scores = est.validation_scores_
        # files from before these fields were saved: what they can be rebuilt from
        est.t_ = int(state.get("t", 0))
        est.loss_ = state.get("loss", est.loss_curve_[-1] if est.loss_curve_ else None)
        est.best_loss_ = state["best_loss"]
        est.best_validation_score_ = state.get(
            "best_validation_score", max(scores, default=None) if scores else None
        )
        est._dtype = network.dtype
        est._no_improvement_count = 0
        est._rng = as_rng(est.random_state)
        est._restore_targets(state["targets"], network.extras)
        est.n_outputs_ = est._n_outputs
        check_restored(est)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            f"cannot load '{path}' as {cls.__name__}: its estimator state is malformed ({exc})"
        ) from None
    for key in [k for k in network.extras if k.startswith("estimator.")]:
        del network.extras[key]
    del network.metadata["estimator"]
    return est


def check_restored(self: Any) -> None:
    """Raise GlassnetError naming the first saved field that disagrees with the network
    (an edited file: hidden sizes, activation, dtype, solver, outputs)."""
    self._check_params()
    network = self.network_
    if network.dtype != self._np_dtype():
        raise GlassnetError(f"field 'dtype' is {self.dtype!r}, but the weights are {network.dtype}")
    layers: list[type[Layer]] = []
    for _ in self._hidden_sizes():
        layers += [Dense, ACTIVATIONS[self.activation], *([Dropout] if self.dropout else [])]
    layers.append(Dense)
    sizes = [d.n_out for d in network.dense_layers[:-1]]
    if sizes != self._hidden_sizes():
        raise GlassnetError(
            f"field 'hidden_layer_sizes' is {self.hidden_layer_sizes}, but the network's "
            f"hidden layers have {sizes} units"
        )
    if [type(layer) for layer in network.layers] != layers or any(
        layer.rate != self.dropout for layer in network.layers if isinstance(layer, Dropout)
    ):
        raise GlassnetError(
            f"fields 'activation' and 'dropout' ({self.activation!r}, {self.dropout}) do not "
            f"match the network {network!r:.200}"
        )
    if network.n_features_in != self.n_features_in_:
        raise GlassnetError(
            f"field 'n_features_in' is {self.n_features_in_}, but the network takes "
            f"{network.n_features_in}"
        )
    names = getattr(self, "feature_names_in_", None)
    if names is not None and len(names) != self.n_features_in_:
        raise GlassnetError(f"field 'feature_names_in' holds {len(names)} names")
    if network.n_outputs != self._n_outputs or type(network.loss) not in (
        type(None),
        type(self._loss),
    ):
        raise GlassnetError(
            f"field 'targets' needs {self._n_outputs} outputs trained with "
            f"{type(self._loss).__name__}, but the network has {network.n_outputs} trained "
            f"with {type(network.loss).__name__}"
        )
    solver = {"adam": Adam, "sgd": SGD, "rmsprop": RMSprop, "lbfgs": LBFGS}[self.solver]
    if network.optimizer is not None and type(network.optimizer) is not solver:
        raise GlassnetError(
            f"field 'solver' is {self.solver!r}, but the network's optimizer is "
            f"{network.optimizer.kind}"
        )
    if self.n_iter_ < 0 or not all(math.isfinite(v) for v in self.loss_curve_):
        raise GlassnetError("fields 'n_iter' and 'loss_curve' must be >= 0 and finite")
    if self.t_ < 0:
        raise GlassnetError(f"field 't' is {self.t_}, expected the samples seen (>= 0)")
    for name in ("loss", "best_loss", "best_validation_score"):
        value = getattr(self, name + "_")
        if isinstance(value, bool) or not isinstance(value, (int, float, type(None))):
            raise GlassnetError(f"field {name!r} is {value!r:.40}, expected a number or null")
