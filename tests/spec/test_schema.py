"""The spec's JSON Schema, `schemas/event-spec.strict.schema.json` (the language once templates
are expanded; editors read `event-spec.schema.json`, made from it, see test_published_schema),
checked four ways:

1. as a schema: valid draft 2020-12, described, closed, with hints and formats that the loader's
   messages rely on (walked generically, following `$ref` into `$defs`);
2. against the API: every limit and enum is compared with a table transcribed from our notes on
   Wix's REST API (kept in the team's shared research folder, which CI does not have, so the
   numbers are copied here; each row cites the note file and the section or table it is from);
3. through the real loader: a value exactly at a limit is accepted and one past it is refused
   with exactly one error, at the field, naming the limit;
4. against what users read: the DevCon example and every spec fragment in
   docs/spec-language.md validate.

Note files cited below:
- events-and-ticket-definitions.md (Events V3, Ticket Definitions V3)
- policies-schedule-categories-forms.md (Policies V2, Schedule Items, Categories, Form)
- sdk-endpoint-tables.md (tables generated from Wix's SDK typings; "B.n" are its field tables)
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from jsonschema import Draft202012Validator

from provisioner.cli.commands import validate_summary as summary
from provisioner.spec.loader import LoadResult, load, load_texts
from provisioner.spec.schema import schema_text
from provisioner.spec.source import parse_document

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schemas" / "event-spec.strict.schema.json"
EXAMPLE = ROOT / "examples" / "devcon2025.yaml"
DOCS = ROOT / "docs" / "spec-language.md"

SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# --- walking the schema ---------------------------------------------------------------------------

_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")
_SCHEMA_ONE = ("items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems",
               "contains", "propertyNames", "not", "if", "then", "else")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def node_at(pointer: str) -> Any:
    """The part of the schema at a JSON-pointer-like path such as `$defs/ticket/properties/name`
    ("" is the root)."""
    node: Any = SCHEMA
    for part in pointer.split("/") if pointer else []:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def walk(*, into_defs: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema once, as (location, schema): from the root down through the keywords
    that hold subschemas, following each `$ref` to its definition under `$defs` (a definition
    is reported at its own location, e.g. `$defs/ticket`). With `into_defs=False` the `$defs`
    are entered only through `$ref`s, so only what a spec can reach is walked."""
    seen: set[str] = set()
    stack: list[tuple[str, Any]] = [("", SCHEMA)]
    while stack:
        where, node = stack.pop()
        if where in seen or not isinstance(node, dict):
            continue
        seen.add(where)
        yield where, node
        prefix = f"{where}/" if where else ""
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/$defs/"), f"{where}: $ref {ref!r} is not into $defs"
            stack.append((ref[2:], node_at(ref[2:])))
        for keyword in _SCHEMA_MAPS:
            if keyword != "$defs" or into_defs:
                stack += [(f"{prefix}{keyword}/{name}", sub)
                          for name, sub in node.get(keyword, {}).items()]
        for keyword in _SCHEMA_ONE:
            if isinstance(node.get(keyword), dict):
                stack.append((f"{prefix}{keyword}", node[keyword]))
        for keyword in _SCHEMA_LISTS:
            stack += [(f"{prefix}{keyword}/{index}", sub)
                      for index, sub in enumerate(node.get(keyword, []))]


def types_of(node: dict[str, Any]) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


# The one object schema that is deliberately open: a rich-content (Ricos) document is sent as-is.
FREE_FORM = {"$defs/event/properties/description"}


# --- 1. the schema as a schema --------------------------------------------------------------------

def test_schema_is_a_valid_draft_2020_12_schema_with_its_metadata() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for key in ("$id", "title", "description"):
        assert isinstance(SCHEMA.get(key), str) and SCHEMA[key].strip(), key
    assert SCHEMA["$id"].endswith("/event-spec.strict.schema.json")


def test_the_loader_validates_with_this_schema() -> None:
    """The boundary tests below go through the loader: make sure it reads this very file.
    (Its text, not `load_schema()`: that cached dict is shared with the validators, and a
    compiler may rewrite its `$ref`s in place.)"""
    assert json.loads(schema_text()) == SCHEMA


def test_walk_covers_the_whole_schema() -> None:
    locations = dict(walk())
    assert len(locations) > 100
    for name in SCHEMA["$defs"]:
        assert f"$defs/{name}" in locations
    reachable = {where for where, _ in walk(into_defs=False)}
    unused = sorted(f"$defs/{name}" for name in SCHEMA["$defs"]
                    if f"$defs/{name}" not in reachable)
    assert unused == [], f"definitions no spec can reach: {unused}"


def test_every_property_at_every_level_has_a_description() -> None:
    missing = [
        f"{where}/properties/{name}"
        for where, node in walk()
        for name, sub in node.get("properties", {}).items()
        if not (isinstance(sub.get("description"), str) and sub["description"].strip())
    ]
    assert missing == []


def test_every_object_schema_is_closed_except_free_form_rich_content() -> None:
    open_objects = []
    free_form = []
    for where, node in walk():
        if "object" not in types_of(node) and "properties" not in node:
            continue
        if "properties" in node:
            if node.get("additionalProperties") is not False:
                open_objects.append(where)
        else:
            free_form.append(where)
    assert open_objects == []
    assert sorted(free_form) == sorted(FREE_FORM)
    for where in FREE_FORM:
        node = node_at(where)
        assert "object" in types_of(node) and "additionalProperties" not in node


def test_no_hint_names_a_field_that_is_accepted() -> None:
    """`x-hints` explain fields the spec refuses; a hint for an accepted field is dead text."""
    clashes = [
        f"{where}: {name}"
        for where, node in walk()
        for name in node.get("x-hints", {})
        if name in node.get("properties", {})
    ]
    assert clashes == []
    hinted = [where for where, node in walk() if "x-hints" in node]
    assert hinted, "x-hints are expected on several objects"
    for where in hinted:
        node = node_at(where)
        assert "properties" in node, f"{where}: x-hints on a schema without properties"
        assert all(isinstance(text, str) and text for text in node["x-hints"].values()), where


def test_one_of_only_on_the_form_control() -> None:
    """The loader words a `oneOf` failure only for the form control's kind keys."""
    assert [where for where, node in walk() if "oneOf" in node] == ["$defs/formControl"]


def test_every_pattern_has_an_expected_format_text() -> None:
    patterned = [where for where, node in walk() if "pattern" in node]
    assert patterned
    missing = [where for where in patterned
               if not (isinstance(node_at(where).get("x-expected"), str)
                       and node_at(where)["x-expected"].strip())]
    assert missing == []


# --- 2. limits and enums against the API notes ----------------------------------------------------

class Limit(NamedTuple):
    pointer: str  # where in the schema, e.g. "$defs/ticket/properties/name"
    expected: dict[str, Any]  # minLength, maxLength, minimum, maximum, minItems, maxItems, enum...


LIMIT_KEYWORDS = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                  "exclusiveMaximum", "minItems", "maxItems", "minProperties", "maxProperties",
                  "enum", "const")

_D = "$defs/"
_REG = "$defs/registration/properties/"
_FC = "$defs/formControl/properties/"
_SI = "$defs/scheduleItem/properties/"

# Limits as our API notes give them. Each row: the schema location and the exact values.
API_LIMITS: list[Limit] = [
    # --- events ---
    # events-and-ticket-definitions.md §2.3 Event object: `title` "string 1–120" (also B.1)
    Limit(f"{_D}event/properties/title", {"minLength": 1, "maxLength": 120}),
    # events-and-ticket-definitions.md §2.3 Event object: `shortDescription` "string ≤500"
    Limit(f"{_D}event/properties/shortDescription", {"maxLength": 500}),
    # events-and-ticket-definitions.md §2.1 endpoint table, GetEventBySlug: "slug is 1–130
    # characters"; sdk-endpoint-tables.md B.1: `seoSettings.slug` "len ≤130"
    Limit(f"{_D}event/properties/slug", {"maxLength": 130}),
    # events-and-ticket-definitions.md §2.3 Event object: `categories` "EventCategory[≤10]",
    # EventCategory `name (1–30)`; policies-schedule-categories-forms.md §3.2 Notes: "annotates
    # event.categories.categories with max 10 — suggestive, ... (UNCONFIRMED)"
    Limit(f"{_D}event/properties/categories", {"maxItems": 10}),
    Limit(f"{_D}event/properties/categories/items", {"minLength": 1, "maxLength": 30}),
    # events-and-ticket-definitions.md §3.4 Rules and limits: "At most 100 ticket definitions
    # per event"
    Limit(f"{_D}event/properties/tickets", {"maxItems": 100}),
    # policies-schedule-categories-forms.md §1.2 Create Policy: "max 3 policies per event"
    Limit(f"{_D}event/properties/policies", {"maxItems": 3}),
    # events-and-ticket-definitions.md §2.3 Event object: `onlineConferencing`
    # "type: MEETING|WEBINAR"; sdk-endpoint-tables.md B.1 Enums: ConferenceTypeType
    Limit(f"{_D}event/properties/onlineConferencing/properties/type",
          {"enum": ["MEETING", "WEBINAR"]}),
    # events-and-ticket-definitions.md §2.3 Event object: `mainImage` "Image {id (1–200), ...}"
    Limit(f"{_D}mainImage/properties/id", {"minLength": 1, "maxLength": 200}),
    # events-and-ticket-definitions.md §2.3.1 Location: `name` "string ≤50"
    Limit(f"{_D}location/properties/name", {"maxLength": 50}),
    # events-and-ticket-definitions.md §2.3.1 Location: `type` "VENUE | ONLINE"
    Limit(f"{_D}location/properties/type", {"enum": ["VENUE", "ONLINE"]}),
    # events-and-ticket-definitions.md §2.3.1 Location: "streetAddress {number (≤100),
    # name (≤250)} or addressLine (≤250) ... subdivision (... ≤20), city (≤100),
    # postalCode (≤100), addressLine2 (≤250)"; same in sdk-endpoint-tables.md B.1
    Limit(f"{_D}address/properties/streetAddress/properties/number", {"maxLength": 100}),
    Limit(f"{_D}address/properties/streetAddress/properties/name", {"maxLength": 250}),
    Limit(f"{_D}address/properties/addressLine", {"maxLength": 250}),
    Limit(f"{_D}address/properties/addressLine2", {"maxLength": 250}),
    Limit(f"{_D}address/properties/city", {"maxLength": 100}),
    Limit(f"{_D}address/properties/subdivision", {"maxLength": 20}),
    Limit(f"{_D}address/properties/postalCode", {"maxLength": 100}),
    # events-and-ticket-definitions.md §2.3.2 DateAndTimeSettings: `dateAndTimeTbdMessage`
    # "string ≤100"
    Limit(f"{_D}dateAndTimeSettings/properties/dateAndTimeTbdMessage", {"maxLength": 100}),
    # events-and-ticket-definitions.md §2.3.2: `timeZoneId` "IANA tz string ≤100";
    # policies-schedule-categories-forms.md §2.2 ScheduleItem: `timeSlot.timeZoneId` "1..100
    # chars" (one definition serves both)
    Limit(f"{_D}timeZoneId", {"minLength": 1, "maxLength": 100}),
    # events-and-ticket-definitions.md §2.3.3 Registration: `initialType` "RSVP | TICKETING"
    Limit(f"{_REG}initialType", {"enum": ["RSVP", "TICKETING"]}),
    # events-and-ticket-definitions.md §2.3.3 Registration: `allowedGuestTypes`
    # "VISITOR_OR_MEMBER | MEMBER"
    Limit(f"{_REG}allowedGuestTypes", {"enum": ["VISITOR_OR_MEMBER", "MEMBER"]}),
    # events-and-ticket-definitions.md §2.3.3 Registration: `rsvp` "responseType:
    # YES_ONLY|YES_AND_NO"
    Limit(f"{_REG}rsvp/properties/responseType", {"enum": ["YES_ONLY", "YES_AND_NO"]}),
    # events-and-ticket-definitions.md §2.3.3 Registration: `tickets` "ticketLimitPerOrder:
    # int 0–50 (default 20)"
    Limit(f"{_REG}tickets/properties/ticketLimitPerOrder", {"minimum": 0, "maximum": 50}),
    # events-and-ticket-definitions.md §2.3.3 Registration: "reservationDurationInMinutes: 5–30"
    Limit(f"{_REG}tickets/properties/reservationDurationInMinutes",
          {"minimum": 5, "maximum": 30}),
    # events-and-ticket-definitions.md §2.3.3 Registration: "taxSettings:{type:
    # INCLUDED_IN_PRICE|ADDED_AT_CHECKOUT, name (1–10), ...}"
    Limit(f"{_D}taxSettings/properties/type", {"enum": ["INCLUDED_IN_PRICE", "ADDED_AT_CHECKOUT"]}),
    Limit(f"{_D}taxSettings/properties/name", {"minLength": 1, "maxLength": 10}),
    # --- tickets ---
    # events-and-ticket-definitions.md §3.2 TicketDefinition object: `name` "string 1–30"
    Limit(f"{_D}ticket/properties/name", {"minLength": 1, "maxLength": 30}),
    # events-and-ticket-definitions.md §3.2 TicketDefinition object: `description` "string ≤500"
    Limit(f"{_D}ticket/properties/description", {"maxLength": 500}),
    # events-and-ticket-definitions.md §3.2 TicketDefinition object: `policyText` "string ≤1000"
    Limit(f"{_D}ticket/properties/policyText", {"maxLength": 1000}),
    # events-and-ticket-definitions.md §3.2 TicketDefinition object: `feeType` "enum
    # FEE_INCLUDED, FEE_ADDED_AT_CHECKOUT, NO_FEE"
    Limit(f"{_D}ticket/properties/feeType",
          {"enum": ["FEE_INCLUDED", "FEE_ADDED_AT_CHECKOUT", "NO_FEE"]}),
    # events-and-ticket-definitions.md §3.3 Pricing: "pricingMethod holds exactly one of
    # fixedPrice, guestPrice, pricingOptions"
    Limit(f"{_D}pricingMethod", {"minProperties": 1, "maxProperties": 1}),
    # events-and-ticket-definitions.md §3.3 Pricing: "pricingOptions: {optionDetails:
    # [{optionId (GUID), name (1–200), price: CommonMoney}] (≤100)}"; sdk-endpoint-tables.md
    # B.2: `optionDetails` "max items 100"
    Limit(f"{_D}pricingMethod/properties/pricingOptions/properties/optionDetails",
          {"maxItems": 100}),
    Limit(f"{_D}pricingMethod/properties/pricingOptions/properties/optionDetails/items/"
          "properties/name", {"minLength": 1, "maxLength": 200}),
    # --- schedule items ---
    # policies-schedule-categories-forms.md §2.2 ScheduleItem object: `name` "max 120"
    Limit(f"{_SI}name", {"maxLength": 120}),
    # policies-schedule-categories-forms.md §2.2 ScheduleItem object: `description` "max 10000"
    Limit(f"{_SI}description", {"maxLength": 10000}),
    # policies-schedule-categories-forms.md §2.2 ScheduleItem object: `stageName` "max 30"
    Limit(f"{_SI}stageName", {"maxLength": 30}),
    # policies-schedule-categories-forms.md §2.2 ScheduleItem object: `tags` "max 5 tags, each
    # 1..30 chars"
    Limit(f"{_SI}tags", {"maxItems": 5}),
    Limit(f"{_SI}tags/items", {"minLength": 1, "maxLength": 30}),
    # policies-schedule-categories-forms.md §2.2 ScheduleItem object: `status` "SCHEDULED,
    # CANCELED"
    Limit(f"{_SI}status", {"enum": ["SCHEDULED", "CANCELED"]}),
    # --- policies ---
    # policies-schedule-categories-forms.md §1.1 Policy object: `name` "min 1, max 40 chars"
    Limit(f"{_D}policy/properties/name", {"minLength": 1, "maxLength": 40}),
    # policies-schedule-categories-forms.md §1.1 Policy object: `body` "min 1, max 50000 chars"
    Limit(f"{_D}policy/properties/body", {"minLength": 1, "maxLength": 50000}),
    # --- categories ---
    # policies-schedule-categories-forms.md §3.1 Category object: `name` "min 1, max 30"
    Limit(f"{_D}category/properties/name", {"minLength": 1, "maxLength": 30}),
    # --- form controls: policies-schedule-categories-forms.md §4.3 "Add/Update control
    # request" table and sdk-endpoint-tables.md B.7 "Form controls (AddControl request body)" ---
    # §4.3 `text`: "maxLength (≤1000) ... label ≤200"; B.7 `text.maxLength` "range 0..1000"
    Limit(f"{_FC}text/properties/label", {"maxLength": 200}),
    Limit(f"{_FC}text/properties/maxLength", {"minimum": 0, "maximum": 1000}),
    # §4.3 `phone`: "label ≤100"
    Limit(f"{_FC}phone/properties/label", {"maxLength": 100}),
    # §4.3 `date`: "label ≤100"
    Limit(f"{_FC}date/properties/label", {"maxLength": 100}),
    # §4.3 `dropdown`: "label ≤200; options 2..200, each ≤200", "defaultOptionSelection
    # {optionIndex (≤199) or placeholderText (≤200)}"; B.7 `optionIndex` "range 0..199"
    Limit(f"{_FC}dropdown/properties/label", {"maxLength": 200}),
    Limit(f"{_FC}dropdown/properties/options", {"minItems": 2, "maxItems": 200}),
    Limit(f"{_FC}dropdown/properties/options/items", {"maxLength": 200}),
    Limit(f"{_FC}dropdown/properties/defaultOptionSelection",
          {"minProperties": 1, "maxProperties": 1}),
    Limit(f"{_FC}dropdown/properties/defaultOptionSelection/properties/optionIndex",
          {"minimum": 0, "maximum": 199}),
    Limit(f"{_FC}dropdown/properties/defaultOptionSelection/properties/placeholderText",
          {"maxLength": 200}),
    # §4.3 `checkbox`: "label ≤200; options 1..200, each ≤200"
    Limit(f"{_FC}checkbox/properties/label", {"maxLength": 200}),
    Limit(f"{_FC}checkbox/properties/options", {"minItems": 1, "maxItems": 200}),
    Limit(f"{_FC}checkbox/properties/options/items", {"maxLength": 200}),
    # §4.3 `radioButton`: "label ≤200; options 2..200, each ≤200"
    Limit(f"{_FC}radioButton/properties/label", {"maxLength": 200}),
    Limit(f"{_FC}radioButton/properties/options", {"minItems": 2, "maxItems": 200}),
    Limit(f"{_FC}radioButton/properties/options/items", {"maxLength": 200}),
    # §4.3 `address`: "labels {addressLine, country, subdivision, city, postalCode,
    # streetAddress} ... each label ≤100"
    *(Limit(f"{_FC}address/properties/labels/properties/{name}", {"maxLength": 100})
      for name in ("addressLine", "streetAddress", "city", "subdivision", "country",
                   "postalCode")),
    # §4.3 `additionalGuests`: "labels {single, multiple} ... labels ≤200; maxGuests 1..10"
    Limit(f"{_FC}additionalGuests/properties/maxGuests", {"minimum": 1, "maximum": 10}),
    Limit(f"{_FC}additionalGuests/properties/labels/properties/single", {"maxLength": 200}),
    Limit(f"{_FC}additionalGuests/properties/labels/properties/multiple", {"maxLength": 200}),
    # §4.3 `name` (update only): "labels {firstName, lastName}" "≤100 each"
    Limit(f"{_FC}name/properties/labels/properties/firstName", {"maxLength": 100}),
    Limit(f"{_FC}name/properties/labels/properties/lastName", {"maxLength": 100}),
    # §4.3 `email` (update only): "label" "≤100"
    Limit(f"{_FC}email/properties/label", {"maxLength": 100}),
]

# Limits the notes do not give: the spec's own rules, listed so that the exact comparison covers
# every limit in the schema. None of them loosens an API limit.
TOOL_LIMITS: list[Limit] = [
    # only spec language version 1 exists
    Limit("properties/version", {"const": 1}),
    # renames and pinned ids: a former name or an id is never empty (tool-only fields)
    Limit(f"{_D}renamedFrom", {"minItems": 1}),
    Limit(f"{_D}renamedFrom/items", {"minLength": 1}),
    Limit(f"{_D}pinnedId", {"minLength": 1}),
    # the event's state is the tool's word for draft/publish/cancel/delete, not an API enum
    Limit(f"{_D}event/properties/state", {"enum": ["DRAFT", "PUBLISHED", "CANCELED",
                                                   "DELETED"]}),
    # a category's state says only that the spec wants it deleted
    Limit(f"{_D}category/properties/state", {"enum": ["DELETED"]}),
    # events-and-ticket-definitions.md §2.3 gives ≤50000 for the retired plain-text
    # `detailedDescription`; `description` itself is RichContent, no length given
    Limit(f"{_D}event/properties/description", {"maxLength": 50000}),
    # events-and-ticket-definitions.md §2.3.1 names `streetAddress.apt` only in a response
    # example; no limit in the notes (the emulator uses 100)
    Limit(f"{_D}address/properties/streetAddress/properties/apt", {"maxLength": 100}),
    # §2.3.3 `external` "{url}" and B.1 "format WEB_URL": no length in the notes
    Limit(f"{_REG}external/properties/url", {"maxLength": 2000}),
    # §2.3.3 `rsvp.limit` "int (guest cap)": no range in the notes; a negative cap is nonsense
    Limit(f"{_REG}rsvp/properties/limit", {"minimum": 0}),
    # B.1 `mainImage.height`/`width` "number": no range in the notes
    Limit(f"{_D}mainImage/properties/height", {"minimum": 0}),
    Limit(f"{_D}mainImage/properties/width", {"minimum": 0}),
    # §3.2 `initialLimit` "int, optional ... Leave it out for unlimited": no range in the notes;
    # at least 1 (0 would be a ticket nobody can buy), at most a protobuf int32
    Limit(f"{_D}ticket/properties/initialLimit", {"minimum": 1, "maximum": 2147483647}),
    # §3.3 gives only "≤100" options; a pricingOptions block without options means nothing
    Limit(f"{_D}pricingMethod/properties/pricingOptions/properties/optionDetails",
          {"minItems": 1}),
    # names and labels identify their object (tickets, items, controls by label), so the spec
    # refuses an empty one where the notes give only a maximum
    Limit(f"{_SI}name", {"minLength": 1}),
    *(Limit(f"{_FC}{kind}/properties/label", {"minLength": 1})
      for kind in ("text", "phone", "date", "dropdown", "checkbox", "radioButton", "email")),
    Limit(f"{_FC}name/properties/labels/properties/firstName", {"minLength": 1}),
    Limit(f"{_FC}name/properties/labels/properties/lastName", {"minLength": 1}),
    # policies-schedule-categories-forms.md §4.3: "Max number of controls per form: UNCONFIRMED
    # (form response inputValues is capped at 200)"
    Limit(f"{_D}form/properties/controls", {"maxItems": 200}),
]


def _merged() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for row in [*API_LIMITS, *TOOL_LIMITS]:
        entry = merged.setdefault(row.pointer, {})
        clash = set(entry) & set(row.expected)
        assert not clash, f"{row.pointer}: {sorted(clash)} given twice in the limit tables"
        entry.update(row.expected)
    return merged


EXPECTED_LIMITS = _merged()


def _normalised(limits: dict[str, Any]) -> dict[str, Any]:
    return {key: sorted(value) if key == "enum" else value for key, value in limits.items()}


def schema_limits(node: dict[str, Any]) -> dict[str, Any]:
    return {key: node[key] for key in LIMIT_KEYWORDS if key in node}


def test_limit_tables_are_well_formed() -> None:
    assert len(API_LIMITS) >= 60
    for row in [*API_LIMITS, *TOOL_LIMITS]:
        assert row.expected and set(row.expected) <= set(LIMIT_KEYWORDS), row
        for key, value in row.expected.items():
            if key == "enum":
                assert len(set(value)) == len(value), row
            elif key != "const":
                assert isinstance(value, int) and not isinstance(value, bool), row


@pytest.mark.parametrize("pointer", sorted(EXPECTED_LIMITS))
def test_schema_has_exactly_the_limits_of_the_table(pointer: str) -> None:
    node = node_at(pointer)
    assert isinstance(node, dict), f"{pointer} is not a schema"
    assert _normalised(schema_limits(node)) == _normalised(EXPECTED_LIMITS[pointer])
    if "enum" in node:
        assert len(set(node["enum"])) == len(node["enum"]), "an enum value is listed twice"


def test_every_limit_in_the_schema_is_in_a_table() -> None:
    """A limit added to the schema must be checked against the notes (or marked as the tool's)."""
    untabled = sorted(where for where, node in walk()
                      if schema_limits(node) and where not in EXPECTED_LIMITS)
    assert untabled == []


# --- 3. boundaries through the real loader --------------------------------------------------------

def base_spec() -> dict[str, Any]:
    """A small valid spec with one of everything; every boundary case changes one field."""
    return {
        "categories": [{"name": "Featured"}],
        "events": [{
            "slug": "boundary-test",
            "title": "Boundary test",
            "location": {"name": "Town Hall"},
            "dateAndTimeSettings": {
                "timeZoneId": "Europe/London",
                "startDate": "2030-06-15T09:00",
                "endDate": "2030-06-15T18:00",
            },
            "registration": {"initialType": "TICKETING", "tickets": {"currency": "USD"}},
            "tickets": [{"name": "Standard", "pricingMethod": {"fixedPrice": "10.00"}}],
            "schedule": {"items": [{
                "name": "Opening",
                "timeSlot": {"start": "2030-06-15T09:00", "end": "2030-06-15T10:00"},
            }]},
            "policies": [{"name": "Refunds", "body": "No refunds."}],
            "form": {"controls": [{"text": {"label": "Company"}}]},
        }],
    }


Key = str | int
FieldPath = tuple[Key, ...]

EVENT: FieldPath = ("events", 0)
TICKET: FieldPath = (*EVENT, "tickets", 0)
ITEM: FieldPath = (*EVENT, "schedule", "items", 0)
POLICY: FieldPath = (*EVENT, "policies", 0)
CONTROL: FieldPath = (*EVENT, "form", "controls", 0)
OPTIONS: FieldPath = (*TICKET, "pricingMethod", "pricingOptions", "optionDetails")


def dotted(path: FieldPath) -> str:
    """("events", 0, "tickets", 0, "name") -> "events[0].tickets[0].name", as Problem.field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def put(spec: Any, path: FieldPath, value: Any) -> None:
    """Set the value at `path`, making the mappings on the way."""
    node = spec
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value


def text_of(length: int) -> str:
    return "x" * length


def names(prefix: str) -> Callable[[int], list[str]]:
    return lambda count: [f"{prefix} {index:03d}" for index in range(count)]


def tickets_of(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Ticket {i:03d}", "pricingMethod": {"fixedPrice": "10.00"}}
            for i in range(count)]


def policies_of(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Policy {i}", "body": "Text."} for i in range(count)]


def price_options_of(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Option {i:03d}", "price": "10.00"} for i in range(count)]


def with_control(control: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def setup(spec: dict[str, Any]) -> None:
        put(spec, CONTROL, copy.deepcopy(control))
    return setup


def with_value(path: FieldPath, value: Any) -> Callable[[dict[str, Any]], None]:
    def setup(spec: dict[str, Any]) -> None:
        put(spec, path, copy.deepcopy(value))
    return setup


def with_categories(count: int) -> Callable[[dict[str, Any]], None]:
    def setup(spec: dict[str, Any]) -> None:
        spec["categories"] = [{"name": name} for name in names("Category")(count)]
    return setup


def free_ticket(spec: dict[str, Any]) -> None:
    put(spec, (*TICKET, "pricingMethod"), {"fixedPrice": "0"})


def rsvp_event(spec: dict[str, Any]) -> None:
    event = spec["events"][0]
    del event["tickets"]
    event["registration"] = {"initialType": "RSVP", "rsvp": {}}


def guests_control(spec: dict[str, Any]) -> None:
    """Additional guests are asked for only on RSVP forms."""
    rsvp_event(spec)
    put(spec, CONTROL, {"additionalGuests": {"maxGuests": 2}})


class Boundary(NamedTuple):
    pointer: str  # the API_LIMITS row whose limit is tested
    keyword: str  # which of its limits
    field: FieldPath  # where in the spec the value goes
    make: Callable[[int], Any] = text_of  # the value for a length, count or number
    setup: Callable[[dict[str, Any]], None] | None = None  # changes the base spec first


def number(value: int) -> int:
    return value


BOUNDARIES: list[Boundary] = [
    # events
    Boundary(f"{_D}event/properties/title", "maxLength", (*EVENT, "title")),
    Boundary(f"{_D}event/properties/title", "minLength", (*EVENT, "title")),
    Boundary(f"{_D}event/properties/shortDescription", "maxLength", (*EVENT, "shortDescription")),
    Boundary(f"{_D}event/properties/slug", "maxLength", (*EVENT, "slug")),
    Boundary(f"{_D}event/properties/categories", "maxItems", (*EVENT, "categories"),
             names("Category"), with_categories(11)),
    Boundary(f"{_D}event/properties/tickets", "maxItems", (*EVENT, "tickets"), tickets_of),
    Boundary(f"{_D}event/properties/policies", "maxItems", (*EVENT, "policies"), policies_of),
    Boundary(f"{_D}event/properties/onlineConferencing/properties/type", "enum",
             (*EVENT, "onlineConferencing", "type")),
    Boundary(f"{_D}mainImage/properties/id", "maxLength", (*EVENT, "mainImage", "id")),
    Boundary(f"{_D}location/properties/name", "maxLength", (*EVENT, "location", "name")),
    Boundary(f"{_D}location/properties/type", "enum", (*EVENT, "location", "type")),
    Boundary(f"{_D}address/properties/city", "maxLength", (*EVENT, "location", "address", "city")),
    Boundary(f"{_D}address/properties/subdivision", "maxLength",
             (*EVENT, "location", "address", "subdivision")),
    Boundary(f"{_D}address/properties/addressLine", "maxLength",
             (*EVENT, "location", "address", "addressLine")),
    Boundary(f"{_D}address/properties/streetAddress/properties/number", "maxLength",
             (*EVENT, "location", "address", "streetAddress", "number")),
    Boundary(f"{_D}dateAndTimeSettings/properties/dateAndTimeTbdMessage", "maxLength",
             (*EVENT, "dateAndTimeSettings", "dateAndTimeTbdMessage")),
    Boundary(f"{_REG}initialType", "enum", (*EVENT, "registration", "initialType")),
    Boundary(f"{_REG}allowedGuestTypes", "enum", (*EVENT, "registration", "allowedGuestTypes")),
    Boundary(f"{_REG}rsvp/properties/responseType", "enum",
             (*EVENT, "registration", "rsvp", "responseType"), setup=rsvp_event),
    Boundary(f"{_REG}tickets/properties/ticketLimitPerOrder", "maximum",
             (*EVENT, "registration", "tickets", "ticketLimitPerOrder"), number),
    Boundary(f"{_REG}tickets/properties/ticketLimitPerOrder", "minimum",
             (*EVENT, "registration", "tickets", "ticketLimitPerOrder"), number),
    Boundary(f"{_REG}tickets/properties/reservationDurationInMinutes", "minimum",
             (*EVENT, "registration", "tickets", "reservationDurationInMinutes"), number),
    Boundary(f"{_REG}tickets/properties/reservationDurationInMinutes", "maximum",
             (*EVENT, "registration", "tickets", "reservationDurationInMinutes"), number),
    Boundary(f"{_D}taxSettings/properties/name", "maxLength",
             (*EVENT, "registration", "tickets", "taxSettings", "name")),
    Boundary(f"{_D}taxSettings/properties/name", "minLength",
             (*EVENT, "registration", "tickets", "taxSettings", "name")),
    Boundary(f"{_D}taxSettings/properties/type", "enum",
             (*EVENT, "registration", "tickets", "taxSettings", "type")),
    # tickets
    Boundary(f"{_D}ticket/properties/name", "maxLength", (*TICKET, "name")),
    Boundary(f"{_D}ticket/properties/name", "minLength", (*TICKET, "name")),
    Boundary(f"{_D}ticket/properties/description", "maxLength", (*TICKET, "description")),
    Boundary(f"{_D}ticket/properties/policyText", "maxLength", (*TICKET, "policyText")),
    Boundary(f"{_D}ticket/properties/feeType", "enum", (*TICKET, "feeType"), setup=free_ticket),
    Boundary(f"{_D}pricingMethod/properties/pricingOptions/properties/optionDetails",
             "maxItems", OPTIONS, price_options_of,
             with_value((*TICKET, "pricingMethod"), {"pricingOptions": {}})),
    Boundary(f"{_D}pricingMethod/properties/pricingOptions/properties/optionDetails/items/"
             "properties/name", "maxLength", (*OPTIONS, 0, "name"),
             setup=with_value((*TICKET, "pricingMethod"),
                              {"pricingOptions": {"optionDetails": price_options_of(1)}})),
    # schedule items
    Boundary(f"{_SI}name", "maxLength", (*ITEM, "name")),
    Boundary(f"{_SI}description", "maxLength", (*ITEM, "description")),
    Boundary(f"{_SI}stageName", "maxLength", (*ITEM, "stageName")),
    Boundary(f"{_SI}tags", "maxItems", (*ITEM, "tags"), names("Tag")),
    Boundary(f"{_SI}tags/items", "maxLength", (*ITEM, "tags", 0),
             setup=with_value((*ITEM, "tags"), ["AI"])),
    Boundary(f"{_SI}status", "enum", (*ITEM, "status")),
    # policies
    Boundary(f"{_D}policy/properties/name", "maxLength", (*POLICY, "name")),
    Boundary(f"{_D}policy/properties/name", "minLength", (*POLICY, "name")),
    Boundary(f"{_D}policy/properties/body", "maxLength", (*POLICY, "body")),
    Boundary(f"{_D}policy/properties/body", "minLength", (*POLICY, "body")),
    # categories
    Boundary(f"{_D}category/properties/name", "maxLength", ("categories", 0, "name")),
    Boundary(f"{_D}category/properties/name", "minLength", ("categories", 0, "name")),
    # form controls
    Boundary(f"{_FC}text/properties/label", "maxLength", (*CONTROL, "text", "label")),
    Boundary(f"{_FC}text/properties/maxLength", "maximum", (*CONTROL, "text", "maxLength"),
             number),
    Boundary(f"{_FC}text/properties/maxLength", "minimum", (*CONTROL, "text", "maxLength"),
             number),
    Boundary(f"{_FC}phone/properties/label", "maxLength", (*CONTROL, "phone", "label"),
             setup=with_control({"phone": {"label": "Phone"}})),
    Boundary(f"{_FC}date/properties/label", "maxLength", (*CONTROL, "date", "label"),
             setup=with_control({"date": {"label": "Birthday"}})),
    Boundary(f"{_FC}dropdown/properties/options", "minItems", (*CONTROL, "dropdown", "options"),
             names("Meal"), with_control({"dropdown": {"label": "Meal", "options": []}})),
    Boundary(f"{_FC}dropdown/properties/options", "maxItems", (*CONTROL, "dropdown", "options"),
             names("Meal"), with_control({"dropdown": {"label": "Meal", "options": []}})),
    Boundary(f"{_FC}dropdown/properties/options/items", "maxLength",
             (*CONTROL, "dropdown", "options", 0),
             setup=with_control({"dropdown": {"label": "Meal", "options": ["A", "B"]}})),
    Boundary(f"{_FC}dropdown/properties/defaultOptionSelection/properties/placeholderText",
             "maxLength", (*CONTROL, "dropdown", "defaultOptionSelection", "placeholderText"),
             setup=with_control({"dropdown": {"label": "Meal", "options": ["A", "B"]}})),
    Boundary(f"{_FC}checkbox/properties/options", "minItems", (*CONTROL, "checkbox", "options"),
             names("Need"), with_control({"checkbox": {"label": "Needs", "options": []}})),
    Boundary(f"{_FC}radioButton/properties/options", "maxItems",
             (*CONTROL, "radioButton", "options"), names("Size"),
             with_control({"radioButton": {"label": "Size", "options": []}})),
    Boundary(f"{_FC}radioButton/properties/label", "maxLength",
             (*CONTROL, "radioButton", "label"),
             setup=with_control({"radioButton": {"label": "Size", "options": ["S", "M"]}})),
    Boundary(f"{_FC}address/properties/labels/properties/city", "maxLength",
             (*CONTROL, "address", "labels", "city"), setup=with_control({"address": {}})),
    Boundary(f"{_FC}additionalGuests/properties/maxGuests", "maximum",
             (*CONTROL, "additionalGuests", "maxGuests"), number,
             guests_control),
    Boundary(f"{_FC}additionalGuests/properties/maxGuests", "minimum",
             (*CONTROL, "additionalGuests", "maxGuests"), number,
             guests_control),
    Boundary(f"{_FC}additionalGuests/properties/labels/properties/single", "maxLength",
             (*CONTROL, "additionalGuests", "labels", "single"),
             setup=guests_control),
    Boundary(f"{_FC}name/properties/labels/properties/firstName", "maxLength",
             (*CONTROL, "name", "labels", "firstName"), setup=with_control({"name": {}})),
    Boundary(f"{_FC}email/properties/label", "maxLength", (*CONTROL, "email", "label"),
             setup=with_control({"email": {}})),
]

NOT_AN_OPTION = "NOT_AN_OPTION"


def boundary_id(case: Boundary) -> str:
    return f"{dotted(case.field)}-{case.keyword}"


def api_limit(case: Boundary) -> Any:
    for row in API_LIMITS:
        if row.pointer == case.pointer and case.keyword in row.expected:
            return row.expected[case.keyword]
    raise AssertionError(f"{case.pointer} {case.keyword} is not in API_LIMITS")


def spec_with(case: Boundary, value: Any) -> dict[str, Any]:
    spec = base_spec()
    if case.setup is not None:
        case.setup(spec)
    put(spec, case.field, value)
    return spec


def validate(spec: dict[str, Any]) -> LoadResult:
    return load_texts([("spec.yaml", yaml.safe_dump(spec, sort_keys=False))])


def errors_at(result: LoadResult, field: str) -> list[str]:
    return [p.format() for p in result.errors
            if p.field == field or p.field.startswith((f"{field}.", f"{field}["))]


def test_the_base_spec_is_valid() -> None:
    result = validate(base_spec())
    assert [p.format() for p in result.problems] == []


def test_boundaries_span_every_kind_of_object() -> None:
    assert len(BOUNDARIES) >= 15
    tested = {case.pointer.split("/")[1] for case in BOUNDARIES}
    for kind in ("event", "ticket", "policy", "scheduleItem", "category", "formControl"):
        assert kind in tested
    assert len({boundary_id(case) for case in BOUNDARIES}) == len(BOUNDARIES)


@pytest.mark.parametrize("case", BOUNDARIES, ids=boundary_id)
def test_a_value_at_the_limit_is_accepted(case: Boundary) -> None:
    limit = api_limit(case)
    field = dotted(case.field)
    values = list(limit) if case.keyword == "enum" else [case.make(limit)]
    for value in values:
        result = validate(spec_with(case, value))
        assert errors_at(result, field) == [], f"{field} = {str(value)[:40]!r}"


def _names_the_limit(case: Boundary, limit: Any, message: str) -> bool:
    if case.keyword == "enum":
        return all(option in message for option in limit)
    if case.keyword == "minLength" and limit == 1:
        return "must not be empty" in message
    return str(limit) in re.findall(r"-?\d+", message)


@pytest.mark.parametrize("case", BOUNDARIES, ids=boundary_id)
def test_a_value_past_the_limit_is_refused_once_at_the_field(case: Boundary) -> None:
    limit = api_limit(case)
    if case.keyword == "enum":
        value = NOT_AN_OPTION
    else:
        value = case.make(limit - 1 if case.keyword.startswith("min") else limit + 1)
    result = validate(spec_with(case, value))
    assert len(result.errors) == 1, [p.format() for p in result.errors]
    error = result.errors[0]
    assert error.field == dotted(case.field)
    assert _names_the_limit(case, limit, error.message), error.message


# --- 4. the example -------------------------------------------------------------------------------

SCHEMA_COMMENT = re.compile(r"# yaml-language-server: \$schema=(\S+)")


def test_the_example_validates_without_errors_or_warnings() -> None:
    result = load([str(EXAMPLE)])
    assert [p.format() for p in result.problems] == []
    assert summary(result)["counts"]["events"] == 1


def test_the_example_points_editors_at_the_schema() -> None:
    first_line = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    found = SCHEMA_COMMENT.fullmatch(first_line)
    assert found, first_line
    assert found.group(1) == "../schemas/event-spec.schema.json"
    target = EXAMPLE.parent / found.group(1)
    assert target.is_file()
    assert target.resolve() == (ROOT / "schemas" / "event-spec.schema.json").resolve()


# --- 5. the spec-language document ----------------------------------------------------------------

FENCE = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FRAGMENT_KEY = re.compile(r"(events|categories|schedule|form):")
WRAPPED_KINDS = ("schedule", "form")


def minimal_event() -> dict[str, Any]:
    return {
        "slug": "docs-fragment",
        "title": "Docs fragment",
        "location": {"name": "Town Hall"},
        "dateAndTimeSettings": {
            "timeZoneId": "Europe/London",
            "startDate": "2030-06-15T09:00",
            "endDate": "2030-06-15T18:00",
        },
    }


class Fragment(NamedTuple):
    line: int
    kind: str
    text: str


def doc_fragments() -> list[Fragment]:
    """The YAML code blocks of the document that are spec fragments, by their first key."""
    source = DOCS.read_text(encoding="utf-8")
    found = []
    for block in FENCE.finditer(source):
        code = block.group(1)
        first = next((line for line in code.splitlines()
                      if line.strip() and not line.lstrip().startswith("#")), "")
        key = FRAGMENT_KEY.match(first)
        if key:
            line = source.count("\n", 0, block.start(1)) + 1
            found.append(Fragment(line, key.group(1), code))
    return found


FRAGMENTS = doc_fragments()


def test_the_document_has_spec_fragments_of_every_kind() -> None:
    assert {fragment.kind for fragment in FRAGMENTS} == {
        "events", "categories", "schedule", "form"}


@pytest.mark.parametrize("fragment", FRAGMENTS,
                         ids=lambda fragment: f"line{fragment.line}-{fragment.kind}")
def test_each_fragment_of_the_document_is_a_valid_spec(fragment: Fragment) -> None:
    doc, problems = parse_document(fragment.text, f"{DOCS.name}:{fragment.line}")
    assert doc is not None and problems == [], [p.format() for p in problems]
    data = doc.data
    if fragment.kind in WRAPPED_KINDS:
        data = {"events": [{**minimal_event(), **data}]}
    schema_errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                     for error in Draft202012Validator(SCHEMA).iter_errors(data)]
    assert schema_errors == []
    result = validate(data)
    assert [p.format() for p in result.errors] == []
