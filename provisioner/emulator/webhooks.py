"""Webhooks: every committed change (a `Notice`) is sent to the registered receiver URLs as
Wix's webhook, a JWT signed RS256 with the emulator's own key pair. Delivery runs in the
background, with retries and backoff, and never slows or fails the API call.

The envelope, from the outside in (events-and-ticket-definitions.md §4.2):

    POST body (text/plain): JWT, claims {"data": "<JSON string>", "iat", "exp", "iss": "wix.com"}
    data:  {"eventType", "instanceId", "data": "<JSON string>", "identity": "<JSON string>",
            "accountInfo": {"accountId", "siteId"}}
    inner: the DomainEvent {"id", "entityFqdn", "slug", "entityId", "eventTime",
           "triggeredByAnonymizeRequest": false, <createdEvent|updatedEvent|deletedEvent|
           actionEvent>}

`install(state, urls)` puts a `WebhookHub` in `state.extensions["webhooks"]` and makes it a
listener; `CONTROL_ENDPOINTS` read and change its URLs, show the delivery log and serve the
public key receivers verify with. The API modules name what they emit with the `WebhookTopic`s
below (`POLICY`, `TICKET_DEFINITION`, `EVENT`); any other Notice (e.g. sales' Order Confirmed)
is delivered the same way, its names taken from the Notice.

Decisions where the Wix notes are unsure or disagree:
- A Notice is a domain event when its event type is `<entityFqdn>_<action>` (all of Events V3,
  Ticket Definitions V3 and Policies V2). Its body member carries the entity both ways the
  notes give, as an object (`createdEvent.entity`, `updatedEvent.currentEntity`,
  `deletedEvent.deletedEntity`, `actionEvent.body`: what the current SDK reads) and as a JSON
  string (`entityAsJson`, `currentEntityAsJson`, `deletedEntityAsJson`, `bodyAsJson`: the
  proto and older examples). A deleted entity is sent as it stood before deletion (the SDK marks
  it optional); `modifiedFields`, `originatedFrom` and `entityEventSequence` are not sent.
- Any other Notice (e.g. `wix.events.ticketing.events.OrderConfirmed`) is a legacy event: the
  inner `data` is the entity itself, the plain payload Wix documents. Wix gives such payloads no
  id, so the emulator adds the de-duplication `id` to the middle envelope (an emulator addition).
- `entityFqdn` is the SDK spelling the Notice carries; `install(..., entity_fqdns={...})` maps
  it to another spelling (the doc examples show `wix.events.events.v3.event` and
  `wix.events.ticketdef.v3.ticket_definition`). The event type and the domain-event test use
  the Notice's own names.
- The JWT `data` claim is a JSON string (the SDK runtime parses it; one note shows an object).
  `iss` is "wix.com" (what the SDK verifier may check); no `aud`, as there is no app id.
  `iat` is real time, and the token is signed once per change and lives 1 hour, so every retry
  and every receiver get the same bytes.
- `identity` is `{"identityType": "APP", "appId": <the emulator's fixed app id>}`;
  `instanceId` is the site's instance id as Events show it; `accountId` is derived from the
  site. `eventTime` is the emulator's clock when the change committed.
- Retries (Wix's schedule is not documented): 5 attempts, the 2nd 0.2 s after the 1st, the
  delay doubling each time with ±50 % jitter; a receiver must answer 2xx within 1.25 s (Wix's
  documented limit), else the attempt failed. Redirects are not followed. Each URL has its
  own queue and two threads, so a slow or dead receiver delays only itself; a receiver may
  see changes out of order, as Wix warns it may.
- Only loopback receivers (localhost, 127.0.0.0/8, ::1) can be registered: the emulator never
  sends traffic elsewhere. Unregistering a URL stops its pending retries ("dropped").
- The RSA key (2048 bits) is made on first use, not when the hub is built, so an emulator
  without receivers never pays for it; it lives as long as the hub. `POST /_emulator/reset`
  clears the delivery log; registered URLs stay.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import BadRequest, NotFound
from .http import Ctx, EmulatorState, Endpoint, Notice
from .values import format_timestamp, stable_id, utc_now

log = logging.getLogger("provisioner.emulator.webhooks")

PREFIX = "/_emulator/webhooks"
ALGORITHM = "RS256"
ISSUER = "wix.com"
TOKEN_LIFETIME_SECONDS = 3600
KEY_BITS = 2048
WORKERS_PER_URL = 2
KEEP = 10_000  # deliveries kept in the log
EMULATOR_APP_ID = stable_id("app", "wix-events-emulator")
ENTITY_ACTIONS = {  # domain-event action -> (body member, object key, JSON-string key)
    "created": ("createdEvent", "entity", "entityAsJson"),
    "updated": ("updatedEvent", "currentEntity", "currentEntityAsJson"),
    "deleted": ("deletedEvent", "deletedEntity", "deletedEntityAsJson"),
}
ACTION_BODY = ("actionEvent", "body", "bodyAsJson")


# --- what the API modules emit -----------------------------------------------------------------


@dataclass(frozen=True)
class WebhookTopic:
    """One entity's webhooks: the event type is `<entity_fqdn>_<action>`
    (e.g. `wix.events.v2.policy_created`)."""

    entity_fqdn: str

    def event_type(self, action: str) -> str:
        return f"{self.entity_fqdn}_{action}"

    def announce(self, ctx: Ctx, action: str, entity_id: str, entity: dict[str, Any]) -> None:
        """Emit the `action` webhook (created, updated, deleted, published...) once the
        request commits."""
        ctx.notify(self.event_type(action), self.entity_fqdn, action, entity_id, entity)


POLICY = WebhookTopic("wix.events.v2.policy")
EVENT = WebhookTopic("wix.events.v3.event")
TICKET_DEFINITION = WebhookTopic("wix.events.v3.ticket_definition")


def is_domain_event(notice: Notice) -> bool:
    return notice.event == f"{notice.entity_fqdn}_{notice.action}"


# --- receivers ---------------------------------------------------------------------------------


def check_url(url: Any) -> str:
    """`url` if it is an http(s) URL on this machine (loopback); else a 400."""
    if not isinstance(url, str) or not url.strip():
        raise BadRequest("`url` must be an http:// URL on 127.0.0.1, localhost or [::1]")
    url = url.strip()
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises for a bad port
    except ValueError as exc:
        raise BadRequest(f"`url` {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise BadRequest(f"`url` {url!r} must be an http:// or https:// URL with a host")
    if not _is_loopback(host):
        raise BadRequest(f"`url` {url!r} is not on this machine: the emulator only sends "
                         "webhooks to 127.0.0.1, localhost or [::1]")
    return url


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay: float = 0.2  # seconds between the 1st and 2nd attempt; doubles each time
    max_delay: float = 60.0
    timeout: float = 1.25  # Wix: the receiver must answer within 1250 ms

    def delay_after(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), with ±50 %
        jitter."""
        return min(self.max_delay, self.first_delay * 2 ** (attempt - 1)) * (0.5 + draw())


@dataclass
class Message:
    """One change to deliver: the same id (and JWT) for every receiver and every retry."""

    notice: Notice
    id: str
    event_time: str
    token: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class Delivery:
    """One message on its way to one URL."""

    message: Message
    url: str
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    state: str = "pending"  # pending, delivered, failed (attempts used up), dropped

    def to_json(self) -> dict[str, Any]:
        notice = self.message.notice
        return {
            "id": self.message.id,
            "url": self.url,
            "site": notice.site,
            "eventType": notice.event,
            "entityId": notice.entity_id,
            "attempts": self.attempts,
            "lastStatus": self.last_status,
            "lastError": self.last_error,
            "state": self.state,
            "delivered": self.state == "delivered",
        }


class _Lane:
    """One receiver URL's deliveries: a queue whose items come out once due (retries wait
    there, holding no thread) and the threads that post them, started on first use."""

    def __init__(self, url: str, workers: int) -> None:
        self.url = url
        self._workers = workers
        self._ready = threading.Condition()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._closed = False
        self.threads: list[threading.Thread] = []

    def put(self, delivery: Delivery, due: float, work: Callable[[_Lane], None]) -> bool:
        """Queue `delivery` for `due` (a monotonic time); False once the lane is closed."""
        with self._ready:
            if self._closed:
                return False
            heapq.heappush(self._heap, (due, next(self._order), delivery))
            if not self.threads:
                for number in range(self._workers):
                    thread = threading.Thread(target=work, args=(self,), daemon=True,
                                              name=f"webhooks-{number}-{self.url}")
                    self.threads.append(thread)
                    thread.start()
            self._ready.notify()
            return True

    def take(self) -> Delivery | None:
        """The next due delivery, waiting for it; None once the lane is closed."""
        with self._ready:
            while not self._closed:
                if not self._heap:
                    self._ready.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._ready.wait(wait)
            return None

    def close(self) -> list[Delivery]:
        """Stop taking deliveries; the ones still queued."""
        with self._ready:
            self._closed = True
            left = [entry[2] for entry in self._heap]
            self._heap.clear()
            self._ready.notify_all()
            return left


class WebhookHub:
    """Registered receiver URLs, the signing key, the delivery threads and their log."""

    def __init__(
        self,
        clock: Callable[[], datetime] = utc_now,
        retry: RetryPolicy | None = None,
        entity_fqdns: Mapping[str, str] | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        workers_per_url: int = WORKERS_PER_URL,
    ) -> None:
        self.clock = clock
        self.retry = retry or RetryPolicy()  # may be replaced at any time (tests do)
        self.entity_fqdns = dict(entity_fqdns or {})
        self._private_key = private_key
        self._key_lock = threading.Lock()  # making a key takes ~0.1 s: never under `_lock`
        self._workers_per_url = workers_per_url
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}  # by URL, in registration order
        self._log: deque[Delivery] = deque(maxlen=KEEP)
        self._closed = False

    # keys and receivers

    def _key(self) -> rsa.RSAPrivateKey:
        with self._key_lock:
            if self._private_key is None:
                self._private_key = rsa.generate_private_key(public_exponent=65537,
                                                             key_size=KEY_BITS)
            return self._private_key

    def public_key_pem(self) -> str:
        return self._key().public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def register(self, url: str) -> None:
        url = check_url(url)
        with self._lock:
            if url not in self._lanes and not self._closed:
                self._lanes[url] = _Lane(url, self._workers_per_url)

    def unregister(self, url: str) -> bool:
        """Forget `url` and drop its pending deliveries; False if it was not registered.
        Returns at once: a delivery being posted finishes in the background."""
        with self._lock:
            lane = self._lanes.pop(url.strip(), None)
        if lane is None:
            return False
        for delivery in lane.close():
            self._finish(delivery, "dropped")
        return True

    def urls(self) -> list[str]:
        with self._lock:
            return list(self._lanes)

    # the listener

    def listener(self, notices: list[Notice]) -> None:
        """Queue one delivery per notice and URL; never blocks on the network, never raises."""
        try:
            with self._lock:
                lanes = list(self._lanes.values())
            if not lanes:
                return
            event_time = format_timestamp(self.clock())
            messages = [Message(notice, str(uuid.uuid4()), event_time) for notice in notices]
            now = time.monotonic()
            for lane in lanes:
                deliveries = [Delivery(message, lane.url) for message in messages]
                with self._lock:
                    self._log.extend(deliveries)
                for delivery in deliveries:
                    if not lane.put(delivery, now, self._work):
                        self._finish(delivery, "dropped")
        except Exception:
            log.exception("could not queue webhooks")

    # the log

    def deliveries(self, site: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [d.to_json() for d in self._log
                    if site is None or d.message.notice.site == site]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # the envelope

    def envelope(self, message: Message) -> dict[str, Any]:
        """The JWT's claims for `message` (without `iat` and `exp`)."""
        notice = message.notice
        middle: dict[str, Any] = {
            "eventType": notice.event,
            "instanceId": stable_id("instance", notice.site),
        }
        if is_domain_event(notice):
            middle["data"] = _compact(self._domain_event(message))
        else:
            middle["id"] = message.id
            middle["data"] = _compact(notice.entity)
        middle["identity"] = _compact({"identityType": "APP", "appId": EMULATOR_APP_ID})
        middle["accountInfo"] = {"accountId": stable_id("account", notice.site),
                                 "siteId": notice.site}
        return {"data": _compact(middle), "iss": ISSUER}

    def _domain_event(self, message: Message) -> dict[str, Any]:
        notice = message.notice
        member, as_object, as_json = ENTITY_ACTIONS.get(notice.action, ACTION_BODY)
        body = {as_object: notice.entity, as_json: _compact(notice.entity)} \
            if notice.entity else {}
        return {
            "id": message.id,
            "entityFqdn": self.entity_fqdns.get(notice.entity_fqdn, notice.entity_fqdn),
            "slug": notice.action,
            "entityId": notice.entity_id,
            "eventTime": message.event_time,
            "triggeredByAnonymizeRequest": False,
            member: body,
        }

    def token(self, message: Message) -> str:
        """The signed JWT for `message`, made once."""
        with message.lock:
            if message.token is None:
                issued = int(time.time())
                claims = {**self.envelope(message), "iat": issued,
                          "exp": issued + TOKEN_LIFETIME_SECONDS}
                message.token = jwt.encode(claims, self._key(), algorithm=ALGORITHM)
            return message.token

    # delivery threads

    def _work(self, lane: _Lane) -> None:
        # trust_env=False: no proxy from the environment may carry a delivery off this machine
        with httpx.Client(trust_env=False, follow_redirects=False) as client:
            while (delivery := lane.take()) is not None:
                try:
                    self._attempt(client, lane, delivery)
                except Exception:
                    log.exception("webhook delivery to %s failed unexpectedly", lane.url)
                    self._finish(delivery, "failed")

    def _attempt(self, client: httpx.Client, lane: _Lane, delivery: Delivery) -> None:
        retry = self.retry
        status, error = None, None
        try:
            response = client.post(
                delivery.url, content=self.token(delivery.message),
                headers={"Content-Type": "text/plain"},
                timeout=httpx.Timeout(retry.timeout),
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        with self._lock:
            delivery.attempts += 1
            delivery.last_status, delivery.last_error = status, error
            attempts = delivery.attempts
        if status is not None and 200 <= status < 300:
            self._finish(delivery, "delivered")
        elif attempts >= retry.attempts:
            self._finish(delivery, "failed")
        elif not lane.put(delivery, time.monotonic() + retry.delay_after(attempts), self._work):
            self._finish(delivery, "dropped")

    def _finish(self, delivery: Delivery, state: str) -> None:
        with self._lock:
            delivery.state = state

    def close(self) -> None:
        """Stop every delivery thread (waiting for posts in flight); queued deliveries are
        dropped. For tests: a served emulator's hub lives as long as the process."""
        with self._lock:
            self._closed = True
            lanes, self._lanes = list(self._lanes.values()), {}
        for lane in lanes:
            for delivery in lane.close():
                self._finish(delivery, "dropped")
        for lane in lanes:
            for thread in lane.threads:
                thread.join(timeout=self.retry.timeout + 5)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def install(state: EmulatorState, urls: Iterable[str] = (), **options: Any) -> WebhookHub:
    """The emulator's hub (made and made a listener on first call), with `urls` registered.

    `options` (first call only) are `WebhookHub`'s: `retry`, `entity_fqdns`, `private_key`,
    `workers_per_url`."""
    checked = [check_url(url) for url in urls]  # a bad URL changes nothing
    hub: WebhookHub | None = state.extensions.get("webhooks")
    if hub is None:
        hub = WebhookHub(clock=lambda: state.clock(), **options)
        state.extensions["webhooks"] = hub
        state.listeners.append(hub.listener)
        state.reset_hooks.append(hub.clear_log)
    for url in checked:
        hub.register(url)
    return hub


# --- control API -------------------------------------------------------------------------------


def hub_of(ctx: Ctx) -> WebhookHub:
    hub: WebhookHub | None = ctx.state.extensions.get("webhooks")
    if hub is None:
        raise NotFound("webhooks are not installed on this emulator")
    return hub


def list_webhooks(ctx: Ctx) -> dict[str, Any]:
    """Registered URLs and the delivery log (with `wix-site-id`, that site's deliveries)."""
    hub = hub_of(ctx)
    return {"urls": hub.urls(), "deliveries": hub.deliveries(ctx.site or None)}


def register_webhook(ctx: Ctx) -> dict[str, Any]:
    hub = hub_of(ctx)
    hub.register(ctx.body.get("url"))
    return {"urls": hub.urls()}


def unregister_webhook(ctx: Ctx) -> dict[str, Any]:
    """`DELETE /_emulator/webhooks?url=...` (a DELETE carries no body)."""
    hub = hub_of(ctx)
    url = ctx.param("url")
    if not url:
        raise BadRequest("send the URL to forget as `?url=...`")
    removed = hub.unregister(url)
    return {"urls": hub.urls(), "removed": removed}


def public_key(ctx: Ctx) -> dict[str, Any]:
    return {"publicKey": hub_of(ctx).public_key_pem(), "algorithm": ALGORITHM}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", PREFIX, list_webhooks),
    Endpoint("POST", PREFIX, register_webhook),
    Endpoint("DELETE", PREFIX, unregister_webhook),
    Endpoint("GET", f"{PREFIX}/public-key", public_key),
]
