"""`provisioner export` against a real emulator over HTTP, run as a subprocess: the export of a
site built through the plain API (and made messy the way real sites are: duplicates, sales,
unpublished schedule edits, cancelled and draft events) validates and plans to no changes,
except what it warns about; selections, output forms, pinned ids and bad usage behave; and the
export reads the site in the calls a no-op plan of it makes, at 100 events too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.export.write import to_yaml
from provisioner.spec.source import parse_document
from tests.apply.support import cli_env, requests_after
from tests.conftest import FakeClock, Server
from tests.plan.seed import seed

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = ROOT / "tests" / "plan" / "specs" / "everything.seed.json"
DEVCON_SEED = ROOT / "examples" / "devcon2025.seed.json"
MEETUPS_SEED = ROOT / "tests" / "plan" / "specs" / "meetups.seed.json"


def cli(api: httpx.Client, *args: str | Path, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)],
                          env=cli_env(api), cwd=cwd, input="", capture_output=True, text=True,
                          timeout=180)


def export(server: Server, api: httpx.Client, *args: str | Path
           ) -> subprocess.CompletedProcess[str]:
    done = cli(api, "export", "--target", server.base_url, *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def plan_json(server: Server, api: httpx.Client, spec: Path) -> dict[str, Any]:
    done = cli(api, "plan", spec, "--target", server.base_url, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def assert_round_trip(server: Server, api: httpx.Client, spec: Path, exported: str) -> None:
    checked = cli(api, "validate", spec)
    assert checked.returncode == 0, checked.stdout + checked.stderr + exported
    assert " 0 warnings" in checked.stdout or "warning" not in checked.stdout, checked.stdout
    planned = cli(api, "plan", spec, "--target", server.base_url, "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr + exported
    assert "No changes. The site matches the spec." in planned.stdout


def last_seq(api: httpx.Client) -> int:
    return max((e["seq"] for e in requests_after(api, 0)), default=0)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_site_that_uses_every_field_round_trips(server: Server, api: httpx.Client,
                                                  tmp_path: Path) -> None:
    seed(api, EVERYTHING)
    out = tmp_path / "site"
    done = export(server, api, "--out", out)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "categories.yaml", "everything-rsvp.yaml", "everything-ticketed.yaml"]
    assert_round_trip(server, api, out, done.stderr)
    text = (out / "everything-ticketed.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    # written as a person would: local times, decimal prices, no site-filled fields
    assert re.search(r"startDate: '?2031-03-28T\d\d:\d\d'?\n", text), text
    assert "fixedPrice: '0.00'" in text and "formattedAddress" not in text
    assert "revision" not in text and "createdDate" not in text


def test_a_messy_site_round_trips_and_says_what_it_left_out(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    saved = seed(api, DEVCON_SEED)
    event_id = saved["devcon-2025"]
    tickets = ok(api.post("/events/v3/ticket-definitions/query",
                          json={"query": {"filter": {"eventId": event_id}}}))
    early = next(t for t in tickets["ticketDefinitions"] if t["name"] == "Early Bird")
    # a dashboard double click: a second "Early Bird", made after the first
    copy = {k: early[k] for k in ("name", "pricingMethod", "initialLimit", "feeType")}
    ok(api.post("/events/v3/ticket-definitions",
                json={"ticketDefinition": {**copy, "eventId": event_id}}))
    # a schedule item added in the dashboard but not published yet
    ok(api.post("/events/v1/schedule/draft", json={"eventId": event_id, "item": {
        "name": "Surprise guest", "timeSlot": {"start": "2025-06-15T23:00:00.000Z",
                                                "end": "2025-06-15T23:30:00.000Z",
                                                "timeZoneId": "America/Los_Angeles"}}}))
    # fields set in the dashboard that the spec language does not have
    ok(api.patch(f"/events/v3/events/{event_id}", json={"event": {
        "id": event_id, "detailedDescription": "Doors open at 8.",
        "seoSettings": {"slug": "devcon-2025", "advancedSeoData": {"settings": {
            "keywords": [{"term": "devcon", "isMain": True}]}}}}}))
    # a draft event and a cancelled one, both made outside this tool
    for title, cancel in (("Spring Draft", False), ("Cancelled Meetup", True)):
        made = ok(api.post("/events/v3/events", json={"draft": not cancel, "event": {
            "title": title, "location": {"type": "ONLINE"},
            "dateAndTimeSettings": {"timeZoneId": "Europe/London",
                                    "startDate": "2031-03-29T00:30:00.000Z",
                                    "endDate": "2031-03-29T02:30:00.000Z"},
            "registration": {"initialType": "RSVP"}}}))["event"]
        if cancel:
            ok(api.post(f"/events/v3/events/{made['id']}/cancel", json={}))
    out = tmp_path / "site.yaml"
    done = export(server, api, "--out", out)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert any("ticket[Early Bird #2]" in w and "plan` will offer to delete it" in w
               for w in warnings), warnings
    assert any("schedule has draft edits" in w and "schedule.published: false" in w
               for w in warnings), warnings
    assert ("warning: event[devcon-2025]: `detailedDescription`, "
            "`seoSettings.advancedSeoData.settings.keywords[].term`, "
            "`seoSettings.advancedSeoData.settings.keywords[].isMain` cannot be written in a "
            "spec; left out (plan and apply leave it as it is on the site)") in warnings
    assert len(warnings) == 3, warnings
    spec = yaml.safe_load(out.read_text())
    by_slug = {event["slug"]: event for event in spec["events"]}
    assert by_slug["cancelled-meetup"]["state"] == "CANCELED"
    assert "state" not in by_slug["spring-draft"]  # a draft is the default
    assert by_slug["devcon-2025"]["state"] == "PUBLISHED"  # ended: still published
    assert by_slug["devcon-2025"]["schedule"]["published"] is False
    assert [t["name"] for t in by_slug["devcon-2025"]["tickets"]].count("Early Bird") == 1
    # times are written in the event's zone (London keeps GMT until 30 March)
    assert by_slug["spring-draft"]["dateAndTimeSettings"]["startDate"] == "2031-03-29T00:30"
    checked = cli(api, "validate", out)
    assert checked.returncode == 0, checked.stdout
    made = plan_json(server, api, out)
    # the one change: the duplicate the export named goes
    assert [(a["action"], a["kind"], a["name"]) for a in made["actions"]] == [
        ("delete", "ticket", "Early Bird #2")]


def test_sold_tickets_and_pinned_ids_round_trip(server: Server, api: httpx.Client,
                                                tmp_path: Path, clock: FakeClock) -> None:
    saved = seed(api, EVERYTHING)
    clock.set("2031-02-01T12:00:00Z")  # inside the tickets' sale period
    event_id = saved["everything-ticketed"]
    tickets = ok(api.post("/events/v3/ticket-definitions/query",
                          json={"query": {"filter": {"eventId": event_id}}}))
    standard = next(t for t in tickets["ticketDefinitions"] if t["name"] == "Standard")
    ok(api.post("/_emulator/sales/orders", json={"ticketDefinitionId": standard["id"],
                                                 "quantity": 3}))
    out = tmp_path / "pinned.yaml"
    done = export(server, api, "--out", out, "--pin-ids")
    assert done.returncode == 0, done.stderr
    spec = yaml.safe_load(out.read_text())
    event = next(e for e in spec["events"] if e["slug"] == "everything-ticketed")
    assert event["id"] == event_id
    assert next(t for t in event["tickets"] if t["name"] == "Standard")["id"] == standard["id"]
    assert_round_trip(server, api, out, done.stderr)


def test_a_selection_exports_those_events_and_their_categories(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    seed(api, EVERYTHING)
    done = export(server, api, "--event", "everything-rsvp")
    assert done.returncode == 0, done.stderr
    spec = yaml.safe_load(done.stdout)
    assert [e["slug"] for e in spec["events"]] == ["everything-rsvp"]
    assert "categories" not in spec  # the RSVP event is in none
    done = export(server, api, "--event", "everything-ticketed", "--category",
                  "Second Category")
    spec = yaml.safe_load(done.stdout)
    assert [c["name"] for c in spec["categories"]] == ["Everything Tests", "Second Category"]
    only = export(server, api, "--category", "Everything Tests")
    spec = yaml.safe_load(only.stdout)
    assert spec == {"categories": [{"name": "Everything Tests"}]}
    spec_file = tmp_path / "one.yaml"
    spec_file.write_text(done.stdout)
    assert_round_trip(server, api, spec_file, done.stderr)


def test_mistakes_are_one_line_and_write_nothing(server: Server, api: httpx.Client,
                                                 tmp_path: Path) -> None:
    seed(api, EVERYTHING)
    done = export(server, api, "--event", "nope", "--out", tmp_path / "x")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == ("Error: no event with the slug 'nope' on the site; "
                                            "`provisioner export` with no --event lists them "
                                            "all")
    assert not (tmp_path / "x").exists()
    missing = export(server, api, "--category", "Nope")
    assert missing.returncode == 1 and "no category named 'Nope'" in missing.stderr
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    into_file = export(server, api, "--out", a_file)
    assert into_file.returncode == 1 and "is a file; --out takes a folder" in into_file.stderr
    assert a_file.read_text() == "mine"
    flag = cli(api, "export", "--target", server.base_url, "--bogus")
    # click words it `No such option: --bogus` before 8.4, `No such option '--bogus'` since
    assert flag.returncode == 2 and re.search(r"No such option:? '?--bogus", flag.stderr)


def test_a_folder_export_names_spec_files_it_did_not_write(server: Server, api: httpx.Client,
                                                            tmp_path: Path) -> None:
    seed(api, EVERYTHING)
    out = tmp_path / "site"
    out.mkdir()
    (out / "old-event.yaml").write_text("events: []\n")
    done = export(server, api, "--out", out)
    assert done.returncode == 0, done.stderr
    assert (f"warning: {out} also holds old-event.yaml, which this export did not write; a "
            "plan of the folder reads them too") in done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "Exported 2 categories, 2 events, 4 ticket definitions, 2 policies, 3 schedule items")


def test_export_reads_a_hundred_events_in_the_calls_of_a_no_op_plan(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    seed(api, MEETUPS_SEED, copies=[{"n": str(i), "day": f"{1 + i % 28:02d}"}
                                    for i in range(100)])
    out = tmp_path / "fleet"
    before = last_seq(api)
    done = export(server, api, "--out", out)
    assert done.returncode == 0, done.stderr
    export_calls = [e["method"] + " " + e["path"].split("?")[0]
                    for e in requests_after(api, before)]
    assert len(list(out.glob("meetup-*.yaml"))) == 100
    before = last_seq(api)
    planned = cli(api, "plan", out, "--target", server.base_url, "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    plan_calls = [e["method"] + " " + e["path"].split("?")[0]
                  for e in requests_after(api, before)]
    assert sorted(export_calls) == sorted(plan_calls), (export_calls, plan_calls)
    assert f"in {len(export_calls)} calls" in done.stderr


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=30), max_size=8))
def test_every_text_is_written_so_the_spec_reads_it_back(texts: list[str]) -> None:
    """PyYAML quotes by YAML 1.1's rules, the spec reads YAML 1.2: `-.5` or `0o17` must be
    quoted all the same, and every other text must come back as written."""
    text = to_yaml({"categories": [{"name": value} for value in texts]}, "header")
    doc, problems = parse_document(text, "export.yaml")
    assert problems == [] and doc is not None, text
    assert [c["name"] for c in doc.data.get("categories") or []] == texts, text


@pytest.mark.parametrize("value", ["-.5", "0o17", "0x1F", ".inf", "+12", "1e3", "~", "null",
                                   "True", "NO", "2025-06-15T09:00", "299.00", " lead", "#x"])
def test_texts_that_look_like_other_values_are_read_back_as_texts(value: str) -> None:
    doc, _ = parse_document(to_yaml({"categories": [{"name": value}]}, "h"), "export.yaml")
    assert doc is not None and doc.data["categories"][0]["name"] == value


def test_a_schedule_whose_draft_was_emptied_is_written_as_such(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    """Every draft item deleted after the schedule was published: the agenda still shows the
    published items, so the export lists none with `published: false`, and says so."""
    saved = seed(api, EVERYTHING)
    event_id = saved["everything-ticketed"]
    items = ok(api.get("/events/v1/schedule", params={
        "eventId": event_id, "state": ["PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN"]}))
    ids = [item["id"] for item in items["items"] if item.get("draft")]
    assert ids
    gone = api.request("DELETE", "/events/v1/schedule/draft/items",
                       params={"eventId": event_id, "itemIds": ids}, json={})
    assert gone.status_code == 200, gone.text
    out = tmp_path / "site.yaml"
    done = export(server, api, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "event[everything-ticketed]: the schedule has draft edits that are not published" \
        in done.stderr
    event = next(e for e in yaml.safe_load(out.read_text())["events"]
                 if e["slug"] == "everything-ticketed")
    assert event["schedule"] == {"published": False, "items": []}
    assert_round_trip(server, api, out, done.stderr)
