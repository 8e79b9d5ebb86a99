"""The control API under `/_emulator/`: what tests, benchmarks and users rehearsing a change
use to steer the emulator. It is not part of Wix's API and needs no key (the emulator listens
on loopback); site-scoped controls name their site in the `wix-site-id` header. Because no key
guards it, `guard.py` refuses foreign hosts and origins, and writes not sent as JSON.

Control handlers are plain `handler(ctx) -> dict` like API handlers and get the same `Ctx`
(one store transaction, notices published on commit), with `api_key` empty.

This module holds the plumbing and the controls over the store: reset and state dump/load.
Other modules contribute their own `CONTROL_ENDPOINTS` (faults, requests, sales, webhooks).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import BadRequest
from .http import (
    SITE_HEADER,
    Ctx,
    EmulatorState,
    Endpoint,
    body_or_response,
    run_handler,
)
from .store import Txn

PREFIX = "/_emulator"
DUMP_VERSION = 1


def require_site(ctx: Ctx) -> str:
    """The site a site-scoped control acts on (the `wix-site-id` header)."""
    if not ctx.site:
        raise BadRequest(f"send the `{SITE_HEADER}` header to name the site this control "
                         "acts on")
    return ctx.site


def _control_caller(request: Request, txn: Txn) -> tuple[str, str]:
    """Controls need no key; the site, when one is meant, is the `wix-site-id` header."""
    return "", request.headers.get(SITE_HEADER, "").strip()


def control_route(endpoint: Endpoint, state: EmulatorState) -> Route:
    async def serve(request: Request) -> Response:
        body = await body_or_response(request)
        if isinstance(body, Response):
            return body
        return run_handler(endpoint.handler, state, request, body, _control_caller)

    return Route(endpoint.path, serve, methods=[endpoint.method])


# --- reset and state ---------------------------------------------------------------------------


def reset(ctx: Ctx) -> dict[str, Any]:
    """Forget every site's data (credentials stay, so clients keep working)."""
    removed = ctx.txn.clear_documents()
    ctx.state.cursors = type(ctx.state.cursors)()
    for hook in ctx.state.reset_hooks:
        hook()
    return {"removedDocuments": removed}


def dump_state(ctx: Ctx) -> dict[str, Any]:
    """Every stored document of every site, internal keys included, as loadable JSON."""
    return {"version": DUMP_VERSION, "documents": ctx.txn.all_documents()}


def load_state(ctx: Ctx) -> dict[str, Any]:
    """Replace all data with a dump (as `GET /_emulator/state` gives it)."""
    if ctx.body.get("version") != DUMP_VERSION:
        raise BadRequest(f"`version` must be {DUMP_VERSION}, as in GET {PREFIX}/state")
    documents = ctx.body.get("documents")
    if not isinstance(documents, list):
        raise BadRequest("`documents` must be a list of {site, kind, id, parent, body}")
    rows = []
    for index, doc in enumerate(documents):
        if not (isinstance(doc, dict) and all(isinstance(doc.get(k), str)
                                              for k in ("site", "kind", "id"))
                and isinstance(doc.get("body"), dict)
                and isinstance(doc.get("parent"), str | None)):
            raise BadRequest(f"documents[{index}] must be {{site, kind, id, parent, body}} "
                             "with text site, kind and id and an object body")
        rows.append(doc)
    ctx.txn.clear_documents()
    for doc in rows:
        ctx.txn.put(doc["site"], doc["kind"], doc["id"], doc["body"], parent=doc["parent"])
    ctx.state.cursors = type(ctx.state.cursors)()
    return {"loadedDocuments": len(rows)}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{PREFIX}/reset", reset),
    Endpoint("GET", f"{PREFIX}/state", dump_state),
    Endpoint("PUT", f"{PREFIX}/state", load_state),
]
