"""Categories endpoints: create (one or in bulk), update, delete, query, assign and unassign
events (one category, several, or by an event filter), list an event's categories, and reorder
the events inside a category.

A category is stored in kind CATEGORIES (no parent) with `_events`, the ordered ids of its
assigned events (see categories_model.py). Events V3 reads `_events` for the CATEGORIES fieldset
and List Events By Category, and removes a deleted event from every category.

Decisions where the Wix notes are unsure (each is one place in this module or its model):
- Names are unique per site, compared case-insensitively; a taken name is 409 `ALREADY_EXISTS`
  on create, bulk create (that item fails) and update. A whitespace-only name is a 400.
- An event can be in at most 10 categories (the Events V3 typing caps
  `event.categories.categories` at 10): an 11th is 428 `EVENT_CATEGORIES_LIMIT_REACHED`. No
  limit on categories per site is enforced (none is documented).
- `states` may not repeat a value; an empty or missing list means `["MANUAL"]` on create and
  "unchanged" on update (protobuf JSON cannot tell an empty list from an absent one).
- Every event and category id in a request body or query string must be a GUID. Unknown events
  in assign, unassign and both bulk variants are 404 `EVENT_NOT_FOUND` for the whole request; an
  unknown category is 404 `CATEGORY_NOT_FOUND`, or a failed item in the bulk variants. Assigning
  twice, or unassigning an event that is not assigned, changes nothing; newly assigned events go
  last in the category's order.
- The body's `categoryId` on Assign and Reorder (the SDK repeats the path id there) is ignored.
- Bulk unassign requires its one `eventId` (the SDK marks it optional, but what omitting it
  would do is undocumented).
- The by-filter variants run synchronously. Their `filter` (required) is on events, with a small
  spec: `id` and `title` with `$eq`/`$in` (`name` is read as `title`, after the SDK comment "id
  and name with $eq"), plus `$and`/`$or`/`$not`; drafts are included. An event that is already
  in 10 categories is skipped, as an asynchronous job could not report it.
- Reorder follows the same rule as policies and ticket definitions (`common.reordered`): when
  both `beforeEventId` and `afterEventId` are sent, the one written last wins; neither, an id
  not assigned to the category, or a reference equal to `eventId` is 400
  `INVALID_REORDER_INSTRUCTION`.
- Query requires `query` (non-optional in the SDK) and pages by offset only. `id`, `name` and
  `createdDate` are sortable, `states` is not and takes only `$hasSome` (SDK spec). Equal names
  keep creation order.
- List Event Categories answers 404 `EVENT_NOT_FOUND` for an unknown event and lists the
  categories in creation order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .categories_model import (
    ASSIGN_SPEC,
    BULK_ASSIGN_SPEC,
    BULK_CATEGORY_IDS,
    BULK_CREATE_SPEC,
    BULK_EVENT_IDS,
    BY_FILTER_SPEC,
    CATEGORY_QUERY,
    CREATE_SPEC,
    DEFAULT_STATES,
    EVENT_FILTER,
    MAX_CATEGORIES_PER_EVENT,
    REORDER_SPEC,
    UNASSIGN_EVENT_IDS,
    UPDATE_SPEC,
    bulk_response,
    check_rules,
    failed,
    render,
    succeeded,
)
from .common import CATEGORIES, EVENTS, check_path_id, load, reordered
from .errors import ApiError, Conflict, FailedPrecondition
from .fields import Arr, check, fail
from .http import Ctx, Endpoint
from .params import body_object, requested_fields
from .query import compile_filter, run_query
from .values import format_timestamp, new_id

PREFIX = "/events/v1/categories"
BULK = "/events/v1/bulk/categories"
ASYNC = "/events/v1/bulk-async/categories"

Change = Callable[[Ctx, dict[str, Any], list[str]], None]


# --- storage -----------------------------------------------------------------------------------


def _load(ctx: Ctx, category_id: str) -> dict[str, Any]:
    return load(ctx.scope, CATEGORIES, category_id, "Category", "CATEGORY_NOT_FOUND")


def _save(ctx: Ctx, category: dict[str, Any]) -> None:
    ctx.txn.put(ctx.site, CATEGORIES, category["id"], category)


def _counts(ctx: Ctx, category: dict[str, Any]) -> dict[str, int]:
    events = [ctx.txn.get(ctx.site, EVENTS, event_id) for event_id in category["_events"]]
    states = [event.get("_state") for event in events if event is not None]
    drafts = states.count("DRAFT")
    return {"assignedEventsCount": len(states) - drafts, "assignedDraftEventsCount": drafts}


def _check_name_free(ctx: Ctx, name: str, except_id: str | None = None) -> None:
    wanted = name.casefold()
    for other in ctx.txn.list(ctx.site, CATEGORIES):
        if other["id"] != except_id and other["name"].casefold() == wanted:
            raise Conflict(f"A category named {other['name']!r} already exists on this site",
                           categoryId=other["id"])


def _create(ctx: Ctx, raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        raise fail(where, "is required", "REQUIRED_FIELD")
    category = check(CREATE_SPEC, raw, where)
    check_rules(category, where)
    _check_name_free(ctx, category["name"])
    stored = {
        "id": new_id(),
        "name": category["name"],
        "createdDate": format_timestamp(ctx.now()),
        "states": category.get("states") or list(DEFAULT_STATES),
        "_events": [],
    }
    _save(ctx, stored)
    return stored


# --- assignment --------------------------------------------------------------------------------


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _require_events(ctx: Ctx, event_ids: list[str]) -> None:
    for event_id in event_ids:
        load(ctx.scope, EVENTS, event_id, "Event", "EVENT_NOT_FOUND")


def _categories_per_event(ctx: Ctx) -> dict[str, int]:
    counts: dict[str, int] = {}
    for category in ctx.txn.list(ctx.site, CATEGORIES):
        for event_id in category["_events"]:
            counts[event_id] = counts.get(event_id, 0) + 1
    return counts


def _assign(ctx: Ctx, category: dict[str, Any], event_ids: list[str], *,
            skip_full: bool = False) -> None:
    """Append the events not in the category yet. An event already in the most categories it
    can have is refused, or skipped (`skip_full`) by the by-filter job."""
    per_event = _categories_per_event(ctx)
    added = []
    for event_id in event_ids:
        if event_id in category["_events"] or event_id in added:
            continue
        if per_event.get(event_id, 0) >= MAX_CATEGORIES_PER_EVENT:
            if skip_full:
                continue
            raise FailedPrecondition(
                "EVENT_CATEGORIES_LIMIT_REACHED",
                f"Event {event_id} is already in {MAX_CATEGORIES_PER_EVENT} categories, the "
                "most an event can have",
                eventId=event_id,
            )
        added.append(event_id)
    if added:
        category["_events"] = category["_events"] + added
        _save(ctx, category)


def _unassign(ctx: Ctx, category: dict[str, Any], event_ids: list[str]) -> None:
    remaining = [e for e in category["_events"] if e not in event_ids]
    if remaining != category["_events"]:
        category["_events"] = remaining
        _save(ctx, category)


def _query_ids(ctx: Ctx, name: str, spec: Arr) -> list[str]:
    """A repeated query-string parameter of the DELETE endpoints, checked like a body array."""
    raw = ctx.params(name)
    if not raw:
        raise fail(name, "is required", "REQUIRED_FIELD")
    return _unique(check(spec, raw, name))


# --- handlers ----------------------------------------------------------------------------------


def create_category(ctx: Ctx) -> dict[str, Any]:
    return {"category": render(_create(ctx, ctx.body.get("category"), "category"))}


def bulk_create_categories(ctx: Ctx) -> dict[str, Any]:
    request = check(BULK_CREATE_SPEC, ctx.body, "")
    results = []
    for index, raw in enumerate(request["categories"]):
        try:
            results.append(succeeded(index, _create(ctx, raw, f"categories[{index}]")))
        except ApiError as error:  # an invalid item fails alone
            results.append(failed(index, error))
    return bulk_response(results)


def update_category(ctx: Ctx) -> dict[str, Any]:
    category_id = ctx.path["categoryId"]
    raw = body_object(ctx, "category")
    check_path_id(category_id, raw.get("id"), "category.id")
    patch = check(UPDATE_SPEC, raw, "category")
    check_rules(patch, "category")
    category = _load(ctx, category_id)
    if "name" in patch:
        _check_name_free(ctx, patch["name"], category_id)
        category["name"] = patch["name"]
    if patch.get("states"):
        category["states"] = patch["states"]
    _save(ctx, category)
    return {"category": render(category)}


def delete_category(ctx: Ctx) -> dict[str, Any]:
    category = _load(ctx, ctx.path["categoryId"])
    ctx.txn.delete(ctx.site, CATEGORIES, category["id"])  # its assignments go with it
    return {}


def query_categories(ctx: Ctx) -> dict[str, Any]:
    query = ctx.body.get("query")
    if query is None:
        raise fail("query", "is required", "REQUIRED_FIELD")
    with_counts = "COUNTS" in requested_fields(ctx, ("COUNTS",), 1, key="fieldset")
    stored = sorted(ctx.txn.list(ctx.site, CATEGORIES), key=lambda c: c["name"])  # name ASC
    by_id = {c["id"]: c for c in stored}
    result = run_query(CATEGORY_QUERY, [render(c) for c in stored], query,
                       site=ctx.site, cursors=ctx.state.cursors)
    categories = [
        render(by_id[doc["id"]], _counts(ctx, by_id[doc["id"]]) if with_counts else None)
        for doc in result.items
    ]
    return {"categories": categories, CATEGORY_QUERY.metadata_key: result.metadata}


def assign_events(ctx: Ctx) -> dict[str, Any]:
    request = check(ASSIGN_SPEC, ctx.body, "")
    category = _load(ctx, ctx.path["categoryId"])
    event_ids = _unique(request["eventId"])
    _require_events(ctx, event_ids)
    _assign(ctx, category, event_ids)
    return {}


def unassign_events(ctx: Ctx) -> dict[str, Any]:
    event_ids = _query_ids(ctx, "eventId", UNASSIGN_EVENT_IDS)
    category = _load(ctx, ctx.path["categoryId"])
    _require_events(ctx, event_ids)
    _unassign(ctx, category, event_ids)
    return {}


def _per_category(ctx: Ctx, category_ids: list[str], event_id: str,
                  change: Change) -> dict[str, Any]:
    _require_events(ctx, [event_id])
    results = []
    for index, category_id in enumerate(category_ids):
        try:
            category = _load(ctx, category_id)
            change(ctx, category, [event_id])
            results.append(succeeded(index, category))
        except ApiError as error:  # an unknown or refused category fails alone
            results.append(failed(index, error, category_id))
    return bulk_response(results)


def bulk_assign_events(ctx: Ctx) -> dict[str, Any]:
    request = check(BULK_ASSIGN_SPEC, ctx.body, "")
    return _per_category(ctx, request["categoryId"], request["eventId"][0], _assign)


def bulk_unassign_events(ctx: Ctx) -> dict[str, Any]:
    raw_ids = ctx.params("categoryId")
    if not raw_ids:
        raise fail("categoryId", "is required", "REQUIRED_FIELD")
    category_ids = check(BULK_CATEGORY_IDS, raw_ids, "categoryId")
    event_ids = _query_ids(ctx, "eventId", BULK_EVENT_IDS)
    return _per_category(ctx, category_ids, event_ids[0], _unassign)


def _by_filter(ctx: Ctx, assign: bool) -> dict[str, Any]:
    request = check(BY_FILTER_SPEC, ctx.body, "")
    matches = compile_filter(EVENT_FILTER, request["filter"])
    categories = [_load(ctx, category_id) for category_id in _unique(request["categoryId"])]
    event_ids = [e["id"] for e in ctx.txn.list(ctx.site, EVENTS)
                 if matches({"id": e["id"], "title": e["title"]})]
    for category in categories:
        if assign:
            _assign(ctx, category, event_ids, skip_full=True)
        else:
            _unassign(ctx, category, event_ids)
    return {}


def assign_events_by_filter(ctx: Ctx) -> dict[str, Any]:
    return _by_filter(ctx, assign=True)


def unassign_events_by_filter(ctx: Ctx) -> dict[str, Any]:
    return _by_filter(ctx, assign=False)


def list_event_categories(ctx: Ctx) -> dict[str, Any]:
    event_id = ctx.path["categoryId"]  # on this route the segment holds an event id
    load(ctx.scope, EVENTS, event_id, "Event", "EVENT_NOT_FOUND")
    return {"categories": [
        render(c) for c in ctx.txn.list(ctx.site, CATEGORIES)
        if event_id in c["_events"] and "HIDDEN" not in c["states"]
    ]}


def reorder_category_events(ctx: Ctx) -> dict[str, Any]:
    request = check(REORDER_SPEC, ctx.body, "")
    category = _load(ctx, ctx.path["categoryId"])
    category["_events"] = reordered(
        category["_events"], request["eventId"], ctx.body, "beforeEventId", "afterEventId",
        "eventId", f"the events assigned to category {category['id']}")
    _save(ctx, category)
    return {}


# Literal paths come before `{categoryId}`. GET /categories/{x} is List Event Categories (x is an
# event id) while PATCH and DELETE take a category id: one template spelling serves all three.
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", PREFIX, create_category),
    Endpoint("POST", f"{PREFIX}/query", query_categories),
    Endpoint("POST", f"{PREFIX}/{{categoryId}}/events", assign_events),
    Endpoint("DELETE", f"{PREFIX}/{{categoryId}}/events", unassign_events),
    Endpoint("POST", f"{PREFIX}/{{categoryId}}/reorder", reorder_category_events),
    Endpoint("GET", f"{PREFIX}/{{categoryId}}", list_event_categories),
    Endpoint("PATCH", f"{PREFIX}/{{categoryId}}", update_category),
    Endpoint("DELETE", f"{PREFIX}/{{categoryId}}", delete_category),
    Endpoint("POST", f"{BULK}/create", bulk_create_categories),
    Endpoint("POST", f"{BULK}/events", bulk_assign_events),
    Endpoint("DELETE", f"{BULK}/events", bulk_unassign_events),
    Endpoint("POST", f"{ASYNC}/assign-events-by-filter", assign_events_by_filter),
    Endpoint("POST", f"{ASYNC}/unassign-events-by-filter", unassign_events_by_filter),
]
