"""The command line over HTTPS, as it talks to Wix: the emulator served with TLS on 127.0.0.1
under a certificate for `localhost`, trusted through SSL_CERT_FILE. `apply` makes DevCon and
`plan` then finds nothing to do, through the client's own transport and through httpx's
(PROVISIONER_TRANSPORT=httpx); a certificate nobody said to trust, and a transport name that
is not one, and an https:// URL for a server that speaks plain HTTP, are each refused in one
line, at once and with no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.emulator import create_app
from provisioner.emulator.store import Store
from tests.client.certificates import self_signed
from tests.conftest import Server, grant_new_site, running

ROOT = Path(__file__).resolve().parents[2]
DEVCON = ROOT / "examples" / "devcon2025.yaml"


@pytest.fixture(scope="module")
def https_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment for a fresh site on an HTTPS emulator, and its URL as `TARGET`."""
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = self_signed(folder, ("localhost", "127.0.0.1"))
    store = Store()
    with running(create_app(store=store), tls=(cert_file, key_file)) as base_url:
        key, site = grant_new_site(store)
        port = base_url.rsplit(":", 1)[1]
        env = {name: value for name, value in os.environ.items()
               if not name.upper().endswith("_PROXY") and name not in
               ("SSL_CERT_FILE", "SSL_CERT_DIR", "PROVISIONER_TRANSPORT")}
        yield {**env, "WIX_API_KEY": key, "WIX_SITE_ID": site, "NO_COLOR": "1",
               "SSL_CERT_FILE": str(cert_file), "TARGET": f"https://localhost:{port}"}


def cli(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner.cli", *map(str, args),
                           "--target", env["TARGET"]],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_apply_and_plan_over_https_with_either_transport(https_site: dict[str, str]) -> None:
    applied = cli(https_site, "apply", DEVCON, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Checked: a new plan finds no changes." in applied.stdout
    for transport in ("own", "httpx"):
        planned = cli({**https_site, "PROVISIONER_TRANSPORT": transport}, "plan", DEVCON)
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert "No changes" in planned.stdout, planned.stdout


@pytest.mark.parametrize("transport", ["own", "httpx"])
def test_a_certificate_nobody_trusts_is_named_as_such(https_site: dict[str, str],
                                                      transport: str) -> None:
    env = {**https_site, "PROVISIONER_TRANSPORT": transport}
    del env["SSL_CERT_FILE"]
    planned = cli(env, "plan", DEVCON)
    assert planned.returncode != 0
    assert "Traceback" not in planned.stderr
    message = planned.stdout + planned.stderr
    assert f"the TLS certificate of {https_site['TARGET']} is not trusted" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message and "SSL_CERT_FILE" in message
    assert "gave up after" not in message  # not tried again: it would fail the same way


def test_a_transport_that_is_not_one_is_refused(https_site: dict[str, str]) -> None:
    planned = cli({**https_site, "PROVISIONER_TRANSPORT": "curl"}, "plan", DEVCON)
    assert planned.returncode != 0 and "Traceback" not in planned.stderr
    assert "PROVISIONER_TRANSPORT='curl' is not a transport: use `own` (the default) or " \
        "`httpx`" in planned.stdout + planned.stderr


@pytest.mark.parametrize("transport", ["own", "httpx"])
def test_https_to_a_plain_http_server_says_to_use_http(server: Server, transport: str) -> None:
    key, site = server.new_site()
    plain = server.base_url.replace("http://", "https://", 1)
    env = {**os.environ, "WIX_API_KEY": key, "WIX_SITE_ID": site, "TARGET": plain,
           "PROVISIONER_TRANSPORT": transport}
    planned = cli(env, "plan", DEVCON)
    assert planned.returncode != 0 and "Traceback" not in planned.stderr
    message = planned.stdout + planned.stderr
    assert f"{plain} did not answer in TLS" in message, message
    assert f"use {server.base_url}" in message and "gave up after" not in message
