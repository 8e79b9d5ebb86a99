"""What several API modules share: store kind names, lookups of stored documents and parent
events, id and revision rules, and display order and reordering.

Stored documents are kept in their public wire shape plus internal keys that start with `_`
(sort positions, life-cycle state); `public()` strips those before a document is returned.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import BadRequest, NotFound
from .fields import fail
from .scope import Scope

# store kinds: one per collection the emulator keeps
EVENTS = "events"
TICKET_DEFINITIONS = "ticket_definitions"
POLICIES = "policies"
SCHEDULE_DRAFT = "schedule_draft"
SCHEDULE_PUBLISHED = "schedule_published"
CATEGORIES = "categories"
FORMS = "forms"

EVENT_CHILD_KINDS = (TICKET_DEFINITIONS, POLICIES, SCHEDULE_DRAFT, SCHEDULE_PUBLISHED, FORMS)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy without internal `_` keys at the top level."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}


def public_read(doc: dict[str, Any]) -> dict[str, Any]:
    """`public()` of a document just decoded from the store for this response: nothing else
    holds it, so its values need no copy."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def require_id(value: Any, field: str) -> str:
    if value is None or value == "":
        raise fail(field, "is required", "REQUIRED_FIELD")
    if not isinstance(value, str):
        raise fail(field, "Expected a string.", "FORMAT")
    return value


def load(scope: Scope, kind: str, doc_id: str, label: str, code: str) -> dict[str, Any]:
    """The stored document, or a 404 naming what was not found (`Policy <id> not found`)."""
    doc = scope.txn.get(scope.site, kind, doc_id)
    if doc is None:
        raise NotFound(f"{label} {doc_id} not found", code=code)
    return doc


def require_event(scope: Scope, event_id: Any, field: str = "eventId") -> dict[str, Any]:
    """The stored event named by a request field; 400 if absent, 404 if unknown."""
    return load(scope, EVENTS, require_id(event_id, field), "Event", "EVENT_NOT_FOUND")


def event_of(scope: Scope, child: dict[str, Any]) -> dict[str, Any]:
    """The stored event a stored child (e.g. a ticket definition) belongs to."""
    # deleting an event deletes its children, so a stored child's event always exists
    event = scope.txn.get(scope.site, EVENTS, child["eventId"])
    assert event is not None, f"{child['id']} outlived its event {child['eventId']}"
    return event


def check_path_id(path_id: str, body_id: Any, field: str) -> None:
    """PATCH bodies repeat the id from the path; the two must agree."""
    if body_id not in (None, "", path_id):
        raise BadRequest(f"{field} {body_id!r} does not match the id in the path {path_id!r}")


def next_revision(doc: dict[str, Any]) -> str:
    return str(int(doc.get("revision", "0")) + 1)


def display_order(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Children of one event (ticket definitions, policies) in the order the event shows them,
    kept in their internal `_sortIndex`."""
    return sorted(docs, key=lambda d: d.get("_sortIndex", 0))


INVALID_REORDER = "INVALID_REORDER_INSTRUCTION"


def reordered(
    ids: list[str], moved_id: str, body: dict[str, Any], before_key: str, after_key: str,
    moved_field: str, scope: str,
) -> list[str]:
    """`ids` with `moved_id` placed right before or after the reference the body names.

    Wix's reorder calls take a one-of reference; when both members are sent, the one written
    last in the body wins (documented for ticket definitions and policies), and an empty one
    counts as not sent. Anything else is a 400 INVALID_REORDER_INSTRUCTION.
    """
    reference = None
    for key, value in body.items():
        if key in (before_key, after_key) and value:
            reference = (key, value)
    if reference is None:
        raise BadRequest(f"send {before_key} or {after_key} to say where {moved_field} goes",
                         code=INVALID_REORDER)
    key, reference_id = reference
    if reference_id == moved_id:
        raise BadRequest(f"{key} must name something other than {moved_field} {moved_id}",
                         code=INVALID_REORDER)
    for field, wanted in ((moved_field, moved_id), (key, reference_id)):
        if wanted not in ids:
            raise BadRequest(f"{field} {wanted} is not one of {scope}", code=INVALID_REORDER)
    rest = [i for i in ids if i != moved_id]
    anchor = rest.index(reference_id)
    rest.insert(anchor if key == before_key else anchor + 1, moved_id)
    return rest
