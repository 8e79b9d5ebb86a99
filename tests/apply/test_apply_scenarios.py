"""`provisioner apply` on every plan scenario, end to end: a real emulator over HTTP, the real
CLI in a subprocess.

For each scenario folder (tests/plan/scenarios) the site is seeded and edited as the plan test
does, then `apply spec.yaml --auto-approve --json --allow-delete-sold --allow-cancel` runs:

- a scenario whose plan has problems (expect `exit: 1`) is refused: exit 1, no traceback, and
  the emulator's request log shows no write for the site;
- any other scenario applies completely (every action `applied`, `ok` and `verified` true; or,
  with nothing to do, an empty report and no write at all), and then the site, read with plain
  HTTP calls that share no code with the provisioner, holds what the spec says: each event once
  with its title, its ticket definitions and policies by name in display order, its published
  agenda as a multiset of names, and no name twice; a new plan finds no changes (exit 0).

Risky actions are refused without their flag, before any write.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import FakeClock, Server
from tests.plan.seed import ok, seed
from tests.plan.test_scenarios import NAMES, SCENARIOS, apply_edits, run_plan

from .support import apply_cli, log_mark, writes_after

ALLOW_ALL = ("--auto-approve", "--json", "--allow-delete-sold", "--allow-cancel")


def prepare(api: httpx.Client, folder: Path) -> dict[str, str]:
    """Seed `live.seed.json` and make the outside edits, as the plan scenario does."""
    live = folder / "live.seed.json"
    events = seed(api, live) if live.exists() else {}
    apply_edits(api, events, folder / "edits.json")
    return events


# --- the live site, read with plain HTTP ----------------------------------------------------


def live_events(api: httpx.Client) -> list[dict[str, Any]]:
    body = {"query": {"paging": {"limit": 100}}, "includeDrafts": True}
    return ok(api.post("/events/v3/events/query", json=body))["events"]


def names(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["name"]) for item in items]


def ticket_names(api: httpx.Client, event_id: str) -> list[str]:
    """In display order: an unsorted query lists an event's definitions in display order."""
    body = {"query": {"filter": {"eventId": {"$eq": event_id}}}}
    return names(ok(api.post("/events/v3/ticket-definitions/query",
                             json=body))["ticketDefinitions"])


def policy_names(api: httpx.Client, event_id: str) -> list[str]:
    """In display order: the emulator keeps it in each policy's `_sortIndex`, which the public
    API shows only as the order of an unsorted query (what `live.py` reads too)."""
    body = {"query": {"filter": {"eventId": {"$eq": event_id}}}}
    return names(ok(api.post("/events/v2/policies/query", json=body))["policies"])


def published_schedule(api: httpx.Client, event_id: str) -> list[dict[str, Any]]:
    answer = ok(api.get("/events/v1/schedule",
                        params={"eventId": event_id, "state": "PUBLISHED"}))
    items = answer.get("items") or []
    assert not any(item.get("draft") for item in items)
    return items


def check_site_matches(api: httpx.Client, spec: dict[str, Any]) -> None:
    """The essentials of `spec` hold on the site, and nothing is duplicated."""
    events = live_events(api)
    slugs = Counter(str(e.get("slug")) for e in events)
    assert all(n == 1 for n in slugs.values()), f"an event slug twice: {slugs}"
    by_slug = {e["slug"]: e for e in events}
    for event in spec.get("events") or []:
        slug = event["slug"]
        assert slug in by_slug, f"{slug} is not on the site ({sorted(slugs)})"
        live = by_slug[slug]
        assert live["title"] == event["title"]
        live_tickets = ticket_names(api, live["id"])
        assert len(set(live_tickets)) == len(live_tickets), live_tickets
        if "tickets" in event:
            assert live_tickets == [t["name"] for t in event["tickets"] or []]
        live_policies = policy_names(api, live["id"])
        assert len(set(live_policies)) == len(live_policies), live_policies
        if "policies" in event:
            assert live_policies == [p["name"] for p in event["policies"] or []]
        items = published_schedule(api, live["id"])
        starts = Counter((i["name"], i["timeSlot"]["start"]) for i in items)
        assert all(n == 1 for n in starts.values()), f"an agenda item twice: {starts}"
        schedule = event.get("schedule") or {}
        if "items" in schedule and schedule.get("published", True):
            assert Counter(names(items)) == Counter(i["name"] for i in schedule["items"])


# --- the scenarios ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_apply_scenario(name: str, server: Server, api: httpx.Client,
                        clock: FakeClock) -> None:
    folder = SCENARIOS / name
    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    spec = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    prepare(api, folder)
    mark = log_mark(api)

    done = apply_cli(server, api, folder / "spec.yaml", *ALLOW_ALL)
    assert "Traceback" not in done.stderr, done.stderr
    if expect["exit"] == 1:
        assert done.returncode == 1, done.stdout + done.stderr
        assert "problems" in done.stderr
        assert writes_after(api, mark) == []
        return
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    if expect["exit"] == 0:
        assert report["summary"] == {} and report["actions"] == []
        assert writes_after(api, mark) == []
    else:
        assert report["verified"] is True
        assert [a["status"] for a in report["actions"]] == ["applied"] * len(
            expect["addresses"]), report["actions"]
        assert sorted(a["address"] for a in report["actions"]) == sorted(expect["addresses"])
        assert report["summary"]["applied"] == len(expect["addresses"])
        # every action is at least one write (no faults here: nothing is found already done)
        assert len(writes_after(api, mark)) >= len(expect["addresses"])
    check_site_matches(api, spec)

    again = run_plan(server, api, folder / "spec.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["actions"] == []


@pytest.mark.parametrize(("name", "flag"), [("remove-sold-ticket", "--allow-delete-sold"),
                                            ("cancel-event", "--allow-cancel")])
def test_risky_action_is_refused_without_its_flag(name: str, flag: str, server: Server,
                                                  api: httpx.Client, clock: FakeClock) -> None:
    folder = SCENARIOS / name
    prepare(api, folder)
    mark = log_mark(api)
    others = [f for f in ("--allow-delete-sold", "--allow-cancel") if f != flag]

    done = apply_cli(server, api, folder / "spec.yaml", "--auto-approve", "--json", *others)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert flag in done.stderr
    assert "nothing was changed" in done.stderr
    report = json.loads(done.stdout)  # the report says nothing ran, and why
    assert report["ok"] is False and report["actions"] == []
    assert flag in report["error"]
    assert writes_after(api, mark) == []
