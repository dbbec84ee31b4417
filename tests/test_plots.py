"""PNG figures: learning curves and decision regions, from Python and from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import plots
from glassnet.cli import main
from glassnet.errors import DataError, GlassnetError
from glassnet.preprocessing import Predictor, Preprocessing

image = pytest.importorskip("matplotlib.image")


def assert_real_png(path: Path, *, min_width: int = 300, min_height: int = 200) -> np.ndarray:
    """The file is a PNG of sensible size with real content: varied pixels, several colours."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    height, width = pixels.shape[:2]
    assert min_width <= width <= 4000 and min_height <= height <= 4000, pixels.shape
    assert pixels.var() > 0
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) >= 5
    return pixels


def colour_share(pixels: np.ndarray, rgb: tuple[float, float, float], tol: float = 0.08) -> float:
    """Fraction of pixels within `tol` of the colour `rgb`."""
    close = np.abs(pixels[..., :3] - np.array(rgb)).max(axis=-1) < tol
    return float(close.mean())


@pytest.fixture(scope="module")
def moons_predictor() -> tuple[Predictor, np.ndarray, np.ndarray]:
    data = gn.datasets.load("moons", seed=0)
    prep = Preprocessing.fit(
        data.X,
        data.y,
        features=["x1", "x2"],
        target="class",
        task="classification",
        classes=["0", "1"],
    )
    net = gn.Sequential([gn.Dense(2, 16, rng=0), gn.Tanh(), gn.Dense(16, 2, rng=1)])
    net.fit(
        prep.transform(data.X),
        data.y,
        loss="cross_entropy",
        optimizer="adam",
        epochs=60,
        batch_size=32,
        seed=0,
    )
    return Predictor(net, prep), data.X, data.y


def test_plot_curves_draws_training_and_validation(tmp_path):
    history = {
        "loss": [1.0, 0.6, 0.4, 0.3, 0.25],
        "val_loss": [1.1, 0.7, 0.5, 0.45, 0.44],
        "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9],
        "val_accuracy": [0.5, 0.65, 0.75, 0.8, 0.82],
        "learning_rate": [0.01] * 5,
        "time": [0.1] * 5,
    }
    path = tmp_path / "curves.png"
    plots.plot_curves(history, path, title="a run")
    pixels = assert_real_png(path)
    # two panels side by side: the figure is wider than high
    assert pixels.shape[1] > 1.5 * pixels.shape[0]
    assert colour_share(pixels, (0.12, 0.47, 0.71)) > 0.001  # tab:blue, the training curve
    assert colour_share(pixels, (1.0, 0.5, 0.05)) > 0.001  # tab:orange, the validation curve


def test_plot_curves_with_loss_only_and_a_falling_loss_on_log_scale(tmp_path):
    path = tmp_path / "loss.png"
    plots.plot_curves({"loss": list(np.geomspace(100, 0.01, 40))}, path)
    assert_real_png(path)


def test_plot_curves_names_its_step_axis_epoch_or_as_told(tmp_path, drawn):
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]}
    plots.plot_curves(history, tmp_path / "epochs.png")
    plots.plot_curves(history, tmp_path / "iterations.png", xlabel="iteration")
    assert [ax.get_xlabel() for ax in drawn[0].axes] == ["epoch", "epoch"]
    assert [ax.get_xlabel() for ax in drawn[1].axes] == ["iteration", "iteration"]


def test_plot_curves_needs_a_loss(tmp_path):
    with pytest.raises(DataError, match="loss"):
        plots.plot_curves({"accuracy": [0.5]}, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_plot_boundary_shows_regions_and_points(tmp_path, moons_predictor):
    predictor, X, y = moons_predictor
    path = tmp_path / "boundary.png"
    plots.plot_boundary(
        predictor, X, y, path, classes=["upper", "lower"], feature_names=["x1", "x2"], resolution=80
    )
    pixels = assert_real_png(path)
    # both decision regions are drawn: light blue and light orange each cover a good share
    light_blue = colour_share(pixels, (0.70, 0.80, 0.89), tol=0.06)
    light_orange = colour_share(pixels, (1.0, 0.83, 0.66), tol=0.06)
    assert light_blue > 0.05 and light_orange > 0.05, (light_blue, light_orange)


def test_plot_boundary_accepts_a_bare_network_and_unlabelled_points(tmp_path, moons_predictor):
    predictor, X, _ = moons_predictor
    path = tmp_path / "net.png"
    plots.plot_boundary(
        predictor.model, predictor.preprocessing.transform(X), None, path, resolution=50
    )
    assert_real_png(path)


def test_plot_boundary_rejects_data_without_exactly_two_features(tmp_path, moons_predictor):
    predictor, _, _ = moons_predictor
    with pytest.raises(DataError, match="2 features"):
        plots.plot_boundary(predictor, np.zeros((5, 3)), None, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_missing_matplotlib_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(GlassnetError, match=r"pip install 'glassnet\[plot\]'"):
        plots.plot_curves({"loss": [1.0, 0.5]}, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


class BrokenFigure:
    """A figure whose rendering fails half way, after writing a few bytes."""

    def savefig(self, f, format):
        f.write(b"\x89PNG half")
        raise RuntimeError("renderer crashed")


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "keep.png"
    path.write_bytes(b"old image")
    with pytest.raises(RuntimeError):
        plots.save_figure(BrokenFigure(), path)
    assert path.read_bytes() == b"old image"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_unwritable_plot_path_is_a_glassnet_error(tmp_path):
    with pytest.raises(GlassnetError, match="no such directory"):
        plots.plot_curves({"loss": [1.0]}, tmp_path / "missing" / "x.png")


# --- from the command line -----------------------------------------------------------------------


def test_train_plot_and_plot_boundary_commands_write_real_pngs(tmp_path, capsys):
    data = gn.datasets.load("circles", seed=1)
    csv = tmp_path / "circles.csv"
    labels = np.array(["outer", "inner"])[data.y]
    lines = ["u,v,ring"] + [f"{a!r},{b!r},{c}" for (a, b), c in zip(data.X.tolist(), labels)]
    csv.write_text("\n".join(lines) + "\n")
    model, curves, boundary = tmp_path / "m.npz", tmp_path / "curves.png", tmp_path / "b.png"
    rc = main(
        [
            "train",
            str(csv),
            "--target",
            "ring",
            "-o",
            str(model),
            "--hidden",
            "16,16",
            "--epochs",
            "60",
            "--validation-split",
            "0.2",
            "--plot",
            str(curves),
            "-q",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert_real_png(curves)
    rc = main(["plot", "boundary", str(model), str(csv), "-o", str(boundary), "--resolution", "60"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out == "" and captured.err == ""
    assert_real_png(boundary)
