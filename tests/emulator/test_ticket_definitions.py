"""Contract tests for the Ticket Definitions V3 emulator, over real HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.emulator.helpers import assert_error, create_event, violations

TD = "/events/v3/ticket-definitions"
ALT = "/events-ticket-definitions/v3/ticket-definitions"
BULK = "/events/v3/bulk/ticket-definitions"
ALT_BULK = "/events-ticket-definitions/v3/bulk/ticket-definitions"
BOTH = pytest.mark.parametrize("prefix", [TD, ALT])
BOTH_BULK = pytest.mark.parametrize("bulk", [BULK, ALT_BULK])


def usd(value: str) -> dict[str, str]:
    return {"value": value, "currency": "USD"}


def definition_body(event_id: str, name: str = "General Admission", **extra: Any) -> dict:
    body = {
        "eventId": event_id,
        "name": name,
        "pricingMethod": {"fixedPrice": usd("65.00")},
        "feeType": "FEE_ADDED_AT_CHECKOUT",
    }
    body.update(extra)
    return body


def create_definition(api: httpx.Client, event_id: str, name: str = "General Admission", *,
                      prefix: str = TD, fields: list[str] | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {"ticketDefinition": definition_body(event_id, name, **extra)}
    if fields:
        body["fields"] = fields
    response = api.post(prefix, json=body)
    assert response.status_code == 200, response.text
    return response.json()["ticketDefinition"]


def get_definition(api: httpx.Client, definition_id: str, prefix: str = TD,
                   **params: Any) -> dict:
    response = api.get(f"{prefix}/{definition_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["ticketDefinition"]


def query(api: httpx.Client, q: dict | None = None, prefix: str = TD, path: str = "/query",
          **extra: Any) -> dict:
    response = api.post(f"{prefix}{path}", json={"query": q or {}, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def names(api: httpx.Client, q: dict | None = None, **kwargs: Any) -> list[str]:
    return [d["name"] for d in query(api, q, **kwargs)["ticketDefinitions"]]


def event_definitions(api: httpx.Client, event_id: str) -> list[dict]:
    return query(api, {"filter": {"eventId": event_id}})["ticketDefinitions"]


def edit_stored(server: Any, site: str, kind: str, doc_id: str, **changes: Any) -> None:
    """Change a stored document directly, as later parts (sales) will."""
    with server.store.transaction() as txn:
        doc = txn.get(site, kind, doc_id)
        doc.update(changes)
        txn.put(site, kind, doc_id, doc, parent=doc.get("eventId"))


def update(api: httpx.Client, definition: dict, prefix: str = TD, **changes: Any):
    body = {"ticketDefinition": {"id": definition["id"], "revision": definition["revision"],
                                 **changes}}
    return api.patch(f"{prefix}/{definition['id']}", json=body)


# --- create and read ---------------------------------------------------------------------------


@BOTH
def test_create_fixed_price_and_read_it_back_on_both_prefixes(api, prefix):
    event = create_event(api)
    created = create_definition(
        api, event["id"], prefix=prefix, description="Standing-room access.",
        policyText="No refunds within 7 days of the event.", initialLimit=200,
        salePeriod={"startDate": "2030-06-01T00:00:00Z", "endDate": "2030-06-15T00:00:00Z",
                    "displayNotOnSale": True},
    )
    assert uuid.UUID(created["id"])
    assert created["eventId"] == event["id"]
    assert created["revision"] == "1"
    assert created["createdDate"] == created["updatedDate"]
    assert created["createdDate"].endswith("Z")
    assert created["name"] == "General Admission"
    assert created["description"] == "Standing-room access."
    assert created["policyText"] == "No refunds within 7 days of the event."
    assert created["hidden"] is False
    assert created["limited"] is True
    assert created["initialLimit"] == created["actualLimit"] == 200
    assert created["pricingMethod"] == {"fixedPrice": usd("65.00"), "pricingType": "STANDARD",
                                        "free": False}
    assert created["feeType"] == "FEE_ADDED_AT_CHECKOUT"
    assert created["salePeriod"] == {"startDate": "2030-06-01T00:00:00.000Z",
                                     "endDate": "2030-06-15T00:00:00.000Z",
                                     "displayNotOnSale": True}
    assert created["saleStatus"] == "SALE_SCHEDULED"
    assert created["limitPerCheckout"] == 20
    assert "salesDetails" not in created and "eventDetails" not in created
    for read_prefix in (TD, ALT):
        assert get_definition(api, created["id"], read_prefix) == created


def test_unlimited_definition_has_no_limits(api):
    event = create_event(api)
    created = create_definition(api, event["id"])
    assert created["limited"] is False
    assert "initialLimit" not in created and "actualLimit" not in created
    assert created["saleStatus"] == "SALE_STARTED"
    assert "salePeriod" not in created


def test_free_ticket_may_have_no_fee(api):
    event = create_event(api)
    created = create_definition(api, event["id"], "Free", feeType="NO_FEE",
                                pricingMethod={"fixedPrice": usd("0")})
    assert created["pricingMethod"] == {"fixedPrice": usd("0"), "pricingType": "STANDARD",
                                        "free": True}
    assert created["feeType"] == "NO_FEE"


def test_guest_price_is_a_donation(api):
    event = create_event(api)
    created = create_definition(api, event["id"], "Donation", feeType="FEE_INCLUDED",
                                pricingMethod={"guestPrice": usd("5.00")})
    assert created["pricingMethod"] == {"guestPrice": usd("5.00"), "pricingType": "DONATION",
                                        "free": False}
    # a zero minimum is still a donation, not a free ticket
    response = api.post(TD, json={"ticketDefinition": definition_body(
        event["id"], feeType="NO_FEE", pricingMethod={"guestPrice": usd("0")})})
    assert "ticketDefinition.feeType" in violations(response)


def test_pricing_options_get_generated_option_ids(api):
    event = create_event(api)
    given = str(uuid.uuid4())
    created = create_definition(api, event["id"], "Tiers", pricingMethod={"pricingOptions": {
        "optionDetails": [{"name": "Adult", "price": usd("20.00")},
                          {"optionId": given, "name": "Child", "price": usd("10.00")}]}})
    options = created["pricingMethod"]["pricingOptions"]["optionDetails"]
    assert uuid.UUID(options[0]["optionId"])
    assert options[0]["name"] == "Adult" and options[0]["price"] == usd("20.00")
    assert options[1] == {"optionId": given, "name": "Child", "price": usd("10.00")}
    assert created["pricingMethod"]["pricingType"] == "STANDARD"
    assert created["pricingMethod"]["free"] is False
    assert get_definition(api, created["id"])["pricingMethod"] == created["pricingMethod"]
    duplicate = api.post(TD, json={"ticketDefinition": definition_body(
        event["id"], pricingMethod={"pricingOptions": {"optionDetails": [
            {"optionId": given, "name": "A", "price": usd("1")},
            {"optionId": given, "name": "B", "price": usd("2")}]}})})
    assert "ticketDefinition.pricingMethod.pricingOptions.optionDetails[1].optionId" in (
        violations(duplicate))


def test_read_only_fields_are_ignored_on_create(api):
    event = create_event(api)
    fake_id = str(uuid.uuid4())
    created = create_definition(
        api, event["id"], id=fake_id, revision="9", createdDate="2020-01-01T00:00:00Z",
        limited=True, actualLimit=5, saleStatus="SALE_ENDED", limitPerCheckout=3,
        salesDetails={"soldCount": 4}, seatingDetails={"places": []},
        eventDetails={"title": "x"},
        pricingMethod={"fixedPrice": usd("10"), "pricingType": "DONATION", "free": True},
    )
    assert created["id"] != fake_id
    assert created["revision"] == "1"
    assert created["createdDate"] != "2020-01-01T00:00:00.000Z"
    assert created["limited"] is False and "actualLimit" not in created
    assert created["saleStatus"] == "SALE_STARTED"
    assert created["limitPerCheckout"] == 20
    assert "salesDetails" not in created and "eventDetails" not in created
    assert created["pricingMethod"]["pricingType"] == "STANDARD"
    assert created["pricingMethod"]["free"] is False
    assert_error(api.get(f"{TD}/{fake_id}"), 404, "TICKET_DEFINITION_NOT_FOUND")


def test_missing_required_fields_are_all_reported(api):
    assert "ticketDefinition" in violations(api.post(TD, json={}))
    found = violations(api.post(TD, json={"ticketDefinition": {}}))
    assert {"ticketDefinition.eventId", "ticketDefinition.name",
            "ticketDefinition.pricingMethod", "ticketDefinition.feeType"} <= set(found)
    assert found["ticketDefinition.feeType"] == "is required"


def test_price_sent_as_a_number_is_refused(api):
    event = create_event(api)
    response = api.post(TD, json={"ticketDefinition": definition_body(
        event["id"], pricingMethod={"fixedPrice": {"value": 10, "currency": "USD"}})})
    found = violations(response)
    assert found["ticketDefinition.pricingMethod.fixedPrice.value"] == (
        "Unexpected value for field value")
    assert "Unexpected value for field value" in response.json()["message"]


@pytest.mark.parametrize("method", [
    {},
    {"fixedPrice": usd("1"), "guestPrice": usd("1")},
    {"fixedPrice": usd("1"), "pricingOptions": {"optionDetails": [
        {"name": "A", "price": usd("1")}]}},
])
def test_pricing_method_needs_exactly_one_price(api, method):
    event = create_event(api)
    response = api.post(TD, json={"ticketDefinition": definition_body(
        event["id"], pricingMethod=method)})
    assert any(f.startswith("ticketDefinition.pricingMethod") for f in violations(response))


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "x" * 31}, "ticketDefinition.name"),
    ({"name": ""}, "ticketDefinition.name"),
    ({"description": "x" * 501}, "ticketDefinition.description"),
    ({"policyText": "x" * 1001}, "ticketDefinition.policyText"),
    ({"initialLimit": 0}, "ticketDefinition.initialLimit"),
    ({"initialLimit": "many"}, "ticketDefinition.initialLimit"),
    ({"hidden": "yes"}, "ticketDefinition.hidden"),
    ({"feeType": "SOMETIMES"}, "ticketDefinition.feeType"),
    ({"eventId": "not-a-guid"}, "ticketDefinition.eventId"),
    ({"pricingMethod": {"fixedPrice": {"value": "ten", "currency": "USD"}}},
     "ticketDefinition.pricingMethod.fixedPrice.value"),
    ({"pricingMethod": {"fixedPrice": {"value": "-1", "currency": "USD"}}},
     "ticketDefinition.pricingMethod.fixedPrice.value"),
    ({"pricingMethod": {"fixedPrice": {"value": "1"}}},
     "ticketDefinition.pricingMethod.fixedPrice.currency"),
    ({"pricingMethod": {"fixedPrice": {"value": "1", "currency": "usd"}}},
     "ticketDefinition.pricingMethod.fixedPrice.currency"),
    ({"pricingMethod": {"pricingOptions": {"optionDetails": []}}},
     "ticketDefinition.pricingMethod.pricingOptions.optionDetails"),
    ({"pricingMethod": {"pricingOptions": {"optionDetails": [
        {"name": f"o{i}", "price": usd("1")} for i in range(101)]}}},
     "ticketDefinition.pricingMethod.pricingOptions.optionDetails"),
    ({"pricingMethod": {"pricingOptions": {"optionDetails": [
        {"name": "x" * 201, "price": usd("1")}]}}},
     "ticketDefinition.pricingMethod.pricingOptions.optionDetails[0].name"),
    ({"salePeriod": {"startDate": "2030-06-01T00:00:00Z"}},
     "ticketDefinition.salePeriod.endDate"),
    ({"salePeriod": {"endDate": "2030-06-01T00:00:00Z", "displayNotOnSale": True}},
     "ticketDefinition.salePeriod.startDate"),
    ({"salePeriod": {"startDate": "June 1st", "endDate": "2030-06-02T00:00:00Z"}},
     "ticketDefinition.salePeriod.startDate"),
])
def test_field_rules_are_enforced_and_nothing_is_stored(api, changes, field):
    event = create_event(api)
    response = api.post(TD, json={"ticketDefinition": definition_body(event["id"], **changes)})
    assert field in violations(response)
    assert query(api)["ticketDefinitions"] == []


def test_unknown_event_and_another_sites_event_are_not_found(api, server):
    assert_error(api.post(TD, json={"ticketDefinition": definition_body(str(uuid.uuid4()))}),
                 404, "EVENT_NOT_FOUND")
    event = create_event(api)
    with server.client(*server.new_site()) as other:
        assert_error(other.post(TD, json={"ticketDefinition": definition_body(event["id"])}),
                     404, "EVENT_NOT_FOUND")
    assert query(api)["ticketDefinitions"] == []


def test_rsvp_event_refuses_ticket_definitions(api):
    event = create_event(api, initial_type="RSVP")
    assert_error(api.post(TD, json={"ticketDefinition": definition_body(event["id"])}),
                 428, "INVALID_EVENT_TYPE")


def test_prices_must_use_the_event_currency(api):
    event = create_event(api)
    response = api.post(TD, json={"ticketDefinition": definition_body(event["id"], pricingMethod={
        "pricingOptions": {"optionDetails": [{"name": "A", "price": usd("1")},
                                             {"name": "B", "price": {"value": "2",
                                                                     "currency": "EUR"}}]}})})
    found = violations(response)
    field = "ticketDefinition.pricingMethod.pricingOptions.optionDetails[1].price.currency"
    assert "USD" in found[field]
    euro_event = create_event(api, "Euro Con", registration={
        "initialType": "TICKETING", "tickets": {"currency": "EUR"}})
    created = create_definition(api, euro_event["id"],
                                pricingMethod={"fixedPrice": {"value": "9", "currency": "EUR"}})
    assert created["pricingMethod"]["fixedPrice"]["currency"] == "EUR"
    assert "EUR" in violations(api.post(TD, json={"ticketDefinition": definition_body(
        euro_event["id"])}))["ticketDefinition.pricingMethod.fixedPrice.currency"]


def test_no_fee_is_refused_on_a_priced_ticket(api):
    event = create_event(api)
    response = api.post(TD, json={"ticketDefinition": definition_body(event["id"],
                                                                      feeType="NO_FEE")})
    assert "NO_FEE" in violations(response)["ticketDefinition.feeType"]
    assert query(api)["ticketDefinitions"] == []


def test_sale_period_dates_are_rounded_down_to_the_minute(api):
    event = create_event(api)
    created = create_definition(api, event["id"], salePeriod={
        "startDate": "2030-06-01T10:15:59.999Z", "endDate": "2030-06-02T12:30:45+02:00"})
    assert created["salePeriod"] == {"startDate": "2030-06-01T10:15:00.000Z",
                                     "endDate": "2030-06-02T10:30:00.000Z",
                                     "displayNotOnSale": False}


@pytest.mark.parametrize("period", [
    {"startDate": "2030-06-02T00:00:00Z", "endDate": "2030-06-01T00:00:00Z"},
    {"startDate": "2030-06-01T00:00:00Z", "endDate": "2030-06-01T00:00:00Z"},
    # equal once rounded down to the minute
    {"startDate": "2030-06-01T00:00:10Z", "endDate": "2030-06-01T00:00:50Z"},
    # the event ends 2030-06-16T01:00:00Z
    {"startDate": "2030-06-01T00:00:00Z", "endDate": "2030-06-16T01:01:00Z"},
])
def test_invalid_sale_period_is_a_precondition_failure(api, period):
    event = create_event(api)
    response = api.post(TD, json={"ticketDefinition": definition_body(event["id"],
                                                                      salePeriod=period)})
    assert_error(response, 428, "INVALID_SALE_PERIOD")
    assert query(api)["ticketDefinitions"] == []


def test_sale_may_end_exactly_when_the_event_ends(api):
    event = create_event(api)
    created = create_definition(api, event["id"], salePeriod={
        "startDate": "2030-06-01T00:00:00Z", "endDate": "2030-06-16T01:00:00Z"})
    assert created["salePeriod"]["endDate"] == "2030-06-16T01:00:00.000Z"


def test_the_101st_definition_of_an_event_is_refused(api, server):
    event = create_event(api)
    other = create_event(api, "Other")
    first = create_definition(api, event["id"], "T0")
    with server.store.transaction() as txn:  # 98 more, as if created one by one
        stored = txn.get(api.site_id, "ticket_definitions", first["id"])
        for n in range(1, 99):
            copy = {**stored, "id": str(uuid.uuid4()), "name": f"T{n}", "_sortIndex": n}
            txn.put(api.site_id, "ticket_definitions", copy["id"], copy, parent=event["id"])
    create_definition(api, event["id"], "T99")
    response = api.post(TD, json={"ticketDefinition": definition_body(event["id"], "T100")})
    assert_error(response, 428, "TICKET_DEFINITIONS_LIMIT_REACHED")
    count = api.post(f"{TD}/count", json={"filter": {"eventId": event["id"]}})
    assert count.json()["metadata"]["count"] == 100
    create_definition(api, other["id"])  # the limit is per event


# --- computed fields ---------------------------------------------------------------------------


def test_sale_status_follows_the_clock(api, clock):
    clock.set("2030-05-01T00:00:00Z")
    event = create_event(api)
    created = create_definition(api, event["id"], salePeriod={
        "startDate": "2030-06-01T00:00:00Z", "endDate": "2030-06-10T00:00:00Z"})
    assert created["saleStatus"] == "SALE_SCHEDULED"
    expected = {
        "2030-05-31T23:59:59Z": "SALE_SCHEDULED",
        "2030-06-01T00:00:00Z": "SALE_STARTED",
        "2030-06-09T23:59:59Z": "SALE_STARTED",
        "2030-06-10T00:00:00Z": "SALE_ENDED",
        "2030-07-01T00:00:00Z": "SALE_ENDED",
    }
    for moment, status in expected.items():
        clock.set(moment)
        assert get_definition(api, created["id"])["saleStatus"] == status, moment
        found = query(api, {"filter": {"saleStatus": status}})["ticketDefinitions"]
        assert [d["id"] for d in found] == [created["id"]], moment


def test_sales_details_appear_only_when_asked_for(api):
    event = create_event(api)
    limited = create_definition(api, event["id"], "Limited", initialLimit=50,
                                fields=["SALES_DETAILS"])
    assert limited["salesDetails"] == {"unsoldCount": 50, "soldCount": 0, "reservedCount": 0,
                                       "soldOut": False}
    unlimited = create_definition(api, event["id"], "Unlimited")
    assert "salesDetails" not in unlimited
    read = get_definition(api, unlimited["id"], fields="SALES_DETAILS")
    assert read["salesDetails"] == {"unsoldCount": None, "soldCount": 0, "reservedCount": 0,
                                    "soldOut": False}
    assert "salesDetails" not in get_definition(api, unlimited["id"])
    found = query(api, fields=["SALES_DETAILS"])["ticketDefinitions"]
    assert [d["salesDetails"]["unsoldCount"] for d in found] == [50, None]
    assert all("salesDetails" not in d for d in query(api)["ticketDefinitions"])
    available = query(api, path="/available/query", fields=["SALES_DETAILS"])
    assert all("salesDetails" in d for d in available["ticketDefinitions"])


def test_sales_counters_drive_sales_details_and_limit_per_checkout(api, server):
    event = create_event(api)
    created = create_definition(api, event["id"], initialLimit=30)
    edit_stored(server, api.site_id, "ticket_definitions", created["id"], _sold=12, _reserved=3)
    read = get_definition(api, created["id"], fields="SALES_DETAILS")
    assert read["salesDetails"] == {"unsoldCount": 15, "soldCount": 12, "reservedCount": 3,
                                    "soldOut": False}
    assert read["limitPerCheckout"] == 15
    edit_stored(server, api.site_id, "ticket_definitions", created["id"], _sold=30, _reserved=0)
    read = get_definition(api, created["id"], fields="SALES_DETAILS")
    assert read["salesDetails"]["unsoldCount"] == 0
    assert read["salesDetails"]["soldOut"] is True
    assert read["limitPerCheckout"] == 0


def test_limit_per_checkout_follows_the_event_ticket_limit(api):
    event = create_event(api, registration={"initialType": "TICKETING",
                                            "tickets": {"ticketLimitPerOrder": 5}})
    assert create_definition(api, event["id"])["limitPerCheckout"] == 5
    assert create_definition(api, event["id"], initialLimit=3)["limitPerCheckout"] == 3


def test_event_details_appear_only_when_asked_for(api):
    event = create_event(api, shortDescription="Talks and workshops")
    created = create_definition(api, event["id"], fields=["EVENT_DETAILS", "SEATING_DETAILS"])
    details = created["eventDetails"]
    assert details["title"] == "DevCon 2025"
    assert details["shortDescription"] == "Talks and workshops"
    assert details["location"]["name"] == "Moscone Center"
    assert details["dateAndTimeSettings"]["startDate"] == "2030-06-15T16:00:00.000Z"
    assert details["eventPageUrl"]["path"] == f"/event-details/{event['slug']}"
    assert details["status"] == "UPCOMING"
    assert "seatingDetails" not in created  # no event has a seating plan here
    assert "eventDetails" not in get_definition(api, created["id"])
    read = api.get(f"{TD}/{created['id']}",
                   params=[("fields", "EVENT_DETAILS"), ("fields", "SALES_DETAILS")])
    assert {"eventDetails", "salesDetails"} <= set(read.json()["ticketDefinition"])


def test_bad_fields_lists_are_refused(api):
    event = create_event(api)
    body = {"ticketDefinition": definition_body(event["id"]), "fields": ["SALES_DETAILS"] * 6}
    assert "fields" in violations(api.post(TD, json=body))
    body["fields"] = ["DASHBOARD"]
    assert "fields[0]" in violations(api.post(TD, json=body))
    assert query(api)["ticketDefinitions"] == []


def test_event_registration_shows_the_definitions_prices(api, server):
    event = create_event(api)
    create_definition(api, event["id"], "Cheap", initialLimit=2,
                      pricingMethod={"fixedPrice": usd("10.00")})
    create_definition(api, event["id"], "Dear", initialLimit=1,
                      pricingMethod={"fixedPrice": usd("99.50")})
    create_definition(api, event["id"], "Secret", hidden=True, initialLimit=1,
                      pricingMethod={"fixedPrice": usd("500.00")})

    def tickets() -> dict:
        response = api.get(f"/events/v3/events/{event['id']}", params={"fields": "REGISTRATION"})
        return response.json()["event"]["registration"]["tickets"]

    shown = tickets()
    assert shown["lowestPrice"]["value"] == "10.00"
    assert shown["highestPrice"]["value"] == "99.50"
    assert shown["soldOut"] is False
    *first, last = event_definitions(api, event["id"])
    for definition in first:
        edit_stored(server, api.site_id, "ticket_definitions", definition["id"],
                    _sold=definition["initialLimit"])
    assert tickets()["soldOut"] is False
    edit_stored(server, api.site_id, "ticket_definitions", last["id"], _reserved=1)
    assert tickets()["soldOut"] is True


# --- update ------------------------------------------------------------------------------------


@BOTH
def test_update_merges_the_fields_sent_and_bumps_the_revision(api, prefix):
    event = create_event(api)
    created = create_definition(api, event["id"], description="Keep me", initialLimit=10,
                                salePeriod={"startDate": "2030-06-01T00:00:00Z",
                                            "endDate": "2030-06-10T00:00:00Z",
                                            "displayNotOnSale": True})
    response = update(api, created, prefix, name="VIP",
                      pricingMethod={"guestPrice": usd("70.00")},
                      salePeriod={"startDate": "2030-06-02T00:00:30Z",
                                  "endDate": "2030-06-11T00:00:00Z"})
    assert response.status_code == 200, response.text
    updated = response.json()["ticketDefinition"]
    assert updated["revision"] == "2"
    assert updated["name"] == "VIP"
    assert updated["description"] == "Keep me"
    assert updated["initialLimit"] == 10
    assert updated["pricingMethod"] == {"guestPrice": usd("70.00"), "pricingType": "DONATION",
                                        "free": False}
    # replaced as a whole: displayNotOnSale falls back to false
    assert updated["salePeriod"] == {"startDate": "2030-06-02T00:00:00.000Z",
                                     "endDate": "2030-06-11T00:00:00.000Z",
                                     "displayNotOnSale": False}
    assert updated["createdDate"] == created["createdDate"]
    assert get_definition(api, created["id"]) == updated
    again = update(api, updated, prefix, hidden=True, fields=["SALES_DETAILS"])
    assert again.json()["ticketDefinition"]["revision"] == "3"
    assert get_definition(api, created["id"])["hidden"] is True


def test_update_accepts_the_revision_as_a_number_and_returns_fieldsets(api):
    event = create_event(api)
    created = create_definition(api, event["id"])
    response = api.patch(f"{TD}/{created['id']}", json={
        "ticketDefinition": {"revision": 1, "name": "Renamed"}, "fields": ["SALES_DETAILS"]})
    assert response.status_code == 200, response.text
    assert response.json()["ticketDefinition"]["revision"] == "2"
    assert "salesDetails" in response.json()["ticketDefinition"]


def test_update_without_revision_is_refused(api):
    event = create_event(api)
    created = create_definition(api, event["id"])
    response = api.patch(f"{TD}/{created['id']}", json={"ticketDefinition": {"name": "X"}})
    assert "ticketDefinition.revision" in violations(response)
    bad = api.patch(f"{TD}/{created['id']}",
                    json={"ticketDefinition": {"revision": "one", "name": "X"}})
    assert "ticketDefinition.revision" in violations(bad)
    assert "ticketDefinition" in violations(api.patch(f"{TD}/{created['id']}", json={}))
    assert get_definition(api, created["id"]) == created


def test_stale_revision_is_a_conflict_and_changes_nothing(api):
    event = create_event(api)
    created = create_definition(api, event["id"])
    assert update(api, created, name="First").status_code == 200
    response = update(api, created, name="Second")
    body = assert_error(response, 409, "REVISION_MISMATCH")
    assert body["details"]["applicationError"]["data"]["currentRevision"] == "2"
    read = get_definition(api, created["id"])
    assert read["name"] == "First" and read["revision"] == "2"


def test_event_id_is_immutable_and_ids_must_agree(api):
    event = create_event(api)
    other = create_event(api, "Other")
    created = create_definition(api, event["id"])
    assert "ticketDefinition.eventId" in violations(update(api, created, eventId=other["id"]))
    assert update(api, created, eventId=event["id"]).status_code == 200
    mismatch = api.patch(f"{TD}/{created['id']}", json={"ticketDefinition": {
        "id": str(uuid.uuid4()), "revision": "2", "name": "X"}})
    assert_error(mismatch, 400, "INVALID_ARGUMENT")
    assert get_definition(api, created["id"])["revision"] == "2"


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"name": "x" * 31}, 400, None),
    ({"feeType": "NO_FEE"}, 400, None),
    ({"pricingMethod": {"fixedPrice": {"value": "5", "currency": "GBP"}}}, 400, None),
    ({"pricingMethod": {"fixedPrice": {"value": 5, "currency": "USD"}}}, 400, None),
    ({"salePeriod": {"startDate": "2030-06-05T00:00:00Z", "endDate": "2030-06-04T00:00:00Z"}},
     428, "INVALID_SALE_PERIOD"),
    ({"salePeriod": {"startDate": "2030-06-05T00:00:00Z", "endDate": "2031-01-01T00:00:00Z"}},
     428, "INVALID_SALE_PERIOD"),
])
def test_update_applies_the_create_rules_and_a_refusal_changes_nothing(api, changes, status,
                                                                       code):
    event = create_event(api)
    created = create_definition(api, event["id"])
    assert_error(update(api, created, **changes), status, code)
    assert get_definition(api, created["id"]) == created


def test_no_fee_check_uses_the_merged_definition(api):
    event = create_event(api)
    free = create_definition(api, event["id"], pricingMethod={"fixedPrice": usd("0")})
    assert update(api, free, feeType="NO_FEE").status_code == 200
    current = get_definition(api, free["id"])
    response = update(api, current, pricingMethod={"fixedPrice": usd("3")})
    assert "ticketDefinition.feeType" in violations(response)


def test_update_of_unknown_or_foreign_definition_is_not_found(api, server):
    missing = {"id": str(uuid.uuid4()), "revision": "1"}
    assert_error(update(api, missing, name="X"), 404, "TICKET_DEFINITION_NOT_FOUND")
    event = create_event(api)
    created = create_definition(api, event["id"])
    with server.client(*server.new_site()) as other:
        assert_error(update(other, created, name="Stolen"), 404, "TICKET_DEFINITION_NOT_FOUND")
    assert get_definition(api, created["id"])["name"] == "General Admission"


# --- delete ------------------------------------------------------------------------------------


@BOTH
def test_delete_removes_the_definition(api, prefix):
    event = create_event(api)
    doomed = create_definition(api, event["id"], "Doomed")
    kept = create_definition(api, event["id"], "Kept")
    response = api.delete(f"{prefix}/{doomed['id']}")
    assert response.status_code == 200 and response.json() == {}
    assert_error(api.get(f"{TD}/{doomed['id']}"), 404, "TICKET_DEFINITION_NOT_FOUND")
    assert_error(api.delete(f"{prefix}/{doomed['id']}"), 404, "TICKET_DEFINITION_NOT_FOUND")
    assert names(api) == [kept["name"]]


def test_deleting_the_event_removes_its_definitions(api):
    event = create_event(api)
    created = create_definition(api, event["id"])
    assert api.delete(f"/events/v3/events/{event['id']}").status_code == 200
    assert_error(api.get(f"{TD}/{created['id']}"), 404, "TICKET_DEFINITION_NOT_FOUND")
    assert query(api)["ticketDefinitions"] == []


def test_another_site_cannot_see_or_touch_the_definitions(api, server):
    event = create_event(api)
    created = create_definition(api, event["id"])
    with server.client(*server.new_site()) as other:
        assert_error(other.get(f"{TD}/{created['id']}"), 404, "TICKET_DEFINITION_NOT_FOUND")
        assert_error(other.delete(f"{TD}/{created['id']}"), 404, "TICKET_DEFINITION_NOT_FOUND")
        assert query(other)["ticketDefinitions"] == []
        assert other.post(f"{TD}/count", json={}).json()["metadata"]["count"] == 0
        assert other.post(f"{TD}/available/count", json={}).json()["metadata"]["count"] == 0
        assert other.post(f"{BULK}/delete", json={"filter": {"eventId": event["id"]}}).json() == {}
        assert_error(other.post(f"{TD}/currency", json={"eventId": event["id"],
                                                        "currency": "EUR"}),
                     404, "EVENT_NOT_FOUND")
    assert get_definition(api, created["id"]) == created


# --- reorder -----------------------------------------------------------------------------------


def three_definitions(api: httpx.Client) -> tuple[dict, list[dict]]:
    event = create_event(api)
    return event, [create_definition(api, event["id"], name) for name in ("A", "B", "C")]


@BOTH
def test_reorder_changes_the_query_order(api, prefix):
    event, (a, b, c) = three_definitions(api)
    assert names(api) == ["A", "B", "C"]  # createdDate order until reordered
    response = api.post(f"{prefix}/reorder", json={
        "eventId": event["id"], "ticketDefinitionId": c["id"], "beforeDefinitionId": a["id"]})
    assert response.status_code == 200 and response.json() == {}
    assert names(api) == ["C", "A", "B"]
    api.post(f"{prefix}/reorder", json={
        "eventId": event["id"], "ticketDefinitionId": c["id"], "afterDefinitionId": b["id"]})
    assert names(api) == ["A", "B", "C"]
    api.post(f"{prefix}/reorder", json={
        "eventId": event["id"], "ticketDefinitionId": a["id"], "afterDefinitionId": b["id"]})
    assert names(api) == ["B", "A", "C"]
    assert names(api, prefix=ALT, path="/available/query") == ["B", "A", "C"]


def test_reorder_bumps_the_revision_of_moved_definitions_only(api):
    event, (a, b, c) = three_definitions(api)
    api.post(f"{TD}/reorder", json={
        "eventId": event["id"], "ticketDefinitionId": b["id"], "beforeDefinitionId": a["id"]})
    revisions = {d["name"]: d["revision"] for d in query(api)["ticketDefinitions"]}
    assert revisions == {"A": "2", "B": "2", "C": "1"}
    # a move to where it already is changes nothing
    api.post(f"{TD}/reorder", json={
        "eventId": event["id"], "ticketDefinitionId": b["id"], "beforeDefinitionId": a["id"]})
    assert {d["name"]: d["revision"] for d in query(api)["ticketDefinitions"]} == revisions
    assert update(api, c, name="C2").status_code == 200  # C's revision was untouched


def test_reorder_with_both_references_uses_the_last_one_in_the_body(api):
    event, (a, b, c) = three_definitions(api)
    api.post(f"{TD}/reorder", json={"eventId": event["id"], "ticketDefinitionId": a["id"],
                                    "beforeDefinitionId": b["id"],
                                    "afterDefinitionId": c["id"]})
    assert names(api) == ["B", "C", "A"]
    api.post(f"{TD}/reorder", json={"eventId": event["id"], "ticketDefinitionId": a["id"],
                                    "afterDefinitionId": c["id"],
                                    "beforeDefinitionId": b["id"]})
    assert names(api) == ["A", "B", "C"]


def test_reorder_refuses_bad_instructions(api):
    event, (a, b, _) = three_definitions(api)
    other_event = create_event(api, "Other")
    foreign = create_definition(api, other_event["id"], "Foreign")
    bad = [
        {"ticketDefinitionId": a["id"]},
        {"ticketDefinitionId": a["id"], "beforeDefinitionId": ""},
        {"ticketDefinitionId": a["id"], "beforeDefinitionId": a["id"]},
        {"ticketDefinitionId": a["id"], "afterDefinitionId": str(uuid.uuid4())},
        {"ticketDefinitionId": a["id"], "afterDefinitionId": foreign["id"]},
        {"ticketDefinitionId": foreign["id"], "beforeDefinitionId": b["id"]},
        {"ticketDefinitionId": str(uuid.uuid4()), "beforeDefinitionId": b["id"]},
    ]
    for body in bad:
        response = api.post(f"{TD}/reorder", json={"eventId": event["id"], **body})
        assert_error(response, 400, "INVALID_REORDER_INSTRUCTION")
    assert "ticketDefinitionId" in violations(api.post(f"{TD}/reorder", json={
        "eventId": event["id"], "beforeDefinitionId": b["id"]}))
    assert "eventId" in violations(api.post(f"{TD}/reorder", json={
        "ticketDefinitionId": a["id"], "beforeDefinitionId": b["id"]}))
    assert_error(api.post(f"{TD}/reorder", json={
        "eventId": str(uuid.uuid4()), "ticketDefinitionId": a["id"],
        "beforeDefinitionId": b["id"]}), 404, "EVENT_NOT_FOUND")
    assert names(api, {"filter": {"eventId": event["id"]}}) == ["A", "B", "C"]


# --- query and count ---------------------------------------------------------------------------


def test_query_without_sort_groups_definitions_by_event(api):
    first = create_event(api, "First")
    second = create_event(api, "Second")
    create_definition(api, second["id"], "S1")
    create_definition(api, first["id"], "F1")
    create_definition(api, second["id"], "S2")
    create_definition(api, first["id"], "F2")
    result = query(api, prefix=ALT)
    assert [d["name"] for d in result["ticketDefinitions"]] == ["F1", "F2", "S1", "S2"]
    assert result["metadata"] == {"count": 4, "cursors": {}}


def test_query_filters_sorts_and_accepts_older_spellings(api):
    event = create_event(api)
    create_definition(api, event["id"], "Cheap", initialLimit=100,
                      pricingMethod={"fixedPrice": usd("5.00")})
    create_definition(api, event["id"], "Dear", initialLimit=10,
                      pricingMethod={"fixedPrice": usd("50.00")})
    create_definition(api, event["id"], "Gift", pricingMethod={"guestPrice": usd("1")},
                      feeType="FEE_INCLUDED", hidden=True)
    create_definition(api, event["id"], "Free", feeType="NO_FEE",
                      pricingMethod={"fixedPrice": usd("0")})
    cases = {
        "pricingMethod.fixedPrice.value": ({"$gt": "4.5"}, ["Cheap", "Dear"]),
        "initialLimit": ({"$lte": 10}, ["Dear"]),
        "limit": ({"$gte": 50}, ["Cheap"]),
        "pricingMethod.pricingType": ("DONATION", ["Gift"]),
        "pricing_method.pricing_type": ({"$ne": "DONATION"}, ["Cheap", "Dear", "Free"]),
        "pricing_method.free": (True, ["Free"]),
        "pricingMethod.free": ({"$in": [False]}, ["Cheap", "Dear", "Gift"]),
        "hidden": (True, ["Gift"]),
        "feeType": ({"$nin": ["FEE_ADDED_AT_CHECKOUT"]}, ["Gift", "Free"]),
        "revision": ("1", ["Cheap", "Dear", "Gift", "Free"]),
        "name": ({"$in": ["Dear", "Free"]}, ["Dear", "Free"]),
        "description": ({"$exists": False}, ["Cheap", "Dear", "Gift", "Free"]),
    }
    for field, (condition, expected) in cases.items():
        assert names(api, {"filter": {field: condition}}) == expected, field
    by_price = names(api, {"sort": [{"fieldName": "pricingMethod.fixedPrice.value",
                                     "order": "DESC"}]})
    assert by_price == ["Dear", "Cheap", "Free", "Gift"]
    assert names(api, {"sort": [{"fieldName": "name"}]}) == ["Cheap", "Dear", "Free", "Gift"]
    assert names(api, {"sort": [{"fieldName": "limit", "order": "DESC"}],
                       "filter": {"$and": [{"hidden": False}, {"limit": {"$exists": True}}]}},
                 ) == ["Cheap", "Dear"]


def test_query_offset_paging(api):
    event = create_event(api)
    for n in range(5):
        create_definition(api, event["id"], f"T{n}")
    result = query(api, {"paging": {"limit": 2, "offset": 2}})
    assert [d["name"] for d in result["ticketDefinitions"]] == ["T2", "T3"]
    assert result["metadata"] == {"count": 2, "offset": 2, "total": 5, "tooManyToCount": False}


@pytest.mark.parametrize("path", ["/query", "/available/query"])
def test_cursor_paging_follows_next_across_pages(api, path):
    event = create_event(api)
    for n in range(7):
        create_definition(api, event["id"], f"T{n}")
    seen: list[str] = []
    pages = []
    body: dict[str, Any] = {"query": {"filter": {"eventId": event["id"]},
                                      "cursorPaging": {"limit": 3}}}
    while True:
        response = api.post(f"{TD}{path}", json=body)
        assert response.status_code == 200, response.text
        result = response.json()
        pages.append(len(result["ticketDefinitions"]))
        seen += [d["name"] for d in result["ticketDefinitions"]]
        assert result["metadata"]["count"] == pages[-1]
        following = result["metadata"]["cursors"].get("next")
        if not following:
            break
        assert len(following) <= 36
        body = {"query": {"cursorPaging": {"cursor": following, "limit": 3}}}
    assert pages == [3, 3, 1]
    assert seen == [f"T{n}" for n in range(7)]
    assert "prev" in result["metadata"]["cursors"]


def test_query_available_leaves_out_hidden_definitions(api):
    event = create_event(api)
    create_definition(api, event["id"], "Public")
    create_definition(api, event["id"], "Secret", hidden=True)
    assert names(api, prefix=ALT, path="/available/query") == ["Public"]
    assert names(api, {"filter": {"hidden": True}}, path="/available/query") == []
    assert names(api) == ["Public", "Secret"]
    first = api.post(f"{TD}/query", json={"query": {"cursorPaging": {"limit": 1}}}).json()
    cursor = first["metadata"]["cursors"]["next"]
    assert_error(api.post(f"{TD}/available/query", json={"query": {"cursorPaging": {
        "cursor": cursor}}}), 400, "INVALID_CURSOR")


@pytest.mark.parametrize("path", ["/query", "/available/query"])
def test_query_refuses_what_it_cannot_read(api, path):
    bad_filters = [
        {"title": "x"},
        {"hidden": {"$gt": False}},
        {"feeType": {"$lt": "NO_FEE"}},
        {"name": {"$startsWith": "G"}},
        {"initialLimit": {"$in": 5}},
        {"createdDate": {"$gt": "yesterday"}},
        {"$nor": []},
    ]
    for flt in bad_filters:
        response = api.post(f"{TD}{path}", json={"query": {"filter": flt}})
        assert_error(response, 400, "FILTER_PARSER_ERROR")
    assert_error(api.post(f"{TD}{path}", json={"query": {"sort": [{"fieldName": "policyText"}]}}),
                 400, "FILTER_PARSER_ERROR")
    too_many_sorts = [{"fieldName": "name"}] * 11
    assert_error(api.post(f"{TD}{path}", json={"query": {"sort": too_many_sorts}}), 400,
                 "FILTER_PARSER_ERROR")
    assert_error(api.post(f"{TD}{path}", json={"query": {"cursorPaging": {"limit": 101}}}), 400)
    assert "query" in violations(api.post(f"{TD}{path}", json={}))


@BOTH
def test_count_with_facets(api, prefix, clock):
    clock.set("2030-05-01T00:00:00Z")
    event = create_event(api)
    other = create_event(api, "Other")
    create_definition(api, event["id"], "Soon", salePeriod={
        "startDate": "2030-06-01T00:00:00Z", "endDate": "2030-06-02T00:00:00Z"})
    create_definition(api, event["id"], "Now")
    create_definition(api, event["id"], "Hidden", hidden=True)
    create_definition(api, other["id"], "Elsewhere")
    response = api.post(f"{prefix}/count", json={"filter": {"eventId": event["id"]},
                                                 "facet": ["saleStatus", "hidden", "limit"]})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "metadata": {"count": 3, "total": 3},
        "facets": {
            "saleStatus": {"counts": {"SALE_SCHEDULED": 1, "SALE_STARTED": 2}},
            "hidden": {"counts": {"false": 2, "true": 1}},
            "limit": {"counts": {}},
        },
    }
    everything = api.post(f"{prefix}/count", json={}).json()
    assert everything == {"metadata": {"count": 4, "total": 4}, "facets": {}}
    available = api.post(f"{prefix}/available/count", json={"filter": {"eventId": event["id"]}})
    assert available.json() == {"metadata": {"count": 2, "total": 2}}
    scheduled = api.post(f"{prefix}/available/count",
                         json={"filter": {"saleStatus": "SALE_SCHEDULED"}})
    assert scheduled.json()["metadata"]["count"] == 1


def test_count_refuses_bad_filters_and_facets(api):
    for path in ("/count", "/available/count"):
        assert_error(api.post(f"{TD}{path}", json={"filter": {"nope": 1}}), 400,
                     "FILTER_PARSER_ERROR")
        assert_error(api.post(f"{TD}{path}", json={"filter": {"hidden": {"$gte": True}}}),
                     400, "FILTER_PARSER_ERROR")
    assert_error(api.post(f"{TD}/count", json={"facet": ["color"]}), 400, "FILTER_PARSER_ERROR")
    assert "facet" in violations(api.post(f"{TD}/count", json={"facet": ["hidden"] * 21}))
    assert "facet" in violations(api.post(f"{TD}/count", json={"facet": "hidden"}))


# --- change currency, bulk delete --------------------------------------------------------------


@BOTH
def test_change_currency_rewrites_every_definition_and_the_event(api, prefix):
    event = create_event(api)
    other = create_event(api, "Other")
    fixed = create_definition(api, event["id"], "Fixed")
    options = create_definition(api, event["id"], "Options", pricingMethod={"pricingOptions": {
        "optionDetails": [{"name": "Adult", "price": usd("20.00")},
                          {"name": "Child", "price": usd("10.00")}]}})
    donation = create_definition(api, event["id"], "Gift", feeType="FEE_INCLUDED",
                                 pricingMethod={"guestPrice": usd("2")})
    untouched = create_definition(api, other["id"], "Elsewhere")
    response = api.post(f"{prefix}/currency", json={"eventId": event["id"], "currency": "EUR"})
    assert response.status_code == 200 and response.json() == {}
    read = get_definition(api, fixed["id"])
    assert read["pricingMethod"]["fixedPrice"] == {"value": "65.00", "currency": "EUR"}
    assert read["revision"] == "2"
    method = get_definition(api, options["id"])["pricingMethod"]
    prices = [o["price"] for o in method["pricingOptions"]["optionDetails"]]
    assert prices == [{"value": "20.00", "currency": "EUR"}, {"value": "10.00", "currency": "EUR"}]
    assert get_definition(api, donation["id"])["pricingMethod"]["guestPrice"] == {
        "value": "2", "currency": "EUR"}
    assert get_definition(api, untouched["id"]) == untouched
    shown = api.get(f"/events/v3/events/{event['id']}", params={"fields": "REGISTRATION"})
    assert shown.json()["event"]["registration"]["tickets"]["currency"] == "EUR"
    # new definitions now have to be priced in the new currency
    assert "ticketDefinition.pricingMethod.fixedPrice.currency" in violations(
        api.post(TD, json={"ticketDefinition": definition_body(event["id"])}))
    create_definition(api, event["id"], pricingMethod={"fixedPrice": {"value": "1",
                                                                      "currency": "EUR"}})


def test_change_currency_refusals_change_nothing(api, server):
    event = create_event(api)
    created = create_definition(api, event["id"])
    for body, field in [
        ({"eventId": event["id"], "currency": "eur"}, "currency"),
        ({"eventId": event["id"], "currency": "EURO"}, "currency"),
        ({"eventId": event["id"]}, "currency"),
        ({"currency": "EUR"}, "eventId"),
    ]:
        assert field in violations(api.post(f"{TD}/currency", json=body))
    assert_error(api.post(f"{TD}/currency", json={"eventId": str(uuid.uuid4()),
                                                  "currency": "EUR"}), 404, "EVENT_NOT_FOUND")
    rsvp = create_event(api, "Party", initial_type="RSVP")
    assert_error(api.post(f"{TD}/currency", json={"eventId": rsvp["id"], "currency": "EUR"}),
                 428, "INVALID_EVENT_TYPE")
    edit_stored(server, api.site_id, "events", event["id"], _currencyLocked=True)
    assert_error(api.post(f"{ALT}/currency", json={"eventId": event["id"], "currency": "EUR"}),
                 428, "CURRENCY_LOCKED")
    assert get_definition(api, created["id"]) == created
    shown = api.get(f"/events/v3/events/{event['id']}", params={"fields": "REGISTRATION"})
    assert shown.json()["event"]["registration"]["tickets"]["currency"] == "USD"


@BOTH_BULK
def test_bulk_delete_by_filter(api, bulk):
    event = create_event(api)
    other = create_event(api, "Other")
    create_definition(api, event["id"], "A")
    create_definition(api, event["id"], "B", hidden=True)
    create_definition(api, other["id"], "C")
    response = api.post(f"{bulk}/delete", json={"filter": {"eventId": event["id"],
                                                           "hidden": True}})
    assert response.status_code == 200 and response.json() == {}
    assert names(api) == ["A", "C"]
    api.post(f"{bulk}/delete", json={"filter": {"eventId": {"$in": [event["id"]]}}})
    assert names(api) == ["C"]


def test_bulk_delete_refusals_delete_nothing(api):
    event = create_event(api)
    create_definition(api, event["id"])
    assert "filter" in violations(api.post(f"{BULK}/delete", json={}))
    assert "filter" in violations(api.post(f"{BULK}/delete", json={"filter": {}}))
    assert "filter" in violations(api.post(f"{BULK}/delete", json={"filter": "all"}))
    # the Events bulk calls nest the filter; this one does not
    assert_error(api.post(f"{BULK}/delete", json={"filter": {"filter": {"eventId": event["id"]}}}),
                 400, "FILTER_PARSER_ERROR")
    assert_error(api.post(f"{ALT_BULK}/delete", json={"filter": {"name": {"$regex": "."}}}),
                 400, "FILTER_PARSER_ERROR")
    assert len(query(api)["ticketDefinitions"]) == 1
