"""The table of resource kinds: one row per kind, and the lookups the engine uses. This and
the other modules of `provisioner.kinds` are the only code that names a kind.

The rows, in table order (which is also the order of a phase in a plan): categories and
events at site level; inside an event its ticket currency, ticket definitions, policies,
schedule items, form controls, form messages and category assignments.
"""

from __future__ import annotations

import copy
from typing import Any

from ..model import Facts, Mark, Resource, ResourceKey, State, Verb
from ..spec.rules import DELETED
from ..spec.shapes import items, mapping
from ..spec.times import instant
from . import bodies, event_writers, exports, form_controls, site_writers
from .kind import Kind, Reader, Transition

PUBLISHED_STATUSES = ("UPCOMING", "STARTED", "ENDED")
CANCELLABLE_STATUSES = ("UPCOMING", "STARTED")  # Wix cancels no other


# --- hooks ----------------------------------------------------------------------------------


def _control_view(obj: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    return form_controls.comparable(bodies.control_body(obj))


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


def _sales(raw: dict[str, Any]) -> Facts:
    sales = mapping(raw.get("salesDetails"))
    left = sales.get("unsoldCount")  # null when the definition is unlimited
    return Facts(sold=int(sales.get("soldCount") or 0),
                 left=left if isinstance(left, int) else None)


def _limit_below_sold(address: str, data: dict[str, Any], found: Resource, live: State
                      ) -> list[str]:
    limit, sold = data.get("initialLimit"), found.facts.sold
    if sold and isinstance(limit, int) and limit < sold:
        return [f"{address}: initialLimit {limit} is below the {sold} tickets already sold; "
                f"set it to {sold} or more (or leave it out for no limit)"]
    return []


def _without_currency(value: Any) -> Any:
    """A ticket definition without the currency codes of its prices: they always equal the
    event's, and change only with it (see TICKET_CURRENCY)."""
    if isinstance(value, dict):
        money = "value" in value and "currency" in value
        return {k: _without_currency(v) if isinstance(v, dict | list) else v
                for k, v in value.items() if not (money and k == "currency")}
    if isinstance(value, list):
        return [_without_currency(v) if isinstance(v, dict | list) else v for v in value]
    return value


def _ticket_currency(raw_event: dict[str, Any]) -> list[dict[str, Any]]:
    registration = mapping(raw_event.get("registration"))
    currency = mapping(registration.get("tickets")).get("currency")
    return [{"currency": currency}] if currency else []


def _currency_locked(address: str, data: dict[str, Any], found: Resource, live: State
                     ) -> list[str]:
    """Wix locks an event's currency once a ticket has sold (ChangeCurrency answers 428
    CURRENCY_LOCKED). The lock itself is shown only in the DASHBOARD fieldset, which needs a
    permission of its own, so it is judged from the sales of the event's ticket definitions
    (read with the plan when the spec lists them)."""
    sold = [f"{r.key.name!r} ({r.facts.sold})"
            for r in live.of_kind(TICKET.name, found.key.event) if r.facts.sold]
    if not sold:
        return []
    was = found.data.get("currency")
    return [f"{address}: the currency cannot change from {was} to {data.get('currency')} "
            f"once tickets have sold ({', '.join(sold)} sold); keep `currency: {was}`, or sell "
            "in the other currency from a new event"]


def _event_name(view: dict[str, Any]) -> Any:
    # a live event carries `slug`; a body built from the spec carries `seoSettings.slug`
    return view.get("slug") or mapping(view.get("seoSettings")).get("slug")


def _event_facts(event: dict[str, Any]) -> Facts:
    return Facts(lifecycle=bodies.event_state(event))


def _event_status(raw: dict[str, Any]) -> Facts:
    return Facts(status=raw.get("status"))


def _event_life_cycle(address: str, wanted: str, status: str | None) -> Transition:
    """DRAFT -> PUBLISHED is publish and PUBLISHED -> CANCELED cancel, both irreversible (and
    cancelling turns guests away, so it is risky); every other way is a problem. On the way
    to DELETED an upcoming or started event is cancelled first, so its guests hear of it (an
    ended one cannot be cancelled, and needs not be); the delete itself follows."""
    before = ("CANCELED" if status == "CANCELED" else "PUBLISHED"
              if status in PUBLISHED_STATUSES else "DRAFT")
    if wanted == DELETED:
        return Transition(before, Verb.CANCEL, (Mark.IRREVERSIBLE, Mark.RISKY),
                          after="CANCELED") if status in CANCELLABLE_STATUSES \
            else Transition(before)
    if wanted == before:
        return Transition(before)
    if before == "CANCELED":
        problem = (f"{address} is cancelled on the site, and a cancelled event cannot become "
                   f"{wanted}; give the spec a new slug")
    elif wanted == "DRAFT":
        problem = (f"{address} is published on the site and cannot return to draft; set "
                   "`state: PUBLISHED` (or CANCELED)")
    elif wanted == "CANCELED" and before == "DRAFT":
        problem = (f"{address} is a draft on the site; a draft cannot be cancelled: publish it "
                   "first (state: PUBLISHED)")
    elif wanted == "PUBLISHED":
        return Transition(before, Verb.PUBLISH, (Mark.IRREVERSIBLE,), after=wanted)
    else:
        return Transition(before, Verb.CANCEL, (Mark.IRREVERSIBLE, Mark.RISKY), after=wanted)
    return Transition(before, problem=problem)


def _event_body(event: dict[str, Any], itself: dict[str, Any]) -> dict[str, Any]:
    return bodies.event_body(event, child_sections("event"))


# --- the rows -------------------------------------------------------------------------------

CATEGORY = Kind(
    "category", "category", "categories", "category", section=("categories",), parent=None,
    count_key="categories", drop=("renamed_from", "id", "existing"),
    spec_body=lambda obj, event: bodies.category_body(obj),
    spec_facts=lambda obj: Facts(existing=bool(obj.get("existing")),
                                 lifecycle=DELETED if obj.get("state") == DELETED else None),
    reader=Reader("/events/v1/categories/query", "categories", "metaData", by=()),
    writer=site_writers.CATEGORY, server_fields=("id", "createdDate", "states", "counts"),
    copy_section="categories",
)
TICKET_CURRENCY = Kind(
    "ticketCurrency", "ticket currency", "ticket currencies", "", in_parent_data=True,
    section=("registration", "tickets", "currency"), partial=True,
    name_of=lambda view: "currency",
    spec_body=lambda code, event: {"currency": code}, live_objects=_ticket_currency,
    update_problems=_currency_locked, bumps="ticket", writer=event_writers.TICKET_CURRENCY,
    spec_of=lambda currency, event: currency.data.get("currency"), server_fields=None,
)
TICKET = Kind(
    "ticket", "ticket definition", "ticket definitions", "ticket", section=("tickets",),
    count_key="tickets", ordered=True, fingerprint="revision", spec_body=bodies.ticket_body,
    spec_view=lambda obj, event: _without_currency(bodies.ticket_body(obj, event)),
    live_view=_without_currency, body_view=_without_currency,
    live_facts=_sales, update_problems=_limit_below_sold, recheck_before_delete=True,
    reader=Reader("/events/v3/ticket-definitions/query", "ticketDefinitions", "metadata",
                  extra=(("fields", ["SALES_DETAILS"]),)),
    writer=event_writers.TICKET, spec_of=exports.ticket_spec, copy_section="ticketDefinitions",
    server_fields=("id", "eventId", "revision", "createdDate", "updatedDate", "limited",
                   "actualLimit", "pricingType", "free", "optionId", "saleStatus",
                   "salesDetails", "limitPerCheckout", "currency"),
)
POLICY = Kind(
    "policy", "policy", "policies", "policy", section=("policies",), count_key="policies",
    ordered=True, fingerprint="revision", new_first=True,
    reader=Reader("/events/v2/policies/query", "policies", "metadata"),
    spec_body=lambda obj, event: bodies.policy_body(obj), writer=event_writers.POLICY,
    copy_section="policies",
)
SCHEDULE_ITEM = Kind(
    "scheduleItem", "schedule item", "schedule items", "scheduleItem",
    section=("schedule", "items"), count_key="scheduleItems", fingerprint="updatedDate",
    spec_body=bodies.schedule_item_body,
    tiebreak=lambda view: instant(view["timeSlot"]["start"]),
    # the one call that takes many events and returns draft copies (Query takes no `$in`)
    reader=Reader("/events/v1/schedule", "items", listing=True, extra=(
        ("state", ["PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN"]),)),
    drafted=True, draft_address="schedule", draft_flag=("schedule", "published"),
    writer=event_writers.SCHEDULE_ITEM, spec_of=exports.schedule_item_spec,
    copy_section="schedule",
    server_fields=("id", "eventId", "createdDate", "updatedDate", "draft"),
)
FORM_CONTROL = Kind(
    "formControl", "form control", "form controls", "formControl",
    section=("form", "controls"), count_key="formControls", ordered=True,
    permanent=("(name)", "(email)"),
    spec_body=lambda obj, event: bodies.control_body(obj), spec_view=_control_view,
    live_view=_live_control, name_of=form_controls.identity_name, live_objects=_controls,
    writer=event_writers.FORM_CONTROL, body_view=form_controls.comparable,
    spec_of=exports.control_spec, server_fields=None,
)
FORM_MESSAGES = Kind(
    "formMessages", "form messages", "form messages", "form", section=("form", "messages"),
    partial=True, drop=("controls",), spec_body=lambda obj, event: {"messages": obj},
    name_of=lambda view: "messages", live_objects=_messages,
    writer=event_writers.FORM_MESSAGES,
    spec_of=exports.messages_spec, server_fields=None,
)
CATEGORY_ASSIGNMENT = Kind(
    "categoryAssignment", "category assignment", "category assignments", "category",
    section=("categories",), drop=("renamed_from", "id", "existing", "name"),
    verbs=(Verb.ASSIGN, Verb.UNASSIGN), spec_body=lambda name, event: {"name": name},
    live_objects=_assignments, writer=site_writers.CATEGORY_ASSIGNMENT, refers_to="category",
    spec_of=lambda assignment, event: assignment.key.name, server_fields=None,
)

# the currency first: a change to it rewrites every ticket definition's prices
_EVENT_CHILDREN = (TICKET_CURRENCY, TICKET, POLICY, SCHEDULE_ITEM, FORM_CONTROL, FORM_MESSAGES,
                   CATEGORY_ASSIGNMENT)
EVENT = Kind(
    "event", "event", "events", "event", section=("events",), parent=None, count_key="events",
    # an event's data leaves out its identity, its life cycle and the sections of its children
    drop=("renamed_from", "id", *bodies.EVENT_SPEC_KEYS,
          *dict.fromkeys(child.section[0] for child in _EVENT_CHILDREN
                         if not child.in_parent_data)),
    rich_keys=("description",), immutable=("registration.initialType",), name_in_data=False,
    spec_body=_event_body, spec_facts=_event_facts, name_of=_event_name,
    live_facts=_event_status, life_cycle=_event_life_cycle, fingerprint="updatedDate",
    # forms and category assignments come with their event, so they cost no call of their own
    reader=Reader("/events/v3/events/query", "events", extra=(
        ("fields", [*site_writers.EVENT_FIELDS, "FORM", "CATEGORIES"]),
        ("includeDrafts", True)), by=("slug", "id")),
    writer=site_writers.EVENT, spec_of=exports.event_spec, copy_section="events",
    # read-only fields; the form, category assignments and ticket currency are their kinds'
    server_fields=("id", "slug", "status", "createdDate", "updatedDate", "publishedDate",
                   "instanceId", "userId", "calendarUrls", "eventPageUrl", "summaries", "form",
                   "categories", "formatted", "formattedAddress", "recurrenceStatus",
                   "registration.type", "registration.status", "lowestPrice", "highestPrice",
                   "soldOut", "registration.tickets.currency", "seoSettings.slug",
                   "seoSettings.hidden", "agendaSettings.pageUrl", "onlineConferencing.session",
                   "contactLabel"),
)

# --- the table and its lookups --------------------------------------------------------------

# the table, in the order a phase of a plan runs through it
KINDS: tuple[Kind, ...] = (CATEGORY, EVENT, *_EVENT_CHILDREN)
BY_NAME = {kind.name: kind for kind in KINDS}
SITE_KINDS = tuple(kind for kind in KINDS if kind.site_level)
CHILD_KINDS = tuple(kind for kind in KINDS if not kind.site_level)
# the address kind of a drafted collection's draft (`schedule`) -> the drafted kind
DRAFTS = {kind.draft_address: kind for kind in KINDS if kind.drafted}
# the kind whose objects hold the others (an address names it: `event[slug].ticket[name]`)
CONTAINER = EVENT


def child_sections(parent: str) -> tuple[str, ...]:
    """The spec keys that hold `parent`'s children (`tickets`, `schedule`, ...), once each."""
    return tuple(dict.fromkeys(k.section[0] for k in KINDS
                               if k.parent == parent and not k.in_parent_data))


def children_of(kind: Kind) -> tuple[Kind, ...]:
    return tuple(child for child in CHILD_KINDS if child.parent == kind.name)


def selling_children(kind: Kind) -> tuple[Kind, ...]:
    """The children whose sales make deleting one of `kind`'s objects risky (an event's
    ticket definitions): read whenever such an object is to be deleted."""
    return tuple(child for child in children_of(kind) if child.recheck_before_delete)


def kind_of(address_kind: str) -> Kind:
    """The row an address's kind names: a kind, or a drafted kind's draft (`schedule`).
    KeyError for anything else; plan files are checked against `capabilities` first."""
    return BY_NAME.get(address_kind) or DRAFTS[address_kind]


def capabilities(address_kind: str) -> frozenset[Verb]:
    """The verbs an action addressed to `address_kind` may carry; empty for an unknown
    kind."""
    if address_kind in BY_NAME:
        return BY_NAME[address_kind].capabilities()
    if address_kind in DRAFTS:
        return DRAFTS[address_kind].draft_capabilities()
    return frozenset()


def is_draft(key: ResourceKey) -> bool:
    return key.kind in DRAFTS


def event_of(key: ResourceKey) -> str:
    """The slug of the event a key belongs to ("" for site-level kinds)."""
    return key.name if key.kind == CONTAINER.name else key.event


def collection_of(key: ResourceKey) -> tuple[str, str]:
    """(event slug, member kind); a draft's actions belong to the collection it drafts."""
    drafted = DRAFTS.get(key.kind)
    return event_of(key), drafted.name if drafted else key.kind


def section_of(holder: Any, kind: Kind) -> Any:
    """The value at `kind.section` inside a spec object, or None when it is left out."""
    value: Any = holder
    for part in kind.section:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def doomed(documents: list[Any]) -> list[Any]:
    """A copy of the spec's documents with every site-level object this tool can delete
    marked `state: DELETED` (what `destroy` plans); those made outside it (`existing: true`)
    stay as they are."""
    out = copy.deepcopy(documents)
    for document in out:
        for kind in SITE_KINDS:
            if kind.verbs[1] not in kind.capabilities():
                continue
            for obj in section_of(document, kind) or []:
                if isinstance(obj, dict) and not kind.spec_facts(obj).existing:
                    obj["state"] = DELETED
    return out


def spec_counts(documents: list[Any]) -> dict[str, int]:
    """How many objects of each counted kind the spec's documents describe, by `count_key`
    (for `validate`); tolerant of a spec that did not validate."""
    counts = {kind.count_key: 0 for kind in KINDS if kind.count_key}

    def walk(holder: Any, parent: str | None) -> None:
        for kind in KINDS:
            if kind.parent != parent:
                continue
            found = section_of(mapping(holder), kind)
            objects = [obj for _, obj in items(found)]
            if kind.count_key:
                counts[kind.count_key] += len(objects)
            if any(child.parent == kind.name for child in KINDS):
                for obj in objects:
                    walk(obj, kind.name)

    for document in documents:
        walk(document, None)
    return counts
