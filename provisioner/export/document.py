"""A live `State` as spec objects: each site-level object by its kind's `spec_of` hook, each
child placed at its kind's `section` inside its event, in display order. Written once over the
kinds table; it names no kind.

What a spec cannot hold is never dropped in silence: each such thing is a warning (a field the
spec language does not have, a duplicate the plan would delete, a form control of a kind this
tool does not manage, a schedule whose draft differs from what is published).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import kinds
from ..kinds import Kind
from ..model import Resource, State
from ..plan.normalise import schema_def, undeclared


@dataclass
class Exported:
    """The spec an export writes: categories and events (slug, object) in site order, and the
    warnings about what the spec could not say."""

    categories: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """Everything in one spec document."""
        out: dict[str, Any] = {}
        if self.categories:
            out["categories"] = self.categories
        if self.events:
            out["events"] = [obj for _, obj in self.events]
        return out


def _set(holder: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    *parents, leaf = path
    for part in parents:
        holder = holder.setdefault(part, {})
    holder[leaf] = value


class _Exporter:
    def __init__(self, live: State, pin_ids: bool) -> None:
        self.live = live
        self.pin_ids = pin_ids
        self.out = Exported()

    def warn(self, message: str) -> None:
        self.out.warnings.append(message)

    def object_of(self, kind: Kind, resource: Resource, parent: Resource | None) -> Any:
        obj = kind.spec_of(resource, parent)
        if self.pin_ids and resource.id and isinstance(obj, dict):
            obj["id"] = resource.id
        self.unexpressed(kind, resource)
        return obj

    def unexpressed(self, kind: Kind, resource: Resource) -> None:
        if kind.server_fields is None or resource.raw is None or not kind.schema:
            return
        view = kind.live_view(resource.raw)
        fields = undeclared(view, schema_def(kind.schema), kind.server_fields)
        if fields:
            listed = ", ".join(f"`{name}`" for name in fields)
            self.warn(f"{resource.key.address}: {listed} cannot be written in a spec; left out "
                      "(plan and apply leave it as it is on the site)")

    def members(self, kind: Kind, event: str) -> list[Resource]:
        kept = []
        for resource in self.live.of_kind(kind.name, event):
            if resource.facts.duplicate_of is not None:
                self.warn(f"{resource.key.address}: a second {kind.noun} named "
                          f"{resource.facts.duplicate_of!r} (id {resource.id}); a spec names "
                          "each once, so it is left out, and `plan` will offer to delete it")
                continue
            kept.append(resource)
        return kept

    def run(self) -> Exported:
        for kind in kinds.SITE_KINDS:
            for resource in self.members(kind, ""):
                obj = self.object_of(kind, resource, None)
                children = kinds.children_of(kind)
                for child in children:
                    self.place(child, obj, resource)
                self.unmanaged(children, resource)
                if children:
                    self.out.events.append((resource.key.name, obj))
                else:
                    self.out.categories.append(obj)
        return self.out

    def place(self, kind: Kind, holder: dict[str, Any], parent: Resource) -> None:
        """The live members of `kind` in `parent`, written at `kind.section` of `holder`."""
        slug = parent.key.name
        found = [self.object_of(kind, member, parent) for member in self.members(kind, slug)]
        found = [obj for obj in found if obj is not None]
        draft = self.live.drafts.get((slug, kind.name))
        differs = kind.drafted and draft is not None and draft.differs
        if not found and not differs:
            return  # nothing to list: the section is left out, which leaves it alone
        _set(holder, kind.section, found[0] if kind.partial and found else found)
        if differs:
            _set(holder, kind.draft_flag, False)
            self.warn(f"{parent.key.address}: the {kind.draft_address} has draft edits that are "
                      f"not published; the draft is written, with `"
                      f"{'.'.join(kind.draft_flag)}: false` so a plan does not publish it")

    def unmanaged(self, children: tuple[Kind, ...], parent: Resource) -> None:
        """Members that come with their parent but that no kind manages (a form control of a
        kind this tool does not know)."""
        for kind in children:
            if kind.live_objects is None or parent.raw is None:
                continue
            skipped = [raw for raw in kind.live_objects(parent.raw) if kind.live_view(raw) is None]
            for raw in skipped:
                self.warn(f"{parent.key.address}: a {kind.noun} {raw.get('id', '')!r} of a type "
                          "this tool does not manage cannot be written in a spec; left out "
                          "(plan and apply leave it as it is)")


def export_state(live: State, *, pin_ids: bool = False) -> Exported:
    """The spec objects of everything in `live`, with the warnings about what they leave out."""
    return _Exporter(live, pin_ids).run()
