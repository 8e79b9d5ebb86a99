"""The dependency order of a plan's actions, as a graph: which actions must have applied
before each one may start. Everything else runs concurrently.

The edges, all read from the kinds table (no kind is named here):
- anything within an event waits for the event's own create or update (children need its id,
  and sale periods and schedule slots are checked against its dates);
- creates and updates in a collection wait for its deletes (names and limits are freed);
- creates in an ordered collection run one after another, in plan order, because the API
  places each new member by arrival (so they land in the order the plan expects);
- a reorder waits for every create, update and delete of its collection;
- a reference by name (a category assignment) waits for the create or update of what it names;
- a draft's publish or discard waits for every change to the drafted collection;
- an event's publish and cancel wait for everything else of the event, so nothing is
  published half made.
"""

from __future__ import annotations

from . import kinds
from .model import ASSIGN, CANCEL, CREATE, DELETE, PUBLISH, REORDER, UNASSIGN, UPDATE, Action

CHANGES = (CREATE, UPDATE, DELETE, ASSIGN, UNASSIGN)


def event_of(action: Action) -> str:
    """The slug of the event an action belongs to ("" for site-level kinds)."""
    return action.key.name if action.key.kind == kinds.EVENT.name else action.key.event


def collection_of(action: Action) -> tuple[str, str]:
    """(event slug, member kind); a draft's actions belong to the collection it drafts."""
    drafted = kinds.DRAFTS.get(action.key.kind)
    return event_of(action), drafted.name if drafted else action.key.kind


def dependencies(actions: tuple[Action, ...] | list[Action]) -> list[set[int]]:
    """For each action (by index), the indexes of the actions it waits for."""
    deps: list[set[int]] = [set() for _ in actions]
    own: dict[str, int] = {}  # slug -> the event's create/update
    deletes: dict[tuple[str, str], list[int]] = {}
    changes: dict[tuple[str, str], list[int]] = {}
    last_create: dict[tuple[str, str], int] = {}
    named: dict[tuple[str, str], int] = {}  # (kind, name) -> its create/update, site level
    per_event: dict[str, list[int]] = {}
    for index, action in enumerate(actions):
        kind = kinds.BY_NAME.get(action.key.kind)
        slug, collection = event_of(action), collection_of(action)
        is_event = action.key.kind == kinds.EVENT.name
        if is_event and action.verb in (CREATE, UPDATE):
            own[slug] = index
        elif slug and slug in own:
            deps[index].add(own[slug])
        if kind is not None and kind.parent is None and action.verb in (CREATE, UPDATE):
            named[(kind.name, action.key.name)] = index
        if action.verb in (DELETE, UNASSIGN):
            deletes.setdefault(collection, []).append(index)
        elif action.verb in (CREATE, UPDATE, ASSIGN):
            deps[index].update(deletes.get(collection, ()))
        if action.verb == CREATE and kind is not None and kind.ordered:
            if collection in last_create:
                deps[index].add(last_create[collection])
            last_create[collection] = index
        if kind is not None and kind.refers_to and action.body:
            target = named.get((kind.refers_to, str(action.body.get("name"))))
            if target is not None:
                deps[index].add(target)
        if action.verb == REORDER or action.key.kind in kinds.DRAFTS:
            deps[index].update(changes.get(collection, ()))
        if is_event and action.verb in (PUBLISH, CANCEL):
            deps[index].update(i for i in per_event.get(slug, ()) if i != index)
        if action.verb in CHANGES:
            changes.setdefault(collection, []).append(index)
        per_event.setdefault(slug, []).append(index)
    return deps


def depth(deps: list[set[int]]) -> int:
    """The number of dependency levels: the fewest round trips an apply can take."""
    level: list[int] = []
    for index, waits in enumerate(deps):
        level.append(1 + max((level[d] for d in waits), default=0))
        assert all(d < index for d in waits), "a plan's actions wait only for earlier ones"
    return max(level, default=0)
