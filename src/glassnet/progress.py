"""Training progress for people: a tqdm bar on a terminal, or one line per epoch, or nothing.

`progress_callback` picks one: nothing when asked to be quiet; one line per epoch on stderr with
``verbose``; a progress bar when stderr is a terminal (tqdm, the ``progress`` extra — without it,
a one-line note and no bar); otherwise nothing, so logs and pipes stay clean.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

from ._typing import Network
from .callbacks import Callback

if TYPE_CHECKING:
    from .callbacks import History

__all__ = ["EpochLines", "ProgressBar", "progress_callback"]

MISSING_TQDM = (
    "glassnet: note: no progress bar, tqdm is not installed (pip install 'glassnet[progress]')"
)


def _shown(logs: dict[str, float]) -> dict[str, str]:
    """The numbers worth watching: loss, the validation loss and the validation metric."""
    keys = [k for k in logs if k not in ("learning_rate", "time")]
    return {k: f"{logs[k]:.4g}" for k in keys}


def _watched(logs: dict[str, float]) -> dict[str, str]:
    """What fits beside a bar: the loss and the validation metric (or the best stand-in)."""
    metric = next((k for k in logs if k not in ("loss", "learning_rate", "time")
                   and not k.startswith("val_")), None)  # fmt: skip
    candidates = [f"val_{metric}", "val_loss", metric] if metric else ["val_loss"]
    second = next((k for k in candidates if k in logs), None)
    keys = ["loss"] + ([second] if second else [])
    return {k: f"{logs[k]:.4g}" for k in keys if k in logs}


def _terminal_size(stream: IO[str]) -> os.terminal_size:
    """The size of the terminal ``stream`` writes to; 100 x 24 when unknown or reported as 0."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return os.terminal_size((100, 24))
    return os.terminal_size((size.columns or 100, size.lines or 24))


class ProgressBar(Callback):
    """A tqdm bar over epochs, showing loss, validation metric and time left.

    Parameters
    ----------
    epochs : int
        The bar's length; early stopping closes it early.
    stream : text file, default sys.stderr
    """

    def __init__(self, epochs: int, *, stream: IO[str] | None = None) -> None:
        from tqdm import tqdm  # the progress extra; checked by `progress_callback`

        size = _terminal_size(stream if stream is not None else sys.stderr)

        self._bar: Any = tqdm(
            total=epochs,
            desc="training",
            unit="epoch",
            file=stream if stream is not None else sys.stderr,
            # the terminal's size, or 100 x 24 when it reports 0 x 0 (tqdm would then draw nothing)
            ncols=size.columns,
            nrows=size.lines,
            leave=True,
        )

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> None:
        self._bar.set_postfix(_watched(logs), refresh=False)
        self._bar.update(1)

    def on_train_end(self, model: Network, history: History) -> None:
        self._bar.close()

    def close(self) -> None:
        """Close the bar (also when training failed), so the terminal line is finished."""
        self._bar.close()


class EpochLines(Callback):
    """One line per epoch: ``epoch 3/100  loss 0.412  val_loss 0.398  val_accuracy 0.87  0.01s``."""

    def __init__(self, epochs: int, *, stream: IO[str] | None = None) -> None:
        self.epochs = epochs
        self.stream = stream

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Network) -> None:
        shown = "  ".join(f"{k} {v}" for k, v in _shown(logs).items())
        seconds = logs.get("time", 0.0)
        stream = self.stream if self.stream is not None else sys.stderr
        print(f"epoch {epoch + 1}/{self.epochs}  {shown}  {seconds:.3f}s", file=stream)

    def close(self) -> None:
        """Nothing to finish."""


def progress_callback(
    epochs: int, *, verbose: bool = False, quiet: bool = False, stream: IO[str] | None = None
) -> ProgressBar | EpochLines | None:
    """The progress display that suits where ``stream`` (default stderr) goes.

    Parameters
    ----------
    epochs : int
    verbose : bool
        One line per epoch, terminal or not.
    quiet : bool
        Nothing at all (wins over ``verbose``).
    stream : text file, optional
        Defaults to ``sys.stderr``.

    Returns
    -------
    ProgressBar, EpochLines or None
    """
    stream = stream if stream is not None else sys.stderr
    if quiet or stream is None:
        return None
    if verbose:
        return EpochLines(epochs, stream=stream)
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return None
    try:
        import tqdm  # noqa: F401
    except ImportError:
        print(MISSING_TQDM, file=stream)
        return None
    return ProgressBar(epochs, stream=stream)
