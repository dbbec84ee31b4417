"""`python -m glassnet` runs the glassnet command."""

from .cli import run

run()
