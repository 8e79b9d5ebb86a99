"""Schedule item entity: request and query specs, the rules no field spec can say, the two
copies of a schedule, and the small computations the endpoints share (facets, reschedule).

Every event owns a draft schedule and a published one, stored as the kinds SCHEDULE_DRAFT and
SCHEDULE_PUBLISHED with `parent=<eventId>`. An item keeps its id in both copies; each stored
document is the public wire shape, including `draft: true/false`, so rendering is `public()`.
Publishing copies the draft over the published schedule and discarding copies it back; both
rewrite the target in the source's order, so creation order (the tie-break after time) survives.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .common import SCHEDULE_DRAFT, SCHEDULE_PUBLISHED
from .errors import FieldViolation, ValidationFailed
from .event_spec import known_time_zone
from .fields import AnyJson, Arr, Bool, Enum, F, Obj, Str, Timestamp, fail
from .query import RANGE, QField, QuerySpec, ops
from .scope import Scope
from .values import format_timestamp, parse_timestamp

DEFAULT_TIME_ZONE = "Etc/UTC"
STATUSES = ("SCHEDULED", "CANCELED")
# the writable fields (ScheduleItemData), in the order responses list them
WRITABLE = ("name", "timeSlot", "description", "stageName", "tags", "status", "hidden")
MASK_PATHS = frozenset(WRITABLE) | {"timeSlot.start", "timeSlot.end", "timeSlot.timeZoneId"}
MAX_PAGE = 100
STATES = ("PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN")  # List's `state` filter
FACETS = ("tag", "stageName")  # List's supported `facet` names
# protobuf's Duration range: +-10,000 years in seconds
MAX_DURATION_SECONDS = 315_576_000_000
DURATION_RE = re.compile(r"^(-?)(\d+)(?:\.(\d{1,9}))?s$")

RO = F(AnyJson(), readonly=True)

_COMPARE = ops("$eq", "$ne", RANGE)
SCHEDULE_QUERY = QuerySpec(
    name="schedule_items",
    fields={
        "id": QField("string", _COMPARE),
        "eventId": QField("string", _COMPARE),
        "name": QField("string", _COMPARE),
        "description": QField("string", _COMPARE),
        "stageName": QField("string", _COMPARE),
        "createdDate": QField("date", _COMPARE),
        "updatedDate": QField("date", _COMPARE),
    },
    metadata_key="pagingMetadata",
    paging="offset",
    default_limit=50,
    max_limit=MAX_PAGE,
)


def _item_spec(full: bool) -> Obj:
    """The item as a request sends it; `full` marks what Add (and a full replacement) needs."""
    time_slot = Obj(
        {
            "start": F(Timestamp(), required=full),
            "end": F(Timestamp(), required=full),
            "timeZoneId": Str(min_len=1, max_len=100),
        }
    )
    return Obj(
        {
            "id": RO,
            "eventId": RO,
            "draft": RO,
            "createdDate": RO,
            "updatedDate": RO,
            "name": F(Str(min_len=1, max_len=120), required=full),
            "timeSlot": F(time_slot, required=full),
            "description": Str(max_len=10000),
            "stageName": Str(max_len=30),
            "tags": Arr(Str(min_len=1, max_len=30), max_items=5),
            "status": Enum(STATUSES),
            "hidden": Bool(),
        }
    )


ITEM_SPEC = _item_spec(full=True)
ITEM_PATCH_SPEC = _item_spec(full=False)


def complete_item(item: dict[str, Any]) -> dict[str, Any]:
    """A cleaned full item with its defaults and cross-field rules applied, in wire order."""
    errors: list[FieldViolation] = []
    slot = item["timeSlot"]
    start, end = parse_timestamp(slot["start"]), parse_timestamp(slot["end"])
    if start and end and end <= start:
        errors.append(FieldViolation("item.timeSlot.end", "must be after timeSlot.start "
                                     "(the end of a time slot is exclusive)", "CUSTOM"))
    zone = slot.setdefault("timeZoneId", DEFAULT_TIME_ZONE)
    if not known_time_zone(zone):
        errors.append(FieldViolation("item.timeSlot.timeZoneId", f"unknown time zone {zone!r}; "
                                     "use an IANA zone such as Europe/London", "FORMAT"))
    if errors:
        raise ValidationFailed(errors)
    # proto3 strings and lists: empty is the same as unset, so it is not returned
    for key in ("description", "stageName", "tags"):
        if key in item and not item[key]:
            del item[key]
    item.setdefault("status", "SCHEDULED")
    item.setdefault("hidden", False)
    return {key: item[key] for key in WRITABLE if key in item}


def writable(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(doc[key]) for key in WRITABLE if key in doc}


def item_document(
    item_id: str, event_id: str, item: dict[str, Any], *, draft: bool, created: str, updated: str
) -> dict[str, Any]:
    return {"id": item_id, **item, "createdDate": created, "updatedDate": updated,
            "eventId": event_id, "draft": draft}


def find_copy(
    scope: Scope, kind: str, item_id: str, event_id: str | None
) -> dict[str, Any] | None:
    """One copy of an item, only if it belongs to `event_id` (when one is named)."""
    doc = scope.txn.get(scope.site, kind, item_id)
    if doc is None or (event_id is not None and doc["eventId"] != event_id):
        return None
    return doc


def _copy_schedule(scope: Scope, event_id: str, source: str, target: str) -> None:
    """Make the target schedule of an event an exact copy of the source schedule."""
    scope.txn.delete_children(scope.site, target, event_id)
    for doc in scope.txn.list(scope.site, source, event_id):
        doc["draft"] = target == SCHEDULE_DRAFT
        scope.txn.put(scope.site, target, doc["id"], doc, parent=event_id)


def publish_draft(scope: Scope, event_id: str) -> None:
    _copy_schedule(scope, event_id, SCHEDULE_DRAFT, SCHEDULE_PUBLISHED)


def discard_draft(scope: Scope, event_id: str) -> None:
    _copy_schedule(scope, event_id, SCHEDULE_PUBLISHED, SCHEDULE_DRAFT)


def draft_differs(scope: Scope, event_id: str) -> bool:
    """Whether publishing would change anything: an item added, deleted or edited in the draft."""
    def contents(kind: str) -> dict[str, dict[str, Any]]:
        return {d["id"]: writable(d) for d in scope.txn.list(scope.site, kind, event_id)}

    return contents(SCHEDULE_DRAFT) != contents(SCHEDULE_PUBLISHED)


def by_time(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stable order by time slot start, then end (ties keep creation order)."""
    def key(doc: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
        slot = doc.get("timeSlot") or {}
        return parse_timestamp(slot.get("start")), parse_timestamp(slot.get("end"))

    return sorted(docs, key=key)


def parse_duration(raw: Any, field: str) -> timedelta:
    """A protobuf JSON Duration ("3600s", "-1800s", "1.5s"); absent means no shift."""
    if raw is None:
        return timedelta(0)
    match = DURATION_RE.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise fail(field, 'must be a duration in seconds such as "3600s", "-1800s" or "1.5s"',
                   "FORMAT")
    sign, whole, fraction = match.groups()
    seconds = Decimal(f"{whole}.{fraction or '0'}")
    if seconds > MAX_DURATION_SECONDS:
        raise fail(field, f"must be at most {MAX_DURATION_SECONDS}s in either direction", "MAX")
    micros = int(seconds * 1_000_000)
    return timedelta(microseconds=-micros if sign else micros)


def shift(timestamp: str, offset: timedelta, field: str) -> str:
    moment = parse_timestamp(timestamp)
    if moment is None:  # stored timestamps are always normalised; kept for safety
        return timestamp
    try:
        moved = format_timestamp(moment + offset)
    except OverflowError:
        moved = ""
    if parse_timestamp(moved) is None:  # beyond year 9999 or before year 1000
        raise fail(field, "moves a time slot outside the supported date range", "CUSTOM")
    return moved


def reschedule(doc: dict[str, Any], offset: timedelta, zone: str, now: str) -> None:
    slot = doc["timeSlot"]
    slot["start"] = shift(slot["start"], offset, "timeSlotOffset")
    slot["end"] = shift(slot["end"], offset, "timeSlotOffset")
    slot["timeZoneId"] = zone
    doc["updatedDate"] = now


def facet_counts(docs: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        counts: dict[str, int] = {}
        for doc in docs:
            values = doc.get("tags", []) if name == "tag" else [doc.get("stageName")]
            for value in values:
                if value:
                    counts[value] = counts.get(value, 0) + 1
        out[name] = {"counts": counts}
    return out


def check_time_zone(zone: Any, field: str) -> str:
    """A required IANA time zone id from a request field."""
    if zone is None or zone == "":
        raise fail(field, "is required (an IANA zone such as Europe/London)", "REQUIRED_FIELD")
    if not isinstance(zone, str):
        raise fail(field, "Expected a string.", "FORMAT")
    if len(zone) > 100:
        raise fail(field, f"must be at most 100 characters long (got {len(zone)})",
                   "MAX_LENGTH", max=100)
    if not known_time_zone(zone):
        raise fail(field, f"unknown time zone {zone!r}; use an IANA zone such as "
                   "Europe/London", "FORMAT")
    return zone
