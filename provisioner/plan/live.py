"""Read the live state the spec covers, in the fewest calls the API allows and at most three
round trips, whatever the size of the site. Written once over the kinds table:

1. At once, every site-level kind the spec uses, by its `reader`: the spec's events (one
   Query Events call per 100 slugs, `$in` over slugs, former slugs and pinned ids, with the
   FORM and CATEGORIES fieldsets, so forms and category assignments cost no extra call) and
   the site's categories (only if the spec names or refers to any).
2. As soon as the events are in (categories are not waited for), at once, every child kind the
   spec lists, `$in` over event ids: ticket definitions (with sold counts), policies, and the
   schedule (List Schedule Items, draft and published copies together). The events are split
   into partitions sized from the number of children the spec gives each (`partitions`), so
   each partition is one page and every page goes at once: the calls are the page-size floor,
   and the round trip is one. Kinds that come with their event (`live_objects`) cost nothing.
3. Only where a read holds more than the spec said (the site has objects the spec does not
   list): the rest of its pages, together, since the first answer gave the total.

Reads page by offset, so every page can be asked for at once. Pages read apart that disagree
(the site changed in between) are read again, each from where the one before ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from .. import kinds
from ..client.errors import ProvisionerError
from ..client.http import MAX_PAGES, WixClient, page_of
from ..kinds import Kind, Reader
from ..model import Draft, Resource, ResourceKey, State
from . import partitions
from .desired import shaped
from .diff import match
from .fingerprints import fingerprint
from .normalise import digest

CHUNK = partitions.IDS  # ids per `$in` / per repeated query parameter
PAGE = partitions.PAGE


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


async def _gather(*calls: Any) -> list[Any]:
    return list(await asyncio.gather(*calls))


async def query_pages(client: WixClient, reader: Reader, where: dict[str, Any] | None
                      ) -> list[dict[str, Any]]:
    """Every object of a query, by offset pages: the rest together once the first tells the
    total."""
    return await _pages(lambda offset: _query_page(client, reader, where, offset), 1)


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


async def read_children(client: WixClient, reader: Reader, parent_ids: list[str],
                        expected: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Every member of one kind for all `parent_ids`: in partitions sized from `expected`
    (children per parent id, as the spec has them), every first page at once; only a
    partition that holds more than expected costs a second round trip."""
    sizes = [(parent_id, (expected or {}).get(parent_id, 0)) for parent_id in parent_ids]
    parts = await _gather(*(_read_partition(client, reader, part)
                            for part in partitions.partition(sizes, PAGE, CHUNK)))
    return [item for part in parts for item in part]


async def _read_partition(client: WixClient, reader: Reader, part: partitions.Partition
                          ) -> list[dict[str, Any]]:
    by = reader.by[0]
    if reader.listing:
        return await _pages(lambda offset: _listing_page(client, reader, part.parent_ids,
                                                         offset), part.pages(PAGE))
    where = {by: {"$in": list(part.parent_ids)}}
    return await _pages(lambda offset: _query_page(client, reader, where, offset),
                        part.pages(PAGE))


Page = tuple[list[dict[str, Any]], int | None]  # a page's objects, and the total counted


async def _pages(fetch: Callable[[int], Awaitable[Page]], pages: int) -> list[dict[str, Any]]:
    """Every object of an offset-paged read: `pages` pages at once, then, if the total says
    there are more, the rest at once. Pages read apart can disagree when the site changes in
    between; then it is read again, each page from where the one before ended."""
    first = await _gather(*(fetch(index * PAGE) for index in range(pages)))
    items = [item for found, _ in first for item in found]
    totals = {total for _, total in first}
    total = max(totals, default=None) if None not in totals else None
    if total is None:
        # no total to trust: page on from where the pages asked at once ended
        if len(first[-1][0]) < PAGE:
            return items
        return _unique(items + await _page_by_page(fetch, len(items)))
    rest = await _gather(*(fetch(offset) for offset in range(len(first) * PAGE, total, PAGE)))
    items += [item for found, _ in rest for item in found]
    if _consistent(items, total, totals | {t for _, t in rest}):
        return items
    # the site changed between the pages, or the server keeps its pages shorter than asked
    return _unique(await _page_by_page(fetch, 0))


async def _page_by_page(fetch: Callable[[int], Awaitable[Page]], start: int
                        ) -> list[dict[str, Any]]:
    """The objects from offset `start` on, each page from where the one before ended."""
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        found, total = await fetch(start + len(items))
        items += found
        if not found or (start + len(items) >= total if total is not None
                         else len(found) < PAGE):
            return items
    raise ProvisionerError(f"a read was still returning pages after {MAX_PAGES}")


def _identity(item: dict[str, Any]) -> tuple[str, bool]:
    # a schedule item's draft and published copies share an id
    return str(item.get("id")), bool(item.get("draft"))


def _consistent(items: list[dict[str, Any]], total: int, totals: set[int | None]) -> bool:
    return len(totals) == 1 and len({_identity(item) for item in items}) == len(items) == total


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({_identity(item): item for item in items}.values())


async def _listing_page(client: WixClient, reader: Reader, parent_ids: tuple[str, ...],
                        offset: int) -> Page:
    """One page of a GET listing of `parent_ids`' members (the total is top-level)."""
    answer = await client.get(reader.path, {reader.by[0]: list(parent_ids), **dict(reader.extra),
                                            "paging.limit": PAGE, "paging.offset": offset})
    found, _ = page_of(answer, reader.items_key, reader.metadata_key, reader.path)
    total = answer.get("total")
    return found, total if isinstance(total, int) else None


async def _query_page(client: WixClient, reader: Reader, where: dict[str, Any] | None,
                      offset: int) -> Page:
    """One page of a POST query, by offset."""
    query: dict[str, Any] = {"paging": {"limit": PAGE, "offset": offset}}
    if where:
        query["filter"] = where
    answer = await client.post(reader.path, {"query": query, **dict(reader.extra)}, read=True)
    found, metadata = page_of(answer, reader.items_key, reader.metadata_key, reader.path)
    total = metadata.get("total")
    counted = isinstance(total, int) and not metadata.get("tooManyToCount")
    return found, total if counted else None


def _by_parent(raws: list[dict[str, Any]], by: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for raw in raws:
        grouped.setdefault(str(raw.get(by)), []).append(raw)
    return grouped


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
    caller that had to read them first (`export`, which reads all events to know them).

    Each site-level kind is read with its children as one task, so an event's children never
    wait for the categories; the parts are put together in the kinds table's order, so the
    state is the same whichever answer came first."""
    given = site_raws or {}
    trees = await _gather(*(_read_tree(client, kind, desired, given.get(kind.name))
                            for kind in kinds.SITE_KINDS))
    state = State()
    parents: list[tuple[Kind, str, dict[str, Any]]] = []
    for tree in trees:
        _merge(state, tree.site)
        parents += tree.parents
    state.events = tuple(name for _, name, _ in parents)
    for tree in trees:
        _merge(state, tree.children)
    _total_sales(state, [(kind, slug) for kind, slug, _ in parents])
    return state


def _merge(state: State, part: State) -> None:
    for resource in part.resources.values():
        state.add(resource)
    state.orders.update(part.orders)
    state.drafts.update(part.drafts)


@dataclass
class _Tree:
    """One site-level kind as read: its objects, the ones the spec wants (with the name it
    wants them by), and their children."""

    site: State
    parents: list[tuple[Kind, str, dict[str, Any]]]  # (kind, desired name, raw)
    children: State


async def _read_tree(client: WixClient, kind: Kind, desired: State,
                     given: list[dict[str, Any]] | None) -> _Tree:
    raws = given if given is not None else await _read_site(client, kind, desired)
    site, parents = _site_members(kind, desired, raws)
    children = State()
    for slug, raw in ((slug, raw) for _, slug, raw in parents):
        for child in kinds.children_of(kind):
            if child.live_objects is not None and (slug, child.name) in desired.orders:
                add_members(children, child, slug, child.live_objects(raw))

    def listing(child: Kind) -> list[str]:
        return [raw["id"] for _, slug, raw in parents if (slug, child.name) in desired.orders]

    slug_of = {raw["id"]: slug for _, slug, raw in parents}
    read_kinds = [child for child in kinds.children_of(kind) if child.reader and listing(child)]
    results = await _gather(*(read_children(client, child.reader, listing(child),
                                            _expected(desired, child, slug_of))
                              for child in read_kinds if child.reader))
    for child, found in zip(read_kinds, results, strict=True):
        assert child.reader is not None
        grouped = _by_parent(found, child.reader.by[0])
        for parent_id in listing(child):
            own = grouped.get(parent_id, [])
            if child.drafted:
                _add_drafted(children, child, slug_of[parent_id], own)
            else:
                add_members(children, child, slug_of[parent_id], own)
    return _Tree(site, parents, children)


def _site_members(kind: Kind, desired: State, raws: list[dict[str, Any]]
                  ) -> tuple[State, list[tuple[Kind, str, dict[str, Any]]]]:
    """A site-level kind's live objects, each marked with the name the spec wants it by when
    found under another (a former slug, a pinned id), and those the spec wants that have
    children of their own."""
    state = State()
    by_id = {raw["id"]: raw for raw in raws}
    live = State()
    add_members(live, kind, "", raws)
    state.orders[("", kind.name)] = live.orders[("", kind.name)]
    pairs = match(kind, desired.of_kind(kind.name), live.of_kind(kind.name))
    wanted_as = {p.live.key: p.desired.key.name for p in pairs if p.live and p.desired}
    parents = []
    for resource in live.of_kind(kind.name):
        name = wanted_as.get(resource.key)
        found_for = name if name is not None and name != resource.key.name else None
        state.add(replace(resource, facts=replace(resource.facts, found_for=found_for)))
        if name is not None and kinds.children_of(kind):
            parents.append((kind, name, by_id[resource.id or ""]))
    return state, parents


def _expected(desired: State, kind: Kind, slug_of: dict[str, str]) -> dict[str, int]:
    """How many live objects of `kind` each event should hold, by event id: as many as the
    spec lists, twice over for a drafted kind whose draft is published (the site lists its
    draft and published copies together)."""
    expected = {}
    for parent_id, slug in slug_of.items():
        count = len(desired.orders.get((slug, kind.name), ()))
        draft = desired.drafts.get((slug, kind.name))
        expected[parent_id] = count * 2 if kind.drafted and draft and draft.publish else count
    return expected


def _total_sales(state: State, parents: list[tuple[Kind, str]]) -> None:
    """Each parent's `sold` is what its children read here have sold, so deleting it is
    judged by its sales like deleting a ticket definition."""
    for kind, slug in parents:
        sold = sum(r.facts.sold for child in kinds.children_of(kind)
                   for r in state.of_kind(child.name, slug))
        for resource in state.of_kind(kind.name):
            if sold and slug in (resource.key.name, resource.facts.found_for):
                state.add(replace(resource, facts=replace(resource.facts, sold=sold)))
