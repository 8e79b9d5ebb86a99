"""Open a `WixClient` on a resolved target: the embedded sandbox in process, or HTTP.

Commands that talk to a site (`plan`, `apply`) share this, so the sandbox is opened and
closed in one place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .http import WixClient
from .target import Target


@asynccontextmanager
async def connect(target: Target) -> AsyncIterator[WixClient]:
    """A client for `target`; for `local`, the sandbox file is opened here and closed after."""
    if target.name != "local":
        async with WixClient(target) as client:
            yield client
        return
    from .sandbox import open_sandbox  # the emulator loads only for the local sandbox

    sandbox = open_sandbox(target.sandbox_path)
    try:
        async with WixClient(sandbox.target, transport=sandbox.transport) as client:
            yield client
    finally:
        sandbox.close()
