"""Webhooks: registered loopback receivers get every committed change as Wix's envelope, a JWT
signed RS256 with the key `GET /_emulator/webhooks/public-key` serves; retries keep the id;
slow or dead receivers never slow or fail the API. Each test serves its own emulator and
receivers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest

from provisioner.emulator import control, create_app
from provisioner.emulator.errors import BadRequest
from provisioner.emulator.scope import Notice
from provisioner.emulator.webhooks import (
    CONTROL_ENDPOINTS,
    PREFIX,
    RetryPolicy,
    WebhookHub,
    install,
)

from ..conftest import running
from .helpers import assert_error, event_body

FAST = RetryPolicy(attempts=5, first_delay=0.02, max_delay=0.2, timeout=1.0)
EVENTS = "/events/v3/events"
TD = "/events/v3/ticket-definitions"
POLICIES = "/events/v2/policies"


# --- a receiver ---------------------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every POST body; it can answer 500 to the first
    `fail_first` posts and take `delay` seconds per post."""

    def __init__(self, fail_first: int = 0, delay: float = 0.0, status: int = 200) -> None:
        self.fail_first, self.delay, self.status = fail_first, delay, status
        self.posts: list[tuple[str, str, int]] = []  # (content type, body, status answered)
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                time.sleep(receiver.delay)
                with receiver._lock:
                    failing = len(receiver.posts) < receiver.fail_first
                    status = 500 if failing else receiver.status
                    receiver.posts.append((self.headers.get("Content-Type", ""), body, status))
                    receiver._lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10) -> list[str]:
        """The bodies of the first `count` posts answered 2xx, waiting for them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.accepted()) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.accepted())} of {count} webhooks arrived"
                self._lock.wait(left)
            return self.accepted()

    def accepted(self) -> list[str]:
        return [body for _, body, status in self.posts if 200 <= status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver(**behaviour: Any) -> Iterator[Receiver]:
    served = Receiver(**behaviour)
    try:
        yield served
    finally:
        served.close()


def unreachable_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


# --- an emulator with webhooks -----------------------------------------------------------------


@dataclass
class Emulator:
    api: httpx.Client
    control: httpx.Client
    hub: WebhookHub
    site: str

    def public_key(self) -> str:
        answer = self.control.get(f"{PREFIX}/public-key")
        assert answer.status_code == 200, answer.text
        assert answer.json()["algorithm"] == "RS256"
        return answer.json()["publicKey"]

    def deliveries(self) -> list[dict[str, Any]]:
        answer = self.control.get(PREFIX)
        assert answer.status_code == 200, answer.text
        return answer.json()["deliveries"]

    def settled(self, url: str | None = None, timeout: float = 10) -> list[dict[str, Any]]:
        """The delivery log (to `url`, or all) once none of it is pending."""
        deadline = time.monotonic() + timeout
        while True:
            log = [d for d in self.deliveries() if url is None or d["url"] == url]
            if all(d["state"] != "pending" for d in log):
                return log
            assert time.monotonic() < deadline, f"still pending: {log}"
            time.sleep(0.02)


@contextmanager
def emulator(*urls: str, retry: RetryPolicy = FAST) -> Iterator[Emulator]:
    """A fresh emulator whose webhooks go to `urls`, with an API client for one site."""
    key, site = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    app = create_app(credentials=[(key, site)])
    state = app.state.emulator
    hub = install(state, urls)
    hub.retry = retry
    if not any(getattr(route, "path", None) == PREFIX for route in app.router.routes):
        # until create_app installs webhooks itself
        app.router.routes[:0] = [control.control_route(endpoint, state)
                                 for endpoint in CONTROL_ENDPOINTS]
    try:
        with running(app) as base_url:
            headers = {"Authorization": key, "wix-site-id": site}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api, \
                    httpx.Client(base_url=base_url, timeout=30) as ctl:
                yield Emulator(api, ctl, hub, site)
    finally:
        hub.close()


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def decode(token: str, public_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(middle envelope, inner data) of a webhook, after checking its RS256 signature."""
    claims = jwt.decode(token, public_key, algorithms=["RS256"], issuer="wix.com",
                        options={"require": ["iat", "exp", "iss", "data"]})
    assert isinstance(claims["data"], str)
    middle = json.loads(claims["data"])
    assert isinstance(middle["data"], str)
    return middle, json.loads(middle["data"])


def event_of(body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": body or event_body(), "draft": True}


# --- the envelope ------------------------------------------------------------------------------


def test_every_change_arrives_once_signed_and_in_the_documented_envelope() -> None:
    with receiver() as hooks, emulator(hooks.url) as emu:
        event = ok(emu.api.post(EVENTS, json=event_of()))["event"]
        updated_event = ok(emu.api.patch(f"{EVENTS}/{event['id']}",
                                         json={"event": {"title": "Renamed"}}))["event"]
        ok(emu.api.post(f"{EVENTS}/{event['id']}/publish"))
        definition = ok(emu.api.post(TD, json={"ticketDefinition": {
            "eventId": event["id"], "name": "GA",
            "pricingMethod": {"fixedPrice": {"value": "10", "currency": "USD"}},
            "feeType": "FEE_INCLUDED"}}))["ticketDefinition"]
        ok(emu.api.patch(f"{TD}/{definition['id']}", json={"ticketDefinition": {
            "id": definition["id"], "revision": definition["revision"], "name": "VIP"}}))
        ok(emu.api.delete(f"{TD}/{definition['id']}"))
        policy = ok(emu.api.post(POLICIES, json={"policy": {
            "eventId": event["id"], "name": "Refunds", "body": "None."}}))["policy"]
        updated_policy = ok(emu.api.patch(f"{POLICIES}/{policy['id']}", json={"policy": {
            **policy, "body": "Within 7 days."}}))["policy"]
        ok(emu.api.delete(f"{POLICIES}/{policy['id']}"))
        ok(emu.api.delete(f"{EVENTS}/{event['id']}"))

        expected = {f"wix.events.v3.event_{a}": 1
                    for a in ("created", "updated", "published", "deleted")}
        expected |= {f"wix.events.v3.ticket_definition_{a}": 1
                     for a in ("created", "updated", "deleted")}
        expected |= {f"wix.events.v2.policy_{a}": 1 for a in ("created", "updated", "deleted")}
        tokens = hooks.wait_for(sum(expected.values()))
        public_key = emu.public_key()
        decoded = [decode(token, public_key) for token in tokens]
        time.sleep(0.2)  # nothing more comes
        assert len(hooks.posts) == len(tokens)
        assert {content_type for content_type, _, _ in hooks.posts} == {"text/plain"}

    assert Counter(middle["eventType"] for middle, _ in decoded) == expected
    inner_ids = [inner["id"] for _, inner in decoded]
    assert len(set(inner_ids)) == len(inner_ids)
    by_type = {middle["eventType"]: (middle, inner) for middle, inner in decoded}
    for middle, inner in decoded:
        assert middle["instanceId"] == event["instanceId"]
        assert middle["accountInfo"]["siteId"] == emu.site
        assert json.loads(middle["identity"])["identityType"] == "APP"
        assert uuid.UUID(inner["id"])
        assert inner["triggeredByAnonymizeRequest"] is False
        assert inner["eventTime"].endswith("Z")
        assert middle["eventType"] == f"{inner['entityFqdn']}_{inner['slug']}"

    _, created = by_type["wix.events.v3.event_created"]
    assert created["entityFqdn"] == "wix.events.v3.event"
    assert (created["slug"], created["entityId"]) == ("created", event["id"])
    entity = created["createdEvent"]["entity"]
    assert json.loads(created["createdEvent"]["entityAsJson"]) == entity
    assert entity["title"] == event["title"] and "registration" in entity  # every fieldset
    _, changed = by_type["wix.events.v3.event_updated"]
    assert changed["updatedEvent"]["currentEntity"]["title"] == updated_event["title"] \
        == "Renamed"
    _, published = by_type["wix.events.v3.event_published"]
    body = published["actionEvent"]["body"]
    assert body["eventId"] == event["id"] and body["status"] == "UPCOMING"
    assert json.loads(published["actionEvent"]["bodyAsJson"]) == body
    _, gone = by_type["wix.events.v3.event_deleted"]
    assert gone["deletedEvent"]["deletedEntity"]["id"] == event["id"]

    _, td_created = by_type["wix.events.v3.ticket_definition_created"]
    assert td_created["entityFqdn"] == "wix.events.v3.ticket_definition"
    assert td_created["createdEvent"]["entity"]["revision"] == "1"
    _, td_updated = by_type["wix.events.v3.ticket_definition_updated"]
    assert td_updated["updatedEvent"]["currentEntity"]["name"] == "VIP"
    assert td_updated["updatedEvent"]["currentEntity"]["revision"] == "2"
    _, td_deleted = by_type["wix.events.v3.ticket_definition_deleted"]
    assert td_deleted["entityId"] == definition["id"]

    _, p_created = by_type["wix.events.v2.policy_created"]
    assert p_created["entityFqdn"] == "wix.events.v2.policy"
    assert p_created["createdEvent"]["entity"] == policy  # the entity as the API returned it
    _, p_updated = by_type["wix.events.v2.policy_updated"]
    assert p_updated["updatedEvent"]["currentEntity"] == updated_policy
    _, p_deleted = by_type["wix.events.v2.policy_deleted"]
    assert p_deleted["deletedEvent"]["deletedEntity"] == updated_policy


def test_a_bulk_call_sends_one_webhook_per_entity() -> None:
    with receiver() as hooks, emulator(hooks.url) as emu:
        ids = [ok(emu.api.post(EVENTS, json=event_of(event_body(f"E{n}"))))["event"]["id"]
               for n in range(3)]
        ok(emu.api.post("/events/v3/bulk/events/delete-by-filter",
                        json={"filter": {"filter": {"id": {"$in": ids}}}}))
        tokens = hooks.wait_for(6)
        public_key = emu.public_key()
    deleted = [inner["entityId"] for middle, inner in (decode(t, public_key) for t in tokens)
               if middle["eventType"] == "wix.events.v3.event_deleted"]
    assert sorted(deleted) == sorted(ids)


def test_a_token_signed_with_another_key_does_not_verify() -> None:
    with receiver() as hooks, emulator(hooks.url) as emu:
        ok(emu.api.post(EVENTS, json=event_of()))
        [token] = hooks.wait_for(1)
    with emulator() as other, pytest.raises(jwt.InvalidSignatureError):
        decode(token, other.public_key())


def test_a_notice_from_elsewhere_is_delivered_generically() -> None:
    """A Notice whose event type is not `<fqdn>_<action>` (e.g. Order Confirmed) is a legacy
    event: the plain payload, with the de-duplication id in the middle envelope."""
    with receiver() as hooks, emulator(hooks.url) as emu:
        order = {"orderNumber": "AB12-CD34-EF", "eventId": str(uuid.uuid4()), "status": "PAID"}
        emu.hub.listener([Notice(emu.site, "wix.events.ticketing.events.OrderConfirmed",
                                 "wix.events.ticketing.order", "order_confirmed",
                                 "AB12-CD34-EF", order)])
        [token] = hooks.wait_for(1)
        middle, inner = decode(token, emu.public_key())
    assert middle["eventType"] == "wix.events.ticketing.events.OrderConfirmed"
    assert inner == order
    assert uuid.UUID(middle["id"])


def test_the_entity_fqdn_spelling_can_be_chosen() -> None:
    with receiver() as hooks, emulator() as emu:
        emu.hub.entity_fqdns["wix.events.v3.event"] = "wix.events.events.v3.event"
        emu.hub.register(hooks.url)
        ok(emu.api.post(EVENTS, json=event_of()))
        [token] = hooks.wait_for(1)
        middle, inner = decode(token, emu.public_key())
    assert inner["entityFqdn"] == "wix.events.events.v3.event"
    assert middle["eventType"] == "wix.events.v3.event_created"


# --- retries -----------------------------------------------------------------------------------


def test_a_failing_receiver_gets_the_same_id_again_until_it_accepts() -> None:
    with receiver(fail_first=2) as hooks, emulator(hooks.url) as emu:
        ok(emu.api.post(EVENTS, json=event_of()))
        [accepted] = hooks.wait_for(1)
        [delivery] = emu.settled()
        public_key = emu.public_key()
    assert [status for _, _, status in hooks.posts] == [500, 500, 200]
    ids = {decode(body, public_key)[1]["id"] for _, body, _ in hooks.posts}
    assert ids == {delivery["id"]}
    assert {body for _, body, _ in hooks.posts} == {accepted}  # the very same token
    assert (delivery["attempts"], delivery["lastStatus"], delivery["delivered"]) == (3, 200, True)
    assert delivery["state"] == "delivered"
    assert delivery["eventType"] == "wix.events.v3.event_created"


def test_retries_stop_after_the_last_attempt() -> None:
    with receiver(status=503) as hooks, emulator(hooks.url) as emu:
        ok(emu.api.post(EVENTS, json=event_of()))
        [delivery] = emu.settled()
    assert len(hooks.posts) == FAST.attempts
    assert (delivery["state"], delivery["delivered"], delivery["lastStatus"]) == (
        "failed", False, 503)


def test_backoff_doubles_with_jitter() -> None:
    policy = RetryPolicy(first_delay=0.2, max_delay=1.0)
    assert [policy.delay_after(n, lambda: 0.5) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.0]
    assert policy.delay_after(1, lambda: 0.0) == pytest.approx(0.1)
    assert policy.delay_after(1, lambda: 0.999) == pytest.approx(0.2998)


# --- never slows or fails the API --------------------------------------------------------------


def test_slow_and_dead_receivers_never_slow_or_fail_the_api() -> None:
    dead = unreachable_url()
    with receiver(delay=3) as slow, receiver() as fast, \
            emulator(slow.url, dead, fast.url) as emu:
        timings = []
        event_id = None
        for n in range(6):
            started = time.monotonic()
            if event_id is None:
                event_id = ok(emu.api.post(EVENTS, json=event_of()))["event"]["id"]
            else:
                ok(emu.api.patch(f"{EVENTS}/{event_id}", json={"event": {"title": f"T{n}"}}))
            timings.append(time.monotonic() - started)
        assert max(timings) < 0.5, timings
        pending = [d for d in emu.deliveries() if d["state"] == "pending"]
        assert {d["url"] for d in pending} >= {slow.url}
        fast.wait_for(6, timeout=3)  # the slow and dead receivers delay only themselves
        dead_log = emu.settled(dead)
    assert len(dead_log) == 6
    assert all(d["state"] == "failed" and d["lastStatus"] is None and d["lastError"]
               for d in dead_log)


# --- the control API ---------------------------------------------------------------------------


def test_receivers_are_registered_and_forgotten_through_the_control_api() -> None:
    with receiver() as hooks, emulator() as emu:
        assert ok(emu.control.get(PREFIX)) == {"urls": [], "deliveries": []}
        ok(emu.api.post(EVENTS, json=event_of()))  # no receiver: nothing queued
        assert ok(emu.control.post(PREFIX, json={"url": hooks.url})) == {"urls": [hooks.url]}
        ok(emu.control.post(PREFIX, json={"url": hooks.url}))  # registering twice is once
        event = ok(emu.api.post(EVENTS, json=event_of()))["event"]
        [token] = hooks.wait_for(1)
        assert decode(token, emu.public_key())[1]["entityId"] == event["id"]
        [delivery] = emu.settled()
        assert delivery["url"] == hooks.url
        forget = {"params": {"url": hooks.url}, "json": {}}
        assert ok(emu.control.request("DELETE", PREFIX, **forget)) == {
            "urls": [], "removed": True}
        assert ok(emu.control.request("DELETE", PREFIX, **forget))["removed"] is False
        ok(emu.api.post(EVENTS, json=event_of()))
        time.sleep(0.2)
        assert len(hooks.posts) == 1
        ok(emu.control.post("/_emulator/reset", json={}))
        assert ok(emu.control.get(PREFIX))["deliveries"] == []


REMOTE_OR_MALFORMED = [
    "http://example.com/hook",
    "http://10.0.0.1:8080/hook",
    "http://127.0.0.1@evil.example/hook",
    "https://[2001:db8::1]/hook",
    "http://127.0.0.1:99999/hook",
    "ftp://127.0.0.1/hook",
    "127.0.0.1:8080/hook",
    "",
]
LOOPBACK = ["http://localhost:9/x", "http://[::1]:9/x", "https://127.0.0.1/x"]


def test_only_loopback_receivers_are_accepted() -> None:
    with emulator() as emu:
        for url in REMOTE_OR_MALFORMED:
            assert_error(emu.control.post(PREFIX, json={"url": url}), 400, "INVALID_ARGUMENT")
        assert_error(emu.control.post(PREFIX, json={}), 400, "INVALID_ARGUMENT")
        assert ok(emu.control.get(PREFIX))["urls"] == []
        for url in LOOPBACK:
            ok(emu.control.post(PREFIX, json={"url": url}))
        assert ok(emu.control.get(PREFIX))["urls"] == LOOPBACK


def test_install_refuses_a_remote_url_at_start() -> None:
    app = create_app()
    with pytest.raises(BadRequest, match="not on this machine"):
        install(app.state.emulator, ["http://example.com/hook"])


def test_a_refused_request_sends_nothing() -> None:
    with receiver() as hooks, emulator(hooks.url) as emu:
        event = ok(emu.api.post(EVENTS, json=event_of()))["event"]
        hooks.wait_for(1)
        assert_error(emu.api.post(POLICIES, json={"policy": {"eventId": event["id"]}}), 400)
        assert_error(emu.api.patch(f"{EVENTS}/{uuid.uuid4()}",
                                   json={"event": {"title": "x"}}), 404)
        assert_error(emu.api.delete(f"{TD}/{uuid.uuid4()}"), 404)
        ok(emu.api.post(f"{EVENTS}/{event['id']}/publish"))
        assert_error(emu.api.post(f"{EVENTS}/{event['id']}/publish"), 428)
        hooks.wait_for(2)
        time.sleep(0.2)
        public_key = emu.public_key()
        types = [decode(body, public_key)[0]["eventType"] for _, body, _ in hooks.posts]
    assert types == ["wix.events.v3.event_created", "wix.events.v3.event_published"]


def test_a_sale_sends_order_confirmed_end_to_end() -> None:
    """An order placed through the sales control reaches receivers as Order Confirmed."""
    from provisioner.emulator.sales import ORDER_CONFIRMED_EVENT

    with receiver() as hooks, emulator(hooks.url) as emu:
        event = ok(emu.api.post(EVENTS, json={
            "event": event_body(registration={"initialType": "TICKETING",
                                              "tickets": {"currency": "USD"}})}))["event"]
        definition = ok(emu.api.post(TD, json={"ticketDefinition": {
            "eventId": event["id"], "name": "GA", "feeType": "FEE_INCLUDED",
            "pricingMethod": {"fixedPrice": {"value": "25.00", "currency": "USD"}}}}))
        order = ok(emu.api.post("/_emulator/sales/orders", json={
            "ticketDefinitionId": definition["ticketDefinition"]["id"], "quantity": 2}))["order"]
        emu.settled()
        key = emu.public_key()
        kinds = Counter()
        confirmed = []
        for token in hooks.accepted():
            middle, inner = decode(token, key)
            kinds[middle["eventType"]] += 1
            if middle["eventType"] == ORDER_CONFIRMED_EVENT:
                confirmed.append(inner)
        assert kinds[ORDER_CONFIRMED_EVENT] == 1, kinds
        assert confirmed[0]["orderNumber"] == order["orderNumber"]
        assert confirmed[0]["eventId"] == event["id"]
