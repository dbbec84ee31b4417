"""The glassnet command against hostile input: every failure one line, exit 2, nothing destroyed.

Each test pins a defect found by attacking the command line — a bad file, a bad option, an output
path that names an input or a device — so that it stays fixed. Most run `glassnet.cli.main`
in-process; a few run the real command in a subprocess (closed streams, a full disk, pipes).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main

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
    hidden = ["--hidden", "100000000000"]  # 8e11 weights: NumPy refuses to allocate them
    rc, out, err = run(capsys, "train", "--dataset", "xor", "-o", tmp_path / "m.npz", *hidden)
    assert_one_line_error(rc, out, err, "out of memory")
    assert listing(tmp_path) == []
