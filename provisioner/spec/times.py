"""Read the spec's times: local wall-clock times in an IANA zone, or instants with `Z`/an offset.

`2025-06-15T09:00` in America/Los_Angeles is 16:00 UTC in June and 17:00 in January: the zone's
rules, daylight saving included, decide. A local time skipped when clocks go forward does not
exist and is refused; one that happens twice when clocks go back is ambiguous, and the first
(daylight) occurrence is taken with a warning, the way most calendars do.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:\d{2})?\Z"
)


class TimeProblem(ValueError):
    """The text is not a usable time; the message says why, for the spec author."""


class NoZone(TimeProblem):
    """A local time with no valid zone to read it in."""


@dataclass(frozen=True)
class Instant:
    utc: datetime  # timezone-aware, in UTC
    ambiguous: bool = False  # a local time that happens twice; the first was taken

    def wire(self) -> str:
        """The API's form: `2025-06-15T16:00:00.000Z`."""
        utc = self.utc
        return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
                f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z")


NOW_VARIABLE = "PROVISIONER_NOW"


def now() -> datetime:
    """The current time (UTC), for the rules that warn about the past; `PROVISIONER_NOW` (an
    instant such as 2027-01-01T00:00:00Z) checks a spec as of another moment."""
    given = os.environ.get(NOW_VARIABLE, "").strip()
    if given:
        try:
            return datetime.fromisoformat(given.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass  # not a time: the real one (this only softens or adds warnings)
    return datetime.now(UTC)


@functools.cache
def instant(text: str) -> str:
    """An RFC 3339 time as UTC with milliseconds, `2025-06-15T16:00:00.000Z`: one spelling
    for one moment, so times compare as instants."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    if not name or name != name.strip():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder
        return None


@functools.cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def closest_zone(name: str) -> str | None:
    """A known zone that looks like `name` (case or a small typo), for "did you mean"."""
    lowered = {known.lower(): known for known in _zone_names()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    found = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.75)
    return found[0] if found else None


@functools.lru_cache(maxsize=8192)  # specs repeat times (sale periods, event days)
def parse(text: str, local_zone: ZoneInfo | None) -> Instant:
    """The instant `text` names; local times are read in `local_zone`."""
    try:
        return _parse(text, local_zone)
    except OverflowError:
        raise TimeProblem(f"{text!r} is too close to the year 1 or 9999 to be a time "
                          "in UTC") from None


def _parse(text: str, local_zone: ZoneInfo | None) -> Instant:
    match = TIME_RE.match(text)
    if not match:
        raise TimeProblem(f"{text!r} is not a time; write 2025-06-15T09:00 (local) or "
                          "2025-06-15T16:00:00Z")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute),
                         int(second or 0), micro)
    except ValueError as error:
        raise TimeProblem(f"{text!r} is not a real date and time ({error})") from None
    if offset == "Z":
        return Instant(naive.replace(tzinfo=UTC))
    if offset:
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise TimeProblem(f"{text!r} has an impossible offset {offset}")
        fixed = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return Instant(naive.replace(tzinfo=fixed).astimezone(UTC))
    if local_zone is None:
        raise NoZone(f"{text!r} is a local time, but there is no valid time zone to "
                          "read it in; fix the event's dateAndTimeSettings.timeZoneId or "
                          "add Z or an offset")
    early, late = naive.replace(tzinfo=local_zone), naive.replace(tzinfo=local_zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return Instant(early.astimezone(UTC))  # the usual case: no clock change at this time
    # a clock change: the time is skipped (gap) or happens twice (overlap)
    first, second_ = early.astimezone(UTC), late.astimezone(UTC)
    exists = [u for u in (first, second_)
              if u.astimezone(local_zone).replace(tzinfo=None) == naive]
    if not exists:
        raise TimeProblem(f"{text[:16]} does not exist in {local_zone.key}: the clocks skip "
                          "it when they go forward; write a time outside the gap, or add an "
                          "offset")
    return Instant(min(exists), ambiguous=len(set(exists)) > 1)


def describe(instant: Instant, local_zone: ZoneInfo | None) -> str:
    """`2025-06-16T18:00 America/Los_Angeles`, for messages."""
    if local_zone is None:
        return instant.wire()
    return f"{instant.utc.astimezone(local_zone).strftime('%Y-%m-%dT%H:%M')} {local_zone.key}"


def local_text(moment: str, local_zone: ZoneInfo) -> str:
    """An instant (`2025-06-15T16:00:00.000Z`) as the spec writes it in `local_zone`:
    `2025-06-15T09:00`, with seconds and milliseconds only when it has them. A wall-clock time
    that happens twice (clocks going back) keeps its offset, so it reads back as this instant
    and not the first occurrence."""
    utc = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)
    local = utc.astimezone(local_zone)
    text = local.strftime("%Y-%m-%dT%H:%M")
    if local.second or local.microsecond:
        text += f":{local.second:02d}"
    if local.microsecond:
        text += f".{local.microsecond // 1000:03d}"
    found = parse(text, local_zone)
    if found.utc == utc and not found.ambiguous:
        return text
    offset = local.strftime("%z")
    return f"{text}{offset[:3]}:{offset[3:]}"
