"""`provisioner validate` on a folder of broken specs: each file states what must be reported.

Every file in `tests/spec/invalid/` is a small spec with exactly one mistake (a YAML mistake, a
type, an unknown or refused field, a limit, a semantic rule); every file in `tests/spec/warnings/`
is valid but draws warnings. The real CLI is run on each, as a user runs it, and its output must
be exactly what the file's header says.

The expectation format, in comment lines at the top of the file:

    # Tickets' limitPerCheckout is read-only in V3.
    # expect: 14:9 events[0].tickets[0].limitPerCheckout: registration.tickets.ticketLimitPerOrder
    # expect-warning: 3:12 events[0].title: no `slug`

- `# expect: LINE:COL FIELD: TEXT`: an error printed as `<file>:LINE:COL: FIELD: <message>`
  whose message contains TEXT. `# expect-warning:` is the same for a warning (printed as
  `<file>:LINE:COL: FIELD: warning: <message>`).
- FIELD is `-` for a problem with no field (YAML syntax errors, whole-file problems). LINE:COL is
  `0:0` for a problem about the whole file, which prints as `<file>: <message>`.
- The printed errors must equal the `expect` lines and the printed warnings the
  `expect-warning` lines: each expectation matches a printed problem of its own, and every
  printed problem is matched by one. So a file must be free of incidental problems (give each
  event a `slug`, or it draws a warning).
- `# not-printed: TEXT`: no line of the output may contain TEXT. For a wrong hint added to an
  otherwise right message, which `expect` (a "contains" match) cannot catch.
- Other comment lines are free text: say what the file is about.

A spec that needs several files, or one that cannot hold comments (an empty file), is a
sub-folder holding the spec files and an `expect.txt`. The folder is validated as a whole
(`provisioner validate FOLDER`), and each expectation names the file it is about, relative to the
folder, before its position:

    # expect: b.yaml 3:11 events[0].slug: a second event with slug 'gala'

A file whose name does not end in `.yaml` or `.yml` (and an `expect.txt`) is not a spec; a
sub-folder without an `expect.txt` is a test-suite bug, as is a spec or `expect.txt` without any
expectation line (an `invalid/` case must expect at least one error).

The files are read as bytes and their comments decoded leniently, so a spec can hold bytes that
are not UTF-8 (`invalid/encoding-latin1.yaml`) and still state its expectations.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
INVALID = HERE / "invalid"
WARNINGS = HERE / "warnings"
SPEC_SUFFIXES = (".yaml", ".yml")
EXPECT_FILE = "expect.txt"
WORKERS = 8
TIMEOUT = 120  # seconds for one `validate` run; each takes well under one

# Cases the validator gets wrong today. Each one is a real bug with its reproduction in the case
# file; the test is expected to fail until the validator is fixed (strict: it then must pass,
# and the entry must go).
KNOWN_BUGS: dict[str, str] = {}

EXPECT_RE = re.compile(
    r"^#\s*expect(?P<warning>-warning)?:\s*"
    r"(?:(?P<file>\S+\.ya?ml)\s+)?"
    r"(?P<line>\d+):(?P<column>\d+)\s+"
    r"(?P<field>\S+?):\s(?P<text>.*\S)\s*$"
)
PRINTED_RE = re.compile(
    r"^(?P<file>[^:\s][^:]*?)(?::(?P<line>\d+):(?P<column>\d+))?: "
    r"(?:(?P<field>[^\s:]+): )?"
    r"(?P<warning>warning: )?"
    r"(?P<message>.+)$"
)


@dataclass(frozen=True)
class Problem:
    """A problem as printed, or as expected (then `message` is the text it must contain)."""

    file: str
    line: int
    column: int
    field: str  # "-" when the problem has no field
    message: str
    severity: str  # "error" or "warning"

    def as_expected(self) -> str:
        kind = "expect-warning" if self.severity == "warning" else "expect"
        return f"{kind}: {self.file} {self.line}:{self.column} {self.field}: {self.message}"

    def as_printed(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = "" if self.field == "-" else f"{self.field}: "
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {field}{label}{self.message}"

    def matches(self, printed: Problem) -> bool:
        return (self.file, self.line, self.column, self.field, self.severity) == (
            printed.file, printed.line, printed.column, printed.field, printed.severity
        ) and self.message in printed.message


@dataclass(frozen=True)
class Case:
    """One `validate` run: a spec file, or a sub-folder with an expect.txt."""

    id: str  # e.g. "invalid/yaml-duplicate-key.yaml"
    cwd: Path  # where validate runs, so printed file names are `arg` or under it
    arg: str  # the path given to validate, relative to cwd
    expected: tuple[Problem, ...]
    forbidden: tuple[str, ...]  # texts no output line may contain
    valid: bool  # the exit code and summary expected: 0 / "Valid:" or 1 / "Invalid:"


# --- reading the cases ------------------------------------------------------------------------


def parse_expectations(source: Path, spec_file: str | None
                       ) -> tuple[tuple[Problem, ...], tuple[str, ...]]:
    """The expect and not-printed lines of `source`. `spec_file` is the printed name of the
    file they are about, or None for an expect.txt, whose lines name their file relative to its
    folder."""
    text = source.read_bytes().decode("utf-8", errors="replace")
    found: list[Problem] = []
    forbidden: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        unwanted = re.match(r"^#\s*not-printed:\s*(?P<text>.*\S)\s*$", line)
        if unwanted:
            forbidden.append(unwanted["text"])
            continue
        if not re.match(r"^#\s*expect(-warning)?:", line):
            continue
        match = EXPECT_RE.match(line)
        if match is None:
            raise ValueError(f"{source}:{number}: malformed expectation {line!r}; write "
                             "`# expect: LINE:COL FIELD: TEXT` (see this module's docstring)")
        named = match["file"]
        if spec_file is None:
            if named is None:
                raise ValueError(f"{source}:{number}: an expect.txt line must name its file: "
                                 "`# expect: a.yaml LINE:COL FIELD: TEXT`")
            file = f"{source.parent.name}/{named}"
        else:
            if named is not None:
                raise ValueError(f"{source}:{number}: only an expect.txt names files")
            file = spec_file
        found.append(Problem(file, int(match["line"]), int(match["column"]), match["field"],
                             match["text"], "warning" if match["warning"] else "error"))
    if not found:
        raise ValueError(f"{source} has no `# expect:` lines: every case must say what "
                         "validate reports")
    return tuple(found), tuple(forbidden)


def discover(folder: Path, *, valid: bool) -> Iterator[Case]:
    for path in sorted(folder.iterdir()):
        case_id = f"{folder.name}/{path.name}"
        if path.is_dir():
            expect = path / EXPECT_FILE
            if not expect.is_file():
                raise ValueError(f"{path} is a case folder without an {EXPECT_FILE}")
            yield Case(case_id, folder, path.name, *parse_expectations(expect, None), valid)
        elif path.suffix in SPEC_SUFFIXES:
            yield Case(case_id, folder, path.name, *parse_expectations(path, path.name), valid)


CASES = [*discover(INVALID, valid=False), *discover(WARNINGS, valid=True)]


def _params() -> list[object]:
    params = []
    for case in CASES:
        marks = []
        if case.id in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case.id]))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


# --- running validate ----------------------------------------------------------------------------


def validate(case: Case, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "validate", *options, case.arg],
        cwd=case.cwd, env=env, capture_output=True, text=True, encoding="utf-8",
        errors="replace", timeout=TIMEOUT, check=False,
    )


def run_case(case: Case) -> subprocess.CompletedProcess[str]:
    try:
        return validate(case)
    except subprocess.TimeoutExpired as error:
        return subprocess.CompletedProcess(error.cmd, -1, "", f"timed out after {TIMEOUT} s")


def selected_case(item: pytest.Item) -> Case | None:
    """The case a collected test item runs, if it is one of this module's parametrized tests."""
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("case") if callspec is not None else None
    return case if isinstance(case, Case) else None


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest) -> dict[str, subprocess.CompletedProcess[str]]:
    """The validate run of every case selected in this session, all at once on a few workers
    (so `-k one-case` runs just that one)."""
    selected = {case.id for item in request.session.items if (case := selected_case(item))}
    cases = [case for case in CASES if case.id in selected]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(zip([case.id for case in cases], pool.map(run_case, cases), strict=True))


def parse_output(stdout: str) -> tuple[list[Problem], list[str], str]:
    """(printed problems, lines that are not problems, the summary line)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    summary = lines.pop() if lines else ""
    problems: list[Problem] = []
    strays: list[str] = []
    for line in lines:
        match = PRINTED_RE.match(line)
        if match is None:
            strays.append(line)
            continue
        problems.append(Problem(
            match["file"], int(match["line"] or 0), int(match["column"] or 0),
            match["field"] or "-", match["message"],
            "warning" if match["warning"] else "error",
        ))
    return problems, strays, summary


def match(expected: tuple[Problem, ...], printed: list[Problem]
          ) -> tuple[list[Problem], list[Problem]]:
    """Pair each expectation with a printed problem of its own (a maximum bipartite matching);
    returns (unmatched expectations, unmatched printed problems)."""
    owner: dict[int, int] = {}  # printed index -> expectation index

    def assign(e: int, seen: set[int]) -> bool:
        for p, problem in enumerate(printed):
            if p in seen or not expected[e].matches(problem):
                continue
            seen.add(p)
            if p not in owner or assign(owner[p], seen):
                owner[p] = e
                return True
        return False

    missing = [expected[e] for e in range(len(expected)) if not assign(e, set())]
    extra = [problem for p, problem in enumerate(printed) if p not in owner]
    return missing, extra


def report(case: Case, result: subprocess.CompletedProcess[str], *notes: str) -> str:
    expected = "\n".join(f"  {problem.as_expected()}" for problem in case.expected)
    return "\n".join([
        f"{case.id}: {' '.join(note for note in notes if note)}",
        f"expected:\n{expected}",
        f"exit code {result.returncode}; stdout:\n{result.stdout}stderr:\n{result.stderr}",
    ])


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params())
def test_validate_reports_exactly_what_the_spec_expects(
        case: Case, results: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = results[case.id]
    output = result.stdout + result.stderr
    assert "Traceback" not in output, report(case, result, "validate crashed")
    printed, strays, summary = parse_output(result.stdout)
    assert not strays, report(case, result, f"lines that are not problems: {strays}")
    missing, extra = match(case.expected, printed)
    assert not missing and not extra, report(
        case, result,
        "\nnot printed:\n  " + "\n  ".join(p.as_expected() for p in missing) if missing else "",
        "\nprinted but not expected:\n  " + "\n  ".join(p.as_printed() for p in extra)
        if extra else "",
    )
    for text in case.forbidden:
        assert text not in output, report(case, result, f"printed {text!r}")
    word = "Valid:" if case.valid else "Invalid:"
    assert summary.startswith(word), report(case, result, f"the last line is not {word}")
    assert result.returncode == (0 if case.valid else 1), report(case, result, "exit code")


def test_the_cases_are_well_formed() -> None:
    """Both folders hold cases; an invalid case expects an error, a valid one only warnings."""
    assert any(not case.valid for case in CASES) and any(case.valid for case in CASES)
    for case in CASES:
        severities = {problem.severity for problem in case.expected}
        if case.valid:
            assert severities == {"warning"}, f"{case.id} is in warnings/ but expects errors"
        else:
            assert "error" in severities, f"{case.id} is in invalid/ but expects no error"
    assert set(KNOWN_BUGS) <= {case.id for case in CASES}, "a KNOWN_BUGS entry has no case"


def test_json_output_of_an_invalid_spec() -> None:
    case = next(case for case in CASES if case.id == "invalid/duplicate-slug-derived.yaml")
    result = validate(case, "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    errors = [p for p in case.expected if p.severity == "error"]
    assert data["valid"] is False
    assert data["errors"] == len(errors)
    assert data["warnings"] == len(case.expected) - len(errors)
    assert data["counts"]["events"] == 2
    assert len(data["problems"]) == len(case.expected)
    keys = {"file", "line", "column", "field", "message", "severity", "rule"}
    for problem in data["problems"]:
        assert keys <= problem.keys(), problem
        assert problem["file"] == case.arg
        assert isinstance(problem["line"], int) and isinstance(problem["column"], int)
        assert problem["severity"] in ("error", "warning")
        assert problem["rule"], problem
    printed = [
        Problem(p["file"], p["line"], p["column"], p["field"] or "-", p["message"],
                p["severity"])
        for p in data["problems"]
    ]
    missing, extra = match(case.expected, printed)
    assert not missing and not extra, (missing, extra)
