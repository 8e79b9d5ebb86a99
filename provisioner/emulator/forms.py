"""Registration Form endpoints (`/events/v1/events/{eventId}/form`) and the default form.

Every new event gets `default_form()`: the system name and email controls, which cannot be
removed, and Wix's default messages. The form is stored in kind FORMS with id and parent equal
to the event id. As the current Wix reference says, control and message changes take effect at
once: Get returns the same form as `form` and `draftForm`, Publish Draft returns it and Discard
Draft changes nothing.

Decisions where the Wix notes are unsure (each is one place in this module or its model):
- Add-key to control: phone -> INPUT (maxLength 25), text -> INPUT or TEXTAREA (`multiLine`,
  maxLength as sent, else 0), dropdown -> DROPDOWN, radioButton -> RADIO, checkbox -> CHECKBOX
  (TEXT_ARRAY, maxSize = number of options), date -> DATE (DATE_TIME), address -> ADDRESS_FULL
  (one ADDRESS input, part labels in additionalLabels) when `full`, else ADDRESS_SHORT (one TEXT
  input), additionalGuests -> GUEST_CONTROL with a NUMBER input `additionalGuests` and a
  TEXT_ARRAY input `guestNames` (maxSize = maxGuests). `text.comment` is accepted and not shown.
- Ids are `<add key lowercased>-<16 hex chars>`; single-input controls name their input after
  the control id.
- A `label` (non-empty) is required on every control that has one; `options` on dropdown,
  radioButton (2..200) and checkbox (1..200), and `maxGuests` (1..10) on additionalGuests, since
  their documented minimums leave no valid default. Options may not repeat, and
  `defaultOptionSelection.optionIndex` must name an existing option.
- At most 200 controls per form, and one additionalGuests control, only on RSVP events: 400
  `INVALID_EVENT_CONFIGURATION` otherwise.
- Update Control takes at most one control key (the one matching the control's kind, or
  `name`/`email` for the system controls) and/or `orderIndex`; at least one must be sent. A
  control key replaces the control's settings as a whole; `name`/`email` change only the labels
  sent. A mismatched key is 400 `INVALID_EVENT_CONFIGURATION`.
- `orderIndex` is a position: the control moves there and the others shift. A custom control
  cannot move above the system controls (400 `INVALID_EVENT_CONFIGURATION`), or past the last
  position (400 field violation); system controls cannot move at all.
- `checkBox` (the spelling of Wix's intro pages) is refused with a 400 naming `checkbox`, the
  key the API and SDK use.
- Update Messages requires `messages`. Without a field mask the sent messages are merged in;
  with one, each path is copied from the request (cleared when the request lacks it). Paths may
  be relative to `messages` ("checkout.title") or start with it ("messages.checkout.title"); an
  unknown path is a 400.
"""

from __future__ import annotations

import copy
from typing import Any

from .common import FORMS, require_event
from .errors import BadRequest, FieldViolation, NotFound, ValidationFailed
from .fields import check, fail
from .forms_model import (
    ADD_SPEC,
    CONTROL_KEYS,
    MESSAGE_PATHS,
    MESSAGES_SPEC,
    SYSTEM_KEYS,
    UPDATE_SPEC,
    build_control,
    check_control,
    kind_of,
    new_control_id,
    relabel_system,
)
from .http import Ctx, Endpoint
from .params import body_object
from .values import deep_merge, get_path, parse_field_mask, set_path

PREFIX = "/events/v1/events/{eventId}/form"
MAX_CONTROLS = 200
INVALID_CONFIGURATION = "INVALID_EVENT_CONFIGURATION"

_DEFAULT_FORM: dict[str, Any] = {
    "controls": [
        {
            "type": "NAME",
            "system": True,
            "name": "name",
            "id": "name",
            "orderIndex": 0,
            "label": "First Name, Last Name",
            "inputs": [
                {"name": "firstName", "array": False, "label": "First Name",
                 "additionalLabels": {}, "options": [], "mandatory": True, "maxLength": 50,
                 "type": "TEXT"},
                {"name": "lastName", "array": False, "label": "Last Name",
                 "additionalLabels": {}, "options": [], "mandatory": True, "maxLength": 50,
                 "type": "TEXT"},
            ],
        },
        {
            "type": "INPUT",
            "system": True,
            "name": "email",
            "id": "email",
            "orderIndex": 1,
            "label": "Email",
            "inputs": [
                {"name": "email", "array": False, "label": "Email", "additionalLabels": {},
                 "options": [], "mandatory": True, "maxLength": 50, "type": "TEXT"},
            ],
        },
    ],
    "messages": {
        "rsvp": {
            "rsvpYesOption": "I will attend",
            "rsvpNoOption": "Not Going",
            "positiveMessages": {
                "title": "See you at the event!",
                "confirmation": {
                    "title": "You're going!",
                    "message": "We've sent you a confirmation email.",
                    "addToCalendarActionLabel": "Add to Calendar",
                    "shareActionLabel": "Share Event",
                },
            },
            "waitlistMessages": {
                "title": "You're on the waitlist",
                "confirmation": {
                    "title": "You're on the waitlist",
                    "message": "We'll let you know if a spot opens up.",
                    "addToCalendarActionLabel": "Add to Calendar",
                    "shareActionLabel": "Share Event",
                },
            },
            "negativeMessages": {
                "title": "Sorry you can't make it",
                "confirmation": {"title": "Thanks for letting us know",
                                 "shareActionLabel": "Share Event"},
            },
            "submitActionLabel": "RSVP",
        },
        "checkout": {
            "title": "Add Your Info",
            "submitActionLabel": "Continue",
            "confirmation": {
                "title": "Thank you for your order",
                "message": "We've sent you a confirmation email.",
                "downloadTicketsLabel": "Download Tickets",
                "addToCalendarLabel": "Add to Calendar",
                "shareEventLabel": "Share Event",
            },
        },
        "registrationClosed": {"message": "Registration is closed",
                               "exploreEventsActionLabel": "Explore Other Events"},
        "ticketsUnavailable": {"message": "Tickets are not on sale",
                               "exploreEventsActionLabel": "Explore Other Events"},
    },
}


def default_form() -> dict[str, Any]:
    return copy.deepcopy(_DEFAULT_FORM)



# --- storage and rendering ---------------------------------------------------------------------


def _invalid(message: str) -> BadRequest:
    return BadRequest(message, code=INVALID_CONFIGURATION)


def _load(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    """(stored event, its stored form); 404 EVENT_NOT_FOUND for an unknown event."""
    event = require_event(ctx.scope, ctx.path["eventId"])
    form = ctx.txn.get(ctx.site, FORMS, event["id"]) or default_form()
    return event, form


def _save(ctx: Ctx, event_id: str, form: dict[str, Any]) -> None:
    for index, control in enumerate(form["controls"]):
        control["orderIndex"] = index
    ctx.txn.put(ctx.site, FORMS, event_id, form, parent=event_id)


def render(form: dict[str, Any]) -> dict[str, Any]:
    return {"controls": copy.deepcopy(form["controls"]),
            "messages": copy.deepcopy(form["messages"])}


def _find(form: dict[str, Any], control_id: str) -> dict[str, Any]:
    for control in form["controls"]:
        if control["id"] == control_id:
            return control
    raise NotFound(f"Control {control_id} not found in this event's form",
                   code="CONTROL_NOT_FOUND")


def _check_guests_allowed(event: dict[str, Any], form: dict[str, Any]) -> None:
    if (event.get("registration") or {}).get("initialType") != "RSVP":
        raise _invalid("additionalGuests can only be added to the form of an RSVP event")
    if any(control["type"] == "GUEST_CONTROL" for control in form["controls"]):
        raise _invalid("this form already has an additionalGuests control")


# --- handlers ----------------------------------------------------------------------------------


def get_form(ctx: Ctx) -> dict[str, Any]:
    _, form = _load(ctx)
    return {"form": render(form), "draftForm": render(form)}


def publish_draft(ctx: Ctx) -> dict[str, Any]:
    _, form = _load(ctx)
    return {"form": render(form)}


def discard_draft(ctx: Ctx) -> dict[str, Any]:
    _load(ctx)
    return {}


def _refuse_misspelled_checkbox(body: dict[str, Any]) -> None:
    if "checkBox" in body:
        raise fail("checkBox", "is not a control key: the checkbox control is spelled "
                   "`checkbox`", "FORMAT")


def add_control(ctx: Ctx) -> dict[str, Any]:
    _refuse_misspelled_checkbox(ctx.body)
    request = check(ADD_SPEC, ctx.body, "")
    key = next(k for k in CONTROL_KEYS if k in request)
    check_control(key, request[key])
    event, form = _load(ctx)
    if len(form["controls"]) >= MAX_CONTROLS:
        raise _invalid(f"a form can hold at most {MAX_CONTROLS} controls")
    if key == "additionalGuests":
        _check_guests_allowed(event, form)
    control_id = new_control_id(key)
    form["controls"].append(build_control(key, request[key], control_id, len(form["controls"])))
    _save(ctx, event["id"], form)
    return {"id": control_id, "form": render(form)}


def update_control(ctx: Ctx) -> dict[str, Any]:
    _refuse_misspelled_checkbox(ctx.body)
    request = check(UPDATE_SPEC, ctx.body, "")
    keys = [k for k in CONTROL_KEYS + SYSTEM_KEYS if k in request]
    if not keys and "orderIndex" not in request:
        raise ValidationFailed([FieldViolation(
            "orderIndex", f"send one of [{', '.join(CONTROL_KEYS + SYSTEM_KEYS)}] or orderIndex",
            "ONE_OF")])
    event, form = _load(ctx)
    control = _find(form, ctx.path["controlId"])
    if keys:
        _change(control, form, keys[0], request[keys[0]])
    if "orderIndex" in request:
        _move(form, _find(form, control["id"]), request["orderIndex"])
    _save(ctx, event["id"], form)
    return {"form": render(form)}


def _change(control: dict[str, Any], form: dict[str, Any], key: str,
            config: dict[str, Any]) -> None:
    kind = kind_of(control)
    if key != kind:
        if control["system"]:
            raise _invalid(f"{control['id']} is a system control: only its labels can change, "
                           f"with `{kind}`")
        raise _invalid(f"control {control['id']} is a {kind} control; update it with "
                       f"`{kind}`, not `{key}`")
    if control["system"]:
        relabel_system(control, key, config)
        return
    check_control(key, config)
    index = form["controls"].index(control)
    form["controls"][index] = build_control(key, config, control["id"], control["orderIndex"])


def _move(form: dict[str, Any], control: dict[str, Any], position: int) -> None:
    controls = form["controls"]
    if control["system"]:
        if position != control["orderIndex"]:
            raise _invalid(f"{control['id']} is a system control and stays at the top of "
                           "the form")
        return
    pinned = sum(1 for c in controls if c["system"])
    if position < pinned:
        raise _invalid(f"orderIndex {position} would move the control above the system "
                       f"controls name and email (positions 0..{pinned - 1})")
    if position >= len(controls):
        raise fail("orderIndex", f"must be at most {len(controls) - 1}, the last position",
                   "MAX")
    controls.remove(control)
    controls.insert(position, control)


def delete_control(ctx: Ctx) -> dict[str, Any]:
    event, form = _load(ctx)
    control = _find(form, ctx.path["controlId"])
    if control["system"]:
        raise _invalid(f"{control['id']} is a system control and cannot be removed")
    form["controls"].remove(control)
    _save(ctx, event["id"], form)
    return {"form": render(form)}


def update_messages(ctx: Ctx) -> dict[str, Any]:
    messages = check(MESSAGES_SPEC, body_object(ctx, "messages"), "messages")
    paths = parse_field_mask(ctx.body.get("fields"))
    if paths == []:
        raise fail("fields", 'must be a field mask: "a,b", ["a", "b"] or {"paths": [...]}',
                   "FORMAT")
    relative = []
    for path in paths or []:
        inner = path.removeprefix("messages.")
        if path != "messages" and inner not in MESSAGE_PATHS:
            raise fail("fields", f"unknown path {path!r}: name a field of messages, e.g. "
                       "checkout.title", "FORMAT")
        relative.append(inner)
    event, form = _load(ctx)
    if paths is None:
        deep_merge(form["messages"], messages)
    for path in relative:
        if path == "messages":
            form["messages"] = copy.deepcopy(messages)
        else:
            set_path(form["messages"], path, copy.deepcopy(get_path(messages, path)))
    _save(ctx, event["id"], form)
    return {"form": render(form)}


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", PREFIX, get_form),
    Endpoint("DELETE", PREFIX, discard_draft),
    Endpoint("POST", f"{PREFIX}/publish", publish_draft),
    Endpoint("POST", f"{PREFIX}/control", add_control),
    Endpoint("PUT", f"{PREFIX}/controls/{{controlId}}", update_control),
    Endpoint("DELETE", f"{PREFIX}/controls/{{controlId}}", delete_control),
    Endpoint("PATCH", f"{PREFIX}/messages", update_messages),
]
