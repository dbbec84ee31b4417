"""Figures of training (the ``plot`` extra, matplotlib): learning curves and decision boundaries.

Each function draws on its own ``matplotlib.figure.Figure`` with the Agg canvas — never pyplot,
so no global backend is switched and no window opens — and saves a PNG atomically: a temporary
file beside the target, then a rename, so a failure never leaves half an image or clobbers an
old one. Add a plot kind as one more function here that ends with `save_figure`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._typing import Array
from .errors import DataError, GlassnetError
from .files import atomic_write, reason
from .losses import Loss

__all__ = ["boundary_grid", "figure", "palette", "plot_boundary", "plot_curves", "save_figure"]

MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'glassnet[plot]'"


def figure(width: float, height: float) -> Any:
    """A new Figure on the Agg canvas, or a GlassnetError when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise GlassnetError(MISSING_MATPLOTLIB) from None
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` as a PNG to ``path`` atomically (`glassnet.files.atomic_write`).

    ``fig`` is anything with ``savefig(file, format=...)``: a Figure, or frames of a GIF.
    """
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png"))
    except OSError as exc:
        raise GlassnetError(f"cannot write plot {os.fspath(path)}: {reason(exc)}") from None


def palette(n: int) -> list[Any]:
    """n distinct colours: tab10, then tab20, then evenly spaced hues."""
    from matplotlib import colormaps

    name = "tab10" if n <= 10 else "tab20"
    if n <= 20:
        return [colormaps[name](k) for k in range(n)]
    cmap = colormaps["hsv"]
    return [cmap(k / n) for k in range(n)]


def boundary_grid(X: Array, resolution: int) -> tuple[Array, Array, Array]:
    """The points where a decision boundary is evaluated: a resolution × resolution grid.

    The grid covers the data with a 10% margin, so points never sit on the frame (a feature
    that is constant gets ±0.5 around its value).

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
        Finite.
    resolution : int
        Grid points along each axis.

    Returns
    -------
    grid : ndarray of shape (resolution², 2)
        The grid's points, one per row, to predict on.
    g0, g1 : ndarray of shape (resolution, resolution)
        The same points as the coordinate matrices of ``np.meshgrid``, to draw contours with.
    """
    low, high = X.min(axis=0), X.max(axis=0)
    margin = np.maximum(0.1 * (high - low), 0.5 * (high - low == 0))
    low, high = low - margin, high + margin
    g0, g1 = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    return np.column_stack([g0.ravel(), g1.ravel()]), g0, g1


def plot_curves(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    xlabel: str = "epoch",
) -> None:
    """Draw the loss (and the metric, if any) per epoch, training and validation, to a PNG.

    Parameters
    ----------
    history : mapping of str to sequence of float
        ``History.history``: ``"loss"`` and optionally ``"val_loss"``, a metric such as
        ``"accuracy"`` and its ``"val_accuracy"``; one value per epoch.
    path : str or path-like
        The PNG file to write (replaced atomically).
    title : str, optional
    xlabel : str, default "epoch"
        The name of one value's pass over the data: "iteration" for the tutorial's full-batch
        training, where an epoch is one step.

    Examples
    --------
    >>> plot_curves({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]}, "curves.png")
    ... # doctest: +SKIP
    """
    loss = list(history.get("loss", []))
    if not loss:
        raise DataError("plot_curves needs a history with at least one 'loss' value")
    metrics = [
        k
        for k in history
        if k not in ("loss", "learning_rate", "time") and not k.startswith("val_")
    ]
    panels = 1 + bool(metrics)
    fig = figure(5.0 * panels + 1.0, 4.0)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    _curve_panel(axes[0], history, "loss", "loss", xlabel)
    if metrics:
        _curve_panel(axes[1], history, metrics[0], metrics[0].replace("_", " "), xlabel)
    if title:
        fig.suptitle(title)
    save_figure(fig, path)


def _curve_panel(
    ax: Any, history: Mapping[str, Sequence[float]], key: str, label: str, xlabel: str
) -> None:
    """One quantity, training and validation, against the epoch (counted from 1)."""
    for name, style in ((key, "-"), ("val_" + key, "--")):
        values = np.asarray(history.get(name, []), dtype=np.float64)
        if values.size:
            epochs = np.arange(1, values.size + 1)
            shown = "validation" if name.startswith("val_") else "training"
            ax.plot(epochs, values, style, marker="o" if values.size < 30 else None, label=shown)
    values = np.asarray(history.get(key, []), dtype=np.float64)
    # losses that fall by orders of magnitude are only readable on a log scale
    if key == "loss" and values.size and values.min() > 0 and values.max() / values.min() > 50:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
    ax.legend()


def plot_boundary(
    model: Any,
    X: Any,
    y: Any,
    path: str | os.PathLike[str],
    *,
    classes: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    target_name: str | None = None,
    title: str | None = None,
    resolution: int = 200,
) -> None:
    """Draw a model's decision regions over two features, with the data points on top, to a PNG.

    Parameters
    ----------
    model : object with ``predict(X)``
        ``predict`` takes an array of shape (n, 2) and returns shape (n,) class indices (a
        `glassnet.preprocessing.Predictor`, a scikit-learn classifier) or, for a network, raw
        outputs of shape (n, k), decided by its loss (`Loss.decide`): argmax over k > 1
        columns; for one column a threshold of 0 on logits, 0.5 otherwise.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,) or None
        Class indices of the points (None: colour them by the model's own prediction).
    path : str or path-like
        The PNG file to write (replaced atomically).
    classes : sequence of str, optional
        Label of each class index, for the legend.
    feature_names : sequence of 2 str, optional
        Axis labels.
    target_name : str, optional
        The legend's title (default "class").
    title : str, optional
    resolution : int, default 200
        Grid points along each axis.

    Examples
    --------
    >>> from glassnet.preprocessing import Predictor
    >>> plot_boundary(predictor, X, y, "boundary.png", classes=["a", "b"])  # doctest: +SKIP
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise DataError(
            f"a decision boundary is drawn over 2 features, got data of shape {X.shape}"
        )
    if len(X) == 0 or not np.isfinite(X).all():
        raise DataError("plot_boundary needs at least one point and finite features")
    grid, g0, g1 = boundary_grid(X, resolution)
    regions = _decisions(model, grid).reshape(g0.shape)
    points = _decisions(model, X) if y is None else np.asarray(y).astype(np.int64)
    n_classes = int(max(regions.max(), points.max(), len(classes or ()) - 1)) + 1

    from matplotlib.colors import ListedColormap

    fig = figure(6.5, 5.5)
    ax = fig.subplots()
    colours = palette(n_classes)
    cmap = ListedColormap(colours)
    ax.contourf(g0, g1, regions, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35)
    for k in range(n_classes):
        mask = points == k
        if mask.any():
            label = classes[k] if classes is not None and k < len(classes) else str(k)
            ax.scatter(
                X[mask, 0],
                X[mask, 1],
                color=colours[k],
                edgecolors="black",
                linewidths=0.5,
                s=24,
                label=label,
            )
    names = list(feature_names) if feature_names is not None else ["feature 1", "feature 2"]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_xlim(g0.min(), g0.max())
    ax.set_ylim(g1.min(), g1.max())
    ax.legend(title=target_name or "class", loc="best", fontsize="small")
    ax.set_title(title or "decision regions")
    save_figure(fig, path)


def _decisions(model: Any, X: Array) -> Array:
    """Class indices `model` predicts for X: as `predict` returns them (shape (n,): labels, or
    probabilities of class 1, on at ½), or decided from a network's outputs (shape (n, k)) by
    its loss, one class per sample."""
    predicted = np.asarray(model.predict(X))
    if predicted.ndim == 1:
        if predicted.dtype.kind == "f" and not np.array_equal(predicted, np.round(predicted)):
            return (predicted >= 0.5).astype(np.int64)  # probabilities of class 1, not indices
        return predicted.astype(np.int64)
    loss = getattr(model, "loss", None)
    reader = loss if isinstance(loss, Loss) else Loss()  # no loss yet: the base reading
    return reader.decide(predicted, exclusive=True).astype(np.int64)
