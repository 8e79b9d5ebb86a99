"""Hostile input and secrets at the command line: no traceback, no leak.

A key pasted with a zero-width space or a newline, credentials in a target URL, a device or a
FIFO given as a spec, a malformed `--target`, a plan file mixed with spec files: each ends the
real command (`python -m provisioner.cli`, in a subprocess) in one line with the documented
exit code, and no secret is ever printed. Saved plans and the local sandbox are owner-only.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from provisioner.client.errors import ProvisionerError
from provisioner.client.http import RetryPolicy, WixClient
from provisioner.client.target import Target, redact
from provisioner.spec.loader import MAX_FILE_BYTES
from tests.apply.support import log_mark, requests_after

DEVCON = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
KEY = f"emu_{uuid.uuid4().hex}"
SITE = str(uuid.uuid4())
SECRET = "s3cr3t-PASS"
# a port nothing listens on: any call made by mistake fails fast instead of reaching a site
NOWHERE = "http://127.0.0.1:9"


def cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    """`provisioner ARGS...` with `env` over a clean environment (no credentials of the
    caller's), stdin a pipe."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    return subprocess.run([sys.executable, "-m", "provisioner.cli", *map(str, args)],
                          env={**base, "NO_COLOR": "1", **(env or {})}, cwd=cwd, input="",
                          capture_output=True, text=True, timeout=60)


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, *expected: str) -> str:
    """The run exited `code` with no traceback, every `expected` text in its one error line,
    and no secret anywhere in its output; that line."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output
    for secret in (KEY, SECRET, "emu_"):
        assert secret not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


# --- 1. credentials that cannot go in an HTTP header ----------------------------------------


@pytest.mark.parametrize(("variable", "env", "shown"), [
    ("WIX_API_KEY", {"WIX_API_KEY": f"{KEY[:8]}\u200b{KEY[8:]}", "WIX_SITE_ID": SITE},
     "U+200B zero width space at position 9"),
    ("WIX_API_KEY", {"WIX_API_KEY": f"{KEY}\nx", "WIX_SITE_ID": SITE},
     f"U+000A at position {len(KEY) + 1}"),
    ("WIX_SITE_ID", {"WIX_API_KEY": KEY, "WIX_SITE_ID": "sité"},
     "U+00E9 latin small letter e with acute at position 4"),
])
def test_a_credential_that_cannot_be_a_header_is_refused_in_one_line(server, api, variable,
                                                                     env, shown):
    mark = log_mark(api)
    result = cli("plan", DEVCON, "--target", server.base_url, "--debug", env=env)
    line = assert_one_line(result, 1, f"{variable} contains a character that cannot be sent "
                                      "in an HTTP header", shown)
    assert "sité" not in line
    assert requests_after(api, mark) == []  # refused before any call


def test_a_wix_target_checks_its_credentials_too():
    result = cli("plan", DEVCON, "--target", "wix",
                 env={"WIX_API_KEY": f"{KEY}\u200b", "WIX_SITE_ID": SITE})
    assert_one_line(result, 1, "WIX_API_KEY contains", "U+200B")


def test_a_client_made_by_hand_refuses_an_unsendable_key():
    with pytest.raises(ProvisionerError, match="the API key contains") as refused:
        WixClient(Target("url", NOWHERE, f"{KEY}\nx", SITE))
    assert KEY not in str(refused.value)


# --- 2. credentials in a target URL -----------------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("target", [f"http://user:{SECRET}@127.0.0.1:9",
                                    f"http://127.0.0.1:9/?api_key={SECRET}"])
def test_a_target_url_with_credentials_is_refused(command, target):
    result = cli(command, DEVCON, "--target", target, env={"WIX_API_KEY": KEY,
                                                           "WIX_SITE_ID": SITE})
    assert_one_line(result, 2, "--target carries credentials", "WIX_API_KEY")


def test_an_api_url_with_credentials_is_refused_as_an_environment_error():
    result = cli("plan", DEVCON, env={"WIX_API_KEY": KEY, "WIX_SITE_ID": SITE,
                                      "WIX_API_URL": f"https://me:{SECRET}@www.wixapis.com"})
    assert_one_line(result, 1, "WIX_API_URL carries credentials")


def test_redact_blanks_every_kind_of_secret():
    text = (f"Illegal header value b'{KEY}\\nx' to http://me:{SECRET}@h/p?apiKey={SECRET}"
            f"&limit=5&access_token={SECRET} ({KEY + chr(10) + 'x'!r})")
    shown = redact(text, f"{KEY}\nx")
    assert SECRET not in shown and KEY not in shown
    assert "http://***@h/p?apiKey=***&limit=5&access_token=***" in shown


def test_local_errors_are_not_retried_and_transport_errors_are_redacted():
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/local":
            raise httpx.LocalProtocolError(f"Illegal header value b'{KEY}'")
        raise httpx.ConnectError(f"failed http://u:{SECRET}@h/?token={SECRET} {KEY}")

    async def no_wait(_: float) -> None:
        return None

    async def both() -> tuple[WixClient, list[ProvisionerError]]:
        errors = []
        async with WixClient(Target("url", NOWHERE, KEY, SITE), retry=RetryPolicy(attempts=2),
                             transport=httpx.MockTransport(refuse), sleep=no_wait) as client:
            for method, path in (("POST", "/local"), ("GET", "/remote")):
                try:
                    await client.request(method, path, json={})
                except ProvisionerError as error:
                    errors.append(error)
        return client, errors

    client, (local, remote) = asyncio.run(both())
    assert "cannot send the request" in str(local) and "cannot connect" in str(remote)
    assert client.calls == {"POST /local": 1, "GET /remote": 2}
    for error in (local, remote):
        assert KEY not in str(error) and SECRET not in str(error)


# --- 3. specs that are not regular files --------------------------------------------------------


def test_a_device_is_refused_without_reading_it():
    result = cli("validate", "/dev/zero")
    assert result.returncode == 1, result.stderr
    assert "/dev/zero: not a regular file" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    result = cli("validate", fifo)
    assert result.returncode == 1, result.stderr
    assert f"{fifo}: not a regular file" in result.stdout + result.stderr


def test_a_file_over_the_cap_is_refused_by_its_size(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    result = cli("validate", big)
    assert result.returncode == 1
    assert (f"{big}: is {MAX_FILE_BYTES + 1:,} bytes; a spec file may be at most "
            f"{MAX_FILE_BYTES:,}") in result.stdout + result.stderr


# --- 4. bad usage exits 2 ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "apply", "destroy"])
def test_a_malformed_target_is_bad_usage(command):
    result = cli(command, DEVCON, "--target", "foo", env={"WIX_API_KEY": KEY,
                                                          "WIX_SITE_ID": SITE})
    assert_one_line(result, 2, "--target must be `local`, `wix` or an http(s) URL", "'foo'")


@pytest.mark.parametrize("command", ["apply", "destroy"])
def test_a_plan_file_mixed_with_spec_files_is_bad_usage(tmp_path, command):
    planned = tmp_path / "plan.json"
    planned.write_text('{"format_version": 1}\n')
    result = cli(command, planned, DEVCON, "--target", "local", cwd=tmp_path)
    assert_one_line(result, 2, "give either one saved plan file (.json) or spec files, "
                               "not both")
    assert "format_version" not in result.stderr


# --- 5. owner-only files ------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saved_plans_and_the_sandbox_are_owner_only(tmp_path):
    # left readable by an older version: tightened, not only created right
    folder = tmp_path / ".provisioner"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    for stale in (tmp_path / "plan.json", folder / "sandbox.sqlite3.lock"):
        stale.write_text("")
        stale.chmod(0o644)
    planned = tmp_path / "plan.json"
    made = cli("plan", DEVCON, "--target", "local", "--out", planned, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert mode(planned) == 0o600
    assert mode(folder) == 0o700
    assert mode(folder / "sandbox.sqlite3") == 0o600
    applied = cli("apply", planned, "--target", "local", "--auto-approve", cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert mode(folder / "sandbox.sqlite3.lock") == 0o600
    for file in folder.iterdir():
        assert mode(file) == 0o600, file
