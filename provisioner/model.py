"""The values every stage passes along: the closed set of action verbs (`Verb`) and marks
(`Mark`), a resource's address (`ResourceKey`), what the plan knows of an object but never
compares (`Facts`), how a drafted collection stands (`Draft`), a resource in comparable
form (`Resource`), a whole side of the comparison (`State`), one field change (`Change`), one
step of a plan (`Action`) and the plan itself (`Plan`).

This module is the shared vocabulary of every layer and imports nothing from the rest of the
package; it names no kind (see `provisioner.kinds` for those) beyond the `event[...]` prefix
of the address format that plan files carry.

Desired (from the spec) and live (from the API) are both a `State` of `Resource`s keyed by
`ResourceKey`, so the diff compares like with like. All values are frozen; a `Plan` prints,
serialises and applies exactly as it was built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verb(StrEnum):
    """The closed set of actions. Each one's before/after meaning is documented in
    docs/plan-format.md; the declaration order is also their display order within a phase.
    A `StrEnum`, so a verb is written to JSON and compared with text as its plain name."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REORDER = "reorder"
    PUBLISH = "publish"
    DISCARD = "discard"
    CANCEL = "cancel"
    ASSIGN = "assign"
    UNASSIGN = "unassign"


VERBS: tuple[Verb, ...] = tuple(Verb)
REMOVALS = (Verb.DELETE, Verb.UNASSIGN)  # verbs that take an object off the site


class Mark(StrEnum):
    """What an action's title warns of."""

    IRREVERSIBLE = "irreversible"  # cannot be undone by another plan (publish, cancel)
    RISKY = "risky"  # loses money or guests; apply refuses it unless explicitly allowed


FORMAT_VERSION = 1
ABSENT = "absent"  # the fingerprint of an object that does not exist (yet)

# The flag that lets apply run a risky action of each kind.
ALLOW_CANCEL = "--allow-cancel"
ALLOW_SOLD_DELETE = "--allow-delete-sold"


def allow_flag(action: Action) -> str:
    """The apply flag a risky action needs: cancelling an event, or deleting what has sold."""
    return ALLOW_CANCEL if action.verb == Verb.CANCEL else ALLOW_SOLD_DELETE


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
        return f"event[{self.event}].{own}" if self.event else own


@dataclass(frozen=True)
class Facts:
    """What the plan knows of one object and shows or decides by, but never compares.

    Each field applies to some kinds only (the kind's hooks in `provisioner.kinds` fill them
    in); the defaults mean "nothing to say".
    """

    sold: int = 0  # live: tickets sold (a ticket definition)
    left: int | None = None  # live: tickets left to sell; None when unlimited
    existing: bool = False  # desired: made outside this tool, never created by it (a category)
    lifecycle: str | None = None  # desired: the state the spec asks (DRAFT/PUBLISHED/CANCELED)
    status: str | None = None  # live: the status the site reports (an event)
    found_for: str | None = None  # live: the desired name it was matched to under another one
    # (an event found by a former slug or a pinned id)
    duplicate_of: str | None = None  # live: another object of its collection has the same
    # natural name and is the one kept; this copy goes by that name plus `#N`


@dataclass(frozen=True)
class Draft:
    """One drafted collection (an event's schedule). Desired side: `publish`, whether the
    spec wants its edits published. Live side: the content digests of its published copies,
    whether the draft copies differ from them, and a version of both together (the
    fingerprint of a draft's publish or discard); `published_raw`, the published copies as the
    site sent them (the draft copies are the collection's resources)."""

    publish: bool = True
    published: tuple[str, ...] = ()
    differs: bool = False
    fingerprint: str = ABSENT
    published_raw: tuple[dict[str, Any], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Resource:
    """One object in comparable form.

    `data` is normalised (see `normalise`): the same value reads the same on both sides.
    `body` is what a create or update would send (desired side only). `id` is the live id
    (live side, or a pinned id on the desired side). `fingerprint` identifies the live version
    (revision, else updatedDate, else a content hash). `facts` holds what the plan shows but
    never compares, such as a ticket definition's sold count or an event's status. `raw` is
    the live object as the site sent it (live side), for what reads more than the comparable
    data (`export` lists the fields a spec cannot hold).
    """

    key: ResourceKey
    data: dict[str, Any]
    body: dict[str, Any] | None = None
    id: str | None = None
    fingerprint: str | None = None
    parent_id: str | None = None
    former_names: tuple[str, ...] = ()
    position: int = 0
    facts: Facts = Facts()
    raw: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass
class State:
    """Every resource of one side, by key, plus what belongs to no single resource: the
    events in spec order (desired) or matched (live), each listed collection's display order,
    and how each drafted collection stands (live)."""

    resources: dict[ResourceKey, Resource] = field(default_factory=dict)
    # (event slug, kind) -> the collection's names in display order; only for listed ones
    orders: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    # (event slug, drafted kind) -> its draft: to be published (desired), how it stands (live)
    drafts: dict[tuple[str, str], Draft] = field(default_factory=dict)
    # (kind, event slug) -> keys, so a collection is found without a scan of the whole state
    _index: dict[tuple[str, str], list[ResourceKey]] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        # short on purpose: asyncio puts a finished task's result in the task's repr when
        # `asyncio.run` ends, and a fleet's whole state takes a tenth of a second to print
        return (f"State({len(self.resources)} resources, {len(self.events)} events, "
                f"{len(self.orders)} collections)")

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

    verb: Verb
    key: ResourceKey
    changes: tuple[Change, ...] = ()
    body: dict[str, Any] | None = None
    id: str | None = None
    parent_id: str | None = None
    marks: tuple[Mark, ...] = ()
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
    applied. `time_zones` maps the slug of each event the plan acts on to its IANA time zone
    id, so the views can show its times as the organiser reads them; only for display (the
    actions always carry UTC instants), and empty for a plan file written before it existed.
    """

    target: str
    actions: tuple[Action, ...]
    fingerprints: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    time_zones: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # short on purpose, as State's: a plan is what `asyncio.run` returns
        return (f"Plan({self.target!r}, {len(self.actions)} actions, "
                f"{len(self.problems)} problems)")

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def counts(self) -> dict[str, int]:
        """How many actions of each verb, every verb present (zeros included)."""
        counts: dict[str, int] = dict.fromkeys(VERBS, 0)
        for action in self.actions:
            counts[action.verb] += 1
        return counts
