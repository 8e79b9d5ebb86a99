"""The YAML loader (`provisioner.spec.source`): YAML 1.2 scalars, positions, duplicate keys,
anchors and merge keys, and the limits that keep a hostile file from hurting the process."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import pytest

from provisioner.spec.problems import Problem
from provisioner.spec.source import (
    MAX_DEPTH,
    MAX_VALUES,
    Document,
    Mark,
    parse_document,
)

FILE = "spec.yaml"


def load(text: str) -> Document:
    """Parse text that must load without any problem."""
    doc, problems = parse_document(text, FILE)
    assert problems == [], [p.format() for p in problems]
    assert doc is not None
    return doc


def refused(text: str) -> list[Problem]:
    """Parse text that must not load; returns its problems."""
    doc, problems = parse_document(text, FILE)
    assert doc is None
    assert problems, "a refused file must say why"
    return problems


def at(text: str, line: int, needle: str, occurrence: int = 0) -> Mark:
    """The 1-based position of the `occurrence`-th `needle` on `line` of `text`."""
    source = text.splitlines()[line - 1]
    column = -1
    for _ in range(occurrence + 1):
        column = source.index(needle, column + 1)
    return Mark(line, column + 1)


# --- YAML 1.2 scalars -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        ("NO", "NO"),
        ("no", "no"),
        ("yes", "yes"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("2025-06-15T09:00:00Z", "2025-06-15T09:00:00Z"),
        ("2025-06-15T09:00", "2025-06-15T09:00"),
        ("2025-06-15", "2025-06-15"),
        ("12", 12),
        ("-7", -7),
        ("+3", 3),
        ("012", 12),  # YAML 1.2: decimal, not octal
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("299.00", 299.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("~", None),
        ("null", None),
        ("NULL", None),
        ("", None),
        ('"12"', "12"),
        ("'1.5'", "1.5"),
        ('"true"', "true"),
        ('"null"', "null"),
        ("'~'", "~"),
        ("1_000", "1_000"),  # YAML 1.1 digit separators are text in 1.2
        ("0b101", "0b101"),
        ("12:30", "12:30"),  # YAML 1.1 sexagesimal: text in 1.2
        ("!!str 12", "12"),
        ("!!str true", "true"),
        ("!!int '5'", 5),
        ("!!float 1", 1.0),
        ("!!bool true", True),
        ("!!null ''", None),
    ],
)
def test_yaml_12_scalars(written: str, expected: object) -> None:
    doc = load(f"value: {written}\n")
    value = doc.data["value"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan_is_a_float() -> None:
    value = load("value: .nan\n").data["value"]
    assert isinstance(value, float)
    assert math.isnan(value)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("1", "1"),
        ("NO", "NO"),
        ("yes", "yes"),
        ("true", "true"),
        ("null", "null"),
        ("~", "~"),
        ("1.5", "1.5"),
        ("0x1F", "0x1F"),
        ("2025-06-15", "2025-06-15"),
        ('"quoted"', "quoted"),
        ("'7'", "7"),
    ],
)
def test_keys_are_always_text(key: str, expected: str) -> None:
    doc = load(f"{key}: value\n")
    assert doc.data == {expected: "value"}
    assert all(isinstance(name, str) for name in doc.data)


def test_empty_key_is_empty_text() -> None:
    assert load("? \n: value\n").data == {"": "value"}


def test_block_scalars_are_text() -> None:
    doc = load("a: |\n  one\n  two\nb: >-\n  one\n  two\n")
    assert doc.data == {"a": "one\ntwo\n", "b": "one two"}


def test_scalars_keep_the_source_text_of_non_text_values() -> None:
    text = textwrap.dedent("""\
        price: 299.00
        count: 0x1F
        flag: true
        nothing: ~
        text: hello
        quoted: "12"
        nested: [1.50, {deep: 1e3}]
    """)
    doc = load(text)
    assert doc.data["price"] == 299.0
    assert doc.scalars[("price",)] == "299.00"
    assert doc.scalars[("count",)] == "0x1F"
    assert doc.scalars[("flag",)] == "true"
    assert doc.scalars[("nothing",)] == "~"
    assert doc.scalars[("nested", 0)] == "1.50"
    assert doc.scalars[("nested", 1, "deep")] == "1e3"
    assert ("text",) not in doc.scalars  # text is its own source
    assert ("quoted",) not in doc.scalars  # quoted: text, whatever it looks like


# --- positions ----------------------------------------------------------------------------------

BLOCK = textwrap.dedent("""\
    # a comment
    events:
      - slug: gala
        title: "Summer Gala"
        tickets:
          - name: Early
            price: 10
          - {name: Late, price: "20"}
        tags: [a, [b, c], {d: e}]
        matrix:
          - - 1
            - 2
          -
            - 3
""")


def test_positions_of_values_in_block_style() -> None:
    doc = load(BLOCK)
    assert doc.values[()] == Mark(2, 1)
    assert doc.values[("events",)] == at(BLOCK, 3, "-")
    assert doc.values[("events", 0)] == at(BLOCK, 3, "slug")
    assert doc.values[("events", 0, "slug")] == at(BLOCK, 3, "gala")
    assert doc.values[("events", 0, "title")] == at(BLOCK, 4, '"')
    assert doc.values[("events", 0, "tickets", 0)] == at(BLOCK, 6, "name")
    assert doc.values[("events", 0, "tickets", 0, "name")] == at(BLOCK, 6, "Early")
    assert doc.values[("events", 0, "tickets", 0, "price")] == at(BLOCK, 7, "10")


def test_positions_of_keys() -> None:
    doc = load(BLOCK)
    assert doc.keys[("events",)] == Mark(2, 1)
    assert doc.keys[("events", 0, "slug")] == at(BLOCK, 3, "slug")
    assert doc.keys[("events", 0, "title")] == at(BLOCK, 4, "title")
    assert doc.keys[("events", 0, "tickets", 0, "price")] == at(BLOCK, 7, "price")
    assert doc.keys[("events", 0, "tickets", 1, "price")] == at(BLOCK, 8, "price")
    assert ("events", 0) not in doc.keys  # a list item has no key


def test_positions_in_flow_style() -> None:
    doc = load(BLOCK)
    assert doc.values[("events", 0, "tickets", 1)] == at(BLOCK, 8, "{")
    assert doc.keys[("events", 0, "tickets", 1, "name")] == at(BLOCK, 8, "name")
    assert doc.values[("events", 0, "tickets", 1, "name")] == at(BLOCK, 8, "Late")
    assert doc.values[("events", 0, "tickets", 1, "price")] == at(BLOCK, 8, '"20"')
    assert doc.values[("events", 0, "tags")] == at(BLOCK, 9, "[")
    assert doc.values[("events", 0, "tags", 0)] == Mark(9, at(BLOCK, 9, "[a").column + 1)
    assert doc.values[("events", 0, "tags", 1)] == at(BLOCK, 9, "[b")
    assert doc.values[("events", 0, "tags", 1, 1)] == at(BLOCK, 9, "c")
    assert doc.values[("events", 0, "tags", 2)] == at(BLOCK, 9, "{")
    assert doc.keys[("events", 0, "tags", 2, "d")] == at(BLOCK, 9, "d")
    assert doc.values[("events", 0, "tags", 2, "d")] == at(BLOCK, 9, "e")


def test_positions_in_nested_block_lists() -> None:
    doc = load(BLOCK)
    assert doc.data["events"][0]["matrix"] == [[1, 2], [3]]
    assert doc.values[("events", 0, "matrix", 0)] == at(BLOCK, 11, "-", 1)
    assert doc.values[("events", 0, "matrix", 0, 0)] == at(BLOCK, 11, "1")
    assert doc.values[("events", 0, "matrix", 0, 1)] == at(BLOCK, 12, "2")
    assert doc.values[("events", 0, "matrix", 1, 0)] == at(BLOCK, 14, "3")


def test_positions_with_crlf_line_ends() -> None:
    doc = load("a: 1\r\nb:\r\n  - x\r\n")
    assert doc.values[("b", 0)] == Mark(3, 5)
    assert doc.keys[("b",)] == Mark(2, 1)


def test_positions_count_characters_not_bytes() -> None:
    doc = load("é: ü\nx: [ä, ö]\n")
    assert doc.values[("é",)] == Mark(1, 4)
    assert doc.values[("x", 1)] == Mark(2, 8)


def test_mark_falls_back_to_the_nearest_ancestor() -> None:
    doc = load(BLOCK)
    ticket = doc.values[("events", 0, "tickets", 0)]
    assert doc.mark(("events", 0, "tickets", 0, "missing")) == ticket
    assert doc.mark(("events", 0, "tickets", 0, "missing", 3, "deeper")) == ticket
    assert doc.mark(("events", 0, "tickets", 9)) == doc.values[("events", 0, "tickets")]
    assert doc.mark(("nothing", "here")) == doc.values[()]
    assert doc.mark(()) == doc.values[()]


def test_mark_of_a_key() -> None:
    doc = load(BLOCK)
    path = ("events", 0, "title")
    assert doc.mark(path, key=True) == doc.keys[path]
    assert doc.mark(path) == doc.values[path]
    # a path without a key (a list item, a missing field) falls back to the value positions
    assert doc.mark(("events", 0), key=True) == doc.values[("events", 0)]
    assert doc.mark((*path, "x"), key=True) == doc.values[path]


def test_document_problem_uses_the_position() -> None:
    doc = load(BLOCK)
    problem = doc.problem(("events", 0, "tickets", 1, "price"), "bad", rule="r")
    mark = doc.mark(("events", 0, "tickets", 1, "price"))
    assert mark == at(BLOCK, 8, '"20"')
    assert (problem.file, problem.line, problem.column) == (FILE, mark.line, mark.column)
    assert problem.field == "events[0].tickets[1].price"
    assert problem.format() == f"{FILE}:{mark.line}:{mark.column}: events[0].tickets[1].price: bad"


def test_bom_is_ignored() -> None:
    doc = load("\ufeffa: 1\nb: 2\n")
    assert doc.data == {"a": 1, "b": 2}
    assert doc.keys[("a",)] == Mark(1, 1)
    assert doc.values[("b",)] == Mark(2, 4)


# --- duplicate keys ---------------------------------------------------------------------------


def test_duplicate_key_reported_at_the_second_key_with_both_lines() -> None:
    text = "events:\n  - slug: a\n    title: A\n    slug: b\n"
    doc, problems = parse_document(text, FILE)
    assert doc is not None  # still usable: the other checks run too
    [problem] = problems
    assert (problem.line, problem.column) == (4, 5)
    assert problem.field == "events[0].slug"
    assert "duplicate key `slug`" in problem.message
    assert "first at line 2" in problem.message
    assert problem.is_error


def test_duplicate_key_in_flow_style() -> None:
    doc, problems = parse_document("x: {a: 1, b: 2, a: 3}\n", FILE)
    assert doc is not None
    [problem] = problems
    assert (problem.line, problem.column) == (1, 17)
    assert problem.field == "x.a"


def test_same_key_in_different_mappings_is_fine() -> None:
    load("a: {name: x}\nb: {name: y}\nc: [{name: 1}, {name: 2}]\n")


def test_third_duplicate_still_names_the_first_line() -> None:
    _, problems = parse_document("a: 1\na: 2\na: 3\n", FILE)
    assert len(problems) == 2
    assert all("first at line 1" in problem.message for problem in problems)


def test_scalars_forget_a_replaced_value() -> None:
    doc, _ = parse_document("a: 0x1F\na: text\n", FILE)
    assert doc is not None
    assert ("a",) not in doc.scalars


# --- anchors, aliases and merge keys ---------------------------------------------------------


def test_alias_repeats_the_anchored_value() -> None:
    doc = load("a: &x {k: [1, 2]}\nb: *x\nc: &s text\nd: *s\n")
    assert doc.data["b"] == {"k": [1, 2]}
    assert doc.data["d"] == "text"
    assert doc.values[("b",)] == Mark(2, 4)


def test_merge_key() -> None:
    doc = load("base: &base {x: 1, y: 2}\nevent:\n  <<: *base\n  y: 3\n")
    assert doc.data["event"] == {"x": 1, "y": 3}
    assert doc.data["base"] == {"x": 1, "y": 2}  # the anchored mapping is not changed


def test_explicit_keys_win_whether_written_before_or_after_the_merge() -> None:
    doc = load("a: &a {x: 1, y: 1, z: 1}\nb:\n  x: 2\n  <<: *a\n  y: 3\n")
    assert doc.data["b"] == {"x": 2, "y": 3, "z": 1}


def test_merge_of_a_list_earlier_mappings_win() -> None:
    doc = load("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n  w: 0\n")
    assert doc.data["c"] == {"x": 1, "z": 3, "w": 0}


def test_merge_of_an_inline_mapping() -> None:
    assert load("<<: {a: 1}\nb: 2\n").data == {"a": 1, "b": 2}


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load('"<<": {a: 1}\n').data == {"<<": {"a": 1}}


@pytest.mark.parametrize("text", [
    "a: &s foo\nb:\n  <<: *s\n",
    "a: 1\nb:\n  <<: 5\n",
    "a: &a {x: 1}\nb:\n  <<: [*a, 5]\n",
    "a: &l [1]\nb:\n  <<: *l\n",
])
def test_merge_of_a_non_mapping_is_an_error(text: str) -> None:
    [problem] = refused(text)
    assert "merge key (<<) takes a mapping" in problem.message
    assert problem.line == 3
    assert problem.column == 7
    assert problem.field == "b"


def test_unknown_alias() -> None:
    [problem] = refused("events:\n  - title: *nope\n")
    assert "*nope refers to no anchor" in problem.message
    assert (problem.line, problem.column) == (2, 12)
    assert problem.field == "events[0].title"


def test_self_referencing_alias() -> None:
    [problem] = refused("a: &a [1, *a]\n")
    assert "*a refers to no anchor" in problem.message
    assert (problem.line, problem.column) == (1, 11)
    assert problem.field == "a[1]"


def test_alias_as_a_key() -> None:
    assert load("a: &k name\n*k : 1\n").data == {"a": "name", "name": 1}


def test_alias_as_a_key_must_be_text() -> None:
    [problem] = refused("a: &k [1]\n*k : 1\n")
    assert "an alias used as a mapping key must refer to text" in problem.message
    assert (problem.line, problem.column) == (2, 1)


def test_anchor_on_a_key() -> None:
    assert load("&k name: 1\nother: *k\n").data == {"name": 1, "other": "name"}


def test_alias_bomb_is_refused() -> None:
    lines = ["a: &a [" + ", ".join(["x"] * 10) + "]"]
    for index in range(1, 9):
        name, previous = chr(ord("a") + index), chr(ord("a") + index - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    problems = refused("\n".join(lines) + "\n")
    [problem] = problems
    assert f"more than {MAX_VALUES:,} values" in problem.message
    assert problem.line > 0 and problem.column > 0


def test_moderate_alias_reuse_is_fine() -> None:
    text = "a: &a [1, 2, 3]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    assert load(text).data["c"] == [[[1, 2, 3]] * 3] * 3


# --- documents, empty files ---------------------------------------------------------------------


def test_two_documents_are_refused() -> None:
    [problem] = refused("a: 1\n---\nb: 2\n")
    assert "second YAML document" in problem.message
    assert (problem.line, problem.column) == (2, 1)


def test_one_explicit_document_is_fine() -> None:
    assert load("---\na: 1\n...\n").data == {"a": 1}


@pytest.mark.parametrize("text", ["", "\n\n", "   \n", "# only a comment\n", "---\n",
                                  "~\n", "\ufeff", "# c\n# d"])
def test_empty_file(text: str) -> None:
    [problem] = refused(text)
    assert "the file is empty" in problem.message
    assert (problem.file, problem.line, problem.column) == (FILE, 0, 0)
    assert problem.format().startswith(f"{FILE}: ")


# --- nesting and size limits -------------------------------------------------------------------


def test_nesting_up_to_max_depth_is_allowed() -> None:
    doc = load("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    value = doc.data
    for _ in range(MAX_DEPTH - 1):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == []


def test_nesting_beyond_max_depth_is_refused() -> None:
    depth = MAX_DEPTH + 1
    [problem] = refused("[" * depth + "]" * depth)
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message
    assert (problem.line, problem.column) == (1, depth)


def test_block_nesting_limit() -> None:
    def nested(depth: int) -> str:
        return "".join(" " * level + "k:\n" for level in range(depth - 1)) + \
            " " * (depth - 1) + "k: 1\n"

    load(nested(MAX_DEPTH))
    [problem] = refused(nested(MAX_DEPTH + 1))
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message
    assert problem.line == MAX_DEPTH + 1


def test_200000_nested_brackets_do_not_crash_the_interpreter() -> None:
    script = textwrap.dedent("""\
        from provisioner.spec.source import parse_document
        for text in ["[" * 200_000 + "]" * 200_000, "{" * 200_000, "a: " + "[" * 200_000,
                     "- " * 200_000 + "x"]:
            doc, problems = parse_document(text, "deep.yaml")
            assert doc is None
            print(problems[-1].format())
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 4
    # PyYAML 6.0.3 refuses deep flow collections itself ("exceeded maximum nesting depth");
    # older versions leave them to our own limit: either way a clear message, no crash
    assert all(f"nested more than {MAX_DEPTH} levels deep" in line
               or "exceeded maximum nesting depth" in line for line in lines)
    assert f"nested more than {MAX_DEPTH} levels deep" in lines[-1]


# --- syntax errors, tags, odd keys ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'"),
    ("a: b: c\n", 1, 5, "mapping values are not allowed"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "did not find expected key"),
    ("a: @x\n", 1, 4, "cannot start any token"),
    ('a: "open\n', 2, 1, "unexpected end of stream"),
    ("a: 1\nb: [\n", 3, 1, "did not find expected node content"),
])
def test_syntax_errors_carry_line_and_column(text: str, line: int, column: int,
                                             words: str) -> None:
    [problem] = refused(text)
    assert problem.message.startswith("YAML syntax error: ")
    assert words in problem.message
    assert (problem.line, problem.column) == (line, column)
    assert problem.file == FILE
    assert problem.rule == "yaml"


@pytest.mark.parametrize("text", ["{", "a: [1, 2", "a: 1\nb: {"])
def test_end_of_stream_error_is_on_the_last_line(text: str) -> None:
    [problem] = refused(text)
    assert problem.line == text.count("\n") + 1


def test_problems_found_before_a_syntax_error_are_kept() -> None:
    problems = refused("a: 1\na: 2\nb: [\n")
    assert [p.line for p in problems] == [2, 4]
    assert "duplicate key" in problems[0].message
    assert "syntax error" in problems[1].message


@pytest.mark.parametrize(("text", "tag"), [
    ("a: !!python/object:os.system x\n", "tag:yaml.org,2002:python/object:os.system"),
    ("a: !custom 1\n", "!custom"),
    ("a: !!binary aGk=\n", "tag:yaml.org,2002:binary"),
    ("a: !!timestamp 2025-01-01\n", "tag:yaml.org,2002:timestamp"),
    ("a: !!set {x}\n", "tag:yaml.org,2002:set"),
    ("a: !custom {b: 1}\n", "!custom"),
    ("a: !!omap [b: 1]\n", "tag:yaml.org,2002:omap"),
])
def test_unsupported_tags_are_refused(text: str, tag: str) -> None:
    [problem] = refused(text)
    assert f"the YAML tag {tag} is not supported" in problem.message
    assert (problem.line, problem.column) == (1, 4)
    assert problem.field == "a"


def test_explicit_tag_with_an_invalid_value() -> None:
    [problem] = refused("a: !!bool yes\n")
    assert "'yes' is not a valid bool" in problem.message
    assert (problem.line, problem.column) == (1, 4)


@pytest.mark.parametrize(("text", "expected"), [
    ("a: !!int 0x1F\n", 31),
    ("a: !!float .inf\n", math.inf),
])
def test_explicit_tags_accept_the_yaml_12_forms(text: str, expected: object) -> None:
    assert load(text).data["a"] == expected


def test_mapping_used_as_a_key_is_reported_and_dropped() -> None:
    doc, problems = parse_document("? {a: 1}\n: 2\nb: 3\n", FILE)
    assert doc is not None
    assert doc.data == {"b": 3}
    [problem] = problems
    assert "a mapping key must be plain text" in problem.message
    assert (problem.line, problem.column) == (1, 3)


def test_list_used_as_a_nested_key() -> None:
    doc, problems = parse_document("x:\n  ? [a, b]\n  : {c: 1}\n  y: 2\n", FILE)
    assert doc is not None
    assert doc.data == {"x": {"y": 2}}
    [problem] = problems
    assert problem.field == "x"
    assert (problem.line, problem.column) == (2, 5)


def test_flow_mapping_key() -> None:
    doc, problems = parse_document("{[a]: 1, b: 2}\n", FILE)
    assert doc is not None
    assert doc.data == {"b": 2}
    assert len(problems) == 1


def test_lone_surrogate_is_a_problem_not_an_exception() -> None:
    refused("a: \ud800\n")
