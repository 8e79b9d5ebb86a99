"""Versions of live objects, in the terms a saved plan records and apply checks: a kind's
version field (`revision:7`, `updatedDate:...`), else a hash of its content; a collection's
version for a reorder; `ABSENT` for what does not exist."""

from __future__ import annotations

from typing import Any

from ..kinds import Kind
from ..model import ABSENT, State
from .normalise import digest

__all__ = ["ABSENT", "collection_fingerprint", "fingerprint"]


def fingerprint(kind: Kind, raw: dict[str, Any], data: dict[str, Any]) -> str:
    """One live object's version: its kind's version field when it has one, else a hash of
    its compared data."""
    if kind.fingerprint and raw.get(kind.fingerprint) is not None:
        return f"{kind.fingerprint}:{raw[kind.fingerprint]}"
    return digest(data)


def collection_fingerprint(live: State, kind_name: str, slug: str, skipped: set[str]) -> str:
    """A collection's version for a reorder: its members (but those the plan deletes), in
    live order, with each member's own version."""
    return digest([[r.key.name, r.fingerprint or ""] for r in live.of_kind(kind_name, slug)
                   if r.id not in skipped])
