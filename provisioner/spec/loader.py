"""Load a spec from files and folders and validate it: the one entry point of `provisioner.spec`.

Nothing here raises for a user's mistake: unreadable paths, bad encodings, YAML errors, schema
violations and rule violations all come back as `Problem`s, every one of them at once.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from .problems import MAX_PROBLEMS, Problem, Problems, TooManyProblems, sort_problems
from .rules import check_spec
from .schema import check_document
from .source import Document, parse_document

SPEC_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 20 * 1024 * 1024


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


def _file_problem(file: str, message: str, rule: str = "file") -> Problem:
    return Problem(file, 0, 0, "", message, rule=rule)


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
        path = FsPath(given)
        if path.is_dir():
            found = sorted(
                str(child) for child in path.rglob("*")
                if child.suffix in SPEC_SUFFIXES and child.is_file()
                and not any(part.startswith(".") for part in child.relative_to(path).parts)
            )
            if not found:
                problems.append(_file_problem(given, "no .yaml or .yml files in this folder"))
            for file in found:
                add(file)
        elif path.exists():
            add(given)
        elif path.is_symlink():
            problems.append(_file_problem(given, "a broken symbolic link"))
        else:
            problems.append(_file_problem(given, "no such file or folder"))
    return files, problems


class Unreadable(Exception):
    """A file that is not read: what it is, in words that follow its name."""


def read_text(file: str) -> tuple[str | None, Problem | None]:
    """The file's text as UTF-8 (a byte-order mark is allowed), or why it cannot be read."""
    try:
        raw = read_bounded(file, MAX_FILE_BYTES, "a spec file")
    except Unreadable as refused:
        return None, _file_problem(file, str(refused))
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad = skip + error.start  # an offset into the raw bytes
        line_start = raw.rfind(b"\n", 0, bad) + 1
        line = raw[:bad].count(b"\n") + 1
        # columns count characters, as the YAML parser's do
        column = len(raw[max(line_start, skip):bad].decode("utf-8", "replace")) + 1
        return None, Problem(file, line, column, "", f"is not UTF-8 text (byte "
                             f"0x{raw[bad]:02x}); save the file as UTF-8", rule="encoding")


def read_bounded(file: str, limit: int, noun: str) -> bytes:
    """At most `limit` bytes of the regular file `file`, whatever its size says: a device
    (`/dev/zero`) reports size 0 and never ends, and a FIFO would block. Raises `Unreadable`
    with the reason (`noun` names the file's role in it: "a spec file")."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang before it can be refused
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise Unreadable("is a folder") from None
    except PermissionError:
        raise Unreadable("cannot be read: permission denied") from None
    except OSError as error:
        raise Unreadable(f"cannot be read: {error.strerror or error}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise Unreadable("is a folder" if stat.S_ISDIR(status.st_mode) else
                         "not a regular file")
    if status.st_size > limit:
        os.close(fd)
        raise _too_big(status.st_size, limit, noun)
    with os.fdopen(fd, "rb") as stream:
        try:
            raw = stream.read(limit + 1)  # a file that grew since is cut off here
        except OSError as error:
            raise Unreadable(f"cannot be read: {error.strerror or error}") from None
    if len(raw) > limit:
        raise _too_big(None, limit, noun)
    return raw


def _too_big(size: int | None, limit: int, noun: str) -> Unreadable:
    said = f"{size:,}" if size is not None else f"more than {limit:,}"
    return Unreadable(f"is {said} bytes; {noun} may be at most {limit:,}")


def load_texts(sources: Iterable[tuple[str, str]]) -> LoadResult:
    """Validate specs given as (file name, text) pairs, reporting at most `MAX_PROBLEMS`."""
    result = LoadResult()
    found = Problems(MAX_PROBLEMS)
    try:
        for file, text in sources:
            result.files.append(file)
            doc, _ = parse_document(text, file, found)
            if doc is not None:
                result.documents.append(doc)
                check_document(doc, found)
        check_spec(result.documents, found)
    except TooManyProblems:
        result.truncated = True
    result.dropped_warnings = found.dropped
    result.problems = sort_problems(found)
    return result


def load(paths: Sequence[str]) -> LoadResult:
    """Read, parse and validate every spec file that `paths` name."""
    files, problems = collect_files(paths)

    def sources() -> Iterator[tuple[str, str]]:
        # one file's text at a time: it is parsed before the next is read
        for file in files:
            text, problem = read_text(file)
            if problem is not None:
                problems.append(problem)
            elif text is not None:
                yield file, text

    result = load_texts(sources())
    result.files = files  # unreadable files count too: they are part of what was checked
    result.problems = sort_problems([*problems, *result.problems])
    return result
