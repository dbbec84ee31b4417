"""Every code block in README.md and docs/*.md runs as pasted.

Each file is read as a reader follows it, top to bottom, in one fresh temporary directory (which
holds a link to the repository's ``examples/``, as a clone does):

- a ```python block runs in one Python session per file: the file's python blocks share one
  namespace, in order, as if pasted into one interpreter; warnings are errors, as in the suite;
- a ```sh (``shell``, ``bash``) block is a list of commands, each run by bash in that directory
  (a command may go on over lines ending in ``\\`` or inside quotes); a ```console block is the
  same for its ``$ `` lines, the other lines being output. ``glassnet`` and ``python`` are this
  checkout's. Commands that set up the environment the suite already runs in are not run:
  ``pip install ...``, ``python3 dev.py ...`` (it creates ``.venv`` and runs this suite) and
  activating a virtual environment (``. .venv/bin/activate``, ``source ...``);
- a block without a language, or ``text``, ``json``, ``csv``, is output or a picture, not run;
  any other language is an error, so that no block escapes unnoticed.

A block that cannot run here — it needs a cluster, a GPU or the network — starts with the
comment ``# not run by the docs test: REASON``, visible to readers; use it sparingly.

A failure names the file and line of the command or statement that failed, the block it is in,
and what it said. This file is also the runner: the test hands it a file's steps on stdin.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import shlex
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

PYTHON = {"python", "py"}
SHELL = {"sh", "shell", "bash", "console"}
SHOWN = {"", "text", "json", "csv"}  # output and pictures: not run
NOT_RUN = "# not run by the docs test:"
#: commands that set up the environment the suite already runs in
SETUP = re.compile(r"(pip3? install|python3? dev\.py|\.|source)\s")
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its file (as messages name it), the line of its opening fence
    (1-based), its language and its lines."""

    path: str
    line: int
    language: str
    lines: list[str]

    def where(self) -> str:
        return f"the ```{self.language} block at {self.path} line {self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, in order."""
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    found: list[Block] = []
    opened: tuple[int, str, str, str] | None = None  # line, indent, fence, language
    body: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(text)
        if opened is None:
            if match:
                words = match["info"].split()
                opened = (number, match["indent"], match["fence"], words[0] if words else "")
                body = []
            continue
        line, indent, fence, language = opened
        closing = match and match["fence"].startswith(fence) and not match["info"].strip()
        if closing:
            found.append(Block(name, line, language, body))
            opened = None
        else:
            body.append(text[len(indent) :] if text.startswith(indent) else text.lstrip())
    if opened is not None:
        raise AssertionError(f"{name} line {opened[0]}: a code block is never closed")
    return found


def commands(block: Block) -> list[tuple[int, str]]:
    """The commands of a shell block, each with the line it starts on; set-up commands left out.

    A command goes on while its line ends in a backslash or a quote is open, as in a shell.
    """
    found: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, text in enumerate(block.lines, start=block.line + 1):
        if not pending:
            if block.language == "console":
                if not text.startswith("$ "):
                    continue  # output
                text = text[2:]
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            start = number
        pending += text + "\n"
        if pending.rstrip().endswith("\\") or not _complete(pending):
            continue
        command, pending = pending.strip(), ""
        if not SETUP.match(command + " "):
            found.append((start, command))
    if pending:
        raise AssertionError(
            f"{block.path} line {start}: the command never ends (an open quote or a final '\\') "
            f"in {block.where()}"
        )
    return found


def _complete(text: str) -> bool:
    """Whether ``text`` closes every quote it opens."""
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def steps(path: Path) -> list[dict[str, Any]]:
    """What running ``path`` as pasted means, in order: python sources and shell commands."""
    found: list[dict[str, Any]] = []
    for block in blocks(path):
        if block.lines and block.lines[0].startswith(NOT_RUN):
            reason = block.lines[0][len(NOT_RUN) :].strip()
            if not reason:
                raise AssertionError(f"{block.path} line {block.line + 1}: say why it is not run")
            continue
        where = {"path": block.path, "file": str(path), "block": block.where()}
        if block.language in PYTHON:
            source = "\n".join(block.lines)
            found.append({"kind": "python", "line": block.line + 1, "source": source, **where})
        elif block.language in SHELL:
            for line, command in commands(block):
                found.append({"kind": "sh", "line": line, "source": command, **where})
        elif block.language not in SHOWN:
            raise AssertionError(
                f"{block.path} line {block.line}: a ```{block.language} block, which the docs "
                f"test neither runs nor knows as output; use {', '.join(sorted(PYTHON | SHELL))} "
                f"(run) or {', '.join(sorted(SHOWN - {''}))} or none (shown only)"
            )
    return found


# --- the runner: a reader's session in a fresh directory ----------------------------------------


def run_steps(todo: list[dict[str, Any]]) -> int:
    """Run the steps in order; at the first failure print what failed, where, and return 1."""
    warnings.simplefilter("error")
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    for step in todo:
        failure = _run_python(step, namespace) if step["kind"] == "python" else _run_shell(step)
        if failure is not None:
            print(f"{failure}\n  (in {step['block']}; each file's blocks run in order, in one "
                  "fresh directory, python blocks in one session)", file=sys.stderr)  # fmt: skip
            return 1
    return 0


def _run_python(step: dict[str, Any], namespace: dict[str, Any]) -> str | None:
    # blank lines in front, so that the traceback's line numbers are the Markdown file's
    source = "\n" * (step["line"] - 1) + step["source"]
    try:
        exec(compile(source, step["file"], "exec"), namespace)
    except Exception as exc:  # any failure of the reader's code is the finding
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == step["file"]]
        line, shown = (frames[-1].lineno, frames[-1].line) if frames else (step["line"], "")
        if isinstance(exc, SyntaxError) and exc.filename == step["file"]:
            line, shown = exc.lineno, (exc.text or "").strip()
        # the reader's code and what it called, not this runner's own frame
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
        return (
            f"{step['path']} line {line}: {shown}\n  raised {type(exc).__name__}: {exc}\n"
            + "\n".join("    " + t for t in trace.rstrip().splitlines()[-12:])
        )
    return None


def _run_shell(step: dict[str, Any]) -> str | None:
    sys.stdout.flush()
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", step["source"]], stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    sys.stdout.write(result.stdout)
    if result.returncode == 0:
        return None
    said = (result.stderr.strip() or result.stdout.strip() or "(nothing)").splitlines()[-8:]
    return (
        f"{step['path']} line {step['line']}: `{step['source']}` exited with "
        f"{result.returncode}, saying:\n" + "\n".join("    " + s for s in said)
    )


# --- the tests ----------------------------------------------------------------------------------


def session(path: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    """Run the steps of ``path`` in ``directory`` in a fresh Python, with this checkout's
    ``glassnet`` and ``python`` first on the PATH."""
    import glassnet

    bin_dir = directory / ".bin"
    bin_dir.mkdir()
    for name, command in (
        ("glassnet", f"{shlex.quote(sys.executable)} -m glassnet"),
        ("python", shlex.quote(sys.executable)),
        ("python3", shlex.quote(sys.executable)),
    ):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        shim.chmod(0o755)
    (directory / "examples").symlink_to(ROOT / "examples")
    single = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {
        **os.environ,
        **single,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(Path(glassnet.__file__).resolve().parent.parent),
        "PYTHONWARNINGS": "error",
        "MPLBACKEND": "Agg",
    }
    return subprocess.run(
        [sys.executable, __file__], input=json.dumps(steps(path)), capture_output=True,
        text=True, cwd=directory, env=env, timeout=900,
    )  # fmt: skip


@pytest.mark.parametrize("path", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_every_code_block_runs_as_pasted(path: Path, tmp_path: Path) -> None:
    result = session(path, tmp_path)
    if result.returncode != 0:
        pytest.fail(result.stderr.strip() or result.stdout[-2000:], pytrace=False)


# --- the test itself: what it runs, what it leaves out, and how it says what failed -------------


def markdown(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def run_page(tmp_path: Path, text: str) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """The page written with ``text``, the directory it ran in, and how its session went."""
    page, work = markdown(tmp_path, text), tmp_path / "work"
    work.mkdir()
    return page, work, session(page, work)


def test_a_failing_command_is_named_with_its_file_line_and_what_it_said(tmp_path):
    page, work, result = run_page(
        tmp_path,
        "# A page\n\n```sh\nglassnet datasets export xor -o xor.csv   # works\n"
        "glassnet train xor.csv --target y \\\n    --bogus 3 -o m.npz\n```\n",
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"{page} line 5: `glassnet train xor.csv --target y \\\n    --bogus 3 -o m.npz` "
        "exited with 2, saying:\n    glassnet train: error: unrecognized arguments: --bogus 3"
    )
    assert f"the ```sh block at {page} line 3" in result.stderr
    assert (work / "xor.csv").exists()  # the line before it ran, in the same directory


def test_a_failing_python_line_is_named_after_earlier_blocks_ran_in_the_same_session(tmp_path):
    page, _, result = run_page(
        tmp_path,
        "```python\nimport glassnet as gn\nX, y = gn.datasets.xor()\n```\n\ntext\n\n"
        "```python\nprint(X.shape)\nprint(X_train)\n```\n",
    )
    assert result.returncode == 1
    assert result.stdout == "(4, 2)\n"
    assert result.stderr.startswith(f"{page} line 10: print(X_train)\n  raised NameError: ")
    assert f"the ```python block at {page} line 8" in result.stderr


def test_a_python_block_that_warns_fails(tmp_path):
    _, _, result = run_page(tmp_path, "```python\nimport warnings\nwarnings.warn('loud')\n```\n")
    assert result.returncode == 1 and "raised UserWarning: loud" in result.stderr


def block(language: str, *lines: str) -> Block:
    return Block("page.md", 10, language, list(lines))


def test_set_up_commands_are_left_out_by_rule_and_the_rest_run():
    sh = block(
        "sh",
        "pip install 'glassnet[plot]'   # set-up",
        "python3 dev.py test",
        ". .venv/bin/activate",
        "source .venv/bin/activate",
        "# a comment",
        "",
        "python3 dev.py.bak --x",  # not dev.py itself: runs (and would fail)
        "head -3 data.csv",
        "glassnet info m.npz",
    )
    assert commands(sh) == [
        (17, "python3 dev.py.bak --x"),
        (18, "head -3 data.csv"),
        (19, "glassnet info m.npz"),
    ]


def test_a_command_goes_on_over_backslashes_and_open_quotes():
    sh = block("sh", 'python -c "', "print(1)", '"', "glassnet train a.csv \\", "  -o m.npz")
    assert commands(sh) == [
        (11, 'python -c "\nprint(1)\n"'),
        (14, "glassnet train a.csv \\\n  -o m.npz"),
    ]


def test_console_blocks_run_their_dollar_lines_only():
    console = block("console", "$ glassnet info m.npz", "m.npz: glassnet model", "$ ls")
    assert commands(console) == [(11, "glassnet info m.npz"), (13, "ls")]


def test_the_marker_leaves_a_block_out_and_must_say_why(tmp_path):
    marked = "```python\n# not run by the docs test: needs a GPU\nimport cupy\n```\n"
    assert steps(markdown(tmp_path, marked)) == []
    with pytest.raises(AssertionError, match="line 2: say why it is not run"):
        steps(markdown(tmp_path, "```python\n# not run by the docs test:\nimport cupy\n```\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```bash-ish\nls\n```\n", "line 1: a ```bash-ish block, which the docs test neither"),
        ("intro\n```python\nprint(1)\n", "line 2: a code block is never closed"),
        ("```sh\npython -c 'print(1)\n```\n", "line 2: the command never ends"),
    ],
)
def test_blocks_the_test_cannot_read_are_errors_not_skipped(tmp_path, text, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        steps(markdown(tmp_path, text))


if __name__ == "__main__":
    sys.exit(run_steps(json.load(sys.stdin)))
