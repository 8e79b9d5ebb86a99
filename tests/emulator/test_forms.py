"""Contract tests for the emulated registration Form API (`/events/v1/events/{eventId}/form`)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from provisioner.emulator.common import FORMS
from provisioner.emulator.forms import default_form
from tests.emulator.helpers import assert_error, create_event, violations

DIETARY = {
    "label": "Dietary preference",
    "options": ["No preference", "Vegetarian", "Vegan", "Gluten-free", "Halal", "Kosher"],
    "mandatory": True,
    "defaultOptionSelection": {"placeholderText": "Please select"},
}


def form_path(event_id: str) -> str:
    return f"/events/v1/events/{event_id}/form"


def get_form(api: httpx.Client, event_id: str) -> dict[str, Any]:
    response = api.get(form_path(event_id), params={"eventId": event_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["draftForm"] == body["form"]
    return body["form"]


def event_form(api: httpx.Client, event_id: str) -> dict[str, Any]:
    """The form as Events V3 returns it in the FORM fieldset."""
    response = api.get(f"/events/v3/events/{event_id}", params={"fields": ["FORM"]})
    assert response.status_code == 200, response.text
    return response.json()["event"]["form"]


def add(api: httpx.Client, event_id: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"{form_path(event_id)}/control", json={"eventId": event_id, **body})


def add_control(api: httpx.Client, event_id: str, key: str, config: dict[str, Any]) -> str:
    response = add(api, event_id, {key: config})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def update(api: httpx.Client, event_id: str, control_id: str,
           body: dict[str, Any]) -> httpx.Response:
    return api.put(f"{form_path(event_id)}/controls/{control_id}", json=body)


def control_ids(api: httpx.Client, event_id: str) -> list[str]:
    controls = get_form(api, event_id)["controls"]
    assert [c["orderIndex"] for c in controls] == list(range(len(controls)))
    return [c["id"] for c in controls]


def find(form: dict[str, Any], control_id: str) -> dict[str, Any]:
    return next(c for c in form["controls"] if c["id"] == control_id)


@pytest.fixture
def event(api: httpx.Client) -> dict[str, Any]:
    return create_event(api, initial_type="RSVP")


# --- get, publish, discard ---------------------------------------------------------------------


def test_a_new_event_has_the_default_form(api, event):
    response = api.get(form_path(event["id"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"form": default_form(), "draftForm": default_form()}
    assert event_form(api, event["id"]) == default_form()
    assert [c["id"] for c in default_form()["controls"]] == ["name", "email"]


def test_publish_returns_the_form_and_discard_changes_nothing(api, event):
    control_id = add_control(api, event["id"], "phone", {"label": "Phone"})
    published = api.post(f"{form_path(event['id'])}/publish", json={"eventId": event["id"]})
    assert published.status_code == 200, published.text
    assert published.json() == {"form": get_form(api, event["id"])}
    discarded = api.delete(form_path(event["id"]))
    assert discarded.status_code == 200, discarded.text
    assert discarded.json() == {}
    assert control_ids(api, event["id"]) == ["name", "email", control_id]


def test_every_endpoint_answers_404_for_an_unknown_event(api):
    missing = str(uuid.uuid4())
    base = form_path(missing)
    for response in (
        api.get(base),
        api.delete(base),
        api.post(f"{base}/publish"),
        api.post(f"{base}/control", json={"phone": {"label": "Phone"}}),
        api.put(f"{base}/controls/email", json={"email": {"label": "E-mail"}}),
        api.delete(f"{base}/controls/email"),
        api.patch(f"{base}/messages", json={"messages": {"checkout": {"title": "Hi"}}}),
    ):
        assert_error(response, 404, "EVENT_NOT_FOUND")


def test_another_site_cannot_read_or_change_the_form(api, server, event):
    key, site = server.new_site()
    with server.client(key, site) as other:
        assert_error(other.get(form_path(event["id"])), 404, "EVENT_NOT_FOUND")
        assert_error(other.post(f"{form_path(event['id'])}/control",
                                json={"phone": {"label": "Phone"}}), 404, "EVENT_NOT_FOUND")
    assert get_form(api, event["id"]) == default_form()


def test_deleting_the_event_deletes_its_form(api, event):
    add_control(api, event["id"], "phone", {"label": "Phone"})
    assert api.delete(f"/events/v3/events/{event['id']}").status_code == 200
    assert_error(api.get(form_path(event["id"])), 404, "EVENT_NOT_FOUND")


# --- add ---------------------------------------------------------------------------------------


def test_dietary_dropdown_round_trips_exactly(api, event):
    response = add(api, event["id"], {"dropdown": DIETARY})
    assert response.status_code == 200, response.text
    body = response.json()
    control_id = body["id"]
    assert re.fullmatch(r"dropdown-[0-9a-f]{16}", control_id)
    expected = {
        "type": "DROPDOWN", "system": False, "name": control_id, "id": control_id,
        "orderIndex": 2, "label": "Dietary preference",
        "inputs": [{
            "name": control_id, "array": False, "label": "Dietary preference",
            "additionalLabels": {}, "options": DIETARY["options"], "mandatory": True,
            "maxLength": 0, "type": "TEXT",
            "defaultOptionSelection": {"placeholderText": "Please select"},
        }],
    }
    assert body["form"]["controls"][2] == expected
    assert body["form"]["controls"][:2] == default_form()["controls"]
    assert find(get_form(api, event["id"]), control_id) == expected
    assert find(event_form(api, event["id"]), control_id) == expected


ADDED = [
    ("phone", {"label": "Work phone (line)"}, "INPUT",
     [{"label": "Work phone (line)", "mandatory": False, "maxLength": 25, "type": "TEXT"}]),
    ("text", {"label": "Allergies / dietary notes", "maxLength": 500, "multiLine": True},
     "TEXTAREA", [{"label": "Allergies / dietary notes", "maxLength": 500, "type": "TEXT"}]),
    ("text", {"label": "Company", "mandatory": True}, "INPUT",
     [{"label": "Company", "mandatory": True, "maxLength": 0, "type": "TEXT"}]),
    ("radioButton", {"label": "Meal", "options": ["Fish", "Beef"]}, "RADIO",
     [{"options": ["Fish", "Beef"], "mandatory": False, "type": "TEXT"}]),
    ("checkbox", {"label": "Dietary needs", "options": ["Vegetarian", "Nut allergy"]},
     "CHECKBOX", [{"options": ["Vegetarian", "Nut allergy"], "type": "TEXT_ARRAY",
                   "maxSize": 2, "array": True}]),
    ("date", {"label": "Birthday", "mandatory": True}, "DATE",
     [{"label": "Birthday", "mandatory": True, "type": "DATE_TIME"}]),
    ("address", {"mandatory": True}, "ADDRESS_SHORT",
     [{"label": "Address", "mandatory": True, "type": "TEXT"}]),
    ("address", {"full": True, "labels": {"city": "Town"}}, "ADDRESS_FULL",
     [{"label": "Address", "type": "ADDRESS",
       "additionalLabels": {"streetAddress": "Street Address", "city": "Town",
                            "subdivision": "State/Province", "country": "Country",
                            "postalCode": "Zip / Postal Code"}}]),
]


@pytest.mark.parametrize(("key", "config", "control_type", "inputs"), ADDED,
                         ids=[f"{a[0]}-{a[2]}" for a in ADDED])
def test_each_add_key_becomes_its_control(api, event, key, config, control_type, inputs):
    control_id = add_control(api, event["id"], key, config)
    assert re.fullmatch(rf"{key.lower()}-[0-9a-f]{{16}}", control_id)
    control = find(get_form(api, event["id"]), control_id)
    assert control["type"] == control_type
    assert control["system"] is False
    assert control["name"] == control_id
    assert len(control["inputs"]) == len(inputs)
    for shown, wanted in zip(control["inputs"], inputs, strict=True):
        assert shown["name"] == control_id
        assert {k: shown[k] for k in wanted} == wanted
    assert control == find(event_form(api, event["id"]), control_id)


def test_additional_guests_has_a_count_and_names(api, event):
    control_id = add_control(api, event["id"], "additionalGuests", {
        "labels": {"single": "Guest", "multiple": "Guests"}, "namesMandatory": True,
        "maxGuests": 4})
    assert re.fullmatch(r"additionalguests-[0-9a-f]{16}", control_id)
    control = find(get_form(api, event["id"]), control_id)
    assert control["type"] == "GUEST_CONTROL"
    assert control["label"] == "Guest"
    count, guest_names = control["inputs"]
    assert (count["name"], count["type"], count["label"]) == ("additionalGuests", "NUMBER", "Guest")
    assert count["additionalLabels"] == {"single": "Guest", "multiple": "Guests"}
    assert guest_names["name"] == "guestNames"
    assert (guest_names["type"], guest_names["maxSize"]) == ("TEXT_ARRAY", 4)
    assert guest_names["mandatory"] is True
    again = add(api, event["id"], {"additionalGuests": {"maxGuests": 2}})
    assert_error(again, 400, "INVALID_EVENT_CONFIGURATION")


def test_additional_guests_only_on_rsvp_events(api):
    ticketed = create_event(api, initial_type="TICKETING")
    response = add(api, ticketed["id"], {"additionalGuests": {"maxGuests": 2}})
    assert_error(response, 400, "INVALID_EVENT_CONFIGURATION")
    assert get_form(api, ticketed["id"]) == default_form()


def test_new_controls_go_last(api, event):
    first = add_control(api, event["id"], "phone", {"label": "Phone"})
    second = add_control(api, event["id"], "dropdown", DIETARY)
    third = add_control(api, event["id"], "date", {"label": "Birthday"})
    assert control_ids(api, event["id"]) == ["name", "email", first, second, third]


BAD_ADDS = [
    ({}, "phone"),
    ({"phone": {"label": "A"}, "date": {"label": "B"}}, "date"),
    ({"name": {"labels": {"firstName": "Given"}}}, "phone"),
    ({"checkBox": {"label": "Pick", "options": ["a"]}}, "checkBox"),
    ({"phone": {}}, "phone.label"),
    ({"phone": {"label": ""}}, "phone.label"),
    ({"phone": {"label": "p" * 101}}, "phone.label"),
    ({"date": {"label": "d" * 101}}, "date.label"),
    ({"text": {"label": "t" * 201}}, "text.label"),
    ({"text": {"label": "Notes", "maxLength": 1001}}, "text.maxLength"),
    ({"dropdown": {"label": "Pick"}}, "dropdown.options"),
    ({"dropdown": {"label": "Pick", "options": ["only"]}}, "dropdown.options"),
    ({"dropdown": {"label": "Pick", "options": [f"o{i}" for i in range(201)]}},
     "dropdown.options"),
    ({"dropdown": {"label": "Pick", "options": ["a", "o" * 201]}}, "dropdown.options[1]"),
    ({"dropdown": {"label": "Pick", "options": ["a", "b", "a"]}}, "dropdown.options[2]"),
    ({"dropdown": {"label": "Pick", "options": ["a", "b"],
                   "defaultOptionSelection": {"optionIndex": 2}}},
     "dropdown.defaultOptionSelection.optionIndex"),
    ({"dropdown": {"label": "Pick", "options": ["a", "b"],
                   "defaultOptionSelection": {"optionIndex": 0, "placeholderText": "x"}}},
     "dropdown.defaultOptionSelection.placeholderText"),
    ({"radioButton": {"label": "Pick", "options": ["one"]}}, "radioButton.options"),
    ({"checkbox": {"label": "Pick", "options": []}}, "checkbox.options"),
    ({"checkbox": {"label": "Pick", "options": ["a"], "mandatory": "yes"}}, "checkbox.mandatory"),
    ({"additionalGuests": {}}, "additionalGuests.maxGuests"),
    ({"additionalGuests": {"maxGuests": 11}}, "additionalGuests.maxGuests"),
    ({"additionalGuests": {"maxGuests": 0}}, "additionalGuests.maxGuests"),
    ({"additionalGuests": {"maxGuests": 2, "labels": {"single": "s" * 201}}},
     "additionalGuests.labels.single"),
    ({"address": {"labels": {"city": "c" * 101}}}, "address.labels.city"),
]


@pytest.mark.parametrize(("body", "field"), BAD_ADDS, ids=[b[1] for b in BAD_ADDS])
def test_add_refuses_invalid_controls(api, event, body, field):
    assert field in violations(add(api, event["id"], body))
    assert get_form(api, event["id"]) == default_form()


def test_add_accepts_the_documented_limits(api, event):
    options = [f"o{i}" for i in range(200)]
    add_control(api, event["id"], "dropdown", {"label": "d" * 200, "options": options,
                                               "defaultOptionSelection": {"optionIndex": 199}})
    add_control(api, event["id"], "checkbox", {"label": "One", "options": [""]})
    add_control(api, event["id"], "text", {"label": "Notes", "maxLength": 1000})
    add_control(api, event["id"], "additionalGuests", {"maxGuests": 10})
    assert len(get_form(api, event["id"])["controls"]) == 6


def test_a_form_holds_at_most_200_controls(api, server, event):
    phone_id = add_control(api, event["id"], "phone", {"label": "Phone"})
    form = get_form(api, event["id"])
    template = find(form, phone_id)
    # fill the form to 199 controls in the store: 196 more HTTP adds would only be slow
    for index in range(4, 200):
        control_id = f"phone-{index:016x}"
        form["controls"].append({**template, "id": control_id, "name": control_id,
                                 "orderIndex": index - 1})
    with server.store.transaction() as txn:
        txn.put(api.site_id, FORMS, event["id"], form, parent=event["id"])
    last = add_control(api, event["id"], "phone", {"label": "Number 200"})
    assert_error(add(api, event["id"], {"phone": {"label": "One too many"}}), 400,
                 "INVALID_EVENT_CONFIGURATION")
    ids = control_ids(api, event["id"])
    assert len(ids) == 200
    assert ids[-1] == last


# --- update ------------------------------------------------------------------------------------


def test_update_replaces_a_controls_settings(api, event):
    text_id = add_control(api, event["id"], "text", {"label": "Notes", "mandatory": True})
    phone_id = add_control(api, event["id"], "phone", {"label": "Phone"})
    response = update(api, event["id"], text_id, {"text": {"label": "Allergies",
                                                           "multiLine": True, "maxLength": 300}})
    assert response.status_code == 200, response.text
    control = find(response.json()["form"], text_id)
    assert (control["type"], control["label"], control["orderIndex"]) == ("TEXTAREA",
                                                                          "Allergies", 2)
    assert control["inputs"][0]["maxLength"] == 300
    assert control["inputs"][0]["mandatory"] is False  # the whole control is replaced
    assert find(get_form(api, event["id"]), text_id) == control
    assert find(event_form(api, event["id"]), text_id) == control
    assert control_ids(api, event["id"]) == ["name", "email", text_id, phone_id]


def test_update_changes_system_labels_only(api, event):
    response = update(api, event["id"], "name", {"name": {"labels": {"firstName": "Given"}}})
    assert response.status_code == 200, response.text
    name = find(response.json()["form"], "name")
    assert [i["label"] for i in name["inputs"]] == ["Given", "Last Name"]
    assert name["label"] == "Given, Last Name"
    response = update(api, event["id"], "email", {"email": {"label": "E-mail address"}})
    email = find(response.json()["form"], "email")
    assert (email["label"], email["inputs"][0]["label"]) == ("E-mail address", "E-mail address")
    assert email["inputs"][0]["mandatory"] is True
    form = get_form(api, event["id"])
    assert find(form, "name") == name
    assert find(form, "email") == email


def test_update_refusals(api, event):
    phone_id = add_control(api, event["id"], "phone", {"label": "Phone"})
    for control_id, body in (
        ("email", {"phone": {"label": "Phone"}}),  # retyping a system control
        ("name", {"email": {"label": "Mail"}}),
        (phone_id, {"text": {"label": "Text"}}),  # a key that is not the control's kind
        (phone_id, {"email": {"label": "Mail"}}),
    ):
        assert_error(update(api, event["id"], control_id, body), 400,
                     "INVALID_EVENT_CONFIGURATION")
    assert_error(update(api, event["id"], "phone-0000000000000000", {"phone": {"label": "P"}}),
                 404, "CONTROL_NOT_FOUND")
    assert_error(update(api, event["id"], "undefined", {"orderIndex": 2}), 404,
                 "CONTROL_NOT_FOUND")
    assert "orderIndex" in violations(update(api, event["id"], phone_id, {}))
    assert "text" in violations(update(api, event["id"], phone_id,
                                       {"phone": {"label": "P"}, "text": {"label": "T"}}))
    checkbox_id = add_control(api, event["id"], "checkbox", {"label": "C", "options": ["a"]})
    assert "checkBox" in violations(update(api, event["id"], checkbox_id,
                                           {"checkBox": {"label": "C", "options": ["b"]}}))
    assert "phone.label" in violations(update(api, event["id"], phone_id,
                                              {"phone": {"label": "p" * 101}}))
    assert "email.label" in violations(update(api, event["id"], "email",
                                              {"email": {"label": ""}}))
    assert find(get_form(api, event["id"]), phone_id)["label"] == "Phone"
    assert find(get_form(api, event["id"]), "email") == default_form()["controls"][1]


def test_order_index_moves_a_control(api, event):
    a, b, c = (add_control(api, event["id"], "phone", {"label": x}) for x in "ABC")
    response = update(api, event["id"], c, {"orderIndex": 2})
    assert response.status_code == 200, response.text
    assert [x["id"] for x in response.json()["form"]["controls"]] == ["name", "email", c, a, b]
    assert control_ids(api, event["id"]) == ["name", "email", c, a, b]
    assert update(api, event["id"], c, {"orderIndex": 4, "phone": {"label": "C2"}}).status_code \
        == 200
    form = get_form(api, event["id"])
    assert [x["id"] for x in form["controls"]] == ["name", "email", a, b, c]
    assert find(form, c)["label"] == "C2"
    assert event_form(api, event["id"])["controls"] == form["controls"]


def test_order_index_refusals(api, event):
    a, b = (add_control(api, event["id"], "phone", {"label": x}) for x in "AB")
    for index in (0, 1):  # above the system controls
        assert_error(update(api, event["id"], a, {"orderIndex": index}), 400,
                     "INVALID_EVENT_CONFIGURATION")
    assert "orderIndex" in violations(update(api, event["id"], a, {"orderIndex": 4}))
    assert "orderIndex" in violations(update(api, event["id"], a, {"orderIndex": -1}))
    assert_error(update(api, event["id"], "email", {"orderIndex": 3}), 400,
                 "INVALID_EVENT_CONFIGURATION")
    assert update(api, event["id"], "email", {"orderIndex": 1}).status_code == 200  # stays put
    assert control_ids(api, event["id"]) == ["name", "email", a, b]


# --- delete ------------------------------------------------------------------------------------


def test_delete_control_renumbers_the_rest(api, event):
    a, b, c = (add_control(api, event["id"], "phone", {"label": x}) for x in "ABC")
    response = api.delete(f"{form_path(event['id'])}/controls/{b}")
    assert response.status_code == 200, response.text
    assert [x["id"] for x in response.json()["form"]["controls"]] == ["name", "email", a, c]
    assert control_ids(api, event["id"]) == ["name", "email", a, c]
    assert [x["id"] for x in event_form(api, event["id"])["controls"]] == ["name", "email", a, c]
    assert_error(api.delete(f"{form_path(event['id'])}/controls/{b}"), 404, "CONTROL_NOT_FOUND")


def test_system_controls_cannot_be_deleted(api, event):
    for control_id in ("name", "email"):
        assert_error(api.delete(f"{form_path(event['id'])}/controls/{control_id}"), 400,
                     "INVALID_EVENT_CONFIGURATION")
    assert get_form(api, event["id"]) == default_form()


# --- messages ----------------------------------------------------------------------------------


def messages_of(api: httpx.Client, event_id: str) -> dict[str, Any]:
    return get_form(api, event_id)["messages"]


def patch_messages(api: httpx.Client, event_id: str, body: dict[str, Any]) -> httpx.Response:
    return api.patch(f"{form_path(event_id)}/messages", json=body)


@pytest.mark.parametrize("mask", ["checkout.title", ["checkout.title"],
                                  {"paths": ["checkout.title"]}, "messages.checkout.title"],
                         ids=["string", "list", "paths-object", "messages-prefix"])
def test_update_messages_with_a_field_mask(api, event, mask):
    sent = {"checkout": {"title": "Tell us about you", "submitActionLabel": "ignored"}}
    response = patch_messages(api, event["id"], {"messages": sent, "fields": mask})
    assert response.status_code == 200, response.text
    expected = default_form()["messages"]
    expected["checkout"]["title"] = "Tell us about you"
    assert response.json()["form"]["messages"] == expected
    assert messages_of(api, event["id"]) == expected
    assert event_form(api, event["id"])["messages"] == expected


def test_update_messages_without_a_mask_merges(api, event):
    sent = {"rsvp": {"rsvpYesOption": "Count me in",
                     "positiveMessages": {"confirmation": {"title": "Yay"}}},
            "registrationClosed": {"message": "Sold out"}}
    assert patch_messages(api, event["id"], {"messages": sent}).status_code == 200
    expected = default_form()["messages"]
    expected["rsvp"]["rsvpYesOption"] = "Count me in"
    expected["rsvp"]["positiveMessages"]["confirmation"]["title"] = "Yay"
    expected["registrationClosed"]["message"] = "Sold out"
    assert messages_of(api, event["id"]) == expected


def test_a_masked_path_missing_from_the_request_is_cleared(api, event):
    response = patch_messages(api, event["id"], {
        "messages": {"checkout": {"title": "New"}},
        "fields": "checkout.title,checkout.submitActionLabel"})
    assert response.status_code == 200, response.text
    checkout = messages_of(api, event["id"])["checkout"]
    assert checkout["title"] == "New"
    assert "submitActionLabel" not in checkout


def test_update_messages_refusals(api, event):
    assert "messages" in violations(patch_messages(api, event["id"], {"fields": "checkout.title"}))
    assert "fields" in violations(patch_messages(api, event["id"], {
        "messages": {"checkout": {"title": "X"}}, "fields": "checkout.colour"}))
    assert "fields" in violations(patch_messages(api, event["id"], {
        "messages": {"checkout": {"title": "X"}}, "fields": 7}))
    assert "messages.checkout.title" in violations(patch_messages(api, event["id"], {
        "messages": {"checkout": {"title": 5}}}))
    assert messages_of(api, event["id"]) == default_form()["messages"]


def test_a_cloned_event_gets_a_copy_of_the_form(api, event):
    control_id = add_control(api, event["id"], "dropdown", DIETARY)
    clone = api.post(f"/events/v3/events/{event['id']}/clone", json={})
    assert clone.status_code == 200, clone.text
    copied = get_form(api, clone.json()["event"]["id"])
    assert copied == get_form(api, event["id"])
    assert api.delete(f"{form_path(event['id'])}/controls/{control_id}").status_code == 200
    assert find(get_form(api, clone.json()["event"]["id"]), control_id)["label"] == (
        "Dietary preference")
