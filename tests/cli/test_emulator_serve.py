"""`provisioner emulator serve` as a user runs it: a real subprocess, real HTTP, Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.emulator.helpers import event_body


def command() -> list[str]:
    script = shutil.which("provisioner", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "provisioner.cli"]


@contextmanager
def serve(*args: str) -> Iterator[tuple[dict[str, str], subprocess.Popen]]:
    """Start the server, wait for its banner, yield (banner values, process)."""
    process = subprocess.Popen(
        [*command(), "emulator", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    banner: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if match := re.match(r"Wix Events emulator listening on (\S+)", line):
                banner["url"] = match.group(1)
            elif match := re.match(r"\s+(API key|Site id|Storage):\s+(.+)", line):
                banner[match.group(1)] = match.group(2).strip()
            if line.startswith("Send "):
                break
        assert "url" in banner, process.stderr.read() if process.stderr else ""
        yield banner, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def stop(process: subprocess.Popen) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    return process.returncode, out, err


def api(banner: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=banner["url"], timeout=10, headers={
        "Authorization": banner["API key"], "wix-site-id": banner["Site id"]})


def test_serve_prints_credentials_serves_and_stops_cleanly_on_ctrl_c():
    with serve() as (banner, process):
        assert banner["url"].startswith("http://127.0.0.1:")
        assert banner["API key"].startswith("emu_")
        assert banner["Storage"].startswith("memory")
        with api(banner) as client:
            created = client.post("/events/v3/events", json={"event": event_body()})
            assert created.status_code == 200
            assert created.json()["event"]["slug"] == "devcon-2025"
        code, out, err = stop(process)
    assert code == 0, err
    assert "Emulator stopped." in out
    assert "Traceback" not in err


def test_db_file_keeps_credentials_and_data(tmp_path):
    db = tmp_path / "sandbox.sqlite3"
    with serve("--db", str(db)) as (banner, process), api(banner) as client:
        event_id = client.post("/events/v3/events",
                               json={"event": event_body()}).json()["event"]["id"]
        assert banner["Storage"] == str(db)
        stop(process)
    with serve("--db", str(db)) as (again, process), api(again) as client:
        assert (again["API key"], again["Site id"]) == (banner["API key"], banner["Site id"])
        assert client.get(f"/events/v3/events/{event_id}").status_code == 200
        stop(process)


def test_given_key_and_site_are_used():
    with serve("--api-key", "my-key", "--site-id", "my-site") as (banner, process):
        assert banner["API key"] == "my-key" and banner["Site id"] == "my-site"
        response = httpx.post(f"{banner['url']}/events/v3/events/query", json={},
                              headers={"Authorization": "my-key", "wix-site-id": "my-site"})
        assert response.status_code == 200
        stop(process)


def run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), "emulator", "serve", *args], capture_output=True,
                          text=True, timeout=30)


def test_busy_port_is_a_clear_error_not_a_traceback():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_serve("--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_and_bad_database_are_clear_errors(tmp_path):
    bad_port = run_serve("--port", "99999")
    assert bad_port.returncode == 2 and "99999" in bad_port.stderr
    missing_dir = run_serve("--db", str(tmp_path / "no" / "such" / "dir.sqlite3"))
    assert missing_dir.returncode == 1 and "does not exist" in missing_dir.stderr
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    not_db = run_serve("--db", str(garbage), "--port", "0")
    assert not_db.returncode == 1 and "cannot use" in not_db.stderr
    assert "Traceback" not in missing_dir.stderr + not_db.stderr
