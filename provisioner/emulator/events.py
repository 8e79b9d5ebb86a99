"""Events V3 endpoints: create, get, get by slug, query, count, update, publish, cancel,
delete, bulk delete and cancel by filter, clone, and list by category.

Decisions where the Wix notes are unsure (each is one place in this file):
- PATCH merges the top level of `event`; each sub-object sent replaces the stored one, except
  `dateAndTimeSettings.timeZoneId` (kept when omitted) and `registration` (merged one level, and
  `initialType` is immutable).
- A slug derived from the title is made unique with `-1`, `-2`...; an explicit
  `seoSettings.slug` that is taken is refused with 428 `SLUG_ALREADY_IN_USE`.
- Clone copies ticket definitions and the form, moves the dates 14 days after the original's,
  numbers a repeated title ("Title (1)") and returns a DRAFT unless `draft: false` is sent.
- Cancel is allowed from UPCOMING or STARTED only.
- `registration.tickets.currency` cannot change through PATCH once the event has ticket
  definitions (400): their prices carry the currency, and ChangeCurrency moves both together.
- Webhooks carry the event with every fieldset. Create and clone emit Event Created (clone
  also Ticket Definition Created per copied definition), update emits Event Updated, publish
  and cancel (bulk cancel too) emit only Event Published / Event Canceled, delete (bulk delete
  too) Event Deleted. The children an event's deletion removes (ticket definitions, policies)
  get no webhook of their own. Event Canceled's `hasGuests` is true once a ticket is sold.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from . import forms
from .common import (
    CATEGORIES,
    EVENT_CHILD_KINDS,
    EVENTS,
    FORMS,
    TICKET_DEFINITIONS,
    check_path_id,
    load,
)
from .errors import FailedPrecondition, NotFound
from .event_model import Related, event_status, filter_view, render_event, shifted
from .event_spec import (
    CREATE_SPEC,
    REQUESTED_FIELDS,
    UPDATE_SPEC,
    check_dates,
    check_location,
    check_registration,
    check_slug,
    default_registration,
    merge_registration,
    slug_from_title,
    unique_slug,
)
from .fields import check, fail
from .http import Ctx, Endpoint
from .params import body_object, int_param, requested_fields
from .query import RANGE, QField, QuerySpec, Window, compile_filter, lookup, ops, run_query
from .ticket_definitions import announce as announce_definition
from .values import format_timestamp, new_id, stable_id
from .webhooks import EVENT

PREFIX = "/events/v3/events"
BULK = "/events/v3/bulk/events"

_ORDERED = ops("$eq", "$ne", "$in", RANGE)
EVENT_QUERY = QuerySpec(
    name="events",
    fields={
        "id": QField("string", _ORDERED),
        "title": QField("string", _ORDERED),
        "slug": QField("string", _ORDERED),
        "createdDate": QField("date", _ORDERED),
        "updatedDate": QField("date", _ORDERED),
        "dateAndTimeSettings.startDate": QField("date", _ORDERED),
        "dateAndTimeSettings.endDate": QField("date", _ORDERED),
        # the newer SDK spec marks these unsortable, an older table sortable: sort leniently
        "status": QField("string", ops("$eq", "$ne", "$in")),
        "userId": QField("string", ops("$eq", "$ne", "$in")),
        "registration.initialType": QField("string", ops("$eq"), sortable=False),
    },
    metadata_key="pagingMetadata",
    paging="offset",
    default_limit=0,  # Wix: the default limit of 0 returns no events
    max_limit=1000,
    accepts_cursor=False,
    op_aliases={"$hasSome": "$in"},  # an older Wix table lists $hasSome for these fields
)


def _fields(ctx: Ctx) -> set[str]:
    return requested_fields(ctx, REQUESTED_FIELDS, 20)


def _load(ctx: Ctx, event_id: str) -> dict[str, Any]:
    return load(ctx.scope, EVENTS, event_id, "Event", "EVENT_NOT_FOUND")


def _save(ctx: Ctx, event: dict[str, Any]) -> None:
    ctx.txn.put(ctx.site, EVENTS, event["id"], event)


def _taken_slugs(ctx: Ctx, except_id: str | None = None) -> set[str]:
    return {e["slug"] for e in ctx.txn.list(ctx.site, EVENTS) if e["id"] != except_id}


def _explicit_slug(ctx: Ctx, slug: str, except_id: str | None) -> str:
    check_slug(slug)
    if slug in _taken_slugs(ctx, except_id):
        raise FailedPrecondition("SLUG_ALREADY_IN_USE", f"slug {slug!r} is already used by "
                                 "another event on this site", slug=slug)
    return slug


def _respond(ctx: Ctx, event: dict[str, Any]) -> dict[str, Any]:
    return {"event": render_event(ctx.scope, event, _fields(ctx))}


def _stamp(ctx: Ctx) -> str:
    return format_timestamp(ctx.now())


def _full(ctx: Ctx, event: dict[str, Any]) -> dict[str, Any]:
    """The event as webhooks carry it: with every fieldset."""
    return render_event(ctx.scope, event, set(REQUESTED_FIELDS))


PUBLISHED_KEYS = ("status", "title", "shortDescription", "location", "dateAndTimeSettings",
                  "eventPageUrl", "registration")


def _published_body(ctx: Ctx, event: dict[str, Any]) -> dict[str, Any]:
    full = _full(ctx, event)
    return {"timestamp": event["publishedDate"], "eventId": event["id"],
            **{key: full[key] for key in PUBLISHED_KEYS if key in full}}


def _canceled_body(ctx: Ctx, event: dict[str, Any]) -> dict[str, Any]:
    sold = any(d.get("_sold") for d in ctx.txn.list(ctx.site, TICKET_DEFINITIONS, event["id"]))
    return {"timestamp": event["_canceledDate"], "eventId": event["id"],
            "title": event["title"], "userId": event["userId"], "hasGuests": sold}


# --- create, read ------------------------------------------------------------------------------


def create_event(ctx: Ctx) -> dict[str, Any]:
    event = check(CREATE_SPEC, body_object(ctx, "event"), "event")
    _fields(ctx)  # refuse a bad `fields` list before writing anything
    draft = ctx.body.get("draft", False)
    if not isinstance(draft, bool):
        raise fail("draft", "Expected a boolean.", "FORMAT")
    registration = event.get("registration") or {}
    if "initialType" not in registration:
        raise fail("event.registration.initialType", "is required: RSVP or TICKETING",
                   "REQUIRED_FIELD")
    check_location(event["location"])
    check_dates(event["dateAndTimeSettings"], None)
    event["registration"] = merge_registration(
        default_registration(registration["initialType"]), registration
    )
    check_registration(event["registration"])
    seo_slug = (event.get("seoSettings") or {}).get("slug")
    if seo_slug:
        event["slug"] = _explicit_slug(ctx, seo_slug, None)
    else:
        event["slug"] = unique_slug(slug_from_title(event["title"]), _taken_slugs(ctx))
    now = _stamp(ctx)
    event.update(
        id=new_id(),
        createdDate=now,
        updatedDate=now,
        userId=stable_id("user", ctx.api_key),
        _state="DRAFT" if draft else "PUBLISHED",
    )
    if not draft:
        event["publishedDate"] = now
    _save(ctx, event)
    ctx.txn.put(ctx.site, FORMS, event["id"], forms.default_form(), parent=event["id"])
    EVENT.announce(ctx.scope, "created", event["id"], _full(ctx, event))
    return _respond(ctx, event)


def get_event(ctx: Ctx) -> dict[str, Any]:
    return _respond(ctx, _load(ctx, ctx.path["eventId"]))


def get_event_by_slug(ctx: Ctx) -> dict[str, Any]:
    slug = ctx.path["slug"]
    if not 1 <= len(slug) <= 130:
        raise fail("slug", "must be 1 to 130 characters long", "MAX_LENGTH")
    found = ctx.txn.find(ctx.site, EVENTS, [slug], by_key=True)  # the slug is the key
    for event in ctx.txn.list(ctx.site, EVENTS) if found is None else found:
        if event["slug"] == slug:
            return _respond(ctx, event)
    raise NotFound(f"No event with slug {slug!r}", code="EVENT_NOT_FOUND")


def _include_drafts(ctx: Ctx) -> bool:
    include_drafts = ctx.body.get("includeDrafts")
    if include_drafts is not None and not isinstance(include_drafts, bool):
        raise fail("includeDrafts", "Expected a boolean.", "FORMAT")
    return bool(include_drafts)


def _visible(ctx: Ctx, include_drafts: bool) -> list[dict[str, Any]]:
    return _shown(ctx.txn.list(ctx.site, EVENTS), include_drafts)


def _shown(events: list[dict[str, Any]], include_drafts: bool) -> list[dict[str, Any]]:
    """`events` a query answers with: drafts only when it asked for them."""
    return [e for e in events if include_drafts or e.get("_state") != "DRAFT"]


def _looked_up(ctx: Ctx, flt: Any) -> list[dict[str, Any]] | None:
    """The stored events a filter on `slug` or `id` alone names, looked up in the index (in
    creation order); None for any other filter."""
    for name, by_key in (("slug", True), ("id", False)):
        found = lookup(EVENT_QUERY, flt, name)
        if found is not None and found.values is not None:
            return ctx.txn.find(ctx.site, EVENTS, found.values, by_key=by_key)
    return None


def _base_docs(ctx: Ctx, events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict]]:
    """(view for filtering, stored event) pairs; only the page is fully rendered later."""
    now = ctx.now()
    return [(filter_view(e, now), e) for e in events]


def query_events(ctx: Ctx) -> dict[str, Any]:
    fields = _fields(ctx)
    include_drafts = _include_drafts(ctx)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def views() -> list[dict[str, Any]]:
        pairs.extend(_base_docs(ctx, _visible(ctx, include_drafts)))
        return [doc for doc, _ in pairs]

    def indexed(flt: Any, offset: int, limit: int) -> Window | None:
        found = _looked_up(ctx, flt)
        if found is None:
            return None
        shown = _shown(found, include_drafts)
        return Window(len(shown), shown[offset : offset + limit])

    result = run_query(EVENT_QUERY, views, ctx.body.get("query"), site=ctx.site,
                       cursors=ctx.state.cursors, index=indexed)
    if result.indexed:
        page = result.items  # the stored events themselves
    else:
        by_id = {doc["id"]: stored for doc, stored in pairs}
        page = [by_id[doc["id"]] for doc in result.items]
    related = Related.read(ctx.scope, page, fields)
    # the page's events were read for this response alone
    events = [render_event(ctx.scope, event, fields, related, owned=True) for event in page]
    return {"events": events, EVENT_QUERY.metadata_key: result.metadata}


def count_events_by_status(ctx: Ctx) -> dict[str, Any]:
    predicate = compile_filter(EVENT_QUERY, ctx.body.get("filter"))
    facets = ctx.body.get("facet") or []
    if not isinstance(facets, list) or not all(isinstance(f, str) for f in facets):
        raise fail("facet", "Expected an array of strings.", "FORMAT")
    if len(facets) > 20:
        raise fail("facet", "must have at most 20 items", "MAX_SIZE")
    docs = [d for d, _ in _base_docs(ctx, _visible(ctx, _include_drafts(ctx)))]
    matched = [d for d in docs if predicate(d)]
    out: dict[str, Any] = {}
    for facet in facets:
        counts: dict[str, int] = {}
        for doc in matched:
            value = doc.get(facet)
            if isinstance(value, str):
                counts[value] = counts.get(value, 0) + 1
        out[facet] = {"counts": counts}
    return {"facets": out}


def list_events_by_category(ctx: Ctx) -> dict[str, Any]:
    category = load(ctx.scope, CATEGORIES, ctx.path["categoryId"], "Category", "CATEGORY_NOT_FOUND")
    fields = _fields(ctx)
    limit = int_param(ctx, "paging.limit", 100)
    limit = 100 if limit is None else limit
    offset = int_param(ctx, "paging.offset", None) or 0
    events = [ctx.txn.get(ctx.site, EVENTS, eid) for eid in category.get("_events", [])]
    listed = [e for e in events if e is not None and e.get("_state") != "DRAFT"]
    page = listed[offset : offset + limit]
    related = Related.read(ctx.scope, page, fields)
    return {
        "events": [render_event(ctx.scope, e, fields, related, owned=True) for e in page],
        "pagingMetadata": {"count": len(page), "offset": offset, "total": len(listed),
                           "tooManyToCount": False},
    }


# --- change ------------------------------------------------------------------------------------


def update_event(ctx: Ctx) -> dict[str, Any]:
    event = _load(ctx, ctx.path["eventId"])
    raw = body_object(ctx, "event")
    check_path_id(event["id"], raw.get("id"), "event.id")
    patch = check(UPDATE_SPEC, raw, "event")
    _fields(ctx)
    _apply_patch(ctx, event, patch)
    event["updatedDate"] = _stamp(ctx)
    _save(ctx, event)
    EVENT.announce(ctx.scope, "updated", event["id"], _full(ctx, event))
    return _respond(ctx, event)


def _apply_patch(ctx: Ctx, event: dict[str, Any], patch: dict[str, Any]) -> None:
    if "location" in patch:
        check_location(patch["location"])
    if "dateAndTimeSettings" in patch:
        stored_zone = (event.get("dateAndTimeSettings") or {}).get("timeZoneId")
        check_dates(patch["dateAndTimeSettings"], stored_zone)
    if "registration" in patch:
        stored = event.get("registration") or {}
        sent = patch["registration"].get("initialType")
        if sent is not None and sent != stored.get("initialType"):
            raise fail("event.registration.initialType", f"is immutable: this event's "
                       f"registration is {stored.get('initialType')}", "CUSTOM")
        patch["registration"] = merge_registration(stored, patch["registration"])
        check_registration(patch["registration"])
        _refuse_currency_drift(ctx, event, stored, patch["registration"])
    seo_slug = (patch.get("seoSettings") or {}).get("slug")
    if seo_slug and seo_slug != event["slug"]:
        event["slug"] = _explicit_slug(ctx, seo_slug, event["id"])
    event.update(patch)


def _refuse_currency_drift(
    ctx: Ctx, event: dict[str, Any], stored: dict[str, Any], new: dict[str, Any]
) -> None:
    """Ticket prices carry the event's currency; only ChangeCurrency may move both together."""
    before = (stored.get("tickets") or {}).get("currency")
    after = (new.get("tickets") or {}).get("currency")
    if before != after and ctx.txn.count(ctx.site, TICKET_DEFINITIONS, event["id"]):
        raise fail("event.registration.tickets.currency",
                   f"cannot change from {before} to {after} while the event has ticket "
                   "definitions; use POST /events/v3/ticket-definitions/currency", "CUSTOM")


def publish_event(ctx: Ctx) -> dict[str, Any]:
    event = _load(ctx, ctx.path["eventId"])
    state = event.get("_state")
    if state == "PUBLISHED":
        raise FailedPrecondition("EVENT_ALREADY_PUBLISHED", f"Event {event['id']} is already "
                                 "published")
    if state != "DRAFT":
        raise FailedPrecondition("INVALID_EVENT_STATUS_TRANSITION", f"Event {event['id']} is "
                                 f"{state} and cannot be published")
    now = _stamp(ctx)
    event.update(_state="PUBLISHED", publishedDate=now, updatedDate=now)
    _save(ctx, event)
    EVENT.announce(ctx.scope, "published", event["id"], _published_body(ctx, event))
    return _respond(ctx, event)


def _cancel(ctx: Ctx, event: dict[str, Any]) -> bool:
    if event_status(event, ctx.now()) not in ("UPCOMING", "STARTED"):
        return False
    now = _stamp(ctx)
    event.update(_state="CANCELED", _canceledDate=now, updatedDate=now)
    _save(ctx, event)
    EVENT.announce(ctx.scope, "canceled", event["id"], _canceled_body(ctx, event))
    return True


def cancel_event(ctx: Ctx) -> dict[str, Any]:
    event = _load(ctx, ctx.path["eventId"])
    if not _cancel(ctx, event):
        status = event_status(event, ctx.now())
        raise FailedPrecondition("INVALID_EVENT_STATUS_TRANSITION", f"Event {event['id']} is "
                                 f"{status}; only UPCOMING or STARTED events can be canceled")
    return _respond(ctx, event)


def _delete(ctx: Ctx, event: dict[str, Any]) -> None:
    event_id = event["id"]
    EVENT.announce(ctx.scope, "deleted", event_id, _full(ctx, event))
    ctx.txn.delete(ctx.site, EVENTS, event_id)
    for kind in EVENT_CHILD_KINDS:
        ctx.txn.delete_children(ctx.site, kind, event_id)
    for category in ctx.txn.list(ctx.site, CATEGORIES):
        if event_id in category.get("_events", []):
            category["_events"] = [e for e in category["_events"] if e != event_id]
            ctx.txn.put(ctx.site, CATEGORIES, category["id"], category)


def delete_event(ctx: Ctx) -> dict[str, Any]:
    event = _load(ctx, ctx.path["eventId"])
    _delete(ctx, event)
    return {"eventId": event["id"]}


def _matching(ctx: Ctx) -> list[dict[str, Any]]:
    outer = body_object(ctx, "filter")
    inner = outer.get("filter")
    if inner is None:
        raise fail("filter.filter", "is required (the filter object is nested: "
                   '{"filter": {"filter": {...}}})', "REQUIRED_FIELD")
    predicate = compile_filter(EVENT_QUERY, inner)
    return [s for doc, s in _base_docs(ctx, ctx.txn.list(ctx.site, EVENTS)) if predicate(doc)]


def bulk_delete_by_filter(ctx: Ctx) -> dict[str, Any]:
    for event in _matching(ctx):
        _delete(ctx, event)
    return {}


def bulk_cancel_by_filter(ctx: Ctx) -> dict[str, Any]:
    for event in _matching(ctx):
        _cancel(ctx, event)
    return {}


def clone_event(ctx: Ctx) -> dict[str, Any]:
    source = _load(ctx, ctx.path["eventId"])
    raw = ctx.body.get("event")
    overrides = check(UPDATE_SPEC, raw, "event") if raw is not None else {}
    draft = ctx.body.get("draft", True)
    if not isinstance(draft, bool):
        raise fail("draft", "Expected a boolean.", "FORMAT")
    _fields(ctx)
    event = copy.deepcopy({k: v for k, v in source.items() if not k.startswith("_")})
    dates = event.get("dateAndTimeSettings") or {}
    for key in ("startDate", "endDate"):
        if dates.get(key):
            dates[key] = shifted(dates[key], timedelta(days=14))
    event.pop("publishedDate", None)
    event.pop("seoSettings", None)
    titles = {e["title"] for e in ctx.txn.list(ctx.site, EVENTS)}
    if "title" not in overrides and event["title"] in titles:
        n = 1
        while f"{source['title']} ({n})" in titles:
            n += 1
        event["title"] = f"{source['title']} ({n})"[:120]
    event["slug"] = unique_slug(slug_from_title(event["title"]), _taken_slugs(ctx))
    event["id"] = new_id()
    _apply_patch(ctx, event, overrides)
    now = _stamp(ctx)
    event.update(createdDate=now, updatedDate=now, userId=stable_id("user", ctx.api_key),
                 _state="DRAFT" if draft else "PUBLISHED")
    if not draft:
        event["publishedDate"] = now
    _save(ctx, event)
    copies = _copy_children(ctx, source["id"], event["id"], now)
    EVENT.announce(ctx.scope, "created", event["id"], _full(ctx, event))
    for definition in copies:
        announce_definition(ctx.scope, "created", definition, event)
    return _respond(ctx, event)


def _copy_children(ctx: Ctx, source_id: str, target_id: str, now: str) -> list[dict[str, Any]]:
    """Copy the source's ticket definitions and form; the copied definitions."""
    copies = []
    for definition in ctx.txn.list(ctx.site, TICKET_DEFINITIONS, source_id):
        copied = {k: v for k, v in definition.items() if k not in ("_sold", "_reserved",
                                                                    "_revenue")}
        copied.update(id=new_id(), eventId=target_id, revision="1", createdDate=now,
                      updatedDate=now)
        ctx.txn.put(ctx.site, TICKET_DEFINITIONS, copied["id"], copied, parent=target_id)
        copies.append(copied)
    form = ctx.txn.get(ctx.site, FORMS, source_id) or forms.default_form()
    ctx.txn.put(ctx.site, FORMS, target_id, copy.deepcopy(form), parent=target_id)
    return copies


ENDPOINTS = [
    Endpoint("POST", PREFIX, create_event),
    Endpoint("POST", f"{PREFIX}/query", query_events),
    Endpoint("POST", f"{PREFIX}/count-by-status", count_events_by_status),
    Endpoint("GET", f"{PREFIX}/slug/{{slug}}", get_event_by_slug),
    Endpoint("GET", f"{PREFIX}/category/{{categoryId}}", list_events_by_category),
    Endpoint("POST", f"{PREFIX}/{{eventId}}/publish", publish_event),
    Endpoint("POST", f"{PREFIX}/{{eventId}}/cancel", cancel_event),
    Endpoint("POST", f"{PREFIX}/{{eventId}}/clone", clone_event),
    Endpoint("GET", f"{PREFIX}/{{eventId}}", get_event),
    Endpoint("PATCH", f"{PREFIX}/{{eventId}}", update_event),
    Endpoint("DELETE", f"{PREFIX}/{{eventId}}", delete_event),
    Endpoint("POST", f"{BULK}/delete-by-filter", bulk_delete_by_filter),
    Endpoint("POST", f"{BULK}/cancel-by-filter", bulk_cancel_by_filter),
]
