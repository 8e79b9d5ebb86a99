"""The emulator's API errors and their Wix JSON envelope.

Every refusal the emulator makes is one of these exceptions; `http.py` turns them into a
response in exactly one place. The envelope is the one Wix documents:

    {"message": "...", "details": {"applicationError": {"code", "description", "data"}}}
    {"message": "...", "details": {"validationError": {"fieldViolations": [...]}}}

    ApiError                      any refusal with an HTTP status and an application code
    ├── BadRequest        400     INVALID_ARGUMENT or a documented 400 code
    │   └── ValidationFailed 400  field violations (required, length, enum, one-of, type)
    ├── Unauthenticated   401
    ├── PermissionDenied  403
    ├── NotFound          404
    ├── Conflict          409     e.g. a stale revision
    ├── PayloadTooLarge   413     a request body over the emulator's cap
    └── FailedPrecondition 428    documented business preconditions (limits, status transitions)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field, named by its dotted path in the request body."""

    field: str
    description: str
    violated_rule: str = "FORMAT"
    data: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "description": self.description,
            "violatedRule": self.violated_rule,
        }
        if self.data:
            out["data"] = self.data
        return out


@dataclass
class ApiError(Exception):
    """A refused request: HTTP status, Wix application code and a human message."""

    status: int
    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "details": {
                "applicationError": {
                    "code": self.code,
                    "description": self.message,
                    "data": self.data,
                }
            },
        }


class BadRequest(ApiError):
    def __init__(self, message: str, code: str = "INVALID_ARGUMENT", **data: Any) -> None:
        super().__init__(400, code, message, data)


class ValidationFailed(ApiError):
    """400 with `validationError.fieldViolations`, the shape Wix uses for bad input."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        first = violations[0]
        message = f"{first.field}: {first.description}"
        if len(violations) > 1:
            message += f" (and {len(violations) - 1} more)"
        super().__init__(400, "INVALID_ARGUMENT", message)
        self.violations = violations

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "details": {
                "validationError": {
                    "fieldViolations": [v.to_json() for v in self.violations]
                }
            },
        }


class Unauthenticated(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(401, "UNAUTHENTICATED", message)


class PermissionDenied(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(403, "PERMISSION_DENIED", message)


class NotFound(ApiError):
    def __init__(self, message: str, code: str = "NOT_FOUND") -> None:
        super().__init__(404, code, message)


class Conflict(ApiError):
    def __init__(self, message: str, code: str = "ALREADY_EXISTS", **data: Any) -> None:
        super().__init__(409, code, message, data)


class PayloadTooLarge(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(413, "PAYLOAD_TOO_LARGE", message)


class FailedPrecondition(ApiError):
    def __init__(self, code: str, message: str, **data: Any) -> None:
        super().__init__(428, code, message, data)


def filter_error(message: str) -> BadRequest:
    """The one documented refusal for a filter, sort or paging the server cannot read."""
    return BadRequest(message, code="FILTER_PARSER_ERROR")


# Wix documents a 409 for a stale revision but no application code; this is ours.
REVISION_MISMATCH = "REVISION_MISMATCH"


def stale_revision(kind: str, entity_id: str, sent: str, stored: str) -> Conflict:
    return Conflict(
        f"{kind} {entity_id} has already changed since the requested revision "
        f"(sent revision {sent}, current revision {stored})",
        code=REVISION_MISMATCH,
        currentRevision=stored,
    )
