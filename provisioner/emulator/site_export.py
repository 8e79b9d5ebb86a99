"""Export one site's data in Wix's wire format, and import such an export into a site.

`GET /_emulator/sites/export` answers the site as the public API shows it, built with the API
modules' own render functions, so every entity is exactly what an API read returns:

    {"format": "wix-events-site", "version": 1,
     "events": [Get Event with every fieldset],
     "ticketDefinitions": [with every fieldset; events in creation order, each in display order],
     "policies": [each event's in display order],
     "schedule": [{"eventId", "items": [published], "draftItems": [draft]}],
     "categories": [{id, name, createdDate, states, "eventIds": [assigned, in order]}],
     "forms": [{"eventId", "controls", "messages"}]}

`PUT /_emulator/sites/import` replaces the data of the site named by `wix-site-id` with such an
export (other sites are untouched): each wire entity is mapped back to the stored document its
module keeps (wire fields plus internal `_` keys), so a copy of a real site, saved in this
format, can be rehearsed against. It answers `{"imported": {<section>: count}}`. The raw
internal dump is `GET/PUT /_emulator/state`.

Decisions:
- An import emits no webhook notices, like PUT /_emulator/state: it loads data, it does not
  change it through the API.
- Only the kinds this format covers are replaced (events and their ticket definitions,
  policies, schedules and forms; categories); request cursors stay valid, as after any write.
- The whole import is one transaction and everything is checked before anything is written:
  a refused import changes nothing.
- The export lists categories in creation order and schedule items by time slot, as List
  returns them.

How an export is checked and mapped is site_format.py's and site_import.py's.
"""

from __future__ import annotations

from typing import Any

from . import categories_model, event_spec, forms, policies, schedule_model, ticket_model
from .common import (
    CATEGORIES,
    EVENT_CHILD_KINDS,
    EVENTS,
    FORMS,
    POLICIES,
    SCHEDULE_DRAFT,
    SCHEDULE_PUBLISHED,
    TICKET_DEFINITIONS,
    display_order,
    public,
)
from .control import PREFIX, require_site
from .event_model import render_event
from .http import Ctx, Endpoint
from .site_format import FORMAT, SECTIONS, VERSION
from .site_import import plan_import
from .values import format_timestamp

# --- export ------------------------------------------------------------------------------------


def export_site(ctx: Ctx) -> dict[str, Any]:
    """The site as the public API shows it (see the module docstring for the shape)."""
    site = require_site(ctx)
    scope = ctx.scope
    event_fields = set(event_spec.REQUESTED_FIELDS)
    definition_fields = set(ticket_model.REQUESTED_FIELDS)
    events = ctx.txn.list(site, EVENTS)
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                           **{section: [] for section in SECTIONS}}
    for event in events:
        event_id = event["id"]
        out["events"].append(render_event(scope, event, event_fields))
        out["ticketDefinitions"] += [
            ticket_model.render_definition(scope, definition, event, definition_fields)
            for definition in display_order(ctx.txn.list(site, TICKET_DEFINITIONS, event_id))
        ]
        out["policies"] += [policies.render(p) for p in policies.event_policies(scope, event_id)]
        out["schedule"].append({
            "eventId": event_id,
            "items": [public(d) for d in
                      schedule_model.by_time(ctx.txn.list(site, SCHEDULE_PUBLISHED, event_id))],
            "draftItems": [public(d) for d in
                           schedule_model.by_time(ctx.txn.list(site, SCHEDULE_DRAFT, event_id))],
        })
        form = ctx.txn.get(site, FORMS, event_id) or forms.default_form()
        out["forms"].append({"eventId": event_id, **forms.render(form)})
    out["categories"] = [{**categories_model.render(c), "eventIds": list(c["_events"])}
                         for c in ctx.txn.list(site, CATEGORIES)]
    return out


# --- import: writing ----------------------------------------------------------------------------


def _clear_site(ctx: Ctx, site: str) -> None:
    """Delete every document of the kinds this format covers, for one site only."""
    for event in ctx.txn.list(site, EVENTS):
        for kind in EVENT_CHILD_KINDS:
            ctx.txn.delete_children(site, kind, event["id"])
        ctx.txn.delete(site, EVENTS, event["id"])
    for kind in (TICKET_DEFINITIONS, POLICIES, SCHEDULE_DRAFT, SCHEDULE_PUBLISHED, CATEGORIES):
        for doc in ctx.txn.list(site, kind):  # children of no event, should any exist
            ctx.txn.delete(site, kind, doc["id"])


def import_site(ctx: Ctx) -> dict[str, Any]:
    """Replace one site's data with an export (see the module docstring)."""
    site = require_site(ctx)
    plan = plan_import(ctx.body, site, format_timestamp(ctx.now()))
    _clear_site(ctx, site)
    for kind, doc_id, doc, parent in plan.docs:
        ctx.txn.put(site, kind, doc_id, doc, parent=parent)
    return {"imported": plan.counts}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", f"{PREFIX}/sites/export", export_site),
    Endpoint("PUT", f"{PREFIX}/sites/import", import_site),
]
