"""The engine of `provisioner watch`: the spec's events kept under watch, from verified Wix
webhooks (and, with `poll`, a timer), each turned into notices.

- An event, ticket definition or policy change re-plans only the event it belongs to (a few
  calls), after a short pause that gathers a burst of webhooks (an apply's) into one read. A
  drifted object is one `drift` notice; an event that drifted and now matches is `in_line`.
- An Order Confirmed webhook re-reads that event's ticket definitions (one call) and gives one
  `counter` notice per ticket definition the order holds.
- Every ticket definition on the site whose sale has not started yet gets a timer; at its start
  a `sale_start` notice, once per sale start.
- With `reconcile`, a drifted event is applied back with apply's engine, and the guards of
  apply: a risky action (deleting what sold, cancelling) only with its flag, else nothing is
  applied and a `reconcile_refused` notice says which flag it needs.

Notices go to `say` (a line on stdout, or one JSON line) and, with `--exec`, to a command's
standard input as JSON. The HTTP side (verifying each delivery) is `watch_command`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import kinds
from ..apply.executor import execute
from ..apply.guard import refused
from ..client.errors import ProvisionerError
from ..client.http import WixClient
from ..client.webhooks import Webhook
from ..model import Plan, State, Verb
from ..plan.build import build_plan
from ..plan.desired import desired_state
from ..plan.live import live_state
from ..spec import times
from .render import SYMBOLS, group_of, local_time, title, zone_of

log = logging.getLogger("provisioner.watch")

GATHER_SECONDS = 0.3  # a burst of webhooks about one event is read once
WATCHED_FQDNS = ("wix.events.v3.event", "wix.events.v3.ticket_definition",
                 "wix.events.v2.policy", "wix.events.events.v3.event",
                 "wix.events.ticketdef.v3.ticket_definition")
ORDER_CONFIRMED = "OrderConfirmed"
SALE_STARTED = "ticket_definition_sale_started"
SITE = "site"  # how site-level objects (categories) are named in a notice


@dataclass(frozen=True)
class Notice:
    """One thing worth saying: its kind, the event it is about, a line for people and the
    same as data for machines."""

    kind: str  # drift, in_line, counter, sale_start, reconciled, reconcile_refused, error
    event: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, "event": self.event, "text": self.text,
                "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                **self.data}


Say = Callable[[Notice], Awaitable[None]]


def drift_notices(plan: Plan, slug: str) -> list[Notice]:
    """One `drift` notice per action a plan of the event `slug` holds: what moved on the site
    away from the spec, said from the site's side."""
    out = []
    for action in plan.actions:
        group = group_of(action) or SITE
        zone = zone_of(plan, group_of(action))
        what = f"{SYMBOLS[action.verb]} {title(action, zone)}"
        if action.verb == Verb.UPDATE:
            fields = ", ".join(dict.fromkeys(c.path.split(".")[0] for c in action.changes))
            why = f"{fields} changed outside the spec"
        elif action.verb in (Verb.CREATE, Verb.ASSIGN):
            why = "missing on the site (deleted or never made)"
        elif action.verb in (Verb.DELETE, Verb.UNASSIGN):
            why = "on the site but not in the spec"
        elif action.verb == Verb.REORDER:
            why = "order changed outside the spec"
        else:
            why = f"needs {action.verb}"
        out.append(Notice("drift", group if group != SITE else slug,
                          f"drift: {group}: {what}: {why}",
                          {"action": str(action.verb), "address": action.address,
                           "fields": [c.path for c in action.changes]}))
    out += [Notice("drift", slug, f"drift: {slug}: problem: {problem}", {"problem": problem})
            for problem in plan.problems]
    return out


class Watcher:
    """The spec's events under watch on one site, through `client`."""

    def __init__(self, client: WixClient, documents: Sequence[dict[str, Any]], target: str,
                 say: Say, *, reconcile: bool = False, allowed: frozenset[str] = frozenset(),
                 reconcile_client: Callable[[], Any] | None = None,
                 parallelism: int = 8) -> None:
        self.client = client
        self.documents = list(documents)
        self.target = target
        self.say = say
        self.reconcile = reconcile
        self.allowed = allowed
        # for the local sandbox: a client that holds the apply lock while it writes
        self.reconcile_client = reconcile_client
        self.parallelism = parallelism
        self.slugs = [str(e.get("slug")) for d in documents for e in d.get("events") or []]
        self.event_ids: dict[str, str] = {}  # live event id -> slug
        self.drifted: set[str] = set()
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.sale_timers: dict[str, tuple[str, asyncio.Task[None]]] = {}  # ticket id -> start
        self.announced: set[tuple[str, str]] = set()  # (ticket id, start) said once
        self.lock = asyncio.Lock()  # one read or apply at a time: the site's calls are few
        # PROVISIONER_NOW rehearses a watch as of another moment: the clock starts there and
        # runs on (sale starts are timed by it)
        self.offset = times.now() - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    # --- reading -------------------------------------------------------------------------

    def desired(self, slug: str | None = None) -> State:
        """The spec (or only its event `slug`, with the categories) as the desired state."""
        if slug is None:
            return desired_state(copy.deepcopy(self.documents))
        only = []
        for document in self.documents:
            picked = dict(document)
            picked["events"] = [e for e in document.get("events") or []
                                if e.get("slug") == slug]
            only.append(copy.deepcopy(picked))
        return desired_state(only)

    async def check(self, slug: str | None = None) -> None:
        """Read and plan the spec (or one event of it) and say what drifted, or what is back
        in line; reconcile when asked."""
        async with self.lock:
            desired = self.desired(slug)
            live = await live_state(self.client, desired)
            plan = build_plan(desired, live, self.target)
        self.learn(live)
        for each in [slug] if slug else self.slugs:
            part = _only(plan, each) if slug is None else plan
            notices = drift_notices(part, each)
            if notices:
                # a webhook's re-plan always tells; a poll tells (and reconciles) only what
                # newly drifted, so a refused reconcile is not repeated every poll
                fresh = each not in self.drifted or slug is not None
                self.drifted.add(each)
                if fresh:
                    for notice in notices:
                        await self.say(notice)
                    if self.reconcile:
                        await self.reconciled(each, part, live)
            elif each in self.drifted:
                self.drifted.discard(each)
                await self.say(Notice("in_line", each, f"in line: {each}: the site matches "
                                      "the spec again"))

    def learn(self, live: State) -> None:
        """Event ids for routing webhooks, and a timer per ticket sale still to start."""
        for event in live.of_kind(kinds.EVENT.name):
            if event.id:
                self.event_ids[event.id] = event.key.name
        now = self.now()
        for ticket in live.of_kind(kinds.TICKET.name):
            raw = ticket.raw or {}
            start = str((raw.get("salePeriod") or {}).get("startDate") or "")
            if not ticket.id or not start:
                continue
            try:
                moment = times.parse(start, None).utc
            except times.TimeProblem:
                continue
            known = self.sale_timers.get(ticket.id)
            if known and known[0] == start:
                continue
            if known:
                known[1].cancel()
            if moment > now and (ticket.id, start) not in self.announced:
                zone = _zone_of_event(live, ticket.key.event)
                delay = (moment - now).total_seconds()
                task = asyncio.create_task(self._sale_start(
                    ticket.id, ticket.key.event, ticket.key.name, start, zone, delay))
                self.sale_timers[ticket.id] = (start, task)

    async def _sale_start(self, ticket_id: str, slug: str, name: str, start: str,
                          zone: Any, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.sale_started(ticket_id, slug, name, start, zone)

    async def sale_started(self, ticket_id: str, slug: str, name: str, start: str,
                           zone: Any) -> None:
        if (ticket_id, start) in self.announced:
            return
        self.announced.add((ticket_id, start))
        shown = local_time(start, zone) or start
        await self.say(Notice("sale_start", slug, f"sale: {slug} · {name}: on sale now "
                              f"(from {shown})", {"ticket": name, "start": start}))

    # --- webhooks ------------------------------------------------------------------------

    async def received(self, hook: Webhook) -> None:
        """Act on one verified, first-time webhook."""
        if ORDER_CONFIRMED in hook.event_type:
            await self.counter(hook)
            return
        if hook.event_type.endswith(SALE_STARTED) and hook.entity:
            await self.sale_webhook(hook)
        if hook.entity_fqdn not in WATCHED_FQDNS:
            return
        slug = self.slug_of(hook)
        if slug is not None:
            self.soon(slug)

    def slug_of(self, hook: Webhook) -> str | None:
        event_id = hook.event_id
        if event_id and event_id in self.event_ids:
            return self.event_ids[event_id]
        entity = hook.entity or {}
        slug = entity.get("slug")  # an event of the spec made since the watch began
        if hook.entity_fqdn and hook.entity_fqdn.endswith(".event") and slug in self.slugs:
            return str(slug)
        return None

    def soon(self, slug: str) -> None:
        """Re-plan `slug` shortly, once for a burst of webhooks."""
        if slug in self.pending and not self.pending[slug].done():
            return

        async def later() -> None:
            await asyncio.sleep(GATHER_SECONDS)
            self.pending.pop(slug, None)
            await self.guarded(self.check(slug))

        self.pending[slug] = asyncio.create_task(later())

    async def guarded(self, work: Awaitable[None]) -> None:
        """Run `work`; a failure (the site unreachable, say) is a notice, never the end."""
        try:
            await work
        except ProvisionerError as error:
            await self.say(Notice("error", "", f"error: {error}"))

    async def counter(self, hook: Webhook) -> None:
        order = hook.entity or {}
        event_id = str(order.get("eventId"))
        slug = self.event_ids.get(event_id)
        if slug is None:
            return  # an event the spec does not name
        items = ((order.get("invoice") or {}).get("items")) or []
        sold_ids = {str(item.get("id")) for item in items if isinstance(item, dict)}
        reader = kinds.TICKET.reader
        assert reader is not None
        from ..plan.live import read_children

        async with self.lock:
            definitions = await read_children(self.client, reader, [event_id])
        for definition in definitions:
            if sold_ids and str(definition.get("id")) not in sold_ids:
                continue
            sales = definition.get("salesDetails") or {}
            sold, left = int(sales.get("soldCount") or 0), sales.get("unsoldCount")
            left_text = f"{left} left" if isinstance(left, int) else "no limit"
            await self.say(Notice(
                "counter", slug, f"{slug} · {definition.get('name')}: {sold} sold, {left_text}",
                {"ticket": definition.get("name"), "sold": sold, "unsold": left,
                 "reserved": int(sales.get("reservedCount") or 0),
                 "order": order.get("orderNumber")}))

    async def sale_webhook(self, hook: Webhook) -> None:
        definition = (hook.entity or {}).get("ticketDefinition") or hook.entity or {}
        ticket_id = str(definition.get("id") or "")
        slug = self.event_ids.get(str(definition.get("eventId")))
        start = str((definition.get("salePeriod") or {}).get("startDate") or "")
        if slug and ticket_id and start:
            await self.sale_started(ticket_id, slug, str(definition.get("name")), start, None)

    # --- reconciling ---------------------------------------------------------------------

    async def reconciled(self, slug: str, plan: Plan, live: State) -> None:
        """Apply `plan` (the drift of `slug`) back, with apply's guards."""
        if plan.problems:
            await self.say(Notice("reconcile_refused", slug, f"reconcile: {slug}: not applied: "
                                  "the plan has problems only the spec can resolve"))
            return
        refusals = refused(plan, set(self.allowed), live)
        if refusals:
            await self.say(Notice("reconcile_refused", slug, f"reconcile: {slug}: not applied: "
                                  + "; ".join(refusals), {"refused": refusals}))
            return
        async with self.lock:
            if self.reconcile_client is not None:
                async with self.reconcile_client() as locked:
                    report = await execute(locked, plan, live, parallelism=self.parallelism,
                                           allowed=self.allowed)
            else:
                report = await execute(self.client, plan, live, parallelism=self.parallelism,
                                       allowed=self.allowed)
        counts = report.counts()
        done = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        await self.say(Notice("reconciled", slug, f"reconciled: {slug}: {done or 'nothing'}",
                              {"summary": counts, "ok": report.ok}))

    async def close(self) -> None:
        tasks = [t for _, t in self.sale_timers.values()] + list(self.pending.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _only(plan: Plan, slug: str) -> Plan:
    """The part of a plan of every event that is about `slug` (its site-level actions go
    with the first event)."""
    from dataclasses import replace

    kept = tuple(a for a in plan.actions if group_of(a) == slug)
    return replace(plan, actions=kept, problems=tuple(p for p in plan.problems if slug in p))


def _zone_of_event(live: State, slug: str) -> Any:
    from ..kinds.exports import event_zone

    found = [e for e in live.of_kind(kinds.EVENT.name) if e.key.name == slug]
    return event_zone(found[0]) if found else None


def notice_line(notice: Notice, as_json: bool) -> str:
    return json.dumps(notice.to_json(), ensure_ascii=False) if as_json else notice.text
