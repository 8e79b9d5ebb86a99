"""The spec never accepts what the API would refuse: every object of the DevCon example, turned
into request bodies by the kinds table's `spec_body` hooks (`provisioner.kinds.bodies`), is
accepted by the emulator, and reads back with the times, prices, order and texts the spec
means."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from provisioner import kinds
from provisioner.kinds import bodies
from provisioner.spec.loader import load
from provisioner.spec.richtext import to_plain

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.request.url}: {response.text}"
    return response.json()


def test_every_object_of_the_example_is_accepted_and_reads_back(api: httpx.Client) -> None:
    result = load([str(EXAMPLE)])
    assert result.ok, [p.format() for p in result.problems]
    spec = result.documents[0].data
    event = spec["events"][0]

    created = ok(api.post("/events/v3/events", json={
        "event": kinds.EVENT.spec_body(event, event),
        "draft": bodies.event_state(event) == "DRAFT"}))["event"]
    event_id = created["id"]
    for ticket in event["tickets"]:
        ok(api.post("/events/v3/ticket-definitions", json={
            "ticketDefinition": {**kinds.TICKET.spec_body(ticket, event), "eventId": event_id}}))
    for item in event["schedule"]["items"]:
        ok(api.post("/events/v1/schedule/draft", json={
            "eventId": event_id, "item": kinds.SCHEDULE_ITEM.spec_body(item, event)}))
    ok(api.post("/events/v1/schedule/publish", json={"eventId": event_id}))
    for policy in event["policies"]:
        ok(api.post("/events/v2/policies", json={
            "policy": {**kinds.POLICY.spec_body(policy, event), "eventId": event_id}}))
    for control in event["form"]["controls"]:
        ok(api.post(f"/events/v1/events/{event_id}/form/control",
                    json=kinds.FORM_CONTROL.spec_body(control, event)))
    category = ok(api.post("/events/v1/categories", json={
        "category": kinds.CATEGORY.spec_body(spec["categories"][0], {})}))["category"]
    ok(api.post(f"/events/v1/categories/{category['id']}/events", json={"eventId": [event_id]}))

    live = ok(api.get(f"/events/v3/events/{event_id}",
                      params={"fields": ["TEXTS", "REGISTRATION", "FORM", "CATEGORIES"]}))["event"]
    assert live["slug"] == "devcon-2025"
    assert live["status"] != "DRAFT"  # state: PUBLISHED
    # 09:00 and 18:00 in San Francisco, daylight saving time (UTC-7)
    assert live["dateAndTimeSettings"]["startDate"] == "2025-06-15T16:00:00.000Z"
    assert live["dateAndTimeSettings"]["endDate"] == "2025-06-17T01:00:00.000Z"
    assert live["location"]["address"]["postalCode"] == "94103"
    assert to_plain(live["description"]).startswith("DevCon 2025 brings developers")
    assert live["registration"]["tickets"]["currency"] == "USD"
    assert [c["name"] for c in live["categories"]["categories"]] == ["Technology Conferences"]
    labels = [c.get("label") for c in live["form"]["controls"]]
    assert "Dietary preferences" in labels

    tickets = ok(api.post("/events/v3/ticket-definitions/query", json={
        "query": {"filter": {"eventId": event_id}}}))["ticketDefinitions"]
    assert [t["name"] for t in tickets] == ["Early Bird", "General Admission",
                                            "VIP All-Access Pass"]
    assert tickets[1]["pricingMethod"]["fixedPrice"] == {"value": "499.00", "currency": "USD"}
    vip_options = tickets[2]["pricingMethod"]["pricingOptions"]["optionDetails"]
    assert [(o["name"], o["price"]["value"]) for o in vip_options] == [
        ("Individual", "999.00"), ("Team (3+ people)", "899.00")]
    # on sale until 30 April 23:59 in San Francisco
    assert tickets[0]["salePeriod"]["endDate"] == "2025-05-01T06:59:00.000Z"
    assert {t["feeType"] for t in tickets} == {"FEE_INCLUDED"}

    schedule = ok(api.get("/events/v1/schedule", params={"eventId": event_id,
                                                         "state": "PUBLISHED"}))["items"]
    assert len(schedule) == len(event["schedule"]["items"]) == 15
    keynote = next(i for i in schedule if i["name"].startswith("Opening Keynote"))
    assert keynote["timeSlot"]["start"] == "2025-06-15T16:00:00.000Z"
    assert keynote["timeSlot"]["timeZoneId"] == "America/Los_Angeles"
    assert keynote["tags"] == ["Keynote", "AI", "Machine Learning"]

    policies = ok(api.post("/events/v2/policies/query", json={
        "query": {"filter": {"eventId": event_id}}}))["policies"]
    # new policies list newest first until reordered (the plan reorders them to list order)
    assert sorted(p["name"] for p in policies) == sorted(p["name"] for p in event["policies"])


def test_a_derived_slug_is_the_one_the_api_derives(api: httpx.Client) -> None:
    """An event without `slug` is known by the slug the API would give it."""
    from provisioner.spec.identity import slug_from_title

    for title in ("DevCon 2025 - Developer Conference", "Café Olé: Night #3!",
                  "  Spaces   and---dashes  "):
        event = {"title": title, "location": {"name": "Hall"},
                 "dateAndTimeSettings": {"timeZoneId": "Europe/Paris",
                                         "startDate": "2030-01-10T10:00",
                                         "endDate": "2030-01-10T12:00"}}
        body = kinds.EVENT.spec_body(event, event)
        del body["seoSettings"]  # let the API derive it
        created = ok(api.post("/events/v3/events", json={"event": body, "draft": True}))
        assert created["event"]["slug"] == slug_from_title(title)
