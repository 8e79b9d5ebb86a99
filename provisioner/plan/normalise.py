"""Bring a desired body and a live object to one comparable shape, so that equal means equal.

The rules, applied the same way to both sides:

- **Only writable fields.** A value is walked alongside the spec's JSON Schema and keeps only
  the keys the schema declares, so everything Wix fills in (`formattedAddress`, `revision`,
  `salesDetails`, `pricingType`, `optionId`, ...) drops out without a list to maintain.
- **Defaults are absence.** Wix leaves default values out of its JSON (proto3), so `false`,
  `0`, `""`, `[]` and `{}` read as absent, and so does any value equal to the schema's
  documented `default` (`location.type: VENUE`, `ticketLimitPerOrder: 20`, ...).
- **Timestamps are instants.** `2025-06-15T09:00:00-07:00` and `2025-06-15T16:00:00.000Z`
  are the same time and normalise to the latter.
- **Money is a decimal.** `{value: "299", currency: USD}` equals `{value: "299.00", ...}`.
- **Rich content keeps its text and structure**, not the node ids and metadata an editor adds.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..spec.richtext import rich
from ..spec.schema import load_schema
from ..spec.times import instant

_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$")
_CENT = Decimal("0.01")
_NO_DEFAULT = object()


def schema_def(name: str) -> dict[str, Any]:
    return load_schema()["$defs"][name]


def resolve_node(node: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its `$ref`s followed."""
    while "$ref" in node:
        node = load_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def declared_properties(node: dict[str, Any]) -> dict[str, Any] | None:
    """The properties an object node declares (merging oneOf/anyOf branches), or None for a
    free-form object whose keys are all kept."""
    node = resolve_node(node)
    props: dict[str, Any] = dict(node.get("properties") or {})
    for branch in node.get("oneOf", []) + node.get("anyOf", []):
        props.update(declared_properties(branch) or {})
    return props or None


def decimal_text(text: str) -> str:
    """A decimal amount in one spelling: cents when it has no finer part ("299.00")."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return text
    if amount == amount.quantize(_CENT):
        return str(amount.quantize(_CENT))
    return format(amount.normalize(), "f")


def is_empty(value: Any) -> bool:
    """Proto3's default values, which Wix leaves out of its JSON."""
    return value is None or value is False or (value == 0 and not isinstance(value, bool)) \
        or value in ("", [], {})


def scalar(value: Any) -> Any:
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            return instant(value)
        except ValueError:
            return value
    return value


def shape(value: Any, node: dict[str, Any], rich_keys: tuple[str, ...] = ()) -> Any:
    """`value` reduced to what `node` (a schema node) declares, with the rules above.
    Returns None when nothing is left (the value is all defaults)."""
    return _shape(value, _compiled(node), rich_keys)


class _Node:
    """A schema node as `shape` walks it, worked out once: its declared properties (None for
    a free-form object), its items' node and its default. Sub-nodes are worked out when the
    node is first walked, one level at a time, so a schema that refers to itself is fine."""

    __slots__ = ("default", "items", "money", "props", "source", "subs")

    def __init__(self, node: dict[str, Any]) -> None:
        self.source = node  # kept, so its id is never reused while cached
        resolved = resolve_node(node)
        self.props = declared_properties(resolved)
        self.items: dict[str, Any] = resolved.get("items", _EMPTY)
        self.default = resolved.get("default", _NO_DEFAULT)
        self.money = self.props is not None and "value" in self.props
        self.subs: dict[str, _Node] | None = None

    def walked(self) -> dict[str, _Node]:
        """The declared properties' nodes (none for a free-form object)."""
        if self.subs is None:
            self.subs = {key: _compiled(sub) for key, sub in (self.props or {}).items()}
        return self.subs


_EMPTY: dict[str, Any] = {}
_NODES: dict[int, _Node] = {}
_MONEY_KEYS = frozenset({"value", "currency", "formattedValue"})


def _compiled(node: dict[str, Any]) -> _Node:
    if not node:
        node = _EMPTY  # one entry for every empty node, however it was made
    found = _NODES.get(id(node))
    if found is None or found.source is not node:
        found = _NODES[id(node)] = _Node(node)
    return found


def _shape(value: Any, node: _Node, rich_keys: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        props = node.props
        subs = node.subs if node.subs is not None else node.walked()
        if node.money and "value" in value and value.keys() <= _MONEY_KEYS:
            value = {**value, "value": decimal_text(str(value["value"]))}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if props is None:
                sub = _compiled(_EMPTY)
            elif key in subs:
                sub = subs[key]
            else:
                continue
            if isinstance(item, dict):
                shaped = rich(item) if key in rich_keys else _shape(item, sub)
            elif isinstance(item, list):
                shaped = _shape(item, sub)
            elif isinstance(item, str):
                shaped = scalar(item) if item else None
            else:
                shaped = item
            if is_empty(shaped) or shaped == sub.default:
                continue
            out[key] = shaped
        return out or None
    if isinstance(value, list):
        items = _compiled(node.items)
        shaped_items = [_shape(item, items) for item in value]
        return [item if item is not None else {} for item in shaped_items] or None
    return scalar(value)


def digest(value: Any) -> str:
    """A short content hash: the fingerprint of an object that has no revision."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def undeclared(value: Any, node: dict[str, Any], ignore: tuple[str, ...] = (),
               path: str = "") -> list[str]:
    """The dotted paths of the non-empty fields of `value` that `node` (a schema node) does
    not declare, which `shape` drops: what a spec cannot express. A field named in `ignore`
    (by its name anywhere, or by its dotted path) is the site's own and not listed."""
    node = resolve_node(node)
    found: list[str] = []
    if isinstance(value, dict):
        props = declared_properties(node)
        if props is None:
            return found  # a free-form object: every key is kept
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in ignore or where in ignore or is_empty(item):
                continue
            if key not in props:
                found += [leaf for leaf in _leaves(item, where) if not _ignored(leaf, ignore)]
            else:
                found += undeclared(item, props[key], ignore, where)
    elif isinstance(value, list):
        for item in value:
            for where in undeclared(item, node.get("items", {}), ignore, f"{path}[]"):
                if where not in found:
                    found.append(where)
    return found


def _leaves(value: Any, path: str) -> list[str]:
    """The dotted paths of the non-empty values inside `value` (itself, if not a container)."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() if not is_empty(item)
                for leaf in _leaves(item, f"{path}.{key}")] if value else []
    if isinstance(value, list):
        return list(dict.fromkeys(leaf for item in value for leaf in _leaves(item, f"{path}[]")))
    return [] if is_empty(value) else [path]


def _ignored(path: str, ignore: tuple[str, ...]) -> bool:
    names = path.replace("[]", "").split(".")
    return path.replace("[]", "") in ignore or any(name in ignore for name in names)
