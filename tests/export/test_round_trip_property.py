"""The export round trip, as a property: for any site, `provisioner export` writes a spec that
`provisioner validate` accepts (warnings allowed) and that `provisioner plan` against the same
site shows as "No changes".

Its one job is that property. Each example builds a random site on a fresh site of the test
emulator through the plain Wix API (literal request bodies written here, sent with httpx, as
tests/plan/seed.py does and for its reason: nothing from `provisioner` builds them, so a
mistake in the provisioner's bodies cannot hide by being made on both sides), then runs
export, validate and plan as real subprocesses. A site holds several events (drafts,
published, cancelled, ended and started ones, dates to be decided), times near daylight-saving
changes and with seconds, awkward texts, every ticket price form and fee type, policies,
published and unpublished schedules, form controls, form messages and categories. Names are
unique within a collection (a spec cannot express duplicates; the one separate test checks
the warning export gives for a duplicate ticket instead).

The default run is small enough for CI (15 examples, about 20 s while they pass); it stops at
the first failure without shrinking it (`EXPORT_SHRINK=1` shrinks, which takes minutes). A
larger run is a survey: every example runs, and a tally is printed (examples, what they
built, each kind of failure and how often), then the test fails showing one example of each:

    EXPORT_EXAMPLES=200 pytest tests/export/test_round_trip_property.py -s

A failure names the folder that holds the example's API calls (`site.json`: the calls in
order, laid out as tests/plan/seed.py's files are, `{NAME}` in a path or an id field standing
for the id saved as NAME) and its export.
"""

from __future__ import annotations

import json
import os
import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.apply.support import run_cli
from tests.conftest import FakeClock, Server

EXAMPLES = int(os.environ.get("EXPORT_EXAMPLES", "15"))  # about 20 s when all pass
# with EXPORT_EXAMPLES set, every example runs and the failures are tallied (a survey);
# otherwise the first failure ends the test, unshrunk unless EXPORT_SHRINK=1 (shrinking
# re-runs the CLI for minutes)
SURVEY = "EXPORT_EXAMPLES" in os.environ
PHASES = (Phase.explicit, Phase.generate,
          *((Phase.shrink,) if os.environ.get("EXPORT_SHRINK") and not SURVEY else ()))
TALLY: Counter[str] = Counter()
FAILURES: Counter[str] = Counter()
FIRST_FAILURE: dict[str, str] = {}

Draw = Callable[[st.SearchStrategy[Any]], Any]

ZONES = ("America/Los_Angeles", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC")
ITEM_ZONES = (*ZONES, "Etc/UTC", "America/New_York")
PAST_YEARS = (2019, 2021, 2024)  # the emulator's clock is 2026-01-01 (the `clock` fixture)
FUTURE_YEARS = (2029, 2031, 2034)
CURRENCIES = ("USD", "EUR", "JPY")
COUNTRIES = (("US", "US-CA"), ("GB", "GB-LND"), ("AU", "AU-NSW"), ("IN", "IN-KA"),
             ("NO", "NO-03"), ("CH", "CH-BS"))
MESSAGE_PATHS = (
    "rsvp.rsvpYesOption", "rsvp.rsvpNoOption", "rsvp.positiveMessages.title",
    "rsvp.positiveMessages.confirmation.message", "rsvp.waitlistMessages.title",
    "rsvp.negativeMessages.confirmation.title", "rsvp.submitActionLabel", "checkout.title",
    "checkout.submitActionLabel", "checkout.confirmation.downloadTicketsLabel",
    "registrationClosed.message", "registrationClosed.exploreEventsActionLabel",
    "ticketsUnavailable.message",
)


# --- daylight saving ---------------------------------------------------------------------------


def _transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """The UTC instants (to the minute) in `year` at which `zone`'s offset changes."""
    tz = ZoneInfo(zone)
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        following = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            minute = day
            while minute.astimezone(tz).utcoffset() == day.astimezone(tz).utcoffset():
                minute += timedelta(minutes=1)
            found.append(minute)
        day = following
    return tuple(found)


TRANSITIONS = {(zone, year): _transitions(zone, year)
               for zone in ITEM_ZONES for year in (*PAST_YEARS, *FUTURE_YEARS)}


# --- texts -------------------------------------------------------------------------------------

# whole values that YAML, a dumper or a loader may take for something else
TRICKY = (
    "NO", "yes", "Off", "null", "~", "true", "False", "0o17", "1e3", "1.5e3", "0x1F", ".inf",
    "-.5", "+1", "1_000", "12:30", "2025-06-15", "2025-06-15T09:00", "007", "3.10", "- dash",
    "? question", "&anchor", "*alias", "!tag", "%percent", "@at", "`tick", "[list]",
    "{a: b}", "a: b", "a:b", "key: value # not a comment", "#hash", " leading space",
    "trailing space ", "'single'", '"double"', "it's", "<p>html</p>", "|", ">", "---", "...",
    "<<", "=", "é à ü ß", "日本語のイベント", "🎉 Party 🎉", "Ωmega ≈ Ж", "non\u00a0breaking",
    "zero\u200bwidth", "line\u2028separator", "tab\there", "back\\slash", "$HOME", "a  b",
)
LINE_TRICKY = ("first line\nsecond line", "para one\n\npara two", "\nleading newline",
               "trailing newline\n", "ends with two\n\n", "  indented\nnot", "a \nb",
               "windows\r\nline ends\r\n", "- a list?\n- maybe")
CHARS = (string.ascii_letters + string.digits + " :#'\"-_/.,!?&*@%()[]{}|<>=~`\\+$^;"
         + "éüßñçøÅ日本語中文한국어🎉🚀ΩЖ€£¥\u00a0\u200b")


def texts(min_size: int, max_size: int, *, lines: bool = False) -> st.SearchStrategy[str]:
    """Text of min_size..max_size characters: words, awkward characters and whole values that
    YAML may misread; `lines` allows line breaks."""
    tricky = TRICKY + (LINE_TRICKY if lines else ())
    chars = CHARS + ("\n" if lines else "")
    piece = st.one_of(
        st.sampled_from(tricky),
        st.text(alphabet=chars, min_size=1, max_size=12),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                max_size=4),
    )
    # long fields get long texts, which YAML folds and descriptions wrap
    joined = st.lists(piece, min_size=1, max_size=min(40, max(4, max_size // 10))).map(
        "".join)
    found = st.one_of(st.sampled_from(tricky), joined).map(lambda s: s[:max_size]).filter(
        lambda s: len(s) >= min_size and (min_size == 0 or s.strip() != ""))
    return st.one_of(st.just(""), found) if min_size == 0 else found


def prose(max_size: int) -> st.SearchStrategy[str]:
    """Sentences: words (some of them awkward) between single spaces, long enough to wrap."""
    word = st.one_of(
        st.sampled_from(("the", "talk", "opens", "at", "nine", "–", "café", "naïve", "日本",
                         "#1", "a:b", "'quoted'", '"q"', "-", "*", "&", "yes", "NO", "~",
                         "https://example.com/a?b=c#d", "e-mail", "3.10", "2025-06-15",
                         "{x}", "[y]", "%", "!", "🎉", "---", "...", "|", ">")),
        st.text(alphabet=string.ascii_letters + "éüßñ日本語", min_size=1, max_size=14))
    return st.lists(word, min_size=1, max_size=70).map(" ".join).map(
        lambda s: s[:max_size].strip() or "x")


def names(max_size: int) -> st.SearchStrategy[str]:
    """A name: one line, not blank."""
    return texts(1, max_size)


def unique_names(draw: Draw, max_size: int, most: int) -> list[str]:
    """Up to `most` different names, now and then two that differ only in case or a trailing
    space (different names to a spec, and to Wix)."""
    found: list[str] = draw(st.lists(names(max_size), max_size=most, unique=True))
    if found and len(found) < most and draw(st.integers(0, 3)) == 0:
        twin = draw(st.sampled_from((found[0].swapcase(), found[0][: max_size - 1] + " ")))
        if twin not in found:
            found.append(twin)
    return found


def maybe(draw: Draw, body: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    """Set `body[key]` to a drawn value, or leave it out."""
    if draw(st.booleans()):
        body[key] = draw(strategy)


# --- the site's API calls ----------------------------------------------------------------------


class Ref(str):
    """A saved id in a request body, written `{NAME}` as in tests/plan/seed.py."""


@dataclass
class Site:
    """The API calls that build a site, and what they should export as."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    per_event: dict[str, Counter[str]] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)  # events by state and time

    def count(self, plan: EventPlan, noun: str, number: int) -> None:
        """`number` more (or fewer) `noun` in the site, and in the event of `plan`."""
        self.counts[noun] += number
        self.per_event.setdefault(plan.key, Counter())[noun] += number

    def call(self, method: str, path: str, body: Any = None, save: str | None = None) -> None:
        entry: dict[str, Any] = {"method": method, "path": path}
        if body is not None:
            entry["body"] = body
        if save:
            entry["save"] = save
        self.calls.append(entry)


def _resolve(value: Any, saved: dict[str, str]) -> Any:
    if isinstance(value, Ref):
        return saved[value[1:-1]]
    if isinstance(value, dict):
        return {key: _resolve(item, saved) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, saved) for item in value]
    return value


def build(api: httpx.Client, site: Site) -> dict[str, str]:
    """Make the site's calls in order; `{NAME}` in a path or a `Ref` is an id saved earlier.
    Returns the saved ids by name."""
    saved: dict[str, str] = {}
    for call in site.calls:
        path = re.sub(r"\{(\w+)\}", lambda m: saved[m.group(1)], call["path"])
        body = _resolve(call.get("body"), saved)
        answer = api.request(call["method"], path, json=body)
        assert answer.status_code == 200, (
            f"building the site: {call['method']} {path} {json.dumps(body)[:2000]}: "
            f"{answer.status_code} {answer.text[:2000]}")
        if "save" in call:
            found = answer.json()
            made = [found["id"]] if isinstance(found.get("id"), str) else [  # a form control
                v["id"] for v in found.values() if isinstance(v, dict) and "id" in v]
            assert len(made) == 1, f"{call['method']} {path} made no one object: {answer.text}"
            saved[call["save"]] = made[0]
    return saved


# --- times -------------------------------------------------------------------------------------


def instants(draw: Draw, zone: str, years: tuple[int, ...]) -> datetime:
    """A moment in one of `years`: often within hours of a daylight-saving change of `zone`,
    sometimes with seconds or milliseconds."""
    year = draw(st.sampled_from(years))
    changes = TRANSITIONS[(zone, year)]
    if changes and draw(st.booleans()):
        moment = draw(st.sampled_from(changes)) + timedelta(minutes=draw(st.integers(-150, 150)))
    else:
        start = datetime(year, 1, 1, tzinfo=UTC)
        moment = start + timedelta(minutes=15 * draw(st.integers(0, 364 * 96)))
    precision = draw(st.sampled_from(("minute", "minute", "minute", "second", "milli")))
    if precision != "minute":
        moment += timedelta(seconds=draw(st.integers(1, 59)))
    if precision == "milli":
        moment += timedelta(milliseconds=draw(st.integers(1, 999)))
    return moment


def durations(draw: Draw) -> timedelta:
    return draw(st.one_of(st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
                          st.integers(1, 72).map(lambda h: timedelta(hours=h)),
                          st.integers(1, 12).map(lambda d: timedelta(days=d))))


def wire(moment: datetime, zone: str, style: str) -> str:
    """A moment as a request may send it: UTC with or without milliseconds, or local with an
    offset."""
    if style == "offset":
        return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="milliseconds")
    if style == "short" and not moment.microsecond:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- events ------------------------------------------------------------------------------------


@dataclass
class EventPlan:
    """What the children of one event are drawn against."""

    key: str
    zone: str
    kind: str
    currency: str
    start: datetime | None
    end: datetime | None
    style: str

    @property
    def ref(self) -> Ref:
        return Ref(f"{{{self.key}}}")

    def time(self, moment: datetime, zone: str | None = None) -> str:
        return wire(moment, zone or self.zone, self.style)


def rich_description(draw: Draw) -> dict[str, Any]:
    """A rich-content document: plain paragraphs (which have a plain-text form), or with a
    heading, a bold run or a line break inside a paragraph (which do not)."""
    style = draw(st.sampled_from(("plain", "plain", "heading", "bold", "break", "empty")))
    paragraphs = draw(st.lists(st.one_of(texts(1, 300), prose(600)), min_size=1,
                               max_size=4))
    if style == "break":
        paragraphs[0] = draw(texts(1, 80)) + "\n" + draw(texts(1, 80))

    def text_node(text: str, decorations: list[dict[str, Any]] | None = None
                  ) -> dict[str, Any]:
        return {"type": "TEXT", "id": "", "nodes": [],
                "textData": {"text": text, "decorations": decorations or []}}

    nodes: list[dict[str, Any]] = [
        {"type": "PARAGRAPH", "id": draw(st.sampled_from(("", f"p{n}", f"x{n}k"))),
         "nodes": [text_node(text)], "paragraphData": {}}
        for n, text in enumerate(paragraphs)]
    if style == "heading":
        nodes.insert(0, {"type": "HEADING", "id": "h0", "nodes": [text_node(draw(names(60)))],
                         "headingData": {"level": draw(st.integers(1, 6))}})
    if style == "bold":
        nodes[0]["nodes"][0]["textData"]["decorations"] = [{"type": "BOLD",
                                                            "fontWeightValue": 700}]
    if style == "empty":
        nodes.append({"type": "PARAGRAPH", "id": "e", "nodes": [], "paragraphData": {}})
    metadata = draw(st.sampled_from(({"version": 1},
                                     {"version": 1, "createdTimestamp": "2024-01-01T00:00:00Z",
                                      "id": "b1c2"})))
    return {"nodes": nodes, "metadata": metadata}


def location(draw: Draw) -> dict[str, Any]:
    """A venue by name, address or both, an online event, or a place to be decided."""
    form = draw(st.sampled_from(("name", "address", "both", "online", "tbd")))
    if form == "online":
        out: dict[str, Any] = {"type": "ONLINE"}
        maybe(draw, out, "name", texts(0, 50))
        return out
    if form == "tbd":
        return {"type": "VENUE", "locationTbd": True, "name": draw(names(50))}
    out = {} if draw(st.booleans()) else {"type": "VENUE"}
    if form in ("name", "both"):
        out["name"] = draw(names(50))
    if form in ("address", "both"):
        country, subdivision = draw(st.sampled_from(COUNTRIES))
        address: dict[str, Any] = {}
        line = draw(st.sampled_from(("street", "line", "none")))
        if line == "street":
            street: dict[str, Any] = {"name": draw(names(60))}
            maybe(draw, street, "number", st.sampled_from(("1", "12b", "0042", "7")))
            maybe(draw, street, "apt", st.sampled_from(("2", "Suite 300", "#4")))
            address["streetAddress"] = street
        elif line == "line":
            address["addressLine"] = draw(names(100))
        maybe(draw, address, "addressLine2", texts(0, 60))
        maybe(draw, address, "city", names(40))
        maybe(draw, address, "subdivision", st.just(subdivision))
        maybe(draw, address, "postalCode", st.sampled_from(("94103", "01234", "SW1A 1AA",
                                                             "2000", "560001", "0150")))
        if draw(st.booleans()) or not address:
            address["country"] = country
        out["address"] = address
    return out


def registration(draw: Draw, plan: EventPlan) -> dict[str, Any]:
    """Registration settings of the event's type (now and then of the other type as well,
    which the API keeps)."""
    out: dict[str, Any] = {"initialType": plan.kind}
    other = draw(st.integers(0, 5)) == 0
    if plan.kind == "RSVP" or other:
        rsvp: dict[str, Any] = {}
        maybe(draw, rsvp, "responseType", st.sampled_from(("YES_ONLY", "YES_AND_NO")))
        maybe(draw, rsvp, "limit", st.integers(0, 5000))
        maybe(draw, rsvp, "waitlistEnabled", st.booleans())
        if draw(st.booleans()):
            opens = instants(draw, plan.zone, PAST_YEARS + FUTURE_YEARS)
            rsvp["startDate"] = plan.time(opens)
            rsvp["endDate"] = plan.time(opens + durations(draw))
        if rsvp:
            out["rsvp"] = rsvp
    if plan.kind == "TICKETING" or other:
        tickets: dict[str, Any] = {}
        if plan.currency != "USD" or draw(st.booleans()):
            tickets["currency"] = plan.currency
        maybe(draw, tickets, "ticketLimitPerOrder", st.integers(0, 50))
        maybe(draw, tickets, "guestsAssignedSeparately", st.booleans())
        maybe(draw, tickets, "reservationDurationInMinutes", st.integers(5, 30))
        if draw(st.booleans()):
            tax: dict[str, Any] = {
                "type": draw(st.sampled_from(("INCLUDED_IN_PRICE", "ADDED_AT_CHECKOUT"))),
                "name": draw(names(10)),
                "rate": draw(st.sampled_from(("8.1", "20", "7.25", "0.001", "100", "19.000",
                                              "5.5", "0.5"))),
            }
            maybe(draw, tax, "appliedToDonations", st.booleans())
            tickets["taxSettings"] = tax
        if tickets:
            out["tickets"] = tickets
    maybe(draw, out, "allowedGuestTypes", st.sampled_from(("VISITOR_OR_MEMBER", "MEMBER")))
    maybe(draw, out, "registrationPaused", st.booleans())
    if draw(st.integers(0, 5)) == 0:
        out["registrationDisabled"] = True
    if draw(st.integers(0, 5)) == 0:
        out["external"] = {"url": draw(st.sampled_from((
            "https://example.com/register", "https://tickets.example.org/e?id=1&x=%20y")))}
    return out


def event_body(draw: Draw, plan: EventPlan, when: str, slug: str | None) -> dict[str, Any]:
    dates: dict[str, Any] = {"timeZoneId": plan.zone}
    if when == "tbd" and plan.start is None and draw(st.integers(0, 3)) == 0:
        del dates["timeZoneId"]  # the API needs no zone while the dates are to be decided
    if when == "tbd":
        dates["dateAndTimeTbd"] = True
        dates["dateAndTimeTbdMessage"] = draw(names(100))
    if plan.start is not None and plan.end is not None:
        dates["startDate"] = plan.time(plan.start)
        dates["endDate"] = plan.time(plan.end)
    maybe(draw, dates, "hideEndDate", st.booleans())
    maybe(draw, dates, "showTimeZone", st.booleans())
    event: dict[str, Any] = {"title": draw(names(120)), "location": location(draw),
                             "dateAndTimeSettings": dates,
                             "registration": registration(draw, plan)}
    maybe(draw, event, "shortDescription", st.one_of(texts(0, 500, lines=True), prose(500)))
    if draw(st.booleans()):
        event["description"] = rich_description(draw)
    if draw(st.integers(0, 3)) == 0:
        event["mainImage"] = {"id": "img-1", "url": "https://static.example.com/a.jpg",
                              "height": 600, "width": 800, "altText": draw(texts(0, 40))}
    maybe(draw, event, "guestListSettings", st.builds(lambda b: {"displayedPublicly": b},
                                                      st.booleans()))
    maybe(draw, event, "agendaSettings", st.builds(lambda b: {"enabled": b}, st.booleans()))
    maybe(draw, event, "eventDisplaySettings", st.fixed_dictionaries(
        {}, optional={"hideEventDetailsButton": st.booleans(),
                      "hideEventDetailsPage": st.booleans()}))
    if event["location"].get("type") == "ONLINE" and draw(st.booleans()):
        event["onlineConferencing"] = {"enabled": draw(st.booleans()),
                                       "type": draw(st.sampled_from(("MEETING", "WEBINAR")))}
    if slug is not None:
        event["seoSettings"] = {"slug": slug}
    if draw(st.integers(0, 7)) == 0:  # not in the spec language: export warns
        event.setdefault("seoSettings", {})["advancedSeoData"] = {
            "tags": [{"type": "meta", "props": {"name": "robots", "content": "noindex"}}]}
    if draw(st.integers(0, 7)) == 0:  # retired, and still accepted: export warns
        event["detailedDescription"] = draw(texts(1, 200, lines=True))
    return event


def amounts(draw: Draw, currency: str, positive: bool) -> str:
    whole = draw(st.sampled_from((0, 1, 5, 12, 99, 150, 1000, 25000)) if not positive else
                 st.sampled_from((1, 5, 12, 99, 150, 1000, 25000)))
    fraction = "" if currency == "JPY" and draw(st.booleans()) else draw(
        st.sampled_from(("", "", ".5", ".50", ".99", ".05", ".00", ".125")))
    lead = "0" if draw(st.integers(0, 9)) == 0 else ""
    return f"{lead}{whole}{fraction}"


def add_tickets(draw: Draw, site: Site, plan: EventPlan) -> None:
    """Ticket definitions in the event's currency; then perhaps the last moved to the front,
    and perhaps the currency of them all changed."""
    made: list[str] = []
    for name in unique_names(draw, 30, 4):
        money = {"currency": plan.currency}
        method = draw(st.sampled_from(("fixed", "free", "guest", "options")))
        if method == "fixed":
            pricing: dict[str, Any] = {"fixedPrice": {"value": amounts(draw, plan.currency,
                                                                       True), **money}}
        elif method == "free":
            pricing = {"fixedPrice": {"value": draw(st.sampled_from(("0", "0.00"))), **money}}
        elif method == "guest":
            pricing = {"guestPrice": {"value": amounts(draw, plan.currency, False), **money}}
        else:
            options = draw(st.lists(names(200), min_size=1, max_size=4, unique=True))
            pricing = {"pricingOptions": {"optionDetails": [
                {"name": option, "price": {"value": amounts(draw, plan.currency, False),
                                           **money}} for option in options]}}
        fees = ["FEE_INCLUDED", "FEE_ADDED_AT_CHECKOUT"] + (["NO_FEE"] if method == "free"
                                                            else [])
        ticket: dict[str, Any] = {"name": name, "pricingMethod": pricing,
                                  "feeType": draw(st.sampled_from(fees)), "eventId": plan.ref}
        maybe(draw, ticket, "description", texts(0, 500, lines=True))
        maybe(draw, ticket, "policyText", texts(0, 1000, lines=True))
        maybe(draw, ticket, "initialLimit", st.one_of(st.integers(1, 500),
                                                      st.just(2_147_483_647)))
        maybe(draw, ticket, "hidden", st.booleans())
        if draw(st.integers(0, 7)) == 0:  # not in the spec language: export warns
            ticket["extendedFields"] = {"namespaces": {"_user_fields": {"note": draw(names(20))}}}
        if draw(st.booleans()):
            if plan.end is not None and draw(st.integers(0, 3)) != 0:
                closes = plan.end - timedelta(minutes=draw(st.integers(0, 2000)))
            else:
                closes = instants(draw, plan.zone, FUTURE_YEARS)
            if plan.end is not None and closes > plan.end:
                closes = plan.end  # Wix refuses a sale that ends after the event
            opens = closes - timedelta(minutes=draw(st.integers(2, 200_000)),
                                       seconds=draw(st.integers(0, 59)))
            period: dict[str, Any] = {"startDate": plan.time(opens), "endDate": plan.time(closes)}
            maybe(draw, period, "displayNotOnSale", st.booleans())
            ticket["salePeriod"] = period
        made.append(f"{plan.key}t{len(made)}")
        site.call("POST", "/events/v3/ticket-definitions", {"ticketDefinition": ticket},
                  save=made[-1])
        site.count(plan, "tickets", 1)
    if len(made) > 1 and draw(st.booleans()):
        site.call("POST", "/events/v3/ticket-definitions/reorder", {
            "eventId": plan.ref, "ticketDefinitionId": Ref(f"{{{made[-1]}}}"),
            "beforeDefinitionId": Ref(f"{{{made[0]}}}")})
    if made and draw(st.integers(0, 4)) == 0:
        site.call("POST", "/events/v3/ticket-definitions/currency", {
            "eventId": plan.ref,
            "currency": draw(st.sampled_from([c for c in CURRENCIES if c != plan.currency]))})


def add_policies(draw: Draw, site: Site, plan: EventPlan) -> None:
    bodies = st.one_of(texts(1, 2000, lines=True), prose(2000),
                       st.sampled_from(("<p>No refunds.</p>", "<ul><li>One</li><li>Two</li></ul>",
                                        "Be kind.\n\n<b>Really.</b>")))
    made: list[str] = []
    for name in unique_names(draw, 40, 3):
        made.append(f"{plan.key}p{len(made)}")
        site.call("POST", "/events/v2/policies",
                  {"policy": {"name": name, "body": draw(bodies), "eventId": plan.ref}},
                  save=made[-1])
        site.count(plan, "policies", 1)
    if len(made) > 1 and draw(st.booleans()):  # the first made (now last) moved to the front
        site.call("POST", "/events/v2/policies/reorder", {
            "eventId": plan.ref, "policyId": Ref(f"{{{made[0]}}}"),
            "beforePolicyId": Ref(f"{{{made[-1]}}}")})


def schedule_item(draw: Draw, plan: EventPlan, name: str) -> tuple[dict[str, Any], datetime]:
    zone = draw(st.sampled_from((None, plan.zone, *ITEM_ZONES)))
    if plan.start is not None and draw(st.integers(0, 4)) > 0:
        start = plan.start + timedelta(minutes=draw(st.integers(-120, 3000)),
                                       seconds=draw(st.sampled_from((0, 0, 0, 30))))
    else:
        start = instants(draw, zone or "UTC", PAST_YEARS + FUTURE_YEARS)
    end = start + timedelta(minutes=draw(st.integers(1, 480)))
    slot: dict[str, Any] = {"start": plan.time(start, zone), "end": plan.time(end, zone)}
    if zone is not None:
        slot["timeZoneId"] = zone
    item: dict[str, Any] = {"name": name, "timeSlot": slot}
    maybe(draw, item, "description", st.one_of(texts(0, 2000, lines=True), prose(2000)))
    maybe(draw, item, "stageName", texts(0, 30))
    maybe(draw, item, "tags", st.lists(names(30), max_size=5))
    maybe(draw, item, "status", st.sampled_from(("SCHEDULED", "CANCELED")))
    maybe(draw, item, "hidden", st.booleans())
    return item, start.replace(microsecond=start.microsecond // 1000 * 1000)


def add_schedule(draw: Draw, site: Site, plan: EventPlan) -> None:
    """Items added to the draft; then published, left unpublished, or published and edited
    again in the draft (an item added, replaced or deleted, or all moved to another zone and
    time)."""
    pool = draw(st.lists(names(120), min_size=1, max_size=3, unique=True))
    keys: set[tuple[str, datetime]] = set()
    saved: list[str] = []

    def add() -> None:
        item, start = schedule_item(draw, plan, draw(st.sampled_from(pool)))
        if (item["name"], start) in keys:
            return  # a spec tells items apart by name and start
        keys.add((item["name"], start))
        saved.append(f"{plan.key}i{len(saved)}")
        site.call("POST", "/events/v1/schedule/draft", {"eventId": plan.ref, "item": item},
                  save=saved[-1])
        site.count(plan, "schedule items", 1)

    for _ in range(draw(st.integers(0, 4))):
        add()
    if not saved:
        return
    mode = draw(st.sampled_from(("published", "published", "draft", "added", "replaced",
                                 "deleted", "rescheduled")))
    if mode != "draft":
        site.call("POST", "/events/v1/schedule/publish", {"eventId": plan.ref})
    if mode == "added":
        add()
    elif mode == "replaced":
        item, start = schedule_item(draw, plan, draw(st.sampled_from(pool)))
        if (item["name"], start) not in keys:
            site.call("PATCH", f"/events/v1/schedule/draft/{{{saved[0]}}}",
                      {"eventId": plan.ref, "item": item})
    elif mode == "deleted":
        gone = draw(st.lists(st.sampled_from(saved), min_size=1, unique=True))
        site.call("DELETE", f"/events/v1/schedule/draft/items?eventId={{{plan.key}}}&"
                  + "&".join(f"itemIds={{{name}}}" for name in gone))
        site.count(plan, "schedule items", -len(gone))
    elif mode == "rescheduled":
        site.call("POST", "/events/v1/schedule/draft/reschedule", {
            "eventId": plan.ref, "timeZoneId": draw(st.sampled_from(ITEM_ZONES)),
            "timeSlotOffset": f"{draw(st.integers(-86_400, 86_400))}s"})


def add_form(draw: Draw, site: Site, plan: EventPlan) -> None:
    """The built-in controls relabelled, controls of every kind added (then perhaps one
    moved, changed or deleted), and messages edited."""
    path = f"/events/v1/events/{{{plan.key}}}/form"
    site.count(plan, "form controls", 2)  # name and email, on every form
    if draw(st.booleans()):
        labels = draw(st.fixed_dictionaries({}, optional={"firstName": names(100),
                                                          "lastName": names(100)}))
        site.call("PUT", f"{path}/controls/name", {"name": {"labels": labels}})
    if draw(st.booleans()):
        site.call("PUT", f"{path}/controls/email", {"email": {"label": draw(names(100))}})
    kinds = ["text", "phone", "date", "dropdown", "checkbox", "radioButton", "address"]
    if plan.kind == "RSVP":
        kinds.append("additionalGuests")
    chosen = draw(st.lists(st.sampled_from(kinds), max_size=5))
    chosen = [k for n, k in enumerate(chosen)
              if k not in ("address", "additionalGuests") or k not in chosen[:n]]
    labels_used: set[str] = set()
    options = st.lists(texts(0, 200), min_size=2, max_size=5, unique=True)
    made: list[tuple[str, str, dict[str, Any]]] = []  # (saved as, kind, settings)
    for kind in chosen:
        control: dict[str, Any] = {}
        if kind not in ("address", "additionalGuests"):
            label = draw(names(100).filter(lambda s: s not in labels_used))
            labels_used.add(label)
            control["label"] = label
        if kind not in ("radioButton", "additionalGuests"):
            maybe(draw, control, "mandatory", st.booleans())
        if kind == "text":
            maybe(draw, control, "maxLength", st.integers(0, 1000))
            maybe(draw, control, "multiLine", st.booleans())
            maybe(draw, control, "comment", st.booleans())
        elif kind in ("dropdown", "radioButton"):
            control["options"] = draw(options)
        elif kind == "checkbox":
            control["options"] = draw(options)[: draw(st.integers(1, 2))]
        elif kind == "address":
            maybe(draw, control, "full", st.booleans())
            maybe(draw, control, "labels", st.fixed_dictionaries({}, optional={
                part: texts(0, 100) for part in ("addressLine", "streetAddress", "city",
                                                 "subdivision", "country", "postalCode")}))
        elif kind == "additionalGuests":
            control["maxGuests"] = draw(st.integers(1, 10))
            maybe(draw, control, "namesMandatory", st.booleans())
            maybe(draw, control, "labels", st.fixed_dictionaries(
                {}, optional={"single": texts(0, 200), "multiple": texts(0, 200)}))
        if kind == "dropdown" and draw(st.booleans()):
            control["defaultOptionSelection"] = draw(st.one_of(
                st.integers(0, len(control["options"]) - 1).map(lambda i: {"optionIndex": i}),
                texts(0, 200).map(lambda t: {"placeholderText": t})))
        made.append((f"{plan.key}f{len(made)}", kind, control))
        site.call("POST", f"{path}/control", {kind: control}, save=made[-1][0])
        site.count(plan, "form controls", 1)
    if made:
        saved, kind, control = draw(st.sampled_from(made))
        edit = draw(st.sampled_from(("none", "none", "move", "change", "delete")))
        if edit == "move" and len(made) > 1:  # positions 0 and 1 are name and email
            site.call("PUT", f"{path}/controls/{{{saved}}}",
                      {"orderIndex": draw(st.integers(2, len(made) + 1))})
        elif edit == "change":  # an update replaces the control's settings as a whole
            if "options" in control:
                changed = {k: v for k, v in control.items() if k != "defaultOptionSelection"}
                changed["options"] = list(reversed(control["options"]))
            elif kind == "additionalGuests":
                changed = {**control, "maxGuests": 11 - control["maxGuests"]}
            else:
                changed = {**control, "mandatory": not control.get("mandatory", False)}
            site.call("PUT", f"{path}/controls/{{{saved}}}", {kind: changed})
        elif edit == "delete":
            site.call("DELETE", f"{path}/controls/{{{saved}}}")
            site.count(plan, "form controls", -1)
    if draw(st.booleans()):
        chosen_paths = draw(st.lists(st.sampled_from(MESSAGE_PATHS), min_size=1, max_size=4,
                                     unique=True))
        messages: dict[str, Any] = {}
        for message_path in chosen_paths:
            holder = messages
            *parents, leaf = message_path.split(".")
            for part in parents:
                holder = holder.setdefault(part, {})
            holder[leaf] = draw(texts(0, 120, lines=True))
        body: dict[str, Any] = {"messages": messages}
        if draw(st.integers(0, 3)) == 0:  # a field mask: a path not sent is cleared
            cleared = draw(st.sampled_from((*MESSAGE_PATHS, "registrationClosed",
                                            "checkout.confirmation", "rsvp.positiveMessages")))
            body["fields"] = list(dict.fromkeys([cleared, *chosen_paths]))
        site.call("PATCH", f"{path}/messages", body)


def add_event(draw: Draw, site: Site, index: int, slug: str | None, categories: int) -> None:
    """One event (past, future, under way, or with dates to be decided) and its children;
    then perhaps edited, and published or published and cancelled."""
    zone = draw(st.sampled_from(ZONES))
    when = draw(st.sampled_from(("past", "future", "future", "ongoing", "tbd")))
    start: datetime | None = None
    end: datetime | None = None
    if when in ("past", "future"):
        start = instants(draw, zone, PAST_YEARS if when == "past" else FUTURE_YEARS)
        end = start + durations(draw)
    elif when == "ongoing":
        start = instants(draw, zone, PAST_YEARS)
        end = instants(draw, zone, FUTURE_YEARS)
    elif draw(st.booleans()):  # to be decided, with dates kept from before
        start = instants(draw, zone, FUTURE_YEARS)
        end = start + durations(draw)
    plan = EventPlan(f"e{index}", zone, draw(st.sampled_from(("RSVP", "TICKETING"))),
                     draw(st.sampled_from(CURRENCIES)), start, end,
                     draw(st.sampled_from(("utc", "short", "offset"))))
    states = ("DRAFT", "PUBLISHED") if when == "past" else ("DRAFT", "PUBLISHED", "CANCELED")
    state = draw(st.sampled_from(states))
    at_once = state == "PUBLISHED" and draw(st.booleans())  # created published
    site.call("POST", "/events/v3/events",
              {"event": event_body(draw, plan, when, slug), "draft": not at_once},
              save=plan.key)
    site.counts["events"] += 1
    if plan.kind == "TICKETING":
        add_tickets(draw, site, plan)
    add_policies(draw, site, plan)
    add_schedule(draw, site, plan)
    add_form(draw, site, plan)
    for category in draw(st.lists(st.integers(0, categories - 1), unique=True)
                         if categories else st.just([])):
        site.call("POST", f"/events/v1/categories/{{c{category}}}/events",
                  {"eventId": [plan.ref]})
    if draw(st.integers(0, 3)) == 0:  # edited after it was made
        edit = draw(st.sampled_from(("title", "shortDescription", "description")))
        value = rich_description(draw) if edit == "description" else draw(
            names(120) if edit == "title" else texts(0, 500, lines=True))
        site.call("PATCH", f"/events/v3/events/{{{plan.key}}}", {"event": {edit: value}})
    if state != "DRAFT" and not at_once:
        site.call("POST", f"/events/v3/events/{{{plan.key}}}/publish", {})
    if state == "CANCELED":
        site.call("POST", f"/events/v3/events/{{{plan.key}}}/cancel", {})
    site.kinds[f"{state} {when}"] += 1


@st.composite
def sites(draw: Draw) -> Site:
    """Categories, one to four events, and now and then a copy of one of them."""
    site = Site()
    categories = draw(st.lists(names(30), max_size=3, unique_by=str.casefold))
    for number, name in enumerate(categories):
        category: dict[str, Any] = {"name": name}
        maybe(draw, category, "states", st.sampled_from((["MANUAL"], ["HIDDEN"],
                                                         ["MANUAL", "HIDDEN"], ["AUTO"],
                                                         ["RECURRING_EVENT"])))
        site.call("POST", "/events/v1/categories", {"category": category}, save=f"c{number}")
    site.counts["categories"] = len(categories)
    count = draw(st.integers(1, 4))
    slugs = [draw(st.one_of(st.none(), st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,6}){0,2}",
                                                     fullmatch=True)))
             for _ in range(count)]
    # explicit slugs first: a slug taken by a title's slug would be refused, not renumbered
    order = sorted(range(count), key=lambda n: slugs[n] is None)
    for number in order:
        slug = slugs[number]
        add_event(draw, site, number, f"{slug}-{number}" if slug is not None else None,
                  len(categories))
    if draw(st.integers(0, 3)) == 0:  # a copy of an event: its tickets and form come along
        source = draw(st.integers(0, count - 1))
        draft = draw(st.booleans())
        site.call("POST", f"/events/v3/events/{{e{source}}}/clone", {"draft": draft})
        site.counts["events"] += 1
        for noun in ("tickets", "form controls"):
            site.counts[noun] += site.per_event[f"e{source}"][noun]
        site.kinds[f"{'DRAFT' if draft else 'PUBLISHED'} clone"] += 1
    return site


# --- checking ----------------------------------------------------------------------------------

COUNT_RE = re.compile(r"(\d+) (categor(?:y|ies)|events?|ticket definitions?|polic(?:y|ies)|"
                      r"schedule items?|form controls?)")
NOUNS = {"categor": "categories", "event": "events", "ticket": "tickets", "polic": "policies",
         "schedule": "schedule items", "form": "form controls"}


def exported_counts(summary: str) -> Counter[str]:
    """What the export's summary line says it wrote, by noun."""
    line = next((ln for ln in summary.splitlines() if ln.startswith("Exported ")), "")
    found: Counter[str] = Counter()
    for number, noun in COUNT_RE.findall(line.split(" to ")[0]):
        found[next(v for k, v in NOUNS.items() if noun.startswith(k))] = int(number)
    return found


def live_slugs(api: httpx.Client) -> set[str]:
    answer = api.post("/events/v3/events/query",
                      json={"query": {"paging": {"limit": 100}}, "includeDrafts": True})
    assert answer.status_code == 200, answer.text
    return {event["slug"] for event in answer.json()["events"]}


def folder_text(folder: Path, limit: int = 12_000) -> str:
    text = "".join(f"--- {path.name}\n{path.read_text(encoding='utf-8')}"
                   for path in sorted(folder.glob("*.yaml")))
    return text if len(text) <= limit else text[:limit] + "\n[... cut]"


def failure_kinds(message: str) -> list[str]:
    """The kinds of problem one failure shows, for the tally: what failed, with each error of
    the validation or each change of the plan, without the numbers and texts that differ from
    one example to the next."""
    # only what validate or plan said (pytest indents the lines of an assertion's message)
    said = re.split(r"\n\s*export said:", message.strip())[0]
    lines = [line.strip() for line in said.splitlines()] or ["?"]
    head = lines[0].split(" (")[0]
    found = [m.group(1) for m in (re.search(r"\.yaml:\d+:\d+: [^:]+: (?!warning:)(.*)", line)
                                  for line in lines) if m]
    found += [line.split(":")[0] + ": changes" for line in lines if " → " in line]
    found += [" ".join(line.split()[:3]) for line in lines if line.startswith(("- ", "+ "))]
    return list(dict.fromkeys(
        re.sub(r"'[^']*'|\"[^\"]*\"|-?\d+(\.\d+)?", "_", f"{head}: {kind}")[:160]
        for kind in found or [""]))


def round_trip(server: Server, api: httpx.Client, site: Site, folder: Path) -> None:
    """Build `site` on `api`'s empty site, export it into `folder`, and check that the export
    holds every event and as many objects as were made, validates, and plans no changes."""
    (folder / "site.json").write_text(json.dumps(site.calls, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    build(api, site)
    out = folder / "export"
    where = f"the example's API calls: {folder / 'site.json'}"
    exported = run_cli(api, "export", "--out", out, "--target", server.base_url)
    assert exported.returncode == 0, f"export failed ({where}):\n{exported.stderr}"
    assert "Traceback" not in exported.stderr, f"export crashed ({where}):\n{exported.stderr}"
    files = {path.stem for path in out.glob("*.yaml")}
    slugs = live_slugs(api)
    wanted_files = slugs | ({"categories"} if site.counts["categories"] else set())
    assert files == wanted_files, (
        f"export wrote {sorted(files)}, the site holds {sorted(wanted_files)} ({where})\n"
        f"{exported.stderr}")
    written = exported_counts(exported.stderr)
    wanted = +site.counts  # the nouns with none left out, as the summary does
    assert written == wanted, (f"export wrote {dict(written)}, the site holds {dict(wanted)} "
                               f"({where})\n{exported.stderr}\n{folder_text(out)}")
    checked = run_cli(api, "validate", out)
    valid = any(line.startswith("Valid:") for line in checked.stdout.splitlines())
    assert checked.returncode == 0 and valid, (
        f"the export does not validate ({where}):\n{checked.stdout}{checked.stderr}\n"
        f"export said:\n{exported.stderr}\n{folder_text(out)}")
    planned = run_cli(api, "plan", out, "--target", server.base_url, "--detailed-exitcode")
    assert planned.returncode == 0 and "No changes" in planned.stdout, (
        f"plan of the export is not empty (exit {planned.returncode}; {where}):\n"
        f"{planned.stdout}{planned.stderr}\nexport said:\n{exported.stderr}\n"
        f"{folder_text(out)}")


# Not a test itself: the test below calls it with its fixtures (the session's server and the
# temporary folders), so every example gets a fresh site of its own from `server.new_site()`
# and a survey can finish all its examples before the test fails.
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(site=sites())
def _round_trips(server: Server, tmp_path_factory: pytest.TempPathFactory, site: Site) -> None:
    key, site_id = server.new_site()  # a fresh, empty site for every example
    with server.client(key, site_id) as api:
        api.api_key = key  # type: ignore[attr-defined]
        api.site_id = site_id  # type: ignore[attr-defined]
        TALLY["examples"] += 1
        TALLY.update(site.counts)
        TALLY.update(site.kinds)
        try:
            round_trip(server, api, site, tmp_path_factory.mktemp("round-trip"))
        except AssertionError as failure:
            TALLY["failures"] += 1
            for kind in failure_kinds(str(failure)):
                FAILURES[kind] += 1
                FIRST_FAILURE.setdefault(kind, str(failure))
            if not SURVEY:
                raise


def test_an_export_of_any_site_validates_and_plans_no_changes(
        server: Server, tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> None:
    # the emulator's clock stays at 2026-01-01: the past years have ended and the future ones
    # are to come, whenever the test runs
    _round_trips(server, tmp_path_factory)
    # a survey runs every example; each kind of failure is shown once, by its first example
    assert not FAILURES, "\n\n".join(
        f"{count} x {kind}\n{FIRST_FAILURE[kind][:6000]}" for kind, count in FAILURES.items())


# --- a duplicate, which a spec cannot hold -----------------------------------------------------


def test_a_duplicate_ticket_is_a_warning_and_plan_offers_one_delete(
        server: Server, api: httpx.Client, tmp_path: Path) -> None:
    """Two live tickets of one name: the export keeps one and warns about the other, and the
    plan of the export deletes the copy and changes nothing else."""
    site = Site()
    event = EventPlan("e0", "Europe/London", "TICKETING", "EUR",
                      datetime(2031, 5, 1, 9, tzinfo=UTC), datetime(2031, 5, 1, 17, tzinfo=UTC),
                      "utc")
    site.call("POST", "/events/v3/events", {"event": {
        "title": "Twice", "location": {"name": "Hall"},
        "dateAndTimeSettings": {"timeZoneId": event.zone, "startDate": event.time(event.start),
                                "endDate": event.time(event.end)},
        "registration": {"initialType": "TICKETING", "tickets": {"currency": "EUR"}},
        "seoSettings": {"slug": "twice"}}, "draft": True}, save="e0")
    for number, price in enumerate(("10", "12.50")):
        site.call("POST", "/events/v3/ticket-definitions", {"ticketDefinition": {
            "name": "Standard", "pricingMethod": {"fixedPrice": {"value": price,
                                                                 "currency": "EUR"}},
            "feeType": "FEE_INCLUDED", "eventId": event.ref}}, save=f"t{number}")
    copy = build(api, site)["t1"]  # the later one: the plan keeps the oldest
    out = tmp_path / "export"
    exported = run_cli(api, "export", "--out", out, "--target", server.base_url)
    assert exported.returncode == 0, exported.stderr
    warnings = [ln for ln in exported.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "a second ticket definition named 'Standard'" in warnings[0], \
        exported.stderr
    assert "1 ticket definition," in exported.stderr, exported.stderr
    planned = run_cli(api, "plan", out, "--target", server.base_url, "--detailed-exitcode")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    actions = [ln.strip() for ln in planned.stdout.splitlines()
               if re.match(r"\s*[-+~]\s", ln)]
    assert len(actions) == 1 and actions[0].startswith("- ticket definition"), planned.stdout
    assert "duplicate of 'Standard'" in actions[0] and copy in actions[0], planned.stdout
    assert "Plan: 0 to create, 0 to update, 1 to delete." in planned.stdout, planned.stdout


def teardown_module() -> None:
    if SURVEY:
        built = ", ".join(f"{TALLY[k]} {k}" for k in ("events", "tickets", "policies",
                                                      "schedule items", "form controls",
                                                      "categories"))
        states = ", ".join(f"{v} {k}" for k, v in sorted(TALLY.items())
                           if k.split()[0] in ("DRAFT", "PUBLISHED", "CANCELED"))
        kinds = "".join(f"\n  {n} x {kind}" for kind, n in FAILURES.most_common())
        print(f"\nexport round trip: {TALLY['examples']} examples; built {built}; "
              f"events by state and time: {states}; {TALLY['failures']} failures"
              + (f"; the failing examples that showed each kind of problem:{kinds}"
                 if kinds else ""))
