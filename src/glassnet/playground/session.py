"""A playground session: one network trained on one data set by glassnet's own `fit`, on a thread
of its own, that the page plays, pauses, steps and resets, and watches through snapshots.

The training thread owns the network. A session's whole run is one call of
``model.fit(..., epochs=MAX_EPOCHS, seed=config.seed)``, so that ``fit(..., epochs=E)`` in the
exported script gives the same weights after E epochs; the thread is paused *inside* that call,
by a callback that waits between batches (at the end of an epoch when one comes within
`PAUSE_GRACE` seconds of the request, else at the next batch). Several times a second, and at
every change of state, the thread publishes a copy of the network and the snapshot drawn from
it (`Published`): everything the page asks about (predictions, a neuron's numbers, the exports)
reads that copy, never the network being trained.

Divergence never reaches the page as NaN: the Watchdog's rise in the loss, or `fit`'s own
check (`TrainingDivergedError`), pauses the run with a finding, the weights put back to the last
published ones, which were finite.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..callbacks import Callback
from ..diagnostics import Finding, Watchdog
from ..errors import GlassnetError, TrainingDivergedError
from ..losses import CrossEntropy, Loss, MeanSquaredError
from ..network import Sequential, mlp
from ..optimizers import OPTIMIZERS, Optimizer
from ..tutorial import NeuralNetwork
from . import snapshot
from .data import Config, PlayData, features_pair

#: the epochs the one `fit` call of a run asks for: more than anyone will wait for
MAX_EPOCHS = 1_000_000
#: seconds between two snapshots while training runs (at most 20 a second)
FRAME_SECONDS = 0.05
#: a pause waits for the end of the epoch this long at most, then takes effect between batches
PAUSE_GRACE = 0.1
#: how long a control request waits for the training thread to obey (a step: to finish)
WAIT_SECONDS = 10.0
#: the findings that pause the run
PAUSING = ("divergence",)


class _Interrupted(Exception):
    """Raised inside `fit` by the session's callback to end the run: a reset or a stop."""


@dataclass(frozen=True)
class Published:
    """What the page may read: a copy of the network as it was, and its snapshot as JSON."""

    model: Sequential
    epoch: int
    state: str
    snapshot: dict[str, Any]
    text: str  # the snapshot as JSON
    number: int  # counts up with each publication


class Session:
    """One network, its data and its training thread.

    Parameters
    ----------
    config : Config
    data : PlayData

    Examples
    --------
    >>> from glassnet.playground.data import parse_config, build_data
    >>> config = parse_config({"data": "xor", "hidden": [4]})
    >>> session = Session(config, build_data(config))
    >>> session.control("step")["epoch"]
    1
    >>> session.close()
    """

    def __init__(self, config: Config, data: PlayData) -> None:
        self.config, self.data = config, data
        self.id = secrets.token_urlsafe(9)
        self.pair = features_pair(config, data.n_inputs)
        self.view = snapshot.View.of(data, self.pair)
        self._X = data.inputs(data.X_train)
        self._X_test = data.inputs(data.X_test)
        self._cond = threading.Condition()
        self._command: str | None = None  # "reset" or "stop", for the training thread
        self._pause_at: float | None = None  # when a pause was asked for
        self._step_to: int | None = None  # a step pauses when this epoch is done
        self._attention = False  # the callback must look at the above
        self._next_frame = 0.0
        self._number = 0
        self.state = "paused"
        self._new_run()
        self.published = self._publish(points=True)
        self._thread = threading.Thread(target=self._run, name=f"glassnet-{self.id}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the network

    def _new_run(self) -> None:
        """The network as it starts (the seed's weights), its loss and optimizer, epoch 0."""
        c, d = self.config, self.data
        if c.data == "tutorial":
            nn = NeuralNetwork(seed=c.seed)
            model: Sequential = nn.model
            loss: Loss = nn.loss
            optimizer: Optimizer = nn.optimizer
        else:
            classification = d.task == "classification"
            wanted = "cross_entropy" if classification else "mse"
            if c.loss not in ("auto", wanted):
                raise GlassnetError(
                    f"loss {c.loss!r} does not fit a {d.task} of {d.source}; use {wanted!r}"
                )
            n_out = len(d.classes or ()) if classification else 1
            model = mlp(d.n_inputs, c.hidden, n_out, activation=c.activation, dropout=c.dropout,
                        rng=c.seed)  # fmt: skip
            loss = CrossEntropy() if classification else MeanSquaredError()
            optimizer = OPTIMIZERS[c.optimizer](c.learning_rate, weight_decay=c.l2)
        self.model, self.loss, self.optimizer = model, loss, optimizer
        model.loss, model.optimizer = loss, optimizer
        self.epoch = 0
        self.curve = snapshot.Curve()
        self.findings: list[dict[str, str]] = []
        self.paused_by: str | None = None
        self.watchdog = Watchdog()
        self.runs = 0  # fit calls so far: a run resumed after a divergence is a second one
        self._good: tuple[list[Any], dict[str, Any], int] | None = None

    def fit_options(self) -> dict[str, Any]:
        """How the session calls `fit` (and the exported script too), but the epochs."""
        tutorial = self.config.data == "tutorial"
        return {
            "batch_size": None if tutorial else self.config.batch_size,
            "shuffle": not tutorial,
            "seed": self.config.seed,
        }

    def _fit(self) -> None:
        validation = (self._X_test, self.data.y_test) if len(self._X_test) else None
        options = self.fit_options()
        if self.runs:  # a new run after a divergence: the seed moves on, as a new fit's would
            options["seed"] = self.config.seed + self.runs
        self.runs += 1
        self.watchdog.on_train_begin(self.model)
        self.model.fit(self._X, self.data.y_train, loss=self.loss, optimizer=self.optimizer,
                       epochs=MAX_EPOCHS - self.epoch, validation_data=validation,
                       callbacks=[_Hook(self)], **options)  # fmt: skip

    # ------------------------------------------------------------------ the training thread

    def _run(self) -> None:
        """Wait for play or step, train, obey reset and stop; until stopped."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._command is not None or self.state == "running")
                if self._take_command():
                    if self.state == "stopped":
                        return
                    continue
            try:
                with np.errstate(all="ignore"):  # a diverging run is a finding, not a warning
                    self._fit()
                with self._cond:
                    self.state = "paused"
                    self.published = self._publish()
            except _Interrupted:
                pass  # the command is taken at the top of the loop
            except TrainingDivergedError as exc:
                self._diverged(exc)
            except Exception as exc:  # a bug: said on the page, the server goes on
                with self._cond:
                    self._pause(None)
                    self.findings.append({"kind": "error", "text": f"{type(exc).__name__}: {exc}"})
                    self.published = self._publish()
                    self._cond.notify_all()

    def _take_command(self) -> bool:
        """Carry out a reset or a stop (under the lock); True if there was one."""
        command, self._command = self._command, None
        if command == "reset":
            self._new_run()
            self.state = "paused"
            self._pause_at = self._step_to = None
            self.published = self._publish(points=True)
        elif command == "stop":
            self.state = "stopped"
            self.published = self._publish()
        self._attention = False
        self._cond.notify_all()
        return command is not None

    def _diverged(self, exc: TrainingDivergedError) -> None:
        """Put back the last published (finite) weights and pause, saying why."""
        with self._cond:
            rate = self.optimizer.schedule.learning_rate
            lost = self.epoch
            if self._good is not None:
                weights, state, epoch = self._good
                self.model.set_weights(weights)
                self.optimizer.load_state_dict(state)
                self.epoch = epoch
                self.curve.cut(epoch)
            self._pause("divergence")
            what = str(exc).split(": ", 1)[-1].split(";", 1)[0]
            self.findings.append({"kind": "divergence", "text": (
                f"Training diverged at epoch {lost + 1}: {what}. Paused, back at epoch "
                f"{self.epoch} (the last shown); try a learning rate 10× smaller than {rate:g}."
            )})  # fmt: skip
            self.published = self._publish()
            self._cond.notify_all()

    def _pause(self, reason: str | None) -> None:
        self.state = "paused"
        self.paused_by = reason
        self._pause_at = self._step_to = None

    def after_epoch(self, logs: dict[str, float]) -> None:
        """On the training thread, after each epoch: the curve, the Watchdog, a snapshot when
        one is due, and the pause when one is asked for (or a finding asks for it)."""
        self.epoch += 1
        self.curve.add(self.epoch, logs["loss"], logs.get("val_loss"))
        for finding in self.watchdog.check(logs, self.model):
            self._found(finding, logs["loss"])
        if self.config.epochs is not None and self.epoch == self.config.epochs:
            self._ask_pause()
        if self._step_to is not None and self.epoch >= self._step_to:
            self._ask_pause()
        if self._attention:
            self.checkpoint(epoch_end=True)
        elif time.perf_counter() >= self._next_frame:
            self.published = self._publish()

    def _found(self, finding: Finding, loss: float) -> None:
        """Say a Watchdog finding; a divergence pauses the run once the loss is back above
        where it started (a spike on the way down is said, and training goes on)."""
        hint = finding.hint[:1].upper() + finding.hint[1:]
        text = f"Epoch {self.epoch}: {finding.message}. {hint}."
        self.findings.append({"kind": finding.code, "text": text})
        first = self.curve.train[0] if self.curve.train else loss
        if finding.code in PAUSING and not loss < first:
            self._ask_pause()
            self.paused_by = finding.code

    def _ask_pause(self) -> None:
        if self._pause_at is None:
            self._pause_at = time.perf_counter() - PAUSE_GRACE  # at once: the epoch has ended
        self._attention = True

    def between_batches(self) -> None:
        """On the training thread, after a batch: obey a command, pause once the grace is
        over, publish when due."""
        now = time.perf_counter()
        if self._attention and (
            self._command is not None
            or (self._pause_at is not None and now - self._pause_at >= PAUSE_GRACE)
        ):
            self.checkpoint(epoch_end=False)
        elif now >= self._next_frame:
            self.published = self._publish()

    def checkpoint(self, *, epoch_end: bool) -> None:
        """Pause here if asked (publishing the paused state), and wait until played again;
        raise `_Interrupted` on a reset or a stop."""
        with self._cond:
            if self._command is not None:
                raise _Interrupted
            if self._pause_at is not None:
                reason = self.paused_by
                self._pause(reason)
                self.published = self._publish()
                self._cond.notify_all()
            self._cond.wait_for(lambda: self._command is not None or self.state == "running")
            if self._command is not None:
                raise _Interrupted
            self._attention = False

    # ------------------------------------------------------------------ snapshots

    def _publish(self, *, points: bool = False) -> Published:
        """Copy the network and draw its snapshot (on the thread that owns the network, or
        under the lock while it waits). Weights that are not finite are never published: the
        previous publication stands, and fit's own check will end the epoch."""
        self._next_frame = time.perf_counter() + FRAME_SECONDS
        if not snapshot.finite(self.model):
            return self.published
        model = copy.deepcopy(self.model)
        self._good = (model.get_weights(), self.optimizer.state_dict(), self.epoch)
        with np.errstate(all="ignore"):
            frame = self._frame(model, points)
        self._number += 1
        try:
            text = json.dumps(frame, allow_nan=False, separators=(",", ":"))
        except ValueError:  # an output overflowed: the weights are finite but too large
            frame = {**frame, "heatmap": None, "neurons": None}
            text = json.dumps(frame, separators=(",", ":")).replace("NaN", "null")
        return Published(model, self.epoch, self.state, frame, text, self._number)

    def _frame(self, model: Sequential, points: bool) -> dict[str, Any]:
        d, loss = self.data, self.loss
        two_d = d.n_inputs >= 2
        ws, bs = snapshot.weights(model)
        last = self.curve.last
        return {
            "session": self.id,
            "epoch": self.epoch,
            "state": self.state,
            "train_loss": last[1] if last else None,
            "test_loss": last[2] if last else None,
            "history": self.curve.to_json(),
            "metric": {
                "name": "r2" if d.task == "regression" else "accuracy",
                "train": snapshot.metric(model, loss, d, d.X_train, d.y_train),
                "test": snapshot.metric(model, loss, d, d.X_test, d.y_test),
            },
            "heatmap": snapshot.heatmap(model, loss, d, self.view) if two_d else None,
            "neurons": snapshot.neuron_maps(model, d, self.view) if two_d else None,
            "weights": ws,
            "biases": bs,
            "confusion": snapshot.confusion(model, loss, d),
            "points": snapshot.points(d, self.pair) if points else None,
            "findings": list(self.findings),
            "paused_by": self.paused_by,
        }

    def snapshot(self) -> dict[str, Any]:
        """The latest snapshot."""
        return self.published.snapshot

    # ------------------------------------------------------------------ the page's controls

    def control(self, action: str, *, epochs: int = 1) -> dict[str, Any]:
        """Play, pause, step (`epochs` epochs, then pause) or reset; returns the state and the
        epoch once the training thread has obeyed (a step: once it is done)."""
        with self._cond:
            if self.state == "stopped":
                raise GlassnetError("this session has stopped; start a new one")
            if action == "play":
                if self.state == "paused":
                    self.paused_by = None
                    self.state = "running"
                    self.published = self._publish()
                    self._cond.notify_all()
            elif action == "pause":
                if self.state == "running":
                    self._pause_at = time.perf_counter()
                    self._attention = True
                    self._cond.wait_for(lambda: self.state != "running", WAIT_SECONDS)
            elif action == "step":
                if self.state == "running":  # a step while running is a pause
                    return self.control("pause")
                self._step_to = self.epoch + epochs
                self.paused_by = None
                self.state = "running"
                self._cond.notify_all()
                self._cond.wait_for(lambda: self.state != "running", WAIT_SECONDS)
            elif action == "reset":
                self._command = "reset"
                self._attention = True
                self._cond.notify_all()
                self._cond.wait_for(lambda: self._command is None, WAIT_SECONDS)
            else:
                raise GlassnetError(
                    f"action must be one of play, pause, step, reset; got {action!r}"
                )
            return {"state": self.state, "epoch": self.epoch}

    def close(self) -> None:
        """Stop training and end the thread."""
        with self._cond:
            if self.state == "stopped":
                return
            self._command = "stop"
            self._attention = True
            self._cond.notify_all()
        self._thread.join(WAIT_SECONDS)


class _Hook(Callback):
    """The session's hands inside `fit`: between batches and after each epoch."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def on_batch_end(self, step: int, model: Any, loss: float) -> None:
        session = self.session
        if session._attention or time.perf_counter() >= session._next_frame:
            session.between_batches()

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool | None:
        self.session.after_epoch(logs)
        return None
