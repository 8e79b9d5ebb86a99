"""A validated spec as the desired `State`: every object it names, shaped for comparison, with
the body apply would send, keyed the way live objects are found. Written once over the kinds
table: each site-level kind's section of a document, then each child kind's section of every
object that holds children (an event).

What the plan decides by beyond the objects' data (an event's wanted life-cycle state, a
category made outside this tool, an event or category to delete) is each resource's `Facts`;
the children of an object to delete are left out (they go with it); whether a drafted
collection's edits are to be published is `State.drafts`; which collections the spec lists
is `State.orders`.
"""

from __future__ import annotations

from typing import Any

from .. import kinds
from ..kinds import Kind
from ..model import Draft, Resource, ResourceKey, State
from ..spec.rules import DELETED
from ..spec.shapes import mapping
from .normalise import schema_def, shape


def shaped(kind: Kind, view: Any) -> dict[str, Any]:
    """A view (spec-shaped dict) reduced to its comparable data: what its schema entry
    declares (any key for a kind without one), less its `drop` keys and the fields a child
    kind compares instead (`in_parent_data`)."""
    node = schema_def(kind.schema) if kind.schema else {}
    data = shape(view, node, kind.rich_keys) or {}
    data = {key: value for key, value in data.items() if key not in kind.drop}
    for child in kinds.children_of(kind):
        if child.in_parent_data:
            data = without(data, child.section)
    return data


def without(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """`data` less the value at `path`, and less any holder that leaves empty (a copy: `data`
    is not changed)."""
    head, *rest = path
    if head not in data:
        return data
    if not rest:
        return {k: v for k, v in data.items() if k != head}
    inner = data[head]
    if not isinstance(inner, dict):
        return data
    kept = without(inner, tuple(rest))
    return {k: kept if k == head else v for k, v in data.items() if k != head or kept}


def _former(obj: Any) -> tuple[str, ...]:
    names = obj.get("renamed_from") if isinstance(obj, dict) else None
    return tuple(str(n) for n in names) if isinstance(names, list) else ()


def _pinned(obj: Any) -> str | None:
    pinned = obj.get("id") if isinstance(obj, dict) else None
    return str(pinned) if pinned else None


class _Desired:
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents
        self.state = State()
        self.positions: dict[str, int] = {}  # site-level kind -> objects so far
        # site-level kind -> name -> its former names, for references by name
        self.renamed: dict[str, dict[str, tuple[str, ...]]] = {
            kind.name: {str(kind.name_of(kind.view_of_spec(obj, obj))): _former(obj)
                        for document in documents
                        for obj in kinds.section_of(document, kind) or []}
            for kind in kinds.SITE_KINDS if any(k.refers_to == kind.name for k in kinds.KINDS)}

    def build(self) -> State:
        for document in self.documents:
            for kind in kinds.SITE_KINDS:
                for obj in kinds.section_of(document, kind) or []:
                    self.site_object(kind, obj)
        return self.state

    def site_object(self, kind: Kind, obj: dict[str, Any]) -> None:
        body = kind.spec_body(obj, obj)
        name = str(kind.name_of(kind.view_of_spec(obj, obj)))
        position = self.positions.get(kind.name, 0)
        self.positions[kind.name] = position + 1
        self.state.add(Resource(ResourceKey(kind.name, "", name), shaped(kind, body),
                                body=body, id=_pinned(obj), former_names=_former(obj),
                                position=position, facts=kind.spec_facts(obj)))
        children = kinds.children_of(kind)
        if not children:
            return
        self.state.events += (name,)
        if self.state.resources[ResourceKey(kind.name, "", name)].facts.lifecycle == DELETED:
            # its children go with it; those whose sales make deleting it risky are read
            for child in kinds.selling_children(kind):
                self.state.orders[(name, child.name)] = ()
            return
        for child in children:
            self.children(child, obj, name)

    def children(self, kind: Kind, parent: dict[str, Any], slug: str) -> None:
        listed = kinds.section_of(parent, kind)
        if listed is None:
            return  # an omitted collection is left alone
        objects = [listed] if kind.partial else list(listed)
        views = [kind.view_of_spec(obj, parent) for obj in objects]
        names = kind.names(views)
        renamed = self.renamed.get(kind.refers_to or "", {})
        for position, (obj, view, name) in enumerate(zip(objects, views, names, strict=True)):
            self.state.add(Resource(
                ResourceKey(kind.name, slug, name), shaped(kind, view),
                body=kind.spec_body(obj, parent), id=_pinned(obj), position=position,
                # a reference by name (a category assignment) follows its target's renames
                former_names=_former(obj) if isinstance(obj, dict)
                else renamed.get(str(obj), ())))
        self.state.orders[(slug, kind.name)] = tuple(names)
        if kind.drafted:
            flag: Any = parent
            for part in kind.draft_flag:
                flag = mapping(flag).get(part, True)
            self.state.drafts[(slug, kind.name)] = Draft(publish=flag is not False)


def desired_state(documents: list[dict[str, Any]]) -> State:
    """The desired state of every object the spec's documents (in order) name."""
    return _Desired(documents).build()
