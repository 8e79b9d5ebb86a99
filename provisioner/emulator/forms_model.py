"""Registration form entity: request specs for controls and messages, the rules no field spec
can say, and how an Add/Update Control request becomes an InputControl.

A stored form is its wire shape `{controls, messages}` (controls kept in `orderIndex` order and
numbered 0..n-1). A control's kind, the request key that made it, is the prefix of its
generated id (`<key lowercased>-<16 hex chars>`), or the id itself for the system `name` and
`email` controls; nothing internal is stored inside controls, because Events V3 returns them
as stored in its FORM fieldset.
"""

from __future__ import annotations

import secrets
from typing import Any

from .fields import Arr, Bool, F, Int, Obj, Spec, Str, fail

CONTROL_KEYS = ("phone", "address", "date", "additionalGuests", "dropdown", "checkbox", "text",
                "radioButton")
SYSTEM_KEYS = ("name", "email")  # Update only: the labels of the system controls
KIND_BY_PREFIX = {key.lower(): key for key in CONTROL_KEYS}

PHONE_MAX_LENGTH = 25
ADDRESS_LABELS = {
    "addressLine": "Address",
    "streetAddress": "Street Address",
    "city": "City",
    "subdivision": "State/Province",
    "country": "Country",
    "postalCode": "Zip / Postal Code",
}
GUEST_LABELS = {"single": "Additional guest", "multiple": "Additional guests"}


def _label(max_len: int) -> F:
    return F(Str(min_len=1, max_len=max_len), required=True)


def _options(min_items: int) -> F:
    return F(Arr(Str(max_len=200), min_items=min_items, max_items=200), required=True)


CONTROL_SPECS: dict[str, Spec] = {
    "phone": Obj({"label": _label(100), "mandatory": Bool()}),
    "address": Obj({
        "labels": Obj({name: Str(max_len=100) for name in ADDRESS_LABELS}),
        "full": Bool(),
        "mandatory": Bool(),
    }),
    "date": Obj({"label": _label(100), "mandatory": Bool()}),
    "additionalGuests": Obj({
        "labels": Obj({"single": Str(max_len=200), "multiple": Str(max_len=200)}),
        "namesMandatory": Bool(),
        # 1..10 with no default: a missing value (protobuf 0) is out of range
        "maxGuests": F(Int(1, 10), required=True),
    }),
    "dropdown": Obj({
        "label": _label(200),
        "options": _options(2),
        "mandatory": Bool(),
        "defaultOptionSelection": Obj(
            {"optionIndex": Int(0, 199), "placeholderText": Str(max_len=200)},
            one_of=[("optionIndex", "placeholderText")],
        ),
    }),
    "checkbox": Obj({"label": _label(200), "mandatory": Bool(), "options": _options(1)}),
    "text": Obj({
        "label": _label(200),
        "mandatory": Bool(),
        "maxLength": Int(0, 1000),
        "multiLine": Bool(),
        "comment": Bool(),
    }),
    "radioButton": Obj({"label": _label(200), "options": _options(2)}),
}
SYSTEM_SPECS: dict[str, Spec] = {
    "name": Obj({"labels": Obj({"firstName": Str(min_len=1, max_len=100),
                                "lastName": Str(min_len=1, max_len=100)})}),
    "email": Obj({"label": Str(min_len=1, max_len=100)}),
}
ADD_SPEC = Obj(dict(CONTROL_SPECS), exactly_one=[CONTROL_KEYS])
UPDATE_SPEC = Obj(
    {**CONTROL_SPECS, **SYSTEM_SPECS, "orderIndex": Int(minimum=0)},
    one_of=[CONTROL_KEYS + SYSTEM_KEYS],
)

_CONFIRMATION = Obj({"title": Str(), "message": Str(), "addToCalendarActionLabel": Str(),
                     "shareActionLabel": Str()})
_POSITIVE = Obj({"title": Str(), "confirmation": _CONFIRMATION})
_CLOSED = Obj({"message": Str(), "exploreEventsActionLabel": Str()})
MESSAGES_SPEC = Obj({
    "rsvp": Obj({
        "rsvpYesOption": Str(),
        "rsvpNoOption": Str(),
        "positiveMessages": _POSITIVE,
        "waitlistMessages": _POSITIVE,
        "negativeMessages": Obj({"title": Str(),
                                 "confirmation": Obj({"title": Str(), "shareActionLabel": Str()})}),
        "submitActionLabel": Str(),
    }),
    "checkout": Obj({
        "title": Str(),
        "submitActionLabel": Str(),
        "confirmation": Obj({"title": Str(), "message": Str(), "downloadTicketsLabel": Str(),
                             "addToCalendarLabel": Str(), "shareEventLabel": Str()}),
    }),
    "registrationClosed": _CLOSED,
    "ticketsUnavailable": _CLOSED,
})


def _paths(spec: Obj, prefix: str = "") -> set[str]:
    found = set()
    for name in spec.fields:
        path = f"{prefix}{name}"
        found.add(path)
        sub = spec.field_of(name).spec
        if isinstance(sub, Obj):
            found |= _paths(sub, f"{path}.")
    return found


MESSAGE_PATHS = frozenset(_paths(MESSAGES_SPEC))  # every path a messages field mask may name


# --- rules ------------------------------------------------------------------------------------


def check_control(key: str, config: dict[str, Any]) -> None:
    """Options must differ from each other and a default option must exist."""
    options = config.get("options") or []
    for index, option in enumerate(options):
        if option in options[:index]:
            raise fail(f"{key}.options[{index}]", f"repeats the option {option!r}", "CUSTOM")
    default = (config.get("defaultOptionSelection") or {}).get("optionIndex")
    if default is not None and default >= len(options):
        raise fail(f"{key}.defaultOptionSelection.optionIndex",
                   f"must name one of the {len(options)} options (0..{len(options) - 1})", "MAX")


def kind_of(control: dict[str, Any]) -> str | None:
    """The request key that manages a control: name/email for the system ones."""
    if control.get("system"):
        return control["id"]
    return KIND_BY_PREFIX.get(control["id"].split("-", 1)[0])


def new_control_id(key: str) -> str:
    return f"{key.lower()}-{secrets.token_hex(8)}"


# --- building controls ------------------------------------------------------------------------


def _input(name: str, label: str, *, mandatory: bool = False, max_length: int = 0,
           value_type: str = "TEXT", options: list[str] | None = None, array: bool = False,
           additional_labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    out = {
        "name": name,
        "array": array,
        "label": label,
        "additionalLabels": additional_labels or {},
        "options": list(options or []),
        "mandatory": mandatory,
        "maxLength": max_length,
        "type": value_type,
    }
    out.update(extra)
    return out


def _inputs(key: str, c: dict[str, Any], cid: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(control type, control label, inputs) for one add-key's config."""
    mandatory = c.get("mandatory", False)
    if key == "phone":
        return "INPUT", c["label"], [_input(cid, c["label"], mandatory=mandatory,
                                            max_length=PHONE_MAX_LENGTH)]
    if key == "text":
        kind = "TEXTAREA" if c.get("multiLine") else "INPUT"
        return kind, c["label"], [_input(cid, c["label"], mandatory=mandatory,
                                         max_length=c.get("maxLength", 0))]
    if key == "date":
        return "DATE", c["label"], [_input(cid, c["label"], mandatory=mandatory,
                                           value_type="DATE_TIME")]
    if key == "dropdown":
        selection = c.get("defaultOptionSelection")
        extra = {"defaultOptionSelection": selection} if selection else {}
        return "DROPDOWN", c["label"], [_input(cid, c["label"], mandatory=mandatory,
                                               options=c["options"], **extra)]
    if key == "radioButton":
        return "RADIO", c["label"], [_input(cid, c["label"], options=c["options"])]
    if key == "checkbox":
        return "CHECKBOX", c["label"], [
            _input(cid, c["label"], mandatory=mandatory, options=c["options"],
                   value_type="TEXT_ARRAY", array=True, maxSize=len(c["options"]))
        ]
    if key == "address":
        labels = {**ADDRESS_LABELS, **(c.get("labels") or {})}
        label = labels["addressLine"]
        if c.get("full"):
            parts = {name: labels[name] for name in ADDRESS_LABELS if name != "addressLine"}
            return "ADDRESS_FULL", label, [_input(cid, label, mandatory=mandatory,
                                                  value_type="ADDRESS", additional_labels=parts)]
        return "ADDRESS_SHORT", label, [_input(cid, label, mandatory=mandatory)]
    # additionalGuests: a guest count and the guests' names
    labels = {**GUEST_LABELS, **(c.get("labels") or {})}
    return "GUEST_CONTROL", labels["single"], [
        _input("additionalGuests", labels["single"], value_type="NUMBER",
               additional_labels=dict(labels)),
        _input("guestNames", labels["multiple"], mandatory=c.get("namesMandatory", False),
               value_type="TEXT_ARRAY", array=True, maxSize=c["maxGuests"]),
    ]


def build_control(key: str, config: dict[str, Any], control_id: str,
                  order_index: int) -> dict[str, Any]:
    """The InputControl an Add/Update Control request describes, in Wix's key order."""
    control_type, label, inputs = _inputs(key, config, control_id)
    return {
        "type": control_type,
        "system": False,
        "name": control_id,
        "id": control_id,
        "orderIndex": order_index,
        "label": label,
        "inputs": inputs,
    }


def relabel_system(control: dict[str, Any], key: str, config: dict[str, Any]) -> None:
    """Apply `name` or `email` label changes; labels not sent stay as they are."""
    if key == "name":
        labels = config.get("labels") or {}
        first, last = control["inputs"]
        first["label"] = labels.get("firstName", first["label"])
        last["label"] = labels.get("lastName", last["label"])
        control["label"] = f"{first['label']}, {last['label']}"
    elif "label" in config:
        control["label"] = control["inputs"][0]["label"] = config["label"]
