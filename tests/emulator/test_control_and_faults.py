"""The control API (`/_emulator/`): request counters, reset, state dump and load, and seeded,
reproducible faults (latency, 5xx, 429 with Retry-After, writes that commit and lose their
response). Each test serves its own emulator, so faults never leak into other tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from provisioner.emulator import create_app
from provisioner.emulator.faults import FaultInjector, FaultSettings

from ..conftest import running
from .helpers import assert_error, event_body


@contextmanager
def emulator(**settings: Any) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """(API client for one site, control client) on a fresh emulator."""
    key, site = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    faults = FaultSettings.from_json(settings) if settings else None
    app = create_app(credentials=[(key, site)], fault_settings=faults)
    with running(app) as base_url:
        headers = {"Authorization": key, "wix-site-id": site}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api, \
                httpx.Client(base_url=base_url, timeout=30) as control:
            yield api, control


def create_policy(api: httpx.Client, event_id: str, name: str) -> httpx.Response:
    return api.post("/events/v2/policies", json={
        "policy": {"eventId": event_id, "name": name, "body": "Be kind."}})


def new_event(api: httpx.Client) -> str:
    response = api.post("/events/v3/events", json={"event": event_body(), "draft": True})
    assert response.status_code == 200, response.text
    return response.json()["event"]["id"]


def test_request_counters_match_the_calls_exactly() -> None:
    with emulator() as (api, control):
        event_id = new_event(api)
        for name in ("A", "B", "C"):
            assert create_policy(api, event_id, name).status_code == 200
        for _ in range(4):
            api.get(f"/events/v3/events/{event_id}")
        api.post("/events/v2/policies/query", json={"query": {"filter": {"eventId": event_id}}})
        create_policy(api, event_id, "D")  # refused (4th policy): still a call
        api.get("/events/v3/events/not-an-id")  # 404: still a call
        api.get("/no/such/api")  # no route: not an API call
        control.get("/_emulator/faults")  # control calls are not counted
        snapshot = control.get("/_emulator/requests").json()
        assert snapshot["counters"] == {
            "GET /events/v3/events/{eventId}": 5,
            "POST /events/v2/policies": 4,
            "POST /events/v2/policies/query": 1,
            "POST /events/v3/events": 1,
        }
        assert snapshot["total"] == 11 == len(snapshot["requests"])
        statuses = [r["status"] for r in snapshot["requests"]]
        assert statuses.count(428) == 1 and statuses.count(404) == 1
        # per site, and cleared on demand
        other = control.get("/_emulator/requests", headers={"wix-site-id": "other"}).json()
        assert other["total"] == 0
        assert control.request("DELETE", "/_emulator/requests", json={}).status_code == 200
        assert control.get("/_emulator/requests").json()["total"] == 0


def test_reset_forgets_data_and_keeps_credentials() -> None:
    with emulator() as (api, control):
        event_id = new_event(api)
        removed = control.post("/_emulator/reset", json={}).json()["removedDocuments"]
        assert removed >= 1
        assert_error(api.get(f"/events/v3/events/{event_id}"), 404)
        assert control.get("/_emulator/requests").json()["total"] == 1  # only the GET above
        new_event(api)  # the key still works


def test_state_dump_loads_into_another_emulator() -> None:
    with emulator() as (api, control):
        event_id = new_event(api)
        assert create_policy(api, event_id, "Refunds").status_code == 200
        dump = control.get("/_emulator/state").json()
    assert dump["version"] == 1
    kinds = {doc["kind"] for doc in dump["documents"]}
    assert len(kinds) >= 2
    site = dump["documents"][0]["site"]
    with emulator() as (_, control2):
        assert control2.put("/_emulator/state", json=dump).json() == {
            "loadedDocuments": len(dump["documents"])}
        assert control2.get("/_emulator/state").json() == dump
        bad = control2.put("/_emulator/state", json={"version": 1, "documents": [{"site": 1}]})
        assert_error(bad, 400)
        assert control2.get("/_emulator/state").json() == dump  # a refused load changes nothing
    assert site


def test_rate_limit_answers_429_with_retry_after_and_recovers() -> None:
    now = [1000.0]
    injector = FaultInjector(FaultSettings(rate_limit=120), monotonic=lambda: now[0])
    decisions = [injector.decide("site", "GET", "/x", "/x") for _ in range(121)]
    assert all(d.status is None for d in decisions[:120])  # a minute's budget as a burst
    assert decisions[120].status == 429 and decisions[120].retry_after == 1
    assert injector.decide("other-site", "GET", "/x", "/x").status is None  # budgets per site
    now[0] += 0.25  # at 2 calls a second, a quarter second refills half a call
    assert injector.decide("site", "GET", "/x", "/x").status == 429
    now[0] += 0.25
    assert injector.decide("site", "GET", "/x", "/x").status is None
    now[0] += 60  # a quiet minute refills the whole budget
    assert all(injector.decide("site", "GET", "/x", "/x").status is None for _ in range(120))


def test_rate_limit_over_http() -> None:
    with emulator(rate_limit=3) as (api, control):
        codes = [api.get("/events/v3/events/x").status_code for _ in range(5)]
        assert codes == [404, 404, 404, 429, 429]
        refused = api.get("/events/v3/events/x")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert_error(refused, 429, "TOO_MANY_REQUESTS")
        faults = [r["fault"] for r in control.get("/_emulator/requests").json()["requests"]]
        assert faults.count("rate_limited") == 3


def test_the_same_seed_gives_the_same_faults() -> None:
    def run(seed: int) -> list[int]:
        with emulator(seed=seed, error_rate=0.5) as (api, _):
            return [api.get("/events/v3/events/x").status_code for _ in range(30)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert set(first) == {404, 503}
    assert first != other


def test_errors_change_nothing_and_drops_commit() -> None:
    with emulator(error_rate=1.0, paths=["/events/v2/policies"]) as (api, control):
        event_id = new_event(api)  # not under the faulted path
        assert_error(create_policy(api, event_id, "Refunds"), 503, "UNAVAILABLE")
        policies = [d for d in control.get("/_emulator/state").json()["documents"]
                    if d["kind"] == "policies"]
        assert policies == []
        control.put("/_emulator/faults", json={"drop_rate": 1.0, "methods": ["POST"]})
        lost = create_policy(api, event_id, "Refunds")
        assert_error(lost, 504, "GATEWAY_TIMEOUT")
        stored = [d["body"]["name"] for d in control.get("/_emulator/state").json()["documents"]
                  if d["body"].get("name") == "Refunds"]
        assert stored == ["Refunds"]  # the caller saw an error, the change is stored
        # reads are never dropped
        query = api.post("/events/v2/policies/query", json={"query": {}})
        assert query.status_code == 200


def test_latency_is_added_with_jitter_and_only_where_asked() -> None:
    with emulator(latency_ms=150, jitter_ms=50, paths=["/events/v3/events/"]) as (api, _):
        started = time.perf_counter()
        api.get("/events/v3/events/x")
        slow = time.perf_counter() - started
        started = time.perf_counter()
        api.post("/events/v2/policies/query", json={"query": {}})
        fast = time.perf_counter() - started
    assert 0.15 <= slow < 1.0
    assert fast < 0.15


@pytest.mark.parametrize("body", [
    {"error_rate": 2}, {"latency_ms": -1}, {"rate_limit": 1.5}, {"paths": "/x"},
    {"typo_rate": 0.1}, {"seed": True},
])
def test_fault_settings_are_checked(body: dict[str, Any]) -> None:
    with emulator() as (_, control):
        assert_error(control.put("/_emulator/faults", json=body), 400)
        assert control.get("/_emulator/faults").json()["faults"] == FaultSettings().to_json()
