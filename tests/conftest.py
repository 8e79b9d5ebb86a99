"""Shared fixtures: one real emulator server over loopback HTTP for the whole test session.

Each test gets its own site and API key (`api`), so tests never see each other's data and the
server never restarts. `clock` lets a test move the emulator's clock.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from provisioner.emulator import create_app
from provisioner.emulator.server import bind
from provisioner.emulator.store import Store

# The shipped DevCon example (June 2025) is over. The tests check specs as of New Year 2025,
# when it was still ahead, so the warning about past events (tested on its own, with its own
# PROVISIONER_NOW) does not run through every other test's output; subprocesses inherit it.
os.environ["PROVISIONER_NOW"] = "2025-01-01T00:00:00Z"


def grant_new_site(store: Store) -> tuple[str, str]:
    """A new API key and the id of the new, empty site it may manage."""
    key, site = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    with store.transaction() as txn:
        txn.grant(key, site)
    return key, site


@dataclass
class Server:
    base_url: str
    store: Store
    app: object

    def new_site(self) -> tuple[str, str]:
        return grant_new_site(self.store)

    def client(self, key: str, site: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": key, "wix-site-id": site},
            timeout=30,
        )


@contextmanager
def running(app: object, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL. With
    `tls` (certificate and key files) it speaks HTTPS."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    certificate, key = tls or (None, None)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            ssl_certfile=certificate, ssl_keyfile=key)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("emulator did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    store = Store()
    app = create_app(store=store)
    with running(app) as base_url:
        yield Server(base_url, store, app)


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client authenticated for a brand-new, empty site."""
    key, site = server.new_site()
    with server.client(key, site) as client:
        client.site_id = site  # type: ignore[attr-defined]
        client.api_key = key  # type: ignore[attr-defined]
        yield client


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def clock(server: Server) -> Iterator[FakeClock]:
    """Freeze the emulator's clock for one test (default 2026-01-01T00:00:00Z)."""
    state = server.app.state.emulator  # type: ignore[attr-defined]
    original = state.clock
    fake = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    state.clock = fake
    yield fake
    state.clock = original
