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


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Stable, readable order: by file, then position, errors before warnings at one spot."""
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.severity, p.field, p.message))
