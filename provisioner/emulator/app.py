"""The emulator's ASGI application: every API module's endpoints over one store.

`create_app()` is what tests, the `serve` command and the embedded sandbox use. Credentials
(API key -> site ids) are stored in the database, so a `--db` file keeps them across restarts.
`/_emulator/` is the control API (see `control`); it needs no key. Every request first passes
`guard.RequestGuard`: only the hosts the emulator serves, and control writes only as JSON from
no foreign origin. The store is given `derived`'s derivations and aggregations, which the
indexed reads rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import (
    categories,
    control,
    derived,
    events,
    faults,
    forms,
    policies,
    sales,
    schedule,
    site_export,
    ticket_definitions,
    traffic,
    webhooks,
)
from .guard import RequestGuard
from .http import EmulatorState, Endpoint, build_routes, method_not_allowed, not_found
from .store import Store
from .values import utc_now

API_MODULES = (events, ticket_definitions, policies, schedule, categories, forms)
# each has CONTROL_ENDPOINTS under /_emulator/
CONTROL_MODULES = (control, faults, traffic, sales, webhooks, site_export)


def all_endpoints() -> list[Endpoint]:
    return [ep for module in API_MODULES for ep in module.ENDPOINTS]


def create_app(
    db: str | Path | None = None,
    credentials: Iterable[tuple[str, str]] = (),
    clock: Callable[[], datetime] = utc_now,
    store: Store | None = None,
    fault_settings: faults.FaultSettings | None = None,
    webhook_urls: Iterable[str] = (),
    hosts: Iterable[str] = (),
) -> Starlette:
    """An emulator over `db` (a file path, or memory when None) that accepts `credentials`,
    answering loopback names and `hosts` (e.g. the address `serve --host` was given)."""
    store = store or Store(db)
    store.install(derived.DERIVATIONS, derived.AGGREGATIONS, derived.VERSION)
    with store.transaction() as txn:
        for api_key, site_id in credentials:
            txn.grant(api_key, site_id)
    state = EmulatorState(store=store, clock=clock)
    state.extensions["faults"] = faults.FaultInjector(fault_settings or faults.FaultSettings())
    state.extensions["requests"] = request_log = traffic.RequestLog()
    state.reset_hooks.append(request_log.clear)
    state.reset_hooks.append(lambda: state.extensions["faults"].configure(faults.FaultSettings()))
    webhooks.install(state, webhook_urls)  # a non-loopback URL raises BadRequest

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [Route("/_emulator/health", health, methods=["GET"])]
    routes += [control.control_route(endpoint, state)
               for module in CONTROL_MODULES for endpoint in module.CONTROL_ENDPOINTS]
    routes += build_routes(all_endpoints(), state)
    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: method_not_allowed},
        middleware=[Middleware(RequestGuard, hosts=tuple(hosts))],
    )
    app.state.emulator = state
    return app
