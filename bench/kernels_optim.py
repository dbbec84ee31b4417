"""The fused optimizer updates (`glassnet.kernels.optim`) on W3 and W2 shapes, NumPy against Numba.

    .venv/bin/python bench/kernels_optim.py            # both parts
    .venv/bin/python bench/kernels_optim.py steps      # in-process step times only
    .venv/bin/python bench/kernels_optim.py load       # fresh-process load times only

steps: W3's network (784-256-128-10 ReLU, float32, batch 128) and W2's (64-100-10 ReLU,
float64, batch 64), Adam, on random data; one-epoch fits alternate between the two paths
(``GLASSNET_KERNELS=numpy`` and ``numba``) in one process, and the best and median time per step
of each are printed. load: the first Adam step over W3's first layer in a fresh process: Numba's
import and the kernel's compilation into an empty cache (``NUMBA_CACHE_DIR``, a new temporary
directory), then its load from that cache, then the NumPy path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SHAPES = {"W3": ([784, 256, 128, 10], np.float32, 128), "W2": ([64, 100, 10], np.float64, 64)}


def steps(name: str, n_batches: int = 100, repeats: int = 9) -> None:
    import glassnet as gn

    widths, dtype, batch = SHAPES[name]
    rng = np.random.default_rng(0)
    n = batch * n_batches
    X, y = rng.standard_normal((n, widths[0])).astype(dtype), rng.integers(0, widths[-1], n)
    runs = {}
    for mode in ("numpy", "numba"):
        os.environ["GLASSNET_KERNELS"] = mode
        layers: list[gn.Layer] = []
        for i in range(len(widths) - 1):
            layers.append(gn.Dense(widths[i], widths[i + 1], rng=i, dtype=dtype))
            if i < len(widths) - 2:
                layers.append(gn.ReLU())
        model, optimizer = gn.Sequential(layers), gn.Adam(1e-3)
        model.fit(X, y, loss=gn.CrossEntropy(), optimizer=optimizer, batch_size=batch)  # warm
        runs[mode] = (model, optimizer, [])
    for seed in range(repeats):
        for model, optimizer, times in runs.values():
            start = time.perf_counter()
            model.fit(X, y, loss=gn.CrossEntropy(), optimizer=optimizer, batch_size=batch,
                      seed=seed)  # fmt: skip
            times.append((time.perf_counter() - start) / n_batches * 1e6)
    for mode, (_, _, times) in runs.items():
        times.sort()
        print(f"{name} {mode:5s}: {times[0]:7.1f} µs per step (best), {times[repeats // 2]:7.1f} "
              f"(median) of {repeats} epochs of {n_batches} steps")  # fmt: skip


FIRST_STEP = """
import sys, time, numpy as np, glassnet as gn
params = [np.zeros((784, 256), dtype=np.float32), np.zeros(256, dtype=np.float32)]
optimizer = gn.Adam()
start = time.perf_counter()
optimizer.step(params, [np.ones_like(p) for p in params])
print(f"{time.perf_counter() - start:.3f} s (numba imported: {'numba' in sys.modules})")
"""


def load() -> None:
    cache = tempfile.mkdtemp(prefix="glassnet-numba-cache-")
    runs = [("first-ever (empty cache)", "numba"), ("cached", "numba"), ("cached again", "numba"),
            ("NumPy", "numpy")]  # fmt: skip
    for name, mode in runs:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "GLASSNET_KERNELS": mode}
        out = subprocess.run([sys.executable, "-c", FIRST_STEP], env=env, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        print(f"first Adam step in a fresh process, {name:25s} {out.strip()}")


if __name__ == "__main__":
    parts = sys.argv[1:] or ["steps", "load"]
    if "steps" in parts:
        steps("W3")
        steps("W2", n_batches=28, repeats=15)
    if "load" in parts:
        load()
