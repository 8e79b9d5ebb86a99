"""The comparison rules on their own: normalised shapes (`normalise`), live form controls read
back in the spec's shape (`form_controls`), pairing and field changes (`diff`)."""

from __future__ import annotations

from provisioner import kinds
from provisioner.kinds.form_controls import spec_view
from provisioner.model import Change, Resource, ResourceKey
from provisioner.plan.desired import desired_state, shaped
from provisioner.plan.diff import field_changes, match
from provisioner.plan.normalise import decimal_text, instant, schema_def, shape
from provisioner.spec.richtext import to_rich


def test_instants_compare_as_times_not_text() -> None:
    assert instant("2025-06-15T09:00:00-07:00") == "2025-06-15T16:00:00.000Z"
    assert instant("2025-06-15T16:00Z") == instant("2025-06-15T16:00:00.000Z")


def test_amounts_compare_as_decimals() -> None:
    assert decimal_text("299") == decimal_text("299.0") == "299.00"
    assert decimal_text("0.125") == "0.125"


def test_read_only_and_default_fields_drop_out() -> None:
    live = {
        "title": "T", "slug": "t", "status": "UPCOMING", "revision": "3",
        "location": {"type": "VENUE", "name": "Hall", "locationTbd": False,
                     "address": {"city": "Basel", "formattedAddress": "Basel, CH"}},
        "registration": {"initialType": "TICKETING", "type": "TICKETING", "status": "OPEN",
                         "tickets": {"ticketLimitPerOrder": 20, "currency": "CHF",
                                     "lowestPrice": {"value": "1", "currency": "CHF"}}},
        "guestListSettings": {"displayedPublicly": False},
    }
    assert shaped(kinds.EVENT, live) == {
        "title": "T",
        "location": {"name": "Hall", "address": {"city": "Basel"}},
        # the currency is the ticket currency kind's to compare (see below)
        "registration": {"initialType": "TICKETING"},
    }


def test_money_and_instants_inside_a_ticket() -> None:
    spec_side = {"name": "A", "pricingMethod": {"fixedPrice": {"value": "10", "currency": "EUR"}},
                 "salePeriod": {"startDate": "2030-01-01T01:00:00+01:00",
                                "endDate": "2030-02-01T00:00:00Z"}}
    live_side = {"name": "A", "pricingMethod": {"fixedPrice": {"value": "10.00", "currency":
                                                               "EUR"}, "pricingType": "STANDARD"},
                 "salePeriod": {"startDate": "2030-01-01T00:00:00.000Z",
                                "endDate": "2030-02-01T00:00:00.000Z"},
                 "saleStatus": "SALE_SCHEDULED", "salesDetails": {"soldCount": 3}}
    node = schema_def("ticket")
    assert shape(spec_side, node) == shape(live_side, node)


def test_rich_text_ignores_node_ids_and_metadata() -> None:
    document = to_rich("One.\n\nTwo.")
    edited = {"nodes": [{**node, "id": f"x{n}"} for n, node in enumerate(document["nodes"])],
              "metadata": {"version": 2, "id": "doc"}}
    assert shaped(kinds.EVENT, {"description": document}) == \
        shaped(kinds.EVENT, {"description": edited})


def test_live_controls_read_back_as_the_spec_writes_them() -> None:
    dropdown = {"type": "DROPDOWN", "system": False, "id": "dropdown-0123456789abcdef",
                "inputs": [{"label": "Size", "options": ["S", "M"], "mandatory": True,
                            "defaultOptionSelection": {"optionIndex": 1}}]}
    assert spec_view(dropdown) == {"dropdown": {
        "label": "Size", "options": ["S", "M"], "mandatory": True,
        "defaultOptionSelection": {"optionIndex": 1}}}
    textarea = {"type": "TEXTAREA", "id": "custom", "inputs": [{"label": "Notes",
                                                                "maxLength": 300}]}
    assert spec_view(textarea) == {"text": {"label": "Notes", "mandatory": False,
                                            "maxLength": 300, "multiLine": True}}
    assert spec_view({"type": "SIGNATURE", "id": "sig-1", "inputs": []}) is None


def _res(name: str, *, rid: str | None = None, former: tuple[str, ...] = ()) -> Resource:
    return Resource(ResourceKey("scheduleItem", "e", name), {"name": name.split(" @ ")[0]},
                    id=rid, former_names=former)


def test_pairing_by_pin_name_unique_base_and_former_name() -> None:
    desired = [_res("Pinned", rid="id-9"), _res("Same"), _res("Moved @ 2030-01-01T10:00:00.000Z"),
               _res("New name", former=("Old name",)), _res("Fresh")]
    live = [_res("Other", rid="id-9"), _res("Same"), _res("Moved @ 2030-01-01T09:00:00.000Z"),
            _res("Old name"), _res("Gone")]
    pairs = {(p.desired.key.name if p.desired else None, p.live.key.name if p.live else None)
             for p in match(kinds.SCHEDULE_ITEM, desired, live)}
    assert pairs == {("Pinned", "Other"), ("Same", "Same"),
                     ("Moved @ 2030-01-01T10:00:00.000Z", "Moved @ 2030-01-01T09:00:00.000Z"),
                     ("New name", "Old name"), ("Fresh", None), (None, "Gone")}


def test_changes_name_fields_and_report_plain_lists_whole() -> None:
    live = {"name": "A", "tags": ["x", "y"], "timeSlot": {"start": "s1", "end": "e"}}
    desired = {"name": "A", "tags": ["x", "z"], "timeSlot": {"start": "s2", "end": "e"},
               "stageName": "Hall"}
    assert field_changes(kinds.SCHEDULE_ITEM, desired, live) == (
        Change("stageName", None, "Hall"),
        Change("tags", ["x", "y"], ["x", "z"]),
        Change("timeSlot.start", "s1", "s2"),
    )


def test_lists_of_objects_are_reported_per_element() -> None:
    def options(adult: str) -> dict[str, object]:
        return {"pricingMethod": {"pricingOptions": {"optionDetails": [
            {"name": "Kid", "price": {"value": "5.00"}},
            {"name": "Adult", "price": {"value": adult}}]}}}
    assert field_changes(kinds.TICKET, options("12.00"), options("10.00")) == (
        Change("pricingMethod.pricingOptions.optionDetails[1].price.value", "10.00", "12.00"),)


def test_partly_managed_texts_compare_only_what_the_spec_states() -> None:
    live = {"messages": {"checkout": {"title": "Add Your Info", "submitActionLabel": "Go"},
                         "rsvp": {"rsvpYesOption": "Yes"}}}
    assert field_changes(kinds.FORM_MESSAGES, {"messages": {"checkout": {"title": "Hi"}}},
                         live) == (Change("messages.checkout.title", "Add Your Info", "Hi"),)
    assert field_changes(kinds.FORM_MESSAGES,
                         {"messages": {"checkout": {"submitActionLabel": "Go"}}}, live) == ()


def test_the_ticket_currency_is_compared_apart_from_the_event() -> None:
    """The event's data never holds its ticket currency (it changes only through
    ChangeCurrency); the ticket currency kind compares it, and only when the spec names one,
    since Wix fills in the site's currency otherwise."""
    live = {"title": "T", "registration": {"initialType": "TICKETING", "tickets": {
        "currency": "USD", "ticketLimitPerOrder": 5}}}
    assert shaped(kinds.EVENT, live) == {"title": "T", "registration": {
        "initialType": "TICKETING", "tickets": {"ticketLimitPerOrder": 5}}}
    currency = kinds.TICKET_CURRENCY
    assert field_changes(currency, shaped(currency, {"currency": "EUR"}),
                         shaped(currency, {"currency": "USD"})) == (
        Change("currency", "USD", "EUR"),)
    event = {"slug": "t", "title": "T", "dateAndTimeSettings": {
        "timeZoneId": "UTC", "startDate": "2030-01-01T10:00", "endDate": "2030-01-01T12:00"}}
    unnamed = desired_state([{"events": [event]}])
    assert unnamed.of_kind(currency.name) == []
    named = desired_state([{"events": [{**event, "registration": {"tickets": {
        "currency": "EUR"}}}]}])
    [resource] = named.of_kind(currency.name)
    assert (resource.data, resource.body) == ({"currency": "EUR"}, {"currency": "EUR"})
    assert "currency" not in named.of_kind("event")[0].data.get("registration", {}).get(
        "tickets", {})
