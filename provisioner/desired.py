"""A validated spec as the desired `State`: every object it names, shaped for comparison, with
the body apply would send, keyed the way live objects are found (see `kinds`).

Facts the plan needs beyond the objects themselves (each event's wanted `state`, whether its
schedule should be published, which collections the spec lists) go in `State.facts`.
"""

from __future__ import annotations

from typing import Any

from . import kinds
from .kinds import Kind
from .model import Resource, ResourceKey, State
from .normalise import schema_def, shape
from .spec import wire
from .spec.identity import event_slug
from .spec.shapes import mapping


def shaped(kind: Kind, view: Any) -> dict[str, Any]:
    """A view (spec-shaped dict) reduced to its comparable data."""
    data = shape(view, schema_def(kind.schema), kind.rich_keys) or {}
    return {key: value for key, value in data.items() if key not in kind.drop}


def _section(event: dict[str, Any], kind: Kind) -> Any:
    value: Any = event
    for part in kind.section:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _former(obj: Any) -> tuple[str, ...]:
    names = obj.get("renamed_from") if isinstance(obj, dict) else None
    return tuple(str(n) for n in names) if isinstance(names, list) else ()


def _pinned(obj: Any) -> str | None:
    pinned = obj.get("id") if isinstance(obj, dict) else None
    return str(pinned) if pinned else None


def _children(state: State, kind: Kind, event: dict[str, Any], slug: str,
              renamed: dict[str, tuple[str, ...]]) -> None:
    listed = _section(event, kind)
    if listed is None:
        return
    objects = [listed] if kind.partial else list(listed)
    views = [kind.view_of_spec(obj, event) for obj in objects]
    names = kind.names(views)
    for position, (obj, view, name) in enumerate(zip(objects, views, names, strict=True)):
        key = ResourceKey(kind.name, slug, name)
        state.add(Resource(key, shaped(kind, view), body=kind.spec_body(obj, event),
                           id=_pinned(obj), position=position,
                           # a reference by name (a category assignment) follows its target's
                           # renames
                           former_names=_former(obj) if isinstance(obj, dict)
                           else renamed.get(str(obj), ())))
    state.orders[(slug, kind.name)] = tuple(names)


def desired_state(documents: list[dict[str, Any]]) -> State:
    """The desired state of every category and event in the spec's documents (in order)."""
    state = State()
    events: list[str] = []
    renamed = {c["name"]: _former(c) for d in documents for c in d.get("categories") or []}
    for document in documents:
        for position, category in enumerate(document.get("categories") or []):
            key = ResourceKey(kinds.CATEGORY.name, "", category["name"])
            body = kinds.CATEGORY.spec_body(category, {})
            state.add(Resource(key, shaped(kinds.CATEGORY, body), body=body, id=_pinned(category),
                               former_names=_former(category), position=position,
                               info={"existing": bool(category.get("existing"))}))
        for event in document.get("events") or []:
            slug = event_slug(event)
            assert slug is not None, "call only on a validated spec"
            body = kinds.EVENT.spec_body(event, event)
            key = ResourceKey(kinds.EVENT.name, "", slug)
            schedule = mapping(event.get("schedule"))
            state.add(Resource(
                key, shaped(kinds.EVENT, body), body=body, id=_pinned(event),
                former_names=_former(event), position=len(events),
                info={"state": wire.event_state(event),
                      "schedule_published": schedule.get("published", True)}))
            events.append(slug)
            for kind in kinds.CHILD_KINDS:
                _children(state, kind, event, slug, renamed)
    state.facts["events"] = tuple(events)
    return state
