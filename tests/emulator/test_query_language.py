"""The Wix query language engine: operators, logic, sorting, paging and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.emulator.errors import ApiError
from provisioner.emulator.query import (
    ALL_SCALAR,
    CursorStore,
    QField,
    QuerySpec,
    compile_filter,
    ops,
    run_query,
)

EVERYTHING = ops(ALL_SCALAR, "$hasSome", "$hasAll", "$startsWith", "$isEmpty")
SPEC = QuerySpec(
    name="things",
    fields={
        "id": QField("string", EVERYTHING),
        "name": QField("string", EVERYTHING),
        "size": QField("int", EVERYTHING),
        "when": QField("date", EVERYTHING),
        "revision": QField("int64", EVERYTHING),
        "tags": QField("array", EVERYTHING, sortable=False),
        "flag": QField("bool", EVERYTHING),
        "nested.value": QField("string", EVERYTHING),
    },
    metadata_key="metadata",
    paging="cursor",
    default_limit=2,
    max_limit=100,
    aliases={"old_name": "name"},
)
DOCS = [
    {"id": "a", "name": "Alpha", "size": 3, "when": "2030-01-01T00:00:00.000Z", "revision": "10",
     "tags": ["red", "blue"], "flag": True, "nested": {"value": "x"}},
    {"id": "b", "name": "bravo", "size": 1, "when": "2030-03-01T00:00:00Z", "revision": "9",
     "tags": ["red"], "flag": False},
    {"id": "c", "name": "Charlie", "size": 2, "when": "2030-02-01T00:00:00+01:00",
     "revision": "100", "tags": [], "nested": {"value": "y"}},
]


def matches(flt):
    predicate = compile_filter(SPEC, flt)
    return [d["id"] for d in DOCS if predicate(d)]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, ["a", "b", "c"]),
        ({"name": "Alpha"}, ["a"]),
        ({"name": {"$eq": "bravo"}}, ["b"]),
        ({"name": {"$ne": "bravo"}}, ["a", "c"]),
        ({"size": {"$gt": 1}}, ["a", "c"]),
        ({"size": {"$gte": 2, "$lt": 3}}, ["c"]),
        ({"size": {"$lte": 1}}, ["b"]),
        ({"revision": {"$gt": "9"}}, ["a", "c"]),  # int64 strings compare as numbers
        ({"when": {"$gt": "2030-01-15T00:00:00Z"}}, ["b", "c"]),  # instants, not text
        ({"when": {"$lt": "2030-02-01T00:00:00Z"}}, ["a", "c"]),  # +01:00 is before midnight Z
        ({"id": {"$in": ["a", "c"]}}, ["a", "c"]),
        ({"id": {"$nin": ["a", "c"]}}, ["b"]),
        ({"tags": "red"}, ["a", "b"]),  # a scalar matches arrays that contain it
        ({"tags": ["red"]}, ["b"]),  # a list matches the exact array
        ({"tags": {"$hasSome": ["blue", "green"]}}, ["a"]),
        ({"tags": {"$hasAll": ["red", "blue"]}}, ["a"]),
        ({"tags": {"$isEmpty": True}}, ["c"]),
        ({"name": {"$startsWith": "BR"}}, ["b"]),  # case-insensitive
        ({"nested.value": {"$exists": True}}, ["a", "c"]),
        ({"nested.value": {"$exists": False}}, ["b"]),
        ({"flag": False}, ["b"]),
        ({"old_name": "Charlie"}, ["c"]),
        ({"$and": [{"size": {"$gt": 1}}, {"tags": "red"}]}, ["a"]),
        ({"$or": [{"id": "a"}, {"id": "b"}]}, ["a", "b"]),
        ({"$not": {"id": "a"}}, ["b", "c"]),
        ({"name": {"$ne": None}}, ["a", "b", "c"]),
        ({"id": "b", "$or": [{"size": {"$lt": 2}}, {"name": {"$startsWith": "z"}}]}, ["b"]),
    ],
)
def test_operators(flt, expected):
    assert matches(flt) == expected


@pytest.mark.parametrize(
    "flt",
    [
        [],
        "name",
        {"$and": {"id": "a"}},
        {"$or": [1]},
        {"$not": []},
        {"$nor": []},
        {"unknown": 1},
        {"name": {"$regex": "x"}},
        {"name": {"$in": "a"}},
        {"name": {"$exists": "yes"}},
        {"name": {"eq": "a"}},
        {"name": {}},
        {"when": {"$gt": "not a date"}},
        {"size": {"$gt": "big"}},
        {"name": {"$startsWith": 1}},
    ],
)
def test_unreadable_filters_are_400_filter_parser_error(flt):
    with pytest.raises(ApiError) as caught:
        compile_filter(SPEC, flt)
    assert caught.value.status == 400
    assert caught.value.code == "FILTER_PARSER_ERROR"


def test_operator_not_allowed_for_the_field_names_the_allowed_ones():
    spec = QuerySpec("narrow", {"id": QField("string", ops("$eq"))}, "metadata", "offset", 10, 10)
    with pytest.raises(ApiError) as caught:
        compile_filter(spec, {"id": {"$ne": "a"}})
    assert "$eq" in caught.value.message


def test_deeply_nested_filters_are_refused_not_crashed():
    flt: dict = {"id": "a"}
    for _ in range(50):
        flt = {"$not": flt}
    with pytest.raises(ApiError):
        compile_filter(SPEC, flt)


def run(query, site="s", cursors=None):
    return run_query(SPEC, DOCS, query, site=site, cursors=cursors or CursorStore())


def test_sort_on_several_fields_with_missing_values_first():
    docs = [{"id": "1", "name": "b", "size": 2}, {"id": "2", "name": "a"},
            {"id": "3", "name": "a", "size": 1}, {"id": "4", "name": "b", "size": 1}]
    result = run_query(SPEC, docs, {"sort": [{"fieldName": "name"},
                                             {"fieldName": "size", "order": "DESC"}],
                                    "paging": {"limit": 10}},
                       site="s", cursors=CursorStore())
    assert [d["id"] for d in result.items] == ["3", "2", "1", "4"]


def test_cursor_paging_walks_every_item_once_and_keeps_the_filter():
    cursors = CursorStore()
    first = run({"filter": {"size": {"$gte": 1}}, "sort": [{"fieldName": "size"}]},
                cursors=cursors)
    assert [d["id"] for d in first.items] == ["b", "c"]
    assert first.metadata["count"] == 2
    assert set(first.metadata["cursors"]) == {"next"}
    token = first.metadata["cursors"]["next"]
    assert len(token) <= 36  # Wix cursors are short opaque tokens
    second = run({"cursorPaging": {"cursor": token, "limit": 2}}, cursors=cursors)
    assert [d["id"] for d in second.items] == ["a"]
    assert "next" not in second.metadata["cursors"]
    assert "prev" in second.metadata["cursors"]


def test_a_cursor_is_bound_to_its_site():
    cursors = CursorStore()
    token = run({}, site="one", cursors=cursors).metadata["cursors"]["next"]
    with pytest.raises(ApiError) as caught:
        run({"cursorPaging": {"cursor": token}}, site="two", cursors=cursors)
    assert caught.value.code == "INVALID_CURSOR"
    with pytest.raises(ApiError):
        run({"cursorPaging": {"cursor": "made-up"}}, cursors=cursors)


def test_offset_paging_metadata():
    result = run({"paging": {"limit": 1, "offset": 1}})
    assert [d["id"] for d in result.items] == ["b"]
    assert result.metadata == {"count": 1, "offset": 1, "total": 3, "tooManyToCount": False}


@pytest.mark.parametrize(
    "query",
    [
        {"paging": {"limit": 101}},
        {"paging": {"limit": -1}},
        {"paging": {"limit": "x"}},
        {"paging": {"offset": -5}},
        {"paging": 5},
        {"paging": {}, "cursorPaging": {}},
        "query",
        {"sort": [{"fieldName": "tags"}]},
        {"sort": [{}]},
    ],
)
def test_bad_paging_and_sort_are_400(query):
    with pytest.raises(ApiError) as caught:
        run(query)
    assert caught.value.status == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["$and", "$or", "$not", "$in", "$eq", "$gt", "$hasSome",
                                       "$exists", "$startsWith", "name", "size", "when", "tags",
                                       "nested.value", "revision", "bogus", "$x"]),
                      children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(flt=json_values, sort=json_values)
def test_any_json_is_either_understood_or_refused_with_a_400(flt, sort):
    try:
        result = run({"filter": flt, "sort": sort, "paging": {"limit": 5}})
    except ApiError as error:
        assert error.status == 400
    else:
        assert len(result.items) <= 5
