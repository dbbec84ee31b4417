"""`glassnet datasets` and `glassnet datasets export`: the built-in data as CSV files that the
other commands read — the same data a model trained with `--dataset NAME` saw."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.preprocessing import Predictor, Preprocessing

FAST = ["--hidden", "16", "--epochs", "60", "-q"]


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_export_writes_feature_columns_then_the_target_with_class_names(tmp_path, capsys):
    pytest.importorskip("sklearn")
    rc, out, err = run(capsys, "datasets", "export", "iris", "-o", tmp_path / "iris.csv")
    assert (rc, out, err) == (0, "", "")
    data = gn.datasets.load("iris")
    header, *rows = read_rows(tmp_path / "iris.csv")
    assert header == [*data.feature_names, "species"]
    assert len(rows) == 150
    np.testing.assert_array_equal(np.array([r[:-1] for r in rows], dtype=np.float64), data.X)
    assert [r[-1] for r in rows] == [data.target_names[k] for k in data.y]  # type: ignore[index]
    assert {r[-1] for r in rows} == {"setosa", "versicolor", "virginica"}


def test_export_writes_regression_targets_as_exact_numbers(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert run(capsys, "datasets", "export", "diabetes", "-o", tmp_path / "d.csv")[0] == 0
    header, *rows = read_rows(tmp_path / "d.csv")
    assert header[-1] == "progression"
    values = np.array([r[-1] for r in rows], dtype=np.float64)
    np.testing.assert_array_equal(values, gn.datasets.load("diabetes").y)


def test_export_seed_gives_the_data_train_dataset_with_that_seed_sees(tmp_path, capsys):
    for seed in ("0", "7"):
        path = tmp_path / f"moons{seed}.csv"
        assert run(capsys, "datasets", "export", "moons", "--seed", seed, "-o", path)[0] == 0
        header, *rows = read_rows(path)
        data = gn.datasets.load("moons", seed=int(seed))
        assert header == ["x1", "x2", "class"]
        np.testing.assert_array_equal(np.array([r[:2] for r in rows], dtype=float), data.X)
    assert (tmp_path / "moons0.csv").read_text() != (tmp_path / "moons7.csv").read_text()
    # without --seed: train's default seed, 0
    assert run(capsys, "datasets", "export", "moons", "-o", tmp_path / "default.csv")[0] == 0
    assert (tmp_path / "default.csv").read_text() == (tmp_path / "moons0.csv").read_text()


def test_export_dash_writes_the_csv_to_stdout(capsys, tmp_path):
    rc, out, err = run(capsys, "datasets", "export", "xor", "-o", "-")
    assert (rc, err) == (0, "")
    assert out.splitlines() == ["x1,x2,y", "0.0,0.0,0", "0.0,1.0,1", "1.0,0.0,1", "1.0,1.0,0"]


def test_export_unknown_name_exits_2_listing_the_known_ones(tmp_path, capsys):
    rc, out, err = run(capsys, "datasets", "export", "mnist", "-o", tmp_path / "m.csv")
    assert rc == 2 and out == ""
    assert err.startswith(
        "glassnet datasets export: error: argument NAME: unknown data set 'mnist'"
    )
    assert all(name in err for name in gn.datasets.names()) and err.count("\n") == 1
    assert not (tmp_path / "m.csv").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["datasets", "export"], "the following arguments are required: NAME, -o/--output"),
        (["datasets", "export", "xor"], "the following arguments are required: -o/--output"),
        (["datasets", "export", "xor", "-o", "x.csv", "--seed", "-1"], "argument --seed"),
        (["datasets", "bogus"], "invalid choice: 'bogus'"),
        (["datasets", "export", "xor", "-o", "{tmp}/no/such/dir/x.csv"], "no such directory"),
    ],
)
def test_export_bad_usage_is_one_line_and_exit_2(args, expected, tmp_path, capsys):
    rc, out, err = run(capsys, *(a.format(tmp=tmp_path) for a in args))
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert expected in err


def test_export_that_fails_leaves_an_existing_file_as_it_was(tmp_path, capsys, monkeypatch):
    path = tmp_path / "digits.csv"
    path.write_text("precious\n")
    monkeypatch.setitem(sys.modules, "sklearn", None)  # digits need scikit-learn
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    rc, _, err = run(capsys, "datasets", "export", "digits", "-o", path)
    assert rc == 2 and "pip install 'glassnet[sklearn]'" in err
    assert path.read_text() == "precious\n"
    assert run(capsys, "datasets", "export", "digits", "-o", tmp_path / "new.csv")[0] == 2
    assert os.listdir(tmp_path) == ["digits.csv"]  # no new or temporary file left behind


def test_export_replaces_a_file_whole(tmp_path, capsys):
    path = tmp_path / "xor.csv"
    path.write_text("old,contents\n" * 1000)
    assert run(capsys, "datasets", "export", "xor", "-o", path)[0] == 0
    assert path.read_text().splitlines()[0] == "x1,x2,y" and len(read_rows(path)) == 5


def test_the_listing_still_works_beside_export(capsys):
    rc, out, err = run(capsys, "datasets")
    assert rc == 0 and err == "" and out.splitlines()[0].startswith("tutorial ")
    rc, out, _ = run(capsys, "datasets", "--json")
    assert rc == 0 and [d["name"] for d in json.loads(out)] == gn.datasets.names()


def test_export_note_on_a_terminal_names_the_target_to_train_on(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    rc, _, err = run(capsys, "datasets", "export", "moons", "-o", tmp_path / "m.csv")
    assert rc == 0 and "--target class" in err and "200 rows" in err


# --- the round trip: train --dataset, export, then every command that reads data ----------------


def accuracy_on(model_path: Path, name: str, seed: int) -> float:
    """The model's accuracy on the data set as `datasets.load` gives it (no CSV in between)."""
    model = gn.load(model_path)
    predictor = Predictor(model, Preprocessing.from_model(model, source=str(model_path)))
    data = gn.datasets.load(name, seed=seed)
    labels = np.array(predictor.labels(predictor.predict(data.X)))
    return float(np.mean(labels == np.array(data.target_names)[data.y]))


@pytest.mark.parametrize(
    ("name", "seed"), [("moons", 3), ("xor", 0), ("iris", 0), ("breast_cancer", 0)]
)
def test_a_model_trained_on_a_dataset_evaluates_on_its_export_as_training_reported(
    name, seed, tmp_path, capsys
):
    if name in ("iris", "breast_cancer"):
        pytest.importorskip("sklearn")
    model, data = tmp_path / "m.npz", tmp_path / f"{name}.csv"
    # xor needs its 4 rows as one batch and more steps to be learned
    extra = ["--batch-size", "4", "--epochs", "400", "--learning-rate", "0.05"] * (name == "xor")
    rc, out, err = run(
        capsys, "train", "--dataset", name, "--seed", seed, "-o", model, "--json", *FAST, *extra
    )
    assert rc == 0, err
    reported = json.loads(out)["accuracy"]
    assert run(capsys, "datasets", "export", name, "--seed", seed, "-o", data)[0] == 0
    rc, out, err = run(capsys, "evaluate", model, data, "--json")  # no --target: the model's
    assert rc == 0, err
    scores = json.loads(out)
    assert scores["accuracy"] == accuracy_on(model, name, seed)  # the very data it trained on
    assert scores["accuracy"] == reported  # trained to where an epoch no longer changes it
    assert scores["n_samples"] == len(gn.datasets.load(name, seed=seed).X)


def test_a_regression_model_trained_on_a_dataset_evaluates_on_its_export(tmp_path, capsys):
    pytest.importorskip("sklearn")
    model, data = tmp_path / "d.npz", tmp_path / "d.csv"
    assert run(capsys, "train", "--dataset", "diabetes", "-o", model, *FAST)[0] == 0
    assert run(capsys, "datasets", "export", "diabetes", "-o", data)[0] == 0
    rc, out, err = run(capsys, "evaluate", model, data, "--json")
    assert rc == 0, err
    d = gn.datasets.load("diabetes")
    loaded = gn.load(model)
    predictor = Predictor(loaded, Preprocessing.from_model(loaded, source="d.npz"))
    assert json.loads(out)["r2"] == pytest.approx(gn.metrics.r2_score(d.y, predictor.predict(d.X)))


def test_training_on_the_export_learns_exactly_what_training_on_the_dataset_learns(
    tmp_path, capsys
):
    on_dataset, on_file = tmp_path / "a.npz", tmp_path / "b.npz"
    data = tmp_path / "spirals.csv"
    assert run(capsys, "datasets", "export", "spirals", "--seed", "2", "-o", data)[0] == 0
    rc, a, err = run(capsys, "train", "--dataset", "spirals", "--seed", "2", "-o", on_dataset,
                     "--json", *FAST)  # fmt: skip
    assert rc == 0, err
    rc, b, err = run(capsys, "train", data, "--target", "class", "--seed", "2", "-o", on_file,
                     "--json", *FAST)  # fmt: skip
    assert rc == 0, err
    a, b = json.loads(a), json.loads(b)
    assert (a["loss"], a["accuracy"], a["classes"]) == (b["loss"], b["accuracy"], b["classes"])
    for w, v in zip(gn.load(on_dataset).get_weights(), gn.load(on_file).get_weights()):
        np.testing.assert_array_equal(w, v)


def test_a_dataset_model_is_diagnosed_explained_and_plotted_on_its_export(tmp_path, capsys):
    model, data = tmp_path / "m.npz", tmp_path / "moons.csv"
    assert run(capsys, "train", "--dataset", "moons", "-o", model, *FAST)[0] == 0
    assert run(capsys, "datasets", "export", "moons", "-o", data)[0] == 0
    rc, out, err = run(capsys, "diagnose", model, data, "--json")
    assert rc == 0, err
    assert json.loads(out)["data"] == str(data)
    rc, out, err = run(capsys, "explain", model, data, "--rows", "5")
    assert rc == 0 and "Dense" in out, err
    rc, out, err = run(capsys, "predict", model, data, "-o", tmp_path / "p.csv")
    assert rc == 0, err
    assert (
        read_rows(tmp_path / "p.csv")[0] == ["class"] and len(read_rows(tmp_path / "p.csv")) == 201
    )
    pytest.importorskip("matplotlib")
    rc, _, err = run(capsys, "plot", "boundary", model, data, "-o", tmp_path / "b.png",
                     "--resolution", "40")  # fmt: skip
    assert rc == 0, err
    assert (tmp_path / "b.png").read_bytes().startswith(b"\x89PNG")


def test_export_through_a_pipe_feeds_evaluate(tmp_path):
    """The real command: `datasets export xor -o -` piped into `evaluate MODEL -`."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    model = tmp_path / "xor.npz"

    def glassnet(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "glassnet", *map(str, args)]
        return subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=120)

    trained = glassnet("train", "--dataset", "xor", "-o", model, "-q", "--epochs", "5")
    assert trained.returncode == 0, trained.stderr
    exported = glassnet("datasets", "export", "xor", "-o", "-")
    assert exported.returncode == 0 and exported.stderr == b""
    scored = glassnet("evaluate", model, "-", "--json", stdin=exported.stdout)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["n_samples"] == 4
