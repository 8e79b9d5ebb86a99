"""Contract tests for the emulated Categories API (`/events/v1/categories`, `/events/v1/bulk…`)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.emulator.helpers import assert_error, create_event, violations

PREFIX = "/events/v1/categories"
BULK = "/events/v1/bulk/categories"
ASYNC = "/events/v1/bulk-async/categories"


def add_category(api: httpx.Client, name: str = "Jazz", **fields: Any) -> dict[str, Any]:
    response = api.post(PREFIX, json={"category": {"name": name, **fields}})
    assert response.status_code == 200, response.text
    return response.json()["category"]


def query(api: httpx.Client, q: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    return api.post(f"{PREFIX}/query", json={"query": q or {}, **extra})


def listed(api: httpx.Client, q: dict[str, Any] | None = None, **extra: Any) -> list[dict]:
    response = query(api, q, **extra)
    assert response.status_code == 200, response.text
    return response.json()["categories"]


def names(api: httpx.Client, q: dict[str, Any] | None = None) -> list[str]:
    return [c["name"] for c in listed(api, q)]


def assign(api: httpx.Client, category_id: str, *event_ids: str) -> httpx.Response:
    return api.post(f"{PREFIX}/{category_id}/events",
                    json={"categoryId": category_id, "eventId": list(event_ids)})


def unassign(api: httpx.Client, category_id: str, *event_ids: str) -> httpx.Response:
    return api.delete(f"{PREFIX}/{category_id}/events",
                      params={"categoryId": category_id, "eventId": list(event_ids)})


def event_category_ids(api: httpx.Client, event_id: str) -> list[str]:
    """The event's categories as Events V3 shows them (CATEGORIES fieldset)."""
    response = api.get(f"/events/v3/events/{event_id}", params={"fields": ["CATEGORIES"]})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["event"]["categories"]["categories"]]


def category_event_ids(api: httpx.Client, category_id: str) -> list[str]:
    """The category's published events in its order (Events V3 List Events By Category)."""
    response = api.get(f"/events/v3/events/category/{category_id}")
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["events"]]


def counts(api: httpx.Client, category_id: str) -> dict[str, int]:
    found = listed(api, {"filter": {"id": category_id}}, fieldset=["COUNTS"])
    return found[0]["counts"]


# --- create ------------------------------------------------------------------------------------


def test_create_returns_the_category_with_default_state(api, clock):
    clock.set("2026-05-01T10:00:00Z")
    response = api.post(PREFIX, json={"category": {"name": "Jazz", "id": "ignored",
                                                   "counts": {"assignedEventsCount": 9}}})
    assert response.status_code == 200, response.text
    category = response.json()["category"]
    assert list(category) == ["id", "name", "createdDate", "states"]
    uuid.UUID(category["id"])
    assert category["name"] == "Jazz"
    assert category["createdDate"] == "2026-05-01T10:00:00.000Z"
    assert category["states"] == ["MANUAL"]
    assert listed(api) == [category]


def test_create_keeps_states_and_an_empty_list_means_manual(api):
    hidden = add_category(api, "Hidden", states=["MANUAL", "HIDDEN"])
    empty = add_category(api, "Empty", states=[])
    assert hidden["states"] == ["MANUAL", "HIDDEN"]
    assert empty["states"] == ["MANUAL"]
    stored = {c["name"]: c["states"] for c in listed(api)}
    assert stored == {"Hidden": ["MANUAL", "HIDDEN"], "Empty": ["MANUAL"]}


def test_create_refuses_invalid_categories(api):
    assert "category.name" in violations(api.post(PREFIX, json={"category": {}}))
    assert "category" in violations(api.post(PREFIX, json={}))
    too_long = violations(api.post(PREFIX, json={"category": {"name": "x" * 31}}))
    assert "at most 30" in too_long["category.name"]
    add_category(api, "x" * 30)  # the limit itself is fine
    assert "category.name" in violations(api.post(PREFIX, json={"category": {"name": ""}}))
    assert "blank" in violations(api.post(PREFIX, json={"category": {"name": "   "}}))[
        "category.name"]
    four = ["MANUAL", "AUTO", "HIDDEN", "RECURRING_EVENT"]
    assert "category.states" in violations(
        api.post(PREFIX, json={"category": {"name": "A", "states": four}}))
    assert "category.states[0]" in violations(
        api.post(PREFIX, json={"category": {"name": "A", "states": ["COMPONENT"]}}))
    assert "category.states[1]" in violations(
        api.post(PREFIX, json={"category": {"name": "A", "states": ["MANUAL", "MANUAL"]}}))
    assert names(api) == ["x" * 30]


def test_names_are_unique_per_site_ignoring_case(api, server):
    first = add_category(api, "Jazz")
    body = assert_error(api.post(PREFIX, json={"category": {"name": "JAZZ"}}), 409,
                        "ALREADY_EXISTS")
    assert body["details"]["applicationError"]["data"] == {"categoryId": first["id"]}
    assert names(api) == ["Jazz"]
    key, site = server.new_site()
    with server.client(key, site) as other:  # another site may use the name
        assert other.post(PREFIX, json={"category": {"name": "Jazz"}}).status_code == 200


# --- bulk create -------------------------------------------------------------------------------


def test_bulk_create_fails_invalid_items_alone(api):
    add_category(api, "Existing")
    response = api.post(f"{BULK}/create", json={"categories": [
        {"name": "Rock"}, {"name": "y" * 31}, {"name": "existing"}, "not an object",
        {"name": "Folk", "states": ["HIDDEN"]}, {"name": "ROCK"},
    ]})
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [r["itemMetadata"]["originalIndex"] for r in results] == [0, 1, 2, 3, 4, 5]
    assert [r["itemMetadata"]["success"] for r in results] == [True, False, False, False, True,
                                                               False]
    assert results[0]["item"]["name"] == "Rock"
    assert results[0]["itemMetadata"]["id"] == results[0]["item"]["id"]
    assert results[4]["item"]["states"] == ["HIDDEN"]
    errors = [r["itemMetadata"].get("error", {}).get("code") for r in results]
    assert errors == [None, "INVALID_ARGUMENT", "ALREADY_EXISTS", "INVALID_ARGUMENT", None,
                      "ALREADY_EXISTS"]
    assert "categories[1].name" in results[1]["itemMetadata"]["error"]["description"]
    assert "item" not in results[1]
    assert body["bulkActionMetadata"] == {"totalSuccesses": 2, "totalFailures": 4,
                                          "undetailedFailures": 0}
    assert names(api) == ["Existing", "Folk", "Rock"]


def test_bulk_create_takes_one_to_ten_categories(api):
    assert "categories" in violations(api.post(f"{BULK}/create", json={}))
    assert "categories" in violations(api.post(f"{BULK}/create", json={"categories": []}))
    eleven = [{"name": f"C{i}"} for i in range(11)]
    assert "categories" in violations(api.post(f"{BULK}/create", json={"categories": eleven}))
    assert names(api) == []
    ten = api.post(f"{BULK}/create", json={"categories": eleven[:10]})
    assert ten.json()["bulkActionMetadata"]["totalSuccesses"] == 10
    assert len(names(api)) == 10


# --- update and delete -------------------------------------------------------------------------


def test_update_renames_and_changes_states(api):
    category = add_category(api, "Workshop")
    response = api.patch(f"{PREFIX}/{category['id']}",
                         json={"category": {"id": category["id"], "name": "workshop-leather"}})
    assert response.status_code == 200, response.text
    updated = response.json()["category"]
    assert updated == {**category, "name": "workshop-leather"}
    response = api.patch(f"{PREFIX}/{category['id']}",
                         json={"category": {"states": ["MANUAL", "HIDDEN"]}})
    assert response.json()["category"]["states"] == ["MANUAL", "HIDDEN"]
    response = api.patch(f"{PREFIX}/{category['id']}", json={"category": {"states": []}})
    assert response.json()["category"]["states"] == ["MANUAL", "HIDDEN"]  # empty = unchanged
    assert listed(api) == [{**category, "name": "workshop-leather",
                            "states": ["MANUAL", "HIDDEN"]}]


def test_update_refusals(api):
    jazz, blues = add_category(api, "Jazz"), add_category(api, "Blues")
    path = f"{PREFIX}/{jazz['id']}"
    assert_error(api.patch(path, json={"category": {"name": "BLUES"}}), 409, "ALREADY_EXISTS")
    assert api.patch(path, json={"category": {"name": "JAZZ"}}).status_code == 200  # own name
    assert_error(api.patch(path, json={"category": {"id": blues["id"], "name": "X"}}), 400)
    assert "category.name" in violations(api.patch(path, json={"category": {"name": "z" * 31}}))
    assert "category" in violations(api.patch(path, json={}))
    assert_error(api.patch(f"{PREFIX}/{uuid.uuid4()}", json={"category": {"name": "New"}}),
                 404, "CATEGORY_NOT_FOUND")
    assert names(api) == ["Blues", "JAZZ"]


def test_delete_removes_the_category_and_its_assignments(api):
    event = create_event(api)
    category = add_category(api)
    assert assign(api, category["id"], event["id"]).status_code == 200
    response = api.delete(f"{PREFIX}/{category['id']}", params={"categoryId": category["id"]})
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert listed(api) == []
    assert event_category_ids(api, event["id"]) == []
    assert api.get(f"{PREFIX}/{event['id']}").json() == {"categories": []}
    assert_error(api.get(f"/events/v3/events/category/{category['id']}"), 404,
                 "CATEGORY_NOT_FOUND")
    assert_error(api.delete(f"{PREFIX}/{category['id']}"), 404, "CATEGORY_NOT_FOUND")


def test_another_site_cannot_see_or_change_a_category(api, server):
    category = add_category(api)
    event = create_event(api)
    key, site = server.new_site()
    with server.client(key, site) as other:
        assert other.post(f"{PREFIX}/query", json={"query": {}}).json()["categories"] == []
        assert_error(other.patch(f"{PREFIX}/{category['id']}", json={"category": {"name": "X"}}),
                     404, "CATEGORY_NOT_FOUND")
        assert_error(other.delete(f"{PREFIX}/{category['id']}"), 404, "CATEGORY_NOT_FOUND")
        own_event = create_event(other)
        assert_error(assign(other, category["id"], own_event["id"]), 404, "CATEGORY_NOT_FOUND")
        other_category = other.post(PREFIX, json={"category": {"name": "Mine"}}).json()
        assert_error(assign(other, other_category["category"]["id"], event["id"]), 404,
                     "EVENT_NOT_FOUND")
    assert listed(api) == [category]


# --- query -------------------------------------------------------------------------------------


def test_query_sorts_by_name_and_pages_by_offset(api):
    for name in ("Jazz", "Art", "Comedy", "Blues"):
        add_category(api, name)
    response = query(api)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["name"] for c in body["categories"]] == ["Art", "Blues", "Comedy", "Jazz"]
    assert body["metaData"] == {"count": 4, "offset": 0, "total": 4, "tooManyToCount": False}
    assert "counts" not in body["categories"][0]
    page = query(api, {"paging": {"limit": 2, "offset": 1}}).json()
    assert [c["name"] for c in page["categories"]] == ["Blues", "Comedy"]
    assert page["metaData"] == {"count": 2, "offset": 1, "total": 4, "tooManyToCount": False}
    assert names(api, {"sort": [{"fieldName": "name", "order": "DESC"}]}) == [
        "Jazz", "Comedy", "Blues", "Art"]
    assert_error(query(api, {"paging": {"limit": 1001}}), 400)
    assert query(api, {"paging": {"limit": 1000}}).status_code == 200
    assert_error(query(api, {"cursorPaging": {"limit": 2}}), 400)


def test_query_default_limit_is_100(api):
    for start in range(0, 110, 10):
        batch = [{"name": f"C{start + i:03d}"} for i in range(10)]
        assert api.post(f"{BULK}/create", json={"categories": batch}).status_code == 200
    body = query(api).json()
    assert len(body["categories"]) == 100
    assert body["metaData"]["total"] == 110


def test_query_filters(api, clock):
    clock.set("2026-01-01T00:00:00Z")
    art = add_category(api, "Art", states=["MANUAL"])
    clock.set("2026-02-01T00:00:00Z")
    blues = add_category(api, "Blues", states=["HIDDEN"])
    clock.set("2026-03-01T00:00:00Z")
    add_category(api, "Comedy", states=["AUTO", "HIDDEN"])
    assert names(api, {"filter": {"name": "Blues"}}) == ["Blues"]
    assert names(api, {"filter": {"name": {"$ne": "Blues"}}}) == ["Art", "Comedy"]
    assert names(api, {"filter": {"id": {"$in": [art["id"], blues["id"]]}}}) == ["Art", "Blues"]
    assert names(api, {"filter": {"id": {"$nin": [art["id"]]}}}) == ["Blues", "Comedy"]
    assert names(api, {"filter": {"createdDate": {"$gt": "2026-01-15T00:00:00Z"}}}) == [
        "Blues", "Comedy"]
    assert names(api, {"filter": {"createdDate": {"$lte": "2026-02-01T00:00:00.000Z"}}}) == [
        "Art", "Blues"]
    assert names(api, {"filter": {"states": {"$hasSome": ["HIDDEN"]}}}) == ["Blues", "Comedy"]
    assert names(api, {"filter": {"name": {"$exists": True}}}) == ["Art", "Blues", "Comedy"]
    assert names(api, {"filter": {"$or": [{"name": "Art"}, {"name": "Comedy"}]}}) == [
        "Art", "Comedy"]
    assert names(api, {"sort": [{"fieldName": "createdDate", "order": "DESC"}]}) == [
        "Comedy", "Blues", "Art"]


def test_query_refuses_what_it_cannot_read(api):
    add_category(api)
    for bad in (
        {"filter": {"title": "Jazz"}},
        {"filter": {"states": "HIDDEN"}},  # implicit $eq: states takes only $hasSome
        {"filter": {"name": {"$startsWith": "J"}}},
        {"filter": {"createdDate": {"$gt": "yesterday"}}},
        {"sort": [{"fieldName": "states"}]},
    ):
        assert_error(query(api, bad), 400, "FILTER_PARSER_ERROR")
    assert "query" in violations(api.post(f"{PREFIX}/query", json={}))
    assert "fieldset[0]" in violations(query(api, fieldset=["DETAILS"]))
    assert "fieldset" in violations(query(api, fieldset=["COUNTS", "COUNTS"]))


def test_counts_separate_published_and_draft_events(api):
    category = add_category(api)
    published = [create_event(api, f"Live {i}")["id"] for i in range(3)]
    draft = create_event(api, "Draft", draft=True)["id"]
    assert assign(api, category["id"], *published, draft).status_code == 200
    assert counts(api, category["id"]) == {"assignedEventsCount": 3,
                                           "assignedDraftEventsCount": 1}
    assert api.post(f"/events/v3/events/{draft}/publish").status_code == 200
    assert counts(api, category["id"]) == {"assignedEventsCount": 4,
                                           "assignedDraftEventsCount": 0}
    assert api.delete(f"/events/v3/events/{published[0]}").status_code == 200
    assert counts(api, category["id"]) == {"assignedEventsCount": 3,
                                           "assignedDraftEventsCount": 0}


# --- assign and unassign -----------------------------------------------------------------------


def test_assign_is_visible_to_events_v3_and_idempotent(api):
    category = add_category(api)
    first, second = create_event(api, "First"), create_event(api, "Second")
    response = assign(api, category["id"], first["id"])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert assign(api, category["id"], second["id"], first["id"]).status_code == 200
    assert assign(api, category["id"], first["id"], first["id"]).status_code == 200
    assert category_event_ids(api, category["id"]) == [first["id"], second["id"]]
    assert event_category_ids(api, first["id"]) == [category["id"]]
    assert counts(api, category["id"])["assignedEventsCount"] == 2
    shown = api.get(f"/events/v3/events/{first['id']}", params={"fields": ["CATEGORIES"]})
    assert shown.json()["event"]["categories"]["categories"] == [
        {"id": category["id"], "name": "Jazz", "createdDate": category["createdDate"],
         "hidden": False, "type": "MANUAL"}]


def test_assign_refusals_change_nothing(api):
    category = add_category(api)
    event = create_event(api)
    assert_error(assign(api, category["id"], event["id"], str(uuid.uuid4())), 404,
                 "EVENT_NOT_FOUND")
    assert event_category_ids(api, event["id"]) == []
    assert_error(assign(api, str(uuid.uuid4()), event["id"]), 404, "CATEGORY_NOT_FOUND")
    path = f"{PREFIX}/{category['id']}/events"
    assert "eventId" in violations(api.post(path, json={}))
    assert "eventId" in violations(api.post(path, json={"eventId": []}))
    assert "eventId[0]" in violations(api.post(path, json={"eventId": ["not-a-guid"]}))
    many = [str(uuid.uuid4()) for _ in range(101)]
    assert "eventId" in violations(api.post(path, json={"eventId": many}))
    assert counts(api, category["id"]) == {"assignedEventsCount": 0,
                                           "assignedDraftEventsCount": 0}


def test_an_event_can_be_in_at_most_ten_categories(api):
    event = create_event(api)
    categories = [add_category(api, f"C{i}")["id"] for i in range(11)]
    for category_id in categories[:10]:
        assert assign(api, category_id, event["id"]).status_code == 200
    assert assign(api, categories[0], event["id"]).status_code == 200  # already there: no-op
    body = assert_error(assign(api, categories[10], event["id"]), 428,
                        "EVENT_CATEGORIES_LIMIT_REACHED")
    assert body["details"]["applicationError"]["data"] == {"eventId": event["id"]}
    assert sorted(event_category_ids(api, event["id"])) == sorted(categories[:10])


def test_unassign_events(api):
    category = add_category(api)
    events = [create_event(api, f"E{i}")["id"] for i in range(3)]
    assert assign(api, category["id"], *events).status_code == 200
    response = unassign(api, category["id"], events[0], events[2])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert category_event_ids(api, category["id"]) == [events[1]]
    assert unassign(api, category["id"], events[0]).status_code == 200  # not assigned: no-op
    assert event_category_ids(api, events[0]) == []
    assert event_category_ids(api, events[1]) == [category["id"]]
    assert_error(unassign(api, category["id"], str(uuid.uuid4())), 404, "EVENT_NOT_FOUND")
    assert_error(unassign(api, str(uuid.uuid4()), events[1]), 404, "CATEGORY_NOT_FOUND")
    assert "eventId" in violations(api.delete(f"{PREFIX}/{category['id']}/events"))
    assert "eventId[0]" in violations(unassign(api, category["id"], "nope"))
    assert category_event_ids(api, category["id"]) == [events[1]]


def test_bulk_assign_reports_each_category(api):
    jazz, blues = add_category(api, "Jazz"), add_category(api, "Blues")
    event = create_event(api)
    missing = str(uuid.uuid4())
    response = api.post(f"{BULK}/events", json={"categoryId": [jazz["id"], missing, blues["id"]],
                                                 "eventId": [event["id"]]})
    assert response.status_code == 200, response.text
    body = response.json()
    metadata = [r["itemMetadata"] for r in body["results"]]
    assert [m["id"] for m in metadata] == [jazz["id"], missing, blues["id"]]
    assert [m["success"] for m in metadata] == [True, False, True]
    assert metadata[1]["error"]["code"] == "CATEGORY_NOT_FOUND"
    assert body["results"][0]["item"] == jazz
    assert body["bulkActionMetadata"] == {"totalSuccesses": 2, "totalFailures": 1,
                                          "undetailedFailures": 0}
    assert sorted(event_category_ids(api, event["id"])) == sorted([jazz["id"], blues["id"]])


def test_bulk_assign_refusals(api):
    category = add_category(api)
    one, two = create_event(api, "One"), create_event(api, "Two")
    path = f"{BULK}/events"
    assert "eventId" in violations(api.post(path, json={"categoryId": [category["id"]],
                                                        "eventId": [one["id"], two["id"]]}))
    assert "eventId" in violations(api.post(path, json={"categoryId": [category["id"]]}))
    eleven = [str(uuid.uuid4()) for _ in range(11)]
    assert "categoryId" in violations(api.post(path, json={"categoryId": eleven,
                                                           "eventId": [one["id"]]}))
    assert_error(api.post(path, json={"categoryId": [category["id"]],
                                      "eventId": [str(uuid.uuid4())]}), 404, "EVENT_NOT_FOUND")
    assert event_category_ids(api, one["id"]) == []


def test_bulk_assign_fails_a_category_beyond_the_event_limit(api):
    event = create_event(api)
    ids = [add_category(api, f"C{i}")["id"] for i in range(11)]
    for category_id in ids[:9]:
        assert assign(api, category_id, event["id"]).status_code == 200
    response = api.post(f"{BULK}/events", json={"categoryId": ids[9:], "eventId": [event["id"]]})
    metadata = [r["itemMetadata"] for r in response.json()["results"]]
    assert [m["success"] for m in metadata] == [True, False]
    assert metadata[1]["error"]["code"] == "EVENT_CATEGORIES_LIMIT_REACHED"
    assert len(event_category_ids(api, event["id"])) == 10


def test_bulk_unassign(api):
    jazz, blues = add_category(api, "Jazz"), add_category(api, "Blues")
    event = create_event(api)
    for category in (jazz, blues):
        assert assign(api, category["id"], event["id"]).status_code == 200
    missing = str(uuid.uuid4())
    response = api.delete(f"{BULK}/events", params={"categoryId": [jazz["id"], missing],
                                                    "eventId": event["id"]})
    assert response.status_code == 200, response.text
    metadata = [r["itemMetadata"] for r in response.json()["results"]]
    assert [(m["id"], m["success"]) for m in metadata] == [(jazz["id"], True), (missing, False)]
    assert response.json()["bulkActionMetadata"]["totalFailures"] == 1
    assert event_category_ids(api, event["id"]) == [blues["id"]]
    path = f"{BULK}/events"
    assert "eventId" in violations(api.delete(path, params={"categoryId": blues["id"]}))
    assert "categoryId" in violations(api.delete(path, params={"eventId": event["id"]}))
    assert "eventId" in violations(api.delete(path, params={
        "categoryId": blues["id"], "eventId": [event["id"], str(uuid.uuid4())]}))
    assert_error(api.delete(path, params={"categoryId": blues["id"],
                                          "eventId": str(uuid.uuid4())}), 404, "EVENT_NOT_FOUND")
    assert event_category_ids(api, event["id"]) == [blues["id"]]


def test_assign_and_unassign_by_filter(api):
    jazz, blues = add_category(api, "Jazz"), add_category(api, "Blues")
    live = create_event(api, "Live Night")
    draft = create_event(api, "Draft Night", draft=True)
    other = create_event(api, "Other")
    response = api.post(f"{ASYNC}/assign-events-by-filter", json={
        "categoryId": [jazz["id"], blues["id"]],
        "filter": {"id": {"$in": [live["id"], draft["id"]]}},
    })
    assert response.status_code == 200, response.text
    assert response.json() == {}
    for category in (jazz, blues):
        assert counts(api, category["id"]) == {"assignedEventsCount": 1,
                                               "assignedDraftEventsCount": 1}
    assert event_category_ids(api, other["id"]) == []
    response = api.post(f"{ASYNC}/unassign-events-by-filter",
                        json={"categoryId": [blues["id"]], "filter": {"title": "Live Night"}})
    assert response.status_code == 200, response.text
    assert event_category_ids(api, live["id"]) == [jazz["id"]]
    assert event_category_ids(api, draft["id"]) == [jazz["id"], blues["id"]]
    api.post(f"{ASYNC}/assign-events-by-filter",
             json={"categoryId": [blues["id"]], "filter": {"name": {"$eq": "Other"}}})
    assert event_category_ids(api, other["id"]) == [blues["id"]]


def test_by_filter_refusals(api):
    category = add_category(api)
    create_event(api)
    path = f"{ASYNC}/assign-events-by-filter"
    assert_error(api.post(path, json={"categoryId": [category["id"]],
                                      "filter": {"status": "UPCOMING"}}), 400,
                 "FILTER_PARSER_ERROR")
    assert_error(api.post(path, json={"categoryId": [category["id"]],
                                      "filter": {"title": {"$startsWith": "D"}}}), 400,
                 "FILTER_PARSER_ERROR")
    assert "filter" in violations(api.post(path, json={"categoryId": [category["id"]]}))
    assert "categoryId" in violations(api.post(path, json={"filter": {}}))
    assert_error(api.post(path, json={"categoryId": [str(uuid.uuid4())], "filter": {}}), 404,
                 "CATEGORY_NOT_FOUND")
    assert_error(api.post(f"{ASYNC}/unassign-events-by-filter",
                          json={"categoryId": [str(uuid.uuid4())], "filter": {}}), 404,
                 "CATEGORY_NOT_FOUND")
    assert counts(api, category["id"])["assignedEventsCount"] == 0


def test_by_filter_skips_an_event_that_is_in_ten_categories(api):
    full, fresh = create_event(api, "Full"), create_event(api, "Fresh")
    ids = [add_category(api, f"C{i}")["id"] for i in range(11)]
    for category_id in ids[:10]:
        assert assign(api, category_id, full["id"]).status_code == 200
    response = api.post(f"{ASYNC}/assign-events-by-filter",
                        json={"categoryId": [ids[10]], "filter": {}})
    assert response.status_code == 200, response.text
    assert category_event_ids(api, ids[10]) == [fresh["id"]]


# --- list an event's categories, reorder, event deletion ---------------------------------------


def test_list_event_categories_excludes_hidden_ones(api):
    event = create_event(api)
    jazz = add_category(api, "Jazz")
    hidden = add_category(api, "Secret", states=["MANUAL", "HIDDEN"])
    blues = add_category(api, "Blues")
    add_category(api, "Unused")
    for category in (jazz, hidden, blues):
        assert assign(api, category["id"], event["id"]).status_code == 200
    response = api.get(f"{PREFIX}/{event['id']}", params={"eventId": event["id"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"categories": [jazz, blues]}
    assert hidden["id"] in event_category_ids(api, event["id"])  # Events V3 still shows it
    assert_error(api.get(f"{PREFIX}/{uuid.uuid4()}"), 404, "EVENT_NOT_FOUND")


def test_reorder_moves_an_event_before_or_after_another(api):
    category = add_category(api)
    a, b, c = (create_event(api, title)["id"] for title in ("A", "B", "C"))
    assert assign(api, category["id"], a, b, c).status_code == 200
    path = f"{PREFIX}/{category['id']}/reorder"
    response = api.post(path, json={"categoryId": category["id"], "eventId": c,
                                    "beforeEventId": a})
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert category_event_ids(api, category["id"]) == [c, a, b]
    assert api.post(path, json={"eventId": c, "afterEventId": b}).status_code == 200
    assert category_event_ids(api, category["id"]) == [a, b, c]
    assert api.post(path, json={"eventId": a, "afterEventId": b}).status_code == 200
    assert category_event_ids(api, category["id"]) == [b, a, c]


def test_reorder_refusals(api):
    category = add_category(api)
    a, b = create_event(api, "A")["id"], create_event(api, "B")["id"]
    outside = create_event(api, "Outside")["id"]
    assert assign(api, category["id"], a, b).status_code == 200
    path = f"{PREFIX}/{category['id']}/reorder"
    for body in (
        {"eventId": a},
        {"eventId": a, "beforeEventId": ""},
        {"eventId": a, "beforeEventId": a},
        {"eventId": outside, "beforeEventId": a},
        {"eventId": a, "afterEventId": outside},
        {"eventId": a, "afterEventId": str(uuid.uuid4())},
    ):
        assert_error(api.post(path, json=body), 400, "INVALID_REORDER_INSTRUCTION")
    assert "eventId" in violations(api.post(path, json={"beforeEventId": a}))
    assert_error(api.post(f"{PREFIX}/{uuid.uuid4()}/reorder",
                          json={"eventId": a, "beforeEventId": b}), 404, "CATEGORY_NOT_FOUND")
    assert category_event_ids(api, category["id"]) == [a, b]
    # both references: the one written last wins, as for policies and ticket definitions
    both = api.post(path, json={"eventId": a, "beforeEventId": b, "afterEventId": b})
    assert both.status_code == 200, both.text
    assert category_event_ids(api, category["id"]) == [b, a]


def test_deleting_an_event_removes_it_from_every_category(api):
    jazz, blues = add_category(api, "Jazz"), add_category(api, "Blues")
    gone, kept = create_event(api, "Gone"), create_event(api, "Kept")
    for category in (jazz, blues):
        assert assign(api, category["id"], gone["id"], kept["id"]).status_code == 200
    assert api.delete(f"/events/v3/events/{gone['id']}").status_code == 200
    for category in (jazz, blues):
        assert category_event_ids(api, category["id"]) == [kept["id"]]
        assert counts(api, category["id"]) == {"assignedEventsCount": 1,
                                               "assignedDraftEventsCount": 0}
    assert_error(api.get(f"{PREFIX}/{gone['id']}"), 404, "EVENT_NOT_FOUND")
