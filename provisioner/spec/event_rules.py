"""The rules about one event that no JSON Schema can say: dates in order, times that exist,
sale periods inside the event, one currency, tickets only on ticketed events, unique names.

Rules run on every document, including ones with schema errors, so all problems show at once;
every read is therefore type-guarded and a part that is malformed is simply skipped (the schema
has already reported it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from . import times
from .identity import control_identity, schedule_key
from .problems import WARNING, Path, Problem, format_path
from .shapes import items, mapping, text
from .source import Document

TICKETING, RSVP = "TICKETING", "RSVP"
PRICE_RE = re.compile(r"[0-9]+(\.[0-9]+)?")  # the schema's price pattern


@dataclass
class EventCheck:
    """Checks one event at `path` of `doc`, collecting problems."""

    doc: Document
    path: Path
    event: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    zone: ZoneInfo | None = None
    start: times.Instant | None = None
    end: times.Instant | None = None
    paid_prices: list[Path] = field(default_factory=list)

    def error(self, path: Path, message: str, rule: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key, rule=rule))

    def warn(self, path: Path, message: str, rule: str) -> None:
        self.problems.append(self.doc.problem(path, message, severity=WARNING, rule=rule))

    def run(self) -> list[Problem]:
        self.check_location()
        self.check_dates()
        self.check_registration()
        self.check_tickets()
        self.check_schedule()
        self.check_policies()
        self.check_form()
        return self.problems

    def check_location(self) -> None:
        location = self.event.get("location")
        if not isinstance(location, dict):
            return  # missing or not a mapping: the schema reports it
        path = (*self.path, "location")
        if location.get("locationTbd") is True:
            if not text(location.get("name")):
                self.error(path, "a location to be decided (locationTbd) needs a `name` to "
                           "show instead of the address", "location")
        elif location.get("type", "VENUE") == "VENUE" and not location.get("name") \
                and not location.get("address"):
            self.error(path, "a venue needs a `name` or an `address` (or set locationTbd: "
                       "true, or type: ONLINE)", "location")

    # --- times -----------------------------------------------------------------------------

    def instant(self, path: Path, value: Any, local_zone: ZoneInfo | None = None
                ) -> times.Instant | None:
        """Read a time written at `path`; report it and return None when it is unusable."""
        if not isinstance(value, str) or not times.TIME_RE.match(value):
            return None  # missing or malformed: the schema reports it
        try:
            found = times.parse(value, local_zone or self.zone)
        except times.NoZone:
            dates = mapping(self.event.get("dateAndTimeSettings"))
            if local_zone is None and "timeZoneId" not in dates and \
                    dates.get("dateAndTimeTbd") is True:
                # an event to be dated may leave its zone out; its local times cannot
                self.error(path, f"{value} is a local time, but this event has no "
                           "dateAndTimeSettings.timeZoneId to read it in; add one, or write "
                           "the time with Z or an offset", "time-zone")
            return None  # otherwise the missing or unknown zone is reported where written
        except times.TimeProblem as problem:
            self.error(path, str(problem), "time")
            return None
        if found.ambiguous:
            zone_name = (local_zone or self.zone).key  # type: ignore[union-attr]
            self.warn(path, f"{value} happens twice in {zone_name} (clocks go back); the "
                      "first occurrence is taken. Add an offset to choose", "time.ambiguous")
        return found

    def ordered(self, base: Path, start: tuple[str, Any], end: tuple[str, Any],
                local_zone: ZoneInfo | None = None, *, what: str = ""
                ) -> tuple[times.Instant | None, times.Instant | None]:
        """Read a start/end pair under `base`; the end must come after the start."""
        first = self.instant((*base, start[0]), start[1], local_zone)
        last = self.instant((*base, end[0]), end[1], local_zone)
        if first and last and last.utc <= first.utc:
            self.error((*base, end[0]), f"{what or end[0]} must be after {start[0]} "
                       f"({end[1]} is not after {start[1]})", "order")
        return first, last

    def check_dates(self) -> None:
        base = (*self.path, "dateAndTimeSettings")
        dates = self.event.get("dateAndTimeSettings")
        if not isinstance(dates, dict):
            return  # missing or not a mapping: the schema reports it
        zone_name = text(dates.get("timeZoneId"))
        if zone_name is not None:
            self.zone = times.zone(zone_name)
            if self.zone is None:
                guess = times.closest_zone(zone_name)
                hint = f"; did you mean {guess}?" if guess else \
                    " (use an IANA name such as America/Los_Angeles or Europe/London)"
                self.error((*base, "timeZoneId"), f"unknown time zone {zone_name!r}{hint}",
                           "time-zone")
        if dates.get("dateAndTimeTbd") is True:
            if not text(dates.get("dateAndTimeTbdMessage")):
                self.error((*base, "dateAndTimeTbdMessage"), "is required when dateAndTimeTbd "
                           "is true: the text guests see instead of the dates", "tbd")
            return
        for name in ("timeZoneId", "startDate", "endDate"):
            if name not in dates:
                self.error((*base, name), "is required unless dateAndTimeTbd is true",
                           "required-date")
        start, end = self.ordered(
            base, ("startDate", dates.get("startDate")), ("endDate", dates.get("endDate")))
        if start and end and end.utc > start.utc:  # only sound dates bound the other checks
            self.start, self.end = start, end
            if self.live() and end.utc < times.now():
                self.warn((*base, "endDate"), f"the event ended "
                          f"{times.describe(end, self.zone)}: created or published now, it "
                          "would be over before anyone could come or buy a ticket; move its "
                          "dates (relative `day N` times move with its start)", "past")

    def live(self) -> bool:
        """Whether the spec wants the event on the site (not cancelled or deleted)."""
        return self.event.get("state") not in ("CANCELED", "DELETED")

    # --- registration and tickets -------------------------------------------------------------

    def initial_type(self) -> str:
        registration = mapping(self.event.get("registration"))
        given = text(registration.get("initialType"))
        if given in (TICKETING, RSVP):
            return given
        return TICKETING if "tickets" in self.event else RSVP

    def currency(self) -> str | None:
        tickets = mapping(mapping(self.event.get("registration")).get("tickets"))
        return text(tickets.get("currency"))

    def check_registration(self) -> None:
        base = (*self.path, "registration")
        registration = mapping(self.event.get("registration"))
        kind = self.initial_type()
        if kind == RSVP and "tickets" in registration:
            self.warn((*base, "tickets"), "applies only to TICKETING events; this event is RSVP "
                      "(set registration.initialType: TICKETING to sell tickets)",
                      "registration-type")
        if kind == TICKETING and "rsvp" in registration:
            self.warn((*base, "rsvp"), "applies only to RSVP events; this event is TICKETING",
                      "registration-type")
        rsvp = mapping(registration.get("rsvp"))
        self.ordered((*base, "rsvp"), ("startDate", rsvp.get("startDate")),
                     ("endDate", rsvp.get("endDate")))

    def check_tickets(self) -> None:
        if "tickets" not in self.event:
            return
        base = (*self.path, "tickets")
        if self.initial_type() == RSVP and self.event.get("tickets"):
            self.error(base, "tickets are only for TICKETING events, and this event's "
                       "registration.initialType is RSVP", "tickets-on-rsvp")
        tickets = items(self.event.get("tickets"))
        self.unique(base, tickets, lambda t: text(t.get("name")), "ticket")
        for index, ticket in tickets:
            self.check_ticket((*base, index), ticket)
        if self.paid_prices and not self.currency():
            self.error(self.paid_prices[0], "paid tickets need the event's currency: set "
                       "registration.tickets.currency (e.g. USD)", "currency-missing")

    def check_ticket(self, path: Path, ticket: dict[str, Any]) -> None:
        pricing = mapping(ticket.get("pricingMethod"))
        prices: list[tuple[Path, Any]] = [
            ((*path, "pricingMethod", key), pricing[key])
            for key in ("fixedPrice", "guestPrice") if key in pricing
        ]
        options = items(mapping(pricing.get("pricingOptions")).get("optionDetails"))
        options_path = (*path, "pricingMethod", "pricingOptions", "optionDetails")
        prices += [((*options_path, i, "price"), option.get("price")) for i, option in options]
        self.unique(options_path, options, lambda o: text(o.get("name")), "price option")
        amounts = [self.check_price(where, price) for where, price in prices]
        # free means a fixed price of zero; pay-what-you-want with a zero minimum is not free
        fixed_free = "fixedPrice" in pricing and amounts and amounts[0] == 0
        if ticket.get("feeType") == "NO_FEE" and not fixed_free and pricing:
            self.error((*path, "feeType"), "NO_FEE is only for free tickets (fixedPrice: "
                       "\"0\"); use FEE_INCLUDED or FEE_ADDED_AT_CHECKOUT", "fee-type")
        if fixed_free and ticket.get("feeType") not in (None, "NO_FEE"):
            self.warn((*path, "feeType"), "a free ticket has no fee; NO_FEE is the usual "
                      "choice", "fee-type")
        sale = mapping(ticket.get("salePeriod"))
        sale_path = (*path, "salePeriod")
        sale_start, sale_end = self.ordered(sale_path, ("startDate", sale.get("startDate")),
                                            ("endDate", sale.get("endDate")))
        for name, found in (("startDate", sale_start), ("endDate", sale_end)):
            if found and found.utc != _minute(found):
                # Wix keeps the minute only: a spec with seconds would differ from the site
                # after every apply, and never converge
                local = found.utc.astimezone(self.zone or UTC)
                self.error((*sale_path, name), "Wix keeps sale periods to the minute: "
                           f"{local:%Y-%m-%dT%H:%M:%S} would be saved as {local:%H:%M}, and "
                           "every plan would show the difference; leave out the seconds",
                           "sale-period")
        if sale_start and sale_end and sale_start.utc < sale_end.utc and \
                _minute(sale_start) == _minute(sale_end):
            self.error((*sale_path, "endDate"), "must be in a later minute than startDate: "
                       "Wix counts sale periods in whole minutes", "order")
        if sale_end and self.end and sale_end.utc > self.end.utc:
            self.error((*sale_path, "endDate"), "the sale must end by the end of the event "
                       f"({times.describe(self.end, self.zone)}); Wix refuses a later end",
                       "sale-period")
        elif sale_end and self.end and self.end.utc >= times.now() > sale_end.utc \
                and self.live():
            self.warn((*sale_path, "endDate"), "the sale period ended "
                      f"{times.describe(sale_end, self.zone)}: this ticket can no longer be "
                      "bought", "past")

    def check_price(self, path: Path, price: Any) -> Decimal | None:
        """The amount of one price; reports a currency that is not the event's."""
        if isinstance(price, dict):
            currency = text(price.get("currency"))
            if currency and self.currency() and currency != self.currency():
                self.error((*path, "currency"), f"is {currency}, but the event's currency "
                           f"(registration.tickets.currency) is {self.currency()}; an event "
                           "sells in one currency", "currency")
            price = price.get("value")
        if not isinstance(price, str) or not PRICE_RE.fullmatch(price):
            return None  # the schema reports a malformed price
        amount = Decimal(price)
        if amount > 0:
            self.paid_prices.append(path)
        return amount

    # --- schedule, policies, form -----------------------------------------------------------------

    def check_schedule(self) -> None:
        schedule = mapping(self.event.get("schedule"))
        base = (*self.path, "schedule", "items")
        entries = items(schedule.get("items"))
        starts: dict[int, times.Instant] = {}
        for index, item in entries:
            path = (*base, index)
            slot = mapping(item.get("timeSlot"))
            zone = self.zone
            zone_name = text(slot.get("timeZoneId"))
            if zone_name is not None:
                zone = times.zone(zone_name)
                if zone is None:
                    self.error((*path, "timeSlot", "timeZoneId"),
                               f"unknown time zone {zone_name!r}", "time-zone")
                    continue
            start, end = self.ordered((*path, "timeSlot"), ("start", slot.get("start")),
                                      ("end", slot.get("end")), zone)
            if start:
                starts[index] = start
            if self.start and self.end and start and end and (
                    start.utc < self.start.utc or end.utc > self.end.utc):
                self.warn((*path, "timeSlot"), "is outside the event's dates "
                          f"({times.describe(self.start, self.zone)} to "
                          f"{times.describe(self.end, self.zone)})", "schedule-outside")
        # items are told apart by name and start instant, however the start is written
        keys = {id(item): schedule_key(item, starts.get(index)) for index, item in entries}
        self.unique(base, entries, lambda item: keys[id(item)], "schedule item",
                    describe=lambda key: f"{key[0]!r} starting at " + (
                        times.describe(times.Instant(key[1]), self.zone)
                        if isinstance(key[1], datetime) else key[1]),
                    advice=lambda key: "items that share a name need different start times")

    def check_policies(self) -> None:
        base = (*self.path, "policies")
        self.unique(base, items(self.event.get("policies")), lambda p: text(p.get("name")),
                    "policy")

    def check_form(self) -> None:
        base = (*self.path, "form", "controls")
        controls = items(mapping(self.event.get("form")).get("controls"))
        self.unique(base, controls, control_identity, "form control",
                    describe=lambda key: repr(key[1]) if key[0] == "label" else
                    f"`{key[1]}` control",
                    advice=lambda key: "each form control needs its own label"
                    if key[0] == "label" else f"a form has at most one `{key[1]}` control")
        for index, control in controls:
            if "additionalGuests" in control and self.initial_type() != RSVP:
                self.error((*base, index, "additionalGuests"), "additional guests can only be "
                           "asked for on RSVP events; a ticketed guest buys a ticket for each "
                           "person", "guests-on-tickets")
            dropdown = mapping(control.get("dropdown"))
            selection = mapping(dropdown.get("defaultOptionSelection"))
            options = dropdown.get("options")
            chosen = selection.get("optionIndex")
            if isinstance(chosen, int) and isinstance(options, list) and chosen >= len(options):
                self.error((*base, index, "dropdown", "defaultOptionSelection", "optionIndex"),
                           f"is {chosen}, but the dropdown has {len(options)} options "
                           f"(indexes 0 to {len(options) - 1})", "option-index")

    # --- identity -------------------------------------------------------------------------------

    def unique(self, base: Path, entries: Iterable[tuple[int, dict[str, Any]]],
               key: Callable[[dict[str, Any]], Any], noun: str, *,
               describe: Callable[[Any], str] = repr,
               advice: Callable[[Any], str] | None = None) -> None:
        """Each entry's identity must be unique, and its former names must be sound."""
        entries = list(entries)
        seen: dict[Any, int] = {}
        for index, entry in entries:
            identity = key(entry)
            if identity is None:
                continue
            if identity in seen:
                tip = advice(identity) if advice else f"each {noun} needs its own name"
                self.error((*base, index), f"a second {noun} {describe(identity)} (the first "
                           f"is {format_path((*base, seen[identity]))}); {tip}", "unique")
            else:
                seen[identity] = index
        self.former_names(base, entries, {i for i in seen if isinstance(i, str)}, noun)

    def former_names(self, base: Path, entries: list[tuple[int, dict[str, Any]]],
                     names: set[str], noun: str) -> None:
        """A former name (`renamed_from`) must be nobody's current name, and be claimed by
        one entry only."""
        claimed: dict[str, int] = {}
        for index, entry in entries:
            former = entry.get("renamed_from")
            for position, old in enumerate(former if isinstance(former, list) else []):
                if not isinstance(old, str):
                    continue
                where = (*base, index, "renamed_from", position)
                if old in names:
                    self.error(where, f"{old!r} is the name of another {noun} in this list, "
                               "so it cannot also be a former name", "renamed-from")
                elif claimed.setdefault(old, index) != index:
                    self.error(where, f"{old!r} is already a former name of "
                               f"{format_path((*base, claimed[old]))}; a live {noun} can "
                               "become only one of them", "renamed-from")


def _minute(instant: times.Instant) -> datetime:
    return instant.utc.replace(second=0, microsecond=0)


