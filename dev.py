#!/usr/bin/env python3
"""Set up glassnet's virtual environment and run its tasks, with nothing but python3.

    python3 dev.py demo      # create .venv, install glassnet, run `glassnet demo --input 1,0,0`
    python3 dev.py glassnet ARGS...  # install glassnet with the extras its command uses, run it
    python3 dev.py test      # create .venv, install glassnet[dev] (and chromium, as root on
                             # Debian, for the browser tests), run pytest (the training tests
                             # twice: NumPy, then Numba's kernels forced on), ruff and mypy
    python3 dev.py bench     # install glassnet[dev,bench] (JAX, and Numba for glassnet's
                             # kernels), run the side-by-side benchmarks: bench/RESULTS.md
    python3 dev.py lint      # ruff check, ruff format --check, mypy

The environment is reused while pyproject.toml is unchanged (a stamp file records its hash).
After `dev.py glassnet` (or `dev.py test`), `. .venv/bin/activate` puts `glassnet` on the PATH.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
#: what a task installs, by name: each level holds the ones before it (dev holds glassnet[all])
LEVELS = {
    "core": "",
    "cli": "csv,plot,sklearn,progress,playground",  # every extra the glassnet command uses
    "dev": "dev",
    "bench": "dev,bench",  # the bench's JAX peer (kept out of `test`: CI time), and `fast`
}
ACTIVATE = r".venv\Scripts\activate" if os.name == "nt" else ". .venv/bin/activate"


def _run(
    *cmd: str | os.PathLike[str], check: bool = True, env: dict[str, str] | None = None
) -> int:
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)
    if check and code != 0:
        sys.exit(code)
    return code


def _create_venv() -> None:
    if PY.exists():
        return
    if _run(sys.executable, "-m", "venv", VENV, check=False) == 0 and PY.exists():
        return
    # Debian's python3 ships venv separately; install it when we may (root with apt-get).
    shutil.rmtree(VENV, ignore_errors=True)
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        minor = f"{sys.version_info.major}.{sys.version_info.minor}"
        _run(apt, "update", "-q", check=False)
        _run(apt, "install", "-y", "-q", "python3-venv", f"python{minor}-venv", check=False)
        if _run(sys.executable, "-m", "venv", VENV, check=False) == 0 and PY.exists():
            return
    sys.exit("dev.py: could not create a virtual environment; install python3-venv and retry")


def ensure_env(level: str) -> None:
    """Create .venv and install glassnet at `level` (a key of LEVELS), unless this level or a
    larger one is already installed for this pyproject."""
    _create_venv()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    names = list(LEVELS)
    stamps = [VENV / f".installed-{name}-{digest}" for name in names[names.index(level) :]]
    if any(stamp.exists() for stamp in stamps):
        return
    extra = LEVELS[level]
    target = f".[{extra}]" if extra else "."
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "-e", target)
    stamps[0].touch()


def ensure_chromium() -> None:
    """The playground's browser tests drive Debian's chromium (Playwright cannot download a
    browser here): install it when it is missing and we may (root with apt-get). Elsewhere the
    tests say what is missing, and fail under CI."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
        _run(apt, "update", "-qq", check=False)
        _run(apt, "install", "-y", "-qq", "chromium", check=False)


def lint() -> None:
    paths = [p for p in ("src", "tests", "bench", "examples", "dev.py") if (ROOT / p).exists()]
    _run(PY, "-m", "ruff", "check", *paths)
    _run(PY, "-m", "ruff", "format", "--check", *paths)
    _run(PY, "-m", "mypy")


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task == "demo":
        ensure_env("core")
        code = _run(BIN / "glassnet", "demo", *(rest or ["--input", "1,0,0"]), check=False)
        print(f"\nnext, the glassnet command: python3 dev.py glassnet --help (then, to type "
              f"'glassnet' itself: {ACTIVATE})", file=sys.stderr)  # fmt: skip
        return code
    if task == "glassnet":
        ensure_env("cli")
        try:  # in the caller's directory, where the file names on its command line are
            return subprocess.call([str(BIN / "glassnet"), *rest])
        except KeyboardInterrupt:  # glassnet got the interrupt too, and said so
            return 130
    if task == "test":
        ensure_env("dev")
        ensure_chromium()
        workers = [] if "-n" in rest else ["-n", "2"]
        # Two test processes on two cores: one BLAS thread each, or their spinning threads
        # fight over the cores (tens of times slower). OPENBLAS_CORETYPE/L2_SIZE stay untouched.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        _run(PY, "-m", "pytest", *workers, *rest)
        if not rest:  # the training tests again with the compiled kernels forced on
            run_kernels_forced(workers)
        lint()
        return 0
    if task == "lint":
        ensure_env("dev")
        lint()
        return 0
    if task == "bench":
        ensure_env("bench")
        return _run(PY, "bench/run.py", *rest, check=False)
    print(__doc__)
    return 0 if task in ("help", "-h", "--help") else 2


#: the tests that train, run a second time under GLASSNET_KERNELS=numba by `dev.py test`
KERNEL_TESTS = (
    "test_training",
    "test_compiled_step",
    "test_optimizers",
    "test_allocations",
    "test_torch_oracle",
    "test_network",
    "test_estimators",
    "test_xor",
    "test_layers",
)


def run_kernels_forced(workers: list[str]) -> None:
    """The training tests again with every compiled kernel used whatever the size (the `fast`
    extra, Numba): the NumPy path is the reference, and the kernels must give its numbers
    wherever the suite trains (the kernels' own tests compare the two paths directly)."""
    print("\nthe training tests again, with the compiled kernels forced on", file=sys.stderr)
    paths = [f"tests/{name}.py" for name in KERNEL_TESTS]
    forced = {**os.environ, "GLASSNET_KERNELS": "numba"}
    _run(PY, "-m", "pytest", *workers, "-q", *paths, env=forced)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
