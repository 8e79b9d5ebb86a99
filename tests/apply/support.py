"""Helpers shared by the apply tests: run the real CLI in a subprocess against the test
emulator (`python -m provisioner.cli`, as tests/plan does), and read the emulator's request
log to tell reads from writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Server

READ_SUFFIXES = ("/query", "/count", "/count-by-status", "/list")


def cli_env(api: httpx.Client) -> dict[str, str]:
    return {**os.environ, "WIX_API_KEY": api.api_key,  # type: ignore[attr-defined]
            "WIX_SITE_ID": api.site_id, "NO_COLOR": "1"}  # type: ignore[attr-defined]


def run_cli(api: httpx.Client, *args: str | Path,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`provisioner ARGS...` with the site's credentials; stdin is a pipe (never a terminal)."""
    return subprocess.run([sys.executable, "-m", "provisioner.cli", *map(str, args)],
                          env=cli_env(api), input=stdin or "", capture_output=True, text=True,
                          timeout=120)


def apply_cli(server: Server, api: httpx.Client, *args: str | Path
              ) -> subprocess.CompletedProcess[str]:
    return run_cli(api, "apply", *args, "--target", server.base_url)


def log_mark(api: httpx.Client) -> int:
    """The sequence number of the site's latest logged API call (0 if none)."""
    entries = requests_after(api, 0)
    return max((e["seq"] for e in entries), default=0)


def requests_after(api: httpx.Client, mark: int) -> list[dict[str, Any]]:
    answer = api.get("/_emulator/requests")
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json()["requests"] if e["seq"] > mark]


def is_write(entry: dict[str, Any]) -> bool:
    method, path = entry["method"], entry["path"].split("?")[0].rstrip("/")
    if method == "GET":
        return False
    return not (method == "POST" and path.endswith(READ_SUFFIXES))


def writes_after(api: httpx.Client, mark: int) -> list[str]:
    """Every write the site received after `mark`, as `METHOD path` (empty: none)."""
    return [f"{e['method']} {e['path']}" for e in requests_after(api, mark) if is_write(e)]
