"""The compiled fast check (fastjsonschema) and jsonschema must give the same verdict on every
document: a spec the fast check passes is never checked again, so a disagreement would hide
errors. Documents are the example with random, schema-aware mutations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.spec.loader import load
from provisioner.spec.schema import fast_validator, load_schema, pruning_validator, validator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"
BASE = load([str(EXAMPLE)]).documents[0].data

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2**32), st.floats(allow_nan=False),
    st.text(max_size=40), st.sampled_from(["", "0", "299.00", "USD", "usd", "VENUE",
                                           "2025-06-15T09:00", "x" * 121, "NO_FEE"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=8)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


ALL_PATHS = paths(BASE)[1:]


def fast_verdict(document: Any) -> bool:
    try:
        fast_validator()(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["set", "delete", "add"]),
                          VALUES, st.text(min_size=1, max_size=10)), min_size=1, max_size=3))
def test_both_validators_agree_on_mutations_of_the_example(mutations: list) -> None:
    document = copy.deepcopy(BASE)
    for path, action, value, new_key in mutations:
        parent: Any = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            if action == "set":
                parent[path[-1]] = value
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent[path[-1]], dict):
                parent[path[-1]][new_key] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    before = copy.deepcopy(document)
    assert fast_verdict(document) == validator().is_valid(document)
    assert document == before, "validation must not change the document (no defaults filled)"
    # a large document's errors come from jsonschema skipping the parts whose definitions the
    # compiled check passes: it must find exactly what the full walk finds
    assert findings(pruning_validator(), document) == findings(validator(), document)


def findings(checker: Any, document: Any) -> list[tuple]:
    return sorted((tuple(map(str, e.absolute_path)), e.validator, str(e.validator_value))
                  for e in checker.iter_errors(document))


def test_pruning_skips_valid_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of pruning: one broken ticket among many valid ones is the only one walked."""
    document = copy.deepcopy(BASE)
    event = document["events"][0]
    event["tickets"] = [copy.deepcopy(event["tickets"][0]) for _ in range(100)]
    for index, ticket in enumerate(event["tickets"]):
        ticket["name"] = f"Ticket {index}"
    event["tickets"][57]["initialLimit"] = "many"
    checker = pruning_validator()
    keywords = type(checker).VALIDATORS
    walked: list[Any] = []

    def recording(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        walked.append(instance)
        return original(validator, value, instance, schema)

    original = keywords["required"]
    monkeypatch.setitem(keywords, "required", recording)
    errors = list(checker.iter_errors(document))
    assert [(list(e.absolute_path), e.validator) for e in errors] == [
        (["events", 0, "tickets", 57, "initialLimit"], "type")]
    tickets = [t for t in event["tickets"] if any(t is seen for seen in walked)]
    assert tickets == [event["tickets"][57]]


def test_ref_has_no_asserting_siblings() -> None:
    """Draft 7 (the fast check) ignores keywords beside `$ref`; 2020-12 applies them."""
    annotations = {"description", "default", "title", "examples", "$comment"}

    def walk(node: Any, where: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            if "$ref" in node:
                extra = [k for k in node if k != "$ref" and k not in annotations
                         and not k.startswith("x-")]
                found += [f"{where}: {extra}"] if extra else []
            for key, value in node.items():
                found += walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += walk(value, f"{where}/{index}")
        return found

    assert walk(load_schema(), "#") == []


def test_the_example_passes_the_fast_check() -> None:
    assert fast_verdict(copy.deepcopy(BASE))
