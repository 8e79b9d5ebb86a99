"""Make a site hold what a spec describes, straight through the API: the "live state" of plan
scenarios. It is deliberately naive (one call per object, in order, no diffing), so that it
shares nothing with the planner it is used to test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from provisioner.spec import wire
from provisioner.spec.identity import event_slug
from provisioner.spec.loader import load


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: " \
                                        f"{response.status_code} {response.text}"
    return response.json()


def seed(api: httpx.Client, spec_path: Path) -> dict[str, str]:
    """Create everything `spec_path` describes on `api`'s site; returns event ids by slug."""
    result = load([str(spec_path)])
    assert result.ok, [p.format() for p in result.problems]
    category_ids: dict[str, str] = {}
    event_ids: dict[str, str] = {}
    for document in result.documents:
        for category in document.data.get("categories") or []:
            made = ok(api.post("/events/v1/categories",
                               json={"category": wire.category_body(category)}))
            category_ids[category["name"]] = made["category"]["id"]
        for event in document.data.get("events") or []:
            event_ids[str(event_slug(event))] = seed_event(api, event, category_ids)
    return event_ids


def seed_event(api: httpx.Client, event: dict[str, Any], category_ids: dict[str, str]) -> str:
    made = ok(api.post("/events/v3/events",
                       json={"event": wire.event_body(event), "draft": True}))["event"]
    event_id = made["id"]
    for ticket in event.get("tickets") or []:
        ok(api.post("/events/v3/ticket-definitions", json={
            "ticketDefinition": {**wire.ticket_body(ticket, event), "eventId": event_id}}))
    # policies list newest first until reordered: create them in reverse
    for policy in reversed(event.get("policies") or []):
        ok(api.post("/events/v2/policies",
                    json={"policy": {**wire.policy_body(policy), "eventId": event_id}}))
    schedule = event.get("schedule") or {}
    for item in schedule.get("items") or []:
        ok(api.post("/events/v1/schedule/draft", json={
            "eventId": event_id, "item": wire.schedule_item_body(item, event)}))
    if schedule.get("items") and schedule.get("published", True):
        ok(api.post("/events/v1/schedule/publish", json={"eventId": event_id}))
    form = event.get("form") or {}
    for control in form.get("controls") or []:
        body = wire.control_body(control)
        builtin = set(body) & {"name", "email"}
        if builtin:  # the built-in controls exist already: relabel them
            ok(api.put(f"/events/v1/events/{event_id}/form/controls/{builtin.pop()}", json=body))
        else:
            ok(api.post(f"/events/v1/events/{event_id}/form/control", json=body))
    if form.get("messages"):
        ok(api.patch(f"/events/v1/events/{event_id}/form/messages",
                     json={"messages": form["messages"]}))
    for name in event.get("categories") or []:
        ok(api.post(f"/events/v1/categories/{category_ids[name]}/events",
                    json={"eventId": [event_id]}))
    state = wire.event_state(event)
    if state in ("PUBLISHED", "CANCELED"):
        ok(api.post(f"/events/v3/events/{event_id}/publish", json={}))
    if state == "CANCELED":
        ok(api.post(f"/events/v3/events/{event_id}/cancel", json={}))
    return event_id
