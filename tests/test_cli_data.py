"""The glassnet command on real data: train, predict, evaluate, info, datasets — and bad input.

Most checks call `glassnet.cli.main` in-process (fast); a representative handful run the real
command in a subprocess, including pipes through stdin and stdout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.cli.predict import classification_scores, regression_scores
from glassnet.preprocessing import Predictor, Preprocessing
from glassnet.progress import EpochLines, ProgressBar, progress_callback

FAST = ["--hidden", "8", "--epochs", "40", "--batch-size", "16", "-q"]


# --- helpers ------------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def blobs_rows(n: int = 80, seed: int = 0) -> list[list[object]]:
    """Two well separated clusters labelled 'red' (around -2) and 'blue' (around +2)."""
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for i in range(n):
        label = "red" if i % 2 == 0 else "blue"
        centre = -2.0 if label == "red" else 2.0
        x1, x2 = centre + 0.5 * rng.standard_normal(2)
        rows.append([repr(float(x1)), repr(float(x2)), label])
    return rows


def line_rows(n: int = 60, seed: int = 1) -> list[list[object]]:
    """y = 100 + 50·x1 − 20·x2 + a little noise: a regression the network fits closely."""
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for _ in range(n):
        x1, x2 = rng.uniform(-1, 1, 2)
        y = 100 + 50 * x1 - 20 * x2 + 0.1 * rng.standard_normal()
        rows.append([repr(float(x1)), repr(float(x2)), repr(float(y))])
    return rows


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def glassnet(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=env,
    )


def assert_one_line_error(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Data files and two trained models (classification, regression) shared by the tests."""
    d = tmp_path_factory.mktemp("data")
    paths = {
        "blobs": write_csv(d / "blobs.csv", ["x1", "x2", "colour"], blobs_rows()),
        "line": write_csv(d / "line.csv", ["x1", "x2", "y"], line_rows()),
    }
    paths["blobs_model"] = d / "blobs.npz"
    paths["line_model"] = d / "line.npz"
    assert (
        main(
            [
                "train",
                str(paths["blobs"]),
                "--target",
                "colour",
                "-o",
                str(paths["blobs_model"]),
                *FAST,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "train",
                str(paths["line"]),
                "--target",
                "y",
                "-o",
                str(paths["line_model"]),
                "--hidden",
                "16",
                "--epochs",
                "300",
                "--batch-size",
                "16",
                "-q",
            ]
        )
        == 0
    )
    return paths


# --- training ----------------------------------------------------------------------------------


def test_train_stores_standardization_and_labels_in_the_model(files, tmp_path, capsys):
    model = gn.load(files["blobs_model"])
    prep = Preprocessing.from_model(model, source="blobs.npz")
    assert prep.features == ["x1", "x2"]
    assert prep.target == "colour"
    assert prep.task == "classification"
    assert prep.classes == ["blue", "red"]  # sorted, as text
    X = np.array([[float(r[0]), float(r[1])] for r in blobs_rows()])
    np.testing.assert_allclose(prep.mean, X.mean(axis=0))
    np.testing.assert_allclose(prep.scale, X.std(axis=0))
    assert isinstance(model.loss, gn.CrossEntropy)
    assert model.n_outputs == 2
    assert model.metadata["training"]["data"] == str(files["blobs"])
    assert model.metadata["training"]["options"]["hidden"] == [8]


def test_train_json_summary_reports_loss_metrics_epochs_and_model_path(files, tmp_path, capsys):
    out_model = tmp_path / "m.npz"
    rc, out, err = run(
        capsys,
        "train",
        files["blobs"],
        "--target",
        "colour",
        "-o",
        out_model,
        *FAST,
        "--validation-split",
        "0.25",
        "--json",
    )
    assert rc == 0, err
    assert err == ""  # not a terminal, not verbose: no progress
    summary = json.loads(out)
    assert summary["model"] == str(out_model)
    assert summary["epochs"] == 40
    assert summary["task"] == "classification"
    assert summary["classes"] == ["blue", "red"]
    assert summary["loss"] < 0.5
    assert summary["val_accuracy"] >= 0.9
    assert {"accuracy", "val_loss", "n_parameters", "seconds"} <= set(summary)
    assert out_model.is_file()


def test_train_regression_predicts_in_the_targets_own_units(files, tmp_path, capsys):
    model = gn.load(files["line_model"])
    prep = Preprocessing.from_model(model, source="line.npz")
    assert prep.task == "regression" and prep.classes is None
    ys = [float(r[2]) for r in line_rows()]
    assert prep.target_mean == pytest.approx(np.mean(ys))
    assert prep.target_scale == pytest.approx(np.std(ys))
    new = write_csv(tmp_path / "new.csv", ["x2", "x1"], [[0.0, 0.0], [0.0, 0.5], [0.5, 0.0]])
    rc, out, err = run(capsys, "predict", files["line_model"], new)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "y"
    # columns are matched by name, not position: x2 comes first in this file
    predicted = [float(v) for v in lines[1:]]
    np.testing.assert_allclose(predicted, [100, 125, 90], atol=4.0)


def test_task_is_inferred_from_the_target_and_can_be_overridden(tmp_path, capsys):
    rows = [[i, i % 3] for i in range(30)]
    data = write_csv(tmp_path / "ints.csv", ["x", "k"], rows)
    for extra, task in (([], "classification"), (["--task", "regression"], "regression")):
        model_path = tmp_path / f"{task}.npz"
        rc, out, err = run(
            capsys,
            "train",
            data,
            "--target",
            "k",
            "-o",
            model_path,
            "--epochs",
            "2",
            "--json",
            "-q",
            *extra,
        )
        assert rc == 0, err
        assert json.loads(out)["task"] == task
        assert gn.load(model_path).n_outputs == (3 if task == "classification" else 1)


def test_train_on_builtin_datasets_and_list_them(tmp_path, capsys):
    rc, out, err = run(capsys, "datasets")
    assert rc == 0 and err == ""
    for name in ("tutorial", "xor", "moons", "circles", "spirals", "iris", "diabetes"):
        assert name in out
    rc, out, _ = run(capsys, "datasets", "--json")
    assert [d["name"] for d in json.loads(out)] == gn.datasets.names()
    for name, task in (
        ("xor", "classification"),
        ("iris", "classification"),
        ("diabetes", "regression"),
    ):
        path = tmp_path / f"{name}.npz"
        rc, out, err = run(
            capsys, "train", "--dataset", name, "-o", path, "--epochs", "3", "--json", "-q"
        )
        assert rc == 0, err
        assert json.loads(out)["task"] == task
    assert gn.load(tmp_path / "iris.npz").n_outputs == 3


def test_verbose_prints_one_line_per_epoch_on_stderr(files, tmp_path, capsys):
    rc, out, err = run(
        capsys,
        "train",
        files["blobs"],
        "--target",
        "colour",
        "-o",
        tmp_path / "m.npz",
        "--hidden",
        "4",
        "--epochs",
        "5",
        "--verbose",
    )
    assert rc == 0
    assert out == ""
    lines = err.splitlines()
    assert [line.split()[1] for line in lines[:5]] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert all("loss" in line for line in lines[:5])
    assert lines[5].startswith(f"saved {tmp_path / 'm.npz'}: 5 epochs")


def test_early_stopping_stops_and_says_so(tmp_path, capsys):
    # labels that are pure noise: the validation loss soon rises as the network memorizes
    rng = np.random.default_rng(5)
    rows = [[*rng.standard_normal(2).tolist(), int(rng.integers(2))] for _ in range(60)]
    noise = write_csv(tmp_path / "noise.csv", ["x1", "x2", "label"], rows)
    rc, out, err = run(
        capsys,
        "train",
        noise,
        "--target",
        "label",
        "-o",
        tmp_path / "m.npz",
        "--hidden",
        "32",
        "--epochs",
        "500",
        "--learning-rate",
        "0.05",
        "--validation-split",
        "0.3",
        "--early-stopping",
        "3",
        "--json",
        "-q",
    )
    assert rc == 0, err
    summary = json.loads(out)
    assert summary["stopped_early"] is True
    assert summary["epochs"] < 500


def test_float32_models_stay_float32(files, tmp_path, capsys):
    path = tmp_path / "f32.npz"
    rc, _, err = run(
        capsys,
        "train",
        files["blobs"],
        "--target",
        "colour",
        "-o",
        path,
        "--dtype",
        "float32",
        *FAST,
    )
    assert rc == 0, err
    rc, out, _ = run(capsys, "info", path, "--json")
    assert json.loads(out)["dtype"] == "float32"


# --- predict, evaluate, info ---------------------------------------------------------------------


def test_predict_keeps_row_order_and_ignores_the_target_column(files, tmp_path, capsys):
    rc, with_target, err = run(capsys, "predict", files["blobs_model"], files["blobs"])
    assert rc == 0, err
    rows = blobs_rows()
    no_target = write_csv(tmp_path / "x.csv", ["x1", "x2"], [r[:2] for r in rows])
    rc, without_target, _ = run(capsys, "predict", files["blobs_model"], no_target)
    assert with_target == without_target
    lines = with_target.splitlines()
    assert lines[0] == "colour"
    assert len(lines) == 1 + len(rows)
    hits = sum(p == r[2] for p, r in zip(lines[1:], rows))
    assert hits >= 0.95 * len(rows)


def test_predict_proba_writes_one_column_per_class_to_a_file(files, tmp_path, capsys):
    out_path = tmp_path / "p.csv"
    rc, out, err = run(
        capsys, "predict", files["blobs_model"], files["blobs"], "--proba", "-o", out_path
    )
    assert rc == 0 and out == "" and err == ""
    lines = out_path.read_text().splitlines()
    assert lines[0] == "blue,red"
    p = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    assert p.shape == (80, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    labels = ["blue" if row[0] > 0.5 else "red" for row in p]
    _, plain, _ = run(capsys, "predict", files["blobs_model"], files["blobs"])
    assert plain.splitlines()[1:] == labels


def test_evaluate_reports_accuracy_precision_recall_and_confusion(files, capsys):
    rc, out, err = run(capsys, "evaluate", files["blobs_model"], files["blobs"], "--json")
    assert rc == 0, err
    scores = json.loads(out)
    assert scores["task"] == "classification"
    assert scores["n_samples"] == 80
    assert scores["accuracy"] >= 0.95
    assert set(scores["precision"]) == set(scores["recall"]) == {"blue", "red"}
    confusion = np.array(scores["confusion_matrix"])
    assert confusion.shape == (2, 2) and confusion.sum() == 80
    assert confusion.sum(axis=1).tolist() == [40, 40]  # true classes: 40 of each
    rc, text, _ = run(capsys, "evaluate", files["blobs_model"], files["blobs"])
    assert "accuracy" in text and "precision" in text and "confusion matrix" in text


def test_evaluate_regression_reports_mse_mae_r2(files, capsys):
    rc, out, err = run(capsys, "evaluate", files["line_model"], files["line"], "--json")
    assert rc == 0, err
    scores = json.loads(out)
    assert scores["task"] == "regression"
    assert scores["r2"] > 0.98
    assert 0 < scores["mae"] <= np.sqrt(scores["mse"]) + 1e-12  # MAE ≤ RMSE always
    _, text, _ = run(capsys, "evaluate", files["line_model"], files["line"])
    assert "MSE" in text and "MAE" in text and "R²" in text


def test_classification_scores_match_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    p[p == 2] = 1  # class 2 is never predicted: its precision is undefined, reported as 0
    scores = classification_scores(y, p, ["a", "b", "c"])
    assert scores["confusion_matrix"] == metrics.confusion_matrix(y, p).tolist()
    assert scores["accuracy"] == pytest.approx(metrics.accuracy_score(y, p))
    precision = metrics.precision_score(y, p, average=None, zero_division=0)
    recall = metrics.recall_score(y, p, average=None, zero_division=0)
    np.testing.assert_allclose(list(scores["precision"].values()), precision)
    np.testing.assert_allclose(list(scores["recall"].values()), recall)
    r = regression_scores([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    assert r["r2"] == pytest.approx(metrics.r2_score([1, 2, 4], [1.5, 2, 3]))
    assert r["mae"] == pytest.approx(0.5)


def test_info_shows_architecture_parameters_dtype_and_training(files, capsys):
    rc, out, err = run(capsys, "info", files["blobs_model"], "--json")
    assert rc == 0, err
    facts = json.loads(out)
    assert facts["n_parameters"] == (2 * 8 + 8) + (8 * 2 + 2)
    assert [layer["kind"] for layer in facts["layers"]] == ["Dense", "ReLU", "Dense"]
    assert facts["dtype"] == "float64"
    assert facts["classes"] == ["blue", "red"]
    assert facts["training"]["epochs"] == 40
    rc, text, _ = run(capsys, "info", files["blobs_model"])
    assert "42 parameters" in text and "classification" in text and "40 epochs" in text


def test_models_built_in_python_are_usable_without_stored_preprocessing(tmp_path, capsys):
    net = gn.Sequential([gn.Dense(2, 1, rng=0)])
    net.loss = gn.MeanSquaredError()
    net.save(tmp_path / "plain.npz")
    data = write_csv(tmp_path / "d.csv", ["a", "b"], [[1, 2], [3, 4]])
    rc, out, err = run(capsys, "predict", tmp_path / "plain.npz", data)
    assert rc == 0, err
    w = net.layers[0].params["weight"][:, 0]
    expected = np.array([[1, 2], [3, 4]]) @ w
    np.testing.assert_allclose([float(v) for v in out.splitlines()[1:]], expected)
    predictor = Predictor(net, Preprocessing.from_model(net, source="plain"))
    np.testing.assert_allclose(predictor.predict([[1.0, 2.0]]), expected[:1])
    # three outputs trained on MSE: the command cannot name them, but info still shows the model
    wide = gn.Sequential([gn.Dense(2, 3, rng=0)])
    wide.loss = gn.MeanSquaredError()
    wide.save(tmp_path / "wide.npz")
    rc, out, err = run(capsys, "info", tmp_path / "wide.npz")
    assert rc == 0 and "task: unknown (3 outputs" in out
    rc, out, err = run(capsys, "predict", tmp_path / "wide.npz", data)
    assert rc == 2
    assert_one_line_error(err, str(tmp_path / "wide.npz"), "3 outputs")


# --- help, version, progress --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["train"],
        ["predict"],
        ["evaluate"],
        ["info"],
        ["datasets"],
        ["plot"],
        ["plot", "boundary"],
    ],
)
def test_every_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert re.search(r"examples?:\n  glassnet ", out)


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"glassnet {gn.__version__}"


class FakeTerminal:
    """A text stream that says it is a terminal."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.chunks.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_is_a_bar_on_a_terminal_lines_when_verbose_and_nothing_otherwise(capsys):
    import io

    assert progress_callback(5, stream=io.StringIO()) is None
    assert progress_callback(5, quiet=True, verbose=True, stream=FakeTerminal()) is None
    assert isinstance(progress_callback(5, verbose=True, stream=io.StringIO()), EpochLines)
    terminal = FakeTerminal()
    bar = progress_callback(3, stream=terminal)
    assert isinstance(bar, ProgressBar)
    net = gn.Sequential([gn.Dense(1, 1, rng=0)])
    net.fit(
        [[0.0], [1.0]],
        [[0.0], [1.0]],
        loss="mse",
        optimizer="sgd",
        epochs=3,
        validation_split=0.5,
        metrics=["r2"],
        callbacks=[bar],
        seed=0,
    )
    shown = "".join(terminal.chunks)
    assert "3/3" in shown and "loss=" in shown and "val_r2=" in shown


def test_progress_without_tqdm_says_so_once_and_shows_no_bar(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    terminal = FakeTerminal()
    assert progress_callback(5, stream=terminal) is None
    assert "".join(terminal.chunks).count("\n") == 1
    assert "pip install 'glassnet[progress]'" in "".join(terminal.chunks)


# --- bad input: one line naming the file, exit 2, nothing written ---------------------------------


def _bad_inputs(tmp: Path, files: dict[str, Path]) -> list[tuple[list[str], list[str]]]:
    """(arguments, strings the error must contain) for every kind of bad input."""
    t = str(tmp)
    (tmp / "empty.csv").write_text("")
    write_csv(tmp / "header.csv", ["x1", "x2", "colour"], [])
    (tmp / "ragged.csv").write_text("x1,x2,colour\n1,2,red\n3,blue\n")
    (tmp / "text.csv").write_text("x1,x2,colour\n1,2,red\n3,abc,blue\n")
    (tmp / "inf.csv").write_text("x1,x2,colour\n1,2,red\ninf,4,blue\n")
    (tmp / "single.csv").write_text("x1,x2,colour\n1,2,red\n3,4,red\n")
    (tmp / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp / "other_columns.csv").write_text("x1,x3\n1,2\n")
    (tmp / "unseen.csv").write_text("x1,x2,colour\n1,2,green\n")
    (tmp / "not_model.npz").write_text("x1,x2\n1,2\n")
    (tmp / "a_dir.csv").mkdir()
    good = files["blobs_model"].read_bytes()
    (tmp / "truncated.npz").write_bytes(good[: len(good) // 2])
    (tmp / "empty.npz").write_bytes(b"")
    with (
        zipfile.ZipFile(files["blobs_model"]) as src,
        zipfile.ZipFile(tmp / "tampered.npz", "w") as dst,
    ):
        for item in src.namelist():
            blob = src.read(item)
            if item.endswith(".npy"):  # flip the last byte of every array: checksums fail
                blob = blob[:-1] + bytes([blob[-1] ^ 0xFF])
            dst.writestr(item, blob)
    three = write_csv(tmp / "three.csv", ["a", "b", "c", "y"], [[1, 2, 3, "u"], [4, 5, 6, "v"]])
    assert main(["train", str(three), "--target", "y", "-o", f"{t}/three.npz", *FAST]) == 0

    blobs, model, line_model = (
        str(files["blobs"]),
        str(files["blobs_model"]),
        str(files["line_model"]),
    )
    train = ["train", "--target", "colour", "-o", f"{t}/out.npz"]
    return [
        # data files
        ([*train, f"{t}/missing.csv"], [f"{t}/missing.csv", "no such file"]),
        ([*train, f"{t}/a_dir.csv"], [f"{t}/a_dir.csv", "directory"]),
        ([*train, f"{t}/empty.csv"], [f"{t}/empty.csv", "empty"]),
        ([*train, f"{t}/header.csv"], [f"{t}/header.csv", "no data rows"]),
        ([*train, f"{t}/ragged.csv"], [f"{t}/ragged.csv", "line 3", "expected 3 fields"]),
        ([*train, f"{t}/text.csv"], [f"{t}/text.csv", "line 3", "column 'x2'", "'abc'"]),
        ([*train, f"{t}/inf.csv"], [f"{t}/inf.csv", "line 3", "column 'x1'", "finite"]),
        ([*train, f"{t}/binary.csv"], [f"{t}/binary.csv"]),
        (["train", blobs, "--target", "nope", "-o", f"{t}/out.npz"], [blobs, "'nope'"]),
        ([*train, f"{t}/single.csv"], [f"{t}/single.csv", "single class", "'red'"]),
        (
            [
                "train",
                f"{t}/single.csv",
                "--target",
                "colour",
                "--task",
                "regression",
                "-o",
                f"{t}/out.npz",
            ],
            [f"{t}/single.csv", "line 2", "column 'colour'"],
        ),
        # models and prediction data
        (
            ["predict", model, f"{t}/other_columns.csv", "-o", f"{t}/out.csv"],
            [f"{t}/other_columns.csv", "'x2'"],
        ),
        (
            ["predict", f"{t}/not_model.npz", blobs, "-o", f"{t}/out.csv"],
            [f"{t}/not_model.npz", "not a glassnet model"],
        ),
        (["predict", f"{t}/truncated.npz", blobs, "-o", f"{t}/out.csv"], [f"{t}/truncated.npz"]),
        (["info", f"{t}/empty.npz"], [f"{t}/empty.npz", "empty"]),
        (["info", f"{t}/tampered.npz"], [f"{t}/tampered.npz", "SHA-256"]),
        (["info", f"{t}/missing.npz"], [f"{t}/missing.npz", "no such file"]),
        (["evaluate", model, f"{t}/other_columns.csv"], [f"{t}/other_columns.csv"]),
        (["evaluate", model, f"{t}/unseen.csv"], [f"{t}/unseen.csv", "line 2", "'green'"]),
        (["predict", line_model, blobs, "--proba", "-o", f"{t}/out.csv"], ["--proba", line_model]),
        (
            ["predict", model, f"{t}/ragged.csv", "-o", f"{t}/out.csv"],
            [f"{t}/ragged.csv", "line 3"],
        ),
        (
            ["plot", "boundary", f"{t}/three.npz", f"{t}/three.csv", "-o", f"{t}/out.png"],
            [f"{t}/three.npz", "exactly 2"],
        ),
        (
            ["plot", "boundary", line_model, str(files["line"]), "-o", f"{t}/out.png"],
            [line_model, "regression"],
        ),
        # output paths
        (
            ["train", blobs, "--target", "colour", "-o", f"{t}/no/such/dir/out.npz"],
            [f"{t}/no/such/dir/out.npz", "no such directory"],
        ),
        (["train", blobs, "--target", "colour", "-o", f"{t}/a_dir.csv"], ["directory"]),
        ([*train, blobs, "--plot", f"{t}/no/dir/out.png"], [f"{t}/no/dir/out.png"]),
        (["predict", model, blobs, "-o", f"{t}/nowhere/out.csv"], [f"{t}/nowhere/out.csv"]),
        # options
        ([*train, blobs, "--bogus"], ["unrecognized arguments: --bogus"]),
        ([*train, blobs, "--hidden", "0,-3"], ["--hidden", "'0,-3'"]),
        ([*train, blobs, "--hidden", "abc"], ["--hidden", "'abc'"]),
        ([*train, blobs, "--epochs", "0"], ["--epochs", "'0'"]),
        ([*train, blobs, "--learning-rate", "-1"], ["--learning-rate", "'-1'"]),
        ([*train, blobs, "--learning-rate", "nan"], ["--learning-rate", "'nan'"]),
        ([*train, blobs, "--batch-size", "x"], ["--batch-size", "'x'"]),
        ([*train, blobs, "--validation-split", "1.5"], ["--validation-split", "'1.5'"]),
        ([*train, blobs, "--early-stopping", "0"], ["--early-stopping", "'0'"]),
        ([*train, blobs, "--seed", "-1"], ["--seed", "'-1'"]),
        ([*train, blobs, "--dtype", "float16"], ["--dtype", "'float16'"]),
        ([*train, blobs, "--task", "foo"], ["--task", "'foo'"]),
        ([*train, blobs, "--activation", "softmax"], ["--activation", "'softmax'"]),
        ([*train, blobs, "--optimizer", "lbfgs"], ["--optimizer", "'lbfgs'"]),
        ([*train, blobs, "--dataset", "moons"], ["either"]),
        (["train", "--dataset", "mnist", "-o", f"{t}/out.npz"], ["'mnist'", "moons"]),
        (["train", blobs, "-o", f"{t}/out.npz"], ["--target"]),
        ([*train, blobs, "--plot", f"{t}/out.npz"], ["same file"]),
        (["train", blobs, "--target", "colour"], ["-o/--output"]),
        (["predict", model], ["DATA"]),
        (
            ["plot", "boundary", model, blobs, "-o", f"{t}/out.png", "--resolution", "5"],
            ["--resolution"],
        ),
        (["plot", "pie", model], ["'pie'"]),
        (["frobnicate"], ["'frobnicate'"]),
    ]


def test_every_bad_input_is_one_line_exit_2_and_writes_nothing(files, tmp_path, capsys):
    cases = _bad_inputs(tmp_path, files)
    capsys.readouterr()
    before = sorted(p.name for p in tmp_path.iterdir())
    for args, needles in cases:
        rc, out, err = run(capsys, *args)
        assert rc == 2, (args, out, err)
        assert_one_line_error(err, *needles)
        assert out == "", (args, out)
        assert sorted(p.name for p in tmp_path.iterdir()) == before, args  # nothing new, no temp


def test_a_failed_run_never_clobbers_an_existing_output(files, tmp_path, capsys):
    model_path, plot_path = tmp_path / "model.npz", tmp_path / "curves.png"
    model_path.write_bytes(b"old model")
    plot_path.write_bytes(b"old plot")
    bad = write_csv(tmp_path / "bad.csv", ["x1", "x2", "colour"], [[1, "oops", "red"]])
    rc, _, err = run(
        capsys, "train", bad, "--target", "colour", "-o", model_path, "--plot", plot_path
    )
    assert rc == 2
    # a run that fails during training (it diverges) must not touch them either
    rc, _, err = run(
        capsys,
        "train",
        files["line"],
        "--target",
        "y",
        "-o",
        model_path,
        "--plot",
        plot_path,
        "--optimizer",
        "sgd",
        "--learning-rate",
        "1e8",
        "--epochs",
        "20",
    )
    assert rc == 2
    assert_one_line_error(err, "diverged")
    assert model_path.read_bytes() == b"old model"
    assert plot_path.read_bytes() == b"old plot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "curves.png", "model.npz"]
    predictions = tmp_path / "p.csv"
    predictions.write_text("old\n")
    rc, _, _ = run(capsys, "predict", files["blobs_model"], bad, "-o", predictions)
    assert rc == 2 and predictions.read_text() == "old\n"


# --- the real command, in subprocesses ------------------------------------------------------------


def test_end_to_end_in_subprocesses_train_info_evaluate_predict(files, tmp_path):
    model_path, curves = tmp_path / "model.npz", tmp_path / "curves.png"
    result = glassnet(
        "train",
        files["blobs"],
        "--target",
        "colour",
        "-o",
        model_path,
        "--hidden",
        "8,4",
        "--epochs",
        "30",
        "--validation-split",
        "0.2",
        "--plot",
        curves,
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert json.loads(result.stdout)["model"] == str(model_path)
    assert curves.read_bytes().startswith(b"\x89PNG")
    info = glassnet("info", model_path)
    assert info.returncode == 0 and b"Dense" in info.stdout
    predicted = glassnet("predict", model_path, files["blobs"], "-o", tmp_path / "p.csv")
    assert predicted.returncode == 0 and predicted.stdout == b""
    assert (tmp_path / "p.csv").read_text().splitlines()[0] == "colour"


def test_commands_pipe_through_stdin_and_stdout(files, tmp_path):
    model = glassnet("train", files["line"], "--target", "y", "-o", "-", "--epochs", "5", "-q")
    assert model.returncode == 0, model.stderr
    assert model.stdout[:2] == b"PK"  # a zip archive: the .npz model file
    rows = "x1,x2\n0.5,0.5\n-0.5,0\n"
    by_stdin_model = glassnet("predict", "-", files["line"], stdin=model.stdout)
    (tmp_path / "m.npz").write_bytes(model.stdout)
    by_stdin_data = glassnet("predict", tmp_path / "m.npz", "-", stdin=rows.encode())
    assert by_stdin_model.returncode == 0 and by_stdin_data.returncode == 0
    assert by_stdin_data.stdout.decode().splitlines()[0] == "y"
    assert len(by_stdin_data.stdout.decode().splitlines()) == 3
    assert len(by_stdin_model.stdout.decode().splitlines()) == 61


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "{t}/missing.csv", "--target", "y", "-o", "{t}/m.npz"], "{t}/missing.csv"),
        (["train", "{t}/ragged.csv", "--target", "y", "-o", "{t}/m.npz"], "line 3"),
        (
            ["train", "{t}/ragged.csv", "--target", "y", "-o", "{t}/m.npz", "--epochs", "x"],
            "--epochs",
        ),
        (["info", "{t}/ragged.csv"], "not a glassnet model"),
    ],
)
def test_bad_input_in_a_subprocess_is_one_line_without_traceback(args, needle, tmp_path):
    (tmp_path / "ragged.csv").write_text("x,y\n1,2\n3\n")
    t = str(tmp_path)
    result = glassnet(*[a.format(t=t) for a in args])
    assert result.returncode == 2
    assert_one_line_error(result.stderr.decode(), needle.format(t=t))
    assert result.stdout == b""
    assert not (tmp_path / "m.npz").exists()


def test_plot_without_matplotlib_fails_before_training(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the plot extra were missing
    model_path = tmp_path / "m.npz"
    rc, out, err = run(
        capsys,
        "train",
        files["blobs"],
        "--target",
        "colour",
        "-o",
        model_path,
        "--plot",
        tmp_path / "c.png",
        *FAST,
    )
    assert rc == 2 and out == ""
    assert_one_line_error(err, "--plot", "pip install 'glassnet[plot]'")
    assert not list(tmp_path.iterdir())
