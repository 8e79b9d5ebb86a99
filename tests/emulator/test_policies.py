"""Contract tests for the emulated Policies V2 API, on both public prefixes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_event, violations

DOCS_PREFIX = "/events/v2/policies"
SDK_PREFIX = "/events-policies/v2/policies"
PREFIXES = [DOCS_PREFIX, SDK_PREFIX]
WIRE_KEYS = ["id", "revision", "createdDate", "updatedDate", "name", "body", "eventId"]


@pytest.fixture(params=PREFIXES, ids=["docs-prefix", "sdk-prefix"])
def prefix(request: pytest.FixtureRequest) -> str:
    return request.param


def add_policy(api: httpx.Client, event_id: str, name: str = "Terms",
               body: str = "<p>No refunds.</p>", prefix: str = DOCS_PREFIX) -> dict[str, Any]:
    response = api.post(prefix, json={"policy": {"name": name, "body": body,
                                                  "eventId": event_id}})
    assert response.status_code == 200, response.text
    return response.json()["policy"]


def get_policy(api: httpx.Client, policy_id: str, prefix: str = DOCS_PREFIX) -> httpx.Response:
    return api.get(f"{prefix}/{policy_id}", params={"policyId": policy_id})


def query(api: httpx.Client, q: dict[str, Any], prefix: str = DOCS_PREFIX) -> httpx.Response:
    return api.post(f"{prefix}/query", json={"query": q})


def query_ids(api: httpx.Client, q: dict[str, Any] | None = None) -> list[str]:
    response = query(api, q or {})
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["policies"]]


def update(api: httpx.Client, policy: dict[str, Any], prefix: str = DOCS_PREFIX,
           **changes: Any) -> httpx.Response:
    body = {k: policy[k] for k in ("id", "revision", "name", "body", "eventId")}
    body.update(changes)
    return api.patch(f"{prefix}/{policy['id']}", json={"policy": body})


def reorder(api: httpx.Client, body: dict[str, Any], prefix: str = DOCS_PREFIX) -> httpx.Response:
    return api.post(f"{prefix}/reorder", json=body)


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["policies"]]


def rules(response: httpx.Response) -> dict[str, str]:
    found = response.json()["details"]["validationError"]["fieldViolations"]
    return {v["field"]: v["violatedRule"] for v in found}


# --- create and get ----------------------------------------------------------------------------


def test_create_then_get_on_each_prefix(api, clock, prefix):
    clock.set("2026-05-01T10:00:00Z")
    event = create_event(api)
    created = add_policy(api, event["id"], "Terms and Conditions", "<b>Organiser</b>", prefix)
    assert list(created) == WIRE_KEYS
    uuid.UUID(created["id"])
    assert created["revision"] == "1"
    assert created["createdDate"] == created["updatedDate"] == "2026-05-01T10:00:00.000Z"
    assert (created["name"], created["body"], created["eventId"]) == (
        "Terms and Conditions", "<b>Organiser</b>", event["id"])
    for read_prefix in PREFIXES:
        response = get_policy(api, created["id"], read_prefix)
        assert response.status_code == 200, response.text
        assert response.json() == {"policy": created}


def test_create_ignores_read_only_fields(api):
    event = create_event(api)
    forged = str(uuid.uuid4())
    response = api.post(DOCS_PREFIX, json={"policy": {
        "id": forged, "revision": "7", "createdDate": "2020-01-01T00:00:00Z",
        "name": "Terms", "body": "text", "eventId": event["id"]}})
    assert response.status_code == 200, response.text
    policy = response.json()["policy"]
    assert policy["id"] != forged and policy["revision"] == "1"
    assert not policy["createdDate"].startswith("2020")
    assert_error(get_policy(api, forged), 404, "POLICY_NOT_FOUND")


def test_create_requires_policy_name_body_and_event(api, prefix):
    assert violations(api.post(prefix, json={})) == {"policy": "is required"}
    response = api.post(prefix, json={"policy": {}})
    assert rules(response) == {"policy.name": "REQUIRED_FIELD", "policy.body": "REQUIRED_FIELD",
                               "policy.eventId": "REQUIRED_FIELD"}
    assert query_ids(api) == []


def test_create_enforces_lengths_and_event_id_format(api):
    event = create_event(api)
    too_long = api.post(DOCS_PREFIX, json={"policy": {
        "name": "n" * 41, "body": "b" * 50001, "eventId": event["id"]}})
    assert rules(too_long) == {"policy.name": "MAX_LENGTH", "policy.body": "MAX_LENGTH"}
    empty = api.post(DOCS_PREFIX, json={"policy": {"name": "", "body": "", "eventId": "evt-1"}})
    assert rules(empty) == {"policy.name": "MIN_LENGTH", "policy.body": "MIN_LENGTH",
                            "policy.eventId": "FORMAT"}
    wrong_types = api.post(DOCS_PREFIX, json={"policy": {"name": 5, "body": ["x"],
                                                         "eventId": event["id"]}})
    assert rules(wrong_types) == {"policy.name": "FORMAT", "policy.body": "FORMAT"}
    assert query_ids(api) == []
    longest = add_policy(api, event["id"], "n" * 40, "b" * 50000)
    assert (len(longest["name"]), len(longest["body"])) == (40, 50000)


def test_create_for_unknown_event_is_404(api):
    response = api.post(DOCS_PREFIX, json={"policy": {"name": "Terms", "body": "text",
                                                      "eventId": str(uuid.uuid4())}})
    assert_error(response, 404, "EVENT_NOT_FOUND")


def test_fourth_policy_of_an_event_is_refused(api, prefix):
    event, other = create_event(api, "One"), create_event(api, "Two")
    kept = [add_policy(api, event["id"], f"P{n}", prefix=prefix) for n in range(3)]
    response = api.post(prefix, json={"policy": {"name": "P3", "body": "text",
                                                 "eventId": event["id"]}})
    body = assert_error(response, 428, "POLICIES_LIMIT_REACHED")
    assert body["details"]["applicationError"]["description"] == (
        "Maximum number of policies for the event has been reached")
    assert query_ids(api, {"filter": {"eventId": event["id"]}}) == [
        p["id"] for p in reversed(kept)]
    add_policy(api, other["id"], "Other event is not affected", prefix=prefix)
    assert api.delete(f"{prefix}/{kept[0]['id']}").status_code == 200
    add_policy(api, event["id"], "Room again after a delete", prefix=prefix)


def test_get_unknown_policy_is_404(api, prefix):
    assert_error(get_policy(api, str(uuid.uuid4()), prefix), 404, "POLICY_NOT_FOUND")


def test_another_site_cannot_see_or_change_a_policy(api, server):
    event = create_event(api)
    policy = add_policy(api, event["id"])
    key, site = server.new_site()
    with server.client(key, site) as other:
        assert_error(get_policy(other, policy["id"]), 404, "POLICY_NOT_FOUND")
        assert_error(update(other, policy, name="Hijacked"), 404, "POLICY_NOT_FOUND")
        assert_error(other.delete(f"{DOCS_PREFIX}/{policy['id']}"), 404, "POLICY_NOT_FOUND")
        assert query_ids(other) == []
        assert_error(reorder(other, {"eventId": event["id"], "policyId": policy["id"],
                                     "afterPolicyId": str(uuid.uuid4())}),
                     400, "INVALID_REORDER_INSTRUCTION")
        refused = other.post(DOCS_PREFIX, json={"policy": {"name": "x", "body": "y",
                                                           "eventId": event["id"]}})
        assert_error(refused, 404, "EVENT_NOT_FOUND")
    assert get_policy(api, policy["id"]).json()["policy"] == policy


# --- update ------------------------------------------------------------------------------------


def test_update_replaces_text_and_bumps_revision(api, clock, prefix):
    clock.set("2026-05-01T10:00:00Z")
    event = create_event(api)
    policy = add_policy(api, event["id"], "Terms", "Old text", prefix)
    clock.set("2026-05-02T12:30:00Z")
    response = update(api, policy, prefix, name="Refunds", body="New text")
    assert response.status_code == 200, response.text
    updated = response.json()["policy"]
    assert list(updated) == WIRE_KEYS
    assert updated["revision"] == "2"
    assert updated["createdDate"] == "2026-05-01T10:00:00.000Z"
    assert updated["updatedDate"] == "2026-05-02T12:30:00.000Z"
    assert (updated["name"], updated["body"], updated["eventId"]) == (
        "Refunds", "New text", event["id"])
    assert get_policy(api, policy["id"], prefix).json()["policy"] == updated
    again = update(api, updated, prefix, name="Refunds v3")
    assert again.json()["policy"]["revision"] == "3"


def test_stale_revision_is_409_and_changes_nothing(api):
    event = create_event(api)
    policy = add_policy(api, event["id"], "Terms", "Original")
    winner = update(api, policy, name="First writer")
    assert winner.status_code == 200, winner.text
    loser = update(api, policy, name="Second writer", body="Lost")
    body = assert_error(loser, 409, "REVISION_MISMATCH")
    assert body["details"]["applicationError"]["data"] == {"currentRevision": "2"}
    stored = get_policy(api, policy["id"]).json()["policy"]
    assert stored == winner.json()["policy"]
    assert_error(update(api, policy, revision="5"), 409, "REVISION_MISMATCH")
    assert get_policy(api, policy["id"]).json()["policy"]["revision"] == "2"


def test_update_requires_every_field_and_valid_values(api, prefix):
    event = create_event(api)
    policy = add_policy(api, event["id"])
    url = f"{prefix}/{policy['id']}"
    assert violations(api.patch(url, json={})) == {"policy": "is required"}
    missing = api.patch(url, json={"policy": {"id": policy["id"]}})
    assert rules(missing) == {"policy.revision": "REQUIRED_FIELD", "policy.name": "REQUIRED_FIELD",
                              "policy.body": "REQUIRED_FIELD", "policy.eventId": "REQUIRED_FIELD"}
    bad = update(api, policy, prefix, name="n" * 41, body="", revision=1)
    assert rules(bad) == {"policy.revision": "FORMAT", "policy.name": "MAX_LENGTH",
                          "policy.body": "MIN_LENGTH"}
    assert get_policy(api, policy["id"]).json()["policy"] == policy


def test_update_cannot_move_a_policy_to_another_event(api):
    event, other = create_event(api, "One"), create_event(api, "Two")
    policy = add_policy(api, event["id"])
    response = update(api, policy, eventId=other["id"])
    assert "policy.eventId" in violations(response)
    assert get_policy(api, policy["id"]).json()["policy"] == policy
    assert query_ids(api, {"filter": {"eventId": other["id"]}}) == []


def test_update_id_must_match_path_and_exist(api, prefix):
    event = create_event(api)
    policy = add_policy(api, event["id"])
    mismatch = update(api, policy, prefix, id=str(uuid.uuid4()), name="Changed")
    assert_error(mismatch, 400, "INVALID_ARGUMENT")
    unknown = dict(policy, id=str(uuid.uuid4()))
    assert_error(update(api, unknown, prefix), 404, "POLICY_NOT_FOUND")
    assert get_policy(api, policy["id"]).json()["policy"] == policy


# --- delete ------------------------------------------------------------------------------------


def test_delete_removes_the_policy(api, prefix):
    event = create_event(api)
    doomed, kept = add_policy(api, event["id"], "Doomed"), add_policy(api, event["id"], "Kept")
    response = api.delete(f"{prefix}/{doomed['id']}", params={"policyId": doomed["id"]})
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert_error(get_policy(api, doomed["id"], prefix), 404, "POLICY_NOT_FOUND")
    assert query_ids(api) == [kept["id"]]
    assert_error(api.delete(f"{prefix}/{doomed['id']}"), 404, "POLICY_NOT_FOUND")


def test_deleting_the_event_removes_its_policies(api):
    event, other = create_event(api, "Gone"), create_event(api, "Stays")
    gone = [add_policy(api, event["id"], f"P{n}") for n in range(2)]
    stays = add_policy(api, other["id"])
    assert api.delete(f"/events/v3/events/{event['id']}").status_code == 200
    for policy in gone:
        assert_error(get_policy(api, policy["id"]), 404, "POLICY_NOT_FOUND")
    assert query_ids(api) == [stays["id"]]


# --- query -------------------------------------------------------------------------------------


def test_query_default_order_is_each_events_display_order(api, prefix):
    first, second = create_event(api, "First"), create_event(api, "Second")
    a1 = add_policy(api, first["id"], "A1")
    b1 = add_policy(api, second["id"], "B1")
    a2 = add_policy(api, first["id"], "A2")
    b2 = add_policy(api, second["id"], "B2")
    response = query(api, {}, prefix)
    assert names(response) == ["A2", "A1", "B2", "B1"]
    assert response.json()["policies"][0] == a2
    assert response.json()["metadata"] == {"count": 4, "cursors": {}}
    assert {a1["id"], b1["id"], b2["id"]} <= {p["id"] for p in response.json()["policies"]}


def test_query_requires_a_query_object(api, prefix):
    assert "query" in violations(api.post(f"{prefix}/query", json={}))


def test_query_filters_and_sorts(api, clock):
    clock.set("2026-05-01T00:00:00Z")
    first, second = create_event(api, "First"), create_event(api, "Second")
    alpha = add_policy(api, first["id"], "Alpha", "refunds")
    clock.set("2026-05-02T00:00:00Z")
    beta = add_policy(api, first["id"], "Beta", "photos")
    clock.set("2026-05-03T00:00:00Z")
    gamma = add_policy(api, second["id"], "Gamma", "refunds")
    update(api, gamma, name="Gamma")
    assert query_ids(api, {"filter": {"eventId": first["id"]}}) == [beta["id"], alpha["id"]]
    assert query_ids(api, {"filter": {"eventId": {"$eq": second["id"]}}}) == [gamma["id"]]
    assert query_ids(api, {"filter": {"body": {"$ne": "refunds"}}}) == [beta["id"]]
    assert query_ids(api, {"filter": {"name": {"$in": ["Alpha", "Gamma"]}}}) == [
        alpha["id"], gamma["id"]]
    assert query_ids(api, {"filter": {"name": {"$hasSome": ["Beta"]}}}) == [beta["id"]]
    assert query_ids(api, {"filter": {"name": {"$nin": ["Alpha", "Gamma"]}}}) == [beta["id"]]
    assert query_ids(api, {"filter": {"revision": {"$gt": "1"}}}) == [gamma["id"]]
    assert query_ids(api, {"filter": {"revision": {"$lte": 1}}}) == [beta["id"], alpha["id"]]
    assert query_ids(api, {"filter": {"createdDate": {"$gte": "2026-05-02T00:00:00Z",
                                                      "$lt": "2026-05-03T00:00:00Z"}}}) == [
        beta["id"]]
    assert query_ids(api, {"filter": {"updatedDate": {"$gt": "2026-05-02T00:00:00Z"}}}) == [
        gamma["id"]]
    assert query_ids(api, {"filter": {"id": {"$exists": True}}}) == [
        beta["id"], alpha["id"], gamma["id"]]
    assert query_ids(api, {"filter": {"$or": [{"name": "Alpha"}, {"body": "photos"}]}}) == [
        beta["id"], alpha["id"]]
    assert query_ids(api, {"sort": [{"fieldName": "name", "order": "ASC"}]}) == [
        alpha["id"], beta["id"], gamma["id"]]
    assert query_ids(api, {"sort": [{"fieldName": "createdDate", "order": "DESC"}]}) == [
        gamma["id"], beta["id"], alpha["id"]]
    assert query_ids(api, {"sort": [{"fieldName": "body", "order": "ASC"},
                                    {"fieldName": "name", "order": "DESC"}]}) == [
        beta["id"], gamma["id"], alpha["id"]]


@pytest.mark.parametrize("bad_query", [
    {"filter": {"title": "Terms"}},
    {"filter": {"name": {"$startsWith": "T"}}},
    {"filter": {"name": {"$bogus": "T"}}},
    {"filter": {"revision": {"$gt": "two"}}},
    {"filter": {"createdDate": {"$gt": "yesterday"}}},
    {"filter": {"name": {"$in": "Terms"}}},
    {"filter": ["name"]},
    {"sort": [{"fieldName": "title", "order": "ASC"}]},
    {"sort": [{"fieldName": "name", "order": "UP"}]},
])
def test_query_refuses_unreadable_filters_and_sorts(api, bad_query):
    event = create_event(api)
    add_policy(api, event["id"])
    assert_error(query(api, bad_query), 400, "FILTER_PARSER_ERROR")


def test_query_paging_limits(api):
    event = create_event(api)
    add_policy(api, event["id"])
    assert_error(query(api, {"cursorPaging": {"limit": 101}}), 400)
    assert_error(query(api, {"paging": {"limit": 101}}), 400)
    assert_error(query(api, {"cursorPaging": {"limit": 1}, "paging": {"limit": 1}}), 400)
    assert_error(query(api, {"cursorPaging": {"cursor": "not-a-cursor"}}), 400, "INVALID_CURSOR")
    assert len(query(api, {"cursorPaging": {"limit": 100}}).json()["policies"]) == 1


def test_cursor_paging_returns_every_policy_once(api, prefix):
    events = [create_event(api, f"Event {n}") for n in range(4)]
    created = [add_policy(api, e["id"], f"{e['title']} #{n}") for e in events for n in range(3)]
    everything = query_ids(api)
    assert sorted(everything) == sorted(p["id"] for p in created)
    seen: list[str] = []
    response = query(api, {"cursorPaging": {"limit": 5}}, prefix)
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert page["metadata"]["count"] == len(page["policies"])
        seen += [p["id"] for p in page["policies"]]
        cursor = page["metadata"]["cursors"].get("next")
        if not cursor:
            break
        response = query(api, {"cursorPaging": {"limit": 5, "cursor": cursor}}, prefix)
    assert pages == 3
    assert seen == everything
    assert len(set(seen)) == 12


def test_cursor_paging_keeps_the_filter_and_sort(api):
    event, other = create_event(api, "One"), create_event(api, "Two")
    for name in ("C", "A", "B"):
        add_policy(api, event["id"], name)
    add_policy(api, other["id"], "Other")
    first = query(api, {"filter": {"eventId": event["id"]},
                        "sort": [{"fieldName": "name", "order": "ASC"}],
                        "cursorPaging": {"limit": 2}})
    assert names(first) == ["A", "B"]
    cursor = first.json()["metadata"]["cursors"]["next"]
    second = query(api, {"cursorPaging": {"limit": 2, "cursor": cursor}})
    assert names(second) == ["C"]
    assert "next" not in second.json()["metadata"]["cursors"]
    assert "prev" in second.json()["metadata"]["cursors"]


def test_offset_paging(api):
    event, other = create_event(api, "One"), create_event(api, "Two")
    for n in range(3):
        add_policy(api, event["id"], f"One {n}")
    add_policy(api, other["id"], "Two 0")
    response = query(api, {"paging": {"limit": 2, "offset": 1}})
    assert names(response) == ["One 1", "One 0"]
    assert response.json()["metadata"] == {"count": 2, "offset": 1, "total": 4,
                                           "tooManyToCount": False}


# --- reorder -----------------------------------------------------------------------------------


@pytest.fixture
def three(api) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """An event with policies A, B, C created in that order (shown C, B, A)."""
    event = create_event(api)
    return event, {name: add_policy(api, event["id"], name) for name in "ABC"}


def test_reorder_before(api, clock, three, prefix):
    event, by_name = three
    clock.set("2026-06-01T08:00:00Z")
    response = reorder(api, {"eventId": event["id"], "policyId": by_name["A"]["id"],
                             "beforePolicyId": by_name["B"]["id"]}, prefix)
    assert names(response) == ["C", "A", "B"]
    after = {p["name"]: p for p in response.json()["policies"]}
    assert after["A"]["revision"] == "2"
    assert after["A"]["updatedDate"] == "2026-06-01T08:00:00.000Z"
    assert after["B"] == by_name["B"] and after["C"] == by_name["C"]
    assert names(query(api, {"filter": {"eventId": event["id"]}})) == ["C", "A", "B"]
    assert get_policy(api, by_name["A"]["id"]).json()["policy"] == after["A"]


def test_reorder_after(api, three, prefix):
    event, by_name = three
    response = reorder(api, {"eventId": event["id"], "policyId": by_name["C"]["id"],
                             "afterPolicyId": by_name["A"]["id"]}, prefix)
    assert names(response) == ["B", "A", "C"]
    assert names(query(api, {})) == ["B", "A", "C"]
    add_policy(api, create_event(api, "Other")["id"], "Other event")
    assert names(query(api, {})) == ["B", "A", "C", "Other event"]


def test_a_new_policy_goes_in_front_after_a_reorder(api):
    event = create_event(api)
    a, b = add_policy(api, event["id"], "A"), add_policy(api, event["id"], "B")
    names(reorder(api, {"eventId": event["id"], "policyId": b["id"], "afterPolicyId": a["id"]}))
    add_policy(api, event["id"], "C")
    assert names(query(api, {})) == ["C", "A", "B"]


def test_reorder_with_both_references_applies_the_last_key(api, three):
    event, by_name = three
    before_last = {"eventId": event["id"], "policyId": by_name["C"]["id"],
                   "afterPolicyId": by_name["B"]["id"], "beforePolicyId": by_name["A"]["id"]}
    assert names(reorder(api, before_last)) == ["B", "C", "A"]
    after_last = {"eventId": event["id"], "policyId": by_name["C"]["id"],
                  "beforePolicyId": by_name["B"]["id"], "afterPolicyId": by_name["A"]["id"]}
    assert names(reorder(api, after_last)) == ["B", "A", "C"]
    empty_after = {"eventId": event["id"], "policyId": by_name["C"]["id"],
                   "beforePolicyId": by_name["B"]["id"], "afterPolicyId": ""}
    assert names(reorder(api, empty_after)) == ["C", "B", "A"]


def test_reorder_refuses_invalid_instructions(api, three, prefix):
    event, by_name = three
    other_event = create_event(api, "Other")
    stranger = add_policy(api, other_event["id"], "Stranger")
    a, b = by_name["A"]["id"], by_name["B"]["id"]
    invalid = [
        {"eventId": event["id"], "policyId": a},
        {"eventId": event["id"], "policyId": a, "beforePolicyId": None, "afterPolicyId": ""},
        {"eventId": event["id"], "policyId": a, "beforePolicyId": a},
        {"eventId": event["id"], "policyId": a, "afterPolicyId": stranger["id"]},
        {"eventId": event["id"], "policyId": stranger["id"], "afterPolicyId": a},
        {"eventId": other_event["id"], "policyId": a, "afterPolicyId": stranger["id"]},
        {"eventId": event["id"], "policyId": str(uuid.uuid4()), "beforePolicyId": b},
        {"eventId": event["id"], "policyId": a, "beforePolicyId": str(uuid.uuid4())},
        {"eventId": str(uuid.uuid4()), "policyId": a, "beforePolicyId": b},
    ]
    for body in invalid:
        assert_error(reorder(api, body, prefix), 400, "INVALID_REORDER_INSTRUCTION")
    assert names(query(api, {"filter": {"eventId": event["id"]}})) == ["C", "B", "A"]
    assert get_policy(api, a).json()["policy"] == by_name["A"]


def test_reorder_requires_event_and_policy_ids(api, prefix):
    response = reorder(api, {"beforePolicyId": str(uuid.uuid4())}, prefix)
    assert rules(response) == {"eventId": "REQUIRED_FIELD", "policyId": "REQUIRED_FIELD"}
    typed = reorder(api, {"eventId": 1, "policyId": "", "afterPolicyId": 2}, prefix)
    assert rules(typed) == {"eventId": "FORMAT", "policyId": "MIN_LENGTH",
                            "afterPolicyId": "FORMAT"}
