"""What an event's rendering reads from its ticket definitions: the price range and sold-out
flag (REGISTRATION fieldset) and the sales totals (DASHBOARD).

Both are computed from the event's stored definitions, in creation order. The store keeps
them per event as an aggregate (`aggregate`, recomputed whenever a definition of the event
changes; see store.py), so a page of events reads one short row per event rather than every
definition; `from_aggregate` reads it back. An event without one is computed from its
definitions, with the very same functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def price_values(definition: dict[str, Any]) -> list[dict[str, str]]:
    """The prices of a definition, as money objects: one, or one per pricing option."""
    method = definition.get("pricingMethod") or {}
    if "fixedPrice" in method:
        return [method["fixedPrice"]]
    if "guestPrice" in method:
        return [method["guestPrice"]]
    options = (method.get("pricingOptions") or {}).get("optionDetails") or []
    return [o["price"] for o in options if "price" in o]


@dataclass(frozen=True)
class TicketRange:
    """The REGISTRATION facts: the lowest and highest visible price as (value, currency of
    the first price), None without any, and whether every definition is limited and full."""

    lowest: tuple[str, str] | None
    highest: tuple[str, str] | None
    sold_out: bool

    @classmethod
    def of(cls, definitions: list[dict[str, Any]]) -> TicketRange:
        prices = [p for d in definitions if not d.get("hidden") for p in price_values(d)]
        lowest = highest = None
        if prices:
            currency = prices[0]["currency"]
            low = min(prices, key=lambda p: Decimal(p["value"]))
            high = max(prices, key=lambda p: Decimal(p["value"]))
            lowest, highest = (low["value"], currency), (high["value"], currency)
        limited = [d for d in definitions if d.get("initialLimit") is not None]
        sold_out = bool(definitions) and len(limited) == len(definitions) and all(
            d.get("_sold", 0) + d.get("_reserved", 0) >= d["initialLimit"] for d in limited
        )
        return cls(lowest, highest, sold_out)


@dataclass(frozen=True)
class Sales:
    """The DASHBOARD facts: tickets sold and revenue over all of an event's definitions."""

    sold: int
    revenue: Decimal

    @classmethod
    def of(cls, definitions: list[dict[str, Any]]) -> Sales:
        return cls(sum(d.get("_sold", 0) for d in definitions),
                   sum((Decimal(d.get("_revenue", "0")) for d in definitions), Decimal(0)))


def aggregate(definitions: list[dict[str, Any]]) -> str | None:
    """Both facts of one event's definitions as JSON text; a part its definitions cannot give
    (a value the API would not store) is null, and is then computed from the definitions by
    the reader, failing there as it would without the aggregate."""
    parts = {"range": _or_none(lambda: _range_part(definitions)),
             "sales": _or_none(lambda: _sales_part(definitions))}
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=False)


def _range_part(definitions: list[dict[str, Any]]) -> list[Any]:
    found = TicketRange.of(definitions)
    return [found.lowest, found.highest, found.sold_out]


def _sales_part(definitions: list[dict[str, Any]]) -> list[Any] | None:
    sales = Sales.of(definitions)
    # a float in a sales counter adds up, but would not read back as the same type
    return [sales.sold, str(sales.revenue)] if type(sales.sold) is int else None


def _or_none(part: Callable[[], list[Any] | None]) -> list[Any] | None:
    try:
        return part()
    except Exception:  # left to the reader, which fails the same way without the aggregate
        return None


def from_aggregate(text: str) -> tuple[TicketRange | None, Sales | None]:
    """The facts an aggregate holds; None for a part it does not."""
    parts = json.loads(text)
    found = parts["range"]
    sales = parts["sales"]
    return (
        None if found is None else TicketRange(
            None if found[0] is None else (found[0][0], found[0][1]),
            None if found[1] is None else (found[1][0], found[1][1]),
            found[2]),
        None if sales is None else Sales(sales[0], Decimal(sales[1])),
    )
