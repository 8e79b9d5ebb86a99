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
- Each entity is checked by its create handler's field spec and rules (the modules' own
  functions: slugs, dates, registration, pricing, fee type, sale period, schedule time slots,
  category names and states), so the emulator never holds an entity its API would refuse to
  create. A refusal is a 400 naming the entry, e.g. `ticketDefinitions[3].eventId: names no
  event in this export`; rules that answer 428 on create answer 400 here, keeping their code.
  The whole import is one transaction and everything is checked before anything is written:
  a refused import changes nothing.
- Count limits (3 policies, 100 ticket definitions and 10 categories per event) are not
  enforced: they govern creating one more, an over-full copy still renders, and the next
  create is refused as usual.
- Fields the emulator does not know are ignored, as the API's own field specs ignore them;
  read-only and computed fields (status, registration type/status, price range, formatted
  dates and address, URLs, instance id, feed, summaries, limited/actualLimit, saleStatus,
  limitPerCheckout, pricingType/free, eventDetails, counts) are dropped and recomputed.
- `format` ("wix-events-site") and `version` (1) are required, so a state dump or another file
  sent here by mistake cannot wipe the site. Missing sections count as empty.
- Ids, revisions, created/updated/published dates and slugs are kept. Event and category ids
  must be GUIDs (the API's requests refuse other references to them); other ids are any
  non-empty text, generated when missing. Event ids are required: the other sections name
  them. Revisions default to "1"; `createdDate` to now, `updatedDate` to `createdDate`,
  `publishedDate` of a non-draft event to `createdDate`; a missing slug is derived from the
  title as create does (made unique among the export's slugs). `seoSettings.slug` is not
  stored: the top-level `slug` is the event's slug (`seoSettings.slug` stands in when `slug`
  is missing). A missing `userId` becomes one fixed per site.
- Event `status` DRAFT or CANCELED becomes `_state` DRAFT or CANCELED; any other value (or
  none) PUBLISHED, whose UPCOMING/STARTED/ENDED is recomputed from the clock. A canceled
  event's `_canceledDate` is `summaries.cancellation.canceledDate`, else its `updatedDate`.
  `_currencyLocked` is `summaries.tickets.currencyLocked` (or
  `registration.tickets.currencyLocked`), `_orders` is `summaries.tickets.totalOrders`.
- A ticket definition's `_sold`/`_reserved` are `salesDetails.soldCount/reservedCount`
  (0 without the SALES_DETAILS fieldset). Revenue is only observable per event
  (`summaries.tickets.revenue`), so the event's whole revenue goes to its first definition in
  display order and the others get "0"; an event without definitions loses its revenue.
- Display order is list order: ticket definitions and policies take `_sortIndex` from their
  position among their event's entries, form controls are renumbered 0..n-1 in list order,
  and categories and schedule items are stored in list order (creation order, the tie-break
  of equal names and equal time slots). The export lists categories in creation order and
  schedule items by time slot, as List returns them.
- Category assignments are `eventIds`; when a category has no `eventIds` key, they are read
  from the events' CATEGORIES fieldset (`categories.categories[].id`, in event order), which
  is what a real site's Get Event answers.
- A form comes from `forms`, else from the event's FORM fieldset (`form`), else it is the
  default form of a new event. Messages are merged over the default messages; a control needs
  `id` and `type`, and `system` (false), `name` (the id) and `inputs` ([]) are defaulted;
  controls and inputs keep the keys the emulator builds (an input's `additionalLabels` map
  and the event's rich-content `description` are kept as sent, as the API keeps them).
  A schedule item's `draft` flag is set by the list it is in.
- An import emits no webhook notices, like PUT /_emulator/state: it loads data, it does not
  change it through the API.
- Only the kinds this format covers are replaced (events and their ticket definitions,
  policies, schedules and forms; categories); request cursors stay valid, as after any write.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
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
    public,
)
from .control import PREFIX, require_site
from .errors import ApiError, FieldViolation, ValidationFailed
from .event_model import render_event
from .events import _unique_slug
from .fields import AnyJson, Arr, Bool, F, Int, JsonObject, Obj, Str, Timestamp, check, fail
from .forms_model import MESSAGES_SPEC
from .http import Ctx, Endpoint
from .values import format_timestamp, new_id, stable_id

FORMAT = "wix-events-site"
VERSION = 1
SECTIONS = ("events", "ticketDefinitions", "policies", "schedule", "categories", "forms")

_GUID = Str(fmt="GUID")
_ID = Str(min_len=1)
_REVISION = Int(minimum=1)
_IGNORED = F(AnyJson(), readonly=True)

# the server-fixed and computed wire fields import reads, beside each module's create spec
EVENT_SERVER = Obj({
    "id": F(_GUID, required=True),
    "slug": Str(min_len=1),
    "createdDate": Timestamp(),
    "updatedDate": Timestamp(),
    "publishedDate": Timestamp(),
    "userId": Str(min_len=1),
    "status": Str(),
    "registration": Obj({"tickets": Obj({"currencyLocked": Bool()})}),
    "summaries": Obj({
        "tickets": Obj({
            "revenue": Obj({"value": ticket_model.MoneyValue(),
                            "amount": ticket_model.MoneyValue()}),
            "currencyLocked": Bool(),
            "totalOrders": Int(minimum=0),
        }),
        "cancellation": Obj({"canceledDate": Timestamp()}),
    }),
})
DEFINITION_SERVER = Obj({
    "id": _ID,
    "revision": _REVISION,
    "createdDate": Timestamp(),
    "updatedDate": Timestamp(),
    "salesDetails": Obj({"soldCount": Int(minimum=0), "reservedCount": Int(minimum=0)}),
})
POLICY_SERVER = Obj({"id": _ID, "revision": _REVISION, "createdDate": Timestamp(),
                     "updatedDate": Timestamp()})
ITEM_SERVER = Obj({"id": _ID, "eventId": Str(), "createdDate": Timestamp(),
                   "updatedDate": Timestamp()})
CATEGORY_SERVER = Obj({"id": _GUID, "createdDate": Timestamp(), "eventIds": Arr(_GUID)})
SCHEDULE_ENTRY = Obj({
    "eventId": F(_GUID, required=True),
    "items": Arr(AnyJson()),
    "draftItems": Arr(AnyJson()),
})
FORM_ENTRY = Obj({
    "eventId": F(_GUID, required=True),
    "controls": Arr(AnyJson()),
    "messages": AnyJson(),
})
INPUT = Obj({  # the keys of an input in the order forms_model builds them
    "name": F(Str(min_len=1), required=True),
    "array": Bool(),
    "label": Str(),
    "additionalLabels": JsonObject(),  # a map: its keys are data
    "options": Arr(Str()),
    "mandatory": Bool(),
    "maxLength": Int(minimum=0),
    "type": Str(min_len=1),
    "maxSize": Int(minimum=0),
    "defaultOptionSelection": Obj({"optionIndex": Int(minimum=0), "placeholderText": Str()}),
})
CONTROL = Obj({
    "type": F(Str(min_len=1), required=True),
    "system": Bool(),
    "name": Str(min_len=1),
    "id": F(Str(min_len=1), required=True),
    "orderIndex": _IGNORED,  # renumbered from list order
    "label": Str(),
    "inputs": Arr(INPUT),
})

Doc = tuple[str, str, dict[str, Any], str | None]  # (kind, id, stored body, parent)


# --- export ------------------------------------------------------------------------------------


def _display_order(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda d: d.get("_sortIndex", 0))


def export_site(ctx: Ctx) -> dict[str, Any]:
    """The site as the public API shows it (see the module docstring for the shape)."""
    site = require_site(ctx)
    event_fields = set(event_spec.REQUESTED_FIELDS)
    definition_fields = set(ticket_model.REQUESTED_FIELDS)
    events = ctx.txn.list(site, EVENTS)
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                           **{section: [] for section in SECTIONS}}
    for event in events:
        event_id = event["id"]
        out["events"].append(render_event(ctx, event, event_fields))
        out["ticketDefinitions"] += [
            ticket_model.render_definition(ctx, definition, event, definition_fields)
            for definition in _display_order(ctx.txn.list(site, TICKET_DEFINITIONS, event_id))
        ]
        out["policies"] += [policies.render(p) for p in policies.event_policies(ctx, event_id)]
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


# --- import: checking ---------------------------------------------------------------------------


@contextmanager
def _entry(where: str, prefix: str = "") -> Iterator[None]:
    """Make every refusal raised inside name the export entry `where`: field paths the API
    modules write as `<prefix>.x` become `<where>.x`, and other refusals become a 400 whose
    message starts with `where`."""
    try:
        yield
    except ValidationFailed as error:
        moved = []
        for v in error.violations:
            path = v.field
            if prefix and (path == prefix or path.startswith(f"{prefix}.")):
                path = where + path[len(prefix):]
            elif not path.startswith(where):
                path = f"{where}.{path}"
            moved.append(FieldViolation(path, v.description, v.violated_rule, v.data))
        raise ValidationFailed(moved) from None
    except ApiError as error:
        raise ApiError(400, error.code, f"{where}: {error.message}", error.data) from None


def _section(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(name, "Expected an array.", "FORMAT")
    return value


def _check_header(body: dict[str, Any]) -> None:
    if body.get("format") != FORMAT:
        raise fail("format", f'must be "{FORMAT}", as GET {PREFIX}/sites/export gives it (a '
                   f"state dump goes to PUT {PREFIX}/state)", "CUSTOM")
    if body.get("version") != VERSION:
        raise fail("version", f"must be {VERSION}", "CUSTOM")


def _unique(seen: set[str], value: str, path: str, what: str) -> None:
    if value in seen:
        raise fail(path, f"repeats {what} {value}", "CUSTOM")
    seen.add(value)


def _known_event(events: dict[str, dict[str, Any]], event_id: str, path: str
                 ) -> dict[str, Any]:
    if event_id not in events:
        raise fail(path, f"names no event in this export ({event_id})", "CUSTOM")
    return events[event_id]


def _dates(server: dict[str, Any], now: str) -> tuple[str, str]:
    created = server.get("createdDate", now)
    return created, server.get("updatedDate", created)


def _merged(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class _Import:
    """The stored documents an export describes, built and checked before anything is written."""

    def __init__(self, site: str, now: str) -> None:
        self.site = site
        self.now = now
        self.docs: list[Doc] = []
        self.events: dict[str, dict[str, Any]] = {}  # id -> stored event
        self.raw_events: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (where, wire event)
        self.revenue: dict[str, str] = {}  # event id -> summaries.tickets.revenue
        self.counts = dict.fromkeys(
            ("events", "ticketDefinitions", "policies", "scheduleItems", "draftScheduleItems",
             "categories", "forms"), 0)

    def add(self, kind: str, doc_id: str, body: dict[str, Any], parent: str | None,
            counter: str) -> None:
        self.docs.append((kind, doc_id, body, parent))
        self.counts[counter] += 1

    # events ------------------------------------------------------------------------------------

    def events_section(self, raw_events: list[Any]) -> None:
        parsed = []
        slugs: set[str] = set()
        for index, raw in enumerate(raw_events):
            where = f"events[{index}]"
            with _entry(where, "event"):
                event, server = self._event(raw, where)
                if server["id"] in self.events:
                    raise fail(f"{where}.id", f"repeats the event id {server['id']}", "CUSTOM")
                slug = server.get("slug") or (raw.get("seoSettings") or {}).get("slug")
                if slug:
                    event_spec.check_slug(slug)
                    _unique(slugs, slug, f"{where}.slug", "the slug")
                    event["slug"] = slug
            self.events[server["id"]] = event
            self.raw_events[server["id"]] = (where, raw)
            parsed.append(event)
        for event in parsed:  # derived slugs avoid every slug the export names
            if "slug" not in event:
                event["slug"] = _unique_slug(event_spec.slug_from_title(event["title"]), slugs)
                slugs.add(event["slug"])
            self.add(EVENTS, event["id"], event, None, "events")

    def _event(self, raw: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
        event = check(event_spec.CREATE_SPEC, raw, where)
        server = check(EVENT_SERVER, raw, where)
        registration = event.get("registration") or {}
        if "initialType" not in registration:
            raise fail(f"{where}.registration.initialType", "is required: RSVP or TICKETING",
                       "REQUIRED_FIELD")
        event_spec.check_location(event["location"])
        event_spec.check_dates(event["dateAndTimeSettings"], None)
        event["registration"] = event_spec.merge_registration(
            event_spec.default_registration(registration["initialType"]), registration)
        event_spec.check_registration(event["registration"])
        seo = event.get("seoSettings")
        if seo is not None:
            seo.pop("slug", None)
            if not seo:
                del event["seoSettings"]
        status = server.get("status")
        state = status if status in ("DRAFT", "CANCELED") else "PUBLISHED"
        created, updated = _dates(server, self.now)
        event.update(id=server["id"], createdDate=created, updatedDate=updated,
                     userId=server.get("userId") or stable_id("user", "site-import", self.site),
                     _state=state)
        if "publishedDate" in server:
            event["publishedDate"] = server["publishedDate"]
        elif state != "DRAFT":
            event["publishedDate"] = created
        summaries = server.get("summaries") or {}
        tickets = summaries.get("tickets") or {}
        if state == "CANCELED":
            event["_canceledDate"] = (summaries.get("cancellation") or {}).get(
                "canceledDate", updated)
        locked = tickets.get("currencyLocked",
                             ((server.get("registration") or {}).get("tickets") or {})
                             .get("currencyLocked", False))
        if locked:
            event["_currencyLocked"] = True
        if tickets.get("totalOrders"):
            event["_orders"] = tickets["totalOrders"]
        revenue = tickets.get("revenue") or {}
        self.revenue[server["id"]] = revenue.get("value", revenue.get("amount", "0"))
        return event, server

    # ticket definitions ------------------------------------------------------------------------

    def definitions_section(self, raw_definitions: list[Any]) -> None:
        ids: set[str] = set()
        positions: dict[str, int] = {}
        for index, raw in enumerate(raw_definitions):
            where = f"ticketDefinitions[{index}]"
            with _entry(where, "ticketDefinition"):
                definition = check(ticket_model.CREATE_SPEC, raw, where)
                server = check(DEFINITION_SERVER, raw, where)
                event = _known_event(self.events, definition["eventId"], f"{where}.eventId")
                ticket_model.require_ticketing(event)
                ticket_model.prepare_pricing(definition["pricingMethod"], event,
                                             f"{where}.pricingMethod")
                ticket_model.check_fee_type(definition, where)
                if "salePeriod" in definition:
                    ticket_model.prepare_sale_period(definition["salePeriod"], event)
                definition_id = server.get("id") or new_id()
                _unique(ids, definition_id, f"{where}.id", "the ticket definition id")
            event_id = event["id"]
            position = positions.get(event_id, 0)
            positions[event_id] = position + 1
            sales = server.get("salesDetails") or {}
            created, updated = _dates(server, self.now)
            definition.setdefault("hidden", False)
            definition.update(
                id=definition_id,
                revision=str(server.get("revision", 1)),
                createdDate=created,
                updatedDate=updated,
                _sortIndex=position,
                _sold=sales.get("soldCount", 0),
                _reserved=sales.get("reservedCount", 0),
                _revenue=self.revenue.get(event_id, "0") if position == 0 else "0",
            )
            self.add(TICKET_DEFINITIONS, definition_id, definition, event_id,
                     "ticketDefinitions")

    # policies ----------------------------------------------------------------------------------

    def policies_section(self, raw_policies: list[Any]) -> None:
        ids: set[str] = set()
        positions: dict[str, int] = {}
        for index, raw in enumerate(raw_policies):
            where = f"policies[{index}]"
            with _entry(where, "policy"):
                policy = check(policies.CREATE_SPEC, raw, where)
                server = check(POLICY_SERVER, raw, where)
                event = _known_event(self.events, policy["eventId"], f"{where}.eventId")
                policy_id = server.get("id") or new_id()
                _unique(ids, policy_id, f"{where}.id", "the policy id")
            position = positions.get(event["id"], 0)
            positions[event["id"]] = position + 1
            created, updated = _dates(server, self.now)
            policy.update(id=policy_id, revision=str(server.get("revision", 1)),
                          createdDate=created, updatedDate=updated, _sortIndex=position)
            self.add(POLICIES, policy_id, policy, event["id"], "policies")

    # schedule ----------------------------------------------------------------------------------

    def schedule_section(self, raw_entries: list[Any]) -> None:
        seen_events: set[str] = set()
        ids: dict[str, set[str]] = {SCHEDULE_PUBLISHED: set(), SCHEDULE_DRAFT: set()}
        for index, raw in enumerate(raw_entries):
            where = f"schedule[{index}]"
            entry = check(SCHEDULE_ENTRY, raw, where)
            event_id = entry["eventId"]
            _known_event(self.events, event_id, f"{where}.eventId")
            _unique(seen_events, event_id, f"{where}.eventId", "the schedule of event")
            for key, kind, counter in (("items", SCHEDULE_PUBLISHED, "scheduleItems"),
                                       ("draftItems", SCHEDULE_DRAFT, "draftScheduleItems")):
                for position, raw_item in enumerate(entry.get(key, [])):
                    item_where = f"{where}.{key}[{position}]"
                    with _entry(item_where, "item"):
                        doc = self._item(raw_item, item_where, event_id, kind == SCHEDULE_DRAFT)
                        _unique(ids[kind], doc["id"], f"{item_where}.id", "the item id")
                    self.add(kind, doc["id"], doc, event_id, counter)

    def _item(self, raw: Any, where: str, event_id: str, draft: bool) -> dict[str, Any]:
        item = schedule_model.complete_item(check(schedule_model.ITEM_SPEC, raw, where))
        server = check(ITEM_SERVER, raw, where)
        if server.get("eventId", event_id) != event_id:
            raise fail(f"{where}.eventId", f"is {server['eventId']}, but the item is listed "
                       f"in the schedule of event {event_id}", "CUSTOM")
        created, updated = _dates(server, self.now)
        return schedule_model.item_document(server.get("id") or new_id(), event_id, item,
                                            draft=draft, created=created, updated=updated)

    # categories --------------------------------------------------------------------------------

    def categories_section(self, raw_categories: list[Any]) -> None:
        ids: set[str] = set()
        names: set[str] = set()
        for index, raw in enumerate(raw_categories):
            where = f"categories[{index}]"
            with _entry(where, "category"):
                category = check(categories_model.CREATE_SPEC, raw, where)
                categories_model.check_rules(category, where)
                server = check(CATEGORY_SERVER, raw, where)
            category_id = server.get("id") or new_id()
            _unique(ids, category_id, f"{where}.id", "the category id")
            _unique(names, category["name"].casefold(), f"{where}.name",
                    "(ignoring case) the category name")
            if "eventIds" in server:
                assigned = server["eventIds"]
                seen: set[str] = set()
                for position, event_id in enumerate(assigned):
                    path = f"{where}.eventIds[{position}]"
                    _known_event(self.events, event_id, path)
                    _unique(seen, event_id, path, "the event")
            else:
                assigned = [event_id for event_id, (_, raw_event) in self.raw_events.items()
                            if category_id in _event_category_ids(raw_event)]
            stored = {
                "id": category_id,
                "name": category["name"],
                "createdDate": server.get("createdDate", self.now),
                "states": category.get("states") or list(categories_model.DEFAULT_STATES),
                "_events": assigned,
            }
            self.add(CATEGORIES, category_id, stored, None, "categories")

    # forms -------------------------------------------------------------------------------------

    def forms_section(self, raw_forms: list[Any]) -> None:
        found: dict[str, dict[str, Any]] = {}
        for index, raw in enumerate(raw_forms):
            where = f"forms[{index}]"
            entry = check(FORM_ENTRY, raw, where)
            event_id = entry["eventId"]
            _known_event(self.events, event_id, f"{where}.eventId")
            if event_id in found:
                raise fail(f"{where}.eventId", f"repeats the form of event {event_id}", "CUSTOM")
            found[event_id] = _form(entry, where)
        for event_id, (event_where, raw_event) in self.raw_events.items():
            form = found.get(event_id)
            if form is None and isinstance(raw_event.get("form"), dict):
                form = _form(raw_event["form"], f"{event_where}.form")
            self.add(FORMS, event_id, form or forms.default_form(), event_id, "forms")


def _event_category_ids(raw_event: dict[str, Any]) -> list[str]:
    """The category ids in a wire event's CATEGORIES fieldset (nothing when it is absent)."""
    fieldset = raw_event.get("categories")
    listed = fieldset.get("categories") if isinstance(fieldset, dict) else None
    if not isinstance(listed, list):
        return []
    return [c["id"] for c in listed if isinstance(c, dict) and isinstance(c.get("id"), str)]


def _form(raw: dict[str, Any], where: str) -> dict[str, Any]:
    default = forms.default_form()
    controls = default["controls"]
    if raw.get("controls") is not None:
        if not isinstance(raw["controls"], list):
            raise fail(f"{where}.controls", "Expected an array.", "FORMAT")
        controls = []
        ids: set[str] = set()
        for position, raw_control in enumerate(raw["controls"]):
            path = f"{where}.controls[{position}]"
            control = check(CONTROL, raw_control, path)
            _unique(ids, control["id"], f"{path}.id", "the control id")
            out: dict[str, Any] = {
                "type": control["type"],
                "system": control.get("system", False),
                "name": control.get("name", control["id"]),
                "id": control["id"],
                "orderIndex": position,
            }
            if "label" in control:
                out["label"] = control["label"]
            out["inputs"] = control.get("inputs", [])
            controls.append(out)
    messages = default["messages"]
    if raw.get("messages") is not None:
        sent = check(MESSAGES_SPEC, raw["messages"], f"{where}.messages")
        messages = _merged(messages, sent)
    return {"controls": controls, "messages": messages}


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
    body = ctx.body
    _check_header(body)
    sections = {name: _section(body, name) for name in SECTIONS}
    plan = _Import(site, format_timestamp(ctx.now()))
    plan.events_section(sections["events"])
    plan.definitions_section(sections["ticketDefinitions"])
    plan.policies_section(sections["policies"])
    plan.schedule_section(sections["schedule"])
    plan.categories_section(sections["categories"])
    plan.forms_section(sections["forms"])
    _clear_site(ctx, site)
    for kind, doc_id, doc, parent in plan.docs:
        ctx.txn.put(site, kind, doc_id, doc, parent=parent)
    return {"imported": plan.counts}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", f"{PREFIX}/sites/export", export_site),
    Endpoint("PUT", f"{PREFIX}/sites/import", import_site),
]
