"""Load a spec from files and folders and validate it: the one entry point of `provisioner.spec`.

Nothing here raises for a user's mistake: unreadable paths, bad encodings, YAML errors, schema
violations and rule violations all come back as `Problem`s, every one of them at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from . import templates
from .files import MAX_FILE_BYTES, STDIN, Unreadable, file_problem, read_bounded, read_text
from .problems import MAX_PROBLEMS, Problem, Problems, TooManyProblems, sort_problems
from .rules import check_spec
from .schema import check_document
from .source import Document, parse_document
from .templates import VarInputs

SPEC_SUFFIXES = (".yaml", ".yml")
__all__ = ["MAX_FILE_BYTES", "LoadResult", "Unreadable", "collect_files", "load", "load_texts",
           "read_bounded", "read_text"]


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file checked, readable or not
    truncated: bool = False  # checking stopped at MAX_PROBLEMS errors; there are more
    dropped_warnings: int = 0  # warnings found past MAX_PROBLEMS, not listed

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def collect_files(paths: Sequence[str]) -> tuple[list[str], list[Problem]]:
    """The spec files `paths` name (folders searched for *.yaml / *.yml), in a stable order."""
    files: list[str] = []
    problems: list[Problem] = []
    seen: set[str] = set()

    def add(file: str) -> None:
        real = os.path.realpath(file)
        if real not in seen:
            seen.add(real)
            files.append(file)

    for given in paths:
        if given == "-":  # the spec piped in; read once however often it is named
            if STDIN not in seen:
                seen.add(STDIN)
                files.append(STDIN)
            continue
        path = FsPath(given)
        if path.is_dir():
            found = sorted(
                str(child) for child in path.rglob("*")
                if child.suffix in SPEC_SUFFIXES and child.is_file()
                and not any(part.startswith(".") for part in child.relative_to(path).parts)
                # an event template (read through `from`) is not a spec of its own
                and not templates.is_template_file(child.relative_to(path))
            )
            if not found:
                problems.append(file_problem(given, "no .yaml or .yml files in this folder"))
            for file in found:
                add(file)
        elif path.exists():
            add(given)
        elif path.is_symlink():
            problems.append(file_problem(given, "a broken symbolic link"))
        else:
            problems.append(file_problem(given, "no such file or folder"))
    return files, problems


def load_texts(sources: Iterable[tuple[str, str]], variables: VarInputs | None = None
               ) -> LoadResult:
    """Validate specs given as (file name, text) pairs, reporting at most `MAX_PROBLEMS`
    errors. Template constructs (variables, series, `from`, relative times) are expanded
    first, with `variables` giving values from outside the spec."""
    result = LoadResult()
    found = Problems(MAX_PROBLEMS)
    try:
        parsed: list[Document] = []
        for file, text in sources:
            result.files.append(file)
            doc, _ = parse_document(text, file, found)
            if doc is not None:
                parsed.append(doc)
        declared = templates.resolve_variables(parsed, variables, found)
        cache: dict[str, Document | None] = {}
        for doc in parsed:
            expanded = templates.expand(doc, declared, found, cache)
            if expanded is not None:
                result.documents.append(expanded)
                check_document(expanded, found)
        templates.unused_variables(declared, found)
        check_spec(result.documents, found)
    except TooManyProblems:
        result.truncated = True
    result.dropped_warnings = found.dropped
    result.problems = sort_problems(found)
    return result


def load(paths: Sequence[str], variables: VarInputs | None = None) -> LoadResult:
    """Read, parse, expand and validate every spec file that `paths` name."""
    files, problems = collect_files(paths)

    def sources() -> Iterator[tuple[str, str]]:
        # one file's text at a time: it is parsed before the next is read
        for file in files:
            text, problem = read_text(file)
            if problem is not None:
                problems.append(problem)
            elif text is not None:
                yield file, text

    result = load_texts(sources(), variables)
    result.files = files  # unreadable files count too: they are part of what was checked
    result.problems = sort_problems([*problems, *result.problems])
    return result
