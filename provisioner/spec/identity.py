"""How the spec names things: an event by its slug, a schedule item by name and start, a form
control by its label (or, for the one-per-form kinds, by its kind). The rules check that these
identities are unique; the plan will find live objects by them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from . import times
from .shapes import mapping, text

SLUG_MAX = 130
FORM_KINDS_BY_KIND = ("address", "additionalGuests", "name", "email")  # one of each per form


def slug_from_title(title: str) -> str:
    """The slug Wix derives from a title: "DevCon 2025 - Developer Conference!" ->
    devcon-2025-developer-conference (accents folded, anything else becomes one hyphen)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:SLUG_MAX].strip("-") or "event"


def event_slug(event: dict[str, Any]) -> str | None:
    """The event's identity: its `slug`, else the one derived from its title."""
    slug = text(event.get("slug"))
    if slug is not None:
        return slug
    title = text(event.get("title"))
    return slug_from_title(title) if title is not None else None


def schedule_key(item: dict[str, Any], start: times.Instant | None
                  ) -> tuple[str, datetime | str] | None:
    """(name, start instant), or the start as written when it cannot be read."""
    name = text(item.get("name"))
    written = text(mapping(item.get("timeSlot")).get("start"))
    if name is None or written is None:
        return None
    return (name, start.utc if start else written)


def control_identity(control: dict[str, Any]) -> tuple[str, str] | None:
    """("label", text) for labelled controls; ("kind", kind) for the one-per-form kinds."""
    for kind in FORM_KINDS_BY_KIND:
        if kind in control:
            return ("kind", kind)
    for kind, body in control.items():
        if kind in ("renamed_from", "id"):
            continue
        label = text(mapping(body).get("label"))
        if label is not None:
            return ("label", label)
    return None
