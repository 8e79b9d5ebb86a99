"""The schema editors read, `schemas/event-spec.schema.json`, is the strict schema with the
template constructs added (`template_schema`): the committed file is exactly what the code
makes, it is a valid schema, it accepts the template examples as written, and it still refuses
real mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from provisioner.spec.schema import PUBLISHED_SCHEMA_NAME, published_schema_text
from provisioner.spec.source import parse_document

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "schemas" / PUBLISHED_SCHEMA_NAME
SCHEMA = json.loads(PUBLISHED.read_text(encoding="utf-8"))
TEMPLATED = [ROOT / "examples" / "devcon" / "devcon.yaml",
             ROOT / "examples" / "meetup-series" / "meetups.yaml",
             ROOT / "examples" / "devcon2025.yaml"]


def errors(text: str) -> list[str]:
    doc, problems = parse_document(text, "spec.yaml")
    assert doc is not None and not problems
    return [f"{list(e.absolute_path)}: {e.message}"
            for e in Draft202012Validator(SCHEMA).iter_errors(doc.data)]


def test_the_committed_file_is_what_the_code_makes() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == published_schema_text(), (
        "regenerate it: python -m provisioner.spec.schema")


def test_it_is_a_valid_schema_named_as_editors_find_it() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"].endswith("/event-spec.schema.json")


@pytest.mark.parametrize("spec", TEMPLATED, ids=lambda p: p.name)
def test_it_accepts_the_examples_as_written(spec: Path) -> None:
    assert errors(spec.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("text", [
    "vars: {n: 3}\nevents:\n- {slug: x, title: X, tickets: [{name: A, initialLimit: many}]}\n",
    "events:\n- {slug: x, title: X, titel: typo}\n",
    "events:\n- {slug: x, dateAndTimeSettings: {startDate: next tuesday}}\n",
    "vars: [capacity, venue]\n",
])
def test_it_still_refuses_real_mistakes(text: str) -> None:
    assert errors(text) != []


def test_it_accepts_each_template_construct() -> None:
    assert errors("""\
vars:
  capacity: {type: integer, default: 50, description: seats}
  venue: {name: Hall}
events:
  - for_each: ${{ vars.days }}
    from: conference.template.yaml
    slug: conf-${{ each.n }}
    state: PUBLISHED
    dateAndTimeSettings: {timeZoneId: UTC, startDate: 2030-01-01T09:00, endDate: day 2 17:00}
    tickets:
      - name: A
        pricingMethod: {fixedPrice: "${{ vars.price }}"}
        initialLimit: ${{ vars.capacity }}
        hidden: ${{ vars.hidden }}
        salePeriod: {startDate: day -30 00:00, endDate: day 0 23:59}
""") == []
