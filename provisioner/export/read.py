"""Read what an export writes: every event and category of a site (or a selection), and every
child of those events, in the calls a no-op plan of the same events makes.

The events and categories are read first and at once (one Query Events call per page of 100,
filtered by slug when the export names events, and the categories' one query); then the
plan's own reader (`live_state`) reads the children of all those events, one call per child
kind per 100 events, given the events already read so that none is read twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .. import kinds
from ..client.errors import ProvisionerError
from ..client.http import WixClient
from ..model import Resource, ResourceKey, State
from ..plan.live import live_state, query_pages, read_named


def _selection_state(events: list[dict[str, Any]], categories: list[dict[str, Any]]
                     ) -> State:
    """A desired state that names the events and categories read and lists every child
    collection of each event, so `live_state` reads all their members."""
    wanted = State()
    for raw in events:
        slug = str(kinds.EVENT.name_of(raw))
        wanted.add(Resource(ResourceKey(kinds.EVENT.name, "", slug), {}))
        for child in kinds.children_of(kinds.EVENT):
            wanted.orders[(slug, child.name)] = ()
    for raw in categories:
        wanted.add(Resource(ResourceKey(kinds.CATEGORY.name, "", str(raw.get("name"))), {}))
    return wanted


async def read_site(client: WixClient, slugs: tuple[str, ...] = (),
                    category_names: tuple[str, ...] = ()) -> State:
    """The live state of the events named by `slugs` (every event when neither selection is
    given) and of the categories named (every category when nothing is selected; with a
    selection of events, also the categories they are in)."""
    event_reader, category_reader = kinds.EVENT.reader, kinds.CATEGORY.reader
    assert event_reader is not None and category_reader is not None
    everything = not slugs and not category_names

    async def events() -> list[dict[str, Any]]:
        if everything:
            return await query_pages(client, event_reader, None)
        if not slugs:
            return []
        return await read_named(client, event_reader, list(slugs), [])

    event_raws, category_raws = await asyncio.gather(
        events(), query_pages(client, category_reader, None))
    found = {str(kinds.EVENT.name_of(raw)) for raw in event_raws}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise ProvisionerError(f"no event with the slug {', '.join(map(repr, missing))} on "
                               "the site; `provisioner export` with no --event lists them all")
    if not everything:
        assigned_in = kinds.CATEGORY_ASSIGNMENT.live_objects
        assert assigned_in is not None  # assignments come with their event
        used = {str(assigned.get("name")).lower() for raw in event_raws
                for assigned in assigned_in(raw) or []}
        by_lower = {str(raw.get("name")).lower(): raw for raw in category_raws}
        unknown = [name for name in category_names if name.lower() not in by_lower]
        if unknown:
            raise ProvisionerError(f"no category named {', '.join(map(repr, unknown))} on the "
                                   "site")
        used |= {name.lower() for name in category_names}
        category_raws = [raw for lower, raw in by_lower.items() if lower in used]
    wanted = _selection_state(event_raws, category_raws)
    return await live_state(client, wanted, {kinds.EVENT.name: event_raws,
                                             kinds.CATEGORY.name: category_raws})
