"""Receiving Wix webhooks (`provisioner.client.webhooks`): real deliveries from the emulator
(signed RS256 with its key pair, over HTTP to a receiver on 127.0.0.1) verify and unwrap into
the change they carry; a forged, tampered, expired, wrongly issued, unsigned or malformed token
is refused with a reason that never repeats it; a retried delivery is recognised by its id."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from provisioner.client.errors import ProvisionerError
from provisioner.client.webhooks import (
    SeenDeliveries,
    Webhook,
    WebhookRefused,
    load_public_key,
    verify,
)
from tests.emulator.helpers import event_body
from tests.emulator.test_webhooks import POLICIES, emulator, ok, receiver

OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def delivered() -> tuple[list[str], str, str, dict[str, Any]]:
    """Tokens the emulator really delivered for a draft event, a policy made and edited, and
    a ticket sold: (tokens, its public key PEM, the site id, the ids made)."""
    with receiver() as hooks, emulator(hooks.url) as emu:
        event = ok(emu.api.post("/events/v3/events",
                                json={"event": event_body(), "draft": False}))["event"]
        policy = ok(emu.api.post(POLICIES, json={"policy": {
            "eventId": event["id"], "name": "Refunds", "body": "Up to 30 days before."}}))
        ok(emu.api.patch(f"{POLICIES}/{policy['policy']['id']}", json={"policy": {
            "id": policy["policy"]["id"], "eventId": event["id"], "name": "Refunds",
            "revision": policy["policy"]["revision"], "body": "No refunds."}}))
        ticket = ok(emu.api.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
            "eventId": event["id"], "name": "Standard", "initialLimit": 10,
            "feeType": "FEE_INCLUDED",
            "pricingMethod": {"fixedPrice": {"value": "10.00", "currency": "USD"}}}}))
        ok(emu.api.post("/_emulator/sales/orders", json={
            "ticketDefinitionId": ticket["ticketDefinition"]["id"], "quantity": 2}))
        emu.settled()
        return hooks.accepted(), emu.public_key(), emu.site, {
            "event": event["id"], "policy": policy["policy"]["id"]}


@pytest.fixture(scope="module")
def real() -> tuple[list[str], str, str, dict[str, Any]]:
    return delivered()


def test_real_deliveries_verify_and_unwrap(real: tuple[list[str], str, str, dict[str, Any]]
                                           ) -> None:
    tokens, public, site, ids = real
    key = load_public_key(public)
    hooks = [verify(token, key) for token in tokens]
    assert all(hook.site_id == site for hook in hooks)
    assert len({hook.id for hook in hooks}) == len(hooks)  # each change its own id
    policy = [h for h in hooks if h.event_type.startswith("wix.events.v2.policy_")]
    # deliveries may arrive out of order, as Wix warns
    assert sorted(h.action or "" for h in policy) == ["created", "updated"]
    updated = next(h for h in policy if h.action == "updated")
    assert updated.entity_fqdn == "wix.events.v2.policy"
    assert updated.entity_id == ids["policy"]
    assert updated.entity is not None and updated.entity["body"] == "No refunds."
    assert updated.event_id == ids["event"]
    created_event = next(h for h in hooks if h.event_type == "wix.events.v3.event_created")
    assert created_event.event_id == ids["event"]
    orders = [h for h in hooks if "OrderConfirmed" in h.event_type]
    assert len(orders) == 1 and orders[0].entity is not None
    assert orders[0].event_id == ids["event"]
    assert orders[0].action is None  # not a domain event: the entity is the payload itself


def test_bytes_and_surrounding_whitespace_are_accepted(
        real: tuple[list[str], str, str, dict[str, Any]]) -> None:
    tokens, public, _, _ = real
    key = load_public_key(public.encode())
    assert verify(f"\n{tokens[0]}\n".encode(), key) == verify(tokens[0], key)


def refusal(token: str | bytes, public: str) -> str:
    with pytest.raises(WebhookRefused) as refused:
        verify(token, load_public_key(public))
    message = str(refused.value)
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    assert len(text) < 20 or text not in message  # the token is never repeated
    return message


def test_a_token_signed_with_another_key_is_refused(
        real: tuple[list[str], str, str, dict[str, Any]]) -> None:
    tokens, public, _, _ = real
    claims = jwt.decode(tokens[0], options={"verify_signature": False})
    forged = jwt.encode(claims, OTHER_KEY, algorithm="RS256")
    assert refusal(forged, public) == "the signature does not match the public key"
    # and the real token does not verify with another key either
    assert refusal(tokens[0], pem(OTHER_KEY)) == "the signature does not match the public key"


def test_a_tampered_payload_is_refused(real: tuple[list[str], str, str, dict[str, Any]]
                                       ) -> None:
    tokens, public, _, _ = real
    head, body, signature = tokens[0].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["data"] = claims["data"].replace("Refunds", "Refundz")
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert refusal(f"{head}.{changed}.{signature}", public) == \
        "the signature does not match the public key"


def test_expired_wrong_issuer_missing_claims_and_other_algorithms_are_refused(
        real: tuple[list[str], str, str, dict[str, Any]]) -> None:
    tokens = real[0]
    claims = jwt.decode(tokens[0], options={"verify_signature": False})
    now = int(time.time())
    signed_by_us = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ours = pem(signed_by_us)

    def token(**changes: Any) -> str:
        made = {**claims, "iat": now, "exp": now + 60, **changes}
        return jwt.encode({k: v for k, v in made.items() if v is not None}, signed_by_us,
                          algorithm="RS256")

    assert verify(token(), load_public_key(ours)).id  # the same claims, fresh: accepted
    assert refusal(token(iat=now - 7200, exp=now - 3600), ours) == "the token has expired"
    assert refusal(token(iss="evil.example"), ours) == "the token's issuer is not wix.com"
    assert refusal(token(exp=None), ours) == "the token has no `exp` claim"
    # the public key used as an HMAC secret (the classic algorithm confusion)
    confused = jwt.encode(claims, "a-shared-secret-that-is-not-an-rsa-key", algorithm="HS256")
    assert refusal(confused, ours) == "the token is not signed RS256"
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert refusal(unsigned, ours) == "the token is not signed RS256"
    assert refusal("not a token", ours).startswith("not a valid JWT")
    assert refusal(b"\xff\xfe", ours) == "not a JWT (the body is not ASCII)"
    assert refusal(b"x" * (1024 * 1024 + 1), ours) == "larger than any webhook"


def test_signed_nonsense_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = pem(key)
    now = int(time.time())

    def signed(data: Any) -> str:
        return jwt.encode({"data": data, "iss": "wix.com", "iat": now, "exp": now + 60}, key,
                          algorithm="RS256")

    assert refusal(signed("{not json"), public) == "the token's `data` is not JSON"
    assert refusal(signed("[1]"), public) == "the token's `data` is not a JSON object"
    assert refusal(signed(json.dumps({"data": "{}"})), public) == \
        "the webhook names no eventType"
    assert refusal(signed(json.dumps({"eventType": "x"})), public) == \
        "the webhook's inner `data` is missing"
    assert refusal(signed(json.dumps({"eventType": "x", "data": "{}"})), public) == \
        "the webhook has no id to tell a retry from a new change"
    domain = {"entityFqdn": "wix.events.v2.policy", "slug": "updated"}
    assert refusal(signed(json.dumps({"eventType": "x", "data": json.dumps(domain)})),
                   public) == "the domain event has no id"
    # the older form of the entity, a JSON string, is read too; `data` may be an object
    older = {**domain, "id": "d1", "entityId": "p1",
             "updatedEvent": {"currentEntityAsJson": json.dumps({"eventId": "e1"})}}
    hook = verify(signed({"eventType": "wix.events.v2.policy_updated",
                          "data": json.dumps(older)}), load_public_key(public))
    assert (hook.id, hook.entity, hook.event_id) == ("d1", {"eventId": "e1"}, "e1")


def test_only_an_rsa_public_key_is_accepted() -> None:
    with pytest.raises(ProvisionerError, match="is not a PEM public key"):
        load_public_key("hello", "--public-key key.pem")
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ProvisionerError, match="not an RSA key"):
        load_public_key(ec_key)


def test_a_retried_delivery_is_seen_once(real: tuple[list[str], str, str, dict[str, Any]]
                                         ) -> None:
    tokens, public, _, _ = real
    key = load_public_key(public)
    seen = SeenDeliveries()
    firsts = [seen.first_time(verify(token, key).id) for token in [*tokens, *tokens]]
    assert firsts == [True] * len(tokens) + [False] * len(tokens)


@given(st.lists(st.integers(0, 30), max_size=200), st.integers(1, 10))
def test_the_memory_is_bounded_and_recent_ids_stay(ids: list[int], limit: int) -> None:
    seen = SeenDeliveries(limit)
    recent: list[int] = []
    for ident in ids:
        expected = ident not in recent
        assert seen.first_time(str(ident)) is expected
        if ident in recent:
            recent.remove(ident)
        recent.append(ident)
        recent = recent[-limit:]
    assert len(seen._ids) <= limit


def test_a_webhook_is_a_value() -> None:
    assert Webhook("a", "t") == Webhook("a", "t")
