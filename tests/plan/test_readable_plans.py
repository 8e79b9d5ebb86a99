"""Plans a reviewer can read: times in the event's own zone, long texts as a word diff.

The human and markdown views show every time as the organiser reads it (`2025-06-15 12:30
PDT`), in values and in the names of schedule items told apart by their start; the JSON view
and the plan file keep the UTC instants. A changed long or multi-line text shows the words
that changed (`[-removed-]{+added+}`) instead of two values cut at 80 characters. Plans come
from the DevCon example, planned for real: on an empty site in process, and against a seeded
emulator through the CLI, after moving a talk, a lunch and a ticket sale period.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.apply.report import Outcome, Report, Status
from provisioner.cli import render, render_markdown
from provisioner.cli.progress import action_line, problems
from provisioner.client.errors import ProvisionerError
from provisioner.model import Action, Change, Plan, ResourceKey, State
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.planfile import load_plan, plan_from_json, plan_to_json, save_plan
from provisioner.spec import times
from provisioner.spec.loader import load
from tests.conftest import Server

from .seed import seed

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "devcon2025.yaml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
INSTANT_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LOCAL_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? P[DS]T")
LA = "America/Los_Angeles"
K = ResourceKey

REFUND = ("Cancel 30 days or more before the event and we refund your ticket in full. Cancel "
          "between 29 and 15 days before the event and we refund half of the ticket price. "
          "Cancellations made 14 days or less before the event are not refunded. Every refund "
          "is subject to payment processing fees, which we cannot return to you afterwards.")
REFUND_NEW = REFUND.replace("refund half of the ticket price", "refund 40% of the ticket price")


def policy_update(old: str, new: str, zones: dict[str, str] | None = None) -> Plan:
    return Plan("Target: test", (Action("update", K("policy", "gala", "Refunds"),
                                        (Change("body", old, new),), id="p-1"),),
                time_zones=zones or {})


def field_lines(text: str, path: str) -> list[str]:
    """The line of `path` under an action and the word-diff lines that continue it."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(rf"^[+!-]?\s+{path}[:=] ", line))
    out = [lines[at]]
    for line in lines[at + 1:]:
        if not re.match(r"^[+!-]?\s+… ", line):
            break
        out.append(line)
    return out


@pytest.fixture(scope="module")
def created() -> Plan:
    """The DevCon example planned against an empty site: every object created."""
    result = load([str(EXAMPLE)])
    assert result.ok
    desired = desired_state([document.data for document in result.documents])
    return build_plan(desired, State(), "Target: test", tuple(result.files))


# --- a long text changed in the middle -------------------------------------------------------


def test_a_sentence_changed_in_a_long_policy_body_is_visible_in_the_human_view() -> None:
    assert len(REFUND) > 300
    text = render.human(policy_update(REFUND, REFUND_NEW))
    [line] = field_lines(text, "body")
    # six unchanged words on each side, the rest left out
    assert line.strip() == ("body: … before the event and we refund [-half-]{+40%+} of the "
                            "ticket price. Cancellations made …")
    assert "[-half-]" in line and "{+40%+}" in line
    assert "→" not in line  # not two cut values


def test_the_same_change_is_visible_in_the_markdown_view() -> None:
    text = render_markdown.markdown(policy_update(REFUND, REFUND_NEW))
    assert ("!     body: … before the event and we refund [-half-]{+40%+} of the ticket "
            "price. Cancellations made …\n") in text
    # still inside the fenced diff block of its event
    block = re.search(r"```diff\n(.*?)```", text, re.S)
    assert block is not None and "[-half-]{+40%+}" in block.group(1)


def test_changes_far_apart_each_get_a_line_and_none_is_lost() -> None:
    new = REFUND_NEW.replace("Cancel 30 days", "Cancel 31 days").replace(
        "cannot return to you afterwards.", "never return.")
    lines = field_lines(render.human(policy_update(REFUND, new)), "body")
    assert [line.strip() for line in lines] == [
        'body: "Cancel [-30-]{+31+} days or more before the event …',
        "… before the event and we refund [-half-]{+40%+} of the ticket price. Cancellations "
        "made …",
        "… to payment processing fees, which we [-cannot return to you afterwards.-]"
        "{+never return.+}\"",
    ]


def test_a_multi_line_value_is_a_word_diff_with_its_line_breaks_escaped() -> None:
    old, new = "Doors open at 9.\n\nBring your badge.", "Doors open at 8.\n\nBring your badge."
    [line] = field_lines(render.human(policy_update(old, new)), "body")
    assert line.strip() == 'body: "Doors open at [-9.-]{+8.+}\\n\\nBring your badge."'
    markdown = render_markdown.markdown(policy_update(old, new))
    assert '!     body: "Doors open at [-9.-]{+8.+}\\n\\nBring your badge."\n' in markdown


def test_short_changes_keep_old_arrow_new() -> None:
    [line] = field_lines(render.human(policy_update("Be kind.", "Be very kind.")), "body")
    assert line.strip() == 'body: "Be kind." → "Be very kind."'


def test_a_rich_value_is_diffed_on_its_json_text() -> None:
    old = {"nodes": [{"type": "PARAGRAPH", "nodes": [{"type": "TEXT", "textData": {
        "text": "Talks, workshops and a party on the roof.", "decorations": []}}]}]}
    new = json.loads(json.dumps(old).replace("a party", "a concert"))
    plan = Plan("t", (Action("update", K("event", "", "gala"),
                             (Change("description", old, new),), id="e"),))
    [line] = field_lines(render.human(plan), "description")
    assert "workshops and a [-party-]{+concert+} on the roof." in line
    assert line.strip().startswith("description: … ")


def test_color_marks_removed_red_struck_and_added_green() -> None:
    plan = policy_update(REFUND, REFUND_NEW)
    colored, plain = render.human(plan, color=True), render.human(plan)
    assert click.style("[-half-]", fg="red", strikethrough=True) in colored
    assert click.style("{+40%+}", fg="green") in colored
    assert ANSI.sub("", colored) == plain
    assert "\x1b" not in plain


def test_control_characters_in_a_word_diff_are_escaped() -> None:
    old = "x " * 50 + "safe"
    new = "x " * 50 + "\x1b]0;evil\x07 \x9b"
    plan = policy_update(old, new)
    for text in (render.human(plan), render_markdown.markdown(plan)):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "{+\\u001b]0;evil\\u0007 \\u009b+}" in render.human(plan)


WORDS = ["a", "b", "c", "refund", "days", "30", "14", "é", '"q"', "x\ny", "tab\there", "\\"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40),
       st.lists(st.sampled_from([*WORDS, "new"]), max_size=40),
       st.integers(min_value=0, max_value=8))
def test_the_word_diff_never_loses_a_changed_word(old_words: list[str], new_words: list[str],
                                                   context: int) -> None:
    old, new = " ".join(old_words), " ".join(new_words)
    lines = render.word_diff(old, new, context=context)
    shown = "\n".join(lines)
    added = re.findall(r"\{\+(.*?)\+\}", shown, re.S)
    removed = re.findall(r"\[-(.*?)-\]", shown, re.S)

    def escaped(word: str) -> str:
        return json.dumps(word, ensure_ascii=False)[1:-1]

    for word in set(new_words) - set(old_words):
        assert any(escaped(word) in part for part in added), (word, lines)
    for word in set(old_words) - set(new_words):
        assert any(escaped(word) in part for part in removed), (word, lines)
    assert all("\n" not in line for line in lines)
    assert (old != new) == bool(added or removed)


def test_words_that_look_like_marks_still_show() -> None:
    # git's marks are not escaped (nor are they by git): such words are shown, if ambiguous
    line = render.word_diff("keep [- this", "keep +} this")[0]
    assert line == '"keep [-[--]{++}+} this"'


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.text(), st.integers(),
                 st.dictionaries(st.text(max_size=5), st.text(max_size=30), max_size=4)),
       st.one_of(st.none(), st.text(), st.integers(),
                 st.lists(st.text(max_size=30), max_size=4)))
def test_details_never_raise_on_any_change(old: object, new: object) -> None:
    action = Action("update", K("policy", "gala", "Refunds"), (Change("body", old, new),))
    lines = render.details(action, zone=times.zone(LA))
    assert lines and all("\n" not in line for line in lines)
    render.word_diff(old, new)


# --- times in the event's zone ---------------------------------------------------------------


def test_local_time_shows_the_zone_and_seconds_only_when_there_are_some() -> None:
    la = times.zone(LA)
    assert render.local_time("2025-06-15T19:30:00.000Z", la) == "2025-06-15 12:30 PDT"
    assert render.local_time("2025-06-15T19:30:00Z", la) == "2025-06-15 12:30 PDT"
    assert render.local_time("2025-06-15T19:30:15.000Z", la) == "2025-06-15 12:30:15 PDT"
    assert render.local_time("2025-01-15T19:30:00Z", la) == "2025-01-15 11:30 PST"
    assert render.local_time("2025-06-15T21:30:00+02:00", la) == "2025-06-15 12:30 PDT"
    assert render.local_time("2025-06-15T19:30:00.000Z", None) == "2025-06-15 19:30 UTC"
    # a zone without a letter abbreviation says its offset from UTC
    assert render.local_time("2025-06-15T19:30:00Z", times.zone("America/Sao_Paulo")) == \
        "2025-06-15 16:30 UTC-03"
    # the hour that happens twice when clocks go back is told apart by the abbreviation
    assert render.local_time("2025-11-02T08:30:00Z", la) == "2025-11-02 01:30 PDT"
    assert render.local_time("2025-11-02T09:30:00Z", la) == "2025-11-02 01:30 PST"
    # not a whole instant: prose, a local time without zone, an impossible date
    for text in ("starts 2025-06-15T19:30:00Z", "2025-06-15T19:30", "2025-02-30T10:00:00Z",
                 "Lunch"):
        assert render.local_time(text, la) is None


def test_every_time_of_the_devcon_create_plan_is_local(created: Plan) -> None:
    assert created.time_zones == {"devcon-2025": LA}
    for text in (render.human(created), render.human(created, color=True),
                 render_markdown.markdown(created)):
        assert not INSTANT_TEXT.search(text), INSTANT_TEXT.search(text)
        assert "dateAndTimeSettings.startDate = 2025-06-15 09:00 PDT" in text
        assert "salePeriod.startDate = 2025-03-01 00:00 PST" in text  # before the clocks change
        assert "salePeriod.endDate = 2025-04-30 23:59 PDT" in text
        assert "timeSlot.start = 2025-06-15 12:30 PDT" in text
        assert len(LOCAL_TEXT.findall(ANSI.sub("", text))) >= 30
    # JSON keeps the instants, untouched
    data = json.loads(render.json_text(created))
    assert data["time_zones"] == {"devcon-2025": LA}
    changes = {c["path"]: c["new"] for a in data["actions"] if a["kind"] == "event"
               for c in a["changes"]}
    assert changes["dateAndTimeSettings.startDate"] == "2025-06-15T16:00:00.000Z"
    assert "Lunch @ 2025-06-15T19:30:00.000Z" in {a["name"] for a in data["actions"]}


def test_schedule_items_that_share_a_name_are_labelled_in_local_time(created: Plan) -> None:
    human = render.human(created).splitlines()
    assert '  + schedule item "Lunch @ 2025-06-15 12:30 PDT"' in human
    assert '  + schedule item "Lunch @ 2025-06-16 12:00 PDT"' in human
    markdown = render_markdown.markdown(created)
    assert '+ create schedule item "Lunch @ 2025-06-15 12:30 PDT"\n' in markdown
    lunch = next(a for a in created.actions if a.key.name.startswith("Lunch @"))
    assert action_line(lunch, created.time_zones) == \
        '+ schedule item "Lunch @ 2025-06-15 12:30 PDT" · event devcon-2025'
    # without zones (an old plan file), the same instant in UTC, still readable
    assert action_line(lunch) == \
        '+ schedule item "Lunch @ 2025-06-15 19:30 UTC" · event devcon-2025'


def test_a_label_with_a_copy_number_and_a_reorder_of_such_names_are_local() -> None:
    la = times.zone(LA)
    copy = Action("delete", K("scheduleItem", "gala", "Lunch @ 2025-06-15T19:30:00.000Z #2"))
    assert render.label(copy, la) == 'schedule item "Lunch @ 2025-06-15 12:30 PDT #2"'
    # only a kind told apart by its start: a ticket named so keeps its name
    ticket = Action("delete", K("ticket", "gala", "Early @ 2025-06-15T19:30:00.000Z"))
    assert render.label(ticket, la) == 'ticket definition "Early @ 2025-06-15T19:30:00.000Z"'
    moved = Action("reorder", K("scheduleItem", "gala", "*"),
                   order=("B", "A @ 2025-06-15T19:30:00.000Z"),
                   previous_order=("A @ 2025-06-15T19:30:00.000Z", "B"))
    assert render.details(moved, zone=la) == [
        "order: A @ 2025-06-15 12:30 PDT, B → B, A @ 2025-06-15 12:30 PDT"]


def test_instants_inside_mapping_values_are_local_and_prose_is_left_alone() -> None:
    plan = Plan("t", (Action("update", K("ticket", "gala", "VIP"), (
        Change("salePeriod", {"startDate": "2025-03-01T08:00:00.000Z"},
               {"startDate": "2025-03-02T08:00:00.000Z"}),
        Change("description", "Sale ends 2025-06-15T19:30:00Z", "Sale ends soon"),
        Change("timeSlot.start", "2025-06-15T19:30:00.000Z", "2025-06-15T19:45:00.000Z"),
    ), id="t"),), time_zones={"gala": LA})
    text = render.human(plan)
    assert ('salePeriod: {"startDate": "2025-03-01 00:00 PST"} → '
            '{"startDate": "2025-03-02 00:00 PST"}') in text
    assert 'description: "Sale ends 2025-06-15T19:30:00Z" → "Sale ends soon"' in text
    assert "timeSlot.start: 2025-06-15 12:30 PDT → 2025-06-15 12:45 PDT" in text


def test_an_unknown_zone_falls_back_to_utc_and_site_actions_have_none() -> None:
    for zone in ("Mars/Olympus_Mons", "", " America/Los_Angeles", "Europe", "../../etc/passwd"):
        plan = Plan("t", (
            Action("update", K("scheduleItem", "gala", "Lunch @ 2025-06-15T19:30:00.000Z"),
                   (Change("timeSlot.start", "2025-06-15T19:30:00.000Z",
                           "2025-06-15T19:45:00.000Z"),), id="s"),
            Action("update", K("category", "", "Talks @ 2025-06-15T19:30:00.000Z"),
                   (Change("name", "a", "b"),), id="c"),
        ), time_zones={"gala": zone, "": LA})
        for text in (render.human(plan), render_markdown.markdown(plan)):
            assert 'schedule item "Lunch @ 2025-06-15 19:30 UTC"' in text
            assert "timeSlot.start: 2025-06-15 19:30 UTC → 2025-06-15 19:45 UTC" in text
            assert 'category "Talks @ 2025-06-15T19:30:00.000Z"' in text  # no tiebreak


# --- the plan file ---------------------------------------------------------------------------


def test_a_saved_plan_keeps_its_time_zones(created: Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(created, path)
    loaded = load_plan(path)
    assert loaded.time_zones == {"devcon-2025": LA}
    assert loaded == created
    assert render.human(loaded) == render.human(created)


def test_an_old_plan_file_without_time_zones_loads_and_shows_utc(created: Plan,
                                                                  tmp_path: Path) -> None:
    data = plan_to_json(created)
    del data["time_zones"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    old = load_plan(path)
    assert old.time_zones == {}
    assert old.actions == created.actions
    text = render.human(old)
    assert '  + schedule item "Lunch @ 2025-06-15 19:30 UTC"' in text
    assert "dateAndTimeSettings.startDate = 2025-06-15 16:00 UTC" in text
    assert not INSTANT_TEXT.search(text)


def test_the_schema_refuses_time_zones_that_are_not_text(created: Plan) -> None:
    data = plan_to_json(created)
    data["time_zones"] = {"devcon-2025": 7}
    with pytest.raises(ProvisionerError, match="time_zones"):
        plan_from_json(data, "plan.json")


# --- an update plan against a seeded site, through the CLI -----------------------------------


def moved_spec(tmp_path: Path) -> Path:
    """The example with a talk and the second lunch moved, a sale period ended earlier and a
    sentence of the refund policy changed."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (
        ("timeSlot: {start: 2025-06-16T14:45, end: 2025-06-16T15:45}",
         "timeSlot: {start: 2025-06-16T15:00, end: 2025-06-16T15:55}"),
        ("timeSlot: {start: 2025-06-16T12:00, end: 2025-06-16T13:00}",
         "timeSlot: {start: 2025-06-16T12:00:30, end: 2025-06-16T13:00}"),
        ("startDate: 2025-03-01T00:00\n          endDate: 2025-06-14T23:59\n\n      - name: VIP",
         "startDate: 2025-03-01T00:00\n          endDate: 2025-06-10T23:59\n\n      - name: VIP"),
        ("we refund half of the ticket price", "we refund 40% of the ticket price"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    spec = tmp_path / "devcon.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def run_plan(server: Server, api: httpx.Client, spec: Path, *options: str) -> str:
    env = {**os.environ, "WIX_API_KEY": api.api_key,  # type: ignore[attr-defined]
           "WIX_SITE_ID": api.site_id, "NO_COLOR": "1"}  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "plan", str(spec), "--target",
         server.base_url, *options], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_an_update_plan_shows_moved_times_locally(server: Server, api: httpx.Client,
                                                  tmp_path: Path) -> None:
    seed(api, EXAMPLE.with_name("devcon2025.seed.json"))
    spec = moved_spec(tmp_path)
    human = run_plan(server, api, spec)
    markdown = run_plan(server, api, spec, "--markdown")
    out = tmp_path / "plan.json"
    data = json.loads(run_plan(server, api, spec, "--json", "--out", str(out)))
    assert data["time_zones"] == {"devcon-2025": LA}

    for text in (human, markdown):
        assert not INSTANT_TEXT.search(text), INSTANT_TEXT.search(text)
        assert "timeSlot.start: 2025-06-16 14:45 PDT → 2025-06-16 15:00 PDT" in text
        assert "timeSlot.end: 2025-06-16 15:45 PDT → 2025-06-16 15:55 PDT" in text
        assert "salePeriod.endDate: 2025-06-14 23:59 PDT → 2025-06-10 23:59 PDT" in text
        assert "we refund [-half-]{+40%+} of the ticket price." in text
        # the second lunch, moved by 30 seconds: found again, named by its new start
        assert "timeSlot.start: 2025-06-16 12:00 PDT → 2025-06-16 12:00:30 PDT" in text
    assert '  ~ schedule item "Lunch @ 2025-06-16 12:00:30 PDT"' in human
    assert '  ~ schedule item "Talk: Platform Engineering in Practice"' in human
    assert '! update schedule item "Lunch @ 2025-06-16 12:00:30 PDT"\n' in markdown

    # the JSON view and the saved plan keep the UTC instants
    changes = {(a["name"], c["path"]): (c["old"], c["new"]) for a in data["actions"]
               for c in a["changes"]}
    assert changes[("Talk: Platform Engineering in Practice", "timeSlot.start")] == \
        ("2025-06-16T21:45:00.000Z", "2025-06-16T22:00:00.000Z")
    assert changes[("General Admission", "salePeriod.endDate")] == \
        ("2025-06-15T06:59:00.000Z", "2025-06-11T06:59:00.000Z")
    saved = load_plan(out)
    assert saved.time_zones == {"devcon-2025": LA}
    assert render.human(saved) in human


def test_apply_shows_the_plan_and_its_progress_in_local_time(tmp_path: Path) -> None:
    """The quick start's apply, in a fresh folder's sandbox: the plan it prints and the line
    of each finished action name the lunches by their local start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    env["NO_COLOR"] = "1"
    done = subprocess.run([sys.executable, "-m", "provisioner.cli", "apply", str(EXAMPLE),
                           "--auto-approve"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert '  + schedule item "Lunch @ 2025-06-15 12:30 PDT"' in lines
    progress = [line.rsplit(" · ", 1)[0] for line in lines
                if line.startswith('✓ + schedule item "Lunch @ ')]
    assert progress == [
        '✓ + schedule item "Lunch @ 2025-06-15 12:30 PDT" · event devcon-2025',
        '✓ + schedule item "Lunch @ 2025-06-16 12:00 PDT" · event devcon-2025']
    assert not INSTANT_TEXT.search(done.stdout)


def test_the_failures_listed_after_apply_use_the_same_names(created: Plan) -> None:
    lunch = next(a for a in created.actions if a.key.name.startswith("Lunch @"))
    report = Report("t", [Outcome(lunch, Status.FAILED, "boom")])
    assert problems(report, created.time_zones) == [
        'failed: + schedule item "Lunch @ 2025-06-15 12:30 PDT" · event devcon-2025: boom']
