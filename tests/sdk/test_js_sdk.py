"""Conformance: Wix's own JavaScript SDK sets up a whole conference on the emulator.

`conference.mjs` uses `@wix/sdk` (`createClient` + `ApiKeyStrategy`) and the
`@wix/auto_sdk_events_*` packages pinned in package.json. Its requests, which the SDK addresses
to https://www.wixapis.com, are redirected to the session's emulator server on 127.0.0.1 (see
the header of conference.mjs). It creates a draft TICKETING event, three ticket definitions,
three policies, a published schedule and two categories, publishes the event, reads it all
back through the SDK and provokes one documented error (a 4th policy). This module checks what
the SDK saw, and cross-checks the emulator's own state over plain HTTP.

Needs Node.js >= 18 and npm; `npm ci` runs once when node_modules is missing or stale.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# one worker runs the whole module (pytest-xdist, --dist loadgroup): `npm ci` and the SDK's
# run happen once, not once per worker into the same node_modules
pytestmark = pytest.mark.xdist_group("js-sdk")

SDK_DIR = Path(__file__).resolve().parent
NPM_CI_TIMEOUT = 300
SCRIPT_TIMEOUT = 120

# The prefixes the SDK is documented to call (sdk-endpoint-tables.md, A.0-A.5).
SDK_PREFIXES = (
    "/events/v3/events",
    "/events-ticket-definitions/v3/",
    "/events-policies/v2/",
    "/events/v1/schedule",
    "/events/v1/categories",
)

EVENT_TITLE = "EmuConf 2031"
TICKET_NAMES = ["Early Bird", "Community", "Workshop Pass"]
POLICY_NAMES = ["Refund Policy", "Code of Conduct", "Photography"]
SCHEDULE_NAMES = ["Opening Keynote", "Provisioning Workshop", "Closing Panel"]
CATEGORY_NAMES = ["Conferences", "Developer Tools"]


def _pinned_packages() -> dict[str, str]:
    return json.loads((SDK_DIR / "package.json").read_text())["dependencies"]


def _installed(package: str) -> str | None:
    manifest = SDK_DIR / "node_modules" / package / "package.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text()).get("version")


@pytest.fixture(scope="session")
def node() -> str:
    """Path to `node`, with the pinned SDK packages installed in tests/sdk/node_modules."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if node_bin is None or npm_bin is None:
        missing = " and ".join(n for n, p in (("node", node_bin), ("npm", npm_bin)) if p is None)
        pytest.skip(
            f"{missing} not on PATH: install Node.js >= 18 with npm (https://nodejs.org, or "
            "`apt-get install nodejs npm`) to run Wix's JavaScript SDK against the emulator"
        )
    version = subprocess.run([node_bin, "--version"], capture_output=True, text=True, timeout=30)
    match = re.match(r"v(\d+)\.", version.stdout.strip())
    assert match and int(match.group(1)) >= 18, (
        f"Wix's SDK needs Node.js >= 18 (global fetch); found {version.stdout.strip()!r}"
    )
    pinned = _pinned_packages()
    stale = {name: _installed(name) for name, want in pinned.items() if _installed(name) != want}
    if stale:
        try:
            done = subprocess.run(
                [npm_bin, "ci", "--no-audit", "--no-fund"],
                cwd=SDK_DIR, capture_output=True, text=True, timeout=NPM_CI_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`npm ci` in {SDK_DIR} did not finish within {NPM_CI_TIMEOUT} s")
        assert done.returncode == 0, (
            f"`npm ci` in {SDK_DIR} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
        wrong = {n: _installed(n) for n, want in pinned.items() if _installed(n) != want}
        assert not wrong, f"after npm ci these packages differ from package.json: {wrong}"
    return node_bin


@pytest.fixture(scope="module")
def site(server) -> tuple[str, str]:
    return server.new_site()


@pytest.fixture(scope="module")
def conference(server, site, node) -> dict[str, Any]:
    """Run conference.mjs once against the session's emulator; its parsed JSON output."""
    key, site_id = site
    env = {
        **os.environ,
        "EMULATOR_URL": server.base_url,
        "WIX_API_KEY": key,
        "WIX_SITE_ID": site_id,
    }
    try:
        done = subprocess.run(
            [node, "conference.mjs"], cwd=SDK_DIR, env=env,
            capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr
        if isinstance(stderr, bytes):
            stderr = stderr.decode(errors="replace")
        pytest.fail(f"conference.mjs did not finish within {SCRIPT_TIMEOUT} s:\n{stderr}")
    assert done.returncode == 0, (
        f"conference.mjs exited {done.returncode}\n--- stderr ---\n{done.stderr}"
        f"\n--- stdout ---\n{done.stdout}"
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line on stdout, got:\n{done.stdout}"
    return json.loads(lines[0])


@pytest.fixture
def http(server, site):
    key, site_id = site
    with server.client(key, site_id) as client:
        yield client


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


# --- the SDK's traffic ----------------------------------------------------------------------


def test_sdk_versions_are_the_pinned_ones(conference):
    assert conference["sdk"] == _pinned_packages()


def test_sdk_traffic_used_documented_paths_and_only_one_call_failed(conference):
    requests = conference["requests"]
    assert requests, "the SDK made no requests"
    for r in requests:
        assert r["path"].startswith(SDK_PREFIXES), r
    failed = [r for r in requests if r["status"] != 200]
    assert failed == [
        {"method": "POST", "path": "/events-policies/v2/policies", "query": "", "status": 428}
    ]


def test_sdk_query_builders_page_through_everything(conference):
    paging = conference["paging"]

    def pages(name: str) -> list[list[str]]:
        return [page["names"] for page in paging[name]]

    def flags(name: str) -> list[tuple[bool, bool]]:
        return [(page["hasNext"], page["hasPrev"]) for page in paging[name]]

    # cursor-paged services: metadata.cursors / pagingMetadata.cursors drive next()
    assert pages("policies") == [["Refund Policy", "Photography"], ["Code of Conduct"]]
    assert pages("ticketDefinitions") == [["Workshop Pass", "Early Bird"], ["Community"]]
    assert pages("scheduleItems") == [SCHEDULE_NAMES[:2], SCHEDULE_NAMES[2:]]
    for name in ("policies", "ticketDefinitions", "scheduleItems"):
        assert flags(name) == [(True, False), (False, True)], name
    # offset-paged categories: metaData.total drives hasNext() and totalCount
    assert pages("categories") == [[CATEGORY_NAMES[0]], [CATEGORY_NAMES[1]]]
    assert flags("categories") == [(True, False), (False, True)]
    assert [page["totalCount"] for page in paging["categories"]] == [2, 2]


# --- event ----------------------------------------------------------------------------------


def test_event_was_created_as_a_draft_and_published(conference):
    created = conference["event"]["created"]
    assert created["status"] == "DRAFT"
    assert created["title"] == EVENT_TITLE
    assert created["registration"]["initialType"] == "TICKETING"
    published = conference["event"]["published"]["event"]
    assert published["_id"] == conference["event"]["id"]
    assert published["status"] == "UPCOMING"


def test_event_reads_back_through_the_sdk(conference):
    event = conference["event"]["read"]
    assert event["_id"] == conference["event"]["id"]
    assert event["title"] == EVENT_TITLE
    assert event["status"] == "UPCOMING"
    assert event["shortDescription"].startswith("Three days")
    assert event["location"]["type"] == "VENUE"
    assert event["location"]["name"] == "Lisbon Congress Centre"
    address = event["location"]["address"]
    # the SDK maps REST addressLine back to addressLine1
    assert address["addressLine1"] == "Praça das Indústrias 1"
    assert (address["city"], address["country"], address["postalCode"]) == (
        "Lisbon", "PT", "1300-307")
    dates = event["dateAndTimeSettings"]
    assert dates["startDate"] == "2031-05-20T08:00:00.000Z"
    assert dates["endDate"] == "2031-05-22T18:00:00.000Z"
    assert dates["timeZoneId"] == "Europe/Lisbon"
    assert event["registration"]["initialType"] == "TICKETING"
    assert event["registration"]["type"] == "TICKETING"
    assert {c["name"] for c in event["categories"]["categories"]} == set(CATEGORY_NAMES)


def test_event_state_agrees_over_http(conference, http):
    event_id = conference["event"]["id"]
    response = http.get(f"/events/v3/events/{event_id}",
                        params=[("fields", "REGISTRATION"), ("fields", "CATEGORIES")])
    assert response.status_code == 200, response.text
    event = response.json()["event"]
    assert event["status"] == "UPCOMING"
    assert event["location"]["address"]["addressLine"] == "Praça das Indústrias 1"
    assert {c["id"] for c in event["categories"]["categories"]} == {
        c["_id"] for c in conference["categories"]["created"]
    }


# --- ticket definitions ---------------------------------------------------------------------


def test_ticket_definitions_read_back_in_reordered_order(conference):
    tds = conference["ticketDefinitions"]
    created = tds["created"]
    assert [td["name"] for td in created] == TICKET_NAMES
    read = tds["read"]
    assert {td["eventId"] for td in read} == {conference["event"]["id"]}
    # Workshop Pass was moved before Early Bird
    assert [td["name"] for td in read] == ["Workshop Pass", "Early Bird", "Community"]
    assert tds["readOrder"] == [td["_id"] for td in read]

    by_name = _by_name(read)
    early = by_name["Early Bird"]
    assert early["pricingMethod"]["fixedPrice"] == {"value": "199.00", "currency": "USD"}
    assert early["pricingMethod"]["free"] is False
    assert early["feeType"] == "FEE_ADDED_AT_CHECKOUT"
    assert early["initialLimit"] == 100
    assert early["limited"] is True
    assert early["salePeriod"]["startDate"] == "2031-01-01T00:00:00.000Z"
    assert early["salePeriod"]["endDate"] == "2031-05-19T00:00:00.000Z"
    assert early["salePeriod"]["displayNotOnSale"] is True
    assert early["saleStatus"] == "SALE_SCHEDULED"

    free = by_name["Community"]
    assert free["pricingMethod"]["fixedPrice"]["value"] == "0"
    assert free["pricingMethod"]["free"] is True
    assert free["feeType"] == "NO_FEE"
    assert free["initialLimit"] == 50

    workshop = by_name["Workshop Pass"]
    options = workshop["pricingMethod"]["pricingOptions"]["optionDetails"]
    assert [(o["name"], o["price"]["value"], o["price"]["currency"]) for o in options] == [
        ("Half day", "49.50", "USD"), ("Full day", "89.00", "USD")]
    assert all(o["optionId"] for o in options)
    assert workshop["feeType"] == "FEE_INCLUDED"
    assert workshop["initialLimit"] == 30


def test_ticket_definitions_agree_over_http(conference, http):
    event_id = conference["event"]["id"]
    response = http.post("/events/v3/ticket-definitions/query",
                         json={"query": {"filter": {"eventId": {"$eq": event_id}}}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [td["name"] for td in body["ticketDefinitions"]] == [
        "Workshop Pass", "Early Bird", "Community"]
    assert [td["id"] for td in body["ticketDefinitions"]] == conference["ticketDefinitions"][
        "readOrder"]
    assert "metadata" in body


# --- policies -------------------------------------------------------------------------------


def test_policies_read_back_in_reordered_order(conference):
    policies = conference["policies"]
    assert [p["name"] for p in policies["created"]] == POLICY_NAMES
    assert all(p["revision"] == "1" for p in policies["created"])
    # default order is newest first; Refund Policy was then moved before Photography
    expected = ["Refund Policy", "Photography", "Code of Conduct"]
    reordered = policies["reorderResponse"]["policies"]
    assert [p["name"] for p in reordered] == expected
    read = policies["read"]
    assert [p["name"] for p in read] == expected
    assert {p["eventId"] for p in read} == {conference["event"]["id"]}
    assert _by_name(read)["Code of Conduct"]["body"].startswith("<p>Be kind.")


def test_fourth_policy_is_refused_with_the_documented_error(conference):
    fourth = conference["fourthPolicy"]
    assert fourth["ok"] is False, fourth
    assert fourth["status"] == 428
    assert fourth["code"] == "POLICIES_LIMIT_REACHED"


def test_policies_agree_over_http(conference, http):
    event_id = conference["event"]["id"]
    response = http.post("/events/v2/policies/query",
                         json={"query": {"filter": {"eventId": event_id}}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["name"] for p in body["policies"]] == [
        "Refund Policy", "Photography", "Code of Conduct"]
    assert [p["id"] for p in body["policies"]] == conference["policies"]["readOrder"]
    assert "metadata" in body


# --- schedule -------------------------------------------------------------------------------


def test_schedule_was_published_with_the_update(conference):
    schedule = conference["schedule"]
    added = [r["item"] for r in schedule["added"]]
    assert all(item["draft"] is True for item in added)
    assert schedule["updated"]["item"]["name"] == "Opening Keynote"
    assert schedule["updated"]["item"]["_id"] == added[0]["_id"]
    read = schedule["read"]
    items = read["items"]
    assert [item["name"] for item in items] == SCHEDULE_NAMES
    assert [item["_id"] for item in items] == [item["_id"] for item in added]
    assert all(item["draft"] is False for item in items)
    assert all(item["eventId"] == conference["event"]["id"] for item in items)
    keynote = items[0]
    assert keynote["stageName"] == "Main Hall"
    assert keynote["tags"] == ["keynote"]
    assert keynote["timeSlot"] == {"start": "2031-05-20T09:00:00.000Z",
                                   "end": "2031-05-20T10:00:00.000Z",
                                   "timeZoneId": "Europe/Lisbon"}


def test_schedule_agrees_over_http(conference, http):
    event_id = conference["event"]["id"]
    published = http.get("/events/v1/schedule",
                         params={"eventId": event_id, "state": "PUBLISHED"})
    assert published.status_code == 200, published.text
    assert [i["name"] for i in published.json()["items"]] == SCHEDULE_NAMES
    draft = http.get("/events/v1/schedule", params={"eventId": event_id, "state": "DRAFT"})
    assert draft.status_code == 200, draft.text
    assert [i["name"] for i in draft.json()["items"]] == SCHEDULE_NAMES


# --- categories -----------------------------------------------------------------------------


def test_categories_read_back_with_the_event(conference):
    categories = conference["categories"]
    created = categories["created"]
    assert [c["name"] for c in created] == CATEGORY_NAMES
    listed = categories["eventCategories"]["categories"]
    assert {c["_id"] for c in listed} == {c["_id"] for c in created}
    queried = categories["query"]
    assert {c["name"] for c in queried} == set(CATEGORY_NAMES)
    for category in queried:
        assert category["counts"]["assignedEventsCount"] == 1, category


def test_categories_agree_over_http(conference, http):
    event_id = conference["event"]["id"]
    response = http.get(f"/events/v1/categories/{event_id}")
    assert response.status_code == 200, response.text
    assert {c["name"] for c in response.json()["categories"]} == set(CATEGORY_NAMES)
    by_category = http.get(
        f"/events/v3/events/category/{conference['categories']['created'][0]['_id']}")
    assert by_category.status_code == 200, by_category.text
    assert [e["id"] for e in by_category.json()["events"]] == [event_id]


# --- adopting the SDK-built site: export, validate, plan ------------------------------------


def _provisioner(site: tuple[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    key, site_id = site
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    return subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)],
                          env={**env, "WIX_API_KEY": key, "WIX_SITE_ID": site_id,
                               "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=120)


def _calls_since(http, mark: int) -> int:
    log = http.get("/_emulator/requests")
    assert log.status_code == 200, log.text
    return sum(1 for entry in log.json()["requests"] if entry["seq"] > mark)


def _last_seq(http) -> int:
    log = http.get("/_emulator/requests")
    assert log.status_code == 200, log.text
    return max((entry["seq"] for entry in log.json()["requests"]), default=0)


def test_a_site_the_sdk_built_exports_to_a_spec_that_plans_no_changes(
        conference, server, site, http, tmp_path):
    out = tmp_path / "site"
    before = _last_seq(http)
    exported = _provisioner(site, "export", "--target", server.base_url, "--out", out)
    assert exported.returncode == 0, exported.stderr
    export_calls = _calls_since(http, before)
    assert "Traceback" not in exported.stderr
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2 and "categories.yaml" in files, files  # and one file for the event

    checked = _provisioner(site, "validate", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"^Valid: 2 files, 2 categories, 1 event, 3 ticket definitions, "
                     r"3 policies, 3 schedule items", checked.stdout, re.M), checked.stdout

    before = _last_seq(http)
    planned = _provisioner(site, "plan", out, "--target", server.base_url,
                           "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes. The site matches the spec." in planned.stdout
    # the export read the site in the calls a no-op plan of the same events makes
    assert export_calls == _calls_since(http, before)


def test_one_price_edited_in_the_export_plans_exactly_one_update(
        conference, server, site, tmp_path):
    import yaml

    out = tmp_path / "site.yaml"
    exported = _provisioner(site, "export", "--target", server.base_url, "--out", out)
    assert exported.returncode == 0, exported.stderr
    spec = yaml.safe_load(out.read_text())
    ticket = next(t for t in spec["events"][0]["tickets"]
                  if "fixedPrice" in t.get("pricingMethod", {}))
    old = ticket["pricingMethod"]["fixedPrice"]
    new = f"{float(old) + 1:.2f}"
    text = out.read_text()
    edited = re.sub(rf"fixedPrice: '{re.escape(old)}'", f"fixedPrice: '{new}'", text, count=1)
    assert edited != text, text
    out.write_text(edited)
    planned = _provisioner(site, "plan", out, "--target", server.base_url, "--json")
    assert planned.returncode == 0, planned.stderr
    actions = json.loads(planned.stdout)["actions"]
    assert [(a["action"], a["kind"], a["name"]) for a in actions] == [
        ("update", "ticket", ticket["name"])]
    assert [(c["path"], c["new"]) for c in actions[0]["changes"]] == [
        ("pricingMethod.fixedPrice.value", new)]
