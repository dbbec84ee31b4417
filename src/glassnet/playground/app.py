"""The playground's web server: Starlette routes over `Session`s, behind the checks every request
passes (`Guard`: the token, Host and Origin against DNS rebinding).

The routes are the contract with the page (docs: the playground's API): the page and its files,
the data sets and an uploaded CSV file, a session per page with its controls, its stream of
snapshots (server-sent events), a neuron's numbers, predictions and the exports. Errors are one
line: ``{"error": "..."}`` with 400, 403, 404 or 413.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .. import __version__
from ..errors import GlassnetError
from ..optimizers import OPTIMIZERS
from . import exports
from .data import DATA, GENERATED, HIDDEN_ACTIVATIONS, LOSSES, MAX_CLASSES, build_data, parse_config
from .glass import neuron, predict
from .session import Session
from .uploads import Upload, read_upload

#: the loopback names a page may be reached by
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
MB = 1024 * 1024
#: seconds a session trains on after its page's event stream closed (a reload reconnects)
GRACE_SECONDS = 3.0
#: sessions kept at once (pages left open in many tabs): the oldest is stopped beyond this
MAX_SESSIONS = 16
#: at most one snapshot every this many seconds on a stream; a comment line keeps it alive
STREAM_SECONDS = 0.05
KEEPALIVE_SECONDS = 15.0
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
TOKEN_MARK = "__GLASSNET_TOKEN__"


@dataclass
class Settings:
    """What the server was started with."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    csv: str | None = None  # the command line's CSV file
    max_upload: int = 100 * MB
    host: str | None = None  # a --host beyond loopback, also accepted in Host and Origin
    extra_hosts: tuple[str, ...] = ()  # e.g. "testserver" for Starlette's TestClient
    grace: float = GRACE_SECONDS  # a page's training stops this long after its stream closed


class Guard:
    """Every request: Host (and Origin, when sent) naming this server, else 403; then the
    token, as ``?token=`` or the ``X-Glassnet-Token`` header, else 403."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app, self.settings = app, settings
        names = [*LOOPBACK, *settings.extra_hosts]
        if settings.host:
            names.append(settings.host)
        self.names = {n.lower() for n in names}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        why = self.refused(scope, headers)
        if why is not None:
            response = PlainTextResponse(f"forbidden: {why}\n", status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refused(self, scope: Any, headers: dict[str, str]) -> str | None:
        """Why the request is refused, or None."""
        port = (scope.get("server") or (None, None))[1]
        if not self.ours(headers.get("host", ""), port):
            return "the Host header does not name this server"
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme != "http" or not self.ours(parts.netloc, port):
                return "the request comes from another site"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = headers.get("x-glassnet-token") or (query.get("token") or [""])[0]
        if not secrets.compare_digest(given.encode(), self.settings.token.encode()):
            return "a missing or wrong token (open the URL the command printed)"
        return None

    def ours(self, host: str, port: int | None) -> bool:
        """Whether a Host header (or an Origin's host) names this server: a known name, and
        this server's port when the request came through a socket."""
        match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d+))?", host.strip())
        if match is None or match.group(1).lower() not in self.names:
            return False
        given = int(match.group(2)) if match.group(2) else 80
        return port is None or given == port or match.group(1) in self.settings.extra_hosts


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message.replace("\n", " ")}, status_code=status)


class Playground:
    """The server's state: the sessions by id, each page's session and upload, the temporary
    directory (removed by `close`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions: dict[str, Session] = {}
        self.pages: dict[str, str] = {}  # page id -> session id
        self.uploads: dict[str, Upload] = {}  # page id -> its uploaded file
        self.streams: dict[str, int] = {}  # session id -> open event streams
        self.directory = tempfile.mkdtemp(prefix="glassnet-playground-")
        self.csv_info: Upload | None = None  # the command line's file, once read
        self.closing = False

    def close(self) -> None:
        self.closing = True
        for session in list(self.sessions.values()):
            session.close()
        self.sessions.clear()
        shutil.rmtree(self.directory, ignore_errors=True)

    def session(self, request: Request) -> Session:
        found = self.sessions.get(request.path_params["id"])
        if found is None:
            raise LookupError("no such session (it was replaced or stopped): start a new one")
        return found

    def add(self, page: str, session: Session) -> None:
        previous = self.pages.get(page)
        if previous is not None and previous in self.sessions:
            self.sessions.pop(previous).close()
        while len(self.sessions) >= MAX_SESSIONS:
            oldest = next(iter(self.sessions))
            self.sessions.pop(oldest).close()
        self.sessions[session.id] = session
        self.pages[page] = session.id

    def csv_for(self, page: str) -> tuple[str | None, str | None]:
        """The CSV file a page's ``data: "csv"`` means: its upload, else the command line's."""
        upload = self.uploads.get(page)
        if upload is not None:
            return upload.path, upload.name
        if self.settings.csv is not None:
            return self.settings.csv, self.settings.csv
        return None, None


Handler = Callable[[Request], Awaitable[Response]]


def _answers(handler: Callable[[Playground, Request], Awaitable[Response]],
             playground: Playground) -> Handler:  # fmt: skip
    """A route's handler with the playground bound, bad input as a one-line 400 and an unknown
    session as 404."""

    async def handle(request: Request) -> Response:
        try:
            return await handler(playground, request)
        except LookupError as exc:
            return _error(str(exc).strip("'\""), 404)
        except GlassnetError as exc:
            return _error(str(exc))

    return handle


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise GlassnetError("the request body must be JSON") from None


def _page(request: Request) -> str:
    return request.headers.get("x-glassnet-page", "") or "default"


async def index(playground: Playground, request: Request) -> Response:
    text = _static_text("index.html")
    token = playground.settings.token
    text = text.replace(TOKEN_MARK, token)
    if 'name="glassnet-token"' not in text:
        text = text.replace("<head>", f'<head>\n<meta name="glassnet-token" content="{token}">', 1)
    return Response(text, media_type="text/html; charset=utf-8")


def _static_text(name: str) -> str:
    return (resources.files(__package__) / "static" / name).read_text(encoding="utf-8")


async def static(playground: Playground, request: Request) -> Response:
    name = request.path_params["name"]
    suffix = os.path.splitext(name)[1]
    folder = resources.files(__package__) / "static"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or suffix not in STATIC_TYPES:
        raise LookupError(f"no file {name!r}")
    path = folder / name
    if not path.is_file():
        raise LookupError(f"no file {name!r}")
    return Response(path.read_bytes(), media_type=STATIC_TYPES[suffix])


async def info(playground: Playground, request: Request) -> Response:
    sets = [{"name": name, "task": task, "classes": 2 if task == "classification" else None,
             "max_classes": MAX_CLASSES if many else None, "features": 2}
            for name, (task, _, many) in GENERATED.items()]  # fmt: skip
    sets.append({"name": "tutorial", "task": "classification", "classes": 2,
                 "max_classes": None, "features": 3})  # fmt: skip
    csv, path = playground.csv_info, playground.settings.csv
    if csv is None and path is not None:  # read once: the command line's file does not change
        csv = playground.csv_info = await asyncio.to_thread(read_upload, path, path)
    return JSONResponse({
        "datasets": sets,
        "presets": ["tutorial"],
        "data": DATA,
        "activations": HIDDEN_ACTIVATIONS,
        "losses": LOSSES,
        "optimizers": list(OPTIMIZERS),
        "csv": csv.describe() if csv is not None else None,
        "max_upload": playground.settings.max_upload,
        "version": __version__,
    })  # fmt: skip


async def upload(playground: Playground, request: Request) -> Response:
    limit = playground.settings.max_upload
    too_big = _error(f"the file is larger than the upload limit of {limit / MB:g} MB "
                     "(start glassnet playground with --max-upload MB for more)", 413)  # fmt: skip
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return too_big
    name = os.path.basename(request.headers.get("x-filename", "") or "upload.csv")
    page = _page(request)
    path = os.path.join(playground.directory, f"upload-{secrets.token_hex(8)}.csv")
    size = 0
    with open(path, "wb") as f:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                f.close()
                os.remove(path)
                return too_big
            f.write(chunk)
    try:
        found = await asyncio.to_thread(read_upload, path, name)
    except Exception:
        os.remove(path)
        raise
    previous = playground.uploads.pop(page, None)
    if previous is not None and os.path.exists(previous.path):
        os.remove(previous.path)
    playground.uploads[page] = found
    return JSONResponse({"csv": found.describe()})


async def new_session(playground: Playground, request: Request) -> Response:
    config = parse_config(await _json(request))
    page = _page(request)
    path, name = playground.csv_for(page)

    def build() -> Session:
        return Session(config, build_data(config, path, name))

    session = await asyncio.to_thread(build)
    playground.add(page, session)
    return JSONResponse({
        "session": session.id,
        "config": config.to_json(),
        "data": session.data.describe(),
        "snapshot": session.snapshot(),
    })  # fmt: skip


async def control(playground: Playground, request: Request) -> Response:
    session = playground.session(request)
    body = await _json(request)
    if not isinstance(body, dict):
        raise GlassnetError('the body must be {"action": "play" | "pause" | "step" | "reset"}')
    epochs = body.get("epochs", 1)
    if not isinstance(epochs, int) or isinstance(epochs, bool) or not 1 <= epochs <= 1_000_000:
        raise GlassnetError(f"epochs must be an integer from 1 to 1000000, got {epochs!r}")
    answer = await asyncio.to_thread(session.control, str(body.get("action")), epochs=epochs)
    return JSONResponse({**answer, "snapshot": session.snapshot()})


async def events(playground: Playground, request: Request) -> Response:
    session = playground.session(request)
    playground.streams[session.id] = playground.streams.get(session.id, 0) + 1

    async def stream() -> AsyncIterator[str]:
        sent, quiet = -1, 0.0
        try:
            while not playground.closing and session.state != "stopped":
                published = session.published
                if published.number != sent:
                    sent, quiet = published.number, 0.0
                    yield f"event: snapshot\ndata: {published.text}\n\n"
                elif quiet >= KEEPALIVE_SECONDS:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_SECONDS)
                quiet += STREAM_SECONDS
                if await request.is_disconnected():
                    break
            if session.state == "stopped":
                yield f"event: snapshot\ndata: {session.published.text}\n\n"
        finally:
            _stream_closed(playground, session)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _stream_closed(playground: Playground, session: Session) -> None:
    """One stream fewer; with none left after the grace period, the page has gone: stop."""
    playground.streams[session.id] -= 1

    def check() -> None:
        if playground.streams.get(session.id, 0) <= 0 and session.id in playground.sessions:
            playground.sessions.pop(session.id).close()
            playground.streams.pop(session.id, None)

    # no loop any more: the server is stopping, and closes every session
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().call_later(playground.settings.grace, check)


async def neuron_route(playground: Playground, request: Request) -> Response:
    session = playground.session(request)
    q = request.query_params
    try:
        layer, unit, sample = (int(q.get(k, "")) for k in ("layer", "unit", "sample"))
    except ValueError:
        raise GlassnetError("give layer, unit and sample as integers") from None
    return JSONResponse(await asyncio.to_thread(neuron, session, layer, unit, sample))


async def predict_route(playground: Playground, request: Request) -> Response:
    session = playground.session(request)
    body = await _json(request)
    x = body.get("x") if isinstance(body, dict) else None
    return JSONResponse(await asyncio.to_thread(predict, session, x))


async def export(playground: Playground, request: Request) -> Response:
    session = playground.session(request)
    name = request.path_params["name"]
    makers: dict[str, tuple[Callable[[Session, str], bytes], str]] = {
        "model.npz": (exports.model_file, "application/octet-stream"),
        "script.py": (exports.script, "text/x-python; charset=utf-8"),
        "command.txt": (exports.command, "text/plain; charset=utf-8"),
    }
    if name not in makers:
        raise LookupError(f"no export {name!r}; expected one of {', '.join(makers)}")
    make, media = makers[name]
    body = await asyncio.to_thread(make, session, playground.directory)
    stem = "glassnet-playground-" + session.config.data
    filename = f"{stem}-{name}" if name != "model.npz" else f"{stem}.npz"
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


class _Headers:
    """Headers on every answer: no caching, no sniffing, no referrer (the URL holds the
    token), and a content security policy that keeps the page on this server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"cache-control", b"no-store"),
                                      (b"x-content-type-options", b"nosniff"),
                                      (b"referrer-policy", b"no-referrer"),
                                      (b"content-security-policy", CSP.encode())]  # fmt: skip
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


def create_app(settings: Settings) -> tuple[Any, Playground]:
    """The ASGI application and its state (close it when the server stops)."""
    playground = Playground(settings)
    routes = [
        Route("/", _answers(index, playground), methods=["GET"]),
        Route("/static/{name}", _answers(static, playground), methods=["GET"]),
        Route("/api/info", _answers(info, playground), methods=["GET"]),
        Route("/api/upload", _answers(upload, playground), methods=["POST"]),
        Route("/api/session", _answers(new_session, playground), methods=["POST"]),
        Route("/api/session/{id}/control", _answers(control, playground), methods=["POST"]),
        Route("/api/session/{id}/events", _answers(events, playground), methods=["GET"]),
        Route("/api/session/{id}/neuron", _answers(neuron_route, playground), methods=["GET"]),
        Route("/api/session/{id}/predict", _answers(predict_route, playground), methods=["POST"]),
        Route("/api/session/{id}/export/{name}", _answers(export, playground), methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    return _Headers(Guard(app, settings)), playground
