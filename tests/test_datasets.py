"""Tests for glassnet.datasets: fixed tables, generators, `load`, and the CSV reader and writer."""

from __future__ import annotations

import dataclasses
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet import datasets
from glassnet.datasets import load, make_circles, make_moons, make_spirals
from glassnet.errors import DataError, GlassnetError
from glassnet.tables import Table, encode_target, infer_task, read_csv, write_csv_atomic

GENERATORS: list[Callable[..., tuple[np.ndarray, np.ndarray]]] = [
    make_moons,
    make_circles,
    make_spirals,
]

# --- fixed tables ------------------------------------------------------------------------------


def test_tutorial_table_is_the_tutorials_four_examples() -> None:
    X, y = datasets.tutorial()
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X, [[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(y, [[0], [1], [1], [0]])
    np.testing.assert_array_equal(y[:, 0], X[:, 0])  # the output is the first input


def test_xor_table_is_exclusive_or_of_its_two_inputs() -> None:
    X, y = datasets.xor()
    assert X.shape == (4, 2) and y.shape == (4, 1)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(X[:, 0], X[:, 1]))
    assert {tuple(row) for row in X} == {(0, 0), (0, 1), (1, 0), (1, 1)}


# --- generators --------------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n_samples", [2, 7, 201])
def test_generators_return_float_points_and_balanced_int_labels(
    make: Callable[..., Any], n_samples: int
) -> None:
    X, y = make(n_samples, seed=0)
    assert X.shape == (n_samples, 2) and X.dtype == np.float64
    assert y.shape == (n_samples,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=2)
    assert len(counts) == 2 and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_deterministic_per_seed(make: Callable[..., Any]) -> None:
    X1, y1 = make(seed=42)
    X2, y2 = make(seed=42)
    X3, _ = make(seed=43)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_leave_the_global_random_state_alone(make: Callable[..., Any]) -> None:
    before = np.random.get_state()[1].copy()  # noqa: NPY002 - checking it is untouched
    make(seed=None)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_shuffle_the_points(make: Callable[..., Any]) -> None:
    _, y = make(100, seed=0)
    assert not np.array_equal(y, np.arange(100) % 2)  # not dealt in turn
    assert not np.array_equal(y, np.sort(y))  # nor grouped by class


def test_moons_without_noise_lie_on_two_half_circles() -> None:
    X, y = make_moons(101, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_circles_without_noise_have_radius_one_and_factor() -> None:
    X, y = make_circles(100, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert len(np.unique(np.round(X, 9), axis=0)) == 100  # no point repeated at 0 and 2π


def test_spirals_have_one_balanced_arm_per_class() -> None:
    X, y = make_spirals(301, n_classes=3, seed=0)
    assert sorted(np.unique(y).tolist()) == [0, 1, 2]
    assert np.bincount(y).tolist() == [101, 100, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() >= 0.1 - 1e-12 and radius.max() <= 1 + 1e-12


@pytest.mark.parametrize("make", GENERATORS)
def test_generated_classes_are_separable_by_their_neighbours(make: Callable[..., Any]) -> None:
    # Leave-one-out 1-nearest-neighbour accuracy: a cheap stand-in for "a small MLP can learn it".
    X, y = make(seed=0)
    distances = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=-1)
    np.fill_diagonal(distances, np.inf)
    accuracy = np.mean(y[distances.argmin(axis=1)] == y)
    assert accuracy >= 0.97


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(1), "n_samples must be an integer >= 2, got 1"),
        (lambda: make_moons(2.5), "n_samples must be an integer >= 2, got 2.5"),
        (lambda: make_moons(True), "n_samples must be an integer >= 2, got True"),
        (lambda: make_moons(noise=-0.1), "noise must be a finite number >= 0, got -0.1"),
        (lambda: make_circles(noise=float("nan")), "noise must be a finite number >= 0, got nan"),
        (lambda: make_circles(factor=1.0), "factor must be between 0 and 1"),
        (lambda: make_spirals(n_classes=1), "n_classes must be an integer >= 2, got 1"),
        (lambda: make_spirals(2, n_classes=3), "n_samples must be an integer >= 3, got 2"),
        (lambda: make_spirals(turns=0), "turns must be a positive number, got 0"),
    ],
)
def test_generators_reject_bad_arguments(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(GlassnetError) as info:
        call()
    assert str(info.value).startswith(message)


# --- named data sets ---------------------------------------------------------------------------


def test_names_lists_builtins_then_scikit_learn_sets_each_with_a_one_line_description() -> None:
    assert datasets.names() == [
        "tutorial",
        "xor",
        "moons",
        "circles",
        "spirals",
        "digits",
        "iris",
        "wine",
        "breast_cancer",
        "diabetes",
    ]
    for name in datasets.names():
        description = datasets.describe(name)
        assert description and "\n" not in description and len(description) < 100


@pytest.mark.parametrize("name", ["tutorial", "xor", "moons", "circles", "spirals"])
def test_load_builtin_gives_float_features_and_1d_int_labels(name: str) -> None:
    data = load(name)
    assert data.X.dtype == np.float64 and data.X.ndim == 2
    assert data.y.dtype == np.int64 and data.y.shape == (len(data.X),)
    assert len(data.feature_names) == data.X.shape[1]
    assert data.task == "classification"
    assert data.target_names is not None and data.y.max() < len(data.target_names)
    assert data.description == datasets.describe(name)


def test_load_tutorial_flattens_its_targets_to_labels() -> None:
    assert load("tutorial").y.tolist() == [0, 1, 1, 0]
    np.testing.assert_array_equal(load("tutorial").X, datasets.tutorial()[0])


def test_load_passes_the_seed_to_the_generator() -> None:
    X, y = make_moons(seed=3)
    data = load("moons", seed=3)
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)
    assert not np.array_equal(load("moons", seed=4).X, X)


def test_dataset_is_frozen() -> None:
    data = load("xor")
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.task = "regression"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "shape", "task", "n_classes"),
    [
        ("digits", (1797, 64), "classification", 10),
        ("iris", (150, 4), "classification", 3),
        ("wine", (178, 13), "classification", 3),
        ("breast_cancer", (569, 30), "classification", 2),
        ("diabetes", (442, 10), "regression", None),
    ],
)
def test_load_scikit_learn_sets(
    name: str, shape: tuple[int, int], task: str, n_classes: int | None
) -> None:
    pytest.importorskip("sklearn")
    data = load(name)
    assert data.X.shape == shape and data.X.dtype == np.float64
    assert data.y.shape == (shape[0],) and data.task == task
    assert len(data.feature_names) == shape[1]
    if n_classes is None:
        assert data.y.dtype == np.float64 and data.target_names is None
    else:
        assert data.y.dtype == np.int64 and data.target_names is not None
        assert len(data.target_names) == n_classes == len(np.unique(data.y))


def test_load_without_scikit_learn_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(GlassnetError) as info:
        load("digits")
    assert str(info.value) == (
        "dataset 'digits' needs scikit-learn: pip install 'glassnet[sklearn]'"
    )
    assert load("xor").X.shape == (4, 2)  # the built-in sets still work


def test_load_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(GlassnetError) as info:
        load("mnist")
    message = str(info.value)
    assert message.startswith("unknown dataset 'mnist'")
    assert all(name in message for name in datasets.names())


# --- reading CSV -------------------------------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so messages name files exactly as the tests wrote them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def csv_error(content: str | bytes, **kwargs: Any) -> str:
    """Write data.csv, read it expecting a DataError, and return the (one-line) message."""
    path = Path("data.csv")
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    with pytest.raises(DataError) as info:
        read_csv("data.csv", **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(("data.csv", "cannot read data.csv"))
    return message


def test_read_csv_reads_features_and_raw_target(in_tmp: Path) -> None:
    Path("data.csv").write_text("a,label,b\n1,cat,2.5\n-3e2, dog ,4\n", encoding="utf-8")
    table = read_csv("data.csv", target="label")
    assert table.columns == ["a", "b"]
    np.testing.assert_array_equal(table.X, [[1.0, 2.5], [-300.0, 4.0]])
    assert table.X.dtype == np.float64
    assert table.target == "label" and table.y_raw == ["cat", "dog"]
    assert table.n_rows == 2 and table.lines == [2, 3] and table.source == "data.csv"


def test_read_csv_without_target_reads_every_column_as_a_feature(in_tmp: Path) -> None:
    Path("data.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    table = read_csv(Path("data.csv"))
    assert table.columns == ["x", "y"] and table.target is None and table.y_raw is None
    np.testing.assert_array_equal(table.X, [[1.0, 2.0]])


def test_read_csv_accepts_bom_crlf_spaces_and_trailing_blank_lines(in_tmp: Path) -> None:
    Path("data.csv").write_bytes(b"\xef\xbb\xbf a , b \r\n 1 ,\t2 \r\n3,4\r\n\r\n\n  \n")
    table = read_csv("data.csv")
    assert table.columns == ["a", "b"]
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])


def test_read_csv_arranges_columns_in_the_expected_order(in_tmp: Path) -> None:
    Path("data.csv").write_text("b,y,a\n2,0,1\n4,1,3\n", encoding="utf-8")
    table = read_csv("data.csv", target="y", feature_columns=["a", "b"])
    assert table.columns == ["a", "b"]
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])


def test_read_csv_from_stdin_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a,b\n1,2\n"))
    table = read_csv("-")
    np.testing.assert_array_equal(table.X, [[1, 2]])
    assert table.source == "<stdin>"


def test_read_csv_from_stdin_bytes_names_stdin_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a,b\n1,x\n")))
    with pytest.raises(DataError) as info:
        read_csv("-")
    assert str(info.value) == "<stdin> line 2, column 'b': expected a number, got 'x'"


def test_read_csv_rejects_non_utf8_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a,b\n\xff\xfe,1\n")))
    with pytest.raises(DataError, match=r"^cannot read <stdin>: not UTF-8 text"):
        read_csv("-")


def test_read_csv_from_a_file_object_uses_source_name() -> None:
    table = read_csv(io.StringIO("\ufeffa\n1\n"), source_name="upload.csv")
    assert table.columns == ["a"] and table.source == "upload.csv"
    with pytest.raises(DataError, match=r"^upload\.csv line 2, column 'a'"):
        read_csv(io.StringIO("a\nzz\n"), source_name="upload.csv")


def test_read_csv_missing_file(in_tmp: Path) -> None:
    with pytest.raises(DataError) as info:
        read_csv("nope.csv")
    assert str(info.value) == "cannot read nope.csv: no such file"


def test_read_csv_directory(in_tmp: Path) -> None:
    Path("folder").mkdir()
    with pytest.raises(DataError, match=r"^cannot read folder: it is a directory"):
        read_csv("folder")


@pytest.mark.parametrize(
    ("content", "kwargs", "expected"),
    [
        (
            b"\x89PNG\r\n\x1a\n\xff\xd8\xff",
            {},
            "cannot read data.csv: not UTF-8 text (line 1, byte 0)",
        ),
        ("a,b\n1,\x002\n", {}, "cannot read data.csv: binary data (a NUL byte), expected CSV text"),
        ("", {}, "data.csv is empty: expected a header row and at least one data row"),
        ("\n\n", {}, "data.csv is empty: expected a header row and at least one data row"),
        ("a,b\n", {}, "data.csv has a header but no data rows"),
        ("a,b\n\n", {}, "data.csv has a header but no data rows"),
        ("\na,b\n1,2\n", {}, "data.csv line 1 is blank: expected a header row naming the columns"),
        (
            "a,b,a,b\n1,2,3,4\n",
            {},
            "data.csv line 1: duplicate column names 'a', 'b'",
        ),
        (
            "a, ,c\n1,2,3\n",
            {},
            "data.csv line 1: column 2 has no name; expected a header row naming every column",
        ),
        (
            "0,1\n1,0\n",
            {},
            "data.csv line 1: the first row looks like data (0, 1); "
            "expected a header row naming the columns",
        ),
        ("a,b,c\n1,2,3\n4,5\n", {}, "data.csv line 3: expected 3 fields as in the header, got 2"),
        ("a,b\n1,2\n3,4,5\n", {}, "data.csv line 3: expected 2 fields as in the header, got 3"),
        (
            "a,b\n1,2\n\n3,4\n",
            {},
            "data.csv line 3: expected 2 fields as in the header, got 0 (a blank line)",
        ),
        (
            'a,b\n1,2\n3,"4"x\n',
            {},
            "data.csv line 3: malformed CSV (',' expected after '\"')",
        ),
        (
            "a,b\n1,2\n",
            {"target": "label"},
            "data.csv: no target column 'label'; the columns are 'a', 'b'",
        ),
        (
            "label\n1\n",
            {"target": "label"},
            "data.csv: the target 'label' is the only column; expected feature columns too",
        ),
        (
            "a,b\n1,2\n3,abc\n",
            {},
            "data.csv line 3, column 'b': expected a number, got 'abc'",
        ),
        ("a,b\n1,nan\n", {}, "data.csv line 2, column 'b': expected a finite number, got 'nan'"),
        (
            "a,b\n1,2\n-inf,2\n",
            {},
            "data.csv line 3, column 'a': expected a finite number, got '-inf'",
        ),
        (
            "a,b\n1,2\n1e999,2\n",
            {},
            "data.csv line 3, column 'a': expected a finite number, got '1e999'",
        ),
        ("a,b\n1,\n", {}, "data.csv line 2, column 'b': missing value; expected a number"),
        ("a,b\n1,2\n,\n", {}, "data.csv line 3, column 'a': missing value; expected a number"),
        ("a,b\n1,  \n", {}, "data.csv line 2, column 'b': missing value; expected a number"),
        (
            "a,y\n1,0\n2,\n",
            {"target": "y"},
            "data.csv line 3, column 'y': missing target value",
        ),
        (
            "a,b,y\n1,2,0\n",
            {"target": "y", "feature_columns": ["a", "b", "c", "d"]},
            "data.csv: missing feature columns 'c', 'd'; the model expects 'a', 'b', 'c', 'd'",
        ),
        (
            "a,b,z,y\n1,2,3,0\n",
            {"target": "y", "feature_columns": ["b", "a"]},
            "data.csv: unexpected columns 'z'; the model expects 'b', 'a'",
        ),
        (
            "a,b,y\n1,2,0\n",
            {"feature_columns": ["a", "b"]},
            "data.csv: unexpected columns 'y'; the model expects 'a', 'b' "
            "(and no target column was named)",
        ),
    ],
)
def test_read_csv_errors_name_the_file_line_and_column(
    in_tmp: Path, content: str | bytes, kwargs: dict[str, Any], expected: str
) -> None:
    assert csv_error(content, **kwargs) == expected


def test_read_csv_reports_the_first_bad_value_in_file_order(in_tmp: Path) -> None:
    rows = "".join(f"{i},{i},{i}\n" for i in range(4))  # lines 2-5
    content = "id,age,height\n" + rows + "5,abc,1\n" + "6,7,\n"  # bad values on lines 6 and 7
    assert csv_error(content) == "data.csv line 6, column 'age': expected a number, got 'abc'"
    content = "id,height,age\n" + rows + "5,6,7\n" + "8,9,abc\n"
    assert csv_error(content) == "data.csv line 7, column 'age': expected a number, got 'abc'"


def test_read_csv_line_numbers_count_physical_lines_of_quoted_fields(in_tmp: Path) -> None:
    content = 'a,note\n1,"two\nlines"\nx,ok\n'
    assert csv_error(content, target="note") == (
        "data.csv line 4, column 'a': expected a number, got 'x'"
    )


def test_read_csv_shortens_and_escapes_long_values_so_messages_stay_one_line(
    in_tmp: Path,
) -> None:
    message = csv_error('a\n"' + "x" * 200 + '\ny"\n')
    assert len(message) < 120 and "..." in message


# --- the target column -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_raw", "task"),
    [
        (["cat", "dog", "cat"], "classification"),
        (["1", "2", "two"], "classification"),
        (["0", "1", "1", "0"], "classification"),
        ([str(k) for k in range(20)], "classification"),
        (["1.0", "2.0", "1.0"], "classification"),
        ([str(k) for k in range(21)], "regression"),
        (["0.5", "1", "2"], "regression"),
        (["1", "2", "nan"], "regression"),
    ],
)
def test_infer_task(y_raw: list[str], task: str) -> None:
    assert infer_task(y_raw) == task


def test_infer_task_rejects_an_empty_column() -> None:
    with pytest.raises(DataError):
        infer_task([])


def test_encode_target_sorts_numeric_classes_by_value() -> None:
    table = read_csv(io.StringIO("x,y\n1,10\n2,9\n3,10\n4,2\n"), target="y")
    y, classes = encode_target(table, "classification")
    assert classes == ["2", "9", "10"]
    assert y.tolist() == [2, 1, 2, 0] and y.dtype == np.int64


def test_encode_target_regression_names_the_line_of_a_bad_value() -> None:
    table = read_csv(io.StringIO("x,price\n1,3.5\n2,cheap\n"), target="price", source_name="p.csv")
    with pytest.raises(DataError) as info:
        encode_target(table, "regression")
    assert str(info.value) == "p.csv line 3, column 'price': expected a number, got 'cheap'"
    good = read_csv(io.StringIO("x,price\n1,3.5\n2,-1\n"), target="price")
    y, classes = encode_target(good, "regression")
    assert y.tolist() == [3.5, -1.0] and y.dtype == np.float64 and classes is None


def test_encode_target_needs_a_target_column() -> None:
    table = read_csv(io.StringIO("x\n1\n"), source_name="t.csv")
    with pytest.raises(GlassnetError, match=r"^t\.csv was read without a target column$"):
        encode_target(table, "classification")


# --- writing CSV -------------------------------------------------------------------------------


def test_write_csv_atomic_round_trips_exactly(in_tmp: Path) -> None:
    X = np.array([[0.1, 1 / 3], [1e-300, -2.5e10], [np.float64(7), 0.0]])
    rows = [[*row, label] for row, label in zip(X, ["a", "b,c", 'say "hi"'], strict=True)]
    write_csv_atomic("out.csv", ["f1", "f2", "label"], rows)
    table: Table = read_csv("out.csv", target="label")
    assert table.columns == ["f1", "f2"]
    np.testing.assert_array_equal(table.X, X)
    assert table.y_raw == ["a", "b,c", 'say "hi"']
    assert os.listdir(".") == ["out.csv"]


def test_write_csv_atomic_round_trips_float32_values_exactly(in_tmp: Path) -> None:
    X = np.array([[0.1, 1 / 3]], dtype=np.float32)
    write_csv_atomic("out.csv", ["a", "b"], X)
    np.testing.assert_array_equal(read_csv("out.csv").X, X.astype(np.float64))


def test_write_csv_atomic_writes_arrays_and_numpy_scalars_plainly(in_tmp: Path) -> None:
    write_csv_atomic("out.csv", ["x", "k"], np.array([[0.5, 2.0]]))
    write_csv_atomic("ints.csv", ["k"], [[np.int64(3)]])
    assert Path("out.csv").read_text(encoding="utf-8") == "x,k\n0.5,2.0\n"
    assert Path("ints.csv").read_text(encoding="utf-8") == "k\n3\n"


def test_write_csv_atomic_replaces_an_existing_file(in_tmp: Path) -> None:
    Path("out.csv").write_text("old\n", encoding="utf-8")
    write_csv_atomic("out.csv", ["a"], [[1]])
    assert Path("out.csv").read_text(encoding="utf-8") == "a\n1\n"


def test_write_csv_atomic_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_csv_atomic("-", ["a", "b"], [[1, 0.25]])
    assert capsys.readouterr().out == "a,b\n1,0.25\n"


def test_write_csv_atomic_into_a_missing_directory_leaves_nothing(in_tmp: Path) -> None:
    with pytest.raises(DataError) as info:
        write_csv_atomic(os.path.join("missing", "out.csv"), ["a"], [[1]])
    assert (
        str(info.value) == f"cannot write {os.path.join('missing', 'out.csv')}: no such directory"
    )
    assert os.listdir(".") == []


def test_write_csv_atomic_onto_a_directory_leaves_nothing(in_tmp: Path) -> None:
    Path("out.csv").mkdir()
    with pytest.raises(DataError, match=r"^cannot write out\.csv: "):
        write_csv_atomic("out.csv", ["a"], [[1]])
    assert os.listdir(".") == ["out.csv"] and Path("out.csv").is_dir()


def test_write_csv_atomic_failing_midway_keeps_the_old_file(in_tmp: Path) -> None:
    Path("out.csv").write_text("old\n", encoding="utf-8")

    def rows() -> Iterator[list[int]]:
        yield [1]
        raise RuntimeError("the producer failed")

    with pytest.raises(RuntimeError, match="the producer failed"):
        write_csv_atomic("out.csv", ["a"], rows())
    assert os.listdir(".") == ["out.csv"]
    assert Path("out.csv").read_text(encoding="utf-8") == "old\n"


@pytest.mark.parametrize("name", ["tutorial", "xor", "moons", "circles", "spirals"])
def test_to_csv_reads_back_as_the_same_problem(name: str, tmp_path: Path) -> None:
    data = load(name, seed=5)
    data.to_csv(tmp_path / "data.csv")
    table = read_csv(tmp_path / "data.csv", target=data.target_name)
    assert table.columns == data.feature_names
    np.testing.assert_array_equal(table.X, data.X)  # floats written exactly
    assert table.y_raw is not None
    assert infer_task(table.y_raw) == data.task
    y, classes = encode_target(table, data.task)
    assert classes == data.target_names
    np.testing.assert_array_equal(y, data.y)


# --- the playground's generated sets -----------------------------------------------------------


def test_make_xor_labels_points_by_the_exclusive_or_of_their_signs() -> None:
    X, y = datasets.make_xor(200, seed=3)
    assert X.shape == (200, 2) and y.dtype == np.int64
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert np.abs(X).min() >= 0.05  # a margin along the axes
    np.testing.assert_array_equal(datasets.make_xor(200, seed=3)[0], X)


def test_make_gaussians_deals_balanced_classes_around_their_centres() -> None:
    X, y = datasets.make_gaussians(300, n_classes=3, seed=1)
    assert np.bincount(y).tolist() == [100, 100, 100]
    centres = [X[y == k].mean(axis=0) for k in range(3)]
    assert all(abs(np.hypot(*c) - 0.5) < 0.1 for c in centres)


def test_make_plane_is_a_regression_on_the_plane_plus_noise() -> None:
    X, y = datasets.make_plane(500, noise=0.1, seed=2)
    assert y.dtype == np.float64 and y.shape == (500,)
    residual = y - X.sum(axis=1) / 2
    assert 0.08 < residual.std() < 0.12
    with pytest.raises(GlassnetError, match="noise"):
        datasets.make_plane(10, noise=-1.0)
