"""The glassnet command on real tables: strings, missing values, dates and IDs out of the box.

train learns each column's use (its schema) and says how; predict, evaluate, explain, diagnose
and plot read new files through the model's schema; info shows it. The tables are written here
with the quirks real files have (a BOM, CRLF, quoted commas, NA markers, trailing blank lines).
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
from glassnet.preprocessing import Preprocessing

FAST = ["--hidden", "8", "--epochs", "30", "--batch-size", "16"]
SPECIES = ("Adelie", "Chinstrap", "Gentoo")


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_one_line_error(rc: int, out: str, err: str, *needles: str) -> None:
    assert rc == 2, (out, err)
    assert out == "" and "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def report(err: str) -> dict[str, str]:
    """train's report of each column's use, by column name."""
    lines = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    return dict(re.split(r"\s{2,}", line, maxsplit=1) for line in lines)  # type: ignore[misc]


def write(path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    text = ("\ufeff" if bom else "") + end.join(lines) + end + end
    path.write_bytes(text.encode("utf-8"))
    return path


def penguins_lines(n: int = 90, seed: int = 0) -> list[str]:
    """species (target), island and sex (categories, NA in sex), numbers with NA, a row whose
    species is missing, a quoted comment with a comma, a per-row ID."""
    rng = np.random.default_rng(seed)
    lines = ['Individual ID,species,island,bill_length_mm,flipper_length_mm,sex,"Comments"']
    for i in range(n):
        k = i % 3
        island = ("Torgersen", "Dream", "Biscoe")[k] if i % 5 else "Dream"
        bill = "NA" if i % 17 == 2 else f"{(39, 49, 47)[k] + rng.normal():.1f}"
        flipper = "" if i % 13 == 6 else f"{(190, 196, 217)[k] + 3 * rng.normal():.0f}"
        sex = "NA" if i % 11 == 4 else ("male", "female")[i % 2]
        species = "NA" if i == 10 else SPECIES[k]
        comment = '"Nest never observed with full clutch, sadly."' if i % 9 == 0 else ""
        lines.append(f"N{i // 2 + 1}A{i % 2 + 1},{species},{island},{bill},{flipper},{sex},"
                     f"{comment}")  # fmt: skip
    return lines


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("tables")
    data = write(tmp / "penguins.csv", penguins_lines(), bom=True, crlf=True)
    model = tmp / "penguins.npz"
    assert main(["train", str(data), "--target", "species", "-o", str(model), *FAST, "-q"]) == 0
    new = write(tmp / "new.csv", [
        "extra,sex,flipper_length_mm,island,bill_length_mm,species,Individual ID",
        "1,male,190,Torgersen,39.5,Adelie,007",
        "2,female,217,Atlantis,47.0,Gentoo,N9A2",
        "3,NA,196,Dream,NA,,N9A3",
        "4,female,,Biscoe,48.0,Gentoo,N9A4",
    ])  # fmt: skip
    return {"data": data, "model": model, "new": new, "tmp": tmp}


def test_train_reports_how_each_column_of_a_real_table_is_used(trained, tmp_path, capsys):
    rc, out, err = run(capsys, "train", trained["data"], "--target", "species", "-o",
                       tmp_path / "m.npz", *FAST, "--json")  # fmt: skip
    assert rc == 0, err
    assert "columns of" in err and "(target 'species')" in err
    used = report(err)
    assert used["Individual ID"].startswith("set aside: identifier")
    assert used["island"] == "category (3 values)"
    assert used["bill_length_mm"].startswith("number; 6 missing, filled with")
    assert used["sex"].startswith("category (2 values); 8 missing, filled with")
    assert used["Comments"].startswith("set aside: constant")
    assert err.splitlines()[-1] == (
        f"note: {trained['data']}: left out 1 row with no value in the target column 'species'"
    )
    summary = json.loads(out)  # stdout holds only the JSON asked for
    kinds = {c["name"]: c["kind"] for c in summary["columns"]}
    assert kinds == {"Individual ID": "identifier", "island": "category",
                     "bill_length_mm": "number", "flipper_length_mm": "number",
                     "sex": "category", "Comments": "constant"}  # fmt: skip
    island = next(c for c in summary["columns"] if c["name"] == "island")
    assert island["inputs"] == ["island=Biscoe", "island=Dream", "island=Torgersen"]
    assert summary["rows_without_target"] == 1 and summary["n_samples"] == 89
    assert summary["n_features"] == 7


def test_predict_reads_extra_columns_the_target_and_unseen_categories_with_notes(trained, capsys):
    rc, out, err = run(capsys, "predict", trained["model"], trained["new"])
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "species" and len(lines) == 5
    assert all(label in SPECIES for label in lines[1:])
    assert err.splitlines() == [
        f"note: {trained['new']}: ignoring 2 columns the model does not use: 'extra', "
        "'Individual ID'",
        f"note: {trained['new']}, column 'island': 1 row with a category not seen in training "
        "('Atlantis'), given all-zero inputs",
    ]


def test_predict_id_writes_that_column_first_as_it_is_spelled(trained, tmp_path, capsys):
    out_path = tmp_path / "p.csv"
    rc, out, err = run(capsys, "predict", trained["model"], trained["new"], "--id",
                       "Individual ID", "--proba", "-o", out_path)  # fmt: skip
    assert rc == 0 and out == ""
    rows = out_path.read_text().splitlines()
    assert rows[0] == "Individual ID,Adelie,Chinstrap,Gentoo"
    assert [r.split(",")[0] for r in rows[1:]] == ["007", "N9A2", "N9A3", "N9A4"]  # not 7.0
    assert "ignoring 1 column the model does not use: 'extra'" in err
    rc, out, err = run(capsys, "predict", trained["model"], trained["new"], "--id", "individual id")
    assert_one_line_error(rc, out, err, "--id", "no column 'individual id'",
                          "did you mean 'Individual ID'?")  # fmt: skip


def test_evaluate_leaves_out_rows_without_a_target_and_says_so(trained, capsys):
    rc, out, err = run(capsys, "evaluate", trained["model"], trained["new"], "--json")
    assert rc == 0, err
    assert json.loads(out)["n_samples"] == 3
    assert f"note: {trained['new']}: left out 1 row with no value in the target column" in err


def test_a_missing_feature_column_is_one_line_naming_it(trained, tmp_path, capsys):
    lacking = write(tmp_path / "lacking.csv", ["island,bill_length_mm,sex", "Dream,40,male"])
    rc, out, err = run(capsys, "predict", trained["model"], lacking)
    assert_one_line_error(rc, out, err, str(lacking), "'flipper_length_mm'")


def test_info_shows_the_schema_in_text_and_json(trained, capsys):
    rc, out, err = run(capsys, "info", trained["model"])
    assert rc == 0 and err == ""
    assert "columns:" in out and "island             category (3 values)" in out
    assert "island: 'Biscoe', 'Dream', 'Torgersen'" in out
    assert "Individual ID      set aside: identifier" in out
    assert "missing values: '', 'NA'" in out
    rc, out, _ = run(capsys, "info", trained["model"], "--json")
    schema = json.loads(out)["schema"]
    sex = next(c for c in schema["columns"] if c["name"] == "sex")
    assert sex["kind"] == "category" and sex["categories"] == ["female", "male"]
    assert sex["fill"] in ("female", "male") and sex["missing"] == 8
    assert schema["target"] == "species"


def test_explain_shows_values_as_read_beside_what_the_network_sees(trained, capsys):
    rc, out, err = run(capsys, "explain", trained["model"], trained["data"], "--rows", "3")
    assert rc == 0, err
    inputs = out.split("2. Weighted sums")[0]
    assert "1. Inputs — each value as read, beside the numbers the network sees" in inputs
    assert "island = ['Dream' 'Dream' 'Biscoe']" in inputs
    assert "inputs[island=Biscoe, island=Dream, island=Torgersen] =" in inputs
    assert "x[island=Biscoe, island=Dream, island=Torgersen] =" in inputs
    assert "bill_length_mm = [" in inputs and "x[bill_length_mm] = [" in inputs
    loss = out.split("== loss ==")[1].split("== backward ==")[0]
    assert "y as read = ['Adelie' 'Chinstrap' 'Gentoo']" in loss
    assert "y one-hot [Adelie, Chinstrap, Gentoo] =" in loss and "[[1 0 0]" in loss
    rc, out, _ = run(capsys, "explain", trained["model"], trained["data"], "--rows", "2",
                     "--format", "json")  # fmt: skip
    first = json.loads(out)["steps"][0]["values"]
    assert first["island"] == ["Dream", "Dream"]
    assert np.asarray(first["inputs[island=Biscoe, island=Dream, island=Torgersen]"]).tolist() == [
        [0, 1, 0],
        [0, 1, 0],
    ]


def test_diagnose_and_plot_read_a_real_table_through_the_schema(trained, tmp_path, capsys):
    rc, out, err = run(capsys, "diagnose", trained["model"], trained["new"], "--json")
    assert rc == 0, err
    assert json.loads(out)["model"] == str(trained["model"])
    pytest.importorskip("matplotlib")
    rc, out, err = run(capsys, "plot", "network", trained["model"], "-o", tmp_path / "n.png")
    assert rc == 0, err


def test_ignore_sets_columns_aside_and_an_unknown_name_gets_a_spelling_hint(trained, tmp_path,
                                                                            capsys):  # fmt: skip
    model = tmp_path / "m.npz"
    rc, out, err = run(capsys, "train", trained["data"], "--target", "species", "-o", model,
                       *FAST, "--ignore", "sex,island", "--json")  # fmt: skip
    assert rc == 0, err
    used = json.loads(out)["columns"]
    assert [c["kind"] for c in used if c["name"] in ("island", "sex")] == ["ignored", "ignored"]
    assert "set aside: ignored (--ignore)" in err
    assert gn.load(model).n_features_in == 2
    # the model does not use them: predict needs neither
    plain = write(tmp_path / "plain.csv", ["bill_length_mm,flipper_length_mm", "40,190"])
    assert run(capsys, "predict", model, plain)[0] == 0
    for wrong, hint in (("Island", "did you mean 'island'?"), ("bill_lenght_mm", "bill_length")):
        rc, out, err = run(capsys, "train", trained["data"], "--target", "species", "-o",
                           tmp_path / "x.npz", "--ignore", wrong)  # fmt: skip
        assert_one_line_error(rc, out, err, "glassnet train: error: argument --ignore", repr(wrong),
                              hint)  # fmt: skip
    rc, out, err = run(capsys, "train", trained["data"], "--target", "species", "-o",
                       tmp_path / "x.npz", "--ignore", "species")  # fmt: skip
    assert_one_line_error(rc, out, err, "'species' is the target column")
    assert not (tmp_path / "x.npz").exists()


def test_na_markers_are_learned_stored_and_used_again_at_prediction(tmp_path, capsys):
    rows = [f"{20 + i % 50},{i % 2}" for i in range(40)]
    rows[7] = "-,1"
    data = write(tmp_path / "ages.csv", ["age,label", *rows])
    model = tmp_path / "m.npz"
    rc, out, err = run(capsys, "train", data, "--target", "label", "-o", model, *FAST)
    assert_one_line_error(rc, out, err, f"{data} line 9, column 'age': expected a number, got '-'",
                          "(if it marks a missing value: --na=-)")  # fmt: skip
    rc, out, err = run(capsys, "train", data, "--target", "label", "-o", model, *FAST,
                       "--na=-,unknown", "--na-indicator", "-q")  # fmt: skip
    assert rc == 0, err
    prep = Preprocessing.from_model(gn.load(model), source="m")
    assert prep.features == ["age", "age.missing"]
    assert prep.schema is not None and prep.schema.na[-2:] == ["-", "unknown"]
    new = write(tmp_path / "new.csv", ["age", "-", "unknown", "30"])
    rc, out, err = run(capsys, "predict", model, new)
    assert rc == 0 and len(out.splitlines()) == 4 and err == ""


def test_a_weather_table_with_dates_trains_and_predicts(tmp_path, capsys):
    rng = np.random.default_rng(3)
    days = np.arange(np.datetime64("2022-01-01"), np.datetime64("2023-12-31"), 3)
    lines = ["date,wind,weather,temp_max"]
    for i, d in enumerate(days):
        month = d.astype("datetime64[M]").astype(int) % 12 + 1
        temp = 15 - 10 * np.cos(2 * np.pi * (month - 1) / 12) + rng.normal()
        weather = ("sun", "rain", "fog")[i % 3 if i % 4 else 0]
        lines.append(f"{d},{rng.uniform(0, 8):.1f},{weather},{temp:.1f}")
    data = write(tmp_path / "weather.csv", lines)
    model = tmp_path / "w.npz"
    rc, out, err = run(capsys, "train", data, "--target", "temp_max", "-o", model, *FAST, "--json")
    assert rc == 0, err
    features = json.loads(out)["columns"][0]["inputs"]
    assert features == ["date.year", "date.month", "date.day", "date.dayofyear", "date.weekday"]
    assert report(err)["date"].startswith("date → date.year, date.month")
    new = write(tmp_path / "new.csv", ["date,wind,weather", "2024-07-01,3.0,sun",
                                       "2024/01/15,1.0,fog", ",2.0,rain"])  # fmt: skip
    rc, out, err = run(capsys, "predict", model, new)
    assert rc == 0 and err == "" and len(out.splitlines()) == 4
    bad = write(tmp_path / "bad.csv", ["date,wind,weather", "July 1st,3.0,sun"])
    rc, out, err = run(capsys, "predict", model, bad)
    assert_one_line_error(rc, out, err, f"{bad} line 2, column 'date': expected a date")


def test_a_patient_table_never_learns_from_its_id_columns(tmp_path, capsys):
    rng = np.random.default_rng(4)
    lines = ["PatientID,record,age,cholesterol,smoker,notes,risk"]
    for i in range(60):
        age, chol = 30 + i % 45, 160 + 80 * rng.random()
        smoker = ("yes", "no")[i % 3 == 0]
        risk = int(chol > 200 or smoker == "yes")
        lines.append(f"P{i + 1:04d},{i + 1},{age},{chol:.2f},{smoker},"
                     f'"seen by dr. {i % 7}, follow up in {i % 5 + 1} weeks",{risk}')  # fmt: skip
    data = write(tmp_path / "patients.csv", lines)
    model = tmp_path / "p.npz"
    rc, out, err = run(capsys, "train", data, "--target", "risk", "-o", model, *FAST, "--json")
    assert rc == 0, err
    assert json.loads(out)["n_features"] == 3  # age, cholesterol, smoker
    used = report(err)
    assert used["PatientID"].startswith("set aside: identifier")
    assert used["record"].startswith("set aside: identifier (the integers 1 to 60")
    assert used["notes"].startswith("set aside: free text")
    assert used["smoker"] == "boolean"
    out_path = tmp_path / "pred.csv"
    rc, out, err = run(capsys, "predict", model, data, "--id", "PatientID", "-o", out_path)
    assert rc == 0
    assert out_path.read_text().splitlines()[:2] == ["PatientID,risk", out_path.read_text()
                                                     .splitlines()[1]]  # fmt: skip
    assert out_path.read_text().splitlines()[1].startswith("P0001,")


def test_a_model_saved_before_schemas_predicts_as_before(trained, tmp_path, capsys):
    # a model file as 'glassnet train' wrote it before this change: preprocessing, no schema
    rows = [f"{0.1 * i},{0.2 * (i % 7)},{('a', 'b')[i % 2]}" for i in range(30)]
    data = write(tmp_path / "d.csv", ["x1,x2,label", *rows])
    new_model = tmp_path / "new.npz"
    assert run(capsys, "train", data, "--target", "label", "-o", new_model, *FAST, "-q")[0] == 0
    old_model = tmp_path / "old.npz"
    with zipfile.ZipFile(new_model) as src, zipfile.ZipFile(old_model, "w") as dst:
        for item in src.namelist():
            blob = src.read(item)
            if item == "manifest.json":
                manifest = json.loads(blob)
                del manifest["metadata"]["schema"]
                blob = json.dumps(manifest).encode()
            dst.writestr(item, blob)
    assert Preprocessing.from_model(gn.load(old_model), source="old").schema is None
    new_out = run(capsys, "predict", new_model, data)
    old_out = run(capsys, "predict", old_model, data)
    assert old_out == new_out and old_out[0] == 0
    # ... and explains as before: no values as read, only the numbers
    rc, out, _ = run(capsys, "explain", old_model, data, "--rows", "2")
    assert rc == 0 and "1. Inputs\n   x: one row per example\n   x =" in out
    assert "as read" not in out


@pytest.mark.parametrize(
    ("schema", "needle"),
    [
        ("nonsense", "expected a JSON object"),
        ({"version": 1, "na": [], "target": "species", "columns": [{"name": "x"}]}, "kind"),
        ("drop-a-column", "differ"),
        ("bad-fill", "fill must be a finite number"),
    ],
)
@pytest.mark.parametrize("command", ["info", "predict", "explain"])
def test_a_malformed_schema_in_a_model_file_is_one_line(trained, tmp_path, capsys, schema,
                                                        needle, command):  # fmt: skip
    with zipfile.ZipFile(trained["model"]) as src:
        manifest = json.loads(src.read("manifest.json"))
        stored = manifest["metadata"]["schema"]
        if schema == "drop-a-column":
            schema = {**stored, "columns": stored["columns"][1:3]}
        elif schema == "bad-fill":
            columns = [dict(c) for c in stored["columns"]]
            next(c for c in columns if c["kind"] == "number")["fill"] = "NaN"
            schema = {**stored, "columns": columns}
        manifest["metadata"]["schema"] = schema
        edited = tmp_path / "edited.npz"
        with zipfile.ZipFile(edited, "w") as dst:
            for item in src.namelist():
                dst.writestr(item, json.dumps(manifest) if item == "manifest.json"
                             else src.read(item))  # fmt: skip
    args = {"info": ["info", edited], "predict": ["predict", edited, trained["new"]],
            "explain": ["explain", edited, trained["data"]]}[command]  # fmt: skip
    rc, out, err = run(capsys, *args)
    assert_one_line_error(rc, out, err, f"cannot load model file '{edited}': its schema is "
                          "malformed", needle)  # fmt: skip


def test_notes_go_to_stderr_and_stdout_holds_only_the_predictions(trained, tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "predict", str(trained["model"]), "-", "--id",
         "Individual ID"],
        input=trained["new"].read_bytes(), capture_output=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode().splitlines()
    assert out[0] == "Individual ID,species" and len(out) == 5
    err = result.stderr.decode()
    assert err.count("\n") == 2 and all(line.startswith("note: <stdin>") for line in
                                        err.splitlines())  # fmt: skip
