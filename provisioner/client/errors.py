"""The provisioner's exception tree: every failure a user can see is one of these.

`str(error)` is always the user-facing text; `cli.py` maps the classes to exit codes. No error
ever holds the API key: the client scrubs it from any text it copies from a response.

    ProvisionerError              base; str() is a message for the user
    ├── ApiError                  the API answered with an error status (any not listed below)
    │   ├── BadRequest      400   invalid argument; field_violations name the fields
    │   ├── Unauthorized    401   the API key is missing or not valid
    │   ├── Forbidden       403   the key cannot reach this site, or lacks a permission
    │   ├── NotFound        404
    │   ├── Conflict        409   a stale `revision`, or the object already exists
    │   ├── FailedPrecondition 428  a business rule: a limit, a status transition
    │   ├── RateLimited     429   too many calls; retry_after seconds when the API said
    │   └── ServerError     5xx
    ├── TransportError            no HTTP answer: connection refused or dropped, timeout
    ├── UnexpectedResponse        an answer that is not the JSON object Wix always sends
    └── OutcomeUnknown            a write that failed in a way that may have been applied

`OutcomeUnknown` wraps the original `ApiError` / `TransportError` (`cause`); apply looks the
object up before it tries the write again, because Wix has no idempotency keys.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

# The code an ApiError carries when the body held field violations but no application code.
VALIDATION_ERROR = "VALIDATION_ERROR"


class ProvisionerError(Exception):
    """A failure the user can act on; `message` is what to tell them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request, as Wix's `validationError.fieldViolations` names it."""

    field: str
    description: str
    violated_rule: str | None = None
    rule_name: str | None = None
    # `dataclasses.field`, because this class has a field named `field`
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.field}: {self.description}" if self.field else self.description


class ApiError(ProvisionerError):
    """The API refused a call. `message` is the API's own text; str() adds the call, the status,
    the Wix code, the invalid fields and a hint."""

    hint: str = ""  # per class; a client may name its own variables in it (an instance)

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        description: str = "",
        data: dict[str, Any] | None = None,
        field_violations: list[FieldViolation] | None = None,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.description = description
        self.data = data or {}
        self.field_violations = list(field_violations or [])
        self.method = method
        self.path = path
        self.request_id = request_id
        self.attempts = 1  # set by the client when it gives up after retries

    def __str__(self) -> str:
        call = f"{self.method} {self.path}: " if self.method else ""
        return call + self.reason

    @property
    def reason(self) -> str:
        """The refusal without the call: status, code, message, fields, request id, hint."""
        text = f"{self.status}" + (f" {self.code}" if self.code else "")
        detail = self.message or self.description
        if detail:
            text += f": {detail}"
        unmentioned = [str(v) for v in self.field_violations if v.field not in detail]
        if unmentioned:
            text += f" ({'; '.join(unmentioned)})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        if self.attempts > 1:
            text += f" (gave up after {self.attempts} attempts)"
        if self.hint:
            text += f". {self.hint}"
        return text


class BadRequest(ApiError):
    """400: the request was invalid; nothing was changed."""


class Unauthorized(ApiError):
    hint = "Check WIX_API_KEY: the API key was not accepted"


class Forbidden(ApiError):
    hint = "Check WIX_SITE_ID and that the API key has the Wix Events permissions for that site"


class NotFound(ApiError):
    """404: no such object (or no such API path)."""


class Conflict(ApiError):
    """409: most often a stale `revision` — someone changed the object since it was read."""


class FailedPrecondition(ApiError):
    """428: a business rule refused the call (a limit, a status transition)."""


class RateLimited(ApiError):
    """429: refused before it ran, so it is always safe to try again."""

    hint = "Wix allows about 200 calls a minute per site; wait and try again"

    def __init__(self, status: int, message: str, *, retry_after: float | None = None,
                 **details: Any) -> None:
        super().__init__(status, message, **details)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed; for a write, whether it was applied is unknown."""

    hint = "The API is failing on its side; try again in a few minutes"


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    428: FailedPrecondition,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return ERRORS_BY_STATUS.get(status, ApiError)


def parse_error(status: int, body: str, *, method: str = "", path: str = "",
                request_id: str | None = None, retry_after: float | None = None) -> ApiError:
    """The typed error for an error response, read from Wix's envelope

        {"message", "details": {"applicationError": {"code", "description", "data"}}}
        {"message", "details": {"validationError": {"fieldViolations": [{field, ...}]}}}

    Any body is accepted: a proxy's HTML page or a truncated answer gives an error that quotes
    its start instead of crashing. Wix's 5xx body is `{"message": "", "details": {}}`, so the
    message falls back to the status's reason phrase.
    """
    try:
        envelope = json.loads(body) if body.strip() else {}
    except ValueError:
        envelope = None
    message, code, description, data = "", None, "", {}
    violations: list[FieldViolation] = []
    if isinstance(envelope, dict):
        message = _text(envelope.get("message"))
        details = _mapping(envelope.get("details"))
        application = _mapping(details.get("applicationError"))
        code = _text(application.get("code")) or None
        description = _text(application.get("description"))
        data = _mapping(application.get("data"))
        validation = _mapping(details.get("validationError"))
        raw_violations = validation.get("fieldViolations")
        for raw in raw_violations if isinstance(raw_violations, list) else []:
            if isinstance(raw, dict):
                violations.append(FieldViolation(
                    field=_text(raw.get("field")),
                    description=_text(raw.get("description")),
                    violated_rule=_text(raw.get("violatedRule")) or None,
                    rule_name=_text(raw.get("ruleName")) or None,
                    data=_mapping(raw.get("data")),
                ))
        # Seen on some Wix APIs (not confirmed for Events): a top-level numeric `errorCode`.
        if code is None and isinstance(envelope.get("errorCode"), str | int):
            code = str(envelope["errorCode"])
        if code is None and violations:
            code = VALIDATION_ERROR
    elif body.strip():
        snippet = " ".join(body.split())[:200]
        message = f"not a Wix error envelope: {snippet}"
    if not message and not description:
        message = _reason_phrase(status)
    cls = error_class(status)
    details_kw: dict[str, Any] = {
        "code": code, "description": description, "data": data,
        "field_violations": violations, "method": method, "path": path,
        "request_id": request_id,
    }
    if cls is RateLimited:
        return RateLimited(status, message, retry_after=retry_after, **details_kw)
    return cls(status, message, **details_kw)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP status {status}"


class TransportError(ProvisionerError):
    """No HTTP answer arrived: the connection was refused or dropped, or timed out.

    `sent` is False when the request certainly never reached the server (connection refused,
    connect timeout), which makes even a write safe to try again. `lasting` is True when
    trying again cannot help (a TLS certificate not trusted, a server that does not speak
    TLS).
    """

    def __init__(self, message: str, *, method: str = "", path: str = "", url: str = "",
                 sent: bool = True, lasting: bool = False) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.url = url
        self.sent = sent
        self.lasting = lasting
        self.attempts = 1  # set by the client when it gives up after retries

    def __str__(self) -> str:
        if self.attempts > 1:
            return f"{self.message} (gave up after {self.attempts} attempts)"
        return self.message


class UnexpectedResponse(ProvisionerError):
    """The API answered success with a body that is not a JSON object."""

    def __init__(self, message: str, *, method: str = "", path: str = "",
                 status: int = 0) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status


class OutcomeUnknown(ProvisionerError):
    """A write failed after it was sent (5xx, timeout, dropped connection): it may have been
    applied. Look the object up before trying again; `cause` is the original error."""

    def __init__(self, method: str, path: str, cause: ProvisionerError) -> None:
        reason = cause.reason if isinstance(cause, ApiError) else str(cause)
        super().__init__(
            f"{method} {path} may or may not have been applied ({reason}). "
            "Look the object up before trying again"
        )
        self.method = method
        self.path = path
        self.cause = cause
