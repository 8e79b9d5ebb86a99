"""`provisioner sandbox pull|reset|sell`, run as subprocesses in a temporary folder (where the
local sandbox lives): a pulled copy of a messy site (sold tickets, a duplicate, dashboard
edits) plans exactly as the site does; reset empties the sandbox; sell places real emulated
orders, so the guards on sold tickets show in a plan.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.apply.support import cli_env
from tests.conftest import FakeClock, Server
from tests.gala import PATRON, STANDARD, gala
from tests.plan.seed import seed

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = ROOT / "tests" / "plan" / "specs" / "everything.seed.json"

ON_SALE = gala(STANDARD, PATRON)


def local(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`provisioner ARGS...` in `cwd` with no Wix credentials: the local sandbox there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    done = subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)], cwd=cwd,
                          env={**env, "NO_COLOR": "1"}, input="", capture_output=True,
                          text=True, timeout=180)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def remote(api: httpx.Client, cwd: Path, *args: str | Path
           ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)], cwd=cwd,
                          env=cli_env(api), input="", capture_output=True, text=True,
                          timeout=180)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_pulled_copy_plans_exactly_as_the_site(server: Server, api: httpx.Client,
                                                  tmp_path: Path, clock: FakeClock) -> None:
    saved = seed(api, EVERYTHING)
    event_id = saved["everything-ticketed"]
    clock.set("2031-02-01T12:00:00Z")  # inside the tickets' sale period
    tickets = ok(api.post("/events/v3/ticket-definitions/query",
                          json={"query": {"filter": {"eventId": event_id}}}))
    standard = next(t for t in tickets["ticketDefinitions"] if t["name"] == "Standard")
    ok(api.post("/_emulator/sales/orders", json={"ticketDefinitionId": standard["id"],
                                                 "quantity": 4}))
    copy = {k: standard[k] for k in ("name", "pricingMethod", "feeType")}
    ok(api.post("/events/v3/ticket-definitions",
                json={"ticketDefinition": {**copy, "eventId": event_id}}))
    spec = tmp_path / "site.yaml"
    exported = remote(api, tmp_path, "export", "--target", server.base_url, "--out", spec)
    assert exported.returncode == 0, exported.stderr
    # the change to rehearse: drop the ticket that sold, and a policy
    text = spec.read_text()
    start = text.index("  - name: Standard")
    end = text.index("  - name: ", start + 1)
    edited = text[:start] + text[end:]
    edited = edited.replace("  - name: Conduct\n    body: Be kind.\n", "")
    assert edited != text
    spec.write_text(edited)

    pulled = remote(api, tmp_path, "sandbox", "pull", "--target", server.base_url)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.splitlines()[-1].startswith(
        "Pulled 2 categories, 2 events, 5 ticket definitions, 2 policies, 3 schedule items; "
        "4 tickets sold, in 5 calls to the site.")
    against_site = remote(api, tmp_path, "plan", spec, "--target", server.base_url)
    against_copy = local(tmp_path, "plan", spec, "--target", "local")
    assert against_site.returncode == against_copy.returncode == 0, against_copy.stderr
    assert against_site.stdout.splitlines()[1:] == against_copy.stdout.splitlines()[1:]
    assert '- ticket definition "Standard" (risky: 4 sold, 296 left' in against_copy.stdout
    assert "- ticket definition \"Standard #2\" (a duplicate of 'Standard'" \
        in against_copy.stdout


def test_pull_needs_a_site_to_copy(tmp_path: Path) -> None:
    done = local(tmp_path, "sandbox", "pull")
    assert done.returncode == 2
    assert "`sandbox pull` copies a site into the local sandbox; name the site with --env NAME, " \
        in done.stderr
    assert not (tmp_path / ".provisioner").exists() or not any(
        (tmp_path / ".provisioner").iterdir())


def test_reset_empties_the_sandbox(tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(ON_SALE)
    applied = local(tmp_path, "apply", spec, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    emptied = local(tmp_path, "sandbox", "reset")
    assert emptied.returncode == 0, emptied.stderr
    assert emptied.stdout.startswith("Emptied the local sandbox (.provisioner/sandbox.sqlite3): ")
    planned = local(tmp_path, "plan", spec)
    assert "Plan: 3 to create, 0 to update, 0 to delete, 1 to publish." in planned.stdout, \
        planned.stdout


def test_sales_in_the_sandbox_show_the_sold_ticket_guards(tmp_path: Path) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(ON_SALE)
    applied = local(tmp_path, "apply", spec, "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    sold = local(tmp_path, "sandbox", "sell", "Standard", "--event", "summer-gala",
                 "--quantity", "25")
    assert sold.returncode == 0, sold.stderr
    # 25 tickets at the default limit of 20 per order: two orders
    assert sold.stdout.strip() == ("Sold 25 tickets of 'Standard' for summer-gala in the local "
                                   "sandbox (2 orders): 25 sold, 75 left.")
    couple = local(tmp_path, "sandbox", "sell", "Patron", "--event", "summer-gala",
                   "--option", "Couple")
    assert couple.returncode == 0, couple.stderr
    assert "1 sold (no limit)" in couple.stdout

    spec.write_text(ON_SALE.replace("initialLimit: 100", "initialLimit: 10"))
    below = local(tmp_path, "plan", spec)
    assert below.returncode == 1
    assert "initialLimit 10 is below the 25 tickets already sold" in below.stdout + below.stderr
    spec.write_text(ON_SALE.replace(
        '  - {name: Standard, pricingMethod: {fixedPrice: "25.00"}, initialLimit: 100}\n', ""))
    refused = local(tmp_path, "apply", spec, "--auto-approve")
    assert refused.returncode == 1
    assert "--allow-delete-sold" in refused.stdout + refused.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("Nope", "--event", "summer-gala"),
     "Error: summer-gala has no ticket definition named 'Nope' (it has: 'Standard', 'Patron')"),
    (("Standard", "--event", "nope"), "Error: no event with the slug 'nope' in the local sandbox"),
    (("Standard", "--event", "summer-gala", "--option", "Solo"),
     "Error: 'Standard' has no pricing options; leave out --option"),
    (("Patron", "--event", "summer-gala", "--option", "Solo"),
     "Error: 'Patron' has no pricing option 'Solo' (it has: 'Single', 'Couple')"),
])
def test_a_sale_that_cannot_be_made_is_one_line(tmp_path: Path, args: tuple[str, ...],
                                                message: str) -> None:
    spec = tmp_path / "gala.yaml"
    spec.write_text(ON_SALE)
    assert local(tmp_path, "apply", spec, "--auto-approve").returncode == 0
    done = local(tmp_path, "sandbox", "sell", *args)
    assert done.returncode == 1
    assert done.stderr.strip() == message
