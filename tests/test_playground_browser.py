"""The playground in a real browser: Playwright drives Debian's chromium on the page that
`glassnet playground --port 0 --no-browser` serves, through the controls' `data-testid`s.

One server and one browser for the module; each test has a fresh page whose every request is
routed: anything not to 127.0.0.1 is refused and fails the test. Without chromium or Playwright
the tests skip with the reason, unless the environment variable CI is set: there a skip would
hide a missing install step, so it fails.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

import glassnet
from glassnet.errors import DataError
from glassnet.explain import explain
from glassnet.preprocessing import Preprocessing
from glassnet.tables import read_columns

URL = re.compile(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+")
SECONDS = 20_000  # Playwright's waits, in milliseconds: generous for a loaded CI machine


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser tests may not skip", pytrace=False)
    pytest.skip(reason)


def _this_glassnet() -> dict[str, str]:
    """The environment of a child process that imports the glassnet these tests import (a
    relative PYTHONPATH would not survive a test that changed the working directory)."""
    source = str(Path(glassnet.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`glassnet playground --port 0 --no-browser` in a process of its own: its URL."""
    for module in ("starlette", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            _unavailable(f"{module} is not installed (pip install 'glassnet[playground]')")
    command = [sys.executable, "-m", "glassnet", "playground", "--port", "0", "--no-browser"]
    errors = tmp_path_factory.mktemp("server") / "stderr.txt"
    with open(errors, "w") as stderr:  # a file: the server never blocks on a full pipe
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   env=_this_glassnet())  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()])
    reader.start()
    try:
        url, said, deadline = None, [], time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            try:
                said.append(lines.get(timeout=0.5))
            except queue.Empty:
                if process.poll() is not None:
                    break
                continue
            found = URL.search(said[-1])
            url = found.group(0) if found else None
        if url is None:
            raise AssertionError(f"no URL from {command}: {''.join(said)}{errors.read_text()}")
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # as Ctrl-C: it stops cleanly
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, under Playwright (which cannot download a browser here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _unavailable("no chromium on the PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        # --no-sandbox: chromium's sandbox cannot start as root in a container
        chromium = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


class Visit:
    """A page of the playground with what it did: console errors, uncaught errors, requests."""

    def __init__(self, page: Any, url: str) -> None:
        self.page, self.url = page, url
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.requests: list[str] = []
        self.outside: list[str] = []

    def open(self, fragment: str = "") -> Any:
        """Load the page (with a configuration in the fragment) and wait for its network."""
        self.page.goto(self.url + (f"#{fragment}" if fragment else ""))
        self.wait_state("paused")
        return self.page

    def testid(self, name: str) -> Any:
        return self.page.get_by_test_id(name)

    def wait_state(self, state: str) -> None:
        self.page.wait_for_function(
            f"() => document.getElementById('state').textContent === {state!r}", timeout=SECONDS
        )

    def epoch(self) -> int:
        return int(self.testid("epoch").text_content().replace(",", ""))

    def wait_epoch(self, epoch: int) -> None:
        self.page.wait_for_function(
            "n => Number(document.querySelector('[data-testid=epoch]').textContent"
            ".replaceAll(',', '')) === n",
            arg=epoch,
            timeout=SECONDS,
        )

    def value(self, name: str) -> float:
        """The exact number behind a rounded one on the page."""
        return float(self.testid(name).get_attribute("data-value"))

    def download(self, name: str, folder: Path) -> Path:
        with self.page.expect_download(timeout=SECONDS) as event:
            self.testid(name).click()
        path = folder / event.value.suggested_filename
        event.value.save_as(path)
        return path


@pytest.fixture
def visit(server: str, browser: Any) -> Iterator[Visit]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(SECONDS)
    seen = Visit(page, server)

    def only_this_machine(route: Any) -> None:
        url = route.request.url
        seen.requests.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            seen.outside.append(url)
            route.abort()

    context.route("**/*", only_this_machine)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    yield seen
    context.close()
    assert seen.outside == [], f"requests left the machine: {seen.outside}"
    assert seen.page_errors == [], f"the page's script failed: {seen.page_errors}"


def test_page_loads_without_console_errors_or_requests_leaving_the_machine(visit):
    page = visit.open()
    visit.testid("neuron-0-0").wait_for()
    assert visit.testid("epoch").text_content() == "0"
    assert "circles" in visit.testid("dataset").locator("option").all_text_contents()
    page.wait_for_timeout(300)  # the event stream's first snapshots
    assert visit.console_errors == []
    assert visit.outside == []
    assert any("/api/session/" in url for url in visit.requests)  # routing saw the page work


def test_spirals_train_to_90_percent_test_accuracy(visit):
    page = visit.open()
    visit.testid("dataset").select_option(label="spirals")
    visit.testid("hidden-layers").fill("8,8")
    visit.testid("hidden-layers").press("Enter")
    visit.testid("activation").select_option("tanh")
    visit.testid("optimizer").select_option("adam")
    visit.testid("learning-rate").fill("0.01")
    visit.testid("learning-rate").press("Enter")
    visit.testid("play").click()
    page.wait_for_function(
        "() => parseFloat(document.querySelector('[data-testid=test-accuracy]').textContent) >= 90",
        timeout=SECONDS,
    )
    visit.testid("pause").click()
    visit.wait_state("paused")
    assert "spirals" in page.url and "hidden=8,8" in page.url  # the set-up is in the link
    assert float(visit.testid("test-accuracy").text_content().rstrip("%")) >= 90
    assert visit.testid("message").text_content() == ""


def _explained(model: Any, x: np.ndarray, y: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """glassnet.explain's numbers for one sample, by phase and name (z₁, ∂L/∂W₁, ...)."""
    e = explain(model, x, y)
    values: dict[str, dict[str, np.ndarray]] = {}
    for step in e.steps:
        values.setdefault(step.phase, {}).update(step.values)
    return values


def test_one_step_moves_one_epoch_and_the_neuron_shows_explains_numbers(visit, tmp_path):
    visit.open("data=circles&n=200&hidden=4&activation=tanh&optimizer=sgd&learning_rate=0.1")
    visit.testid("step").click()
    visit.wait_epoch(1)
    visit.testid("step").click()
    visit.wait_epoch(2)
    visit.page.wait_for_timeout(200)
    assert visit.epoch() == 2  # one epoch per step, and no more after it
    visit.testid("neuron-0-1").click()
    visit.testid("detail-dz").wait_for()  # paused after a step: the gradient is shown
    sample = json.loads(visit.testid("detail-sample").get_attribute("data-sample"))
    model = glassnet.load(visit.download("export-model", tmp_path))
    x = np.array([[visit.value(f"detail-x-{j}") for j in range(2)]])
    standardized = Preprocessing.from_model(model, source="model.npz").transform
    # the glass shows the sample as the network sees it
    np.testing.assert_allclose(x[0], standardized(np.array([sample["x"]]))[0], rtol=0, atol=1e-12)
    seen = _explained(model, x, np.array(sample["y"], dtype=np.int64))
    forward, backward, update = seen["forward"], seen["backward"], seen["update"]
    unit, close = 1, {"rtol": 0, "atol": 1e-12}
    np.testing.assert_allclose([visit.value(f"detail-w-{j}") for j in range(2)],
                               forward["W₁"][:, unit], **close)  # fmt: skip
    np.testing.assert_allclose(visit.value("detail-bias"), forward["b₁"][unit], **close)
    np.testing.assert_allclose(visit.value("detail-z"), forward["z₁"][0, unit], **close)
    np.testing.assert_allclose(visit.value("detail-a"), forward["a₁"][0, unit], **close)
    np.testing.assert_allclose(visit.value("detail-dz"), backward["∂L/∂z₁"][0, unit], **close)
    np.testing.assert_allclose([visit.value(f"detail-dw-{j}") for j in range(2)],
                               backward["∂L/∂W₁"][:, unit], **close)  # fmt: skip
    np.testing.assert_allclose(visit.value("detail-db"), backward["∂L/∂b₁"][unit], **close)
    np.testing.assert_allclose([visit.value(f"detail-update-w-{j}") for j in range(2)],
                               update["−η·∂L/∂W₁"][:, unit], **close)  # fmt: skip


def test_the_tutorial_preset_answers_the_new_situation_as_the_tutorial_does(visit):
    visit.open()
    visit.testid("dataset").select_option(label="tutorial")
    visit.wait_state("paused")
    visit.testid("play").click()
    visit.wait_epoch(10_000)  # the tutorial's 10,000 iterations, then it pauses by itself
    visit.wait_state("paused")
    visit.testid("think").click()  # the inputs start as the tutorial's [1, 0, 0]
    answer = visit.testid("tutorial-answer")
    visit.page.wait_for_function(
        "() => document.querySelector('[data-testid=tutorial-answer]').textContent !== '?'"
    )
    assert answer.text_content() == "0.99993704"
    for i, value in enumerate(["0", "1", "1"]):  # any three inputs, as the tutorial's prompt
        visit.testid(f"tutorial-input-{i}").fill(value)
    visit.testid("think").click()
    visit.page.wait_for_function(
        "() => document.querySelector('[data-testid=tutorial-answer]').textContent !== '0.99993704'"
    )
    assert float(answer.text_content()) < 0.01  # the answer is the first input


def _upload(visit: Visit, path: Path) -> None:
    visit.testid("upload").set_input_files(str(path))


def test_a_csv_with_strings_and_missing_values_trains(visit, tmp_path):
    rows = ["age,city,income,bought"]
    rng = np.random.default_rng(0)
    for i in range(120):
        age = "" if i % 9 == 0 else str(int(rng.integers(18, 80)))
        city = ["Lyon", "Oslo", "Porto", ""][i % 4]
        income = "NA" if i % 11 == 0 else f"{rng.normal(40, 10):.1f}"
        rows.append(f"{age},{city},{income},{'yes' if i % 3 else 'no'}")
    path = tmp_path / "shop.csv"
    path.write_text("\n".join(rows) + "\n")
    visit.open()
    _upload(visit, path)
    visit.page.wait_for_function(
        "() => document.querySelector('[data-testid=target]').value === 'bought'"
    )
    visit.wait_state("paused")
    assert "shop.csv" in visit.testid("dataset").locator("option:checked").text_content()
    for _ in range(3):
        visit.testid("step").click()
    visit.wait_epoch(3)
    assert np.isfinite(float(visit.testid("train-loss").text_content()))
    assert visit.testid("test-accuracy").text_content().endswith("%")
    assert visit.testid("confusion").locator("td").count() == 4  # yes / no
    assert visit.testid("message").text_content() == ""


def test_a_broken_csv_shows_its_message_and_the_page_keeps_working(visit, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text('a,b,c\n1,2,3\n4,"5,6\n7,8,9\n')
    with pytest.raises(DataError) as expected:  # the CLI's own message for this file
        read_columns(path, source_name="broken.csv")
    visit.open()
    _upload(visit, path)
    message = visit.testid("message")
    visit.page.wait_for_function(
        "() => document.querySelector('[data-testid=message]').textContent !== ''"
    )
    assert message.text_content() == str(expected.value).replace("\n", " ")
    visit.testid("step").click()  # still the circles it had, training on
    visit.wait_epoch(1)
    assert message.text_content() == ""


def test_the_exported_script_reproduces_the_weights(visit, tmp_path):
    visit.open("data=moons&n=200&hidden=5&activation=relu&optimizer=adam&learning_rate=0.02")
    for epoch in (1, 2, 3):
        visit.testid("step").click()
        visit.wait_epoch(epoch)
    model = glassnet.load(visit.download("export-model", tmp_path))
    script = visit.download("export-code", tmp_path)
    command = visit.download("export-command", tmp_path).read_text()
    assert command.startswith("glassnet train ")
    weights = tmp_path / "weights.npz"
    run = (  # the script in a process of its own, then its network's weights kept
        "import runpy, sys, numpy as np\n"
        "ran = runpy.run_path(sys.argv[1], run_name='__main__')\n"
        "np.savez(sys.argv[2], *ran['model'].get_weights())\n"
    )
    ran = subprocess.run([sys.executable, "-c", run, str(script), str(weights)],
                         capture_output=True, text=True, timeout=120,
                         env=_this_glassnet())  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    with np.load(weights) as again:
        reproduced = [again[f"arr_{i}"] for i in range(len(again.files))]
    assert len(reproduced) == len(model.get_weights())
    for mine, theirs in zip(model.get_weights(), reproduced):
        np.testing.assert_allclose(theirs, mine, rtol=0, atol=1e-12)


def test_a_request_without_the_token_is_refused(visit):
    base = visit.url.split("?", 1)[0]
    answer = visit.page.goto(base)
    assert answer is not None and answer.status == 403
    api = visit.page.request.get(base + "api/info")
    assert api.status == 403
    assert visit.page.request.get(base + "api/info?token=wrong").status == 403
    assert visit.page.request.get(visit.url.replace("/?", "/api/info?")).status == 200


def test_the_weight_under_the_cursor_is_drawn_by_its_sign_and_updates_live(visit):
    page = visit.open("data=xor&hidden=3&activation=tanh&optimizer=sgd&learning_rate=0.3")
    x, y = page.evaluate(
        """() => {
          const wire = document.getElementById('w-0-0-0');  // x₁ -> the first hidden neuron
          const at = wire.getPointAtLength(wire.getTotalLength() / 2);
          const net = document.getElementById('net').getBoundingClientRect();
          return [at.x + net.left, at.y + net.top];
        }"""
    )
    page.mouse.move(x, y)
    tip = page.locator("#tooltip")
    before = tip.text_content()
    assert before.startswith("weight x1 → neuron 1·1 = ")
    visit.testid("step").press("Enter")  # the keyboard: the cursor stays on the link
    visit.wait_epoch(1)
    page.wait_for_function(f"() => document.getElementById('tooltip').textContent !== {before!r}")
    weight = float(tip.text_content().rsplit("= ", 1)[1])
    stroke = page.get_attribute("#w-0-0-0", "stroke")
    assert stroke.startswith("rgba(245,147,34" if weight < 0 else "rgba(8,119,189")
