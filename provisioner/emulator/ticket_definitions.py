"""Ticket Definitions V3 endpoints: create, get, update, delete, reorder, query (all and
available), count (all and available), change currency and bulk delete by filter.

Every endpoint is served under both public prefixes Wix routes to it:
`/events/v3/ticket-definitions` (the REST reference) and
`/events-ticket-definitions/v3/ticket-definitions` (what the JS SDK calls), and likewise for
`.../bulk/ticket-definitions`.

Decisions where the Wix notes are unsure (each is one place in this module or ticket_model.py):
- The first revision is "1"; every update, and every reorder or currency change that touches a
  definition, adds 1 and sets `updatedDate` (reorder bumps only the definitions whose position
  changed), so a client must re-read revisions after those calls.
- PATCH merges the top-level fields sent; `pricingMethod` and `salePeriod` are replaced as a
  whole. There is no field mask, so a field cannot be cleared (JSON null counts as absent):
  a limited definition cannot become unlimited, nor lose its sale period.
- Pricing, fee-type and sale-period rules: see ticket_model.py.
- An unknown definition id is 404 `TICKET_DEFINITION_NOT_FOUND` (the code Wix's reservation API
  uses for it).
- Query with no sort lists definitions grouped by event (events in creation order), each event's
  in display order, which is `createdDate` ASC until reordered: this is how clients observe the
  order. `query` itself is required.
- Reorder: when both references are sent, the one appearing last in the JSON body wins. A
  missing, unknown, self or foreign reference, or a `ticketDefinitionId` that is not one of the
  event's, is 400 `INVALID_REORDER_INSTRUCTION`.
- Count facets may name any filterable field (older spellings too); an unknown one is 400
  `FILTER_PARSER_ERROR`. Count answers `metadata {count, total}` with both the matched number.
- Bulk delete refuses an empty filter (400) rather than deleting every definition of the site.
- ChangeCurrency on an event without ticketing is 428 `INVALID_EVENT_TYPE`; it also sets the
  event's `registration.tickets.currency` and `updatedDate`.
- Webhooks carry the definition with every fieldset. Every change that gives a definition a
  new revision emits Ticket Definition Updated (update, reorder, currency change, which also
  emits Event Updated); delete and bulk delete emit Ticket Definition Deleted per definition.
  Deleting an event deletes its definitions without a Ticket Definition Deleted each.
"""

from __future__ import annotations

from typing import Any

from .common import (
    EVENTS,
    TICKET_DEFINITIONS,
    check_path_id,
    display_order,
    event_of,
    load,
    next_revision,
    reordered,
    require_event,
)
from .derived import VISIBLE
from .errors import FailedPrecondition, stale_revision
from .event_model import render_event
from .event_spec import REQUESTED_FIELDS as EVENT_FIELDS
from .fields import F, Obj, Str, check, fail
from .http import Ctx, Endpoint, aliased
from .params import body_object, requested_fields
from .query import Index, QuerySpec, Window, compile_filter, lookup, run_query
from .scope import Scope
from .ticket_model import (
    AVAILABLE_QUERY,
    CREATE_SPEC,
    MAX_PER_EVENT,
    MAX_REQUESTED_FIELDS,
    REQUESTED_FIELDS,
    TICKET_QUERY,
    UPDATE_SPEC,
    check_fee_type,
    event_details_of,
    facet_counts,
    facet_paths,
    prepare_pricing,
    prepare_sale_period,
    render_definition,
    require_ticketing,
)
from .values import format_timestamp, new_id
from .webhooks import EVENT, TICKET_DEFINITION

PREFIXES = ["/events/v3/ticket-definitions", "/events-ticket-definitions/v3/ticket-definitions"]
BULK_PREFIXES = [
    "/events/v3/bulk/ticket-definitions",
    "/events-ticket-definitions/v3/bulk/ticket-definitions",
]
WHERE = "ticketDefinition"
MAX_FACETS = 20

REORDER_SPEC = Obj(
    {
        "eventId": F(Str(min_len=1), required=True),
        "ticketDefinitionId": F(Str(min_len=1), required=True),
        "beforeDefinitionId": Str(),
        "afterDefinitionId": Str(),
    }
)
CHANGE_CURRENCY_SPEC = Obj(
    {
        "eventId": F(Str(min_len=1), required=True),
        "currency": F(Str(fmt="CURRENCY"), required=True),
    }
)

Row = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # (base view, stored, event)


def _fields(ctx: Ctx) -> set[str]:
    return requested_fields(ctx, REQUESTED_FIELDS, MAX_REQUESTED_FIELDS)


def _stamp(ctx: Ctx) -> str:
    return format_timestamp(ctx.now())


def _load(ctx: Ctx, definition_id: str) -> dict[str, Any]:
    return load(ctx.scope, TICKET_DEFINITIONS, definition_id, "Ticket definition",
                "TICKET_DEFINITION_NOT_FOUND")


def _save(ctx: Ctx, definition: dict[str, Any]) -> None:
    ctx.txn.put(ctx.site, TICKET_DEFINITIONS, definition["id"], definition,
                parent=definition["eventId"])


def _respond(ctx: Ctx, definition: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    event = event_of(ctx.scope, definition)
    return {"ticketDefinition": render_definition(ctx.scope, definition, event, fields)}


def announce(scope: Scope, action: str, definition: dict[str, Any], event: dict[str, Any]
             ) -> None:
    """Emit a Ticket Definition webhook carrying the definition with every fieldset."""
    shown = render_definition(scope, definition, event, set(REQUESTED_FIELDS))
    TICKET_DEFINITION.announce(scope, action, definition["id"], shown)


# --- create, read, change, delete ---------------------------------------------------------------


def create_ticket_definition(ctx: Ctx) -> dict[str, Any]:
    definition = check(CREATE_SPEC, body_object(ctx, WHERE), WHERE)
    fields = _fields(ctx)  # refuse a bad `fields` list before writing anything
    event = require_event(ctx.scope, definition["eventId"], f"{WHERE}.eventId")
    require_ticketing(event)
    prepare_pricing(definition["pricingMethod"], event, f"{WHERE}.pricingMethod")
    check_fee_type(definition, WHERE)
    if "salePeriod" in definition:
        prepare_sale_period(definition["salePeriod"], event)
    siblings = ctx.txn.list(ctx.site, TICKET_DEFINITIONS, event["id"])
    if len(siblings) >= MAX_PER_EVENT:
        raise FailedPrecondition(
            "TICKET_DEFINITIONS_LIMIT_REACHED",
            f"Event {event['id']} already has {MAX_PER_EVENT} ticket definitions, the most "
            "an event can have",
        )
    now = _stamp(ctx)
    definition.setdefault("hidden", False)
    definition.update(
        id=new_id(),
        revision="1",
        createdDate=now,
        updatedDate=now,
        _sortIndex=max((d.get("_sortIndex", 0) for d in siblings), default=-1) + 1,
        _sold=0,
        _reserved=0,
        _revenue="0",
    )
    _save(ctx, definition)
    announce(ctx.scope, "created", definition, event)
    return _respond(ctx, definition, fields)


def get_ticket_definition(ctx: Ctx) -> dict[str, Any]:
    definition = _load(ctx, ctx.path["ticketDefinitionId"])
    return _respond(ctx, definition, _fields(ctx))


def _sent_revision(raw: Any) -> int:
    if raw is None or raw == "":
        raise fail(f"{WHERE}.revision", "is required: send the revision you last read",
                   "REQUIRED_FIELD")
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    raise fail(f"{WHERE}.revision", 'must be an integer in a string, e.g. "1"', "FORMAT")


def update_ticket_definition(ctx: Ctx) -> dict[str, Any]:
    stored = _load(ctx, ctx.path["ticketDefinitionId"])
    raw = body_object(ctx, WHERE)
    check_path_id(stored["id"], raw.get("id"), f"{WHERE}.id")
    sent_revision = _sent_revision(raw.get("revision"))
    patch = check(UPDATE_SPEC, raw, WHERE)
    fields = _fields(ctx)
    if patch.get("eventId", stored["eventId"]) != stored["eventId"]:
        raise fail(f"{WHERE}.eventId", f"is immutable: this definition belongs to event "
                   f"{stored['eventId']}", "CUSTOM")
    if sent_revision != int(stored["revision"]):
        raise stale_revision("Ticket definition", stored["id"], str(sent_revision),
                             stored["revision"])
    event = event_of(ctx.scope, stored)
    if "pricingMethod" in patch:
        prepare_pricing(patch["pricingMethod"], event, f"{WHERE}.pricingMethod")
    if "salePeriod" in patch:
        prepare_sale_period(patch["salePeriod"], event)
    definition = {**stored, **patch}
    if "pricingMethod" in patch or "feeType" in patch:
        check_fee_type(definition, WHERE)
    definition.update(revision=next_revision(stored), updatedDate=_stamp(ctx))
    _save(ctx, definition)
    announce(ctx.scope, "updated", definition, event)
    return _respond(ctx, definition, fields)


def delete_ticket_definition(ctx: Ctx) -> dict[str, Any]:
    definition = _load(ctx, ctx.path["ticketDefinitionId"])
    announce(ctx.scope, "deleted", definition, event_of(ctx.scope, definition))
    ctx.txn.delete(ctx.site, TICKET_DEFINITIONS, definition["id"])
    return {}


def reorder_ticket_definitions(ctx: Ctx) -> dict[str, Any]:
    request = check(REORDER_SPEC, ctx.body, "")
    event = require_event(ctx.scope, request["eventId"])
    ordered = display_order(ctx.txn.list(ctx.site, TICKET_DEFINITIONS, event["id"]))
    by_id = {d["id"]: d for d in ordered}
    order = reordered(list(by_id), request["ticketDefinitionId"], ctx.body,
                      "beforeDefinitionId", "afterDefinitionId", "ticketDefinitionId",
                      f"the ticket definitions of event {event['id']}")
    new_order = [by_id[i] for i in order]
    now = _stamp(ctx)
    for index, definition in enumerate(new_order):
        if ordered[index]["id"] != definition["id"]:
            definition.update(revision=next_revision(definition), updatedDate=now)
            announce(ctx.scope, "updated", definition, event)
        elif definition.get("_sortIndex") == index:
            continue
        definition["_sortIndex"] = index
        _save(ctx, definition)
    return {}


# --- query, count ------------------------------------------------------------------------------


def _rows(ctx: Ctx, available: bool) -> list[Row]:
    """Every definition of the site in the default order, with its base view and event."""
    events = ctx.txn.list(ctx.site, EVENTS)
    by_event: dict[str, list[dict[str, Any]]] = {}
    for definition in ctx.txn.list(ctx.site, TICKET_DEFINITIONS):
        if available and definition.get("hidden"):
            continue
        by_event.setdefault(definition["eventId"], []).append(definition)
    rows = []
    for event in events:
        for definition in display_order(by_event.get(event["id"], [])):
            base = render_definition(ctx.scope, definition, event, set())
            rows.append((base, definition, event))
    return rows


def _index(ctx: Ctx, spec: QuerySpec, available: bool, fields: set[str]) -> Index:
    """Queries by `eventId` (or none), read in the default order from the store's index: only
    the page is read and rendered, each definition once, with its fieldsets."""

    def read(flt: Any, offset: int, limit: int) -> Window | None:
        found = lookup(spec, flt, "eventId")
        if found is None:
            return None
        page = ctx.txn.children_by_parent(
            ctx.site, TICKET_DEFINITIONS, EVENTS, found.values, offset=offset, limit=limit,
            digest_prefix=VISIBLE if available else None)
        if page is None:
            return None
        events = ctx.txn.get_many(ctx.site, EVENTS, [d["eventId"] for d in page.docs])
        # each event's details are rendered once for all its definitions on the page
        details = {event_id: event_details_of(ctx.scope, event)
                   for event_id, event in events.items()} if "EVENT_DETAILS" in fields else {}
        return Window(page.total, [
            render_definition(ctx.scope, d, events[d["eventId"]], fields,
                              details.get(d["eventId"]))
            for d in page.docs])

    return read


def _query(ctx: Ctx, spec: QuerySpec, available: bool) -> dict[str, Any]:
    query = ctx.body.get("query")
    if query is None:
        raise fail("query", "is required (send {} for everything)", "REQUIRED_FIELD")
    fields = _fields(ctx)
    rows: list[Row] = []

    def bases() -> list[dict[str, Any]]:
        rows.extend(_rows(ctx, available))
        return [base for base, _, _ in rows]

    result = run_query(spec, bases, query, site=ctx.site, cursors=ctx.state.cursors,
                       index=_index(ctx, spec, available, fields))
    if result.indexed:
        return {"ticketDefinitions": result.items, spec.metadata_key: result.metadata}
    by_id = {base["id"]: (stored, event) for base, stored, event in rows}
    found = [
        render_definition(ctx.scope, *by_id[base["id"]], fields) if fields else base
        for base in result.items
    ]
    return {"ticketDefinitions": found, spec.metadata_key: result.metadata}


def query_ticket_definitions(ctx: Ctx) -> dict[str, Any]:
    return _query(ctx, TICKET_QUERY, available=False)


def query_available_ticket_definitions(ctx: Ctx) -> dict[str, Any]:
    return _query(ctx, AVAILABLE_QUERY, available=True)


def _counted(ctx: Ctx, available: bool) -> list[dict[str, Any]]:
    predicate = compile_filter(TICKET_QUERY, ctx.body.get("filter"))
    return [base for base, _, _ in _rows(ctx, available) if predicate(base)]


def count_ticket_definitions(ctx: Ctx) -> dict[str, Any]:
    facets = ctx.body.get("facet") or []
    if not isinstance(facets, list) or not all(isinstance(f, str) for f in facets):
        raise fail("facet", "Expected an array of strings.", "FORMAT")
    if len(facets) > MAX_FACETS:
        raise fail("facet", f"must have at most {MAX_FACETS} items", "MAX_SIZE")
    paths = facet_paths(facets)  # refuse an unknown facet before reading anything
    matched = _counted(ctx, available=False)
    return {
        "metadata": {"count": len(matched), "total": len(matched)},
        "facets": facet_counts(matched, paths),
    }


def count_available_ticket_definitions(ctx: Ctx) -> dict[str, Any]:
    matched = _counted(ctx, available=True)
    return {"metadata": {"count": len(matched), "total": len(matched)}}


# --- whole-event changes -----------------------------------------------------------------------


def change_currency(ctx: Ctx) -> dict[str, Any]:
    request = check(CHANGE_CURRENCY_SPEC, ctx.body, "")
    event = require_event(ctx.scope, request["eventId"])
    require_ticketing(event)
    if event.get("_currencyLocked"):
        raise FailedPrecondition("CURRENCY_LOCKED", f"The currency of event {event['id']} is "
                                 "locked: tickets have already been sold")
    currency = request["currency"]
    now = _stamp(ctx)
    definitions = ctx.txn.list(ctx.site, TICKET_DEFINITIONS, event["id"])
    for definition in definitions:
        method = definition["pricingMethod"]
        options = (method.get("pricingOptions") or {}).get("optionDetails") or []
        for money in [method.get("fixedPrice"), method.get("guestPrice"),
                      *(o.get("price") for o in options)]:
            if money is not None:
                money["currency"] = currency  # the amount stays: 10 USD becomes 10 EUR
        definition.update(revision=next_revision(definition), updatedDate=now)
        _save(ctx, definition)
    registration = event.setdefault("registration", {})
    registration.setdefault("tickets", {})["currency"] = currency
    event["updatedDate"] = now
    ctx.txn.put(ctx.site, EVENTS, event["id"], event)
    for definition in definitions:
        announce(ctx.scope, "updated", definition, event)
    shown = render_event(ctx.scope, event, set(EVENT_FIELDS))
    EVENT.announce(ctx.scope, "updated", event["id"], shown)
    return {}


def bulk_delete_by_filter(ctx: Ctx) -> dict[str, Any]:
    flt = body_object(ctx, "filter")
    if not flt:
        raise fail("filter", "must not be empty: name the definitions to delete, e.g. "
                   '{"eventId": "..."}', "REQUIRED_FIELD")
    predicate = compile_filter(TICKET_QUERY, flt)
    for base, stored, event in _rows(ctx, available=False):
        if predicate(base):
            announce(ctx.scope, "deleted", stored, event)
            ctx.txn.delete(ctx.site, TICKET_DEFINITIONS, base["id"])
    return {}


ENDPOINTS: list[Endpoint] = [
    *aliased(PREFIXES, "POST", "", create_ticket_definition),
    *aliased(PREFIXES, "POST", "/query", query_ticket_definitions),
    *aliased(PREFIXES, "POST", "/available/query", query_available_ticket_definitions),
    *aliased(PREFIXES, "POST", "/count", count_ticket_definitions),
    *aliased(PREFIXES, "POST", "/available/count", count_available_ticket_definitions),
    *aliased(PREFIXES, "POST", "/reorder", reorder_ticket_definitions),
    *aliased(PREFIXES, "POST", "/currency", change_currency),
    *aliased(PREFIXES, "GET", "/{ticketDefinitionId}", get_ticket_definition),
    *aliased(PREFIXES, "PATCH", "/{ticketDefinitionId}", update_ticket_definition),
    *aliased(PREFIXES, "DELETE", "/{ticketDefinitionId}", delete_ticket_definition),
    *aliased(BULK_PREFIXES, "POST", "/delete", bulk_delete_by_filter),
]
