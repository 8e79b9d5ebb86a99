"""Loading specs from files and folders (`provisioner.spec.loader`) and `provisioner validate`
run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from provisioner.cli.commands import validate_summary as summary
from provisioner.spec.loader import (
    MAX_FILE_BYTES,
    collect_files,
    load,
    load_texts,
    read_text,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "devcon2025.yaml"

CATEGORIES = "categories:\n  - name: Featured\n  - name: Music\n"


def event(slug: str, *, categories: str = "[Featured]", title: str = "Summer Gala") -> str:
    return textwrap.dedent(f"""\
        events:
          - slug: {slug}
            title: {title}
            location: {{name: Town Hall}}
            categories: {categories}
            dateAndTimeSettings:
              timeZoneId: Europe/London
              startDate: 2030-07-01T19:00
              endDate: 2030-07-01T23:00
    """)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- collect_files ------------------------------------------------------------------------------


def test_folder_is_searched_recursively_in_name_order(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", "sub/c.yaml", "sub/deeper/d.yml", "0/z.yaml",
                 "notes.txt", "README.md", "x.json", "yaml", "sub/e.yaml.bak"]:
        write(tmp_path / name, "a: 1\n")
    files, problems = collect_files([str(tmp_path)])
    assert problems == []
    relative = [Path(file).relative_to(tmp_path).as_posix() for file in files]
    assert relative == ["0/z.yaml", "a.yml", "b.yaml", "sub/c.yaml", "sub/deeper/d.yml"]
    assert files == sorted(files)


def test_hidden_folders_and_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "spec.yaml", "a: 1\n")
    write(tmp_path / ".git" / "config.yaml", "a: 1\n")
    write(tmp_path / "sub" / ".cache" / "x.yaml", "a: 1\n")
    write(tmp_path / ".hidden.yaml", "a: 1\n")
    files, problems = collect_files([str(tmp_path)])
    assert problems == []
    assert files == [str(tmp_path / "spec.yaml")]


def test_a_hidden_folder_named_explicitly_is_searched(tmp_path: Path) -> None:
    write(tmp_path / ".specs" / "spec.yaml", "a: 1\n")
    files, problems = collect_files([str(tmp_path / ".specs")])
    assert (files, problems) == ([str(tmp_path / ".specs" / "spec.yaml")], [])


def test_a_folder_without_spec_files(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", "hello\n")
    write(tmp_path / ".git" / "x.yaml", "a: 1\n")
    files, problems = collect_files([str(tmp_path)])
    assert files == []
    [problem] = problems
    assert problem.file == str(tmp_path)
    assert (problem.line, problem.column) == (0, 0)
    assert "no .yaml or .yml files" in problem.message
    assert problem.is_error


def test_a_missing_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    files, problems = collect_files([missing])
    assert files == []
    [problem] = problems
    assert (problem.file, problem.line, problem.column) == (missing, 0, 0)
    assert problem.message == "no such file or folder"
    assert problem.format() == f"{missing}: no such file or folder"


def test_a_broken_symbolic_link(tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    _, problems = collect_files([str(link)])
    assert [p.message for p in problems] == ["a broken symbolic link"]


def test_the_same_file_twice_is_read_once(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", CATEGORIES)
    other = write(tmp_path / "other.yaml", "a: 1\n")
    (tmp_path / "alias.yaml").symlink_to(spec)
    files, problems = collect_files([
        str(spec), str(tmp_path), str(tmp_path / "." / "spec.yaml"), str(tmp_path / "alias.yaml"),
    ])
    assert problems == []
    assert files == [str(spec), str(other)]
    result = load([str(spec), str(spec)])
    assert result.ok
    assert len(result.files) == 1


def test_a_file_with_another_extension_named_explicitly_is_read(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.txt", CATEGORIES)
    files, problems = collect_files([str(spec)])
    assert (files, problems) == ([str(spec)], [])
    result = load([str(spec)])
    assert result.ok
    assert summary(result)["counts"]["categories"] == 2


# --- read_text ----------------------------------------------------------------------------------


def test_read_text_utf8(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.yaml", "name: Café ü\n")
    assert read_text(str(spec)) == ("name: Café ü\n", None)


def test_non_utf8_is_a_problem_with_line_and_column(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.yaml", b"a: 1\nb: x\xffy\n")
    text, problem = read_text(str(spec))
    assert text is None
    assert problem is not None
    assert (problem.file, problem.line, problem.column) == (str(spec), 2, 5)
    assert "not UTF-8" in problem.message
    assert "0xff" in problem.message
    assert problem.is_error


def test_latin1_file(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.yaml", "title: Caf\xe9\n".encode("latin-1"))
    _, problem = read_text(str(spec))
    assert problem is not None
    assert (problem.line, problem.column) == (1, 11)
    assert "0xe9" in problem.message


def test_non_utf8_column_counts_characters(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.yaml", "é: ".encode() + b"\xff\n")
    _, problem = read_text(str(spec))
    assert problem is not None
    assert (problem.line, problem.column) == (1, 4)


def test_non_utf8_after_a_bom(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.yaml", b"\xef\xbb\xbfab: 1\n\xff\n")
    _, problem = read_text(str(spec))
    assert problem is not None
    assert (problem.line, problem.column) == (2, 1)
    assert "0xff" in problem.message


def test_bom_is_accepted(tmp_path: Path) -> None:
    spec = write(tmp_path / "s.yaml", b"\xef\xbb\xbf" + CATEGORIES.encode())
    assert read_text(str(spec)) == (CATEGORIES, None)
    result = load([str(spec)])
    assert result.ok
    assert result.documents[0].keys[("categories",)] == (1, 1)


def test_read_text_of_a_folder(tmp_path: Path) -> None:
    text, problem = read_text(str(tmp_path))
    assert text is None
    assert problem is not None
    assert (problem.line, problem.column, problem.message) == (0, 0, "is a folder")


def test_read_text_of_a_missing_file(tmp_path: Path) -> None:
    _, problem = read_text(str(tmp_path / "gone.yaml"))
    assert problem is not None
    assert problem.message.startswith("cannot be read")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    text, problem = read_text(str(big))
    assert text is None
    assert problem is not None
    assert (problem.line, problem.column) == (0, 0)
    assert f"{MAX_FILE_BYTES + 1:,} bytes" in problem.message
    assert f"at most {MAX_FILE_BYTES:,}" in problem.message
    result = load([str(big)])
    assert not result.ok
    assert result.documents == []


# --- several files ---------------------------------------------------------------------------


def test_categories_in_one_file_events_in_another(tmp_path: Path) -> None:
    write(tmp_path / "a-categories.yaml", CATEGORIES)
    write(tmp_path / "b-events.yaml", event("gala"))
    result = load([str(tmp_path)])
    assert result.problems == []
    assert result.ok
    assert summary(result)["counts"] == {"files": 2, "categories": 2, "events": 1,
                                         "tickets": 0, "scheduleItems": 0, "policies": 0,
                                         "formControls": 0}


def test_the_order_of_files_does_not_matter_for_categories() -> None:
    result = load_texts([("events.yaml", event("gala")), ("categories.yaml", CATEGORIES)])
    assert result.ok, [p.format() for p in result.problems]


def test_unknown_category_without_the_other_file() -> None:
    result = load_texts([("events.yaml", event("gala"))])
    [problem] = result.errors
    assert problem.file == "events.yaml"
    assert problem.field == "events[0].categories[0]"
    assert "unknown category 'Featured'" in problem.message


def test_duplicate_slug_across_files_names_both_files() -> None:
    result = load_texts([("a.yaml", CATEGORIES + event("gala")),
                         ("b.yaml", event("gala", title="Other"))])
    [problem] = result.errors
    assert problem.file == "b.yaml"
    assert problem.field == "events[0].slug"
    assert (problem.line, problem.column) == (2, 11)
    assert "a.yaml:5" in problem.message  # the first event starts on line 5 of a.yaml
    assert "'gala'" in problem.message


def test_duplicate_category_across_files_ignoring_case() -> None:
    result = load_texts([("a.yaml", CATEGORIES), ("b.yaml", "categories:\n  - name: featured\n")])
    [problem] = result.errors
    assert problem.file == "b.yaml"
    assert "a.yaml:2" in problem.message


def test_a_broken_file_does_not_hide_the_others() -> None:
    result = load_texts([("a.yaml", "a: [\n"), ("b.yaml", event("x", categories="[Nope]"))])
    assert {p.file for p in result.errors} == {"a.yaml", "b.yaml"}
    assert len(result.documents) == 1


def test_problems_are_sorted_and_unique() -> None:
    result = load_texts([("b.yaml", event("x", categories="[Nope]")),
                         ("a.yaml", "events: 5\nevents: 6\n")])
    keys = [(p.file, p.line, p.column) for p in result.problems]
    assert keys == sorted(keys)
    assert len(set(result.problems)) == len(result.problems)


@pytest.mark.parametrize("price", ["NaN", "sNaN", "-NaN"])
def test_nan_price_is_a_problem_not_a_crash(price: str) -> None:
    # regression: Decimal("NaN") > 0 raised InvalidOperation (fixed in 5c214d0)
    spec = textwrap.dedent("""\
        events:
          - slug: x
            title: X
            location: {name: Hall}
            registration: {tickets: {currency: USD}}
            dateAndTimeSettings: {timeZoneId: UTC, startDate: 2030-07-01T19:00,
                                  endDate: 2030-07-01T23:00}
            tickets:
              - name: A
                pricingMethod: {fixedPrice: "%s"}
    """) % price
    result = load_texts([("a.yaml", spec)])
    assert [p.field for p in result.errors] == ["events[0].tickets[0].pricingMethod.fixedPrice"]


def test_a_trailing_newline_is_not_a_valid_slug() -> None:
    # regression: patterns were checked with re.search, where `$` also matches before a final
    # newline (fixed in 5c214d0)
    result = load_texts([("a.yaml", CATEGORIES + event('"gala\\n"'))])
    assert [p.field for p in result.errors] == ["events[0].slug"]
    block = CATEGORIES + event("gala").replace("slug: gala", "slug: |\n        gala")
    result = load_texts([("b.yaml", block)])
    assert result.documents[0].data["events"][0]["slug"] == "gala\n"
    assert [p.field for p in result.errors] == ["events[0].slug"]


def test_summary_json_shape() -> None:
    result = load_texts([("a.yaml", CATEGORIES + event("gala", categories="[Nope]"))])
    outcome = summary(result)
    assert json.loads(json.dumps(outcome)) == outcome
    assert set(outcome) == {"valid", "errors", "warnings", "counts", "problems", "truncated",
                            "warnings_not_listed"}
    assert (outcome["truncated"], outcome["warnings_not_listed"]) == (False, 0)
    assert outcome["valid"] is False
    assert outcome["errors"] == 1
    assert outcome["warnings"] == 0
    assert outcome["counts"] == {"files": 1, "categories": 2, "events": 1, "tickets": 0,
                                 "scheduleItems": 0, "policies": 0, "formControls": 0}
    [problem] = outcome["problems"]
    assert set(problem) == {"file", "line", "column", "field", "message", "severity", "rule"}
    assert problem["file"] == "a.yaml"
    assert problem["field"] == "events[0].categories[0]"
    assert problem["severity"] == "error"
    assert problem["rule"] == "unknown-category"
    assert isinstance(problem["line"], int) and problem["line"] > 0


def test_summary_of_the_example() -> None:
    outcome = summary(load([str(EXAMPLE)]))
    assert outcome == {
        "valid": True, "errors": 0, "warnings": 0, "problems": [], "truncated": False,
        "warnings_not_listed": 0,
        "counts": {"files": 1, "categories": 1, "events": 1, "tickets": 3,
                   "scheduleItems": 15, "policies": 3, "formControls": 2},
    }


# --- the CLI, as a subprocess -------------------------------------------------------------------

LINE = re.compile(r"^[^:]+:\d+:\d+: \S+: .+$")
NO_POSITION = re.compile(r"^[^:]+: .+$")
NO_FIELD = re.compile(r"^[^:]+:\d+:\d+: .+$")


def validate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "validate", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env={**os.environ, **(env or {})},
    )


def no_traceback(run: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in run.stdout + run.stderr


def test_cli_validates_the_example() -> None:
    run = validate("examples/devcon2025.yaml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ("Valid: 1 file, 1 category, 1 event, 3 ticket definitions, "
                          "3 policies, 15 schedule items, 2 form controls; 0 warnings.\n")
    assert run.stderr == ""


def test_cli_json_on_the_example() -> None:
    run = validate("--json", "examples/devcon2025.yaml")
    assert run.returncode == 0
    outcome = json.loads(run.stdout)
    assert outcome["valid"] is True
    assert (outcome["errors"], outcome["warnings"], outcome["problems"]) == (0, 0, [])
    assert outcome["counts"] == {"files": 1, "categories": 1, "events": 1, "tickets": 3,
                                 "scheduleItems": 15, "policies": 3, "formControls": 2}


def test_cli_json_on_an_invalid_spec(tmp_path: Path) -> None:
    spec = write(tmp_path / "bad.yaml", event("gala", categories="[Nope]"))
    run = validate(str(spec), "--json")
    assert run.returncode == 1
    outcome = json.loads(run.stdout)
    assert outcome["valid"] is False
    assert outcome["errors"] == len(outcome["problems"]) == 1
    no_traceback(run)


def test_cli_folder(tmp_path: Path) -> None:
    write(tmp_path / "categories.yaml", CATEGORIES)
    write(tmp_path / "events" / "gala.yaml", event("gala"))
    write(tmp_path / "events" / "fair.yml", event("fair", categories="[Music]"))
    run = validate(str(tmp_path))
    assert run.returncode == 0, run.stdout
    assert run.stdout == "Valid: 3 files, 2 categories, 2 events; 0 warnings.\n"


def test_cli_two_files(tmp_path: Path) -> None:
    first = write(tmp_path / "one.yaml", CATEGORIES)
    second = write(tmp_path / "two.yaml", event("gala"))
    run = validate(str(first), str(second))
    assert run.returncode == 0, run.stdout
    assert run.stdout.startswith("Valid: 2 files, 2 categories, 1 event;")


def test_cli_missing_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    run = validate(missing)
    assert run.returncode == 1
    no_traceback(run)
    lines = run.stdout.splitlines()
    # one line for the problem, then the summary
    assert lines == [f"{missing}: no such file or folder",
                     "Invalid: 1 error and 0 warnings in 0 files."]


def test_cli_without_arguments_is_a_usage_error() -> None:
    run = subprocess.run([sys.executable, "-m", "provisioner.cli", "validate"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 2
    no_traceback(run)
    assert "Usage:" in run.stderr
    # no path and no workspace (the repository has no provisioner.toml): say what is missing
    assert "no spec given: name spec files or folders" in run.stderr


def test_cli_unknown_flag_is_a_usage_error() -> None:
    run = validate("--bogus", "examples/devcon2025.yaml")
    assert run.returncode == 2
    no_traceback(run)
    assert "No such option" in run.stderr


INVALID = textwrap.dedent("""\
    categories:
      - name: Featured
      - name: featured
    events:
      - slug: Bad Slug
        title: ""
        colour: red
        location: {name: Town Hall}
        categories: [Nope]
        dateAndTimeSettings:
          timeZoneId: Mars/Olympus
          startDate: 2030-07-01T19:00
          endDate: 2030-07-01T18:00
        tickets:
          - name: A
            pricingMethod: {fixedPrice: 10}
          - name: A
            pricingMethod: {fixedPrice: "5"}
            feeType: NO_FEE
      - title: No Slug Here
        location: {name: Hall}
        dateAndTimeSettings:
          timeZoneId: UTC
          startDate: 2030-07-01T19:00
          endDate: 2030-07-01T23:00
""")


def test_cli_invalid_spec_output_lines(tmp_path: Path) -> None:
    spec = write(tmp_path / "bad.yaml", INVALID)
    broken = write(tmp_path / "broken.yaml", "a: [\n")
    latin = write(tmp_path / "latin.yaml", b"title: Caf\xe9\n")
    run = validate(str(spec), str(broken), str(latin), str(tmp_path / "gone.yaml"),
                   env={"NO_COLOR": "1"})
    assert run.returncode == 1
    no_traceback(run)
    *problems, last = run.stdout.splitlines()
    # the summary counts every file checked, unreadable ones too (not the missing path)
    assert re.fullmatch(r"Invalid: \d+ errors and \d+ warnings? in 3 files\.", last)
    assert len(problems) >= 10
    for line in problems:
        # a problem of the whole file (a YAML syntax error, a byte that is not UTF-8) has a
        # position but no field: `file:line:column: message`
        assert LINE.match(line) or NO_POSITION.match(line) or NO_FIELD.match(line), line
    # every problem of the invalid spec carries a position and a field
    assert all(LINE.match(line) for line in problems if line.startswith(str(spec)))
    assert sum(line.startswith(str(spec)) for line in problems) >= 9
    assert any(": warning: " in line for line in problems)


def test_cli_problems_not_about_a_field_print_without_one(tmp_path: Path) -> None:
    """A YAML syntax error or a bad byte concerns the file, not a field: it prints in the
    compiler form `file:line:column: message` that editors' problem matchers read."""
    broken = write(tmp_path / "broken.yaml", "a: [\n")
    latin = write(tmp_path / "latin.yaml", b"title: Caf\xe9\n")
    run = validate(str(broken), str(latin))
    assert run.returncode == 1
    *problems, _ = run.stdout.splitlines()
    assert len(problems) == 2
    assert re.match(r"^[^:]+broken\.yaml:2:1: YAML syntax error: ", problems[0]), problems[0]
    assert re.match(r"^[^:]+latin\.yaml:1:11: is not UTF-8 text \(byte 0xe9\)", problems[1]), \
        problems[1]


@pytest.mark.parametrize("flag", [[], ["--json"]])
def test_cli_no_color(tmp_path: Path, flag: list[str]) -> None:
    spec = write(tmp_path / "bad.yaml", INVALID)
    for env in ({"NO_COLOR": "1"}, {}):
        run = validate(*flag, str(spec), env=env)
        assert run.returncode == 1
        assert "\x1b[" not in run.stdout + run.stderr
    run = validate(*flag, "examples/devcon2025.yaml", env={"NO_COLOR": "1"})
    assert run.returncode == 0
    assert "\x1b[" not in run.stdout + run.stderr


def test_cli_time_zone_that_is_a_tzdata_folder(tmp_path: Path) -> None:
    # regression: IsADirectoryError and a traceback (fixed in 5c214d0)
    spec = write(tmp_path / "tz.yaml", event("gala", categories="[]").replace(
        "Europe/London", "America"))
    run = validate(str(spec))
    no_traceback(run)
    assert run.returncode == 1
    assert "unknown time zone 'America'" in run.stdout


def test_cli_time_at_the_end_of_the_calendar(tmp_path: Path) -> None:
    spec = write(tmp_path / "late.yaml", event("gala", categories="[]").replace(
        "2030-07-01T23:00", "9999-12-31T23:59").replace("Europe/London", "America/Denver"))
    run = validate(str(spec))
    # regression: OverflowError and a traceback (fixed in 5c214d0)
    no_traceback(run)
    assert run.returncode == 1
    assert "events[0].dateAndTimeSettings.endDate" in run.stdout
    assert "year 1 or 9999" in run.stdout
