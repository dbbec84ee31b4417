"""What every subcommand shares: the parser that fails in one line, option parsers, and the
checks of file names given on the command line."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, NoReturn

from ..files import check_writable, is_device_or_pipe
from ..tables import parse_number

EXIT_USAGE = 2  # bad input: options, files, data
EXIT_INTERNAL = 1  # a bug in glassnet

#: the most epochs or iterations a run may ask for: more is a typo, not a plan, and would only
#: look like a hang (a million epochs of the 4-row XOR data already take minutes)
MAX_STEPS = 1_000_000


class CLIError(Exception):
    """A usage error: printed as one line, exit code 2."""

    def __init__(self, message: str, prog: str = "glassnet") -> None:
        super().__init__(message)
        self.prog = prog


class Notes(io.TextIOBase):
    """Standard error as the command uses it: for people, never for the work.

    A write that fails — the reader of a pipe has gone (``glassnet train ... -v 2>&1 | head -2``),
    a full disk, a stream closed before glassnet started — turns the notes off instead of
    stopping the command: the model is still trained and saved, and the exit code says how the
    work went, not whether someone was still listening.
    """

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__()
        self.stream = stream
        self.lost = stream is None  # True once nothing more can reach the reader

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.stream is not None and not self.lost:
            try:
                self.stream.write(text)
                self.stream.flush()  # a closed pipe shows here, while it can still be dropped
            except (OSError, ValueError):  # ValueError: the stream object itself was closed
                self.lost = True
                silence(self.stream)
        return len(text)

    def flush(self) -> None:
        """Everything written was flushed already."""

    def isatty(self) -> bool:
        try:
            return not self.lost and self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self.stream is None or self.lost:
            raise io.UnsupportedOperation("standard error is closed")
        return self.stream.fileno()


def silence(stream: IO[Any] | None) -> None:
    """Point the descriptor of ``stream`` at the null device and drop what it holds, so that
    Python's final flush at exit does not fail on it again (and print a trace there)."""
    try:
        fd = stream.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return  # not a real file (e.g. captured by a test): nothing will be flushed to a pipe
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and never exit by themselves."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(f"{message} (see '{self.prog} --help')", prog=self.prog)


def integer_type(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from `low` to `high` (inclusive; no upper bound if None)."""
    words = {0: "a non-negative integer", 1: "a positive integer"}.get(low, f"an integer >= {low}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"expected at most {high}, got {text!r}")
        return value

    return parse


positive_int = integer_type(1)
non_negative_int = integer_type(0)
#: epochs or iterations: from 1 to `MAX_STEPS` (or from 0, where 0 means none)
step_count = integer_type(1, MAX_STEPS)
step_count_or_zero = integer_type(0, MAX_STEPS)


def legacy_seed(text: str) -> int:
    """argparse type: a seed for the tutorial's legacy generator, which takes 0 to 2**32 - 1."""
    value = non_negative_int(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 4294967295, got {text!r}")
    return value


def finite_float(text: str) -> float:
    """argparse type: a finite number."""
    try:
        return parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}, got {text!r}") from None


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def fraction(text: str) -> float:
    """argparse type: a number in [0, 1)."""
    value = finite_float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def shown_label(text: str) -> str:
    """A class label as a report shows it: as is, or quoted if a newline, comma or edge space
    would garble the line."""
    plain = text.isprintable() and "," not in text and text == text.strip() and text != ""
    return text if plain else repr(text)


def listed(names: Sequence[str], limit: int = 10) -> str:
    """Names quoted and comma-separated for a message; the first ``limit`` of many."""
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def note(text: str) -> None:
    """Tell the user something on standard error: stdout holds only what was asked for."""
    print(f"note: {text}", file=sys.stderr)


def command_prog(args: argparse.Namespace) -> str:
    """The name of the (sub)command that parsed ``args``, e.g. ``glassnet plot boundary``."""
    words = ["glassnet", getattr(args, "command", None), getattr(args, "kind", None)]
    return " ".join(w for w in words if isinstance(w, str))


def check_paths(args: argparse.Namespace) -> None:
    """Refuse an empty file name, and an output path (``-o``, ``--plot``) that names an input
    file (MODEL, DATA).

    Writing the output would destroy the input it is computed from; a symbolic or hard link to
    the input counts as the input.
    """
    for name in ("model", "data"):
        if getattr(args, name, None) == "":
            raise CLIError(
                f"argument {name.upper()}: expected a file name, got ''", command_prog(args)
            )
    inputs = [getattr(args, name, None) for name in ("model", "data")]
    outputs = [
        ("-o/--output", getattr(args, "output", None)),
        ("--plot", getattr(args, "plot", None)),
    ]
    for option, output in outputs:
        if not isinstance(output, str) or output in ("", "-") or is_device_or_pipe(output):
            continue  # e.g. '/dev/stdin' in and '/dev/stdout' out, both the terminal
        for given in inputs:
            if given == "-" and _is_stdin(output):  # e.g. 'train - -o data.csv < data.csv'
                given = "read on standard input"
            elif not (
                isinstance(given, str) and given not in ("", "-") and same_file(output, given)
            ):
                continue
            raise CLIError(
                f"argument {option}: {output} would overwrite the input file {given}; "
                "choose another path",
                command_prog(args),
            )


def same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name the same file (through links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): compare where the names lead
        return os.path.realpath(a) == os.path.realpath(b)


def _is_stdin(path: str) -> bool:
    """Whether ``path`` is the file standard input was redirected from."""
    try:
        here, there = os.fstat(sys.stdin.fileno()), os.stat(path)
    except (AttributeError, OSError, ValueError):  # no stdin, not a real file, or no such path
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def check_output(path: str, option: str, *, stdout_ok: bool = True) -> None:
    """Fail fast, before any work, if ``path`` cannot be written (``-`` is standard output)."""
    if path == "-":
        if not stdout_ok:
            raise CLIError(f"argument {option}: '-' (standard output) is not supported here")
        if sys.stdout is None:
            raise CLIError(f"argument {option}: '-', but standard output is closed")
        return
    if not path:
        raise CLIError(f"argument {option}: expected a file name, got ''")
    check_writable(path)


def add_command(sub: Any, name: str, *, help: str, example: str) -> Parser:
    """Add a subcommand whose --help ends with an example."""
    return sub.add_parser(
        name,
        help=help,
        description=help,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
