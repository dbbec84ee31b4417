"""`python -m glassnet.cli`."""

from . import run

run()
