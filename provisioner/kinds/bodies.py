"""Turn a validated spec's objects into the bodies the Wix API takes: the spec's conveniences
undone. The `spec_body` hooks of the rows in `table` call these.

Local times become UTC instants, plain-text descriptions become rich content, prices gain the
event's currency, list order stays list order, and the spec's own keys (`renamed_from`, `id`,
`state`, and the event's child sections, which the table lists) are taken off. Defaults the
spec documents are filled in here, so every later stage sees one explicit value:
`registration.initialType` (TICKETING when the event lists tickets), `feeType` (NO_FEE for a
free ticket, else FEE_INCLUDED) and a schedule item's `timeZoneId` (the event's).

Only call these on a spec that validated without errors; they do not re-check it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..spec import times
from ..spec.event_rules import RSVP, TICKETING
from ..spec.identity import event_slug
from ..spec.richtext import to_rich

SPEC_KEYS = ("renamed_from", "id")  # identity, not data: on every object
EVENT_SPEC_KEYS = ("state", "slug")  # an event's life cycle and identity, not data
EVENT_TIMES = (("dateAndTimeSettings", "startDate"), ("dateAndTimeSettings", "endDate"),
               ("registration", "rsvp", "startDate"), ("registration", "rsvp", "endDate"))


def data(obj: dict[str, Any], *drop: str) -> dict[str, Any]:
    """A copy of a spec object without its identity keys (and `drop`)."""
    return {key: json_copy(value) for key, value in obj.items()
            if key not in SPEC_KEYS and key not in drop}


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-like data (what a spec holds): several times faster than
    `copy.deepcopy`, which a fleet's bodies spent a tenth of a second in."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def plain_body(obj: dict[str, Any]) -> dict[str, Any]:
    """A spec object as the API takes it when nothing needs converting: identity keys off."""
    return data(obj)


def event_zone(event: dict[str, Any]) -> ZoneInfo | None:
    """The event's zone; None only for an event to be dated that names none (its times,
    if any, then carry Z or an offset: the rules see to it)."""
    return times.zone(event["dateAndTimeSettings"].get("timeZoneId") or "")


def wire_time(text: str, zone: ZoneInfo | None) -> str:
    return times.parse(text, zone).wire()


def initial_type(event: dict[str, Any]) -> str:
    given = event.get("registration", {}).get("initialType")
    return given or (TICKETING if "tickets" in event else RSVP)


def event_body(event: dict[str, Any], sections: tuple[str, ...]) -> dict[str, Any]:
    """The `event` of a Create Event request (Events V3); `sections` are the keys that hold
    the event's children in the spec."""
    zone = event_zone(event)
    body = data(event, *EVENT_SPEC_KEYS, *sections)
    for path in EVENT_TIMES:
        *parents, leaf = path
        holder: Any = body
        for name in parents:
            holder = holder.get(name) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and leaf in holder:
            holder[leaf] = wire_time(holder[leaf], zone)
    if isinstance(body.get("description"), str):
        body["description"] = to_rich(body["description"])
    body.setdefault("registration", {})["initialType"] = initial_type(event)
    body.setdefault("seoSettings", {})["slug"] = event_slug(event)
    return body


def event_state(event: dict[str, Any]) -> str:
    return event.get("state", "DRAFT")


def money(price: str | dict[str, Any], currency: str | None) -> dict[str, Any]:
    if isinstance(price, dict):
        return {"value": price["value"], "currency": price.get("currency", currency)}
    return {"value": price, "currency": currency}


def _amounts(pricing: dict[str, Any]) -> list[Decimal]:
    prices = [pricing[key] for key in ("fixedPrice", "guestPrice") if key in pricing]
    prices += [o["price"] for o in pricing.get("pricingOptions", {}).get("optionDetails", [])]
    return [Decimal(p["value"] if isinstance(p, dict) else p) for p in prices]


def ticket_body(ticket: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """A Create Ticket Definition body's `ticketDefinition`, without `eventId`."""
    zone = event_zone(event)
    currency = event.get("registration", {}).get("tickets", {}).get("currency")
    body = data(ticket)
    pricing = body["pricingMethod"]
    for key in ("fixedPrice", "guestPrice"):
        if key in pricing:
            pricing[key] = money(pricing[key], currency)
    for option in pricing.get("pricingOptions", {}).get("optionDetails", []):
        option["price"] = money(option["price"], currency)
    if "feeType" not in body:
        free = "fixedPrice" in pricing and all(a == 0 for a in _amounts(ticket["pricingMethod"]))
        body["feeType"] = "NO_FEE" if free else "FEE_INCLUDED"
    if "salePeriod" in body:
        for leaf in ("startDate", "endDate"):
            body["salePeriod"][leaf] = wire_time(body["salePeriod"][leaf], zone)
    return body


def schedule_item_body(item: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """An Add Schedule Item body's `item`."""
    body = data(item)
    slot = body["timeSlot"]
    own = event["dateAndTimeSettings"].get("timeZoneId")
    if own:
        slot.setdefault("timeZoneId", own)
    zone = times.zone(slot.get("timeZoneId") or "")
    slot["start"], slot["end"] = wire_time(slot["start"], zone), wire_time(slot["end"], zone)
    return body


def policy_body(policy: dict[str, Any]) -> dict[str, Any]:
    """A Create Policy body's `policy`, without `eventId`."""
    return data(policy)


def control_body(control: dict[str, Any]) -> dict[str, Any]:
    """An Add Control (or Update Control) body: `{<kind>: {...}}`."""
    return data(control)


def category_body(category: dict[str, Any]) -> dict[str, Any]:
    """A Create Category body's `category`."""
    return data(category, "existing")
