"""The ids apply knows while it runs: live ones from the state it read, and the ones it makes
(a new event's id, for its tickets), plus the revisions read at plan time."""

from __future__ import annotations

from .. import kinds
from ..client.errors import ProvisionerError
from ..kinds import Kind
from ..kinds.writer import Job
from ..model import Action, Plan, ResourceKey, State


class Ledger:
    """Ids apply knows: live ones (from the state read) and the ones it makes as it runs."""

    def __init__(self, live: State, plan: Plan) -> None:
        self.ids: dict[str, str] = {}
        for resource in live.resources.values():
            if resource.id:
                self.ids[resource.key.address] = resource.id
                if resource.facts.found_for:  # found under another name (a former slug)
                    wanted = ResourceKey(resource.key.kind, resource.key.event,
                                         resource.facts.found_for)
                    self.ids[wanted.address] = resource.id
        for action in plan.actions:
            if action.id and action.key.name != "*":
                self.ids[action.address] = action.id
        self.revisions = {address: value.split(":", 1)[1]
                          for address, value in plan.fingerprints.items()
                          if value.startswith("revision:")}

    def event_id(self, slug: str) -> str | None:
        return self.ids.get(ResourceKey(kinds.CONTAINER.name, "", slug).address)

    def member_id(self, action: Action, name: str) -> str:
        address = ResourceKey(action.key.kind, action.key.event, name).address
        if address not in self.ids:
            raise ProvisionerError(f"{action.address}: no id is known for {address}")
        return self.ids[address]

    def job(self, action: Action, kind: Kind) -> Job:
        slug = kinds.event_of(action.key)
        if action.key.kind == kinds.CONTAINER.name:
            event_id = action.id or self.event_id(slug)
        else:
            event_id = action.parent_id or (self.event_id(slug) if slug else None)
        ref = None
        if kind.refers_to and action.body:
            ref = self.ids.get(ResourceKey(kind.refers_to, "", str(action.body["name"])).address)
        return Job(action, event_id, action.id or self.ids.get(action.address),
                   self.revisions.get(action.address), ref)
