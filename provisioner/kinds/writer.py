"""What a kind's writer is: the `Writer` of hooks that create, update, delete and move one
object, publish or discard a draft, and find an object again when the answer to a write was
lost; the `Job` (an action with the ids apply resolved) each hook gets; and the helpers the
writers share. Which verbs a kind can do is read off its writer (`Kind.capabilities`).

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
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..client.errors import ProvisionerError
from ..model import Action, Verb

if TYPE_CHECKING:  # hooks are given a client; importing it here would load httpx for
    # commands that only read the table (validate)
    from ..client.http import WixClient


class Need(StrEnum):
    """An id a hook may need from its job."""

    EVENT = "event"  # the parent event's
    OWN = "id"  # the object's own
    REF = "ref"  # what a reference by name points at (a category assignment's category)


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

    def need(self, what: Need) -> str:
        value = {Need.EVENT: self.event_id, Need.OWN: self.id, Need.REF: self.ref_id}[what]
        if not value:
            raise ProvisionerError(f"{self.action.address}: no {what} id is known for it")
        return value


Hook = Callable[["WixClient", Job], Awaitable[Any]]
# (client, verb, jobs): one call for many actions of the same verb and batch key
BatchHook = Callable[["WixClient", Verb, list[Job]], Awaitable[Any]]
BATCH_LIMIT = 100  # ids one batched call takes (assign, unassign, delete schedule items)
# (client, job, member id, the id it goes after (None: first), the id it goes before, its
# index in the collection)
MoveHook = Callable[["WixClient", Job, str, str | None, str | None, int], Awaitable[Any]]


@dataclass(frozen=True)
class Writer:
    """The write hooks of one kind; a hook left out is a verb the kind cannot do. `create`
    returns the new object's id; `fetch` returns the raw live object (by `job.id`, else by
    natural key) or None; `revisioned`: updates carry the revision read at plan time, so the
    API refuses one made over a newer edit."""

    fetch: Hook
    create: Hook | None = None
    delete: Hook | None = None
    update: Hook | None = None
    move: MoveHook | None = None
    publish: Hook | None = None
    cancel: Hook | None = None
    publish_draft: Hook | None = None
    discard_draft: Hook | None = None
    draft_pending: Hook | None = None  # whether the draft differs from what is published
    # whether a fetched object shows a life-cycle verb (publish, cancel) as done
    reached: Callable[[Verb, dict[str, Any]], bool] | None = None
    revisioned: bool = False
    # verbs whose actions sharing `batch_by(action)` go out as one `batch` call
    batched: tuple[Verb, ...] = ()
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
    """The object `job` is about among `found`: by its id when known, else the first match."""
    hits = [raw for raw in found if (raw.get("id") == job.id if job.id else match(raw))]
    return hits[0] if hits else None
