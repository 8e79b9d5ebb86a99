"""How many HTTP calls a plan makes, counted by the emulator itself: a small fixed number that
does not grow with the number of events, and only reads.

Each test seeds its own emulator on 127.0.0.1, clears the request log, plans (the real CLI,
or `live_state` in process with a `WixClient` over HTTP) and reads `GET /_emulator/requests`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.emulator import create_app
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load
from tests.conftest import running

from .seed import seed

DEVCON = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
ONE_EVENT_MAX = 5  # events query, categories query, tickets, policies, schedule
FLEET_MAX = 12
GROWTH_MAX = 8  # extra calls 50 events may cost over one


@dataclass(frozen=True)
class Site:
    url: str
    key: str
    site: str
    api: httpx.Client

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
        return {**clean, "WIX_API_KEY": self.key, "WIX_SITE_ID": self.site, "NO_COLOR": "1"}

    def clear_requests(self) -> None:
        httpx.request("DELETE", f"{self.url}/_emulator/requests", json={},
                      timeout=10).raise_for_status()

    def counters(self) -> Counter[str]:
        """This site's API calls by `METHOD route`, as the emulator counted them."""
        answer = httpx.get(f"{self.url}/_emulator/requests", headers={"wix-site-id": self.site},
                           timeout=10)
        answer.raise_for_status()
        return Counter(answer.json()["counters"])


@pytest.fixture
def site() -> Iterator[Site]:
    key, site_id = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    with running(create_app(credentials=[(key, site_id)])) as url, httpx.Client(
            base_url=url, headers={"Authorization": key, "wix-site-id": site_id},
            timeout=30) as api:
        yield Site(url, key, site_id, api)


def small_event(index: int) -> dict[str, Any]:
    day = 1 + index % 28
    return {
        "slug": f"meetup-{index}",
        "title": f"Meetup {index}",
        "location": {"type": "VENUE", "name": "Hall"},
        "dateAndTimeSettings": {"timeZoneId": "Europe/London",
                                "startDate": f"2031-05-{day:02d}T18:00",
                                "endDate": f"2031-05-{day:02d}T21:00"},
        "registration": {"initialType": "TICKETING", "tickets": {"currency": "EUR"}},
        "categories": ["Meetups"],
        "tickets": [{"name": "Regular", "pricingMethod": {"fixedPrice": "10.00"}},
                    {"name": "Supporter", "pricingMethod": {"fixedPrice": "25.00"}}],
        "policies": [{"name": "Refunds", "body": "No refunds."},
                     {"name": "Conduct", "body": "Be kind."}],
        "schedule": {"items": [
            {"name": "Talks", "timeSlot": {"start": f"2031-05-{day:02d}T18:00",
                                           "end": f"2031-05-{day:02d}T19:30"}},
            {"name": "Drinks", "timeSlot": {"start": f"2031-05-{day:02d}T19:30",
                                            "end": f"2031-05-{day:02d}T21:00"}}]},
        "form": {"controls": [{"text": {"label": "Company", "mandatory": False}}]},
    }


def fleet_spec(folder: Path, events: int) -> Path:
    path = folder / f"fleet-{events}.yaml"
    spec = {"version": 1, "categories": [{"name": "Meetups"}],
            "events": [small_event(i) for i in range(events)]}
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def cli_plan(site: Site, spec: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "plan", str(spec), "--target", site.url,
         "--detailed-exitcode"],
        env=site.env(), capture_output=True, text=True, timeout=120)


def plan_calls(site: Site, spec: Path) -> Counter[str]:
    """The calls one `provisioner plan` of the seeded `spec` makes; it must see no changes
    (so the few calls did read everything)."""
    site.clear_requests()
    done = cli_plan(site, spec)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes" in done.stdout, done.stdout
    return site.counters()


def assert_reads_only(calls: Counter[str]) -> None:
    for label in calls:
        method, route = label.split(" ", 1)
        assert method == "GET" or (method == "POST" and route.endswith("/query")), label


def test_one_event_is_planned_in_five_calls(site: Site) -> None:
    seed(site.api, DEVCON.with_name("devcon2025.seed.json"))
    calls = plan_calls(site, DEVCON)
    assert sum(calls.values()) <= ONE_EVENT_MAX, calls
    assert set(calls) == {
        "POST /events/v3/events/query", "POST /events/v1/categories/query",
        "POST /events/v3/ticket-definitions/query", "POST /events/v2/policies/query",
        "GET /events/v1/schedule"}, calls
    assert_reads_only(calls)


def test_fifty_events_cost_no_more_calls_than_one(site: Site, tmp_path: Path) -> None:
    one, fifty = fleet_spec(tmp_path, 1), fleet_spec(tmp_path, 50)
    # meetup-0 is the one-event spec's event
    seed(site.api, Path(__file__).with_name("specs") / "meetups.seed.json",
         copies=[{"n": str(i), "day": f"{1 + i % 28:02d}"} for i in range(50)])
    calls_one, calls_fifty = plan_calls(site, one), plan_calls(site, fifty)
    total_one, total_fifty = sum(calls_one.values()), sum(calls_fifty.values())
    assert total_one <= ONE_EVENT_MAX, calls_one
    assert total_fifty <= FLEET_MAX, calls_fifty
    assert total_fifty <= total_one + GROWTH_MAX, (calls_one, calls_fifty)
    assert set(calls_fifty) == set(calls_one), (calls_one, calls_fifty)
    assert_reads_only(calls_fifty)


def test_the_client_counts_the_calls_the_server_saw(site: Site, tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path, 50)
    seed(site.api, Path(__file__).with_name("specs") / "meetups.seed.json",
         copies=[{"n": str(i), "day": f"{1 + i % 28:02d}"} for i in range(50)])
    result = load([str(spec)])
    desired = desired_state([document.data for document in result.documents])

    async def read() -> tuple[int, Counter[str]]:
        async with WixClient(Target("url", site.url, site.key, site.site)) as client:
            live = await live_state(client, desired)
            return len(live.resources), client.calls

    site.clear_requests()
    objects, client_calls = asyncio.run(read())
    server_calls = site.counters()
    # 50 events, 100 tickets, 100 policies, 100 schedule items, 50 form controls, a category
    # (and the events' category assignments) were all read
    assert objects >= 50 * 8 + 1, objects
    assert sum(server_calls.values()) <= FLEET_MAX, server_calls
    assert client_calls == server_calls
    assert_reads_only(server_calls)
