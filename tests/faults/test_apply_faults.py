"""`apply` under seeded faults converges, makes no duplicates and loses nothing.

For each of a few seeds, on a fresh site of this module's own emulator (faults are
server-wide), DevCon is applied while 15% of calls fail with a 503 that changed nothing, 15%
of writes are made and then answered 504, answers take 2-7 ms, and the site's rate-limit
budget is spent as the apply starts (429 with `Retry-After`). A failed apply gets one re-run
of plan and apply. Then, faults off: a new plan has no changes, no natural key occurs twice
on the site, and an unmanaged event and category are untouched; in the `change` scenario
every kept object has kept its id. `tests/faults/harness.py` holds the run and the checks;
`bench/faults.py` runs it over hundreds of seeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from provisioner.apply.executor import execute
from provisioner.apply.report import Report, Status
from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.plan.build import build_plan
from provisioner.plan.live import live_state
from tests.faults.harness import (
    EXAMPLE,
    FAST_RETRIES,
    SCENARIOS,
    Faults,
    FaultServer,
    RunRecord,
    desired_of,
    duplicates,
    fault_server,
    run,
    unmanaged,
)
from tests.plan.seed import seed

SEEDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def faulty() -> Iterator[FaultServer]:
    with fault_server() as server:
        yield server


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_apply_under_faults_converges_without_duplicates_or_losses(
        faulty: FaultServer, scenario: str, tmp_path: Path) -> None:
    records: list[RunRecord] = []
    for number in SEEDS:
        record = run(faulty, scenario, number, Faults(), tmp_path)
        records.append(record)
        story = record.describe()
        assert record.converged, f"did not converge after one re-run: {story}"
        assert not record.duplicates, f"duplicates made: {story}"
        assert not record.lost, f"lost or overwritten: {story}"
    stories = "\n".join(r.describe() for r in records)
    # the seeds must have exercised what the test is about, or it proves nothing
    assert sum(r.faults["dropped_after_commit"] for r in records), f"no write dropped:\n{stories}"
    assert sum(r.faults["error"] for r in records), f"no 503:\n{stories}"
    assert sum(r.faults["rate_limited"] for r in records), f"no 429:\n{stories}"
    assert sum(r.found_after_lost for r in records), f"no lost answer found done:\n{stories}"


def test_the_checks_see_a_duplicate_and_a_touched_unmanaged_event(faulty: FaultServer) -> None:
    """The checks the fault runs rely on do find what they look for."""
    key, site = faulty.new_site()
    with faulty.api(key, site) as api:
        event_id = seed(api, EXAMPLE.with_name("devcon2025.seed.json"))["devcon-2025"]
        before = faulty.export(site)
        assert duplicates(before) == []
        lunch = next(i for s in before["schedule"] for i in s["items"] if i["name"] == "Lunch")
        body = {k: lunch[k] for k in ("name", "timeSlot", "stageName")}
        ok(api.post("/events/v1/schedule/draft", json={"eventId": event_id, "item": body}))
        ok(api.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
            "eventId": event_id, "name": "Early Bird", "pricingMethod": {"fixedPrice": {
                "value": "1.00", "currency": "USD"}}, "feeType": "FEE_INCLUDED"}}))
        ok(api.patch(f"/events/v3/events/{event_id}", json={"event": {
            "id": event_id, "title": "Touched"}}))
    after = faulty.export(site)
    found = duplicates(after)
    assert any(f.startswith("ticket ") and f.endswith("/Early Bird") for f in found), found
    assert any(f.startswith("draftItems ") and "/Lunch@" in f for f in found), found
    assert unmanaged(before, event_id)["event"] != unmanaged(after, event_id)["event"]


def ok(response: httpx.Response) -> None:
    assert response.status_code == 200, f"{response.request.url}: {response.text}"


def test_an_update_whose_every_answer_is_lost_is_checked_before_it_is_called_failed(
        faulty: FaultServer, tmp_path: Path) -> None:
    key, site = faulty.new_site()
    with faulty.api(key, site) as api:
        seed(api, EXAMPLE.with_name("devcon2025.seed.json"))
    spec = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    spec["events"][0]["title"] = "DevCon 2025 (renamed)"
    path = tmp_path / "renamed.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    desired = desired_of(path)

    async def apply() -> Report:
        async with WixClient(Target("url", faulty.url, key, site), retry=FAST_RETRIES) as client:
            live = await live_state(client, desired)
            plan = build_plan(desired, live, "faults")
            assert [f"{a.address} {a.verb}" for a in plan.actions] == [
                "event[devcon-2025] update"]
            # every event update is made, then answered 504
            faulty.set_faults({"drop_rate": 1.0, "methods": ["PATCH"],
                               "paths": ["/events/v3/events/"]})
            try:
                return await execute(client, plan, live)
            finally:
                faulty.set_faults({})

    report = asyncio.run(apply())
    events = faulty.export(site)["events"]
    assert [e["title"] for e in events] == ["DevCon 2025 (renamed)"]  # it landed
    outcome = report.outcomes[0]
    assert outcome.status == Status.APPLIED, f"{outcome.status}: {outcome.detail}"
