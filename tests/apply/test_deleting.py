"""Deleting events and categories on purpose: `state: DELETED` in the spec, or `provisioner
destroy SPEC` for everything a spec names. Each case is planned and applied through the real
CLI against the test emulator, checked straight against the API, and planned again.

- A draft event is deleted; an upcoming one is cancelled first (its guests hear of it), which
  needs `--allow-cancel`; one whose tickets have sold needs `--allow-delete-sold` too.
- A category marked deleted is deleted after the events leave it; an event that still lists
  it is a spec error.
- Nothing the spec does not name is touched, and an event already gone is no change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from provisioner.model import ALLOW_CANCEL, ALLOW_SOLD_DELETE
from tests.conftest import FakeClock, Server
from tests.plan.seed import ok, seed

from .support import log_mark, run_cli, writes_after
from .test_messy_sites import BEFORE_DEVCON, EXAMPLE, SEED, edited, on_sale_with_sales

CATEGORY = "Technology Conferences"


def events(api: httpx.Client) -> dict[str, dict[str, Any]]:
    found = ok(api.post("/events/v3/events/query", json={
        "query": {"paging": {"limit": 50}}, "includeDrafts": True}))["events"]
    return {e["slug"]: e for e in found}


def categories(api: httpx.Client) -> list[str]:
    return [c["name"] for c in ok(api.post("/events/v1/categories/query",
                                           json={"query": {}}))["categories"]]


def cli(server: Server, api: httpx.Client, command: str, spec: Path, *args: str
        ) -> tuple[int, str]:
    done = run_cli(api, command, spec, "--target", server.base_url, "--auto-approve", *args)
    assert "Traceback" not in done.stdout + done.stderr
    return done.returncode, done.stdout + done.stderr


def other_event(api: httpx.Client) -> dict[str, Any]:
    """An event no spec here names: it must survive everything."""
    return ok(api.post("/events/v3/events", json={"event": {
        "title": "Someone Else's Meetup", "location": {"type": "VENUE", "name": "Hall"},
        "dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                "endDate": "2030-01-01T12:00:00Z", "timeZoneId": "UTC"},
        "registration": {"initialType": "RSVP"}}, "draft": True}))["event"]


def test_a_draft_event_marked_deleted_is_deleted(server: Server, api: httpx.Client,
                                                 tmp_path: Path) -> None:
    draft = edited(tmp_path, ("state: PUBLISHED ", "state: DRAFT "))
    code, out = cli(server, api, "apply", draft)
    assert code == 0, out
    survivor = other_event(api)
    gone = edited(tmp_path, ("state: PUBLISHED ", "state: DELETED "))

    done = run_cli(api, "plan", gone, "--target", server.base_url, "--json")
    plan = json.loads(done.stdout)
    assert [(a["action"], a["address"], a["marks"]) for a in plan["actions"]] == [
        ("delete", "event[devcon-2025]", ["irreversible"])], "its children go with it"

    code, out = cli(server, api, "apply", gone)
    assert code == 0, out
    assert "Checked: a new plan finds no changes." in out
    assert set(events(api)) == {survivor["slug"]}
    code, out = cli(server, api, "apply", gone)
    assert (code, "No changes. The site matches the spec." in out) == (0, True)


def test_destroy_cancels_an_upcoming_event_first_and_needs_the_flag(
        server: Server, api: httpx.Client, clock: FakeClock) -> None:
    clock.set(BEFORE_DEVCON)
    seed(api, SEED)
    survivor = other_event(api)
    mark = log_mark(api)

    code, out = cli(server, api, "destroy", EXAMPLE)
    assert code == 1
    assert f"event[devcon-2025]: cancel is risky; pass {ALLOW_CANCEL}" in out
    assert writes_after(api, mark) == []

    code, out = cli(server, api, "destroy", EXAMPLE, ALLOW_CANCEL)
    assert code == 0, out
    writes = writes_after(api, mark)
    assert writes[-1].startswith("DELETE /events/v3/events/")
    assert any(w.endswith("/cancel") for w in writes[:-1]), "cancelled before the delete"
    assert set(events(api)) == {survivor["slug"]}
    assert categories(api) == []
    code, out = cli(server, api, "destroy", EXAMPLE)
    assert (code, "No changes. The site matches the spec." in out) == (0, True)


def test_an_event_with_sales_needs_the_sold_flag(server: Server, api: httpx.Client,
                                                 clock: FakeClock) -> None:
    on_sale_with_sales(api, clock, 4)
    mark = log_mark(api)

    code, out = cli(server, api, "destroy", EXAMPLE, ALLOW_CANCEL)
    assert code == 1
    assert f"event[devcon-2025]: delete is risky (4 sold); pass {ALLOW_SOLD_DELETE}" in out
    assert writes_after(api, mark) == []

    assert "devcon-2025" in events(api)
    code, out = cli(server, api, "destroy", EXAMPLE, ALLOW_CANCEL, ALLOW_SOLD_DELETE)
    assert code == 0, out
    assert "devcon-2025" not in events(api)


def test_a_category_marked_deleted_is_deleted_after_its_events_leave_it(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    seed(api, SEED)
    still_listed = edited(tmp_path, (f"  - name: {CATEGORY}\n",
                                     f"  - name: {CATEGORY}\n    state: DELETED\n"))
    code, out = cli(server, api, "apply", still_listed)
    assert code == 1
    assert f"category {CATEGORY!r} is marked `state: DELETED`; take it off this event" in out

    dropped = edited(tmp_path, (f"  - name: {CATEGORY}\n",
                                f"  - name: {CATEGORY}\n    state: DELETED\n"),
                     (f"    categories: [{CATEGORY}]\n", "    categories: []\n"))
    done = run_cli(api, "plan", dropped, "--target", server.base_url, "--json")
    steps = [(a["action"], a["address"]) for a in json.loads(done.stdout)["actions"]]
    assert steps == [
        ("unassign", f"event[devcon-2025].categoryAssignment[{CATEGORY}]"),
        ("delete", f"category[{CATEGORY}]")]
    code, out = cli(server, api, "apply", dropped)
    assert code == 0, out
    assert categories(api) == [] and "devcon-2025" in events(api)


def test_an_existing_category_cannot_be_deleted(server: Server, api: httpx.Client,
                                                tmp_path: Path) -> None:
    spec = edited(tmp_path, (f"  - name: {CATEGORY}\n",
                             f"  - name: {CATEGORY}\n    existing: true\n    state: DELETED\n"))
    done = run_cli(api, "validate", spec)
    assert done.returncode == 1
    assert "an existing category is never changed, so it cannot be deleted" in done.stdout


def test_a_saved_plan_that_cancels_and_deletes_applied_twice(
        server: Server, api: httpx.Client, clock: FakeClock, tmp_path: Path) -> None:
    clock.set(BEFORE_DEVCON)
    seed(api, SEED)
    gone = edited(tmp_path, ("state: PUBLISHED ", "state: DELETED "))
    out = tmp_path / "plan.json"
    done = run_cli(api, "plan", gone, "--target", server.base_url, "--out", out)
    assert done.returncode == 0, done.stderr
    assert [a["action"] for a in json.loads(out.read_text())["actions"]] == ["cancel", "delete"]

    code, output = cli(server, api, "apply", out, ALLOW_CANCEL)
    assert code == 0, output
    mark = log_mark(api)
    code, output = cli(server, api, "apply", out, ALLOW_CANCEL)
    assert code == 0, output
    assert "This plan has already been applied" in output
    assert writes_after(api, mark) == []
