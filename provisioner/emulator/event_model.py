"""Events V3 entity: request specs, the rules no field spec can say, and rendering.

A stored event holds the writable fields as the client sent them (cleaned), the read-only
values the server fixed (id, slug, dates, instance and user ids) and its life-cycle in `_state`
(DRAFT, PUBLISHED or CANCELED). Everything else a response shows is computed when rendering:
`status` from the state and the clock, `registration.type/status`, ticket price range,
formatted dates and address, URLs, and the fieldset-gated parts.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .common import CATEGORIES, FORMS, TICKET_DEFINITIONS, public
from .errors import BadRequest
from .fields import (
    AnyJson,
    Arr,
    Bool,
    Enum,
    F,
    Int,
    JsonObject,
    Obj,
    Str,
    Timestamp,
    fail,
)
from .http import Ctx
from .values import format_timestamp, parse_timestamp, stable_id

RO = F(AnyJson(), readonly=True)

REQUESTED_FIELDS = (
    "DETAILS", "TEXTS", "REGISTRATION", "URLS", "FORM", "DASHBOARD", "FEED",
    "ONLINE_CONFERENCING_SESSION", "SEO_SETTINGS", "AGENDA", "CATEGORIES",
)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

ADDRESS = Obj(
    {
        "streetAddress": Obj(
            {"number": Str(max_len=100), "name": Str(max_len=250), "apt": Str(max_len=100)}
        ),
        "addressLine": Str(max_len=250),
        "addressLine2": Str(max_len=250),
        "country": Str(fmt="COUNTRY"),
        "subdivision": Str(max_len=20),
        "city": Str(max_len=100),
        "postalCode": Str(max_len=100),
        "formattedAddress": RO,
        "geocode": RO,
        "countryFullname": RO,
        "hint": RO,
        "subdivisions": RO,
    },
    one_of=[("streetAddress", "addressLine")],
)
LOCATION = Obj(
    {
        "name": Str(max_len=50),
        "type": Enum(("VENUE", "ONLINE")),
        "address": ADDRESS,
        "locationTbd": Bool(),
    }
)
DATE_AND_TIME = Obj(
    {
        "dateAndTimeTbd": Bool(),
        "dateAndTimeTbdMessage": Str(max_len=100),
        "startDate": Timestamp(),
        "endDate": Timestamp(),
        "timeZoneId": Str(max_len=100),
        "hideEndDate": Bool(),
        "showTimeZone": Bool(),
        "recurrenceStatus": RO,
        "recurringEvents": JsonObject(),
        "formatted": RO,
    }
)
TAX_SETTINGS = Obj(
    {
        "type": Enum(("INCLUDED_IN_PRICE", "ADDED_AT_CHECKOUT")),
        "name": Str(min_len=1, max_len=10),
        "rate": Str(fmt="DECIMAL"),
        "appliedToDonations": Bool(),
    }
)
REGISTRATION = Obj(
    {
        "type": RO,
        "status": RO,
        "rsvp": Obj(
            {
                "responseType": Enum(("YES_ONLY", "YES_AND_NO")),
                "limit": Int(minimum=0),
                "waitlistEnabled": Bool(),
                "startDate": Timestamp(),
                "endDate": Timestamp(),
            }
        ),
        "tickets": Obj(
            {
                "guestsAssignedSeparately": Bool(),
                "ticketLimitPerOrder": Int(0, 50),
                "currency": Str(fmt="CURRENCY"),
                "lowestPrice": RO,
                "highestPrice": RO,
                "soldOut": RO,
                "taxSettings": TAX_SETTINGS,
                "reservationDurationInMinutes": Int(5, 30),
            }
        ),
        "external": Obj({"url": Str(max_len=2000)}),
        "allowedGuestTypes": Enum(("VISITOR_OR_MEMBER", "MEMBER")),
        "initialType": Enum(("RSVP", "TICKETING")),
        "registrationPaused": Bool(),
        "registrationDisabled": Bool(),
    }
)
WRITABLE = {
    "id": RO,
    "location": LOCATION,
    "dateAndTimeSettings": DATE_AND_TIME,
    "title": Str(min_len=1, max_len=120),
    "shortDescription": Str(max_len=500),
    "detailedDescription": Str(max_len=50000),
    "mainImage": Obj(
        {
            "id": Str(min_len=1, max_len=200),
            "url": Str(),
            "height": Int(minimum=0),
            "width": Int(minimum=0),
            "altText": Str(),
        }
    ),
    "slug": RO,
    "createdDate": RO,
    "updatedDate": RO,
    "status": RO,
    "registration": REGISTRATION,
    "calendarUrls": RO,
    "eventPageUrl": RO,
    "form": RO,  # the form is changed through the Form API, never through Events V3
    "summaries": RO,
    "instanceId": RO,
    "guestListSettings": Obj({"displayedPublicly": Bool()}),
    "userId": RO,
    "onlineConferencing": Obj(
        {
            "enabled": Bool(),
            "providerId": Str(fmt="GUID"),
            "type": Enum(("MEETING", "WEBINAR")),
            "session": RO,
        }
    ),
    "seoSettings": Obj(
        {
            "slug": Str(max_len=130),
            "advancedSeoData": Obj(
                {
                    "tags": Arr(JsonObject()),
                    "settings": Obj(
                        {
                            "preventAutoRedirect": Bool(),
                            "keywords": Arr(JsonObject(), max_items=5),
                        }
                    ),
                }
            ),
            "hidden": RO,
        }
    ),
    "contactLabel": RO,
    "agendaSettings": Obj({"enabled": Bool(), "pageUrl": RO}),
    "eventDisplaySettings": Obj(
        {"hideEventDetailsButton": Bool(), "hideEventDetailsPage": Bool()}
    ),
    "description": JsonObject(),  # rich content; a plain string is refused "Expected an object."
    "publishedDate": RO,
    "categories": RO,
}
CREATE_SPEC = Obj(
    {
        **WRITABLE,
        "title": F(Str(min_len=1, max_len=120), required=True),
        "location": F(LOCATION, required=True),
        "dateAndTimeSettings": F(DATE_AND_TIME, required=True),
    }
)
UPDATE_SPEC = Obj(WRITABLE)


# --- rules ------------------------------------------------------------------------------------


def known_time_zone(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_location(location: dict[str, Any]) -> None:
    location.setdefault("type", "VENUE")
    location.setdefault("locationTbd", False)
    if location["locationTbd"] and not location.get("name"):
        raise fail("event.location.name", "Location address must not be a blank: a TBD "
                   "location needs a name to show instead of the address", "REQUIRED_FIELD")
    if (
        location["type"] == "VENUE"
        and not location["locationTbd"]
        and not location.get("name")
        and not location.get("address")
    ):
        raise fail("event.location", "Location address must not be a blank: give a name, an "
                   "address, or set locationTbd", "REQUIRED_FIELD")


def check_dates(dates: dict[str, Any], stored_zone: str | None) -> None:
    """Validate a whole dateAndTimeSettings object (Wix replaces it as a whole on update)."""
    where = "event.dateAndTimeSettings"
    if dates.get("recurringEvents") is not None:
        raise BadRequest(
            "recurring events (dateAndTimeSettings.recurringEvents) are not emulated",
            code="UNSUPPORTED_BY_EMULATOR",
        )
    dates.setdefault("dateAndTimeTbd", False)
    if dates["dateAndTimeTbd"]:
        if not dates.get("dateAndTimeTbdMessage"):
            raise fail(f"{where}.dateAndTimeTbdMessage",
                       "must not be blank when dateAndTimeTbd is true", "REQUIRED_FIELD")
        if dates.get("timeZoneId") is None and stored_zone:
            dates["timeZoneId"] = stored_zone
    else:
        if not dates.get("startDate"):
            raise fail(f"{where}.startDate", "is required unless dateAndTimeTbd is true",
                       "REQUIRED_FIELD")
        if not dates.get("endDate"):
            raise fail(f"{where}.endDate", "endDate.isDefined must be true, event cannot have "
                       "negative duration", "REQUIRED_FIELD")
        start, end = parse_timestamp(dates["startDate"]), parse_timestamp(dates["endDate"])
        if start and end and end <= start:
            raise fail(f"{where}.endDate", "event cannot have negative duration: endDate must "
                       "be after startDate", "CUSTOM")
        if dates.get("timeZoneId") is None:
            if not stored_zone:
                raise fail(f"{where}.timeZoneId", "is required (an IANA zone such as "
                           "Europe/London)", "REQUIRED_FIELD")
            dates["timeZoneId"] = stored_zone
    zone = dates.get("timeZoneId")
    if zone is not None and not known_time_zone(zone):
        raise fail(f"{where}.timeZoneId", f"unknown time zone {zone!r}; use an IANA zone such "
                   "as America/New_York", "FORMAT")
    dates.setdefault("hideEndDate", False)
    dates.setdefault("showTimeZone", False)


def check_registration(registration: dict[str, Any]) -> None:
    tax = (registration.get("tickets") or {}).get("taxSettings") or {}
    rate = tax.get("rate")
    if rate is not None:
        value = Decimal(rate)
        scale = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0
        if not Decimal("0.001") <= value <= Decimal("100") or scale > 3:
            raise fail("event.registration.tickets.taxSettings.rate",
                       "must be between 0.001 and 100 with at most 3 decimals", "CUSTOM")


def check_slug(slug: str) -> None:
    if not SLUG_RE.match(slug) or len(slug) > 130:
        raise BadRequest(
            f"slug {slug!r} is not valid: use lowercase letters, digits and single hyphens, "
            "at most 130 characters",
            code="INVALID_SLUG_FORMAT",
        )


def slug_from_title(title: str) -> str:
    """The title in kebab-case, "Leather Crafting 101" -> leather-crafting-101."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:130].strip("-") or "event"


def default_registration(initial_type: str) -> dict[str, Any]:
    registration: dict[str, Any] = {
        "initialType": initial_type,
        "allowedGuestTypes": "VISITOR_OR_MEMBER",
        "registrationPaused": False,
        "registrationDisabled": False,
    }
    if initial_type == "RSVP":
        registration["rsvp"] = {"responseType": "YES_ONLY", "waitlistEnabled": False}
    else:
        registration["tickets"] = {
            "guestsAssignedSeparately": False,
            "ticketLimitPerOrder": 20,
            "currency": "USD",
            "reservationDurationInMinutes": 20,
        }
    return registration


def merge_registration(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Scalars overwrite; rsvp/tickets/external merge one level, so omitted settings stay."""
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


# --- rendering --------------------------------------------------------------------------------


def event_status(event: dict[str, Any], now: datetime) -> str:
    state = event.get("_state", "PUBLISHED")
    if state in ("DRAFT", "CANCELED"):
        return state
    dates = event.get("dateAndTimeSettings") or {}
    if dates.get("dateAndTimeTbd"):
        return "UPCOMING"
    start, end = parse_timestamp(dates.get("startDate")), parse_timestamp(dates.get("endDate"))
    if end and now >= end:
        return "ENDED"
    if start and now >= start:
        return "STARTED"
    return "UPCOMING"


def _price_values(definition: dict[str, Any]) -> list[dict[str, str]]:
    method = definition.get("pricingMethod") or {}
    if "fixedPrice" in method:
        return [method["fixedPrice"]]
    if "guestPrice" in method:
        return [method["guestPrice"]]
    options = (method.get("pricingOptions") or {}).get("optionDetails") or []
    return [o["price"] for o in options if "price" in o]


def money(value: str, currency: str) -> dict[str, str]:
    amount = Decimal(value)
    return {"value": value, "currency": currency, "formattedValue": f"{currency} {amount:,.2f}"}


def _registration(ctx: Ctx, event: dict[str, Any], status: str) -> dict[str, Any]:
    registration = public(event.get("registration") or {})
    initial = registration.get("initialType", "RSVP")
    if registration.get("registrationDisabled"):
        kind = "NONE"
    elif (registration.get("external") or {}).get("url"):
        kind = "EXTERNAL"
    else:
        kind = initial
    sold_out = False
    if initial == "TICKETING":
        definitions = ctx.txn.list(ctx.site, TICKET_DEFINITIONS, event["id"])
        tickets = registration.setdefault("tickets", {})
        prices = [p for d in definitions if not d.get("hidden") for p in _price_values(d)]
        if prices:
            currency = prices[0]["currency"]
            low = min(prices, key=lambda p: Decimal(p["value"]))
            high = max(prices, key=lambda p: Decimal(p["value"]))
            tickets["lowestPrice"] = money(low["value"], currency)
            tickets["highestPrice"] = money(high["value"], currency)
        limited = [d for d in definitions if d.get("initialLimit") is not None]
        sold_out = bool(definitions) and len(limited) == len(definitions) and all(
            d.get("_sold", 0) + d.get("_reserved", 0) >= d["initialLimit"] for d in limited
        )
        tickets["soldOut"] = sold_out
    registration["type"] = kind
    registration["status"] = _registration_status(ctx, registration, kind, status, sold_out)
    return registration


def _registration_status(
    ctx: Ctx, registration: dict[str, Any], kind: str, status: str, sold_out: bool
) -> str:
    # NOT CONFIRMED by Wix docs beyond draft -> CLOSED_MANUALLY and published tickets ->
    # OPEN_TICKETS; the rest is the most plausible reading of the enum.
    if status in ("DRAFT", "CANCELED") or kind == "NONE" or registration.get("registrationPaused"):
        return "CLOSED_MANUALLY"
    if status == "ENDED":
        return "CLOSED_AUTOMATICALLY"
    if kind == "EXTERNAL":
        return "OPEN_EXTERNAL"
    if kind == "TICKETING":
        return "CLOSED_AUTOMATICALLY" if sold_out else "OPEN_TICKETS"
    rsvp = registration.get("rsvp") or {}
    now = ctx.now()
    opens, closes = parse_timestamp(rsvp.get("startDate")), parse_timestamp(rsvp.get("endDate"))
    if opens and now < opens:
        return "SCHEDULED_RSVP"
    if closes and now >= closes:
        return "CLOSED_AUTOMATICALLY"
    return "OPEN_RSVP"


def _formatted(dates: dict[str, Any]) -> dict[str, str]:
    if dates.get("dateAndTimeTbd"):
        return {}
    start, end = parse_timestamp(dates.get("startDate")), parse_timestamp(dates.get("endDate"))
    if not start or not end:
        return {}
    zone = ZoneInfo(dates.get("timeZoneId") or "Etc/UTC")
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)

    def day(moment: datetime) -> str:
        return f"{moment:%B} {moment.day}, {moment.year}"

    def clock(moment: datetime) -> str:
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"

    out = {"startDate": day(local_start), "startTime": clock(local_start)}
    if dates.get("hideEndDate"):
        out["dateAndTime"] = f"{day(local_start)}, {clock(local_start)}"
        return out
    out["endDate"], out["endTime"] = day(local_end), clock(local_end)
    if local_start.date() == local_end.date():
        out["dateAndTime"] = f"{day(local_start)}, {clock(local_start)} – {clock(local_end)}"
    else:
        out["dateAndTime"] = (
            f"{day(local_start)}, {clock(local_start)} – {day(local_end)}, {clock(local_end)}"
        )
    return out


def _formatted_address(address: dict[str, Any]) -> str:
    street = address.get("streetAddress") or {}
    line = address.get("addressLine") or " ".join(
        p for p in (street.get("number"), street.get("name")) if p
    )
    subdivision = (address.get("subdivision") or "").split("-")[-1]
    region = " ".join(p for p in (subdivision, address.get("postalCode")) if p)
    parts = [line, address.get("addressLine2"), address.get("city"), region, address.get("country")]
    return ", ".join(p for p in parts if p)


def site_base_url(site: str) -> str:
    return f"https://site-{site[:8]}.wixsite.com/events"


def render_event(ctx: Ctx, event: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """The public Events V3 shape, with only the fieldsets the request asked for."""
    status = event_status(event, ctx.now())
    out: dict[str, Any] = {"id": event["id"]}
    location = public(event.get("location") or {})
    if location.get("address"):
        location["address"]["formattedAddress"] = _formatted_address(location["address"])
    out["location"] = location
    dates = public(event.get("dateAndTimeSettings") or {})
    dates["recurrenceStatus"] = "ONE_TIME"
    dates["formatted"] = _formatted(dates)
    out["dateAndTimeSettings"] = dates
    for key in ("title", "slug", "createdDate", "updatedDate"):
        out[key] = event[key]
    out["status"] = status
    out["instanceId"] = stable_id("instance", ctx.site)
    out["userId"] = event["userId"]
    out["guestListSettings"] = event.get("guestListSettings") or {"displayedPublicly": False}
    out["eventDisplaySettings"] = event.get("eventDisplaySettings") or {}
    if event.get("publishedDate"):
        out["publishedDate"] = event["publishedDate"]
    page = {"base": site_base_url(ctx.site), "path": f"/event-details/{event['slug']}"}
    conferencing = event.get("onlineConferencing")
    if conferencing:
        out["onlineConferencing"] = dict(conferencing)
        if "ONLINE_CONFERENCING_SESSION" in fields and conferencing.get("enabled"):
            out["onlineConferencing"]["session"] = {
                "hostLink": f"{page['base']}/conference/{event['id']}/host",
                "guestLink": f"{page['base']}/conference/{event['id']}/guest",
                "sessionCreated": True,
                "sessionId": stable_id("session", event["id"]),
            }
    if "DETAILS" in fields:
        for key in ("shortDescription", "mainImage"):
            if key in event:
                out[key] = event[key]
        out["calendarUrls"] = {
            "google": "https://calendar.google.com/calendar/render?action=TEMPLATE"
            f"&eid={event['id']}",
            "ics": f"{page['base']}/_api/events/v1/events/{event['id']}/calendar.ics",
        }
    if "TEXTS" in fields:
        for key in ("description", "detailedDescription"):
            if key in event:
                out[key] = event[key]
    if "REGISTRATION" in fields:
        out["registration"] = _registration(ctx, event, status)
    if "URLS" in fields:
        out["eventPageUrl"] = page
    if "FORM" in fields:
        form = ctx.txn.get(ctx.site, FORMS, event["id"]) or {}
        out["form"] = {"controls": form.get("controls", []), "messages": form.get("messages", {})}
    if "DASHBOARD" in fields:
        out["summaries"] = _summaries(ctx, event, status)
    if "FEED" in fields:
        out["feed"] = {"token": stable_id("feed", event["id"])}
    if "SEO_SETTINGS" in fields:
        seo = dict(event.get("seoSettings") or {})
        seo["slug"] = event["slug"]
        seo["hidden"] = False
        out["seoSettings"] = seo
    if "AGENDA" in fields:
        agenda = dict(event.get("agendaSettings") or {"enabled": False})
        agenda["pageUrl"] = {"base": page["base"], "path": f"{page['path']}/schedule"}
        out["agendaSettings"] = agenda
    if "CATEGORIES" in fields:
        out["categories"] = {"categories": event_categories(ctx, event["id"])}
    return out


def filter_view(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Just the fields Events V3 can filter and sort on: cheap to build for a whole site."""
    return {
        "id": event["id"],
        "title": event["title"],
        "slug": event["slug"],
        "createdDate": event["createdDate"],
        "updatedDate": event["updatedDate"],
        "dateAndTimeSettings": event.get("dateAndTimeSettings") or {},
        "status": event_status(event, now),
        "userId": event["userId"],
        "registration": {"initialType": (event.get("registration") or {}).get("initialType")},
    }


def event_categories(ctx: Ctx, event_id: str) -> list[dict[str, Any]]:
    found = []
    for category in ctx.txn.list(ctx.site, CATEGORIES):
        if event_id in category.get("_events", []):
            states = category.get("states") or ["MANUAL"]
            found.append(
                {
                    "id": category["id"],
                    "name": category["name"],
                    "createdDate": category["createdDate"],
                    "hidden": "HIDDEN" in states,
                    "type": "RECURRING_EVENT" if "RECURRING_EVENT" in states else "MANUAL",
                }
            )
    return found


def _summaries(ctx: Ctx, event: dict[str, Any], status: str) -> dict[str, Any]:
    definitions = ctx.txn.list(ctx.site, TICKET_DEFINITIONS, event["id"])
    currency = ((event.get("registration") or {}).get("tickets") or {}).get("currency", "USD")
    sold = sum(d.get("_sold", 0) for d in definitions)
    revenue = sum((Decimal(d.get("_revenue", "0")) for d in definitions), Decimal(0))
    amount = f"{revenue:.2f}"
    summaries: dict[str, Any] = {
        "rsvps": {"totalCount": 0, "yesCount": 0, "noCount": 0, "waitlistCount": 0},
        "tickets": {
            "ticketsSold": sold,
            "revenue": {"amount": amount, "value": amount, "currency": currency},
            "currencyLocked": bool(event.get("_currencyLocked")),
            "totalOrders": event.get("_orders", 0),
            "totalSales": {"amount": amount, "value": amount, "currency": currency},
        },
    }
    if status == "CANCELED":
        summaries["cancellation"] = {
            "canceledDate": event.get("_canceledDate"),
            "actorType": "APP",
        }
    return summaries


def shifted(timestamp: str | None, delta: timedelta) -> str | None:
    moment = parse_timestamp(timestamp) if timestamp else None
    return format_timestamp(moment + delta) if moment else timestamp
