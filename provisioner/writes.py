"""How each kind is written through the API: the `Writer` of hooks that create, update,
delete and move one object, publish or discard a draft, and find an object again when the
answer to a write was lost; here for categories, events and category assignments, in
`writes_children` for the kinds inside an event. Each `Writer` is the `writer` of a row in
`kinds`; apply calls these hooks and names no path itself.

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

from .client import WixClient
from .errors import ProvisionerError
from .model import ASSIGN, CANCEL, UNASSIGN, Action


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
    # whether a fetched object shows a life-cycle verb (publish, cancel) as done
    reached: Callable[[str, dict[str, Any]], bool] | None = None
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


def one_of(found: list[dict[str, Any]], job: Job, match: Callable[[dict[str, Any]], bool]
         ) -> dict[str, Any] | None:
    hits = [raw for raw in found if (raw.get("id") == job.id if job.id else match(raw))]
    return hits[0] if hits else None


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
    return one_of(found, job, lambda raw: str(raw.get("name", "")).casefold() == wanted)


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


def _event_reached(verb: str, raw: dict[str, Any]) -> bool:
    return raw.get("status") == "CANCELED" if verb == CANCEL else raw.get("status") != "DRAFT"


EVENT = Writer(_event_create, _event_delete, _event_fetch, update=_event_update,
               publish=_event_publish, cancel=_event_cancel, reached=_event_reached)


# --- category assignments (idempotent: assigning twice changes nothing) -------------------


async def _assign(client: WixClient, job: Job) -> str:
    await _assign_many(client, ASSIGN, [job])
    return job.ref_id or ""


async def _unassign(client: WixClient, job: Job) -> None:
    await _assign_many(client, UNASSIGN, [job])


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
