"""What validation reports: a `Problem` (error or warning) at a file, line, column and field path.

Every stage of loading (reading files, YAML, the JSON Schema, the semantic rules) reports
through this one type, so the CLI prints and serialises them all the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"

Path = tuple[str | int, ...]

# A run reports at most this many errors (and as many warnings). Past it they are the same few
# mistakes repeated, and finding every one in a huge broken file could take minutes.
MAX_PROBLEMS = 500


def format_path(path: Iterable[str | int]) -> str:
    """("events", 0, "tickets", 1, "name") -> "events[0].tickets[1].name"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True, order=True)
class Problem:
    """One finding. `line` and `column` are 1-based; 0 means "the file as a whole"."""

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: str = ERROR
    rule: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        label = "warning: " if self.severity == WARNING else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {field}{label}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class TooManyProblems(Exception):
    """Raised by a `Problems` list full of errors: there are more than a run reports."""


class Problems(list[Problem]):
    """Problems found so far, with at most `limit` errors and `limit` warnings. One error more
    raises `TooManyProblems`, which stops the checking that found it; warnings past the limit
    are counted in `dropped` instead, since a warning must never stop a check for errors."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        super().__init__()
        self.limit = limit
        self.errors = 0
        self.dropped = 0  # warnings past the limit
        self.seen: set[Problem] = set()

    def append(self, problem: Problem) -> None:
        if problem in self.seen:
            return  # two checks can find one mistake; it is reported (and counted) once
        self.seen.add(problem)
        if problem.is_error:
            if self.errors >= self.limit:
                raise TooManyProblems
            self.errors += 1
        elif len(self) - self.errors >= self.limit:
            self.dropped += 1
            return
        super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Stable, readable order: by file, then position, errors before warnings at one spot."""
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.severity, p.field, p.message))
