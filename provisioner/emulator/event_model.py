"""Events V3 responses: what a stored event looks like to a client.

A stored event holds the writable fields (cleaned by `event_spec`), the read-only values the
server fixed (id, slug, dates, user id) and its life-cycle in `_state` (DRAFT, PUBLISHED or
CANCELED). Everything else a response shows is computed here when rendering: `status` from the
state and the clock, `registration.type/status`, the ticket price range, formatted dates and
address, URLs, and the fieldset-gated parts.

A page of events renders with `Related`: the ticket facts, forms and categories its
fieldsets need, read once for the whole page rather than once per event; and events read for
that one response are rendered `owned`, their parts shown without copies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .common import CATEGORIES, FORMS, TICKET_DEFINITIONS, public, public_read
from .derived import AS_SHOWN
from .raw_json import RawJson
from .scope import Scope
from .ticket_facts import Sales, TicketRange, from_aggregate
from .values import format_timestamp, parse_timestamp, stable_id, window_phase

TICKET_FIELDSETS = frozenset({"REGISTRATION", "DASHBOARD"})  # the ones that read definitions
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # what %B gives in the C locale


@dataclass(frozen=True)
class Related:
    """What rendering a page of events reads from other documents, read once for the page:
    per event, the aggregate of its ticket definitions' facts (see ticket_facts.py), its
    form, and the site's categories. What is missing is read per event, as without it."""

    tickets: dict[str, str] = field(default_factory=dict)
    forms: dict[str, dict[str, Any] | RawJson] | None = None  # the FORM fieldset's values
    categories: list[dict[str, Any]] | None = None

    @classmethod
    def read(cls, scope: Scope, events: list[dict[str, Any]], fields: set[str]) -> Related:
        ids = [event["id"] for event in events]
        txn, site = scope.txn, scope.site
        forms: dict[str, dict[str, Any] | RawJson] | None = None
        if "FORM" in fields:
            # a form stored exactly as the fieldset shows it goes out undecoded
            forms = {event_id: RawJson(text) if digest == AS_SHOWN
                     else form_fieldset(json.loads(text))
                     for event_id, (text, digest) in txn.texts(site, FORMS, ids).items()}
        return cls(
            tickets=txn.aggregates(site, TICKET_DEFINITIONS, ids) if fields & TICKET_FIELDSETS
            else {},
            forms=forms,
            categories=txn.list(site, CATEGORIES) if "CATEGORIES" in fields else None,
        )

    def ticket_facts(self, event_id: str) -> tuple[TicketRange | None, Sales | None]:
        text = self.tickets.get(event_id)
        return (None, None) if text is None else from_aggregate(text)


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


def money(value: str, currency: str) -> dict[str, str]:
    amount = Decimal(value)
    return {"value": value, "currency": currency, "formattedValue": f"{currency} {amount:,.2f}"}


def form_fieldset(form: dict[str, Any] | None) -> dict[str, Any]:
    """The FORM fieldset's value for an event's stored form (None when it has none)."""
    form = form or {}
    return {"controls": form.get("controls", []), "messages": form.get("messages", {})}


def _ticket_range(scope: Scope, event: dict[str, Any], related: Related | None) -> TicketRange:
    found = related.ticket_facts(event["id"])[0] if related is not None else None
    if found is not None:
        return found
    return TicketRange.of(scope.txn.list(scope.site, TICKET_DEFINITIONS, event["id"]))


def _sales(scope: Scope, event: dict[str, Any], related: Related | None) -> Sales:
    found = related.ticket_facts(event["id"])[1] if related is not None else None
    if found is not None:
        return found
    return Sales.of(scope.txn.list(scope.site, TICKET_DEFINITIONS, event["id"]))


def _registration(scope: Scope, event: dict[str, Any], status: str, related: Related | None,
                  shown: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    registration = shown(event.get("registration") or {})
    initial = registration.get("initialType", "RSVP")
    if registration.get("registrationDisabled"):
        kind = "NONE"
    elif (registration.get("external") or {}).get("url"):
        kind = "EXTERNAL"
    else:
        kind = initial
    sold_out = False
    if initial == "TICKETING":
        facts = _ticket_range(scope, event, related)
        tickets = registration.setdefault("tickets", {})
        if facts.lowest is not None and facts.highest is not None:
            tickets["lowestPrice"] = money(*facts.lowest)
            tickets["highestPrice"] = money(*facts.highest)
        sold_out = facts.sold_out
        tickets["soldOut"] = sold_out
    registration["type"] = kind
    registration["status"] = _registration_status(scope, registration, kind, status, sold_out)
    return registration


def _registration_status(
    scope: Scope, registration: dict[str, Any], kind: str, status: str, sold_out: bool
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
    phase = window_phase(rsvp.get("startDate"), rsvp.get("endDate"), scope.now())
    return {"before": "SCHEDULED_RSVP", "after": "CLOSED_AUTOMATICALLY"}.get(phase, "OPEN_RSVP")


def _formatted(dates: dict[str, Any]) -> dict[str, str]:
    if dates.get("dateAndTimeTbd"):
        return {}
    start, end = parse_timestamp(dates.get("startDate")), parse_timestamp(dates.get("endDate"))
    if not start or not end:
        return {}
    zone = ZoneInfo(dates.get("timeZoneId") or "Etc/UTC")
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)

    def day(moment: datetime) -> str:
        return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year}"

    def clock(moment: datetime) -> str:
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"

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


def render_event(scope: Scope, event: dict[str, Any], fields: set[str],
                 related: Related | None = None, *, owned: bool = False) -> dict[str, Any]:
    """The public Events V3 shape, with only the fieldsets the request asked for (what they
    read from other documents taken from `related` when given). An `owned` event was read for
    this response alone: its parts are shown, and completed, in place rather than copied."""
    shown = public_read if owned else public
    status = event_status(event, scope.now())
    out: dict[str, Any] = {"id": event["id"]}
    location = shown(event.get("location") or {})
    if location.get("address"):
        location["address"]["formattedAddress"] = _formatted_address(location["address"])
    out["location"] = location
    dates = shown(event.get("dateAndTimeSettings") or {})
    dates["recurrenceStatus"] = "ONE_TIME"
    dates["formatted"] = _formatted(dates)
    out["dateAndTimeSettings"] = dates
    for key in ("title", "slug", "createdDate", "updatedDate"):
        out[key] = event[key]
    out["status"] = status
    out["instanceId"] = stable_id("instance", scope.site)
    out["userId"] = event["userId"]
    out["guestListSettings"] = event.get("guestListSettings") or {"displayedPublicly": False}
    out["eventDisplaySettings"] = event.get("eventDisplaySettings") or {}
    if event.get("publishedDate"):
        out["publishedDate"] = event["publishedDate"]
    page = {"base": site_base_url(scope.site), "path": f"/event-details/{event['slug']}"}
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
        out["registration"] = _registration(scope, event, status, related, shown)
    if "URLS" in fields:
        out["eventPageUrl"] = page
    if "FORM" in fields:
        forms = related.forms if related is not None else None
        if forms is None:
            out["form"] = form_fieldset(scope.txn.get(scope.site, FORMS, event["id"]))
        else:
            out["form"] = forms.get(event["id"]) or form_fieldset(None)
    if "DASHBOARD" in fields:
        out["summaries"] = _summaries(scope, event, status, related)
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
        listed = related.categories if related is not None else None
        out["categories"] = {"categories": event_categories(scope, event["id"], listed)}
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


def event_categories(scope: Scope, event_id: str,
                     categories: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The categories an event is assigned to; `categories` is the site's, when already read."""
    found = []
    if categories is None:
        categories = scope.txn.list(scope.site, CATEGORIES)
    for category in categories:
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


def _summaries(scope: Scope, event: dict[str, Any], status: str,
               related: Related | None) -> dict[str, Any]:
    sales = _sales(scope, event, related)
    currency = ((event.get("registration") or {}).get("tickets") or {}).get("currency", "USD")
    sold = sales.sold
    amount = f"{sales.revenue:.2f}"
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
