"""Weight trajectories, boundary-evolution GIFs and network diagrams: valid, sized, not blank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.errors import DataError, GlassnetError
from glassnet.glass_plots import (
    animate_boundary,
    plot_images,
    plot_network,
    plot_weight_trajectories,
)

PIL = pytest.importorskip("PIL.Image")  # the plot extra; installed with the dev extra


def _check_image(path: Path, kind: str) -> list[np.ndarray]:
    """Open the file as `kind` (PNG or GIF); return its frames as RGB arrays, checked not blank."""
    assert path.read_bytes()[:4] == (b"\x89PNG" if kind == "PNG" else b"GIF8")
    frames = []
    with PIL.open(path) as image:
        assert image.format == kind
        width, height = image.size
        assert 200 <= width <= 2500 and 150 <= height <= 2500, image.size
        for k in range(getattr(image, "n_frames", 1)):
            image.seek(k)
            rgb = np.asarray(image.convert("RGB"), dtype=np.int32)
            # not blank: many colours (each pixel's colour as one integer), and real contrast
            colours = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
            assert len(np.unique(colours)) > 8
            assert rgb.std() > 10
            frames.append(rgb)
    assert not list(path.parent.glob(".*.tmp")), "a temporary file was left behind"
    return frames


@pytest.fixture(scope="module")
def tutorial_trace() -> tuple[gn.NeuralNetwork, gn.Trace]:
    nn = gn.NeuralNetwork()
    trace = gn.Trace(every=20)
    nn.model.fit(*gn.datasets.tutorial(), loss=nn.loss, optimizer=nn.optimizer, epochs=2000,
                 callbacks=[trace])  # fmt: skip
    return nn, trace


def test_weight_trajectories_of_the_tutorial_neuron_are_a_png(tmp_path, tutorial_trace):
    _, trace = tutorial_trace
    path = tmp_path / "weights.png"
    plot_weight_trajectories(trace, path)
    _check_image(path, "PNG")


def _tutorial_traced(trace: gn.Trace, iterations: int = 2000) -> gn.Trace:
    nn = gn.NeuralNetwork()
    nn.model.fit(*gn.datasets.tutorial(), loss=nn.loss, optimizer=nn.optimizer,
                 epochs=iterations, callbacks=[trace])  # fmt: skip
    return trace


def test_weight_trajectories_use_a_log_axis_only_where_the_start_was_recorded(tmp_path, drawn):
    # every 20 steps: nothing recorded between step 0 and step 20, so a log axis would spread
    # one straight guess over half the picture; the axis stays linear
    plot_weight_trajectories(_tutorial_traced(gn.Trace(every=20)), tmp_path / "sparse.png")
    # each of the first 20 steps recorded too: the log axis follows recorded points
    dense = _tutorial_traced(gn.Trace(every=20, first=20))
    plot_weight_trajectories(dense, tmp_path / "dense.png", xlabel="iteration")
    sparse_ax, dense_ax = (fig.axes[0] for fig in drawn)
    assert sparse_ax.get_xscale() == "linear" and sparse_ax.get_xlabel() == "training step"
    assert dense_ax.get_xscale() == "symlog" and dense_ax.get_xlabel() == "iteration"
    steps = dense_ax.get_lines()[0].get_xdata()
    np.testing.assert_array_equal(steps[:22], [*range(21), 40])
    assert np.all(steps[2:] <= 2 * steps[1:-1])  # no gap wider than a factor 2


def test_weight_trajectories_reject_an_untraced_layer(tmp_path, tutorial_trace):
    _, trace = tutorial_trace
    with pytest.raises(GlassnetError, match="layer 1 has no traced weights; traced: \\[0\\]"):
        plot_weight_trajectories(trace, tmp_path / "w.png", layer=1)
    with pytest.raises(GlassnetError, match="the trace is empty"):
        plot_weight_trajectories(gn.Trace(), tmp_path / "w.png")
    assert not list(tmp_path.iterdir())


def test_boundary_evolution_is_an_animated_gif_whose_frames_change(tmp_path):
    X, y = gn.datasets.make_moons(80, seed=0)
    net = gn.Sequential([gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 2, rng=1)])
    trace = gn.Trace(every=5)
    net.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.05), epochs=100, callbacks=[trace])
    weights = net.get_weights()
    path = tmp_path / "evolution.gif"
    n = animate_boundary(net, trace, X, y, path, max_frames=8, resolution=40)
    frames = _check_image(path, "GIF")
    assert n == 8 and len(frames) >= 6  # identical neighbours may merge, the rest stay
    assert np.abs(frames[0] - frames[-1]).mean() > 1.0  # the boundary moved
    for a, b in zip(net.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)  # drawing left the model as trained


def test_boundary_evolution_of_a_single_sigmoid_output_shades_its_value(tmp_path):
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    trace = gn.Trace(every=10)
    net.fit(X, y, loss="sse", optimizer=gn.SGD(1.0), epochs=200, callbacks=[trace])
    path = tmp_path / "xor.gif"
    assert animate_boundary(net, trace, X, y, path, max_frames=5, resolution=30) == 5
    _check_image(path, "GIF")


def test_boundary_evolution_needs_two_features(tmp_path, tutorial_trace):
    nn, trace = tutorial_trace
    with pytest.raises(DataError, match="over 2 features, got data of shape \\(4, 3\\)"):
        animate_boundary(nn.model, trace, *gn.datasets.tutorial(), tmp_path / "x.gif")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("case", ["tutorial", "mlp"])
def test_network_diagram_is_a_png(tmp_path, case, tutorial_trace):
    if case == "tutorial":
        model = tutorial_trace[0].model
    else:
        model = gn.Sequential([gn.Dense(40, 24, rng=0), gn.ReLU(), gn.Dense(24, 3, rng=1)])
    path = tmp_path / "network.png"
    plot_network(model, path, input_names=["a", "b", "c"] if case == "tutorial" else None)
    _check_image(path, "PNG")


def _unit_labels(ax, column: int) -> list[str]:
    """The texts written beside the units of one column of a network diagram, top to bottom."""
    beside = [t for t in ax.texts if abs(t.get_position()[0] - column) == pytest.approx(0.12)]
    return [t.get_text() for t in sorted(beside, key=lambda t: -t.get_position()[1])]


def test_network_diagram_names_the_inputs_and_the_class_of_each_output(tmp_path, drawn):
    model = gn.Sequential([gn.Dense(4, 5, rng=0), gn.ReLU(), gn.Dense(5, 3, rng=1)])
    features = ["sepal length", "sepal width", "petal length", "petal width"]
    classes = ["setosa", "versicolor", "virginica"]
    plot_network(model, tmp_path / "n.png", input_names=features, output_names=classes)
    ax = drawn[0].axes[0]
    assert _unit_labels(ax, 0) == features
    assert _unit_labels(ax, 2) == classes
    assert all(t.get_ha() == "left" for t in ax.texts if t.get_text() in classes)
    # a wide output layer names the units it shows
    plot_network(model, tmp_path / "m.png", max_units=2, output_names=classes)
    assert _unit_labels(drawn[1].axes[0], 2) == ["setosa", "versicolor"]
    with pytest.raises(GlassnetError, match="expected 3 output names, got 2"):
        plot_network(model, tmp_path / "x.png", output_names=classes[:2])
    with pytest.raises(GlassnetError, match="expected 4 input names, got 1"):
        plot_network(model, tmp_path / "x.png", input_names=["a"])
    assert not (tmp_path / "x.png").exists()


def test_a_plot_to_a_missing_directory_fails_in_one_line_and_writes_nothing(tmp_path):
    with pytest.raises(GlassnetError, match="cannot write plot"):
        plot_network(gn.NeuralNetwork().model, tmp_path / "nowhere" / "n.png")


# ---------------------------------------------------------------- from the command line


def test_plot_weights_command(tmp_path):
    path = tmp_path / "w.png"
    assert main(["plot", "weights", "-o", str(path), "--iterations", "300"]) == 0
    _check_image(path, "PNG")


def test_plot_weights_command_records_every_early_iteration_of_its_log_axis(tmp_path, drawn):
    assert main(["plot", "weights", "-o", str(tmp_path / "w.png"), "--iterations", "2000"]) == 0
    ax = drawn[0].axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlabel().startswith("iteration")
    weights = [line for line in ax.get_lines() if line.get_label().startswith("w")]
    assert len(weights) == 3
    for line in weights:
        np.testing.assert_array_equal(line.get_xdata()[:7], [0, 1, 2, 3, 4, 8, 12])


def test_plot_network_command_for_the_tutorial_neuron_and_for_a_model_file(tmp_path, capsys):
    path = tmp_path / "n.png"
    assert main(["plot", "network", "-o", str(path)]) == 0
    _check_image(path, "PNG")
    model = tmp_path / "m.npz"
    assert main(["train", "--dataset", "xor", "-o", str(model), "--hidden", "4", "--epochs", "2",
                 "--quiet"]) == 0  # fmt: skip
    path2 = tmp_path / "m.png"
    assert main(["plot", "network", str(model), "-o", str(path2), "--max-units", "3"]) == 0
    _check_image(path2, "PNG")


def test_plot_network_command_names_a_trained_models_features_and_classes(tmp_path, drawn):
    rng = np.random.default_rng(0)
    rows = ["weight,height,animal"] + [
        f"{w:.2f},{h:.2f},{'cat' if w < 5 else 'dog'}" for w, h in rng.uniform(1, 9, (30, 2))
    ]
    (tmp_path / "pets.csv").write_text("\n".join(rows) + "\n")
    model = tmp_path / "m.npz"
    assert main(["train", str(tmp_path / "pets.csv"), "--target", "animal", "-o", str(model),
                 "--hidden", "3", "--epochs", "2", "--quiet"]) == 0  # fmt: skip
    assert main(["plot", "network", str(model), "-o", str(tmp_path / "n.png")]) == 0
    ax = drawn[-1].axes[0]
    assert _unit_labels(ax, 0) == ["weight", "height"]
    assert _unit_labels(ax, 2) == ["cat", "dog"]
    # the tutorial's neuron: its three inputs and its one output
    assert main(["plot", "network", "-o", str(tmp_path / "t.png")]) == 0
    assert _unit_labels(drawn[-1].axes[0], 1) == ["output"]


def _csv(path: Path, header: str, columns: list[np.ndarray]) -> Path:
    rows = [",".join(repr(v) for v in row) for row in np.column_stack(columns).tolist()]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_plot_evolution_command_reads_a_csv_and_refuses_a_regression_target(tmp_path, capsys):
    a, b = np.random.default_rng(0).normal(size=(2, 40))
    quadrant = (a * b > 0).astype(float)
    gif = tmp_path / "d.gif"

    def run(data: Path, target: str) -> int:
        return main(["plot", "evolution", str(data), "--target", target, "-o", str(gif),
                     "--epochs", "5", "--frames", "5"])  # fmt: skip

    # every column but the target is a feature: exactly 2 are needed
    assert run(_csv(tmp_path / "3.csv", "a,b,c,quadrant", [a, b, a + b, quadrant]), "quadrant") == 2
    assert "has 3 features" in capsys.readouterr().err
    assert run(_csv(tmp_path / "r.csv", "a,b,total", [a, b, a + 2 * b]), "total") == 2
    assert "has a regression target" in capsys.readouterr().err
    assert not gif.exists()
    assert run(_csv(tmp_path / "q.csv", "a,b,quadrant", [a, b, quadrant]), "quadrant") == 0
    _check_image(gif, "GIF")


def test_plot_evolution_command_writes_a_gif(tmp_path):
    path = tmp_path / "moons.gif"
    argv = ["plot", "evolution", "--dataset", "moons", "-o", str(path), "--epochs", "20",
            "--frames", "6", "--hidden", "8"]  # fmt: skip
    assert main(argv) == 0
    assert len(_check_image(path, "GIF")) >= 4


def test_plot_evolution_command_labels_the_standardized_axes_and_the_classes(tmp_path, drawn):
    rows = ["petal length,petal width,species"] + [
        f"{1 + k % 7 * 0.3:.1f},{0.2 + k % 5 * 0.1:.1f},{'setosa' if k % 2 else 'virginica'}"
        for k in range(30)
    ]
    (tmp_path / "iris.csv").write_text("\n".join(rows) + "\n")
    argv = ["plot", "evolution", str(tmp_path / "iris.csv"), "--target", "species", "-o",
            str(tmp_path / "e.gif"), "--epochs", "2", "--frames", "2", "--hidden", "4"]  # fmt: skip
    assert main(argv) == 0
    ax = drawn[-1].axes[0]
    assert ax.get_xlabel() == "petal length (standardized)"
    assert ax.get_ylabel() == "petal width (standardized)"
    legend = [t.get_text() for t in drawn[-1].legends[0].get_texts()]
    assert sorted(legend) == ["setosa", "virginica"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["evolution", "--dataset", "tutorial", "-o", "x.gif"], "has 3 features"),
        (["evolution", "-o", "x.gif"], "give either a CSV file DATA"),
        (["evolution", "--dataset", "nope", "-o", "x.gif"], "unknown data set 'nope'"),
        (["evolution", "--dataset", "xor", "-o", "nodir/x.gif"], "no such directory"),
        (["weights", "-o", "w.png", "--iterations", "0"], "positive integer"),
        (["network", "missing.npz", "-o", "n.png"], "missing.npz"),
    ],
)
def test_plot_commands_fail_in_one_line_and_leave_no_file(args, needle, tmp_path, capsys,
                                                          monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main(["plot", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "command",
    [["explain"], ["diagnose"], ["plot", "weights"], ["plot", "network"], ["plot", "evolution"]],
)
def test_every_glass_command_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "example:\n  glassnet " + " ".join(command) in capsys.readouterr().out


def test_images_side_by_side_are_a_png_and_check_their_pixel_count(tmp_path):
    images = np.random.default_rng(0).random((5, 16))
    path = tmp_path / "images.png"
    plot_images(images, path, shape=(4, 4), titles=[str(k) for k in range(5)], title="five")
    _check_image(path, "PNG")
    with pytest.raises(DataError, match="expected images of 8×8 pixels, got shape \\(5, 16\\)"):
        plot_images(images, tmp_path / "x.png", shape=(8, 8))


def test_animate_boundary_shades_a_logit_output_by_its_probability(tmp_path, monkeypatch):
    """With binary cross-entropy the one output is a logit: the 0.5 line is σ(z) = 0.5, z = 0."""
    import matplotlib.axes

    X, y = gn.datasets.make_moons(60, noise=0.1, seed=0)
    net = gn.Sequential([gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1)])
    trace = gn.Trace()
    net.fit(X, y.reshape(-1, 1).astype(float), loss="bce", optimizer=gn.Adam(0.05), epochs=30,
            callbacks=[trace])  # fmt: skip
    shaded: list[np.ndarray] = []
    real = matplotlib.axes.Axes.contourf

    def spy(self, *args, **kwargs):
        shaded.append(np.asarray(args[2]))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "contourf", spy)
    animate_boundary(net, trace, X, y, tmp_path / "moons.gif", max_frames=2)
    assert shaded and all(v.min() >= 0.0 and v.max() <= 1.0 for v in shaded)


# ---------------------------------------------------------------- what a frame of the GIF shows


def _last_frame(drawn: list) -> object:
    """The main axes of the GIF's figure, as its last frame left them."""
    return drawn[-1].axes[0]


def _inner_vertices(ax, *, filled: bool) -> np.ndarray:
    """The vertices of the axes' filled regions or boundary lines that lie inside the frame
    (a region's outline also runs along the frame's edges)."""
    from matplotlib.contour import ContourSet

    sets = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled == filled]
    parts = [path.vertices for cs in sets for path in cs.get_paths() if len(path.vertices)]
    v = np.concatenate(parts) if parts else np.zeros((0, 2))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    inside = (np.abs(v[:, 0] - x0) > 1e-9) & (np.abs(v[:, 0] - x1) > 1e-9)
    inside &= (np.abs(v[:, 1] - y0) > 1e-9) & (np.abs(v[:, 1] - y1) > 1e-9)
    return v[inside]


def _distance_to_line(v: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Distance of points `v` from the line w·x + b = 0."""
    return np.abs(v @ w + b) / np.linalg.norm(w)


@pytest.mark.parametrize("loss", ["bce", "sse"])
def test_boundary_of_a_linear_model_is_its_exact_line_not_a_grid_path(tmp_path, drawn, loss):
    """σ(w·x + b) = ½ on the line w·x + b = 0: the drawn ½ line lies on it, to rounding, however
    coarse the grid (a contour of σ itself would cut each grid cell's corner)."""
    X, y = gn.datasets.make_moons(60, noise=0.1, seed=0)
    tail = [] if loss == "bce" else [gn.Sigmoid()]  # a logit, or σ of it read as it is
    net = gn.Sequential([gn.Dense(2, 1, rng=0), *tail])
    trace = gn.Trace(every=10)
    net.fit(X, y.reshape(-1, 1).astype(float), loss=loss, optimizer=gn.SGD(0.5), epochs=200,
            callbacks=[trace])  # fmt: skip
    animate_boundary(net, trace, X, y, tmp_path / "line.gif", max_frames=2, resolution=12)
    w, b = trace.parameters_at(-1)
    vertices = _inner_vertices(_last_frame(drawn), filled=False)
    assert len(vertices) >= 5
    assert _distance_to_line(vertices, w[:, 0], b[0]).max() < 1e-9


def test_boundary_of_a_two_class_linear_softmax_is_its_exact_line(tmp_path, drawn):
    """Two logits z₀, z₁ = x·W + b: class 1 where z₁ − z₀ > 0, a straight edge between the two
    regions (a map of class indices would draw the grid's staircase)."""
    X, y = gn.datasets.make_moons(60, noise=0.1, seed=0)
    net = gn.Sequential([gn.Dense(2, 2, rng=0)])
    trace = gn.Trace(every=10)
    net.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.5), epochs=100, callbacks=[trace])
    animate_boundary(net, trace, X, y, tmp_path / "regions.gif", max_frames=2, resolution=12)
    W, b = trace.parameters_at(-1)
    vertices = _inner_vertices(_last_frame(drawn), filled=True)
    assert len(vertices) >= 5
    assert _distance_to_line(vertices, W[:, 1] - W[:, 0], b[1] - b[0]).max() < 1e-9


def test_boundary_is_not_drawn_through_rounding_noise_when_weights_shrink_to_zero(tmp_path, drawn):
    """One neuron on XOR (examples/02): SGD shrinks its weights to ~1e-16 and its output is ½
    over the whole plane up to rounding; the frame says so instead of drawing a ragged ½ line
    through the rounding noise."""
    X, y = gn.datasets.xor()
    for epochs in (100, 1000):
        neuron = gn.Sequential([gn.Dense(2, 1, rng=0, init="uniform"), gn.Sigmoid()])
        trace = gn.Trace(every=100)
        neuron.fit(X, y, loss=gn.SumSquaredError(), optimizer=gn.SGD(1.0), epochs=epochs,
                   callbacks=[trace])  # fmt: skip
        animate_boundary(neuron, trace, X, y, tmp_path / f"xor{epochs}.gif", max_frames=3)
    early, late = (fig.axes[0] for fig in drawn)
    # after 100 steps the weights are ~1e-3: they still draw a line
    assert len(_inner_vertices(early, filled=False)) > 0 and not early.texts
    # after 1000 they are ~1e-16: no line, and the frame says why
    assert np.abs(neuron.layers[0].params["weight"]).max() < 1e-15
    assert len(_inner_vertices(late, filled=False)) == 0
    assert [t.get_text() for t in late.texts] == ["P = 0.5 everywhere:\nno boundary"]


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_boundary_frames_label_their_axes_and_name_the_classes_in_a_legend(
    tmp_path, drawn, n_outputs
):
    X, y = gn.datasets.make_moons(40, noise=0.1, seed=0)
    net = gn.Sequential([gn.Dense(2, 4, rng=0), gn.Tanh(), gn.Dense(4, n_outputs, rng=1)])
    target = y.reshape(-1, 1).astype(float) if n_outputs == 1 else y
    loss = "bce" if n_outputs == 1 else "cross_entropy"
    trace = gn.Trace(every=5)
    net.fit(X, target, loss=loss, optimizer=gn.Adam(0.05), epochs=20, callbacks=[trace])
    animate_boundary(net, trace, X, y, tmp_path / "labelled.gif", max_frames=3,
                     feature_names=["length", "width"], classes=["small", "large"])  # fmt: skip
    fig = drawn[-1]
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("length", "width")
    legend = fig.legends[0]
    assert legend.get_title().get_text() == "class"
    assert [t.get_text() for t in legend.get_texts()] == ["small", "large"]
    if n_outputs == 1:  # the shading is a probability: a colour bar says which
        assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "P(class = large)"
    else:  # the shading is the classes' colours, the legend's
        assert len(fig.axes) == 1


def test_boundary_frames_default_their_labels_and_refuse_too_few_names(tmp_path, drawn):
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 2, rng=0)])
    trace = gn.Trace()
    net.fit(X, y.ravel().astype(int), loss="cross_entropy", optimizer="sgd", epochs=3,
            callbacks=[trace])  # fmt: skip
    animate_boundary(net, trace, X, y.ravel().astype(int), tmp_path / "d.gif")
    ax = drawn[-1].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("feature 1", "feature 2")
    assert [t.get_text() for t in drawn[-1].legends[0].get_texts()] == ["0", "1"]
    with pytest.raises(GlassnetError, match=r"expected 2 class names, got 1: \['a'\]"):
        animate_boundary(net, trace, X, y.ravel().astype(int), tmp_path / "x.gif", classes=["a"])
    with pytest.raises(GlassnetError, match="expected 2 feature names, got 1"):
        animate_boundary(net, trace, X, y.ravel().astype(int), tmp_path / "x.gif",
                         feature_names=["u"])  # fmt: skip
    assert not (tmp_path / "x.gif").exists()
