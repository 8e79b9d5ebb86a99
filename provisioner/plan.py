"""Turn desired and live state into an ordered `Plan`, and save or load it as a plan file.

Every call of the plan must be able to succeed in order, so actions run in phases:

1. categories (created or renamed), then events (created or updated);
2. deletes and unassignments, in reverse table order (category unassignments, form controls,
   schedule items, policies, ticket definitions), which also frees names and the 3-policy
   limit for what follows;
3. updates, then creates, of children;
4. reorders (after the creates they refer to), then category assignments;
5. the schedule draft published or discarded, then events published, then cancelled.

Within a phase, actions follow the spec: events in spec order, kinds in table order, members
in list order (live order for deletes). The same inputs give the same plan, byte for byte.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from . import kinds
from .diff import Pair, compare
from .errors import ProvisionerError
from .kinds import Kind
from .model import (
    ASSIGN,
    CANCEL,
    DISCARD,
    FORMAT_VERSION,
    IRREVERSIBLE,
    PUBLISH,
    REORDER,
    RISKY,
    UPDATE,
    Action,
    Change,
    Plan,
    ResourceKey,
    State,
)
from .normalise import digest
from .spec.richtext import to_plain
from .spec.schema import schema_text
from .stale import collection_fingerprint

PUBLISHED_STATUSES = ("UPCOMING", "STARTED", "ENDED")
PLAN_SCHEMA = "plan.schema.json"
# phases, in the order they run
P_TOP, P_DELETE, P_UPDATE, P_CREATE, P_REORDER, P_ASSIGN, P_DRAFT, P_PUBLISH, \
    P_CANCEL = range(9)


class _Builder:
    def __init__(self, desired: State, live: State) -> None:
        self.desired, self.live = desired, live
        self.steps: list[tuple[tuple[Any, ...], Action]] = []
        self.problems: list[str] = []
        self.fingerprints: dict[str, str] = {}
        self.event_rank = {slug: i for i, slug in enumerate(desired.facts.get("events", ()))}
        self.kind_rank = {kind.name: i for i, kind in enumerate(kinds.KINDS)}

    def add(self, phase: int, action: Action, position: int = 0, touched: Any = None) -> None:
        kind_rank = self.kind_rank.get(action.key.kind, len(self.kind_rank))
        if phase == P_DELETE:
            kind_rank = -kind_rank  # children before what they hang on
        rank = (phase, self.event_rank.get(action.key.event, -1), kind_rank, position,
                action.key.name)
        self.steps.append((rank, action))
        if touched is not None and touched.fingerprint:
            self.fingerprints[action.address] = touched.fingerprint

    # --- resources -------------------------------------------------------------------------

    def resource(self, kind: Kind, pair: Pair, owned: bool, parent_id: str | None) -> None:
        wanted, found = pair.desired, pair.live
        if wanted is None and found is not None:
            if owned and found.key.name not in kind.permanent:
                self.delete(kind, found, parent_id)
            return
        assert wanted is not None
        if found is None:
            if wanted.info.get("existing"):
                self.problems.append(
                    f"{wanted.key.address} is marked `existing: true` but the site has no "
                    f"{kind.noun} of that name: create it in the dashboard or drop `existing`")
                return
            verb = kind.verbs[0]
            changes = tuple(Change(path, None, value)
                            for path, value in _flat(kind, wanted.data).items())
            phase = P_TOP if kind.parent is None else P_ASSIGN if verb == ASSIGN else P_CREATE
            # a kind that lists new members first is created last-to-first, so the new block
            # lands in the spec's order
            position = -wanted.position if kind.new_first else wanted.position
            self.add(phase, Action(verb, wanted.key, changes, body=wanted.body,
                                   parent_id=parent_id), position)
            self.fingerprints.setdefault(wanted.key.address, "absent")
            return
        changes = pair.changes
        if found.key.name != wanted.key.name and not kind.name_in_data:
            # the name is not part of the data (an event's slug): report the rename itself
            changes = (Change("slug", found.key.name, wanted.key.name), *changes)
        changes = self._immutable(kind, wanted.key, changes)
        if not changes or wanted.info.get("existing"):
            return
        phase = P_TOP if kind.parent is None else P_UPDATE
        self.add(phase, Action(UPDATE, wanted.key, changes, body=wanted.body, id=found.id,
                               parent_id=parent_id), wanted.position, found)

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

    def delete(self, kind: Kind, found: Any, parent_id: str | None) -> None:
        verb = kind.verbs[1]
        marks, note = deletion_risk(found.info)
        changes = tuple(Change(path, value, None)
                        for path, value in _flat(kind, found.data).items())
        self.add(P_DELETE, Action(verb, found.key, changes, id=found.id, parent_id=parent_id,
                                  marks=marks, note=note), found.position, found)

    # --- collections -----------------------------------------------------------------------

    def collection(self, kind: Kind, slug: str, pairs: list[Pair], parent_id: str | None
                   ) -> None:
        owned = kind.parent is not None
        for pair in pairs:
            self.resource(kind, pair, owned, parent_id)
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
        if len(wanted) < 2 or expected == wanted:
            return
        key = ResourceKey(kind.name, slug, "*")
        self.add(P_REORDER, Action(REORDER, key, order=tuple(wanted),
                                   previous_order=tuple(expected), parent_id=parent_id))
        deleted = {p.live.id for p in pairs if p.live and not p.desired
                   and p.live.key.name not in kind.permanent and p.live.id}
        self.fingerprints[key.address] = collection_fingerprint(self.live, kind.name, slug,
                                                                deleted)

    # --- event life cycle ------------------------------------------------------------------

    def life_cycle(self, slug: str, live_event: Any) -> None:
        wanted = self.desired.resources[ResourceKey(kinds.EVENT.name, "", slug)]
        state = wanted.info["state"]
        status = live_event.info.get("status") if live_event else None
        key, event_id = wanted.key, live_event.id if live_event else None
        live_state = ("CANCELED" if status == "CANCELED" else "PUBLISHED"
                      if status in PUBLISHED_STATUSES else "DRAFT")
        if state == live_state:
            return
        if live_state == "CANCELED":
            self.problems.append(f"{key.address} is cancelled on the site, and a cancelled "
                                 f"event cannot become {state}; give the spec a new slug")
        elif state == "DRAFT":
            self.problems.append(f"{key.address} is published on the site and cannot return "
                                 "to draft; set `state: PUBLISHED` (or CANCELED)")
        elif state == "CANCELED" and live_state == "DRAFT":
            self.problems.append(f"{key.address} is a draft on the site; a draft cannot be "
                                 "cancelled: publish it first (state: PUBLISHED)")
        else:
            verb, phase = (PUBLISH, P_PUBLISH) if state == "PUBLISHED" else (CANCEL, P_CANCEL)
            # cancelling turns guests away: apply refuses it unless explicitly allowed
            marks = (IRREVERSIBLE,) if verb == PUBLISH else (IRREVERSIBLE, RISKY)
            action = Action(verb, key, (Change("state", live_state, state),), id=event_id,
                            marks=marks)
            self.add(phase, action, wanted.position, live_event)

    def draft(self, kind: Kind, slug: str, event_id: str | None) -> None:
        """For a kind edited in a draft (the schedule): publish the changed draft, or discard
        it when that alone gives what the spec asks."""
        wanted = self.desired.resources[ResourceKey(kinds.EVENT.name, "", slug)]
        member_steps = [s for s in self.steps
                        if s[1].key.event == slug and s[1].key.kind == kind.name]
        differs = self.live.facts.get(f"{kind.name}:differs:{slug}", False)
        if not wanted.info["schedule_published"] or not (member_steps or differs):
            return
        key = ResourceKey(kind.draft_address, slug, "draft")
        published = self.live.facts.get(f"{kind.name}:published:{slug}")
        desired_members = sorted(digest(r.data) for r in self.desired.of_kind(kind.name, slug))
        if member_steps and published is not None and list(published) == desired_members:
            for step in member_steps:
                self.steps.remove(step)
            self.add(P_DRAFT, Action(DISCARD, key, id=event_id,
                                     note="the published schedule already matches"))
        else:
            self.add(P_DRAFT, Action(PUBLISH, key, id=event_id))
        self.fingerprints[key.address] = self.live.facts.get(
            f"{kind.name}:fingerprint:{slug}", "absent")

    def build(self, target: str, sources: tuple[str, ...]) -> Plan:
        self.collection(kinds.CATEGORY, "", compare(
            kinds.CATEGORY, self.desired.of_kind(kinds.CATEGORY.name),
            self.live.of_kind(kinds.CATEGORY.name)), None)
        event_pairs = compare(kinds.EVENT, self.desired.of_kind(kinds.EVENT.name),
                              self.live.of_kind(kinds.EVENT.name))
        for pair in event_pairs:
            if pair.desired is None:
                continue  # events the spec does not name are never touched
            slug = pair.desired.key.name
            event_id = pair.live.id if pair.live else None
            self.resource(kinds.EVENT, pair, False, None)
            for kind in kinds.CHILD_KINDS:
                if (slug, kind.name) not in self.desired.orders:
                    continue  # an omitted collection is left alone
                self.collection(kind, slug, compare(
                    kind, self.desired.of_kind(kind.name, slug),
                    self.live.of_kind(kind.name, slug)), event_id)
                if kind.drafted:
                    self.draft(kind, slug, event_id)
            self.life_cycle(slug, pair.live)
        ordered = tuple(action for _, action in sorted(self.steps, key=lambda s: s[0]))
        return Plan(target, ordered, dict(sorted(self.fingerprints.items())),
                    tuple(self.problems), sources)


def deletion_risk(info: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """The marks and note of deleting a live object with these facts: risky once it has sold."""
    sold = info.get("sold")
    return ((RISKY,), f"{sold} sold") if sold else ((), "")


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
    return _Builder(desired, live).build(target, sources)


# --- plan files ---------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The versioned JSON form of a plan (docs/plan-format.md, schemas/plan.schema.json)."""
    return {
        "format_version": FORMAT_VERSION,
        "target": plan.target,
        "sources": list(plan.sources),
        "summary": plan.counts(),
        "problems": list(plan.problems),
        "actions": [_action_json(a) for a in plan.actions],
        "fingerprints": plan.fingerprints,
    }


def _action_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": action.verb,
        "address": action.address,
        "kind": action.key.kind,
        "event": (action.key.name if action.key.kind == kinds.EVENT.name
                  else action.key.event or None),
        "name": action.key.name,
        "id": action.id,
        "parent_id": action.parent_id,
        "marks": list(action.marks),
        "note": action.note,
        "changes": [{"path": c.path, "old": c.old, "new": c.new} for c in action.changes],
        "body": action.body,
    }
    if action.verb == REORDER:
        out["order"] = list(action.order)
        out["previous_order"] = list(action.previous_order)
    return out


def plan_from_json(data: Any, source: str) -> Plan:
    """A plan read back from its JSON form, checked against schemas/plan.schema.json; a clear
    error for anything else."""
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ProvisionerError(f"{source}: not a plan file of format version {FORMAT_VERSION}; "
                               "make a new one with `provisioner plan --out FILE`")
    error = next(iter(_plan_validator().iter_errors(data)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise ProvisionerError(f"{source}: the plan file is damaged at {where} "
                               f"({error.message}); make a new one with "
                               "`provisioner plan --out FILE`")
    actions = tuple(
        Action(a["action"], ResourceKey(a["kind"], "" if a["kind"] == kinds.EVENT.name
                                        else a["event"] or "", a["name"]),
               tuple(Change(c["path"], c["old"], c["new"]) for c in a["changes"]),
               body=a["body"], id=a["id"], parent_id=a["parent_id"],
               marks=tuple(a["marks"]), note=a["note"], order=tuple(a.get("order", ())),
               previous_order=tuple(a.get("previous_order", ())))
        for a in data["actions"])
    return Plan(data["target"], actions, dict(data["fingerprints"]),
                tuple(data["problems"]), tuple(data["sources"]))


@functools.cache
def _plan_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text(PLAN_SCHEMA)))


def save_plan(plan: Plan, path: Path) -> None:
    text = json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False, sort_keys=False)
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise ProvisionerError(f"cannot write the plan to {path}: {error.strerror}") from None
