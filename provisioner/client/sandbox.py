"""The embedded local sandbox: the emulator run in process over a SQLite file (by default
`.provisioner/sandbox.sqlite3`), so `--target local` needs no server and no Wix account.

Calls go through `httpx.ASGITransport` straight into the emulator's app: the same routes,
checks and errors as over HTTP, without a socket. The file keeps the sandbox's data and its
credentials between runs, so a second `plan` sees what the first `apply` made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from ..emulator.app import create_app
from ..emulator.server import choose_credentials
from ..emulator.store import Store, StoreError
from .errors import ProvisionerError
from .target import SANDBOX_PATH, Target


@dataclass
class Sandbox:
    target: Target
    transport: httpx.AsyncBaseTransport
    store: Store

    def close(self) -> None:
        self.store.close()


def open_sandbox(path: str | Path = SANDBOX_PATH) -> Sandbox:
    """Open (or create) the sandbox database at `path` and an in-process transport to it."""
    file = Path(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        store = Store(file)
    except (OSError, StoreError) as error:
        raise ProvisionerError(f"cannot open the local sandbox at {file}: {error}; delete the "
                               "file to start a fresh sandbox, or use --target URL") from None
    key, site = choose_credentials(store, None, None)
    app = create_app(store=store)
    target = Target("local", "", key, site, sandbox_path=str(path))
    return Sandbox(target, httpx.ASGITransport(app=app), store)
