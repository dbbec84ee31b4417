"""`glassnet playground`: serve the playground page on this machine and print its URL.

Order of work: check the extra is installed and the CSV file (if any) reads, bind the socket
(``--port 0``: a free port), print the one URL line, open the browser, serve until Ctrl-C, then
stop every session and remove the temporary files.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
import threading
import webbrowser
from typing import Any

from ..errors import GlassnetError
from ._common import add_command, positive_float

MISSING = "glassnet playground needs Starlette and uvicorn: pip install 'glassnet[playground]'"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 for any free one."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "playground",
        help="train a network live in the browser, on your data or the built-in 2-D sets",
        example="glassnet playground\n  glassnet playground data.csv --port 0 --no-browser",
    )
    p.add_argument(
        "data", nargs="?", metavar="DATA", help="a CSV file to offer the page (the target is "
        "chosen there); files can also be uploaded from the page",
    )  # fmt: skip
    p.add_argument(
        "--port", type=port_number, default=0, metavar="N",
        help="the port to listen on (default: 0, a free one)",
    )  # fmt: skip
    p.add_argument(
        "--host", default="127.0.0.1", metavar="HOST",
        help="the address to listen on (default: 127.0.0.1, this machine only)",
    )  # fmt: skip
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--max-upload", type=positive_float, default=100.0, metavar="MB",
        help="the largest CSV file the page may upload, in MB (default: 100)",
    )  # fmt: skip
    p.set_defaults(handler=run)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port` (port 0: a free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM)[0]  # fmt: skip
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise GlassnetError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    return sock


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..playground.app import MB, Settings, create_app
        from ..playground.uploads import read_upload
    except ImportError:
        raise GlassnetError(MISSING) from None
    if args.data is not None:
        read_upload(args.data, args.data)  # a file that cannot be read is said now, in one line
    loopback = _is_loopback(args.host)
    sock = _listen(args.host, args.port)
    port = sock.getsockname()[1]
    extra = () if loopback else (socket.gethostname(), socket.getfqdn())
    settings = Settings(csv=args.data, max_upload=int(args.max_upload * MB),
                        host=None if loopback else args.host, extra_hosts=extra)  # fmt: skip
    if not loopback:
        print(f"glassnet playground: warning: listening on {args.host}, not this machine only: "
              "anyone who can reach it and has the URL can use it", file=sys.stderr)  # fmt: skip
    shown = args.host if not loopback and args.host not in ("0.0.0.0", "::") else "127.0.0.1"
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}/?token={settings.token}"
    app, playground = create_app(settings)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=1)  # fmt: skip
    server = uvicorn.Server(config)
    print(url, flush=True)
    if not args.no_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops on Ctrl-C, then raises it again: a clean end
        pass
    finally:
        playground.close()
        sock.close()
    return 0
