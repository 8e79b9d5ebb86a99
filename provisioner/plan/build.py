"""Turn desired and live state into an ordered `Plan`, walking the kinds table.

Every call of the plan must be able to succeed in order, so actions run in phases:

1. site-level objects (categories, then events) created or updated;
2. deletes and unassignments, in reverse table order (category unassignments, form controls,
   schedule items, policies, ticket definitions), which also frees names and the 3-policy
   limit for what follows;
3. updates, then creates, of children;
4. reorders (after the creates they refer to), then category assignments;
5. the schedule draft published or discarded, then events published, then cancelled;
6. events and categories the spec marks `state: DELETED`, deleted (a published event is
   cancelled in step 5 first).

Within a phase, actions follow the spec: events in spec order, kinds in table order, members
in list order (live order for deletes). The same inputs give the same plan, byte for byte.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from .. import kinds
from ..kinds import Kind
from ..kinds.exports import event_zone
from ..model import ABSENT, Action, Change, Facts, Mark, Plan, Resource, ResourceKey, State, Verb
from ..spec.richtext import to_plain
from ..spec.rules import DELETED
from .desired import without
from .diff import Pair, compare
from .fingerprints import collection_fingerprint
from .normalise import digest


class Phase(IntEnum):
    """The phases of a plan, in the order they run (see the module docstring)."""

    TOP = 0
    DELETE = 1
    UPDATE = 2
    CREATE = 3
    REORDER = 4
    ASSIGN = 5
    DRAFT = 6
    PUBLISH = 7
    CANCEL = 8
    REMOVE = 9


LIFE_CYCLE_PHASES = {Verb.PUBLISH: Phase.PUBLISH, Verb.CANCEL: Phase.CANCEL}


class _Builder:
    def __init__(self, desired: State, live: State) -> None:
        self.desired, self.live = desired, live
        self.steps: list[tuple[tuple[Any, ...], Action]] = []
        self.problems: list[str] = []
        self.fingerprints: dict[str, str] = {}
        self.event_rank = {slug: i for i, slug in enumerate(desired.events)}
        self.kind_rank = {kind.name: i for i, kind in enumerate(kinds.KINDS)}

    def add(self, phase: Phase, action: Action, position: int = 0,
            touched: Resource | None = None) -> None:
        kind_rank = self.kind_rank.get(action.key.kind, len(self.kind_rank))
        if phase == Phase.DELETE:
            kind_rank = -kind_rank  # children before what they hang on
        rank = (phase, self.event_rank.get(action.key.event, -1), kind_rank, position,
                action.key.name)
        self.steps.append((rank, action))
        if touched is not None and touched.fingerprint:
            self.fingerprints[action.address] = touched.fingerprint

    # --- resources -------------------------------------------------------------------------

    def resource(self, kind: Kind, pair: Pair, parent_id: str | None) -> None:
        wanted, found = pair.desired, pair.live
        if wanted is None:
            if found is not None and kind.owned and found.key.name not in kind.permanent \
                    and kind.verbs[1] in kind.capabilities():
                self.delete(kind, found, parent_id)
            return
        if found is None:
            if wanted.facts.existing:
                self.problems.append(
                    f"{wanted.key.address} is marked `existing: true` but the site has no "
                    f"{kind.noun} of that name: create it in the dashboard or drop `existing`")
                return
            verb = kind.verbs[0]
            changes = tuple(Change(path, None, value)
                            for path, value in _flat(kind, wanted.data).items())
            changes += self.carried(kind, wanted)
            phase = Phase.TOP if kind.site_level else Phase.ASSIGN if verb == Verb.ASSIGN \
                else Phase.CREATE
            # a kind that lists new members first is created last-to-first, so the new block
            # lands in the spec's order
            position = -wanted.position if kind.new_first else wanted.position
            self.add(phase, Action(verb, wanted.key, changes, body=wanted.body,
                                   parent_id=parent_id), position)
            self.fingerprints.setdefault(wanted.key.address, ABSENT)
            return
        if self.ambiguous(kind, wanted, found):
            return
        changes = pair.changes
        if _natural(found) != wanted.key.name and not kind.name_in_data:
            # the name is not part of the data (an event's slug): report the rename itself
            changes = (Change("slug", _natural(found), wanted.key.name), *changes)
        changes = self._immutable(kind, wanted.key, changes)
        if not changes or wanted.facts.existing:
            return
        if kind.update_problems is not None:
            self.problems += kind.update_problems(wanted.key.address, wanted.data, found,
                                                  self.live)
        phase = Phase.TOP if kind.site_level else Phase.UPDATE
        self.add(phase, Action(Verb.UPDATE, wanted.key, changes, body=_update_body(kind, wanted),
                               id=found.id, parent_id=parent_id, note=sales_note(found.facts)),
                 wanted.position, found)

    def ambiguous(self, kind: Kind, wanted: Resource, found: Resource) -> bool:
        """Whether pairing `wanted` with `found` is unsafe, with a problem saying how to
        resolve it: site-level objects that share a name (never deleted by this tool), or a
        pinned id whose object the site calls by another name that a second object holds."""
        if not kind.site_level and not wanted.id:
            return False  # neither case can arise: spares a scan of the collection per member
        others = [r for r in self.live.of_kind(kind.name, found.key.event) if r is not found]
        copies = [r for r in others if r.facts.duplicate_of == found.key.name]
        if kind.site_level and copies and not wanted.id:
            ids = ", ".join(str(r.id) for r in [found, *copies])
            self.problems.append(
                f"{wanted.key.address}: the site has {len(copies) + 1} {kind.plural} named "
                f"{found.key.name!r} (ids {ids}); delete or rename all but one in the Wix "
                "dashboard, or pin the one to manage with `id:`")
            return True
        holder = next((r for r in others if r.key.name == wanted.key.name
                       or r.facts.duplicate_of == wanted.key.name), None)
        # (a pin on one of several copies of the wanted name says which copy: no conflict)
        if wanted.id and _natural(found) != wanted.key.name and holder is not None:
            self.problems.append(
                f"{wanted.key.address} is pinned to id {wanted.id}, which the site calls "
                f"{found.key.name!r}, but another {kind.noun} (id {holder.id}) already has "
                f"the name {wanted.key.name!r}: remove `id:` to manage that one, or delete or "
                "rename it first")
            return True
        return False

    def carried(self, kind: Kind, wanted: Resource) -> tuple[Change, ...]:
        """The fields a new object's create body carries for a child kind that lives in its
        data (an event's ticket currency), shown with the create."""
        out = []
        for child in kinds.children_of(kind):
            for member in (self.desired.of_kind(child.name, wanted.key.name)
                           if child.in_parent_data else ()):
                out += [Change(".".join(child.section), None, value)
                        for value in member.data.values()]
        return tuple(out)

    def _immutable(self, kind: Kind, key: ResourceKey, changes: tuple[Change, ...]
                   ) -> tuple[Change, ...]:
        kept = []
        for change in changes:
            if change.path in kind.immutable:
                self.problems.append(
                    f"{key.address}: {change.path} cannot change once the {kind.noun} exists "
                    f"(live: {change.old}, spec: {change.new}); give it another name instead")
            else:
                kept.append(change)
        return tuple(kept)

    def delete(self, kind: Kind, found: Resource, parent_id: str | None,
               wanted: Resource | None = None) -> None:
        """Delete `found`: a member its collection no longer lists (noted as a duplicate when
        it is one), or, with `wanted`, a site-level object the spec marks deleted, which goes
        last and cannot be undone. What it has sold makes it risky."""
        risk, note = deletion_risk(found.facts)
        if found.facts.duplicate_of is not None:
            # the spec lists one; the copy kept has sales, or is the oldest
            said = f"a duplicate of {found.facts.duplicate_of!r}, id {found.id}"
            note = f"{said}; {note}" if note else said
        changes = tuple(Change(path, value, None)
                        for path, value in _flat(kind, found.data).items())
        phase, marks = (Phase.DELETE, risk) if wanted is None else \
            (Phase.REMOVE, (Mark.IRREVERSIBLE, *risk))
        key, position = (found.key, found.position) if wanted is None else \
            (wanted.key, wanted.position)
        self.add(phase, Action(kind.verbs[1], key, changes, id=found.id, parent_id=parent_id,
                               marks=marks, note=note), position, found)

    # --- collections -----------------------------------------------------------------------

    def collection(self, kind: Kind, slug: str, pairs: list[Pair], parent_id: str | None
                   ) -> None:
        for pair in pairs:
            self.resource(kind, pair, parent_id)
        if kind.ordered:
            self.reorder(kind, slug, pairs, parent_id)

    def reorder(self, kind: Kind, slug: str, pairs: list[Pair], parent_id: str | None) -> None:
        wanted = [n for n in self.desired.orders.get((slug, kind.name), ())
                  if n not in kind.permanent]
        kept = {p.live.key.name: p.desired.key.name for p in pairs if p.live and p.desired}
        live_order = [kept[n] for n in self.live.orders.get((slug, kind.name), ()) if n in kept]
        created = [p.desired.key.name for p in pairs if p.desired and not p.live]
        # where creates land: first for a kind Wix lists newest first (created in reverse, so
        # in the spec's order), else last
        landed = [*created, *live_order] if kind.new_first else [*live_order, *created]
        expected = [n for n in landed if n not in kind.permanent]
        if len(wanted) < 2 or expected == wanted or Verb.REORDER not in kind.capabilities():
            return
        key = ResourceKey(kind.name, slug, "*")
        self.add(Phase.REORDER, Action(Verb.REORDER, key, order=tuple(wanted),
                                   previous_order=tuple(expected), parent_id=parent_id))
        deleted = {p.live.id for p in pairs if p.live and not p.desired
                   and p.live.key.name not in kind.permanent and p.live.id}
        self.fingerprints[key.address] = collection_fingerprint(self.live, kind.name, slug,
                                                                deleted)

    def children(self, kind: Kind, pair: Pair) -> None:
        """Every collection the spec lists inside a desired object (an event)."""
        assert pair.desired is not None
        slug = pair.desired.key.name
        parent_id = pair.live.id if pair.live else None
        for child in kinds.children_of(kind):
            if (slug, child.name) not in self.desired.orders:
                continue  # an omitted collection is left alone
            if child.in_parent_data and pair.live is None:
                continue  # made with its parent, in the parent's create body
            self.collection(child, slug, compare(
                child, self.desired.of_kind(child.name, slug),
                self.live.of_kind(child.name, slug)), parent_id)
            if child.drafted:
                self.draft(child, slug, parent_id)

    # --- life cycle and drafts ------------------------------------------------------------------

    def life_cycle(self, kind: Kind, pair: Pair) -> None:
        """The step (publish, cancel) or problem that brings a live object to the life-cycle
        state the spec asks, for a kind that has one."""
        wanted, found = pair.desired, pair.live
        if kind.life_cycle is None or wanted is None or wanted.facts.lifecycle is None:
            return
        self.step(kind, wanted, found, wanted.facts.lifecycle)

    def step(self, kind: Kind, wanted: Resource, found: Resource | None, state: str) -> bool:
        """The life-cycle step from `found`'s status to `state` (an action, or a problem);
        False when the API cannot take it."""
        assert kind.life_cycle is not None
        step = kind.life_cycle(wanted.key.address, state, found.facts.status if found
                               else None)
        if step.problem:
            self.problems.append(step.problem)
            return False
        if step.verb is not None:
            action = Action(step.verb, wanted.key, (Change("state", step.before, step.after),),
                            id=found.id if found else None, marks=step.marks)
            self.add(LIFE_CYCLE_PHASES[step.verb], action, wanted.position, found)
        return True

    def remove(self, kind: Kind, pair: Pair) -> None:
        """A site-level object the spec marks `state: DELETED`: its life-cycle step first
        (a published event is cancelled), then its delete, last of all; nothing if it is
        gone already. Deleting cannot be undone; what has sold makes it risky."""
        wanted, found = pair.desired, pair.live
        if wanted is None or found is None:
            return
        if kind.verbs[1] not in kind.capabilities():
            self.problems.append(f"{wanted.key.address}: a {kind.noun} cannot be deleted "
                                 "through the API; delete it in the Wix dashboard")
            return
        if kind.life_cycle is None or self.step(kind, wanted, found, DELETED):
            self.delete(kind, found, None, wanted)

    def draft(self, kind: Kind, slug: str, event_id: str | None) -> None:
        """For a kind edited in a draft (the schedule): publish the changed draft, or discard
        it when that alone gives what the spec asks."""
        wish = self.desired.drafts.get((slug, kind.name))
        live = self.live.drafts.get((slug, kind.name))
        member_steps = [s for s in self.steps
                        if s[1].key.event == slug and s[1].key.kind == kind.name]
        if wish is None or not wish.publish or not (member_steps or (live and live.differs)):
            return
        key = ResourceKey(kind.draft_address, slug, "draft")
        desired_members = sorted(digest(r.data) for r in self.desired.of_kind(kind.name, slug))
        if member_steps and live is not None and list(live.published) == desired_members:
            for step in member_steps:
                self.steps.remove(step)
            self.add(Phase.DRAFT, Action(Verb.DISCARD, key, id=event_id,
                                         note="the published schedule already matches"))
        else:
            self.add(Phase.DRAFT, Action(Verb.PUBLISH, key, id=event_id))
        self.fingerprints[key.address] = live.fingerprint if live else ABSENT

    def build(self, target: str, sources: tuple[str, ...]) -> Plan:
        for kind in kinds.SITE_KINDS:
            pairs = compare(kind, self.desired.of_kind(kind.name), self.live.of_kind(kind.name))
            for pair in pairs:
                if pair.desired is None:
                    continue  # site-level objects the spec does not name are never touched
                if pair.desired.facts.lifecycle == DELETED:
                    self.remove(kind, pair)
                    continue
                self.resource(kind, pair, None)
                self.children(kind, pair)
                self.life_cycle(kind, pair)
        ordered = tuple(action for _, action in sorted(self.steps, key=lambda s: s[0]))
        return Plan(target, ordered, dict(sorted(self.fingerprints.items())),
                    tuple(self.problems), sources, time_zones(self.desired, self.live, ordered))


def time_zones(desired: State, live: State, actions: tuple[Action, ...]) -> dict[str, str]:
    """Event slug -> IANA zone id, for each event `actions` act on: the zone the spec gives
    it, else the one the site has (a spec may leave the dates out, or name a zone that does
    not exist). The views show the event's times in it; events without a valid zone are left
    out (their times show in UTC)."""
    found: dict[str, str] = {}
    for side in (desired, live):  # the spec first: its zone is the one the plan sets
        for event in side.of_kind(kinds.CONTAINER.name):
            zone = event_zone(event)
            for slug in (event.key.name, event.facts.found_for):
                if zone is not None and slug:
                    found.setdefault(slug, zone.key)
    acted_on = {kinds.event_of(action.key) for action in actions}
    return {slug: zone for slug, zone in sorted(found.items()) if slug in acted_on}


def _update_body(kind: Kind, wanted: Resource) -> dict[str, Any] | None:
    """What an update sends: the body less the fields a child kind changes through calls of
    its own (an event's ticket currency moves only with ChangeCurrency)."""
    body = wanted.body
    for child in kinds.children_of(kind):
        if child.in_parent_data and body is not None:
            body = without(body, child.section)
    return body


def _natural(found: Resource) -> str:
    """A live object's natural name: a duplicate's `NAME #2` is a copy of NAME."""
    return found.facts.duplicate_of or found.key.name


def sales_note(facts: Facts) -> str:
    """`20 sold, 30 left` for an object that has sold (`20 sold` when unlimited); "" else."""
    if not facts.sold:
        return ""
    left = f", {facts.left} left" if facts.left is not None else ""
    return f"{facts.sold} sold{left}"


def deletion_risk(facts: Facts) -> tuple[tuple[Mark, ...], str]:
    """The marks and note of deleting a live object with these facts: risky once it has sold."""
    return ((Mark.RISKY,), sales_note(facts)) if facts.sold else ((), "")


def _flat(kind: Kind, data: Any, prefix: str = "") -> dict[str, Any]:
    """An object's data as leaf fields (`location.address.city`), for the changes of a create
    or a delete; rich text as its plain text, lists of plain values whole."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if not prefix and key in kind.rich_keys and isinstance(value, dict):
            out[path] = to_plain(value)
        elif isinstance(value, dict):
            out.update(_flat(kind, value, f"{path}."))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for index, item in enumerate(value):
                out.update(_flat(kind, item, f"{path}[{index}].") if isinstance(item, dict)
                           else {f"{path}[{index}]": item})
        else:
            out[path] = value
    return out


def build_plan(desired: State, live: State, target: str, sources: tuple[str, ...] = ()
               ) -> Plan:
    """The plan that makes `live` match `desired` on `target`, made from `sources`."""
    return _Builder(desired, live).build(target, sources)
