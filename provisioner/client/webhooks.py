"""Wix webhooks received: a delivery's JWT verified (RS256 with the app's public key, issuer
`wix.com`, not expired) and unwrapped into one `Webhook`, and a bounded memory of the ids
already handled, since Wix retries and may deliver one change twice.

What a delivery is (../shared/wix-api, events-and-ticket-definitions.md §4.2):

    body:    the JWT, claims {"data": "<JSON string>", "iat", "exp", "iss": "wix.com"}
    data:    {"eventType", "instanceId", "data": "<JSON string>", "identity", "accountInfo"}
    inner:   a domain event {"id", "entityFqdn", "slug", "entityId", "eventTime",
             <createdEvent | updatedEvent | deletedEvent | actionEvent>}, or, for the older
             events (Order Confirmed), the entity itself, its id on the middle envelope

Anything that is not exactly that, or whose signature, issuer or expiry does not check, is
refused with `WebhookRefused`, whose message says why without repeating the token. Where the
notes disagree, both forms are read: the entity as an object (`entity`, `currentEntity`,
`deletedEntity`, `body`: what the current SDK reads) and, failing that, as a JSON string
(`entityAsJson` and the like: the proto and older examples); `data` as a JSON string or an
object.

This is the watcher's first step; nothing here acts on a webhook.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .errors import ProvisionerError

ALGORITHM = "RS256"
ISSUER = "wix.com"
MAX_TOKEN_BYTES = 1024 * 1024  # a webhook carries one entity: far less than this
# (body member, entity as an object, entity as a JSON string), read in this order
BODY_MEMBERS = (("createdEvent", "entity", "entityAsJson"),
                ("updatedEvent", "currentEntity", "currentEntityAsJson"),
                ("deletedEvent", "deletedEntity", "deletedEntityAsJson"),
                ("actionEvent", "body", "bodyAsJson"))
REMEMBERED = 10_000  # delivery ids kept to ignore a retried delivery


class WebhookRefused(ProvisionerError):
    """A delivery that is not a valid, signed, current Wix webhook: never acted on."""


@dataclass(frozen=True)
class Webhook:
    """One verified delivery, unwrapped."""

    id: str  # the delivery's id: the same for every retry of one change
    event_type: str  # `wix.events.v2.policy_updated`, `wix.events.ticketing.events.OrderConfirmed`
    site_id: str | None = None
    instance_id: str | None = None
    entity_fqdn: str | None = None  # domain events: `wix.events.v2.policy`
    action: str | None = None  # domain events: `created`, `updated`, `deleted`, `published`...
    entity_id: str | None = None
    entity: dict[str, Any] | None = None  # the object as the change left it (or, deleted, was)
    event_time: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def event_id(self) -> str | None:
        """The id of the Wix event the change is about (an event's own id, or its child's
        `eventId`), when the payload says it."""
        entity = self.entity or {}
        if self.entity_fqdn and self.entity_fqdn.endswith(".event"):
            return self.entity_id or _text(entity.get("id"))
        return _text(entity.get("eventId")) or _text(entity.get("event_id"))


def load_public_key(pem: str | bytes, source: str = "the public key") -> RSAPublicKey:
    """The app's RSA public key from PEM text (the Wix dashboard's, or the emulator's
    `/_emulator/webhooks/public-key`); anything else is refused, naming `source`."""
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    try:
        key = load_pem_public_key(data.strip())
    except (ValueError, TypeError) as error:
        raise ProvisionerError(f"{source} is not a PEM public key (-----BEGIN PUBLIC KEY-----"
                               f"…): {error}") from None
    if not isinstance(key, RSAPublicKey):
        raise ProvisionerError(f"{source} is not an RSA key; Wix signs webhooks RS256")
    return key


def verify(token: str | bytes, key: RSAPublicKey, leeway: float = 0) -> Webhook:
    """The webhook in `token` (a delivery's body) once its signature, issuer and expiry
    check; else `WebhookRefused`."""
    if isinstance(token, bytes):
        if len(token) > MAX_TOKEN_BYTES:
            raise WebhookRefused("larger than any webhook")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise WebhookRefused("not a JWT (the body is not ASCII)") from None
    token = token.strip()
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER, leeway=leeway,
                            options={"require": ["exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise WebhookRefused("the token has expired") from None
    except jwt.InvalidIssuerError:
        raise WebhookRefused(f"the token's issuer is not {ISSUER}") from None
    except jwt.InvalidSignatureError:
        raise WebhookRefused("the signature does not match the public key") from None
    except jwt.InvalidAlgorithmError:
        raise WebhookRefused(f"the token is not signed {ALGORITHM}") from None
    except jwt.MissingRequiredClaimError as error:
        raise WebhookRefused(f"the token has no `{error.claim}` claim") from None
    except jwt.PyJWTError as error:
        raise WebhookRefused(f"not a valid JWT: {type(error).__name__}") from None
    return _unwrap(claims)


def _unwrap(claims: dict[str, Any]) -> Webhook:
    middle = _decoded(claims.get("data"), "the token's `data`")
    event_type = _text(middle.get("eventType"))
    if not event_type:
        raise WebhookRefused("the webhook names no eventType")
    info = middle.get("accountInfo")
    account: dict[str, Any] = info if isinstance(info, dict) else {}
    inner = _decoded(middle.get("data"), "the webhook's inner `data`")
    site_id, instance_id = _text(account.get("siteId")), _text(middle.get("instanceId"))
    if "entityFqdn" in inner and "slug" in inner:  # a domain event
        ident = _text(inner.get("id"))
        if not ident:
            raise WebhookRefused("the domain event has no id")
        return Webhook(ident, event_type, site_id, instance_id,
                       entity_fqdn=_text(inner.get("entityFqdn")),
                       action=_text(inner.get("slug")), entity_id=_text(inner.get("entityId")),
                       entity=_entity(inner), event_time=_text(inner.get("eventTime")),
                       claims=claims)
    ident = _text(middle.get("id")) or _text(inner.get("id"))
    if not ident:
        raise WebhookRefused("the webhook has no id to tell a retry from a new change")
    return Webhook(ident, event_type, site_id, instance_id, entity=inner, claims=claims)


def _entity(inner: dict[str, Any]) -> dict[str, Any] | None:
    for member, as_object, as_json in BODY_MEMBERS:
        body = inner.get(member)
        if not isinstance(body, dict):
            continue
        if isinstance(body.get(as_object), dict):
            return body[as_object]
        if isinstance(body.get(as_json), str | dict):
            return _decoded(body[as_json], f"`{member}.{as_json}`")
        return None
    return None


def _decoded(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise WebhookRefused(f"{what} is missing")
    try:
        decoded = json.loads(value)
    except ValueError:
        raise WebhookRefused(f"{what} is not JSON") from None
    if not isinstance(decoded, dict):
        raise WebhookRefused(f"{what} is not a JSON object")
    return decoded


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class SeenDeliveries:
    """The ids of the deliveries handled lately, at most `limit`: a retried delivery (the
    same id) is recognised and handled once."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self.limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, ident: str) -> bool:
        """True the first time `ident` is seen (and remember it); False for a repeat."""
        if ident in self._ids:
            self._ids.move_to_end(ident)
            return False
        self._ids[ident] = None
        if len(self._ids) > self.limit:
            self._ids.popitem(last=False)
        return True
