"""Ticket Definitions V3 entity: request specs, the rules no field spec can say, and rendering.

A stored definition holds the writable fields as the client sent them (cleaned), the values the
server fixed (id, eventId, revision, dates) and internal keys: `_sortIndex` (display order
within its event) and the sales counters `_sold`, `_reserved` (ints) and `_revenue` (decimal
string). Everything else a response shows is computed when rendering: `limited`,
`actualLimit`, `pricingMethod.pricingType/free`, `saleStatus` (from the clock),
`limitPerCheckout`, and the fieldset-gated `salesDetails` and `eventDetails`.

Decisions where the Wix notes are unsure (the endpoint decisions are in ticket_definitions.py):
- Every price's currency must equal the event's `registration.tickets.currency` (400 naming it);
  amounts must be non-negative decimal strings (any scale). Money needs both value and currency.
- `NO_FEE` is accepted only for a free ticket (`fixedPrice.value` zero); a donation with a zero
  minimum is not free. The refusal is 400 on `ticketDefinition.feeType`.
- A sale period needs both dates (400 otherwise). After rounding down to the minute,
  start >= end, or an end after the event's `endDate`, is 428 `INVALID_SALE_PERIOD`; a TBD event
  has no end to compare with. `saleStatus` is SALE_ENDED from the end minute on.
- `pricingOptions` needs 1..100 options, each with a name and a price; a missing `optionId` is
  generated and duplicate ids are refused.
- `extendedFields` is stored as sent (no data-extension schemas are emulated).
- `initialLimit` is 1..2147483647 (a protobuf int32); `limitPerCheckout` is the event's
  `ticketLimitPerOrder` (default 20), lowered to the unsold count of a limited definition.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import FailedPrecondition, FieldViolation, ValidationFailed, filter_error
from .event_model import render_event
from .fields import (
    MISSING,
    AnyJson,
    Arr,
    Bool,
    Enum,
    F,
    Int,
    JsonObject,
    Obj,
    Spec,
    Str,
    Timestamp,
    fail,
)
from .query import EQ, RANGE, QField, QuerySpec, ops
from .scope import Scope
from .values import format_timestamp, get_path, new_id, parse_timestamp, window_phase

RO = F(AnyJson(), readonly=True)
REQUESTED_FIELDS = ("SALES_DETAILS", "EVENT_DETAILS", "SEATING_DETAILS")
MAX_REQUESTED_FIELDS = 5
MAX_PER_EVENT = 100
DEFAULT_LIMIT_PER_ORDER = 20
FEE_TYPES = ("FEE_INCLUDED", "FEE_ADDED_AT_CHECKOUT", "NO_FEE")
PRICES = ("fixedPrice", "guestPrice", "pricingOptions")
INT32_MAX = 2**31 - 1  # initialLimit is a protobuf int32


class MoneyValue(Spec):
    """A non-negative decimal amount written as a JSON string, e.g. "65.00"."""

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, str):
            # the text Wix answers when a price is sent as a JSON number
            errors.append(FieldViolation(path, "Unexpected value for field value", "FORMAT"))
            return MISSING
        cleaned = Str(min_len=1, fmt="DECIMAL").clean(value, path, errors)
        if cleaned is not MISSING and Decimal(cleaned) < 0:
            errors.append(FieldViolation(path, "must not be negative", "MIN", {"min": 0}))
            return MISSING
        return cleaned


MONEY = Obj(
    {
        "value": F(MoneyValue(), required=True),
        "currency": F(Str(fmt="CURRENCY"), required=True),
    }
)
PRICING_OPTION = Obj(
    {
        "optionId": Str(fmt="GUID"),
        "name": F(Str(min_len=1, max_len=200), required=True),
        "price": F(MONEY, required=True),
    }
)
PRICING_METHOD = Obj(
    {
        "fixedPrice": MONEY,
        "guestPrice": MONEY,
        "pricingOptions": Obj(
            {"optionDetails": F(Arr(PRICING_OPTION, min_items=1, max_items=100), required=True)}
        ),
        "pricingType": RO,
        "free": RO,
    },
    exactly_one=[PRICES],
)
SALE_PERIOD = Obj(
    {
        "startDate": F(Timestamp(), required=True),
        "endDate": F(Timestamp(), required=True),
        "displayNotOnSale": Bool(),
    }
)
WRITABLE: dict[str, F | Spec] = {
    "id": RO,
    "eventId": Str(fmt="GUID"),
    "revision": RO,
    "createdDate": RO,
    "updatedDate": RO,
    "name": Str(min_len=1, max_len=30),
    "description": Str(max_len=500),
    "policyText": Str(max_len=1000),
    "hidden": Bool(),
    "limited": RO,
    "initialLimit": Int(minimum=1, maximum=INT32_MAX),
    "actualLimit": RO,
    "pricingMethod": PRICING_METHOD,
    "feeType": Enum(FEE_TYPES),
    "salePeriod": SALE_PERIOD,
    "saleStatus": RO,
    "salesDetails": RO,
    "limitPerCheckout": RO,
    "extendedFields": Obj({"namespaces": JsonObject()}),
    "eventDetails": RO,
    "seatingDetails": RO,
}
CREATE_SPEC = Obj(
    {
        **WRITABLE,
        "eventId": F(Str(fmt="GUID"), required=True),
        "name": F(Str(min_len=1, max_len=30), required=True),
        "pricingMethod": F(PRICING_METHOD, required=True),
        "feeType": F(Enum(FEE_TYPES), required=True),
    }
)
UPDATE_SPEC = Obj(WRITABLE)

# fields that take range operators too, with their value types
_ORDERED_FIELDS = {
    "id": "string", "eventId": "string", "revision": "int64", "name": "string",
    "description": "string", "initialLimit": "int", "pricingMethod.fixedPrice.value": "decimal",
    "pricingMethod.fixedPrice.currency": "string", "createdDate": "date", "updatedDate": "date",
}
TICKET_QUERY = QuerySpec(
    name="ticket_definitions",
    fields={
        **{name: QField(kind, ops(EQ, RANGE)) for name, kind in _ORDERED_FIELDS.items()},
        "hidden": QField("bool", EQ),
        "feeType": QField("string", EQ),
        "saleStatus": QField("string", EQ),
        "pricingMethod.free": QField("bool", EQ),
        "pricingMethod.pricingType": QField("string", EQ),
    },
    metadata_key="metadata",
    paging="cursor",
    default_limit=100,
    max_limit=100,
    max_sort=10,
    # the older REST table's spellings
    aliases={
        "limit": "initialLimit",
        "pricing_method.pricing_type": "pricingMethod.pricingType",
        "pricing_method.free": "pricingMethod.free",
    },
)
# its own name, so a cursor issued by one query endpoint is refused by the other
AVAILABLE_QUERY = dataclasses.replace(TICKET_QUERY, name="available_ticket_definitions")


# --- rules ------------------------------------------------------------------------------------


def event_currency(event: dict[str, Any]) -> str:
    return ((event.get("registration") or {}).get("tickets") or {}).get("currency") or "USD"


def require_ticketing(event: dict[str, Any]) -> None:
    initial = (event.get("registration") or {}).get("initialType")
    if initial != "TICKETING":
        raise FailedPrecondition(
            "INVALID_EVENT_TYPE",
            f"Event {event['id']} takes {initial} registration; ticket definitions need a "
            "TICKETING event",
        )


def _prices(method: dict[str, Any], where: str) -> list[tuple[str, dict[str, str]]]:
    """(request path, money) for every price in a pricing method."""
    if "fixedPrice" in method:
        return [(f"{where}.fixedPrice", method["fixedPrice"])]
    if "guestPrice" in method:
        return [(f"{where}.guestPrice", method["guestPrice"])]
    options = method["pricingOptions"]["optionDetails"]
    return [
        (f"{where}.pricingOptions.optionDetails[{i}].price", o["price"])
        for i, o in enumerate(options)
    ]


def prepare_pricing(method: dict[str, Any], event: dict[str, Any], where: str) -> None:
    """Check a whole pricing method against its event; give new options their ids."""
    currency = event_currency(event)
    wrong = [
        FieldViolation(
            f"{path}.currency",
            f"must be the event's currency {currency} (got {money['currency']}); change "
            "the currency of all definitions with ChangeCurrency",
            "CUSTOM",
            {"eventCurrency": currency},
        )
        for path, money in _prices(method, where)
        if money["currency"] != currency
    ]
    if wrong:
        raise ValidationFailed(wrong)
    if "pricingOptions" in method:
        seen: set[str] = set()
        for index, option in enumerate(method["pricingOptions"]["optionDetails"]):
            option_id = option.setdefault("optionId", new_id())
            if option_id in seen:
                raise fail(f"{where}.pricingOptions.optionDetails[{index}].optionId",
                           f"duplicates another option's id {option_id}", "CUSTOM")
            seen.add(option_id)


def is_free(method: dict[str, Any]) -> bool:
    fixed = method.get("fixedPrice")
    return fixed is not None and Decimal(fixed["value"]) == 0


def check_fee_type(definition: dict[str, Any], where: str) -> None:
    if definition["feeType"] == "NO_FEE" and not is_free(definition["pricingMethod"]):
        raise fail(f"{where}.feeType", "NO_FEE is only allowed for free tickets (pricingMethod."
                   'fixedPrice.value "0"); use FEE_INCLUDED or FEE_ADDED_AT_CHECKOUT', "CUSTOM")


def _to_minute(timestamp: str) -> datetime:
    moment = parse_timestamp(timestamp)
    assert moment is not None  # the Timestamp spec accepted it
    return moment.replace(second=0, microsecond=0)


def prepare_sale_period(period: dict[str, Any], event: dict[str, Any]) -> None:
    """Round both dates down to the minute; the sale must end after it starts and by the
    event's end."""
    start, end = _to_minute(period["startDate"]), _to_minute(period["endDate"])
    period["startDate"], period["endDate"] = format_timestamp(start), format_timestamp(end)
    period.setdefault("displayNotOnSale", False)
    if start >= end:
        raise FailedPrecondition(
            "INVALID_SALE_PERIOD",
            f"salePeriod.startDate {period['startDate']} must be before salePeriod.endDate "
            f"{period['endDate']} (both are rounded down to the minute)",
        )
    dates = event.get("dateAndTimeSettings") or {}
    event_end = None if dates.get("dateAndTimeTbd") else parse_timestamp(dates.get("endDate"))
    if event_end is not None and end > event_end:
        raise FailedPrecondition(
            "INVALID_SALE_PERIOD",
            f"salePeriod.endDate {period['endDate']} is after the event ends "
            f"({format_timestamp(event_end)})",
        )


# --- rendering --------------------------------------------------------------------------------


def sale_status(definition: dict[str, Any], now: datetime) -> str:
    period = definition.get("salePeriod") or {}
    phase = window_phase(period.get("startDate"), period.get("endDate"), now)
    return {"before": "SALE_SCHEDULED", "after": "SALE_ENDED"}.get(phase, "SALE_STARTED")


def unsold(definition: dict[str, Any]) -> int | None:
    limit = definition.get("initialLimit")
    if limit is None:
        return None
    return max(0, limit - definition.get("_sold", 0) - definition.get("_reserved", 0))


def _pricing_method(stored: dict[str, Any]) -> dict[str, Any]:
    method = {k: v for k, v in stored.items() if k in PRICES}
    method["pricingType"] = "DONATION" if "guestPrice" in stored else "STANDARD"
    method["free"] = is_free(stored)
    return method


def event_details_of(scope: Scope, event: dict[str, Any]) -> dict[str, Any]:
    """The EVENT_DETAILS fieldset's value: the event's summary as a definition shows it."""
    rendered = render_event(scope, event, {"DETAILS", "URLS"})
    keys = ("title", "shortDescription", "location", "dateAndTimeSettings", "eventPageUrl",
            "status")
    return {k: rendered[k] for k in keys if k in rendered}


def render_definition(
    scope: Scope, definition: dict[str, Any], event: dict[str, Any], fields: set[str],
    event_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The public TicketDefinition shape, with only the fieldsets the request asked for;
    `event_details` is the EVENT_DETAILS value, when a page already rendered it."""
    out: dict[str, Any] = {
        key: definition[key]
        for key in ("id", "eventId", "revision", "createdDate", "updatedDate", "name",
                    "description", "policyText")
        if key in definition
    }
    out["hidden"] = definition.get("hidden", False)
    limited = definition.get("initialLimit") is not None
    out["limited"] = limited
    if limited:
        out["initialLimit"] = out["actualLimit"] = definition["initialLimit"]
    out["pricingMethod"] = _pricing_method(definition["pricingMethod"])
    out["feeType"] = definition["feeType"]
    if "salePeriod" in definition:
        out["salePeriod"] = definition["salePeriod"]
    out["saleStatus"] = sale_status(definition, scope.now())
    remaining = unsold(definition)
    if "SALES_DETAILS" in fields:
        out["salesDetails"] = {
            "unsoldCount": remaining,
            "soldCount": definition.get("_sold", 0),
            "reservedCount": definition.get("_reserved", 0),
            "soldOut": remaining == 0,
        }
    tickets = (event.get("registration") or {}).get("tickets") or {}
    per_order = tickets.get("ticketLimitPerOrder", DEFAULT_LIMIT_PER_ORDER)
    out["limitPerCheckout"] = per_order if remaining is None else min(per_order, remaining)
    if "extendedFields" in definition:
        out["extendedFields"] = definition["extendedFields"]
    if "EVENT_DETAILS" in fields:
        out["eventDetails"] = event_details if event_details is not None \
            else event_details_of(scope, event)
    return out


def facet_paths(facets: list[str]) -> list[tuple[str, str]]:
    """(facet as requested, field path) for Count's facets; older spellings are accepted."""
    out = []
    for facet in facets:
        found = TICKET_QUERY.resolve(facet)
        if found is None:
            raise filter_error(f"cannot count by {facet!r}; use one of "
                               f"{', '.join(sorted(TICKET_QUERY.fields))}")
        out.append((facet, found[0]))
    return out


def _facet_key(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def facet_counts(
    docs: list[dict[str, Any]], paths: list[tuple[str, str]]
) -> dict[str, dict[str, dict[str, int]]]:
    """{facet: {"counts": {value: number of docs}}}; docs without the field are not counted."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for facet, path in paths:
        counts: dict[str, int] = {}
        for doc in docs:
            key = _facet_key(get_path(doc, path))
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
        out[facet] = {"counts": counts}
    return out
