"""`glassnet demo` in a subprocess: the tutorial's printout, one-line errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

DEMO = [sys.executable, "-m", "glassnet", "demo"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    return subprocess.run(
        [*DEMO, *args], input=stdin, capture_output=True, text=True, timeout=120, env=env
    )


def test_demo_prints_the_tutorials_numbers():
    result = run("--input", "1,0,0")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Beginning Randomly Generated Weights:" in out
    for value in ("-0.16595599", "0.44064899", "-0.99977125"):
        assert value in out
    assert "Ending Weights After Training:" in out
    for value in ("9.67299303", "-0.2078435", "-4.62963669"):
        assert value in out
    assert "Considering New Situation:  1 0 0" in out
    assert "0.99993704" in out
    assert result.stderr == ""


def test_demo_iterations_and_seed_options():
    result = run("--iterations", "15000", "--input", "1, 0, 0")
    assert result.returncode == 0, result.stderr
    assert "0.9999584" in result.stdout
    other = run("--seed", "2", "--iterations", "10", "--input", "1,0,0")
    assert other.returncode == 0 and "-0.16595599" not in other.stdout


def test_demo_reads_the_three_inputs_from_stdin_without_input_option():
    result = run(stdin="1\n0\n0\n")
    assert result.returncode == 0, result.stderr
    assert "Considering New Situation:  1 0 0" in result.stdout
    assert "0.99993704" in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["--input", "a,0,0"], None, "expected a number"),
        (["--input", ""], None, "expected 3 values"),
        (["--input", "1,0"], None, "expected 3 values"),
        (["--input", "1,0,0,1"], None, "expected 3 values"),
        (["--input", "1e999,0,0"], None, "finite"),
        (["--input", "nan,0,0"], None, "finite"),
        (["--iterations", "-5", "--input", "1,0,0"], None, "positive integer"),
        (["--iterations", "abc", "--input", "1,0,0"], None, "positive integer"),
        (["--iterations", "0", "--input", "1,0,0"], None, "positive integer"),
        (["--seed", "x", "--input", "1,0,0"], None, "integer"),
        (["--unknown"], None, "unrecognized arguments"),
        (["--iterations"], None, "expected one argument"),
        ([], "", "end of input"),
        ([], "1\n0\n", "end of input"),
        ([], "1\nx\n0\n", "expected a number"),
        ([], "\n0\n0\n", "expected a number"),
        ([], "1\n1e999\n0\n", "finite"),
    ],
)
def test_demo_bad_input_is_one_line_and_exit_code_2(args, stdin, needle):
    result = run(*args, stdin=stdin)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_demo_interrupted_is_one_line_and_exit_code_2():
    # Ctrl-C arrives as SIGINT while the demo waits for its first answer
    import signal
    import time

    env = {**os.environ, "PYTHONWARNINGS": "error"}
    proc = subprocess.Popen(
        DEMO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    # wait until training is done and the demo is reading its input
    for line in proc.stdout:
        if line.startswith("Ending Weights"):
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == ["glassnet: interrupted"]


def test_glassnet_help_and_version():
    help_ = subprocess.run(
        [sys.executable, "-m", "glassnet", "demo", "--help"], capture_output=True, text=True
    )
    assert help_.returncode == 0 and "example:" in help_.stdout
    version = subprocess.run(
        [sys.executable, "-m", "glassnet", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("glassnet ")
