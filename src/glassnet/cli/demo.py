"""`glassnet demo`: the tutorial, run on glassnet's engine, printing what the tutorial prints."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ..tables import parse_number
from ..tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork
from ._common import MAX_STEPS, CLIError, add_command, legacy_seed, step_count

PROMPTS = ("User Input One: ", "User Input Two: ", "User Input Three: ")


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "demo",
        help="train the tutorial's single neuron and ask it about a new situation",
        example="glassnet demo --iterations 15000 --input 1,0,0",
    )
    p.add_argument(
        "--iterations",
        type=step_count,
        default=10000,
        metavar="N",
        help=f"training iterations (default: 10000, at most {MAX_STEPS})",
    )
    p.add_argument(
        "--input",
        metavar="A,B,C",
        help="the new situation, three numbers (default: ask for them, as the tutorial does)",
    )
    p.add_argument(
        "--seed", type=legacy_seed, default=1, metavar="S", help="seed, 0 to 2**32 - 1 (default: 1)"
    )
    p.set_defaults(handler=run)


def parse_value(text: str) -> float:
    """One input value: a finite number."""
    try:
        return parse_number(text)
    except ValueError as exc:
        raise ValueError(f"{exc}, got {text.strip()!r}") from None


def parse_situation(text: str) -> list[float]:
    """'1,0,0' (commas or spaces) → three finite numbers."""
    parts = [p for p in text.replace(",", " ").split()]
    if len(parts) != 3:
        raise ValueError(f"expected 3 values like 1,0,0, got {len(parts)} in {text!r}")
    return [parse_value(p) for p in parts]


def ask_situation() -> list[float]:
    """Read the three inputs from stdin, as the tutorial does; on a terminal, re-ask a bad one."""
    interactive = sys.stdin is not None and sys.stdin.isatty()
    values = []
    for prompt in PROMPTS:
        while True:
            try:
                answer = input(prompt) if interactive else _read_line(prompt)
            except (EOFError, KeyboardInterrupt) as exc:
                if interactive:
                    print(flush=True)  # end the prompt's line, so the message gets its own
                if isinstance(exc, KeyboardInterrupt):
                    raise
                raise CLIError(
                    f"end of input while reading {prompt.strip().rstrip(':')}", "glassnet demo"
                ) from None
            try:
                values.append(parse_value(answer))
                break
            except ValueError as exc:
                if not interactive:
                    raise CLIError(f"{prompt.strip()} {exc}", "glassnet demo") from None
                print(f"  {exc}; please type a number", file=sys.stderr)
    return values


def _read_line(prompt: str) -> str:
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise EOFError(prompt)
    return line


def run(args: argparse.Namespace) -> int:
    situation = None
    if args.input is not None:
        try:
            situation = parse_situation(args.input)
        except ValueError as exc:
            raise CLIError(f"argument --input: {exc}", "glassnet demo") from None
    nn = NeuralNetwork(seed=args.seed)
    with np.printoptions(precision=8, suppress=False):
        print("Beginning Randomly Generated Weights: ")
        print(nn.synaptic_weights)
        nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, args.iterations)
        print("Ending Weights After Training: ")
        print(nn.synaptic_weights)
        sys.stdout.flush()
        if situation is None:
            situation = ask_situation()
        shown = " ".join(f"{v:g}" for v in situation)
        print("Considering New Situation: ", shown)
        print("New Output data: ")
        print(nn.think(np.array(situation)))
    print("Wow, we did it!")
    return 0
