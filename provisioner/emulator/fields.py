"""A small declarative vocabulary for checking request bodies the way Wix does.

Each API module declares its entities as `Obj({...})` trees of field specs. `check(spec, value,
"policy")` walks the body once, collects every violation (required fields, types, lengths,
enums, formats, one-of groups) and either raises `ValidationFailed` with all of them or returns
a cleaned copy holding only the fields the spec knows, with read-only fields dropped and
timestamps normalised. Dropping unknown and read-only keys is what Wix's protobuf JSON parser
does, so a client cannot smuggle `revision` or `status` into storage.

JSON `null` counts as absent, as it does for protobuf JSON.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldViolation, ValidationFailed
from .values import (
    COUNTRY_RE,
    CURRENCY_RE,
    format_timestamp,
    is_decimal,
    is_guid,
    parse_timestamp,
)

MISSING: Any = object()


class Spec(ABC):
    """Base for field specs: `clean` returns the cleaned value or MISSING after a violation."""

    @abstractmethod
    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        """The cleaned value, or MISSING after appending violations to `errors`."""


@dataclass
class Str(Spec):
    min_len: int = 0
    max_len: int | None = None
    fmt: str | None = None  # GUID, CURRENCY, DECIMAL, COUNTRY, INT64

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, str):
            errors.append(FieldViolation(path, "Expected a string.", "FORMAT"))
            return MISSING
        if len(value) < self.min_len:
            what = "must not be empty" if self.min_len == 1 else (
                f"must be at least {self.min_len} characters long"
            )
            errors.append(FieldViolation(path, what, "MIN_LENGTH", {"min": self.min_len}))
            return MISSING
        if self.max_len is not None and len(value) > self.max_len:
            errors.append(
                FieldViolation(
                    path,
                    f"must be at most {self.max_len} characters long (got {len(value)})",
                    "MAX_LENGTH",
                    {"max": self.max_len},
                )
            )
            return MISSING
        problem = _format_problem(self.fmt, value)
        if problem:
            errors.append(FieldViolation(path, problem, "FORMAT", {"type": self.fmt}))
            return MISSING
        return value


def _format_problem(fmt: str | None, value: str) -> str | None:
    if fmt is None:
        return None
    if fmt == "GUID" and not is_guid(value):
        return "must be a GUID"
    if fmt == "CURRENCY" and not CURRENCY_RE.match(value):
        return "must be a 3-letter ISO-4217 currency code, e.g. USD"
    if fmt == "DECIMAL" and not is_decimal(value):
        return 'must be a decimal number in a string, e.g. "10.50"'
    if fmt == "COUNTRY" and not COUNTRY_RE.match(value):
        return "must be a 2-letter ISO-3166 country code, e.g. US"
    if fmt == "INT64" and not value.lstrip("-").isdigit():
        return 'must be an integer in a string, e.g. "1"'
    return None


@dataclass
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)  # protobuf JSON accepts integers written as strings
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(FieldViolation(path, "Expected an integer.", "FORMAT"))
            return MISSING
        if self.minimum is not None and value < self.minimum:
            errors.append(
                FieldViolation(path, f"must be at least {self.minimum}", "MIN",
                               {"min": self.minimum})
            )
            return MISSING
        if self.maximum is not None and value > self.maximum:
            errors.append(
                FieldViolation(path, f"must be at most {self.maximum}", "MAX",
                               {"max": self.maximum})
            )
            return MISSING
        return value


class Bool(Spec):
    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, bool):
            errors.append(FieldViolation(path, "Expected a boolean.", "FORMAT"))
            return MISSING
        return value


class Timestamp(Spec):
    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, str):
            errors.append(FieldViolation(path, "Expected a string.", "FORMAT"))
            return MISSING
        moment = parse_timestamp(value)
        if moment is None:
            errors.append(
                FieldViolation(
                    path,
                    "must be an ISO-8601 timestamp with a time zone, "
                    'e.g. "2026-09-15T19:00:00Z"',
                    "FORMAT",
                )
            )
            return MISSING
        return format_timestamp(moment)


@dataclass
class Enum(Spec):
    values: tuple[str, ...]

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if value not in self.values:
            errors.append(
                FieldViolation(
                    path,
                    f"value is required to be one of [{', '.join(self.values)}], got {value!r}",
                    "FORMAT",
                )
            )
            return MISSING
        return value


@dataclass
class Arr(Spec):
    item: Spec
    min_items: int = 0
    max_items: int | None = None

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, list):
            errors.append(FieldViolation(path, "Expected an array.", "FORMAT"))
            return MISSING
        if len(value) < self.min_items:
            errors.append(
                FieldViolation(path, f"must have at least {self.min_items} items", "MIN_SIZE")
            )
            return MISSING
        if self.max_items is not None and len(value) > self.max_items:
            errors.append(
                FieldViolation(
                    path, f"must have at most {self.max_items} items (got {len(value)})",
                    "MAX_SIZE", {"max": self.max_items},
                )
            )
            return MISSING
        out = []
        for index, element in enumerate(value):
            cleaned = self.item.clean(element, f"{path}[{index}]", errors)
            if cleaned is not MISSING:
                out.append(cleaned)
        return out


class AnyJson(Spec):
    """Free-form JSON kept as sent (rich content documents, extended fields)."""

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        return value


class JsonObject(Spec):
    """Any JSON object, kept as sent."""

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, dict):
            errors.append(FieldViolation(path, "Expected an object.", "FORMAT"))
            return MISSING
        return value


@dataclass
class F:
    """A field of an object: its spec and how requests may use it."""

    spec: Spec
    required: bool = False
    readonly: bool = False


@dataclass
class Obj(Spec):
    fields: dict[str, F | Spec]
    # groups of which at most one member may be set; `exactly_one` requires one to be set
    one_of: list[tuple[str, ...]] = field(default_factory=list)
    exactly_one: list[tuple[str, ...]] = field(default_factory=list)

    def field_of(self, name: str) -> F:
        entry = self.fields[name]
        return entry if isinstance(entry, F) else F(entry)

    def clean(self, value: Any, path: str, errors: list[FieldViolation]) -> Any:
        if not isinstance(value, dict):
            errors.append(FieldViolation(path or "body", "Expected an object.", "FORMAT"))
            return MISSING
        out: dict[str, Any] = {}
        for name in self.fields:
            fld = self.field_of(name)
            sub_path = f"{path}.{name}" if path else name
            raw = value.get(name)
            if fld.readonly:
                continue
            if raw is None:
                if fld.required:
                    errors.append(FieldViolation(sub_path, "is required", "REQUIRED_FIELD"))
                continue
            cleaned = fld.spec.clean(raw, sub_path, errors)
            if cleaned is not MISSING:
                out[name] = cleaned
        for group, need_one in [(g, False) for g in self.one_of] + [
            (g, True) for g in self.exactly_one
        ]:
            present = [name for name in group if value.get(name) is not None]
            where = f"{path}." if path else ""
            if len(present) > 1:
                errors.append(
                    FieldViolation(
                        f"{where}{present[1]}",
                        f"only one of [{', '.join(group)}] may be set, got "
                        f"{' and '.join(present)}",
                        "ONE_OF",
                    )
                )
            elif need_one and not present:
                errors.append(
                    FieldViolation(
                        f"{where}{group[0]}",
                        f"exactly one of [{', '.join(group)}] is required",
                        "ONE_OF",
                    )
                )
        return out


def check(spec: Spec, value: Any, path: str) -> Any:
    """Validate one request value; raise ValidationFailed with every violation found."""
    errors: list[FieldViolation] = []
    if value is None:
        raise ValidationFailed([FieldViolation(path, "is required", "REQUIRED_FIELD")])
    cleaned = spec.clean(value, path, errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def fail(path: str, description: str, rule: str = "CUSTOM", **data: Any) -> ValidationFailed:
    """A single violation found by a rule no field spec can express."""
    return ValidationFailed([FieldViolation(path, description, rule, data or None)])
