"""One seeded fault run of `apply`, shared by `tests/faults` (a few seeds) and
`bench/faults.py` (hundreds): set up a site, apply a spec while the emulator drops answers,
fails calls and rate-limits, re-run plan and apply at most once, then check with faults off,
through plain HTTP, that the site converged, holds no duplicates and lost nothing it should
have kept.

Scenarios:
- `fresh`: an empty site (but for unmanaged objects) gets the whole DevCon example.
- `change`: a site already holding DevCon gets a spec that edits a ticket's price and
  another's description, renames a policy (`renamed_from`), deletes two schedule items (apply
  sends them in one call) and reorders the tickets.

Both first seed what the spec does not manage: an event in a category of its own (and in
DevCon's, when that exists), which must come out byte for byte the same.

Just before each apply the site's rate-limit budget is spent, as another integration's calls
would, so 429s come at once instead of after a minute's burst of calls; it refills fast.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from provisioner.apply.executor import execute
from provisioner.apply.report import Status
from provisioner.client.errors import ProvisionerError
from provisioner.client.http import RetryPolicy, WixClient
from provisioner.client.target import Target
from provisioner.emulator import create_app
from provisioner.emulator.faults import FaultInjector
from provisioner.emulator.store import Store
from provisioner.model import State
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load
from tests.conftest import grant_new_site, running
from tests.plan.seed import seed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
SCENARIOS = ("fresh", "change")
DROPPED = ("Lightning Talks", "Talk: WebAssembly Beyond the Browser")  # by `change`
FAST_RETRIES = RetryPolicy(base_delay=0.01, max_delay=0.05)


@dataclass(frozen=True)
class Faults:
    error_rate: float = 0.15
    drop_rate: float = 0.15
    latency_ms: float = 2
    jitter_ms: float = 5
    # the budget is spent when the apply starts, then refills at 50 calls a second: a wave
    # of 429s with `Retry-After: 1`, maybe a second one mid-apply; 0 turns the limit off
    rate_limit: int = 3000

    def settings(self, seed: int) -> dict[str, Any]:
        return {"seed": seed, "error_rate": self.error_rate, "drop_rate": self.drop_rate,
                "latency_ms": self.latency_ms, "jitter_ms": self.jitter_ms,
                "rate_limit": self.rate_limit}


@dataclass
class FaultServer:
    """An emulator of one's own (faults are server-wide), with a fresh site per run."""

    url: str
    store: Store
    injector: FaultInjector
    control: httpx.Client

    def new_site(self) -> tuple[str, str]:
        return grant_new_site(self.store)

    def api(self, key: str, site: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": key, "wix-site-id": site})

    def set_faults(self, settings: dict[str, Any]) -> None:
        self.control.put("/_emulator/faults", json=settings).raise_for_status()

    def spend(self, site: str) -> None:
        """Spend the site's whole budget, as another client's calls would (a refused call
        spends nothing, so a minute's budget of calls empties the bucket)."""
        limit = self.injector.settings.rate_limit
        for _ in range(limit):
            if self.injector.decide(site, "GET", "/elsewhere", "/elsewhere").status == 429:
                return

    def export(self, site: str) -> dict[str, Any]:
        response = self.control.get("/_emulator/sites/export", headers={"wix-site-id": site})
        response.raise_for_status()
        return dict(response.json())

    def faults_seen(self, site: str) -> Counter[str]:
        log = self.control.get("/_emulator/requests", headers={"wix-site-id": site}).json()
        return Counter(r["fault"] for r in log["requests"] if r["fault"] not in (None,
                                                                                "latency"))


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    store = Store()
    app = create_app(store=store)
    injector: FaultInjector = app.state.emulator.extensions["faults"]
    with running(app) as url, httpx.Client(base_url=url, timeout=30) as control:
        server = FaultServer(url, store, injector, control)
        try:
            yield server
        finally:
            server.set_faults({})


def changed_spec(folder: Path) -> Path:
    """DevCon with GA dearer, Early Bird reworded, the code of conduct renamed, two talks
    dropped and VIP listed first."""
    spec = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    event = spec["events"][0]
    tickets = {t["name"]: t for t in event["tickets"]}
    tickets["General Admission"]["pricingMethod"] = {"fixedPrice": "549.00"}
    tickets["Early Bird"]["description"] = "Limited-time offer: save 45%!"
    event["tickets"] = [tickets["VIP All-Access Pass"], tickets["Early Bird"],
                        tickets["General Admission"]]
    for policy in event["policies"]:
        if policy["name"] == "Code of Conduct":
            policy.update(name="Attendee Code of Conduct", renamed_from=["Code of Conduct"])
    items = event["schedule"]["items"]
    event["schedule"]["items"] = [i for i in items if i["name"] not in DROPPED]
    path = folder / "devcon-changed.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100), encoding="utf-8")
    return path


def desired_of(path: Path) -> State:
    result = load([str(path)])
    assert result.ok, [p.format() for p in result.problems]
    return desired_state([document.data for document in result.documents])


# --- what the site holds, read with plain HTTP --------------------------------------------------


def duplicates(site: dict[str, Any]) -> list[str]:
    """Every natural key that occurs more than once."""
    keys: list[str] = [f"event {e.get('slug')}" for e in site["events"]]
    keys += [f"category {c['name'].lower()}" for c in site["categories"]]
    keys += [f"ticket {t['eventId']}/{t['name']}" for t in site["ticketDefinitions"]]
    keys += [f"policy {p['eventId']}/{p['name']}" for p in site["policies"]]
    for schedule in site["schedule"]:
        for state in ("items", "draftItems"):
            keys += [f"{state} {schedule['eventId']}/{i['name']}@{i['timeSlot']['start']}"
                     for i in schedule.get(state) or []]
    for form in site["forms"]:
        keys += [f"control {form['eventId']}/{c.get('label')}" for c in form["controls"]]
    return sorted(key for key, n in Counter(keys).items() if n > 1)


def unmanaged(site: dict[str, Any], event_id: str) -> dict[str, Any]:
    """Everything of the unmanaged event and category, as the site shows it."""
    return {
        "event": [e for e in site["events"] if e["id"] == event_id],
        "tickets": [t for t in site["ticketDefinitions"] if t["eventId"] == event_id],
        "policies": [p for p in site["policies"] if p["eventId"] == event_id],
        "category": [c for c in site["categories"] if c["name"] == "Community Picks"],
        "in": sorted(c["name"] for c in site["categories"] if event_id in c["eventIds"]),
    }


def ids_by_key(site: dict[str, Any], event_id: str) -> dict[str, str]:
    """DevCon's children by natural key (a renamed policy under its new name)."""
    renamed = {"Code of Conduct": "Attendee Code of Conduct"}
    out = {f"ticket {t['name']}": t["id"] for t in site["ticketDefinitions"]
           if t["eventId"] == event_id}
    out |= {f"policy {renamed.get(p['name'], p['name'])}": p["id"] for p in site["policies"]
            if p["eventId"] == event_id}
    for schedule in site["schedule"]:
        if schedule["eventId"] == event_id:
            out |= {f"item {i['name']}@{i['timeSlot']['start']}": i["id"]
                    for i in schedule.get("items") or []}
    return out


# --- one run ------------------------------------------------------------------------------------


@dataclass
class RunRecord:
    scenario: str
    seed: int
    first: dict[str, int] = field(default_factory=dict)  # the first report's counts
    rerun: dict[str, int] | None = None
    converged: bool = False
    leftover: list[str] = field(default_factory=list)  # the final plan's actions
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # unmanaged changes, ids that moved
    calls: int = 0
    retries: int = 0
    found_after_lost: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def first_ok(self) -> bool:
        return self.rerun is None

    def describe(self) -> str:
        return (f"{self.scenario} seed {self.seed}: first apply {self.first}, re-run "
                f"{self.rerun}, converged {self.converged} (left: {self.leftover}), "
                f"duplicates {self.duplicates}, lost {self.lost}; {self.calls} calls, "
                f"{self.retries} retries, {self.found_after_lost} lost answers found done, "
                f"emulator faults {dict(self.faults)}; failures: {self.failures}")


async def _apply_once(client: WixClient, desired: State, record: RunRecord,
                      squeeze: Callable[[], None]) -> dict[str, int]:
    """Plan and apply once: the report's counts, or `{"raised": 1}`."""
    try:
        live = await live_state(client, desired)
        plan = build_plan(desired, live, "faults")
        assert not plan.problems, plan.problems
        squeeze()
        report = await execute(client, plan, live)
    except ProvisionerError as error:
        record.failures.append(f"plan or apply raised {type(error).__name__}: {error}")
        return {"raised": 1}
    record.found_after_lost += sum(1 for o in report.outcomes if "lost" in o.detail)
    record.failures += [f"{o.action.address} {o.action.verb}: {o.status}: {o.detail}"
                        for o in report.outcomes if o.status != Status.APPLIED]
    return report.counts()


async def _apply_with_one_rerun(target: Target, desired: State, record: RunRecord,
                                squeeze: Callable[[], None]) -> None:
    async with WixClient(target, retry=FAST_RETRIES) as client:
        record.first = await _apply_once(client, desired, record, squeeze)
        if record.first.get(Status.APPLIED, 0) != sum(record.first.values()):
            record.rerun = await _apply_once(client, desired, record, squeeze)
        record.calls = sum(client.calls.values())
        record.retries = sum(client.retries.values())


async def _final_plan(target: Target, desired: State) -> list[str]:
    async with WixClient(target, retry=FAST_RETRIES) as client:
        plan = build_plan(desired, await live_state(client, desired), "check")
        return [f"{a.address} {a.verb}" for a in plan.actions] + list(plan.problems)


def run(server: FaultServer, scenario: str, seed_no: int, faults: Faults, folder: Path
        ) -> RunRecord:
    """One scenario under one seed, on a fresh site; faults are off again on return."""
    record = RunRecord(scenario, seed_no)
    began = time.perf_counter()
    key, site = server.new_site()
    target = Target("url", server.url, key, site)
    with server.api(key, site) as api:
        spec = EXAMPLE
        if scenario == "change":
            seed(api, EXAMPLE.with_name("devcon2025.seed.json"))
            spec = changed_spec(folder)
        other = seed(api, Path(__file__).with_name("unmanaged.seed.json"))["unmanaged-meetup"]
        managed = [c for c in server.export(site)["categories"]
                   if c["name"] == "Technology Conferences"]
        if managed:  # an unmanaged member of a managed category
            api.post(f"/events/v1/categories/{managed[0]['id']}/events",
                     json={"eventId": [other]}).raise_for_status()
    before = server.export(site)
    devcon_before = next((e["id"] for e in before["events"] if e["slug"] == "devcon-2025"),
                         "")
    desired = desired_of(spec)
    server.control.request("DELETE", "/_emulator/requests", json={}).raise_for_status()
    server.set_faults(faults.settings(seed_no))
    try:
        asyncio.run(_apply_with_one_rerun(target, desired, record, lambda: server.spend(site)))
        record.faults = server.faults_seen(site)
    finally:
        server.set_faults({})
    record.leftover = asyncio.run(_final_plan(target, desired))
    record.converged = not record.leftover
    after = server.export(site)
    record.duplicates = duplicates(after)
    old, new = unmanaged(before, other), unmanaged(after, other)
    record.lost = [f"unmanaged {part} changed: {old[part]} -> {new[part]}"
                   for part in old if old[part] != new[part]]
    if devcon_before:  # what the change keeps must keep its id
        devcon_after = [e["id"] for e in after["events"] if e["slug"] == "devcon-2025"]
        if devcon_after != [devcon_before]:
            record.lost.append(f"devcon-2025 is {devcon_after}, was {devcon_before}")
        kept, now = ids_by_key(before, devcon_before), ids_by_key(after, devcon_before)
        record.lost += [f"{k} is {now.get(k)}, was {v}" for k, v in kept.items()
                        if k in now and now[k] != v]
        record.lost += [f"{k} is gone" for k in kept if k not in now
                        and k.split("@")[0].removeprefix("item ") not in DROPPED]
    record.seconds = time.perf_counter() - began
    return record

