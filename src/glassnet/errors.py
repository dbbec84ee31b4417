"""The one exception family of glassnet: every bad input raises a GlassnetError (a ValueError)."""

from __future__ import annotations


class GlassnetError(ValueError):
    """Bad input or state: the message names what was received and what was expected."""


class ModelFileError(GlassnetError):
    """A model file that is missing, corrupt, foreign or of an unsupported version."""


class DataError(GlassnetError):
    """Training or prediction data that cannot be used (shape, NaN/inf, non-numeric, empty)."""


class TrainingDivergedError(GlassnetError):
    """Training produced a NaN or infinite loss."""
