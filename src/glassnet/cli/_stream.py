"""`glassnet train --stream`: a CSV file larger than memory, never held whole.

The file is read several times, a chunk at a time:

1. `columns.survey` finds each column's kind as read (number, date, text) over the whole file;
2. the first pass keeps a uniform random sample of the rows that have a target (`RowSample`),
   and with it the rows that decide a column's kind however rare they are (a column of text's
   first words, a column of numbers' least and greatest); it counts every column's missing
   values and every value of the target (`TargetValues`). The schema is learned from the sample
   (`schema.learn`), the classes from every value;
3. the second pass gathers the standardization of the features the schema makes, exact for the
   whole file (`preprocessing.Moments`);
4. each epoch then reads the file once more, chunk by chunk, and trains on each chunk in turn
   (`Sequential.fit`, one epoch of the chunk's rows shuffled), the optimizer's state carried on.

What may differ from training in memory: a number's fill is the median of the sample, not of
every row; a category, a date part or an identifier is judged on the sample (a category rarer
than the sample can see is unknown; integers numbering the rows are an identifier only when
named like one); on a file no larger than the sample nothing of this differs. And the order the
rows are visited in: shuffled within each chunk, the chunks in file order.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from .. import tables
from .._typing import Array, Task
from ..callbacks import Callback, History
from ..columns import Columns, iter_columns, survey
from ..errors import DataError, TrainingDivergedError
from ..files import is_device_or_pipe
from ..kinds import MAX_STRAY_WORDS
from ..losses import Loss
from ..network import Sequential
from ..optimizers import Optimizer
from ..preprocessing import Moments, Preprocessing
from ..schema import Schema, learn, target_rows
from ..training_table import check_classes
from ._common import CLIError, command_prog
from ._training import Data, check_columns, na_markers

#: rows the schema is learned from: a uniform sample of the file's rows with a target
SAMPLE_ROWS = 100_000
#: rows read and trained on at a time, unless --chunk-rows says otherwise
CHUNK_ROWS = 100_000
#: different target values kept from the first pass: more are numbers to regress, never classes
MAX_LABELS = 100_000


def check_stream_args(args: argparse.Namespace) -> None:
    """Refuse what ``--stream`` cannot do, and ``--chunk-rows`` without it, in one line."""
    prog = command_prog(args)
    if not args.stream:
        if args.chunk_rows is not None:
            raise CLIError("--chunk-rows is for --stream", prog)
        return
    if args.data is None:
        raise CLIError("--stream reads a CSV file DATA, not --dataset", prog)
    if args.data == "-" or is_device_or_pipe(args.data):
        raise CLIError("--stream reads the file several times: give a file, not standard input "
                       "or a pipe", prog)  # fmt: skip
    for option, given in (("--validation-split", args.validation_split > 0),
                          ("--early-stopping", args.early_stopping is not None)):  # fmt: skip
        if given:
            raise CLIError(f"{option} needs the rows in memory; it cannot go with --stream", prog)


# --- the first pass: a sample of the rows, the target's values ---------------------------------


class RowSample:
    """A uniform random sample of at most ``size`` rows of a file read in chunks.

    Every row gets a random key; the sample is the rows with the ``size`` smallest keys
    (bottom-k sampling, vectorised: a chunk's rows under the largest key kept so far are merged
    in and the largest keys dropped with one `np.argpartition`). A row given the key -1 is
    always kept.
    """

    def __init__(self, names: list[str], size: int) -> None:
        self.names, self.size = names, size
        self.keys = np.empty(0)
        self.lines = np.empty(0, dtype=np.int64)
        self.values: dict[str, Array] = {}
        self.bound = math.inf  # the largest key kept, once the sample is full

    def add(self, chunk: Columns, rows: Array, keys: Array) -> None:
        """Offer ``rows`` of ``chunk`` with their ``keys`` (uniform in [0, 1), or -1)."""
        chosen = (keys < self.bound) | (keys < 0)
        rows, keys = rows[chosen], keys[chosen]
        if not len(rows):
            return
        merged = np.concatenate([self.keys, keys])
        size = max(self.size, int(np.count_nonzero(merged < 0)))  # rows always kept: all
        kept = None
        if len(merged) > size:
            kept = np.argpartition(merged, size - 1)[:size]
            self.bound = float(merged[kept].max())

        def joined(old: Array | None, new: Array) -> Array:
            both = new if old is None else np.concatenate([old, new])
            return both if kept is None else both[kept]

        self.keys = joined(self.keys, keys)
        self.lines = joined(self.lines, chunk.lines[rows])
        for name in self.names:
            self.values[name] = joined(self.values.get(name), chunk.values[name][rows])

    def columns(self, source: str) -> Columns:
        """The sample as a table, its rows in file order (each with its file line)."""
        order = np.argsort(self.lines, kind="stable")
        values = {name: self.values[name][order] for name in self.names}
        return Columns(list(self.names), values, source, self.lines[order])


@dataclass
class TargetValues:
    """Every different value of the target column in the whole file, in the order first seen
    (at most `MAX_LABELS`: beyond, the values must be numbers to regress, and are not kept)."""

    source: str
    target: str
    task: Task | None
    seen: dict[str, None] = field(default_factory=dict)
    many: bool = False

    def add(self, labels: list[str]) -> None:
        if not self.many:
            self.seen.update(dict.fromkeys(labels))
            if len(self.seen) <= MAX_LABELS:
                return
            self.many, self.seen = True, {}
        try:
            np.asarray(labels, dtype=np.float64)
            numbers = self.task != "classification"
        except ValueError:
            numbers = False
        if not numbers:
            why = "" if self.task == "classification" else ", not all numbers to regress"
            raise DataError(
                f"{self.source}: the target column {self.target!r} holds more than {MAX_LABELS} "
                f"different values{why}: too many classes to learn"
            )

    def classes(self) -> tuple[Task, list[str] | None, dict[str, int] | None]:
        """The task, the class labels (as `tables.encode_target` spells them) and each value's
        class; None, None for regression."""
        values = list(self.seen)
        if not values and not self.many:
            raise DataError(f"{self.source}: the target column {self.target!r} has no values")
        task = self.task or ("regression" if self.many else tables.infer_task(values))
        if task == "regression":
            return task, None, None
        lines = [0] * len(values)  # one row per value: the classes of the whole file
        table = tables.Table([], np.empty((len(values), 0)), self.target, values, self.source,
                             lines)  # fmt: skip
        indices, classes = tables.encode_target(table, task)
        check_classes(classes, self.source, self.target)
        return task, classes, dict(zip(values, indices.tolist()))


def _missing(values: Array) -> int:
    """How many cells of a column as read are missing (NaN, NaT or None)."""
    if values.dtype.kind == "f":
        return int(np.count_nonzero(np.isnan(values)))
    if values.dtype.kind == "M":
        return int(np.count_nonzero(np.isnat(values)))
    return values.tolist().count(None)  # text: None


def _new_words(cells: Array, words: set[str], wanted: int) -> list[int]:
    """The rows of the first ``wanted`` values of ``cells`` that are not numbers and not in
    ``words`` (which takes them in)."""
    values = cells.tolist()
    new = {v for v in set(values) - words if v is not None and tables.to_float(v) is None}
    first: list[int] = []
    for i, value in enumerate(values if new else ()):  # a scan only when there is a word to find
        if value in new and value not in words:
            words.add(value)
            first.append(i)
            if len(first) == wanted:
                break
    return first


@dataclass
class Extremes:
    """The least and greatest number of a column so far (an infinity too: the sample holds it,
    and learning refuses it naming its line)."""

    lo: float = math.inf
    hi: float = -math.inf

    def new(self, v: Array) -> list[int]:
        """The rows of ``v`` holding a new least or greatest number (taken in)."""
        if np.isnan(v).all():
            return []
        i, j = int(np.nanargmin(v)), int(np.nanargmax(v))
        rows = [i] if v[i] < self.lo else []
        rows += [j] if v[j] > self.hi else []
        self.lo, self.hi = min(self.lo, float(v[i])), max(self.hi, float(v[j]))
        return rows


# --- the stream --------------------------------------------------------------------------------


@dataclass
class Stream:
    """A CSV file to train on chunk by chunk: what the first passes learned, and the chunks."""

    path: str
    target: str
    types: dict[str, str]
    na: list[str]
    chunk_rows: int
    schema: Schema
    task: Task
    classes: list[str] | None
    index: dict[str, int] | None  # each target value's class (classification)
    rows: int = 0  # rows with a target
    left_out: int = 0  # rows without one
    passes: int = 2  # the survey and the first pass
    chunks: int = 0  # chunks trained on per epoch

    @property
    def source(self) -> str:
        return self.path

    def data(self) -> Data:
        """What `train` reports and stores of the data (no arrays: they are never whole)."""
        return Data(None, None, self.schema.features, self.target, self.task, self.classes,
                    self.source, self.schema, self.left_out)  # fmt: skip

    def batches(self) -> Iterator[tuple[Array, Array]]:
        """One pass over the file: each chunk's features (as the schema makes them, not yet
        standardized) and target (class indices or values), rows without a target left out."""
        self.passes += 1
        wanted = [c.name for c in self.schema.used] + [self.target]
        for chunk in iter_columns(self.path, types=self.types, na=self.na, columns=wanted,
                                  chunk_rows=self.chunk_rows):  # fmt: skip
            labels, rows = target_rows(chunk, self.target)
            if not labels:
                continue
            taken = None if len(rows) == chunk.n_rows else rows
            X, _ = self.schema.transform(chunk, rows=taken)
            yield X, self._encode(labels, chunk, taken, X)

    def _encode(self, labels: list[str], chunk: Columns, rows: Array | None, X: Array) -> Array:
        if self.index is None:  # regression: finite numbers, or a one-line error naming the line
            lines = tables.RowLines(chunk, rows)  # looked up only for a message
            table = tables.Table([], X, self.target, labels, self.source, lines)
            return tables.encode_target(table, "regression")[0]
        y = np.fromiter(map(self.index.get, labels, repeat(-1)), np.int64, len(labels))
        if (y < 0).any():
            i = int(np.argmax(y < 0))
            line = chunk.line(i if rows is None else int(rows[i]))
            raise DataError(f"{self.source} line {line}, column {self.target!r}: the class "
                            f"{labels[i]!r} was not in the file when it was first read; did "
                            "it change?")  # fmt: skip
        return y

    def preprocessing(self) -> Preprocessing:
        """The second pass: the exact standardization of the features (and of a target to
        regress) over every row."""
        features = Moments(len(self.schema.features))
        target = Moments(1) if self.task == "regression" else None
        for X, y in self.batches():
            features.update(X)
            if target is not None:
                target.update(y.reshape(-1, 1))
        prep = Preprocessing.from_moments(features, target, features=self.schema.features,
                                          target=self.target, task=self.task,
                                          classes=self.classes, source=self.source)  # fmt: skip
        prep.schema = self.schema
        return prep

    def fit(
        self,
        model: Sequential,
        prep: Preprocessing,
        *,
        loss: Loss,
        optimizer: Optimizer,
        epochs: int,
        batch_size: int,
        metric: str,
        seed: int,
        callbacks: list[Callback],
    ) -> History:
        """Train ``model`` for ``epochs`` passes over the file, chunk by chunk.

        Each chunk is one `Sequential.fit` epoch of its rows, shuffled by a generator drawn
        from ``seed``, with the same ``optimizer`` (its state goes on from chunk to chunk). An
        epoch's loss and ``metric`` are the means over its chunks, weighted by their rows (for
        accuracy, that is the accuracy of the epoch; for R², an approximation). The callbacks
        are told of each epoch of the file, not of each chunk.
        """
        rng = np.random.default_rng(seed)
        history = History()
        for cb in callbacks:
            cb.on_train_begin(model)
        for epoch in range(epochs):
            started = time.perf_counter()
            sums, rows, chunks = {"loss": 0.0, metric: 0.0}, 0, 0
            for X, y in self.batches():
                try:
                    chunk = model.fit(prep.transform(X, copy=False), prep.encode_target(y),
                                      loss=loss, optimizer=optimizer, batch_size=batch_size,
                                      metrics=[metric], seed=rng)  # fmt: skip
                except TrainingDivergedError as exc:  # in the file's words, not the chunk's
                    where = f"in epoch {epoch + 1}, chunk {chunks + 1} of {self.source}:"
                    message = str(exc).replace("at epoch 1:", where, 1)
                    message = message.replace("where fit started", "where that chunk started")
                    raise TrainingDivergedError(message) from None
                optimizer.epoch = epoch  # an epoch is a pass over the file, not over a chunk
                for key in sums:
                    sums[key] += chunk.history[key][0] * len(y)
                rows, chunks = rows + len(y), chunks + 1
            optimizer.epoch = epoch + 1
            self.rows, self.chunks = rows, chunks
            logs = {key: total / rows for key, total in sums.items()}
            logs["learning_rate"] = optimizer.learning_rate
            logs["time"] = time.perf_counter() - started
            history.append(logs)
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs, model)
        model.metadata["training"] = history.summary()
        for cb in callbacks:
            cb.on_train_end(model, history)
        return history


def read_stream(args: argparse.Namespace) -> Stream:
    """Survey ``args.data`` and read it once: its kinds, schema, classes and row counts."""
    path, target, na = args.data, args.target, na_markers(args)
    types = survey(path, na=na, text=[target])
    names = list(types)
    ignore = set(check_columns(names, path, args))
    chunk_rows = args.chunk_rows or CHUNK_ROWS
    features = [name for name in names if name != target]
    texts = [name for name in features if types[name] == "text" and name not in ignore]
    words: dict[str, set[str]] = {name: set() for name in texts}
    extremes = {name: Extremes() for name in features if types[name] == "number"}
    missing = dict.fromkeys(features, 0)
    sample = RowSample(features, SAMPLE_ROWS)
    values = TargetValues(path, target, args.task)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(1)[0])
    rows = left_out = 0
    for chunk in iter_columns(path, types=types, na=na, chunk_rows=chunk_rows):
        labels, kept = target_rows(chunk, target)
        values.add(labels)
        rows, left_out = rows + len(kept), left_out + chunk.n_rows - len(kept)
        every = len(kept) == chunk.n_rows
        keys = rng.random(len(kept))
        for name in features:
            cells = chunk.values[name] if every else chunk.values[name][kept]
            missing[name] += _missing(cells)
            # the sample must hold what decides a column's kind beyond its frequencies: a stray
            # word among numbers (refused naming its line, as in memory, however rare it is),
            # the least and greatest number (a rare 2 among 0 and 1 is no yes/no column)
            if name in words and len(words[name]) <= MAX_STRAY_WORDS:
                wanted = MAX_STRAY_WORDS + 1 - len(words[name])
                keys[_new_words(cells, words[name], wanted)] = -1.0
            elif name in extremes:
                keys[extremes[name].new(cells)] = -1.0
        sample.add(chunk, kept, keys)
    task, classes, index = values.classes()
    schema = learn(sample.columns(path), target=target, ignore=ignore,
                   na_indicator=getattr(args, "na_indicator", False), na=na,
                   missing=missing)  # fmt: skip
    return Stream(path, target, types, na, chunk_rows, schema, task, classes, index, rows,
                  left_out)  # fmt: skip


def stream_summary(stream: Stream) -> dict[str, Any]:
    """What ``--json`` says of the stream: chunks per epoch, rows per epoch, passes over the
    file."""
    return {"chunks": stream.chunks, "rows": stream.rows, "passes": stream.passes}
