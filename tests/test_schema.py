"""What each column of a real table means for learning (glassnet.schema, glassnet.kinds).

The tables are written here with the quirks real files have: a byte-order mark, CRLF line ends,
quoted fields holding commas, NA markers, trailing blank lines, dates, identifiers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.errors import DataError, ModelFileError
from glassnet.kinds import MAX_CATEGORIES, date_seconds, names_an_identifier
from glassnet.network import mlp
from glassnet.preprocessing import Preprocessing
from glassnet.schema import Schema, learn, target_rows
from glassnet.tables import NA_MARKERS, Columns, read_columns

SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")


def write(path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    text = ("\ufeff" if bom else "") + end.join(lines) + end + end  # a trailing blank line
    path.write_bytes(text.encode("utf-8"))
    return path


def penguins(path: Path, n: int = 60) -> Path:
    """A penguins-like table: species target; island and sex categories; NA in numbers and in
    categories; a quoted comment holding a comma; BOM and CRLF line ends."""
    rng = np.random.default_rng(0)
    lines = ['species,island,bill_length_mm,body_mass_g,sex,"comment, if any"']
    for i in range(n):
        bill = "NA" if i % 10 == 3 else f"{40 + 5 * (i % 3) + rng.normal():.1f}"
        mass = "" if i % 15 == 4 else str(3500 + 50 * i)
        sex = "NA" if i % 12 == 5 else ("male", "female")[i % 2]
        comment = '"nest seen, eggs laid"' if i % 4 == 0 else "ok"
        lines.append(f"{SPECIES[i % 3]},{ISLANDS[(i // 3) % 3]},{bill},{mass},{sex},{comment}")
    return write(path, lines, bom=True, crlf=True)


def table(path: Path, **kwargs: object) -> Columns:
    return read_columns(path, **kwargs)  # type: ignore[arg-type]


def kinds(schema: Schema) -> dict[str, str]:
    return {c.name: c.kind for c in schema.columns}


# --- the kinds ------------------------------------------------------------------------------------


def test_a_penguins_table_has_categories_numbers_and_fills_learned_from_training(tmp_path):
    columns = table(penguins(tmp_path / "penguins.csv"), text=["species"])
    schema = learn(columns, target="species")
    assert kinds(schema) == {
        "island": "category", "bill_length_mm": "number", "body_mass_g": "number",
        "sex": "category", "comment, if any": "category",
    }  # fmt: skip
    island, bill, mass, sex, _ = schema.columns
    assert island.categories == sorted(ISLANDS) and island.missing == 0
    assert sex.categories == ["female", "male"] and sex.missing == 5
    assert sex.fill in ("female", "male")
    present = columns.values["bill_length_mm"][~np.isnan(columns.values["bill_length_mm"])]
    assert bill.fill == float(np.median(present)) and bill.missing == 6
    assert mass.missing == 4
    assert schema.features[:3] == ["island=Biscoe", "island=Dream", "island=Torgersen"]
    X, notes = schema.transform(columns)
    assert notes == [] and X.shape == (60, len(schema.features)) and np.isfinite(X).all()
    # a missing bill length is the median; a missing sex is the most frequent one, one-hot
    assert X[3, schema.features.index("bill_length_mm")] == bill.fill
    j = schema.features.index(f"sex={sex.fill}")
    assert X[5, j] == 1.0 and X[5, j - 1 if j else j + 1] == 0.0
    # every row has exactly one island
    assert (X[:, :3].sum(axis=1) == 1).all()


def test_categories_unseen_in_training_become_all_zeros_and_are_counted(tmp_path):
    schema = learn(table(penguins(tmp_path / "p.csv"), text=["species"]), target="species")
    new = write(tmp_path / "new.csv", [
        "island,bill_length_mm,body_mass_g,sex,comment, if any,extra",
        "Atlantis,40,3600,male,ok,1", "Dream,41,3700,martian,ok,2", "Atlantis,42,3800,NA,ok,3",
    ])  # fmt: skip
    new.write_text(new.read_text().replace("comment, if any", '"comment, if any"'))
    X, notes = schema.transform(read_columns(new, text=schema.text_columns()))
    assert X[:, :3].tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    sex = [schema.features.index("sex=female"), schema.features.index("sex=male")]
    assert X[1, sex].tolist() == [0, 0]
    assert len(notes) == 2
    assert "column 'island': 2 rows with a category not seen in training ('Atlantis')" in notes[0]
    assert "column 'sex': 1 row" in notes[1] and "'martian'" in notes[1]


def test_a_date_column_becomes_its_parts_and_hours_only_when_times_vary(tmp_path):
    days = ["2023-12-30", "2024-01-31", "2024-02-29", "2024-07-04", "2024-12-31", "NA"]
    path = write(tmp_path / "weather.csv", ["date,temp,rain"] +
                 [f"{d},{10 + i},{i % 2}" for i, d in enumerate(days)])  # fmt: skip
    schema = learn(table(path), target="rain")
    date = schema.columns[0]
    assert date.kind == "date" and date.missing == 1
    assert date.parts == ["year", "month", "day", "dayofyear", "weekday"]  # no hour: all 00:00
    assert schema.features[:2] == ["date.year", "date.month"]
    X, _ = schema.transform(table(path))
    # 2024-02-29 is a Thursday (weekday 3 counting Monday as 0), the 60th day of its year
    assert X[2, :5].tolist() == [2024, 2, 29, 60, 3]
    assert X[4, :5].tolist() == [2024, 12, 31, 366, 1]
    assert date_seconds(str(date.fill)) is not None  # the missing date is the median one
    assert X[5, :5].tolist() == X[2, :5].tolist()
    times = write(tmp_path / "hourly.csv", ["when,temp", "2024-03-01 06:00,1",
                  "2024-03-01T07:30:00Z,2", "2024-03-01 08:00:00+01:00,3"])  # fmt: skip
    when = learn(table(times), target="temp").columns[0]
    assert when.kind == "date" and when.parts == ["hour"]  # the same day: only the hour varies
    X, _ = learn(table(times), target="temp").transform(table(times))
    assert X[:, 0].tolist() == [6, 7, 7]  # 08:00+01:00 is 07:00 UTC


@pytest.mark.parametrize(
    ("dates", "order", "first"),
    [
        (["11/11/07", "11/16/07", "12/1/08", "11/9/09"], "mdy", [2007, 11, 11]),  # penguins_raw
        (["31.01.2024", "1.02.2024", "15.03.2024"], "dmy", [2024, 1, 31]),
        (["1/31/2024 1:05 PM", "2/1/2024 11:00 am", "2/1/2024 12:30 AM"], "mdy", [2024, 1, 31]),
        (["2024/1/5", "2024-01-06", "2024-1-17"], "ymd", [2024, 1, 5]),
    ],
)
def test_dates_written_year_last_are_read_month_first_unless_a_day_comes_first(
    dates, order, first, tmp_path
):
    lines = ["Date Egg,label"] + [f"{d},{i % 2}" for i, d in enumerate(dates)]
    path = write(tmp_path / "d.csv", lines)
    schema = learn(table(path), target="label")
    date = schema.columns[0]
    assert date.kind == "date" and date.order == order
    X, _ = schema.transform(table(path))
    got = dict(zip(date.parts, X[0].tolist()))
    assert [got.get("year", first[0]), got.get("month", first[1]), got["day"]] == first
    if "hour" in date.parts:
        assert X[:, date.parts.index("hour")].tolist() == [13, 11, 0]
    assert Schema.from_json(json.loads(json.dumps(schema.to_json()))) == schema


def test_version_like_or_impossible_dates_are_not_dates(tmp_path):
    path = write(tmp_path / "d.csv", ["when,label", "13/13/2024,a", "1/5/2024,b", "2/5/2024,a"])
    assert kinds(learn(table(path), target="label")) != {"when": "date"}


def test_a_date_that_cannot_be_read_at_prediction_is_one_line_naming_it(tmp_path):
    path = write(tmp_path / "w.csv", ["date,temp", "2024-01-01,1", "2024-01-02,2", "2024-01-05,3"])
    schema = learn(table(path), target="temp")
    bad = write(tmp_path / "bad.csv", ["date", "2024-01-03", "soon"])
    with pytest.raises(DataError) as info:
        schema.transform(read_columns(bad))
    message = f"{bad} line 3, column 'date': expected a date like 2024-01-31, got 'soon'"
    assert str(info.value) == message


def patients(path: Path, n: int = 40) -> Path:
    rng = np.random.default_rng(1)
    lines = ["PatientID,patient_no,visit,cholesterol,income,age,smoker,notes,site,outcome"]
    for i in range(n):
        lines.append(
            f"P{i + 1:04d},{1000 + 7 * i},{i + 1},{180 + 30 * rng.random():.3f},"
            f"{20000 + int(rng.integers(0, 10**6))},{30 + i % 40},{('Yes', 'no')[i % 3 == 0]},"
            f'"came in on a rainy day, felt better after visit {i}",clinic A,{i % 2}'
        )
    return write(path, lines)


def test_identifiers_are_set_aside_but_measurements_distinct_in_every_row_are_not(tmp_path):
    schema = learn(table(patients(tmp_path / "patients.csv")), target="outcome")
    assert kinds(schema) == {
        "PatientID": "identifier",  # P0001, P0002, ...: a distinct text in every row
        "patient_no": "identifier",  # integers, distinct, and the header names an identifier
        "visit": "identifier",  # 1, 2, ..., n: integers numbering the rows
        "cholesterol": "number",  # distinct in every row, but a measurement
        "income": "number",  # distinct integers, but neither named nor numbering the rows
        "age": "number",
        "smoker": "boolean",
        "notes": "text",
        "site": "constant",
    }
    assert schema.features == ["cholesterol", "income", "age", "smoker"]
    smoker = schema.columns[6]
    X, _ = schema.transform(table(patients(tmp_path / "patients.csv")))
    assert X[:4, 3].tolist() == [0, 1, 1, 0] and smoker.fill == 1.0  # 'Yes' is the usual one


@pytest.mark.parametrize(
    ("name", "named"),
    [("id", True), ("PatientID", True), ("patient_id", True), ("record_no", True),
     ("Individual ID", True), ("Unnamed: 0", True), ("#", True), ("rowid", True),
     ("idle_time", False), ("paid", False), ("width", False), ("number_of_rooms", False),
     ("x", False), ("price index", False)],
)  # fmt: skip
def test_a_header_names_an_identifier_by_its_words(name, named):
    assert names_an_identifier(name) is named


def test_a_year_column_counting_up_is_a_number_not_a_row_numbering(tmp_path):
    path = write(tmp_path / "t.csv", ["year,sales"] + [f"{1950 + i},{i * i}" for i in range(40)])
    assert kinds(learn(table(path), target="sales")) == {"year": "number"}


def test_the_only_column_is_used_even_if_it_numbers_the_rows_or_never_changes(tmp_path):
    # a time step t = 0, 1, ... (or a column of ones) is all there is to learn from
    steps = write(tmp_path / "t.csv", ["t,k"] + [f"{i},{i % 3}" for i in range(30)])
    assert kinds(learn(table(steps), target="k")) == {"t": "number"}
    ones = write(tmp_path / "ones.csv", ["a,b,label", "1,1,x", "1,1,y"])
    assert learn(table(ones), target="label").features == ["a", "b"]
    # but an identifier by name, or text, leaves nothing: one line saying why
    ids = write(tmp_path / "ids.csv", ["id,label", "1,x", "2,y", "3,x"])
    with pytest.raises(DataError, match=r"ids.csv: no column left to learn from; set aside: "
                       r"'id' \(identifier\)"):  # fmt: skip
        learn(table(ids), target="label")


@pytest.mark.parametrize(
    ("true", "false"),
    [("yes", "no"), ("Yes", "NO"), ("true", "false"), ("TRUE", "False"), ("y", "n"),
     ("T", "f")],
)  # fmt: skip
def test_yes_no_words_in_any_case_are_booleans(true, false, tmp_path):
    path = write(tmp_path / "b.csv", ["flag,label", f"{true},a", f"{false},b", f"{true},a",
                                      "NA,b"])  # fmt: skip
    schema = learn(table(path), target="label")
    assert kinds(schema) == {"flag": "boolean"} and schema.columns[0].fill == 1.0
    X, _ = schema.transform(table(path))
    assert X[:, 0].tolist() == [1, 0, 1, 1]


def test_a_column_of_numbers_with_a_stray_word_is_one_line_suggesting_na(tmp_path):
    rows = [f"{20 + i},{i % 2}" for i in range(5)] + ["abc,1", "31,0"]
    path = write(tmp_path / "data.csv", ["age,label", *rows])
    with pytest.raises(DataError) as info:
        learn(table(path), target="label")
    assert str(info.value) == (
        f"{path} line 7, column 'age': expected a number, got 'abc' "
        "(if it marks a missing value: --na=abc)"
    )
    dash = write(tmp_path / "dash.csv", ["age,label", "20,0", "-,1", "22,0"])
    with pytest.raises(DataError, match=r"got '-' \(if it marks a missing value: --na=-\)"):
        learn(table(dash), target="label")
    # with the marker said, the column is numbers with a missing value
    markers = [*NA_MARKERS, "-"]
    schema = learn(read_columns(dash, na=markers), target="label", na=markers)
    assert kinds(schema) == {"age": "number"} and schema.columns[0].missing == 1
    assert schema.na[-1] == "-"


def test_numbers_mixed_with_many_different_words_are_text_not_an_error(tmp_path):
    # like the Titanic's tickets: '347082' and 'A/5 21171', 'PC 17599', ... in one column
    tickets = [str(300000 + 7 * i) if i % 4 else f"A/{i} {2000 + i}" for i in range(80)]
    lines = [f"{t},{i % 5},{i % 2}" for i, t in enumerate(tickets)]
    path = write(tmp_path / "t.csv", ["Ticket,x,label", *lines])
    assert kinds(learn(table(path), target="label")) == {"Ticket": "identifier", "x": "number"}


def test_an_infinite_number_is_one_line(tmp_path):
    path = write(tmp_path / "d.csv", ["a,label", "1,x", "-inf,y", "2,x"])
    with pytest.raises(DataError, match=r"d.csv line 3, column 'a': expected a finite number, "
                       r"got '-inf'"):  # fmt: skip
        learn(table(path), target="label")


def test_a_column_with_too_many_categories_keeps_the_frequent_ones_or_is_set_aside(tmp_path):
    rng = np.random.default_rng(2)
    # 60 cities: 10 frequent ones cover most rows, 50 are rare
    frequent = [f"city{k}" for k in range(10)]
    cities = [frequent[i % 10] if i % 10 else f"rare{i}" for i in range(600)]
    towns = [f"town{int(rng.integers(0, 400))}" for _ in range(600)]  # seen once or twice each
    lines = ["city,town,label"] + [f"{c},{t},{i % 2}" for i, (c, t) in
                                   enumerate(zip(cities, towns))]  # fmt: skip
    schema = learn(table(write(tmp_path / "c.csv", lines)), target="label")
    city, town = schema.columns
    assert city.kind == "category" and city.other and len(city.categories) <= MAX_CATEGORIES
    assert "rare10" not in city.categories and "city1" in city.categories
    assert schema.features[-1] == "city=(other)"
    assert town.kind == "many_categories" and "set aside: too many categories" in town.describe()
    new = write(tmp_path / "new.csv", ["city,town", "city1,x", "rare10,y", "nowhere,z"])
    X, notes = schema.transform(read_columns(new, text=schema.text_columns()))
    assert X[:, -1].tolist() == [0, 1, 1] and (X.sum(axis=1) == 1).all()
    assert "2 rows with a category not seen in training" in notes[0] and "(other)" in notes[0]


def test_columns_all_missing_constant_or_ignored_are_set_aside_with_a_reason(tmp_path):
    path = write(tmp_path / "d.csv", ["empty,same,skip,x,label", "NA,7,a,1,u", ",7,b,2,v",
                                      "null,7,c,3,u"])  # fmt: skip
    schema = learn(table(path), target="label", ignore=["skip"])
    assert kinds(schema) == {"empty": "missing", "same": "constant", "skip": "ignored",
                             "x": "number"}  # fmt: skip
    described = "\n".join(schema.describe())
    for words in ("set aside: all missing", "set aside: constant (7)", "ignored (--ignore)"):
        assert words in described


def test_na_indicator_adds_a_flag_per_column_that_had_missing_values(tmp_path):
    columns = table(penguins(tmp_path / "p.csv"), text=["species"])
    schema = learn(columns, target="species", na_indicator=True)
    assert "bill_length_mm.missing" in schema.features and "sex.missing" in schema.features
    assert "island.missing" not in schema.features  # island was never missing
    X, _ = schema.transform(columns)
    flag = X[:, schema.features.index("bill_length_mm.missing")]
    assert flag.sum() == 6 and flag[3] == 1.0


def test_rows_without_a_target_are_found_and_the_schema_learns_only_the_others(tmp_path):
    path = write(tmp_path / "d.csv", ["x,label", "1,a", "100,NA", "3,b", "5,", "7,a"])
    columns = read_columns(path, text=["label"])
    labels, rows = target_rows(columns, "label")
    assert labels == ["a", "b", "a"] and rows.tolist() == [0, 2, 4]
    schema = learn(columns, target="label", rows=rows)
    assert schema.columns[0].fill == 3.0  # the median of 1, 3, 7: the row with 100 left out
    X, _ = schema.transform(columns, rows=rows)
    assert X[:, 0].tolist() == [1, 3, 7]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
            st.one_of(st.none(), st.sampled_from(["red", "green", "blue"])),
        ),
        min_size=3,
        max_size=30,
    )
)
def test_numbers_pass_through_exactly_and_each_row_has_at_most_one_category(rows):
    numbers = np.array([np.nan if x is None else x for x, _ in rows])
    colours = np.empty(len(rows), dtype=object)
    colours[:] = [c for _, c in rows]
    steps = np.arange(len(rows), dtype=np.float64) * 0.5  # always something to learn from
    columns = Columns(["x", "colour", "t"], {"x": numbers, "colour": colours, "t": steps},
                      "t.csv", np.arange(2, len(rows) + 2))  # fmt: skip
    schema = learn(columns, target=None)
    X, _ = schema.transform(columns)
    x, colour = schema.columns[:2]
    if x.kind in ("number", "boolean"):  # 0/1 numbers are a boolean: the same numbers
        j = schema.features.index("x")
        present = ~np.isnan(numbers)
        assert np.array_equal(X[present, j], numbers[present])
        assert (X[~present, j] == x.fill).all()
    if colour.kind == "category":
        block = [j for j, f in enumerate(schema.features) if f.startswith("colour=")]
        assert (X[:, block].sum(axis=1) == 1).all()  # a missing colour is the usual one


def test_a_mostly_numbers_column_read_as_text_for_prediction_names_the_bad_cell(tmp_path):
    schema = learn(table(write(tmp_path / "t.csv", ["a,y", "1,u", "2,v", "3,u"])), target="y")
    new = write(tmp_path / "n.csv", ["a", "4", "five"])
    with pytest.raises(DataError) as info:
        schema.transform(read_columns(new))
    assert str(info.value) == f"{new} line 3, column 'a': expected a number, got 'five'"


def test_a_median_of_values_near_the_float64_limit_does_not_overflow(tmp_path):
    path = write(tmp_path / "big.csv", ["a,y", "1.7e308,u", "1.7e308,v", "1.6e308,u", "1e308,v"])
    with np.errstate(all="raise"):
        assert learn(table(path), target="y").columns[0].fill == pytest.approx(1.65e308)


# --- the model file -------------------------------------------------------------------------------


def test_a_schema_survives_json_and_the_model_file_exactly(tmp_path):
    columns = table(penguins(tmp_path / "p.csv"), text=["species"])
    schema = learn(columns, target="species", na_indicator=True, na=[*NA_MARKERS, "-"])
    assert Schema.from_json(json.loads(json.dumps(schema.to_json()))) == schema
    net = mlp(len(schema.features), [3], 3, rng=0)
    X, _ = schema.transform(columns)
    prep = Preprocessing.fit(X, np.arange(60) % 3, features=schema.features, target="species",
                             task="classification", classes=list(SPECIES))  # fmt: skip
    prep.schema = schema
    prep.store(net)
    net.save(tmp_path / "m.npz")
    loaded = Preprocessing.from_model(gn.load(tmp_path / "m.npz"), source="m.npz")
    assert loaded.schema == schema


def test_a_model_saved_without_a_schema_reads_as_before(tmp_path):
    net = mlp(2, [3], 1, rng=0)
    net.loss = gn.MeanSquaredError()
    prep = Preprocessing.fit(np.ones((4, 2)) * [[1], [2], [3], [4]], np.arange(4.0),
                             features=["a", "b"], target="y", task="regression")  # fmt: skip
    prep.store(net)
    assert "schema" not in net.metadata
    assert Preprocessing.from_model(net, source="m").schema is None
    numeric = Schema.numeric(["a", "b"], "y")
    path = write(tmp_path / "n.csv", ["b,a", "1,2", "NA,3"])
    with pytest.raises(DataError, match=r"n.csv line 3, column 'b': missing value; expected a "
                       r"number"):  # fmt: skip
        numeric.transform(read_columns(path))


HOSTILE = [
    ("not an object", "expected a JSON object"),
    ({"version": 2}, "version 2 is not 1"),
    ({"version": 1, "na": [], "columns": "x"}, "columns must be a list"),
    ({"version": 1, "na": [1], "columns": []}, "na must be a list of strings"),
    ({"version": 1, "na": [], "columns": [{"name": "", "kind": "number"}]}, "name"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "blob"}]}, "kind 'blob'"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "number", "fill": "x"}]},
     "fill must be a finite number"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "number", "fill": 10**400}]},
     "fill must be a finite number"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "boolean", "fill": 0.5}]},
     "fill must be 0 or 1"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "category", "fill": "x",
                                           "categories": ["x", "x"]}]}, "distinct"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "category", "fill": "z",
                                           "categories": ["x"]}]}, "one of its categories"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "date", "fill": "2024-01-01",
                                           "parts": ["hour", "year"]}]}, "in order"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "date", "fill": "soon",
                                           "parts": ["year"]}]}, "fill must be a date"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "number", "fill": 1,
                                           "missing": -1}]}, "missing must be a count"),
    ({"version": 1, "na": [], "columns": [{"name": "a", "kind": "number", "fill": 1},
                                          {"name": "a", "kind": "text"}]}, "distinct"),
]  # fmt: skip


@pytest.mark.parametrize(("stored", "needle"), HOSTILE)
def test_a_malformed_schema_is_refused_saying_what_is_wrong(stored, needle):
    with pytest.raises((TypeError, ValueError), match=needle):
        Schema.from_json(stored)


def test_a_schema_that_disagrees_with_the_network_is_a_model_file_error(tmp_path):
    path = write(tmp_path / "t.csv", ["a,b,y", "1,2,u", "2,1,v", "3,5,u"])
    schema = learn(table(path), target="y")
    net = mlp(2, [3], 2, rng=0)
    prep = Preprocessing.fit(schema.transform(table(path))[0], np.array([0, 1, 0]),
                             features=schema.features, target="y", task="classification",
                             classes=["u", "v"])  # fmt: skip
    prep.store(net)
    for stored in ({**schema.to_json(), "columns": schema.to_json()["columns"][:1]},
                   {**schema.to_json(), "target": "a"}, {"version": 1}):  # fmt: skip
        net.metadata["schema"] = stored
        with pytest.raises(ModelFileError) as info:
            Preprocessing.from_model(net, source="m.npz")
        message = str(info.value)
        assert message.startswith("cannot load model file 'm.npz': its schema is malformed (")
        assert "\n" not in message


def test_an_all_number_table_read_together_trains_on_the_read_matrix_itself(tmp_path):
    # the features of a table of numbers are the matrix the reader filled: no copy of the data
    path = write(tmp_path / "n.csv", ["a,b,y", "1,2,0", "NA,4,1", "5,,0", "7,8,1"])
    columns = gn.tables.CSVFile(path).read(text=["y"], together=["a", "b"])
    schema = learn(columns, target="y", ignore=[], na_indicator=False, na=NA_MARKERS)
    X, notes = schema.transform(columns)
    assert np.shares_memory(X, columns.matrix) and not notes
    np.testing.assert_array_equal(X, [[1, 2], [5, 4], [5, 4], [7, 8]])  # medians filled
    # the same table read column by column gives the same features, copied
    apart = read_columns(path, text=["y"])
    X2, _ = schema.transform(apart)
    assert apart.matrix is None and not any(np.shares_memory(X2, v) for v in apart.values.values())
    np.testing.assert_array_equal(X2, X)
    # some rows only (a missing target): a copy of those rows
    X3, _ = schema.transform(columns, rows=np.array([0, 3]))
    assert not np.shares_memory(X3, columns.matrix)
    np.testing.assert_array_equal(X3, X[[0, 3]])
