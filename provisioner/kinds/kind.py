"""What a row of the kinds table says: `Kind` (where a kind sits in a spec, how it is shaped,
named, read, written and what it can do) and `Reader` (how its live objects are read).

The engine (`plan`, `apply`) is written once over these fields and hooks; nothing outside
`provisioner.kinds` names a kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model import Facts, Mark, Resource, State, Verb
from . import bodies, exports
from .writer import Writer


@dataclass(frozen=True)
class Reader:
    """How a kind's live objects are read, many parents or names at a time.

    A POST query (`path` ending in `/query`) filters with `$in` over `by`: for a kind inside
    an event, `("eventId",)`, the ids of its events; for a site-level kind, its natural key
    field and then `"id"` (pinned ids); `by=()` reads the whole collection. With `listing`, a
    GET list taking the event ids as repeated `eventId` parameters (offset-paged) instead.
    `extra` are more body keys (query) or parameters (listing). Queries page by offset
    (`paging {limit, offset}`, which Wix's QueryV2 takes beside cursors): only offsets let a
    read ask for every page at once."""

    path: str
    items_key: str
    metadata_key: str = "pagingMetadata"
    extra: tuple[tuple[str, Any], ...] = ()
    listing: bool = False
    by: tuple[str, ...] = ("eventId",)


@dataclass(frozen=True)
class Transition:
    """What takes a live object from its status to the life-cycle state the spec asks:
    `before` (the live state in the spec's terms), and either a `verb` with its `marks` and
    the state it leads to (`after`) or a `problem` (a step the API cannot take); neither when
    nothing is to be done."""

    before: str
    verb: Verb | None = None
    marks: tuple[Mark, ...] = ()
    problem: str = ""
    after: str = ""


SpecHook = Callable[[Any, dict[str, Any]], Any]  # (spec object, its event or itself) -> ...
LiveHook = Callable[[dict[str, Any]], Any]
# (address, the state the spec asks, the status the site reports, None if not made yet)
LifeCycleHook = Callable[[str, str, str | None], Transition]


def _no_facts(source: Any) -> Facts:
    return Facts()


@dataclass(frozen=True, eq=False)  # a row is itself: compared and hashed by identity
class Kind:
    """One kind of resource: a row of the table.

    Where it sits and what it is called:
    - `name`: the kind in addresses and plan files; `noun`/`plural`: what people read;
    - `parent`: the kind it lives inside (None: site level); `section`: the keys leading to
      its objects inside the parent's spec object (the document, for a site-level kind); a
      spec object that leaves a child section out leaves that live collection alone;
    - `count_key`: its key in `validate --json`'s counts (None: not counted).

    How it is compared:
    - `schema`: the spec schema's `$defs` entry its data is shaped by; `drop`: keys of that
      entry that are identity or sub-collections, not data; `rich_keys`: rich-text fields;
    - `ordered`: the collection keeps a display order (reorder actions); `new_first`: Wix
      lists a new member first until reordered; `permanent`: members never deleted or moved;
    - `partial`: only the fields the spec states are compared; `immutable`: fields that
      cannot change once the object exists (a change is a plan problem);
    - `name_in_data`: False when a rename is its own change (an event's slug);
    - `fingerprint`: the live field that versions an object (else a content hash).

    Hooks (kind-specific translation lives here, never in the engine):
    - `spec_body(obj, event)`: what create/update sends; `spec_view` what is compared
      (default: the body); `spec_facts(obj)`: what the plan decides by (`Facts`);
    - `live_view(raw)`: a live object in the spec's shape (None: not ours to manage);
      `name_of(view)`: its natural name; `tiebreak(view)`: what tells apart members that
      share a name; `live_facts(raw)`: what the plan shows of it (sales, status);
    - `reader`: how its objects are read on their own; `live_objects(raw parent)`: for kinds
      read with their parent (form controls come with their event);
    - `drafted`: live copies come as draft and published (`draft: true|false`); edits go to
      the draft, which is published (or discarded) as `draft_address` (`schedule`);
      `draft_flag`: the keys of the spec's "publish the draft" flag inside the parent;
    - `life_cycle(address, wanted, status)`: the verb (publish, cancel) or problem that
      takes a live object from its status to the state the spec asks;
    - `update_problems(address, desired data, live object, live state)`: updates the API
      would refuse (a ticket limit below what has sold, a currency locked by sales), as plan
      problems;
    - `in_parent_data`: its value is a field of the parent's own data (an event's ticket
      currency, at `section`): compared here instead of with the parent, sent in the
      parent's create body (so a new parent needs no action for it), and never a child
      section of the spec;
    - `bumps`: the kind whose every member in the event gets a new revision when this one
      changes (a currency change rewrites each ticket definition): that kind's writes wait
      for it, and apply takes the new revisions before they go out;
    - `recheck_before_delete`: its sales are read again right before a delete, so a sale
      since the plan's read is caught (the window is one round trip);
    - `refers_to`: the site-level kind it names (a category assignment names a category);
    - `verbs`: what making and removing one is called (`create`/`delete`, `assign`/...);
    - `writer`: the API calls that change it (see `writer`); `body_view(body)`: the compared
      view of a body (so apply can check a write landed).

    Export (a live site written as a spec):
    - `spec_of(live resource, its event's resource)`: the object as a spec writes it (the
      inverse of `spec_body`); for a `partial` kind, the value at its `section`;
    - `server_fields`: fields of a live object the site fills in, which a spec never holds
      (names anywhere in the object, or dotted paths from its top); any other field the spec
      schema does not declare is reported as one a spec cannot express. None: not checked
      (the live view is built field by field, as a form control's is);
    - `copy_section`: its section in a site copy (the `wix-events-site` document the local
      sandbox imports, for `sandbox pull`); None for a kind that comes with its parent.
    """

    name: str
    noun: str
    plural: str
    schema: str
    section: tuple[str, ...]
    parent: str | None = "event"
    count_key: str | None = None
    drop: tuple[str, ...] = ("renamed_from", "id")
    ordered: bool = False
    partial: bool = False
    new_first: bool = False
    permanent: tuple[str, ...] = ()
    rich_keys: tuple[str, ...] = ()
    immutable: tuple[str, ...] = ()
    name_in_data: bool = True
    verbs: tuple[Verb, Verb] = (Verb.CREATE, Verb.DELETE)
    fingerprint: str | None = None
    spec_body: SpecHook = lambda obj, event: bodies.plain_body(obj)
    spec_view: SpecHook | None = None
    spec_facts: Callable[[Any], Facts] = _no_facts
    live_view: LiveHook = lambda raw: raw
    name_of: LiveHook = lambda view: view.get("name")
    tiebreak: LiveHook | None = None
    live_facts: Callable[[dict[str, Any]], Facts] = _no_facts
    reader: Reader | None = None
    live_objects: LiveHook | None = None
    drafted: bool = False
    draft_address: str = ""
    draft_flag: tuple[str, ...] = ()
    life_cycle: LifeCycleHook | None = None
    update_problems: Callable[[str, dict[str, Any], Resource, State], list[str]] | None = None
    recheck_before_delete: bool = False
    in_parent_data: bool = False
    bumps: str | None = None
    refers_to: str | None = None
    writer: Writer | None = None
    body_view: Callable[[dict[str, Any]], Any] = lambda body: body
    spec_of: Callable[[Resource, Resource | None], Any] = exports.plain_spec
    server_fields: tuple[str, ...] | None = ("id", "createdDate", "updatedDate", "revision",
                                             "eventId")
    copy_section: str | None = None

    @property
    def site_level(self) -> bool:
        return self.parent is None

    @property
    def owned(self) -> bool:
        """Whether a live member the spec does not list is deleted: children of a listed
        parent are; site-level objects the spec does not name are never touched."""
        return self.parent is not None

    def capabilities(self) -> frozenset[Verb]:
        """The verbs an action on this kind may carry, read off its writer."""
        writer = self.writer
        if writer is None:
            return frozenset()
        make, remove = self.verbs
        can = {make: writer.create, remove: writer.delete, Verb.UPDATE: writer.update,
               Verb.REORDER: writer.move if self.ordered else None,
               Verb.PUBLISH: writer.publish, Verb.CANCEL: writer.cancel}
        return frozenset(verb for verb, hook in can.items() if hook is not None)

    def draft_capabilities(self) -> frozenset[Verb]:
        """The verbs an action on this kind's draft (`draft_address`) may carry."""
        writer = self.writer
        if not self.drafted or writer is None:
            return frozenset()
        can = {Verb.PUBLISH: writer.publish_draft, Verb.DISCARD: writer.discard_draft}
        return frozenset(verb for verb, hook in can.items() if hook is not None)

    def names(self, views: list[Any]) -> list[str]:
        """Each view's name in a plan; `name @ tiebreak` where members share a name but not
        a tiebreak (copies alike in both keep the plain name: they are duplicates)."""
        plain = [str(self.name_of(v)) for v in views]
        if self.tiebreak is None:
            return plain
        breaks = [str(self.tiebreak(view)) for view in views]
        told: dict[str, set[str]] = {}
        for name, tiebreak in zip(plain, breaks, strict=True):
            told.setdefault(name, set()).add(tiebreak)
        return [name if len(told[name]) == 1 else f"{name} @ {tiebreak}"
                for name, tiebreak in zip(plain, breaks, strict=True)]

    def view_of_spec(self, obj: Any, event: dict[str, Any]) -> Any:
        return (self.spec_view or self.spec_body)(obj, event)
