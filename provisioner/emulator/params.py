"""Request parameters a handler reads from its `Ctx`: query-string parameters of GET and DELETE
calls, the `fields` list, and body members that must be objects, all checked like request body
fields.

Wix's SDK sends GET and DELETE calls' whole request in the query string: arrays as repeated keys
(`itemIds=a&itemIds=b`), nested objects as dotted keys (`paging.limit=10`). A bad value is a
400 field violation naming the parameter, exactly like a bad body field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .fields import fail
from .http import Ctx
from .values import parse_timestamp


def repeated_param(
    ctx: Ctx, name: str, max_items: int, *, allowed: tuple[str, ...] = (),
    min_len: int = 0, max_len: int | None = None,
) -> list[str]:
    """A repeated query parameter, checked like a request array, without duplicates."""
    values = ctx.params(name)
    if len(values) > max_items:
        raise fail(name, f"must have at most {max_items} items (got {len(values)})", "MAX_SIZE",
                   max=max_items)
    for index, value in enumerate(values):
        where = f"{name}[{index}]"
        if allowed and value not in allowed:
            raise fail(where, f"value is required to be one of [{', '.join(allowed)}], "
                       f"got {value!r}", "FORMAT")
        if len(value) < min_len:
            raise fail(where, "must not be empty", "MIN_LENGTH", min=min_len)
        if max_len is not None and len(value) > max_len:
            raise fail(where, f"must be at most {max_len} characters long", "MAX_LENGTH",
                       max=max_len)
    return list(dict.fromkeys(values))


def int_param(ctx: Ctx, name: str, maximum: int | None) -> int | None:
    raw = ctx.param(name)
    if raw is None:
        return None
    if not re.fullmatch(r"\d+", raw.strip()):
        raise fail(name, f"must be a non-negative integer, got {raw!r}", "FORMAT")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise fail(name, f"must be at most {maximum} (got {value})", "MAX", max=maximum)
    return value


def time_param(ctx: Ctx, name: str) -> datetime | None:
    raw = ctx.param(name)
    if raw is None:
        return None
    moment = parse_timestamp(raw)
    if moment is None:
        raise fail(name, 'must be an ISO-8601 timestamp with a time zone, e.g. '
                   '"2026-09-15T19:00:00Z"', "FORMAT")
    return moment


def bool_param(ctx: Ctx, name: str) -> bool:
    raw = ctx.param(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise fail(name, f"must be true or false, got {raw!r}", "FORMAT")
    return raw == "true"


def requested_fields(
    ctx: Ctx, allowed: tuple[str, ...], max_items: int, key: str = "fields"
) -> set[str]:
    """The `fields` enum list, from the JSON body or (for GET) the repeated query parameter."""
    raw = ctx.body.get(key) if key in ctx.body else ctx.params(key) or None
    if raw is None:
        return set()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise fail(key, "Expected an array.", "FORMAT")
    if len(raw) > max_items:
        raise fail(key, f"must have at most {max_items} items", "MAX_SIZE")
    for index, value in enumerate(raw):
        if value not in allowed:
            raise fail(
                f"{key}[{index}]",
                f"value is required to be one of [{', '.join(allowed)}], got {value!r}",
                "FORMAT",
            )
    return set(raw)


def body_object(ctx: Ctx, key: str) -> dict[str, Any]:
    """The body member `key`, which must be a JSON object."""
    value = ctx.body.get(key)
    if value is None:
        raise fail(key, "is required", "REQUIRED_FIELD")
    if not isinstance(value, dict):
        raise fail(key, "Expected an object.", "FORMAT")
    return value
