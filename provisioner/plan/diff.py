"""Desired against live: which objects pair up, and exactly which fields differ.

Pairing, within one collection (a kind within one event, or a site-level kind):
1. an `id` pin;
2. the same name (schedule items sharing a name: the same name and start);
3. a schedule item whose name is unique among the unpaired on both sides, whatever its start
   (so moving a talk is an update, not a delete and a create);
4. a `renamed_from` name.

Field changes come from deepdiff over the normalised data (see `normalise`). A list of plain
values (tags, options) and a rich-content field are reported whole, since an element-by-element
account of them helps nobody; a list of objects (pricing options) is reported per element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from ..kinds import Kind
from ..model import Change, Resource
from ..spec.richtext import to_plain


@dataclass(frozen=True)
class Pair:
    """A desired object and its live counterpart; either may be missing."""

    desired: Resource | None
    live: Resource | None
    changes: tuple[Change, ...] = ()


def _base(name: str) -> str:
    return name.split(" @ ", 1)[0]


def match(kind: Kind, desired: list[Resource], live: list[Resource]) -> list[Pair]:
    """Pair one collection's desired and live members; unpaired ones come back alone."""
    pairs: dict[int, Resource] = {}  # index into desired -> live
    free = list(live)

    def take(index: int, found: Resource | None) -> None:
        if found is not None and index not in pairs:
            pairs[index] = found
            free.remove(found)

    for index, wanted in enumerate(desired):
        if wanted.id:
            take(index, next((r for r in free if r.id == wanted.id), None))
    for index, wanted in enumerate(desired):
        take(index, next((r for r in free if r.key.name == wanted.key.name), None))
    if kind.tiebreak is not None:
        for index, wanted in enumerate(desired):
            base = _base(wanted.key.name)
            same = [r for r in free if _base(r.key.name) == base]
            rivals = [d for i, d in enumerate(desired)
                      if i not in pairs and _base(d.key.name) == base]
            if len(same) == 1 and len(rivals) == 1:
                take(index, same[0])
    for index, wanted in enumerate(desired):
        for former in wanted.former_names:
            take(index, next((r for r in free if _base(r.key.name) == former
                              or r.key.name == former), None))
    out = [Pair(wanted, pairs.get(index)) for index, wanted in enumerate(desired)]
    return out + [Pair(None, r) for r in free]


def _restricted(live: Any, desired: Any) -> Any:
    """`live` cut down to the keys `desired` states (for partially managed kinds)."""
    if isinstance(live, dict) and isinstance(desired, dict):
        return {k: _restricted(live[k], desired[k]) for k in desired if k in live}
    return live


def _path_text(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _get(value: Any, parts: list[Any]) -> Any:
    for part in parts:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _reported_at(parts: list[Any], old: Any, new: Any, rich_keys: tuple[str, ...]) -> list[Any]:
    """Where a difference is reported: whole rich fields and whole lists of plain values."""
    if parts and parts[0] in rich_keys:
        return parts[:1]
    for depth, part in enumerate(parts):
        if isinstance(part, int):
            holders = (_get(old, parts[:depth]), _get(new, parts[:depth]))
            plain = all(not isinstance(x, dict | list) for h in holders if isinstance(h, list)
                        for x in h)
            if plain:
                return parts[:depth]
    return parts


def field_changes(kind: Kind, desired: dict[str, Any], live: dict[str, Any]
                  ) -> tuple[Change, ...]:
    """Every field that differs, as (path, live value, desired value); None is absent."""
    if kind.partial:
        live = _restricted(live, desired)
    if live == desired:
        return ()
    diff = DeepDiff(live, desired, view="tree", ignore_order=False)
    paths: dict[str, list[Any]] = {}
    for leaves in diff.values():
        for leaf in leaves:
            parts = _reported_at(leaf.path(output_format="list"), live, desired, kind.rich_keys)
            paths.setdefault(_path_text(parts), parts)
    changes = []
    for text, parts in sorted(paths.items()):
        old, new = _get(live, parts), _get(desired, parts)
        if parts and parts[0] in kind.rich_keys:
            old, new = (to_plain(v) if isinstance(v, dict) else v for v in (old, new))
        changes.append(Change(text, old, new))
    return tuple(changes)


def compare(kind: Kind, desired: list[Resource], live: list[Resource]) -> list[Pair]:
    """`match`, with each pair's field changes filled in."""
    out = []
    for pair in match(kind, desired, live):
        if pair.desired is not None and pair.live is not None:
            changes = field_changes(kind, pair.desired.data, pair.live.data)
            pair = Pair(pair.desired, pair.live, changes)
        out.append(pair)
    return out
