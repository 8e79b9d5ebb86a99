"""Registration-form controls: a live `InputControl` read back as the spec's control mapping
(`{dropdown: {label, options, ...}}`), and the identity of a control on either side.

The Form API takes a control as an Add Control request (`{phone: {label, mandatory}}`) but
returns it as an `InputControl` (`type`, `inputs[]`, ...). Comparing the two needs one of them
translated; the live one is read back into the request shape, because that is what the user
wrote.

Decisions where the Wix notes are unsure:
- A control's kind is the prefix of its generated id (`phone-1a4acde6c958ff66`, the one
  documented example), else guessed from its `type` (INPUT reads as `text`).
- `text.comment` is never shown by the API, so it cannot be compared and is left out.
- The built-in `name` and `email` controls are recognised by `system: true` and their ids.
"""

from __future__ import annotations

from typing import Any

from ..spec.identity import control_identity

KINDS = ("text", "phone", "date", "dropdown", "checkbox", "radioButton", "address",
         "additionalGuests", "name", "email")
_BY_PREFIX = {kind.lower(): kind for kind in KINDS}
_BY_TYPE = {"DROPDOWN": "dropdown", "RADIO": "radioButton", "CHECKBOX": "checkbox",
            "DATE": "date", "TEXTAREA": "text", "INPUT": "text", "ADDRESS_FULL": "address",
            "ADDRESS_SHORT": "address", "GUEST_CONTROL": "additionalGuests", "NAME": "name"}
UNCOMPARABLE = {"text": ("comment",)}  # accepted by the API, never shown back


def live_kind(control: dict[str, Any]) -> str | None:
    """The add-key that manages a live control."""
    control_id = str(control.get("id", ""))
    if control.get("system") and control_id in ("name", "email"):
        return control_id
    prefix = control_id.split("-", 1)[0]
    return _BY_PREFIX.get(prefix.lower()) or _BY_TYPE.get(str(control.get("type")))


def _inputs(control: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = control.get("inputs")
    return [i for i in inputs if isinstance(i, dict)] if isinstance(inputs, list) else []


def _first(control: dict[str, Any]) -> dict[str, Any]:
    inputs = _inputs(control)
    return inputs[0] if inputs else {}


def _label(control: dict[str, Any]) -> Any:
    return _first(control).get("label", control.get("label"))


def spec_view(control: dict[str, Any]) -> dict[str, Any] | None:
    """The live control as the spec would write it, `{kind: {...}}`; None for a kind this
    tool does not know (left alone)."""
    kind = live_kind(control)
    first = _first(control)
    mandatory = bool(first.get("mandatory"))
    body: dict[str, Any]
    if kind == "name":
        inputs = _inputs(control)
        labels = [i.get("label") for i in inputs[:2]]
        body = {"labels": dict(zip(("firstName", "lastName"), labels, strict=False))}
    elif kind == "email":
        body = {"label": _label(control)}
    elif kind in ("phone", "date"):
        body = {"label": _label(control), "mandatory": mandatory}
    elif kind == "text":
        body = {"label": _label(control), "mandatory": mandatory,
                "maxLength": first.get("maxLength", 0),
                "multiLine": control.get("type") == "TEXTAREA"}
    elif kind in ("dropdown", "checkbox", "radioButton"):
        body = {"label": _label(control), "options": list(first.get("options") or [])}
        if kind != "radioButton":
            body["mandatory"] = mandatory
        if kind == "dropdown" and first.get("defaultOptionSelection"):
            body["defaultOptionSelection"] = first["defaultOptionSelection"]
    elif kind == "address":
        address_labels = {"addressLine": _label(control),
                          **(first.get("additionalLabels") or {})}
        body = {"labels": address_labels, "full": control.get("type") == "ADDRESS_FULL",
                "mandatory": mandatory}
    elif kind == "additionalGuests":
        inputs = [*_inputs(control), {}, {}]
        count, names = inputs[0], inputs[1]
        body = {"labels": {"single": count.get("label"), "multiple": names.get("label")},
                "namesMandatory": bool(names.get("mandatory")),
                "maxGuests": names.get("maxSize")}
    else:
        return None
    return {kind: body}


def comparable(view: dict[str, Any]) -> dict[str, Any]:
    """A control mapping without the fields the API never shows back."""
    out = {}
    for kind, body in view.items():
        if kind in ("renamed_from", "id"):
            continue
        dropped = UNCOMPARABLE.get(kind, ())
        out[kind] = {k: v for k, v in body.items() if k not in dropped} \
            if isinstance(body, dict) else body
    return out


def identity_name(view: dict[str, Any]) -> str | None:
    """A control's name in a plan: its label, or `(kind)` for the one-per-form kinds."""
    found = control_identity(view)
    if found is None:
        return None
    how, value = found
    return f"({value})" if how == "kind" else value

