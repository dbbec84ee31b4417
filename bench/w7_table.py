"""W7: the command line on a table — `glassnet train` on a numeric CSV file as a user runs it,
against the time pandas takes to read that file. Part of `workloads.py` (kept apart: its
glassnet side is a process of its own, not a library call)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def prepare(data_dir: Path, c: dict[str, Any]) -> None:
    """A numeric CSV file with a header: 20 features and a regression target `y`, 6 digits."""
    rng = np.random.default_rng(7)
    n, d = c["n_rows"], c["n_columns"] - 1
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    header = ",".join([f"x{j}" for j in range(d)] + ["y"])
    np.savetxt(data_dir / "W7.csv", np.column_stack([X, y]), delimiter=",", header=header,
               comments="", fmt="%.6g")  # fmt: skip


def run(library: str, c: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """pandas.read_csv of the file (timed alone), or `glassnet train` on it, as a user runs it:
    a process of its own, timed from start to exit, its peak memory that process's."""
    path = data_dir / "W7.csv"
    facts = {"file_mb": path.stat().st_size / 2**20, "rows": c["n_rows"]}
    if library == "pandas":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_csv(path)
        seconds = time.perf_counter() - start
        assert frame.shape == (c["n_rows"], c["n_columns"])
        del frame
        # and as a user runs it too: a process of its own, from start to exit (import included)
        script = "import sys, pandas; pandas.read_csv(sys.argv[1])"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, str(path)], check=True)
        process = time.perf_counter() - start
        return {"seconds": seconds, "process_seconds": process,
                "process_peak_rss_mb": children_peak_mb(), **facts}  # fmt: skip
    compile_glassnet()
    model = data_dir / f"W7-{seed}.npz"
    command = [sys.executable, "-m", "glassnet", "train", str(path), "--target", "y", "--json",
               "--epochs", str(c["epochs"]), "--seed", str(seed), "-o", str(model)]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"glassnet train failed: {proc.stderr.strip()}")
    summary = json.loads(proc.stdout)
    return {"seconds": seconds, "loss": summary["loss"], "r2": summary.get("r2"),
            "peak_rss_mb": children_peak_mb(), **facts}  # fmt: skip


def compile_glassnet() -> None:
    """Write glassnet's bytecode cache, as installing a package does (pandas' and pyarrow's come
    compiled with their wheels): a command run from a source checkout with
    PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every start (~0.1 s)."""
    import compileall

    import glassnet

    compileall.compile_dir(Path(glassnet.__file__).parent, quiet=1)


def children_peak_mb() -> float:
    """The largest resident set of any finished child: here, the one process run."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
