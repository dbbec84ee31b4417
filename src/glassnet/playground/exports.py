"""What the playground exports of a session: the model file (`glassnet.load` reads it and
predicts identically), a Python script that reproduces the run to the same weights, and the
equivalent `glassnet train` command line.

Each reads the session's published copy of the network: what the page shows.
"""

from __future__ import annotations

import os
import secrets
import shlex
from typing import TYPE_CHECKING

from .data import CALLS

if TYPE_CHECKING:
    from .session import Session


def model_file(session: Session, directory: str) -> bytes:
    """The network as a model file, with its preprocessing (and a CSV file's schema) stored as
    `glassnet train` stores them; written in `directory`, read back and removed."""
    import copy

    published = session.published
    model = copy.deepcopy(published.model)
    if session.data.prep is not None:
        session.data.prep.store(model)
    model.metadata["training"] = {
        **model.metadata.get("training", {}),
        "data": session.data.source,
        "epochs": published.epoch,
        "playground": session.config.to_json(),
    }
    path = os.path.join(directory, f"export-{secrets.token_hex(8)}.npz")
    try:
        model.save(path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(path):
            os.remove(path)


def _csv_source(session: Session) -> str:
    """The CSV file's path as the script names it: the command line's path, or the name of
    the uploaded file (which the page has, the server does not keep)."""
    return session.data.file or "data.csv"


def script(session: Session, directory: str) -> bytes:
    """A Python script that trains the same network on the same data for the same epochs."""
    c, d = session.config, session.data
    epochs = session.published.epoch
    notes = []
    if session.runs > 1:
        notes.append(
            "The playground's run was resumed after a divergence: the script runs it "
            "without that interruption, so its weights differ from those shown."
        )
    lines = [
        f'"""Reproduce a glassnet playground run: {d.source}, {epochs} epochs.',
        "",
        "Run it as `python THIS_FILE.py`: it trains the same network on the same data with the",
        "same seed, and prints the weights (the same as the playground's to 1e-12).",
        *(["", *notes] if notes else []),
        '"""',
        "",
        "import sys",
        "",
        "import numpy as np",
        "",
        "import glassnet as gn",
        "",
        f"EPOCHS = {epochs}",
        f"SEED = {c.seed}",
        "",
    ]
    if c.data == "tutorial":
        lines += [
            "from glassnet.tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork",
            "",
            "# the tutorial's neuron: 3 inputs, one sigmoid, no bias; SSE and SGD at rate 1",
            "nn = NeuralNetwork(seed=SEED)",
            "model = nn.model",
            "model.fit(TRAINING_INPUTS, TRAINING_OUTPUTS, loss=nn.loss, optimizer=nn.optimizer,",
            "          epochs=EPOCHS, batch_size=None, shuffle=False)",
            'print("[1, 0, 0] ->", nn.think([1, 0, 0]))',
        ]
    else:
        lines += _data_lines(session)
        lines += [
            "",
            "# the training rows and the test rows, drawn with the seed",
            "order = np.random.default_rng(SEED).permutation(len(X))",
            f"n_train = {len(d.X_train)}",
            "train, test = np.sort(order[:n_train]), np.sort(order[n_train:])",
            "# standardization learned on the training rows, as glassnet train does",
            "prep = Preprocessing.fit(X[train], y[train], features=FEATURES, target=TARGET,",
            "                         task=TASK, classes=CLASSES)",
            "X_train, X_test = prep.transform(X[train]), prep.transform(X[test])",
            "y_train, y_test = prep.encode_target(y[train]), prep.encode_target(y[test])",
        ]
        if d.task == "regression":
            lines += ["y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)"]
        options = session.fit_options()
        classification = d.task == "classification"
        lines += [
            "",
            f"model = mlp({d.n_inputs}, {c.hidden!r}, "
            f"{len(d.classes or ()) if classification else 1}, activation={c.activation!r}, "
            f"dropout={c.dropout!r}, rng=SEED)",
            f"optimizer = gn.{type(session.optimizer).__name__}({c.learning_rate!r}, "
            f"weight_decay={c.l2!r})",
            "history = model.fit(",
            "    X_train,",
            "    y_train,",
            f"    loss={'cross_entropy' if classification else 'mse'!r},",
            "    optimizer=optimizer,",
            "    epochs=EPOCHS,",
            f"    batch_size={options['batch_size']!r},",
            "    validation_data=(X_test, y_test) if len(X_test) else None,",
            "    seed=SEED,",
            ")",
            'print(f"epoch {EPOCHS}: loss {history.loss[-1]:.6g}")',
            "prep.store(model)  # model.save('model.npz') would keep it, as glassnet train does",
        ]
    lines += [
        "for i, w in enumerate(model.get_weights()):",
        '    print(f"parameter {i}: shape {w.shape}")',
        "    print(np.array2string(w, precision=17, threshold=1_000_000))",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _data_lines(session: Session) -> list[str]:
    """The lines of the script that make X and y as the session read them."""
    c, d = session.config, session.data
    lines = [
        "from glassnet.network import mlp",
        "from glassnet.preprocessing import Preprocessing",
        "",
        f"FEATURES = {d.features!r}",
        f"TARGET = {d.target!r}",
        f"TASK = {d.task!r}",
        f"CLASSES = {d.classes!r}",
    ]
    if c.data != "csv":
        call = CALLS[c.data].format(n=c.n, noise=c.noise, classes=c.classes, seed="SEED")
        return [
            *lines,
            "",
            f"X, y = gn.datasets.{call}",
            "if sys.argv[1:2] == ['--data-csv']:  # the points as a CSV file, for glassnet train",
            "    points = gn.datasets.Dataset(X, y, FEATURES, TARGET, TASK, CLASSES, '')",
            "    points.to_csv(sys.argv[2])",
        ]
    return [
        *lines,
        f"DATA = {_csv_source(session)!r}",
        "",
        "# the CSV file read as glassnet train reads it: each column's use learned as a schema,",
        "# the rows without a target left out, the target's classes sorted",
        "from glassnet import tables",
        "from glassnet.schema import learn, target_rows",
        "",
        "columns = tables.read_columns(DATA, text=[TARGET])",
        "y_raw, rows = target_rows(columns, TARGET)",
        "kept = None if len(rows) == columns.n_rows else rows",
        "schema = learn(columns, target=TARGET, rows=kept)",
        "X, _ = schema.transform(columns, rows=kept)",
        "table = tables.Table(schema.features, X, TARGET, y_raw, columns.source,",
        "                     tables.RowLines(columns, kept))",
        "y, _ = tables.encode_target(table, TASK)",
    ]


def command(session: Session, directory: str) -> bytes:
    """The `glassnet train` command line closest to the session, and what it cannot say."""
    c, d = session.config, session.data
    epochs = max(session.published.epoch, 1)
    lines: list[str] = []
    if c.data == "tutorial":
        words = ["glassnet", "demo", "--iterations", str(epochs)]
        lines.append("# the tutorial's run: its neuron, its 4 examples, SGD at rate 1 on SSE")
        return (shlex.join(words) + "\n" + "\n".join(lines) + "\n").encode()
    if c.data == "csv":
        words = ["glassnet", "train", _csv_source(session), "--target", d.target]
    else:
        words = ["glassnet", "train", f"playground-{c.data}.csv", "--target", d.target]
        lines.append(f"# playground-{c.data}.csv: the playground's points, written by the "
                     "exported script: python SCRIPT.py --data-csv "
                     f"playground-{c.data}.csv")  # fmt: skip
    words += [
        "--hidden", ",".join(map(str, c.hidden)) or "none",
        "--activation", c.activation,
        "--optimizer", c.optimizer,
        "--learning-rate", repr(c.learning_rate),
        "--batch-size", str(c.batch_size),
        "--epochs", str(epochs),
        "--validation-split", f"{1 - c.ratio:.6g}",
        "--seed", str(c.seed),
        "-o", "model.npz",
    ]  # fmt: skip
    missing = [f"{name} {value:g}" for name, value in (("l2", c.l2), ("dropout", c.dropout))
               if value]  # fmt: skip
    if missing:
        lines.append(f"# not said by the command (glassnet train has no such option): "
                     f"{', '.join(missing)}")  # fmt: skip
    lines.append("# glassnet train draws its own validation rows: the same network and settings, "
                 "not the same weights (the script gives those)")  # fmt: skip
    return (shlex.join(words) + "\n" + "\n".join(lines) + "\n").encode()
