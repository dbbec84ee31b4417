"""W8: a CSV file larger than memory — `glassnet train FILE --target y --stream --epochs 1` on a
generated file of about 2 GB (20 numbers, a category, missing values), its peak memory the
command's own. Part of `workloads.py` (kept apart, as W7: its glassnet side is a process of its
own, not a library call)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# the sibling module (on the path when run as a script)
from w7_table import children_peak_mb, compile_glassnet

COLOURS = np.array(["red", "green", "blue", "amber", "violet", "grey"])
BLOCK_ROWS = 50_000


def prepare(data_dir: Path, c: dict[str, Any]) -> None:
    """A CSV file of ``c["file_mb"]`` MB, written a block of rows at a time by pyarrow: 20
    numbers (4 decimals; about 1% missing in two of them), a category `colour` (0.5% missing)
    and a regression target `y` they explain."""
    import pyarrow as pa
    import pyarrow.csv as csv

    rng = np.random.default_rng(8)
    d = c["n_numbers"]
    weights, effects = rng.standard_normal(d), rng.standard_normal(len(COLOURS))
    path, limit = data_dir / "W8.csv", c["file_mb"] * 2**20
    with open(path, "wb") as f:
        while f.tell() < limit:
            X = np.round(rng.standard_normal((BLOCK_ROWS, d)), 4)
            k = rng.integers(0, len(COLOURS), BLOCK_ROWS)
            y = np.round(X @ weights + effects[k] + 0.1 * rng.standard_normal(BLOCK_ROWS), 4)
            for j in (3, 11):  # missing numbers, to be filled with the sample's median
                X[rng.random(BLOCK_ROWS) < 0.01, j] = np.nan
            colour = pa.array(COLOURS[k], mask=rng.random(BLOCK_ROWS) < 0.005)
            columns = {f"x{j}": pa.array(X[:, j], from_pandas=True) for j in range(d)}
            table = pa.table({**columns, "colour": colour, "y": y})
            block = io.BytesIO()
            options = csv.WriteOptions(include_header=f.tell() == 0, quoting_style="none")
            csv.write_csv(table, block, options)
            f.write(block.getvalue())


def run(library: str, c: dict[str, Any], data_dir: Path, seed: int) -> dict[str, Any]:
    """`glassnet train --stream` on the file, as a user runs it: a process of its own, timed
    from start to exit, its peak memory that process's."""
    assert library == "glassnet"
    path, model = data_dir / "W8.csv", data_dir / f"W8-{seed}.npz"
    compile_glassnet()
    command = [sys.executable, "-m", "glassnet", "train", str(path), "--target", "y", "--stream",
               "--json", "--epochs", str(c["epochs"]), "--seed", str(seed), "-o", str(model),
               "-q"]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"glassnet train --stream failed: {proc.stderr.strip()}")
    model.unlink()
    summary = json.loads(proc.stdout)
    rows = summary["stream"]["rows"]
    return {"seconds": seconds, "peak_rss_mb": children_peak_mb(),
            "file_mb": path.stat().st_size / 2**20, "rows": rows,
            "rows_per_second": rows * c["epochs"] / seconds, "passes": summary["stream"]["passes"],
            "chunks": summary["stream"]["chunks"], "loss": summary["loss"],
            "r2": summary.get("r2")}  # fmt: skip
