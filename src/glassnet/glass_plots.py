"""Pictures of what a network learns (the ``plot`` extra): weight trajectories, the decision
boundary's evolution as an animated GIF, and network diagrams.

Built on `glassnet.plots`: the same Agg figures (never pyplot) and the same atomic save, so a
failure never leaves half an image. Learning curves and a single decision boundary are
`glassnet.plots.plot_curves` and `glassnet.plots.plot_boundary`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ._typing import Array
from .errors import DataError, GlassnetError
from .layers import Dense
from .losses import Loss
from .plots import MISSING_MATPLOTLIB, boundary_grid, figure, palette, save_figure
from .trace import Trace
from .validation import positive_int, shown

if TYPE_CHECKING:
    from .network import Sequential

__all__ = ["animate_boundary", "plot_images", "plot_network", "plot_weight_trajectories"]

#: colours of positive and negative weights in diagrams and trajectories
POSITIVE, NEGATIVE = "#1f77b4", "#d62728"


def plot_weight_trajectories(
    trace: Trace,
    path: str | os.PathLike[str],
    *,
    layer: int | None = None,
    max_lines: int = 12,
    title: str | None = None,
    xlabel: str = "training step",
) -> None:
    """Draw how each weight of one layer moved during training, to a PNG.

    For the tutorial's neuron that is its three weights over the iterations: the first grows
    (the output is the first input), the others shrink. Each line joins the recorded steps
    (and the starting weights at step 0). A long training is drawn on a log step axis, which
    shows both the fast start and the slow end, but only when the trace recorded the start
    densely (``Trace(every=n, first=n)``): else a log axis would spread a straight guess
    between step 0 and the first record over half the picture, and the axis stays linear.

    Parameters
    ----------
    trace : Trace
        Recorded with ``fit(..., callbacks=[trace])``.
    path : str or path-like
        The PNG file to write (replaced atomically).
    layer : int, optional
        Index in ``model.layers`` of the Dense layer to show (default: the first traced).
    max_lines : int, default 12
        Draw at most this many weights (the ones that moved most).
    title : str, optional
    xlabel : str, default "training step"
        The name of a step (one batch): "iteration" for the tutorial's full-batch training.

    Examples
    --------
    >>> import glassnet as gn
    >>> nn, trace = gn.NeuralNetwork(), gn.Trace(every=10, first=10)
    >>> _ = nn.model.fit(*gn.datasets.tutorial(), loss=nn.loss, optimizer=nn.optimizer,
    ...                  epochs=10000, callbacks=[trace])
    >>> plot_weight_trajectories(trace, "weights.png")  # doctest: +SKIP
    """
    weights = trace.weights
    if not weights:
        raise GlassnetError("the trace is empty: train with callbacks=[trace] first")
    index = min(weights) if layer is None else layer
    if index not in weights:
        raise GlassnetError(f"layer {index} has no traced weights; traced: {sorted(weights)}")
    # the starting weights at step 0, then each record
    w = np.concatenate([trace.initial[index]["weight"][None], weights[index]])
    steps = np.concatenate([[0], trace.steps])
    flat = w.reshape(len(w), -1)
    n_out = w.shape[2]
    moved = np.abs(flat[-1] - flat[0])
    shown = np.sort(np.argsort(-moved, kind="stable")[:max_lines])

    fig = figure(6.5, 4.2)
    ax = fig.subplots()
    colours = palette(max(len(shown), 1))
    for colour, j in zip(colours, shown):
        i, k = divmod(int(j), n_out)
        label = f"w{i + 1}" if n_out == 1 else f"w[{i + 1},{k + 1}]"
        ax.plot(steps, flat[:, j], color=colour, label=f"{label} → {flat[-1, j]:.3g}")
    # learning is fast at first and slow later: a log-like step axis shows both
    if steps[-1] > 100 and _log_axis_is_covered(trace.steps):
        ax.set_xscale("symlog", linthresh=1.0)
    ax.axhline(0.0, color="black", linewidth=0.6, alpha=0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("weight")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", ncol=1 + len(shown) // 7)
    extra = (
        f" ({len(shown)} of {flat.shape[1]} that moved most)" if len(shown) < flat.shape[1] else ""
    )
    ax.set_title(title or f"weights of layer {index + 1}{extra}")
    save_figure(fig, path)


def _log_axis_is_covered(steps: Array) -> bool:
    """Whether recorded `steps` (from 1, increasing) cover a log step axis: step 1 is recorded
    and no two neighbouring records are more than a factor 2 apart (0.3 of a decade)."""
    return len(steps) > 0 and steps[0] == 1 and bool(np.all(steps[1:] <= 2 * steps[:-1]))


class _Frames:
    """Images in the shape `plots.save_figure` expects of a figure: ``savefig(file, format=...)``
    writes them, so a GIF (or a palette PNG) gets the same atomic save as every other picture.

    Several frames make an animated GIF; one frame a PNG.
    """

    def __init__(self, frames: list[Any], duration_ms: int = 0) -> None:
        self.frames = frames
        self.duration_ms = duration_ms

    def savefig(self, f: IO[bytes], format: str = "png") -> None:
        if len(self.frames) == 1:
            self.frames[0].save(f, format="PNG", optimize=True)
            return
        self.frames[0].save(
            f, format="GIF", save_all=True, append_images=self.frames[1:],
            duration=self.duration_ms, loop=0, optimize=True,
        )  # fmt: skip


def _frame(fig: Any) -> Any:
    """The figure drawn as a 48-colour palette image (a GIF holds at most 256 colours)."""
    try:
        from PIL import Image
    except ImportError:
        raise GlassnetError(MISSING_MATPLOTLIB) from None
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return Image.fromarray(rgba[..., :3]).quantize(colors=48, dither=Image.Dither.NONE)


def animate_boundary(
    model: Sequential,
    trace: Trace,
    X: Any,
    y: Any,
    path: str | os.PathLike[str],
    *,
    max_frames: int = 30,
    resolution: int = 80,
    duration_ms: int = 200,
    title: str = "",
    feature_names: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
) -> int:
    """Draw how the decision boundary of 2-D data moved during training, as an animated GIF.

    One frame per traced record (at most `max_frames`, spaced geometrically from the first to
    the last record, as the boundary moves most early on): the model's decision regions with
    those weights, the data on top, the step and loss in the title. With one output the shading
    is its probability as the loss reads it (σ of the logit for binary cross-entropy, the output
    itself for a squared error), with a colour bar, and the 0.5 line is drawn: a network that
    cannot separate the data shows a pale, undecided plane. With several outputs each class's
    region is shaded in its colour. The model is not changed.

    A boundary is drawn where the network's log-odds (one output) or the margin of a class over
    the others (several) cross 0: fields that are linear for a linear model, so the line found
    on the grid is its exact line, not a staircase of grid cells. An output that is the same
    over the whole plane up to rounding (weights shrunk to ~1e-16) has no boundary: the frame
    says so instead of drawing a line through rounding noise.

    Parameters
    ----------
    model : Sequential
        The traced network (its weights are copied into a private copy for each frame).
    trace : Trace
        Recorded during ``model.fit`` with ``callbacks=[trace]``.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,) or (n_samples, 1)
        Class indices (or 0/1 targets) of the points.
    path : str or path-like
        The GIF file to write (replaced atomically).
    max_frames : int, default 30
    resolution : int, default 80
        Grid points along each axis.
    duration_ms : int, default 200
        Time each frame shows; the last one shows 5× longer.
    title : str, optional
        Put before the step and loss in each frame's title.
    feature_names : sequence of 2 str, optional
        Axis labels (default "feature 1", "feature 2").
    classes : sequence of str, optional
        The name of each class index, for the legend and the colour bar (default "0", "1", ...).

    Returns
    -------
    int
        The number of frames written.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or not len(X):
        raise DataError(
            f"a decision boundary is drawn over 2 features, got data of shape {X.shape}"
        )
    # the true class of each point, as the network's loss reads targets
    targets = np.asarray(y)
    targets = targets if targets.ndim == 1 else targets.reshape(len(X), -1)
    reader = model.loss if model.loss is not None else Loss()
    labels = reader.labels_of(targets, exclusive=True).astype(np.int64)
    if len(trace) == 0:
        raise GlassnetError("the trace is empty: train with callbacks=[trace] first")
    records = _geometric_indices(
        len(trace), min(positive_int(max_frames, "max_frames"), len(trace))
    )
    net = copy.deepcopy(model)
    grid, g0, g1 = boundary_grid(X, resolution)
    n_classes = int(max(labels.max() + 1, net.n_outputs, 2))
    names = _names(classes, n_classes, "class names")
    axis_names = _names(feature_names, 2, "feature names", default=["feature 1", "feature 2"])
    one_output = net.n_outputs == 1
    # one output: class 0 blue, class 1 red, as the shading; several: one colour per class
    colours = palette(n_classes)
    if one_output:
        colours[:2] = [POSITIVE, NEGATIVE]
    shades = _shades()
    eps = float(np.finfo(net.dtype).eps)

    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    size = 60 if len(X) < 50 else 14
    frames = []
    fig = figure(4.3, 4.1)
    ax = fig.subplots()
    if one_output:
        bar = fig.colorbar(ScalarMappable(Normalize(0.0, 1.0), shades), ax=ax, ticks=[0, 0.5, 1],
                           fraction=0.06, pad=0.03)  # fmt: skip
        bar.set_label(f"P(class = {names[1]})", fontsize="small")
        bar.ax.tick_params(labelsize="x-small")
    # the legend does not change from frame to frame: drawn once, under the plot
    handles = [
        Line2D([], [], linestyle="none", marker="o", markerfacecolor=colours[k],
               markeredgecolor="black", markeredgewidth=0.5, label=names[k])
        for k in range(n_classes)
        if (labels == k).any()
    ]  # fmt: skip
    fig.legend(handles=handles, title="class", loc="outside lower center", fontsize="x-small",
               title_fontsize="x-small", ncols=min(len(handles), 5), frameon=False)  # fmt: skip
    # what every frame shares, drawn once: the points (over the shading), axes, labels
    for k in range(n_classes):
        mask = labels == k
        if mask.any():
            ax.scatter(X[mask, 0], X[mask, 1], color=colours[k], edgecolors="black",
                       linewidths=0.5, s=size, zorder=3)  # fmt: skip
    ax.set_xlim(g0.min(), g0.max())
    ax.set_ylim(g1.min(), g1.max())
    ax.set_xlabel(axis_names[0], fontsize="small")
    ax.set_ylabel(axis_names[1], fontsize="small")
    ax.tick_params(labelsize="x-small")
    shared = set(ax.get_children())
    steps, losses = trace.steps, trace.loss
    for r in records:
        for artist in ax.get_children():
            if artist not in shared:
                artist.remove()  # the last frame's shading, line and note
        net.set_weights(trace.parameters_at(r))
        out = np.asarray(net.forward(grid.astype(net.dtype)), dtype=np.float64)
        if one_output:
            undecided = _draw_probability(ax, g0, g1, reader.probabilities(out)[:, 0], shades,
                                          eps)  # fmt: skip
        else:
            undecided = _draw_regions(ax, g0, g1, out, colours, eps)
        if undecided:
            ax.text(0.5, 0.5, f"{undecided} everywhere:\nno boundary", ha="center",
                    va="center", transform=ax.transAxes, fontsize="small", zorder=4,
                    bbox={"boxstyle": "round", "fc": "white", "ec": "0.6"})  # fmt: skip
        ax.set_title(f"{title + '  ' if title else ''}step {steps[r]}, loss {losses[r]:.3g}",
                     fontsize="medium")  # fmt: skip
        frames.append(_frame(fig))
        # every frame has the same parts in the same places: lay them out once
        fig.set_layout_engine("none")
    # hold the last frame a little: the boundary the training ended with
    frames += [frames[-1]] * 4
    save_figure(_Frames(frames, duration_ms), path)
    return len(records)


def _names(
    given: Sequence[str] | None, n: int, what: str, *, default: list[str] | None = None
) -> list[str]:
    """`given` as at least n labels (or the default, or "0", "1", ...), or a GlassnetError
    saying how many were needed."""
    if given is None:
        return default if default is not None else [str(k) for k in range(n)]
    labels = [str(name) for name in given]
    if len(labels) < n:
        raise GlassnetError(f"expected {n} {what}, got {len(labels)}: {shown(labels)}")
    return labels


def _shades() -> Any:
    """RdBu_r in 11 bands, paled toward white (so the points stand out): P ≈ ½ is the middle,
    near-white band, an undecided plane."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    rgb = colormaps["RdBu_r"].resampled(11)(np.arange(11))[:, :3]
    return ListedColormap(0.6 * rgb + 0.4)


def _undecided(field: Array, scale: float, eps: float) -> bool:
    """Whether `field` is one value over the whole plane up to rounding: its spread is within
    1000 rounding units (eps of the network's dtype) of its scale. A line drawn through such a
    field traces the rounding, not the weights."""
    return float(np.ptp(field)) <= 1e3 * eps * max(scale, 1.0)


def _draw_probability(ax: Any, g0: Array, g1: Array, p: Array, shades: Any, eps: float) -> str:
    """Shade P(class 1) over the grid and draw its ½ line. Returns "" — or, when P is one value
    over the plane up to rounding, that value (e.g. "P = 0.5"), shaded alone and no line."""
    levels = np.linspace(0.0, 1.0, 12)  # 11 bands: the middle one holds ½
    if _undecided(p, 1.0, eps):
        value = float(np.median(p))
        ax.contourf(g0, g1, np.full(g0.shape, value), levels=levels, cmap=shades,
                    extend="both")  # fmt: skip
        return f"P = {value:.3g}"
    ax.contourf(g0, g1, p.reshape(g0.shape), levels=levels, cmap=shades, extend="both")
    # the ½ line is where the log-odds log(p / (1 − p)) cross 0: for a linear model (σ of
    # w·x + b) they are w·x + b itself, which the grid's linear interpolation follows exactly
    q = np.clip(p, eps, 1.0 - eps)
    log_odds = (np.log(q) - np.log1p(-q)).reshape(g0.shape)
    if log_odds.min() < 0.0 < log_odds.max():
        ax.contour(g0, g1, log_odds, levels=[0.0], colors="black", linewidths=1.0, zorder=2)
    return ""


def _draw_regions(ax: Any, g0: Array, g1: Array, out: Array, colours: list[Any], eps: float) -> str:
    """Shade each class's region, where its output is the largest. Returns "" — or, when every
    output is one value over the plane up to rounding, "the same class" (drawn alone)."""
    margins = _margins(out)
    undecided = all(_undecided(m, float(np.abs(out).max()), eps) for m in margins)
    if undecided:  # one decision everywhere: draw that, not the rounding
        margins = _margins(np.broadcast_to(out.mean(axis=0), out.shape))
    for k, margin in enumerate(margins):
        top = float(margin.max())
        if top > 0.0:
            ax.contourf(g0, g1, margin.reshape(g0.shape), levels=[0.0, top + 1.0],
                        colors=[colours[k]], alpha=0.35)  # fmt: skip
    return "the same class" if undecided else ""


def _margins(out: Array) -> list[Array]:
    """Each class's margin over the best other class, shape (n,) each: > 0 where it is decided.
    Linear in the outputs, so a region's edge is found between grid points (where a region
    map of class indices would follow the grid's cells, a staircase)."""
    best = out.max(axis=1)
    second = np.partition(out, -2, axis=1)[:, -2]
    return [out[:, k] - np.where(out[:, k] == best, second, best) for k in range(out.shape[1])]


def _geometric_indices(n: int, m: int) -> list[int]:
    """m distinct indices from 0 to n − 1, spaced geometrically (dense at the start, where
    training changes most), always including the first and the last."""
    ideal = np.geomspace(1, n, m) - 1
    chosen: list[int] = []
    for k, value in enumerate(ideal):
        low = chosen[-1] + 1 if chosen else 0
        high = n - m + k  # leave room for the m − 1 − k indices still to come
        chosen.append(int(min(max(round(value), low), high)))
    return chosen


def plot_network(
    model: Sequential,
    path: str | os.PathLike[str],
    *,
    max_units: int = 16,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Draw a network as units and connections, to a PNG: each weight a line whose thickness is
    its size and whose colour is its sign (blue positive, red negative).

    Tiny networks (at most 6 weights) also get each weight's value written on its line, as
    for the tutorial's neuron. Layers wider than `max_units` show their first units only.
    Inputs and outputs are labelled when their names are given: the features, and the class
    each output scores (a model trained by ``glassnet train`` stores both).

    Parameters
    ----------
    model : Sequential
    path : str or path-like
        The PNG file to write (replaced atomically).
    max_units : int, default 16
    input_names : sequence of str, optional
        Labels of the inputs, one per input (e.g. the feature names).
    output_names : sequence of str, optional
        Labels of the outputs, one per output (e.g. the class names, or the target's name).
    title : str, optional
    """
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    widths = [dense[0].n_in] + [layer.n_out for layer in dense]
    # the names of the first and the last column of units
    labels: dict[int, list[str]] = {}
    if input_names is not None:
        labels[0] = _names(input_names, widths[0], "input names")
    if output_names is not None:
        labels[len(widths) - 1] = _names(output_names, widths[-1], "output names")
    shown = [min(w, max_units) for w in widths]
    # the activation after each Dense layer, written under its column
    after: list[str] = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            nxt = model.layers[i + 1] if i + 1 < len(model.layers) else None
            after.append(type(nxt).__name__ if nxt is not None and not nxt.params else "linear")
    biggest = max(float(np.abs(layer.params["weight"]).max()) for layer in dense) or 1.0
    label_values = sum(layer.params["weight"].size for layer in dense) <= 6

    fig = figure(1.9 * len(widths) + 1.5, max(3.0, 0.38 * max(shown) + 1.4))
    ax = fig.subplots()

    def ys(n: int) -> Array:
        return np.linspace(-(n - 1) / 2, (n - 1) / 2, n)[::-1] if n > 1 else np.zeros(1)

    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    segments, colours, widths_pt = [], [], []
    for c, layer in enumerate(dense):
        w = layer.params["weight"]
        y0, y1 = ys(shown[c]), ys(shown[c + 1])
        for i in range(shown[c]):
            for j in range(shown[c + 1]):
                value = float(w[i, j])
                size = abs(value) / biggest
                segments.append([(c, y0[i]), (c + 1, y1[j])])
                # opaque, paler when smaller: blend the sign's colour toward white
                rgb = np.array(to_rgba(POSITIVE if value >= 0 else NEGATIVE)[:3])
                colours.append((*(1.0 - (0.3 + 0.7 * size) * (1.0 - rgb)), 1.0))
                widths_pt.append(0.3 + 5.0 * size)
                if label_values:
                    t = 0.3 + 0.4 * (j + 1) / (shown[c + 1] + 1)
                    ax.text(c + t, y0[i] + t * (y1[j] - y0[i]), f"{value:.2f}", fontsize=7,
                            ha="center", va="center", zorder=3,
                            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                  "alpha": 0.8})  # fmt: skip
    # one collection for all the lines: thousands of weights draw in one call
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths_pt, zorder=1,
                                     capstyle="round"))  # fmt: skip
    for c, n in enumerate(shown):
        y = ys(n)
        ax.scatter(np.full(n, c), y, s=180, color="white", edgecolors="black", zorder=2)
        names = labels.get(c)
        if names is not None:  # inputs to the left of their units, outputs to the right
            side = -1 if c == 0 else 1
            for i in range(n):
                ax.text(c + 0.12 * side, y[i], names[i], ha="right" if side < 0 else "left",
                        va="center", fontsize=8)  # fmt: skip
        if n < widths[c]:
            ax.text(c, y.min() - 0.8, f"+{widths[c] - n} more", ha="center", fontsize=8)
        label = "inputs" if c == 0 else after[c - 1]
        ax.text(c, max(shown) / 2 + 0.4, f"{label}\n{widths[c]}", ha="center", va="bottom",
                fontsize=9)  # fmt: skip
    top = max(shown) / 2 + 1.6
    ax.set_ylim(-top, top)
    ax.set_xlim(-0.6, len(widths) - 0.4)
    ax.axis("off")
    ax.set_title(title or f"{model.n_parameters():,} parameters: blue positive, red negative, "
                 "thicker is larger", fontsize=9)  # fmt: skip
    # a palette PNG: hundreds of antialiased lines would otherwise weigh hundreds of kilobytes
    save_figure(_Frames([_frame(fig)]), path)


def plot_images(
    images: Any,
    path: str | os.PathLike[str],
    *,
    shape: tuple[int, int],
    titles: Sequence[str] | None = None,
    title: str | None = None,
    max_images: int = 12,
) -> None:
    """Draw rows of pixels as small grey images side by side, to a PNG (e.g. misread digits).

    Parameters
    ----------
    images : array-like of shape (n_images, height · width)
    path : str or path-like
        The PNG file to write (replaced atomically).
    shape : (height, width)
    titles : sequence of str, optional
        One caption per image, e.g. ``"3 → 8"``.
    title : str, optional
    max_images : int, default 12
    """
    a = np.asarray(images, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != shape[0] * shape[1]:
        raise DataError(f"expected images of {shape[0]}×{shape[1]} pixels, got shape {a.shape}")
    n = max(min(len(a), max_images), 1)
    fig = figure(1.3 * n, 1.9)
    for i, ax in enumerate(np.atleast_1d(fig.subplots(1, n))):
        ax.axis("off")
        if i < len(a):
            ax.imshow(a[i].reshape(shape), cmap="gray_r")
            if titles is not None:
                ax.set_title(titles[i], fontsize=10)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
