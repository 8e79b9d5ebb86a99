"""A live `State` as a site copy: the `wix-events-site` document (version 1) that the local
sandbox imports (`PUT /_emulator/sites/import`), so `sandbox pull` can rehearse a real site.

Every object goes in as the site sent it (`Resource.raw`): ids, revisions, statuses, sales
counts and duplicates included, so a plan against the copy is the plan against the site.
Written over the kinds table: each kind with a `copy_section` fills that section; a drafted
kind's section holds, per event, its published copies (`items`) and draft copies
(`draftItems`). Kinds that come with their parent (forms, category assignments, the ticket
currency) travel inside the parent's object.
"""

from __future__ import annotations

from typing import Any

from .. import kinds
from ..model import State

FORMAT, VERSION = "wix-events-site", 1


def site_copy(live: State) -> dict[str, Any]:
    """The import document of everything in `live`."""
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    parents = {resource.key.name: resource for kind in kinds.SITE_KINDS
               if kinds.children_of(kind) for resource in live.of_kind(kind.name)}
    for kind in kinds.KINDS:
        if kind.copy_section is None:
            continue
        section: list[dict[str, Any]] = document.setdefault(kind.copy_section, [])
        if kind.site_level:
            section += [r.raw for r in live.of_kind(kind.name) if r.raw is not None]
            continue
        for slug, parent in parents.items():
            members = [r.raw for r in live.of_kind(kind.name, slug) if r.raw is not None]
            if not kind.drafted:
                section += members
                continue
            draft = live.drafts.get((slug, kind.name))
            published = list(draft.published_raw) if draft is not None else []
            if members or published:
                section.append({"eventId": parent.id, "items": published,
                                "draftItems": members})
    return document


def counts(document: dict[str, Any]) -> dict[str, int]:
    """How many objects each section of a site copy holds (a drafted section: its draft
    copies), by the kind's plural noun."""
    found: dict[str, int] = {}
    for kind in kinds.KINDS:
        if kind.copy_section is None:
            continue
        entries = document.get(kind.copy_section, [])
        found[kind.plural] = sum(len(e.get("draftItems", [])) for e in entries) \
            if kind.drafted else len(entries)
    return found
