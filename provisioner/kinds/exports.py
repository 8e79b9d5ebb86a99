"""Turn live objects back into the spec's objects: the inverse of `bodies`, for `export`. The
`spec_of` hooks of the rows in `table` call these.

Each takes a live `Resource` (its `data` already normalised: only the fields the spec schema
declares, defaults left out, instants in UTC) and its event's resource, and gives what a person
would write: local times in the event's zone, prices as decimal strings, plain-text
descriptions where the plain form says the same as the rich one, and no value the spec would
fill in by itself (`feeType` where it is the one a ticket's prices imply, a schedule item's
zone where it is the event's).
"""

from __future__ import annotations

import copy
import textwrap
from decimal import Decimal
from typing import Any

from ..model import Resource
from ..spec import times
from ..spec.richtext import rich, to_plain, to_rich
from ..spec.shapes import mapping
from . import bodies, form_controls

DRAFT, PUBLISHED, CANCELED = "DRAFT", "PUBLISHED", "CANCELED"
WRAP = 96  # columns of a wrapped description paragraph
# an event's status on the site -> its `state` in a spec (an ended event is a published one)
STATE_OF_STATUS = {"UPCOMING": PUBLISHED, "STARTED": PUBLISHED, "ENDED": PUBLISHED,
                   "CANCELED": CANCELED, "DRAFT": DRAFT}


def event_zone(event: Resource | None) -> Any:
    settings = mapping(event.data.get("dateAndTimeSettings")) if event is not None else {}
    return times.zone(str(settings.get("timeZoneId") or ""))


def _localize(holder: Any, leaves: tuple[str, ...], zone: Any) -> None:
    """Each instant at `holder[leaf]` as a local time in `zone` (in place)."""
    if not isinstance(holder, dict) or zone is None:
        return
    for leaf in leaves:
        if isinstance(holder.get(leaf), str):
            holder[leaf] = times.local_text(holder[leaf], zone)


def plain_or_rich(document: Any) -> Any:
    """The plain text of a rich-content document when it makes exactly that document again,
    else the document itself (headings, links, lists have no plain form)."""
    text = to_plain(document)
    if not text or rich(to_rich(text)) != document:
        return document
    # long paragraphs wrapped, as a person writes them (a single line break reads as a space)
    wrapped = "\n\n".join(textwrap.fill(paragraph, WRAP, break_long_words=False,
                                        break_on_hyphens=False)
                          for paragraph in text.split("\n\n"))
    return wrapped if rich(to_rich(wrapped)) == document else text


def event_spec(event: Resource, parent: Resource | None) -> dict[str, Any]:
    data = copy.deepcopy(event.data)
    zone = event_zone(event)
    for *path, leaf in bodies.EVENT_TIMES:
        holder: Any = data
        for part in path:
            holder = holder.get(part) if isinstance(holder, dict) else None
        _localize(holder, (leaf,), zone)
    if "description" in data and isinstance(data["description"], dict):
        data["description"] = plain_or_rich(data["description"])
    spec: dict[str, Any] = {"slug": event.key.name, **data}
    state = STATE_OF_STATUS.get(str(event.facts.status), DRAFT)
    if state != DRAFT:
        spec["state"] = state
    return spec


def _amount(price: Any) -> Any:
    """`{value: "299.00"}` (its currency is the event's) as `"299.00"`."""
    if isinstance(price, dict) and set(price) == {"value"}:
        return price["value"]
    return price


def ticket_spec(ticket: Resource, event: Resource | None) -> dict[str, Any]:
    data = copy.deepcopy(ticket.data)
    pricing = mapping(data.get("pricingMethod"))
    for key in ("fixedPrice", "guestPrice"):
        if key in pricing:
            pricing[key] = _amount(pricing[key])
    for option in mapping(pricing.get("pricingOptions")).get("optionDetails") or []:
        if isinstance(option, dict) and "price" in option:
            option["price"] = _amount(option["price"])
    _localize(data.get("salePeriod"), ("startDate", "endDate"), event_zone(event))
    if data.get("feeType") == _implied_fee(pricing):
        del data["feeType"]
    return data


def _implied_fee(pricing: dict[str, Any]) -> str:
    """The `feeType` the spec fills in when it is left out (see `bodies.ticket_body`)."""
    prices = [pricing.get(key) for key in ("fixedPrice", "guestPrice") if key in pricing]
    prices += [o.get("price") for o in mapping(pricing.get("pricingOptions"))
               .get("optionDetails") or [] if isinstance(o, dict)]
    try:
        amounts = [Decimal(str(p if not isinstance(p, dict) else p.get("value", "0")))
                   for p in prices]
    except ArithmeticError:
        return ""
    free = "fixedPrice" in pricing and all(amount == 0 for amount in amounts)
    return "NO_FEE" if free else "FEE_INCLUDED"


def schedule_item_spec(item: Resource, event: Resource | None) -> dict[str, Any]:
    data = copy.deepcopy(item.data)
    slot = mapping(data.get("timeSlot"))
    own = str(slot.get("timeZoneId") or "")
    event_zone_name = getattr(event_zone(event), "key", "")
    _localize(slot, ("start", "end"), times.zone(own) or event_zone(event))
    if own and own == event_zone_name:
        del slot["timeZoneId"]
    return data


def plain_spec(obj: Resource, parent: Resource | None) -> dict[str, Any]:
    """A kind whose live data is already what a spec writes (a policy, a category, a form
    control)."""
    return copy.deepcopy(obj.data)


def control_spec(control: Resource, event: Resource | None) -> dict[str, Any]:
    """A form control; one whose every field is a default still names its kind
    (`address: {}`), since the kind is what a control is."""
    data = copy.deepcopy(control.data)
    kind = form_controls.live_kind(control.raw) if control.raw is not None else None
    return data or ({kind: {}} if kind else {})


# The registration form's messages on a new event (Wix fills them in, in the site's language;
# these are the English ones). The spec compares only the messages it states, so an export
# leaves these out and writes only what someone changed.
DEFAULT_MESSAGES: dict[str, Any] = {
    "rsvp": {
        "rsvpYesOption": "I will attend",
        "rsvpNoOption": "Not Going",
        "positiveMessages": {
            "title": "See you at the event!",
            "confirmation": {"title": "You're going!",
                             "message": "We've sent you a confirmation email.",
                             "addToCalendarActionLabel": "Add to Calendar",
                             "shareActionLabel": "Share Event"},
        },
        "waitlistMessages": {
            "title": "You're on the waitlist",
            "confirmation": {"title": "You're on the waitlist",
                             "message": "We'll let you know if a spot opens up.",
                             "addToCalendarActionLabel": "Add to Calendar",
                             "shareActionLabel": "Share Event"},
        },
        "negativeMessages": {
            "title": "Sorry you can't make it",
            "confirmation": {"title": "Thanks for letting us know",
                             "shareActionLabel": "Share Event"},
        },
        "submitActionLabel": "RSVP",
    },
    "checkout": {
        "title": "Add Your Info",
        "submitActionLabel": "Continue",
        "confirmation": {"title": "Thank you for your order",
                         "message": "We've sent you a confirmation email.",
                         "downloadTicketsLabel": "Download Tickets",
                         "addToCalendarLabel": "Add to Calendar",
                         "shareEventLabel": "Share Event"},
    },
    "registrationClosed": {"message": "Registration is closed",
                           "exploreEventsActionLabel": "Explore Other Events"},
    "ticketsUnavailable": {"message": "Tickets are not on sale",
                           "exploreEventsActionLabel": "Explore Other Events"},
}


def messages_spec(messages: Resource, event: Resource | None) -> dict[str, Any] | None:
    """The form's messages that differ from a new event's (None when none do)."""
    return _changed(messages.data.get("messages"), DEFAULT_MESSAGES) or None


def _changed(value: Any, default: Any) -> Any:
    """`value` less every leaf equal to the one at the same place in `default`."""
    if isinstance(value, dict) and isinstance(default, dict):
        kept = {key: _changed(item, default.get(key)) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, {})}
    return None if value == default else value
