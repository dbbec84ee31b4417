"""`glassnet train --stream`: a CSV file trained on chunk by chunk, never read whole.

The tables are written here with the quirks real files have (a BOM, CRLF, quoted commas, NA
markers, dates, an ID column, free text); small chunks (7 rows) put many chunk boundaries in
odd places. Where the sample the schema is learned from matters, `SAMPLE_ROWS` is made small.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import csv_engine
from glassnet.cli import _stream, main
from glassnet.columns import Columns
from glassnet.preprocessing import Preprocessing

FAST = ["--hidden", "8", "--epochs", "3", "--batch-size", "16", "--seed", "3"]
WARDS = ("North", "South", "East")


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_one_line_error(rc: int, out: str, err: str, *needles: str) -> None:
    assert rc == 2, (out, err)
    assert "Traceback" not in err and err.endswith("\n") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def report(err: str) -> list[str]:
    """train's report of each column's use, and its notes."""
    return [line for line in err.splitlines() if not line.startswith("epoch ")]


def write_table(path: Path, n: int = 60, *, last: str = "transferred", age: str = "") -> Path:
    """An ID, a category, numbers with NA, an ISO date with blanks, yes/no, free text with a
    quoted comma, and the target `outcome` (one row without a value; ``last`` only in the last
    two rows); ``age`` replaces the last row's age. BOM, CRLF, a trailing blank line."""
    rng = np.random.default_rng(0)
    lines = ['patient_id,ward,age,admitted,smoker,"notes",outcome']
    for i in range(n):
        k = i % 3
        cell = "NA" if i % 9 == 4 else f"{(35, 55, 70)[k] + 3 * rng.normal():.1f}"
        if age and i == n - 1:
            cell = age
        admitted = "" if i % 11 == 3 else f"2024-{1 + i % 12:02d}-{1 + (i * 5) % 28:02d}"
        notes = f'"seen on ward {WARDS[k]}, no change since the last visit {i}"'
        outcome = "NA" if i == 10 else last if i >= n - 2 else ("home", "home", "icu")[k]
        lines.append(f"P{i:04d},{WARDS[k]},{cell},{admitted},{('yes', 'no')[i % 2]},{notes},"
                     f"{outcome}")  # fmt: skip
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n\r\n").encode())
    return path


def prep_of(model: Path) -> Preprocessing:
    return Preprocessing.from_model(gn.load(model), source=str(model))


def test_stream_in_small_chunks_reports_the_columns_as_training_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_table(tmp_path / "ward.csv", age="unknown")
    options = ["--target", "outcome", "--ignore", "smoker", "--na", "unknown", *FAST]
    rc, _, whole = run(capsys, "train", data, "-o", tmp_path / "m.npz", *options)
    assert rc == 0
    rc, _, streamed = run(capsys, "train", data, "-o", tmp_path / "s.npz", "--stream",
                          "--chunk-rows", "7", *options)  # fmt: skip
    assert rc == 0, streamed
    assert report(streamed) == report(whole)
    text = "\n".join(report(streamed))
    for shown in ("patient_id", "identifier", "ward", "category (3 values)", "admitted", "date",
                  "smoker", "ignored (--ignore)", "age", "8 missing", "notes", "free text",
                  "left out 1 row"):  # fmt: skip
        assert shown in text, shown
    streamed_prep, whole_prep = prep_of(tmp_path / "s.npz"), prep_of(tmp_path / "m.npz")
    assert streamed_prep.schema == whole_prep.schema
    assert streamed_prep.classes == whole_prep.classes == ["home", "icu", "transferred"]
    np.testing.assert_allclose(streamed_prep.mean, whole_prep.mean, rtol=1e-12)
    np.testing.assert_allclose(streamed_prep.scale, whole_prep.scale, rtol=1e-12)


def test_a_stream_trained_model_predicts_through_the_normal_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_table(tmp_path / "ward.csv")
    model = tmp_path / "s.npz"
    assert run(capsys, "train", data, "--target", "outcome", "-o", model, "--stream",
               "--chunk-rows", "7", *FAST, "-q")[0] == 0  # fmt: skip
    rc, out, err = run(capsys, "predict", model, data, "--id", "patient_id")
    assert rc == 0, err
    rows = out.splitlines()
    assert rows[0] == "patient_id,outcome" and len(rows) == 61
    assert rows[1].startswith("P0000,") and rows[-1].startswith("P0059,")
    assert {row.split(",")[1] for row in rows[1:]} <= {"home", "icu", "transferred"}
    rc, out, err = run(capsys, "evaluate", model, data)
    assert rc == 0 and "59 rows" in out, err


def test_classes_seen_only_in_the_last_chunk_are_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "SAMPLE_ROWS", 5)  # the schema's sample cannot hold them all
    data = write_table(tmp_path / "ward.csv", last="deceased")
    model = tmp_path / "s.npz"
    rc, out, err = run(capsys, "train", data, "--target", "outcome", "-o", model, "--stream",
                       "--chunk-rows", "7", *FAST, "--json")  # fmt: skip
    assert rc == 0, err
    assert json.loads(out)["classes"] == ["deceased", "home", "icu"]
    assert prep_of(model).classes == ["deceased", "home", "icu"]


def test_missing_values_are_counted_in_the_whole_file_not_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "SAMPLE_ROWS", 12)
    data = write_table(tmp_path / "ward.csv", n=90)
    model = tmp_path / "s.npz"
    rc, out, err = run(capsys, "train", data, "--target", "outcome", "-o", model, "--stream",
                       "--chunk-rows", "7", "--na-indicator", *FAST, "--json")  # fmt: skip
    assert rc == 0, err
    columns = {c["name"]: c for c in json.loads(out)["columns"]}
    # the row without a target (line 12) is not a training row: its age (i = 10) is there anyway
    assert columns["age"]["missing"] == 10 and columns["admitted"]["missing"] == 8
    assert columns["age"]["indicator"] and "age.missing" in prep_of(model).features
    assert "10 missing, filled with" in err


def test_a_stray_word_in_a_late_chunk_is_one_line_naming_its_line_and_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "SAMPLE_ROWS", 5)  # the word is rarer than the sample sees
    data = write_table(tmp_path / "ward.csv", age="unknown")
    model = tmp_path / "s.npz"
    rc, out, err = run(capsys, "train", data, "--target", "outcome", "-o", model, "--stream",
                       "--chunk-rows", "7", *FAST)  # fmt: skip
    assert_one_line_error(rc, out, err, "ward.csv line 61, column 'age': expected a number, "
                          "got 'unknown' (if it marks a missing value: --na=unknown)")  # fmt: skip
    assert not model.exists()
    rc, out, whole = run(capsys, "train", data, "--target", "outcome", "-o", model, *FAST)
    assert rc == 2 and whole == err  # as training in memory says it


def test_one_chunk_over_the_whole_file_reproduces_training_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # what must be equal: the schema, classes and features, and the standardization (one
    # block: to the bit); what may differ: the shuffling (a generator drawn per chunk)
    data = write_table(tmp_path / "ward.csv")
    whole, streamed = tmp_path / "m.npz", tmp_path / "s.npz"
    options = ["--target", "outcome", "--epochs", "20", "--hidden", "8", "--learning-rate",
               "0.01", "-q"]  # fmt: skip
    assert run(capsys, "train", data, "-o", whole, *options)[0] == 0
    rc, out, err = run(capsys, "train", data, "-o", streamed, "--stream", "--json", *options)
    assert rc == 0, err
    a, b = prep_of(whole), prep_of(streamed)
    assert a.schema == b.schema and a.features == b.features and a.classes == b.classes
    assert [c.kind for c in b.schema.columns] == [
        "identifier", "category", "number", "date", "boolean", "text"]  # fmt: skip
    assert np.array_equal(a.mean, b.mean) and np.array_equal(a.scale, b.scale)
    summary = json.loads(out)
    assert summary["stream"] == {"chunks": 1, "rows": 59, "passes": 23}  # survey, 2, 20 epochs
    assert summary["n_samples"] == 59 and summary["epochs"] == 20
    losses = gn.load(streamed).metadata["training"]["history"]["loss"]
    assert len(losses) == 20 and losses[-1] < 0.8 * losses[0]


def test_an_epochs_loss_is_the_row_weighted_mean_of_its_chunks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_table(tmp_path / "ward.csv")
    rc, out, err = run(capsys, "train", data, "--target", "outcome", "-o", tmp_path / "s.npz",
                       "--stream", "--chunk-rows", "7", *FAST, "-v", "--json")  # fmt: skip
    assert rc == 0
    epochs = [line for line in err.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]  # per epoch, not chunk
    summary = json.loads(out)
    assert summary["stream"] == {"chunks": 9, "rows": 59, "passes": 6}  # survey, 2, 3 epochs
    assert 0 <= summary["accuracy"] <= 1 and summary["loss"] > 0


def test_a_regression_target_with_more_values_than_kept_is_learned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "MAX_LABELS", 10)
    x = np.round(np.linspace(0, 1, 50), 4)
    lines = ["x,y"] + [f"{a},{2 * a + 1}" for a in x]
    data = tmp_path / "line.csv"
    data.write_text("\n".join(lines) + "\n")
    model = tmp_path / "s.npz"
    rc, out, err = run(capsys, "train", data, "--target", "y", "-o", model, "--stream",
                       "--chunk-rows", "7", *FAST, "--json")  # fmt: skip
    assert rc == 0, err
    assert json.loads(out)["task"] == "regression"
    prep = prep_of(model)
    assert prep.target_mean == pytest.approx(2.0) and prep.target_scale == pytest.approx(
        2 * x.std()
    )
    rc, out, err = run(capsys, "predict", model, data)
    assert rc == 0 and len(out.splitlines()) == 51


def test_a_text_target_with_too_many_values_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "MAX_LABELS", 10)
    data = tmp_path / "names.csv"
    data.write_text("x,name\n" + "".join(f"{i},n{i}\n" for i in range(40)))
    rc, out, err = run(capsys, "train", data, "--target", "name", "-o", tmp_path / "s.npz",
                       "--stream", "--chunk-rows", "7")  # fmt: skip
    assert_one_line_error(rc, out, err, "'name' holds more than 10 different values")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--validation-split", "0.2"], "--validation-split needs the rows in memory"),
        (["--early-stopping", "3"], "--early-stopping needs the rows in memory"),
    ],
)
def test_options_that_need_the_rows_in_memory_are_refused_with_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], needle: str
) -> None:
    data = write_table(tmp_path / "ward.csv")
    rc, out, err = run(capsys, "train", data, "--target", "outcome", "-o", tmp_path / "s.npz",
                       "--stream", *options)  # fmt: skip
    assert_one_line_error(rc, out, err, needle)


def test_chunk_rows_without_stream_and_stream_without_a_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_table(tmp_path / "ward.csv")
    out = tmp_path / "s.npz"
    rc, o, err = run(capsys, "train", data, "--target", "outcome", "-o", out, "--chunk-rows", "7")
    assert_one_line_error(rc, o, err, "--chunk-rows is for --stream")
    rc, o, err = run(capsys, "train", "--dataset", "moons", "-o", out, "--stream")
    assert_one_line_error(rc, o, err, "--stream reads a CSV file DATA")


def test_stream_from_standard_input_is_refused_in_one_line(tmp_path: Path) -> None:
    data = write_table(tmp_path / "ward.csv")
    command = [sys.executable, "-m", "glassnet", "train", "-", "--target", "outcome", "-o",
               str(tmp_path / "s.npz"), "--stream"]  # fmt: skip
    with open(data, "rb") as stdin:
        proc = subprocess.run(command, stdin=stdin, capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "reads the file several times" in proc.stderr
    assert not (tmp_path / "s.npz").exists()


# --- the sample ---------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 300),
    size=st.integers(1, 60),
    cuts=st.lists(st.integers(0, 300), max_size=8),
    seed=st.integers(0, 2**16),
)
def test_the_sample_is_the_rows_with_the_smallest_keys_however_the_file_is_cut(
    n: int, size: int, cuts: list[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.random(n)
    keys[rng.random(n) < 0.05] = -1.0  # rows always kept
    values = np.arange(n, dtype=np.float64) * 10
    sample = _stream.RowSample(["v"], size)
    edges = [0, *sorted(min(c, n) for c in cuts), n]
    for start, stop in pairwise(edges):
        chunk = Columns(["v"], {"v": values[start:stop]}, "f.csv", np.arange(start, stop) + 2)
        sample.add(chunk, np.arange(stop - start), keys[start:stop])
    table = sample.columns("f.csv")
    always = np.flatnonzero(keys < 0)
    expected = np.sort(np.argsort(keys, kind="stable")[: max(size, len(always))])
    assert table.values["v"].tolist() == (expected * 10.0).tolist()  # in file order
    assert table.lines.tolist() == (expected + 2).tolist()


def test_the_sample_is_uniform_over_the_file() -> None:
    # every row equally likely, wherever its chunk: each tenth of the file gets ~10% of the picks
    rng = np.random.default_rng(5)
    values = np.arange(10_000, dtype=np.float64)
    counts = np.zeros(10)
    for _ in range(20):
        sample = _stream.RowSample(["v"], 500)
        for start in range(0, 10_000, 700):
            rows = np.arange(min(700, 10_000 - start))
            chunk = Columns(["v"], {"v": values[start : start + 700]}, "f.csv", rows + start + 2)
            sample.add(chunk, rows, rng.random(len(rows)))
        counts += np.bincount((sample.columns("f.csv").values["v"] // 1000).astype(int), None, 10)
    assert np.all(np.abs(counts / counts.sum() - 0.1) < 0.015), counts


def test_divergence_names_the_epoch_and_chunk_of_the_file_and_writes_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "line.csv"
    data.write_text("x,y\n" + "".join(f"{i / 7:.4f},{i % 5}.5\n" for i in range(60)))
    model = tmp_path / "s.npz"
    rc, out, err = run(capsys, "train", data, "--target", "y", "-o", model, "--stream",
                       "--chunk-rows", "7", "--optimizer", "sgd", "--learning-rate", "1e6",
                       "-q")  # fmt: skip
    assert_one_line_error(rc, out, err, "training diverged in epoch 1, chunk ", " of ",
                          "line.csv: ", "restored to where that chunk started")  # fmt: skip
    assert not model.exists()


def test_a_target_with_no_values_or_one_class_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty, single = tmp_path / "empty.csv", tmp_path / "single.csv"
    empty.write_text("x,y\n" + "".join(f"{i},NA\n" for i in range(20)))
    single.write_text("x,y\n" + "".join(f"{i},cat\n" for i in range(20)))
    for data, needle in ((empty, "'y' has no values"), (single, "holds a single class ('cat')")):
        rc, out, err = run(capsys, "train", data, "--target", "y", "-o", tmp_path / "s.npz",
                           "--stream", "--chunk-rows", "7")  # fmt: skip
        assert_one_line_error(rc, out, err, needle)


def test_memory_follows_the_chunk_not_the_file(
    tmp_path: Path,
    peak_bytes: Callable[[Callable[[], object]], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # four times the rows, four times the chunks: the same peak (the file is never whole); the
    # bounds that do not depend on the file made smaller than these files: the schema's sample
    # and the pieces the reader hands to pyarrow
    monkeypatch.setattr(_stream, "SAMPLE_ROWS", 1_000)
    monkeypatch.setattr(csv_engine, "PIECE_BYTES", 1 << 16)

    def peak(n: int) -> int:
        data = tmp_path / f"rows{n}.csv"
        rng = np.random.default_rng(n)
        X = rng.standard_normal((n, 8)).round(4)
        body = "".join(",".join(map(str, row)) + f",{WARDS[i % 3]},{i % 2}\n"
                       for i, row in enumerate(X.tolist()))  # fmt: skip
        data.write_text(",".join(f"x{j}" for j in range(8)) + ",ward,y\n" + body)
        command = ["train", str(data), "--target", "y", "-o", str(tmp_path / "s.npz"), "--stream",
                   "--chunk-rows", "500", "--epochs", "1", "--hidden", "8", "--batch-size",
                   "500", "-q"]  # fmt: skip
        return peak_bytes(lambda: main(command))

    peak(1_000)  # imports and first-time caches, out of the way
    small, large = peak(5_000), peak(20_000)
    assert large < 1.3 * small, (small, large)


def test_a_rare_number_past_0_and_1_keeps_a_column_of_numbers_and_inf_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the sample holds each column's least and greatest number besides its uniform rows: a rare
    # 2 among 0s and 1s is a number, as in memory, not a yes/no column that the 2 would break
    monkeypatch.setattr(_stream, "SAMPLE_ROWS", 5)
    rows = [f"{i % 2},{i / 10},{i % 3}" for i in range(60)]
    data = tmp_path / "flags.csv"
    data.write_text("flag,x,y\n" + "\n".join([*rows[:-1], "2,5.9,2"]) + "\n")
    rc, out, err = run(capsys, "train", data, "--target", "y", "-o", tmp_path / "s.npz",
                       "--stream", "--chunk-rows", "7", *FAST, "--json")  # fmt: skip
    assert rc == 0, err
    assert [c["kind"] for c in json.loads(out)["columns"]] == ["number", "number"]
    data.write_text("flag,x,y\n" + "\n".join([*rows[:-1], "1,-inf,2"]) + "\n")
    rc, out, err = run(capsys, "train", data, "--target", "y", "-o", tmp_path / "s.npz",
                       "--stream", "--chunk-rows", "7", *FAST)  # fmt: skip
    assert_one_line_error(rc, out, err, "flags.csv line 61, column 'x': expected a finite number")
