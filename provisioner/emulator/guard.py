"""The emulator's front door: refuse requests a foreign web page could have made.

The emulator runs on developers' laptops, where any page they visit can send requests to
127.0.0.1. Two attacks follow, and this ASGI middleware stops both before routing:

- **DNS rebinding.** A page on `evil.example` rebinds its name to 127.0.0.1 and then reads
  `GET /_emulator/state` as a same-origin request. The browser still sends `Host: evil.example`,
  so the app answers only a `Host` it serves: `127.0.0.1`, `localhost` and `[::1]`; the address
  `serve --host` was given; and names under the special-use domains `.localhost`, `.test` and
  `.invalid` (RFC 6761: public DNS never resolves them, so no page can rebind onto one; the
  embedded sandbox calls the app in process as `sandbox.invalid`). A port, when the `Host`
  names one, must be the port the server listens on. Anything else is answered
  **421 `MISDIRECTED_REQUEST`** in Wix's envelope: the request reached a server that does not
  serve that name (421 rather than 403, because nothing about the caller is refused, only
  the name it used).
- **Cross-site request forgery.** A page can POST a `text/plain` form to `/_emulator/reset`
  without a CORS preflight. So a control write (any method but GET and HEAD under
  `/_emulator/`) must be `Content-Type: application/json` (else **415
  `UNSUPPORTED_MEDIA_TYPE`**), which a browser sends cross-origin only after a preflight the
  emulator never approves, and an `Origin` header, when present, must name a served host
  (else **403 `PERMISSION_DENIED`**). Send `{}` when a control takes no body.

The API proper needs `Authorization`, which a foreign page cannot send without a preflight
either, so it needs only the `Host` check.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, PermissionDenied

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# RFC 6761 special-use names: public DNS never resolves them, so a page cannot rebind onto one
SPECIAL_USE_SUFFIXES = (".localhost", ".test", ".invalid")
CONTROL_PREFIX = "/_emulator/"
READ_METHODS = frozenset({"GET", "HEAD"})


def split_host(value: str) -> tuple[str, int | None] | None:
    """`host[:port]` (IPv6 in brackets) as (lower-case host, port); None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    elif ":" in value:
        return None  # an IPv6 address must be bracketed
    else:
        host, port_text = value, ""
    if not host:
        return None
    if not port_text:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        return None
    return host, int(port_text)


class RequestGuard:
    """ASGI middleware applying the Host, Origin and content-type rules of this module."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.hosts = LOOPBACK_HOSTS | {h.strip("[]").lower() for h in hosts}

    def serves(self, host: str, port: int | None, scope: Scope) -> bool:
        """Whether `host[:port]` names this server."""
        if host not in self.hosts and not host.endswith(SPECIAL_USE_SUFFIXES):
            return False
        server = scope.get("server")
        listening = server[1] if server else None
        return port is None or listening is None or port == listening

    def refusal(self, scope: Scope) -> ApiError | None:
        """Why this request is refused, or None to serve it."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                   if k in (b"host", b"origin", b"content-type")}
        named = split_host(headers.get("host", ""))
        if named is None or not self.serves(*named, scope):
            return ApiError(421, "MISDIRECTED_REQUEST",
                            f"This emulator does not serve the host {headers.get('host')!r}: "
                            "call it as 127.0.0.1, localhost or [::1] (see README)")
        if not scope["path"].startswith(CONTROL_PREFIX) or scope["method"] in READ_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and not self._origin_served(origin, scope):
            return PermissionDenied(f"Control calls are refused from the foreign origin "
                                    f"{origin!r}")
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                            "Control calls that change state must send `Content-Type: "
                            "application/json` (send `{}` when there is no body)")
        return None

    def _origin_served(self, origin: str, scope: Scope) -> bool:
        try:
            parts = urlsplit(origin)
            host, port = parts.hostname, parts.port
        except ValueError:
            return False
        return host is not None and self.serves(host, port, scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            error = self.refusal(scope)
            if error is not None:
                response = JSONResponse(error.to_json(), status_code=error.status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
