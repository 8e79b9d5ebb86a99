"""Execute a plan: every action as soon as what it waits for has applied (see `graph`), at
most `parallelism` calls at once, and an honest account of each one.

- Updates of kinds with revisions send the revision read at plan time, so the API refuses an
  update over an edit the plan did not show; apply reports that object as a conflict.
- A write whose answer was lost (`OutcomeUnknown`) is never blindly repeated: the site is
  asked first whether the wanted result holds (a create looks its object up by natural key
  and adopts it; an update compares the fields it sent; ...), and only if not is it tried
  again. Reorder moves, which are the same however often they are made, are just repeated.
- A failed action stops only the actions that wait for it; they are reported as skipped.
- Risky actions (cancelling an event, deleting what has sold) are refused before any call
  unless allowed (see `guard`, which the caller runs first); the sales of a kind marked
  `recheck_before_delete` are read again right before its delete, so a sale that lands after
  the plan's read fails that delete (unless allowed) instead of losing the sale.
- A verb the kind's writer has no hook for fails that action with a message (plan files are
  checked against the kinds' capabilities when loaded, so only a bug can get here).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .. import kinds
from ..client.errors import ApiError, OutcomeUnknown, ProvisionerError
from ..client.http import WixClient
from ..kinds import Kind
from ..kinds.writer import BATCH_LIMIT, Hook, Job, Writer
from ..model import REMOVALS, Action, Plan, State, Verb, allow_flag
from ..plan.build import deletion_risk
from ..plan.desired import shaped
from ..plan.live import add_members, read_children
from .already import shows
from .graph import dependencies
from .guard import refusal
from .ledger import Ledger
from .moves import moves
from .report import DEFAULT_PARALLELISM, Outcome, Report, Status

LOST_ANSWER_TRIES = 6  # a write whose answer is lost is checked and tried again this often
FOUND_DONE = "found done on the site after its answer was lost"


class Executor:
    def __init__(self, client: WixClient, plan: Plan, live: State, *, parallelism: int,
                 allowed: frozenset[str] = frozenset(),
                 on_start: Callable[[Action], Any] | None = None,
                 on_done: Callable[[Outcome], Any] | None = None) -> None:
        self.client, self.plan = client, plan
        self.allowed = allowed
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
        batches = _batches(actions)
        batch_runs: dict[tuple[int, ...], asyncio.Task[dict[int, Outcome]]] = {}

        async def blocker(index: int) -> Outcome | None:
            waited = [await tasks[d] for d in sorted(deps[index])]
            return next((o for o in waited if o.status != Status.APPLIED), None)

        async def one(index: int) -> Outcome:
            members = batches.get(index)
            if members:  # one call for the batch, an outcome for each member
                if members not in batch_runs:
                    batch_runs[members] = asyncio.create_task(
                        self.batch(members, blocker, gate))
                outcome = (await batch_runs[members])[index]
            else:
                blocked = await blocker(index)
                action = actions[index]
                if blocked is not None:
                    outcome = _skipped(action, blocked)
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

    async def batch(self, members: tuple[int, ...],
                    blocker: Callable[[int], Awaitable[Outcome | None]],
                    gate: asyncio.Semaphore) -> dict[int, Outcome]:
        """Members that can run go out together, `BATCH_LIMIT` to a call."""
        actions = self.plan.actions
        out: dict[int, Outcome] = {}
        ready: list[int] = []
        for index in members:
            blocked = await blocker(index)
            if blocked is not None:
                out[index] = _skipped(actions[index], blocked)
            else:
                ready.append(index)
        for start in range(0, len(ready), BATCH_LIMIT):
            chunk = ready[start:start + BATCH_LIMIT]
            async with gate:
                for index in chunk:
                    self.on_start(actions[index])
                clock = time.perf_counter()
                status, detail = await self._batch_call([actions[i] for i in chunk])
                took = time.perf_counter() - clock
            for index in chunk:
                job_id = self.ledger.ids.get(actions[index].address) or actions[index].id
                out[index] = Outcome(actions[index], status, detail, job_id, took)
        return out

    async def _batch_call(self, actions: list[Action]) -> tuple[Status, str]:
        kind = kinds.kind_of(actions[0].key.kind)
        writer = kind.writer
        if writer is None or writer.batch is None:
            return Status.FAILED, f"a {kind.noun} cannot be changed in a batch"
        batch = writer.batch
        try:
            jobs = [self.ledger.job(action, kind) for action in actions]

            removing = actions[0].verb in REMOVALS

            async def landed() -> str | None:  # after a lost answer: is every member done?
                found = [await writer.fetch(self.client, job) for job in jobs]
                return "" if all((f is None) == removing for f in found) else None

            _, detail = await _tried(lambda: batch(self.client, actions[0].verb, jobs), landed)
        except ProvisionerError as error:
            return Status.FAILED, str(error)
        together = f"one call for {len(actions)}" if len(actions) > 1 else ""
        return Status.APPLIED, "; ".join(d for d in (together, detail) if d)

    async def perform(self, action: Action) -> Outcome:
        kind = kinds.kind_of(action.key.kind)
        writer = kind.writer
        try:
            if writer is None:
                raise ProvisionerError(f"{action.address}: a {kind.noun} cannot be changed")
            job = self.ledger.job(action, kind)
            made = await self._dispatch(action, kind, writer, job)
        except ApiError as error:
            if error.status == 409 and action.verb == Verb.UPDATE and writer and \
                    writer.revisioned:
                return Outcome(action, Status.CONFLICT, "changed on the site since the plan "
                               "was made; nothing was overwritten. Run plan again to see the "
                               "change")
            return Outcome(action, Status.FAILED, str(error))
        except ProvisionerError as error:
            return Outcome(action, Status.FAILED, str(error))
        new_id, detail = made
        if new_id and action.verb == kind.verbs[0]:
            self.ledger.ids[action.address] = new_id
        if kind.bumps is not None:
            await self._take_bumped_revisions(kinds.BY_NAME[kind.bumps], job)
        return Outcome(action, Status.APPLIED, detail, new_id or job.id)

    async def _dispatch(self, action: Action, kind: Kind, writer: Writer, job: Job
                        ) -> tuple[str | None, str]:
        client, verb = self.client, action.verb
        if verb == Verb.REORDER:
            await self._reorder(kind, writer, job)
            return None, ""
        make, remove = kind.verbs
        draft = kinds.is_draft(action.key)
        hook: Hook | None = {
            make: writer.create, remove: writer.delete, Verb.UPDATE: writer.update,
            Verb.CANCEL: writer.cancel, Verb.DISCARD: writer.discard_draft,
            Verb.PUBLISH: writer.publish_draft if draft else writer.publish}.get(verb)
        if hook is None:
            raise ProvisionerError(f"{action.address}: a {kind.noun} cannot take the action "
                                   f"{verb!r}")
        if verb == make and not draft:
            return await self._create(writer, hook, job)
        if verb == remove and kind.recheck_before_delete and \
                allow_flag(action) not in self.allowed:  # with the flag, sales do not matter
            await self._still_allowed(kind, writer, job)
        _, detail = await _tried(lambda: hook(client, job), self._landed(kind, writer, job))
        return None, detail

    async def _take_bumped_revisions(self, bumped: Kind, job: Job) -> None:
        """After a change that gives every `bumped` member of the event a new revision (a
        currency change), read them once and take each new revision that is exactly one
        above the one the plan read: that step is this change's own. Anything else is
        another writer's edit, and the plan's revision stays, so the update meets it as a
        conflict."""
        slug = kinds.event_of(job.action.key)
        waiting = any(a.key.kind == bumped.name and kinds.event_of(a.key) == slug
                      and a.verb == Verb.UPDATE for a in self.plan.actions)
        if bumped.reader is None or not job.event_id or not waiting:
            return  # only updates carry a revision
        try:
            raws = await read_children(self.client, bumped.reader, [job.event_id])
        except ProvisionerError:
            return  # the updates then meet the old revisions as conflicts: nothing is lost
        members = State()
        add_members(members, bumped, slug, raws)
        for resource in members.resources.values():
            address, now = resource.key.address, resource.fingerprint or ""
            before = self.ledger.revisions.get(address)
            if before and before.isdigit() and now == f"revision:{int(before) + 1}":
                self.ledger.revisions[address] = str(int(before) + 1)

    async def _still_allowed(self, kind: Kind, writer: Writer, job: Job) -> None:
        """Read the object's sales again right before deleting it: a sale since the plan's
        read makes the delete risky, refused unless its flag was given."""
        found = await writer.fetch(self.client, job)
        if found is None:
            return  # gone already: the delete's own answer says so
        why = refusal(job.action, *deletion_risk(kind.live_facts(found)), self.allowed)
        if why:
            raise ProvisionerError(f"not deleted: it sold since the plan read the site, so {why}")

    async def _create(self, writer: Writer, create: Hook, job: Job) -> tuple[str | None, str]:
        async def adopted() -> str | None:  # a create that landed is found by natural key
            found = await writer.fetch(self.client, job)
            return str(found.get("id") or "") if found is not None else None

        made, detail = await _tried(lambda: create(self.client, job), adopted)
        return str(made), detail

    def _landed(self, kind: Kind, writer: Writer, job: Job
                ) -> Callable[[], Awaitable[str | None]]:
        """After a lost answer: "" if what the action wanted is already true on the site,
        else None."""
        verb = job.action.verb

        async def check() -> bool:
            if kinds.is_draft(job.action.key):  # published or discarded: no draft left
                return writer.draft_pending is not None and \
                    not await writer.draft_pending(self.client, job)
            found = await writer.fetch(self.client, job)
            if verb in REMOVALS:
                return found is None
            if found is None:
                return False
            if verb in (Verb.PUBLISH, Verb.CANCEL):
                return writer.reached is not None and writer.reached(verb, found)
            view = kind.live_view(found)
            return view is not None and shows(kind, job.body, shaped(kind, view))

        async def done() -> str | None:
            return "" if await check() else None
        return done

    async def _reorder(self, kind: Kind, writer: Writer, job: Job) -> None:
        move = writer.move
        action = job.action
        if move is None:
            raise ProvisionerError(f"{action.address}: {kind.plural} cannot be reordered")
        offset = len(kind.permanent)
        for name, after, before, index in moves(list(action.previous_order),
                                                list(action.order)):
            member = self.ledger.member_id(action, name)
            after_id = self.ledger.member_id(action, after) if after else None
            before_id = self.ledger.member_id(action, before) if before else None
            # moving a member to where it already is changes nothing, so a lost answer is
            # simply tried again
            await _tried(functools.partial(move, self.client, job, member, after_id, before_id,
                                           index + offset), None)


async def _tried(call: Callable[[], Awaitable[Any]],
                 landed: Callable[[], Awaitable[Any]] | None) -> tuple[Any, str]:
    """Run a write: its answer, and how it went. After a lost answer, first ask the site
    (`landed`: a value if the write is already done there, None if not), and only try again
    if it is not; a retry the API refuses is checked the same way. Without `landed` (a move,
    which is the same however often it is made), just try again."""
    lost = False
    for attempt in range(1, LOST_ANSWER_TRIES + 1):
        try:
            answer = await call()
            return answer, "made after an earlier answer was lost" if lost else ""
        except OutcomeUnknown:
            lost = True
            found = await landed() if landed is not None else None
            if found is not None:
                return found, FOUND_DONE
            if attempt == LOST_ANSWER_TRIES:
                raise
        except ApiError:
            found = await landed() if lost and landed is not None else None
            if found is not None:
                return found, FOUND_DONE
            raise
    raise AssertionError("unreachable: the last try returns or raises")


def _batches(actions: tuple[Action, ...]) -> dict[int, tuple[int, ...]]:
    """Index -> the members of its batch: actions of one verb that their kind's writer sends
    in one call (same `batch_by` key). Lone actions are left out."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for index, action in enumerate(actions):
        writer = kinds.kind_of(action.key.kind).writer
        if writer is not None and writer.batch is not None and action.verb in writer.batched:
            key = (action.key.kind, action.verb, writer.batch_by(action))
            groups.setdefault(key, []).append(index)
    return {index: tuple(members) for members in groups.values() if len(members) > 1
            for index in members}


def _skipped(action: Action, blocked: Outcome) -> Outcome:
    return Outcome(action, Status.SKIPPED, f"waits for {blocked.action.address}, which "
                                    f"{_did_not(blocked)}")


def _did_not(outcome: Outcome) -> str:
    return {Status.FAILED: "failed", Status.CONFLICT: "met a conflict",
            Status.SKIPPED: "was skipped"}.get(outcome.status, str(outcome.status))


async def execute(client: WixClient, plan: Plan, live: State, *,
                  parallelism: int = DEFAULT_PARALLELISM,
                  allowed: frozenset[str] = frozenset(),
                  on_start: Callable[[Action], Any] | None = None,
                  on_done: Callable[[Outcome], Any] | None = None) -> Report:
    """Apply `plan` on `client`'s site; `live` is the state it was checked against;
    `allowed` holds the flags given for risky actions (`--allow-delete-sold`, ...)."""
    return await Executor(client, plan, live, parallelism=parallelism, allowed=allowed,
                          on_start=on_start, on_done=on_done).run()
