"""Category entity: request specs, query specs, the rules no field spec can say, rendering, and
the shape of bulk results.

A stored category is its wire shape `{id, name, createdDate, states}` plus `_events`, the
ordered ids of the events assigned to it. `counts` is never stored: Query computes it.
"""

from __future__ import annotations

from typing import Any

from .common import public
from .errors import ApiError
from .fields import AnyJson, Arr, Enum, F, Obj, Str, fail
from .query import ALL_SCALAR, QField, QuerySpec, ops

STATES = ("MANUAL", "AUTO", "RECURRING_EVENT", "HIDDEN")
DEFAULT_STATES = ["MANUAL"]
MAX_CATEGORIES_PER_EVENT = 10  # the Events V3 typing caps event.categories.categories at 10
WIRE_ORDER = ("id", "name", "createdDate", "states")

_RO = F(AnyJson(), readonly=True)
_NAME = Str(min_len=1, max_len=30)
_STATES = Arr(Enum(STATES), max_items=3)
GUID = Str(fmt="GUID")

CREATE_SPEC = Obj({"id": _RO, "name": F(_NAME, required=True), "createdDate": _RO,
                   "counts": _RO, "states": _STATES})
UPDATE_SPEC = Obj({"id": _RO, "name": _NAME, "createdDate": _RO, "counts": _RO,
                   "states": _STATES})
BULK_CREATE_SPEC = Obj({"categories": F(Arr(AnyJson(), 1, 10), required=True)})
ASSIGN_SPEC = Obj({"eventId": F(Arr(GUID, 1, 100), required=True)})
BULK_ASSIGN_SPEC = Obj({
    "categoryId": F(Arr(GUID, 1, 10), required=True),
    "eventId": F(Arr(GUID, 1, 1), required=True),
})
BY_FILTER_SPEC = Obj({
    "categoryId": F(Arr(GUID, 1, 10), required=True),
    "filter": F(AnyJson(), required=True),
})
REORDER_SPEC = Obj({"eventId": F(Str(min_len=1), required=True), "beforeEventId": Str(),
                    "afterEventId": Str()})
# the query-string arrays of the DELETE endpoints
UNASSIGN_EVENT_IDS = Arr(GUID, 1, 100)
BULK_CATEGORY_IDS = Arr(GUID, 1, 10)
BULK_EVENT_IDS = Arr(GUID, 1, 1)

CATEGORY_QUERY = QuerySpec(
    name="categories",
    fields={
        "id": QField("string", ALL_SCALAR),
        "name": QField("string", ALL_SCALAR),
        "createdDate": QField("date", ALL_SCALAR),
        "states": QField("array", ops("$hasSome"), sortable=False),
    },
    metadata_key="metaData",
    paging="offset",
    default_limit=100,
    max_limit=1000,
    accepts_cursor=False,
)
# the by-filter endpoints filter events, not categories; `name` follows the SDK comment
EVENT_FILTER = QuerySpec(
    name="category-event-filter",
    fields={"id": QField("string", ops("$eq", "$in")),
            "title": QField("string", ops("$eq", "$in"))},
    metadata_key="",
    paging="offset",
    default_limit=0,
    max_limit=0,
    aliases={"name": "title"},
)


def check_rules(category: dict[str, Any], where: str) -> None:
    """What no field spec can say: a blank name, a repeated state."""
    if "name" in category and not category["name"].strip():
        raise fail(f"{where}.name", "must not be blank", "MIN_LENGTH")
    states = category.get("states") or []
    for index, state in enumerate(states):
        if state in states[:index]:
            raise fail(f"{where}.states[{index}]", f"repeats {state}", "CUSTOM")


def render(category: dict[str, Any], counts: dict[str, int] | None = None) -> dict[str, Any]:
    """The public Category; `counts` only when the COUNTS fieldset was asked for."""
    shown = public(category)
    out = {key: shown[key] for key in WIRE_ORDER}
    if counts is not None:
        out["counts"] = counts
    return out


# --- bulk results ------------------------------------------------------------------------------


def succeeded(index: int, category: dict[str, Any]) -> dict[str, Any]:
    return {"itemMetadata": {"id": category["id"], "originalIndex": index, "success": True},
            "item": render(category)}


def failed(index: int, error: ApiError, item_id: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {} if item_id is None else {"id": item_id}
    metadata.update(
        originalIndex=index,
        success=False,
        error={"code": error.code, "description": error.message, "data": error.data},
    )
    return {"itemMetadata": metadata}


def bulk_response(results: list[dict[str, Any]]) -> dict[str, Any]:
    successes = sum(1 for r in results if r["itemMetadata"]["success"])
    return {
        "results": results,
        "bulkActionMetadata": {
            "totalSuccesses": successes,
            "totalFailures": len(results) - successes,
            "undetailedFailures": 0,
        },
    }
