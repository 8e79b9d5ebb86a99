"""Reads in partitions sized from the spec: the partition plan itself (properties over any
sizes), and reads of real emulator sites over HTTP that hold what the spec does not: objects
added from the dashboard, and another writer adding or deleting between two pages of one read.

Round trips are counted by `bench/plan.py`'s own client: the longest chain of calls each
sent after the one before it answered, with the emulator delaying every answer so that calls
sent together overlap.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.plan import TimedClient
from provisioner import kinds
from provisioner.client.errors import ProvisionerError
from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.plan import partitions
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state, read_children
from provisioner.spec.loader import load

from .seed import seed
from .test_plan_calls import Site, fleet_spec, site  # noqa: F401  (the fixture)

SEED = Path(__file__).with_name("specs") / "meetups.seed.json"

sizes_strategy = st.lists(st.integers(min_value=0, max_value=260), max_size=260)


def _sizes(counts: list[int]) -> list[tuple[str, int]]:
    return [(f"event-{index}", count) for index, count in enumerate(counts)]


@settings(max_examples=300, deadline=None)
@given(sizes_strategy)
def test_every_event_is_read_once_in_partitions_of_at_most_a_hundred(counts: list[int]
                                                                     ) -> None:
    sizes = _sizes(counts)
    parts = partitions.partition(sizes)
    read = [parent for part in parts for parent in part.parent_ids]
    assert sorted(read) == sorted(parent for parent, _ in sizes)
    assert all(0 < len(part.parent_ids) <= partitions.IDS for part in parts)
    size_of = dict(sizes)
    for part in parts:
        assert part.expected == sum(size_of[parent] for parent in part.parent_ids)
    if sizes:
        assert partitions.calls(parts) >= partitions.floor(sizes)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=100))
def test_up_to_a_hundred_events_of_less_than_a_page_each_take_the_floor(counts: list[int]
                                                                        ) -> None:
    sizes = _sizes(counts)
    parts = partitions.partition(sizes)
    assert partitions.calls(parts) == partitions.floor(sizes), [
        (len(p.parent_ids), p.expected) for p in parts]


def test_full_partitions_are_single_pages_and_part_full_ones_merge() -> None:
    # 20 children an event fill pages exactly: five events a page, each page its own read
    parts = partitions.partition(_sizes([20] * 100))
    assert len(parts) == 20 and all(p.pages() == 1 and p.expected == 100 for p in parts)
    # three policies an event: 33 events fill 99 of a page, so bins would take 4 calls; one
    # group of 100 events read by 3 offset pages at once takes the floor
    parts = partitions.partition(_sizes([3] * 100))
    assert [(len(p.parent_ids), p.pages()) for p in parts] == [(100, 3)]
    # an event bigger than a page is read by as many pages as it needs, all at once
    assert partitions.calls(partitions.partition(_sizes([250]))) == 3


def _target(where: Site) -> Target:
    return Target("url", where.url, where.key, where.site)


def _latency(where: Site, ms: int) -> None:
    httpx.put(f"{where.url}/_emulator/faults", json={"latency_ms": ms},
              timeout=10).raise_for_status()


def _ticket(where: Site, event_id: str, name: str) -> str:
    """A ticket definition made outside the spec (as from the dashboard); its id."""
    made = where.api.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
        "name": name, "eventId": event_id, "feeType": "FEE_INCLUDED",
        "pricingMethod": {"fixedPrice": {"value": "5.00", "currency": "EUR"}}}})
    made.raise_for_status()
    return str(made.json()["ticketDefinition"]["id"])


def _plan(where: Site, spec: Path) -> tuple[Any, Any, TimedClient]:
    result = load([str(spec)])
    assert result.ok
    desired = desired_state([document.data for document in result.documents])

    async def read() -> tuple[Any, TimedClient]:
        async with TimedClient(_target(where)) as client:
            return await live_state(client, desired), client

    live, client = asyncio.run(read())
    return build_plan(desired, live, "test"), live, client


def test_a_matching_fleet_is_read_in_two_round_trips_at_the_floor(site: Site,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    seed(site.api, SEED, copies=[{"n": str(i), "day": f"{1 + i % 28:02d}"}
                                 for i in range(60)])
    _latency(site, 60)
    plan, live, client = _plan(site, fleet_spec(tmp_path, 60))
    assert not plan.has_changes, plan.counts()
    # 60 events: 120 tickets, 120 policies, 240 schedule copies (draft and published)
    floor = 1 + 1 + 2 + 2 + 3  # events, categories, then a page per 100 of each child kind
    assert sum(client.calls.values()) == floor, client.calls
    assert client.round_trips() == 2, sorted(client.spans)
    assert len(live.of_kind(kinds.TICKET.name)) == 120


def test_dashboard_additions_beyond_the_spec_cost_one_more_round_trip(
        site: Site, tmp_path: Path) -> None:  # noqa: F811
    ids = seed(site.api, SEED, copies=[{"n": str(i), "day": f"{1 + i % 28:02d}"}
                                       for i in range(50)])
    # the dashboard adds three ticket definitions to each of ten events: the partitions
    # sized from the spec (2 an event) now hold more than a page
    added = [_ticket(site, ids[f"meetup-{i}"], f"Extra {n}")
             for i in range(10) for n in range(3)]
    _latency(site, 60)
    plan, live, client = _plan(site, fleet_spec(tmp_path, 50))
    read = {r.id for r in live.of_kind(kinds.TICKET.name)}
    assert len(read) == 100 + 30 and set(added) <= read
    assert plan.counts()["delete"] == 30, plan.counts()
    assert client.round_trips() == 3, sorted(client.spans)


@pytest.mark.parametrize("change", ["add", "delete"])
def test_another_writer_between_two_pages_of_one_read_is_noticed(site: Site,  # noqa: F811
                                                                  change: str) -> None:
    ids = seed(site.api, SEED, copies=[{"n": str(i), "day": "01"} for i in range(3)])
    events = [ids[f"meetup-{i}"] for i in range(3)]
    for event_id in events:  # 60 ticket definitions an event: 180 in all, two pages
        for n in range(58):
            _ticket(site, event_id, f"Tier {n}")
    reader = kinds.TICKET.reader
    assert reader is not None
    first_page = site.api.post(reader.path, json={
        "query": {"filter": {"eventId": {"$in": events}},
                  "paging": {"limit": 100, "offset": 0}}}).json()["ticketDefinitions"]

    class Interleaved(WixClient):
        """Holds the second page until the first has answered and the site has changed."""

        def __init__(self, target: Target) -> None:
            super().__init__(target)
            self.first_answered = asyncio.Event()
            self.offsets: list[int] = []

        async def post(self, path: str, json: Any = None, *, read: bool | None = None
                       ) -> dict[str, Any]:
            offset = json["query"]["paging"]["offset"] if path == reader.path else None
            if offset is not None:
                self.offsets.append(offset)
            if offset == 100 and len(self.offsets) <= 2:
                await self.first_answered.wait()
            answer = await super().post(path, json, read=read)
            if offset == 0 and not self.first_answered.is_set():
                if change == "add":
                    _ticket(site, events[2], "Late tier")
                else:  # a definition of the first page goes, so the second page shifts
                    site.api.delete(f"/events/v3/ticket-definitions/{first_page[0]['id']}"
                                    ).raise_for_status()
                self.first_answered.set()
            return answer

    async def read() -> tuple[list[dict[str, Any]], list[int]]:
        async with Interleaved(_target(site)) as client:
            found = await read_children(client, reader, events, dict.fromkeys(events, 60))
            return found, client.offsets

    found, offsets = asyncio.run(read())
    live_now = site.api.post(reader.path, json={
        "query": {"filter": {"eventId": {"$in": events}},
                  "paging": {"limit": 100, "offset": 100}}}).json()["metadata"]["total"]
    ids_found = [p["id"] for p in found]
    assert len(ids_found) == len(set(ids_found)) == live_now == (181 if change == "add"
                                                                 else 179)
    assert offsets[:2] == [0, 100] and len(offsets) > 2, offsets  # the pages were read again


def test_an_answer_without_the_readers_items_is_an_error_not_an_empty_site(
        site: Site) -> None:  # noqa: F811
    """A page whose items come under another key (a reader that names the wrong one, an API
    that renamed it) must not read as "nothing here": the plan would create it all again."""
    ids = seed(site.api, SEED, copies=[{"n": "0", "day": "01"}])
    reader = kinds.TICKET.reader
    assert reader is not None
    misnamed = dataclasses.replace(reader, items_key="definitions")

    async def read() -> list[dict[str, Any]]:
        async with WixClient(_target(site)) as client:
            return await read_children(client, misnamed, [ids["meetup-0"]])

    with pytest.raises(ProvisionerError, match=r"answered no `definitions`, but "
                                               r"\['ticketDefinitions'\]"):
        asyncio.run(read())
