"""The table of resource kinds: the only module that names a kind.

Each `Kind` row says where the kind sits in a spec, how it is shaped for comparison, how it is
named, which order it keeps and how its live objects are found; `live`, `desired`, `diff` and
`plan` are written once over this table. Kind-specific translation lives in the named hooks of
each row (`spec_body`, `live_view`, `name_of`, `live_objects`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import form_controls, writes, writes_children
from .normalise import instant
from .spec import wire


@dataclass(frozen=True)
class Reader:
    """How a child kind is read for many events at once: a POST query with `eventId $in`
    (cursor-paged), or, with `listing`, a GET list taking repeated `eventId` parameters
    (offset-paged) plus fixed `params`."""

    path: str
    items_key: str
    metadata_key: str = "pagingMetadata"
    extra: tuple[tuple[str, Any], ...] = ()  # more body keys (query) or params (listing)
    listing: bool = False


SpecHook = Callable[[dict[str, Any], dict[str, Any]], Any]  # (spec object, its event) -> ...
LiveHook = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Kind:
    """One kind of resource.

    - `section`: where its objects sit inside an event spec (empty for site-level kinds);
      an event that leaves the section out leaves the live collection alone.
    - `schema`: the `$defs` entry its data is shaped by; `drop`: keys of that entry that are
      identity or sub-collections, not data.
    - `ordered`: the collection has a display order the plan keeps (with a reorder action).
    - `partial`: only the fields the spec states are compared (texts with server defaults).
    - `fingerprint`: the live field that versions an object (else its content hash).
    - `spec_body(obj, event)`: what create/update sends; `spec_view` what is compared (default:
      the body); `live_view(raw)`: a live object in the spec's shape; `name_of(view)`: its
      natural name; `live_objects(raw_event)`: for kinds read with their event.
    - `writer`: how apply creates, updates, deletes, moves and finds one (`writes`);
      `body_view(body)`: the compared view of a body (so apply can check a write landed).
    """

    name: str
    noun: str
    schema: str
    section: tuple[str, ...] = ()
    parent: str | None = "event"
    drop: tuple[str, ...] = ("renamed_from", "id")
    ordered: bool = False
    partial: bool = False
    new_first: bool = False  # a new member is listed first until reordered (policies)
    permanent: tuple[str, ...] = ()  # never deleted, never moved (the system form controls)
    rich_keys: tuple[str, ...] = ()
    immutable: tuple[str, ...] = ()  # fields that cannot change once the object exists
    computed: tuple[str, ...] = ()  # filled in by Wix when the spec says nothing: compared
    # only when the spec states them
    name_in_data: bool = True  # False: a rename is reported as its own change (event slug)
    verbs: tuple[str, str] = ("create", "delete")  # what making / removing one is called
    fingerprint: str | None = None
    spec_body: SpecHook = lambda obj, event: wire._data(obj)
    spec_view: SpecHook | None = None
    live_view: LiveHook = lambda raw: raw
    name_of: LiveHook = lambda view: view.get("name")
    live_objects: LiveHook | None = None
    reader: Reader | None = None  # read on its own, for all events at once
    drafted: bool = False  # live copies come as draft and published (`draft: true|false`)
    tiebreak: LiveHook | None = None  # told apart by this when names repeat
    info_of: LiveHook = lambda raw: {}
    writer: writes.Writer | None = None  # the API calls that change it (see `writes`)
    draft_address: str = ""  # for a drafted kind, the plan's address kind for its draft
    refers_to: str | None = None  # a reference by name to another kind (assignments)
    body_view: Callable[[dict[str, Any]], Any] = lambda body: body  # a body as compared

    def names(self, views: list[Any]) -> list[str]:
        """Each view's name in a plan; `name @ tiebreak` where a name repeats."""
        plain = [str(self.name_of(v)) for v in views]
        if self.tiebreak is None:
            return plain
        return [name if plain.count(name) == 1 else f"{name} @ {self.tiebreak(view)}"
                for name, view in zip(plain, views, strict=True)]

    def view_of_spec(self, obj: dict[str, Any], event: dict[str, Any]) -> Any:
        return (self.spec_view or self.spec_body)(obj, event)


def _control_view(obj: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    return form_controls.comparable(wire.control_body(obj))


def _live_control(raw: dict[str, Any]) -> dict[str, Any] | None:
    view = form_controls.spec_view(raw)
    return form_controls.comparable(view) if view is not None else None


def _form(raw_event: dict[str, Any]) -> dict[str, Any]:
    form = raw_event.get("form")
    return form if isinstance(form, dict) else {}


def _controls(raw_event: dict[str, Any]) -> list[dict[str, Any]]:
    controls = _form(raw_event).get("controls")
    return [c for c in controls if isinstance(c, dict) and not c.get("deleted")] \
        if isinstance(controls, list) else []


def _messages(raw_event: dict[str, Any]) -> list[dict[str, Any]]:
    messages = _form(raw_event).get("messages")
    return [{"messages": messages}] if isinstance(messages, dict) else []


def _assignments(raw_event: dict[str, Any]) -> list[dict[str, Any]]:
    holder = raw_event.get("categories")
    found = holder.get("categories") if isinstance(holder, dict) else None
    # only manual assignments are the user's to make; Wix keeps others (e.g. widget
    # components) itself
    return [c for c in found or [] if isinstance(c, dict) and c.get("type", "MANUAL") == "MANUAL"]


def _sales(raw: dict[str, Any]) -> dict[str, Any]:
    sold = (raw.get("salesDetails") or {}).get("soldCount")
    return {"sold": sold} if sold else {}


CATEGORY = Kind("category", "category", "category", parent=None, drop=("renamed_from", "id",
                "existing"), spec_body=lambda obj, event: wire.category_body(obj),
                writer=writes.CATEGORY)
EVENT = Kind(
    "event", "event", "event", parent=None,
    drop=("renamed_from", "id", *wire.EVENT_CHILD_KEYS),
    rich_keys=("description",), immutable=("registration.initialType",), name_in_data=False,
    # the site's currency when an event with only free tickets names none
    computed=("registration.tickets.currency",),
    spec_body=lambda obj, event: wire.event_body(obj),
    name_of=lambda view: view.get("slug"), writer=writes.EVENT,
)
TICKET = Kind(
    "ticket", "ticket definition", "ticket", section=("tickets",), ordered=True,
    fingerprint="revision", spec_body=wire.ticket_body, info_of=_sales,
    reader=Reader("/events/v3/ticket-definitions/query", "ticketDefinitions",
                  extra=(("fields", ["SALES_DETAILS"]),)), writer=writes_children.TICKET,
)
POLICY = Kind(
    "policy", "policy", "policy", section=("policies",), ordered=True, fingerprint="revision",
    new_first=True, reader=Reader("/events/v2/policies/query", "policies", "metadata"),
    spec_body=lambda obj, event: wire.policy_body(obj), writer=writes_children.POLICY,
)
SCHEDULE_ITEM = Kind(
    "scheduleItem", "schedule item", "scheduleItem", section=("schedule", "items"),
    fingerprint="updatedDate", spec_body=wire.schedule_item_body,
    tiebreak=lambda view: instant(view["timeSlot"]["start"]),
    # the one call that takes many events and returns draft copies (Query takes no `$in`)
    reader=Reader("/events/v1/schedule", "items", listing=True, extra=(
        ("state", ["PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN"]),)),
    drafted=True, draft_address="schedule", writer=writes_children.SCHEDULE_ITEM,
)
FORM_CONTROL = Kind(
    "formControl", "form control", "formControl", section=("form", "controls"), ordered=True,
    permanent=("(name)", "(email)"),
    spec_body=lambda obj, event: wire.control_body(obj), spec_view=_control_view,
    live_view=_live_control, name_of=form_controls.identity_name, live_objects=_controls,
    writer=writes_children.FORM_CONTROL, body_view=form_controls.comparable,
)
FORM_MESSAGES = Kind(
    "formMessages", "form messages", "form", section=("form", "messages"), partial=True,
    drop=("controls",), spec_body=lambda obj, event: {"messages": obj},
    name_of=lambda view: "messages", live_objects=_messages, writer=writes_children.FORM_MESSAGES,
)
CATEGORY_ASSIGNMENT = Kind(
    "categoryAssignment", "category assignment", "category", section=("categories",),
    drop=("renamed_from", "id", "existing", "name"), verbs=("assign", "unassign"),
    spec_body=lambda name, event: {"name": name}, live_objects=_assignments,
    writer=writes.CATEGORY_ASSIGNMENT, refers_to="category",
)

KINDS: tuple[Kind, ...] = (CATEGORY, EVENT, TICKET, POLICY, SCHEDULE_ITEM, FORM_CONTROL,
                           FORM_MESSAGES, CATEGORY_ASSIGNMENT)
BY_NAME = {kind.name: kind for kind in KINDS}
CHILD_KINDS = tuple(kind for kind in KINDS if kind.parent == "event")
# the address kind of a drafted collection's draft (`schedule`) -> the drafted kind
DRAFTS = {kind.draft_address: kind for kind in KINDS if kind.drafted}
