"""Calls the API takes lists for go out as one call: every event assigned to one category in
one Assign Events call, every schedule item an event drops in one Delete call, each action
still reported on its own."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import FakeClock, Server
from tests.plan.test_plan_calls import small_event

from .support import apply_cli, log_mark, requests_after

ASSIGN_ROUTE = "POST /events/v1/categories/{categoryId}/events"
DELETE_ITEMS_ROUTE = "DELETE /events/v1/schedule/draft/items"


def write_spec(path: Path, events: list[dict[str, Any]]) -> Path:
    spec = {"version": 1, "categories": [{"name": "Meetups"}], "events": events}
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def routes_after(api: httpx.Client, mark: int) -> Counter[str]:
    return Counter(f"{e['method']} {e['route']}" for e in requests_after(api, mark))


def test_assignments_to_one_category_are_one_call(server: Server, api: httpx.Client,
                                                  clock: FakeClock, tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "fleet.yaml", [small_event(i) for i in range(5)])
    done = apply_cli(server, api, spec, "--auto-approve", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assigned = [a for a in report["actions"] if a["action"] == "assign"]
    assert len(assigned) == 5
    assert all(a["status"] == "applied" and a["detail"] == "one call for 5" for a in assigned)
    assert routes_after(api, 0)[ASSIGN_ROUTE] == 1
    for index in range(5):  # each event is in the category, as read back from the API
        listed = api.get(f"/events/v1/categories/{_event_id(api, f'meetup-{index}')}").json()
        assert [c["name"] for c in listed["categories"]] == ["Meetups"]


def test_dropped_schedule_items_of_one_event_are_one_call(
        server: Server, api: httpx.Client, clock: FakeClock, tmp_path: Path) -> None:
    event = small_event(0)
    event["schedule"]["items"].append(
        {"name": "Lightning", "timeSlot": {"start": "2031-05-01T18:30",
                                           "end": "2031-05-01T18:45"}})
    spec = write_spec(tmp_path / "spec.yaml", [event])
    assert apply_cli(server, api, spec, "--auto-approve").returncode == 0
    event["schedule"]["items"] = event["schedule"]["items"][:1]  # drop Drinks and Lightning
    write_spec(spec, [event])
    mark = log_mark(api)
    done = apply_cli(server, api, spec, "--auto-approve", "--json")
    assert done.returncode == 0, done.stderr
    deleted = [a for a in json.loads(done.stdout)["actions"] if a["action"] == "delete"]
    assert sorted(a["address"] for a in deleted) == [
        "event[meetup-0].scheduleItem[Drinks]", "event[meetup-0].scheduleItem[Lightning]"]
    assert routes_after(api, mark)[DELETE_ITEMS_ROUTE] == 1
    published = api.get("/events/v1/schedule", params={"eventId": _event_id(api, "meetup-0")}
                        ).json()
    assert [item["name"] for item in published.get("items") or []] == ["Talks"]


def _event_id(api: httpx.Client, slug: str) -> str:
    found = api.post("/events/v3/events/query", json={
        "query": {"filter": {"slug": slug}, "paging": {"limit": 1}},
        "includeDrafts": True}).json()["events"]
    return found[0]["id"]
