"""`provisioner status` through the real CLI against the emulator over HTTP: the counts of
a ticket definition follow real emulated sales, the sale status reads as Wix reports it (in
local time when scheduled), revenue is sold × price where the price says it, drift is the
count of changes a plan would make, and the reads are exactly a no-op plan's."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.apply.support import apply_cli, cli_env, requests_after
from tests.conftest import Server
from tests.gala import LATE, PATRON, REFUNDS, STANDARD, gala

SPEC = gala(STANDARD, PATRON, LATE, REFUNDS)


def status(api: httpx.Client, server: Server, spec: Path, *args: str
           ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "provisioner", "status", str(spec),
                           "--target", server.base_url, *args], env=cli_env(api), input="",
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def sell(api: httpx.Client, ticket: str, quantity: int) -> None:
    """A real emulated order (each test has a site of its own: one event)."""
    definitions = api.post("/events/v3/ticket-definitions/query",
                           json={"query": {}}).json()["ticketDefinitions"]
    chosen = next(d for d in definitions if d["name"] == ticket)
    body: dict[str, Any] = {"ticketDefinitionId": chosen["id"], "quantity": quantity}
    options = chosen["pricingMethod"].get("pricingOptions", {}).get("optionDetails", [])
    if options:
        body["optionId"] = options[0]["optionId"]
    answer = api.post("/_emulator/sales/orders", json=body)
    assert answer.status_code == 200, answer.text


def tickets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in report["events"][0]["tickets"]}


def test_status_shows_sales_sale_status_revenue_and_drift(server: Server, api: httpx.Client,
                                                          tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(SPEC)
    assert apply_cli(server, api, spec, "--auto-approve").returncode == 0
    sell(api, "Standard", 13)
    sell(api, "Patron", 2)

    done = status(api, server, spec, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    event = report["events"][0]
    assert (event["slug"], event["found"], event["status"]) == ("summer-gala", True, "UPCOMING")
    assert event["start_local"] == "2031-07-01 19:00 BST"
    by_name = tickets(report)
    standard = by_name["Standard"]
    assert (standard["price"], standard["currency"], standard["limit"]) == ("25.00", "GBP", 100)
    assert (standard["sold"], standard["reserved"], standard["unsold"]) == (13, 0, 87)
    assert standard["sale_status"] == "on sale" and standard["revenue"] == "325.00"
    patron = by_name["Patron"]
    assert patron["sold"] == 2 and patron["limit"] is None and patron["unsold"] is None
    assert patron["price"] == "80.00 / 150.00" and patron["revenue"] is None  # option unknown
    late = by_name["Late"]
    assert late["sale_status"] == "scheduled"
    assert late["sale_start_local"] == "2031-06-01 09:30 BST"
    assert event["sold"] == 15 and event["revenue"] == "325.00"
    assert report["drift"] == {"changes": 0, "problems": 0, "in_line": True}
    assert event["changes"] == 0

    # another sale: the next status shows it
    sell(api, "Standard", 7)
    again = tickets(json.loads(status(api, server, spec, "--json").stdout))["Standard"]
    assert (again["sold"], again["unsold"], again["revenue"]) == (20, 80, "500.00")

    human = status(api, server, spec)
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert lines[0].startswith("Target: ")
    assert "summer-gala · UPCOMING · registration" in human.stdout
    assert "starts 2031-07-01 19:00 BST" in human.stdout
    row = next(line for line in lines if line.lstrip().startswith("Standard"))
    assert row.split()[1:] == ["25.00", "GBP", "100", "20", "0", "80", "on", "sale", "500.00"]
    late_row = next(line for line in lines if line.lstrip().startswith("Late"))
    assert "from 2031-06-01 09:30 BST" in late_row
    assert "22 tickets sold · revenue 500.00 GBP · in line with the spec" in human.stdout
    assert lines[-1] == "The site matches the spec."


def test_status_counts_drift_and_reads_what_a_plan_reads(server: Server, api: httpx.Client,
                                                         tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(SPEC)
    assert apply_cli(server, api, spec, "--auto-approve").returncode == 0
    # an edit made outside the spec: the policy body
    policy = api.post("/events/v2/policies/query", json={"query": {}}).json()["policies"][0]
    edited = api.patch(f"/events/v2/policies/{policy['id']}", json={"policy": {
        "id": policy["id"], "eventId": policy["eventId"], "name": policy["name"],
        "revision": policy["revision"], "body": "No refunds."}})
    assert edited.status_code == 200, edited.text

    mark = max((e["seq"] for e in requests_after(api, 0)), default=0)
    report = json.loads(status(api, server, spec, "--json").stdout)
    status_calls = Counter(f"{e['method']} {e['path'].split('?')[0]}"
                           for e in requests_after(api, mark))
    assert report["drift"] == {"changes": 1, "problems": 0, "in_line": False}
    assert report["events"][0]["changes"] == 1
    assert report["calls"] == sum(status_calls.values())

    mark = max(e["seq"] for e in requests_after(api, 0))
    planned = subprocess.run([sys.executable, "-m", "provisioner", "plan", str(spec),
                              "--target", server.base_url, "--detailed-exitcode"],
                             env=cli_env(api), input="", capture_output=True, text=True,
                             timeout=120)
    assert planned.returncode == 2, planned.stderr
    plan_calls = Counter(f"{e['method']} {e['path'].split('?')[0]}"
                         for e in requests_after(api, mark))
    assert status_calls == plan_calls  # the same reads, nothing more

    human = status(api, server, spec)
    assert "drifted: 1 change to plan" in human.stdout
    assert human.stdout.splitlines()[-1] == \
        "Drift: 1 change to plan (`provisioner plan` shows them)."


def test_status_of_an_event_not_on_the_site(server: Server, api: httpx.Client,
                                            tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(SPEC)
    done = status(api, server, spec, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["events"] == [{"slug": "summer-gala", "found": False, "changes": 6,
                                 "tickets": []}]
    human = status(api, server, spec)
    assert "summer-gala: not on the site (`provisioner apply` would create it)" in human.stdout


def test_status_of_a_bad_spec_reads_nothing(server: Server, api: httpx.Client,
                                            tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("events:\n- slug: 1\n")
    mark = max((e["seq"] for e in requests_after(api, 0)), default=0)
    done = status(api, server, spec)
    assert done.returncode == 1
    assert "nothing was read from the site" in done.stderr
    assert requests_after(api, mark) == []
