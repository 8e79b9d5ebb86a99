"""The dependency order of a plan's actions, as a graph: which actions must have applied
before each one may start. Everything else runs concurrently.

Each rule is one function below, named for what it says; each reads the kinds table and
names no kind, and each looks at the whole plan, so an edge does not depend on where the
plan's sort put an action (only "creates arrive in plan order" uses the order, because the
order is what it preserves):

- `wait_for_parent`: anything inside an event waits for the event's own create or update
  (children need its id; sale periods and schedule slots are checked against its dates);
- `write_after_removal`: creates, updates and assignments in a collection wait for its
  deletes and unassignments (names and limits are freed);
- `creates_in_arrival_order`: creates in an ordered collection run one after another, in
  plan order, because the API places each new member by arrival;
- `reorder_after_changes`: a reorder waits for every change of its collection;
- `reference_after_target`: a reference by name (a category assignment) waits for the
  create or update of what it names;
- `draft_after_changes`: a draft's publish or discard waits for every change to the
  drafted collection;
- `writes_after_revision_bump`: creates and updates of a kind wait for a change in the same
  event that gives each of its members a new revision (a currency change rewrites every
  ticket definition's prices), so they are sent with the new revision and the new currency;
- `life_cycle_last`: an event's publish and cancel wait for everything else of the event
  (but its own removal), so nothing is published half made;
- `removal_last`: an event's delete waits for everything else of the event (a cancel
  first), and a category's delete for every action naming it.

A plan whose rules wait in a circle (only a hand-edited plan file can) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from .. import kinds
from ..client.errors import ProvisionerError
from ..model import REMOVALS, Action, Verb

Edges = Iterator[tuple[int, int]]  # (the action that waits, the action it waits for)
Rule = Callable[[Sequence[Action]], Edges]

CHANGES = (Verb.CREATE, Verb.UPDATE, Verb.DELETE, Verb.ASSIGN, Verb.UNASSIGN)
WRITES = (Verb.CREATE, Verb.UPDATE, Verb.ASSIGN)
LIFE_CYCLE = (Verb.PUBLISH, Verb.CANCEL)


def _is_parent(action: Action) -> bool:
    kind = kinds.BY_NAME.get(action.key.kind)
    return kind is not None and bool(kinds.children_of(kind))


def _made(action: Action) -> bool:
    return action.verb in (Verb.CREATE, Verb.UPDATE)


def _indexes(actions: Sequence[Action], keep: Callable[[Action], bool],
             key: Callable[[Action], object]) -> dict[object, list[int]]:
    found: dict[object, list[int]] = {}
    for index, action in enumerate(actions):
        if keep(action):
            found.setdefault(key(action), []).append(index)
    return found


def _collection(action: Action) -> tuple[str, str]:
    return kinds.collection_of(action.key)


def _event(action: Action) -> str:
    return kinds.event_of(action.key)


def wait_for_parent(actions: Sequence[Action]) -> Edges:
    parents = _indexes(actions, lambda a: _is_parent(a) and _made(a), _event)
    for index, action in enumerate(actions):
        if not _is_parent(action) and _event(action):
            for parent in parents.get(_event(action), ()):
                yield index, parent


def write_after_removal(actions: Sequence[Action]) -> Edges:
    removals = _indexes(actions, lambda a: a.verb in REMOVALS, _collection)
    for index, action in enumerate(actions):
        if action.verb in WRITES:
            for removal in removals.get(_collection(action), ()):
                yield index, removal


def creates_in_arrival_order(actions: Sequence[Action]) -> Edges:
    def ordered_create(action: Action) -> bool:
        kind = kinds.BY_NAME.get(action.key.kind)
        return action.verb == Verb.CREATE and kind is not None and kind.ordered

    for chain in _indexes(actions, ordered_create, _collection).values():
        yield from zip(chain[1:], chain[:-1], strict=True)


def reorder_after_changes(actions: Sequence[Action]) -> Edges:
    changes = _indexes(actions, lambda a: a.verb in CHANGES, _collection)
    for index, action in enumerate(actions):
        if action.verb == Verb.REORDER:
            for change in changes.get(_collection(action), ()):
                yield index, change


def reference_after_target(actions: Sequence[Action]) -> Edges:
    targets = _indexes(actions, lambda a: _made(a) and kinds.BY_NAME.get(a.key.kind) in
                       kinds.SITE_KINDS, lambda a: (a.key.kind, a.key.name))
    for index, action in enumerate(actions):
        kind = kinds.BY_NAME.get(action.key.kind)
        if kind is not None and kind.refers_to and action.body:
            for target in targets.get((kind.refers_to, str(action.body.get("name"))), ()):
                yield index, target


def draft_after_changes(actions: Sequence[Action]) -> Edges:
    changes = _indexes(actions, lambda a: a.verb in CHANGES, _collection)
    for index, action in enumerate(actions):
        if kinds.is_draft(action.key):
            for change in changes.get(_collection(action), ()):
                yield index, change


def writes_after_revision_bump(actions: Sequence[Action]) -> Edges:
    def bumping(action: Action) -> bool:
        kind = kinds.BY_NAME.get(action.key.kind)
        return kind is not None and kind.bumps is not None

    bumps = _indexes(actions, bumping, lambda a: (_event(a), kinds.BY_NAME[a.key.kind].bumps))
    for index, action in enumerate(actions):
        if _made(action):
            for bump in bumps.get((_event(action), action.key.kind), ()):
                yield index, bump


def _site_removal(action: Action) -> bool:
    kind = kinds.BY_NAME.get(action.key.kind)
    return kind is not None and kind.site_level and action.verb in REMOVALS


def life_cycle_last(actions: Sequence[Action]) -> Edges:
    per_event = _indexes(actions, lambda a: bool(_event(a)) and not _site_removal(a), _event)
    for index, action in enumerate(actions):
        if _is_parent(action) and action.verb in LIFE_CYCLE:
            for other in per_event.get(_event(action), ()):
                if other != index:
                    yield index, other


def removal_last(actions: Sequence[Action]) -> Edges:
    per_event = _indexes(actions, lambda a: bool(_event(a)), _event)
    naming: dict[tuple[str, str], list[int]] = {}  # (kind named, name) -> actions naming it
    for index, action in enumerate(actions):
        kind = kinds.BY_NAME.get(action.key.kind)
        if kind is not None and kind.refers_to:
            naming.setdefault((kind.refers_to, action.key.name), []).append(index)
    for index, action in enumerate(actions):
        if not _site_removal(action):
            continue
        others = per_event.get(_event(action), []) if _is_parent(action) else []
        others = [*others, *naming.get((action.key.kind, action.key.name), [])]
        yield from ((index, other) for other in others if other != index)


RULES: tuple[Rule, ...] = (wait_for_parent, write_after_removal, creates_in_arrival_order,
                           reorder_after_changes, reference_after_target, draft_after_changes,
                           writes_after_revision_bump, life_cycle_last, removal_last)


def dependencies(actions: Sequence[Action]) -> list[set[int]]:
    """For each action (by index), the indexes of the actions it waits for. Raises
    `ProvisionerError` when the actions wait for each other in a circle."""
    deps: list[set[int]] = [set() for _ in actions]
    for rule in RULES:
        for waiter, waited in rule(actions):
            deps[waiter].add(waited)
    levels(actions, deps)
    return deps


def levels(actions: Sequence[Action], deps: list[set[int]]) -> list[int]:
    """Each action's dependency level (1: waits for nothing); refuses a circle."""
    level: list[int] = [0] * len(deps)
    for start in range(len(deps)):
        stack: list[tuple[int, bool]] = [(start, False)]
        path: set[int] = set()
        while stack:
            index, expanded = stack.pop()
            if expanded:
                path.discard(index)
                level[index] = 1 + max((level[d] for d in deps[index]), default=0)
                continue
            if level[index]:
                continue
            if index in path:
                at = (f", at {actions[index].verb} {actions[index].address}"
                      if index < len(actions) else "")
                raise ProvisionerError(
                    f"the plan's actions wait for each other in a circle{at}; make a new plan "
                    "with `provisioner plan --out FILE`")
            path.add(index)
            stack.append((index, True))
            stack.extend((d, False) for d in deps[index] if not level[d])
    return level


def depth(deps: list[set[int]]) -> int:
    """The number of dependency levels: the fewest round trips an apply can take."""
    return max(levels([], deps), default=0) if deps else 0
