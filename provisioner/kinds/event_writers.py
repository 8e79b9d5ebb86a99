"""The write hooks of the kinds that live inside an event: ticket definitions and policies
(revisioned, queried by event, moved by reference), schedule items (edited in a draft, then
published) and the registration form (controls and messages). See `writer` for the `Writer`
they fill in; each is the `writer` of a row in `table`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..model import Verb
from . import form_controls
from .writer import Job, Need, Writer, changed_top_level, one_of

if TYPE_CHECKING:  # the client is passed in; importing it would load httpx for
    # commands that only read the table (validate)
    from ..client.http import WixClient


# --- ticket definitions and policies: revisioned, queried by event, moved by reference ----


def _revisioned(path: str, wrapper: str, items_key: str, move_keys: tuple[str, str, str],
                whole_update: bool, fields: tuple[str, ...] = ()) -> Writer:
    """A kind with revisions, a query by `eventId` and a reorder call taking the moved id and
    one reference (`move_keys`: moved, after, before); `fields`: the fieldsets a fetch asks
    for (a ticket definition's sales)."""

    async def create(client: WixClient, job: Job) -> str:
        made = await client.post(path, {wrapper: {**job.body, "eventId": job.need(Need.EVENT)}})
        return made[wrapper]["id"]

    async def update(client: WixClient, job: Job) -> None:
        fields = ({**job.body, "eventId": job.need(Need.EVENT)} if whole_update
                  else changed_top_level(job))
        await client.patch(f"{path}/{job.need(Need.OWN)}", {wrapper: {
            **fields, "id": job.id, "revision": job.revision}})

    async def delete(client: WixClient, job: Job) -> None:
        await client.delete(f"{path}/{job.need(Need.OWN)}")

    async def fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
        where: dict[str, Any] = ({"id": {"$eq": job.id}} if job.id else
                                 {"eventId": {"$eq": job.need(Need.EVENT)},
                                  "name": {"$eq": job.body.get("name", job.name)}})
        found = await client.query_all(f"{path}/query", {"query": {"filter": where},
                                                         **({"fields": list(fields)}
                                                            if fields else {})},
                                       items_key, "metadata", style="cursor")
        return one_of(found, job, lambda raw: True)

    async def move(client: WixClient, job: Job, member: str, after: str | None,
                   before: str | None, index: int) -> None:
        moved, after_key, before_key = move_keys
        reference = {after_key: after} if after else {before_key: before}
        await client.post(f"{path}/reorder", {"eventId": job.need(Need.EVENT), moved: member,
                                               **reference})

    return Writer(fetch, create=create, delete=delete, update=update, move=move,
                  revisioned=True)


TICKET = _revisioned("/events/v3/ticket-definitions", "ticketDefinition", "ticketDefinitions",
                     ("ticketDefinitionId", "afterDefinitionId", "beforeDefinitionId"),
                     whole_update=False, fields=("SALES_DETAILS",))
POLICY = _revisioned("/events/v2/policies", "policy", "policies",
                     ("policyId", "afterPolicyId", "beforePolicyId"), whole_update=True)


# --- an event's ticket currency (ChangeCurrency: every price of the event at once) -------

TICKET_DEFINITIONS = "/events/v3/ticket-definitions"


async def _currency_change(client: WixClient, job: Job) -> str:
    # the amounts stay as they are: 10 USD becomes 10 EUR (the spec states the new prices)
    await client.post(f"{TICKET_DEFINITIONS}/currency", {"eventId": job.need(Need.EVENT),
                                                         "currency": job.body["currency"]})
    return job.event_id or ""


async def _currency_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    found = await client.query_all("/events/v3/events/query", {
        "query": {"filter": {"id": {"$eq": job.need(Need.EVENT)}}}, "fields": ["REGISTRATION"],
        "includeDrafts": True}, "events", style="offset")
    tickets = ((found[0].get("registration") or {}).get("tickets") or {}) if found else {}
    return {"currency": tickets["currency"]} if tickets.get("currency") else None


TICKET_CURRENCY = Writer(_currency_fetch, create=_currency_change, update=_currency_change)


# --- schedule items (edited in a draft, then published) -----------------------------------

SCHEDULE = "/events/v1/schedule"


async def _item_create(client: WixClient, job: Job) -> str:
    made = await client.post(f"{SCHEDULE}/draft", {"eventId": job.need(Need.EVENT),
                                                    "item": job.body})
    return made["item"]["id"]


async def _item_update(client: WixClient, job: Job) -> None:
    # no field mask: the draft item is replaced by the desired one as a whole
    await client.patch(f"{SCHEDULE}/draft/{job.need(Need.OWN)}",
                       {"eventId": job.need(Need.EVENT), "item": job.body})


async def _item_delete(client: WixClient, job: Job) -> None:
    await _items_delete(client, Verb.DELETE, [job])


async def _item_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    answer = await client.get(SCHEDULE, {"eventId": job.need(Need.EVENT), "state": ["DRAFT"],
                                         "paging": {"limit": 100}})
    drafts = [i for i in answer.get("items") or [] if i.get("draft")]
    start = (job.body.get("timeSlot") or {}).get("start")
    return one_of(drafts, job, lambda raw: raw.get("name") == job.body.get("name") and (
        (raw.get("timeSlot") or {}).get("start") == start))


async def _schedule_pending(client: WixClient, job: Job) -> bool:
    answer = await client.get(SCHEDULE, {"eventId": job.need(Need.EVENT), "state": ["DRAFT"],
                                         "paging": {"limit": 1}})
    return bool(answer.get("draftNotPublished"))


async def _schedule_publish(client: WixClient, job: Job) -> None:
    await client.post(f"{SCHEDULE}/publish", {"eventId": job.need(Need.EVENT)})


async def _schedule_discard(client: WixClient, job: Job) -> None:
    await client.delete(f"{SCHEDULE}/draft", {"eventId": job.need(Need.EVENT)})


async def _items_delete(client: WixClient, verb: Verb, jobs: list[Job]) -> None:
    await client.delete(f"{SCHEDULE}/draft/items", {"eventId": jobs[0].need(Need.EVENT),
                                                    "itemIds": [j.need(Need.OWN) for j in jobs]})


SCHEDULE_ITEM = Writer(_item_fetch, create=_item_create, delete=_item_delete, update=_item_update,
                       publish_draft=_schedule_publish, discard_draft=_schedule_discard,
                       draft_pending=_schedule_pending,
                       batched=(Verb.DELETE,), batch_by=lambda action: action.key.event,
                       batch=_items_delete)


# --- the registration form ----------------------------------------------------------------


def _form(job: Job) -> str:
    return f"/events/v1/events/{job.need(Need.EVENT)}/form"


async def _control_create(client: WixClient, job: Job) -> str:
    return str((await client.post(f"{_form(job)}/control", job.body))["id"])


async def _control_update(client: WixClient, job: Job) -> None:
    await client.put(f"{_form(job)}/controls/{job.need(Need.OWN)}", job.body)


async def _control_delete(client: WixClient, job: Job) -> None:
    await client.delete(f"{_form(job)}/controls/{job.need(Need.OWN)}")


def _control_matcher(job: Job) -> Callable[[dict[str, Any]], bool]:
    def matches(raw: dict[str, Any]) -> bool:
        view = form_controls.spec_view(raw)
        return view is not None and form_controls.identity_name(view) == job.name
    return matches


async def _control_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    form = (await client.get(_form(job))).get("form") or {}
    controls = [c for c in form.get("controls") or [] if not c.get("deleted")]
    return one_of(controls, job, _control_matcher(job))


async def _control_move(client: WixClient, job: Job, member: str, after: str | None,
                        before: str | None, index: int) -> None:
    await client.put(f"{_form(job)}/controls/{member}", {"orderIndex": index})


FORM_CONTROL = Writer(_control_fetch, create=_control_create, delete=_control_delete,
                      update=_control_update, move=_control_move)


async def _messages_update(client: WixClient, job: Job) -> str:
    await client.patch(f"{_form(job)}/messages", {"messages": job.body.get("messages", {})})
    return job.event_id or ""


async def _messages_fetch(client: WixClient, job: Job) -> dict[str, Any] | None:
    return (await client.get(_form(job))).get("form")


# the form's messages always exist: "creating" them sets them, and they cannot be deleted
FORM_MESSAGES = Writer(_messages_fetch, create=_messages_update, update=_messages_update)
