"""HTTP plumbing: request context, authentication, routing table and error mapping.

API modules declare plain handlers `handler(ctx) -> dict` and a list of `Endpoint`s. This
module wraps each handler so that it

- checks `Authorization` (raw key or `Bearer <key>`) and `wix-site-id` (401 / 403) before it
  reads a byte of the body, so an unauthenticated upload costs nothing;
- reads the body incrementally up to `MAX_BODY_BYTES` (over it: 413, never buffering more) and
  parses it as JSON: a body that is not a JSON object, is not UTF-8/16/32, nests deeper than
  `MAX_JSON_DEPTH` or holds a lone surrogate (`"\\ud800"`, which no store or response can
  encode) is a 400;
- runs inside one store transaction, so every request is atomic;
- answers 200 with the handler's dict (in which a `raw_json.RawJson` is spliced in as it is),
  or the Wix error envelope for an `ApiError`, or `{"message": "", "details": {}}` with 500
  for a bug (logged, never hidden).

Query-string keys a handler does not read are ignored: Wix's SDK repeats path parameters there.
A handler reads the request from its `Ctx` and hands models only `ctx.scope` (see scope.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import (
    ApiError,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
)
from .query import CursorStore
from .raw_json import encode
from .scope import Notice, Scope
from .store import Store, Txn
from .values import utc_now

log = logging.getLogger("provisioner.emulator")

SITE_HEADER = "wix-site-id"
ACCOUNT_HEADER = "wix-account-id"
MAX_BODY_BYTES = 8 * 1024 * 1024  # Wix's own gateway refuses far smaller bodies
MAX_JSON_DEPTH = 64  # Wix's deepest documented body nests about 8 levels
# `\\uD800`-`\\uDFFF` escapes: only then can a parsed body hold a lone surrogate
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass
class EmulatorState:
    """What every request can reach: the store, cursor state, the clock, and the listeners
    told about committed changes."""

    store: Store
    cursors: CursorStore = field(default_factory=CursorStore)
    clock: Callable[[], datetime] = utc_now
    listeners: list[Callable[[list[Notice]], None]] = field(default_factory=list)
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)  # run by /_emulator/reset
    # optional parts installed at start, by name: "faults", "requests", "webhooks"
    extensions: dict[str, Any] = field(default_factory=dict)

    def publish(self, notices: list[Notice]) -> None:
        """Hand committed changes to every listener; a listener must never block or raise."""
        if not notices:
            return
        for listener in self.listeners:
            try:
                listener(notices)
            except Exception:
                log.exception("emulator listener failed")


@dataclass
class Ctx:
    """One authenticated request as a handler sees it: the HTTP parts (body, path and query
    parameters, the caller's key, the emulator state) and the `scope` the models work in."""

    request: Request
    scope: Scope
    api_key: str
    body: dict[str, Any]
    path: dict[str, str]
    state: EmulatorState

    @property
    def txn(self) -> Txn:
        return self.scope.txn

    @property
    def site(self) -> str:
        return self.scope.site

    def now(self) -> datetime:
        return self.scope.now()

    def param(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    def params(self, name: str) -> list[str]:
        return self.request.query_params.getlist(name)

    def id_from_path(self, name: str) -> str:
        return self.path[name]


Handler = Callable[[Ctx], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler


def aliased(prefixes: list[str], method: str, suffix: str, handler: Handler) -> list[Endpoint]:
    """The same endpoint under every public prefix Wix routes to it."""
    return [Endpoint(method, prefix + suffix, handler) for prefix in prefixes]


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.to_json(), status_code=error.status)


def _authenticate(request: Request, txn: Txn) -> tuple[str, str]:
    header = request.headers.get("authorization", "").strip()
    if not header:
        raise Unauthenticated("Missing Authorization header: send your API key as `Authorization`")
    key = header[7:].strip() if header.lower().startswith("bearer ") else header
    sites = txn.sites_for_key(key)
    if not sites:
        raise Unauthenticated("The API key in the Authorization header is not valid")
    site = request.headers.get(SITE_HEADER, "").strip()
    if not site:
        if request.headers.get(ACCOUNT_HEADER):
            raise PermissionDenied(
                "This is a site-level API: send the `wix-site-id` header, not `wix-account-id`"
            )
        raise PermissionDenied("Missing `wix-site-id` header: API-key calls must name the site")
    if site not in sites:
        raise PermissionDenied(f"This API key has no access to site {site}")
    return key, site


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The JSON object a request sends ({} for GET, DELETE, HEAD or an empty body); 413 for a
    body over `limit` bytes, 400 for one that is not a JSON object (see the module docstring).
    A client that leaves mid-body raises starlette's `ClientDisconnect`."""
    if request.method in ("GET", "DELETE", "HEAD"):
        return {}
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk[:limit + 1 - len(raw)]
        if len(raw) > limit:
            raise _too_large(limit)
    return parse_body(bytes(raw))


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than {limit} bytes")


def parse_body(raw: bytes) -> dict[str, Any]:
    """`raw` as a JSON object ({} when blank); `BadRequest` for anything else."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode(json.detect_encoding(raw))  # strict: a lone surrogate fails here
        body = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest(f"Request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise BadRequest(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    if _depth_exceeds(body, MAX_JSON_DEPTH):
        raise BadRequest(f"Request body nests deeper than {MAX_JSON_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("Request body holds a lone UTF-16 surrogate (\\ud800-\\udfff), "
                             "which is not text") from None
    return body


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not JSON")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether objects and arrays in `value` nest more than `limit` deep (iterative: a deep
    value cannot exhaust the stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


async def body_or_response(request: Request) -> dict[str, Any] | Response:
    """`read_body`, or the response that ends the request: the error envelope for a bad body,
    an empty 400 for a client that went away mid-body (logged in one line; no one reads it)."""
    try:
        return await read_body(request)
    except ApiError as error:
        return error_response(error)
    except ClientDisconnect:
        log.info("client left during %s %s before its body was read", request.method,
                 request.url.path)
        return Response(status_code=400)


Identify = Callable[[Request, Txn], tuple[str, str]]  # -> (api key, site)


def run_handler(handler: Handler, state: EmulatorState, request: Request, body: dict[str, Any],
                identify: Identify) -> Response:
    """Run `handler` in one transaction for the caller `identify` names: its answer as JSON,
    notices published after commit, an `ApiError` as Wix's envelope, a bug as a bare 500."""
    try:
        with state.store.transaction() as txn:
            key, site = identify(request, txn)
            scope = Scope(txn, site, state.clock)
            ctx = Ctx(request, scope, key, body, dict(request.path_params), state)
            result = handler(ctx)
        state.publish(scope.notices)
        return Response(encode(result), media_type="application/json")
    except ApiError as error:
        return error_response(error)
    except Exception:
        log.exception("emulator bug while serving %s %s", request.method, request.url.path)
        return JSONResponse({"message": "", "details": {}}, status_code=500)


def _fault_response(status: int, retry_after: int | None) -> Response:
    if status == 429:
        error = ApiError(429, "TOO_MANY_REQUESTS", "Rate limit exceeded: too many calls for "
                         f"this site; retry after {retry_after} s")
        return JSONResponse(error.to_json(), status_code=429,
                            headers={"Retry-After": str(retry_after)})
    if status == 504:
        error = ApiError(504, "GATEWAY_TIMEOUT", "The request timed out (emulated: the change "
                         "was made, its response was lost)")
    else:
        error = ApiError(503, "UNAVAILABLE", "The service is unavailable (emulated fault)")
    return error_response(error)


async def _authenticated_call(handler: Handler, state: EmulatorState,
                              request: Request) -> Response:
    """Authenticate, and only then read the body and run `handler`."""
    try:
        with state.store.transaction() as txn:
            caller = _authenticate(request, txn)
    except ApiError as error:
        return error_response(error)
    body = await body_or_response(request)
    if isinstance(body, Response):
        return body
    return run_handler(handler, state, request, body, lambda _request, _txn: caller)


def wrap(handler: Handler, state: EmulatorState, route: str) -> Callable[[Request], Any]:
    """The ASGI endpoint for `handler`, with the emulated faults and the request log that
    `state.extensions` may hold (see faults.py and traffic.py)."""

    async def endpoint(request: Request) -> Response:
        faults = state.extensions.get("faults")
        requests = state.extensions.get("requests")
        site_hint = request.headers.get(SITE_HEADER, "").strip()
        decision = faults.decide(site_hint, request.method, request.url.path, route) \
            if faults else None
        if decision is not None and decision.latency:
            await asyncio.sleep(decision.latency)
        if decision is not None and decision.status is not None:
            response = _fault_response(decision.status, decision.retry_after)
        else:
            response = await _authenticated_call(handler, state, request)
            if decision is not None and decision.drop_after_commit \
                    and response.status_code == 200:
                response = _fault_response(504, None)
        if requests is not None:
            requests.record(request.method, route, request.url.path, site_hint,
                            response.status_code, decision.fault if decision else None)
        return response

    return endpoint


def build_routes(endpoints: list[Endpoint], state: EmulatorState) -> list[Route]:
    """Starlette routes, grouping methods that share a path so 405s are answered correctly."""
    by_path: dict[str, dict[str, Handler]] = {}
    for ep in endpoints:
        methods = by_path.setdefault(ep.path, {})
        if ep.method in methods:
            raise ValueError(f"duplicate endpoint {ep.method} {ep.path}")
        methods[ep.method] = ep.handler
    routes = []
    for path, methods in by_path.items():
        for method, handler in methods.items():
            routes.append(Route(path, wrap(handler, state, path), methods=[method]))
    return routes


async def not_found(request: Request, exc: Exception) -> Response:
    return error_response(NotFound(f"No API at {request.method} {request.url.path}"))


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(
        ApiError(405, "METHOD_NOT_ALLOWED",
                 f"{request.method} is not allowed on {request.url.path}")
    )
