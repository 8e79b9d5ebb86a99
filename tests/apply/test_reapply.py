"""A saved plan applied a second time: the site moved, but to the plan.

- Every action already shows on the site: apply says the plan has already been applied, exits
  0 and writes nothing (with `--json`: `ok` true, each action `already applied`).
- An object of the plan edited on the site since: still refused as stale, naming that object,
  while the objects that show the plan's change are said to.
- Only part of the plan on the site and the rest untouched: refused as partly applied, with a
  new plan to pick up the rest.
- Plan scenarios that between them take every kind and verb, applied twice: already
  applied.

Real CLI subprocesses against the test emulator; every run is checked in its request log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import FakeClock, Server
from tests.plan.seed import ok, seed
from tests.plan.test_scenarios import SCENARIOS

from .support import apply_cli, log_mark, writes_after
from .test_apply_safety import edit_description, saved_plan
from .test_apply_scenarios import prepare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
EVENT = "event[devcon-2025]"
GA = f"{EVENT}.ticket[General Admission]"
ALREADY = "This plan has already been applied"


def changed_spec(folder: Path, reorder: bool = True) -> Path:
    """DevCon with General Admission dearer and Early Bird reworded (updates), a Student
    ticket added last (a create), VIP listed first (a reorder, unless `reorder` is False) and
    the transfer policy dropped (a delete)."""
    spec = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    event = spec["events"][0]
    tickets = {t["name"]: t for t in event["tickets"]}
    tickets["General Admission"]["pricingMethod"] = {"fixedPrice": "549.00"}
    tickets["Early Bird"]["description"] = "Limited-time offer: save 45%!"
    student = {"name": "Student", "pricingMethod": {"fixedPrice": "99.00"},
               "initialLimit": 40, "feeType": "FEE_INCLUDED"}
    order = ["VIP All-Access Pass", "Early Bird", "General Admission"] if reorder \
        else list(tickets)
    event["tickets"] = [*(tickets[name] for name in order), student]
    event["policies"] = [p for p in event["policies"] if p["name"] != "Ticket Transfer Policy"]
    path = folder / "devcon-changed.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100), encoding="utf-8")
    return path


def applied_once(server: Server, api: httpx.Client, spec: Path, out: Path
                 ) -> dict[str, Any]:
    """Save the plan of `spec`, apply it, and return the plan."""
    plan = saved_plan(server, api, spec, out)
    done = apply_cli(server, api, out, "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    return plan


def changed_plan(server: Server, api: httpx.Client, tmp_path: Path) -> tuple[Path,
                                                                          dict[str, Any]]:
    """DevCon seeded, the plan of `changed_spec` saved (its verbs checked) and applied once."""
    seed(api, EXAMPLE.with_name("devcon2025.seed.json"))
    out = tmp_path / "plan.json"
    plan = applied_once(server, api, changed_spec(tmp_path), out)
    verbs = {a["action"] for a in plan["actions"]}
    assert {"update", "create", "delete", "reorder"} <= verbs, verbs
    return out, plan


def test_a_plan_applied_twice_says_already_applied(server: Server, api: httpx.Client,
                                                   clock: FakeClock, tmp_path: Path) -> None:
    out, _ = changed_plan(server, api, tmp_path)
    mark = log_mark(api)

    again = apply_cli(server, api, out, "--auto-approve")
    assert again.returncode == 0, again.stdout + again.stderr
    assert ALREADY in again.stdout and "stale" not in again.stdout + again.stderr
    assert writes_after(api, mark) == []


def test_json_report_of_a_plan_applied_twice(server: Server, api: httpx.Client,
                                             clock: FakeClock, tmp_path: Path) -> None:
    out, plan = changed_plan(server, api, tmp_path)
    mark = log_mark(api)

    again = apply_cli(server, api, out, "--auto-approve", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads(again.stdout)
    assert report["ok"] is True and "error" not in report
    assert report["summary"] == {"already applied": len(plan["actions"])}
    assert [(a["address"], a["action"], a["status"]) for a in report["actions"]] == [
        (a["address"], a["action"], "already applied") for a in plan["actions"]]
    assert ALREADY in again.stderr
    assert writes_after(api, mark) == []


def test_an_edit_after_the_apply_is_still_refused(server: Server, api: httpx.Client,
                                                  clock: FakeClock, tmp_path: Path) -> None:
    out, _ = changed_plan(server, api, tmp_path)
    edit_description(api, "General Admission", "Edited in the dashboard.")
    mark = log_mark(api)

    again = apply_cli(server, api, out, "--auto-approve")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "Traceback" not in again.stderr and ALREADY not in again.stdout
    assert "the plan is stale" in again.stderr
    assert f"{GA} changed on the site since the plan was made" in again.stderr
    assert f"{EVENT}.ticket[Student] already shows this plan's change" in again.stderr
    assert f"{EVENT}.policy[Ticket Transfer Policy] already shows this plan's change" \
        in again.stderr
    assert "already done on the site, and the site changed otherwise too" in again.stderr
    assert writes_after(api, mark) == []


def test_a_partly_applied_plan_is_refused_with_a_way_on(server: Server, api: httpx.Client,
                                                        clock: FakeClock, tmp_path: Path
                                                        ) -> None:
    """The plan's General Admission price, made on the site by hand before the plan ran:
    that object moved to the plan, the rest did not move at all. (No reorder: a reorder's
    version covers its members', so it would move with the price.)"""
    seed(api, EXAMPLE.with_name("devcon2025.seed.json"))
    out = tmp_path / "plan.json"
    plan = saved_plan(server, api, changed_spec(tmp_path, reorder=False), out)
    assert "reorder" not in {a["action"] for a in plan["actions"]}
    ticket = next(t for t in ok(api.post("/events/v3/ticket-definitions/query", json={
        "query": {}}))["ticketDefinitions"] if t["name"] == "General Admission")
    ok(api.patch(f"/events/v3/ticket-definitions/{ticket['id']}", json={"ticketDefinition": {
        "id": ticket["id"], "revision": ticket["revision"],
        "pricingMethod": {"fixedPrice": {"value": "549.00", "currency": "USD"}}}}))
    mark = log_mark(api)

    again = apply_cli(server, api, out, "--auto-approve")
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"{GA} already shows this plan's change" in again.stderr
    assert "the plan was partly applied" in again.stderr
    assert "provisioner plan --out" in again.stderr
    assert writes_after(api, mark) == []


def test_a_fresh_create_applied_twice(server: Server, api: httpx.Client, clock: FakeClock,
                                      tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    plan = applied_once(server, api, EXAMPLE, out)
    assert len(plan["actions"]) == 28
    assert {(a["address"], a["action"]) for a in plan["actions"]} >= {
        (EVENT, "publish"), (f"{EVENT}.schedule[draft]", "publish")}
    mark = log_mark(api)

    again = apply_cli(server, api, out, "--auto-approve")
    assert again.returncode == 0, again.stdout + again.stderr
    assert ALREADY in again.stdout and "28 actions" in again.stdout
    assert writes_after(api, mark) == []


# between them, every kind and every verb (creates: the DevCon test above)
EVERY_VERB = ("cancel-event", "change-one-field-of-each-kind", "edited-outside-draft-only",
              "publish-event", "remove-one-of-each-kind", "rename-category",
              "rename-event-slug", "replace-a-policy", "two-events")


@pytest.mark.parametrize("name", EVERY_VERB)
def test_scenarios_applied_twice(name: str, server: Server, api: httpx.Client,
                                      clock: FakeClock, tmp_path: Path) -> None:
    folder = SCENARIOS / name
    prepare(api, folder)
    out = tmp_path / "plan.json"
    plan = saved_plan(server, api, folder / "spec.yaml", out)
    clock.set("2026-01-01T00:05:00Z")  # writes get a new `updatedDate`, as they would live
    done = apply_cli(server, api, out, "--auto-approve", "--allow-delete-sold",
                     "--allow-cancel")
    assert done.returncode == 0, done.stdout + done.stderr
    mark = log_mark(api)

    again = apply_cli(server, api, out, "--auto-approve", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads(again.stdout)
    assert report["ok"] is True
    assert report["summary"] == {"already applied": len(plan["actions"])}
    assert writes_after(api, mark) == []
