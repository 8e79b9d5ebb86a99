"""Run the emulator as an HTTP server: choose credentials, bind, serve until Ctrl-C.

The socket is bound here, before uvicorn starts, so a busy port or a bad address becomes one
clear `ServeError` instead of a server traceback, and port 0 picks a free port to report.

SIGINT (Ctrl-C) and SIGTERM stop it the same way: uvicorn stops accepting, lets the requests
in flight finish, and `run` returns after closing the store, so the process exits 0 (uvicorn
itself would re-raise the signal and die with 143 on SIGTERM, the store left unclosed).
"""

from __future__ import annotations

import secrets
import signal
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .faults import FaultSettings
from .store import Store, StoreError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ServeError(Exception):
    """The server cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class ServerInfo:
    base_url: str
    api_key: str
    site_id: str
    storage: str


def choose_credentials(store: Store, api_key: str | None, site_id: str | None) -> tuple[str, str]:
    """Given values win; else the database's first credential; else new random ones."""
    with store.transaction() as txn:
        existing = txn.credentials()
        if api_key is None and site_id is None and existing:
            return existing[0]
        key = api_key or (existing[0][0] if existing else f"emu_{secrets.token_urlsafe(24)}")
        site = site_id or (existing[0][1] if existing else str(uuid.uuid4()))
        txn.grant(key, site)
        return key, site


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
            raise ServeError(f"port {port} on {host} is already in use; pick another with "
                             "--port, or --port 0 for any free port") from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    if family in (socket.AF_INET, socket.AF_INET6):
        # small JSON answers must not wait for delayed ACKs (a 40 ms stall per request)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(128)
    return sock


def prepare(
    host: str, port: int, db: Path | None, api_key: str | None, site_id: str | None,
    fault_settings: FaultSettings | None = None, webhook_urls: Iterable[str] = (),
) -> tuple[socket.socket, Starlette, Store, ServerInfo]:
    """Everything that can fail, done before the banner promises a working server."""
    try:
        store = Store(db)
    except StoreError as exc:
        raise ServeError(str(exc)) from None
    key, site = choose_credentials(store, api_key, site_id)
    app = create_app(store=store, fault_settings=fault_settings, webhook_urls=webhook_urls,
                     hosts=[host])
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    storage = str(db) if db else "memory (lost when the server stops; use --db FILE to keep it)"
    return sock, app, store, ServerInfo(f"http://{shown_host}:{bound_port}", key, site, storage)


class _Server(uvicorn.Server):
    """uvicorn's server, for which SIGINT and SIGTERM are the normal way to stop."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Drain on SIGINT or SIGTERM (a second SIGINT forces the exit), then put the old
        handlers back without raising the signal again, as uvicorn does."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def run(sock: socket.socket, app: Starlette, store: Store, log_level: str = "warning") -> None:
    """Serve `app` on `sock` until SIGINT or SIGTERM; then close the socket and the store."""
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off")
    server = _Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # a Ctrl-C before the handlers were installed: stopping is the normal way out
    finally:
        sock.close()
        store.close()
