"""Read one YAML spec file into plain Python values, remembering where every value was written.

The values are built straight from the parser's event stream (libyaml when available) with an
explicit stack, not from PyYAML's composed node tree, because:
- the position of every key and value is kept, so each problem can name its line and column;
- nothing recurses, so a hostile or broken file cannot overflow the stack (libyaml's own
  composer crashes the interpreter on a few thousand nested brackets);
- scalars are resolved the YAML 1.2 way: only `true`/`false` are booleans (Norway's `NO` stays
  a country code) and timestamps stay text, because the spec reads times itself, in the event's
  time zone.

Anchors, aliases and merge keys (`<<`) work. An alias shares the anchored value, and the total
size after expanding aliases is capped, so a "billion laughs" file is refused, not expanded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from .problems import Path, Problem, format_path
from .scalars import EXPLICIT_TAGS, TEXT_TAGS, resolve_plain

MAX_VALUES = 250_000  # after alias expansion; bench/spec.py's 100 events x 50 children is ~47,000
MAX_DEPTH = 64  # the spec language itself nests fewer than 10 levels

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed



class Mark(NamedTuple):
    """A 1-based position. Documents store plain (line, column) tuples, which are much cheaper
    to make for every value of a large file; `Document.mark` hands out Marks."""

    line: int
    column: int


@dataclass
class Document:
    """One loaded file: its data and where each part of it was written."""

    file: str
    data: Any
    values: dict[Path, Mark] = field(default_factory=dict)  # where each value starts
    keys: dict[Path, Mark] = field(default_factory=dict)  # where each mapping key is
    scalars: dict[Path, str] = field(default_factory=dict)  # source text of non-text scalars
    # after template expansion (templates.py): the file a part came from when it is not this
    # one (a `from` template), which series item made an event, and that item's value
    files: dict[Path, str] = field(default_factory=dict)
    notes: dict[Path, str] = field(default_factory=dict)
    eaches: dict[Path, Any] = field(default_factory=dict)

    def mark(self, path: Path, *, key: bool = False) -> Mark:
        """Where `path` was written (its key if `key`), else its nearest written ancestor."""
        if key and path in self.keys:
            return Mark(*self.keys[path])
        probe = tuple(path)
        while probe:
            if probe in self.values:
                return Mark(*self.values[probe])
            probe = probe[:-1]
        return Mark(*self.values.get((), (1, 1)))

    def problem(self, path: Path, message: str, *, key: bool = False, severity: str = "error",
                rule: str = "") -> Problem:
        mark = self.mark(path, key=key)
        file, field_text = self.file, format_path(path)
        if self.files or self.notes:
            file = _nearest(self.files, path) or file
            note = _nearest(self.notes, path)
            field_text += f" ({note})" if note else ""
        return Problem(file, mark.line, mark.column, field_text, message, severity, rule)


def where(doc: Document, path: Path) -> str:
    """`file:line` of `path` in `doc`, for messages that point at another value."""
    mark = doc.mark(path)
    return f"{_nearest(doc.files, path) or doc.file}:{mark.line}"


def _nearest(found: dict[Path, str], path: Path) -> str | None:
    """The entry of `found` for `path` or its nearest ancestor."""
    probe = tuple(path)
    while True:
        if probe in found:
            return found[probe]
        if not probe:
            return None
        probe = probe[:-1]


class SourceError(Exception):
    """The file cannot be read as one YAML document; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


def _mark(event_mark: Any) -> Mark:
    return (event_mark.line + 1, event_mark.column + 1)  # type: ignore[return-value]


@dataclass
class _Frame:
    value: dict[str, Any] | list[Any]
    path: Path | None  # None: a container used as a mapping key, which is dropped
    mark: Mark
    anchor: str | None
    size: int = 1
    key: tuple[str, Mark, bool] | None = None  # (text, mark, plain) awaiting its value
    merges: list[tuple[Any, Mark]] = field(default_factory=list)
    is_key: bool = False  # a list or mapping written where a mapping key belongs
    # the key awaiting its value was a list or mapping (reported, then dropped with its value);
    # a flag, not a stand-in key text, so no key a user writes can be mistaken for it
    dropping: bool = False


class _Builder:
    """Turns a parser's events into values, positions and problems (no recursion)."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.doc = Document(file, None)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.total = 0
        self.problems = problems
        self.first_keys: dict[Path, Mark] = {}  # where a key was first written

    def fail(self, mark: Mark, message: str, path: Path = ()) -> SourceError:
        return SourceError(Problem(self.doc.file, mark[0], mark[1], format_path(path),
                                   message, rule="yaml"))

    def child_path(self) -> Path | None:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        if top.key is None or top.dropping:
            return None  # this value is itself a key, or belongs to a dropped key
        return (*top.path, top.key[0])

    def scalar(self, event: Any) -> None:
        mark = _mark(event.start_mark)
        text: str = event.value
        plain = bool(event.implicit[0]) and not event.style  # libyaml gives "", PyYAML None
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is None:
            # mapping keys are taken as the text written: `NO:` or `1:` stays a text key
            top.key = (text, mark, plain)
            if event.anchor:
                self.anchors[event.anchor] = (text, 1)
            return
        value = self.resolve(event, text, mark, plain)
        self.total += 1
        if self.total > MAX_VALUES:
            self.count(0, mark)  # raises
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.add(value, mark, 1, source=text if plain and not isinstance(value, str) else None)

    def resolve(self, event: Any, text: str, mark: Mark, plain: bool) -> Any:
        tag = event.tag
        if tag is None or tag in TEXT_TAGS:
            return resolve_plain(text) if plain and tag is None else text
        if tag in EXPLICIT_TAGS:
            try:
                return EXPLICIT_TAGS[tag](text)
            except (KeyError, ValueError):
                raise self.fail(mark, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}",
                                self.child_path() or ()) from None
        raise self.fail(mark, f"the YAML tag {tag} is not supported here; write a plain value",
                        self.child_path() or ())

    def count(self, size: int, mark: Mark) -> None:
        """Count values as they are made (an alias counts everything it repeats)."""
        self.total += size
        if self.total > MAX_VALUES:
            cause = " (aliases repeating large blocks?)" if self.anchors else ""
            raise self.fail(mark, f"the file holds more than {MAX_VALUES:,} values{cause}; "
                            "split it into several files")

    def add(self, value: Any, mark: Mark, size: int, *, source: str | None = None) -> None:
        """Place a finished value (of `size` values in all) in its parent."""
        path = self.child_path()
        if not self.stack:
            self.doc.data = value
            self.doc.values[()] = mark
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            top.value.append(value)
        else:
            assert top.key is not None
            key, key_mark, key_plain = top.key
            top.key = None
            if top.dropping:
                top.dropping = False
                return
            if key == "<<" and key_plain:
                top.merges.append((value, mark))
                return
            if path is not None and key in top.value:
                first = self.first_keys.get(path)
                where = f" (first at line {first[0]})" if first else ""
                self.problems.append(Problem(
                    self.doc.file, key_mark[0], key_mark[1], format_path(path),
                    f"duplicate key `{key}`{where}; each key may appear once in a mapping",
                    rule="yaml.duplicate-key"))
            top.value[key] = value
            if path is not None:
                self.doc.keys[path] = key_mark
                self.first_keys.setdefault(path, key_mark)
        if path is not None:
            self.doc.values[path] = mark
            if source is not None:
                self.doc.scalars[path] = source
            else:
                self.doc.scalars.pop(path, None)  # a duplicate key replaced a number

    def start(self, event: Any, container: dict[str, Any] | list[Any]) -> None:
        mark = _mark(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(mark, f"nested more than {MAX_DEPTH} levels deep")
        self.count(1, mark)
        if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
            raise self.fail(mark, f"the YAML tag {event.tag} is not supported here",
                            self.child_path() or ())
        path = self.child_path()
        top = self.stack[-1] if self.stack else None
        is_key = top is not None and isinstance(top.value, dict) and top.key is None
        if is_key and top is not None and top.path is not None:
            self.problems.append(Problem(self.doc.file, mark[0], mark[1],
                                         format_path(top.path),
                                         "a mapping key must be plain text, not a list or "
                                         "mapping", rule="yaml"))
        self.stack.append(_Frame(container, path, mark, event.anchor, is_key=is_key))

    def end(self) -> None:
        frame = self.stack.pop()
        if isinstance(frame.value, dict):
            self.merge(frame)
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.value, frame.size)
        if frame.is_key:
            # a container used as a key: drop it and the value that follows
            self.stack[-1].key = ("", frame.mark, False)
            self.stack[-1].dropping = True
            return
        self.add(frame.value, frame.mark, frame.size)

    def merge(self, frame: _Frame) -> None:
        """Apply `<<` merge keys: explicit keys win, then earlier merged mappings."""
        for value, mark in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    raise self.fail(mark, "a merge key (<<) takes a mapping or a list of "
                                    "mappings", frame.path or ())
                assert isinstance(frame.value, dict), "merge keys belong to a mapping"
                for key, item in source.items():
                    frame.value.setdefault(key, item)

    def alias(self, event: Any) -> None:
        mark = _mark(event.start_mark)
        if event.anchor not in self.anchors:
            raise self.fail(mark, f"the alias *{event.anchor} refers to no anchor defined "
                            "before it (an alias cannot refer to its own enclosing block)",
                            self.child_path() or ())
        value, size = self.anchors[event.anchor]
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is None:
            if not isinstance(value, str):
                raise self.fail(mark, "an alias used as a mapping key must refer to text")
            top.key = (value, mark, False)
            return
        self.count(size, mark)
        self.add(value, mark, size)


# what usually causes libyaml's terser complaints, as advice for the spec author
_SYNTAX_ADVICE = {
    "did not find expected key": "check the indentation of this line against the lines "
    "above it",
    "did not find expected '-' indicator": "check the indentation of this list item",
    "mapping values are not allowed": "a value containing `: ` needs quotes, or this "
    "line is indented too far",
    "found character '\\t' that cannot start any token": "YAML is indented with spaces, "
    "not tabs",
    "found character that cannot start any token": "a value starting with `@`, `` ` `` or "
    "`%` needs quotes",
    "found unexpected end of stream": "a quote or bracket is not closed",
    "found undefined alias": "define the anchor (&name) before using the alias (*name)",
}


def _syntax_problem(file: str, text: str, error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None and problem.startswith("found character that cannot start") and \
            0 <= mark.index < len(text) and text[mark.index] == "\t":
        problem = problem.replace("character", "character '\\t'", 1)
    context = getattr(error, "context", None)
    message = f"YAML syntax error: {problem}"
    if context and getattr(error, "context_mark", None) is not None:
        cm = error.context_mark
        message += f" ({context} at line {cm.line + 1}, column {cm.column + 1})"
    advice = next((tip for start, tip in _SYNTAX_ADVICE.items() if problem.startswith(start)),
                  None)
    if advice:
        message += f"; {advice}"
    if mark is None:
        return Problem(file, 0, 0, "", message, rule="yaml")
    return Problem(file, mark.line + 1, mark.column + 1, "", message, rule="yaml")


def _within(text: str, problem: Problem) -> Problem:
    """Keep a position inside the file: at the end of input libyaml points past the last
    line of a file that does not end with a newline."""
    lines = text.split("\n")  # a final newline leaves an empty last line, a real position
    if problem.line <= len(lines):
        return problem
    return dataclasses.replace(problem, line=len(lines), column=len(lines[-1]) + 1)


def parse_document(text: str, file: str, problems: list[Problem] | None = None
                   ) -> tuple[Document | None, list[Problem]]:
    """Parse one file's text. Returns the document (None when unusable) and the problems
    list, `problems` itself when given (a `Problems` stops the parse when it is full)."""
    builder = _Builder(file, [] if problems is None else problems)
    try:
        parser = _Parser(text)
    except UnicodeEncodeError as error:  # only text made in Python can hold a lone surrogate
        builder.problems.append(Problem(file, 0, 0, "", "contains a character that is not "
                                        f"valid Unicode ({error.reason})", rule="encoding"))
        return None, builder.problems
    documents = 0
    get_event, scalar, start, end = parser.get_event, builder.scalar, builder.start, builder.end
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                scalar(event)
            elif kind is yaml.MappingStartEvent:
                start(event, {})
            elif kind is yaml.SequenceStartEvent:
                start(event, [])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                end()
            elif kind is yaml.AliasEvent:
                builder.alias(event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise builder.fail(_mark(event.start_mark), "a second YAML document "
                                       "(---) in one file; put each document in its own file")
            elif kind is yaml.StreamEndEvent:
                break
    except SourceError as error:
        builder.problems.append(error.problem)
        return None, builder.problems
    except yaml.YAMLError as error:
        builder.problems.append(_within(text, _syntax_problem(file, text, error)))
        return None, builder.problems
    finally:
        parser.dispose()
    if documents == 0 or builder.doc.data is None:
        builder.problems.append(Problem(
            file, 0, 0, "", "the file is empty; a spec holds `events` and/or `categories`",
            rule="empty"))
        return None, builder.problems
    return builder.doc, builder.problems
