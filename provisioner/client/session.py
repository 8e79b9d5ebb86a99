"""Open a `WixClient` on a resolved target: the embedded sandbox in process, or HTTP.

Commands that talk to a site (`plan`, `apply`) share this, so the sandbox is opened and
closed in one place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from .http import WixClient
from .target import Target


@asynccontextmanager
async def connect(target: Target, lock_timeout: float | None = None
                  ) -> AsyncIterator[WixClient]:
    """A client for `target`; for `local`, the sandbox file is opened here and closed after.

    `lock_timeout` (an apply): hold the sandbox's apply lock for the whole block, waiting at
    most that many seconds for another apply to release it (`sandbox.apply_lock`); None (a
    plan's reads) takes no lock. A remote site offers no lock, so there it is ignored.
    """
    if target.name != "local":
        async with WixClient(target) as client:
            yield client
        return
    from .sandbox import apply_lock, open_sandbox  # the emulator loads only for the sandbox

    lock: AbstractAsyncContextManager[None] = nullcontext() if lock_timeout is None \
        else apply_lock(target.sandbox_path, lock_timeout)
    async with lock:
        sandbox = open_sandbox(target.sandbox_path)
        try:
            async with WixClient(sandbox.target, transport=sandbox.transport) as client:
                yield client
        finally:
            sandbox.close()
