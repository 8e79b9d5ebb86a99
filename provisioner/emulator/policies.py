"""Policies V2 endpoints: create, get, update, delete, query and reorder an event's policies.

Every endpoint is served under both public prefixes Wix routes to the policies service,
`/events/v2/policies` (the REST reference) and `/events-policies/v2/policies` (what the JS SDK
calls). A policy is stored as a child of its event (`parent=<eventId>`), so deleting the event
removes it. Each event keeps its own display order in the internal `_sortIndex` of its
policies: a new policy goes in front (newest first) and Reorder rewrites the indices.

Decisions where the Wix notes are unsure (each is one place in this file):
- Unknown policy id: 404 `POLICY_NOT_FOUND`; a policy of another site is just as unknown.
- Update needs `name`, `body`, `eventId` and `revision` (the .md page's required list), so it
  replaces the editable fields as a whole. A stale or future `revision` is a 409
  `REVISION_MISMATCH`; a changed `eventId` is a 400 field violation on `policy.eventId`.
  Checks run in this order: request shape (400), policy lookup (404), eventId (400), revision.
- `revision` must be a decimal string ("1"); a JSON number is refused, since every documented
  request sends a string.
- `policy.eventId` must be a GUID (SDK format annotation); an unknown event is 404
  `EVENT_NOT_FOUND`.
- Query requires `query` (the SDK declares it non-optional). With no sort, policies come in each
  event's display order, events in creation order. Paging is by cursor unless `paging` is sent;
  default limit 50, max 100. `$hasSome` (listed in the REST table) is read as `$in`.
- Reorder: when both `beforePolicyId` and `afterPolicyId` are sent, the key written last in the
  JSON body wins. An empty string counts as not sent. No reference, a reference equal to
  `policyId`, an unknown event, or a policy or reference outside the event are all 400
  `INVALID_REORDER_INSTRUCTION`. Only the moved policy gets a new `revision` and `updatedDate`
  (even when it already stood in the requested place).
- Delete needs no revision (the current SDK request has only `policyId`).
- Webhooks: create, update and delete emit Policy Created / Updated / Deleted; Reorder emits
  Policy Updated for the moved policy, the only one whose revision changes. Deleting an event
  deletes its policies without a Policy Deleted each.
"""

from __future__ import annotations

from typing import Any

from .common import (
    EVENTS,
    POLICIES,
    check_path_id,
    display_order,
    load,
    next_revision,
    public,
    reordered,
    require_event,
)
from .errors import FailedPrecondition, stale_revision
from .fields import AnyJson, F, Obj, Str, check, fail
from .http import Ctx, Endpoint, aliased
from .params import body_object
from .query import EQ, RANGE, QField, QuerySpec, Window, lookup, ops, run_query
from .scope import Scope
from .values import format_timestamp, new_id
from .webhooks import POLICY

PREFIXES = ["/events/v2/policies", "/events-policies/v2/policies"]
MAX_POLICIES_PER_EVENT = 3
WIRE_ORDER = ("id", "revision", "createdDate", "updatedDate", "name", "body", "eventId")

_RO = F(AnyJson(), readonly=True)
_NAME = Str(min_len=1, max_len=40)
_BODY = Str(min_len=1, max_len=50000)
_EVENT_ID = Str(fmt="GUID")

CREATE_SPEC = Obj(
    {
        "id": _RO,
        "revision": _RO,
        "createdDate": _RO,
        "updatedDate": _RO,
        "name": F(_NAME, required=True),
        "body": F(_BODY, required=True),
        "eventId": F(_EVENT_ID, required=True),
    }
)
UPDATE_SPEC = Obj(
    {
        "id": _RO,  # compared with the path by check_path_id
        "revision": F(Str(fmt="INT64"), required=True),
        "createdDate": _RO,
        "updatedDate": _RO,
        "name": F(_NAME, required=True),
        "body": F(_BODY, required=True),
        "eventId": F(_EVENT_ID, required=True),
    }
)
REORDER_SPEC = Obj(
    {
        "eventId": F(Str(min_len=1), required=True),
        "policyId": F(Str(min_len=1), required=True),
        "beforePolicyId": Str(),
        "afterPolicyId": Str(),
    }
)

_OPERATORS = ops(EQ, RANGE)
POLICY_QUERY = QuerySpec(
    name="policies",
    fields={
        "id": QField("string", _OPERATORS),
        "eventId": QField("string", _OPERATORS),
        "name": QField("string", _OPERATORS),
        "body": QField("string", _OPERATORS),
        "revision": QField("int64", _OPERATORS),
        "createdDate": QField("date", _OPERATORS),
        "updatedDate": QField("date", _OPERATORS),
    },
    metadata_key="metadata",
    paging="cursor",
    default_limit=50,
    max_limit=100,
    op_aliases={"$hasSome": "$in"},  # the REST filter table lists it, the SDK spec does not
)



# --- storage and rendering ---------------------------------------------------------------------


def render(policy: dict[str, Any]) -> dict[str, Any]:
    """The public Policy in the field order of Wix's examples."""
    shown = public(policy)
    return {key: shown[key] for key in WIRE_ORDER if key in shown}


def _load(ctx: Ctx, policy_id: str) -> dict[str, Any]:
    return load(ctx.scope, POLICIES, policy_id, "Policy", "POLICY_NOT_FOUND")


def _save(ctx: Ctx, policy: dict[str, Any]) -> None:
    ctx.txn.put(ctx.site, POLICIES, policy["id"], policy, parent=policy["eventId"])


def event_policies(scope: Scope, event_id: str) -> list[dict[str, Any]]:
    """One event's stored policies in display order."""
    return display_order(scope.txn.list(scope.site, POLICIES, event_id))


def _stamp(ctx: Ctx) -> str:
    return format_timestamp(ctx.now())


# --- handlers ----------------------------------------------------------------------------------


def create_policy(ctx: Ctx) -> dict[str, Any]:
    policy = check(CREATE_SPEC, body_object(ctx, "policy"), "policy")
    event = require_event(ctx.scope, policy["eventId"], "policy.eventId")
    siblings = ctx.txn.list(ctx.site, POLICIES, event["id"])
    if len(siblings) >= MAX_POLICIES_PER_EVENT:
        raise FailedPrecondition(
            "POLICIES_LIMIT_REACHED", "Maximum number of policies for the event has been reached"
        )
    now = _stamp(ctx)
    # newest first: the new policy sorts before every existing one
    front = min((p.get("_sortIndex", 0) for p in siblings), default=1) - 1
    policy.update(id=new_id(), revision="1", createdDate=now, updatedDate=now, _sortIndex=front)
    _save(ctx, policy)
    shown = render(policy)
    POLICY.announce(ctx.scope, "created", policy["id"], shown)
    return {"policy": shown}


def get_policy(ctx: Ctx) -> dict[str, Any]:
    return {"policy": render(_load(ctx, ctx.path["policyId"]))}


def update_policy(ctx: Ctx) -> dict[str, Any]:
    policy_id = ctx.path["policyId"]
    raw = body_object(ctx, "policy")
    check_path_id(policy_id, raw.get("id"), "policy.id")
    patch = check(UPDATE_SPEC, raw, "policy")
    policy = _load(ctx, policy_id)
    if patch["eventId"] != policy["eventId"]:
        raise fail("policy.eventId", f"is immutable: this policy belongs to event "
                   f"{policy['eventId']}", "CUSTOM")
    if int(patch["revision"]) != int(policy["revision"]):
        raise stale_revision("Policy", policy_id, patch["revision"], policy["revision"])
    policy.update(name=patch["name"], body=patch["body"], revision=next_revision(policy),
                  updatedDate=_stamp(ctx))
    _save(ctx, policy)
    shown = render(policy)
    POLICY.announce(ctx.scope, "updated", policy_id, shown)
    return {"policy": shown}


def delete_policy(ctx: Ctx) -> dict[str, Any]:
    policy = _load(ctx, ctx.path["policyId"])
    ctx.txn.delete(ctx.site, POLICIES, policy["id"])
    POLICY.announce(ctx.scope, "deleted", policy["id"], render(policy))
    return {}


def query_policies(ctx: Ctx) -> dict[str, Any]:
    query = ctx.body.get("query")
    if query is None:
        raise fail("query", "is required", "REQUIRED_FIELD")

    def ordered() -> list[dict[str, Any]]:
        by_event: dict[str, list[dict[str, Any]]] = {}
        for policy in ctx.txn.list(ctx.site, POLICIES):
            by_event.setdefault(policy["eventId"], []).append(policy)
        return [
            render(policy)
            for event in ctx.txn.list(ctx.site, EVENTS)
            for policy in display_order(by_event.get(event["id"], []))
        ]

    def indexed(flt: Any, offset: int, limit: int) -> Window | None:
        """By `eventId` (or no filter): the page alone, read in display order from the index."""
        found = lookup(POLICY_QUERY, flt, "eventId")
        page = None if found is None else ctx.txn.children_by_parent(
            ctx.site, POLICIES, EVENTS, found.values, offset=offset, limit=limit)
        return None if page is None else Window(page.total, [render(p) for p in page.docs])

    result = run_query(POLICY_QUERY, ordered, query, site=ctx.site, cursors=ctx.state.cursors,
                       index=indexed)
    return {"policies": result.items, POLICY_QUERY.metadata_key: result.metadata}


def reorder_event_policies(ctx: Ctx) -> dict[str, Any]:
    request = check(REORDER_SPEC, ctx.body, "")
    event_id, policy_id = request["eventId"], request["policyId"]
    by_id = {p["id"]: p for p in event_policies(ctx.scope, event_id)}
    order = reordered(list(by_id), policy_id, ctx.body, "beforePolicyId", "afterPolicyId",
                      "policyId", f"the policies of event {event_id}")
    policies = [by_id[i] for i in order]
    moved = by_id[policy_id]
    moved.update(revision=next_revision(moved), updatedDate=_stamp(ctx))
    for index, policy in enumerate(policies):
        policy["_sortIndex"] = index
        _save(ctx, policy)
    POLICY.announce(ctx.scope, "updated", policy_id, render(moved))
    return {"policies": [render(p) for p in policies]}


ENDPOINTS: list[Endpoint] = [
    *aliased(PREFIXES, "POST", "", create_policy),
    *aliased(PREFIXES, "POST", "/query", query_policies),
    *aliased(PREFIXES, "POST", "/reorder", reorder_event_policies),
    *aliased(PREFIXES, "GET", "/{policyId}", get_policy),
    *aliased(PREFIXES, "PATCH", "/{policyId}", update_policy),
    *aliased(PREFIXES, "DELETE", "/{policyId}", delete_policy),
]
