"""Read the live state the spec covers, in the fewest calls the API allows, concurrently.

1. At once: the spec's events (one Query Events call per 100 slugs, `$in` over slugs, former
   slugs and pinned ids, with the FORM and CATEGORIES fieldsets, so forms and category
   assignments cost no extra call) and the site's categories (only if the spec uses any).
2. Then, at once, one call per kind over all found events (`$in` over event ids): ticket
   definitions (with sold counts), policies, and the schedule (List Schedule Items, which takes
   up to 100 event ids and returns draft and published copies together). Only kinds that some
   event of the spec lists are read.

Paging happens only when a page is full; schedule pages after the first are fetched together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from . import kinds, writes
from .client import WixClient
from .desired import shaped
from .kinds import Kind, Reader
from .model import Resource, ResourceKey, State
from .normalise import digest

CHUNK = 100  # ids per `$in` / per repeated query parameter
PAGE = 100
# what an event is read with: what an update is checked against, plus its form and categories
EVENT_FIELDS = [*writes.EVENT_FIELDS, "FORM", "CATEGORIES"]


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


async def _gather(*calls: Any) -> list[Any]:
    return list(await asyncio.gather(*calls))


async def read_events(client: WixClient, slugs: list[str], ids: list[str]
                      ) -> list[dict[str, Any]]:
    filters = [{"slug": {"$in": chunk}} for chunk in _chunks(sorted(set(slugs)))]
    filters += [{"id": {"$in": chunk}} for chunk in _chunks(sorted(set(ids)))]
    pages = await _gather(*(client.query_all(
        "/events/v3/events/query",
        {"query": {"filter": flt}, "fields": EVENT_FIELDS, "includeDrafts": True},
        "events", limit=PAGE, style="offset") for flt in filters))
    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        for event in page:
            found[event["id"]] = event
    return list(found.values())


async def read_categories(client: WixClient) -> list[dict[str, Any]]:
    return await client.query_all("/events/v1/categories/query", {"query": {}}, "categories",
                                  "metaData", limit=PAGE, style="offset")


async def read_children(client: WixClient, reader: Reader, event_ids: list[str]
                        ) -> list[dict[str, Any]]:
    """Every member of one kind for all `event_ids`, a call per 100 events (plus pages)."""
    extra = dict(reader.extra)

    async def by_query(chunk: list[str]) -> list[dict[str, Any]]:
        return await client.query_all(
            reader.path, {"query": {"filter": {"eventId": {"$in": chunk}}}, **extra},
            reader.items_key, reader.metadata_key, limit=PAGE, style="cursor")

    async def by_listing(chunk: list[str]) -> list[dict[str, Any]]:
        def params(offset: int) -> dict[str, Any]:
            return {"eventId": chunk, **extra, "paging.limit": PAGE, "paging.offset": offset}
        first = await client.get(reader.path, params(0))
        items = list(first.get(reader.items_key) or [])
        total = first.get("total")
        if not isinstance(total, int) or len(items) < PAGE:
            return items
        # the total is known after the first page, so the rest are fetched together
        rest = await _gather(*(client.get(reader.path, params(offset))
                               for offset in range(PAGE, total, PAGE)))
        return items + [item for page in rest for item in page.get(reader.items_key) or []]

    read = by_listing if reader.listing else by_query
    pages = await _gather(*(read(chunk) for chunk in _chunks(event_ids)))
    return [item for page in pages for item in page]


def _by_event(raws: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for raw in raws:
        grouped.setdefault(str(raw.get("eventId")), []).append(raw)
    return grouped


async def _nothing() -> list[dict[str, Any]]:
    return []


def match_events(desired: State, raw_events: list[dict[str, Any]]
                 ) -> dict[str, dict[str, Any]]:
    """Desired slug -> the live event it manages: by pinned id, else slug, else former slug."""
    by_id = {e["id"]: e for e in raw_events}
    by_slug = {e.get("slug"): e for e in raw_events}
    matched: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for resource in desired.of_kind(kinds.EVENT.name):
        slug = resource.key.name
        candidates = [by_id.get(resource.id or ""), by_slug.get(slug),
                      *(by_slug.get(name) for name in resource.former_names)]
        for raw in candidates:
            if raw is not None and raw["id"] not in taken:
                matched[slug] = raw
                taken.add(raw["id"])
                break
    return matched


def fingerprint(kind: Kind, raw: dict[str, Any], data: dict[str, Any]) -> str:
    if kind.fingerprint and raw.get(kind.fingerprint) is not None:
        return f"{kind.fingerprint}:{raw[kind.fingerprint]}"
    return digest(data)


def _add(state: State, kind: Kind, slug: str, raws: Iterable[dict[str, Any]]) -> None:
    raws = list(raws)
    views = [kind.live_view(raw) for raw in raws]
    pairs = [(raw, view) for raw, view in zip(raws, views, strict=True) if view is not None]
    names = kind.names([view for _, view in pairs])
    for position, ((raw, view), name) in enumerate(zip(pairs, names, strict=True)):
        data = shaped(kind, view)
        state.add(Resource(ResourceKey(kind.name, slug, name), data, id=raw.get("id"),
                           fingerprint=fingerprint(kind, raw, data), position=position,
                           parent_id=raw.get("eventId"), info=kind.info_of(raw)))
    state.orders[(slug, kind.name)] = tuple(names)


def _add_drafted(state: State, kind: Kind, slug: str, raws: list[dict[str, Any]]) -> None:
    """The draft copies as the collection (edits act on them), and facts on how the draft
    stands against the published copies: `<kind>:published`, `:differs`, `:fingerprint`."""
    _add(state, kind, slug, [r for r in raws if r.get("draft")])
    published = sorted(digest(shaped(kind, r)) for r in raws if not r.get("draft"))
    drafts = sorted(digest(r.data) for r in state.of_kind(kind.name, slug))
    state.facts[f"{kind.name}:published:{slug}"] = tuple(published)
    state.facts[f"{kind.name}:differs:{slug}"] = published != drafts
    state.facts[f"{kind.name}:fingerprint:{slug}"] = digest([published, drafts])


def _wanted(desired: State, kind: Kind) -> bool:
    return any(r.key.kind == kind.name for r in desired.resources.values())


async def live_state(client: WixClient, desired: State) -> State:
    """The live counterpart of `desired`: its events and categories and, for each listed
    collection, every live member (so the diff can tell what to delete)."""
    events = desired.of_kind(kinds.EVENT.name)
    slugs = [r.key.name for r in events] + [n for r in events for n in r.former_names]
    ids = [r.id for r in events if r.id]
    uses_categories = _wanted(desired, kinds.CATEGORY) or _wanted(desired,
                                                                   kinds.CATEGORY_ASSIGNMENT)
    raw_events, raw_categories = await _gather(
        read_events(client, slugs, ids) if slugs or ids else _nothing(),
        read_categories(client) if uses_categories else _nothing())
    state = State()
    _add(state, kinds.CATEGORY, "", raw_categories)
    matched = match_events(desired, raw_events)
    for slug, raw in matched.items():
        data = shaped(kinds.EVENT, raw)
        state.add(Resource(ResourceKey(kinds.EVENT.name, "", raw.get("slug") or slug), data,
                           id=raw["id"], fingerprint=f"updatedDate:{raw.get('updatedDate')}",
                           info={"status": raw.get("status"), "desired_slug": slug}))
        for kind in kinds.CHILD_KINDS:
            if kind.live_objects is not None and (slug, kind.name) in desired.orders:
                _add(state, kind, slug, kind.live_objects(raw))
    slug_of = {raw["id"]: slug for slug, raw in matched.items()}

    def listing(kind: Kind) -> list[str]:
        return [raw["id"] for slug, raw in matched.items() if (slug, kind.name) in desired.orders]

    read_kinds = [kind for kind in kinds.CHILD_KINDS if kind.reader and listing(kind)]
    results = await _gather(*(read_children(client, kind.reader, listing(kind))
                              for kind in read_kinds if kind.reader))
    for kind, raws in zip(read_kinds, results, strict=True):
        grouped = _by_event(raws)
        for event_id in listing(kind):
            own = grouped.get(event_id, [])
            if kind.drafted:
                _add_drafted(state, kind, slug_of[event_id], own)
            else:
                _add(state, kind, slug_of[event_id], own)
    state.facts["events"] = tuple(matched)
    return state
