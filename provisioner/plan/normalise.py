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

from ..spec.schema import load_schema
from ..spec.times import instant

_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$")
_RICH_NOISE = ("id", "metadata", "documentStyle")
_CENT = Decimal("0.01")
_NO_DEFAULT = object()


def schema_def(name: str) -> dict[str, Any]:
    return load_schema()["$defs"][name]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = load_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _properties(node: dict[str, Any]) -> dict[str, Any] | None:
    """The properties an object node declares (merging oneOf/anyOf branches), or None for a
    free-form object whose keys are all kept."""
    node = _resolve(node)
    props: dict[str, Any] = dict(node.get("properties") or {})
    for branch in node.get("oneOf", []) + node.get("anyOf", []):
        props.update(_properties(branch) or {})
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


def rich(document: Any) -> Any:
    """A rich-content document without the ids and metadata that do not change what it says."""
    if isinstance(document, dict):
        return {k: rich(v) for k, v in document.items() if k not in _RICH_NOISE}
    if isinstance(document, list):
        return [rich(v) for v in document]
    return document


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
    node = _resolve(node)
    if isinstance(value, dict):
        props = _properties(node)
        if props is not None and set(value) <= {"value", "currency", "formattedValue"} and \
                "value" in value and "value" in props:
            value = {**value, "value": decimal_text(str(value["value"]))}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if props is not None and key not in props:
                continue
            sub = props.get(key, {}) if props is not None else {}
            rich_text = key in rich_keys and isinstance(item, dict)
            shaped = rich(item) if rich_text else shape(item, sub)
            default = _resolve(sub).get("default", _NO_DEFAULT)
            if is_empty(shaped) or shaped == default:
                continue
            out[key] = shaped
        return out or None
    if isinstance(value, list):
        items_node = node.get("items", {})
        shaped_items = [shape(item, items_node) for item in value]
        return [item if item is not None else {} for item in shaped_items] or None
    return scalar(value)


def digest(value: Any) -> str:
    """A short content hash: the fingerprint of an object that has no revision."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
