"""Contract tests for Events V3: every endpoint's success path and its documented errors."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import assert_error, create_event, event_body, violations

EVENTS = "/events/v3/events"
ALL_FIELDS = ["DETAILS", "TEXTS", "REGISTRATION", "URLS", "FORM", "DASHBOARD", "FEED",
              "SEO_SETTINGS", "AGENDA", "CATEGORIES"]


def query(api, body):
    response = api.post(f"{EVENTS}/query", json=body)
    assert response.status_code == 200, response.text
    return response.json()


# --- create ------------------------------------------------------------------------------------


def test_create_published_event_returns_the_slim_default_shape(api):
    event = create_event(api, "Leather Crafting 101", shortDescription="Hands on.")
    assert event["status"] == "UPCOMING"
    assert event["slug"] == "leather-crafting-101"
    assert event["title"] == "Leather Crafting 101"
    assert event["dateAndTimeSettings"]["startDate"] == "2030-06-15T16:00:00.000Z"
    assert event["dateAndTimeSettings"]["recurrenceStatus"] == "ONE_TIME"
    assert event["createdDate"] == event["updatedDate"] == event["publishedDate"]
    # gated fields stay out of a response that did not ask for them
    for gated in ("registration", "shortDescription", "eventPageUrl", "form", "summaries"):
        assert gated not in event
    # server-filled values
    assert event["location"]["address"]["formattedAddress"] == (
        "747 Howard St, San Francisco, CA 94103, US"
    )
    assert event["dateAndTimeSettings"]["formatted"] == {
        "startDate": "June 15, 2030",
        "startTime": "9:00 AM",
        "endDate": "June 15, 2030",
        "endTime": "6:00 PM",
        "dateAndTime": "June 15, 2030, 9:00 AM – 6:00 PM",
    }


def test_every_fieldset_adds_its_fields(api):
    description = {"nodes": [{"type": "PARAGRAPH", "nodes": []}]}
    event = create_event(api, shortDescription="Short.", description=description,
                         fields=ALL_FIELDS)
    assert event["shortDescription"] == "Short."
    assert set(event["calendarUrls"]) == {"google", "ics"}
    assert event["description"] == description
    assert event["registration"]["initialType"] == "TICKETING"
    assert event["eventPageUrl"]["path"] == "/event-details/devcon-2025"
    assert [c["id"] for c in event["form"]["controls"]] == ["name", "email"]
    assert event["summaries"]["tickets"]["ticketsSold"] == 0
    assert event["feed"]["token"]
    assert event["seoSettings"]["slug"] == "devcon-2025"
    assert event["agendaSettings"]["enabled"] is False
    assert event["categories"] == {"categories": []}
    # the stored description comes back later only with TEXTS
    again = api.get(f"{EVENTS}/{event['id']}").json()["event"]
    assert "description" not in again
    texts = api.get(f"{EVENTS}/{event['id']}", params={"fields": "TEXTS"}).json()["event"]
    assert texts["description"] == description


def test_draft_ticketed_event_is_closed_until_published(api):
    event = create_event(api, draft=True, fields=["REGISTRATION"])
    assert event["status"] == "DRAFT"
    assert "publishedDate" not in event
    assert event["registration"]["status"] == "CLOSED_MANUALLY"
    assert event["registration"]["tickets"]["ticketLimitPerOrder"] == 20
    published = api.post(f"{EVENTS}/{event['id']}/publish", json={"fields": ["REGISTRATION"]})
    assert published.status_code == 200
    body = published.json()["event"]
    assert body["status"] == "UPCOMING"
    assert body["registration"]["status"] == "OPEN_TICKETS"
    assert body["publishedDate"]
    assert_error(api.post(f"{EVENTS}/{event['id']}/publish"), 428, "EVENT_ALREADY_PUBLISHED")


def test_rsvp_event_registration_defaults(api):
    event = create_event(api, initial_type="RSVP", fields=["REGISTRATION"])
    registration = event["registration"]
    assert registration["type"] == "RSVP"
    assert registration["status"] == "OPEN_RSVP"
    assert registration["rsvp"]["responseType"] == "YES_ONLY"


def test_create_reports_every_missing_required_field_at_once(api):
    response = api.post(EVENTS, json={"event": {"registration": {"initialType": "RSVP"}}})
    assert set(violations(response)) == {
        "event.title", "event.location", "event.dateAndTimeSettings"
    }


def test_create_without_event_is_refused(api):
    assert violations(api.post(EVENTS, json={})) == {"event": "is required"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"registration": {}}, "event.registration.initialType"),
        ({"registration": {"initialType": "RSVP_AND_TICKETS"}}, "event.registration.initialType"),
        ({"location": {"type": "TBD", "name": "x"}}, "event.location.type"),
        ({"location": {"locationTbd": True}}, "event.location.name"),
        ({"location": {"type": "VENUE"}}, "event.location"),
        ({"title": "x" * 121}, "event.title"),
        ({"title": ""}, "event.title"),
        ({"description": "plain text"}, "event.description"),
        ({"dateAndTimeSettings": {"startDate": {"seconds": 1, "nanos": 0},
                                  "endDate": "2030-01-01T00:00:00Z", "timeZoneId": "UTC"}},
         "event.dateAndTimeSettings.startDate"),
        ({"dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z", "timeZoneId": "UTC"}},
         "event.dateAndTimeSettings.endDate"),
        ({"dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                  "endDate": "2030-01-01T09:00:00Z", "timeZoneId": "UTC"}},
         "event.dateAndTimeSettings.endDate"),
        ({"dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                  "endDate": "2030-01-01T11:00:00Z"}},
         "event.dateAndTimeSettings.timeZoneId"),
        ({"dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                  "endDate": "2030-01-01T11:00:00Z", "timeZoneId": "Mars/Base"}},
         "event.dateAndTimeSettings.timeZoneId"),
        # a folder of the zone database, not a zone (once a 500)
        ({"dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                  "endDate": "2030-01-01T11:00:00Z", "timeZoneId": "Europe"}},
         "event.dateAndTimeSettings.timeZoneId"),
        ({"dateAndTimeSettings": {"dateAndTimeTbd": True}},
         "event.dateAndTimeSettings.dateAndTimeTbdMessage"),
        ({"dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00",
                                  "endDate": "2030-01-01T11:00:00Z", "timeZoneId": "UTC"}},
         "event.dateAndTimeSettings.startDate"),
        ({"registration": {"initialType": "TICKETING", "tickets": {"ticketLimitPerOrder": 51}}},
         "event.registration.tickets.ticketLimitPerOrder"),
        ({"location": {"name": "x", "address": {"addressLine": "a",
                                                 "streetAddress": {"name": "b"}}}},
         "event.location.address.addressLine"),
    ],
)
def test_create_refuses_invalid_events(api, change, field):
    body = event_body()
    body.update(change)
    response = api.post(EVENTS, json={"event": body})
    assert field in violations(response), response.text
    # nothing was stored
    assert query(api, {"query": {"paging": {"limit": 10}}, "includeDrafts": True})["events"] == []


def test_tbd_date_and_location(api):
    body = event_body(location={"name": "To be announced", "locationTbd": True},
                      dateAndTimeSettings={"dateAndTimeTbd": True,
                                           "dateAndTimeTbdMessage": "Autumn"})
    event = api.post(EVENTS, json={"event": body}).json()["event"]
    assert event["status"] == "UPCOMING"
    assert event["location"] == {"name": "To be announced", "locationTbd": True, "type": "VENUE"}
    assert event["dateAndTimeSettings"]["formatted"] == {}


def test_read_only_fields_sent_on_create_are_ignored(api):
    body = event_body(id="00000000-0000-0000-0000-000000000000", status="CANCELED",
                      slug="my-own", revision="7")
    event = api.post(EVENTS, json={"event": body}).json()["event"]
    assert event["id"] != "00000000-0000-0000-0000-000000000000"
    assert event["status"] == "UPCOMING"
    assert event["slug"] == "devcon-2025"


# --- slugs -------------------------------------------------------------------------------------


def test_slug_from_seo_settings_and_uniqueness(api):
    first = create_event(api, "Summit", seoSettings={"slug": "summit-2030"})
    assert first["slug"] == "summit-2030"
    taken = api.post(EVENTS, json={"event": event_body("Other",
                                                       seoSettings={"slug": "summit-2030"})})
    assert_error(taken, 428, "SLUG_ALREADY_IN_USE")
    invalid = api.post(EVENTS, json={"event": event_body("Other",
                                                         seoSettings={"slug": "Not A Slug"})})
    assert_error(invalid, 400, "INVALID_SLUG_FORMAT")
    # a slug derived from a repeated title is made unique instead
    assert create_event(api, "Summit")["slug"] == "summit"
    assert create_event(api, "Summit")["slug"] == "summit-1"
    assert create_event(api, "Summit!")["slug"] == "summit-2"


def test_get_by_slug(api):
    event = create_event(api, "Café Night")
    assert event["slug"] == "cafe-night"
    found = api.get(f"{EVENTS}/slug/cafe-night", params={"fields": ["DETAILS", "URLS"]})
    assert found.status_code == 200
    assert found.json()["event"]["id"] == event["id"]
    assert "eventPageUrl" in found.json()["event"]
    assert_error(api.get(f"{EVENTS}/slug/no-such-event"), 404, "EVENT_NOT_FOUND")


def test_get_unknown_event_is_404_and_unknown_query_keys_are_ignored(api):
    event = create_event(api)
    # Wix's SDK repeats the path parameter in the query string
    got = api.get(f"{EVENTS}/{event['id']}", params={"eventId": event["id"], "whatever": "1"})
    assert got.status_code == 200
    assert_error(api.get(f"{EVENTS}/3f1e2d4c-0000-4000-8000-000000000000"), 404,
                 "EVENT_NOT_FOUND")


def test_bad_fieldset_is_refused(api):
    event = create_event(api)
    response = api.get(f"{EVENTS}/{event['id']}", params={"fields": "EVERYTHING"})
    assert "fields[0]" in violations(response)


# --- update ------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(api):
    event = create_event(api, shortDescription="Before", fields=["DETAILS"])
    response = api.patch(f"{EVENTS}/{event['id']}",
                         json={"event": {"id": event["id"], "title": "Renamed", "revision": "9"},
                               "fields": ["DETAILS"]})
    assert response.status_code == 200, response.text
    updated = response.json()["event"]
    assert updated["title"] == "Renamed"
    assert updated["shortDescription"] == "Before"
    assert updated["slug"] == event["slug"]  # the slug is identity: a new title keeps it
    assert updated["updatedDate"] >= event["updatedDate"]
    stored = api.get(f"{EVENTS}/{event['id']}").json()["event"]
    assert stored["title"] == "Renamed"


def test_patch_replaces_date_settings_as_a_whole(api):
    event = create_event(api)
    only_start = {"event": {"dateAndTimeSettings": {"startDate": "2030-06-20T16:00:00Z"}}}
    refused = api.patch(f"{EVENTS}/{event['id']}", json=only_start)
    assert "event.dateAndTimeSettings.endDate" in violations(refused)
    moved = api.patch(f"{EVENTS}/{event['id']}", json={"event": {"dateAndTimeSettings": {
        "startDate": "2030-06-20T16:00:00Z", "endDate": "2030-06-20T18:00:00Z"}}})
    dates = moved.json()["event"]["dateAndTimeSettings"]
    assert dates["startDate"] == "2030-06-20T16:00:00.000Z"
    assert dates["timeZoneId"] == "America/Los_Angeles"  # kept when omitted


def test_patch_keeps_initial_type_immutable_and_checks_the_id(api):
    event = create_event(api, fields=["REGISTRATION"])
    flip = api.patch(f"{EVENTS}/{event['id']}",
                     json={"event": {"registration": {"initialType": "RSVP"}}})
    assert "event.registration.initialType" in violations(flip)
    mismatch = api.patch(f"{EVENTS}/{event['id']}",
                         json={"event": {"id": "5c7d0000-0000-4000-8000-000000000000"}})
    assert_error(mismatch, 400)
    limit = api.patch(f"{EVENTS}/{event['id']}", json={
        "event": {"registration": {"tickets": {"ticketLimitPerOrder": 8}}},
        "fields": ["REGISTRATION"]})
    tickets = limit.json()["event"]["registration"]["tickets"]
    assert tickets["ticketLimitPerOrder"] == 8
    assert tickets["currency"] == "USD"  # the rest of the registration settings stay


def test_patch_slug_through_seo_settings(api):
    event = create_event(api, "One")
    create_event(api, "Two")
    assert_error(api.patch(f"{EVENTS}/{event['id']}",
                           json={"event": {"seoSettings": {"slug": "two"}}}),
                 428, "SLUG_ALREADY_IN_USE")
    moved = api.patch(f"{EVENTS}/{event['id']}", json={"event": {"seoSettings": {"slug": "uno"}}})
    assert moved.json()["event"]["slug"] == "uno"
    assert api.get(f"{EVENTS}/slug/uno").status_code == 200


def test_patch_unknown_event(api):
    response = api.patch(f"{EVENTS}/3f1e2d4c-0000-4000-8000-000000000000",
                         json={"event": {"title": "x"}})
    assert_error(response, 404, "EVENT_NOT_FOUND")


# --- status life-cycle -------------------------------------------------------------------------


def test_status_follows_the_clock(api, clock):
    clock.set("2030-06-15T15:00:00Z")
    event = create_event(api)
    assert event["status"] == "UPCOMING"
    clock.set("2030-06-15T17:00:00Z")
    assert api.get(f"{EVENTS}/{event['id']}").json()["event"]["status"] == "STARTED"
    clock.set("2030-06-16T02:00:00Z")
    ended = api.get(f"{EVENTS}/{event['id']}", params={"fields": "REGISTRATION"}).json()["event"]
    assert ended["status"] == "ENDED"
    assert ended["registration"]["status"] == "CLOSED_AUTOMATICALLY"
    assert_error(api.post(f"{EVENTS}/{event['id']}/cancel"), 428,
                 "INVALID_EVENT_STATUS_TRANSITION")


def test_cancel(api):
    event = create_event(api)
    canceled = api.post(f"{EVENTS}/{event['id']}/cancel", json={"fields": ["DASHBOARD"]})
    assert canceled.status_code == 200
    body = canceled.json()["event"]
    assert body["status"] == "CANCELED"
    assert body["summaries"]["cancellation"]["canceledDate"]
    assert_error(api.post(f"{EVENTS}/{event['id']}/cancel"), 428,
                 "INVALID_EVENT_STATUS_TRANSITION")
    assert_error(api.post(f"{EVENTS}/{event['id']}/publish"), 428,
                 "INVALID_EVENT_STATUS_TRANSITION")
    draft = create_event(api, "Draft", draft=True)
    assert_error(api.post(f"{EVENTS}/{draft['id']}/cancel"), 428,
                 "INVALID_EVENT_STATUS_TRANSITION")


# --- delete ------------------------------------------------------------------------------------


def test_delete(api):
    event = create_event(api)
    response = api.delete(f"{EVENTS}/{event['id']}")
    assert response.status_code == 200
    assert response.json() == {"eventId": event["id"]}
    assert_error(api.get(f"{EVENTS}/{event['id']}"), 404, "EVENT_NOT_FOUND")
    assert_error(api.delete(f"{EVENTS}/{event['id']}"), 404, "EVENT_NOT_FOUND")
    assert query(api, {"query": {"paging": {"limit": 5}}})["pagingMetadata"]["total"] == 0


def test_bulk_delete_and_cancel_by_filter(api):
    keep = create_event(api, "Keep")
    gone = create_event(api, "Gone")
    also_gone = create_event(api, "Also gone", draft=True)
    missing_inner = api.post("/events/v3/bulk/events/delete-by-filter",
                             json={"filter": {"title": "Gone"}})
    assert "filter.filter" in violations(missing_inner)
    response = api.post("/events/v3/bulk/events/delete-by-filter",
                        json={"filter": {"filter": {"title": {"$in": ["Gone", "Also gone"]}}}})
    assert response.status_code == 200 and response.json() == {}
    for event in (gone, also_gone):
        assert api.get(f"{EVENTS}/{event['id']}").status_code == 404
    cancel = api.post("/events/v3/bulk/events/cancel-by-filter",
                      json={"filter": {"filter": {"id": keep["id"]}}})
    assert cancel.status_code == 200
    assert api.get(f"{EVENTS}/{keep['id']}").json()["event"]["status"] == "CANCELED"


# --- query -------------------------------------------------------------------------------------


def test_query_default_limit_is_zero(api):
    create_event(api, "A")
    create_event(api, "B")
    result = query(api, {})
    assert result["events"] == []
    assert result["pagingMetadata"] == {"count": 0, "offset": 0, "total": 2,
                                        "tooManyToCount": False}


def test_query_filters_sorts_and_pages(api):
    a = create_event(api, "Alpha", start="2030-03-01T10:00:00Z", end="2030-03-01T12:00:00Z")
    b = create_event(api, "Bravo", start="2030-01-01T10:00:00Z", end="2030-01-01T12:00:00Z")
    c = create_event(api, "Charlie", start="2030-02-01T10:00:00Z", end="2030-02-01T12:00:00Z",
                     initial_type="RSVP")
    draft = create_event(api, "Delta", draft=True)

    def ids(body):
        return [e["id"] for e in query(api, body)["events"]]

    page = {"paging": {"limit": 10}}
    assert ids({"query": page}) == [a["id"], b["id"], c["id"]]  # createdDate ASC, no drafts
    assert ids({"query": page, "includeDrafts": True})[-1] == draft["id"]
    by_start = {**page, "sort": [{"fieldName": "dateAndTimeSettings.startDate"}]}
    assert ids({"query": by_start}) == [b["id"], c["id"], a["id"]]
    desc = {**page, "sort": [{"fieldName": "title", "order": "DESC"}]}
    assert ids({"query": desc}) == [c["id"], b["id"], a["id"]]
    after_jan = {**page, "filter": {"dateAndTimeSettings.startDate": {
        "$gt": "2030-01-15T00:00:00Z"}}}
    assert set(ids({"query": after_jan})) == {a["id"], c["id"]}
    rsvp = {**page, "filter": {"registration.initialType": "RSVP"}}
    assert ids({"query": rsvp}) == [c["id"]]
    either = {**page, "filter": {"$or": [{"title": "Alpha"}, {"title": {"$eq": "Bravo"}}]}}
    assert ids({"query": either}) == [a["id"], b["id"]]
    not_alpha = {**page, "filter": {"$not": {"title": "Alpha"}}}
    assert ids({"query": not_alpha}) == [b["id"], c["id"]]
    drafts = {**page, "filter": {"status": "DRAFT"}}
    assert ids({"query": drafts, "includeDrafts": True}) == [draft["id"]]
    assert ids({"query": {**page, "filter": {"id": {"$hasSome": [b["id"]]}}}}) == [b["id"]]
    second = query(api, {"query": {"paging": {"limit": 2, "offset": 2}}})
    assert [e["id"] for e in second["events"]] == [c["id"]]
    assert second["pagingMetadata"] == {"count": 1, "offset": 2, "total": 3,
                                        "tooManyToCount": False}


def test_query_returns_requested_fieldsets(api):
    create_event(api, shortDescription="Hello")
    event = query(api, {"query": {"paging": {"limit": 1}}, "fields": ["DETAILS"]})["events"][0]
    assert event["shortDescription"] == "Hello"
    assert "registration" not in event


@pytest.mark.parametrize(
    "bad_query",
    [
        {"filter": "title = x"},
        {"filter": {"title": {"$regex": "x"}}},
        {"filter": {"title": {"$startsWith": "x"}}},  # not supported on Events
        {"filter": {"location.name": "x"}},  # not a filterable field
        {"filter": {"$and": {"title": "x"}}},
        {"filter": {"$foo": []}},
        {"filter": {"createdDate": {"$gt": "yesterday"}}},
        {"filter": {"id": {"$in": "abc"}}},
        {"sort": [{"fieldName": "location.name"}]},
        {"sort": [{"fieldName": "title", "order": "UP"}]},
        {"sort": "title"},
    ],
)
def test_query_refuses_what_it_cannot_parse(api, bad_query):
    body = {"query": {**bad_query, "paging": {"limit": 5}}}
    error = assert_error(api.post(f"{EVENTS}/query", json=body), 400, "FILTER_PARSER_ERROR")
    assert error["message"]


def test_query_paging_limits(api):
    assert_error(api.post(f"{EVENTS}/query", json={"query": {"paging": {"limit": 1001}}}), 400)
    assert_error(api.post(f"{EVENTS}/query", json={"query": {"cursorPaging": {"limit": 5}}}), 400)
    assert_error(api.post(f"{EVENTS}/query", json={"query": {"paging": {"offset": -1}}}), 400)


def test_count_events_by_status(api):
    create_event(api, "A")
    create_event(api, "B")
    create_event(api, "C", draft=True)
    cancel_me = create_event(api, "D")
    api.post(f"{EVENTS}/{cancel_me['id']}/cancel")
    assert api.post(f"{EVENTS}/count-by-status", json={}).json() == {"facets": {}}
    counts = api.post(f"{EVENTS}/count-by-status",
                      json={"facet": ["status"], "includeDrafts": True}).json()
    assert counts == {"facets": {"status": {"counts": {"UPCOMING": 2, "DRAFT": 1,
                                                       "CANCELED": 1}}}}
    filtered = api.post(f"{EVENTS}/count-by-status",
                        json={"facet": ["status"], "filter": {"title": "A"}}).json()
    assert filtered["facets"]["status"]["counts"] == {"UPCOMING": 1}
    assert_error(api.post(f"{EVENTS}/count-by-status", json={"filter": {"nope": 1}}), 400,
                 "FILTER_PARSER_ERROR")


# --- clone -------------------------------------------------------------------------------------


def test_clone_copies_with_new_identity(api):
    source = create_event(api, "Workshop", fields=["FORM"])
    response = api.post(f"{EVENTS}/{source['id']}/clone", json={"fields": ["FORM"]})
    assert response.status_code == 200, response.text
    copy = response.json()["event"]
    assert copy["id"] != source["id"]
    assert copy["title"] == "Workshop (1)"
    assert copy["slug"] == "workshop-1"
    assert copy["status"] == "DRAFT"
    assert copy["dateAndTimeSettings"]["startDate"] == "2030-06-29T16:00:00.000Z"
    assert copy["form"] == source["form"]
    second = api.post(f"{EVENTS}/{source['id']}/clone",
                      json={"event": {"title": "Workshop, autumn"}, "draft": False}).json()
    assert second["event"]["title"] == "Workshop, autumn"
    assert second["event"]["status"] == "UPCOMING"
    assert_error(api.post(f"{EVENTS}/3f1e2d4c-0000-4000-8000-000000000000/clone"), 404)


# --- transport ---------------------------------------------------------------------------------


def test_malformed_bodies_and_unknown_routes(api):
    bad_json = api.post(EVENTS, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(bad_json, 400)
    array = api.post(EVENTS, json=[1, 2])
    assert_error(array, 400)
    assert_error(api.get("/events/v9/nothing"), 404, "NOT_FOUND")
    assert_error(api.put(EVENTS, json={}), 405)


def test_currency_cannot_drift_from_existing_ticket_prices(api):
    event = create_event(api, fields=["REGISTRATION"])
    euro = {"event": {"registration": {"tickets": {"currency": "EUR"}}},
            "fields": ["REGISTRATION"]}
    # with no ticket definitions yet, the currency is free to change
    changed = api.patch(f"{EVENTS}/{event['id']}", json=euro)
    assert changed.json()["event"]["registration"]["tickets"]["currency"] == "EUR"
    created = api.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
        "eventId": event["id"], "name": "GA", "feeType": "FEE_INCLUDED",
        "pricingMethod": {"fixedPrice": {"value": "10.00", "currency": "EUR"}}}})
    assert created.status_code == 200, created.text
    back = {"event": {"registration": {"tickets": {"currency": "USD"}}}}
    refused = api.patch(f"{EVENTS}/{event['id']}", json=back)
    assert "event.registration.tickets.currency" in violations(refused)
    stored = api.get(f"{EVENTS}/{event['id']}", params={"fields": "REGISTRATION"}).json()
    assert stored["event"]["registration"]["tickets"]["currency"] == "EUR"


def test_clone_copies_ticket_definitions_with_fresh_ids_and_counters(api):
    source = create_event(api, "Priced")
    created = api.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
        "eventId": source["id"], "name": "GA", "feeType": "FEE_INCLUDED", "initialLimit": 50,
        "pricingMethod": {"fixedPrice": {"value": "25.00", "currency": "USD"}}}})
    original = created.json()["ticketDefinition"]
    copy = api.post(f"{EVENTS}/{source['id']}/clone").json()["event"]
    copied = api.post("/events/v3/ticket-definitions/query", json={
        "query": {"filter": {"eventId": copy["id"]}}, "fields": ["SALES_DETAILS"]}).json()
    [definition] = copied["ticketDefinitions"]
    assert definition["id"] != original["id"]
    assert definition["revision"] == "1"
    assert (definition["name"], definition["pricingMethod"]["fixedPrice"]["value"]) == (
        "GA", "25.00")
    assert definition["salesDetails"]["unsoldCount"] == 50
    # the source keeps its own definition
    still = api.get(f"/events/v3/ticket-definitions/{original['id']}")
    assert still.json()["ticketDefinition"]["eventId"] == source["id"]


def test_list_events_by_category_pages_and_checks_its_query_string(api):
    first, second = create_event(api, "First"), create_event(api, "Second")
    category = api.post("/events/v1/categories", json={"category": {"name": "Tech"}}).json()
    category_id = category["category"]["id"]
    assigned = api.post(f"/events/v1/categories/{category_id}/events",
                        json={"eventId": [first["id"], second["id"]]})
    assert assigned.status_code == 200, assigned.text
    page = api.get(f"{EVENTS}/category/{category_id}",
                   params={"paging.limit": "1", "paging.offset": "1"}).json()
    assert [e["id"] for e in page["events"]] == [second["id"]]
    assert page["pagingMetadata"] == {"count": 1, "offset": 1, "total": 2,
                                      "tooManyToCount": False}
    bad = api.get(f"{EVENTS}/category/{category_id}", params={"paging.limit": "ten"})
    assert "paging.limit" in violations(bad)
    too_many = api.get(f"{EVENTS}/category/{category_id}", params={"paging.limit": "101"})
    assert "paging.limit" in violations(too_many)
    assert_error(api.get(f"{EVENTS}/category/3f1e2d4c-0000-4000-8000-000000000000"), 404,
                 "CATEGORY_NOT_FOUND")
