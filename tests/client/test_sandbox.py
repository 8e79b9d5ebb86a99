"""The embedded sandbox: the emulator in process over a SQLite file, reached by WixClient
through an ASGI transport; its data and credentials survive a reopen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from provisioner.client.errors import NotFound, ProvisionerError
from provisioner.client.http import WixClient
from provisioner.client.sandbox import open_sandbox

from ..emulator.helpers import event_body


async def create_and_read(path: Path) -> tuple[str, str]:
    sandbox = open_sandbox(path)
    try:
        async with WixClient(sandbox.target, transport=sandbox.transport) as client:
            created = await client.post("/events/v3/events",
                                        json={"event": event_body(), "draft": True})
            event_id = created["event"]["id"]
            with pytest.raises(NotFound):
                await client.get("/events/v3/events/no-such-event")
        return event_id, sandbox.target.site_id
    finally:
        sandbox.close()


async def read_back(path: Path, event_id: str) -> tuple[str, str]:
    sandbox = open_sandbox(path)
    try:
        async with WixClient(sandbox.target, transport=sandbox.transport) as client:
            event = (await client.get(f"/events/v3/events/{event_id}"))["event"]
        return event["title"], sandbox.target.site_id
    finally:
        sandbox.close()


def test_the_sandbox_keeps_data_and_credentials_between_runs(tmp_path: Path) -> None:
    path = tmp_path / ".provisioner" / "sandbox.sqlite3"
    event_id, site = asyncio.run(create_and_read(path))
    title, same_site = asyncio.run(read_back(path, event_id))
    assert title == "DevCon 2025"
    assert same_site == site
    assert path.is_file()


def test_a_file_that_is_not_a_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    path.write_text("not a database")
    with pytest.raises(ProvisionerError, match="cannot open the local sandbox"):
        open_sandbox(path)


def test_describe_names_the_sandbox_file_not_the_key(tmp_path: Path) -> None:
    sandbox = open_sandbox(tmp_path / "box.sqlite3")
    try:
        line = sandbox.target.describe()
        assert line == f"Target: local sandbox ({tmp_path / 'box.sqlite3'})"
        assert sandbox.target.api_key not in line
    finally:
        sandbox.close()
