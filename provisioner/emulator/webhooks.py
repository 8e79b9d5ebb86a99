"""Webhooks: every committed change (a `Notice`) is sent to the registered receiver URLs as
Wix's webhook, a JWT signed RS256 with the emulator's own key pair (its topics, envelope and
signing are webhook_payloads.py's). Delivery runs in the background, with retries and backoff,
and never slows or fails the API call.

`install(state, urls)` puts a `WebhookHub` in `state.extensions["webhooks"]` and makes it a
listener; `CONTROL_ENDPOINTS` read and change its URLs, show the delivery log and serve the
public key receivers verify with. The topics the API modules emit (`POLICY`,
`TICKET_DEFINITION`, `EVENT`) are importable from here too.

Decisions where the Wix notes are unsure or disagree:
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

import ipaddress
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import BadRequest, NotFound
from .http import Ctx, EmulatorState, Endpoint
from .scope import Notice
from .values import format_timestamp, utc_now
from .webhook_lanes import Delivery, Lane, RetryPolicy
from .webhook_payloads import ALGORITHM, Message, envelope, new_private_key, public_key_pem, sign

# the API modules import their topics from here
from .webhook_payloads import EVENT as EVENT
from .webhook_payloads import POLICY as POLICY
from .webhook_payloads import TICKET_DEFINITION as TICKET_DEFINITION
from .webhook_payloads import WebhookTopic as WebhookTopic

log = logging.getLogger("provisioner.emulator.webhooks")

PREFIX = "/_emulator/webhooks"
WORKERS_PER_URL = 2
KEEP = 10_000  # deliveries kept in the log


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
        self._lanes: dict[str, Lane] = {}  # by URL, in registration order
        self._log: deque[Delivery] = deque(maxlen=KEEP)
        self._closed = False

    # keys and receivers

    def _key(self) -> rsa.RSAPrivateKey:
        with self._key_lock:
            if self._private_key is None:
                self._private_key = new_private_key()
            return self._private_key

    def public_key_pem(self) -> str:
        return public_key_pem(self._key())

    def register(self, url: str) -> None:
        url = check_url(url)
        with self._lock:
            if url not in self._lanes and not self._closed:
                self._lanes[url] = Lane(url, self._workers_per_url)

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
        return envelope(message, self.entity_fqdns)

    def token(self, message: Message) -> str:
        """The signed JWT for `message`, made once."""
        return sign(message, self._key, self.entity_fqdns)

    # delivery threads

    def _work(self, lane: Lane) -> None:
        # trust_env=False: no proxy from the environment may carry a delivery off this machine
        with httpx.Client(trust_env=False, follow_redirects=False) as client:
            while (delivery := lane.take()) is not None:
                try:
                    self._attempt(client, lane, delivery)
                except Exception:
                    log.exception("webhook delivery to %s failed unexpectedly", lane.url)
                    self._finish(delivery, "failed")

    def _attempt(self, client: httpx.Client, lane: Lane, delivery: Delivery) -> None:
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
    hub.register(check_url(ctx.body.get("url")))
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
