"""Execute a plan: every action as soon as what it waits for has applied (see `graph`), at
most `parallelism` calls at once, and an honest account of each one.

- Updates of kinds with revisions send the revision read at plan time, so the API refuses an
  update over an edit the plan did not show; apply reports that object as a conflict.
- A write whose answer was lost (`OutcomeUnknown`) is never blindly repeated: a create looks
  its object up by natural key first and adopts it if it landed; an update, delete, publish
  or cancel is checked against the site before it is tried again.
- A failed action stops only the actions that wait for it; they are reported as skipped.
- Risky actions (cancelling an event, deleting what has sold) are refused before any call
  unless allowed (`guard`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from . import kinds
from .client import WixClient
from .desired import shaped
from .diff import field_changes
from .errors import ApiError, OutcomeUnknown, ProvisionerError
from .graph import dependencies, event_of
from .kinds import Kind
from .model import (
    ASSIGN,
    CANCEL,
    CREATE,
    DELETE,
    DISCARD,
    PUBLISH,
    REORDER,
    RISKY,
    UNASSIGN,
    UPDATE,
    Action,
    Plan,
    ResourceKey,
    State,
    allow_flag,
)
from .moves import moves
from .writes import Job, Writer

APPLIED, FAILED, CONFLICT, SKIPPED = "applied", "failed", "conflict", "skipped"
STATUSES = (APPLIED, FAILED, CONFLICT, SKIPPED)
DEFAULT_PARALLELISM = 16  # a whole DevCon level in one round; the rate limiter paces the rest
LOST_ANSWER_TRIES = 4  # a write whose answer is lost is checked and tried again this often


@dataclass
class Outcome:
    """What became of one action. `detail` says why it failed or was skipped, or how it was
    confirmed (`found on the site after a lost answer`)."""

    action: Action
    status: str
    detail: str = ""
    id: str | None = None
    seconds: float = 0.0


@dataclass
class Report:
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        return all(o.status == APPLIED for o in self.outcomes)


def refused(plan: Plan, allowed: set[str], live: State | None = None) -> list[str]:
    """One sentence per risky action whose flag was not given; apply runs nothing if any.
    With `live`, a delete is judged by what has sold by now, not when the plan was made."""
    sold_now = {r.id: r.info.get("sold") for r in (live.resources.values() if live else ())
                if r.id}
    out = []
    for action in plan.actions:
        note = action.note
        risky = RISKY in action.marks
        if action.verb == DELETE and sold_now.get(action.id):
            risky, note = True, f"{sold_now[action.id]} sold"
        if risky and allow_flag(action) not in allowed:
            said = f" ({note})" if note else ""
            out.append(f"{action.address}: {action.verb} is risky{said}; pass "
                       f"{allow_flag(action)} to allow it")
    return out


class Ledger:
    """Ids apply knows: live ones (from the state read) and the ones it makes as it runs."""

    def __init__(self, live: State, plan: Plan) -> None:
        self.ids: dict[str, str] = {}
        for resource in live.resources.values():
            if resource.id:
                self.ids[resource.key.address] = resource.id
                desired_slug = resource.info.get("desired_slug")
                if desired_slug:  # an event found under a former slug
                    self.ids[ResourceKey(kinds.EVENT.name, "", desired_slug).address] = \
                        resource.id
        for action in plan.actions:
            if action.id and action.key.name != "*":
                self.ids[action.address] = action.id
        self.revisions = {address: value.split(":", 1)[1]
                          for address, value in plan.fingerprints.items()
                          if value.startswith("revision:")}

    def event_id(self, slug: str) -> str | None:
        return self.ids.get(ResourceKey(kinds.EVENT.name, "", slug).address)

    def member_id(self, action: Action, name: str) -> str:
        address = ResourceKey(action.key.kind, action.key.event, name).address
        if address not in self.ids:
            raise ProvisionerError(f"{action.address}: no id is known for {address}")
        return self.ids[address]

    def job(self, action: Action, kind: Kind) -> Job:
        slug = event_of(action)
        if action.key.kind == kinds.EVENT.name:
            event_id = action.id or self.event_id(slug)
        else:
            event_id = action.parent_id or (self.event_id(slug) if slug else None)
        ref = None
        if kind.refers_to and action.body:
            ref = self.ids.get(ResourceKey(kind.refers_to, "", str(action.body["name"])).address)
        return Job(action, event_id, action.id or self.ids.get(action.address),
                   self.revisions.get(action.address), ref)


def kind_of(action: Action) -> Kind:
    return kinds.BY_NAME.get(action.key.kind) or kinds.DRAFTS[action.key.kind]


class Executor:
    def __init__(self, client: WixClient, plan: Plan, live: State, *, parallelism: int,
                 on_start: Callable[[Action], Any] | None = None,
                 on_done: Callable[[Outcome], Any] | None = None) -> None:
        self.client, self.plan = client, plan
        self.ledger = Ledger(live, plan)
        self.parallelism = max(1, parallelism)
        self.on_start = on_start or (lambda action: None)
        self.on_done = on_done or (lambda outcome: None)

    async def run(self) -> Report:
        started = time.perf_counter()
        calls_before = sum(self.client.calls.values())
        actions = self.plan.actions
        deps = dependencies(actions)
        gate = asyncio.Semaphore(self.parallelism)
        tasks: list[asyncio.Task[Outcome]] = []

        async def one(index: int) -> Outcome:
            waited = [await tasks[d] for d in sorted(deps[index])]
            blocked = next((o for o in waited if o.status != APPLIED), None)
            action = actions[index]
            if blocked is not None:
                outcome = Outcome(action, SKIPPED, f"waits for {blocked.action.address}, "
                                                   f"which {_did_not(blocked)}")
            else:
                async with gate:
                    self.on_start(action)
                    clock = time.perf_counter()
                    outcome = await self.perform(action)
                    outcome.seconds = time.perf_counter() - clock
            self.on_done(outcome)
            return outcome

        for index in range(len(actions)):
            tasks.append(asyncio.create_task(one(index)))
        outcomes = list(await asyncio.gather(*tasks))
        return Report(self.plan.target, outcomes, time.perf_counter() - started,
                      sum(self.client.calls.values()) - calls_before)

    async def perform(self, action: Action) -> Outcome:
        kind = kind_of(action)
        writer = kind.writer
        assert writer is not None, f"{kind.name} has no writer"
        try:
            job = self.ledger.job(action, kind)
            made = await self._dispatch(action, kind, writer, job)
        except ApiError as error:
            if error.status == 409 and action.verb == UPDATE and writer.revisioned:
                return Outcome(action, CONFLICT, "changed on the site since the plan was "
                               "made; nothing was overwritten. Run plan again to see the "
                               "change")
            return Outcome(action, FAILED, str(error))
        except ProvisionerError as error:
            return Outcome(action, FAILED, str(error))
        new_id, detail = made
        if new_id and action.verb in (CREATE, ASSIGN):
            self.ledger.ids[action.address] = new_id
        return Outcome(action, APPLIED, detail, new_id or job.id)

    async def _dispatch(self, action: Action, kind: Kind, writer: Writer, job: Job
                        ) -> tuple[str | None, str]:
        client, verb = self.client, action.verb
        if verb in (CREATE, ASSIGN):
            return await self._create(kind, writer, job)
        if verb == REORDER:
            await self._reorder(kind, writer, job)
            return None, ""
        hook = {UPDATE: writer.update, DELETE: writer.delete, UNASSIGN: writer.delete,
                CANCEL: writer.cancel, DISCARD: writer.discard_draft,
                PUBLISH: writer.publish_draft if action.key.kind in kinds.DRAFTS
                else writer.publish}[verb]
        assert hook is not None, f"{kind.name} cannot {verb}"
        check = self._landed(kind, writer, job)
        return None, await _tried(lambda: hook(client, job), check)

    async def _create(self, kind: Kind, writer: Writer, job: Job) -> tuple[str | None, str]:
        client = self.client
        for attempt in range(1, LOST_ANSWER_TRIES + 1):
            try:
                return str(await writer.create(client, job)), ""
            except OutcomeUnknown:
                found = await writer.fetch(client, job)
                if found is not None:
                    return str(found.get("id") or job.ref_id or job.event_id or ""), \
                        "found on the site after its answer was lost"
                if attempt == LOST_ANSWER_TRIES:
                    raise
        raise AssertionError("unreachable")

    def _landed(self, kind: Kind, writer: Writer, job: Job
                ) -> Callable[[], Awaitable[bool]]:
        """After a lost answer and a refused retry: is what the action wanted already true?"""
        verb = job.action.verb

        async def check() -> bool:
            if verb in (UNASSIGN, DISCARD) or (verb == PUBLISH and job.action.key.kind
                                               in kinds.DRAFTS):
                return True  # repeating these changes nothing
            found = await writer.fetch(self.client, job)
            if verb == DELETE:
                return found is None
            if found is None:
                return False
            if verb in (PUBLISH, CANCEL):
                return found.get("status") != "DRAFT" if verb == PUBLISH else \
                    found.get("status") == "CANCELED"
            view = kind.live_view(found)
            wanted = shaped(kind, kind.body_view(job.body))
            return view is not None and not field_changes(kind, wanted, shaped(kind, view))
        return check

    async def _reorder(self, kind: Kind, writer: Writer, job: Job) -> None:
        assert writer.move is not None, f"{kind.name} cannot be reordered"
        action = job.action
        offset = len(kind.permanent)
        for name, after, before, index in moves(list(action.previous_order),
                                                list(action.order)):
            member = self.ledger.member_id(action, name)
            after_id = self.ledger.member_id(action, after) if after else None
            before_id = self.ledger.member_id(action, before) if before else None
            # moving a member to where it already is changes nothing, so a lost answer is
            # simply tried again
            await _tried(lambda m=member, a=after_id, b=before_id, i=index: writer.move(
                self.client, job, m, a, b, i + offset), None)


async def _tried(call: Callable[[], Awaitable[Any]],
                 check: Callable[[], Awaitable[bool]] | None) -> str:
    """Run a write; after a lost answer, try again, and if the API then refuses (the first
    try had landed), confirm with `check` that the wanted result holds."""
    lost = False
    for attempt in range(1, LOST_ANSWER_TRIES + 1):
        try:
            await call()
            return "confirmed after its first answer was lost" if lost else ""
        except OutcomeUnknown:
            lost = True
            if attempt == LOST_ANSWER_TRIES:
                raise
        except ApiError:
            if lost and check is not None and await check():
                return "found done on the site after its answer was lost"
            raise
    raise AssertionError("unreachable")


def _did_not(outcome: Outcome) -> str:
    return {FAILED: "failed", CONFLICT: "met a conflict", SKIPPED: "was skipped"}.get(
        outcome.status, outcome.status)


async def execute(client: WixClient, plan: Plan, live: State, *,
                  parallelism: int = DEFAULT_PARALLELISM,
                  on_start: Callable[[Action], Any] | None = None,
                  on_done: Callable[[Outcome], Any] | None = None) -> Report:
    """Apply `plan` on `client`'s site; `live` is the state it was checked against."""
    return await Executor(client, plan, live, parallelism=parallelism, on_start=on_start,
                          on_done=on_done).run()
