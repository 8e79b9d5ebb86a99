"""Schedule (event agenda) endpoints: list, query, get, and the draft's add, update, delete,
discard, publish and reschedule, under `/events/v1/schedule` and the legacy `/events/v1/agenda`.

Add, update, delete and reschedule change only an event's draft schedule; Publish makes the
published schedule equal to the draft and Discard resets the draft to the published schedule
(see schedule_model.py). Bookmarks are member-only and not served.

Decisions where the Wix notes are unsure (each is one place in this module or its model):
- Query returns published copies only (hidden ones included: the caller manages the event).
  Its default page is 50 items (the query builders' default); offset paging unless the request
  sends `cursorPaging`.
- List pages 100 items by default; `paging.limit` and the deprecated `limit` are 0..100,
  the deprecated `offset` at most 1000; `paging` wins over the deprecated pair. An unknown
  `eventId` lists nothing (no 404).
- List facets are `tag` and `stageName`, counted over every matching item (before paging);
  any other facet name is a 400. `tag` matches items carrying any of the given tags.
- List filtered by nothing but event ids and `state` (what a planner sends) is read from the
  store's index in time order, page alone (see `_indexed`); any other filter or a facet reads
  every copy of the events and filters here. Both give the same answer.
- When both PUBLISHED and DRAFT are requested, List returns both copies of an item.
- `draftNotPublished` compares the writable fields of the two copies, so an edit that is later
  undone in the draft, or a publish of an unchanged draft, reports `false`.
- Get answers 404 `SCHEDULE_ITEM_NOT_FOUND` when it has nothing to return, including an item
  that exists only in the draft and `includeDraft` is not true.
- `name` must not be empty; `timeSlot.end` must be strictly after `timeSlot.start`; empty
  `description`, `stageName` and `tags` are treated as unset (proto3) and not returned.
- Update with an empty mask replaces every writable field (omitted ones return to their
  defaults); a mask names item-relative paths (`name`, `timeSlot.start`, ...) and an unknown
  path is a 400. The whole sent item is validated even where the mask ignores it.
- Delete refuses the whole request with 404 if any id is not in the event's draft.
- `timeSlotOffset` must be the protobuf JSON Duration string ("3600s", "-1.5s"); absent means
  no shift. No maximum number of items per event is enforced (none is documented).
"""

from __future__ import annotations

from typing import Any

from .common import (
    SCHEDULE_DRAFT,
    SCHEDULE_PUBLISHED,
    check_path_id,
    public,
    public_read,
    require_event,
    require_id,
)
from .derived import HIDDEN, VISIBLE
from .errors import NotFound
from .fields import check, fail
from .http import Ctx, Endpoint, aliased
from .params import body_object, bool_param, int_param, repeated_param, time_param
from .query import run_query
from .schedule_model import (
    FACETS,
    ITEM_PATCH_SPEC,
    ITEM_SPEC,
    MASK_PATHS,
    MAX_PAGE,
    SCHEDULE_QUERY,
    STATES,
    by_time,
    check_time_zone,
    complete_item,
    discard_draft,
    draft_differs,
    facet_counts,
    find_copy,
    item_document,
    parse_duration,
    publish_draft,
    reschedule,
    writable,
)
from .values import format_timestamp, get_path, new_id, parse_field_mask, parse_timestamp, set_path

PREFIXES = ["/events/v1/schedule", "/events/v1/agenda"]
LIST_DEFAULT_LIMIT = 100
DEPRECATED_MAX_OFFSET = 1000


def _stamp(ctx: Ctx) -> str:
    return format_timestamp(ctx.now())


def _not_found(item_id: str) -> NotFound:
    return NotFound(f"Schedule item {item_id} not found", code="SCHEDULE_ITEM_NOT_FOUND")


# --- query-string parameters -------------------------------------------------------------------


def _paging(ctx: Ctx) -> tuple[int, int]:
    limit = int_param(ctx, "paging.limit", MAX_PAGE)
    offset = int_param(ctx, "paging.offset", None)
    old_limit = int_param(ctx, "limit", MAX_PAGE)
    old_offset = int_param(ctx, "offset", DEPRECATED_MAX_OFFSET)
    if limit is None:
        limit = LIST_DEFAULT_LIMIT if old_limit is None else old_limit
    if offset is None:
        offset = old_offset or 0
    return limit, offset


# --- reads -------------------------------------------------------------------------------------


def _kinds(states: set[str]) -> list[str]:
    """The copies `states` asks for, published first (the order of equal time slots)."""
    return [kind for state, kind in (("PUBLISHED", SCHEDULE_PUBLISHED), ("DRAFT", SCHEDULE_DRAFT))
            if state in states]


def _indexed(ctx: Ctx, event_ids: list[str], states: set[str], limit: int, offset: int
             ) -> tuple[int, list[dict[str, Any]]] | None:
    """(total, page) of the copies `states` asks for, from the store's time-ordered index;
    None when the store cannot answer (an unkeyed copy on the site)."""
    shown = {"VISIBLE", "HIDDEN"} & states
    prefix = None if len(shown) == 2 else VISIBLE if "VISIBLE" in shown else HIDDEN
    page = ctx.txn.children_by_key(ctx.site, _kinds(states), event_ids or None,
                                   offset=offset, limit=limit, digest_prefix=prefix)
    return None if page is None else (page.total, page.docs)


def _copies(ctx: Ctx, kind: str, event_ids: list[str]) -> list[dict[str, Any]]:
    if not event_ids:
        return ctx.txn.list(ctx.site, kind)
    return [doc for event_id in event_ids for doc in ctx.txn.list(ctx.site, kind, event_id)]


def list_items(ctx: Ctx) -> dict[str, Any]:
    event_ids = repeated_param(ctx, "eventId", 100)
    item_ids = set(repeated_param(ctx, "itemId", 100))
    tags = set(repeated_param(ctx, "tag", 50, min_len=1, max_len=30))
    stages = set(repeated_param(ctx, "stageName", 50))
    facets = repeated_param(ctx, "facet", 20, allowed=FACETS)
    states = set(repeated_param(ctx, "state", 20, allowed=STATES))
    if not states & {"PUBLISHED", "DRAFT"}:
        states.add("PUBLISHED")
    if not states & {"VISIBLE", "HIDDEN"}:
        states.add("VISIBLE")
    starting_from = time_param(ctx, "startingFrom")
    starting_before = time_param(ctx, "startingBefore")
    limit, offset = _paging(ctx)

    def wanted(doc: dict[str, Any]) -> bool:
        start = parse_timestamp(doc["timeSlot"]["start"])
        return (
            ("HIDDEN" if doc["hidden"] else "VISIBLE") in states
            and (not item_ids or doc["id"] in item_ids)
            and (not tags or bool(tags & set(doc.get("tags", []))))
            and (not stages or doc.get("stageName") in stages)
            and (starting_from is None or (start is not None and start >= starting_from))
            and (starting_before is None or (start is not None and start < starting_before))
        )

    filtered = bool(item_ids or tags or stages or facets) or starting_from is not None \
        or starting_before is not None
    found = None if filtered else _indexed(ctx, event_ids, states, limit, offset)
    if found is not None:
        total, page = found
        matched: list[dict[str, Any]] = []  # facets are counted over it: none were asked for
    else:
        docs = [doc for kind in _kinds(states) for doc in _copies(ctx, kind, event_ids)]
        matched = [doc for doc in by_time(docs) if wanted(doc)]
        total, page = len(matched), matched[offset : offset + limit]
    out: dict[str, Any] = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [public_read(doc) for doc in page],
        "facets": facet_counts(matched, facets),
    }
    if len(event_ids) == 1:
        out["draftNotPublished"] = draft_differs(ctx.scope, event_ids[0])
    out["pagingMetadata"] = {"count": len(page), "offset": offset, "total": total,
                             "tooManyToCount": False}
    return out


def query_items(ctx: Ctx) -> dict[str, Any]:
    published = [public(doc) for doc in by_time(ctx.txn.list(ctx.site, SCHEDULE_PUBLISHED))]
    result = run_query(SCHEDULE_QUERY, published, ctx.body.get("query"), site=ctx.site,
                       cursors=ctx.state.cursors)
    return {"items": result.items, SCHEDULE_QUERY.metadata_key: result.metadata}


def get_item(ctx: Ctx) -> dict[str, Any]:
    item_id = ctx.path["itemId"]
    event_id = ctx.param("eventId") or None
    include_draft = bool_param(ctx, "includeDraft")
    out: dict[str, Any] = {}
    published = find_copy(ctx.scope, SCHEDULE_PUBLISHED, item_id, event_id)
    if published is not None:
        out["item"] = public(published)
    draft = find_copy(ctx.scope, SCHEDULE_DRAFT, item_id, event_id) if include_draft else None
    if draft is not None:
        out["draft"] = public(draft)
    if not out:
        raise _not_found(item_id)
    return out


# --- draft changes ----------------------------------------------------------------------------


def add_item(ctx: Ctx) -> dict[str, Any]:
    event_id = require_id(ctx.body.get("eventId"), "eventId")
    item = complete_item(check(ITEM_SPEC, body_object(ctx, "item"), "item"))
    require_event(ctx.scope, event_id)
    now = _stamp(ctx)
    doc = item_document(new_id(), event_id, item, draft=True, created=now, updated=now)
    ctx.txn.put(ctx.site, SCHEDULE_DRAFT, doc["id"], doc, parent=event_id)
    return {"item": public(doc)}


def _field_mask(ctx: Ctx) -> list[str] | None:
    mask = parse_field_mask(ctx.body.get("fields"))
    if mask == []:
        raise fail("fields", 'must be a field mask: "name,stageName", ["name"] or '
                   '{"paths": ["name"]}', "FORMAT")
    for index, path in enumerate(mask or []):
        if path not in MASK_PATHS:
            raise fail(f"fields[{index}]", f"unknown field path {path!r}; updatable paths: "
                       f"{', '.join(sorted(MASK_PATHS))}", "FORMAT")
    return mask


def update_item(ctx: Ctx) -> dict[str, Any]:
    item_id = ctx.path["itemId"]
    check_path_id(item_id, ctx.body.get("itemId"), "itemId")
    event_id = require_id(ctx.body.get("eventId"), "eventId")
    mask = _field_mask(ctx)
    raw = body_object(ctx, "item")
    sent = check(ITEM_PATCH_SPEC, raw, "item")
    require_event(ctx.scope, event_id)
    stored = find_copy(ctx.scope, SCHEDULE_DRAFT, item_id, event_id)
    if stored is None:
        raise _not_found(item_id)
    if mask is None:
        merged = raw  # no mask: the sent item replaces every writable field
    else:
        merged = writable(stored)
        for path in mask:
            set_path(merged, path, get_path(sent, path))
    item = complete_item(check(ITEM_SPEC, merged, "item"))
    doc = item_document(item_id, event_id, item, draft=True, created=stored["createdDate"],
                        updated=_stamp(ctx))
    ctx.txn.put(ctx.site, SCHEDULE_DRAFT, item_id, doc, parent=event_id)
    return {"item": public(doc)}


def delete_items(ctx: Ctx) -> dict[str, Any]:
    event_id = require_id(ctx.param("eventId"), "eventId")
    item_ids = repeated_param(ctx, "itemIds", 100)
    if not item_ids:
        raise fail("itemIds", "must have at least 1 item", "MIN_SIZE", min=1)
    require_event(ctx.scope, event_id)
    for item_id in item_ids:
        if find_copy(ctx.scope, SCHEDULE_DRAFT, item_id, event_id) is None:
            raise _not_found(item_id)
    for item_id in item_ids:
        ctx.txn.delete(ctx.site, SCHEDULE_DRAFT, item_id)
    return {}


def discard(ctx: Ctx) -> dict[str, Any]:
    event = require_event(ctx.scope, ctx.param("eventId"))
    discard_draft(ctx.scope, event["id"])
    return {}


def publish(ctx: Ctx) -> dict[str, Any]:
    event = require_event(ctx.scope, ctx.body.get("eventId"))
    publish_draft(ctx.scope, event["id"])
    return {}


def reschedule_draft(ctx: Ctx) -> dict[str, Any]:
    event_id = require_id(ctx.body.get("eventId"), "eventId")
    zone = check_time_zone(ctx.body.get("timeZoneId"), "timeZoneId")
    offset = parse_duration(ctx.body.get("timeSlotOffset"), "timeSlotOffset")
    require_event(ctx.scope, event_id)
    now = _stamp(ctx)
    for doc in ctx.txn.list(ctx.site, SCHEDULE_DRAFT, event_id):
        reschedule(doc, offset, zone, now)
        ctx.txn.put(ctx.site, SCHEDULE_DRAFT, doc["id"], doc, parent=event_id)
    return {}


ENDPOINTS: list[Endpoint] = [
    # literal paths first: Starlette matches in order and "/{itemId}" would swallow them
    *aliased(PREFIXES, "GET", "", list_items),
    *aliased(PREFIXES, "POST", "/query", query_items),
    *aliased(PREFIXES, "POST", "/publish", publish),
    *aliased(PREFIXES, "POST", "/draft", add_item),
    *aliased(PREFIXES, "DELETE", "/draft", discard),
    *aliased(PREFIXES, "DELETE", "/draft/items", delete_items),
    *aliased(PREFIXES, "POST", "/draft/reschedule", reschedule_draft),
    *aliased(PREFIXES, "PATCH", "/draft/{itemId}", update_item),
    *aliased(PREFIXES, "GET", "/{itemId}", get_item),
]
