"""The plan file: a `Plan` as versioned JSON (docs/plan-format.md, schemas/plan.schema.json),
and back. Reading one checks it against the schema and then against the kinds table: every
action must name a kind this tool knows and a verb that kind can do, so a damaged or
hand-edited file is refused with one line, before anything is read or written."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import kinds
from ..client.errors import ProvisionerError
from ..model import FORMAT_VERSION, Action, Change, Mark, Plan, ResourceKey, Verb
from ..spec.files import Unreadable, read_bounded
from ..spec.schema import checker, schema_text

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

PLAN_SCHEMA = "plan.schema.json"
# a plan of 100 events with 50 children each, every one created, is about 8 MB
MAX_PLAN_BYTES = 64 * 1024 * 1024
REMAKE = "make a new one with `provisioner plan --out FILE`"


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The versioned JSON form of a plan."""
    return {
        "format_version": FORMAT_VERSION,
        "target": plan.target,
        "sources": list(plan.sources),
        "summary": plan.counts(),
        "problems": list(plan.problems),
        "actions": [_action_json(a) for a in plan.actions],
        "fingerprints": plan.fingerprints,
        "time_zones": plan.time_zones,
    }


def _action_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": str(action.verb),
        "address": action.address,
        "kind": action.key.kind,
        "event": kinds.event_of(action.key) or None,
        "name": action.key.name,
        "id": action.id,
        "parent_id": action.parent_id,
        "marks": [str(mark) for mark in action.marks],
        "note": action.note,
        "changes": [{"path": c.path, "old": c.old, "new": c.new} for c in action.changes],
        "body": action.body,
    }
    if action.verb == Verb.REORDER:
        out["order"] = list(action.order)
        out["previous_order"] = list(action.previous_order)
    return out


def _action(data: dict[str, Any], number: int, source: str) -> Action:
    """One action read back, refused unless its kind can do its verb."""
    kind, verb = data["kind"], data["action"]
    allowed = kinds.capabilities(kind)
    where = f"{source}: action {number} ({data.get('address', '?')})"
    if not allowed:
        raise ProvisionerError(f"{where} names the unknown kind {kind!r}; known kinds: "
                               f"{', '.join(sorted(kinds.BY_NAME) + sorted(kinds.DRAFTS))}; "
                               f"{REMAKE}")
    if verb not in {v.value for v in Verb}:
        raise ProvisionerError(f"{where} names the unknown action {verb!r}; {REMAKE}")
    if verb not in allowed:
        can = ", ".join(v for v in Verb if v in allowed)
        noun = kinds.kind_of(kind).noun if kind in kinds.BY_NAME else f"{kind} draft"
        article = "an" if noun[0] in "aeiou" else "a"
        raise ProvisionerError(f"{where}: {verb!r} is not an action {article} {noun} can take "
                               f"(it can take: {can}); {REMAKE}")
    event = "" if kind == kinds.CONTAINER.name else data["event"] or ""
    return Action(Verb(verb), ResourceKey(kind, event, data["name"]),
                  tuple(Change(c["path"], c["old"], c["new"]) for c in data["changes"]),
                  body=data["body"], id=data["id"], parent_id=data["parent_id"],
                  marks=tuple(Mark(m) for m in data["marks"]), note=data["note"],
                  order=tuple(data.get("order", ())),
                  previous_order=tuple(data.get("previous_order", ())))


def plan_from_json(data: Any, source: str) -> Plan:
    """A plan read back from its JSON form; a clear error for anything else."""
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ProvisionerError(f"{source}: not a plan file of format version {FORMAT_VERSION}; "
                               f"{REMAKE}")
    error = next(iter(_plan_validator().iter_errors(data)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise ProvisionerError(f"{source}: the plan file is damaged at {where} "
                               f"({message}); {REMAKE}")
    actions = tuple(_action(a, number, source)
                    for number, a in enumerate(data["actions"], start=1))
    # `time_zones` came later (an optional key): a file without it shows its times in UTC
    return Plan(data["target"], actions, dict(data["fingerprints"]),
                tuple(data["problems"]), tuple(data["sources"]),
                dict(data.get("time_zones", {})))


@functools.cache
def _plan_validator() -> Draft202012Validator:
    return checker(json.loads(schema_text(PLAN_SCHEMA)))


def load_plan(path: Path) -> Plan:
    """The plan saved at `path`: a regular file of at most `MAX_PLAN_BYTES`."""
    try:
        raw = read_bounded(str(path), MAX_PLAN_BYTES, "a plan file")
        data = json.loads(raw.decode("utf-8"))
    except Unreadable as refused:
        raise ProvisionerError(f"{path}: cannot read the plan file ({refused})") from None
    except (ValueError, RecursionError) as error:  # RecursionError: JSON nested too deep
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        raise ProvisionerError(f"{path}: cannot read the plan file ({reason}); "
                               f"{REMAKE}") from None
    return plan_from_json(data, str(path))


def save_plan(plan: Plan, path: Path) -> None:
    """Write `plan` to `path`, owner-only (0600): it holds the site id and every event's data.
    The file is created with that mode, and an existing one is tightened before it is written,
    so it is never readable by others, not even for a moment."""
    text = json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False, sort_keys=False)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            os.chmod(path, 0o600)  # an existing file keeps its mode through os.open
            stream.write(text + "\n")
    except OSError as error:
        raise ProvisionerError(f"cannot write the plan to {path}: {error.strerror}") from None
