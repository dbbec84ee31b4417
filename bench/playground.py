"""Bench: is the playground fast enough to feel live? (issue 15, item 7)

Three figures, on spirals (400 points, 70% to train) with an 8-8 tanh network, Adam, batches
of 10:

1. training pace under the playground (a `Session`, its snapshots published ~20 times a second,
   its callback between batches) against `fit` alone on the same network and data, in epochs
   per second: the target is at least half;
2. snapshots a page receives per second over the real server's event stream (uvicorn in a
   child process, read by an HTTP client here): the target is at least 10;
3. how long a pause takes to be obeyed, from the request to the paused state: on the session,
   and through the server's control route; the target is under 200 ms.

Run: ``PYTHONPATH=src python bench/playground.py`` (add ``OPENBLAS_NUM_THREADS=1`` on a shared
box). Prints a table; the figures recorded in bench/NOTES.md come from it.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

import numpy as np

from glassnet.network import mlp
from glassnet.playground.data import build_data, parse_config
from glassnet.playground.session import Session

CONFIG = {"data": "spirals", "n": 400, "noise": 0.1, "hidden": [8, 8], "activation": "tanh",
          "optimizer": "adam", "learning_rate": 0.03, "batch_size": 10}  # fmt: skip
EPOCHS = 2000


def fit_alone(epochs: int) -> float:
    """Seconds `fit` takes for `epochs` epochs of the playground's network and data."""
    c = parse_config(CONFIG)
    d = build_data(c)
    model = mlp(2, c.hidden, 2, activation=c.activation, rng=c.seed)
    X = d.inputs(d.X_train)
    start = time.perf_counter()
    model.fit(X, d.y_train, loss="cross_entropy", optimizer="adam", epochs=epochs,
              batch_size=c.batch_size, seed=c.seed)  # fmt: skip
    return time.perf_counter() - start


def under_session(epochs: int) -> tuple[float, int]:
    """Seconds a session takes to play `epochs` epochs, and the snapshots it published."""
    c = parse_config({**CONFIG, "epochs": epochs})
    session = Session(c, build_data(c))
    first = session.published.number
    start = time.perf_counter()
    session.control("play")
    while session.state == "running":
        time.sleep(0.001)
    seconds = time.perf_counter() - start
    frames = session.published.number - first
    session.close()
    return seconds, frames


def pause_latency(trials: int = 20) -> list[float]:
    """Seconds from asking a running session to pause to its paused state, `trials` times."""
    c = parse_config(CONFIG)
    session = Session(c, build_data(c))
    rng = np.random.default_rng(0)
    waits = []
    for _ in range(trials):
        session.control("play")
        time.sleep(0.05 + 0.1 * rng.random())
        start = time.perf_counter()
        session.control("pause")
        waits.append(time.perf_counter() - start)
    session.close()
    return waits


def over_the_server(seconds: float = 3.0) -> tuple[float, list[float]]:
    """Snapshots per second read from the event stream of a real server while training, and
    the latencies of pausing through its control route."""
    env = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "src")}
    server = subprocess.Popen([sys.executable, "-m", "glassnet", "playground", "--no-browser"],
                              stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert server.stdout is not None
        url = urlsplit(server.stdout.readline().strip())
        token = url.query.removeprefix("token=")
        headers = {"X-Glassnet-Token": token, "X-Glassnet-Page": "bench",
                   "Content-Type": "application/json"}  # fmt: skip

        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            connection.request("POST", path, json.dumps(body), headers)
            answer = json.loads(connection.getresponse().read())
            connection.close()
            return dict(answer)

        sid = post("/api/session", CONFIG)["session"]
        stream = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        stream.request("GET", f"/api/session/{sid}/events?token={token}")
        response = stream.getresponse()
        post(f"/api/session/{sid}/control", {"action": "play"})
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            if response.readline().startswith(b"event: snapshot"):
                count += 1
        rate = count / (time.perf_counter() - start)
        waits = []
        for _ in range(10):
            started = time.perf_counter()
            post(f"/api/session/{sid}/control", {"action": "pause"})
            waits.append(time.perf_counter() - started)
            post(f"/api/session/{sid}/control", {"action": "play"})
            time.sleep(0.1)
        stream.close()
        return rate, waits
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    alone = min(fit_alone(EPOCHS) for _ in range(3))
    played, frames = min(under_session(EPOCHS) for _ in range(3))
    waits = pause_latency()
    rate, http_waits = over_the_server()
    print(f"spirals, 8-8 tanh, Adam, batches of 10, {EPOCHS} epochs (best of 3)")
    print(f"| fit alone | {EPOCHS / alone:,.0f} epochs/s | {alone:.2f} s |")
    print(
        f"| under the playground | {EPOCHS / played:,.0f} epochs/s | {played:.2f} s | "
        f"{played / alone:.2f}× fit's time, {frames / played:.1f} snapshots/s published |"
    )
    print(f"| snapshots over the event stream | {rate:.1f} per second |")
    for name, w in (("on the session", waits), ("through the server", http_waits)):
        print(f"| pause obeyed, {name} | median {statistics.median(w) * 1e3:.1f} ms, "
              f"max {max(w) * 1e3:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
