"""The template layer (`provisioner.spec.templates`, through `provisioner.spec.loader` and the
CLI): variables, series, event templates, relative times and `provisioner render`, checked on
real files against the contract in the module's docstring."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from provisioner.spec import times
from provisioner.spec.loader import LoadResult, load, load_texts
from provisioner.spec.problems import WARNING
from provisioner.spec.source import parse_document
from provisioner.spec.templates import VarInputs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "devcon2025.yaml"

# one valid event, as an item of `events:` (indented two spaces)
EVENT = """\
  - slug: {slug}
    title: {title}
    location: {{name: Hall}}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
"""


def event(slug: str = "gala", title: str = "Gala") -> str:
    return EVENT.format(slug=slug, title=title)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """The 1-based line and column where `needle` starts in `text` (its n-th occurrence)."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def where(path: Path, needle: str, occurrence: int = 1, skip: int = 0) -> str:
    """`file:line:column` of `needle` (`skip` characters into it) in the file at `path`."""
    line, column = at(path.read_text(encoding="utf-8"), needle, occurrence)
    return f"{path}:{line}:{column + skip}"


def loaded(*paths: Path, assignments: tuple[str, ...] = (), files: tuple[Path, ...] = (),
           env: dict[str, str] | None = None) -> LoadResult:
    inputs = VarInputs(assignments, tuple(str(f) for f in files), env or {})
    return load([str(p) for p in paths], inputs)


def formatted(result: LoadResult) -> list[str]:
    return [problem.format() for problem in result.problems]


def events_of(result: LoadResult) -> list[dict[str, Any]]:
    return [e for doc in result.documents for e in (doc.data or {}).get("events") or []]


def read_yaml(text: str) -> Any:
    """YAML read the spec's way (1.2 scalars: times stay text)."""
    doc, problems = parse_document(text, "rendered.yaml")
    assert problems == [], [p.format() for p in problems]
    assert doc is not None
    return doc.data


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """`provisioner ARGS` as a subprocess in `cwd` (a local sandbox there, never a Wix site)."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("WIX_", "PROVISIONER_VAR_"))}
    run = subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True,
                         text=True, cwd=cwd, timeout=60, check=False,
                         env={**clean, "NO_COLOR": "1", **(env or {})})
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    return run


# --- 1. variables: declarations, every type, every source ---------------------------------------


@dataclass(frozen=True)
class TypeCase:
    kind: str
    default: str  # YAML, as written in the spec
    env: str  # text, as PROVISIONER_VAR_v
    file1: str  # YAML, in the first var file
    file2: str  # YAML, in the second var file
    var: str  # text, as --var v=...
    expected: tuple[Any, Any, Any, Any, Any]  # default, env, file1, file2, --var
    scalar: bool = True  # may be embedded in text


TYPE_CASES = [
    TypeCase("string", "alpha", "beta", "gamma", "delta", "eps ilon",
             ("alpha", "beta", "gamma", "delta", "eps ilon")),
    TypeCase("integer", "1", "2", "3", "4", "-5", (1, 2, 3, 4, -5)),
    TypeCase("number", "1.5", "2.25", "3.5", "4", "0.125", (1.5, 2.25, 3.5, 4, 0.125)),
    TypeCase("boolean", "true", "false", "true", "false", "true",
             (True, False, True, False, True)),
    TypeCase("date", "2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04", "2027-01-05",
             ("2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04", "2027-01-05")),
    TypeCase("datetime", "2027-01-01T09:00", "2027-01-02T09:30", "2027-01-03 10:00",
             "2027-01-04T11:00:30", "2027-01-05T12:00Z",
             ("2027-01-01T09:00", "2027-01-02T09:30", "2027-01-03 10:00",
              "2027-01-04T11:00:30", "2027-01-05T12:00Z")),
    TypeCase("list", "[a]", "[b, c]", "[d]", "[e, f]", "[g, 1]",
             (["a"], ["b", "c"], ["d"], ["e", "f"], ["g", 1]), scalar=False),
    TypeCase("object", "{k: a}", "{k: b}", "{k: c, n: 1}", "{k: d}", "{k: e, deep: {x: 1}}",
             ({"k": "a"}, {"k": "b"}, {"k": "c", "n": 1}, {"k": "d"},
              {"k": "e", "deep": {"x": 1}}), scalar=False),
]


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@pytest.mark.parametrize("case", TYPE_CASES, ids=lambda c: c.kind)
def test_every_type_from_every_source_later_sources_winning(tmp_path: Path,
                                                            case: TypeCase) -> None:
    embedded = '\nx-text: "v=${{ vars.v }}"' if case.scalar else ""
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  v:
    type: {case.kind}
    default: {case.default}
    description: the value under test
x-whole: ${{{{ vars.v }}}}{embedded}
events:
{event()}""")
    file1 = write(tmp_path / "one.yaml", f"v: {case.file1}\n")
    file2 = write(tmp_path / "two.yaml", f"v: {case.file2}\n")
    env = {"PROVISIONER_VAR_v": case.env}
    stages = [
        loaded(spec),
        loaded(spec, env=env),
        loaded(spec, env=env, files=(file1,)),
        loaded(spec, env=env, files=(file1, file2)),
        loaded(spec, env=env, files=(file1, file2), assignments=(f"v={case.var}",)),
    ]
    for result, expected in zip(stages, case.expected, strict=True):
        assert formatted(result) == []
        [doc] = result.documents
        whole = doc.data["x-whole"]
        assert (whole, type(whole)) == (expected, type(expected))  # the type is kept
        if case.scalar:
            assert doc.data["x-text"] == f"v={_text(expected)}"  # embedded: text
        assert "vars" not in doc.data
    # the later var file wins, whatever it holds
    swapped = loaded(spec, env=env, files=(file2, file1))
    assert swapped.documents[0].data["x-whole"] == case.expected[2]


def test_short_declarations_take_their_type_from_the_default(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  n: 3
  s: hi
  f: 2.5
  b: true
  l: [1, two]
  o: {{a: 1}}
  d: 2027-01-01
x-all: ["${{{{ vars.n }}}}", "${{{{ vars.s }}}}", "${{{{ vars.f }}}}", "${{{{ vars.b }}}}",
        "${{{{ vars.l }}}}", "${{{{ vars.o }}}}", "${{{{ vars.d }}}}"]
events:
{event()}""")
    result = loaded(spec)
    assert formatted(result) == []
    assert result.documents[0].data["x-all"] == [3, "hi", 2.5, True, [1, "two"], {"a": 1},
                                                 "2027-01-01"]
    # the inferred type is enforced on values from outside: `n` is an integer, `d` just text
    refused = loaded(spec, assignments=("n=three", "b=yes", "d=whenever", "s=42"))
    assert formatted(refused) == [
        "--var b: variable `b`: expected true or false, found 'yes'",
        "--var n: variable `n`: expected an integer, found 'three'",
    ]
    assert refused.documents[0].data["x-all"][6] == "whenever"
    assert refused.documents[0].data["x-all"][1] == "42"  # a string variable stays text


def test_long_declaration_without_type_or_default_is_text_without_value(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  t: {{description: set me}}
x-t: ${{{{ vars.t }}}}
events:
{event()}""")
    result = loaded(spec, assignments=("t=5",))
    assert formatted(result) == []
    assert result.documents[0].data["x-t"] == "5"


def test_whole_value_keeps_the_type_embedded_becomes_text(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
vars:
  capacity: {type: integer, default: 100}
  price: {type: string, default: "25.00"}
  hidden: false
events:
  - slug: gala
    title: Gala for ${{ vars.capacity }} (hidden ${{ vars.hidden }})
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
    registration: {tickets: {currency: EUR}}
    tickets:
      - name: General
        pricingMethod:
          fixedPrice: ${{ vars.price }}
        initialLimit: ${{ vars.capacity }}
        hidden: ${{ vars.hidden }}
      - name: Quoted
        pricingMethod: {fixedPrice: "${{ vars.price }}"}
        initialLimit: "${{vars.capacity}}"
""")
    result = loaded(spec)
    assert formatted(result) == []
    [gala] = events_of(result)
    general, quoted = gala["tickets"]
    assert gala["title"] == "Gala for 100 (hidden false)"
    assert (general["initialLimit"], type(general["initialLimit"])) == (100, int)
    assert (general["hidden"], type(general["hidden"])) == (False, bool)
    assert general["pricingMethod"] == {"fixedPrice": "25.00"}
    assert (quoted["initialLimit"], type(quoted["initialLimit"])) == (100, int)


def test_dotted_access_into_objects_and_lists(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
vars:
  venue:
    default:
      name: Town Hall
      address: {city: Leeds, country: GB}
      rooms: [{name: Main}, {name: Side}]
  speakers: [Ann, Bob, Cy]
events:
  - slug: gala
    title: With ${{ vars.speakers.0 }}, ${{ vars.speakers[1] }} and ${{ vars.speakers.2 }}.
    shortDescription: In ${{ vars.venue.rooms[1].name }} / ${{ vars.venue.rooms.0.name }}
    location:
      name: ${{ vars.venue.name }}
      address: ${{ vars.venue.address }}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    result = loaded(spec)
    assert formatted(result) == []
    [gala] = events_of(result)
    assert gala["title"] == "With Ann, Bob and Cy."
    assert gala["shortDescription"] == "In Side / Main"
    assert gala["location"] == {"name": "Town Hall",
                                "address": {"city": "Leeds", "country": "GB"}}


def test_a_text_that_starts_and_ends_with_an_expression_is_not_one_expression(
        tmp_path: Path) -> None:
    """Only a text that is exactly one expression takes the value's type; two expressions
    with text between are each replaced in the text."""
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  first: Ada
  last: Lovelace
events:
{event(title="${{ vars.first }} ${{ vars.last }}")}""")
    result = loaded(spec)
    assert formatted(result) == []
    assert events_of(result)[0]["title"] == "Ada Lovelace"


def test_double_dollar_writes_a_literal_expression(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
vars:
  name: Gala
x-whole: $${{ vars.name }}
events:
  - slug: gala
    title: ${{ vars.name }}
    shortDescription: Write $${{ vars.name }} for ${{ vars.name }}, or $${{each}}
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    result = loaded(spec)
    assert formatted(result) == []
    [gala] = events_of(result)
    assert gala["title"] == "Gala"
    assert gala["shortDescription"] == "Write ${{ vars.name }} for Gala, or ${{each}}"
    assert result.documents[0].data["x-whole"] == "${{ vars.name }}"


# --- 2. errors: exact messages and positions -----------------------------------------------------


def test_undefined_variable_with_did_you_mean(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  capacity: 5
events:
{event(title="Gala for ${{ vars.capacty }}")}""")
    result = loaded(spec)
    assert formatted(result) == [
        f"{where(spec, 'capacity')}: vars.capacity: warning: variable `capacity` is declared "
        "but never used",
        f"{where(spec, 'Gala for')}: events[0].title: undefined variable `capacty`; did you "
        "mean `capacity`?",
    ]
    assert [p.rule for p in result.errors] == ["template.expression"]


def test_undefined_variable_without_any_close_name(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", "events:\n" + event(title="${{ vars.zzz }}"))
    assert formatted(loaded(spec)) == [
        f"{where(spec, '${{')}: events[0].title: undefined variable `zzz`"]


def test_wrong_type_from_var(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  n: {{type: integer, default: 3}}
  when: {{type: date}}
x-probe: ["${{{{ vars.n }}}}", "${{{{ vars.when }}}}"]
events:
{event()}""")
    result = loaded(spec, assignments=("n=3.5", "when=2027-02-30"))
    use = where(spec, '"${{ vars.when')
    assert formatted(result) == [
        "--var n: variable `n`: expected an integer, found '3.5'",
        "--var when: variable `when`: expected a date (2027-06-15), found the text "
        '"2027-02-30"',
        f"{use}: x-probe[1]: variable `when` has no value: give it with "
        "--var when=…, a --var-file, PROVISIONER_VAR_when, or a default",
    ]
    assert result.documents[0].data["x-probe"][0] == 3  # the default stands


def test_wrong_type_from_env(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  on: true
x-probe: ${{{{ vars.on }}}}
events:
{event()}""")
    result = loaded(spec, env={"PROVISIONER_VAR_on": "yes", "PROVISIONER_VAR_undeclared": "1"})
    assert formatted(result) == ["PROVISIONER_VAR_on: variable `on`: expected true or false, "
                                 "found 'yes'"]


def test_wrong_type_from_var_file_message(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  n: 3
x-probe: ${{{{ vars.n }}}}
events:
{event()}""")
    values = write(tmp_path / "values.yaml", "# values\nn: \"5\"\nother: 1\n")
    result = loaded(spec, files=(values,))
    assert formatted(result) == [
        f"{values}:2:4: variable `n`: expected an integer, found the text \"5\"",
        f"{values}:3:1: no variable `other` is declared; declare it under `vars:`",
    ]


def test_a_var_file_problem_has_the_var_file_as_its_file_and_a_line(tmp_path: Path) -> None:
    """`Problem.file` is the file and `line` its line (the `--json` fields editors read)."""
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  n: 3
x-probe: ${{{{ vars.n }}}}
events:
{event()}""")
    values = write(tmp_path / "values.yaml", "# values\nn: \"5\"\n")
    [problem] = loaded(spec, files=(values,)).problems
    assert (problem.file, problem.line) == (str(values), 2)


def test_wrong_type_of_a_default(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  n: {{type: integer, default: abc}}
  l: {{type: list, default: solo}}
x-probe: ["${{{{ vars.n }}}}", "${{{{ vars.l }}}}"]
events:
{event()}""")
    use_n, use_l = where(spec, '"${{ vars.n'), where(spec, '"${{ vars.l')
    assert formatted(loaded(spec)) == [
        f"{where(spec, 'abc')}: vars.n.default: the default of `n`: expected an integer, "
        'found the text "abc"',
        f"{where(spec, 'solo')}: vars.l.default: the default of `l`: expected a list, found "
        'the text "solo"',
        f"{use_n}: x-probe[0]: variable `n` has no value: give it with --var "
        "n=…, a --var-file, PROVISIONER_VAR_n, or a default",
        f"{use_l}: x-probe[1]: variable `l` has no value: give it with --var "
        "l=…, a --var-file, PROVISIONER_VAR_l, or a default",
    ]


def test_undeclared_and_malformed_var(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  title: Gala
events:
{event(title="${{ vars.title }}")}""")
    result = loaded(spec, assignments=("titel=Ball", "title"))
    assert formatted(result) == [
        "--var: 'title' is not name=value",
        "--var titel: no variable `titel` is declared; did you mean `title`? Or declare it "
        "under `vars:`",
    ]
    assert events_of(result)[0]["title"] == "Gala"


def test_a_variable_used_without_a_value(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  city: {{type: string, description: where}}
events:
{event(slug="meetup-${{ vars.city }}")}""")
    result = loaded(spec)
    assert (f"{where(spec, 'meetup-')}: events[0].slug: variable `city` has no value: give it "
            "with --var city=…, a --var-file, PROVISIONER_VAR_city, or a default"
            ) in formatted(result)
    assert "template.vars" not in [p.rule for p in result.problems]
    assert loaded(spec, assignments=("city=leeds",)).ok


def test_an_unused_variable_is_only_a_warning(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", "vars:\n  spare: {type: integer}\nevents:\n" + event())
    result = loaded(spec)
    assert result.ok
    [problem] = result.problems
    assert problem.severity == WARNING
    assert problem.rule == "template.unused"
    assert problem.format() == (f"{spec}:2:3: vars.spare: warning: variable `spare` is declared "
                                "but never used")


@pytest.mark.parametrize(("expression", "message"), [
    ("${{ each.name }}", "`each` is only defined inside an event with `for_each`"),
    ("${{ vars.a + 1 }}", "`${{ vars.a + 1 }}` is not an expression this spec reads: write "
     "`${{ vars.NAME }}` or `${{ each.KEY }}`, with `.key` or `[n]` to reach inside"),
    ("${{ env.HOME }}", "`${{ env.HOME }}` is not an expression this spec reads: write "
     "`${{ vars.NAME }}` or `${{ each.KEY }}`, with `.key` or `[n]` to reach inside"),
    ("${{ vars }}", "`vars` needs a variable name: `${{ vars.NAME }}`"),
    ("${{ vars.venue.citi }}", "`vars.venue` has no `citi`; did you mean `city`? (it has: "
     "name, city)"),
    ("${{ vars.venue.name.first }}", '`vars.venue.name` is the text "Hall"; it has no `first`'),
    ("${{ vars.rooms[2] }}", "`vars.rooms` has 2 items; [2] is past the end"),
    ("${{ vars.rooms.5 }}", "`vars.rooms` has 2 items; [5] is past the end"),
    ("${{ vars.venue[0] }}", "`vars.venue` is a mapping; it has no `0`"),
    ("Rooms ${{ vars.rooms }}", "`vars.rooms` is a list, which cannot be part of a text; make "
     "it the whole value"),
    ("At ${{ vars.venue }}!", "`vars.venue` is a mapping, which cannot be part of a text; make "
     "it the whole value"),
])
def test_expression_errors(tmp_path: Path, expression: str, message: str) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  venue: {{name: Hall, city: Leeds}}
  rooms: [A, B]
x-use: ["${{{{ vars.venue }}}}", "${{{{ vars.rooms }}}}"]
events:
  - slug: gala
    title: "{expression}"
    location: {{name: Hall}}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    result = loaded(spec)
    assert formatted(result) == [f"{spec}:7:12: events[0].title: {message}"]
    assert result.errors[0].rule == "template.expression"


def test_a_variable_declared_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", "vars:\n  city: leeds\n")
    second = write(tmp_path / "b.yaml", "# more\nvars:\n  other: 1\n  city: york\nevents:\n"
                   + event(slug="meetup-${{ vars.city }}", title="${{ vars.other }}x"))
    result = loaded(first, second)
    assert [p.format() for p in result.errors] == [
        f"{second}:4:3: vars.city: variable `city` is declared twice (first at {first}:2)"]
    assert events_of(result)[0]["slug"] == "meetup-leeds"  # the first declaration stands
    assert events_of(result)[0]["title"] == "1x"  # declared in one file, used in another


def test_an_unterminated_expression_is_an_error(tmp_path: Path) -> None:
    """`${{` opens an expression (a literal one is written `$${{`): left open, it is bad
    syntax, not text that reaches the site (and `render`'s output) unexpanded."""
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  name: Gala
events:
{event(title="Hello ${{ vars.name")}""")
    result = loaded(spec)
    assert not result.ok, formatted(result)
    assert any(p.field == "events[0].title" for p in result.errors), formatted(result)


# --- 3. series ------------------------------------------------------------------------------------


def test_for_each_over_a_literal_list_and_a_variable(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
vars:
  year: 2030
  cities:
    - {slug: leeds, name: Leeds}
    - {slug: york, name: York}
events:
  - for_each: ${{ vars.cities }}
    slug: meetup-${{ each.slug }}-${{ vars.year }}
    title: Meetup ${{ each.name }}
    location: {name: "${{ each.name }} Hall"}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
  - slug: plain
    title: Plain
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
  - for_each: [one, two, "${{ vars.year }}"]
    slug: talk-${{ each }}
    title: Talk ${{ each }}
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    result = loaded(spec)
    assert formatted(result) == []
    found = [(e["slug"], e["title"], e["location"]["name"]) for e in events_of(result)]
    assert found == [
        ("meetup-leeds-2030", "Meetup Leeds", "Leeds Hall"),
        ("meetup-york-2030", "Meetup York", "York Hall"),
        ("plain", "Plain", "Hall"),
        ("talk-one", "Talk one", "Hall"),
        ("talk-two", "Talk two", "Hall"),
        ("talk-2030", "Talk 2030", "Hall"),
    ]
    assert all("for_each" not in e for e in events_of(result))


def test_problems_after_a_series_name_the_output_event_and_the_source_line(
        tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
events:
  - for_each: [a, b, c]
    slug: s-${{ each }}
    title: S
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
  - slug: plain
    title: 7
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    assert formatted(loaded(spec)) == [
        f"{where(spec, 'title: 7', skip=len('title: '))}: events[3].title: expected text, "
        'found the number 7; quote it: "7"']


def test_equal_slugs_from_a_series_name_the_instance(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
events:
  - for_each: [{code: x, n: 1}, {code: x, n: 2}]
    slug: day-${{ each.code }}
    title: Day ${{ each.n }}
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    result = loaded(spec)
    [problem] = result.problems
    assert problem.rule == "unique-slug"
    assert problem.field == "events[1].slug (for_each item 2)"
    assert problem.format() == (
        f"{where(spec, 'day-')}: events[1].slug (for_each item 2): a second event with slug "
        f"'day-x' (the first is at {spec}:2); slugs identify events and must be unique")


def test_an_unknown_key_of_each(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", """\
events:
  - for_each: [{name: A}]
    slug: a
    title: ${{ each.nme }}
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    assert formatted(loaded(spec)) == [
        f"{where(spec, '${{')}: events[0].title (for_each item 1): `each` has no `nme`; did you "
        "mean `name`? (it has: name)"]


@pytest.mark.parametrize(("for_each", "found"), [
    ("{a: 1}", "a mapping"),
    ("${{ vars.n }}", "the number 3"),
    ("${{ vars.venue }}", "a mapping"),
    ("solo", 'the text "solo"'),
])
def test_a_for_each_that_is_not_a_list(tmp_path: Path, for_each: str, found: str) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
vars:
  n: 3
  venue: {{a: 1}}
x-use: ["${{{{ vars.n }}}}", "${{{{ vars.venue }}}}"]
events:
  - for_each: {for_each}
    slug: a
    title: A
""")
    result = loaded(spec)
    assert formatted(result) == [f"{spec}:6:15: events[0].for_each: `for_each` takes a list (of "
                                 f"mappings, usually), found {found}"]
    assert events_of(result) == []


# --- 4. event templates ---------------------------------------------------------------------------

BASE = """\
title: Base Title
location:
  name: Hall
  address: {city: Leeds, country: GB}
dateAndTimeSettings:
  timeZoneId: Europe/London
  startDate: 2030-07-01T19:00
  endDate: 2030-07-01T23:00
tickets:
  - name: A
    pricingMethod: {fixedPrice: "0"}
  - name: B
    pricingMethod: {fixedPrice: "0"}
"""


def test_from_merges_mappings_deeply_and_replaces_lists(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "base.yaml", BASE)
    write(tmp_path / "templates" / "mid.yaml", "from: base.yaml\ntitle: Mid Title\n")
    spec = write(tmp_path / "spec.yaml", """\
events:
  - from: templates/base.yaml
    slug: one
    location: {address: {city: York}}
    tickets:
      - name: C
        pricingMethod: {fixedPrice: "0"}
  - from: templates/mid.yaml
    slug: two
""")
    nested = write(tmp_path / "sub" / "deeper" / "spec.yaml", """\
events:
  - from: ../../templates/mid.yaml
    slug: three
    dateAndTimeSettings: {endDate: 2030-07-02T01:00}
""")
    result = loaded(spec, nested)
    assert formatted(result) == []
    one, two, three = events_of(result)
    assert one["title"] == "Base Title"
    assert one["location"] == {"name": "Hall", "address": {"city": "York", "country": "GB"}}
    assert [t["name"] for t in one["tickets"]] == ["C"]
    assert two["title"] == "Mid Title"  # a nested `from`
    assert [t["name"] for t in two["tickets"]] == ["A", "B"]
    assert three["title"] == "Mid Title"
    assert three["dateAndTimeSettings"] == {"timeZoneId": "Europe/London",
                                            "startDate": "2030-07-01T19:00",
                                            "endDate": "2030-07-02T01:00"}
    assert all("from" not in e for e in (one, two, three))


def test_a_template_file_read_twice_is_not_changed_by_the_first_use(tmp_path: Path) -> None:
    write(tmp_path / "base.template.yaml", BASE)
    spec = write(tmp_path / "spec.yaml", """\
events:
  - from: base.template.yaml
    slug: one
    location: {address: {city: York}}
  - from: base.template.yaml
    slug: two
""")
    one, two = events_of(loaded(spec))
    assert one["location"]["address"]["city"] == "York"
    assert two["location"]["address"]["city"] == "Leeds"


def test_a_problem_inside_a_template_names_the_template_and_the_instance(
        tmp_path: Path) -> None:
    template = write(tmp_path / "t" / "base.template.yaml", BASE.replace(
        "  - name: B\n", "  - name: B\n    feeType: WRONG\n"))
    write(tmp_path / "t" / "mid.template.yaml", "from: base.template.yaml\n")
    spec = write(tmp_path / "spec.yaml", """\
events:
  - from: t/mid.template.yaml
    for_each: [a, b]
    slug: ev-${{ each }}
""")
    errors = [p.format() for p in loaded(spec).errors]
    message = "the text \"WRONG\" is not one of FEE_INCLUDED, FEE_ADDED_AT_CHECKOUT, NO_FEE"
    assert errors == [
        f"{where(template, 'WRONG')}: events[0].tickets[1].feeType (for_each item 1): {message}",
        f"{where(template, 'WRONG')}: events[1].tickets[1].feeType (for_each item 2): {message}",
    ]


def test_a_for_each_in_a_template_uses_the_series(tmp_path: Path) -> None:
    write(tmp_path / "talk.template.yaml", "for_each: [x, y]\n" + BASE.replace(
        "title: Base Title", "slug: talk-${{ each }}\ntitle: Talk ${{ each }}"))
    spec = write(tmp_path / "spec.yaml", "events:\n  - from: talk.template.yaml\n")
    result = loaded(spec)
    assert formatted(result) == []
    assert [e["slug"] for e in events_of(result)] == ["talk-x", "talk-y"]


def test_a_problem_in_a_key_beside_from_names_the_referring_file(tmp_path: Path) -> None:
    """A value written beside `from` (overriding the template) was written in the referring
    file, so its problem names that file with its line."""
    write(tmp_path / "templates" / "base.yaml", BASE)
    spec = write(tmp_path / "spec.yaml", """\
events:
  - from: templates/base.yaml
    slug: Bad_Slug
""")
    [problem] = loaded(spec).errors
    assert problem.format().startswith(f"{where(spec, 'Bad_Slug')}: events[0].slug: ")


def test_a_second_slug_from_a_template_points_at_a_real_first_event(tmp_path: Path) -> None:
    """The "first is at FILE:LINE" of a repeated slug names where the first event was
    written: its entry in the spec, or its template; not the spec's file with the template's
    line."""
    template = write(tmp_path / "ev.template.yaml", "# a template\n" + BASE.replace(
        "title: Base Title", "slug: same\ntitle: Same"))
    spec = write(tmp_path / "spec.yaml", "# a spec\n#\n#\n#\n#\nevents:\n"
                 "  - from: ev.template.yaml\n  - from: ev.template.yaml\n    title: Other\n")
    [problem] = loaded(spec).errors
    assert problem.rule == "unique-slug"
    first = re.search(r"the first is at (\S+):(\d+)\)", problem.message)
    assert first is not None, problem.message
    assert (first[1], int(first[2])) in [(str(spec), 7), (str(template), 2)], problem.message


def test_a_template_cycle_is_refused(tmp_path: Path) -> None:
    one = write(tmp_path / "t" / "one.yaml", "from: two.yaml\n")
    two = write(tmp_path / "t" / "two.yaml", "title: x\nfrom: one.yaml\n")
    spec = write(tmp_path / "spec.yaml", "events:\n  - from: t/one.yaml\n    slug: c\n")
    result = loaded(spec)
    assert formatted(result) == [
        f"{two}:2:7: from: one.yaml leads back to a template already being read ({one} -> "
        f"{two})"]
    assert events_of(result) == []


def test_a_template_that_refers_to_itself_is_refused(tmp_path: Path) -> None:
    me = write(tmp_path / "me.yaml", "from: me.yaml\n")
    spec = write(tmp_path / "spec.yaml", "events:\n  - from: me.yaml\n")
    assert formatted(loaded(spec)) == [
        f"{me}:1:7: from: me.yaml leads back to a template already being read ({me})"]


def test_a_missing_template_is_reported_at_the_from_line(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", "events:\n" + event() +
                 "  - slug: other\n    from: templates/missing.yaml\n")
    missing = tmp_path / "templates" / "missing.yaml"
    result = loaded(spec)
    assert formatted(result) == [
        f"{where(spec, 'templates/')}: events[1].from: the template {missing} cannot be read: "
        "No such file or directory"]
    assert [e["slug"] for e in events_of(result)] == ["gala"]


def test_from_needs_a_file_name_and_a_template_holds_a_mapping(tmp_path: Path) -> None:
    listing = write(tmp_path / "list.yaml", "- a\n- b\n")
    spec = write(tmp_path / "spec.yaml", "events:\n  - from: 5\n  - from: list.yaml\n")
    assert formatted(loaded(spec)) == [
        f"{listing}:1:1: a template file holds one event mapping",
        f"{spec}:2:11: events[0].from: `from` takes the path of a template file",
    ]


def test_template_files_in_a_spec_folder_are_not_specs(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder / "templates" / "base.yaml", BASE)
    write(folder / "shared" / "talk.template.yaml", "title: only a fragment\n")
    write(folder / "talk.template.yml", "from: templates/base.yaml\n")
    spec = write(folder / "events.yaml", """\
events:
  - from: templates/base.yaml
    slug: one
  - from: shared/talk.template.yaml
    slug: two
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    result = loaded(folder)
    assert result.files == [str(spec)]
    assert formatted(result) == []
    assert [e["title"] for e in events_of(result)] == ["Base Title", "only a fragment"]
    run = cli(tmp_path, "validate", "specs")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("Valid: 1 file, 2 events, 2 ticket definitions")


def test_load_texts_expands_templates_too(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "base.yaml", BASE)
    text = ("vars:\n  slug: {type: string}\nevents:\n  - from: templates/base.yaml\n"
            "    slug: ${{ vars.slug }}\n")
    result = load_texts([(str(tmp_path / "spec.yaml"), text)],
                        VarInputs(assignments=("slug=from-text",), env={}))
    assert formatted(result) == []
    assert [(e["slug"], e["title"]) for e in events_of(result)] == [("from-text", "Base Title")]


# --- 5. relative times ----------------------------------------------------------------------------

NEW_YORK = times.zone("America/New_York")


def relative_spec(start: str = "2027-03-20T09:00") -> str:
    return f"""\
events:
  - slug: spring
    title: Spring
    location: {{name: Hall}}
    dateAndTimeSettings:
      timeZoneId: America/New_York
      startDate: {start}
      endDate: day 2 17:30:15
    registration: {{tickets: {{currency: USD}}}}
    tickets:
      - name: Early
        pricingMethod: {{fixedPrice: "10.00"}}
        salePeriod: {{startDate: day -30 00:00, endDate: day 0 23:59}}
      - name: Door
        pricingMethod: {{fixedPrice: "12.00"}}
        salePeriod: {{startDate: day 1 08:00, endDate: day 1 09:00}}
    schedule:
      items:
        - name: Talk
          timeSlot: {{start: day 1 10:00, end: day 1 11:00}}
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_relative_times_become_local_times_of_the_event(tmp_path: Path) -> None:
    result = loaded(write(tmp_path / "spec.yaml", relative_spec()))
    assert formatted(result) == []
    [spring] = events_of(result)
    early, door = spring["tickets"]
    assert spring["dateAndTimeSettings"]["endDate"] == "2027-03-21T17:30:15"
    assert early["salePeriod"] == {"startDate": "2027-02-17T00:00",
                                   "endDate": "2027-03-19T23:59"}
    assert door["salePeriod"] == {"startDate": "2027-03-20T08:00",
                                  "endDate": "2027-03-20T09:00"}
    assert spring["schedule"]["items"][0]["timeSlot"] == {"start": "2027-03-20T10:00",
                                                          "end": "2027-03-20T11:00"}
    # across the 14 March 2027 change: -05:00 before it, -04:00 after
    assert times.parse(early["salePeriod"]["startDate"], NEW_YORK).utc == utc("2027-02-17T05:00")
    assert times.parse(door["salePeriod"]["endDate"], NEW_YORK).utc == utc("2027-03-20T13:00")


def test_day_one_is_the_local_start_date_of_a_start_given_in_utc(tmp_path: Path) -> None:
    # 02:00 UTC on the 21st is 22:00 on the 20th in New York
    result = loaded(write(tmp_path / "spec.yaml", relative_spec("2027-03-21T02:00:00Z")))
    assert [p.format() for p in result.errors] == []
    [spring] = events_of(result)
    assert spring["dateAndTimeSettings"]["endDate"] == "2027-03-21T17:30:15"
    assert spring["tickets"][0]["salePeriod"]["startDate"] == "2027-02-17T00:00"


def test_a_relative_time_in_the_daylight_saving_gap_is_refused(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", relative_spec().replace("day -30 00:00",
                                                                 "day -5 02:30"))
    [problem] = loaded(spec).errors
    assert problem.format().startswith(
        f"{where(spec, 'day -5')}: events[0].tickets[0].salePeriod.startDate: "
        "2027-03-14T02:30 does not exist in America/New_York")


def test_a_relative_time_in_a_slot_with_its_own_zone_is_the_events_local_time(
        tmp_path: Path) -> None:
    """`day 1 10:00` is 10:00 in the event's zone (the contract: "the result is a local time
    in the event's zone"), even in a schedule item whose times are read in another zone."""
    spec = write(tmp_path / "spec.yaml", relative_spec().replace(
        "end: day 1 11:00}", "end: day 1 11:00, timeZoneId: Asia/Tokyo}"))
    result = loaded(spec)
    slot = events_of(result)[0]["schedule"]["items"][0]["timeSlot"]
    start = times.parse(slot["start"], times.zone("Asia/Tokyo"))
    assert start.utc == utc("2027-03-20T14:00"), slot  # 10:00 in New York (EDT)
    assert result.warnings == [], formatted(result)


def test_a_relative_start_date_is_an_error(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", relative_spec("day 1 09:00"))
    result = loaded(spec)
    ours = [p.format() for p in result.errors if p.rule == "template.relative"]
    assert ours == [f"{where(spec, 'day 1 09:00')}: events[0].dateAndTimeSettings.startDate: "
                    "the start date is what `day N` counts from, so it cannot be relative "
                    "itself; write a date and time"]


@pytest.mark.parametrize(("settings", "needs"), [
    ("{startDate: 2027-03-20T09:00, endDate: day 1 10:00}",
     "a valid dateAndTimeSettings.timeZoneId"),
    ("{timeZoneId: Mars/Olympus, startDate: 2027-03-20T09:00, endDate: day 1 10:00}",
     "a valid dateAndTimeSettings.timeZoneId"),
    ("{timeZoneId: America/New_York, dateAndTimeTbd: true, dateAndTimeTbdMessage: Soon, "
     "endDate: day 1 10:00}", "a dateAndTimeSettings.startDate"),
])
def test_a_relative_time_needs_the_events_zone_and_start(tmp_path: Path, settings: str,
                                                         needs: str) -> None:
    spec = write(tmp_path / "spec.yaml", f"""\
events:
  - slug: a
    title: A
    location: {{name: Hall}}
    dateAndTimeSettings: {settings}
""")
    ours = [p.format() for p in loaded(spec).errors if p.rule == "template.relative"]
    assert ours == [f"{where(spec, 'day 1')}: events[0].dateAndTimeSettings.endDate: "
                    f"`day 1 10:00` counts from the event's start date, which needs {needs}"]


@pytest.mark.parametrize("text", ["day 1 24:00", "day 1 09:60", "day 1 09:00:60"])
def test_a_relative_time_that_is_no_time_of_day(tmp_path: Path, text: str) -> None:
    spec = write(tmp_path / "spec.yaml", relative_spec().replace("day 1 09:00", text))
    ours = [p.format() for p in loaded(spec).errors if p.rule == "template.relative"]
    assert ours == [f"{where(spec, text)}: events[0].tickets[1].salePeriod.endDate: `{text}` "
                    "is not a time of day"]


# --- 6. render ------------------------------------------------------------------------------------

TEMPLATED = """\
vars:
  year: 2027
  capacity: {type: integer, default: 50}
  zone: {type: string, description: the events' time zone}
  cities:
    type: list
    default:
      - {slug: leeds, name: Leeds, start: 2027-03-20T09:00}
      - {slug: york, name: York, start: 2027-11-08T09:00}
categories:
  - name: Meetups ${{ vars.year }}
events:
  - for_each: ${{ vars.cities }}
    from: templates/meetup.yaml
    slug: meetup-${{ each.slug }}-${{ vars.year }}
    title: Meetup ${{ each.name }}
    dateAndTimeSettings:
      timeZoneId: ${{ vars.zone }}
      startDate: ${{ each.start }}
"""

MEETUP = """\
location: {name: Hall}
categories: ["Meetups ${{ vars.year }}"]
dateAndTimeSettings:
  endDate: day 1 21:00
registration: {tickets: {currency: USD}}
tickets:
  - name: Early
    pricingMethod: {fixedPrice: "10.00"}
    initialLimit: ${{ vars.capacity }}
    salePeriod: {startDate: day -30 00:00, endDate: day 0 23:59}
schedule:
  items:
    - name: Talks
      timeSlot: {start: day 1 18:00, end: day 1 20:00}
"""

LEFTOVERS = re.compile(r"\$\{\{|^\s*vars:|for_each|\bfrom:|\bday -?\d+ \d\d:\d\d", re.M)


def plan_actions(cwd: Path, *args: str) -> list[dict[str, Any]]:
    run = cli(cwd, "plan", "--json", *args)
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert plan["problems"] == []
    actions: list[dict[str, Any]] = plan["actions"]
    return actions


def test_render_writes_a_plain_spec_that_plans_as_the_template(tmp_path: Path) -> None:
    write(tmp_path / "spec.yaml", TEMPLATED)
    write(tmp_path / "templates" / "meetup.yaml", MEETUP)
    write(tmp_path / "values.yaml", "zone: America/New_York\n")
    given = ("--var-file", "values.yaml", "--var", "capacity=80")
    run = cli(tmp_path, "render", "spec.yaml", *given, "--out", "rendered.yaml")
    assert run.returncode == 0, run.stderr
    assert (run.stdout, run.stderr) == ("", "Rendered 2 events to rendered.yaml.\n")
    text = (tmp_path / "rendered.yaml").read_text(encoding="utf-8")
    assert LEFTOVERS.findall(text) == []
    data = read_yaml(text)
    assert data["categories"] == [{"name": "Meetups 2027"}]
    leeds, york = data["events"]
    assert (leeds["slug"], york["slug"]) == ("meetup-leeds-2027", "meetup-york-2027")
    assert leeds["tickets"][0]["initialLimit"] == 80
    assert leeds["tickets"][0]["salePeriod"]["startDate"] == "2027-02-17T00:00"
    # stdout gives the same document as --out
    assert cli(tmp_path, "render", "spec.yaml", *given).stdout == text

    validated = cli(tmp_path, "validate", "rendered.yaml")
    assert (validated.returncode, validated.stderr) == (0, "")
    template_plan = plan_actions(tmp_path, "spec.yaml", *given)
    assert template_plan == plan_actions(tmp_path, "rendered.yaml")
    # the sale period starts before the 14 March change (-05:00), the event after it (-04:00)
    sale = next(a for a in template_plan if a["address"] == "event[meetup-leeds-2027]"
                ".ticket[Early]")
    changes = {c["path"]: c["new"] for c in sale["changes"]}
    assert changes["salePeriod.startDate"] == "2027-02-17T05:00:00.000Z"
    assert changes["salePeriod.endDate"] == "2027-03-20T03:59:00.000Z"
    event_change = next(a for a in template_plan if a["address"] == "event[meetup-leeds-2027]")
    assert {c["path"]: c["new"] for c in event_change["changes"]}[
        "dateAndTimeSettings.startDate"] == "2027-03-20T13:00:00.000Z"
    # York's event is after the November change back (-05:00), its sale period before (-04:00)
    york_sale = next(a for a in template_plan if a["address"] == "event[meetup-york-2027]"
                     ".ticket[Early]")
    assert {c["path"]: c["new"] for c in york_sale["changes"]}[
        "salePeriod.startDate"] == "2027-10-08T04:00:00.000Z"
    york_event = next(a for a in template_plan if a["address"] == "event[meetup-york-2027]")
    assert {c["path"]: c["new"] for c in york_event["changes"]}[
        "dateAndTimeSettings.startDate"] == "2027-11-08T14:00:00.000Z"


def test_render_of_a_spec_with_errors_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "spec.yaml", TEMPLATED)
    write(tmp_path / "templates" / "meetup.yaml", MEETUP)
    (tmp_path / "values.yaml").write_text("zone: America/New_York\n", encoding="utf-8")
    run = cli(tmp_path, "render", "spec.yaml", "--var-file", "values.yaml",
              "--var", "capacity=many", "--out", "out.yaml")
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "--var capacity: variable `capacity`: expected an integer, found 'many'",
        "Error: the spec has 1 error; nothing was rendered",
    ]
    assert not (tmp_path / "out.yaml").exists()
    # a problem inside the template: its file and line, each instance, still nothing written
    write(tmp_path / "templates" / "meetup.yaml", MEETUP.replace(
        "    initialLimit:", "    feeType: SOMETIMES\n    initialLimit:"))
    run = cli(tmp_path, "render", "spec.yaml", "--var-file", "values.yaml", "--out", "out.yaml")
    line = MEETUP.splitlines().index("    initialLimit: ${{ vars.capacity }}") + 1
    message = "the text \"SOMETIMES\" is not one of FEE_INCLUDED, FEE_ADDED_AT_CHECKOUT, NO_FEE"
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"templates/meetup.yaml:{line}:14: events[0].tickets[0].feeType (for_each item 1): "
        + message,
        f"templates/meetup.yaml:{line}:14: events[1].tickets[0].feeType (for_each item 2): "
        + message,
        "Error: the spec has 2 errors; nothing was rendered",
    ]
    assert not (tmp_path / "out.yaml").exists()


def test_render_of_a_literal_expression_validates_on_its_own(tmp_path: Path) -> None:
    """`$${{` renders as `${{` text; the rendered spec must still be valid on its own."""
    write(tmp_path / "spec.yaml", """\
vars:
  name: Gala
events:
  - slug: gala
    title: ${{ vars.name }}
    shortDescription: Write $${{ vars.name }} in your own specs
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    rendered = cli(tmp_path, "render", "spec.yaml", "--out", "rendered.yaml")
    assert rendered.returncode == 0, rendered.stderr
    validated = cli(tmp_path, "validate", "rendered.yaml")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert plan_actions(tmp_path, "spec.yaml") == plan_actions(tmp_path, "rendered.yaml")


# --- the CLI's variable sources -------------------------------------------------------------------


def test_cli_sources_in_order_default_env_var_files_var(tmp_path: Path) -> None:
    write(tmp_path / "spec.yaml", """\
vars:
  a: default
  b: default
  c: default
  d: default
  e: default
events:
  - slug: gala
    title: Sources ${{ vars.a }}/${{ vars.b }}/${{ vars.c }}/${{ vars.d }}/${{ vars.e }}.
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: 2030-07-01T23:00
""")
    write(tmp_path / "one.yaml", "c: one\nd: one\ne: one\n")
    write(tmp_path / "two.yaml", "d: two\ne: two\n")
    env = {f"PROVISIONER_VAR_{name}": "env" for name in "bcde"}
    env["PROVISIONER_VAR_not_declared"] = "ignored"
    run = cli(tmp_path, "render", "spec.yaml", "--var-file", "one.yaml", "--var-file",
              "two.yaml", "--var", "e=cli", env=env)
    assert (run.returncode, run.stderr) == (0, "")
    assert read_yaml(run.stdout)["events"][0]["title"] == "Sources default/env/one/two/cli."
    assert ("# Rendered by `provisioner render` from spec.yaml with --var-file one.yaml "
            "--var-file two.yaml --var e=cli.") in run.stdout


def test_apply_and_destroy_read_variables(tmp_path: Path) -> None:
    write(tmp_path / "spec.yaml", """\
vars:
  city: {type: string}
events:
  - slug: meetup-${{ vars.city }}
    title: Meetup
    location: {name: Hall}
    dateAndTimeSettings:
      timeZoneId: Europe/London
      startDate: 2030-07-01T19:00
      endDate: day 1 23:00
""")
    write(tmp_path / "values.yaml", "city: leeds\n")
    refused = cli(tmp_path, "apply", "--auto-approve", "spec.yaml", "--var", "town=leeds")
    assert refused.returncode == 1
    assert "--var town: no variable `town` is declared" in refused.stderr
    applied = cli(tmp_path, "apply", "--auto-approve", "spec.yaml", "--var-file", "values.yaml")
    assert applied.returncode == 0, applied.stderr
    assert '+ event "meetup-leeds"' in applied.stdout
    same = cli(tmp_path, "plan", "--detailed-exitcode", "spec.yaml", "--var-file", "values.yaml")
    assert same.returncode == 0, same.stdout + same.stderr
    destroyed = cli(tmp_path, "destroy", "--auto-approve", "spec.yaml", "--var", "city=leeds")
    assert destroyed.returncode == 0, destroyed.stderr
    assert '- event "meetup-leeds"' in destroyed.stdout


# --- 7. a spec without templates is untouched -----------------------------------------------------


def test_a_spec_without_templates_loads_as_before() -> None:
    plain = load([str(EXAMPLE)])
    given = load([str(EXAMPLE)], VarInputs())
    empty = load([str(EXAMPLE)], VarInputs(env={}))
    assert plain.ok
    for other in (given, empty):
        assert formatted(other) == formatted(plain)
        assert [d.data for d in other.documents] == [d.data for d in plain.documents]
        assert [(d.values, d.keys, d.files, d.notes) for d in other.documents] == [
            (d.values, d.keys, d.files, d.notes) for d in plain.documents]
    [doc] = plain.documents
    assert (doc.files, doc.notes, doc.eaches) == ({}, {}, {})
    raw, _ = parse_document(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert raw is not None
    assert (doc.data, doc.values, doc.keys, doc.scalars) == (raw.data, raw.values, raw.keys,
                                                             raw.scalars)


def test_a_literal_without_a_closing_brace_pair_is_text_and_exports_read_back(
        tmp_path: Path) -> None:
    """`$${{` is a literal `${{` even with no `}}` after it, and `to_yaml` (export, render)
    escapes every `${{` in a text, so a site's text holding one reads back as itself."""
    from provisioner.export.write import to_yaml
    from provisioner.spec.loader import load

    texts = ["costs ${{ no close", "a $${{ b", "${{ vars.x }} stays text", "$$${{"]
    spec = {"events": [{"slug": f"e{i}", "title": text, "location": {"name": "Hall"},
                        "dateAndTimeSettings": {"timeZoneId": "Europe/London",
                                                "startDate": "2030-07-01T19:00",
                                                "endDate": "2030-07-01T23:00"}}
                       for i, text in enumerate(texts)]}
    (tmp_path / "spec.yaml").write_text(to_yaml(spec, "test", reorder=False), encoding="utf-8")
    result = load([str(tmp_path / "spec.yaml")])
    assert result.ok, [p.format() for p in result.errors]
    assert [e["title"] for d in result.documents for e in d.data["events"]] == texts
