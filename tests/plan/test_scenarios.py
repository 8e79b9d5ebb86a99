"""Plan scenarios with golden plans: a live site, a desired spec, and the exact plan expected.

Each folder under `scenarios/` is one scenario:

- `live.yaml` (optional): the state the site starts in, as a spec; `live.seed.json` beside it
  holds the literal API calls that make that state (`seed.seed`); no files, an empty site;
- `edits.json` (optional): API calls made after seeding, standing for changes made outside the
  tool (in the dashboard, by another script, by guests buying tickets);
- `spec.yaml`: the desired spec handed to `provisioner plan`;
- `expect.yaml`: the key facts, readable without the golden: `exit` (0 no actions, 2 actions,
  1 problems), `summary` (only the verbs that are not 0), `addresses` (the actions in order)
  and, optionally, `marked` (address -> its marks, then its note, for every action that has
  either) and `problems` (substrings, one per problem, in order);
- `plan.json`: the golden `--json` output, normalised (below).

`edits.json` is a list of `{"method", "path", "json"?}`. Any string in `path` or `json` may
hold placeholders for live ids, looked up through the API just before the call:

- `{event:SLUG}`: the id of the event with that slug (as seeded);
- `{ticket:SLUG/NAME}`, `{policy:SLUG/NAME}`, `{scheduleItem:SLUG/NAME}`: the id of the
  event's ticket definition, policy or (draft) schedule item of that name;
- `{KIND:SLUG/NAME#FIELD}`: a top-level field of that object instead of its id, such as
  `#revision` for the optimistic-concurrency revision an update must send.

A string that is exactly one placeholder is replaced by the value itself (so a number stays a
number); otherwise placeholders are substituted as text.

The golden is the plan as JSON (checked against schemas/plan.schema.json first) with what
changes from run to run replaced: the live ids an action names (`id`, `parent_id`) by `<id>`,
every fingerprint by `<fingerprint>` (except `absent`), `target` by `<target>`, and `sources`
by file names. `UPDATE_GOLDEN=1` rewrites the goldens from the current plans before comparing;
read every rewritten one before trusting it (a golden that encodes a wrong plan is a defect).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.conftest import FakeClock, Server

from .seed import ok, seed

SCENARIOS = Path(__file__).parent / "scenarios"
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "spec.yaml").exists())
PLACEHOLDER = re.compile(r"\{(event|ticket|policy|scheduleItem):([^{}#/]+)(?:/([^{}#]+))?"
                         r"(?:#(\w+))?\}")


# --- live lookups for placeholders --------------------------------------------------------


def _children(api: httpx.Client, kind: str, event_id: str) -> list[dict[str, Any]]:
    query = {"query": {"filter": {"eventId": {"$in": [event_id]}}}}
    if kind == "ticket":
        return ok(api.post("/events/v3/ticket-definitions/query",
                           json=query))["ticketDefinitions"]
    if kind == "policy":
        return ok(api.post("/events/v2/policies/query", json=query))["policies"]
    answer = ok(api.get("/events/v1/schedule", params={"eventId": event_id, "state": "DRAFT"}))
    return [item for item in answer.get("items") or [] if item.get("draft")]


def _lookup(api: httpx.Client, events: dict[str, str], match: re.Match[str]) -> Any:
    kind, slug, name, field = match.groups()
    if kind == "event":
        assert name is None and field is None, match.group()
        return events[slug]
    found = [c for c in _children(api, kind, events[slug]) if c.get("name") == name]
    assert len(found) == 1, f"{match.group()}: {len(found)} live objects of that name"
    return found[0][field or "id"]


def _resolve(api: httpx.Client, events: dict[str, str], value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(api, events, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(api, events, v) for v in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return _lookup(api, events, whole)
    return PLACEHOLDER.sub(lambda m: str(_lookup(api, events, m)), value)


def apply_edits(api: httpx.Client, events: dict[str, str], path: Path) -> None:
    if not path.exists():
        return
    for call in json.loads(path.read_text(encoding="utf-8")):
        url = _resolve(api, events, call["path"])
        body = _resolve(api, events, call.get("json"))
        ok(api.request(call["method"], url, json=body))


# --- the plan, normalised ------------------------------------------------------------------


def normalise(plan: dict[str, Any]) -> dict[str, Any]:
    plan = dict(plan)
    plan["target"] = "<target>"
    plan["sources"] = [Path(s).name for s in plan["sources"]]
    plan["fingerprints"] = {address: value if value == "absent" else "<fingerprint>"
                            for address, value in plan["fingerprints"].items()}
    actions = []
    for action in plan["actions"]:
        action = dict(action)
        for key in ("id", "parent_id"):
            if action[key] is not None:
                action[key] = "<id>"
        actions.append(action)
    plan["actions"] = actions
    return plan


def run_plan(server: Server, api: httpx.Client, spec: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIX_API_KEY": api.api_key,  # type: ignore[attr-defined]
           "WIX_SITE_ID": api.site_id, "NO_COLOR": "1"}  # type: ignore[attr-defined]
    return subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "plan", str(spec), "--target",
         server.base_url, "--json", "--detailed-exitcode"],
        env=env, capture_output=True, text=True, timeout=120)


# --- the scenarios ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name: str, server: Server, api: httpx.Client, clock: FakeClock) -> None:
    """`clock` freezes the emulator's time (2026-01-01), so sales and event status never
    depend on the day the tests run."""
    folder = SCENARIOS / name
    live = folder / "live.seed.json"
    events = seed(api, live) if live.exists() else {}
    apply_edits(api, events, folder / "edits.json")

    done = run_plan(server, api, folder / "spec.yaml")
    assert "Traceback" not in done.stderr, done.stderr
    raw = json.loads(done.stdout)
    Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(raw)
    plan = normalise(raw)
    golden = folder / "plan.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(plan, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    expected_exit = 1 if plan["problems"] else 2 if plan["actions"] else 0
    assert done.returncode == expected_exit, done.stderr

    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    assert done.returncode == expect["exit"]
    assert {verb: n for verb, n in plan["summary"].items() if n} == expect.get("summary", {})
    assert [a["address"] for a in plan["actions"]] == expect.get("addresses", [])
    assert {a["address"]: a["marks"] + ([a["note"]] if a["note"] else [])
            for a in plan["actions"] if a["marks"] or a["note"]} == expect.get("marked", {})
    problems = expect.get("problems", [])
    assert len(plan["problems"]) == len(problems), plan["problems"]
    for message, wanted in zip(plan["problems"], problems, strict=True):
        assert wanted in message
    assert plan == json.loads(golden.read_text(encoding="utf-8"))


def test_every_scenario_folder_is_complete() -> None:
    allowed = {"live.yaml", "live.seed.json", "edits.json", "spec.yaml", "expect.yaml",
               "plan.json"}
    folders = [p for p in SCENARIOS.iterdir() if p.is_dir()]
    assert folders, "no scenarios found"
    for folder in folders:
        files = {p.name for p in folder.iterdir()}
        assert {"spec.yaml", "expect.yaml", "plan.json"} <= files, folder.name
        assert files <= allowed, f"{folder.name}: unexpected {sorted(files - allowed)}"
