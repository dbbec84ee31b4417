"""The benchmark workloads W1–W8, each written once per library, run one per child process.

`run.py` (the parent) prepares the data once with `prepare`, then starts this file as
``python bench/workloads.py WORKLOAD LIBRARY --data DIR --seed S [--quick] [--profile]`` for
every single run. The child loads the data, builds the model, times training alone
(``time.perf_counter`` around the training call, nothing else), measures the accuracy on held-out
data, and prints one JSON line: seconds, accuracy, peak memory and workload facts.

Every library gets the same data, the same architecture, the same optimizer and hyper-parameters
and the same number of steps. W1 and W4 also start from the same weights, so their final losses
must agree across libraries to many digits: a check that the work really is identical.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import w7_table  # the sibling modules (this directory is on the path when run as a script)
import w8_stream

# ---------------------------------------------------------------- the workloads' sizes


def sizes(quick: bool) -> dict[str, dict[str, Any]]:
    """The hyper-parameters of each workload (smaller under --quick, for a smoke run)."""
    return {
        "W1": {"iterations": 2_000 if quick else 10_000},
        "W2": {"hidden": 100, "lr": 1e-3, "batch": 64, "epochs": 5 if quick else 50},
        "W3": {
            "n_train": 10_000 if quick else 60_000,
            "n_test": 2_000 if quick else 10_000,
            "hidden": (256, 128),
            "lr": 1e-3,
            "batch": 128,
            "epochs": 1 if quick else 2,
        },
        "W4": {
            "n_train": 20_000 if quick else 100_000,
            "n_test": 5_000 if quick else 20_000,
            "n_features": 100,
            "hidden": 64,
            "lr": 2.0,
            "iterations": 20 if quick else 100,
        },
        # scikit-learn's lbfgs on digits, through both estimators, from the same weights
        "W5": {"hidden": 100, "iterations": 20 if quick else 200},
        "W6": {
            "n_train": 4_000 if quick else 20_000,
            "n_test": 2_000 if quick else 5_000,
            "n_features": 50_000,
            "density": 0.001,
            "hidden": 64,
            "lr": 1e-3,
            "batch": 256,
            "epochs": 2 if quick else 5,
        },
        # the command line on a numeric CSV file: 300,000 × 21 is ~58 MB of text
        "W7": {"n_rows": 30_000 if quick else 300_000, "n_columns": 21, "epochs": 1},
        # a file larger than memory, read in chunks: 2 GiB of text is ~11.6 million rows
        "W8": {"file_mb": 20 if quick else 2048, "n_numbers": 20, "epochs": 1},
    }


#: set to "1" in a glassnet child's environment: `glassnet.kernels.load()` runs before the clock,
#: importing Numba, setting it up and importing glassnet's kernel modules, as `import torch` and
#: `import jax` happen before theirs; the kernels themselves are loaded from the disk cache (or
#: compiled) inside the timed training
LOAD_KERNELS = "GLASSNET_BENCH_LOAD_KERNELS"
#: the workloads whose models are large enough for a kernel once Numba is loaded (W1's neuron,
#: W5's L-BFGS and the command lines of W7/W8 never use one: nothing is loaded for them)
KERNELS_MAY_RUN = ("W2", "W3", "W4", "W6")

LIBRARIES = {
    "W1": ("glassnet", "tutorial"),
    "W2": ("glassnet", "sklearn", "torch", "jax"),
    "W3": ("glassnet", "sklearn", "torch", "jax"),
    "W4": ("glassnet", "numpy", "torch", "sklearn", "jax"),
    "W5": ("glassnet", "sklearn"),
    "W6": ("glassnet", "sklearn"),
    "W7": ("glassnet", "pandas"),
    "W8": ("glassnet",),
}


def dense_flops(n_samples: int, widths: list[int]) -> dict[str, float]:
    """Floating-point operations of one pass of training over `n_samples` through an MLP.

    Forward: 2·n·Σ n_in·n_out (one multiply and one add per weight per sample). Backward: the
    weight gradients cost the same again, and the input gradients once more for every layer but
    the first (nobody needs d loss / d X) — so backward is a little under 2× forward.
    """
    pairs = list(itertools.pairwise(widths))
    forward = 2.0 * n_samples * sum(a * b for a, b in pairs)
    backward = forward + 2.0 * n_samples * sum(a * b for a, b in pairs[1:])
    return {"forward": forward, "backward": backward, "total": forward + backward}


# ---------------------------------------------------------------- the timed region


class Clock:
    """Times training (and profiles it, when the child runs with --profile): nothing else."""

    profiler: Any = None  # a cProfile.Profile, set by `main` for --profile

    def __enter__(self) -> Clock:
        if Clock.profiler is not None:
            Clock.profiler.enable()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        if Clock.profiler is not None:
            Clock.profiler.disable()


class StepTimes:
    """Times each call of glassnet's compiled training step (`compiled.Step.program`).

    A compiled step is a list of pre-bound NumPy calls that cProfile cannot see into (a
    `functools.partial` calling a NumPy function is C calling C). With --steps the child
    replaces the step's runner with one that reads the clock around every call, in the order the
    step makes them, and writes each call's total time. The clock adds ~0.1 µs per call. A
    batch trained in two lanes (`glassnet.lanes`) times both threads' calls: their times add up
    to the CPU time of the step, more than its wall time.
    """

    def __init__(self) -> None:
        self.entries: dict[str, list[Any]] = {}
        self.steps = 0

    def install(self) -> None:
        from functools import partial

        from glassnet import compiled, lanes

        clock, entries, lock = time.perf_counter, self.entries, threading.Lock()
        labels: dict[int, str] = {}
        alive: list[Any] = []  # each call seen, kept alive so that no id is reused

        def timed(call: Callable[[], Any], first: bool = False) -> Any:
            if first:  # the first loss value of a step: one more step
                self.steps += 1
            t0 = clock()
            result = call()
            elapsed = clock() - t0
            with lock:  # the two lanes of a large batch time their calls at once
                key = labels.get(id(call))
                if key is None:
                    key = labels[id(call)] = _call_label(call)
                    alive.append(call)
                entry = entries.setdefault(key, [0, 0.0])
                entry[0] += 1
                entry[1] += elapsed
            return result

        def wrap(calls: Any) -> tuple[Any, ...]:
            return tuple(partial(timed, call) for call in calls)

        compile_step = compiled.Step.program

        def program(step: Any, *args: Any, **kwargs: Any) -> Any:
            """The step as compiled, with every call wrapped in a clock."""
            run, restore = compile_step(step, *args, **kwargs)
            if isinstance(run, partial) and run.func is compiled.run_one:
                before, value, after = run.args
                run = partial(run.func, wrap(before), partial(timed, value, True), wrap(after))
            elif isinstance(run, partial) and run.func is compiled.run_blocks:
                run = partial(run.func, blocks(run.args[0], True))
            elif isinstance(run, partial) and run.func is lanes.run:  # two threads at once
                first, second, join = run.args
                first = partial(first.func, blocks(first.args[0], True))
                second = partial(second.func, blocks(second.args[0], False))
                run = partial(run.func, first, second, wrap(join))
            return run, restore

        def blocks(segments: Any, counted: bool) -> list[Any]:
            return [
                (wrap(before), partial(timed, value, counted and i == 0), weight, wrap(after))
                for i, (before, value, weight, after) in enumerate(segments)
            ]

        compiled.Step.program = program  # type: ignore[method-assign]

    def dump(self, path: Path) -> None:
        rows = [[label, n, t] for label, (n, t) in self.entries.items()]
        path.write_text(json.dumps({"steps": self.steps, "calls": rows}))


def _call_label(call: Any) -> str:
    """`name(shapes of the array arguments)` for one call of a compiled step."""
    f = getattr(call, "func", call)
    owner = getattr(f, "__self__", None)
    if isinstance(f, np.ufunc):
        name = f"np.{f.__name__}"
    elif isinstance(owner, np.ufunc):
        name = f"np.{owner.__name__}.{f.__name__}"  # e.g. np.add.reduce
    elif hasattr(f, "py_func"):  # a Numba kernel (glassnet.kernels; NumPy 2's np.dot is an
        # _ArrayFunctionDispatcher too, so the type's name does not tell them apart)
        name = f"{f.__name__} (Numba)"
    elif owner is not None and type(owner).__name__ != "module":
        name = f"{type(owner).__name__}.{f.__name__}"  # a bound method
    else:
        name = f"np.{f.__name__}" if getattr(f, "__module__", "") == "numpy" else f.__name__
    shapes = [
        "×".join(map(str, a.shape)) or "0-d"
        for a in getattr(call, "args", ())
        if isinstance(a, np.ndarray)
    ]
    return f"{name}({', '.join(shapes)})"


# ---------------------------------------------------------------- data, prepared once


def prepare(data_dir: Path, quick: bool, workloads: list[str]) -> None:
    """Write each workload's data (and shared starting weights) to `data_dir` as .npz files."""
    cfg = sizes(quick)
    if "W2" in workloads or "W5" in workloads:  # W5 trains on W2's digits
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        order = np.random.default_rng(0).permutation(len(X))
        X, y = X[order] / 16.0, y[order]
        n_test = 450
        np.savez(
            data_dir / "W2.npz",
            X_train=X[n_test:],
            y_train=y[n_test:],
            X_test=X[:n_test],
            y_test=y[:n_test],
        )
    if "W3" in workloads:
        c = cfg["W3"]
        rng = np.random.default_rng(3)
        n = c["n_train"] + c["n_test"]
        X = rng.standard_normal((n, 784), dtype=np.float32)
        # labels from a random teacher network 784-32-10 (tanh, mostly in its linear range)
        A = rng.standard_normal((784, 32), dtype=np.float32) / np.float32(56.0)
        B = rng.standard_normal((32, 10), dtype=np.float32)
        y = np.argmax(np.tanh(X @ A) @ B, axis=1)
        m = c["n_train"]
        np.savez(data_dir / "W3.npz", X_train=X[:m], y_train=y[:m], X_test=X[m:], y_test=y[m:])
    if "W4" in workloads:
        c = cfg["W4"]
        rng = np.random.default_rng(4)
        n, d, h = c["n_train"] + c["n_test"], c["n_features"], c["hidden"]
        X = rng.standard_normal((n, d))
        a, b = rng.standard_normal(d), rng.standard_normal(d)
        y = ((X @ a + 3.0 * np.sin(X @ b / 3.0)) > 0).astype(np.float64).reshape(-1, 1)
        # shared Glorot-uniform starting weights, so every library does the very same work
        lim1, lim2 = np.sqrt(6.0 / (d + h)), np.sqrt(6.0 / (h + 1))
        m = c["n_train"]
        np.savez(
            data_dir / "W4.npz",
            X_train=X[:m],
            y_train=y[:m],
            X_test=X[m:],
            y_test=y[m:],
            W1=rng.uniform(-lim1, lim1, (d, h)),
            b1=np.zeros(h),
            W2=rng.uniform(-lim2, lim2, (h, 1)),
            b2=np.zeros(1),
        )
    if "W6" in workloads:
        prepare_w6(data_dir, cfg["W6"])
    if "W7" in workloads:
        w7_table.prepare(data_dir, cfg["W7"])
    if "W8" in workloads:
        w8_stream.prepare(data_dir, cfg["W8"])


def prepare_w6(data_dir: Path, c: dict[str, Any]) -> None:
    """Text-like data: CSR rows of 0.1% density (term counts), labels from a sparse teacher."""
    import scipy.sparse as sp

    rng = np.random.default_rng(6)
    n, d = c["n_train"] + c["n_test"], c["n_features"]
    X = sp.random(n, d, density=c["density"], format="csr", random_state=rng, dtype=np.float64)
    X.data = np.ceil(X.data * 3.0)  # counts 1..3
    teacher = rng.standard_normal((d, 4)) * (rng.random((d, 1)) < 0.2)
    y = np.asarray(X @ teacher).argmax(axis=1)
    m = c["n_train"]
    sp.save_npz(data_dir / "W6_X_train.npz", X[:m])
    sp.save_npz(data_dir / "W6_X_test.npz", X[m:])
    np.savez(data_dir / "W6.npz", y_train=y[:m], y_test=y[m:])


def w6(library: str, c: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """The same MLP estimator settings in both libraries, on sparse X (never densified)."""
    import scipy.sparse as sp
    from sklearn.exceptions import ConvergenceWarning

    if library == "glassnet":
        from glassnet.estimators import NeuralNetClassifier as Estimator
    else:
        from sklearn.neural_network import MLPClassifier as Estimator
    y = _load(data_dir, "W6")
    X_train, X_test = (sp.load_npz(data_dir / f"W6_X_{part}.npz") for part in ("train", "test"))
    clf = Estimator(
        hidden_layer_sizes=(c["hidden"],), alpha=0.0, batch_size=c["batch"],
        learning_rate_init=c["lr"], max_iter=c["epochs"], tol=0.0,
        n_iter_no_change=c["epochs"] + 1, random_state=seed,
    )  # fmt: skip
    with Clock() as clock, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: as intended
        clf.fit(X_train, y["y_train"])
    accuracy = float(clf.score(X_test, y["y_test"]))
    return {"seconds": clock.seconds, "accuracy": accuracy, "loss": float(clf.loss_)}


def _load(data_dir: Path, name: str) -> dict[str, np.ndarray]:
    with np.load(data_dir / f"{name}.npz") as f:
        return {k: f[k] for k in f.files}


# ---------------------------------------------------------------- W1: the tutorial neuron


def w1_tutorial(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """The tutorial's own 9 lines, verbatim (integer inputs and the global random seed)."""
    from numpy import array, dot, exp, random

    iterations = cfg["iterations"]
    with Clock() as clock:
        # --- the tutorial's code, as published -------------------------------------------------
        training_set_inputs = array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
        training_set_outputs = array([[0, 1, 1, 0]]).T
        random.seed(1)  # noqa: NPY002 - the tutorial's code, in a throw-away child process
        synaptic_weights = 2 * random.random((3, 1)) - 1  # noqa: NPY002
        for _iteration in range(iterations):
            output = 1 / (1 + exp(-(dot(training_set_inputs, synaptic_weights))))
            synaptic_weights += dot(
                training_set_inputs.T, (training_set_outputs - output) * output * (1 - output)
            )
        answer = 1 / (1 + exp(-(dot(array([1, 0, 0]), synaptic_weights))))
        # -----------------------------------------------------------------------------------------
    seconds = clock.seconds
    return {"seconds": seconds, "answer": float(answer[0]), "weights": synaptic_weights.ravel()}


def w1_glassnet(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """The same, through glassnet's tutorial face (which trains through `Sequential.fit`)."""
    import glassnet

    iterations = cfg["iterations"]
    with Clock() as clock:
        training_set_inputs = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
        training_set_outputs = np.array([[0, 1, 1, 0]]).T
        neural_network = glassnet.NeuralNetwork()
        neural_network.train(training_set_inputs, training_set_outputs, iterations)
        answer = neural_network.think(np.array([1, 0, 0]))
    seconds = clock.seconds
    weights = neural_network.synaptic_weights.ravel()
    return {"seconds": seconds, "answer": float(answer[0]), "weights": weights}


# ---------------------------------------------------------------- W2, W3: classifiers


def _glorot_start(widths: list[int], seed: int, dtype: Any) -> list[np.ndarray]:
    """The starting weights all three libraries train from: per layer a Glorot-uniform matrix
    of shape (n_in, n_out) and a zero bias, drawn from `seed` (so run i starts alike in each)."""
    rng = np.random.default_rng(seed)
    start: list[np.ndarray] = []
    for a, b in itertools.pairwise(widths):
        limit = np.sqrt(6.0 / (a + b))
        start += [rng.uniform(-limit, limit, (a, b)).astype(dtype), np.zeros(b, dtype=dtype)]
    return start


def _widths(d: dict[str, np.ndarray], hidden: tuple[int, ...]) -> list[int]:
    return [d["X_train"].shape[1], *hidden, int(d["y_train"].max()) + 1]


def _classifier_glassnet(
    d: dict[str, np.ndarray], hidden: tuple[int, ...], c: dict[str, Any], seed: int, dtype: Any
) -> dict[str, Any]:
    import glassnet as gn

    widths = _widths(d, hidden)
    layers: list[gn.Layer] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(gn.Dense(a, b, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(gn.ReLU())
    model = gn.Sequential(layers)
    model.set_weights(_glorot_start(widths, seed, dtype))
    X, y = d["X_train"].astype(dtype), d["y_train"]
    with Clock() as clock:
        history = model.fit(
            X,
            y,
            loss=gn.CrossEntropy(),
            optimizer=gn.Adam(c["lr"]),
            epochs=c["epochs"],
            batch_size=c["batch"],
            shuffle=True,
            seed=seed,
        )
    seconds = clock.seconds
    pred = model.predict(d["X_test"].astype(dtype)).argmax(axis=1)
    return {
        "seconds": seconds,
        "accuracy": float((pred == d["y_test"]).mean()),
        "loss": history["loss"][-1],
    }


def _classifier_sklearn(
    d: dict[str, np.ndarray], hidden: tuple[int, ...], c: dict[str, Any], seed: int, dtype: Any
) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=c["batch"],
        learning_rate_init=c["lr"],
        max_iter=c["epochs"],
        tol=0.0,
        n_iter_no_change=c["epochs"] + 1,  # never stop early: run every epoch
        shuffle=True,
        random_state=seed,
        warm_start=True,
    )
    X, y = d["X_train"].astype(dtype), d["y_train"]
    # MLPClassifier takes no initial weights: one untimed fit on a row of each class sets it
    # up, then the shared weights replace its own and the timed fit starts from them (with a
    # fresh Adam: `fit` makes a new optimizer even with warm_start)
    one_each = np.unique(y, return_index=True)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one iteration, and a batch larger than the rows
        clf.set_params(max_iter=1).fit(X[one_each], y[one_each])
    clf.set_params(max_iter=c["epochs"])
    start = _glorot_start(_widths(d, hidden), seed, dtype)
    clf.coefs_, clf.intercepts_ = start[0::2], start[1::2]
    clf.loss_curve_ = []
    with Clock() as clock, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: as intended
        clf.fit(X, y)
    seconds = clock.seconds
    accuracy = float(clf.score(d["X_test"].astype(dtype), d["y_test"]))
    return {"seconds": seconds, "accuracy": accuracy, "loss": float(clf.loss_)}


def _torch_setup() -> Any:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def _classifier_torch(
    d: dict[str, np.ndarray], hidden: tuple[int, ...], c: dict[str, Any], seed: int, dtype: Any
) -> dict[str, Any]:
    torch = _torch_setup()
    from torch import nn

    torch.manual_seed(seed)
    tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    widths = _widths(d, hidden)
    modules: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        modules.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            modules.append(nn.ReLU())
    model = nn.Sequential(*modules).to(tdtype)
    start = iter(_glorot_start(widths, seed, dtype))
    with torch.no_grad():  # the shared starting weights (torch keeps W as (n_out, n_in))
        for module in modules:
            if isinstance(module, nn.Linear):
                module.weight.copy_(torch.from_numpy(next(start).T.copy()))
                module.bias.copy_(torch.from_numpy(next(start)))
    X = torch.from_numpy(d["X_train"].astype(dtype))
    y = torch.from_numpy(d["y_train"].astype(np.int64))
    with Clock() as clock:
        optimizer = torch.optim.Adam(model.parameters(), lr=c["lr"])
        loss_fn = nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(seed)
        n, batch = len(X), c["batch"]
        model.train()
        for _epoch in range(c["epochs"]):
            total = 0.0
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch):
                idx = order[start : start + batch]
                xb, yb = X[idx], y[idx]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)  # the epoch's loss, as glassnet and sklearn report
    seconds = clock.seconds
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(d["X_test"].astype(dtype))).argmax(dim=1).numpy()
    return {
        "seconds": seconds,
        "accuracy": float((pred == d["y_test"]).mean()),
        "loss": total / n,
    }


def glassnet_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """The sample order of each epoch in glassnet's `fit(shuffle=True, seed=seed)`, for a model
    without Dropout: one generator from the seed's first child, shuffling 0..n−1 in place every
    epoch (`training._epoch_loop`). A peer that takes an order can then see the same batches."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    order = np.arange(n)
    orders = []
    for _epoch in range(epochs):
        rng.shuffle(order)
        orders.append(order.copy())
    return orders


def _classifier_jax(
    d: dict[str, np.ndarray], hidden: tuple[int, ...], c: dict[str, Any], seed: int, dtype: Any
) -> dict[str, Any]:
    """JAX with optax: one `jax.jit`-compiled training step (forward, gradient, Adam update).

    Trained twice in this process from the same start: the first ("cold") includes tracing and
    XLA's compilation of the step (once per batch shape: the full batch and the last one); the
    second ("warm") reuses the compiled step, the steady state. Batches follow glassnet's order.
    """
    import jax

    jax.config.update("jax_enable_x64", np.dtype(dtype) == np.float64)
    import jax.numpy as jnp
    import optax

    widths = _widths(d, hidden)
    start = _glorot_start(widths, seed, dtype)
    X, y = d["X_train"].astype(dtype), d["y_train"].astype(np.int32)
    n, batch = len(X), c["batch"]
    orders = glassnet_orders(n, c["epochs"], seed)
    optimizer = optax.adam(c["lr"], b1=0.9, b2=0.999, eps=1e-8)  # glassnet's and torch's Adam

    def forward(params: list[Any], x: Any) -> Any:
        for i in range(0, len(params) - 2, 2):
            x = jax.nn.relu(x @ params[i] + params[i + 1])
        return x @ params[-2] + params[-1]

    def loss_fn(params: list[Any], x: Any, labels: Any) -> Any:
        logits = forward(params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    @jax.jit
    def step(params: list[Any], state: Any, x: Any, labels: Any) -> tuple[Any, Any, Any]:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, labels)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss * x.shape[0]

    def train() -> tuple[list[Any], float]:
        params = [jnp.asarray(a) for a in start]
        state = optimizer.init(params)
        total = 0.0
        for order in orders:
            sums = []  # each batch's summed loss, read once after the epoch: no sync per step
            for first in range(0, n, batch):
                idx = order[first : first + batch]  # gathered on the host, as glassnet does
                params, state, loss_sum = step(params, state, X[idx], y[idx])
                sums.append(loss_sum)
            total = float(jnp.sum(jnp.stack(sums))) / n
        jax.block_until_ready(params)
        return params, total

    def accuracy(params: list[Any]) -> float:
        logits = np.asarray(forward(params, jnp.asarray(d["X_test"].astype(dtype))))
        return float((logits.argmax(axis=1) == d["y_test"]).mean())

    return _jax_cold_then_warm(train, accuracy)


def _jax_cold_then_warm(
    train: Callable[[], tuple[Any, float]], accuracy: Callable[[Any], float]
) -> dict[str, Any]:
    """Train twice in this process from the same start: "cold" (the first training: tracing and
    XLA's compilation included) and "warm" (the compiled steady state), each timed alone."""
    import jax

    result: dict[str, Any] = {}
    for phase in ("cold", "warm"):
        with Clock() as clock:
            params, loss = train()
        measured = {"seconds": clock.seconds, "accuracy": accuracy(params), "loss": loss}
        result.update(measured if phase == "cold" else {"warm": measured})
    result["versions"] = {"jax": jax.__version__, "jaxlib": jax.lib.__version__}
    return result


CLASSIFIERS: dict[str, Callable[..., dict[str, Any]]] = {
    "glassnet": _classifier_glassnet,
    "sklearn": _classifier_sklearn,
    "torch": _classifier_torch,
    "jax": _classifier_jax,
}


def w2(library: str, cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    d = _load(data_dir, "W2")
    return CLASSIFIERS[library](d, (cfg["hidden"],), cfg, seed, np.float64)


def w3(library: str, cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    d = _load(data_dir, "W3")
    result = CLASSIFIERS[library](d, cfg["hidden"], cfg, seed, np.float32)
    n = len(d["X_train"]) * cfg["epochs"]
    flops = dense_flops(n, [784, *cfg["hidden"], 10])["total"]
    for measured in (result, result.get("warm", {})):  # jax: its cold and warm trainings
        if measured:
            measured["samples_per_second"] = n / measured["seconds"]
            measured["gflops"] = flops / measured["seconds"] / 1e9
    return result


# ---------------------------------------------------------------- W4: full batch, big passes


def _accuracy_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(((z > 0) == (y > 0.5)).mean())


def w4_glassnet(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    import glassnet as gn

    d = _load(data_dir, "W4")
    model = gn.Sequential(
        [gn.Dense(cfg["n_features"], cfg["hidden"]), gn.Sigmoid(), gn.Dense(cfg["hidden"], 1)]
    )
    model.set_weights([d["W1"], d["b1"], d["W2"], d["b2"]])
    X, y = d["X_train"], d["y_train"]
    with Clock() as clock:
        history = model.fit(
            X,
            y,
            loss=gn.BinaryCrossEntropy(),
            optimizer=gn.SGD(cfg["lr"]),
            epochs=cfg["iterations"],
            batch_size=None,
        )
    seconds = clock.seconds
    z = model.predict(d["X_test"])
    return {
        "seconds": seconds,
        "accuracy": _accuracy_from_logits(z, d["y_test"]),
        "loss": history["loss"][-1],
    }


def w4_numpy(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """Hand-written NumPy, the way a careful person writes it: every buffer made once, `out=`."""
    d = _load(data_dir, "W4")
    X, y = d["X_train"], d["y_train"]
    W1, b1, W2, b2 = d["W1"].copy(), d["b1"].copy(), d["W2"].copy(), d["b2"].copy()
    lr, n = cfg["lr"], len(X)
    with Clock() as clock:
        h = np.empty((n, W1.shape[1]))  # hidden activations σ(X W1 + b1)
        dh = np.empty_like(h)
        s = np.empty_like(h)
        z = np.empty((n, 1))  # logits
        p = np.empty_like(z)
        t = np.empty_like(z)
        gW1, gb1, gW2, gb2 = (np.empty_like(a) for a in (W1, b1, W2, b2))
        loss = 0.0
        for _ in range(cfg["iterations"]):
            np.dot(X, W1, out=h)
            h += b1
            np.negative(h, out=h)
            np.exp(h, out=h)
            h += 1.0
            np.reciprocal(h, out=h)
            np.dot(h, W2, out=z)
            z += b2
            # binary cross-entropy on logits: mean of max(z, 0) − z·y + log(1 + e^(−|z|))
            np.abs(z, out=t)
            np.negative(t, out=t)
            np.exp(t, out=t)
            np.log1p(t, out=p)
            loss = (p.sum() + np.maximum(z, 0.0).sum() - np.vdot(z, y)) / n
            # gradient (σ(z) − y) / n
            np.negative(z, out=p)
            np.exp(p, out=p)
            p += 1.0
            np.reciprocal(p, out=p)
            p -= y
            p *= 1.0 / n
            np.dot(h.T, p, out=gW2)
            np.sum(p, axis=0, out=gb2)
            np.dot(p, W2.T, out=dh)
            np.subtract(1.0, h, out=s)
            s *= h
            dh *= s
            np.dot(X.T, dh, out=gW1)
            np.sum(dh, axis=0, out=gb1)
            for param, grad in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2)):
                grad *= lr
                param -= grad
    seconds = clock.seconds
    z_test = 1.0 / (1.0 + np.exp(-(d["X_test"] @ W1 + b1))) @ W2 + b2
    return {
        "seconds": seconds,
        "accuracy": _accuracy_from_logits(z_test, d["y_test"]),
        "loss": float(loss),
    }


def w4_torch(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    torch = _torch_setup()
    from torch import nn

    d = _load(data_dir, "W4")
    model = nn.Sequential(
        nn.Linear(cfg["n_features"], cfg["hidden"]), nn.Sigmoid(), nn.Linear(cfg["hidden"], 1)
    ).double()
    with torch.no_grad():  # the same starting weights (torch stores them transposed)
        model[0].weight.copy_(torch.from_numpy(d["W1"].T))
        model[0].bias.copy_(torch.from_numpy(d["b1"]))
        model[2].weight.copy_(torch.from_numpy(d["W2"].T))
        model[2].bias.copy_(torch.from_numpy(d["b2"]))
    X, y = torch.from_numpy(d["X_train"]), torch.from_numpy(d["y_train"])
    with Clock() as clock:
        optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
        loss_fn = nn.BCEWithLogitsLoss()
        loss = None
        for _ in range(cfg["iterations"]):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
    seconds = clock.seconds
    with torch.no_grad():
        z = model(torch.from_numpy(d["X_test"])).numpy()
    return {
        "seconds": seconds,
        "accuracy": _accuracy_from_logits(z, d["y_test"]),
        "loss": float(loss.item()) if loss is not None else float("nan"),
    }


def w4_jax(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """JAX with optax, float64: one `jax.jit` of the whole step (forward, the mean BCE on the
    logit, its gradient, `optax.sgd`) over the full batch, from the shared weights; trained
    cold, then warm, in this process (`_jax_cold_then_warm`)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    d = _load(data_dir, "W4")
    optimizer = optax.sgd(cfg["lr"])  # plain gradient descent, as glassnet's SGD and torch's

    def forward(params: list[Any], x: Any) -> Any:
        w1, b1, w2, b2 = params
        return jax.nn.sigmoid(x @ w1 + b1) @ w2 + b2

    def loss_fn(params: list[Any], x: Any, y: Any) -> Any:
        return optax.sigmoid_binary_cross_entropy(forward(params, x), y).mean()

    @jax.jit
    def step(params: list[Any], state: Any, x: Any, y: Any) -> tuple[Any, Any, Any]:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    def train() -> tuple[list[Any], float]:
        # the data handed over inside the clock, as glassnet's `fit` is handed NumPy arrays
        X, y = jnp.asarray(d["X_train"]), jnp.asarray(d["y_train"])
        params = [jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2")]
        state = optimizer.init(params)
        loss = jnp.nan
        for _ in range(cfg["iterations"]):
            params, state, loss = step(params, state, X, y)
        jax.block_until_ready(params)
        return params, float(loss)  # the last step's loss, before its update (as the others)

    def accuracy(params: list[Any]) -> float:
        z = np.asarray(forward(params, jnp.asarray(d["X_test"])))
        return _accuracy_from_logits(z, d["y_test"])

    return _jax_cold_then_warm(train, accuracy)


def w4_sklearn(cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """scikit-learn's MLPClassifier as full-batch gradient descent, from the shared weights.

    MLPClassifier takes no initial weights, so it is set up by one untimed `fit` on a few rows
    with ``warm_start=True``; its weights are then overwritten with the shared ones, and the
    timed `fit` carries on from them (a fresh SGD optimizer, `max_iter` more iterations).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    d = _load(data_dir, "W4")
    X, y = d["X_train"], d["y_train"].ravel()
    clf = MLPClassifier(
        hidden_layer_sizes=(cfg["hidden"],),
        activation="logistic",
        solver="sgd",
        alpha=0.0,
        batch_size=len(X),
        learning_rate_init=cfg["lr"],
        momentum=0.0,
        nesterovs_momentum=False,
        max_iter=cfg["iterations"],
        tol=0.0,
        n_iter_no_change=cfg["iterations"] + 1,
        shuffle=False,
        random_state=seed,
        warm_start=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(max_iter=1).fit(X[:100], y[:100])
    clf.set_params(max_iter=cfg["iterations"])
    clf.coefs_ = [d["W1"].copy(), d["W2"].copy()]
    clf.intercepts_ = [d["b1"].copy(), d["b2"].copy()]
    with Clock() as clock, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    seconds = clock.seconds
    accuracy = float(clf.score(d["X_test"], d["y_test"].ravel()))
    return {"seconds": seconds, "accuracy": accuracy, "loss": float(clf.loss_)}


# ---------------------------------------------------------------- W5: lbfgs, estimators


def w5(library: str, cfg: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """MLPClassifier(solver="lbfgs") against NeuralNetClassifier(solver="lbfgs") on digits.

    Neither takes initial weights: each is set up by an untimed fit on one row of each class,
    given the shared starting weights, and then warm-started: the two solves minimize the same
    objective from the same point, so they take the same iterations to the same accuracy.
    """
    from sklearn.exceptions import ConvergenceWarning

    if library == "glassnet":
        from glassnet.estimators import NeuralNetClassifier as Classifier
    else:
        from sklearn.neural_network import MLPClassifier as Classifier
    d = _load(data_dir, "W2")
    X, y = d["X_train"], d["y_train"]
    hidden = (cfg["hidden"],)
    clf = Classifier(hidden, solver="lbfgs", max_iter=1, random_state=seed, warm_start=True)
    one_each = np.unique(y, return_index=True)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X[one_each], y[one_each])
    start = _glorot_start(_widths(d, hidden), seed, np.float64)
    if library == "glassnet":
        clf.network_.set_weights(start)
    else:
        clf.coefs_, clf.intercepts_ = start[0::2], start[1::2]
    clf.set_params(max_iter=cfg["iterations"])
    with Clock() as clock, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: as intended
        clf.fit(X, y)
    accuracy = float(clf.score(d["X_test"], d["y_test"]))
    return {"seconds": clock.seconds, "accuracy": accuracy, "loss": float(clf.loss_),
            "n_iter": int(clf.n_iter_)}  # fmt: skip


def run(workload: str, library: str, data_dir: Path, seed: int, quick: bool) -> dict[str, Any]:
    """Run one workload with one library; returns the measured facts."""
    cfg = sizes(quick)[workload]
    if workload == "W1":
        return {"glassnet": w1_glassnet, "tutorial": w1_tutorial}[library](cfg, data_dir, seed)
    if workload == "W2":
        return w2(library, cfg, data_dir, seed)
    if workload == "W3":
        return w3(library, cfg, data_dir, seed)
    if workload == "W5":
        return w5(library, cfg, data_dir, seed)
    if workload == "W6":
        return w6(library, cfg, data_dir, seed)
    if workload == "W7":
        return w7_table.run(library, cfg, data_dir, seed)
    if workload == "W8":
        return w8_stream.run(library, cfg, data_dir, seed)
    runners = {"glassnet": w4_glassnet, "numpy": w4_numpy, "torch": w4_torch, "jax": w4_jax}
    return {**runners, "sklearn": w4_sklearn}[library](cfg, data_dir, seed)


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM on Linux, else ru_maxrss.

    VmHWM belongs to this program alone; ru_maxrss would also count the parent's memory at the
    moment it forked this child.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except (OSError, ValueError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main(argv: list[str]) -> int:
    """Child entry point: prepare the data, or run once and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="W1..W4, or 'prepare' with a comma-separated list")
    parser.add_argument("library")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", type=Path, help="write a cProfile of training to this file")
    parser.add_argument("--steps", type=Path, help="write the compiled step's call times here")
    args = parser.parse_args(argv)
    if args.workload == "prepare":
        prepare(args.data, args.quick, args.library.split(","))
        print(json.dumps({"prepared": args.library}))
        return 0
    if args.workload not in LIBRARIES or args.library not in LIBRARIES[args.workload]:
        parser.error(f"expected a workload of {LIBRARIES} and one of its libraries")
    if args.profile:
        import cProfile

        Clock.profiler = cProfile.Profile()
    if os.environ.get(LOAD_KERNELS) == "1" and args.workload in KERNELS_MAY_RUN:
        from glassnet import kernels

        kernels.load()  # Numba's import and set-up, before the clock (see LOAD_KERNELS)
    step_times = StepTimes() if args.steps else None
    if step_times is not None:
        step_times.install()
    result = run(args.workload, args.library, args.data, args.seed, args.quick)
    if args.profile:
        Clock.profiler.dump_stats(args.profile)
    if step_times is not None:
        step_times.dump(args.steps)
    result = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in result.items()}
    result.setdefault("peak_rss_mb", _peak_rss_mb())  # W7, W8: the glassnet command's own
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
