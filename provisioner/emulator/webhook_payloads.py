"""Webhook payloads: the topics the API modules emit, and how a committed change (a `Notice`)
becomes Wix's webhook, a JWT signed RS256 with the emulator's own key pair. Delivering it is
webhooks.py's job.

The envelope, from the outside in (events-and-ticket-definitions.md §4.2):

    POST body (text/plain): JWT, claims {"data": "<JSON string>", "iat", "exp", "iss": "wix.com"}
    data:  {"eventType", "instanceId", "data": "<JSON string>", "identity": "<JSON string>",
            "accountInfo": {"accountId", "siteId"}}
    inner: the DomainEvent {"id", "entityFqdn", "slug", "entityId", "eventTime",
           "triggeredByAnonymizeRequest": false, <createdEvent|updatedEvent|deletedEvent|
           actionEvent>}

The API modules name what they emit with the `WebhookTopic`s below (`POLICY`,
`TICKET_DEFINITION`, `EVENT`); any other Notice (e.g. sales' Order Confirmed) is delivered the
same way, its names taken from the Notice.

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
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .scope import Notice, Scope
from .values import stable_id

ALGORITHM = "RS256"
ISSUER = "wix.com"
TOKEN_LIFETIME_SECONDS = 3600
KEY_BITS = 2048
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

    def announce(self, scope: Scope, action: str, entity_id: str, entity: dict[str, Any]
                 ) -> None:
        """Emit the `action` webhook (created, updated, deleted, published...) once the
        scope's transaction commits."""
        scope.notify(self.event_type(action), self.entity_fqdn, action, entity_id, entity)


POLICY = WebhookTopic("wix.events.v2.policy")
EVENT = WebhookTopic("wix.events.v3.event")
TICKET_DEFINITION = WebhookTopic("wix.events.v3.ticket_definition")


def is_domain_event(notice: Notice) -> bool:
    return notice.event == f"{notice.entity_fqdn}_{notice.action}"


# --- the envelope ------------------------------------------------------------------------------


@dataclass
class Message:
    """One change to deliver: the same id (and JWT) for every receiver and every retry."""

    notice: Notice
    id: str
    event_time: str
    token: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def envelope(message: Message, entity_fqdns: Mapping[str, str]) -> dict[str, Any]:
    """The JWT's claims for `message` (without `iat` and `exp`)."""
    notice = message.notice
    middle: dict[str, Any] = {
        "eventType": notice.event,
        "instanceId": stable_id("instance", notice.site),
    }
    if is_domain_event(notice):
        middle["data"] = _compact(_domain_event(message, entity_fqdns))
    else:
        middle["id"] = message.id
        middle["data"] = _compact(notice.entity)
    middle["identity"] = _compact({"identityType": "APP", "appId": EMULATOR_APP_ID})
    middle["accountInfo"] = {"accountId": stable_id("account", notice.site),
                             "siteId": notice.site}
    return {"data": _compact(middle), "iss": ISSUER}


def _domain_event(message: Message, entity_fqdns: Mapping[str, str]) -> dict[str, Any]:
    notice = message.notice
    member, as_object, as_json = ENTITY_ACTIONS.get(notice.action, ACTION_BODY)
    body = {as_object: notice.entity, as_json: _compact(notice.entity)} \
        if notice.entity else {}
    return {
        "id": message.id,
        "entityFqdn": entity_fqdns.get(notice.entity_fqdn, notice.entity_fqdn),
        "slug": notice.action,
        "entityId": notice.entity_id,
        "eventTime": message.event_time,
        "triggeredByAnonymizeRequest": False,
        member: body,
    }


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- signing -----------------------------------------------------------------------------------


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def public_key_pem(private_key: rsa.RSAPrivateKey) -> str:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def sign(message: Message, key: Callable[[], rsa.RSAPrivateKey],
         entity_fqdns: Mapping[str, str]) -> str:
    """The signed JWT for `message`, made once (`key` is asked for only then)."""
    with message.lock:
        if message.token is None:
            issued = int(time.time())
            claims = {**envelope(message, entity_fqdns), "iat": issued,
                      "exp": issued + TOKEN_LIFETIME_SECONDS}
            message.token = jwt.encode(claims, key(), algorithm=ALGORITHM)
        return message.token
