"""What the store derives from each kind's documents on every write (see store.py): the sort
key of the kind's display order, the digest its filters read, and the aggregates kept per
event. `create_app` installs them; the indexed reads in the API modules rely on exactly these
meanings.

- Events: the key is the slug (the digest is unused); Get by slug and a Query Events filtered
  by `slug` or `id` alone look the events up rather than read them all. An event whose id is
  not its document's, or that the general path could not build a filter view of, is declined.
- Ticket definitions and policies: the key is the `_sortIndex` that orders an event's
  children (`common.display_order`); ties fall to creation order in the store, as in the
  stable sort. The digest is "V" or "H": visible or hidden (Query Available Ticket
  Definitions leaves hidden ones out; policies are all "V").
- Schedule items (draft and published copies): the key is the time slot's start and end as
  fixed-width UTC text, so byte order is `schedule_model.by_time`'s order; the digest is "V"
  or "H", whether the item is visible or hidden (List's `state` filter).
- Forms: no order; the digest is "R" when the stored text is exactly the FORM fieldset's
  value (`{"controls", "messages"}`, in that order), so a page of events splices it in
  undecoded (raw_json.py); other forms are declined and rendered from their decoded value.
- Per event, the ticket facts its rendering needs (`ticket_facts.aggregate`).

A derivation declines (answers None) a document whose values would not order or filter in
SQL exactly as the general path orders and filters them in Python: a `_sortIndex` that is not
an integer, a time slot that does not parse, a child whose `eventId` is not its parent. The
store then leaves it unkeyed, and every read of its kind on that site takes the general path.
Change `VERSION` whenever a derivation changes: the store then derives every document again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .common import (
    EVENTS,
    FORMS,
    POLICIES,
    SCHEDULE_DRAFT,
    SCHEDULE_PUBLISHED,
    TICKET_DEFINITIONS,
)
from .store import Aggregation, Derivation
from .ticket_facts import aggregate
from .values import parse_timestamp

VERSION = "1"
_INDEX_OFFSET = 10**18  # sort indices are shifted to be non-negative, then zero-padded
VISIBLE, HIDDEN = "V", "H"
AS_SHOWN = "R"  # a form stored exactly as the FORM fieldset shows it


def index_key(value: Any) -> str | None:
    """A `_sortIndex` (0 when absent) as text in the same order, or None if it is not an
    integer of at most 18 digits."""
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= _INDEX_OFFSET:
        return None
    return f"{value + _INDEX_OFFSET:019d}"


def _instant(moment: datetime) -> str:
    # parse_timestamp answers UTC, so equal instants give equal text; the year is padded, as
    # %Y would not be below 1000
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")


def _child_of_event(doc: dict[str, Any], parent: str | None) -> str | None:
    """The sort key of an event's ordered child, None unless its `eventId` is its parent."""
    if doc.get("eventId") != parent or not isinstance(parent, str):
        return None
    return index_key(doc.get("_sortIndex", 0))


def event(doc: dict[str, Any], doc_id: str, parent: str | None) -> tuple[str, str] | None:
    if parent is not None or doc.get("id") != doc_id or not isinstance(doc.get("slug"), str):
        return None
    # Query Events' general path builds a filter view of every event (event_model.filter_view)
    if any(key not in doc for key in ("title", "createdDate", "updatedDate", "userId")):
        return None
    if any(doc.get(key) and not isinstance(doc[key], dict)
           for key in ("dateAndTimeSettings", "registration")):
        return None
    return doc["slug"], VISIBLE


def ticket_definition(doc: dict[str, Any], doc_id: str, parent: str | None
                      ) -> tuple[str, str] | None:
    key = _child_of_event(doc, parent)
    return None if key is None else (key, HIDDEN if doc.get("hidden") else VISIBLE)


def policy(doc: dict[str, Any], doc_id: str, parent: str | None) -> tuple[str, str] | None:
    key = _child_of_event(doc, parent)
    return None if key is None else (key, VISIBLE)


def schedule_item(doc: dict[str, Any], doc_id: str, parent: str | None
                  ) -> tuple[str, str] | None:
    slot = doc.get("timeSlot")
    if not isinstance(slot, dict) or "hidden" not in doc or "id" not in doc:
        return None
    start, end = parse_timestamp(slot.get("start")), parse_timestamp(slot.get("end"))
    if start is None or end is None:
        return None
    return f"{_instant(start)} {_instant(end)}", HIDDEN if doc["hidden"] else VISIBLE


def form(doc: dict[str, Any], doc_id: str, parent: str | None) -> tuple[str, str] | None:
    return ("", AS_SHOWN) if list(doc) == ["controls", "messages"] else None


DERIVATIONS: dict[str, Derivation] = {
    EVENTS: event,
    FORMS: form,
    TICKET_DEFINITIONS: ticket_definition,
    POLICIES: policy,
    SCHEDULE_DRAFT: schedule_item,
    SCHEDULE_PUBLISHED: schedule_item,
}
AGGREGATIONS: dict[str, Aggregation] = {TICKET_DEFINITIONS: aggregate}
