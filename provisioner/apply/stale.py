"""Is a saved plan still true? Re-read every object it touches and compare fingerprints.

`footprint(plan)` is the part of a spec the plan stands for (its events, the collections it
changes, the site-level objects it names or refers to), in the shape
`plan.live.live_state` reads; `moved(plan, live)`
names every object whose version is no longer the one the plan was made against (whether
that is the plan's own doing, a plan applied before, is `already`'s question).
"""

from __future__ import annotations

from .. import kinds
from ..model import ABSENT, REMOVALS, Action, Plan, Resource, ResourceKey, State, Verb
from ..plan.fingerprints import collection_fingerprint


def deleted_ids(plan: Plan, collection: tuple[str, str]) -> set[str]:
    return {a.id for a in plan.actions if a.verb in REMOVALS and a.id
            and kinds.collection_of(a.key) == collection}


def footprint(plan: Plan) -> State:
    """What to read to check `plan`: a desired-like state naming its events (with their
    former slugs and ids), the collections it changes and, if it uses any, the categories."""
    state = State()
    container = kinds.CONTAINER.name
    events: dict[str, Resource] = {}
    for action in plan.actions:
        slug = kinds.event_of(action.key)
        is_event = action.key.kind == container
        if slug:
            former = tuple(str(c.old) for c in action.changes if c.path == "slug" and is_event)
            pinned = action.id if is_event else action.parent_id
            known = events.get(slug)
            events[slug] = Resource(ResourceKey(container, "", slug), {},
                                    id=(known.id if known else None) or pinned,
                                    former_names=(known.former_names if known else ()) or former)
            _, kind = kinds.collection_of(action.key)
            if kind != container:
                state.orders[(slug, kind)] = ()
            elif action.verb in REMOVALS:  # what it has sold is read, to judge its delete
                for child in kinds.selling_children(kinds.CONTAINER):
                    state.orders[(slug, child.name)] = ()
        # another site-level kind the plan changes or refers to by name is read whole
        row = kinds.BY_NAME.get(action.key.kind)
        site_level = row.refers_to if row and row.refers_to else (
            row.name if row and row.site_level and row.name != container else None)
        if site_level:
            state.add(Resource(ResourceKey(site_level, "", "*"), {}))
    for resource in events.values():
        state.add(resource)
    state.events = tuple(events)
    return state


def live_object(action: Action, live: State) -> Resource | None:
    """The live object `action` acts on: by its id when the plan knew one, else by its
    address or the name it was found for (an event found by a former slug)."""
    _, kind_name = kinds.collection_of(action.key)
    scope = live.of_kind(kind_name, action.key.event)
    if action.id:
        return next((r for r in scope if r.id == action.id), None)
    return live.resources.get(action.key) or next(
        (r for r in scope if r.facts.found_for == action.key.name), None)


def current(plan: Plan, action: Action, live: State) -> str:
    """The live version of what `action` touches, in the plan's fingerprint terms."""
    slug, kind_name = kinds.collection_of(action.key)
    if action.verb == Verb.REORDER:
        return collection_fingerprint(live, kind_name, slug,
                                      deleted_ids(plan, (slug, kind_name)))
    if kinds.is_draft(action.key):
        draft = live.drafts.get((slug, kind_name))
        return draft.fingerprint if draft else ABSENT
    found = live_object(action, live)
    return (found.fingerprint or ABSENT) if found else ABSENT


def moved(plan: Plan, live: State) -> dict[str, str]:
    """Address -> a sentence saying how, for every object the site changed since the plan was
    made; empty if none."""
    by_address = {action.address: action for action in plan.actions}
    out: dict[str, str] = {}
    for address, expected in plan.fingerprints.items():
        action = by_address.get(address)
        if action is None:
            continue
        now = current(plan, action, live)
        if now == expected:
            continue
        if expected == ABSENT:
            out[address] = f"{address} now exists on the site (the plan would create it)"
        elif now == ABSENT:
            out[address] = f"{address} no longer exists on the site"
        else:
            out[address] = (f"{address} changed on the site since the plan was made "
                            f"({_short(expected)} → {_short(now)})")
    return out


def _short(fingerprint: str) -> str:
    return fingerprint[:19] + "…" if fingerprint.startswith("sha256:") else fingerprint
