"""The one HTTP client for the Wix Events API (or the emulator): every live read and every
apply goes through `WixClient`, so auth, timeouts, retries, paging and error typing live here.

- `target.resolve_target()` turns `--target` and the environment into a `Target`. The API key
  is never printed, logged or shown in a repr.
- Reads (GET, POSTs to `.../query`, `.../count`, ...) are retried on 429, 5xx and transport
  errors with exponential backoff and full jitter. Writes are retried only when they certainly
  did not run: a 429, or a connection that was never made. Any other failure after a write was
  sent raises `OutcomeUnknown`, because Wix has no idempotency keys and a blind retry could
  create a duplicate.
- Error responses become typed errors in one place (`errors.parse_error`).
- `query_all()` pages through offset- and cursor-paged queries with the fewest calls.
- `--debug` tracing uses the `provisioner.client` logger, one line per request and per answer,
  with `Authorization: ***`; a URL is scrubbed of secrets only for a line that is shown.
- Calls go out through the client's own transport (`transport.Transport`: HTTP/1.1 on asyncio
  with httpx's limits, timeouts and exceptions, plain exchanges framed directly and the rest
  by h11), which costs a fraction of the CPU per call of httpx's default one; a transport
  passed in (the local sandbox, tests) is used as given, and when the environment names a
  proxy, or PROVISIONER_TRANSPORT=httpx, httpx's own transports carry the calls.
- Every text from a server or from httpx/h11 that an error carries passes through
  `target.redact()` (the key, a URL's userinfo, key-looking query values). A base URL with
  credentials of its own is refused. A request that cannot even be built or sent (a header
  httpx refuses, an invalid URL) is a local error: one `ProvisionerError`, never retried.

Decisions where the Wix notes are unsure:
- `Retry-After` is undocumented for Wix: honoured when sent (seconds or an HTTP date) plus a
  little jitter so concurrent callers spread out; above `max_retry_after` the client gives up
  at once rather than hang. Without it, the 429 backs off like any retry.
- Every 5xx on a write is an unknown outcome, including a 503 (a gateway may answer 503 after
  the backend ran). A 200 whose body is not JSON is one too: the write ran, its answer is lost.
- The request id is read from `x-wix-request-id` when present (the header Wix support asks
  for); the emulator sends none.
- Cursor paging asks at most 100 a page (QueryV2's documented cap), and stops when there is no
  `cursors.next`, `hasNext` is false, or a page is short. Offset paging trusts
  `total` when given (unless `tooManyToCount`), else stops at a short page.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx

from .. import __version__
from .errors import (
    ApiError,
    Forbidden,
    OutcomeUnknown,
    ProvisionerError,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    parse_error,
)
from .ratelimit import RateLimiter
from .target import REDACTED, Target, header_value_problem, redact, url_problem
from .transport import Transport

log = logging.getLogger("provisioner.client")

# httpx needs an absolute base URL even when an in-process transport serves the local
# sandbox; `.invalid` can never resolve, so nothing could leave the machine by mistake.
SANDBOX_BASE_URL = "http://sandbox.invalid"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
REQUEST_ID_HEADER = "x-wix-request-id"
# POSTs that only read (a client-side list: the client never imports the emulator)
READ_SUFFIXES = ("/query", "/count", "/count-by-status", "/list")
METADATA_KEYS = ("pagingMetadata", "metadata", "metaData")
MAX_CURSOR_LIMIT = 100
NOTICEABLE_WAIT = 5.0  # seconds; longer retry waits are logged as warnings
MAX_PAGES = 10_000  # a server that never stops paging is a bug, not a reason to loop forever

_ID_SEGMENT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d+", re.I)


# --- small pure helpers ---------------------------------------------------------------------


def is_read_call(method: str, path: str) -> bool:
    """GETs and the POSTs that only read (`.../query`, `.../count`, ...)."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and path.split("?")[0].rstrip("/").endswith(READ_SUFFIXES)


@functools.lru_cache(maxsize=4096)  # every call is counted by it; most paths recur
def path_template(path: str) -> str:
    """`/events/v3/events/0c6f…-…` → `/events/v3/events/{id}`, so calls for different objects
    count together."""
    parts = path.split("?")[0].split("/")
    out = []
    for index, part in enumerate(parts):
        if index and parts[index - 1] == "slug" and part:
            out.append("{slug}")
        elif _ID_SEGMENT.fullmatch(part):
            out.append("{id}")
        else:
            out.append(part)
    return "/".join(out)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: REDACTED if name.lower() == "authorization" else value
            for name, value in headers.items()}


def flatten_params(params: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """Nested query parameters the way Wix's SDK sends them: `{"paging": {"limit": 10}}` →
    `paging.limit=10`; lists repeat the key."""
    flat: dict[str, Any] = {}
    for name, value in (params or {}).items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, f"{key}."))
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        elif value is not None:
            flat[key] = value
    return flat


TRANSPORT_VARIABLE = "PROVISIONER_TRANSPORT"
TRANSPORTS = ("own", "httpx")  # the client's own (the default), or httpx's default one


def own_transport_wanted(environ: Mapping[str, str]) -> bool:
    """Whether calls go through the client's own transport: yes unless PROVISIONER_TRANSPORT
    says `httpx` (a way back to httpx's default transport, should ours ever misbehave on a
    network) or the environment names a proxy (which only httpx's transports go through)."""
    chosen = environ.get(TRANSPORT_VARIABLE, "").strip().lower() or "own"
    if chosen not in TRANSPORTS:
        raise ProvisionerError(
            f"{TRANSPORT_VARIABLE}={environ[TRANSPORT_VARIABLE]!r} is not a transport: use "
            f"`own` (the default) or `httpx` (httpx's default transport)")
    return chosen == "own" and not proxied()


def proxied() -> bool:
    """Whether the environment names a proxy, which httpx's own transports then go through
    (as httpx finds them: HTTP_PROXY, HTTPS_PROXY, ALL_PROXY or the system's settings)."""
    found = getproxies()
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date); None if absent
    or unreadable."""
    if not value or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # in all, the first included
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 120.0  # a longer Retry-After fails at once instead of hanging
    # a 429 is the site pacing us, not a fault: waited out this many times before giving up
    rate_limited_attempts: int = 30

    def backoff(self, attempt: int, draw: float) -> float:
        """Full jitter after failed attempt `attempt`: uniform in [0, min(cap, base·2^(n-1)))."""
        return draw * min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


# --- the client -----------------------------------------------------------------------------


class WixClient:
    """Async client for one target; use as `async with WixClient(target) as client:`.

    `calls` counts every HTTP attempt by `METHOD /path/{id}` (retries included, so it matches
    the server's own count); `retries` counts the attempts after the first.
    """

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        random: Callable[[], float] = random.random,
    ) -> None:
        if target.name == "local" and transport is None:
            raise ProvisionerError("The local sandbox runs in process: pass its transport")
        # `resolve_target` refuses these first, naming the variables; a Target made by hand too
        refusals = [f"{name} {problem}" for name, problem in (
            ("the target URL", url_problem(target.base_url)),
            ("the API key", header_value_problem(target.api_key)),
            ("the site id", header_value_problem(target.site_id))) if problem]
        if refusals:
            raise ProvisionerError(refusals[0])
        self.target = target
        self.retry = retry or RetryPolicy()
        self.calls: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self._sleep = sleep
        self._random = random
        self.limiter: RateLimiter | None = None
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "User-Agent": f"wix-events-provisioner/{__version__}"}
        if target.api_key:
            headers["Authorization"] = target.api_key
        if target.site_id:
            headers["wix-site-id"] = target.site_id
        self._base_url = target.base_url or SANDBOX_BASE_URL
        if transport is None and urlsplit(self._base_url).scheme in ("http", "https"):
            if own_transport_wanted(os.environ):
                transport = Transport()  # httpx's own costs more CPU per call (`transport`)
            # --debug says which carries the calls: the first thing to compare when a network
            # treats the two differently
            log.debug("connections: %s", "the client's own (HTTP/1.1 on asyncio)" if transport
                      else "httpx's default transport (a proxy is named, or "
                      f"{TRANSPORT_VARIABLE}=httpx)")
        self._http = httpx.AsyncClient(base_url=self._base_url, headers=headers,
                                       timeout=timeout, transport=transport)
        # what --debug shows of the headers: who is calling, with the key itself blanked out
        shown = redact_headers({k: v for k, v in headers.items()
                                if k in ("Authorization", "wix-site-id")})
        self._auth_trace = " ".join(f"{name}: {value}" for name, value in shown.items())

    def __repr__(self) -> str:
        return f"WixClient({self.target.describe()!r})"

    def limit_rate(self, per_minute: float) -> None:
        """Pace every call of this client to `per_minute` (see `ratelimit`)."""
        self.limiter = RateLimiter(per_minute, sleep=self._sleep)

    async def __aenter__(self) -> WixClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, *, read: bool | None = None
                   ) -> dict[str, Any]:
        return await self.request("POST", path, json=json, read=read)

    async def patch(self, path: str, json: Any = None) -> dict[str, Any]:
        return await self.request("PATCH", path, json=json)

    async def put(self, path: str, json: Any = None) -> dict[str, Any]:
        return await self.request("PUT", path, json=json)

    async def delete(self, path: str, params: Mapping[str, Any] | None = None
                     ) -> dict[str, Any]:
        return await self.request("DELETE", path, params=params)

    async def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                      json: Any = None, read: bool | None = None) -> dict[str, Any]:
        """The decoded JSON object of a successful call, or a typed `ProvisionerError`.
        `read` overrides whether the call only reads (and so may be retried freely)."""
        method = method.upper()
        reads = is_read_call(method, path) if read is None else read
        label = f"{method} {path_template(path)}"
        flat = flatten_params(params)  # once for every attempt
        attempt = 0
        while True:
            attempt += 1
            self.calls[label] += 1
            if attempt > 1:
                self.retries[label] += 1
            if self.limiter is not None:
                await self.limiter.acquire()
            try:
                answer = await self._attempt(method, path, flat, json, attempt)
                if self.limiter is not None:
                    self.limiter.passed()
                return answer
            except (ApiError, TransportError, UnexpectedResponse) as error:
                if isinstance(error, RateLimited) and self.limiter is not None:
                    self.limiter.throttled(error.retry_after)
                wait = self._retry_wait(error, reads, attempt)
                if wait is None:
                    if isinstance(error, ApiError | TransportError):
                        error.attempts = attempt
                    if not reads and _may_have_run(error):
                        raise OutcomeUnknown(method, path, error) from error
                    raise
                # a long wait is said out loud, so a rate-limited run never looks hung
                level = logging.WARNING if wait >= NOTICEABLE_WAIT else logging.INFO
                log.log(level, "retrying %s %s in %.0f s after %s (attempt %d of %d)", method,
                        path, wait, _short_reason(error), attempt + 1, self.retry.attempts)
            await self._sleep(wait)

    def _retry_wait(self, error: ProvisionerError, reads: bool, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up now."""
        never_ran = isinstance(error, RateLimited) or (
            isinstance(error, TransportError) and not error.sent)
        worth_retrying = never_ran or (reads and isinstance(error, ServerError | TransportError))
        if isinstance(error, TransportError) and error.lasting:
            worth_retrying = False
        limit = (self.retry.rate_limited_attempts if isinstance(error, RateLimited)
                 else self.retry.attempts)
        if not worth_retrying or attempt >= limit:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            if error.retry_after > self.retry.max_retry_after:
                return None
            return error.retry_after + self._random() * self.retry.base_delay
        return self.retry.backoff(attempt, self._random())

    async def _attempt(self, method: str, path: str, params: dict[str, Any], body: Any,
                       attempt: int) -> dict[str, Any]:
        # the URL is scrubbed only for a line that shows it: a debug trace or an error
        tracing = log.isEnabledFor(logging.DEBUG)
        if tracing:
            log.debug("→ %s %s (attempt %d) %s", method, self._url(path), attempt,
                      self._auth_trace)
        started = time.perf_counter()
        try:
            # httpx encodes the query itself: a string built here beforehand costs as much,
            # since httpx quotes a query in a URL it is given all over again
            response = await self._http.request(method, path, params=params or None,
                                                json=body)
        except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeEncodeError) as exc:
            # made here, not met on the way: trying again would fail the same way
            raise ProvisionerError(f"{method} {self._url(path)}: cannot send the request "
                                   f"({type(exc).__name__}: {self._scrub(str(exc))})") from None
        except httpx.TransportError as exc:
            if tracing:
                ms = (time.perf_counter() - started) * 1000
                log.debug("← %s %s failed after %.0f ms (attempt %d): %s", method, path, ms,
                          attempt, type(exc).__name__)
            # `from None`: httpx's exception holds the request, and so the Authorization header
            raise self._transport_error(method, path, self._url(path), exc) from None
        if tracing:
            ms = (time.perf_counter() - started) * 1000
            log.debug("← %s %s %d in %.0f ms (attempt %d)", method, path,
                      response.status_code, ms, attempt)
        if not 200 <= response.status_code < 300:
            error = parse_error(
                response.status_code, self._scrub(response.text), method=method, path=path,
                request_id=response.headers.get(REQUEST_ID_HEADER),
                retry_after=parse_retry_after(response.headers.get("retry-after")))
            if isinstance(error, Unauthorized | Forbidden):
                # name where this target's key and site id came from (an environment's
                # own variable), not the default WIX_API_KEY / WIX_SITE_ID
                error.hint = error.hint.replace("WIX_API_KEY", self.target.key_source) \
                    .replace("WIX_SITE_ID", self.target.site_source)
            raise error
        text = response.text
        try:
            decoded = json.loads(text) if text.strip() else {}
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            snippet = self._scrub(" ".join(text.split())[:200])
            raise UnexpectedResponse(
                f"{method} {path}: {response.status_code} but the answer is not a JSON object: "
                f"{snippet}", method=method, path=path, status=response.status_code)
        return decoded

    def _transport_error(self, method: str, path: str, url: str, exc: httpx.TransportError
                         ) -> TransportError:
        detail = self._scrub(str(exc)) or type(exc).__name__
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        untrusted = isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in detail
        not_tls = isinstance(exc, httpx.ConnectError) and "WRONG_VERSION_NUMBER" in detail
        if untrusted:
            reason = (f"the TLS certificate of {self._base_url} is not trusted ({detail}); "
                      "if your network signs it with its own authority, point SSL_CERT_FILE "
                      "at that authority's certificate")
        elif not_tls:
            reason = (f"{self._base_url} did not answer in TLS ({detail}); if it serves plain "
                      f"HTTP, as the emulator does, use "
                      f"{self._base_url.replace('https://', 'http://', 1)}")
        elif isinstance(exc, httpx.ConnectError):
            reason = f"cannot connect to {self._base_url} ({detail}); is it running?"
        elif isinstance(exc, httpx.TimeoutException):
            reason = f"no answer in time ({type(exc).__name__})"
        elif isinstance(exc, httpx.RemoteProtocolError):
            reason = f"the connection was dropped before an answer ({detail})"
        else:
            reason = f"{type(exc).__name__}: {detail}"
        return TransportError(f"{method} {url}: {reason}", method=method, path=path, url=url,
                              sent=not never_sent, lasting=untrusted or not_tls)

    def _url(self, path: str) -> str:
        """The URL of `path` as messages show it: on the base URL, secrets blanked out."""
        return self._scrub(f"{self._base_url}{path}")

    def _scrub(self, text: str) -> str:
        """`text` (a server's answer, an exception's message) with every secret blanked out."""
        return redact(text, self.target.api_key)

    # --- paging ---------------------------------------------------------------------------

    async def query_all(self, path: str, body: Mapping[str, Any] | None, items_key: str,
                        metadata_key: str = "pagingMetadata", limit: int = 100, *,
                        style: str | None = None) -> list[dict[str, Any]]:
        """Every item of a query, page by page. `style` is "offset" (`query.paging`) or
        "cursor" (`query.cursorPaging`); by default cursor when `body` asks for it, else
        offset. A first page that is not full is the only call."""
        base = copy.deepcopy(dict(body or {}))
        query = dict(base.get("query") or {})
        cursor = style == "cursor" if style else "cursorPaging" in query
        query.pop("paging", None)
        query.pop("cursorPaging", None)
        if cursor:
            return await self._cursor_pages(path, base, query, items_key, metadata_key,
                                            min(limit, MAX_CURSOR_LIMIT))
        return await self._offset_pages(path, base, query, items_key, metadata_key, limit)

    async def _offset_pages(self, path: str, base: dict[str, Any], query: dict[str, Any],
                            items_key: str, metadata_key: str, limit: int
                            ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            paged = {**query, "paging": {"limit": limit, "offset": len(items)}}
            found, meta = page_of(await self.post(path, {**base, "query": paged}, read=True),
                                items_key, metadata_key, path)
            items += found
            total = meta.get("total")
            known = isinstance(total, int) and not meta.get("tooManyToCount")
            # with a total, a short page only means the server caps the page size
            if not found or (len(items) >= total if isinstance(total, int) and known
                             else len(found) < limit):
                return items
        raise ProvisionerError(f"{path} was still returning pages after {MAX_PAGES}")

    async def _cursor_pages(self, path: str, base: dict[str, Any], query: dict[str, Any],
                            items_key: str, metadata_key: str, limit: int
                            ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paged = {**query, "cursorPaging": {"limit": limit}}
        for _ in range(MAX_PAGES):
            found, meta = page_of(await self.post(path, {**base, "query": paged}, read=True),
                                items_key, metadata_key, path)
            items += found
            cursors = meta.get("cursors")
            next_cursor = cursors.get("next") if isinstance(cursors, dict) else None
            if not found or not next_cursor or len(found) < limit or meta.get("hasNext") is False:
                return items
            # Wix: a cursor carries the filter and sort, and a next-page request repeats neither
            rest = {k: v for k, v in query.items() if k not in ("filter", "sort")}
            paged = {**rest, "cursorPaging": {"limit": limit, "cursor": next_cursor}}
        raise ProvisionerError(f"{path} was still returning pages after {MAX_PAGES}")


def page_of(response: dict[str, Any], items_key: str, metadata_key: str, path: str
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A page's items and paging metadata. Wix leaves empty lists out of its JSON, so a missing
    items key is an empty page, unless another list is there (then the key is wrong)."""
    found = response.get(items_key)
    if found is None:
        lists = sorted(k for k, v in response.items() if isinstance(v, list) and v)
        if lists:
            raise ProvisionerError(f"{path} answered no `{items_key}`, but {lists}")
        found = []
    if not isinstance(found, list):
        raise UnexpectedResponse(f"{path}: `{items_key}` is not a list", path=path, status=200)
    meta = response.get(metadata_key)
    if not isinstance(meta, dict):
        # tolerate a service using one of the other spellings Wix has
        meta = next((response[k] for k in METADATA_KEYS if isinstance(response.get(k), dict)),
                    {})
    return found, meta


def _may_have_run(error: ProvisionerError) -> bool:
    if isinstance(error, TransportError):
        return error.sent
    return isinstance(error, ServerError | UnexpectedResponse)


def _short_reason(error: ProvisionerError) -> str:
    if isinstance(error, ApiError):
        return f"{error.status} {error.code or ''}".strip()
    return type(error).__name__
