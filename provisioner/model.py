"""The values every stage passes along: a resource's address (`ResourceKey`), a resource in
comparable form (`Resource`), a whole side of the comparison (`State`), one field change
(`Change`), one step of a plan (`Action`) and the plan itself (`Plan`).

Desired (from the spec) and live (from the API) are both a `State` of `Resource`s keyed by
`ResourceKey`, so the diff compares like with like. All values are frozen; a `Plan` prints,
serialises and applies exactly as it was built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The closed set of actions. Each one's before/after meaning is documented in
# docs/plan-format.md; `VERBS` is also their display order within a phase.
CREATE, UPDATE, DELETE, REORDER = "create", "update", "delete", "reorder"
PUBLISH, DISCARD, CANCEL = "publish", "discard", "cancel"
ASSIGN, UNASSIGN = "assign", "unassign"
VERBS = (CREATE, UPDATE, DELETE, REORDER, PUBLISH, DISCARD, CANCEL, ASSIGN, UNASSIGN)

# Marks an action may carry.
IRREVERSIBLE = "irreversible"  # cannot be undone by another plan (publish, cancel)
RISKY = "risky"  # loses money or guests; apply refuses it unless explicitly allowed

FORMAT_VERSION = 1

# The flag that lets apply run a risky action of each kind.
ALLOW_CANCEL = "--allow-cancel"
ALLOW_SOLD_DELETE = "--allow-delete-sold"


def allow_flag(action: Action) -> str:
    """The apply flag a risky action needs: cancelling an event, or deleting what has sold."""
    return ALLOW_CANCEL if action.verb == CANCEL else ALLOW_SOLD_DELETE


@dataclass(frozen=True, order=True)
class ResourceKey:
    """Where a resource lives: its kind, the slug of its event ("" for site-level kinds and for
    events themselves) and its natural name within that scope."""

    kind: str
    event: str
    name: str

    @property
    def address(self) -> str:
        """`event[devcon-2025].ticket[Early Bird]`: stable, readable, unique in a plan."""
        own = f"{self.kind}[{self.name}]"
        if self.kind == "event" or not self.event:
            return own
        return f"event[{self.event}].{own}"


@dataclass(frozen=True)
class Resource:
    """One object in comparable form.

    `data` is normalised (see `normalise`): the same value reads the same on both sides.
    `body` is what a create or update would send (desired side only). `id` is the live id
    (live side, or a pinned id on the desired side). `fingerprint` identifies the live version
    (revision, else updatedDate, else a content hash). `info` holds facts the plan shows but
    never compares, such as a ticket definition's sold count or an event's status.
    """

    key: ResourceKey
    data: dict[str, Any]
    body: dict[str, Any] | None = None
    id: str | None = None
    fingerprint: str | None = None
    parent_id: str | None = None
    former_names: tuple[str, ...] = ()
    position: int = 0
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class State:
    """Every resource of one side, by key, plus facts about whole collections (schedule
    draft status, event status) that belong to no single resource."""

    resources: dict[ResourceKey, Resource] = field(default_factory=dict)
    # (event slug, kind) -> the collection's names in display order; only for listed ones
    orders: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    # (kind, event slug) -> keys, so a collection is found without a scan of the whole state
    _index: dict[tuple[str, str], list[ResourceKey]] = field(default_factory=dict, repr=False)

    def add(self, resource: Resource) -> None:
        if resource.key not in self.resources:
            self._index.setdefault((resource.key.kind, resource.key.event), []).append(
                resource.key)
        self.resources[resource.key] = resource

    def of_kind(self, kind: str, event: str | None = None) -> list[Resource]:
        """Resources of `kind` (within `event` when given), in position order."""
        if event is not None:
            groups = [self._index.get((kind, event), [])]
        else:
            groups = [keys for (k, _), keys in self._index.items() if k == kind]
        found = [self.resources[key] for keys in groups for key in keys]
        return sorted(found, key=lambda r: (r.key.event, r.position, r.key.name))


@dataclass(frozen=True)
class Change:
    """One field that differs: its dotted path, the live value and the desired one. `None`
    stands for "absent" (the API default)."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Action:
    """One step of a plan. `key` names the resource (for `reorder`, the collection's first
    member's event and the collection kind, with name "*"); `changes` lists field changes for
    an update (every desired field for a create, every live field for a delete); `body` is
    what apply sends; `order` is the desired display order for a reorder."""

    verb: str
    key: ResourceKey
    changes: tuple[Change, ...] = ()
    body: dict[str, Any] | None = None
    id: str | None = None
    parent_id: str | None = None
    marks: tuple[str, ...] = ()
    note: str = ""
    order: tuple[str, ...] = ()
    previous_order: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        return self.key.address


@dataclass(frozen=True)
class Plan:
    """An ordered list of actions, ready to print or apply.

    `fingerprints` maps the address of every live object the plan touches to its version, so
    apply can refuse a plan made against a site that has since moved. `problems` are changes
    the API cannot make (an event's registration type, say); a plan with problems cannot be
    applied.
    """

    target: str
    actions: tuple[Action, ...]
    fingerprints: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def counts(self) -> dict[str, int]:
        """How many actions of each verb, every verb present (zeros included)."""
        counts = dict.fromkeys(VERBS, 0)
        for action in self.actions:
            counts[action.verb] += 1
        return counts
