"""Make a site hold a known state, straight through the API: the "live state" that plan and
apply tests start from.

Its one job is to send the calls of a seed file (`*.seed.json`) as written. The bodies in
those files are literal API requests, committed (mostly beside a spec of the same state),
so they share no code with the planner, which builds its own request bodies from a spec: a
mistake in that code cannot hide by being made on both sides, the seed and the plan. For the
same reason this module imports nothing from `provisioner`.

A seed file is a JSON list of calls, made in order:

    {"method": "POST", "path": "/events/v3/events", "body": {...}, "save": "event:devcon-2025"}

- `body` (optional) is sent as the JSON body;
- `save` (optional) remembers, under that name, the id of the object the answer holds
  (`{"event": {"id": ...}}`);
- any string in `path` or `body` may hold `{NAME}`, replaced by the id saved as `NAME` earlier
  in the file (`{event:SLUG}`, `{category:NAME}`); the built-in form controls have fixed ids
  (`name`, `email`) and are written as they are;
- `{"repeat": [calls]}` makes its calls once per copy passed to `seed(..., copies=[...])`, for
  fleets of like events: each copy's `{KEY}` (say `{n}`, `{day}`) is replaced by its value
  first, everywhere in the calls, `save` included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REFERENCE = re.compile(r"\{([^{}]+)\}")


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: " \
                                        f"{response.status_code} {response.text}"
    return response.json()


def read(path: Path) -> list[dict[str, Any]]:
    """A seed file's entries (calls and `repeat` blocks), as written."""
    calls = json.loads(Path(path).read_text(encoding="utf-8"))
    assert isinstance(calls, list), f"{path}: a seed file is a JSON list of calls"
    return calls


def seed(api: httpx.Client, path: Path,
         copies: Iterable[Mapping[str, str]] = ()) -> dict[str, str]:
    """Make the calls of the seed file `path` on `api`'s site; returns event ids by slug (each
    call saved as `event:SLUG`)."""
    copies = list(copies)
    saved: dict[str, str] = {}
    repeated = False
    for entry in read(path):
        if "repeat" in entry:
            repeated = True
            assert copies, f"{path}: a `repeat` block needs copies"
            for copy in copies:
                for call in entry["repeat"]:
                    _send(api, _fill(call, copy, path), saved, path)
        else:
            _send(api, entry, saved, path)
    assert repeated or not copies, f"{path}: copies given, but no `repeat` block to use them"
    return {name.removeprefix("event:"): value for name, value in saved.items()
            if name.startswith("event:")}


def _send(api: httpx.Client, call: dict[str, Any], saved: dict[str, str], path: Path) -> None:
    method = call["method"]
    assert method in METHODS, f"{path}: unknown method {method}"
    url = _fill(call["path"], saved, path, strict=True)
    body = _fill(call["body"], saved, path, strict=True) if "body" in call else None
    answer = ok(api.request(method, url, json=body))
    if "save" in call:
        made = [value["id"] for value in answer.values()
                if isinstance(value, dict) and "id" in value]
        assert len(made) == 1, f"{path}: {method} {url} answered no one object to save: {answer}"
        saved[call["save"]] = made[0]


def _fill(value: Any, names: Mapping[str, str], path: Path, strict: bool = False) -> Any:
    """`value` with every `{NAME}` in its strings replaced from `names`; `strict`: an unknown
    name is an error (a reference used before it was saved)."""
    if isinstance(value, dict):
        return {key: _fill(item, names, path, strict) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names, path, strict) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in names:
            return names[name]
        assert not strict, f"{path}: {{{name}}} is not saved by an earlier call"
        return match.group(0)

    return REFERENCE.sub(one, value)
