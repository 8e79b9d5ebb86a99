"""`provisioner watch` as a real subprocess, receiving real webhooks from an emulator over
HTTP (signed RS256 by the emulator, verified with the key it serves): an out-of-band policy
edit is a drift notice within seconds, and with --reconcile the site is back to the spec; a
sale prints the counter (and `status --json` agrees); forged, tampered and expired tokens are
refused (401) and change nothing; a retried delivery is reported once; a sale start a few
seconds ahead is announced; --exec receives each notice's JSON; Ctrl-C stops it cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from provisioner.emulator import create_app
from provisioner.emulator.webhooks import RetryPolicy
from tests.conftest import running
from tests.gala import REFUNDS, STANDARD, gala

SPEC = gala(STANDARD, REFUNDS)
WAIT = 15.0  # seconds a notice may take on a loaded machine (it takes well under one)


@dataclass
class Site:
    base_url: str
    key: str
    site: str
    app: Any

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30,
                            headers={"Authorization": self.key, "wix-site-id": self.site})

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("WIX_", "PROVISIONER_")) or k == "PROVISIONER_NOW"}
        return {**clean, "WIX_API_KEY": self.key, "WIX_SITE_ID": self.site, "NO_COLOR": "1"}

    def cli(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "provisioner", *map(str, args),
                               "--target", self.base_url], env=self.env(), input="",
                              capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def private_key(self) -> rsa.RSAPrivateKey:
        return self.app.state.emulator.extensions["webhooks"]._key()  # type: ignore[no-any-return]

    def policy(self) -> dict[str, Any]:
        with self.api() as api:
            return dict(api.post("/events/v2/policies/query",
                                 json={"query": {}}).json()["policies"][0])

    def edit_policy(self, body: str) -> None:
        policy = self.policy()
        with self.api() as api:
            answer = api.patch(f"/events/v2/policies/{policy['id']}", json={"policy": {
                "id": policy["id"], "eventId": policy["eventId"], "name": policy["name"],
                "revision": policy["revision"], "body": body}})
            assert answer.status_code == 200, answer.text

    def sell(self, quantity: int) -> None:
        with self.api() as api:
            definition = api.post("/events/v3/ticket-definitions/query",
                                  json={"query": {}}).json()["ticketDefinitions"][0]
            answer = api.post("/_emulator/sales/orders", json={
                "ticketDefinitionId": definition["id"], "quantity": quantity})
            assert answer.status_code == 200, answer.text


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """An emulator of its own (webhooks retried fast), holding the spec, applied."""
    key, site_id = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    app = create_app(credentials=[(key, site_id)])
    hub = app.state.emulator.extensions["webhooks"]
    hub.retry = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.2, timeout=1.0)
    with running(app) as base_url:
        made = Site(base_url, key, site_id, app)
        (tmp_path / "gala.yaml").write_text(SPEC)
        applied = made.cli("apply", tmp_path / "gala.yaml", "--auto-approve")
        assert applied.returncode == 0, applied.stderr
        yield made
    hub.close()


class Watch:
    """A running `provisioner watch`, its output lines read as they come."""

    def __init__(self, site: Site, spec: Path, *args: str,
                 env: dict[str, str] | None = None) -> None:
        self.site = site
        self.process = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "watch", str(spec), "--target",
             site.base_url, "--listen", "127.0.0.1:0", "--public-key-url",
             f"{site.base_url}/_emulator/webhooks/public-key", *args],
            env={**site.env(), **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self._error),
                         daemon=True).start()
        self.seen: list[str] = []
        listening = self.wait_for("listening for webhooks on ")
        self.url = listening.split("listening for webhooks on ", 1)[1].split(" ", 1)[0]
        with site.api() as api:  # the emulator delivers its webhooks here from now on
            answer = api.post("/_emulator/webhooks", json={"url": f"{self.url}/hooks"})
            assert answer.status_code in (200, 201), answer.text

    def _error(self, line: str) -> None:
        self.errors.append(line)
        if "listening for webhooks on " in line:  # on stderr with --json
            self.lines.put(line)

    @staticmethod
    def _pump(stream: Any, put: Any) -> None:
        for line in stream:
            put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                assert self.process.poll() is None, (self.seen, self.errors)
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout} s: {self.seen} "
                             f"(stderr: {self.errors})")

    def quiet_for(self, seconds: float) -> list[str]:
        """The lines printed in the next `seconds`."""
        deadline, got = time.monotonic() + seconds, []
        while time.monotonic() < deadline:
            try:
                got.append(self.lines.get(timeout=0.05))
            except queue.Empty:
                continue
        self.seen += got
        return got

    def post(self, body: bytes) -> httpx.Response:
        return httpx.post(f"{self.url}/hooks", content=body, timeout=10)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=20)
        time.sleep(0.1)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return code, "\n".join(self.seen + rest)


@contextmanager
def watching(site: Site, spec: Path, *args: str,
             env: dict[str, str] | None = None) -> Iterator[Watch]:
    watch = Watch(site, spec, *args, env=env)
    try:
        yield watch
    finally:
        if watch.process.poll() is None:
            watch.process.kill()
            watch.process.wait(timeout=10)


def token(site: Site, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None) -> bytes:
    now = int(time.time())
    made = {"iss": "wix.com", "iat": now, "exp": now + 60, **claims}
    return jwt.encode(made, key or site.private_key(), algorithm="RS256").encode()


def order_claims(site: Site, event_id: str, ticket_id: str, ident: str) -> dict[str, Any]:
    middle = {"eventType": "wix.events.ticketing.events.OrderConfirmed", "id": ident,
              "instanceId": "i", "accountInfo": {"siteId": site.site},
              "data": json.dumps({"orderNumber": ident, "eventId": event_id,
                                  "invoice": {"items": [{"id": ticket_id, "quantity": 1}]}})}
    return {"data": json.dumps(middle)}


def test_drift_is_told_and_reconciled(site: Site, tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    with watching(site, spec, "--reconcile") as watch:
        assert "in line: summer-gala: the site matches the spec" in watch.seen[1]
        started = time.monotonic()
        site.edit_policy("No refunds, ever.")
        drift = watch.wait_for("drift: ")
        assert drift == 'drift: summer-gala: ~ policy "Refunds": body changed outside the spec'
        assert time.monotonic() - started < 5  # within seconds
        assert watch.wait_for("reconciled: ") == "reconciled: summer-gala: 1 applied"
        watch.wait_for("in line: summer-gala: the site matches the spec again")
        assert site.policy()["body"] == "Refunds up to 30 days before the gala."
        code, _ = watch.stop()
    assert code == 0
    assert site.cli("plan", spec, "--detailed-exitcode").returncode == 0


def test_without_reconcile_drift_is_only_told(site: Site, tmp_path: Path) -> None:
    with watching(site, tmp_path / "gala.yaml", "--json") as watch:
        site.edit_policy("Changed.")
        notice = json.loads(watch.wait_for('"type": "drift"'))
        assert notice["event"] == "summer-gala" and notice["fields"] == ["body"]
        assert notice["address"] == "event[summer-gala].policy[Refunds]"
        assert not [line for line in watch.quiet_for(1.5) if "reconciled" in line]
    assert site.policy()["body"] == "Changed."


def test_a_sale_prints_the_counter_and_status_agrees(site: Site, tmp_path: Path) -> None:
    exec_log = tmp_path / "notices.jsonl"
    spec = tmp_path / "gala.yaml"
    with watching(site, spec, "--exec", f"cat >> {exec_log}") as watch:
        site.sell(13)
        assert watch.wait_for("sold") == "summer-gala · Standard: 13 sold, 87 left"
        site.sell(2)
        assert watch.wait_for("15 sold") == "summer-gala · Standard: 15 sold, 85 left"
        watch.stop()
    status = json.loads(site.cli("status", spec, "--json").stdout)
    standard = status["events"][0]["tickets"][0]
    assert (standard["sold"], standard["unsold"]) == (15, 85)
    # --exec received every notice's JSON, one line each
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and exec_log.read_text().count("\n") < 3:
        time.sleep(0.05)
    received = [json.loads(line) for line in exec_log.read_text().splitlines()]
    assert [n["type"] for n in received] == ["in_line", "counter", "counter"]
    assert received[2]["sold"] == 15 and received[2]["ticket"] == "Standard"


def test_forged_tampered_and_expired_tokens_are_refused(site: Site, tmp_path: Path) -> None:
    with site.api() as api:
        event = api.post("/events/v3/events/query", json={
            "query": {"paging": {"limit": 10}}}).json()["events"][0]
        ticket = api.post("/events/v3/ticket-definitions/query",
                          json={"query": {}}).json()["ticketDefinitions"][0]
    claims = order_claims(site, event["id"], ticket["id"], "order-1")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with watching(site, tmp_path / "gala.yaml") as watch:
        forged = watch.post(token(site, claims, other))
        head, _, signature = token(site, claims).decode().split(".")
        tampered_body = jwt.encode({"iss": "wix.com", "exp": int(time.time()) + 60, **claims},
                                   other, algorithm="RS256").split(".")[1]
        tampered = watch.post(f"{head}.{tampered_body}.{signature}".encode())
        expired = watch.post(token(site, {**claims, "iat": int(time.time()) - 7200,
                                          "exp": int(time.time()) - 3600}))
        garbage = watch.post(b"hello")
        assert [r.status_code for r in (forged, tampered, expired, garbage)] == [401] * 4
        assert expired.json() == {"error": "the token has expired"}
        assert forged.json() == {"error": "the signature does not match the public key"}
        assert watch.quiet_for(1.0) == []  # nothing acted on
        code, _ = watch.stop()
    assert code == 0
    assert sum("refused a webhook" in line for line in watch.errors) == 4


def test_a_retried_delivery_is_reported_once(site: Site, tmp_path: Path) -> None:
    with site.api() as api:
        event = api.post("/events/v3/events/query", json={
            "query": {"paging": {"limit": 10}}}).json()["events"][0]
        ticket = api.post("/events/v3/ticket-definitions/query",
                          json={"query": {}}).json()["ticketDefinitions"][0]
    delivery = token(site, order_claims(site, event["id"], ticket["id"], "order-7"))
    with watching(site, tmp_path / "gala.yaml") as watch:
        answers = [watch.post(delivery) for _ in range(3)]
        assert [a.json()["status"] for a in answers] == \
            ["accepted", "already handled", "already handled"]
        watch.wait_for("summer-gala · Standard: 0 sold, 100 left")
        assert not [line for line in watch.quiet_for(1.5) if "sold" in line]


def test_a_sale_start_a_few_seconds_ahead_is_announced(site: Site, tmp_path: Path) -> None:
    # Wix keeps sale periods to the minute: the sale starts at the next minute, and the
    # watch runs as of 3 s before it (PROVISIONER_NOW starts its clock there)
    start = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    spec = tmp_path / "soon.yaml"
    spec.write_text(SPEC.replace(
        '  - {name: Standard, pricingMethod: {fixedPrice: "25.00"}, initialLimit: 100}\n',
        '  - {name: Standard, pricingMethod: {fixedPrice: "25.00"}, initialLimit: 100}\n'
        '  - name: Flash\n    pricingMethod: {fixedPrice: "5.00"}\n'
        f'    salePeriod: {{startDate: "{start.isoformat().replace("+00:00", "Z")}", '
        'endDate: 2031-06-30T23:00}\n'))
    applied = site.cli("apply", spec, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    as_of = (start - timedelta(seconds=3)).isoformat().replace("+00:00", "Z")
    spawned = time.monotonic()  # the watcher's clock starts (at `as_of`) after this
    with watching(site, spec, env={"PROVISIONER_NOW": as_of}) as watch:
        line = watch.wait_for("sale: ")
        waited = time.monotonic() - spawned
        assert 2.9 <= waited < 3 + WAIT, waited  # at its time, 3 s on, and not before
        shown = start.astimezone(ZoneInfo("Europe/London"))
        assert line == (f"sale: summer-gala · Flash: on sale now (from "
                        f"{shown:%Y-%m-%d %H:%M} {shown.tzname()})")
        assert not [x for x in watch.quiet_for(1.0) if x.startswith("sale: ")]  # once


def test_usage_errors(tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(SPEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIX_", "PROVISIONER_"))
           or k == "PROVISIONER_NOW"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "provisioner", "watch", str(spec), *args],
                              env=env, input="", capture_output=True, text=True, timeout=60,
                              cwd=tmp_path)

    nothing = run()
    assert nothing.returncode == 2 and "--listen HOST:PORT" in nothing.stderr
    no_key = run("--listen", "127.0.0.1:0")
    assert no_key.returncode == 2 and "--public-key FILE or --public-key-url URL" in \
        no_key.stderr
    bad = run("--listen", "nowhere", "--public-key", str(spec))
    assert bad.returncode == 2 and "is not HOST:PORT" in bad.stderr
    not_a_key = run("--listen", "127.0.0.1:0", "--public-key", str(spec), "--target", "local")
    assert not_a_key.returncode == 1 and "is not a PEM public key" in not_a_key.stderr
    assert "Traceback" not in not_a_key.stderr


def test_reconcile_never_takes_a_risky_action_without_its_flag(site: Site,
                                                               tmp_path: Path) -> None:
    """A ticket definition made outside the spec, which has sold: reconciling would delete
    it, which needs --allow-delete-sold; without the flag nothing is applied."""
    with site.api() as api:
        event = api.post("/events/v3/events/query", json={
            "query": {"paging": {"limit": 10}}}).json()["events"][0]
    with watching(site, tmp_path / "gala.yaml", "--reconcile") as watch:
        with site.api() as api:
            made = api.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
                "eventId": event["id"], "name": "Side Door", "feeType": "FEE_INCLUDED",
                "pricingMethod": {"fixedPrice": {"value": "9.00", "currency": "GBP"}}}})
            assert made.status_code == 200, made.text
            sold = api.post("/_emulator/sales/orders", json={
                "ticketDefinitionId": made.json()["ticketDefinition"]["id"], "quantity": 1})
            assert sold.status_code == 200, sold.text
        drift = watch.wait_for('ticket definition "Side Door"')
        assert drift.startswith('drift: summer-gala: - ticket definition "Side Door"')
        refusal = watch.wait_for("reconcile: ")
        assert refusal.startswith("reconcile: summer-gala: not applied: ")
        assert "--allow-delete-sold" in refusal
    with site.api() as api:
        names = [d["name"] for d in api.post("/events/v3/ticket-definitions/query",
                                             json={"query": {}}).json()["ticketDefinitions"]]
    assert "Side Door" in names  # still there: nothing was applied


def test_poll_finds_drift_without_webhooks_and_sigterm_stops(site: Site,
                                                             tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "watch", str(tmp_path / "gala.yaml"),
         "--target", site.base_url, "--poll", "1"], env=site.env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=Watch._pump, args=(process.stdout, lines.put),
                         daemon=True).start()
        seen: list[str] = []

        def wait_for(text: str) -> str:
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                with contextlib.suppress(queue.Empty):
                    seen.append(lines.get(timeout=0.05))
                    if text in seen[-1]:
                        return seen[-1]
            raise AssertionError(f"no {text!r} in {seen}")

        wait_for("re-planning every 1 s")
        site.edit_policy("Polled.")  # no receiver registered: only the timer can see it
        assert wait_for("drift: ") == \
            'drift: summer-gala: ~ policy "Refunds": body changed outside the spec'
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert wait_for("Stopped watching.") == "Stopped watching."
    finally:
        if process.poll() is None:
            process.kill()
