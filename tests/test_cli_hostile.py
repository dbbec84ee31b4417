"""The glassnet command against hostile input: every failure one line, exit 2, nothing destroyed.

Each test pins a defect found by attacking the command line — a bad file, a bad option, an output
path that names an input or a device — so that it stays fixed. Most run `glassnet.cli.main`
in-process; a few run the real command in a subprocess (closed streams, a full disk, pipes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.cli._common import check_paths

FAST = ["--hidden", "4", "--epochs", "3", "-q"]


# --- helpers ------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def glassnet(
    *args: str | Path, stdin: bytes | int | None = None, stdout: int | None = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    """Run the real command; ``stdin``/``stdout`` may be file descriptors or DEVNULL."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    kwargs: dict[str, object] = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "glassnet", *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        env=env,
        **kwargs,
    )


def assert_one_line_error(rc: int, out: str, err: str, *needles: str) -> None:
    assert rc == 2, (rc, out, err)
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert out == "", out
    for needle in needles:
        assert needle in err, (needle, err)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small classification CSV and a model trained on it."""
    d = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    rows = [f"{a!r},{b!r},{'ab'[int(a + b > 0)]}" for a, b in rng.normal(size=(40, 2)).tolist()]
    csv = d / "good.csv"
    csv.write_text("x,y,label\n" + "\n".join(rows) + "\n")
    model = d / "good.npz"
    assert main(["train", str(csv), "--target", "label", "-o", str(model), *FAST]) == 0
    return {"csv": csv, "model": model}


# --- outputs never destroy inputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["train", "{csv}", "--target", "label", "-o", "{csv}"],
        ["train", "{csv}", "--target", "label", "-o", "{dir}/m.npz", "--plot", "{csv}"],
        ["predict", "{model}", "{csv}", "-o", "{csv}"],
        ["predict", "{model}", "{csv}", "-o", "{model}"],
        ["predict", "{model}", "{csv}", "-o", "{link}"],
        ["plot", "boundary", "{model}", "{csv}", "-o", "{model}"],
        ["plot", "network", "{model}", "-o", "{model}"],
    ],
)
def test_an_output_naming_an_input_is_refused_and_the_input_kept(args, tmp_path, data, capsys):
    csv, model = tmp_path / "good.csv", tmp_path / "good.npz"
    csv.write_bytes(data["csv"].read_bytes())
    model.write_bytes(data["model"].read_bytes())
    (tmp_path / "link.csv").symlink_to(csv)  # a link to the input is the input
    before = {p: digest(p) for p in (csv, model)}
    names = listing(tmp_path)
    filled = [
        a.format(csv=csv, model=model, dir=tmp_path, link=tmp_path / "link.csv") for a in args
    ]
    rc, out, err = run(capsys, *filled)
    assert_one_line_error(rc, out, err, "would overwrite the input file")
    assert {p: digest(p) for p in (csv, model)} == before
    assert listing(tmp_path) == names


# --- nonsense option values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needles",
    [
        (
            ["train", "--dataset", "xor", "-o", "{d}/m.npz", "--epochs", "1" + "0" * 20],
            ["--epochs"],
        ),
        (["demo", "--input", "1,0,0", "--iterations", "99999999999"], ["--iterations"]),
        (["demo", "--input", "1,0,0", "--seed", str(2**32)], ["--seed", "4294967295"]),
        (["demo", "--input", "1,0,0", "--seed", "9" * 40], ["--seed"]),
        (["explain", "--seed", str(2**32)], ["glassnet explain:", "--seed"]),
        (["plot", "weights", "-o", "{d}/w.png", "--seed", str(2**32)], ["--seed"]),
        (["plot", "weights", "-o", "{d}/w.png", "--iterations", "9" * 15], ["--iterations"]),
        (
            ["plot", "evolution", "--dataset", "xor", "-o", "{d}/e.gif", "--epochs", "9" * 15],
            ["--epochs"],
        ),
        (["explain", "--iteration", "9" * 15], ["--iteration", "at most 1000000"]),
        (["train", "--dataset", "xor", "-o", "{d}/m.npz", "--hidden", "9" * 20], ["--hidden"]),
        (
            ["train", "--dataset", "xor", "-o", "{d}/m.npz", "--bogus"],
            ["glassnet train:", "--bogus"],
        ),
    ],
)
def test_absurd_option_values_fail_at_once_in_one_line(args, needles, tmp_path, capsys):
    rc, out, err = run(capsys, *[a.format(d=tmp_path) for a in args])
    assert_one_line_error(rc, out, err, *needles)
    assert listing(tmp_path) == []


def test_a_network_too_large_for_memory_is_one_line(tmp_path, capsys):
    hidden = ["--hidden", "1000000,1000000"]  # 1e12 weights, 8 TB: NumPy refuses to allocate
    rc, out, err = run(capsys, "train", "--dataset", "xor", "-o", tmp_path / "m.npz", *hidden)
    assert_one_line_error(rc, out, err, "out of memory")
    assert listing(tmp_path) == []


# --- output paths that are devices, pipes, or cannot be created ----------------------------------


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A null character device (like /dev/null) in tmp_path; creating one needs root."""
    path = tmp_path / "null"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "{model}", "{csv}", "-o", "{null}"],
        ["train", "{csv}", "--target", "label", *FAST, "-o", "{null}", "--plot", "{null}"],
        ["plot", "boundary", "{model}", "{csv}", "-o", "{null}", "--resolution", "10"],
    ],
)
def test_an_output_that_is_a_device_is_written_into_not_replaced(args, device, data, capsys):
    # renaming a temporary file over /dev/null would have replaced the system's null device
    filled = [a.format(model=data["model"], csv=data["csv"], null=device) for a in args]
    rc, out, err = run(capsys, *filled)
    assert (rc, out, err) == (0, "", "")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert listing(device.parent) == ["null"]


def test_a_model_saved_from_python_to_a_device_leaves_the_device(device):
    gn.Sequential([gn.Dense(2, 1, rng=0)]).save(device)
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert listing(device.parent) == ["null"]


@pytest.mark.parametrize(
    "args",
    [
        ["train", "{csv}", "--target", "label", "-o", "/proc/glassnet-model.npz"],
        ["train", "{csv}", "--target", "label", "-o", "{d}/m.npz", "--plot", "/proc/curves.png"],
        ["predict", "{model}", "{csv}", "-o", "/proc/predictions.csv"],
    ],
)
def test_an_output_that_cannot_be_created_fails_before_any_work(args, tmp_path, data, capsys):
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux /proc")
    # root passes every permission check, but nothing can be created in /proc: say so at once,
    # not after training (the plot's error named a temporary file nobody asked for)
    filled = [a.format(model=data["model"], csv=data["csv"], d=tmp_path) for a in args]
    rc, out, err = run(capsys, *filled)
    assert_one_line_error(rc, out, err, "cannot write /proc/")
    assert ".png." not in err and ".tmp" not in err
    assert listing(tmp_path) == []


def test_empty_standard_input_is_one_line_naming_it(data, tmp_path):
    for args in (
        ["predict", data["model"], "-"],
        ["train", "-", "--target", "y", "-o", tmp_path / "m.npz"],
    ):
        proc = glassnet(*args, stdin=b"")
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.count("\n") == 1 and "<stdin> is empty" in err, err


@pytest.mark.parametrize(
    "close, args, needle",
    [
        ("<&-", ["predict", "{model}", "-"], "cannot read <stdin>: standard input is closed"),
        (">&-", ["predict", "{model}", "{csv}"], "'-', but standard output is closed"),
        ("<&-", ["info", "-"], "cannot read <stdin>: standard input is closed"),
    ],
)
def test_closed_standard_streams_are_one_line_errors(close, args, needle, data):
    filled = [a.format(model=data["model"], csv=data["csv"]) for a in args]
    command = " ".join([sys.executable, "-m", "glassnet", *filled, close])
    proc = subprocess.run(["sh", "-c", command], capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert needle in err


def test_an_unreadable_standard_input_is_one_line_naming_it(data):
    # stdin open but failing to read (here: its descriptor closed once Python has started)
    script = "import os; os.close(0); from glassnet.cli import main; exit(main(os.sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", script, "predict", str(data["model"]), "-"],
        capture_output=True,
        timeout=120,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1, err
    assert "cannot read <stdin>" in err


def test_a_full_disk_on_standard_output_is_one_line_naming_it(data):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    with open("/dev/full", "wb") as full:
        proc = glassnet("predict", data["model"], data["csv"], stdout=full.fileno())
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1, err
    assert "cannot write standard output: No space left on device" in err


# --- data that used to slip through or fail unclearly --------------------------------------------


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.parametrize(
    "text",
    [
        "x,y,label\n1e308,1,a\n-1e308,2,b\n1e308,3,a\n-1e308,4,b\n",  # squares overflow
        "x,y,label\n1.7e308,1,a\n1.7e308,2,b\n1.7e308,3,a\n1.6e308,4,b\n",  # the sum overflows
    ],
)
def test_features_near_the_float64_limit_train_without_warnings(text, tmp_path, capsys):
    # standardizing them overflowed: a RuntimeWarning on stderr and a scale of inf, so the
    # network saw only zeros; now mean and deviation are computed without overflow
    csv = write(tmp_path / "big.csv", text)
    rc, out, err = run(capsys, "train", csv, "--target", "label", "-o", tmp_path / "m.npz", *FAST)
    assert (rc, out, err) == (0, "", "")
    scale = gn.load(tmp_path / "m.npz").extras["feature_scale"]
    assert np.isfinite(scale).all() and scale[0] > 1e305


def test_features_too_large_to_standardize_are_one_line_naming_the_column(tmp_path, capsys):
    csv = write(tmp_path / "far.csv", "x,y,label\n1.79e308,1,a\n-1.79e308,2,b\n-1.79e308,3,a\n")
    rc, out, err = run(capsys, "train", csv, "--target", "label", "-o", tmp_path / "m.npz", *FAST)
    assert_one_line_error(rc, out, err, str(csv), "column 'x'", "too large")
    assert listing(tmp_path) == ["far.csv"]


def test_scores_that_overflow_are_one_line_not_warnings_and_infinity(tmp_path, capsys):
    train = write(tmp_path / "t.csv", "x,v\n" + "".join(f"{i},{i * 1.5}\n" for i in range(30)))
    huge = write(tmp_path / "huge.csv", "x,v\n1,1e308\n2,-1e308\n3,1e308\n")
    model = tmp_path / "m.npz"
    assert main(["train", str(train), "--target", "v", "-o", str(model), *FAST]) == 0
    rc, out, err = run(capsys, "evaluate", model, huge, "--json")
    assert_one_line_error(rc, out, err, str(huge), "column 'v'", "too large to score")


def test_a_regression_prediction_beyond_float64_is_one_line_naming_the_row(tmp_path, capsys):
    rows = "".join(f"{i},{v}\n" for i, v in enumerate(["1.5e308", "-1.5e308"] * 5))
    train = write(tmp_path / "t.csv", "x,v\n" + rows)
    model = tmp_path / "m.npz"
    args = ["train", str(train), "--target", "v", "--task", "regression", "-o", str(model)]
    assert main([*args, *FAST]) == 0
    far = write(tmp_path / "far.csv", "x\n1e6\n")  # decoded: output * 1.5e308 overflows
    rc, out, err = run(capsys, "predict", model, far)
    assert_one_line_error(rc, out, err, f"{far} line 2", "beyond the range of float64")


def test_numeric_labels_are_classes_by_value(tmp_path, capsys):
    # '1' and '1.0' were two classes in training but one at evaluation
    csv = write(tmp_path / "d.csv", "x,label\n1,1\n2,1.0\n3,2\n4,2.0\n5,01\n")
    model = tmp_path / "m.npz"
    rc, out, _ = run(capsys, "train", csv, "--target", "label", "-o", model, "--json", *FAST)
    assert rc == 0 and json.loads(out)["classes"] == ["1", "2"]
    rc, out, _ = run(capsys, "evaluate", model, csv, "--json")
    assert rc == 0 and json.loads(out)["support"] == {"1": 3, "2": 2}


@pytest.mark.parametrize("label", ["inf", "-Infinity"])  # NaN marks a missing value
def test_an_infinite_target_is_not_a_class(label, tmp_path, capsys):
    csv = write(tmp_path / "d.csv", f"x,label\n1,cat\n2,{label}\n3,dog\n")
    rc, out, err = run(capsys, "train", csv, "--target", "label", "-o", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, f"{csv} line 3, column 'label'", repr(label))


@pytest.mark.parametrize(("separator", "name"), [(";", "';'"), ("\t", "tab")])
def test_a_file_with_another_separator_says_so(separator, name, tmp_path, capsys):
    csv = write(tmp_path / "d.csv", f"x{separator}label\n1{separator}a\n2{separator}b\n")
    rc, out, err = run(capsys, "train", csv, "--target", "label", "-o", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, str(csv), f"looks {name}-separated")


def test_a_latin1_file_names_the_line_of_the_first_bad_byte(tmp_path, capsys):
    csv = write(tmp_path / "d.csv", "x,label\n1,a\n2,caf\u00e9\n", encoding="latin-1")
    rc, out, err = run(capsys, "train", csv, "--target", "label", "-o", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, str(csv), "not UTF-8", "line 3")


def test_a_utf16_file_is_named_as_such(tmp_path, capsys):
    csv = write(tmp_path / "d.csv", "x,label\n1,a\n2,b\n", encoding="utf-16")
    rc, out, err = run(capsys, "train", csv, "--target", "label", "-o", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, str(csv), "not UTF-8", "looks UTF-16")


def test_a_validation_split_leaving_no_rows_names_the_option_and_file(tmp_path, capsys):
    csv = write(tmp_path / "d.csv", "x,label\n1,a\n2,b\n3,c\n")
    args = ["train", csv, "--target", "label", "-o", tmp_path / "m.npz", "--validation-split"]
    rc, out, err = run(capsys, *args, "0.7")
    assert_one_line_error(rc, out, err, "--validation-split", "3 rows", str(csv))
    assert listing(tmp_path) == ["d.csv"]


# --- model files whose manifest was edited --------------------------------------------------------


def craft(model: Path, path: Path, **changes: object) -> Path:
    """A copy of ``model`` whose manifest has ``changes`` applied (``a__b=v`` sets m[a][b] = v).

    The arrays keep their checksums, so only the JSON is wrong: what a hand edit produces.
    """
    with zipfile.ZipFile(model) as src:
        manifest = json.loads(src.read("manifest.json"))
        for dotted, value in changes.items():
            *parents, key = dotted.split("__")
            node = manifest
            for parent in parents:
                node = node[parent]
            node[key] = value
        with zipfile.ZipFile(path, "w") as dst:
            for item in src.namelist():
                blob = json.dumps(manifest) if item == "manifest.json" else src.read(item)
                dst.writestr(item, blob)
    return path


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"metadata__training__stopped_early": True, "metadata__training__best_epoch": "x"}, ""),
        ({"metadata__training": "hello"}, ""),
        ({"metadata__training__epochs": [1], "metadata__training__n_samples": {}}, ""),
        ({"metadata__preprocessing": "x"}, "expected a JSON object"),
        ({"metadata__preprocessing__features": ["x", "x"]}, "distinct"),
        ({"metadata__preprocessing__features": ["x", "label"]}, "not the target"),
        ({"metadata__preprocessing__classes": ["a", "a"]}, "distinct"),
        ({"optimizer__iterations": -5}, "'optimizer.iterations' is malformed: -5"),
    ],
)
@pytest.mark.parametrize("command", ["info", "predict", "diagnose"])
def test_an_edited_manifest_is_shown_or_refused_in_one_line(
    changes, needle, command, data, tmp_path, capsys
):
    # a best_epoch of "x" crashed info, a training summary that is not an object crashed
    # diagnose, a negative optimizer step count crashed Adam; duplicate names went unnoticed
    model = craft(data["model"], tmp_path / "edited.npz", **changes)
    args = {
        "info": ["info", model],
        "predict": ["predict", model, data["csv"]],
        "diagnose": ["diagnose", model, data["csv"], "--epochs", "1"],
    }[command]
    rc, out, err = run(capsys, *args)
    if needle:
        assert_one_line_error(rc, out, err, str(model), needle)
    else:  # the summary is only informative: the model still works
        assert (rc, err) == (0, ""), err
        assert out


# --- reports stay readable ----------------------------------------------------------------------


def test_errors_about_a_very_wide_file_stay_short(tmp_path, capsys):
    header = ",".join(f"c{j}" for j in range(1000))
    csv = write(tmp_path / "wide.csv", header + "\n" + ",".join(["1"] * 1000) + "\n")
    rc, out, err = run(capsys, "train", csv, "--target", "nope", "-o", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, "'c9', ... (1000 in all)")
    assert len(err) < 300  # it listed all 1,000 names


def test_labels_with_newlines_or_commas_keep_reports_one_row_per_class(tmp_path, capsys):
    csv = write(tmp_path / "d.csv", 'x,label\n1,"a,b"\n2,"c\nd"\n3,"a,b"\n4,"c\nd"\n')
    model = tmp_path / "m.npz"
    assert main(["train", str(csv), "--target", "label", "-o", str(model), *FAST]) == 0
    rc, out, _ = run(capsys, "info", model)
    assert rc == 0 and "2 classes: 'a,b', 'c\\nd'" in out
    rc, out, _ = run(capsys, "evaluate", model, csv)
    assert rc == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("  '")]
    assert [r[0] for r in rows] == ["'a,b'", "'c\\nd'"] * 2  # per-class table, confusion matrix


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["train", "", "--target", "y", "-o", "{d}/m.npz"], ["argument DATA", "got ''"]),
        (["info", ""], ["argument MODEL", "got ''"]),  # said "'' : it is a directory"
        (["predict", "{model}", ""], ["argument DATA"]),
        (["train", "{d}/no\nsuch.csv", "--target", "y", "-o", "{d}/m.npz"], ["no\\nsuch.csv"]),
        (["predict", "{model}", "{csv}", "-o", "{d}/new\nline/p.csv"], ["new\\nline"]),
        (["predict", "{model}", "{csv}", "--target", "x"], ["'x' is one of the model's feature"]),
        (["predict", "{model}", "{csv}", "-o", "{csv}/p.csv"], ["good.csv is not a directory"]),
    ],
)
def test_odd_file_names_and_targets_are_one_line(args, needles, data, tmp_path, capsys):
    filled = [a.format(d=tmp_path, model=data["model"], csv=data["csv"]) for a in args]
    rc, out, err = run(capsys, *filled)
    assert_one_line_error(rc, out, err, *needles)
    assert listing(tmp_path) == []


@pytest.mark.parametrize(("given", "meant"), [("Label", "label"), ("lable", "label")])
def test_a_misspelt_target_gets_a_suggestion(given, meant, data, tmp_path, capsys):
    rc, out, err = run(capsys, "train", data["csv"], "--target", given, "-o", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, f"no target column {given!r}", f"did you mean {meant!r}?")


def test_an_unknown_option_before_any_command_is_named(capsys):
    rc, out, err = run(capsys, "--bogus")  # said only that COMMAND was missing
    assert_one_line_error(rc, out, err, "unrecognized arguments: --bogus")


def test_no_arguments_is_one_line_and_version_and_help_work():
    proc = glassnet()
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "COMMAND" in err
    version = glassnet("--version")
    assert version.returncode == 0 and version.stdout.decode() == f"glassnet {gn.__version__}\n"


def test_a_long_but_legal_file_name_can_be_written(data, tmp_path, capsys):
    # temporary names added ~20 characters to the name, so a 250-character one could not be
    # written at all ("File name too long")
    stem = str(tmp_path / ("a" * 246))
    args = ["train", data["csv"], "--target", "label", *FAST, "-o", f"{stem}.npz"]
    rc, out, err = run(capsys, *args, "--plot", f"{stem}.png")
    assert (rc, out, err) == (0, "", "")
    rc, out, err = run(capsys, "predict", f"{stem}.npz", data["csv"], "-o", f"{stem}.csv")
    assert (rc, out, err) == (0, "", "")
    assert len(listing(tmp_path)) == 3


def test_a_bug_is_one_line_with_exit_1_unless_debugging(monkeypatch, capsys):
    def broken(args: object) -> int:
        raise TypeError("an unforeseen case")

    monkeypatch.setattr("glassnet.cli.info.run_info", broken)  # handlers bind at build time
    monkeypatch.delenv("GLASSNET_DEBUG", raising=False)
    rc, out, err = run(capsys, "info", "model.npz")
    assert (rc, out) == (1, "") and err.count("\n") == 1
    assert "internal error: TypeError: an unforeseen case" in err and "Traceback" not in err
    monkeypatch.setenv("GLASSNET_DEBUG", "1")
    with pytest.raises(TypeError, match="unforeseen"):
        main(["info", "model.npz"])


def test_reading_and_writing_the_same_terminal_or_device_is_not_overwriting(device):
    # '/dev/stdin' in and '/dev/stdout' out are the same terminal: writing it destroys nothing
    args = argparse.Namespace(
        command="predict", model="m.npz", data=str(device), output=str(device)
    )
    check_paths(args)  # no error


# --- endless inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "/dev/zero", "--target", "y", "-o", "{d}/m.npz"], "binary data"),
        (["predict", "{model}", "/dev/urandom"], "binary data"),
        (["predict", "/dev/zero", "{csv}"], "not a glassnet model"),
        (["info", "/dev/urandom"], "not a glassnet model"),
    ],
)
def test_an_endless_device_is_refused_from_its_first_block(args, needle, data, tmp_path, capsys):
    # both were read whole before being judged: /dev/zero until memory ran out
    if not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero and /dev/urandom")
    filled = [a.format(d=tmp_path, model=data["model"], csv=data["csv"]) for a in args]
    rc, out, err = run(capsys, *filled)
    assert_one_line_error(rc, out, err, "/dev/", needle)
    assert listing(tmp_path) == []


def test_binary_standard_input_is_refused_from_its_first_block(data):
    # 64 MB of NUL bytes: refused after the first 64 KB (the pipe then closes on the writer)
    for args in (["predict", data["model"], "-"], ["info", "-"]):
        proc = glassnet(*args, stdin=bytes(1 << 26))
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.count("\n") == 1 and "<stdin>" in err, err


def test_info_json_stays_valid_json_when_the_manifest_holds_nan(data, tmp_path, capsys):
    nan = float("nan")
    model = craft(data["model"], tmp_path / "m.npz", metadata__training__loss=nan)
    rc, out, err = run(capsys, "info", model, "--json")
    assert (rc, err) == (0, "")
    facts = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert facts["training"]["loss"] is None


def test_a_reader_that_stops_early_ends_the_command_quietly(data, tmp_path):
    # like 'glassnet predict ... | head -1': no BrokenPipeError trace, no message, exit 0
    big = tmp_path / "big.csv"
    big.write_text("x,y\n" + "0.5,-0.5\n" * 100_000)
    command = f"{sys.executable} -m glassnet predict {data['model']} {big} --proba | head -1"
    proc = subprocess.run(["sh", "-c", command], capture_output=True, timeout=120)
    assert proc.stdout.decode() == "a,b\n"
    assert proc.stderr == b""


@pytest.mark.parametrize("event", [EOFError, KeyboardInterrupt])
def test_demo_on_a_terminal_ends_the_prompt_line_before_the_message(event, monkeypatch, capsys):
    # "User Input Two: glassnet demo: error: ..." shared one line on the terminal
    class Terminal:
        def isatty(self) -> bool:
            return True

    def answer(prompt: str) -> str:
        print(prompt, end="")
        raise event

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", answer)
    rc = main(["demo", "--iterations", "1"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert out.endswith("User Input One: \n")
    assert err.count("\n") == 1 and ("end of input" in err or "interrupted" in err)


def test_an_output_naming_the_file_on_standard_input_is_refused(data, tmp_path):
    # 'glassnet train - -o data.csv < data.csv' replaced the data with the model
    csv = tmp_path / "data.csv"
    csv.write_bytes(data["csv"].read_bytes())
    before = digest(csv)
    with open(csv, "rb") as stdin:
        proc = glassnet("train", "-", "--target", "label", "-o", csv, *FAST, stdin=stdin.fileno())
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1, err
    assert "would overwrite the input file read on standard input" in err
    assert digest(csv) == before and listing(tmp_path) == ["data.csv"]


def test_labels_reach_an_ascii_terminal_as_utf8_csv_and_escaped_reports(tmp_path):
    # PYTHONIOENCODING=ascii (or an old locale) made predict and info fail on 'café'
    csv = tmp_path / "d.csv"
    csv.write_text("x,label\n1,café\n2,thé\n3,café\n", encoding="utf-8")
    model = tmp_path / "m.npz"
    assert main(["train", str(csv), "--target", "label", "-o", str(model), *FAST]) == 0
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    outputs = []
    for args in (["predict", model, csv], ["info", model]):
        proc = subprocess.run(
            [sys.executable, "-m", "glassnet", *map(str, args)],
            capture_output=True,
            env=env,
            timeout=120,
        )
        assert (proc.returncode, proc.stderr) == (0, b""), proc.stderr
        outputs.append(proc.stdout)
    predictions, report = outputs
    assert set(predictions.decode("utf-8").splitlines()[1:]) <= {"café", "thé"}
    assert "caf\\xe9" in report.decode("ascii")


# --- closed pipes never cost the user a file ------------------------------------------------------


def gone_reader() -> int:
    """The write end of a pipe whose reader has already left: every write fails with EPIPE
    (like '... | head -0', deterministically)."""
    read, write = os.pipe()
    os.close(read)
    return write


def run_with(args: list[object], *, stdout: int, stderr: int) -> int:
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        stdout=stdout,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    return proc.returncode


def test_progress_into_a_closed_pipe_still_saves_the_model(data, tmp_path):
    # 'glassnet train data.csv -o m.npz -v 2>&1 | head -2' exited 0 and wrote no model
    model = tmp_path / "m.npz"
    pipe = gone_reader()
    try:
        args = ["train", data["csv"], "--target", "label", "-o", model, "--hidden", "4",
                "--epochs", "5", "-v"]  # fmt: skip
        rc = run_with(args, stdout=pipe, stderr=pipe)
    finally:
        os.close(pipe)
    assert rc == 0
    assert gn.load(model).n_features_in == 2


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_training_with_standard_error_closed_saves_the_model(verbose, data, tmp_path):
    # '2>&-' made train fail with exit 1 "internal error" after training (or print to stdout)
    model = tmp_path / "m.npz"
    args = [sys.executable, "-m", "glassnet", "train", str(data["csv"]), "--target", "label",
            "-o", str(model), "--hidden", "4", "--epochs", "3", *verbose]  # fmt: skip
    proc = subprocess.run(["sh", "-c", " ".join(args) + " 2>&-"], capture_output=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, b"")
    assert gn.load(model).n_features_in == 2


def test_a_model_cut_short_on_standard_output_is_an_error(data, tmp_path):
    # 'glassnet train ... -o - | head -c 100' exited 0 with the reader holding 100 bytes
    pipe = gone_reader()
    err = tmp_path / "err.txt"
    try:
        with open(err, "wb") as f:
            args = ["train", data["csv"], "--target", "label", "-o", "-", *FAST]
            rc = run_with(args, stdout=pipe, stderr=f.fileno())
    finally:
        os.close(pipe)
    message = err.read_text()
    assert rc == 2 and message.count("\n") == 1, message
    assert "the model was not written in full" in message


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "{model}", "{csv}", "-o", "{out}"],
        ["plot", "network", "{model}", "-o", "{out}"],
        ["train", "{csv}", "--target", "label", "-o", "{out}", *FAST[:4], "-v", "--json"],
    ],
)
def test_outputs_are_written_whatever_happens_to_the_standard_streams(args, data, tmp_path):
    if args[0] == "plot":
        pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    filled = [a.format(model=data["model"], csv=data["csv"], out=out) for a in args]
    pipe = gone_reader()
    try:
        rc = run_with(filled, stdout=pipe, stderr=pipe)
    finally:
        os.close(pipe)
    assert rc == 0 and out.stat().st_size > 0
    assert listing(tmp_path) == ["out"]


def test_an_error_with_standard_error_closed_still_exits_2(data, tmp_path):
    # the error message itself could not be written: BrokenPipeError escaped main, exit 1
    pipe = gone_reader()
    try:
        rc = run_with(["predict", data["model"], tmp_path / "missing.csv"], stdout=pipe,
                      stderr=pipe)  # fmt: skip
    finally:
        os.close(pipe)
    assert rc == 2


def _hostile_files(d: Path) -> dict[str, Path]:
    wide = ",".join(f"c{i}" for i in range(10_000)) + ",label\n"
    wide += "".join(",".join("1" * 10_000) + f",{'ab'[i % 2]}\n" for i in range(4))
    files = {
        "empty": b"",
        "header": b"x,y,label\n",
        "nul": b"x,y,label\n1,2,a\n3,\x004,b\n",
        "binary": bytes(range(256)),
        "wide": wide.encode(),
    }
    for name, content in files.items():
        (d / name).write_bytes(content)
    (d / "adir").mkdir()
    return {name: d / name for name in [*files, "adir"]}


@pytest.mark.parametrize("kind", ["empty", "header", "nul", "binary", "wide", "adir", "missing"])
@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "diagnose", "info"])
def test_every_command_refuses_a_hostile_file_in_one_line(command, kind, data, tmp_path, capsys):
    files = _hostile_files(tmp_path)
    path = files.get(kind, tmp_path / "missing.csv")
    out = tmp_path / "out.npz"
    args = {
        "train": ["train", path, "--target", "label", "-o", out, *FAST],
        "predict": ["predict", data["model"], path, "-o", out],
        "evaluate": ["evaluate", data["model"], path],
        "diagnose": ["diagnose", data["model"], path],
        "info": ["info", path],
    }[command]
    rc, out_text, err = run(capsys, *args)
    if (command, kind) == ("train", "wide"):  # a legal file: 10,000 features train
        assert rc == 0 and out.exists()
        return
    assert_one_line_error(rc, out_text, err)
    assert not out.exists()


@pytest.mark.parametrize(
    "option, value",
    [("--epochs", "1e999"), ("--hidden", "0,-1"), ("--learning-rate", "nan"),
     ("--learning-rate", "1e-400"), ("--batch-size", "nan"), ("--validation-split", "nan"),
     ("--seed", "1e999"), ("--early-stopping", "0")],
)  # fmt: skip
def test_hostile_numbers_are_one_line_before_any_work(option, value, data, tmp_path, capsys):
    out = tmp_path / "m.npz"
    rc, out_text, err = run(capsys, "train", data["csv"], "--target", "label", "-o", out, "-q",
                            option, value)  # fmt: skip
    assert_one_line_error(rc, out_text, err, option)
    assert listing(tmp_path) == []


def test_train_refuses_a_fifo_as_its_model_file_before_training(data, tmp_path, capsys):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    rc, out, err = run(capsys, "train", data["csv"], "--target", "label", "-o", fifo, *FAST)
    # the argument check's own words: refused before any training, not at the save after it
    assert_one_line_error(rc, out, err, "cannot write the model to", "pipe (FIFO)")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
