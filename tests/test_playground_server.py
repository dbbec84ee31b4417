"""The playground's web server: the token, Host and Origin checks, uploads, the routes of the
contract with the page, and the `glassnet playground` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
with warnings.catch_warnings():  # a newer Starlette prefers httpx2 and says so on import
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from glassnet.cli import main
from glassnet.playground.app import Settings, create_app

SRC = str(Path(__file__).resolve().parents[1] / "src")
TOKEN = "the-token"
HEADERS = {"X-Glassnet-Token": TOKEN, "X-Glassnet-Page": "page-1"}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, Any]]:
    """A playground app under Starlette's test client (Host: testserver), closed at the end."""
    marker = request.node.get_closest_marker("settings")
    options = marker.kwargs if marker else {}
    app, playground = create_app(Settings(token=TOKEN, extra_hosts=("testserver",), **options))
    with TestClient(app) as client:
        yield client, playground
    playground.close()


@pytest.fixture
def client(server: tuple[TestClient, Any]) -> TestClient:
    return server[0]


def session(client: TestClient, **config: object) -> dict[str, Any]:
    answer = client.post("/api/session", headers=HEADERS, json=config)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_every_request_needs_the_token(client: TestClient) -> None:
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/api/info", headers={"X-Glassnet-Token": "wrong"}).status_code == 403
    assert client.get("/static/app.js").status_code == 403
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and f'content="{TOKEN}"' in page.text
    assert client.get(f"/static/app.js?token={TOKEN}").status_code == 200
    assert client.get("/api/info", headers=HEADERS).json()["presets"] == ["tutorial"]
    assert "forbidden" in client.get("/api/info").text


def test_host_and_origin_of_another_site_are_refused(client: TestClient) -> None:
    evil = {**HEADERS, "Host": "evil.example:80"}
    assert client.get("/api/info", headers=evil).status_code == 403
    rebound = {**HEADERS, "Origin": "http://evil.example"}
    assert client.get("/api/info", headers=rebound).status_code == 403
    assert (
        client.get("/api/info", headers={**HEADERS, "Origin": "http://testserver"}).status_code
        == 200
    )


@pytest.mark.settings(max_upload=1000)
def test_an_upload_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    body = b"x,y\n" + b"1,2\n" * 400
    answer = client.post("/api/upload", headers={**HEADERS, "X-Filename": "big.csv"}, content=body)
    assert answer.status_code == 413
    assert "upload limit of 0.000953674 MB" in answer.json()["error"]
    assert "--max-upload" in answer.json()["error"]


def test_a_bad_csv_is_a_400_with_the_message_of_glassnet_train(
    client: TestClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = b"x,y\n1,2\n3\n"
    answer = client.post("/api/upload", headers={**HEADERS, "X-Filename": "bad.csv"}, content=bad)
    assert answer.status_code == 400
    (tmp_path / "bad.csv").write_bytes(bad)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "bad.csv", "--target", "y", "-o", "m.npz", "-q"]) == 2
    said = capsys.readouterr().err.strip().removeprefix("glassnet: error: ")
    assert answer.json() == {"error": said}
    assert client.get("/api/info", headers=HEADERS).status_code == 200  # the server goes on


def test_a_csv_with_strings_and_missing_values_trains(client: TestClient) -> None:
    rows = ["name,size,colour,kind"]
    rows += [f"n{i},{'NA' if i % 5 == 0 else i % 7},{['red', 'blue', ''][i % 3]},{'ab'[i % 2]}"
             for i in range(30)]  # fmt: skip
    headers = {**HEADERS, "X-Filename": "mixed.csv", "Content-Type": "text/csv"}
    uploaded = client.post("/api/upload", headers=headers, content="\n".join(rows).encode())
    assert uploaded.json()["csv"] == {"name": "mixed.csv", "columns": ["name", "size", "colour",
                                      "kind"], "rows": 30, "suggested_target": "kind"}  # fmt: skip
    made = session(client, data="csv", target="kind", hidden=[3], x_feature=0, y_feature=1)
    assert made["data"]["classes"] == ["a", "b"] and made["data"]["columns"]
    sid = made["session"]
    stepped = client.post(f"/api/session/{sid}/control", headers=HEADERS,
                          json={"action": "step", "epochs": 2}).json()  # fmt: skip
    assert (stepped["state"], stepped["epoch"]) == ("paused", 2)
    assert stepped["snapshot"]["metric"]["test"] is not None


def test_a_target_the_csv_lacks_is_a_400_naming_its_columns(client: TestClient) -> None:
    headers = {**HEADERS, "X-Filename": "t.csv"}
    client.post("/api/upload", headers=headers, content=b"a,b\n1,2\n3,4\n5,6\n")
    answer = client.post("/api/session", headers=HEADERS, json={"data": "csv", "target": "c"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(
        "t.csv: no target column 'c'; the columns are 'a', 'b'"
    )


def test_bad_configuration_and_unknown_session_are_one_line_errors(client: TestClient) -> None:
    answer = client.post("/api/session", headers=HEADERS, json={"data": "circles", "hidden": [0]})
    assert answer.status_code == 400 and "hidden" in answer.json()["error"]
    assert client.post("/api/session", headers=HEADERS, content=b"{").status_code == 400
    gone = client.post("/api/session/nope/control", headers=HEADERS, json={"action": "play"})
    assert gone.status_code == 404 and "no such session" in gone.json()["error"]


def test_tutorial_through_the_routes(client: TestClient) -> None:
    made = session(client, data="tutorial")
    sid = made["session"]
    assert made["data"]["inputs"] == 3 and made["snapshot"]["points"]["train"]
    client.post(f"/api/session/{sid}/control", headers=HEADERS,
                json={"action": "step", "epochs": 10_000})  # fmt: skip
    answer = client.post(f"/api/session/{sid}/predict", headers=HEADERS, json={"x": [[1, 0, 0]]})
    assert round(answer.json()["outputs"][0][0], 8) == 0.99993704
    glass = client.get(f"/api/session/{sid}/neuron?layer=0&unit=0&sample=2", headers=HEADERS)
    assert glass.json()["activation"] == "sigmoid" and glass.json()["gradient"] is not None
    assert client.get(f"/api/session/{sid}/neuron?layer=1&unit=0&sample=0",
                      headers=HEADERS).status_code == 400  # fmt: skip
    bad = client.post(f"/api/session/{sid}/predict", headers=HEADERS, json={"x": [[1, 0]]})
    assert bad.status_code == 400 and "rows of 3 numbers" in bad.json()["error"]


def test_exports_are_downloads(client: TestClient) -> None:
    sid = session(client, data="xor", hidden=[4])["session"]
    for name, kind in [("model.npz", "application/octet-stream"), ("script.py", "text/x-python"),
                       ("command.txt", "text/plain")]:  # fmt: skip
        answer = client.get(f"/api/session/{sid}/export/{name}", headers=HEADERS)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
        assert answer.headers["content-disposition"].startswith("attachment; filename=")
    line = client.get(f"/api/session/{sid}/export/command.txt", headers=HEADERS).text
    assert line.startswith("glassnet train playground-xor.csv --target class --hidden 4 ")


def test_a_new_session_from_the_same_page_stops_the_previous_one(
    server: tuple[TestClient, Any],
) -> None:
    client, playground = server
    first = session(client, data="circles")["session"]
    second = session(client, data="moons")["session"]
    assert list(playground.sessions) == [second]
    gone = client.post(f"/api/session/{first}/control", headers=HEADERS, json={"action": "play"})
    assert gone.status_code == 404


def test_the_event_stream_sends_snapshots(client: TestClient) -> None:
    sid = session(client, data="circles", hidden=[3])["session"]
    with client.stream("GET", f"/api/session/{sid}/events?token={TOKEN}") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "event: snapshot"
        frame = json.loads(next(lines).removeprefix("data: "))
    assert frame["session"] == sid and frame["epoch"] == 0 and frame["state"] == "paused"
    assert len(frame["heatmap"]["values"]) == 50 * 50 and frame["weights"]


@pytest.mark.settings(grace=0.05)
def test_closing_the_event_stream_stops_the_pages_training(server: tuple[TestClient, Any]) -> None:
    client, playground = server
    sid = session(client, data="circles", hidden=[3])["session"]
    client.post(f"/api/session/{sid}/control", headers=HEADERS, json={"action": "play"})
    running = playground.sessions[sid]
    with client.stream("GET", f"/api/session/{sid}/events?token={TOKEN}") as stream:
        next(stream.iter_lines())
    running._thread.join(5)  # stopped after the grace period: its thread ends
    assert running.state == "stopped" and sid not in playground.sessions


def test_uploads_are_temporary_files_removed_at_exit(server: tuple[TestClient, Any]) -> None:
    client, playground = server
    headers = {**HEADERS, "X-Filename": "t.csv"}
    client.post("/api/upload", headers=headers, content=b"a,b\n1,2\n3,4\n")
    client.post("/api/upload", headers=headers, content=b"a,b\n1,2\n3,5\n")  # replaces it
    assert len(os.listdir(playground.directory)) == 1
    playground.close()
    assert not os.path.exists(playground.directory)


def test_playground_without_its_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["playground", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'glassnet[playground]'" in err


def test_the_command_prints_one_url_and_stops_quietly_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and b"glassnet-token" in page.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.split("?")[0], timeout=10)
        assert refused.value.code == 403
        refused.value.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0 and out == "" and err == ""
