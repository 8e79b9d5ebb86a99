"""The site export format (`wix-events-site`, version 1) as an import reads it: the header and
sections, the server-fixed and computed wire fields read beside each module's create spec, the
checks every import entry shares (refusals that name the entry, repeats, references to events,
dates), and the mapping of an exported form to the stored form. The shape itself is in
site_export.py's docstring.

Decisions:
- Fields the emulator does not know are ignored, as the API's own field specs ignore them;
  read-only and computed fields (status, registration type/status, price range, formatted
  dates and address, URLs, instance id, feed, summaries, limited/actualLimit, saleStatus,
  limitPerCheckout, pricingType/free, eventDetails, counts) are dropped and recomputed.
- `format` ("wix-events-site") and `version` (1) are required, so a state dump or another file
  sent here by mistake cannot wipe the site. Missing sections count as empty.
- A form's messages are merged over the default messages; a control needs `id` and `type`,
  and `system` (false), `name` (the id) and `inputs` ([]) are defaulted; controls and inputs
  keep the keys the emulator builds (an input's `additionalLabels` map and the event's
  rich-content `description` are kept as sent, as the API keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import forms, ticket_model
from .control import PREFIX
from .errors import ApiError, FieldViolation, ValidationFailed
from .fields import AnyJson, Arr, Bool, F, Int, JsonObject, Obj, Str, Timestamp, check, fail
from .forms_model import MESSAGES_SPEC
from .values import deep_merge

FORMAT = "wix-events-site"
VERSION = 1
SECTIONS = ("events", "ticketDefinitions", "policies", "schedule", "categories", "forms")

_GUID = Str(fmt="GUID")
_ID = Str(min_len=1)
_REVISION = Int(minimum=1)
_IGNORED = F(AnyJson(), readonly=True)

# the server-fixed and computed wire fields import reads, beside each module's create spec
EVENT_SERVER = Obj({
    "id": F(_GUID, required=True),
    "slug": Str(min_len=1),
    "createdDate": Timestamp(),
    "updatedDate": Timestamp(),
    "publishedDate": Timestamp(),
    "userId": Str(min_len=1),
    "status": Str(),
    "registration": Obj({"tickets": Obj({"currencyLocked": Bool()})}),
    "summaries": Obj({
        "tickets": Obj({
            "revenue": Obj({"value": ticket_model.MoneyValue(),
                            "amount": ticket_model.MoneyValue()}),
            "currencyLocked": Bool(),
            "totalOrders": Int(minimum=0),
        }),
        "cancellation": Obj({"canceledDate": Timestamp()}),
    }),
})
DEFINITION_SERVER = Obj({
    "id": _ID,
    "revision": _REVISION,
    "createdDate": Timestamp(),
    "updatedDate": Timestamp(),
    "salesDetails": Obj({"soldCount": Int(minimum=0), "reservedCount": Int(minimum=0)}),
})
POLICY_SERVER = Obj({"id": _ID, "revision": _REVISION, "createdDate": Timestamp(),
                     "updatedDate": Timestamp()})
ITEM_SERVER = Obj({"id": _ID, "eventId": Str(), "createdDate": Timestamp(),
                   "updatedDate": Timestamp()})
CATEGORY_SERVER = Obj({"id": _GUID, "createdDate": Timestamp(), "eventIds": Arr(_GUID)})
SCHEDULE_ENTRY = Obj({
    "eventId": F(_GUID, required=True),
    "items": Arr(AnyJson()),
    "draftItems": Arr(AnyJson()),
})
FORM_ENTRY = Obj({
    "eventId": F(_GUID, required=True),
    "controls": Arr(AnyJson()),
    "messages": AnyJson(),
})
INPUT = Obj({  # the keys of an input in the order forms_model builds them
    "name": F(Str(min_len=1), required=True),
    "array": Bool(),
    "label": Str(),
    "additionalLabels": JsonObject(),  # a map: its keys are data
    "options": Arr(Str()),
    "mandatory": Bool(),
    "maxLength": Int(minimum=0),
    "type": Str(min_len=1),
    "maxSize": Int(minimum=0),
    "defaultOptionSelection": Obj({"optionIndex": Int(minimum=0), "placeholderText": Str()}),
})
CONTROL = Obj({
    "type": F(Str(min_len=1), required=True),
    "system": Bool(),
    "name": Str(min_len=1),
    "id": F(Str(min_len=1), required=True),
    "orderIndex": _IGNORED,  # renumbered from list order
    "label": Str(),
    "inputs": Arr(INPUT),
})


# --- checking ----------------------------------------------------------------------------------


def check_header(body: dict[str, Any]) -> None:
    """Refuse a body that is not this format (a state dump sent here by mistake, say)."""
    if body.get("format") != FORMAT:
        raise fail("format", f'must be "{FORMAT}", as GET {PREFIX}/sites/export gives it (a '
                   f"state dump goes to PUT {PREFIX}/state)", "CUSTOM")
    if body.get("version") != VERSION:
        raise fail("version", f"must be {VERSION}", "CUSTOM")


def read_sections(body: dict[str, Any]) -> dict[str, list[Any]]:
    """Every section's entries by section name; a missing section is empty."""
    return {name: _section(body, name) for name in SECTIONS}


def _section(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(name, "Expected an array.", "FORMAT")
    return value


@contextmanager
def export_entry(where: str, prefix: str = "") -> Iterator[None]:
    """Make every refusal raised inside name the export entry `where`: field paths the API
    modules write as `<prefix>.x` become `<where>.x`, and other refusals become a 400 whose
    message starts with `where`."""
    try:
        yield
    except ValidationFailed as error:
        moved = []
        for v in error.violations:
            path = v.field
            if prefix and (path == prefix or path.startswith(f"{prefix}.")):
                path = where + path[len(prefix):]
            elif not path.startswith(where):
                path = f"{where}.{path}"
            moved.append(FieldViolation(path, v.description, v.violated_rule, v.data))
        raise ValidationFailed(moved) from None
    except ApiError as error:
        raise ApiError(400, error.code, f"{where}: {error.message}", error.data) from None


def add_unique(seen: set[str], value: str, path: str, what: str) -> None:
    """Add `value` to `seen`; a 400 on `path` if an earlier entry had it (`repeats <what> x`)."""
    if value in seen:
        raise fail(path, f"repeats {what} {value}", "CUSTOM")
    seen.add(value)


def known_event(events: dict[str, dict[str, Any]], event_id: str, path: str
                ) -> dict[str, Any]:
    """The event (by id) this export holds; a 400 on `path` for any other id."""
    if event_id not in events:
        raise fail(path, f"names no event in this export ({event_id})", "CUSTOM")
    return events[event_id]


def stored_dates(server: dict[str, Any], now: str) -> tuple[str, str]:
    """(createdDate, updatedDate) of an entry: created defaults to `now`, updated to created."""
    created = server.get("createdDate", now)
    return created, server.get("updatedDate", created)


# --- forms -------------------------------------------------------------------------------------


def stored_form(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The stored form an exported form (`{controls?, messages?}`) describes."""
    default = forms.default_form()
    controls = default["controls"]
    if raw.get("controls") is not None:
        if not isinstance(raw["controls"], list):
            raise fail(f"{where}.controls", "Expected an array.", "FORMAT")
        controls = []
        ids: set[str] = set()
        for position, raw_control in enumerate(raw["controls"]):
            path = f"{where}.controls[{position}]"
            control = check(CONTROL, raw_control, path)
            add_unique(ids, control["id"], f"{path}.id", "the control id")
            out: dict[str, Any] = {
                "type": control["type"],
                "system": control.get("system", False),
                "name": control.get("name", control["id"]),
                "id": control["id"],
                "orderIndex": position,
            }
            if "label" in control:
                out["label"] = control["label"]
            out["inputs"] = control.get("inputs", [])
            controls.append(out)
    messages = default["messages"]  # a fresh copy: merged into in place
    if raw.get("messages") is not None:
        deep_merge(messages, check(MESSAGES_SPEC, raw["messages"], f"{where}.messages"))
    return {"controls": controls, "messages": messages}
