"""The indexed reads answer exactly as the general path does.

Query Events, Get Event by slug, Query (Available) Ticket Definitions, Query Policies and List
Schedule Items read from the store's derived columns and aggregates when they can (see
store.py and derived.py). Here two emulators hold the same documents: one as served, one whose
store derives nothing, so every read takes its general path. Random sites (sort indices with
ties and gaps, hidden flags, equal time slots written differently, drafts, sold-out tickets,
and documents the derivations must decline) and random reads must give byte-identical answers,
cursors and the pages behind them included.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from provisioner.emulator import create_app
from provisioner.emulator.raw_json import RawJson, encode
from provisioner.emulator.store import Store

from ..conftest import FakeClock, running

KEY, SITE = "key-indexed-reads", "5d0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
EVENT_FIELDS = ["DETAILS", "TEXTS", "REGISTRATION", "URLS", "FORM", "DASHBOARD", "FEED",
                "ONLINE_CONFERENCING_SESSION", "SEO_SETTINGS", "AGENDA", "CATEGORIES"]
CURSOR = re.compile(rb'"(next|prev)":"[0-9a-f-]{36}"')
EVENT_IDS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 5)]
# one instant written three ways, and its neighbours: equal time slots must tie
SLOTS = ["2030-06-15T10:00:00.000Z", "2030-06-15T10:00:00Z", "2030-06-15T12:00:00+02:00",
         "2030-06-15T09:30:00.000Z", "2030-06-15T11:00:00.000Z"]


def _export() -> dict[str, Any]:
    events, definitions, policies, schedule = [], [], [], []
    for n, event_id in enumerate(EVENT_IDS):
        events.append({
            "id": event_id, "title": f"Event {n}", "slug": f"event-{n}",
            "status": "DRAFT" if n == 3 else "UPCOMING",
            "location": {"name": "Hall", "type": "VENUE"},
            "dateAndTimeSettings": {"startDate": "2030-06-15T09:00:00Z",
                                    "endDate": "2030-06-15T18:00:00Z", "timeZoneId": "UTC"},
            "registration": {"initialType": "TICKETING"}})
        definitions += [{"eventId": event_id, "name": f"Tier {t}", "feeType": "FEE_INCLUDED",
                         "pricingMethod": {"fixedPrice": {"value": f"{10 + t % 2}.00",
                                                          "currency": "USD"}}}
                        for t in range(3)]
        policies += [{"eventId": event_id, "name": f"Policy {p}", "body": "Terms."}
                     for p in range(2)]
        items = [{"name": f"Talk {i}", "timeSlot": {"start": SLOTS[0], "end": SLOTS[4]}}
                 for i in range(3)]
        schedule.append({"eventId": event_id, "items": items, "draftItems": items})
    return {"format": "wix-events-site", "version": 1, "events": events,
            "ticketDefinitions": definitions, "policies": policies, "schedule": schedule,
            "categories": [{"id": "00000000-0000-4000-8000-0000000000c1", "name": "Track",
                            "eventIds": EVENT_IDS[:2]}]}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[httpx.Client, httpx.Client, list[dict[str, Any]]]]:
    """(indexed, general) clients over identical sites, and the site's documents as dumped."""
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    indexed = create_app(credentials=[(KEY, SITE)], clock=clock)
    general_store = Store()
    general = create_app(store=general_store, credentials=[(KEY, SITE)], clock=clock)
    general_store.install({}, {}, "derives nothing")  # every read takes its general path
    headers = {"Authorization": KEY, "wix-site-id": SITE}
    with running(indexed) as indexed_url, running(general) as general_url, \
            httpx.Client(base_url=indexed_url, headers=headers, timeout=30) as one, \
            httpx.Client(base_url=general_url, headers=headers, timeout=30) as two:
        one.put("/_emulator/sites/import", json=_export()).raise_for_status()
        documents = one.get("/_emulator/state").json()["documents"]
        yield one, two, documents


# --- random sites -------------------------------------------------------------------------------

sort_indices = st.sampled_from([0, 1, 2, -1, 7, None])  # ties and gaps; None: none stored
event_ids = st.sampled_from(EVENT_IDS)
# one flaw per irregular site, so that one cannot hide another: what the API never writes,
# which the derivations must decline (a kind with a declined document reads generally)
FLAWS = ["text sort index", "float sort index", "bool sort index", "eventId not its parent",
         "unreadable time slot", "form with more keys"]


@st.composite
def sites(draw: st.DrawFn, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The dumped documents, their children reshuffled, and now and then one flaw."""
    out = copy.deepcopy(documents)
    for doc in out:
        body = doc["body"]
        if doc["kind"] == "events":
            body["_state"] = draw(st.sampled_from(["PUBLISHED", "DRAFT", "CANCELED"]))
        elif doc["kind"] in ("ticket_definitions", "policies"):
            body.pop("_sortIndex", None)
            index = draw(sort_indices)
            if index is not None:
                body["_sortIndex"] = index
        if doc["kind"] == "ticket_definitions":
            body["hidden"] = draw(st.booleans())
            body.pop("initialLimit", None)
            limit = draw(st.sampled_from([None, 1, 2]))
            if limit is not None:
                body["initialLimit"] = limit
            body["_sold"] = draw(st.integers(0, 2))
            body["pricingMethod"]["fixedPrice"]["value"] = draw(
                st.sampled_from(["10.00", "10", "9.5", "11.00"]))
        elif doc["kind"] in ("schedule_draft", "schedule_published"):
            start, end = draw(st.sampled_from(SLOTS[:4])), draw(st.sampled_from(SLOTS[4:]))
            body["timeSlot"] = {"start": start, "end": end, "timeZoneId": "UTC"}
            body["hidden"] = draw(st.booleans())
            doc["parent"] = body["eventId"] = draw(event_ids)
        elif doc["kind"] == "forms" and draw(st.booleans()):
            doc["body"] = {"messages": body["messages"], "controls": body["controls"]}
    flaw = draw(st.none() | st.sampled_from(FLAWS))
    children = [d for d in out if d["kind"] in ("ticket_definitions", "policies")]
    victims = draw(st.lists(st.sampled_from(children), min_size=1, max_size=3))
    for victim in victims:
        body = victim["body"]
        if flaw in ("text sort index", "float sort index", "bool sort index"):
            body["_sortIndex"] = {"text sort index": "1", "float sort index": 1.5,
                                  "bool sort index": True}[flaw]
        elif flaw == "eventId not its parent":
            body["eventId"] = draw(event_ids.filter(lambda e, d=victim: e != d["parent"]))
    if flaw == "unreadable time slot":
        victim = draw(st.sampled_from([d for d in out if d["kind"].startswith("schedule")]))
        victim["body"]["timeSlot"]["start"] = "soon"
    elif flaw == "form with more keys":
        draw(st.sampled_from([d for d in out if d["kind"] == "forms"]))["body"]["extra"] = 1
    return out


subsets = st.lists(event_ids, max_size=5)  # in any order, repeats included


@st.composite
def filters(draw: st.DrawFn, field: str, values: st.SearchStrategy[str]) -> Any:
    return draw(st.sampled_from([None, {}])
                | values.map(lambda v: {field: v})
                | values.map(lambda v: {field: {"$eq": v}})
                | st.lists(values, max_size=5).map(lambda v: {field: {"$in": v}})
                | st.just({"name": {"$startsWith": "t"}}))  # one the index does not answer


@st.composite
def pagings(draw: st.DrawFn) -> dict[str, Any]:
    limit = draw(st.sampled_from([1, 2, 5, 100]))
    if draw(st.booleans()):
        return {"cursorPaging": {"limit": limit}}
    return {"paging": {"limit": limit, "offset": draw(st.integers(0, 6))}}


@st.composite
def reads(draw: st.DrawFn) -> list[tuple[str, str, Any]]:
    """(method, path, json body or query parameters) of a few reads."""
    ticket_query = {"filter": draw(filters("eventId", event_ids)), **draw(pagings())}
    policy_query = {"filter": draw(filters("eventId", event_ids)), **draw(pagings())}
    if draw(st.booleans()):
        policy_query["filter"] = {"eventId": {"$hasSome": draw(subsets)}}
    slugs = st.sampled_from([f"event-{n}" for n in range(5)])
    event_filter = draw(filters("slug", slugs) | filters("id", event_ids))
    paging = draw(pagings()).get("paging", {"limit": 3})
    listing: list[tuple[str, Any]] = [("eventId", e) for e in draw(subsets)]
    listing += [("state", s) for s in draw(st.lists(
        st.sampled_from(["PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN"]), max_size=4))]
    listing += [("paging.limit", draw(st.sampled_from(["1", "3", "100"]))),
                ("paging.offset", draw(st.sampled_from(["0", "2", "5"])))]
    return [
        ("POST", "/events/v3/ticket-definitions/query",
         {"query": ticket_query, "fields": draw(st.sampled_from(
             [[], ["SALES_DETAILS"], ["EVENT_DETAILS", "SALES_DETAILS"]]))}),
        ("POST", "/events/v3/ticket-definitions/available/query", {"query": ticket_query}),
        ("POST", "/events/v2/policies/query", {"query": policy_query}),
        ("POST", "/events/v3/events/query",
         {"query": {"filter": event_filter, "paging": paging},
          "includeDrafts": draw(st.booleans()), "fields": EVENT_FIELDS}),
        ("GET", f"/events/v3/events/slug/{draw(slugs)}", {"fields": EVENT_FIELDS}),
        ("GET", "/events/v1/schedule", listing),
    ]


def battery() -> list[tuple[str, str, Any]]:
    """Whole collections, per event and all at once: where a misplaced document shows."""
    out: list[tuple[str, str, Any]] = []
    for flt in [None, {"eventId": {"$in": EVENT_IDS}}, *({"eventId": e} for e in EVENT_IDS)]:
        query = {"filter": flt, "paging": {"limit": 100}}
        out += [("POST", "/events/v3/ticket-definitions/query", {"query": query}),
                ("POST", "/events/v3/ticket-definitions/available/query", {"query": query}),
                ("POST", "/events/v2/policies/query", {"query": query})]
    for drafts in (True, False):
        out.append(("POST", "/events/v3/events/query", {
            "query": {"filter": {"slug": {"$in": [f"event-{n}" for n in range(4)]}},
                      "paging": {"limit": 100}},
            "includeDrafts": drafts, "fields": EVENT_FIELDS}))
    out.append(("GET", "/events/v1/schedule",
                [("eventId", e) for e in reversed(EVENT_IDS)] + [("state", "PUBLISHED"),
                                                                 ("state", "DRAFT")]))
    return out


def _send(client: httpx.Client, method: str, path: str, payload: Any) -> httpx.Response:
    if method == "GET":
        return client.get(path, params=payload)
    return client.post(path, json=payload)


def _same(one: httpx.Response, two: httpx.Response, what: str) -> None:
    assert one.status_code == two.status_code, (what, one.text, two.text)
    assert CURSOR.sub(b"<cursor>", one.content) == CURSOR.sub(b"<cursor>", two.content), what


def _next(response: httpx.Response, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The same query's next page by cursor, if the answer gave one."""
    found = response.json() if response.status_code == 200 else {}
    token = (found.get("metadata") or {}).get("cursors", {}).get("next")
    if token is None:
        return None
    return {**payload, "query": {"cursorPaging": {"limit": 2, "cursor": token}}}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_indexed_reads_answer_as_the_general_path_does(pair, data):
    one, two, documents = pair
    state = {"version": 1, "documents": data.draw(sites(documents))}
    for client in (one, two):
        client.put("/_emulator/state", json=state).raise_for_status()
    for method, path, payload in [*data.draw(reads()), *battery()]:
        first, second = _send(one, method, path, payload), _send(two, method, path, payload)
        _same(first, second, f"{method} {path} {payload}")
        following = (_next(first, payload), _next(second, payload)) if method == "POST" \
            else (None, None)
        assert (following[0] is None) == (following[1] is None)
        if following[0] is not None and following[1] is not None:
            _same(_send(one, method, path, following[0]), _send(two, method, path, following[1]),
                  f"next page of {method} {path} {payload}")


def test_a_site_of_regular_documents_is_read_through_the_index(pair, monkeypatch):
    """The served emulator does take its indexed paths for what the API writes: with the
    general paths made to fail, the reads still answer."""
    one, _, documents = pair
    one.put("/_emulator/state", json={"version": 1, "documents": documents}).raise_for_status()
    from provisioner.emulator import events, policies, schedule, ticket_definitions

    def general(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(ticket_definitions, "_rows", general)
    monkeypatch.setattr(events, "_visible", general)
    monkeypatch.setattr(schedule, "by_time", general)
    monkeypatch.setattr(policies, "display_order", general)
    in_all = {"filter": {"eventId": {"$in": EVENT_IDS}}, "cursorPaging": {"limit": 5}}
    for path in ("/events/v3/ticket-definitions/query", "/events/v2/policies/query"):
        assert one.post(path, json={"query": in_all}).status_code == 200
    found = one.post("/events/v3/events/query", json={
        "query": {"filter": {"slug": {"$in": ["event-0", "event-1"]}}, "paging": {"limit": 5}},
        "includeDrafts": True, "fields": EVENT_FIELDS})
    assert [e["slug"] for e in found.json()["events"]] == ["event-0", "event-1"], found.text
    listing = one.get("/events/v1/schedule", params=[("eventId", e) for e in EVENT_IDS]
                      + [("state", "PUBLISHED"), ("state", "DRAFT")])
    assert listing.json()["total"] == 24, listing.text


# --- pieces -------------------------------------------------------------------------------------


def test_spliced_json_is_byte_for_byte_what_the_decoded_value_encodes_to():
    form = {"controls": [{"id": "x", "label": "Café – “quoted” \\ \u2028", "n": 1.5}],
            "messages": {"rsvp": None, "marker": "\x00not a marker\x00"}}
    text = JSONResponse(form).body.decode("utf-8")
    content = {"events": [{"id": "a", "form": RawJson(text), "after": "é"},
                          {"id": "b", "form": RawJson(text)}], "total": 2}
    expected = {"events": [{"id": "a", "form": form, "after": "é"}, {"id": "b", "form": form}],
                "total": 2}
    assert encode(content) == JSONResponse(expected).body
    assert encode(expected) == JSONResponse(expected).body
    with pytest.raises(ValueError):
        encode({"nan": float("nan")})  # refused, as JSONResponse refuses it


def test_a_database_from_before_the_derived_columns_is_brought_up_to_date(tmp_path):
    path = tmp_path / "old.sqlite3"
    import sqlite3
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE docs (site TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
            parent TEXT, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (site, kind, id));
        CREATE INDEX docs_by_parent ON docs (site, kind, parent);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """)
    conn.execute("INSERT INTO docs VALUES ('s', 'things', 'a', 'p', 1, '{\"n\": 2}')")
    conn.execute("INSERT INTO docs VALUES ('s', 'things', 'b', 'p', 2, '{\"n\": 1}')")
    conn.commit()
    conn.close()
    store = Store(path)
    store.install({"things": lambda doc, doc_id, parent: (str(doc["n"]), "V")},
                  {"things": lambda children: str(len(children))}, "test")
    with store.transaction() as txn:
        page = txn.children_by_parent("s", "things", "parents", None, offset=0, limit=10)
        assert page is not None and page.total == 0  # no parent documents of that kind
        keyed = txn.children_by_key("s", ["things"], ["p"], offset=0, limit=10)
        assert keyed is not None and [d["n"] for d in keyed.docs] == [1, 2]
        assert txn.aggregates("s", "things", ["p"]) == {"p": "2"}
    store.close()


def test_a_declined_document_sends_its_kind_to_the_general_path():
    store = Store()
    store.install({"things": lambda doc, doc_id, parent: None if doc.get("odd") else ("k", "V")},
                  {}, "test")
    with store.transaction() as txn:
        txn.put("s", "things", "a", {"n": 1}, parent="p")
        assert txn.children_by_key("s", ["things"], None, offset=0, limit=5) is not None
        txn.put("s", "things", "b", {"odd": True}, parent="p")
        assert txn.children_by_key("s", ["things"], None, offset=0, limit=5) is None
        assert txn.children_by_key("other", ["things"], None, offset=0, limit=5) is not None
        txn.delete("s", "things", "b")
        assert txn.children_by_key("s", ["things"], None, offset=0, limit=5) is not None


def test_aggregates_follow_every_change_to_the_children():
    store = Store()
    store.install({}, {"things": lambda children: ",".join(str(c["n"]) for c in children)}, "t")
    with store.transaction() as txn:
        txn.put("s", "things", "a", {"n": 1}, parent="p")
        txn.put("s", "things", "b", {"n": 2}, parent="p")
    with store.transaction() as txn:
        assert txn.aggregates("s", "things", ["p", "q"]) == {"p": "1,2"}
        txn.put("s", "things", "a", {"n": 3})  # re-saved: keeps its parent and its place
        assert txn.aggregates("s", "things", ["p"]) == {"p": "3,2"}
        txn.put("s", "things", "b", {"n": 2}, parent="q")  # moved to another parent
        assert txn.aggregates("s", "things", ["p", "q"]) == {"p": "3", "q": "2"}
        txn.delete("s", "things", "a")
        txn.delete_children("s", "things", "q")
        assert txn.aggregates("s", "things", ["p", "q"]) == {}
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.put("s", "things", "c", {"n": 4}, parent="p")
        raise RuntimeError("rolled back")
    with store.transaction() as txn:
        assert txn.aggregates("s", "things", ["p"]) == {}
