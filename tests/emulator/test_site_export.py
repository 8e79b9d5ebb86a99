"""Site export and import in Wix's wire format (`/_emulator/sites/export`, `/sites/import`):
a rich site survives the round trip into a fresh site, the imported site answers every public
read as the original does, and a bad export is refused without changing anything."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from provisioner.emulator.event_model import site_base_url
from provisioner.emulator.values import stable_id

from ..conftest import Server
from .helpers import create_event

EXPORT = "/_emulator/sites/export"
IMPORT = "/_emulator/sites/import"
TD = "/events/v3/ticket-definitions"
POLICIES = "/events/v2/policies"
SCHEDULE = "/events/v1/schedule"
CATEGORIES = "/events/v1/categories"
ALL_EVENT_FIELDS = ["DETAILS", "TEXTS", "REGISTRATION", "URLS", "FORM", "DASHBOARD", "FEED",
                    "ONLINE_CONFERENCING_SESSION", "SEO_SETTINGS", "AGENDA", "CATEGORIES"]
UNKNOWN_GUID = "6a8e7f33-5b7a-4d2f-9c51-0d0b9f2a1c11"


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: " \
        f"{response.status_code} {response.text}"
    return response.json()


def usd(value: str) -> dict[str, str]:
    return {"value": value, "currency": "USD"}


@pytest.fixture
def other(server: Server) -> Iterator[httpx.Client]:
    """A client for a second brand-new site on the same server."""
    key, site = server.new_site()
    with server.client(key, site) as client:
        client.site_id = site  # type: ignore[attr-defined]
        yield client


# --- building a site ----------------------------------------------------------------------------


def definition(api: httpx.Client, event_id: str, name: str, **fields: Any) -> dict[str, Any]:
    body = {"eventId": event_id, "name": name, "feeType": "FEE_INCLUDED", **fields}
    return ok(api.post(TD, json={"ticketDefinition": body}))["ticketDefinition"]


def policy(api: httpx.Client, event_id: str, name: str) -> dict[str, Any]:
    body = {"eventId": event_id, "name": name, "body": f"The {name.lower()} policy."}
    return ok(api.post(POLICIES, json={"policy": body}))["policy"]


def schedule_item(api: httpx.Client, event_id: str, name: str, start: str, end: str,
                  **extra: Any) -> dict[str, Any]:
    item = {"name": name, "timeSlot": {"start": start, "end": end}, **extra}
    return ok(api.post(f"{SCHEDULE}/draft", json={"eventId": event_id, "item": item}))["item"]


def category(api: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    return ok(api.post(CATEGORIES, json={"category": {"name": name, **fields}}))["category"]


def add_control(api: httpx.Client, event_id: str, **control: Any) -> str:
    path = f"/events/v1/events/{event_id}/form/control"
    return ok(api.post(path, json={"eventId": event_id, **control}))["id"]


def sell(api: httpx.Client, definition_id: str, quantity: int, **extra: Any) -> None:
    ok(api.post("/_emulator/sales/orders",
                json={"ticketDefinitionId": definition_id, "quantity": quantity, **extra}))


def build_rich_site(api: httpx.Client) -> dict[str, Any]:
    """Two events (published ticketing, draft RSVP) with every kind of child the emulator
    keeps, reordered and edited; returns the ids."""
    launch = create_event(
        api, "Launch Party", shortDescription="Doors at six",
        description={"nodes": [{"type": "PARAGRAPH", "nodes": []}]},
        seoSettings={"slug": "launch"}, guestListSettings={"displayedPublicly": True},
        agendaSettings={"enabled": True})
    planning = create_event(api, "Planning Day", draft=True, initial_type="RSVP",
                            start="2030-07-01T09:00:00Z", end="2030-07-01T17:00:00Z")
    ids = {"events": [launch["id"], planning["id"]]}

    standard = definition(api, launch["id"], "Standard", initialLimit=100,
                          pricingMethod={"fixedPrice": usd("25.00")},
                          salePeriod={"startDate": "2025-01-01T10:00:30Z",
                                      "endDate": "2030-06-14T00:00:00Z"})
    tiers = definition(api, launch["id"], "Tiers", description="Pick one", pricingMethod={
        "pricingOptions": {"optionDetails": [{"name": "Early", "price": usd("10.00")},
                                             {"name": "Late", "price": usd("15.50")}]}})
    free = definition(api, launch["id"], "Crew", hidden=True, feeType="NO_FEE",
                      pricingMethod={"fixedPrice": usd("0")})
    donation = definition(api, launch["id"], "Supporter", initialLimit=5,
                          pricingMethod={"guestPrice": usd("5.00")})
    ok(api.patch(f"{TD}/{free['id']}", json={"ticketDefinition": {
        "revision": free["revision"], "policyText": "Staff only"}}))
    ok(api.post(f"{TD}/reorder", json={"eventId": launch["id"], "ticketDefinitionId":
                                       donation["id"], "beforeDefinitionId": standard["id"]}))
    option = tiers["pricingMethod"]["pricingOptions"]["optionDetails"][1]["optionId"]
    sell(api, standard["id"], 3)
    sell(api, tiers["id"], 2, optionId=option)
    sell(api, standard["id"], 2, status="RESERVED")
    sell(api, donation["id"], 1, price="12.50")

    refunds, _, privacy = (policy(api, launch["id"], n) for n in ("Refunds", "Conduct", "Privacy"))
    ok(api.post(f"{POLICIES}/reorder", json={"eventId": launch["id"], "policyId": refunds["id"],
                                             "beforePolicyId": privacy["id"]}))
    policy(api, planning["id"], "Dress code")

    keynote = schedule_item(api, launch["id"], "Keynote", "2030-06-15T16:00:00Z",
                            "2030-06-15T17:00:00Z", stageName="Main", tags=["talk"])
    schedule_item(api, launch["id"], "Lunch", "2030-06-15T12:00:00Z", "2030-06-15T13:00:00Z",
                  timeZoneId="America/Los_Angeles")
    schedule_item(api, launch["id"], "Panel", "2030-06-15T16:00:00Z", "2030-06-15T17:00:00Z",
                  hidden=True, description="Everyone")
    ok(api.post(f"{SCHEDULE}/publish", json={"eventId": launch["id"]}))
    ok(api.patch(f"{SCHEDULE}/draft/{keynote['id']}", json={
        "eventId": launch["id"], "itemId": keynote["id"], "item": {"name": "Keynote (new)"},
        "fields": ["name"]}))
    schedule_item(api, launch["id"], "Party", "2030-06-15T20:00:00Z", "2030-06-15T23:00:00Z",
                  status="CANCELED")
    schedule_item(api, planning["id"], "Kick-off", "2030-07-01T09:00:00Z",
                  "2030-07-01T10:00:00Z")

    music = category(api, "Music")
    hidden = category(api, "Staff", states=["MANUAL", "HIDDEN"])
    category(api, "Empty")
    ok(api.post(f"{CATEGORIES}/{music['id']}/events", json={"eventId": ids["events"]}))
    ok(api.post(f"{CATEGORIES}/{music['id']}/reorder", json={
        "eventId": planning["id"], "beforeEventId": launch["id"]}))
    ok(api.post(f"{CATEGORIES}/{hidden['id']}/events", json={"eventId": [launch["id"]]}))

    add_control(api, launch["id"], text={"label": "Company", "maxLength": 80})
    shirt = add_control(api, launch["id"], checkbox={"label": "Shirt", "options": ["S", "M"]})
    ok(api.put(f"/events/v1/events/{launch['id']}/form/controls/{shirt}",
               json={"orderIndex": 2}))
    ok(api.patch(f"/events/v1/events/{launch['id']}/form/messages",
                 json={"messages": {"checkout": {"title": "Your details"}}}))
    add_control(api, planning["id"], additionalGuests={"maxGuests": 3})
    ok(api.put(f"/events/v1/events/{planning['id']}/form/controls/name",
               json={"name": {"labels": {"firstName": "Given name"}}}))
    return ids


# --- reading a site -----------------------------------------------------------------------------


def export(client: httpx.Client) -> dict[str, Any]:
    return ok(client.get(EXPORT))


def load(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.put(IMPORT, json=body)


def site_neutral(value: Any, site: str) -> Any:
    """`value` with what depends on the site id (URLs, instance id) replaced by markers."""
    if isinstance(value, dict):
        return {k: site_neutral(v, site) for k, v in value.items()}
    if isinstance(value, list):
        return [site_neutral(v, site) for v in value]
    if isinstance(value, str):
        return (value.replace(site_base_url(site), "<site-url>")
                .replace(stable_id("instance", site), "<instance-id>"))
    return value


def public_reads(client: httpx.Client, event_ids: list[str]) -> dict[str, Any]:
    """What the public API answers about a site, read by read."""
    reads: dict[str, Any] = {
        "definitions": ok(client.post(f"{TD}/query", json={
            "query": {}, "fields": ["SALES_DETAILS"]}))["ticketDefinitions"],
        "policies": ok(client.post(f"{POLICIES}/query", json={"query": {}}))["policies"],
        "schedule-query": ok(client.post(f"{SCHEDULE}/query", json={"query": {}})),
        "categories": ok(client.post(f"{CATEGORIES}/query", json={
            "query": {}, "fieldset": ["COUNTS"]})),
        "events-query": ok(client.post("/events/v3/events/query", json={
            "query": {"paging": {"limit": 100}}, "includeDrafts": True,
            "fields": ALL_EVENT_FIELDS})),
    }
    for event_id in event_ids:
        reads[f"event {event_id}"] = ok(client.get(f"/events/v3/events/{event_id}",
                                                   params={"fields": ALL_EVENT_FIELDS}))
        reads[f"schedule {event_id}"] = ok(client.get(SCHEDULE, params={
            "eventId": event_id, "state": ["PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN"],
            "facet": ["tag", "stageName"]}))
        reads[f"form {event_id}"] = ok(client.get(f"/events/v1/events/{event_id}/form"))
        reads[f"categories {event_id}"] = ok(client.get(f"{CATEGORIES}/{event_id}"))
    for found in reads["categories"]["categories"]:
        reads[f"events of {found['id']}"] = ok(client.get(
            f"/events/v3/events/category/{found['id']}"))
    return reads


# --- round trip ---------------------------------------------------------------------------------


def test_export_shows_the_site_as_the_api_does(api: httpx.Client) -> None:
    ids = build_rich_site(api)
    exported = export(api)
    assert (exported["format"], exported["version"]) == ("wix-events-site", 1)
    launch, planning = ids["events"]
    assert [e["id"] for e in exported["events"]] == ids["events"]
    assert exported["events"][0] == ok(api.get(f"/events/v3/events/{launch}",
                                               params={"fields": ALL_EVENT_FIELDS}))["event"]
    assert [d["name"] for d in exported["ticketDefinitions"]] == [
        "Supporter", "Standard", "Tiers", "Crew"]
    standard = exported["ticketDefinitions"][1]
    assert standard["salesDetails"]["soldCount"] == 3
    assert standard["salesDetails"]["reservedCount"] == 2
    assert "eventDetails" in standard
    assert [p["name"] for p in exported["policies"]] == [
        "Refunds", "Privacy", "Conduct", "Dress code"]
    launch_schedule = exported["schedule"][0]
    assert launch_schedule["eventId"] == launch
    assert [i["name"] for i in launch_schedule["items"]] == ["Lunch", "Keynote", "Panel"]
    assert [i["name"] for i in launch_schedule["draftItems"]] == [
        "Lunch", "Keynote (new)", "Panel", "Party"]
    assert all(i["draft"] for i in launch_schedule["draftItems"])
    assert [(c["name"], c["eventIds"]) for c in exported["categories"]] == [
        ("Music", [planning, launch]), ("Staff", [launch]), ("Empty", [])]
    form = ok(api.get(f"/events/v1/events/{launch}/form"))["form"]
    assert exported["forms"][0] == {"eventId": launch, **form}


def test_round_trip_into_a_fresh_site(api: httpx.Client, other: httpx.Client) -> None:
    ids = build_rich_site(api)
    original = export(api)
    answer = ok(load(other, original))
    assert answer["imported"] == {"events": 2, "ticketDefinitions": 4, "policies": 4,
                                  "scheduleItems": 3, "draftScheduleItems": 5,
                                  "categories": 3, "forms": 2}
    copied = export(other)
    assert site_neutral(copied, other.site_id) == site_neutral(original, api.site_id)
    # and every public read of the copy answers what the original answers
    assert site_neutral(public_reads(other, ids["events"]), other.site_id) == \
        site_neutral(public_reads(api, ids["events"]), api.site_id)


def test_reimport_into_the_same_site_changes_nothing(api: httpx.Client) -> None:
    ids = build_rich_site(api)
    before = public_reads(api, ids["events"])
    original = export(api)
    ok(load(api, original))
    assert export(api) == original
    assert public_reads(api, ids["events"]) == before


def test_imported_site_keeps_working(api: httpx.Client, other: httpx.Client) -> None:
    """Revisions, display order, option ids and counters are the stored state, not a picture."""
    build_rich_site(api)
    ok(load(other, export(api)))
    supporter, standard = export(other)["ticketDefinitions"][:2]
    stale = other.patch(f"{TD}/{standard['id']}", json={"ticketDefinition": {
        "revision": str(int(standard["revision"]) - 1), "name": "Regular"}})
    assert stale.status_code == 409
    ok(other.patch(f"{TD}/{standard['id']}", json={"ticketDefinition": {
        "revision": standard["revision"], "name": "Regular"}}))
    # a new definition goes last; sales keep counting from the imported numbers
    definition(other, standard["eventId"], "Late", pricingMethod={"fixedPrice": usd("30.00")})
    sell(other, supporter["id"], 4)
    after = export(other)
    assert [d["name"] for d in after["ticketDefinitions"]] == [
        "Supporter", "Regular", "Tiers", "Crew", "Late"]
    assert after["ticketDefinitions"][0]["salesDetails"]["soldCount"] == 5
    summary = after["events"][0]["summaries"]["tickets"]
    before = export(api)["events"][0]["summaries"]["tickets"]
    assert summary["totalOrders"] == before["totalOrders"] + 1
    assert summary["revenue"]["value"] == f"{float(before['revenue']['value']) + 20:.2f}"
    # the currency stays locked by the imported sales
    response = other.post(f"{TD}/currency", json={"eventId": standard["eventId"],
                                                  "currency": "EUR"})
    assert response.status_code == 428


def test_canceled_event_and_its_dates_survive(api: httpx.Client, other: httpx.Client) -> None:
    event = create_event(api, "Called Off")
    ok(api.post(f"/events/v3/events/{event['id']}/cancel"))
    original = export(api)
    assert original["events"][0]["status"] == "CANCELED"
    ok(load(other, original))
    copied = export(other)["events"][0]
    assert copied["status"] == "CANCELED"
    assert copied["summaries"]["cancellation"] == original["events"][0]["summaries"][
        "cancellation"]
    for key in ("createdDate", "updatedDate", "publishedDate", "slug", "userId"):
        assert copied[key] == original["events"][0][key]


# --- what a real site's export looks like -------------------------------------------------------


FREE_FORM = ("description", "additionalLabels")  # rich content and maps: kept as sent


def sprinkle(value: Any, depth: int = 0) -> Any:
    """`value` with an unknown field added to every object but free-form JSON."""
    if isinstance(value, dict):
        out = {k: v if k in FREE_FORM and isinstance(v, dict) else sprinkle(v, depth + 1)
               for k, v in value.items()}
        out[f"unknownField{depth}"] = {"nested": [1, "two"]}
        return out
    if isinstance(value, list):
        return [sprinkle(v, depth + 1) for v in value]
    return value


def test_unknown_fields_are_ignored(api: httpx.Client, other: httpx.Client) -> None:
    ids = build_rich_site(api)
    original = export(api)
    ok(load(other, sprinkle(original)))
    assert site_neutral(export(other), other.site_id) == site_neutral(original, api.site_id)
    assert site_neutral(public_reads(other, ids["events"]), other.site_id) == \
        site_neutral(public_reads(api, ids["events"]), api.site_id)


def test_missing_optional_fields_take_the_create_defaults(other: httpx.Client) -> None:
    event_id = "3f1d2c4b-5a69-4e7f-8a1b-2c3d4e5f6a7b"
    minimal = {
        "format": "wix-events-site",
        "version": 1,
        "events": [{
            "id": event_id,
            "title": "Bare Bones",
            "location": {"name": "Hall"},
            "dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                    "endDate": "2030-01-01T12:00:00Z",
                                    "timeZoneId": "Europe/London"},
            "registration": {"initialType": "TICKETING"},
        }],
        "ticketDefinitions": [{"eventId": event_id, "name": "Entry", "feeType": "FEE_INCLUDED",
                               "pricingMethod": {"fixedPrice": usd("1")}}],
        "policies": [{"eventId": event_id, "name": "Rules", "body": "None."}],
        "schedule": [{"eventId": event_id, "draftItems": [{"name": "Talk", "timeSlot": {
            "start": "2030-01-01T10:00:00Z", "end": "2030-01-01T11:00:00Z"}}]}],
        "categories": [{"name": "Misc"}],
    }
    ok(load(other, minimal))
    event = ok(other.get(f"/events/v3/events/{event_id}",
                         params={"fields": ALL_EVENT_FIELDS}))["event"]
    assert event["slug"] == "bare-bones"
    assert event["status"] == "UPCOMING"
    assert event["createdDate"] == event["updatedDate"] == event["publishedDate"]
    assert event["location"] == {"name": "Hall", "type": "VENUE", "locationTbd": False}
    tickets = event["registration"]["tickets"]
    assert (tickets["currency"], tickets["ticketLimitPerOrder"]) == ("USD", 20)
    assert event["summaries"]["tickets"]["totalOrders"] == 0
    assert event["form"]["controls"][0]["id"] == "name"  # the default form of a new event
    found = ok(other.post(f"{TD}/query", json={"query": {}, "fields": ["SALES_DETAILS"]}))
    entry = found["ticketDefinitions"][0]
    assert (entry["revision"], entry["hidden"], entry["salesDetails"]["soldCount"]) == (
        "1", False, 0)
    assert ok(other.post(f"{POLICIES}/query", json={"query": {}}))["policies"][0][
        "revision"] == "1"
    listed = ok(other.get(SCHEDULE, params={"eventId": event_id, "state": "DRAFT"}))["items"]
    assert listed[0]["timeSlot"]["timeZoneId"] == "Etc/UTC"
    assert (listed[0]["status"], listed[0]["hidden"], listed[0]["draft"]) == (
        "SCHEDULED", False, True)
    categories = ok(other.post(f"{CATEGORIES}/query", json={"query": {}}))["categories"]
    assert categories[0]["states"] == ["MANUAL"]


def test_assignments_and_forms_come_from_the_event_fieldsets(
        api: httpx.Client, other: httpx.Client) -> None:
    """A real site's export has no `eventIds` and maybe no `forms`: Get Event's CATEGORIES and
    FORM fieldsets say the same."""
    ids = build_rich_site(api)
    original = export(api)
    real = copy.deepcopy(original)
    for found in real["categories"]:
        del found["eventIds"]
    del real["forms"]
    ok(load(other, real))
    copied = export(other)
    launch, planning = ids["events"]
    assert [(c["name"], c["eventIds"]) for c in copied["categories"]] == [
        ("Music", [launch, planning]), ("Staff", [launch]), ("Empty", [])]  # in event order
    assert copied["forms"] == original["forms"]


# --- refusals -----------------------------------------------------------------------------------


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


def _drop(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target = body
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


def _copy_entry(section: str, index: int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body[section].append(copy.deepcopy(body[section][index]))
    return change


REFUSALS = [
    ("no format", _drop(["format"]), "format"),
    ("a state dump", lambda b: b.update(format=None, documents=[]), "format"),
    ("wrong version", _set(["version"], 2), "version"),
    ("events not a list", _set(["events"], {"id": "x"}), "events"),
    ("event not an object", _set(["events", 1], "nope"), "events[1]"),
    ("event without id", _drop(["events", 0, "id"]), "events[0].id"),
    ("event id not a GUID", _set(["events", 0, "id"], "abc"), "events[0].id"),
    ("repeated event", _copy_entry("events", 0), "events[2].id"),
    ("bad slug", _set(["events", 1, "slug"], "Not A Slug"), "events[1]"),
    ("unknown time zone", _set(["events", 0, "dateAndTimeSettings", "timeZoneId"], "Mars/Base"),
     "events[0].dateAndTimeSettings.timeZoneId"),
    ("no initial type", _drop(["events", 0, "registration", "initialType"]),
     "events[0].registration.initialType"),
    ("definition of no event", _set(["ticketDefinitions", 3, "eventId"], UNKNOWN_GUID),
     "ticketDefinitions[3].eventId"),
    ("price in another currency",
     _set(["ticketDefinitions", 1, "pricingMethod", "fixedPrice", "currency"], "EUR"),
     "ticketDefinitions[1].pricingMethod.fixedPrice.currency"),
    ("price as a number", _set(["ticketDefinitions", 1, "pricingMethod", "fixedPrice", "value"],
                               25), "ticketDefinitions[1].pricingMethod.fixedPrice.value"),
    ("negative sold count", _set(["ticketDefinitions", 0, "salesDetails", "soldCount"], -1),
     "ticketDefinitions[0].salesDetails.soldCount"),
    ("repeated definition", _copy_entry("ticketDefinitions", 0), "ticketDefinitions[4].id"),
    ("policy without body", _drop(["policies", 2, "body"]), "policies[2].body"),
    ("schedule of no event", _set(["schedule", 0, "eventId"], UNKNOWN_GUID),
     "schedule[0].eventId"),
    ("time slot ends first",
     _set(["schedule", 0, "draftItems", 1, "timeSlot", "end"], "2030-06-15T15:00:00Z"),
     "schedule[0].draftItems[1].timeSlot.end"),
    ("item of another event", _set(["schedule", 0, "items", 0, "eventId"], UNKNOWN_GUID),
     "schedule[0].items[0].eventId"),
    ("category of no event", _set(["categories", 1, "eventIds"], [UNKNOWN_GUID]),
     "categories[1].eventIds[0]"),
    ("same category name", _set(["categories", 2, "name"], "MUSIC"), "categories[2].name"),
    ("control without id", _drop(["forms", 0, "controls", 2, "id"]), "forms[0].controls[2].id"),
    ("message not text", _set(["forms", 0, "messages", "checkout", "title"], 7),
     "forms[0].messages.checkout.title"),
]


@pytest.mark.parametrize(("change", "field"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])
def test_a_bad_export_is_refused_and_changes_nothing(
        api: httpx.Client, other: httpx.Client,
        change: Callable[[dict[str, Any]], None], field: str) -> None:
    build_rich_site(api)
    body = export(api)
    ok(load(other, body))
    before = export(other)
    bad = copy.deepcopy(body)
    change(bad)
    response = load(other, bad)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(field), response.json()
    assert export(other) == before


def test_refusals_are_field_violations_or_name_the_entry(
        api: httpx.Client, other: httpx.Client) -> None:
    build_rich_site(api)
    body = export(api)
    body["ticketDefinitions"][3]["eventId"] = UNKNOWN_GUID
    answer = load(other, body).json()
    violation = answer["details"]["validationError"]["fieldViolations"][0]
    assert violation["field"] == "ticketDefinitions[3].eventId"
    assert "names no event in this export" in violation["description"]
    body = export(api)
    body["ticketDefinitions"][0]["salePeriod"] = {"startDate": "2030-06-01T00:00:00Z",
                                                  "endDate": "2031-01-01T00:00:00Z"}
    response = load(other, body)
    assert response.status_code == 400  # 428 INVALID_SALE_PERIOD on create
    assert response.json()["details"]["applicationError"]["code"] == "INVALID_SALE_PERIOD"
    assert response.json()["message"].startswith("ticketDefinitions[0]: ")


def test_import_needs_the_site_header(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as control:
        assert control.get(EXPORT).status_code == 400
        response = control.put(IMPORT, json={"format": "wix-events-site", "version": 1})
        assert response.status_code == 400
        assert "wix-site-id" in response.json()["message"]


def test_an_import_touches_no_other_site(api: httpx.Client, other: httpx.Client) -> None:
    ids = build_rich_site(api)
    mine = export(api)
    reads = public_reads(api, ids["events"])
    create_event(other, "Somebody Else's")
    ok(load(other, mine))
    ok(load(other, {"format": "wix-events-site", "version": 1}))  # empty the other site
    assert export(other)["events"] == []
    assert export(api) == mine
    assert public_reads(api, ids["events"]) == reads
