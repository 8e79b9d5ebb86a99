"""Sites this tool did not make alone: copies of a listed object made outside it (the
dashboard, another script, a second apply), tickets that sell while the plan is made, and a
pinned id that disagrees with a slug. Each case is planned, applied and planned again through
the real CLI against the test emulator, and checked straight against the API.

- Duplicates follow the ownership rule: the spec lists one, so one live copy is kept (an `id`
  pin, else the one with sales, else the oldest) and every other copy is deleted like any
  unlisted member, named as a duplicate and under the same sold-ticket guard; one apply
  converges.
- Sales show: every ticket definition the plan touches says what it has sold; a limit below
  the sold count is a plan problem; a sale that lands after the plan read the site stops the
  delete (it is read again right before).
- A currency change is one ChangeCurrency call before any price update; once tickets have
  sold it is a plan problem naming them, never an apply failure.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.apply.executor import execute
from provisioner.apply.report import Status
from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.model import ALLOW_SOLD_DELETE
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load
from tests.conftest import FakeClock, Server
from tests.plan.seed import ok, seed

from .support import log_mark, run_cli, writes_after

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "devcon2025.yaml"
SEED = EXAMPLE.with_name("devcon2025.seed.json")
BEFORE_DEVCON = "2025-05-01T00:00:00Z"  # the example is on sale: not yet started


def seed_call(name: str) -> dict[str, Any]:
    """The literal create request the DevCon seed makes for the object named `name`."""
    for call in json.loads(SEED.read_text(encoding="utf-8")):
        body = call.get("body") or {}
        inner = next(iter(body.values()), None) if len(body) == 1 else None
        held = [body, body.get("item") or {}, inner if isinstance(inner, dict) else {}]
        held += [v for v in body.values() if isinstance(v, dict)]
        if any(h.get("name") == name or h.get("label") == name for h in held):
            return call
    raise AssertionError(f"no seed call makes {name!r}")


def again(api: httpx.Client, event_id: str, name: str) -> None:
    """Make a second copy of the DevCon object named `name`, as the dashboard would."""
    call = seed_call(name)
    path = call["path"].replace("{event:devcon-2025}", event_id)
    body = json.loads(json.dumps(call["body"]).replace("{event:devcon-2025}", event_id))
    for wrapper in ("ticketDefinition", "policy"):
        if wrapper in body:
            body[wrapper]["eventId"] = event_id
    ok(api.request(call["method"], path, json=body))


def plan_cli(server: Server, api: httpx.Client, spec: Path = EXAMPLE, *args: str
             ) -> tuple[int, dict[str, Any], str]:
    done = run_cli(api, "plan", spec, "--target", server.base_url, "--json", *args)
    data = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, data, done.stderr


def apply_ok(server: Server, api: httpx.Client, *args: str) -> str:
    done = run_cli(api, "apply", EXAMPLE, "--target", server.base_url, "--auto-approve",
                   "--rate-limit", "0", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checked: a new plan finds no changes." in done.stdout
    return done.stdout


def tickets(api: httpx.Client) -> list[dict[str, Any]]:
    body = {"query": {}, "fields": ["SALES_DETAILS"]}
    return ok(api.post("/events/v3/ticket-definitions/query", json=body))["ticketDefinitions"]


def members(api: httpx.Client, event_id: str) -> dict[str, list[str]]:
    """Every listed member of the event by kind, as names (labels for form controls)."""
    policies = ok(api.post("/events/v2/policies/query", json={"query": {}}))["policies"]
    schedule = ok(api.get("/events/v1/schedule", params={"eventId": event_id,
                                                          "state": ["DRAFT"]}))["items"]
    form = ok(api.get(f"/events/v1/events/{event_id}/form"))["form"]
    return {
        "ticket": sorted(t["name"] for t in tickets(api)),
        "policy": sorted(p["name"] for p in policies),
        "schedule": sorted(f"{i['name']} {i['timeSlot']['start']}" for i in schedule
                           if i.get("draft")),
        "control": sorted(str(c["inputs"][0].get("label")) for c in form["controls"]
                          if not c.get("system") and not c.get("deleted")),
    }


def edited(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """The DevCon example with each `old` text (found exactly once) replaced by `new`."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    spec = tmp_path / "devcon.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def on_sale_with_sales(api: httpx.Client, clock: FakeClock, sold: int) -> dict[str, Any]:
    """DevCon seeded before it starts, with `sold` General Admission tickets sold: the
    ticket as it was before the sales."""
    clock.set(BEFORE_DEVCON)
    seed(api, SEED)
    general = next(t for t in tickets(api) if t["name"] == "General Admission")
    sell(api, general["id"], sold)
    return general


def sell(api: httpx.Client, ticket_id: str, quantity: int) -> None:
    """Sell `quantity` tickets, in orders of at most 10 (DevCon's limit per order)."""
    while quantity > 0:
        ok(api.post("/_emulator/sales/orders", json={"ticketDefinitionId": ticket_id,
                                                     "quantity": min(quantity, 10)}))
        quantity -= 10


@pytest.mark.parametrize(("kind", "name"), [
    ("ticket", "VIP All-Access Pass"),
    ("schedule", "Lightning Talks"),
    ("control", "Dietary preferences"),
])
def test_a_copy_made_outside_the_tool_is_deleted_and_one_apply_converges(
        kind: str, name: str, server: Server, api: httpx.Client, clock: FakeClock) -> None:
    event_id = seed(api, SEED)["devcon-2025"]
    before = members(api, event_id)
    again(api, event_id, name)
    if kind == "schedule":  # published, so a discard of the draft cannot remove it
        ok(api.post("/events/v1/schedule/publish", json={"eventId": event_id}))
    assert len(members(api, event_id)[kind]) == len(before[kind]) + 1

    code, plan, _ = plan_cli(server, api)
    assert code == 0
    deletes = [a for a in plan["actions"] if a["action"] == "delete"]
    assert len(deletes) == 1, plan["actions"]
    assert deletes[0]["name"].startswith(f"{name} #2") or deletes[0]["name"].startswith(
        f"{name} @"), deletes[0]["name"]
    assert deletes[0]["note"].startswith(f"a duplicate of {name!r}")
    assert not any(a["action"] == "reorder" for a in plan["actions"]), \
        "the copy kept is already in its place"

    out = apply_ok(server, api)
    assert "Run apply again" not in out
    assert members(api, event_id) == before
    code, plan, _ = plan_cli(server, api)
    assert (code, plan["actions"]) == (0, [])


def test_a_copy_of_a_policy_at_the_policy_limit(server: Server, api: httpx.Client,
                                                clock: FakeClock) -> None:
    """Three policies is the limit: a copy made while one was missing is deleted before the
    missing one is made again, in one apply."""
    event_id = seed(api, SEED)["devcon-2025"]
    policies = ok(api.post("/events/v2/policies/query", json={"query": {}}))["policies"]
    gone = next(p for p in policies if p["name"] == "Code of Conduct")
    ok(api.delete(f"/events/v2/policies/{gone['id']}"))
    again(api, event_id, "Ticket Transfer Policy")

    apply_ok(server, api)
    assert sorted(members(api, event_id)["policy"]) == sorted(
        ["Ticket Transfer Policy", "Code of Conduct", "Cancellation & Refund Policy"])
    code, plan, _ = plan_cli(server, api)
    assert (code, plan["actions"]) == (0, [])


def test_the_copy_with_sales_is_the_one_kept(server: Server, api: httpx.Client,
                                             clock: FakeClock) -> None:
    clock.set(BEFORE_DEVCON)
    event_id = seed(api, SEED)["devcon-2025"]
    again(api, event_id, "General Admission")
    newer = [t for t in tickets(api) if t["name"] == "General Admission"][-1]
    sell(api, newer["id"], 2)

    code, plan, _ = plan_cli(server, api)
    assert code == 0
    [delete] = [a for a in plan["actions"] if a["action"] == "delete"]
    assert delete["id"] != newer["id"] and delete["marks"] == []

    apply_ok(server, api)
    kept = [t for t in tickets(api) if t["name"] == "General Admission"]
    assert [t["id"] for t in kept] == [newer["id"]], "the sold copy survives"


def test_copies_that_both_sold_need_the_flag(server: Server, api: httpx.Client,
                                             clock: FakeClock) -> None:
    clock.set(BEFORE_DEVCON)
    event_id = seed(api, SEED)["devcon-2025"]
    again(api, event_id, "General Admission")
    first, second = [t for t in tickets(api) if t["name"] == "General Admission"]
    sell(api, first["id"], 1)
    sell(api, second["id"], 4)

    code, plan, _ = plan_cli(server, api)
    assert code == 0
    [delete] = [a for a in plan["actions"] if a["action"] == "delete"]
    assert delete["id"] == second["id"], "the oldest of the sold copies is kept"
    assert delete["marks"] == ["risky"] and "4 sold" in delete["note"]

    refused = run_cli(api, "apply", EXAMPLE, "--target", server.base_url, "--auto-approve")
    assert refused.returncode == 1 and ALLOW_SOLD_DELETE in refused.stderr
    assert len([t for t in tickets(api) if t["name"] == "General Admission"]) == 2
    apply_ok(server, api, ALLOW_SOLD_DELETE)
    assert [t["id"] for t in tickets(api) if t["name"] == "General Admission"] == [first["id"]]


def test_the_plan_shows_the_sales_of_what_it_touches(server: Server, api: httpx.Client,
                                                     clock: FakeClock, tmp_path: Path) -> None:
    general = on_sale_with_sales(api, clock, 20)
    spec = edited(tmp_path, ('fixedPrice: "499.00"', 'fixedPrice: "450.00"'))

    done = run_cli(api, "plan", spec, "--target", server.base_url)
    assert done.returncode == 0, done.stderr
    left = general["salesDetails"]["unsoldCount"] - 20
    assert f'~ ticket definition "General Admission" (20 sold, {left} left)' in done.stdout


def test_a_limit_below_what_has_sold_is_a_plan_problem(server: Server, api: httpx.Client,
                                                       clock: FakeClock, tmp_path: Path) -> None:
    general = on_sale_with_sales(api, clock, 20)
    spec = edited(tmp_path, (f"initialLimit: {general['initialLimit']}", "initialLimit: 5"))
    mark = log_mark(api)

    done = run_cli(api, "apply", spec, "--target", server.base_url, "--auto-approve")
    assert done.returncode == 1
    assert ("event[devcon-2025].ticket[General Admission]: initialLimit 5 is below the 20 "
            "tickets already sold; set it to 20 or more") in done.stdout
    assert writes_after(api, mark) == []


def test_a_sale_after_the_plan_read_stops_the_delete(server: Server, api: httpx.Client,
                                                     clock: FakeClock, tmp_path: Path) -> None:
    """The plan saw no sale, so its delete is not marked risky; a ticket sold before the
    DELETE goes out is read again right before it, and the delete is refused."""
    clock.set(BEFORE_DEVCON)
    seed(api, SEED)
    spec = tmp_path / "devcon.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("      - name: General Admission")
    end = text.index("      - name: VIP All-Access Pass")
    spec.write_text(text[:start] + text[end:], "utf-8")
    result = load([str(spec)])
    assert result.ok, [p.format() for p in result.problems]
    desired = desired_state([d.data for d in result.documents])
    target = Target("url", server.base_url, api.api_key, api.site_id)  # type: ignore[attr-defined]

    async def run(allowed: frozenset[str]) -> tuple[Status, str]:
        async with WixClient(target) as client:
            live = await live_state(client, desired)
            plan = build_plan(desired, live, "t")
            [delete] = [a for a in plan.actions if a.verb == "delete"]
            general = next(t for t in tickets(api) if t["name"] == "General Admission")
            if not general["salesDetails"]["soldCount"]:
                assert delete.marks == (), "the plan saw no sale"
                sell(api, general["id"], 1)  # lands between the plan's read and the DELETE
            report = await execute(client, plan, live, allowed=allowed)
            [outcome] = [o for o in report.outcomes if o.action is delete]
            return outcome.status, outcome.detail

    status, detail = asyncio.run(run(frozenset()))
    assert status == Status.FAILED
    assert "not deleted: it sold since the plan read the site, so delete is risky (1 sold" \
        in detail and ALLOW_SOLD_DELETE in detail
    assert any(t["name"] == "General Admission" for t in tickets(api))
    status, _ = asyncio.run(run(frozenset({ALLOW_SOLD_DELETE})))
    assert status == Status.APPLIED
    assert not any(t["name"] == "General Admission" for t in tickets(api))


def test_a_pin_that_disagrees_with_a_slug_is_a_plan_problem(server: Server, api: httpx.Client,
                                                            tmp_path: Path) -> None:
    seed(api, SEED)
    other = ok(api.post("/events/v3/events", json={"event": {
        "title": "Other", "location": {"type": "VENUE", "name": "Hall"},
        "dateAndTimeSettings": {"startDate": "2030-01-01T10:00:00Z",
                                "endDate": "2030-01-01T12:00:00Z", "timeZoneId": "UTC"},
        "registration": {"initialType": "RSVP"}}, "draft": True}))["event"]
    spec = edited(tmp_path, ("  - slug: devcon-2025",
                             f"  - id: {other['id']}\n    slug: devcon-2025"))

    code, plan, _ = plan_cli(server, api, spec)
    assert code == 1
    [problem] = plan["problems"]
    assert problem.startswith(f"event[devcon-2025] is pinned to id {other['id']}, which the "
                              f"site calls {other['slug']!r}, but another event")
    assert "remove `id:`" in problem


def currencies(api: httpx.Client) -> set[str]:
    """Every currency code the site's ticket prices carry."""
    found: set[str] = set()
    for ticket in tickets(api):
        method = ticket["pricingMethod"]
        prices = [method.get("fixedPrice"), method.get("guestPrice"),
                  *(o["price"] for o in (method.get("pricingOptions") or {}).get(
                      "optionDetails", []))]
        found |= {p["currency"] for p in prices if p}
    return found


def test_a_currency_change_is_one_call_before_the_prices(server: Server, api: httpx.Client,
                                                         tmp_path: Path) -> None:
    seed(api, SEED)
    spec = edited(tmp_path, ("currency: USD ", "currency: EUR "),
                  ('fixedPrice: "499.00"', 'fixedPrice: "459.00"'))
    code, plan, _ = plan_cli(server, api, spec)
    assert code == 0, plan
    steps = [(a["action"], a["address"]) for a in plan["actions"]]
    assert steps == [
        ("update", "event[devcon-2025].ticketCurrency[currency]"),
        ("update", "event[devcon-2025].ticket[General Admission]")], \
        "the currency moves every price at once: only the changed amount is an update"
    assert plan["actions"][0]["changes"] == [{"path": "currency", "old": "USD", "new": "EUR"}]

    general_id = next(t["id"] for t in tickets(api) if t["name"] == "General Admission")
    mark = log_mark(api)
    done = run_cli(api, "apply", spec, "--target", server.base_url, "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checked: a new plan finds no changes." in done.stdout
    assert writes_after(api, mark) == ["POST /events/v3/ticket-definitions/currency",
                                       f"PATCH /events/v3/ticket-definitions/{general_id}"]
    assert currencies(api) == {"EUR"}
    general = next(t for t in tickets(api) if t["name"] == "General Admission")
    assert general["pricingMethod"]["fixedPrice"]["value"] == "459.00"


def test_a_currency_locked_by_sales_is_a_plan_problem(server: Server, api: httpx.Client,
                                                      clock: FakeClock, tmp_path: Path) -> None:
    on_sale_with_sales(api, clock, 3)
    spec = edited(tmp_path, ("currency: USD ", "currency: EUR "))
    mark = log_mark(api)

    done = run_cli(api, "apply", spec, "--target", server.base_url, "--auto-approve")
    assert done.returncode == 1
    assert ("event[devcon-2025].ticketCurrency[currency]: the currency cannot change from USD "
            "to EUR once tickets have sold ('General Admission' (3) sold)") in done.stdout
    assert "Run apply again" not in done.stdout + done.stderr
    assert writes_after(api, mark) == []
    assert currencies(api) == {"USD"}


def names_twice(api: httpx.Client, event_id: str) -> dict[str, list[str]]:
    """Every listed member that the site holds more than once, by kind."""
    return {kind: sorted({n for n in found if found.count(n) > 1})
            for kind, found in members(api, event_id).items()
            if len(set(found)) != len(found)}


def test_two_applies_at_once_on_a_remote_site_are_healed_by_the_next(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    """A remote site has no lock: two applies started together on an empty site may both
    create everything. Each says so when its closing check finds the other's objects, and
    one more apply deletes the copies: no duplicates, and a plan with no changes."""
    ok(api.put("/_emulator/faults", json={"latency_ms": 15, "jitter_ms": 15}))
    try:
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda _: run_cli(
                api, "apply", EXAMPLE, "--target", server.base_url, "--auto-approve",
                "--rate-limit", "0"), range(2)))
    finally:
        ok(api.put("/_emulator/faults", json={}))
    for run in runs:
        assert "Traceback" not in run.stdout + run.stderr
        if run.returncode:
            assert "another writer changed the site during this apply" in run.stdout or \
                "failed:" in run.stdout, run.stdout + run.stderr
    event_ids = [e["id"] for e in ok(api.post("/events/v3/events/query", json={
        "query": {"paging": {"limit": 10}}, "includeDrafts": True}))["events"]]
    assert len(event_ids) == 1, "two events cannot share a slug"
    if names_twice(api, event_ids[0]):  # they raced: one of them saw the other's copies
        assert any("another writer changed the site during this apply: " in run.stdout
                   for run in runs), [run.stdout for run in runs]

    healed = run_cli(api, "apply", EXAMPLE, "--target", server.base_url, "--auto-approve")
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert "Checked: a new plan finds no changes." in healed.stdout or \
        "No changes. The site matches the spec." in healed.stdout
    assert names_twice(api, event_ids[0]) == {}
    code, plan, _ = plan_cli(server, api)
    assert (code, plan["actions"]) == (0, [])


def test_categories_sharing_a_name_are_a_plan_problem() -> None:
    """The emulator keeps category names unique, as Wix says it does; should a site still hold
    two (an older site, a race), the plan names both and touches neither."""
    from provisioner import kinds
    from provisioner.model import State
    from provisioner.plan.live import add_members

    desired = desired_state([{"categories": [{"name": "Tech"}]}])
    live = State()
    add_members(live, kinds.CATEGORY, "", [
        {"id": "c-new", "name": "Tech", "createdDate": "2026-02-01T00:00:00Z"},
        {"id": "c-old", "name": "Tech", "createdDate": "2025-01-01T00:00:00Z"}])
    plan = build_plan(desired, live, "t")
    assert plan.actions == ()
    [problem] = plan.problems
    assert problem.startswith("category[Tech]: the site has 2 categories named 'Tech' (ids "
                              "c-old, c-new); delete or rename all but one")

    pinned = desired_state([{"categories": [{"name": "Tech", "id": "c-new"}]}])
    assert build_plan(pinned, live, "t").problems == (), "a pin says which one"


def test_an_id_pin_says_which_copy_is_kept(server: Server, api: httpx.Client,
                                           tmp_path: Path) -> None:
    event_id = seed(api, SEED)["devcon-2025"]
    again(api, event_id, "VIP All-Access Pass")
    older, newer = [t for t in tickets(api) if t["name"] == "VIP All-Access Pass"]
    spec = edited(tmp_path, ("      - name: VIP All-Access Pass\n",
                             f"      - name: VIP All-Access Pass\n        id: {newer['id']}\n"))

    code, plan, _ = plan_cli(server, api, spec)
    assert code == 0, plan
    assert [(a["action"], a["id"]) for a in plan["actions"]] == [("delete", older["id"])]
    done = run_cli(api, "apply", spec, "--target", server.base_url, "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [t["id"] for t in tickets(api) if t["name"] == "VIP All-Access Pass"] == [newer["id"]]
