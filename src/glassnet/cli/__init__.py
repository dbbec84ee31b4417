"""The `glassnet` command: `main(argv) -> int`. Each subcommand lives in its own module here;
what they share lives in the underscored ones (`_common`, `_model`, `_training`), never in a
subcommand's module.

Every failure the user can cause — a bad option, a bad file, bad data — ends as one line on
stderr and exit code 2; stdout holds only what was asked for. A bug ends as one line and exit
code 1 (``GLASSNET_DEBUG=1`` shows its traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO, cast

from .. import __version__
from ..errors import GlassnetError
from . import demo, glass, info, playground, plot, predict, train
from ._common import (
    EXIT_INTERNAL,
    EXIT_USAGE,
    CLIError,
    Notes,
    Parser,
    check_paths,
    command_prog,
    silence,
)

#: subcommand modules, each with `register(subparsers)`; the order is the order in --help
COMMANDS = [demo, train, predict, info, plot, glass, playground]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="glassnet",
        description="glassnet: a neural network library you can see through.",
        epilog="examples:\n"
        "  glassnet demo --input 1,0,0\n"
        "  glassnet train data.csv --target label --hidden 64,32 -o model.npz\n"
        "  glassnet predict model.npz new.csv -o predictions.csv\n\n"
        "Run 'glassnet COMMAND --help' for a command's options and an example.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the glassnet command line; returns the exit code.

    While it runs, standard error is `Notes`: progress and messages that cannot be written
    (a closed pipe) are dropped, never an end to the work the user asked for.
    """
    stderr = sys.stderr
    sys.stderr = cast(TextIO, Notes(stderr))
    try:
        return _run(argv)
    finally:
        sys.stderr = stderr


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = None
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # said by the subcommand that was given them, with its --help
            prog = command_prog(args)
            raise CLIError(f"unrecognized arguments: {' '.join(unknown)} (see '{prog} --help')",
                           prog)  # fmt: skip
        check_paths(args)
        code = int(args.handler(args) or 0)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not after main returns
        return code
    except CLIError as exc:
        # an error raised without its command's name gets it from what was parsed
        prog = command_prog(args) if exc.prog == "glassnet" and args is not None else exc.prog
        words = list(sys.argv[1:] if argv is None else argv)
        if args is None and words and words[0].startswith("-") and exc.prog == "glassnet":
            # 'glassnet --bogus' would only hear that COMMAND is missing: name the option
            exc = CLIError(f"unrecognized arguments: {words[0]} (see 'glassnet --help')")
        print(f"{prog}: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except GlassnetError as exc:
        print(f"glassnet: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # the reader of standard output stopped early ('glassnet predict ... | head -1'): it has
        # all it wanted. Standard error cannot raise this (`Notes`), and a command whose output
        # is lost with the pipe (a model on stdout) says so with its own error.
        silence(sys.stdout)
        return 0
    except MemoryError as exc:
        detail = f" ({exc})" if str(exc) else ""
        print(f"glassnet: error: out of memory{detail}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # every file glassnet opens is named in its own message; an error without a file name
        # comes from writing the results to standard output (a full disk, a closed terminal)
        if exc.filename:
            message = f"{exc.strerror or exc}: '{exc.filename}'"
            print(f"glassnet: error: {_one_line(message)}", file=sys.stderr)
        else:
            print(f"glassnet: error: cannot write standard output: {exc.strerror or exc}",
                  file=sys.stderr)  # fmt: skip
            silence(sys.stdout)
        return EXIT_USAGE
    except Exception as exc:  # a bug, not bad input: still one line, unless asked for the trace
        if os.environ.get("GLASSNET_DEBUG"):
            raise
        message = _one_line(f"{type(exc).__name__}: {exc}")
        print(f"glassnet: internal error: {message} (a bug: please report it; "
              "GLASSNET_DEBUG=1 shows the traceback)", file=sys.stderr)  # fmt: skip
        return EXIT_INTERNAL


def _one_line(message: str) -> str:
    """The message with line breaks (from a file or column name) shown as escapes."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def run() -> None:
    """Console-script entry point."""
    # reports with a label or column name the terminal's encoding lacks show it escaped rather
    # than failing (CSV output is written in UTF-8 regardless)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
    sys.exit(main())
