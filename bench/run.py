"""Run glassnet, scikit-learn, PyTorch and JAX side by side on the same work: bench/RESULTS.md.

    python3 dev.py bench                  # the full run (~10 min on 2 cores): bench/RESULTS.md
    .venv/bin/python bench/run.py --quick # a smoke run: fewer runs, smaller data, printed
    .venv/bin/python bench/run.py --only W2,W4 --runs 3

Every single run is its own child process (`bench/workloads.py`), and the libraries take turns
run by run (A B C A B C ...), so that a machine whose speed drifts slows every library alike.
The report gives, per workload and library: the median and the min–max of the runs, each peer's
median time divided by glassnet's, the accuracy reached on held-out data, and the peak resident
memory of the child; then the machine's facts, a cProfile of glassnet on each workload, and the
hand-written notes of `bench/NOTES.md` (the optimization log), written by `bench/report.py`.
Nothing here asserts a timing.
Only a full run (no --quick, no --only) writes bench/RESULTS.md unless --out says where.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workloads  # noqa: E402 - the sibling modules, found through the path set just above
from report import (  # noqa: E402
    GLASSNET_EMPTY_CACHE,
    GLASSNET_NUMPY,
    JAX_COLD,
    JAX_MISSING,
    JAX_WARM,
    KERNEL_WORKLOADS,
    NUMBA_MISSING,
    WORKLOADS,
    profile_table,
    report,
    step_table,
)

# ---------------------------------------------------------------- child processes


def _child(
    args: list[str], timeout: float = 1800.0, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run `python bench/<args>` in a fresh process (this environment, updated with `env`) and
    parse its JSON line."""
    cmd = [sys.executable, *args]
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, env=full_env
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): " + " | ".join(tail))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def gemm_throughput() -> dict[str, float]:
    """Child entry: the float32 and float64 matrix-multiply throughput of this machine (FLOP/s).

    `square` is the best of several 2048×2048 products (the machine's practical peak);
    `w3_shapes` times exactly the products of one W3 training step at batch 128 (three forward,
    three weight gradients, two input gradients): the bound W3's training could reach if every
    other operation were free.
    """
    rng = np.random.default_rng(0)
    out: dict[str, float] = {}
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        a = rng.standard_normal((2048, 2048)).astype(dtype)
        b = rng.standard_normal((2048, 2048)).astype(dtype)
        c = np.empty_like(a)
        np.matmul(a, b, out=c)
        best = min(_timed(lambda a=a, b=b, c=c: np.matmul(a, b, out=c)) for _ in range(7))
        out[f"square_{name}"] = 2.0 * 2048**3 / best
    widths, batch = [784, 256, 128, 10], 128
    xs = [rng.standard_normal((batch, w)).astype(np.float32) for w in widths]
    ws = [rng.standard_normal((a, b)).astype(np.float32) for a, b in itertools.pairwise(widths)]
    gws = [np.empty_like(w) for w in ws]

    def step() -> None:
        for i, w in enumerate(ws):
            np.matmul(xs[i], w, out=xs[i + 1])  # forward
        for i in reversed(range(len(ws))):
            np.matmul(xs[i].T, xs[i + 1], out=gws[i])  # weight gradient
            if i:
                np.matmul(xs[i + 1], ws[i].T, out=xs[i])  # input gradient

    for _ in range(20):
        step()
    reps = 200
    best = min(_timed(lambda: [step() for _ in range(reps)]) for _ in range(5)) / reps
    out["w3_shapes_float32"] = workloads.dense_flops(batch, widths)["total"] / best
    return out


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ---------------------------------------------------------------- the machine's facts


def machine_facts() -> dict[str, Any]:
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for dist in ("glassnet", "numpy", "numba", "scikit-learn", "torch", "jax", "jaxlib",
                 "optax", "threadpoolctl"):  # fmt: skip
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    numpy_blas = [
        info
        for info in threadpool_info()
        if info.get("user_api") == "blas" and "numpy" in str(info.get("filepath", ""))
    ]
    env_names = ("OPENBLAS_", "OMP_", "MKL_", "GOTO_", "NUMBA_", "GLASSNET_")
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith(env_names)}
    return {
        "cpu": cpu,
        "kernels": _kernel_facts(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "numpy_blas": numpy_blas,
        "env": env,
        "openblas_vars": {
            name: os.environ.get(name, "(unset)")
            for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
        },
    }


def _kernel_facts() -> str:
    """Whether glassnet's compiled kernels could run here (Numba installed), and how."""
    try:
        import numba
    except ImportError:
        return "Numba not installed: glassnet ran its NumPy path (the `fast` extra installs it)"
    return (
        f"Numba {numba.__version__} ({'with' if numba.config.USING_SVML else 'without'} SVML, "
        f"{numba.config.NUMBA_NUM_THREADS} threads): glassnet rows ran with "
        "`GLASSNET_KERNELS=auto` (kernels where they pay), its (numpy) rows with `numpy`; every "
        "glassnet child had a Numba cache of the bench's own (`NUMBA_CACHE_DIR`)"
    )


# ---------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller workloads, 2 runs")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W2,W4")
    parser.add_argument("--runs", type=int, default=None, help="runs per library (default 5)")
    parser.add_argument("--out", type=Path, default=None, help="write the report here")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument("--gemm", action="store_true", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.gemm:
        print(json.dumps(gemm_throughput()))
        return 0
    chosen = [w.strip().upper() for w in args.only.split(",") if w.strip()] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"--only takes {', '.join(WORKLOADS)}, got {', '.join(unknown)}")
    args.runs = args.runs or (2 if args.quick else 5)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    args.full = not args.quick and not args.only and args.runs >= 5
    args.argv = argv
    out = args.out or (HERE / "RESULTS.md" if args.full else None)

    started = time.perf_counter()
    load_at_start = _load()
    facts = machine_facts()
    gemm: dict[str, float] = {}

    def measure_gemm() -> None:
        # a peak: the best of several measurements spread over the run (other jobs may be
        # running on a shared machine, and a slow measurement would flatter every share)
        for key, value in _child([str(HERE / "run.py"), "--gemm"]).items():
            gemm[key] = max(value, gemm.get(key, 0.0))

    _log("measuring matrix-multiply throughput")
    measure_gemm()
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    profiles: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="glassnet-bench-") as tmp:
        data = Path(tmp)
        _log(f"preparing data for {', '.join(chosen)}")
        # in a child too: this process stays small, so it cannot inflate the children's memory
        prep = [str(HERE / "workloads.py"), "prepare", ",".join(chosen), "--data", str(data)]
        _child(prep + (["--quick"] if args.quick else []))
        have_jax = all(importlib.util.find_spec(m) is not None for m in ("jax", "optax"))
        if not have_jax and any("jax" in workloads.LIBRARIES[wl] for wl in chosen):
            _log(JAX_MISSING)
        have_numba = importlib.util.find_spec("numba") is not None
        if not have_numba and any(wl in KERNEL_WORKLOADS for wl in chosen):
            _log(NUMBA_MISSING)
        for wl in chosen:
            rows = _rows(wl, have_jax=have_jax, have_numba=have_numba)
            results[wl] = {label: [] for label in _labels(rows)}
            if have_numba and wl in KERNEL_WORKLOADS:  # the cache "glassnet" loads, filled
                _log(f"{wl}: filling the Numba cache glassnet's rows load (an untimed run)")
                cmd = [str(HERE / "workloads.py"), wl, "glassnet", "--data", str(data)]
                _child(cmd + (["--quick"] if args.quick else []),
                       env=_child_env("glassnet", data, wl, 0))  # fmt: skip
            # W8 streams a 2 GB file for ~2.5 minutes: its figure is memory, once is enough
            for run in range(1 if wl == "W8" else args.runs):
                for label, lib in rows:  # A B C A B C ...: drift hits every library alike
                    cmd = [str(HERE / "workloads.py"), wl, lib, "--data", str(data)]
                    cmd += ["--seed", str(run)] + (["--quick"] if args.quick else [])
                    row = _child(cmd, env=_child_env(label, data, wl, run))
                    if wl == "W1":
                        row["iterations"] = workloads.sizes(args.quick)["W1"]["iterations"]
                    if lib == "jax":  # one process, two trainings: cold, then warm
                        warm = {"peak_rss_mb": row["peak_rss_mb"], **row.pop("warm")}
                        results[wl][JAX_COLD].append(row)
                        results[wl][JAX_WARM].append(warm)
                        _log(f"{wl} run {run + 1} jax cold {row['seconds']:.3f} s, "
                             f"warm {warm['seconds']:.3f} s")  # fmt: skip
                        continue
                    results[wl][label].append(row)
                    _log(f"{wl} run {run + 1} {label:<9} {row['seconds']:.3f} s")
            measure_gemm()
            if not args.no_profile and wl not in ("W7", "W8"):  # their glassnet: a process
                prof = data / f"{wl}.prof"
                cmd = [str(HERE / "workloads.py"), wl, "glassnet", "--data", str(data)]
                quick = ["--quick"] if args.quick else []
                env = _child_env("glassnet", data, wl, args.runs - 1)  # the last round's cache
                _child([*cmd, "--profile", str(prof), *quick], env=env)
                steps = data / f"{wl}.steps.json"
                _child([*cmd, "--steps", str(steps), *quick], env=env)
                profiles[wl] = profile_table(prof) + "\n\n" + step_table(steps)
    facts["load"] = (load_at_start, _load())
    text = report(results, facts, gemm, profiles, args, time.perf_counter() - started)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n")
        _log(f"wrote {out}")
    return 0


def _rows(wl: str, *, have_jax: bool, have_numba: bool) -> list[tuple[str, str]]:
    """One round of `wl`: (row label, library of `workloads.py`) per child, in running order.

    On the kernels' workloads glassnet has three children: a first-ever run (an empty Numba
    cache of its own), glassnet as installed (the workload's filled cache) and its NumPy path.
    """
    rows = [(lib, lib) for lib in workloads.LIBRARIES[wl] if lib != "jax" or have_jax]
    if have_numba and wl in KERNEL_WORKLOADS:
        empty, numpy_path = (GLASSNET_EMPTY_CACHE, "glassnet"), (GLASSNET_NUMPY, "glassnet")
        rows = [empty, rows[0], numpy_path, *rows[1:]]
    return rows


def _labels(rows: list[tuple[str, str]]) -> list[str]:
    """The report's rows, glassnet's first (as installed, then its variants); JAX as two."""
    labels = [label for label, _lib in rows]
    labels.sort(key=lambda label: (not label.startswith("glassnet"), label != "glassnet"))
    return [x for label in labels for x in ((JAX_COLD, JAX_WARM) if label == "jax" else (label,))]


def _child_env(label: str, data: Path, wl: str, run: int) -> dict[str, str]:
    """The environment a glassnet child adds to this one: glassnet as installed (kernels where
    they pay) or its NumPy path alone, and a Numba cache of the bench's own.

    The cache never touches the install's: the empty-cache child has a fresh one each round;
    every other glassnet child of a workload shares one, which an untimed run with Numba loaded
    fills before the rounds (on W2 the empty-cache child, Numba not loaded, uses no kernel, so
    it cannot fill it).
    """
    if not label.startswith("glassnet"):
        return {}
    kernels = "numpy" if label == GLASSNET_NUMPY else "auto"
    fresh = label == GLASSNET_EMPTY_CACHE and wl in KERNEL_WORKLOADS
    cache = data / "numba" / (f"{wl}-{run}" if fresh else wl)
    env = {"GLASSNET_KERNELS": kernels, "NUMBA_CACHE_DIR": str(cache)}
    if label == "glassnet":  # as installed: Numba imported before the clock, as torch and jax are
        env[workloads.LOAD_KERNELS] = "1"
    return env


def _load() -> tuple[float, ...]:
    """The machine's load average (other jobs compete with the benchmark for the cores)."""
    try:
        return tuple(os.getloadavg())
    except OSError:
        return (float("nan"),) * 3


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
