"""Who else wrote? Objects another writer made or changed on the site while an apply ran.

The Wix API has no lock, so two pipelines, a script or the dashboard can write to a site in
the middle of an apply. Apply's closing check reads the site again; this module compares that
read with the one the apply started from and with what the apply itself did:

- an object with an id the apply neither read nor made was made by someone else;
- an object the apply did not touch whose version moved was changed by someone else;

and reports those among what still makes the site differ from the spec. Only
  versions that move on an edit of the object itself count here (a revision, or a hash of the
  compared content); an `updatedDate` also moves when the API touches an object on the side
  (an event when its children change, a schedule item when its draft is published), so
  objects versioned that way are judged by their content instead.
"""

from __future__ import annotations

from ..model import Plan, Resource, ResourceKey, State
from ..plan.normalise import digest
from .report import Report


def _version(resource: Resource) -> str:
    fingerprint = resource.fingerprint or ""
    return fingerprint if fingerprint.startswith("revision:") else digest(resource.data)


def outside_changes(before: State, after: State, plan: Plan, report: Report, again: Plan
                    ) -> list[str]:
    """One sentence per object another writer made or changed during the apply, among
    those that make the site still differ from the spec (`again`: the plan made from
    `after`)."""
    differing = {a.address for a in again.actions}
    # a copy to delete differs because of the copy it duplicates too, whichever writer made
    # which
    differing |= {ResourceKey(r.key.kind, r.key.event, r.facts.duplicate_of).address
                  for r in after.resources.values()
                  if r.facts.duplicate_of and r.key.address in differing}
    return [line for address, line in _made_or_changed(before, after, plan, report).items()
            if address in differing]


def _made_or_changed(before: State, after: State, plan: Plan, report: Report
                     ) -> dict[str, str]:
    ours = {a.id for a in plan.actions if a.id} | {o.id for o in report.outcomes if o.id}
    known = {r.id: r for r in before.resources.values() if r.id}
    out: dict[str, str] = {}
    for resource in sorted(after.resources.values(), key=lambda r: r.key):
        if not resource.id or resource.id in ours:
            continue
        earlier, address = known.get(resource.id), resource.key.address
        if earlier is None:
            out[address] = f"{address} was made by another writer"
        elif _version(earlier) != _version(resource):
            out[address] = f"{address} was changed by another writer"
    return out
