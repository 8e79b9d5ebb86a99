"""Apply never writes over what it has not shown, and never writes when it should not.

- A saved plan (`plan --out`) is checked before it runs: an object edited on the site since is
  named and the plan refused, as is a plan made for another target; an untouched plan applies.
- An edit that lands between the plan and its update (in process, `execute`) makes that update
  a `conflict`: the edit survives, the other actions still apply.
- Without a terminal and without `--auto-approve`, apply asks nobody and refuses.
- A bad spec or a bad plan file is a clear error with no traceback.

Every refusal is also checked in the emulator's request log: not one write reached the site.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.apply.executor import execute
from provisioner.apply.report import Report, Status
from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.model import Plan
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load
from tests.conftest import FakeClock, Server
from tests.plan.seed import ok, seed
from tests.plan.test_scenarios import SCENARIOS, run_plan

from .support import apply_cli, log_mark, run_cli, writes_after

BASE = SCENARIOS / "change-ticket-price"  # live: General Admission at 499.00; spec: 549.00
GA = "event[devcon-2025].ticket[General Admission]"
EARLY = "event[devcon-2025].ticket[Early Bird]"


def tickets(api: httpx.Client) -> dict[str, dict[str, Any]]:
    body = {"query": {}}
    found = ok(api.post("/events/v3/ticket-definitions/query", json=body))["ticketDefinitions"]
    return {t["name"]: t for t in found}


def edit_description(api: httpx.Client, name: str, text: str) -> None:
    """An edit made outside the tool (the dashboard): it bumps the ticket's revision."""
    ticket = tickets(api)[name]
    ok(api.patch(f"/events/v3/ticket-definitions/{ticket['id']}", json={"ticketDefinition": {
        "id": ticket["id"], "revision": ticket["revision"], "description": text}}))


def price(ticket: dict[str, Any]) -> str:
    return str(ticket["pricingMethod"]["fixedPrice"]["value"])


def saved_plan(server: Server, api: httpx.Client, spec: Path, out: Path) -> dict[str, Any]:
    done = run_cli(api, "plan", spec, "--target", server.base_url, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture
def other_site(server: Server, api: httpx.Client) -> Iterator[httpx.Client]:
    """A second empty site whose id does not share `api`'s first four characters (the part
    of the id a target's description shows)."""
    while True:
        key, site = server.new_site()
        if site[:4] != api.site_id[:4]:  # type: ignore[attr-defined]
            break
    with server.client(key, site) as client:
        client.site_id, client.api_key = site, key  # type: ignore[attr-defined]
        yield client


# --- saved plans ------------------------------------------------------------------------------


def test_stale_saved_plan_is_refused(server: Server, api: httpx.Client, clock: FakeClock,
                                     tmp_path: Path) -> None:
    seed(api, BASE / "live.seed.json")
    out = tmp_path / "plan.json"
    plan = saved_plan(server, api, BASE / "spec.yaml", out)
    assert [a["address"] for a in plan["actions"]] == [GA]
    edit_description(api, "General Admission", "Edited in the dashboard.")
    mark = log_mark(api)

    done = apply_cli(server, api, out, "--auto-approve")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "the plan is stale" in done.stderr
    assert f"{GA} changed on the site since the plan was made" in done.stderr
    assert writes_after(api, mark) == []
    assert price(tickets(api)["General Admission"]) == "499.00"


def test_fresh_saved_plan_applies(server: Server, api: httpx.Client, clock: FakeClock,
                                  tmp_path: Path) -> None:
    seed(api, BASE / "live.seed.json")
    out = tmp_path / "plan.json"
    saved_plan(server, api, BASE / "spec.yaml", out)

    done = apply_cli(server, api, out, "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Apply complete: 1 applied" in done.stdout
    assert price(tickets(api)["General Admission"]) == "549.00"
    assert run_plan(server, api, BASE / "spec.yaml").returncode == 0


def test_plan_for_another_target_is_refused(server: Server, api: httpx.Client,
                                            other_site: httpx.Client, clock: FakeClock,
                                            tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    saved_plan(server, api, SCENARIOS / "remove-sold-ticket" / "spec.yaml", out)
    mark = log_mark(other_site)

    done = apply_cli(server, other_site, out, "--auto-approve")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the plan was made for" in done.stderr and "Traceback" not in done.stderr
    assert writes_after(other_site, mark) == []
    assert writes_after(api, 0) == []


def test_ticket_that_sold_after_the_plan_is_not_deleted_without_the_flag(
        server: Server, api: httpx.Client, clock: FakeClock, tmp_path: Path) -> None:
    folder = SCENARIOS / "remove-sold-ticket"
    seed(api, folder / "live.seed.json")
    out = tmp_path / "plan.json"
    plan = saved_plan(server, api, folder / "spec.yaml", out)
    assert [(a["action"], a["marks"]) for a in plan["actions"]] == [("delete", [])]
    ok(api.post("/_emulator/sales/orders", json={
        "ticketDefinitionId": tickets(api)["Standard"]["id"], "quantity": 3}))
    mark = log_mark(api)

    done = apply_cli(server, api, out, "--auto-approve")
    assert writes_after(api, mark) == [], "a ticket with 3 sold was deleted"
    assert done.returncode == 1 and "--allow-delete-sold" in done.stderr


def test_plan_for_a_site_with_the_same_id_prefix_is_refused(
        server: Server, clock: FakeClock, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:4]
    clients = []
    for _ in range(2):
        key, site = f"key-{uuid.uuid4().hex}", prefix + str(uuid.uuid4())[4:]
        with server.store.transaction() as txn:
            txn.grant(key, site)
        client = server.client(key, site)
        client.site_id, client.api_key = site, key  # type: ignore[attr-defined]
        clients.append(client)
    made_for, other = clients
    out = tmp_path / "plan.json"
    saved_plan(server, made_for, SCENARIOS / "remove-sold-ticket" / "spec.yaml", out)

    done = apply_cli(server, other, out, "--auto-approve")
    try:
        assert writes_after(other, 0) == [], "the plan for another site was applied"
        assert done.returncode == 1
    finally:
        for client in clients:
            client.close()


# --- a conflict while applying ----------------------------------------------------------------


def desired_for(tmp_path: Path) -> Any:
    """The change-ticket-price spec, plus: both existing tickets reworded, a new one last."""
    text = (BASE / "spec.yaml").read_text(encoding="utf-8")
    text = text.replace("save 40%!", "save 45%!").replace(
        "keynote on both days.", "keynote on both days, lunch included.").replace(
        "        initialLimit: 500\n", "        initialLimit: 500\n"
        "      - name: Student\n        pricingMethod: {fixedPrice: \"99.00\"}\n"
        "        initialLimit: 40\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    result = load([str(spec)])
    assert result.ok, [p.format() for p in result.problems]
    return desired_state([d.data for d in result.documents])


def test_update_over_an_outside_edit_is_a_conflict(server: Server, api: httpx.Client,
                                                   clock: FakeClock, tmp_path: Path) -> None:
    seed(api, BASE / "live.seed.json")
    desired = desired_for(tmp_path)
    target = Target("url", server.base_url, api.api_key, api.site_id)  # type: ignore[attr-defined]

    async def planned() -> tuple[Plan, Any]:
        async with WixClient(target) as client:
            live = await live_state(client, desired)
            return build_plan(desired, live, target.describe()), live

    plan, live = asyncio.run(planned())
    assert {(a.verb, a.address) for a in plan.actions} == {
        ("update", EARLY), ("update", GA), ("create", "event[devcon-2025].ticket[Student]")}
    edit_description(api, "Early Bird", "Edited in the dashboard.")

    async def applied() -> Report:
        async with WixClient(target) as client:
            return await execute(client, plan, live)

    report = asyncio.run(applied())
    status = {o.action.address: o.status for o in report.outcomes}
    assert status == {EARLY: Status.CONFLICT, GA: Status.APPLIED,
                      "event[devcon-2025].ticket[Student]": Status.APPLIED}
    assert not report.ok
    conflict = next(o for o in report.outcomes if o.status == Status.CONFLICT)
    assert "nothing was overwritten" in conflict.detail
    now = tickets(api)
    assert now["Early Bird"]["description"] == "Edited in the dashboard."
    assert now["General Admission"]["description"].endswith("lunch included.")
    assert price(now["General Admission"]) == "549.00"
    assert list(now) == ["Early Bird", "General Admission", "Student"]


# --- confirmation and bad input ---------------------------------------------------------------


def test_without_terminal_or_auto_approve_nothing_is_written(
        server: Server, api: httpx.Client, clock: FakeClock) -> None:
    seed(api, BASE / "live.seed.json")
    mark = log_mark(api)
    done = run_cli(api, "apply", BASE / "spec.yaml", "--target", server.base_url,
                   stdin="yes\n")  # a piped "yes" is not a confirmation
    assert done.returncode == 1, done.stdout + done.stderr
    assert "--auto-approve" in done.stderr and "no terminal" in done.stderr
    assert "Traceback" not in done.stderr
    assert writes_after(api, mark) == []
    assert price(tickets(api)["General Admission"]) == "499.00"


@pytest.mark.parametrize(("text", "where"), [
    ("version: 1\nevents:\n  - slug: x\n    titel: Foo\n", r"spec\.yaml:4:5: .*titel"),
    ("version: 1\nevents: [\n", r"spec\.yaml:3:1: YAML syntax error"),
])
def test_invalid_spec_is_reported_at_its_line(text: str, where: str, server: Server,
                                              api: httpx.Client, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    done = apply_cli(server, api, spec, "--auto-approve")
    assert done.returncode == 1
    assert re.search(where, done.stderr), done.stderr
    assert "nothing was read from the site" in done.stderr
    assert "Traceback" not in done.stderr
    assert log_mark(api) == 0  # not even a read


@pytest.mark.parametrize(("content", "message"), [
    (None, r"missing\.json: cannot read the plan file .*No such file"),
    ("{not json", r"missing\.json: cannot read the plan file"),
    ('{"format_version": 1}', r"missing\.json: the plan file is damaged .*provisioner plan --out"),
    ('{"format_version": 7}', r"missing\.json: not a plan file of format version 1"),
])
def test_bad_plan_file_is_a_clear_error(content: str | None, message: str, server: Server,
                                        api: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    done = apply_cli(server, api, path, "--auto-approve")
    assert done.returncode == 1
    assert re.search(message, done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert log_mark(api) == 0
