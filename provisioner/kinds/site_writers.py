"""The writers of the site-level kinds and of what refers to them: categories, events (with
their life cycle: publish, cancel) and category assignments. See `writer` for the `Writer`
they fill in; each is the `writer` of a row in `table`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model import Verb
from .writer import Job, Need, Writer, changed_top_level, one_of

if TYPE_CHECKING:  # the client is passed in; importing it would load httpx for
    # commands that only read the table (validate)
    from ..client.http import WixClient


# --- categories ---------------------------------------------------------------------------

CATEGORIES = "/events/v1/categories"


async def _category_create(client: WixClient, job: Job) -> str:
    return (await client.post(CATEGORIES, {"category": job.body}))["category"]["id"]


async def _category_update(client: WixClient, job: Job) -> None:
    await client.patch(f"{CATEGORIES}/{job.need(Need.OWN)}", {"category": job.body})


async def _category_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{CATEGORIES}/{job.need(Need.OWN)}")


async def _category_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    found = await client.query_all(f"{CATEGORIES}/query", {"query": {}}, "categories",
                                   "metaData", style="offset")
    wanted = job.body.get("name", job.name).casefold()
    return one_of(found, job, lambda raw: str(raw.get("name", "")).casefold() == wanted)


CATEGORY = Writer(_category_fetch, create=_category_create, delete=_category_delete,
                  update=_category_update)


# --- events -------------------------------------------------------------------------------

EVENTS = "/events/v3/events"
# the fieldsets every compared event field comes in (the live read adds FORM and CATEGORIES)
EVENT_FIELDS = ["DETAILS", "TEXTS", "REGISTRATION", "SEO_SETTINGS", "AGENDA"]


async def _event_create(client: WixClient, job: Job) -> str:
    # a draft first: its tickets, schedule and form are made before anyone can see it
    return (await client.post(EVENTS, {"event": job.body, "draft": True}))["event"]["id"]


async def _event_update(client: WixClient, job: Job) -> None:
    # the body carries no ticket currency (it moves with ChangeCurrency, see the plan's
    # update bodies); PATCH merges `registration.tickets`, so the live one stays
    patch = changed_top_level(job)
    if any(change.path == "slug" for change in job.action.changes):
        patch["seoSettings"] = job.body.get("seoSettings") or {"slug": job.name}
    await client.patch(f"{EVENTS}/{job.need(Need.OWN)}", {"event": {"id": job.id, **patch}})


async def _event_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{EVENTS}/{job.need(Need.OWN)}")


async def _event_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    where = {"id": {"$eq": job.id}} if job.id else {"slug": {"$eq": job.name}}
    found = await client.query_all(f"{EVENTS}/query", {"query": {"filter": where},
                                                        "fields": EVENT_FIELDS,
                                                        "includeDrafts": True},
                                   "events", style="offset")
    return found[0] if found else None


async def _event_publish(client: WixClient, job: Job) -> None:
    await client.post(f"{EVENTS}/{job.need(Need.EVENT)}/publish", {})


async def _event_cancel(client: WixClient, job: Job) -> None:
    await client.post(f"{EVENTS}/{job.need(Need.EVENT)}/cancel", {})


def _event_reached(verb: Verb, raw: dict[str, Any]) -> bool:
    return raw.get("status") == "CANCELED" if verb == Verb.CANCEL else raw.get("status") != "DRAFT"


EVENT = Writer(_event_fetch, create=_event_create, update=_event_update, delete=_event_delete,
               publish=_event_publish, cancel=_event_cancel, reached=_event_reached)


# --- category assignments (idempotent: assigning twice changes nothing) -------------------


async def _assign(client: WixClient, job: Job) -> str:
    await _assign_many(client, Verb.ASSIGN, [job])
    return job.ref_id or ""


async def _unassign(client: WixClient, job: Job) -> None:
    await _assign_many(client, Verb.UNASSIGN, [job])


async def _assignment_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    """The assignment if the event is in the category (`{"id": category id}`), else None."""
    category = job.ref_id or job.need(Need.OWN)
    found = await client.query_all(f"{EVENTS}/query", {
        "query": {"filter": {"id": {"$eq": job.need(Need.EVENT)}}}, "fields": ["CATEGORIES"],
        "includeDrafts": True}, "events", style="offset")
    held = ((found[0].get("categories") or {}).get("categories") or []) if found else []
    return {"id": category} if any(c.get("id") == category for c in held) else None


async def _assign_many(client: WixClient, verb: Verb, jobs: list[Job]) -> None:
    """Every event of `jobs` in (or out of) the one category they name, in one call."""
    events = [job.need(Need.EVENT) for job in jobs]
    if verb == Verb.ASSIGN:
        await client.post(f"{CATEGORIES}/{jobs[0].need(Need.REF)}/events", {"eventId": events})
    else:
        await client.delete(f"{CATEGORIES}/{jobs[0].need(Need.OWN)}/events", {"eventId": events})


CATEGORY_ASSIGNMENT = Writer(_assignment_fetch, create=_assign, delete=_unassign,
                             batched=(Verb.ASSIGN, Verb.UNASSIGN),
                             batch_by=lambda action: action.key.name, batch=_assign_many)
