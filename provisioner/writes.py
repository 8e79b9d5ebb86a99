"""How each kind is written through the API: the calls that create, update, delete and move
one object, publish or discard a draft, and find an object again when the answer to a write
was lost. Each `Writer` is the `writer` of a row in `kinds`; apply calls these hooks and names
no path itself.

Decisions where the Wix notes are unsure:
- Updates send only the top-level fields that changed, whole (Events V3 and Ticket
  Definitions V3 merge the top level and replace each sub-object sent); an event's slug
  travels as `seoSettings.slug`. Policies, schedule items, form controls and categories are
  sent whole (their updates replace the editable fields).
- A top-level field the spec no longer states is sent as its empty value when it is text, a
  number or a flag; Wix cannot clear an object through a merge, so such an update fails with a
  message that says so instead of claiming success.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from . import form_controls
from .client import WixClient
from .errors import ProvisionerError
from .model import ASSIGN, DELETE, UNASSIGN, Action


@dataclass(frozen=True)
class Job:
    """One action with the ids apply resolved for it: the parent event's (made earlier in
    the same apply, or live), the object's own, the revision read at plan time and, for a
    reference by name (a category assignment), the id of what it names."""

    action: Action
    event_id: str | None = None
    id: str | None = None
    revision: str | None = None
    ref_id: str | None = None

    @property
    def body(self) -> dict[str, Any]:
        return dict(self.action.body or {})

    @property
    def name(self) -> str:
        return self.action.key.name

    def need(self, what: str) -> str:
        value = {"event": self.event_id, "id": self.id, "ref": self.ref_id}[what]
        if not value:
            raise ProvisionerError(f"{self.action.address}: no {what} id is known for it")
        return value


Hook = Callable[[WixClient, Job], Awaitable[Any]]
# (client, verb, jobs): one call for many actions of the same verb and batch key
BatchHook = Callable[[WixClient, str, list[Job]], Awaitable[Any]]
BATCH_LIMIT = 100  # ids one batched call takes (assign, unassign, delete schedule items)
# (client, job, member id, the id it goes after (None: first), its index in the collection)
MoveHook = Callable[[WixClient, Job, str, str | None, str | None, int], Awaitable[Any]]


@dataclass(frozen=True)
class Writer:
    """The write hooks of one kind. `create` returns the new object's id; `fetch` returns the
    raw live object (by `job.id`, else by natural key) or None; `revisioned`: updates carry
    the revision read at plan time, so the API refuses one made over a newer edit."""

    create: Hook
    delete: Hook
    fetch: Hook
    update: Hook | None = None
    move: MoveHook | None = None
    publish: Hook | None = None
    cancel: Hook | None = None
    publish_draft: Hook | None = None
    discard_draft: Hook | None = None
    draft_pending: Hook | None = None  # whether the draft differs from what is published
    revisioned: bool = False
    # verbs whose actions sharing `batch_by(action)` go out as one `batch` call
    batched: tuple[str, ...] = ()
    batch_by: Callable[[Action], str] = lambda action: ""
    batch: BatchHook | None = None


def changed_top_level(job: Job) -> dict[str, Any]:
    """The top-level fields an update changes, with their desired values (whole)."""
    body = job.body
    out: dict[str, Any] = {}
    for change in job.action.changes:
        top = change.path.split(".", 1)[0].split("[", 1)[0]
        if top in body:
            out[top] = body[top]
        elif top == "slug":
            continue  # an event's slug travels as seoSettings.slug (see the event writer)
        elif isinstance(change.old, str | bool | int | float):
            out[top] = type(change.old)()  # the empty value clears it
        else:
            raise ProvisionerError(
                f"{job.action.address}: `{top}` cannot be removed through the API (it merges "
                "what is sent); set it in the spec or change it in the Wix dashboard")
    return out


def _one(found: list[dict[str, Any]], job: Job, match: Callable[[dict[str, Any]], bool]
         ) -> dict[str, Any] | None:
    hits = [raw for raw in found if (raw.get("id") == job.id if job.id else match(raw))]
    return hits[0] if hits else None


def _by_name(raw: dict[str, Any], job: Job) -> bool:
    return raw.get("name") == job.name


# --- categories ---------------------------------------------------------------------------

CATEGORIES = "/events/v1/categories"


async def _category_create(client: WixClient, job: Job) -> str:
    return (await client.post(CATEGORIES, {"category": job.body}))["category"]["id"]


async def _category_update(client: WixClient, job: Job) -> None:
    await client.patch(f"{CATEGORIES}/{job.need('id')}", {"category": job.body})


async def _category_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{CATEGORIES}/{job.need('id')}")


async def _category_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    found = await client.query_all(f"{CATEGORIES}/query", {"query": {}}, "categories",
                                   "metaData", style="offset")
    wanted = job.body.get("name", job.name).casefold()
    return _one(found, job, lambda raw: str(raw.get("name", "")).casefold() == wanted)


CATEGORY = Writer(_category_create, _category_delete, _category_fetch,
                  update=_category_update)


# --- events -------------------------------------------------------------------------------

EVENTS = "/events/v3/events"
# the fieldsets every compared event field comes in (live.py adds FORM and CATEGORIES)
EVENT_FIELDS = ["DETAILS", "TEXTS", "REGISTRATION", "SEO_SETTINGS", "AGENDA"]


async def _event_create(client: WixClient, job: Job) -> str:
    # a draft first: its tickets, schedule and form are made before anyone can see it
    return (await client.post(EVENTS, {"event": job.body, "draft": True}))["event"]["id"]


async def _event_update(client: WixClient, job: Job) -> None:
    patch = changed_top_level(job)
    if any(change.path == "slug" for change in job.action.changes):
        patch["seoSettings"] = job.body.get("seoSettings") or {"slug": job.name}
    await client.patch(f"{EVENTS}/{job.need('id')}", {"event": {"id": job.id, **patch}})


async def _event_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{EVENTS}/{job.need('id')}")


async def _event_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    where = {"id": {"$eq": job.id}} if job.id else {"slug": {"$eq": job.name}}
    found = await client.query_all(f"{EVENTS}/query", {"query": {"filter": where},
                                                        "fields": EVENT_FIELDS,
                                                        "includeDrafts": True},
                                   "events", style="offset")
    return found[0] if found else None


async def _event_publish(client: WixClient, job: Job) -> None:
    await client.post(f"{EVENTS}/{job.need('event')}/publish", {})


async def _event_cancel(client: WixClient, job: Job) -> None:
    await client.post(f"{EVENTS}/{job.need('event')}/cancel", {})


EVENT = Writer(_event_create, _event_delete, _event_fetch, update=_event_update,
               publish=_event_publish, cancel=_event_cancel)


# --- ticket definitions and policies: revisioned, queried by event, moved by reference ----


def _revisioned(path: str, wrapper: str, items_key: str, move_keys: tuple[str, str, str],
                whole_update: bool) -> Writer:
    """A kind with revisions, a query by `eventId` and a reorder call taking the moved id and
    one reference (`move_keys`: moved, after, before)."""

    async def create(client: WixClient, job: Job) -> str:
        made = await client.post(path, {wrapper: {**job.body, "eventId": job.need("event")}})
        return made[wrapper]["id"]

    async def update(client: WixClient, job: Job) -> None:
        fields = ({**job.body, "eventId": job.need("event")} if whole_update
                  else changed_top_level(job))
        await client.patch(f"{path}/{job.need('id')}", {wrapper: {
            **fields, "id": job.id, "revision": job.revision}})

    async def delete(client: WixClient, job: Job) -> None:
        await client.delete(f"{path}/{job.need('id')}")

    async def fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
        where: dict[str, Any] = ({"id": {"$eq": job.id}} if job.id else
                                 {"eventId": {"$eq": job.need("event")},
                                  "name": {"$eq": job.body.get("name", job.name)}})
        found = await client.query_all(f"{path}/query", {"query": {"filter": where}},
                                       items_key, "metadata", style="cursor")
        return _one(found, job, lambda raw: True)

    async def move(client: WixClient, job: Job, member: str, after: str | None,
                   before: str | None, index: int) -> None:
        moved, after_key, before_key = move_keys
        reference = {after_key: after} if after else {before_key: before}
        await client.post(f"{path}/reorder", {"eventId": job.need("event"), moved: member,
                                               **reference})

    return Writer(create, delete, fetch, update=update, move=move, revisioned=True)


TICKET = _revisioned("/events/v3/ticket-definitions", "ticketDefinition", "ticketDefinitions",
                     ("ticketDefinitionId", "afterDefinitionId", "beforeDefinitionId"),
                     whole_update=False)
POLICY = _revisioned("/events/v2/policies", "policy", "policies",
                     ("policyId", "afterPolicyId", "beforePolicyId"), whole_update=True)


# --- schedule items (edited in a draft, then published) -----------------------------------

SCHEDULE = "/events/v1/schedule"


async def _item_create(client: WixClient, job: Job) -> str:
    made = await client.post(f"{SCHEDULE}/draft", {"eventId": job.need("event"),
                                                    "item": job.body})
    return made["item"]["id"]


async def _item_update(client: WixClient, job: Job) -> None:
    # no field mask: the draft item is replaced by the desired one as a whole
    await client.patch(f"{SCHEDULE}/draft/{job.need('id')}",
                       {"eventId": job.need("event"), "item": job.body})


async def _item_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{SCHEDULE}/draft/items", {"eventId": job.need("event"),
                                                    "itemIds": [job.need("id")]})


async def _item_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    answer = await client.get(SCHEDULE, {"eventId": job.need("event"), "state": ["DRAFT"],
                                         "paging": {"limit": 100}})
    drafts = [i for i in answer.get("items") or [] if i.get("draft")]
    start = (job.body.get("timeSlot") or {}).get("start")
    return _one(drafts, job, lambda raw: raw.get("name") == job.body.get("name") and (
        (raw.get("timeSlot") or {}).get("start") == start))


async def _schedule_pending(client: WixClient, job: Job) -> bool:
    answer = await client.get(SCHEDULE, {"eventId": job.need("event"), "state": ["DRAFT"],
                                         "paging": {"limit": 1}})
    return bool(answer.get("draftNotPublished"))


async def _schedule_publish(client: WixClient, job: Job) -> None:
    await client.post(f"{SCHEDULE}/publish", {"eventId": job.need("event")})


async def _schedule_discard(client: WixClient, job: Job) -> None:
    await client.delete(f"{SCHEDULE}/draft", {"eventId": job.need("event")})


async def _items_delete(client: WixClient, verb: str, jobs: list[Job]) -> None:
    await client.delete(f"{SCHEDULE}/draft/items", {"eventId": jobs[0].need("event"),
                                                    "itemIds": [j.need("id") for j in jobs]})


SCHEDULE_ITEM = Writer(_item_create, _item_delete, _item_fetch, update=_item_update,
                       publish_draft=_schedule_publish, discard_draft=_schedule_discard,
                       draft_pending=_schedule_pending,
                       batched=(DELETE,), batch_by=lambda action: action.key.event,
                       batch=_items_delete)


# --- the registration form ----------------------------------------------------------------


def _form(job: Job) -> str:
    return f"/events/v1/events/{job.need('event')}/form"


async def _control_create(client: WixClient, job: Job) -> str:
    return str((await client.post(f"{_form(job)}/control", job.body))["id"])


async def _control_update(client: WixClient, job: Job) -> None:
    await client.put(f"{_form(job)}/controls/{job.need('id')}", job.body)


async def _control_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{_form(job)}/controls/{job.need('id')}")


def _control_matcher(job: Job) -> Callable[[dict[str, Any]], bool]:
    def matches(raw: dict[str, Any]) -> bool:
        view = form_controls.spec_view(raw)
        return view is not None and form_controls.identity_name(view) == job.name
    return matches


async def _control_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    form = (await client.get(_form(job))).get("form") or {}
    controls = [c for c in form.get("controls") or [] if not c.get("deleted")]
    return _one(controls, job, _control_matcher(job))


async def _control_move(client: WixClient, job: Job, member: str, after: str | None,
                        before: str | None, index: int) -> None:
    await client.put(f"{_form(job)}/controls/{member}", {"orderIndex": index})


FORM_CONTROL = Writer(_control_create, _control_delete, _control_fetch,
                      update=_control_update, move=_control_move)


async def _messages_update(client: WixClient, job: Job) -> str:
    await client.patch(f"{_form(job)}/messages", {"messages": job.body.get("messages", {})})
    return job.event_id or ""


async def _messages_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    return (await client.get(_form(job))).get("form")


async def _never(client: WixClient, job: Job) -> None:
    raise ProvisionerError(f"{job.action.address}: the form's messages cannot be deleted")


FORM_MESSAGES = Writer(_messages_update, _never, _messages_fetch, update=_messages_update)


# --- category assignments (idempotent: assigning twice changes nothing) -------------------


async def _assign(client: WixClient, job: Job) -> str:
    await client.post(f"{CATEGORIES}/{job.need('ref')}/events",
                      {"eventId": [job.need("event")]})
    return job.ref_id or ""


async def _unassign(client: WixClient, job: Job) -> None:
    await client.delete(f"{CATEGORIES}/{job.need('id')}/events",
                        {"eventId": [job.need("event")]})


async def _assignment_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    """The assignment if the event is in the category (`{"id": category id}`), else None."""
    category = job.ref_id or job.need("id")
    found = await client.query_all(f"{EVENTS}/query", {
        "query": {"filter": {"id": {"$eq": job.need("event")}}}, "fields": ["CATEGORIES"],
        "includeDrafts": True}, "events", style="offset")
    held = ((found[0].get("categories") or {}).get("categories") or []) if found else []
    return {"id": category} if any(c.get("id") == category for c in held) else None


async def _assign_many(client: WixClient, verb: str, jobs: list[Job]) -> None:
    """Every event of `jobs` in (or out of) the one category they name, in one call."""
    events = [job.need("event") for job in jobs]
    if verb == ASSIGN:
        await client.post(f"{CATEGORIES}/{jobs[0].need('ref')}/events", {"eventId": events})
    else:
        await client.delete(f"{CATEGORIES}/{jobs[0].need('id')}/events", {"eventId": events})


CATEGORY_ASSIGNMENT = Writer(_assign, _unassign, _assignment_fetch, batched=(ASSIGN, UNASSIGN),
                             batch_by=lambda action: action.key.name, batch=_assign_many)
