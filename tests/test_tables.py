"""Reading tables through the CSV engine: every kind of column and the quirks of real files.

`read_columns` (typed columns), the streaming reader (`survey`, `iter_columns`), the engine's
pieces (forced small here, so that every file is read in several), and the one-line messages.
`read_csv`'s strict numeric table is pinned in test_datasets.py.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet
import glassnet.cli
from glassnet import csv_engine
from glassnet.errors import DataError, GlassnetError
from glassnet.preprocessing import Preprocessing
from glassnet.tables import (
    NA_MARKERS,
    Columns,
    iter_columns,
    read_columns,
    read_csv,
    survey,
    to_float,
    write_csv_atomic,
)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so messages name files exactly as the tests wrote them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    """Write ``name`` in the working directory (tmp_path) and return its relative path."""
    path = Path(name)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def error(path: Path | str, **kwargs: Any) -> str:
    """read_columns' one-line DataError message for a file."""
    with pytest.raises(DataError) as info:
        read_columns(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.fixture(params=[None, 64], ids=["whole", "small-pieces"])
def pieces(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int | None:
    """Run a test as is, and again with the file cut into pieces of 64 bytes."""
    if request.param is not None:
        monkeypatch.setattr(csv_engine, "PIECE_BYTES", request.param)
    return request.param


# --- the kinds of columns -----------------------------------------------------------------------


def test_every_kind_of_column_arrives_typed(tmp_path: Path, pieces: int | None) -> None:
    content = (
        "id,age,height,joined,seen,member,smoker,name,note\n"
        "A1,31,1.75,2024-01-31,2024-01-31 10:00:00,0,yes,Ann,x\n"
        "B2,NA,1.80,2024-02-29,2024-02-01T12:30:15,1,no,Bob,\n"
        "C3,45,,,,1,yes,,y\n"
    )
    cols = read_columns(write(tmp_path, content))
    v = cols.values
    assert cols.names == [
        "id",
        "age",
        "height",
        "joined",
        "seen",
        "member",
        "smoker",
        "name",
        "note",
    ]
    assert v["id"].tolist() == ["A1", "B2", "C3"] and v["id"].dtype == object
    np.testing.assert_array_equal(v["age"], [31.0, np.nan, 45.0])
    assert v["age"].dtype == np.float64 and v["height"].dtype == np.float64
    assert v["joined"].dtype == np.dtype("datetime64[D]")
    assert v["joined"].astype(str).tolist() == ["2024-01-31", "2024-02-29", "NaT"]
    assert v["seen"].dtype.kind == "M"
    assert v["seen"][1] == np.datetime64("2024-02-01T12:30:15") and np.isnat(v["seen"][2])
    assert v["member"].dtype == np.float64 and v["member"].tolist() == [0.0, 1.0, 1.0]
    assert v["smoker"].tolist() == ["yes", "no", "yes"]
    assert v["name"].tolist() == ["Ann", "Bob", None]
    assert [cols.kind(n) for n in ("id", "age", "joined", "member")] == [
        "text", "number", "datetime", "number"
    ]  # fmt: skip


def test_a_0_1_column_is_numbers_and_true_false_is_text(tmp_path: Path, pieces: int | None) -> None:
    cols = read_columns(write(tmp_path, "a,b,c\n0,true,True\n1,false,FALSE\n1,true,True\n"))
    assert cols.values["a"].dtype == np.float64 and cols.values["a"].tolist() == [0.0, 1.0, 1.0]
    assert cols.values["b"].tolist() == ["true", "false", "true"]
    assert cols.values["c"].tolist() == ["True", "FALSE", "True"]


def test_a_utc_offset_is_read_as_the_same_instant_in_utc(tmp_path: Path) -> None:
    cols = read_columns(write(tmp_path, "t\n2024-01-31T12:00:00+01:00\n2024-01-31T12:00:00Z\n"))
    assert cols.values["t"].tolist() == [
        np.datetime64("2024-01-31T11:00:00").item(),
        np.datetime64("2024-01-31T12:00:00").item(),
    ]


def test_dates_padded_with_spaces_or_beside_markers_are_dates(tmp_path: Path) -> None:
    cols = read_columns(write(tmp_path, "d, t\n2024-01-31 , 2024-01-31T10:00:00\n NA ,\n"))
    assert cols.values["d"].dtype == np.dtype("datetime64[D]") and np.isnat(cols.values["d"][1])
    assert cols.values["t"][0] == np.datetime64("2024-01-31T10:00:00")


def test_a_time_of_day_alone_stays_text_as_written(tmp_path: Path) -> None:
    cols = read_columns(write(tmp_path, "t,x\n12:30,1\n07:05:09,2\n"))
    assert cols.values["t"].tolist() == ["12:30", "07:05:09"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1_000", "2"], [1000.0, 2.0]),  # Python's grammar: underscores between digits
        ([" 3 ", "\t4"], [3.0, 4.0]),
        (["1e999", "-inf"], [math.inf, -math.inf]),  # inf stays for the caller to refuse
        (["+1", ".5"], [1.0, 0.5]),
    ],
)
def test_numbers_follow_pythons_grammar(
    tmp_path: Path, cells: list[str], expected: list[float]
) -> None:
    cols = read_columns(write(tmp_path, "x,y\n" + "".join(f"{c},1\n" for c in cells)))
    assert cols.values["x"].tolist() == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789.eE+-_xXinfatyINFATY \t", max_size=8), min_size=1, max_size=4
    )
)
def test_a_cell_is_a_number_exactly_when_pythons_float_says_so(cells: list[str]) -> None:
    # pyarrow's own grammar differs (0x10, " -999 "): glassnet's is Python's, whoever parses
    content = "x,i\n" + "".join(f"{cell},{i}\n" for i, cell in enumerate(cells))
    values = read_columns(io.BytesIO(content.encode()), source_name="t.csv").values["x"]
    present = [c.strip() for c in cells if c.strip() not in NA_MARKERS]
    if all(to_float(c) is not None for c in present):
        expected = [math.nan if c.strip() in NA_MARKERS else to_float(c) for c in cells]
        np.testing.assert_array_equal(values, np.array(expected, dtype=np.float64))
    else:
        assert values.tolist() == [None if c.strip() in NA_MARKERS else c.strip() for c in cells]


def test_hexadecimal_spellings_are_text_not_numbers(tmp_path: Path) -> None:
    # pyarrow reads 0x10 as 16; Python's float (and so glassnet) does not
    cols = read_columns(write(tmp_path, "code,x\n0x10,1\n0x1f,2\n"))
    assert cols.values["code"].tolist() == ["0x10", "0x1f"]


def test_a_column_that_turns_to_text_late_keeps_every_spelling(
    tmp_path: Path, pieces: int | None
) -> None:
    rows = "".join(f"{i:03d},{i}\n" for i in range(40)) + "A7,40\n"
    cols = read_columns(write(tmp_path, "zip,x\n" + rows))
    assert cols.values["zip"][:3].tolist() == ["000", "001", "002"]
    assert cols.values["zip"][-1] == "A7" and cols.values["x"].dtype == np.float64


# --- missing values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker", ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", ".", "?"]
)
def test_every_missing_value_marker_reads_as_missing(tmp_path: Path, marker: str) -> None:
    cols = read_columns(write(tmp_path, f"x,label\n1,a\n{marker},{marker}\n  {marker} ,b\n"))
    np.testing.assert_array_equal(cols.values["x"], [1.0, np.nan, np.nan])
    assert cols.values["label"].tolist() == ["a", None, "b"]


def test_na_markers_are_compared_after_stripping_spaces(tmp_path: Path, pieces: int | None) -> None:
    path = write(tmp_path, "x,y\n1,a\n -999 ,b\n-999,c\n-999.0,d\n")
    x = read_columns(path, na=("-999",)).values["x"]
    assert (
        x[0] == 1.0 and np.isnan(x[1]) and np.isnan(x[2]) and x[3] == -999.0
    )  # -999.0: not "-999"
    strict = read_columns(path, na=())
    assert strict.values["x"].tolist() == [1.0, -999.0, -999.0, -999.0]


def test_unicode_spaces_are_stripped_as_pythons_strip_does(tmp_path: Path) -> None:
    content = "town,n\n\u00a0Paris\u2003,1\n\u3000NA\u00a0,2\nRome,3\n"
    cols = read_columns(write(tmp_path, content))
    assert cols.values["town"].tolist() == ["Paris", None, "Rome"]


def test_text_columns_stay_text_and_columns_reads_only_those_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2,x\n3,4,y\n")
    cols = read_columns(path, columns=["c", "a"], text=["a"])
    assert cols.names == ["c", "a"] and list(cols.values) == ["c", "a"]
    assert cols.values["a"].tolist() == ["1", "3"]
    assert "missing columns 'z'; the columns are 'a', 'b', 'c'" in error(path, columns=["a", "z"])


# --- the quirks of real files -------------------------------------------------------------------


def test_quoted_commas_crlf_bom_and_trailing_blank_lines(
    tmp_path: Path, pieces: int | None
) -> None:
    content = (
        b'\xef\xbb\xbfname,city,n\r\n"Smith, J","Paris, FR",1\r\n"say ""hi""",Rome,2\r\n\r\n  \r\n'
    )
    cols = read_columns(write(tmp_path, content))
    assert cols.names == ["name", "city", "n"]
    assert cols.values["name"].tolist() == ["Smith, J", 'say "hi"']
    assert cols.values["city"].tolist() == ["Paris, FR", "Rome"]
    assert cols.n_rows == 2 and cols.lines.tolist() == [2, 3]


def test_line_numbers_are_exact_when_quoted_fields_span_lines(
    tmp_path: Path, pieces: int | None
) -> None:
    content = 'id,note\n1,"one\nline more"\n2,plain\n3,"a\n\nb"\n4,x\n'
    cols = read_columns(write(tmp_path, content))
    assert cols.values["note"].tolist() == ["one\nline more", "plain", "a\n\nb", "x"]
    assert cols.lines.tolist() == [2, 4, 5, 8] and cols.line(3) == 8


def test_a_record_longer_than_pyarrows_block_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(csv_engine, "BLOCK_BYTES", 1000)
    cols = read_columns(write(tmp_path, "a,b\n1," + "x" * 3000 + "\n2,y\n"))
    assert cols.values["b"][0] == "x" * 3000 and cols.values["a"].tolist() == [1.0, 2.0]


def test_lines_of_a_long_file_in_pieces(tmp_path: Path, pieces: int | None) -> None:
    rows = "".join(f"{i},{i * 2}\n" for i in range(200))
    cols = read_columns(write(tmp_path, "a,b\n" + rows))
    assert cols.n_rows == 200 and cols.line(0) == 2 and cols.line(199) == 201
    assert cols.lines.tolist() == list(range(2, 202))


HEADER = "expected a header row"
FIELDS = "expected 2 fields as in the header, got"
DATA = "the first row looks like data (1.5, 2)"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("a,b\n1,2\n3\n", f"data.csv line 3: {FIELDS} 1"),
        ("a,b\n1,2\n\n3,4\n", f"data.csv line 3: {FIELDS} 0 (a blank line)"),
        ("a\n1\n\n3\n", f"data.csv line 3: {FIELDS.replace('2', '1')} 0 (a blank line)"),
        ("a,b\r\n1,2\r\n\r\n3,4\r\n", f"data.csv line 3: {FIELDS} 0 (a blank line)"),
        ('a,b\n1,"x\n', "data.csv line 2: malformed CSV (unexpected end of data)"),
        ("", f"data.csv is empty: {HEADER} and at least one data row"),
        ("a,b\n\n\n", "data.csv has a header but no data rows"),
        ("a,a\n1,2\n", "data.csv line 1: duplicate column names 'a'"),
        (",b\n1,2\n", f"data.csv line 1: column 1 has no name; {HEADER} naming every column"),
        ("1.5,2\n3,4\n", f"data.csv line 1: {DATA}; {HEADER} naming the columns"),
        ("a,b\n1,\x002\n", "cannot read data.csv: binary data (a NUL byte), expected CSV text"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_the_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    assert error(write(tmp_path, content)) == expected


def test_a_ragged_row_far_into_a_file_is_named_by_its_line(
    tmp_path: Path, pieces: int | None
) -> None:
    rows = "".join(f"{i},{i}\n" for i in range(100)) + "7\n" + "1,2\n"
    assert error(write(tmp_path, "a,b\n" + rows)) == (
        "data.csv line 102: expected 2 fields as in the header, got 1"
    )


def test_a_nul_byte_far_into_a_file_is_binary(tmp_path: Path, pieces: int | None) -> None:
    rows = "".join(f"{i},{i}\n" for i in range(100)) + "1,\x00\n"
    assert "binary data (a NUL byte)" in error(write(tmp_path, "a,b\n" + rows))


def test_a_header_of_data_is_named_when_a_column_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "5.1,3.5,setosa\n4.9,3.0,setosa\n")
    message = error(path, columns=["species"])
    assert "missing columns 'species'" in message
    assert "the first row looks like data: is the header row missing?" in message
    with pytest.raises(DataError, match="is the header row missing"):
        read_csv(path, target="species")


def test_a_misspelled_column_gets_a_hint(tmp_path: Path) -> None:
    assert "(did you mean 'Label'?)" in error(write(tmp_path, "x,Label\n1,a\n"), columns=["label"])


# --- other separators, decimal commas, other encodings ------------------------------------------


@pytest.mark.parametrize(("sep", "name"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_file_with_another_separator_is_named_as_such(
    tmp_path: Path, sep: str, name: str
) -> None:
    path = write(tmp_path, f"x{sep}y{sep}label\n1{sep}2{sep}a\n3{sep}4{sep}b\n")
    message = error(path)
    assert message.startswith("data.csv: one column") and f"looks {name}-separated;" in message
    assert "glassnet reads comma-separated values: save it with ',' between fields" in message
    cols = read_columns(path, sep=sep)
    assert cols.names == ["x", "y", "label"] and cols.values["y"].tolist() == [2.0, 4.0]


def test_a_semicolon_file_with_decimal_commas_is_explained_and_readable(tmp_path: Path) -> None:
    path = write(tmp_path, "temp;rain;town\n3,14;0,5;Lyon\n-2,5;1;Brest\n")
    message = error(path)
    assert "looks ';'-separated with decimal commas" in message
    assert "and '.' in numbers" in message
    cols = read_columns(path, sep=";", decimal=",")
    assert cols.values["temp"].tolist() == [3.14, -2.5] and cols.values["rain"].tolist() == [
        0.5,
        1.0,
    ]
    assert cols.values["town"].tolist() == ["Lyon", "Brest"]


def test_a_one_column_file_with_semicolons_in_its_values_is_one_column(tmp_path: Path) -> None:
    cols = read_columns(write(tmp_path, "note\na;b\nc;d\n"))
    assert cols.values["note"].tolist() == ["a;b", "c;d"]


def test_latin1_bytes_are_named_with_their_line_and_encoding(
    tmp_path: Path, pieces: int | None
) -> None:
    rows = "".join(f"{i},a\n" for i in range(30)) + "31,caf\u00e9\n"
    message = error(write(tmp_path, ("x,label\n" + rows).encode("latin-1")))
    assert message.startswith("cannot read data.csv: not UTF-8 text (line 32, byte ")
    assert message.endswith("; it looks latin-1/cp1252: save it as UTF-8")


def test_binary_that_is_not_latin1_gets_no_encoding_hint(tmp_path: Path) -> None:
    message = error(write(tmp_path, b"\x89PNG\r\n\x1a\n\xff\xd8\xff"))
    assert message == "cannot read data.csv: not UTF-8 text (line 1, byte 0)"


def test_utf16_is_named_as_such(tmp_path: Path) -> None:
    path = Path("data.csv")
    path.write_text("x,y\n1,2\n", encoding="utf-16")
    assert "it looks UTF-16: save it as UTF-8" in error(path)


# --- sources: stdin, file objects, pyarrow missing ----------------------------------------------


def test_reads_stdin_and_file_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a,b\n1,x\n")))
    cols = read_columns("-")
    assert cols.source == "<stdin>" and cols.values["b"].tolist() == ["x"]
    cols = read_columns(io.BytesIO(b"a\n2\n"), source_name="upload.csv")
    assert cols.source == "upload.csv" and cols.values["a"].tolist() == [2.0]


def test_without_pyarrow_reading_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)  # import pyarrow.csv now fails
    with pytest.raises(GlassnetError) as info:
        read_columns(write(tmp_path, "a\n1\n"))
    assert str(info.value) == "reading CSV files needs pyarrow: pip install 'glassnet[csv]'"


def test_without_pyarrow_train_is_one_line_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "x,y\n1,2\n3,4\n")
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)
    rc = glassnet.cli.main(["train", str(path), "--target", "y", "-o", "m.npz", "--epochs", "1"])
    captured = capsys.readouterr()
    assert rc == 2 and captured.out == "" and not Path("m.npz").exists()
    assert captured.err == (
        "glassnet: error: reading CSV files needs pyarrow: pip install 'glassnet[csv]'\n"
    )


def test_import_glassnet_does_not_import_pyarrow() -> None:
    code = "import sys, glassnet, glassnet.cli, glassnet.tables; print('pyarrow' in sys.modules)"
    src = str(Path(glassnet.__file__).parents[1])  # this glassnet, wherever the tests run
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", code]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


# --- numbers read together ----------------------------------------------------------------------


def test_columns_read_together_are_one_c_contiguous_matrix(
    tmp_path: Path, pieces: int | None
) -> None:
    rows = "".join(f"{i},{i / 4},t{i},{i % 3}\n" for i in range(50))
    cols = read_columns(write(tmp_path, "a,b,name,c\n" + rows), together=["c", "a"])
    assert cols.matrix is not None and cols.matrix.flags.c_contiguous
    assert cols.matrix.shape == (50, 2)
    np.testing.assert_array_equal(cols.matrix, np.column_stack([np.arange(50) % 3, np.arange(50)]))
    assert np.shares_memory(cols.values["a"], cols.matrix)
    assert cols.values["b"].tolist() == [i / 4 for i in range(50)]


def test_no_matrix_when_a_column_read_together_is_text(tmp_path: Path, pieces: int | None) -> None:
    rows = "".join(f"{i},{i}\n" for i in range(30)) + "x,30\n"
    cols = read_columns(write(tmp_path, "a,b\n" + rows), together=["a", "b"])
    assert cols.matrix is None
    assert cols.values["a"][-1] == "x" and cols.values["a"][0] == "0"
    assert cols.values["b"].tolist() == [float(i) for i in range(31)]


# --- reading a file larger than memory ----------------------------------------------------------


def big_table(tmp_path: Path) -> Path:
    rows = []
    for i in range(257):
        when = "" if i % 17 == 0 else f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        rows.append(f'{i},{i * 0.5 if i % 11 else "NA"},{when},"n{i}, x",{"" if i % 5 else "z"}\n')
    return write(tmp_path, "id,x,when,name,rare\n" + "".join(rows))


def test_survey_learns_each_columns_kind_over_the_whole_file(
    tmp_path: Path, pieces: int | None
) -> None:
    kinds = survey(big_table(tmp_path))
    assert kinds == {
        "id": "number",
        "x": "number",
        "when": "datetime",
        "name": "text",
        "rare": "text",
    }


@pytest.mark.parametrize("chunk_rows", [1, 10, 100, 1000])
def test_streamed_chunks_equal_the_whole_read(
    tmp_path: Path, pieces: int | None, chunk_rows: int
) -> None:
    path = big_table(tmp_path)
    whole = read_columns(path)
    chunks = list(iter_columns(path, types=survey(path), chunk_rows=chunk_rows))
    assert [c.n_rows for c in chunks[:-1]] == [chunk_rows] * (len(chunks) - 1)
    assert sum(c.n_rows for c in chunks) == whole.n_rows
    for name in whole.names:
        streamed = np.concatenate([c.values[name] for c in chunks])
        expected = whole.values[name]
        if expected.dtype.kind == "M":
            expected = expected.astype("datetime64[s]")
        np.testing.assert_array_equal(streamed, expected)
    lines = np.concatenate([[c.line(r) for r in range(c.n_rows)] for c in chunks])
    np.testing.assert_array_equal(lines, whole.lines)


def test_a_streamed_cell_that_does_not_fit_its_kind_names_its_line(
    tmp_path: Path, pieces: int | None
) -> None:
    rows = "".join(f"{i}\n" for i in range(40)) + "forty\n"
    path = write(tmp_path, "x\n" + rows)
    with pytest.raises(DataError) as info:
        list(iter_columns(path, types={"x": "number"}, chunk_rows=7))
    assert str(info.value) == (
        "data.csv line 42, column 'x': expected a number as in the rest of the column, got 'forty'"
    )


def test_iter_columns_needs_a_kind_for_every_column(tmp_path: Path) -> None:
    with pytest.raises(GlassnetError, match="types must give each column one of"):
        list(iter_columns(write(tmp_path, "a\n1\n"), types={"a": "float"}))


# --- a written table reads back -----------------------------------------------------------------

_words = (
    st.text(alphabet="abcdefghij XYZ,\"'é;", min_size=1, max_size=8)
    .map(str.strip)
    .filter(lambda s: s != "" and s not in ("NA", "na", "N/A") and not s[0].isdigit())
)


@settings(max_examples=60, deadline=None)
@given(
    numbers=st.lists(
        st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
        min_size=1, max_size=30,
    ),
    words=st.data(),
)  # fmt: skip
def test_a_written_table_reads_back_its_values(
    tmp_path_factory: pytest.TempPathFactory, numbers: list[float | None], words: st.DataObject
) -> None:
    labels = words.draw(
        st.lists(st.one_of(st.none(), _words), min_size=len(numbers), max_size=len(numbers))
    )
    path = tmp_path_factory.mktemp("back") / "t.csv"
    rows = [["" if x is None else x, "" if w is None else w] for x, w in zip(numbers, labels)]
    write_csv_atomic(path, ["x", "label"], rows)
    cols = read_columns(path)
    expected = np.array([math.nan if x is None else x for x in numbers])
    np.testing.assert_array_equal(cols.values["x"], expected)
    assert cols.values["x"].dtype == np.float64
    if any(w is not None for w in labels):
        assert cols.values["label"].tolist() == labels


# --- standardizing in place ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 300), st.integers(1, 6)),
    magnitude=st.sampled_from([1e-300, 1e-3, 1.0, 1e5, 1e300]),
    seed=st.integers(0, 2**16),
)
def test_standardization_is_numpys_mean_and_std_to_the_bit(
    shape: tuple[int, int], magnitude: float, seed: int
) -> None:
    X = np.random.default_rng(seed).standard_normal(shape) * magnitude
    names = [f"x{j}" for j in range(shape[1])]
    prep = Preprocessing.fit(X, np.zeros(shape[0]), features=names, target="y", task="regression")
    peak = np.abs(X).max(axis=0)
    peak = np.where((peak > 0) & np.isfinite(peak), peak, 1.0)
    mean, std = (X / peak).mean(axis=0) * peak, (X / peak).std(axis=0) * peak
    np.testing.assert_array_equal(prep.mean, mean)
    np.testing.assert_array_equal(
        prep.scale, np.where(std > 1e-12 * np.maximum(abs(mean), 1), std, 1)
    )


def test_transform_in_place_gives_the_same_numbers_without_a_copy() -> None:
    X = np.random.default_rng(0).standard_normal((50, 3)) * 7 + 2
    prep = Preprocessing.fit(
        X, np.zeros(50), features=["a", "b", "c"], target="y", task="regression"
    )
    expected = prep.transform(X)
    out = prep.transform(X, copy=False)
    assert out is X and np.array_equal(out, expected)


def test_columns_is_the_contract_a_schema_builds_on(tmp_path: Path) -> None:
    cols = read_columns(write(tmp_path, "a,b\n1,x\n"))
    assert isinstance(cols, Columns) and cols.source == "data.csv"
    assert "1 rows" in repr(cols)


@given(st.binary(max_size=40).map(lambda b: bytes(b"ab\r\n,"[x % 5] for x in b)))
def test_scan_lines_counts_line_ends_and_finds_empty_lines_as_the_csv_module_does(data):
    import re

    # \r\n, \r or \n end a line (the csv module's rule); a line is empty if nothing precedes
    # its end
    parts = re.split(rb"\r\n|\r|\n", data)
    ends = len(parts) - 1
    assert csv_engine.scan_lines(data) == (ends, any(p == b"" for p in parts[:ends]))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_reading_a_file_leaves_no_native_threads_behind(tmp_path: Path) -> None:
    # pyarrow's own thread pool, once started, can abort the process at exit ("terminate
    # called without an active exception", apache/arrow#34314): pieces are parsed on threads
    # glassnet joins, so none of pyarrow's are left when reading ends
    path = tmp_path / "big.csv"
    rows = "".join(f"{i},{i / 2},{'abc'[i % 3]},2024-01-{i % 28 + 1:02d}\n" for i in range(150_000))
    path.write_text("a,b,c,d\n" + rows)
    script = (
        "import os, sys\n"
        "from glassnet.columns import read_columns\n"
        "import pyarrow\n"
        "def threads():\n"
        "    names = []\n"
        "    for t in os.listdir('/proc/self/task'):\n"
        "        try:\n"
        "            names.append(open(f'/proc/self/task/{t}/comm').read().strip())\n"
        "        except OSError:  # it ended between the listing and the read\n"
        "            pass\n"
        "    return [n for n in names if 'jemalloc' not in n]  # the allocator's, not a pool\n"
        "before = threads()\n"
        "read_columns(sys.argv[1])\n"
        "import time\n"
        "for _ in range(100):  # a joined thread leaves /proc a moment after join returns\n"
        "    if len(threads()) <= len(before):\n"
        "        break\n"
        "    time.sleep(0.02)\n"
        "print(len(before), len(threads()), before, threads())\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                         text=True, env=env, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = run.stdout.split(maxsplit=2)
    assert out[0] == out[1], out[2]


def test_a_target_column_is_parsed_as_numbers_once_and_decided_alike() -> None:
    from glassnet import tables
    from glassnet.tables import Labels, encode_target, infer_task

    numbers, words = Labels(["1.5", "2", "-3e1"]), Labels(["cat", "2", "dog"])
    assert numbers.numbers is not None and numbers.numbers.tolist() == [1.5, 2.0, -30.0]
    assert words.numbers is None and words == ["cat", "2", "dog"]
    assert infer_task(numbers) == infer_task(list(numbers)) == "regression"
    assert infer_task(words) == infer_task(list(words)) == "classification"
    table = tables.Table([], np.zeros((3, 0)), "y", words, "t.csv", [2, 3, 4])
    y, classes = encode_target(table, "classification")
    assert classes == ["2", "cat", "dog"] and y.tolist() == [1, 0, 2]
