"""Emulated ticket sales: the control endpoint that places an order, so a test or a rehearsal
can watch what sales do to the public API.

`POST /_emulator/sales/orders` (site from the `wix-site-id` header) takes
`{ticketDefinitionId, quantity, optionId?, price?, status?}` and, in one transaction, updates
the internal counters the API renders: the definition's `_sold`, `_reserved` and `_revenue`
(shown as `salesDetails` and the event's `summaries.tickets`) and the event's `_orders` and
`_currencyLocked` (shown as `summaries.tickets.totalOrders/currencyLocked`; a locked currency
makes ChangeCurrency answer 428 CURRENCY_LOCKED). A confirmed order emits the Order Confirmed
webhook notice. It answers `{order, ticketDefinition}` (the definition with SALES_DETAILS).
Orders are not stored: nothing can read, cancel or expire one later.

Decisions where the Wix notes are unsure:
- `status` CONFIRMED (default) is a finished checkout: `_sold += quantity`, `_revenue += price
  x quantity`, `_orders += 1`, order status PAID (FREE when the total is 0). RESERVED is a
  pending reservation: `_reserved += quantity`, nothing else (order status PENDING, invoice
  revenue 0); it never expires, cannot be confirmed later, and emits nothing.
- Every CONFIRMED order locks the event's currency, a free one too (the notes: "most likely
  after the first sale or order"); locking early is the stricter guess, so a provisioner that
  copes with CURRENCY_LOCKED here copes with Wix. A reservation does not lock it.
- Availability is `initialLimit - sold - reserved` (the notes' model); the definition's
  `revision` and `updatedDate` do not change on a sale (sales counters are read-only fields, and
  a bumped revision would make every client's next PATCH a 409).
- Refusals, in this order:
  - 400 field violations for a bad body: `ticketDefinitionId` required; `quantity` an integer
    1..50; `status` CONFIRMED or RESERVED; `price` a decimal string; no unknown keys.
  - 404 `TICKET_DEFINITION_NOT_FOUND` for an unknown definition (as the API answers).
  - 400 on `optionId`: REQUIRED_FIELD when the definition has `pricingOptions`; otherwise, or
    for an id that is not one of its options, 400 `UNSUPPORTED_PRICING_OPTION` (a code Wix's
    reservation API documents).
  - 400 on `price`: only for a `guestPrice` ("pay what you want") definition, and at least its
    minimum (the default).
  - 400 on `quantity` (rule MAX) above the event's `registration.tickets.ticketLimitPerOrder`
    (default 20; 0 allows nothing).
  - 428 `REGISTRATION_CLOSED` when the event is DRAFT, CANCELED or ENDED, or its registration is
    paused or disabled (what renders as `registration.status` CLOSED_*).
  - 428 `TICKET_HIDDEN` for a hidden definition (Wix: "not purchasable").
  - 428 `TICKET_NOT_ON_SALE` outside the sale period by the emulator's clock (data `saleStatus`).
  - 428 `TICKET_SOLD_OUT` when a limited definition has none left, `NOT_ENOUGH_TICKETS` when it
    has fewer than asked (data `unsoldCount`, `requested`; the message says how many are left).
- The order entity follows the Order Confirmed payload in the notes: `timestamp`, `eventId`,
  `orderNumber` (like "FMXC-BZG3-OT"), `reservationId`, `created`, `updated`, `status`,
  `tickets[]` with one entry per seat (`ticketNumber` = order number + 3 digits,
  `ticketDefinitionId`, `ticketName`, `price {amount, currency}`, `confirmed`, `archived`,
  `canceled`, `anonymized`) and `invoice {items[{id (the definition id), quantity, name, price,
  total}], subTotal, grandTotal, revenue}`; the quantity per definition is on the invoice item.
  No buyer, form, payment method, fees, tax or discount are emulated.
- The notice is event `wix.events.ticketing.events.OrderConfirmed` (the SDK's name; the REST
  pages suggest `wix.events.v1.order_order-confirmed`, never seen), action `order_confirmed`,
  entity id the order number, entity the order payload (a plain object, not a domain event);
  `ORDER_FQDN` is ours, as Wix documents none for this payload.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

from .common import EVENTS, TICKET_DEFINITIONS, event_of, load
from .control import PREFIX, require_site
from .errors import BadRequest, FailedPrecondition, FieldViolation, ValidationFailed
from .event_model import event_status
from .fields import Enum, F, Int, Obj, Str, check, fail
from .http import Ctx, Endpoint
from .scope import Scope
from .ticket_model import DEFAULT_LIMIT_PER_ORDER, render_definition, sale_status, unsold
from .values import format_timestamp, new_id

ORDER_CONFIRMED_EVENT = "wix.events.ticketing.events.OrderConfirmed"
ORDER_CONFIRMED_ACTION = "order_confirmed"
ORDER_FQDN = "wix.events.ticketing.order"
MAX_QUANTITY = 50
STATUSES = ("CONFIRMED", "RESERVED")

ORDER_SPEC = Obj(
    {
        "ticketDefinitionId": F(Str(min_len=1), required=True),
        "quantity": F(Int(minimum=1, maximum=MAX_QUANTITY), required=True),
        "optionId": Str(min_len=1),
        "price": Str(min_len=1, fmt="DECIMAL"),  # the minimum check makes it non-negative
        "status": Enum(STATUSES),
    }
)
_ORDER_CHARS = string.ascii_uppercase + string.digits


def _checked_body(body: dict[str, Any]) -> dict[str, Any]:
    """The cleaned request; every violation at once, unknown keys too (they are typos here)."""
    known = ", ".join(ORDER_SPEC.fields)
    found = [FieldViolation(key, f"is not a field of an order; send only {known}", "CUSTOM")
             for key in body if key not in ORDER_SPEC.fields]
    try:
        request: dict[str, Any] = check(ORDER_SPEC, body, "")
    except ValidationFailed as error:
        found = error.violations + found
    if found:
        raise ValidationFailed(found)
    return request


def _order_number() -> str:
    """Like Wix's "FMXC-BZG3-OT"."""
    chars = "".join(secrets.choice(_ORDER_CHARS) for _ in range(10))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _decimal_text(amount: Decimal) -> str:
    return format(amount, "f")


# --- what is being bought -----------------------------------------------------------------------


def _unit_price(definition: dict[str, Any], request: dict[str, Any]) -> tuple[dict[str, str], str]:
    """(price {value, currency} of one ticket, invoice line name) for this order."""
    method = definition["pricingMethod"]
    option_id = request.get("optionId")
    if "pricingOptions" in method:
        options = method["pricingOptions"]["optionDetails"]
        ids = [o["optionId"] for o in options]
        if option_id is None:
            raise fail("optionId", f"is required: ticket definition {definition['id']} has "
                       f"pricing options ({', '.join(ids)})", "REQUIRED_FIELD", optionIds=ids)
        for option in options:
            if option["optionId"] == option_id:
                return option["price"], f"{definition['name']} ({option['name']})"
        raise BadRequest(f"optionId {option_id} is not one of the pricing options of ticket "
                         f"definition {definition['id']} ({', '.join(ids)})",
                         code="UNSUPPORTED_PRICING_OPTION", optionIds=ids)
    if option_id is not None:
        raise BadRequest(f"ticket definition {definition['id']} has no pricing options; leave "
                         "out optionId", code="UNSUPPORTED_PRICING_OPTION")
    if "guestPrice" in method:
        minimum = method["guestPrice"]
        paid = request.get("price", minimum["value"])
        if Decimal(paid) < Decimal(minimum["value"]):
            raise fail("price", f"must be at least the guest price minimum {minimum['value']} "
                       f"{minimum['currency']}", "MIN", min=minimum["value"])
        return {"value": paid, "currency": minimum["currency"]}, definition["name"]
    if "price" in request:
        raise fail("price", "is only for a guestPrice (pay what you want) ticket definition; "
                   f"{definition['id']} has a fixed price", "CUSTOM")
    return method["fixedPrice"], definition["name"]


def _check_quantity(event: dict[str, Any], quantity: int) -> None:
    tickets = (event.get("registration") or {}).get("tickets") or {}
    per_order = tickets.get("ticketLimitPerOrder", DEFAULT_LIMIT_PER_ORDER)
    if quantity > per_order:
        raise fail("quantity", f"must be at most {per_order}, the event's "
                   "registration.tickets.ticketLimitPerOrder", "MAX", max=per_order)


def _check_on_sale(scope: Scope, definition: dict[str, Any], event: dict[str, Any],
                   quantity: int) -> None:
    status = event_status(event, scope.now())
    registration = event.get("registration") or {}
    if status in ("DRAFT", "CANCELED", "ENDED"):
        raise FailedPrecondition("REGISTRATION_CLOSED", f"Event {event['id']} is {status}: "
                                 "tickets can be ordered only for a published event that has "
                                 "not ended", eventStatus=status)
    for flag in ("registrationDisabled", "registrationPaused"):
        if registration.get(flag):
            raise FailedPrecondition("REGISTRATION_CLOSED", f"Event {event['id']} has "
                                     f"registration.{flag} set: it takes no orders")
    if definition.get("hidden"):
        raise FailedPrecondition("TICKET_HIDDEN", f"Ticket definition {definition['id']} is "
                                 "hidden: hidden tickets cannot be ordered")
    phase = sale_status(definition, scope.now())
    if phase != "SALE_STARTED":
        period = definition.get("salePeriod") or {}
        raise FailedPrecondition(
            "TICKET_NOT_ON_SALE",
            f"Ticket definition {definition['id']} is not on sale ({phase}): its sale period "
            f"is {period.get('startDate')} to {period.get('endDate')} and it is now "
            f"{format_timestamp(scope.now())}",
            saleStatus=phase,
        )
    left = unsold(definition)
    if left is not None and quantity > left:
        if left == 0:
            raise FailedPrecondition("TICKET_SOLD_OUT", f"Ticket definition {definition['id']} "
                                     f"is sold out: all {definition['initialLimit']} tickets "
                                     "are sold or reserved", unsoldCount=0, requested=quantity)
        raise FailedPrecondition("NOT_ENOUGH_TICKETS", f"Ticket definition {definition['id']} "
                                 f"has only {left} tickets left; {quantity} were asked for",
                                 unsoldCount=left, requested=quantity)


# --- the order ------------------------------------------------------------------------------------


def _money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _order(now: str, definition: dict[str, Any], unit: dict[str, str], line_name: str,
           quantity: int, confirmed: bool) -> dict[str, Any]:
    """The order entity, as Order Confirmed carries it (`now` is its wire timestamp)."""
    number = _order_number()
    currency = unit["currency"]
    total = _decimal_text(Decimal(unit["value"]) * quantity)
    paid = Decimal(total) != 0
    tickets = [
        {
            "ticketNumber": f"{number}{seat:03d}",
            "ticketDefinitionId": definition["id"],
            "ticketName": definition["name"],
            "price": _money(unit["value"], currency),
            "confirmed": confirmed,
            "archived": False,
            "canceled": False,
            "anonymized": False,
        }
        for seat in range(1, quantity + 1)
    ]
    return {
        "timestamp": now,
        "eventId": definition["eventId"],
        "orderNumber": number,
        "reservationId": new_id(),
        "created": now,
        "updated": now,
        "status": ("PAID" if paid else "FREE") if confirmed else "PENDING",
        "tickets": tickets,
        "invoice": {
            "items": [{
                "id": definition["id"],
                "quantity": quantity,
                "name": line_name,
                "price": _money(unit["value"], currency),
                "total": _money(total, currency),
            }],
            "subTotal": _money(total, currency),
            "grandTotal": _money(total, currency),
            "revenue": _money(total if confirmed else "0", currency),
        },
    }


def place_order(ctx: Ctx) -> dict[str, Any]:
    site = require_site(ctx)
    request = _checked_body(ctx.body)
    definition = load(ctx.scope, TICKET_DEFINITIONS, request["ticketDefinitionId"],
                      "Ticket definition", "TICKET_DEFINITION_NOT_FOUND")
    event = event_of(ctx.scope, definition)
    quantity = request["quantity"]
    unit, line_name = _unit_price(definition, request)
    _check_quantity(event, quantity)
    _check_on_sale(ctx.scope, definition, event, quantity)

    confirmed = request.get("status", "CONFIRMED") == "CONFIRMED"
    order = _order(format_timestamp(ctx.now()), definition, unit, line_name, quantity,
                   confirmed)
    if confirmed:
        revenue = Decimal(definition.get("_revenue", "0")) + Decimal(unit["value"]) * quantity
        definition["_sold"] = definition.get("_sold", 0) + quantity
        definition["_revenue"] = _decimal_text(revenue)
        event["_orders"] = event.get("_orders", 0) + 1
        event["_currencyLocked"] = True
        ctx.txn.put(site, EVENTS, event["id"], event)
    else:
        definition["_reserved"] = definition.get("_reserved", 0) + quantity
    ctx.txn.put(site, TICKET_DEFINITIONS, definition["id"], definition,
                parent=definition["eventId"])
    if confirmed:
        ctx.scope.notify(ORDER_CONFIRMED_EVENT, ORDER_FQDN, ORDER_CONFIRMED_ACTION,
                         order["orderNumber"], order)
    rendered = render_definition(ctx.scope, definition, event, {"SALES_DETAILS"})
    return {"order": order, "ticketDefinition": rendered}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{PREFIX}/sales/orders", place_order),
]
