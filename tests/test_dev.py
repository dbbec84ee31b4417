"""dev.py, the one script a newcomer runs: `python3 dev.py glassnet ARGS...` reaches the glassnet
command from a fresh clone, and the environment it sets up is reused, never installed twice."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """dev.py as a module, its .venv in tmp_path, its commands recorded instead of run."""
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    venv = tmp_path / ".venv"
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "BIN", venv / "bin")
    monkeypatch.setattr(module, "PY", venv / "bin" / "python")
    module.ran = []  # type: ignore[attr-defined]
    module.envs = []  # type: ignore[attr-defined]

    def record(*cmd: Any, check: bool = True, env: dict[str, str] | None = None) -> int:
        module.ran.append([str(c) for c in cmd])  # type: ignore[attr-defined]
        module.envs.append(env)  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr(module, "_run", record)
    monkeypatch.setattr(module, "_create_venv", lambda: venv.mkdir(exist_ok=True))
    return module


def test_dev_glassnet_sets_up_the_command_line_extras_and_runs_the_command(dev, monkeypatch):
    calls: list[tuple[list[str], dict[str, Any]]] = []

    def call(cmd: list[str], **kwargs: Any) -> int:
        calls.append((cmd, kwargs))
        return 3

    monkeypatch.setattr(dev.subprocess, "call", call)
    assert dev.main(["glassnet", "train", "data.csv", "--target", "class"]) == 3  # its exit code
    installs = [cmd for cmd in dev.ran if "-e" in cmd]
    assert installs == [[str(dev.PY), "-m", "pip", "install", "--quiet", "-e",
                         ".[csv,plot,sklearn,progress,playground]"]]  # fmt: skip
    # the command runs where the user is (no cwd=): the file names are theirs
    assert calls == [([str(dev.BIN / "glassnet"), "train", "data.csv", "--target", "class"], {})]


def test_dev_installs_a_level_once_and_not_under_a_larger_one(dev, monkeypatch):
    monkeypatch.setattr(dev.subprocess, "call", lambda cmd, **kwargs: 0)
    digest = dev.hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    dev.VENV.mkdir()
    (dev.VENV / f".installed-dev-{digest}").touch()  # what `dev.py test` leaves
    dev.main(["demo"])
    dev.main(["glassnet", "--version"])
    assert dev.ran == [[str(dev.BIN / "glassnet"), "demo", "--input", "1,0,0"]]  # no install
    (dev.VENV / f".installed-dev-{digest}").unlink()
    dev.ran.clear()
    dev.main(["glassnet", "--version"])
    dev.main(["glassnet", "--help"])
    dev.main(["demo"])  # the command line's level holds the core
    assert sum("-e" in cmd for cmd in dev.ran) == 1


def test_dev_glassnet_installs_every_extra_of_all_but_dask(dev):
    """The command uses every extra (a new one, e.g. for reading CSV, belongs in LEVELS['cli'])
    but dask, which only the estimators use."""
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    everything = {e for spec in extras["all"] for e in spec.split("[")[1].rstrip("]").split(",")}
    assert set(dev.LEVELS["cli"].split(",")) == everything - {"dask"}


def test_dev_demo_then_says_how_to_reach_the_glassnet_command(dev, capsys):
    assert dev.main(["demo"]) == 0
    err = capsys.readouterr().err
    assert "python3 dev.py glassnet --help" in err and "activate" in err


def test_dev_lists_the_glassnet_task_in_its_help(dev, capsys):
    assert dev.main(["help"]) == 0
    assert "python3 dev.py glassnet ARGS..." in capsys.readouterr().out


def _machine(dev, monkeypatch, *, have: set[str], root: bool) -> None:
    """A machine with the programs in `have` on its PATH, as root or not."""
    monkeypatch.setattr(dev.subprocess, "call", lambda cmd, **kwargs: 0)
    monkeypatch.setattr(
        dev.shutil, "which", lambda name: f"/usr/bin/{name}" if name in have else None
    )
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0 if root else 1000, raising=False)


def test_dev_test_installs_chromium_with_apt_get_when_missing_and_root(dev, monkeypatch):
    _machine(dev, monkeypatch, have={"apt-get"}, root=True)
    dev.main(["test"])
    apt = [cmd for cmd in dev.ran if cmd[0] == "/usr/bin/apt-get"]
    assert apt == [["/usr/bin/apt-get", "update", "-qq"],
                   ["/usr/bin/apt-get", "install", "-y", "-qq", "chromium"]]  # fmt: skip
    pytest_at = next(i for i, cmd in enumerate(dev.ran) if "pytest" in cmd)
    assert dev.ran.index(apt[-1]) < pytest_at  # before the tests that need it


@pytest.mark.parametrize(("have", "root"), [({"apt-get", "chromium"}, True), ({"apt-get"}, False)])
def test_dev_test_leaves_chromium_alone_when_present_or_not_root(dev, monkeypatch, have, root):
    _machine(dev, monkeypatch, have=have, root=root)
    dev.main(["test"])
    assert not [cmd for cmd in dev.ran if cmd[0] == "/usr/bin/apt-get"]


def test_dev_bench_installs_the_bench_extra_and_test_does_not(dev, monkeypatch):
    """JAX is a bench peer only: `dev.py test` (CI) must not spend minutes installing it."""
    monkeypatch.setattr(dev.subprocess, "call", lambda cmd, **kwargs: 0)
    monkeypatch.setattr(dev, "ensure_chromium", lambda: None)
    monkeypatch.setattr(dev, "lint", lambda: None)
    dev.main(["test"])
    assert [cmd[-1] for cmd in dev.ran if "-e" in cmd] == [".[dev]"]
    dev.ran.clear()
    dev.main(["bench", "--quick"])
    assert [cmd[-1] for cmd in dev.ran if "-e" in cmd] == [".[dev,bench]"]
    assert dev.ran[-1][1:] == ["bench/run.py", "--quick"]
    dev.ran.clear()
    dev.main(["test"])  # the bench's level holds dev's: nothing more to install
    assert not [cmd for cmd in dev.ran if "-e" in cmd]


def test_the_bench_extra_holds_the_kernels_glassnet_is_measured_with():
    """`pip install -e '.[bench]'` (what the bench says to run when JAX is missing) must measure
    glassnet as installed with its compiled kernels, as `dev.py bench` does through dev's."""
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "glassnet[fast]" in extras["bench"]
    assert "glassnet[fast]" in extras["dev"]  # so `dev.py test` runs the kernels too


def test_dev_test_runs_the_training_tests_again_with_the_kernels_forced_on(dev, monkeypatch):
    monkeypatch.setattr(dev, "ensure_chromium", lambda: None)
    monkeypatch.setattr(dev, "lint", lambda: None)
    dev.main(["test"])
    pytests = [(cmd, env) for cmd, env in zip(dev.ran, dev.envs) if "pytest" in cmd]
    (whole, plain), (again, forced) = pytests
    assert plain is None and not [c for c in whole if c.startswith("tests/")]  # everything
    assert forced["GLASSNET_KERNELS"] == "numba"
    assert {f"tests/{name}.py" for name in dev.KERNEL_TESTS} <= set(again)
    assert all((ROOT / f"tests/{name}.py").exists() for name in dev.KERNEL_TESTS)
    dev.ran.clear(), dev.envs.clear()
    dev.main(["test", "tests/test_io.py"])  # a chosen test file: run as asked, once
    assert len([cmd for cmd in dev.ran if "pytest" in cmd]) == 1
