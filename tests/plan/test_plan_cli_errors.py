"""`provisioner plan` fails cleanly: every problem with the target, the credentials or the spec
ends the real command with exit code 1 and one `Error: ...` line that names the problem and
what to do, never a traceback.

Each case runs the CLI as a subprocess against its own emulator on 127.0.0.1 (faults are never
changed on the shared server), or against a loopback port where nothing listens.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.client.http import RetryPolicy
from provisioner.emulator import create_app
from provisioner.emulator.faults import Decision, FaultSettings
from tests.conftest import running

DEVCON = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
# A realistic key: the client blanks the key out of any text it shows, so a one-letter key
# would mangle the very messages under test.
KEY = f"key-{uuid.uuid4().hex}"
SITE = str(uuid.uuid4())
CREDENTIALS = {"WIX_API_KEY": KEY, "WIX_SITE_ID": SITE}


@dataclass(frozen=True)
class Emulator:
    url: str
    app: Any

    def counters(self) -> dict[str, int]:
        """The emulator's own count of API calls by `METHOD route`."""
        answer = httpx.get(f"{self.url}/_emulator/requests", timeout=10)
        answer.raise_for_status()
        counters: dict[str, int] = answer.json()["counters"]
        return counters


@contextmanager
def emulator(faults: FaultSettings | None = None) -> Iterator[Emulator]:
    """A private emulator that accepts KEY for SITE, with `faults` from the start."""
    app = create_app(credentials=[(KEY, SITE)], fault_settings=faults)
    with running(app) as url:
        yield Emulator(url, app)


@contextmanager
def dead_port() -> Iterator[str]:
    """A loopback URL where nothing listens: the port is held bound (so no other process can
    take it) but never listened on, so every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def plan(target: str, env: dict[str, str], cwd: Path, spec: Path = DEVCON,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("WIX_")}
    return subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "plan", str(spec), "--target", target],
        env={**clean, **env, "NO_COLOR": "1"}, cwd=cwd, capture_output=True, text=True,
        timeout=timeout)


def the_error(done: subprocess.CompletedProcess[str], *, only_line: bool = True) -> str:
    """The one `Error:` line of a failed run, after checking the run failed cleanly."""
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == 1, output
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output
    if only_line:
        assert done.stderr.strip() == errors[0], output
    assert "Error" not in done.stdout, output
    return errors[0]


def test_a_wrong_api_key_names_the_key(tmp_path: Path) -> None:
    with emulator() as emu:
        done = plan(emu.url, {**CREDENTIALS, "WIX_API_KEY": f"key-{uuid.uuid4().hex}"},
                    tmp_path)
    line = the_error(done)
    assert "401" in line
    assert "WIX_API_KEY" in line and "API key" in line
    assert done.stdout.startswith(f"Target: {emu.url}")


def test_a_site_the_key_cannot_reach_names_the_site_id(tmp_path: Path) -> None:
    with emulator() as emu:
        done = plan(emu.url, {**CREDENTIALS, "WIX_SITE_ID": str(uuid.uuid4())}, tmp_path)
    line = the_error(done)
    assert "403" in line
    assert "WIX_SITE_ID" in line and "permission" in line


def test_an_unreachable_target_says_it_cannot_connect(tmp_path: Path) -> None:
    with dead_port() as url:
        began = time.monotonic()
        done = plan(url, CREDENTIALS, tmp_path)
        elapsed = time.monotonic() - began
    line = the_error(done)
    assert "cannot connect" in line and url in line
    assert "is it running?" in line
    assert f"gave up after {RetryPolicy().attempts} attempts" in line
    assert elapsed < 20, f"gave up after {elapsed:.1f} s"


class AlwaysRateLimited:
    """Every call refused with 429 and a `Retry-After` longer than the client waits."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after

    def decide(self, site: str, method: str, path: str, route: str) -> Decision:
        return Decision(status=429, retry_after=self.retry_after, fault="rate_limited")


def test_a_429_storm_gives_up_at_once_and_says_to_wait(tmp_path: Path) -> None:
    # The emulator's own limit (`rate_limit`, whole calls a minute) never asks for more than
    # 60 s, which the client honours (up to RetryPolicy.max_retry_after): a run would wait
    # minutes. A longer Retry-After is refused at once, so this storm is answered in-process
    # by the emulator's own 429 response with a Retry-After of an hour.
    retry_after = int(RetryPolicy().max_retry_after) * 30
    with emulator() as emu:
        emu.app.state.emulator.extensions["faults"] = AlwaysRateLimited(retry_after)
        began = time.monotonic()
        done = plan(emu.url, CREDENTIALS, tmp_path)
        elapsed = time.monotonic() - began
        counters = emu.counters()
    line = the_error(done)
    assert "429" in line
    assert "rate" in line.lower() or "too many" in line.lower()
    assert "wait and try again" in line
    assert counters and set(counters.values()) == {1}, counters  # no retry
    assert elapsed < 15, f"took {elapsed:.1f} s"


@dataclass(frozen=True)
class Storm:
    done: subprocess.CompletedProcess[str]
    elapsed: float
    counters: dict[str, int]


@pytest.fixture(scope="module")
def server_error_storm(tmp_path_factory: pytest.TempPathFactory) -> Storm:
    """One plan against an emulator that answers every call 503 (shared by two tests: the
    retries make it the slowest case)."""
    with emulator(FaultSettings(error_rate=1.0)) as emu:
        began = time.monotonic()
        done = plan(emu.url, CREDENTIALS, tmp_path_factory.mktemp("storm"))
        return Storm(done, time.monotonic() - began, emu.counters())


def test_a_500_storm_is_retried_then_fails_cleanly(server_error_storm: Storm) -> None:
    line = the_error(server_error_storm.done)
    assert "503" in line and "unavailable" in line.lower()
    # reads are retried: the call named gave up only after every attempt
    counters = server_error_storm.counters
    assert max(counters.values()) == RetryPolicy().attempts, counters
    assert server_error_storm.elapsed < 20, f"took {server_error_storm.elapsed:.1f} s"


def test_a_500_storm_says_it_retried_and_what_to_do(server_error_storm: Storm) -> None:
    line = the_error(server_error_storm.done)
    # like the unreachable case: how hard it tried, or what the user should do next
    assert re.search(r"after \d+ attempts|try again|later", line), line


def test_a_missing_site_id_names_the_variable(tmp_path: Path) -> None:
    with dead_port() as url:
        done = plan(url, {"WIX_API_KEY": KEY}, tmp_path)
    line = the_error(done)
    assert "WIX_SITE_ID must be set" in line
    assert KEY not in done.stdout + done.stderr


def test_a_malformed_target_says_what_a_target_is(tmp_path: Path) -> None:
    done = plan("ftp://x", CREDENTIALS, tmp_path)
    assert done.returncode == 2, done.stderr  # bad usage, as the README says
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "--target" in line and "ftp://x" in line
    assert "`local`" in line and "http(s) URL" in line


def test_an_invalid_spec_lists_its_problems_and_reads_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("version: 1\nevents:\n  - slug: broken\n    title: 5\n    bogus: true\n",
                    encoding="utf-8")
    with emulator() as emu:
        done = plan(emu.url, CREDENTIALS, tmp_path, spec=spec)
        counters = emu.counters()
    line = the_error(done, only_line=False)
    assert "the spec has" in line and "nothing was read" in line
    problems = [p for p in done.stderr.splitlines() if not p.startswith("Error: ")]
    assert problems
    assert all(re.match(rf"{re.escape(str(spec))}:\d+:\d+: ", p) for p in problems), problems
    assert any(":4:" in p and "events[0].title" in p for p in problems), problems
    assert any(":5:" in p and "bogus" in p for p in problems), problems
    assert counters == {}, counters
