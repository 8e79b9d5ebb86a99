"""Times (`provisioner.spec.times`) and rich text (`provisioner.spec.richtext`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.spec import times
from provisioner.spec.richtext import to_plain, to_rich
from provisioner.spec.times import Instant, NoZone, TimeProblem, closest_zone, parse, zone

LA = zone("America/Los_Angeles")
LONDON = zone("Europe/London")
KOLKATA = zone("Asia/Kolkata")
LORD_HOWE = zone("Australia/Lord_Howe")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- local times --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "local_zone", "expected"), [
    ("2025-06-15T09:00", LA, "2025-06-15T16:00"),  # PDT, -7
    ("2025-01-15T09:00", LA, "2025-01-15T17:00"),  # PST, -8
    ("2025-06-15T09:00", LONDON, "2025-06-15T08:00"),  # BST, +1
    ("2025-01-15T09:00", LONDON, "2025-01-15T09:00"),  # GMT
    ("2025-06-15T09:00", KOLKATA, "2025-06-15T03:30"),  # +5:30, no daylight saving
    ("2025-01-15T09:00", KOLKATA, "2025-01-15T03:30"),
    ("2025-06-15T09:00", LORD_HOWE, "2025-06-14T22:30"),  # winter: +10:30
    ("2025-01-15T09:00", LORD_HOWE, "2025-01-14T22:00"),  # summer: +11 (a 30-minute shift)
    ("2025-06-15 09:00", LA, "2025-06-15T16:00"),  # a space instead of T
    ("2025-06-15T09:00:30", LA, "2025-06-15T16:00:30"),
    ("2025-06-15 09:00:30.25", LA, "2025-06-15T16:00:30.250"),
    ("2025-12-31T23:30", KOLKATA, "2025-12-31T18:00"),
    ("2025-01-01T03:00", LA, "2025-01-01T11:00"),
])
def test_local_times(text: str, local_zone: object, expected: str) -> None:
    instant = parse(text, local_zone)  # type: ignore[arg-type]
    assert instant == Instant(utc(expected), ambiguous=False)
    assert instant.utc.tzinfo is UTC


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-06-15T16:00:00Z", "2025-06-15T16:00:00"),
    ("2025-06-15T16:00Z", "2025-06-15T16:00:00"),
    ("2025-06-15T09:00-07:00", "2025-06-15T16:00:00"),
    ("2025-06-15T09:00+05:30", "2025-06-15T03:30:00"),
    ("2025-06-15T09:00:15-00:00", "2025-06-15T09:00:15"),
    ("2025-06-15T00:30+01:00", "2025-06-14T23:30:00"),
    ("2025-06-15 23:45:00-12:00", "2025-06-16T11:45:00"),
    ("2025-06-15T09:00:00.5Z", "2025-06-15T09:00:00.500"),
    ("2025-06-15T09:00:00.123456789Z", "2025-06-15T09:00:00.123456"),
])
@pytest.mark.parametrize("local_zone", [None, LA, KOLKATA])
def test_z_and_offsets_are_taken_as_written(text: str, expected: str,
                                            local_zone: object) -> None:
    # the local zone plays no part once the text names its offset
    instant = parse(text, local_zone)  # type: ignore[arg-type]
    assert instant == Instant(utc(expected))


def test_spring_forward_gap_is_refused_naming_the_zone() -> None:
    with pytest.raises(TimeProblem, match="America/Los_Angeles") as caught:
        parse("2025-03-09T02:30", LA)
    assert "does not exist" in str(caught.value)
    assert not isinstance(caught.value, NoZone)
    with pytest.raises(TimeProblem, match="Europe/London"):
        parse("2025-03-30T01:15", LONDON)
    with pytest.raises(TimeProblem, match="Australia/Lord_Howe"):  # 02:00 -> 02:30
        parse("2025-10-05T02:15", LORD_HOWE)


def test_times_next_to_the_gap_exist() -> None:
    assert parse("2025-03-09T01:59", LA).utc == utc("2025-03-09T09:59")
    assert parse("2025-03-09T03:00", LA).utc == utc("2025-03-09T10:00")
    assert parse("2025-10-05T01:59", LORD_HOWE).utc == utc("2025-10-04T15:29")
    assert parse("2025-10-05T02:30", LORD_HOWE).utc == utc("2025-10-04T15:30")


@pytest.mark.parametrize(("text", "local_zone", "first"), [
    ("2025-11-02T01:30", LA, "2025-11-02T08:30"),  # PDT, not PST 09:30
    ("2025-10-26T01:30", LONDON, "2025-10-26T00:30"),  # BST, not GMT 01:30
    ("2025-04-06T01:45", LORD_HOWE, "2025-04-05T14:45"),  # +11, not +10:30 (15:15)
    ("2025-11-02T01:00", LA, "2025-11-02T08:00"),
])
def test_fall_back_overlap_takes_the_first_occurrence(text: str, local_zone: object,
                                                      first: str) -> None:
    assert parse(text, local_zone) == Instant(utc(first), ambiguous=True)  # type: ignore[arg-type]


def test_times_next_to_the_overlap_are_not_ambiguous() -> None:
    assert parse("2025-11-02T00:59", LA).ambiguous is False
    assert parse("2025-11-02T02:00", LA) == Instant(utc("2025-11-02T10:00"))
    assert parse("2025-04-06T01:29", LORD_HOWE).ambiguous is False
    assert parse("2025-04-06T02:00", LORD_HOWE) == Instant(utc("2025-04-05T15:30"))


@pytest.mark.parametrize("text", [
    "2025-02-30T09:00",
    "2025-02-29T09:00",  # not a leap year
    "2025-13-01T09:00",
    "2025-00-10T09:00",
    "2025-06-00T09:00",
    "2025-06-15T24:00",
    "2025-06-15T09:60",
    "2025-06-15T09:00:60",
])
def test_invalid_dates_are_refused(text: str) -> None:
    with pytest.raises(TimeProblem, match="not a real date and time"):
        parse(text, LA)


def test_leap_day_exists_in_a_leap_year() -> None:
    assert parse("2024-02-29T12:00Z", None).utc == utc("2024-02-29T12:00")


@pytest.mark.parametrize("text", [
    "2025-06-15", "09:00", "2025-06-15T9:00", "2025/06/15 09:00", "2025-06-15T09:00z",
    "2025-06-15T09:00 Z", "2025-06-15T09:00+0700", "2025-06-15T09:00:00.Z", " 2025-06-15T09:00",
    "tomorrow", "",
])
def test_text_that_is_not_a_time(text: str) -> None:
    with pytest.raises(TimeProblem, match="is not a time"):
        parse(text, LA)


def test_a_trailing_newline_is_not_a_time() -> None:
    with pytest.raises(TimeProblem, match="is not a time"):
        parse("2025-06-15T09:00\n", LA)


@pytest.mark.parametrize("offset", ["+24:00", "-25:00", "+05:60"])
def test_impossible_offsets(offset: str) -> None:
    with pytest.raises(TimeProblem, match="impossible offset"):
        parse(f"2025-06-15T09:00{offset}", None)


def test_a_local_time_without_a_zone() -> None:
    with pytest.raises(NoZone, match="no valid time zone"):
        parse("2025-06-15T09:00", None)
    assert issubclass(NoZone, TimeProblem)
    assert issubclass(TimeProblem, ValueError)


@pytest.mark.parametrize(("instant", "wire"), [
    (utc("2025-06-15T16:00"), "2025-06-15T16:00:00.000Z"),
    (utc("2025-06-15T16:00:05.123456"), "2025-06-15T16:00:05.123Z"),
    (utc("2025-06-15T16:00:05.999999"), "2025-06-15T16:00:05.999Z"),
    (utc("2025-01-02T03:04:05.006"), "2025-01-02T03:04:05.006Z"),
])
def test_wire_format(instant: datetime, wire: str) -> None:
    assert Instant(instant).wire() == wire


def test_wire_of_a_parsed_local_time() -> None:
    assert parse("2025-06-15T09:00", LA).wire() == "2025-06-15T16:00:00.000Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                        parse("2025-06-15T09:00:00.5+05:30", None).wire())


def test_wire_pads_the_year() -> None:
    assert parse("0999-06-01T00:00Z", None).wire() == "0999-06-01T00:00:00.000Z"


@pytest.mark.parametrize(("text", "local_zone"), [
    ("9999-12-31T23:59", LA),
    ("0001-01-01T00:00", KOLKATA),
    ("9999-12-31T23:59-05:00", None),
    ("0001-01-01T00:00+05:00", None),
])
def test_times_at_the_edge_of_the_calendar(text: str, local_zone: object) -> None:
    # regression: these raised OverflowError, and `validate` crashed (fixed in 5c214d0)
    with pytest.raises(TimeProblem, match="year 1 or 9999"):
        parse(text, local_zone)  # type: ignore[arg-type]


def test_times_just_inside_the_calendar() -> None:
    assert parse("9999-12-31T23:59Z", None).wire() == "9999-12-31T23:59:00.000Z"
    assert parse("0001-01-01T00:00Z", None).utc == datetime(1, 1, 1, tzinfo=UTC)


# --- zones --------------------------------------------------------------------------------------


def test_zone() -> None:
    assert LA is not None and LA.key == "America/Los_Angeles"
    assert zone("UTC") is not None
    for name in ["", "Mars/Olympus_Mons", " UTC", "UTC ", "america/los_angeles",
                 "../../etc/passwd", "/etc/passwd", "Europe/London/x", "foo\x00", "."]:
        assert zone(name) is None, name


@pytest.mark.parametrize("name", ["America", "Etc", "US", "America/Argentina", "a" * 300])
def test_zone_of_a_folder_or_a_long_name_is_none(name: str) -> None:
    # regression: IsADirectoryError / OSError escaped and `validate` crashed (fixed in 5c214d0)
    assert zone(name) is None


@pytest.mark.parametrize(("name", "expected"), [
    ("america/los_angeles", "America/Los_Angeles"),
    ("EUROPE/LONDON", "Europe/London"),
    ("utc", "UTC"),
    ("Europe/Londn", "Europe/London"),
    ("Amerika/Los_Angeles", "America/Los_Angeles"),
    ("Asia/Kolkatta", "Asia/Kolkata"),
    ("nonsense", None),
    ("xyzzy/plugh", None),
    ("", None),
])
def test_closest_zone(name: str, expected: str | None) -> None:
    assert closest_zone(name) == expected


def test_describe() -> None:
    instant = parse("2025-06-16T18:00", LA)
    assert times.describe(instant, LA) == "2025-06-16T18:00 America/Los_Angeles"
    assert times.describe(instant, None) == "2025-06-17T01:00:00.000Z"


# --- rich text ----------------------------------------------------------------------------------


def paragraphs(document: dict) -> list[str]:
    return [node["nodes"][0]["textData"]["text"] for node in document["nodes"]]


def test_paragraphs_split_on_blank_lines() -> None:
    text = "First line\nstill first.\n\nSecond\n \t \n\n\nThird\n"
    assert paragraphs(to_rich(text)) == ["First line still first.", "Second", "Third"]


def test_single_newlines_become_spaces_and_lines_are_trimmed() -> None:
    assert paragraphs(to_rich("  a  \n   b\t\n c ")) == ["a b c"]
    assert paragraphs(to_rich("inner   spaces\tstay")) == ["inner   spaces\tstay"]


def test_rich_document_shape_and_deterministic_ids() -> None:
    document = to_rich("one\n\ntwo")
    assert document == {
        "nodes": [
            {"type": "PARAGRAPH", "id": "p0", "paragraphData": {},
             "nodes": [{"type": "TEXT", "id": "", "nodes": [],
                        "textData": {"text": "one", "decorations": []}}]},
            {"type": "PARAGRAPH", "id": "p1", "paragraphData": {},
             "nodes": [{"type": "TEXT", "id": "", "nodes": [],
                        "textData": {"text": "two", "decorations": []}}]},
        ],
        "metadata": {"version": 1},
    }
    assert to_rich("one\n\ntwo") == document


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t\n \n"])
def test_blank_text_has_no_paragraphs(text: str) -> None:
    assert to_rich(text) == {"nodes": [], "metadata": {"version": 1}}
    assert to_plain(to_rich(text)) == ""


def test_to_plain_joins_paragraphs_with_a_blank_line() -> None:
    assert to_plain(to_rich("a\nb\n\nc")) == "a b\n\nc"


def test_to_plain_reads_nested_nodes() -> None:
    document = {"nodes": [
        {"type": "PARAGRAPH", "nodes": [
            {"type": "TEXT", "textData": {"text": "Hello, "}},
            {"type": "LINK", "nodes": [{"type": "TEXT", "textData": {"text": "world"}}]},
        ]},
        {"type": "IMAGE", "nodes": []},
        {"type": "PARAGRAPH", "nodes": [{"textData": {"text": "Bye"}}]},
    ]}
    assert to_plain(document) == "Hello, world\n\nBye"


@pytest.mark.parametrize("odd", [
    None, [], [1], "text", 5, 1.5, True, {}, {"nodes": None}, {"nodes": []}, {"nodes": "abc"},
    {"nodes": [None, 1, "x", []]}, {"nodes": {"a": 1}}, {"nodes": [{"textData": None}]},
    {"nodes": [{"textData": {"text": 3}}]}, {"nodes": [{"textData": {}, "nodes": None}]},
    {"metadata": {"version": 1}},
])
def test_to_plain_of_odd_input_does_not_crash(odd: object) -> None:
    assert to_plain(odd) == ""


@pytest.mark.parametrize("odd", [
    {"nodes": 5},
    {"nodes": [{"nodes": 7}]},
    {"nodes": [{"textData": "x"}]},
    {"nodes": [{"textData": ["x"]}]},
])
def test_to_plain_of_malformed_nodes_does_not_crash(odd: object) -> None:
    assert isinstance(to_plain(odd), str)


def test_to_plain_of_a_deeply_nested_document() -> None:
    document: dict = {"nodes": []}
    current = document
    for _ in range(5000):
        child: dict = {"nodes": []}
        current["nodes"].append(child)
        current = child
    current["textData"] = {"text": "deep"}
    assert to_plain(document) == "deep"


# The round trip. On text made of non-space characters, spaces, tabs and newlines, the
# normalised form of a text is:
#   - the lines are the pieces between "\n"; a line is blank when it holds only spaces and tabs;
#   - a paragraph is a maximal run of non-blank lines;
#   - a paragraph's text is its lines, each trimmed of spaces and tabs at both ends, joined by
#     one space (spaces inside a line are kept);
#   - the text is its paragraphs joined by "\n\n".
# (Other whitespace, such as \r, \x0b, \x85 or U+2028, is left out of the alphabet: Python's
# str.splitlines and str.strip treat it specially, and YAML never hands it over in a block.)


def normalise(text: str) -> str:
    result: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip(" \t"):
            current.append(line.strip(" \t"))
        elif current:
            result.append(current)
            current = []
    if current:
        result.append(current)
    return "\n\n".join(" ".join(lines) for lines in result)


_VISIBLE = st.characters(categories=["L", "N", "P", "S"])
TEXTS = st.text(alphabet=st.one_of(_VISIBLE, st.sampled_from([" ", "\t", "\n"])), max_size=80)


def test_normalise_matches_the_documented_examples() -> None:
    assert normalise("  a  \n b \n\n\n c\n \t\nd  e ") == "a b\n\nc\n\nd  e"


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_plain_rich_plain_round_trip(text: str) -> None:
    document = to_rich(text)
    assert to_plain(document) == normalise(text)
    assert to_rich(normalise(text)) == document  # normalising first changes nothing
    assert [node["id"] for node in document["nodes"]] == [
        f"p{index}" for index in range(len(document["nodes"]))]
    for paragraph in paragraphs(document):
        assert paragraph and "\n" not in paragraph
        assert paragraph == paragraph.strip(" \t")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=_VISIBLE, min_size=1, max_size=8), min_size=1,
                         max_size=6), max_size=5),
       st.sampled_from(["\n\n", "\n \n", "\n\t\n\n"]), st.sampled_from(["\n", "\n  ", " \n"]))
def test_words_round_trip(words: list[list[str]], blank: str, newline: str) -> None:
    # paragraphs of words, words of a paragraph wrapped one per line
    text = blank.join(newline.join(paragraph) for paragraph in words)
    expected = "\n\n".join(" ".join(paragraph) for paragraph in words)
    assert to_plain(to_rich(text)) == expected
    assert len(to_rich(text)["nodes"]) == len(words)


@pytest.mark.parametrize(("moment", "zone_name", "written"), [
    ("2025-06-15T16:00:00.000Z", "America/Los_Angeles", "2025-06-15T09:00"),
    ("2025-01-15T17:00:30.250Z", "America/Los_Angeles", "2025-01-15T09:00:30.250"),
    # 01:30 happens twice on 2 November: each keeps its offset, so it reads back as itself
    ("2025-11-02T08:30:00.000Z", "America/Los_Angeles", "2025-11-02T01:30-07:00"),
    ("2025-11-02T09:30:00.000Z", "America/Los_Angeles", "2025-11-02T01:30-08:00"),
    # London's clocks go forward at 01:00 UTC on 30 March 2031: an hour later reads 02:30
    ("2031-03-30T00:30:00.000Z", "Europe/London", "2031-03-30T00:30"),
    ("2031-03-30T01:30:00.000Z", "Europe/London", "2031-03-30T02:30"),
])
def test_an_instant_is_written_as_the_local_time_that_reads_back_as_it(
        moment: str, zone_name: str, written: str) -> None:
    local_zone = times.zone(zone_name)
    assert local_zone is not None
    assert times.local_text(moment, local_zone) == written
    assert times.parse(written, local_zone).wire() == moment
