"""The embedded local sandbox: the emulator run in process over a SQLite file (by default
`.provisioner/sandbox.sqlite3`), so `--target local` needs no server and no Wix account.

Calls go through `httpx.ASGITransport` straight into the emulator's app: the same routes,
checks and errors as over HTTP, without a socket. The file keeps the sandbox's data and its
credentials between runs, so a second `plan` sees what the first `apply` made.

An apply holds the sandbox's lock (`apply_lock`) from its first read to its closing check, so
two applies on one sandbox run one after the other instead of both creating everything.

The sandbox holds a site's credentials and all its event data, so its folder is made
owner-only (0700) and its files (the database, SQLite's `-wal`/`-shm`/`-journal` beside it,
the lock) 0600: created so, and tightened when an older run left them readable.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..emulator.app import create_app
from ..emulator.server import choose_credentials
from ..emulator.store import Store, StoreError
from .errors import ProvisionerError
from .target import SANDBOX_PATH, Target

LOCK_POLL = 0.05  # seconds between tries while another apply holds the lock
SANDBOX_FOLDER = Path(SANDBOX_PATH).parent.name  # `.provisioner`: tightened when it exists
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")

log = logging.getLogger("provisioner.client")


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
        _private_folder(file.parent)
        os.close(_private_file(file, os.O_RDWR))  # SQLite gives its -wal and -shm this mode
        store = Store(file)
        for suffix in SQLITE_SIDECARS:
            if os.path.exists(f"{file}{suffix}"):
                os.chmod(f"{file}{suffix}", 0o600)
    except (OSError, StoreError) as error:
        raise ProvisionerError(f"cannot open the local sandbox at {file}: {error}; delete the "
                               "file to start a fresh sandbox, or use --target URL") from None
    key, site = choose_credentials(store, None, None)
    app = create_app(store=store)
    target = Target("local", "", key, site, sandbox_path=str(path))
    return Sandbox(target, httpx.ASGITransport(app=app), store)


@asynccontextmanager
async def apply_lock(path: str | Path, timeout: float) -> AsyncIterator[None]:
    """Hold the exclusive apply lock of the sandbox at `path` for the block.

    The lock is an OS file lock (`fcntl.flock`) on `<path>.lock`, created owner-only (0600),
    which records its holder's pid. The kernel drops it when the holder's file is closed or its
    process ends in any way (an exception, Ctrl-C, a crash, `kill -9`), so a dead apply never
    leaves it stuck; leaving the block releases it. While another apply holds it, say so once
    on stderr and wait; after `timeout` seconds (0: at once) raise `ProvisionerError` naming the
    holder, before the sandbox is opened, so nothing is changed.
    """
    try:
        import fcntl
    except ImportError:  # Windows has no flock: refuse rather than apply unlocked
        raise ProvisionerError("the local sandbox needs an OS file lock (fcntl) to apply "
                               "safely, which this system lacks; use Linux or macOS, or "
                               "--target URL") from None
    file = Path(f"{path}.lock")
    _private_folder(file.parent)
    fd = _private_file(file, os.O_RDWR)
    try:
        deadline = time.monotonic() + timeout
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProvisionerError(_locked(fd, timeout)) from None
                if not said:
                    log.warning("waiting for another apply on the local sandbox (%s) to "
                                "finish…", path)
                    said = True
                await asyncio.sleep(min(LOCK_POLL, left))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _private_folder(folder: Path) -> None:
    """Make `folder` owner-only (0700): created so, or tightened if it is the sandbox's own
    `.provisioner` folder (never some other folder a custom path happens to sit in)."""
    try:  # no exists() first: two applies starting together would both try to make it
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        if folder.name == SANDBOX_FOLDER:
            folder.chmod(0o700)


def _private_file(file: Path, flags: int) -> int:
    """An open descriptor on `file`, created owner-only (0600) or tightened to that."""
    fd = os.open(file, flags | os.O_CREAT, 0o600)
    try:
        os.chmod(file, 0o600)  # an existing file keeps its mode through os.open
    except OSError:
        os.close(fd)
        raise
    return fd


def _locked(fd: int, timeout: float) -> str:
    """The error of an apply that gave up waiting: who holds the lock (its pid, when the file
    says), and what to do."""
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    holder = f" (pid {pid})" if pid.isdigit() else ""
    waited = f" that has not finished in {timeout:g} s" if timeout > 0 else ""
    return (f"the local sandbox is locked by another apply{holder}{waited}, so nothing was "
            "changed; try again when it finishes, or raise --lock-timeout")
