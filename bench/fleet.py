"""Helpers for the apply benchmarks: an emulator in its own process steered through the
control API, a generated fleet spec, and one in-process plan and apply the way
`provisioner apply` strings them together (`cli_apply`).

The emulator runs in its own process (`bench.plan.start_server`) so its work never competes
with the client's event loop for this interpreter, and timings are the client's.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.plan import start_server
from provisioner.apply.executor import execute
from provisioner.apply.report import DEFAULT_PARALLELISM, Report
from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.model import Plan, State
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load

CATEGORY = "Fleet Meetups"


@dataclass
class Emulator:
    """An emulator process with one site; `reset()` empties the site for the next run."""

    target: Target
    control: httpx.Client

    def reset(self, faults: dict[str, Any] | None = None) -> None:
        """Forget every object, the request log and the faults; then set `faults`."""
        self.control.post("/_emulator/reset", json={}).raise_for_status()
        self.faults(faults or {})

    def faults(self, settings: dict[str, Any]) -> None:
        self.control.put("/_emulator/faults", json=settings).raise_for_status()

    def statuses(self) -> Counter[int]:
        """How many API calls the emulator answered with each status since the reset."""
        log = self.control.get("/_emulator/requests").json()
        return Counter(int(r["status"]) for r in log["requests"])

    def served(self) -> int:
        return int(self.control.get("/_emulator/requests").json()["total"])


@contextmanager
def emulator() -> Iterator[Emulator]:
    key, site = f"bench-{uuid.uuid4().hex}", str(uuid.uuid4())
    process, url = start_server(key, site)
    try:
        with httpx.Client(base_url=url, timeout=60) as control:
            yield Emulator(Target("url", url, key, site), control)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def fleet_event(index: int, venue: dict[str, Any], policies: list[dict[str, Any]]
                ) -> dict[str, Any]:
    """One small published event: 2 tickets, 1 policy, in the fleet's category. `venue` and
    `policies` are the template's shared blocks (YAML anchors once dumped)."""
    day = 1 + index % 28
    month = 1 + index // 28 % 12
    return {
        "slug": f"fleet-{index:03d}",
        "title": f"Fleet Meetup {index}",
        "state": "PUBLISHED",
        "location": venue,
        "dateAndTimeSettings": {"timeZoneId": "Europe/Berlin",
                                "startDate": f"2031-{month:02d}-{day:02d}T19:00",
                                "endDate": f"2031-{month:02d}-{day:02d}T22:00"},
        "registration": {"initialType": "TICKETING", "tickets": {"currency": "EUR"}},
        "categories": [CATEGORY],
        "tickets": [{"name": "Standard", "pricingMethod": {"fixedPrice": "15.00"},
                     "initialLimit": 80},
                    {"name": "Supporter", "pricingMethod": {"fixedPrice": "40.00"},
                     "initialLimit": 20}],
        "policies": policies,
    }


def write_fleet(folder: Path, events: int) -> Path:
    venue = {"type": "VENUE", "name": "The Loft",
             "address": {"addressLine": "12 Kastanienallee", "city": "Berlin",
                         "postalCode": "10435", "country": "DE"}}
    policies = [{"name": "Code of Conduct", "body": "Be kind and respectful."}]
    spec = {"version": 1, "categories": [{"name": CATEGORY}],
            "events": [fleet_event(i, venue, policies) for i in range(events)]}
    path = folder / f"fleet-{events}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100), encoding="utf-8")
    return path


def desired_of(path: Path) -> State:
    result = load([str(path)])
    if not result.ok:
        raise SystemExit("\n".join(p.format() for p in result.errors[:5]))
    return desired_state([document.data for document in result.documents])


@dataclass
class Applied:
    plan: Plan
    report: Report
    read_seconds: float  # live_state and build_plan, before the apply
    cpu_seconds: float  # this process's CPU time during the apply (`execute`) alone
    calls: int  # every call of the client: the plan's reads and the apply's calls
    retries: int
    waited: float  # seconds the client's rate limiter held calls back
    burst: float  # calls the client's limiter lets out at once before pacing


async def plan_and_apply(target: Target, desired: State, *,
                         parallelism: int = DEFAULT_PARALLELISM,
                         rate_limit: float | None = None) -> Applied:
    async with WixClient(target) as client:
        if rate_limit:
            client.limit_rate(rate_limit)
        began = time.perf_counter()
        live = await live_state(client, desired)
        plan = build_plan(desired, live, target.describe())
        read = time.perf_counter() - began
        cpu = time.process_time()
        report = await execute(client, plan, live, parallelism=parallelism)
        cpu = time.process_time() - cpu
        limiter = client.limiter
        return Applied(plan, report, read, cpu, sum(client.calls.values()),
                       sum(client.retries.values()), limiter.waited if limiter else 0.0,
                       limiter.capacity if limiter else 0.0)


async def converged(target: Target, desired: State) -> bool:
    async with WixClient(target) as client:
        return not build_plan(desired, await live_state(client, desired), "check").has_changes
