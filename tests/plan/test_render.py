"""The plan's output formats: the human view, markdown for pull requests, and JSON (against
schemas/plan.schema.json), on hand-built plans and on a real plan of examples/devcon2025.yaml."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from provisioner.cli import render, render_markdown
from provisioner.model import Action, Change, Plan, ResourceKey, State
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.planfile import plan_from_json, plan_to_json
from provisioner.spec.loader import load

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
K = ResourceKey


def every_verb() -> Plan:
    """One action of each verb, in plan order (phases), across a category and two events."""
    return Plan("Target: test", (
        Action("create", K("category", "", "Music"), (Change("name", None, "Music"),),
               body={"name": "Music"}),
        Action("update", K("event", "", "gala"),
               (Change("title", "Gala", "Summer Gala"),
                Change("location.address", {"city": "Paris"}, None)), body={"title": "x"},
               id="ev-1"),
        Action("delete", K("policy", "gala", "Old Rules"), (Change("name", "Old Rules", None),),
               id="po-1", parent_id="ev-1"),
        Action("delete", K("ticket", "gala", "VIP"), (Change("name", "VIP", None),),
               id="ti-9", parent_id="ev-1", marks=("risky",), note="12 sold"),
        Action("unassign", K("categoryAssignment", "gala", "Jazz"), id=None, parent_id="ev-1"),
        Action("create", K("ticket", "gala", "Early Bird"),
               (Change("initialLimit", None, 100), Change("name", None, "Early Bird")),
               body={"name": "Early Bird", "initialLimit": 100}, parent_id="ev-1"),
        Action("reorder", K("ticket", "gala", "*"), parent_id="ev-1",
               order=("B", "A", "C"), previous_order=("A", "B", "C")),
        Action("assign", K("categoryAssignment", "gala", "Music"), body={"name": "Music"},
               parent_id="ev-1"),
        Action("discard", K("schedule", "gala", "draft"), id="ev-1",
               note="the published schedule already matches"),
        Action("publish", K("schedule", "fair", "draft"), id="ev-2"),
        Action("publish", K("event", "", "fair"), (Change("state", "DRAFT", "PUBLISHED"),),
               id="ev-2", marks=("irreversible",)),
        Action("cancel", K("event", "", "gala"), (Change("state", "PUBLISHED", "CANCELED"),),
               id="ev-1", marks=("irreversible",)),
    ), {"event[gala]": "updatedDate:2025-01-01T00:00:00Z", "event[gala].ticket[VIP]":
        "revision:4", "event[gala].ticket[Early Bird]": "absent",
        "event[gala].ticket[*]": "sha256:0123456789abcdef"}, (), ("specs/gala.yaml",))


def with_problems(plan: Plan, *problems: str) -> Plan:
    return Plan(plan.target, plan.actions, plan.fingerprints, problems, plan.sources)


@pytest.fixture(scope="module")
def devcon() -> Plan:
    result = load([str(ROOT / "examples" / "devcon2025.yaml")])
    assert result.ok
    desired = desired_state([document.data for document in result.documents])
    return build_plan(desired, State(), "Target: test", tuple(result.files))


# --- the human view ------------------------------------------------------------------------


def test_each_verb_has_its_symbol_noun_and_name() -> None:
    lines = render.human(every_verb()).splitlines()
    for expected in ('  + category "Music"', '  ~ event "gala"', '  - policy "Old Rules"',
                     '  - category assignment "Jazz"', '  + ticket definition "Early Bird"',
                     "  ⇅ reorder ticket definitions", '  + category assignment "Music"',
                     "  ↑ publish schedule draft"):
        assert expected in lines
    assert '  ↺ discard schedule draft (the published schedule already matches)' in lines
    assert '  ↑ publish event "fair" (irreversible)' in lines
    assert '  × cancel event "gala" (irreversible)' in lines
    assert ("  - ticket definition \"VIP\" (risky: 12 sold — refused at apply unless "
            "--allow-delete-sold)") \
        in lines


def test_updates_show_old_and_new_creates_show_fields_deletes_show_nothing() -> None:
    text = render.human(every_verb())
    lines = text.splitlines()
    at = lines.index('  ~ event "gala"')
    assert lines[at + 1:at + 3] == ['      title: "Gala" → "Summer Gala"',
                                    '      location.address: {"city": "Paris"} → (unset)']
    at = lines.index('  + ticket definition "Early Bird"')
    assert lines[at + 1:at + 3] == ["      initialLimit = 100", '      name = "Early Bird"']
    at = lines.index('  - policy "Old Rules"')
    assert not lines[at + 1].startswith("      ")
    assert "      order: A, B, C → B, A, C" in lines
    assert '      state: "PUBLISHED" → "CANCELED"' in lines


def test_groups_site_level_first_then_events_in_plan_order() -> None:
    lines = render.human(every_verb()).splitlines()
    headers = [line for line in lines if line and not line.startswith(" ")]
    assert headers[:3] == ["Site:", "Event gala:", "Event fair:"]
    # an event's own actions sit in its group, even when they run in a later phase
    gala = lines[lines.index("Event gala:"):lines.index("Event fair:")]
    assert '  × cancel event "gala" (irreversible)' in gala
    fair = lines[lines.index("Event fair:"):]
    assert fair[1:3] == ["  ↑ publish schedule draft", '  ↑ publish event "fair" (irreversible)']


def test_long_created_values_are_cut_at_80_characters() -> None:
    long = "x" * 500
    plan = Plan("t", (Action("create", K("policy", "gala", "Rules"),
                             (Change("body", None, long),)),
                      Action("update", K("policy", "gala", "Terms"),
                             (Change("body", None, long),), id="p")))
    lines = [line.strip() for line in render.human(plan).splitlines() if "body" in line]
    value = lines[0].removeprefix("body = ")
    assert len(value) == 80 and value.endswith("…") and value.startswith('"xxx')
    # a value set where there was none has nothing to compare with: cut the same way
    old, new = lines[1].removeprefix("body: ").split(" → ")
    assert old == "(unset)" and new == value


def test_a_long_value_replaced_whole_is_shown_whole_as_a_word_diff() -> None:
    long = "x" * 500
    plan = Plan("t", (Action("update", K("policy", "gala", "Rules"),
                             (Change("body", "short", long),), id="p"),))
    line = next(line for line in render.human(plan).splitlines() if "body:" in line)
    assert line.strip() == f'body: "[-short-]{{+{long}+}}"'


def test_problems_are_listed_and_the_summary_says_the_plan_cannot_be_applied() -> None:
    plan = with_problems(every_verb(), "event[gala]: registration.initialType cannot change",
                         "category[Jazz] is marked `existing: true` but the site has none")
    lines = render.human(plan).splitlines()
    at = lines.index("Problems:")
    assert lines[at + 1] == "  ! event[gala]: registration.initialType cannot change"
    assert lines[at + 2].startswith("  ! category[Jazz] is marked")
    assert lines[-2:] == [
        "Plan: 2 to create, 1 to update, 2 to delete, 1 to reorder, 2 to publish, "
        "1 to discard, 1 to cancel, 1 to assign, 1 to unassign.",
        "2 problems: this plan cannot be applied until the spec changes."]


@pytest.mark.parametrize(("plan", "expected"), [
    (Plan("t", ()), "No changes. The site matches the spec."),
    (Plan("t", (Action("update", K("event", "", "a"), (Change("title", "A", "B"),)),)),
     "Plan: 0 to create, 1 to update, 0 to delete."),
    (Plan("t", (), problems=("p",)),
     "Plan: 0 to create, 0 to update, 0 to delete.\n"
     "1 problem: this plan cannot be applied until the spec changes."),
])
def test_summary_line_variants(plan: Plan, expected: str) -> None:
    assert render.summary_line(plan) == expected
    assert render.human(plan).endswith(expected)


def test_a_plan_without_changes_prints_only_the_summary() -> None:
    assert render.human(Plan("t", ())) == "No changes. The site matches the spec."


def test_color_styles_symbols_and_marks_and_plain_text_has_no_escapes() -> None:
    plan = with_problems(every_verb(), "a problem")
    plain, colored = render.human(plan, color=False), render.human(plan, color=True)
    assert "\x1b" not in plain
    assert "\x1b[32m\x1b[1m+\x1b[0m" in colored  # green +
    assert "\x1b[33m\x1b[1m~\x1b[0m" in colored  # yellow ~
    assert "\x1b[31m\x1b[1m-\x1b[0m" in colored  # red -
    assert "\x1b[36m\x1b[1m⇅\x1b[0m" in colored  # cyan ⇅
    assert "\x1b[35m\x1b[1m(irreversible)\x1b[0m" in colored  # magenta
    assert ANSI.sub("", colored) == plain


def test_control_characters_in_names_and_values_are_escaped() -> None:
    plan = Plan("t", (Action("update", K("ticket", "gala", "Bad\x1b[31mName"),
                             (Change("description", "a\nb", "c\x9bd"),), id="t"),),
                problems=("event[x]: \x1b]0;title\x07",))
    for text in (render.human(plan), render_markdown.markdown(plan)):
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert '~ ticket definition "Bad\\u001b[31mName"' in render.human(plan)
    # a value with a line break is a word diff; both sides keep their escapes
    assert 'description: "[-a\\nb-]{+c\\u009bd+}"' in render.human(plan)


def test_rendering_is_deterministic(devcon: Plan) -> None:
    for plan in (every_verb(), devcon):
        assert render.human(plan, color=True) == render.human(plan, color=True)
        assert render_markdown.markdown(plan) == render_markdown.markdown(plan)
        assert render.json_text(plan) == render.json_text(plan)


# --- a real plan ---------------------------------------------------------------------------


def test_a_real_plan_of_the_example_on_an_empty_site(devcon: Plan) -> None:
    text = render.human(devcon)
    lines = text.splitlines()
    assert lines[0] == "Site:"
    assert lines[1] == '  + category "Technology Conferences"'
    assert "Event devcon-2025:" in lines
    for expected in ('  + event "devcon-2025"', '  + ticket definition "Early Bird"',
                     '  + policy "Code of Conduct"', '  + form control "Phone"',
                     '  + category assignment "Technology Conferences"',
                     "  ↑ publish schedule draft", '  ↑ publish event "devcon-2025" (irreversible)',
                     '      title = "DevCon 2025 - Developer Conference"',
                     '      state: "DRAFT" → "PUBLISHED"'):
        assert expected in lines
    counts = devcon.counts()
    assert counts["create"] == 25 and counts["update"] == counts["delete"] == 0
    assert lines[-1] == render.summary_line(devcon)
    assert lines[-1].startswith("Plan: 25 to create, 0 to update, 0 to delete, ")
    assert "2 to publish" in lines[-1] and "1 to assign" in lines[-1]
    # every action of the plan has exactly one title line
    titles = [line for line in lines if re.match(r"  \S ", line)]
    assert len(titles) == len(devcon.actions)


# --- JSON ----------------------------------------------------------------------------------


def test_the_schema_is_valid_and_describes_every_property() -> None:
    Draft202012Validator.check_schema(SCHEMA)

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                assert "description" in sub, f"{where}.{name} has no description"
            for key, sub in node.items():
                if key not in ("if", "then", "else"):  # conditions, not definitions
                    walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                walk(sub, f"{where}[{index}]")

    walk(SCHEMA, "$")


def test_json_output_validates_against_the_schema(devcon: Plan) -> None:
    validator = Draft202012Validator(SCHEMA)
    for plan in (every_verb(), with_problems(every_verb(), "p"), devcon, Plan("t", ())):
        data = json.loads(render.json_text(plan))
        assert data == plan_to_json(plan)
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == []
    assert plan_from_json(json.loads(render.json_text(every_verb())), "x") == every_verb()


def test_the_schema_rejects_what_the_format_does_not_allow() -> None:
    validator = Draft202012Validator(SCHEMA)
    good = plan_to_json(every_verb())
    assert validator.is_valid(good)

    def broken(change: object) -> dict:
        data = json.loads(json.dumps(good))
        change(data)  # type: ignore[operator]
        return data

    reorder = next(i for i, a in enumerate(good["actions"]) if a["action"] == "reorder")
    for mutate in (
        lambda d: d.update(format_version=2),
        lambda d: d.update(extra=1),
        lambda d: d["summary"].pop("discard"),
        lambda d: d["actions"][0].update(action="rename"),
        lambda d: d["actions"][0].update(marks=["dangerous"]),
        lambda d: d["actions"][0].update(order=["a"]),
        lambda d: d["actions"][reorder].pop("previous_order"),
        lambda d: d["actions"][0]["changes"][0].pop("old"),
        lambda d: d["actions"][0].update(event=""),
        lambda d: d["fingerprints"].update({"event[x]": 3}),
    ):
        assert not validator.is_valid(broken(mutate))


# --- markdown ------------------------------------------------------------------------------


def test_markdown_puts_summary_counts_and_warnings_above_the_details() -> None:
    plan = with_problems(every_verb(), "event[gala]: registration.initialType cannot change")
    text = render_markdown.markdown(plan)
    first, second = text.splitlines()[:2]
    assert first == f"**{render.summary_line(plan).splitlines()[0]}**"
    assert second == "**1 problem: this plan cannot be applied until the spec changes.**"
    assert "| update | 1 |" in text and "| discard | 1 |" in text
    details = text.index("<details>")
    for warning in ("**Problem:** event\\[gala\\]: registration.initialType cannot change",
                    '**Risky:** `delete ticket definition "VIP"`: 12 sold',
                    '**Irreversible:** `publish event "fair"`',
                    '**Irreversible:** `cancel event "gala"`'):
        assert 0 <= text.index(warning) < details
    assert text.count("<details>") == 3 and text.count("</details>") == 3
    assert text.count("```diff\n") == 3
    assert "<summary><b>Event gala</b>: 9 actions" in text
    diff_lines = re.findall(r"```diff\n(.*?)```", text, re.S)
    for block in diff_lines:
        assert all(line[0] in "+-!" for line in block.splitlines())
    assert '! update event "gala"\n!     title: "Gala" → "Summer Gala"\n' in text
    assert "! reorder ticket definitions\n!     order: A, B, C → B, A, C\n" in text
    assert '- delete ticket definition "VIP"' in text


def test_markdown_without_changes() -> None:
    text = render_markdown.markdown(Plan("Target: test", ()))
    assert text.startswith("**No changes. The site matches the spec.**")
    assert "<details>" not in text and "⚠️" not in text


def test_markdown_of_the_real_plan(devcon: Plan) -> None:
    text = render_markdown.markdown(devcon)
    assert text.startswith(f"**{render.summary_line(devcon)}**\n")
    assert '**Irreversible:** `publish event "devcon-2025"`' in text
    assert "+ create ticket definition \"Early Bird\"\n+     name = \"Early Bird\"\n" in text
    assert "more actions not shown" not in text


def _big_plan(actions: int, width: int) -> Plan:
    made = []
    for index in range(actions):
        key = K("ticket", f"event-{index // 500}", f"Ticket {index:05d}")
        if index % 3 == 0:
            made.append(Action("create", key, (Change("description", None, "d" * width),
                                               Change("name", None, key.name))))
        elif index % 3 == 1:
            made.append(Action("update", key, (Change("description", "o" * width,
                                                      "n" * width),), id=f"t{index}"))
        else:
            made.append(Action("delete", key, id=f"t{index}"))
    made[actions // 2] = Action("delete", K("ticket", "event-2", "Sold Out"), id="x",
                        marks=("risky",), note="75 sold")
    made.append(Action("publish", K("event", "", "event-9"), (Change("state", "DRAFT",
                                                                    "PUBLISHED"),),
                       marks=("irreversible",)))
    return Plan("Target: test", tuple(made), problems=("event[event-3]: cannot change",))


def test_a_huge_plan_stays_under_the_comment_limit_and_keeps_the_warnings() -> None:
    plan = _big_plan(5000, 2000)
    full = render.human(plan)
    assert len(full) > 500_000
    text = render_markdown.markdown(plan)
    assert len(text) < 65_536 and len(text.encode("utf-8")) < 65_536
    assert text.startswith(f"**{render.summary_line(plan).splitlines()[0]}**")
    assert "**1 problem: this plan cannot be applied until the spec changes.**" in text
    assert "| create | 1667 |" in text
    assert "**Problem:** event\\[event-3\\]: cannot change" in text
    assert '**Risky:** `delete ticket definition "Sold Out"`: 75 sold' in text
    assert '**Irreversible:** `publish event "event-9"`' in text
    # creates lost their field lines first; then the details were cut, with a count
    assert "+     " not in text
    shown = len(re.findall(r"^[+!-] (?:create|update|delete|publish) ", text, re.M))
    note = re.search(r"… (\d+) more actions not shown; run provisioner plan locally for the "
                     r"full plan", text)
    assert note is not None and shown > 10
    assert int(note.group(1)) == len(plan.actions) - shown
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```diff") * 2 == text.count("```")
    assert render_markdown.markdown(plan) == text


def test_a_large_plan_first_drops_the_field_lines_of_creates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # updates show their long values whole (a word diff), creates cut at 80 characters
    plan = _big_plan(450, 100)
    text = render_markdown.markdown(plan)
    assert len(text) < 65_536
    with monkeypatch.context() as patched:
        patched.setattr(render_markdown, "BUDGET", 10**9)
        unlimited = render_markdown.markdown(plan)
    assert len(unlimited) > render_markdown.BUDGET and "+     name = " in unlimited
    assert "more actions not shown" not in text
    assert "+     " not in text  # creates' fields went
    assert "!     description: " in text  # updates keep their changes
    assert len(re.findall(r"^[+!-] (?:create|update|delete|publish) ", text, re.M)) == 451


def test_thousands_of_warnings_are_capped_too() -> None:
    plan = Plan("Target: test", tuple(
        Action("delete", K("ticket", "gala", f"Ticket {i:05d} " + "n" * 300), id=f"t{i}",
               marks=("risky",), note=f"{i} sold") for i in range(1, 5001)),
        problems=tuple(f"problem {i}: " + "p" * 1000 for i in range(10)))
    text = render_markdown.markdown(plan)
    assert len(text.encode("utf-8")) < 65_536
    assert text.startswith("**Plan: 0 to create, 0 to update, 5000 to delete.**")
    assert "**Problem:** problem 0: ppp" in text
    assert "**Risky:** `delete ticket definition \"Ticket 00001 nnn" in text
    note = re.search(r"- … (\d+) more warnings not shown", text)
    assert note is not None
    shown = text.count("- ⚠️ ")
    assert int(note.group(1)) == 5010 - shown
    assert text.index("more warnings not shown") < text.index("<details>")
