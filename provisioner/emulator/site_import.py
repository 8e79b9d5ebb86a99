"""Site import: each entry of an export, checked by its module's create spec and rules, mapped
to the stored document that module keeps (wire fields plus internal `_` keys). `plan_import`
builds them all (a `SiteImport`), section by section, before anything is written; site_export.py's
`import_site` writes them.

Decisions:
- Each entity is checked by its create handler's field spec and rules (the modules' own
  functions: slugs, dates, registration, pricing, fee type, sale period, schedule time slots,
  category names and states), so the emulator never holds an entity its API would refuse to
  create. A refusal is a 400 naming the entry, e.g. `ticketDefinitions[3].eventId: names no
  event in this export`; rules that answer 428 on create answer 400 here, keeping their code.
- Count limits (3 policies, 100 ticket definitions and 10 categories per event) are not
  enforced: they govern creating one more, an over-full copy still renders, and the next
  create is refused as usual.
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
  of equal names and equal time slots).
- Category assignments are `eventIds`; when a category has no `eventIds` key, they are read
  from the events' CATEGORIES fieldset (`categories.categories[].id`, in event order), which
  is what a real site's Get Event answers.
- A form comes from `forms`, else from the event's FORM fieldset (`form`), else it is the
  default form of a new event. A schedule item's `draft` flag is set by the list it is in.
"""

from __future__ import annotations

from typing import Any

from . import categories_model, event_spec, forms, policies, schedule_model, ticket_model
from .common import (
    CATEGORIES,
    EVENTS,
    FORMS,
    POLICIES,
    SCHEDULE_DRAFT,
    SCHEDULE_PUBLISHED,
    TICKET_DEFINITIONS,
)
from .fields import check, fail
from .site_format import (
    CATEGORY_SERVER,
    DEFINITION_SERVER,
    EVENT_SERVER,
    FORM_ENTRY,
    ITEM_SERVER,
    POLICY_SERVER,
    SCHEDULE_ENTRY,
    add_unique,
    check_header,
    export_entry,
    known_event,
    read_sections,
    stored_dates,
    stored_form,
)
from .values import new_id, stable_id

Doc = tuple[str, str, dict[str, Any], str | None]  # (kind, id, stored body, parent)


def plan_import(body: dict[str, Any], site: str, now: str) -> SiteImport:
    """The stored documents the export `body` describes for `site`, every entry checked (`now`
    is the wire timestamp missing dates default to); nothing is written."""
    check_header(body)
    sections = read_sections(body)
    plan = SiteImport(site, now)
    plan.events_section(sections["events"])
    plan.definitions_section(sections["ticketDefinitions"])
    plan.policies_section(sections["policies"])
    plan.schedule_section(sections["schedule"])
    plan.categories_section(sections["categories"])
    plan.forms_section(sections["forms"])
    return plan


class SiteImport:
    """The stored documents an export describes, built and checked before anything is written:
    `docs` in the order to write them, `counts` per section as the import answers them."""

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
            with export_entry(where, "event"):
                event, server = self._event(raw, where)
                if server["id"] in self.events:
                    raise fail(f"{where}.id", f"repeats the event id {server['id']}", "CUSTOM")
                slug = server.get("slug") or (raw.get("seoSettings") or {}).get("slug")
                if slug:
                    event_spec.check_slug(slug)
                    add_unique(slugs, slug, f"{where}.slug", "the slug")
                    event["slug"] = slug
            self.events[server["id"]] = event
            self.raw_events[server["id"]] = (where, raw)
            parsed.append(event)
        for event in parsed:  # derived slugs avoid every slug the export names
            if "slug" not in event:
                base = event_spec.slug_from_title(event["title"])
                event["slug"] = event_spec.unique_slug(base, slugs)
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
        created, updated = stored_dates(server, self.now)
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
            with export_entry(where, "ticketDefinition"):
                definition = check(ticket_model.CREATE_SPEC, raw, where)
                server = check(DEFINITION_SERVER, raw, where)
                event = known_event(self.events, definition["eventId"], f"{where}.eventId")
                ticket_model.require_ticketing(event)
                ticket_model.prepare_pricing(definition["pricingMethod"], event,
                                             f"{where}.pricingMethod")
                ticket_model.check_fee_type(definition, where)
                if "salePeriod" in definition:
                    ticket_model.prepare_sale_period(definition["salePeriod"], event)
                definition_id = server.get("id") or new_id()
                add_unique(ids, definition_id, f"{where}.id", "the ticket definition id")
            event_id = event["id"]
            position = positions.get(event_id, 0)
            positions[event_id] = position + 1
            sales = server.get("salesDetails") or {}
            created, updated = stored_dates(server, self.now)
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
            with export_entry(where, "policy"):
                policy = check(policies.CREATE_SPEC, raw, where)
                server = check(POLICY_SERVER, raw, where)
                event = known_event(self.events, policy["eventId"], f"{where}.eventId")
                policy_id = server.get("id") or new_id()
                add_unique(ids, policy_id, f"{where}.id", "the policy id")
            position = positions.get(event["id"], 0)
            positions[event["id"]] = position + 1
            created, updated = stored_dates(server, self.now)
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
            known_event(self.events, event_id, f"{where}.eventId")
            add_unique(seen_events, event_id, f"{where}.eventId", "the schedule of event")
            for key, kind, counter in (("items", SCHEDULE_PUBLISHED, "scheduleItems"),
                                       ("draftItems", SCHEDULE_DRAFT, "draftScheduleItems")):
                for position, raw_item in enumerate(entry.get(key, [])):
                    item_where = f"{where}.{key}[{position}]"
                    with export_entry(item_where, "item"):
                        doc = self._item(raw_item, item_where, event_id, kind == SCHEDULE_DRAFT)
                        add_unique(ids[kind], doc["id"], f"{item_where}.id", "the item id")
                    self.add(kind, doc["id"], doc, event_id, counter)

    def _item(self, raw: Any, where: str, event_id: str, draft: bool) -> dict[str, Any]:
        item = schedule_model.complete_item(check(schedule_model.ITEM_SPEC, raw, where))
        server = check(ITEM_SERVER, raw, where)
        if server.get("eventId", event_id) != event_id:
            raise fail(f"{where}.eventId", f"is {server['eventId']}, but the item is listed "
                       f"in the schedule of event {event_id}", "CUSTOM")
        created, updated = stored_dates(server, self.now)
        return schedule_model.item_document(server.get("id") or new_id(), event_id, item,
                                            draft=draft, created=created, updated=updated)

    # categories --------------------------------------------------------------------------------

    def categories_section(self, raw_categories: list[Any]) -> None:
        ids: set[str] = set()
        names: set[str] = set()
        for index, raw in enumerate(raw_categories):
            where = f"categories[{index}]"
            with export_entry(where, "category"):
                category = check(categories_model.CREATE_SPEC, raw, where)
                categories_model.check_rules(category, where)
                server = check(CATEGORY_SERVER, raw, where)
            category_id = server.get("id") or new_id()
            add_unique(ids, category_id, f"{where}.id", "the category id")
            add_unique(names, category["name"].casefold(), f"{where}.name",
                    "(ignoring case) the category name")
            if "eventIds" in server:
                assigned = server["eventIds"]
                seen: set[str] = set()
                for position, event_id in enumerate(assigned):
                    path = f"{where}.eventIds[{position}]"
                    known_event(self.events, event_id, path)
                    add_unique(seen, event_id, path, "the event")
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
            known_event(self.events, event_id, f"{where}.eventId")
            if event_id in found:
                raise fail(f"{where}.eventId", f"repeats the form of event {event_id}", "CUSTOM")
            found[event_id] = stored_form(entry, where)
        for event_id, (event_where, raw_event) in self.raw_events.items():
            form = found.get(event_id)
            if form is None and isinstance(raw_event.get("form"), dict):
                form = stored_form(raw_event["form"], f"{event_where}.form")
            self.add(FORMS, event_id, form or forms.default_form(), event_id, "forms")


def _event_category_ids(raw_event: dict[str, Any]) -> list[str]:
    """The category ids in a wire event's CATEGORIES fieldset (nothing when it is absent)."""
    fieldset = raw_event.get("categories")
    listed = fieldset.get("categories") if isinstance(fieldset, dict) else None
    if not isinstance(listed, list):
        return []
    return [c["id"] for c in listed if isinstance(c, dict) and isinstance(c.get("id"), str)]

