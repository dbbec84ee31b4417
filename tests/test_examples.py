"""The learner's path in examples/: each script runs, says what it should, draws its pictures."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PIL = pytest.importorskip("PIL.Image")  # the pictures need the plot extra


def run_example(name: str, out: Path) -> str:
    # one BLAS thread per script: the tests run two at a time (pytest -n 2) on few cores
    single = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {**os.environ, **single, "PYTHONWARNINGS": "error", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--out", str(out)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # quiet, but for matplotlib's one-time note on a fresh machine
    noise = [line for line in result.stderr.splitlines() if "building the font cache" not in line]
    assert noise == [], result.stderr[-3000:]
    return result.stdout


def check_pictures(out: Path, names: list[str]) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        with PIL.open(out / name) as image:
            assert image.format == ("GIF" if name.endswith(".gif") else "PNG")
            assert image.size[0] >= 200 and image.size[1] >= 150
            if name.endswith(".gif"):
                assert image.n_frames >= 5, name
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is not None and len(colours) > 8, name  # not blank


def test_01_tutorial_neuron_reproduces_the_tutorial_and_draws_its_weights(tmp_path):
    out = run_example("01_tutorial_neuron.py", tmp_path)
    assert "Ending weights after training: [ 9.67299303 -0.2078435  -4.62963669]" in out
    assert "0.99993704" in out and "error weighted derivative" in out
    check_pictures(tmp_path, ["01_weights.png", "01_loss.png", "01_network.png"])


def run_in_process(name: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run an example's main() here, so the `drawn` fixture sees its figures."""
    monkeypatch.setattr(sys, "argv", [name, "--out", str(out)])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_01_pictures_name_the_iteration_on_the_axis_the_loss_title_counts(
    tmp_path, drawn, monkeypatch, capsys
):
    run_in_process("01_tutorial_neuron.py", tmp_path, monkeypatch)
    weights, loss = (fig.axes[0] for fig in drawn[:2])
    assert "per iteration" in drawn[1].get_suptitle()
    assert loss.get_xlabel().startswith("iteration") and weights.get_xlabel() == loss.get_xlabel()
    # the weights' log axis starts from recorded iterations: 0 (the start), 1, 2, ..., 10
    assert weights.get_xscale() == "symlog"
    steps = [line.get_xdata() for line in weights.get_lines() if line.get_label().startswith("w")]
    assert len(steps) == 3 and all(list(s[:12]) == [*range(11), 20] for s in steps)


def test_02_a_single_neuron_stays_near_one_half_on_xor(tmp_path):
    out = run_example("02_xor_single_neuron_fails.py", tmp_path)
    rows = [line for line in out.splitlines() if line.count("|") == 1 and "target" not in line]
    outputs = [float(line.split()[-1]) for line in rows]
    assert len(outputs) == 4 and all(abs(o - 0.5) < 0.1 for o in outputs)
    check_pictures(tmp_path, ["02_boundary.gif", "02_loss.png"])


def test_03_a_hidden_layer_gets_all_four_xor_cases_within_0_1(tmp_path):
    out = run_example("03_hidden_layer_solves_xor.py", tmp_path)
    rows = [line for line in out.splitlines() if line.count("|") == 1 and "target" not in line]
    pairs = [(float(line.split()[-2]), float(line.split()[-1])) for line in rows]
    assert len(pairs) == 4 and all(abs(t - o) < 0.1 for t, o in pairs)
    assert "no problems found" in out
    check_pictures(tmp_path, ["03_boundary.gif", "03_loss.png", "03_network.png"])


def test_04_spirals_diagnoses_a_too_high_learning_rate_then_learns(tmp_path):
    out = run_example("04_spirals.py", tmp_path)
    assert "warning: epoch 1:" in out and "dead" in out
    assert "learning rate is probably too high" in out
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 95.0
    check_pictures(
        tmp_path, ["04_boundary.gif", "04_boundary.png", "04_curves.png", "04_network.png"]
    )


def test_05_digits_reaches_97_5_percent_test_accuracy(tmp_path):
    pytest.importorskip("sklearn")  # the digits come bundled with scikit-learn
    out = run_example("05_digits.py", tmp_path)
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 97.5
    check_pictures(tmp_path, ["05_curves.png", "05_network.png", "05_mistakes.png"])


def test_docs_show_every_committed_picture_and_they_stay_small():
    docs = EXAMPLES.parent / "docs"
    text = (docs / "learn.md").read_text(encoding="utf-8")
    pages = "".join(page.read_text(encoding="utf-8") for page in sorted(docs.glob("*.md")))
    images = sorted((docs / "images").iterdir())
    assert images, "generate them with the examples' --out docs/images"
    for image in images:  # the examples' pictures in learn.md, the playground's in its page
        assert f"images/{image.name}" in (pages if image.name.startswith("playground_") else text)
    assert sum(p.stat().st_size for p in images) < 2_000_000
    for script in sorted(EXAMPLES.glob("0[1-5]_*.py")):
        assert f"examples/{script.name}" in text, script.name
