"""The `glassnet` command: `main(argv) -> int`. Each subcommand lives in its own module here.

Every failure the user can cause — a bad option, a bad file, bad data — ends as one line on
stderr and exit code 2; stdout holds only what was asked for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import GlassnetError
from . import demo, glass, info, plot, predict, train
from ._common import EXIT_USAGE, CLIError, Parser

#: subcommand modules, each with `register(subparsers)`; the order is the order in --help
COMMANDS = [demo, train, predict, info, plot, glass]


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
    """Run the glassnet command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.handler(args) or 0)
    except CLIError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GlassnetError as exc:
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except OSError as exc:
        name = f" '{exc.filename}'" if exc.filename else ""
        print(f"glassnet: error: {exc.strerror or exc}{name}", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
