"""Type-guarded reads of loaded YAML: rules run on documents that may have schema errors, so
they read through these and simply skip a part that has the wrong shape."""

from __future__ import annotations

from typing import Any


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a list, with their indexes (other entries are the schema's business)."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
