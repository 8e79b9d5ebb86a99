"""Wire value helpers: GUIDs, ISO-8601 timestamps, decimal money strings, field masks and
dotted paths into JSON objects.

Wix sends timestamps as ISO-8601 strings and answers in the form JavaScript's
`Date.toISOString()` produces (`2026-09-15T19:00:00.000Z`); the emulator stores and returns that
one form, so a value written in any accepted form reads back identically every time.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


def new_id() -> str:
    return str(uuid.uuid4())


@lru_cache(maxsize=4096)  # a pure hash, asked for again by every rendering of an event
def stable_id(*parts: str) -> str:
    """A GUID derived from names, for values Wix fixes per site (instance id, user id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


def parse_timestamp(value: str | None) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string with `Z` or an offset; None if absent or
    unreadable."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    # %Y does not pad years below 1000, and such a string would not parse back
    return (f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}."
            f"{moment.microsecond // 1000:03d}Z")


def window_phase(start: str | None, end: str | None, now: datetime) -> str:
    """"before", "during" or "after" an optional [start, end) window of ISO timestamps."""
    opens = parse_timestamp(start) if start else None
    closes = parse_timestamp(end) if end else None
    if opens and now < opens:
        return "before"
    if closes and now >= closes:
        return "after"
    return "during"


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_decimal(value: Any) -> bool:
    if not isinstance(value, str) or not DECIMAL_RE.match(value):
        return False
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True


def parse_field_mask(raw: Any) -> list[str] | None:
    """A field mask in any form Wix clients send it: "a,b", ["a", "b"] or {"paths": [...]}."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        return None
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return [p for p in raw if p]
    if isinstance(raw, dict) and isinstance(raw.get("paths"), list):
        return parse_field_mask(raw["paths"])
    return []  # present but unreadable: callers refuse an empty list


def get_path(doc: Any, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    current = doc
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    current = doc
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    if value is None:
        current.pop(parts[-1], None)
    else:
        current[parts[-1]] = value


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge `patch` into `target`: an object merges into an object key by key, any other value
    (a copy of it) replaces what `target` holds."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
