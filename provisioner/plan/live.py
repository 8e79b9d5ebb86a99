"""Read the live state the spec covers, in the fewest calls the API allows, concurrently.
Written once over the kinds table:

1. At once, every site-level kind the spec uses, by its `reader`: the spec's events (one
   Query Events call per 100 slugs, `$in` over slugs, former slugs and pinned ids, with the
   FORM and CATEGORIES fieldsets, so forms and category assignments cost no extra call) and
   the site's categories (only if the spec names or refers to any).
2. Then, at once, one call per child kind over all matched events (`$in` over event ids):
   ticket definitions (with sold counts), policies, and the schedule (List Schedule Items,
   which takes up to 100 event ids and returns draft and published copies together). Only
   kinds that some event of the spec lists are read; kinds that come with their event
   (`live_objects`) cost nothing more.

Paging happens only when a page is full; listing pages after the first are fetched together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .. import kinds
from ..client.http import WixClient
from ..kinds import Kind, Reader
from ..model import Draft, Resource, ResourceKey, State
from .desired import shaped
from .diff import match
from .fingerprints import fingerprint
from .normalise import digest

CHUNK = 100  # ids per `$in` / per repeated query parameter
PAGE = 100


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


async def _gather(*calls: Any) -> list[Any]:
    return list(await asyncio.gather(*calls))


async def query_pages(client: WixClient, reader: Reader, where: dict[str, Any] | None
                 ) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"filter": where} if where else {}
    return await client.query_all(reader.path, {"query": query, **dict(reader.extra)},
                                  reader.items_key, reader.metadata_key, limit=PAGE,
                                  style=reader.paging)


async def read_named(client: WixClient, reader: Reader, names: list[str], ids: list[str]
                     ) -> list[dict[str, Any]]:
    """A site-level kind's objects: those of `names` (by its key field) and `ids`, once
    each; the whole collection when the reader filters by nothing."""
    if not reader.by:
        return await query_pages(client, reader, None)
    by_name, by_id = reader.by
    filters = [{by_name: {"$in": chunk}} for chunk in _chunks(sorted(set(names)))]
    filters += [{by_id: {"$in": chunk}} for chunk in _chunks(sorted(set(ids)))]
    pages = await _gather(*(query_pages(client, reader, flt) for flt in filters))
    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        for raw in page:
            found[raw["id"]] = raw
    return list(found.values())


async def read_children(client: WixClient, reader: Reader, parent_ids: list[str]
                        ) -> list[dict[str, Any]]:
    """Every member of one kind for all `parent_ids`, a call per 100 parents (plus pages)."""
    extra = dict(reader.extra)
    by = reader.by[0]

    async def by_query(chunk: list[str]) -> list[dict[str, Any]]:
        return await query_pages(client, reader, {by: {"$in": chunk}})

    async def by_listing(chunk: list[str]) -> list[dict[str, Any]]:
        def params(offset: int) -> dict[str, Any]:
            return {by: chunk, **extra, "paging.limit": PAGE, "paging.offset": offset}
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
    pages = await _gather(*(read(chunk) for chunk in _chunks(parent_ids)))
    return [item for page in pages for item in page]


def _by_parent(raws: list[dict[str, Any]], by: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for raw in raws:
        grouped.setdefault(str(raw.get(by)), []).append(raw)
    return grouped


async def _nothing() -> list[dict[str, Any]]:
    return []


def _copies(kind: Kind, pairs: list[tuple[dict[str, Any], Any]], names: list[str]
            ) -> dict[int, str]:
    """Duplicates: index -> the name of the copy kept, for every live object whose natural
    name another of its collection also has. The copy kept is the one with sales, then the
    oldest (by `createdDate`, else list order); an `id` pin in the spec still wins, because
    the diff pairs pins first."""
    by_name: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        by_name.setdefault(name, []).append(index)
    copies: dict[int, str] = {}
    for name, indexes in by_name.items():
        if len(indexes) < 2:
            continue
        ranked = sorted(indexes, key=lambda i: (not kind.live_facts(pairs[i][0]).sold,
                                                str(pairs[i][0].get("createdDate") or "~"), i))
        copies.update((index, name) for index in ranked[1:])
    return copies


def _copy_names(names: list[str], copies: dict[int, str]) -> list[str]:
    """`names` with each duplicate copy renamed `NAME #2`, `NAME #3`, ... (never a name the
    collection already uses), so every live object has its own key."""
    taken = set(names)
    out = list(names)
    count: dict[str, int] = {}
    for index in sorted(copies, key=lambda i: (names[i], i)):
        number = count.get(names[index], 1)
        while f"{names[index]} #{number}" in taken or number == 1:
            number += 1
        count[names[index]] = number
        out[index] = f"{names[index]} #{number}"
        taken.add(out[index])
    return out


def add_members(state: State, kind: Kind, slug: str, raws: Iterable[dict[str, Any]]
                ) -> None:
    """Raw live objects of one collection into `state`, each under its natural name
    (duplicates as `NAME #2`, ...), with its version and facts, in live order."""
    raws = list(raws)
    views = [kind.live_view(raw) for raw in raws]
    pairs = [(raw, view) for raw, view in zip(raws, views, strict=True) if view is not None]
    natural = kind.names([view for _, view in pairs])
    copies = _copies(kind, pairs, natural)
    names = _copy_names(natural, copies)
    for position, ((raw, view), name) in enumerate(zip(pairs, names, strict=True)):
        data = shaped(kind, view)
        facts = kind.live_facts(raw)
        if position in copies:
            facts = replace(facts, duplicate_of=copies[position])
        state.add(Resource(ResourceKey(kind.name, slug, name), data, id=raw.get("id"),
                           fingerprint=fingerprint(kind, raw, data), position=position,
                           parent_id=raw.get("eventId"), facts=facts, raw=raw))
    state.orders[(slug, kind.name)] = tuple(names)


def _add_drafted(state: State, kind: Kind, slug: str, raws: list[dict[str, Any]]) -> None:
    """The draft copies as the collection (edits act on them), and how the draft stands
    against the published copies."""
    add_members(state, kind, slug, [r for r in raws if r.get("draft")])
    published = sorted(digest(shaped(kind, r)) for r in raws if not r.get("draft"))
    drafts = sorted(digest(r.data) for r in state.of_kind(kind.name, slug))
    state.drafts[(slug, kind.name)] = Draft(
        published=tuple(published), differs=published != drafts,
        fingerprint=digest([published, drafts]),
        published_raw=tuple(r for r in raws if not r.get("draft")))


def _used(desired: State, kind: Kind) -> bool:
    """Whether the spec names objects of a site-level kind, or refers to them by name."""
    referring = {k.name for k in kinds.KINDS if k.refers_to == kind.name}
    return any(key.kind == kind.name or key.kind in referring for key in desired.resources)


async def _read_site(client: WixClient, kind: Kind, desired: State) -> list[dict[str, Any]]:
    wanted = desired.of_kind(kind.name)
    names = [r.key.name for r in wanted] + [n for r in wanted for n in r.former_names]
    ids = [r.id for r in wanted if r.id]
    if kind.reader is None or not _used(desired, kind) or (kind.reader.by and not (names
                                                                                    or ids)):
        return []
    return await read_named(client, kind.reader, names, ids)


async def live_state(client: WixClient, desired: State,
                     site_raws: dict[str, list[dict[str, Any]]] | None = None) -> State:
    """The live counterpart of `desired`: the site-level objects it names and, for each
    collection it lists inside them, every live member (so the diff can tell what to
    delete). `site_raws` are a site-level kind's objects already read (by kind name), for a
    caller that had to read them first (`export`, which reads all events to know them)."""
    state = State()
    given = site_raws or {}

    async def site_level(kind: Kind) -> list[dict[str, Any]]:
        if kind.name in given:
            return given[kind.name]
        return await _read_site(client, kind, desired)

    site_raws_read = await _gather(*(site_level(kind) for kind in kinds.SITE_KINDS))
    parents: list[tuple[Kind, str, dict[str, Any]]] = []  # (kind, desired name, raw)
    for kind, raws in zip(kinds.SITE_KINDS, site_raws_read, strict=True):
        by_id = {raw["id"]: raw for raw in raws}
        live = State()
        add_members(live, kind, "", raws)
        state.orders[("", kind.name)] = live.orders[("", kind.name)]
        pairs = match(kind, desired.of_kind(kind.name), live.of_kind(kind.name))
        wanted_as = {p.live.key: p.desired.key.name for p in pairs if p.live and p.desired}
        for resource in live.of_kind(kind.name):
            name = wanted_as.get(resource.key)
            found_for = name if name is not None and name != resource.key.name else None
            state.add(replace(resource, facts=replace(resource.facts, found_for=found_for)))
            if name is not None and kinds.children_of(kind):
                parents.append((kind, name, by_id[resource.id or ""]))
    state.events = tuple(name for _, name, _ in parents)
    for kind, slug, raw in parents:
        for child in kinds.children_of(kind):
            if child.live_objects is not None and (slug, child.name) in desired.orders:
                add_members(state, child, slug, child.live_objects(raw))

    def listing(kind: Kind) -> list[str]:
        return [raw["id"] for parent, slug, raw in parents
                if parent.name == kind.parent and (slug, kind.name) in desired.orders]

    read_kinds = [kind for kind in kinds.CHILD_KINDS if kind.reader and listing(kind)]
    results = await _gather(*(read_children(client, kind.reader, listing(kind))
                              for kind in read_kinds if kind.reader))
    slug_of = {raw["id"]: slug for _, slug, raw in parents}
    for kind, raws in zip(read_kinds, results, strict=True):
        assert kind.reader is not None
        grouped = _by_parent(raws, kind.reader.by[0])
        for parent_id in listing(kind):
            own = grouped.get(parent_id, [])
            if kind.drafted:
                _add_drafted(state, kind, slug_of[parent_id], own)
            else:
                add_members(state, kind, slug_of[parent_id], own)
    _total_sales(state, [(kind, slug) for kind, slug, _ in parents])
    return state


def _total_sales(state: State, parents: list[tuple[Kind, str]]) -> None:
    """Each parent's `sold` is what its children read here have sold, so deleting it is
    judged by its sales like deleting a ticket definition."""
    for kind, slug in parents:
        sold = sum(r.facts.sold for child in kinds.children_of(kind)
                   for r in state.of_kind(child.name, slug))
        for resource in state.of_kind(kind.name):
            if sold and slug in (resource.key.name, resource.facts.found_for):
                state.add(replace(resource, facts=replace(resource.facts, sold=sold)))
