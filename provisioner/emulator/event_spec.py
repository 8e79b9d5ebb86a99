"""Events V3 requests: the field specs of an event and the rules no field spec can say.

A stored event holds the writable fields as the client sent them, cleaned by these specs and
completed by these rules (defaults, slug, registration settings); `event_model` renders it.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    Spec,
    Str,
    Timestamp,
    fail,
)
from .values import parse_timestamp

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
WRITABLE: dict[str, F | Spec] = {
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
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder
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
        exponent = value.as_tuple().exponent  # an int: the DECIMAL format refuses NaN and inf
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
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


def unique_slug(base: str, taken: set[str]) -> str:
    """`base`, or `base-1`, `base-2`... (cut to fit 130 characters), whichever is not taken."""
    slug, n = base, 0
    while slug in taken:
        n += 1
        slug = f"{base[: 130 - len(str(n)) - 1]}-{n}"
    return slug


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
