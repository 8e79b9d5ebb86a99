"""Contract tests for Schedule items: the draft/published cycle, every endpoint's success path
and its documented errors, List's filters and facets, and Query's filter, sort and paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_event, violations

BASE = "/events/v1/schedule"
MISSING_EVENT = "6a8e7f33-5b7a-4d2f-9c51-0d0b9f2a1c11"
MISSING_ITEM = "0f3c2b1a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"


def item_body(name: str = "Opening keynote", start: str = "2030-06-15T16:00:00Z",
              end: str = "2030-06-15T17:00:00Z", **extra: Any) -> dict[str, Any]:
    timeslot = {"start": start, "end": end}
    if "timeZoneId" in extra:
        timeslot["timeZoneId"] = extra.pop("timeZoneId")
    return {"name": name, "timeSlot": timeslot, **extra}


def add(api: httpx.Client, event_id: str, name: str = "Opening keynote", **kwargs: Any) -> dict:
    response = api.post(f"{BASE}/draft", json={"eventId": event_id,
                                              "item": item_body(name, **kwargs)})
    assert response.status_code == 200, response.text
    return response.json()["item"]


def publish(api: httpx.Client, event_id: str) -> None:
    response = api.post(f"{BASE}/publish", json={"eventId": event_id})
    assert response.status_code == 200, response.text
    assert response.json() == {}


def listing(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get(BASE, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def update(api: httpx.Client, event_id: str, item_id: str, item: dict, fields: Any = None):
    body: dict[str, Any] = {"eventId": event_id, "itemId": item_id, "item": item}
    if fields is not None:
        body["fields"] = fields
    return api.patch(f"{BASE}/draft/{item_id}", json=body)


def delete(api: httpx.Client, event_id: str | None, item_ids: list[str]) -> httpx.Response:
    params: dict[str, Any] = {"itemIds": item_ids}
    if event_id is not None:
        params["eventId"] = event_id
    return api.delete(f"{BASE}/draft/items", params=params)


def get(api: httpx.Client, item_id: str, **params: Any) -> httpx.Response:
    return api.get(f"{BASE}/{item_id}", params=params)


def query(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"{BASE}/query", json=body)
    assert response.status_code == 200, response.text
    return response.json()


# --- add ---------------------------------------------------------------------------------------


def test_add_creates_a_draft_item_with_defaults(api, clock):
    clock.set("2026-05-01T00:00:00Z")
    event = create_event(api)
    item = add(api, event["id"], start="2030-06-15T16:00:00+02:00", end="2030-06-15T17:30:00Z")
    assert item == {
        "id": item["id"],
        "name": "Opening keynote",
        "timeSlot": {"start": "2030-06-15T14:00:00.000Z", "end": "2030-06-15T17:30:00.000Z",
                     "timeZoneId": "Etc/UTC"},
        "status": "SCHEDULED",
        "hidden": False,
        "createdDate": "2026-05-01T00:00:00.000Z",
        "updatedDate": "2026-05-01T00:00:00.000Z",
        "eventId": event["id"],
        "draft": True,
    }
    # a draft is not in the default (published, visible) view, but is in the draft view
    assert listing(api, eventId=event["id"])["items"] == []
    assert listing(api, eventId=event["id"], state="DRAFT")["items"] == [item]


def test_add_keeps_every_writable_field_and_ignores_read_only_ones(api):
    event = create_event(api)
    sent = item_body("Workshop", timeZoneId="Europe/London", description="<p>Hands on</p>",
                     stageName="Room 2", tags=["hands-on", "beginner"], status="CANCELED",
                     hidden=True, id=MISSING_ITEM, eventId=MISSING_EVENT, draft=False,
                     createdDate="2020-01-01T00:00:00Z")
    response = api.post(f"{BASE}/draft", json={"eventId": event["id"], "item": sent})
    item = response.json()["item"]
    assert item["id"] != MISSING_ITEM
    assert item["eventId"] == event["id"]
    assert item["draft"] is True
    assert item["createdDate"] != "2020-01-01T00:00:00.000Z"
    assert item["timeSlot"]["timeZoneId"] == "Europe/London"
    assert (item["description"], item["stageName"], item["tags"]) == (
        "<p>Hands on</p>", "Room 2", ["hands-on", "beginner"])
    assert (item["status"], item["hidden"]) == ("CANCELED", True)
    stored = get(api, item["id"], includeDraft="true").json()["draft"]
    assert stored == item


def test_add_reports_every_invalid_field_with_its_path(api):
    event = create_event(api)
    bad = {"name": "n" * 121, "timeSlot": {"start": "tomorrow", "timeZoneId": "z" * 101},
           "description": "d" * 10001, "stageName": "s" * 31, "tags": ["a", "b", "c", "d", "e",
                                                                   "f"],
           "status": "POSTPONED", "hidden": "no"}
    found = violations(api.post(f"{BASE}/draft", json={"eventId": event["id"], "item": bad}))
    assert set(found) == {"item.name", "item.timeSlot.start", "item.timeSlot.end",
                          "item.timeSlot.timeZoneId", "item.description", "item.stageName",
                          "item.tags", "item.status", "item.hidden"}
    assert "120" in found["item.name"]
    assert found["item.timeSlot.end"] == "is required"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"timeSlot": {"start": "2030-06-15T16:00:00Z", "end": "2030-06-15T17:00:00Z"}},
         "item.name"),
        (item_body(name=""), "item.name"),
        ({"name": "No time"}, "item.timeSlot"),
        (item_body(tags=["ok", ""]), "item.tags[1]"),
        (item_body(tags=["t" * 31]), "item.tags[0]"),
        (item_body(timeZoneId=""), "item.timeSlot.timeZoneId"),
        (item_body(timeZoneId="Mars/Olympus_Mons"), "item.timeSlot.timeZoneId"),
        (item_body(end="2030-06-15T16:00:00Z"), "item.timeSlot.end"),
        (item_body(end="2030-06-15T15:00:00Z"), "item.timeSlot.end"),
    ],
)
def test_add_refuses_an_invalid_item(api, item, field):
    event = create_event(api)
    response = api.post(f"{BASE}/draft", json={"eventId": event["id"], "item": item})
    assert field in violations(response)
    assert listing(api, eventId=event["id"], state="DRAFT")["items"] == []


def test_add_accepts_the_limits_exactly(api):
    event = create_event(api)
    item = add(api, event["id"], "n" * 120, description="d" * 10000, stageName="s" * 30,
               tags=["t" * 30, "b", "c", "d", "e"], timeZoneId="America/New_York")
    assert len(item["name"]) == 120 and len(item["tags"]) == 5


def test_add_needs_an_event_and_an_item(api):
    event = create_event(api)
    assert "eventId" in violations(api.post(f"{BASE}/draft", json={"item": item_body()}))
    assert "item" in violations(api.post(f"{BASE}/draft", json={"eventId": event["id"]}))
    assert_error(api.post(f"{BASE}/draft", json={"eventId": MISSING_EVENT, "item": item_body()}),
                 404, "EVENT_NOT_FOUND")


# --- publish, list, get, discard ---------------------------------------------------------------


def test_publish_makes_the_published_schedule_equal_to_the_draft(api):
    event = create_event(api)
    first = add(api, event["id"], "Keynote", start="2030-06-15T16:00:00Z")
    second = add(api, event["id"], "Lunch", start="2030-06-15T18:00:00Z",
                 end="2030-06-15T19:00:00Z")
    before = listing(api, eventId=event["id"])
    assert before["items"] == [] and before["draftNotPublished"] is True

    publish(api, event["id"])
    after = listing(api, eventId=event["id"])
    assert after["draftNotPublished"] is False
    assert [i["id"] for i in after["items"]] == [first["id"], second["id"]]
    assert all(i["draft"] is False for i in after["items"])
    assert after["items"][0] == {**first, "draft": False}
    drafts = listing(api, eventId=event["id"], state="DRAFT")["items"]
    assert [(i["id"], i["draft"]) for i in drafts] == [(first["id"], True), (second["id"], True)]


def test_publish_needs_a_known_event(api):
    assert "eventId" in violations(api.post(f"{BASE}/publish", json={}))
    assert_error(api.post(f"{BASE}/publish", json={"eventId": MISSING_EVENT}), 404,
                 "EVENT_NOT_FOUND")


def test_get_returns_the_published_copy_and_the_draft_on_request(api):
    event = create_event(api)
    item = add(api, event["id"])
    assert_error(get(api, item["id"]), 404, "SCHEDULE_ITEM_NOT_FOUND")
    assert get(api, item["id"], includeDraft="true").json() == {"draft": item}

    publish(api, event["id"])
    update(api, event["id"], item["id"], {"name": "Renamed"}, fields="name")
    assert get(api, item["id"]).json() == {"item": {**item, "draft": False}}
    both = get(api, item["id"], eventId=event["id"], includeDraft="true").json()
    assert both["item"]["name"] == "Opening keynote" and both["item"]["draft"] is False
    assert both["draft"]["name"] == "Renamed" and both["draft"]["draft"] is True


def test_get_refuses_unknown_ids_and_bad_flags(api):
    event = create_event(api)
    other = create_event(api, "Other")
    item = add(api, event["id"])
    publish(api, event["id"])
    assert_error(get(api, MISSING_ITEM, includeDraft="true"), 404, "SCHEDULE_ITEM_NOT_FOUND")
    # an item is found only under its own event
    assert_error(get(api, item["id"], eventId=other["id"], includeDraft="true"), 404,
                 "SCHEDULE_ITEM_NOT_FOUND")
    assert "includeDraft" in violations(get(api, item["id"], includeDraft="yes"))


def test_discard_resets_the_draft_to_the_published_schedule(api):
    event = create_event(api)
    kept = add(api, event["id"], "Keynote")
    deleted = add(api, event["id"], "Panel", start="2030-06-15T18:00:00Z",
                  end="2030-06-15T19:00:00Z")
    publish(api, event["id"])
    update(api, event["id"], kept["id"], {"name": "Edited"}, fields="name")
    assert delete(api, event["id"], [deleted["id"]]).status_code == 200
    add(api, event["id"], "Unpublished addition")
    assert listing(api, eventId=event["id"])["draftNotPublished"] is True

    response = api.delete(f"{BASE}/draft", params={"eventId": event["id"]})
    assert response.status_code == 200 and response.json() == {}
    drafts = listing(api, eventId=event["id"], state="DRAFT")
    assert names(drafts["items"]) == ["Keynote", "Panel"]
    assert [i["id"] for i in drafts["items"]] == [kept["id"], deleted["id"]]
    assert all(i["draft"] is True for i in drafts["items"])
    assert drafts["draftNotPublished"] is False
    assert names(listing(api, eventId=event["id"])["items"]) == ["Keynote", "Panel"]


def test_discard_needs_a_known_event(api):
    assert "eventId" in violations(api.delete(f"{BASE}/draft"))
    assert_error(api.delete(f"{BASE}/draft", params={"eventId": MISSING_EVENT}), 404,
                 "EVENT_NOT_FOUND")


# --- update ------------------------------------------------------------------------------------


def test_update_with_a_mask_changes_only_the_named_fields(api, clock):
    clock.set("2026-05-01T00:00:00Z")
    event = create_event(api)
    item = add(api, event["id"], stageName="Main hall", tags=["keynote"],
               timeZoneId="Europe/London")
    publish(api, event["id"])
    clock.set("2026-05-02T00:00:00Z")
    sent = {"name": "Welcome", "stageName": "ignored", "timeSlot": {"end": "2030-06-15T18:00:00Z"}}

    first = update(api, event["id"], item["id"], sent, fields="name")
    assert first.status_code == 200, first.text
    changed = first.json()["item"]
    assert changed["name"] == "Welcome" and changed["stageName"] == "Main hall"
    assert changed["draft"] is True
    assert changed["createdDate"] == "2026-05-01T00:00:00.000Z"
    assert changed["updatedDate"] == "2026-05-02T00:00:00.000Z"

    second = update(api, event["id"], item["id"], sent, fields={"paths": ["timeSlot.end"]})
    assert second.json()["item"]["timeSlot"] == {
        "start": "2030-06-15T16:00:00.000Z", "end": "2030-06-15T18:00:00.000Z",
        "timeZoneId": "Europe/London"}
    # a masked field the item leaves out is cleared
    third = update(api, event["id"], item["id"], {}, fields=["stageName", "tags"])
    assert "stageName" not in third.json()["item"] and "tags" not in third.json()["item"]

    draft = get(api, item["id"], includeDraft="true").json()
    assert draft["draft"] == third.json()["item"]
    # the published copy does not move until the next publish
    assert draft["item"] == {**item, "draft": False}
    assert listing(api, eventId=event["id"])["draftNotPublished"] is True
    publish(api, event["id"])
    assert listing(api, eventId=event["id"])["items"][0]["name"] == "Welcome"


def test_update_without_a_mask_replaces_every_writable_field(api):
    event = create_event(api)
    item = add(api, event["id"], stageName="Main hall", tags=["keynote"], status="CANCELED",
               hidden=True, timeZoneId="Europe/London", description="Old")
    response = update(api, event["id"], item["id"],
                      item_body("Replaced", start="2030-06-16T09:00:00Z",
                                end="2030-06-16T10:00:00Z"))
    replaced = response.json()["item"]
    assert replaced == {
        "id": item["id"], "name": "Replaced",
        "timeSlot": {"start": "2030-06-16T09:00:00.000Z", "end": "2030-06-16T10:00:00.000Z",
                     "timeZoneId": "Etc/UTC"},
        "status": "SCHEDULED", "hidden": False, "createdDate": item["createdDate"],
        "updatedDate": replaced["updatedDate"], "eventId": event["id"], "draft": True,
    }
    # a full replacement needs everything Add needs
    found = violations(update(api, event["id"], item["id"], {"stageName": "Only this"}))
    assert {"item.name", "item.timeSlot"} <= set(found)


@pytest.mark.parametrize(
    ("item", "fields", "field"),
    [
        ({}, "name", "item.name"),  # clearing a required field
        ({}, "timeSlot", "item.timeSlot"),
        ({"timeSlot": {"end": "2030-06-15T15:00:00Z"}}, "timeSlot.end", "item.timeSlot.end"),
        ({"name": "n" * 121}, "stageName", "item.name"),  # validated even outside the mask
        ({"name": "x"}, "title", "fields[0]"),
        ({"name": "x"}, "name,item.stageName", "fields[1]"),
        ({"name": "x"}, 42, "fields"),
    ],
)
def test_update_refuses_an_invalid_change(api, item, fields, field):
    event = create_event(api)
    stored = add(api, event["id"])
    assert field in violations(update(api, event["id"], stored["id"], item, fields))
    draft = get(api, stored["id"], includeDraft="true").json()["draft"]
    assert draft == stored


def test_update_refuses_unknown_ids(api):
    event = create_event(api)
    other = create_event(api, "Other")
    item = add(api, event["id"])
    assert_error(update(api, event["id"], MISSING_ITEM, {"name": "x"}, "name"), 404,
                 "SCHEDULE_ITEM_NOT_FOUND")
    assert_error(update(api, other["id"], item["id"], {"name": "x"}, "name"), 404,
                 "SCHEDULE_ITEM_NOT_FOUND")
    assert_error(update(api, MISSING_EVENT, item["id"], {"name": "x"}, "name"), 404,
                 "EVENT_NOT_FOUND")
    no_event = api.patch(f"{BASE}/draft/{item['id']}", json={"item": {"name": "x"},
                                                             "fields": "name"})
    assert "eventId" in violations(no_event)
    no_item = api.patch(f"{BASE}/draft/{item['id']}", json={"eventId": event["id"]})
    assert "item" in violations(no_item)
    mismatch = api.patch(f"{BASE}/draft/{item['id']}", json={
        "eventId": event["id"], "itemId": MISSING_ITEM, "item": {"name": "x"}, "fields": "name"})
    assert_error(mismatch, 400, "INVALID_ARGUMENT")


# --- delete ------------------------------------------------------------------------------------


def test_delete_then_publish_removes_items_from_the_published_schedule(api):
    event = create_event(api)
    keep = add(api, event["id"], "Keep")
    drop = add(api, event["id"], "Drop", start="2030-06-15T18:00:00Z",
               end="2030-06-15T19:00:00Z")
    publish(api, event["id"])
    response = delete(api, event["id"], [drop["id"]])
    assert response.status_code == 200 and response.json() == {}
    assert names(listing(api, eventId=event["id"], state="DRAFT")["items"]) == ["Keep"]
    published = listing(api, eventId=event["id"])
    assert names(published["items"]) == ["Keep", "Drop"]
    assert published["draftNotPublished"] is True

    publish(api, event["id"])
    assert [i["id"] for i in listing(api, eventId=event["id"])["items"]] == [keep["id"]]
    assert_error(get(api, drop["id"], includeDraft="true"), 404, "SCHEDULE_ITEM_NOT_FOUND")


def test_delete_takes_several_ids(api):
    event = create_event(api)
    ids = [add(api, event["id"], f"Item {n}")["id"] for n in range(3)]
    assert delete(api, event["id"], ids[:2]).status_code == 200
    assert [i["id"] for i in listing(api, eventId=event["id"], state="DRAFT")["items"]] == ids[2:]


def test_delete_refuses_bad_requests_and_deletes_nothing(api):
    event = create_event(api)
    other = create_event(api, "Other")
    item = add(api, event["id"])
    assert "itemIds" in violations(delete(api, event["id"], []))
    too_many = [f"00000000-0000-4000-8000-{n:012d}" for n in range(101)]
    assert "itemIds" in violations(delete(api, event["id"], too_many))
    assert "eventId" in violations(delete(api, None, [item["id"]]))
    assert_error(delete(api, MISSING_EVENT, [item["id"]]), 404, "EVENT_NOT_FOUND")
    assert_error(delete(api, other["id"], [item["id"]]), 404, "SCHEDULE_ITEM_NOT_FOUND")
    assert_error(delete(api, event["id"], [item["id"], MISSING_ITEM]), 404,
                 "SCHEDULE_ITEM_NOT_FOUND")
    assert [i["id"] for i in listing(api, eventId=event["id"], state="DRAFT")["items"]] == [
        item["id"]]


# --- reschedule --------------------------------------------------------------------------------


def test_reschedule_shifts_every_draft_item_and_sets_the_zone(api):
    event = create_event(api)
    first = add(api, event["id"], "First")
    add(api, event["id"], "Second", start="2030-06-15T18:00:00Z", end="2030-06-15T19:00:00Z")
    publish(api, event["id"])
    response = api.post(f"{BASE}/draft/reschedule", json={
        "eventId": event["id"], "timeZoneId": "America/New_York", "timeSlotOffset": "3600s"})
    assert response.status_code == 200 and response.json() == {}
    drafts = listing(api, eventId=event["id"], state="DRAFT")
    assert [i["timeSlot"] for i in drafts["items"]] == [
        {"start": "2030-06-15T17:00:00.000Z", "end": "2030-06-15T18:00:00.000Z",
         "timeZoneId": "America/New_York"},
        {"start": "2030-06-15T19:00:00.000Z", "end": "2030-06-15T20:00:00.000Z",
         "timeZoneId": "America/New_York"},
    ]
    assert drafts["draftNotPublished"] is True
    assert listing(api, eventId=event["id"])["items"][0]["timeSlot"] == {**first["timeSlot"]}

    api.post(f"{BASE}/draft/reschedule", json={
        "eventId": event["id"], "timeZoneId": "Etc/UTC", "timeSlotOffset": "-1800.5s"})
    api.post(f"{BASE}/draft/reschedule", json={"eventId": event["id"], "timeZoneId": "UTC"})
    moved = get(api, first["id"], includeDraft="true").json()["draft"]["timeSlot"]
    assert moved == {"start": "2030-06-15T16:29:59.500Z", "end": "2030-06-15T17:29:59.500Z",
                     "timeZoneId": "UTC"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timeSlotOffset": "60s"}, "timeZoneId"),
        ({"timeZoneId": "Nowhere/Special"}, "timeZoneId"),
        ({"timeZoneId": "z" * 101}, "timeZoneId"),
        ({"timeZoneId": "UTC", "timeSlotOffset": "1h"}, "timeSlotOffset"),
        ({"timeZoneId": "UTC", "timeSlotOffset": 3600}, "timeSlotOffset"),
        ({"timeZoneId": "UTC", "timeSlotOffset": "315576000001s"}, "timeSlotOffset"),
        ({"timeZoneId": "UTC", "timeSlotOffset": "315576000000s"}, "timeSlotOffset"),
    ],
)
def test_reschedule_refuses_bad_input(api, body, field):
    event = create_event(api)
    item = add(api, event["id"])
    response = api.post(f"{BASE}/draft/reschedule", json={"eventId": event["id"], **body})
    assert field in violations(response)
    assert get(api, item["id"], includeDraft="true").json()["draft"] == item


def test_reschedule_needs_a_known_event(api):
    assert "eventId" in violations(api.post(f"{BASE}/draft/reschedule",
                                            json={"timeZoneId": "UTC"}))
    assert_error(api.post(f"{BASE}/draft/reschedule", json={
        "eventId": MISSING_EVENT, "timeZoneId": "UTC"}), 404, "EVENT_NOT_FOUND")


# --- list --------------------------------------------------------------------------------------


@pytest.fixture
def program(api):
    """Two events with published schedules; items added out of time order."""
    a, b = create_event(api, "A")["id"], create_event(api, "B")["id"]
    add(api, a, "Lunch", start="2030-06-15T12:00:00Z", end="2030-06-15T13:00:00Z",
        stageName="Foyer", tags=["break"])
    add(api, a, "Talk long", start="2030-06-15T09:00:00Z", end="2030-06-15T11:00:00Z",
        stageName="Main", tags=["talk", "ai"])
    add(api, a, "Talk short", start="2030-06-15T09:00:00Z", end="2030-06-15T10:00:00Z",
        stageName="Main", tags=["talk"])
    add(api, a, "Crew briefing", start="2030-06-15T08:00:00Z", end="2030-06-15T08:30:00Z",
        hidden=True, stageName="Backstage")
    add(api, b, "Other event talk", start="2030-06-15T10:00:00Z", end="2030-06-15T11:00:00Z",
        stageName="Main", tags=["talk"])
    publish(api, a)
    publish(api, b)
    return a, b


def test_list_sorts_by_start_then_end_and_shows_published_visible_items(api, program):
    a, b = program
    result = listing(api, eventId=a)
    assert names(result["items"]) == ["Talk short", "Talk long", "Lunch"]
    assert result["total"] == 3 and result["limit"] == 100 and result["offset"] == 0
    assert result["pagingMetadata"] == {"count": 3, "offset": 0, "total": 3,
                                        "tooManyToCount": False}
    assert result["facets"] == {}
    everything = listing(api)
    assert names(everything["items"]) == ["Talk short", "Talk long", "Other event talk", "Lunch"]
    assert "draftNotPublished" not in everything
    assert "draftNotPublished" not in listing(api, eventId=[a, b])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "HIDDEN"}, ["Crew briefing"]),
        ({"state": ["VISIBLE", "HIDDEN"]}, ["Crew briefing", "Talk short", "Talk long", "Lunch"]),
        ({"tag": "talk"}, ["Talk short", "Talk long"]),
        ({"tag": ["ai", "break"]}, ["Talk long", "Lunch"]),
        ({"stageName": ["Foyer", "Backstage"]}, ["Lunch"]),
        ({"startingFrom": "2030-06-15T09:00:00Z"}, ["Talk short", "Talk long", "Lunch"]),
        ({"startingFrom": "2030-06-15T09:00:01Z"}, ["Lunch"]),
        ({"startingBefore": "2030-06-15T12:00:00Z"}, ["Talk short", "Talk long"]),
        ({"startingFrom": "2030-06-15T10:00:00+01:00",
          "startingBefore": "2030-06-15T12:00:01Z"}, ["Talk short", "Talk long", "Lunch"]),
        ({"paging.limit": 2, "paging.offset": 1}, ["Talk long", "Lunch"]),
        ({"limit": 1, "offset": 2}, ["Lunch"]),
        ({"paging.limit": 1, "limit": 3}, ["Talk short"]),
        ({"paging.limit": 0}, []),
    ],
)
def test_list_filters_and_pages(api, program, params, expected):
    a, _ = program
    assert names(listing(api, eventId=a, **params)["items"]) == expected


def test_list_filters_by_item_id_and_reports_totals_before_paging(api, program):
    a, _ = program
    items = listing(api, eventId=a)["items"]
    chosen = [items[2]["id"], items[0]["id"]]
    assert names(listing(api, itemId=chosen)["items"]) == ["Talk short", "Lunch"]
    page = listing(api, eventId=a, **{"paging.limit": 1, "paging.offset": 1})
    assert page["total"] == 3 and page["limit"] == 1 and page["offset"] == 1
    assert page["pagingMetadata"] == {"count": 1, "offset": 1, "total": 3,
                                      "tooManyToCount": False}


def test_list_can_return_both_copies(api, program):
    a, _ = program
    item = listing(api, eventId=a, tag="break")["items"][0]
    update(api, a, item["id"], {"name": "Long lunch"}, fields="name")
    both = listing(api, eventId=a, tag="break", state=["PUBLISHED", "DRAFT"])
    assert [(i["name"], i["draft"]) for i in both["items"]] == [("Lunch", False),
                                                                 ("Long lunch", True)]
    assert both["draftNotPublished"] is True


def test_list_counts_facets_over_every_match(api, program):
    a, _ = program
    result = listing(api, eventId=a, facet=["tag", "stageName"], **{"paging.limit": 1})
    assert result["facets"] == {
        "tag": {"counts": {"talk": 2, "ai": 1, "break": 1}},
        "stageName": {"counts": {"Main": 2, "Foyer": 1}},
    }
    site_wide = listing(api, facet="stageName", state=["VISIBLE", "HIDDEN"])
    assert site_wide["facets"] == {"stageName": {"counts": {"Main": 3, "Foyer": 1,
                                                            "Backstage": 1}}}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "ARCHIVED"}, "state[0]"),
        ({"facet": "status"}, "facet[0]"),
        ({"paging.limit": 101}, "paging.limit"),
        ({"paging.limit": "ten"}, "paging.limit"),
        ({"paging.offset": -1}, "paging.offset"),
        ({"limit": 101}, "limit"),
        ({"offset": 1001}, "offset"),
        ({"startingFrom": "yesterday"}, "startingFrom"),
        ({"startingBefore": "2030-06-15"}, "startingBefore"),
        ({"tag": "t" * 31}, "tag[0]"),
        ({"tag": ""}, "tag[0]"),
        ({"eventId": [MISSING_EVENT] * 101}, "eventId"),
        ({"itemId": [MISSING_ITEM] * 101}, "itemId"),
        ({"stageName": ["s"] * 51}, "stageName"),
        ({"facet": ["tag"] * 21}, "facet"),
    ],
)
def test_list_refuses_bad_parameters(api, params, field):
    assert field in violations(api.get(BASE, params=params))


def test_list_of_an_unknown_event_is_empty(api):
    result = listing(api, eventId=MISSING_EVENT)
    assert result["items"] == [] and result["total"] == 0
    assert result["draftNotPublished"] is False


# --- query -------------------------------------------------------------------------------------


def test_query_returns_published_items_in_time_order(api, program):
    a, _ = program
    draft_only = add(api, a, "Not yet published")
    result = query(api, {})
    assert names(result["items"]) == ["Crew briefing", "Talk short", "Talk long",
                                      "Other event talk", "Lunch"]
    assert all(i["draft"] is False for i in result["items"])
    assert draft_only["id"] not in [i["id"] for i in result["items"]]
    assert result["pagingMetadata"] == {"count": 5, "offset": 0, "total": 5,
                                        "tooManyToCount": False}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ({"filter": {"stageName": "Main"}}, ["Talk short", "Talk long", "Other event talk"]),
        ({"filter": {"name": {"$ne": "Lunch"}, "stageName": {"$eq": "Foyer"}}}, []),
        ({"filter": {"name": {"$gte": "T"}}, "sort": [{"fieldName": "name", "order": "DESC"}]},
         ["Talk short", "Talk long"]),
        ({"filter": {"$or": [{"name": "Lunch"}, {"stageName": "Backstage"}]}},
         ["Crew briefing", "Lunch"]),
        ({"sort": [{"fieldName": "stageName"}], "paging": {"limit": 2, "offset": 1}},
         ["Lunch", "Talk short"]),
        ({"filter": {"description": {"$lt": "z"}}}, []),
    ],
)
def test_query_filters_sorts_and_pages(api, program, q, expected):
    assert names(query(api, {"query": q})["items"]) == expected


def test_query_filters_on_event_and_dates(api, program, clock):
    a, b = program
    assert names(query(api, {"query": {"filter": {"eventId": b}}})["items"]) == [
        "Other event talk"]
    assert len(query(api, {"query": {"filter": {"eventId": {"$ne": b}}}})["items"]) == 4
    clock.set("2040-01-01T00:00:00Z")
    late = add(api, a, "Late addition")
    publish(api, a)
    found = query(api, {"query": {"filter": {"createdDate": {"$gt": "2039-12-31T00:00:00Z"}}}})
    assert [i["id"] for i in found["items"]] == [late["id"]]
    newest = query(api, {"query": {"sort": [{"fieldName": "updatedDate", "order": "DESC"}],
                                   "paging": {"limit": 1}}})
    assert newest["items"][0]["id"] == late["id"]
    assert newest["pagingMetadata"]["total"] == 6


def test_query_pages_by_cursor_on_request(api, program):
    first = query(api, {"query": {"cursorPaging": {"limit": 3}}})
    assert names(first["items"]) == ["Crew briefing", "Talk short", "Talk long"]
    token = first["pagingMetadata"]["cursors"]["next"]
    second = query(api, {"query": {"cursorPaging": {"limit": 3, "cursor": token}}})
    assert names(second["items"]) == ["Other event talk", "Lunch"]
    assert "next" not in second["pagingMetadata"]["cursors"]


@pytest.mark.parametrize(
    "q",
    [
        {"filter": {"tags": "talk"}},
        {"filter": {"name": {"$in": ["Lunch"]}}},
        {"filter": {"name": {"$startsWith": "L"}}},
        {"filter": {"createdDate": {"$gt": "not a date"}}},
        {"filter": "name = Lunch"},
        {"sort": [{"fieldName": "timeSlot.start"}]},
        {"sort": [{"fieldName": "name", "order": "UP"}]},
    ],
)
def test_query_refuses_filters_it_cannot_read(api, q):
    assert_error(api.post(f"{BASE}/query", json={"query": q}), 400, "FILTER_PARSER_ERROR")


def test_query_limits_the_page_size(api, program):
    assert_error(api.post(f"{BASE}/query", json={"query": {"paging": {"limit": 101}}}), 400)
    assert len(query(api, {"query": {"paging": {"limit": 100}}})["items"]) == 5


# --- aliases, sites, cascades ------------------------------------------------------------------


def test_the_legacy_agenda_prefix_serves_the_same_schedule(api):
    event = create_event(api)
    response = api.post("/events/v1/agenda/draft", json={"eventId": event["id"],
                                                        "item": item_body()})
    item = response.json()["item"]
    assert api.post("/events/v1/agenda/publish", json={"eventId": event["id"]}).json() == {}
    assert [i["id"] for i in listing(api, eventId=event["id"])["items"]] == [item["id"]]
    legacy = api.get("/events/v1/agenda", params={"eventId": event["id"]}).json()
    assert [i["id"] for i in legacy["items"]] == [item["id"]]
    assert api.get(f"/events/v1/agenda/{item['id']}").json()["item"]["id"] == item["id"]


def test_another_site_cannot_see_or_change_the_schedule(api, server):
    event = create_event(api)
    item = add(api, event["id"])
    publish(api, event["id"])
    key, site = server.new_site()
    with server.client(key, site) as other:
        assert other.get(BASE, params={"eventId": event["id"]}).json()["items"] == []
        assert other.post(f"{BASE}/query", json={}).json()["items"] == []
        assert_error(other.get(f"{BASE}/{item['id']}", params={"includeDraft": "true"}), 404,
                     "SCHEDULE_ITEM_NOT_FOUND")
        assert_error(update(other, event["id"], item["id"], {"name": "x"}, "name"), 404,
                     "EVENT_NOT_FOUND")
        assert_error(delete(other, event["id"], [item["id"]]), 404, "EVENT_NOT_FOUND")
        assert_error(other.post(f"{BASE}/publish", json={"eventId": event["id"]}), 404,
                     "EVENT_NOT_FOUND")
    assert get(api, item["id"], includeDraft="true").json()["draft"] == item


def test_deleting_the_event_removes_both_schedules(api):
    event = create_event(api)
    item = add(api, event["id"])
    publish(api, event["id"])
    add(api, event["id"], "Draft only")
    assert api.delete(f"/events/v3/events/{event['id']}").status_code == 200
    gone = listing(api, eventId=event["id"], state=["PUBLISHED", "DRAFT"])
    assert gone["items"] == [] and gone["draftNotPublished"] is False
    assert query(api, {})["items"] == []
    assert_error(get(api, item["id"], includeDraft="true"), 404, "SCHEDULE_ITEM_NOT_FOUND")
