"""The template layer: variables, series, event templates and relative times, expanded after
parsing (so every value keeps its file and line) and before validation, into an ordinary spec.

- `vars:` (top level, in any file of a spec) declares variables: `name: {type, default,
  description}` or `name: default`. Values come from the defaults, `PROVISIONER_VAR_<name>`,
  `--var-file FILE` (later files win) and `--var name=value` (last), in that order.
- `${{ vars.name }}` is replaced in any text; dotted access reaches into objects and lists
  (`${{ vars.venue.city }}`, `${{ vars.speakers.0 }}`). A text that is exactly one expression
  takes the value's own type (`initialLimit: ${{ vars.capacity }}` is a number). `$${{` writes
  a literal `${{`. Nothing is executed and there are no filters.
- An event with `for_each:` (a list, or an expression giving one) stands for one event per
  item, with `${{ each.key }}` (or `${{ each }}`) inside it.
- An event with `from: FILE` starts from the event mapping in FILE (relative to the file that
  says it; it may itself use `from`); keys beside `from` override it: mappings merge deeply,
  lists replace.
- Inside an event, a local time may be written `day N HH:MM`: day 1 is the event's local start
  date, day 0 the day before. The result is a local time in the event's zone, so daylight
  saving applies as for any local time.

Problems name the line the value was written on, in the template's own file when it came from
one, and the instance that produced it (`events[3] (for_each item 2)`).
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path as FsPath
from typing import Any

from . import times
from .files import read_text
from .problems import WARNING, Path, Problem
from .schema import describe
from .source import Document, parse_document

VAR_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "list", "object")
ENV_PREFIX = "PROVISIONER_VAR_"
# `${{ … }}` (a leading `$` escapes it); the inside never holds `}}`, so a text with two
# expressions is never read as one
# a literal `${{` (written `$${{`, closed or not), or an expression; scanned left to right
TEXT_PART = re.compile(r"\$\$\{\{|\$\{\{((?:(?!\}\}).)*)\}\}")
REFERENCE = re.compile(r"^(vars|each)((?:\.[^.\[\]\s]+|\[\d+\])*)$")
STEP = re.compile(r"\.([^.\[\]\s]+)|\[(\d+)\]")
RELATIVE = re.compile(r"^day (-?\d+) (\d{2}):(\d{2})(?::(\d{2}))?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEMPLATE_DEPTH = 8  # `from` inside `from`, at most this deep
TEMPLATE_KEYS = ("from", "for_each")
_DECLARATION_KEYS = {"type", "default", "description"}


@dataclass
class VarInputs:
    """Variable values given outside the spec: `--var name=value` in order, `--var-file`
    paths in order, and the environment (for `PROVISIONER_VAR_<name>`)."""

    assignments: Sequence[str] = ()
    files: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # an environment's own values from the workspace file (`var_files`, then `vars`), below
    # everything else; `preset_source` names where they were written
    preset_files: Sequence[str] = ()
    preset: Mapping[str, Any] = field(default_factory=dict)
    preset_source: str = ""


@dataclass
class Variable:
    name: str
    type: str
    doc: Document
    path: Path
    value: Any = None
    has_value: bool = False
    used: bool = False


class _Refused(Exception):
    """A value that cannot be used; the message says why, for the spec author."""


def has_templates(data: Any) -> bool:
    """Whether a document uses any template construct (otherwise it passes through as is)."""
    if isinstance(data, dict) and "vars" in data:
        return True
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if any(key in value for key in TEMPLATE_KEYS):
                return True
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and ("${{" in value or value.startswith("day ")):
            return True
    return False


# --- variables --------------------------------------------------------------------------------


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


def _check_type(kind: str, value: Any) -> Any:
    """`value` if it is of `kind` (numbers widen), else `_Refused`."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "date": isinstance(value, str) and bool(DATE.match(value)) and _real_date(value),
        "datetime": isinstance(value, str) and _real_time(value),
        "list": isinstance(value, list),
        "object": isinstance(value, dict),
    }[kind]
    if not ok:
        raise _Refused(f"expected {_article(kind)}, found {describe(value)}")
    return value


def _real_time(text: str) -> bool:
    if not times.TIME_RE.match(text):
        return False
    try:
        times.parse(text, times.zone("UTC"))
    except times.TimeProblem:
        return False
    return True


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _article(kind: str) -> str:
    return {"integer": "an integer", "object": "an object", "list": "a list",
            "date": "a date (2027-06-15)", "datetime": "a date and time (2027-06-15T09:00)",
            "boolean": "true or false", "number": "a number", "string": "text"}[kind]


def parse_text(kind: str, text: str) -> Any:
    """A value given as text (`--var`, the environment) read as the declared `kind`."""
    if kind in ("string", "date", "datetime"):
        return _check_type(kind, text)
    if kind == "integer":
        if re.fullmatch(r"[+-]?\d+", text.strip()):
            return int(text)
        raise _Refused(f"expected an integer, found {text!r}")
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise _Refused(f"expected a number, found {text!r}") from None
        return int(text) if re.fullmatch(r"[+-]?\d+", text.strip()) else number
    if kind == "boolean":
        if text.strip().lower() in ("true", "false"):
            return text.strip().lower() == "true"
        raise _Refused(f"expected true or false, found {text!r}")
    doc, problems = parse_document(text, "value")
    if doc is None or problems:
        raise _Refused(f"expected {_article(kind)} written as YAML, e.g. "
                       f"{'[a, b]' if kind == 'list' else '{city: Berlin}'}; found {text!r}")
    return _check_type(kind, doc.data)


def _declarations(docs: Sequence[Document], found: list[Problem]) -> dict[str, Variable]:
    declared: dict[str, Variable] = {}
    for doc in docs:
        block = doc.data.get("vars") if isinstance(doc.data, dict) else None
        if block is None:
            continue
        if not isinstance(block, dict):
            found.append(doc.problem(("vars",), "`vars` is a mapping of variable names to "
                                     "their declarations", rule="template.vars"))
            continue
        for name, spec in block.items():
            path: Path = ("vars", name)
            if name in declared:
                first = declared[name]
                found.append(doc.problem(path, f"variable `{name}` is declared twice (first at "
                                         f"{first.doc.file}:{first.doc.mark(first.path).line})",
                                         key=True, rule="template.vars"))
                continue
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                found.append(doc.problem(path, f"`{name}` is not a variable name: use letters, "
                                         "digits and _ (not first a digit)", key=True,
                                         rule="template.vars"))
                continue
            # a mapping of only type/default/description is a declaration, unless its `type`
            # is no variable type (then it is the default of an object: `{type: ONLINE}`)
            long_form = isinstance(spec, dict) and bool(spec) and set(spec) <= \
                _DECLARATION_KEYS and ("default" in spec or spec.get("type", "string")
                                       in VAR_TYPES)
            kind = spec.get("type") if long_form else None
            if long_form and kind is None and "default" not in spec:
                kind = "string"
            has_default = bool(long_form and "default" in spec) or not long_form
            default = (spec.get("default") if long_form else spec)
            if kind is None:
                kind = _type_of(default)
            if kind not in VAR_TYPES:
                found.append(doc.problem((*path, "type"), f"unknown type {kind!r}; a variable "
                                         f"is one of: {', '.join(VAR_TYPES)}",
                                         rule="template.vars"))
                continue
            variable = Variable(str(name), kind, doc, path)
            if has_default and default is not None:
                try:
                    variable.value = _check_type(kind, default)
                    variable.has_value = True
                except _Refused as refused:
                    where = (*path, "default") if long_form else path
                    found.append(doc.problem(where, f"the default of `{name}`: {refused}",
                                             rule="template.vars"))
            declared[str(name)] = variable
    return declared


def _closest(word: str, options: Sequence[str]) -> str:
    guess = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean `{guess[0]}`?" if guess else ""


def resolve_variables(docs: Sequence[Document], inputs: VarInputs | None,
                      found: list[Problem]) -> dict[str, Variable]:
    """Every declared variable with its value, from the defaults, the environment, the var
    files and `--var`, in that order; problems for values that do not fit."""
    declared = _declarations(docs, found)
    inputs = inputs or VarInputs(env={})

    def give(name: str, value: Any, where: str, as_text: bool,
             at: tuple[int, int] = (0, 0), key_at: tuple[int, int] = (0, 0),
             preset: bool = False) -> None:
        variable = declared.get(name)
        if variable is None:
            guess = _closest(name, list(declared))
            if preset:
                # one environment's values serve every spec of the workspace; a spec that
                # does not use one of them is told, not stopped
                found.append(Problem(where, *key_at, "", f"no variable `{name}` is declared "
                                     f"by this spec{guess}; the value is not used",
                                     severity=WARNING, rule="template.vars"))
                return
            found.append(Problem(where, *key_at, "", f"no variable `{name}` is declared"
                                 f"{guess or '; declare it'}{' Or declare it' if guess else ''}"
                                 " under `vars:`", rule="template.vars"))
            return
        try:
            variable.value = parse_text(variable.type, value) if as_text \
                else _check_type(variable.type, value)
            variable.has_value = True
        except _Refused as refused:
            found.append(Problem(where, *at, "", f"variable `{name}`: {refused}",
                                 rule="template.vars"))

    for file in inputs.preset_files:
        _give_file(file, found, functools.partial(give, preset=True))
    for name, value in inputs.preset.items():
        give(str(name), value, inputs.preset_source or "workspace", as_text=False, preset=True)
    for key, text in sorted(inputs.env.items()):
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):] in declared:
            give(key[len(ENV_PREFIX):], text, key, as_text=True)
    for file in inputs.files:
        _give_file(file, found, give)
    for assignment in inputs.assignments:
        name, equals, text = assignment.partition("=")
        if not equals or not name:
            found.append(Problem("--var", 0, 0, "", f"{assignment!r} is not name=value",
                                 rule="template.vars"))
            continue
        give(name.strip(), text, f"--var {name.strip()}", as_text=True)
    return declared


def _give_file(file: str, found: list[Problem], give: Callable[..., None]) -> None:
    """Each `name: value` of the var file `file`, given with its position."""
    given, problem = read_text(file)
    if problem is not None:
        found.append(problem)
        return
    doc, problems = parse_document(given or "", file)
    found.extend(problems)
    if doc is None:
        return
    if not isinstance(doc.data, dict):
        found.append(doc.problem((), "a var file is a mapping of variable names to values",
                                 rule="template.vars"))
        return
    for name, value in doc.data.items():
        mark, key_mark = doc.mark((name,)), doc.mark((name,), key=True)
        give(str(name), value, file, as_text=False, at=(mark.line, mark.column),
             key_at=(key_mark.line, key_mark.column))


def unused_variables(declared: Mapping[str, Variable], found: list[Problem]) -> None:
    for variable in declared.values():
        if not variable.used:
            found.append(variable.doc.problem(variable.path, f"variable `{variable.name}` is "
                                              "declared but never used", key=True,
                                              severity=WARNING, rule="template.unused"))


# --- expansion --------------------------------------------------------------------------------

Link = tuple[Path, Document, Path]  # (output path, source document, source path)


class _Expander:
    def __init__(self, doc: Document, variables: Mapping[str, Variable],
                 found: list[Problem], templates: dict[str, Document | None]) -> None:
        self.doc = doc
        self.variables = variables
        self.found = found
        self.templates = templates
        self.out = Document(doc.file, None)
        self.links: list[Link] = []

    def problem(self, path: Path, message: str, rule: str) -> None:
        self.found.append(self.out.problem(path, message, rule=rule))

    # one document

    def run(self) -> Document | None:
        data = self.doc.data
        if not isinstance(data, dict):
            return self.doc
        out: dict[str, Any] = {}
        self.links.append(((), self.doc, ()))
        for key, value in data.items():
            if key == "vars":
                continue
            if key == "events" and isinstance(value, list):
                out[key] = self.events(value)
            else:
                out[key] = copy.deepcopy(value)
        self.out.data = out
        self.place()
        self.out.data = self.substitute(out, (), None)
        for index, event in enumerate(self.out.data.get("events") or []):
            if isinstance(event, dict):
                self.relative_times(event, ("events", index))
        return self.out

    def events(self, entries: list[Any]) -> list[Any]:
        events: list[Any] = []
        for index, entry in enumerate(entries):
            source: Path = ("events", index)
            value, links = self.resolve(entry, self.doc, source, ())
            if value is None:
                continue
            items = self.for_each(value, source, links) if isinstance(value, dict) \
                and "for_each" in value else None
            if items is None:
                self.add_event(events, value, links, None, None)
                continue
            for number, item in enumerate(items, start=1):
                instance = {k: copy.deepcopy(v) for k, v in value.items() if k != "for_each"}
                self.add_event(events, instance, links, item, f"for_each item {number}")
        return events

    def add_event(self, events: list[Any], value: Any, links: list[Link], item: Any,
                  note: str | None) -> None:
        path: Path = ("events", len(events))
        events.append(copy.deepcopy(value) if note is None else value)
        for rel, doc, src in links:
            self.links.append(((*path, *rel), doc, src))
        if note is not None:
            self.out.notes[path] = note
            self.out.eaches[path] = item

    def for_each(self, value: dict[str, Any], source: Path, links: list[Link]
                 ) -> list[Any] | None:
        raw = value["for_each"]
        where = self._source_of(("for_each",), links) or (self.doc, (*source, "for_each"))
        if isinstance(raw, str):
            try:
                raw = self.evaluate_text(raw, None)
            except _Refused as refused:
                self.found.append(where[0].problem(where[1], str(refused),
                                                   rule="template.expression"))
                return []
        if not isinstance(raw, list):
            self.found.append(where[0].problem(where[1], "`for_each` takes a list (of "
                                               f"mappings, usually), found {describe(raw)}",
                                               rule="template.for_each"))
            return []
        return self.with_vars(raw, *where)

    def with_vars(self, value: Any, doc: Document, path: Path) -> Any:
        """`value` (a series' items) with its `${{ vars.… }}` replaced."""
        if isinstance(value, dict):
            return {k: self.with_vars(v, doc, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.with_vars(v, doc, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${{" in value:
            try:
                return self.evaluate_text(value, None)
            except _Refused as refused:
                self.found.append(doc.problem(path, str(refused), rule="template.expression"))
        return value

    @staticmethod
    def _source_of(rel: Path, links: list[Link]) -> tuple[Document, Path] | None:
        best: tuple[Document, Path] | None = None
        for link_rel, doc, src in links:
            if rel[:len(link_rel)] == link_rel:
                best = (doc, (*src, *rel[len(link_rel):]))
        return best

    def resolve(self, entry: Any, doc: Document, source: Path, chain: tuple[str, ...]
                ) -> tuple[Any, list[Link]]:
        """An event entry with its `from` template merged in, and where each part of it was
        written (relative output path, document, source path)."""
        if not (isinstance(entry, dict) and "from" in entry):
            return entry, [((), doc, source)]
        reference = entry["from"]
        if not isinstance(reference, str) or not reference:
            self.found.append(doc.problem((*source, "from"), "`from` takes the path of a "
                                          "template file", rule="template.from"))
            return None, []
        file = os.path.normpath(os.path.join(os.path.dirname(doc.file), reference))
        if file in chain or len(chain) >= MAX_TEMPLATE_DEPTH:
            self.found.append(doc.problem((*source, "from"), f"{reference} leads back to a "
                                          f"template already being read ({' -> '.join(chain)})"
                                          if file in chain else "templates nest more than "
                                          f"{MAX_TEMPLATE_DEPTH} deep", rule="template.from"))
            return None, []
        template = self.template(file, doc, (*source, "from"))
        if template is None:
            return None, []
        if not isinstance(template.data, dict):
            self.found.append(template.problem((), "a template file holds one event mapping",
                                               rule="template.from"))
            return None, []
        base, links = self.resolve(template.data, template, (), (*chain, file))
        if base is None:
            return None, []
        merged = _merge(copy.deepcopy(base), {k: v for k, v in entry.items() if k != "from"},
                        (), lambda rel: links.append((rel, doc, (*source, *rel))))
        return merged, links

    def template(self, file: str, doc: Document, where: Path) -> Document | None:
        if file not in self.templates:
            text, problem = read_text(file)
            if problem is not None:
                self.found.append(doc.problem(where, f"the template {file} {problem.message}",
                                              rule="template.from"))
                self.templates[file] = None
                return None
            parsed, problems = parse_document(text or "", file)
            self.found.extend(problems)
            self.templates[file] = parsed
        return self.templates[file]

    # positions

    def place(self) -> None:
        """Where each output value was written: walked along each link, later (more
        specific) links overriding earlier ones."""
        out = self.out
        for path, doc, src in self.links:
            value = _at(out.data, path)
            if value is _MISSING:
                continue
            if doc is not self.doc or any(p == path[:len(p)] for p in out.files):
                out.files[path] = doc.file  # nearest wins: a key beside `from` is this file's
            for rel in _paths(value):
                mark = doc.values.get((*src, *rel))
                if mark is not None:
                    out.values[(*path, *rel)] = mark
                key = doc.keys.get((*src, *rel))
                if key is not None:
                    out.keys[(*path, *rel)] = key
                scalar = doc.scalars.get((*src, *rel))
                if scalar is not None:
                    out.scalars[(*path, *rel)] = scalar

    # expressions

    def substitute(self, value: Any, path: Path, each: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.substitute(item, (*path, key), each) for key, item in value.items()}
        if isinstance(value, list):
            return [self.substitute(item, (*path, index), each)
                    for index, item in enumerate(value)]
        if isinstance(value, str) and "${{" in value:
            series = path[:2] in self.out.eaches
            try:
                return self.evaluate_text(value, self.out.eaches.get(path[:2]), series)
            except _Refused as refused:
                self.problem(path, str(refused), "template.expression")
                return value
        return value

    def evaluate_text(self, text: str, each: Any, in_series: bool = False) -> Any:
        if "${{" in TEXT_PART.sub("", text):
            raise _Refused("an expression is not closed: end it with `}}`, or write `$${{` "
                           "for a literal `${{`")
        whole = TEXT_PART.fullmatch(text)
        if whole and whole.group(1) is not None:
            return self.evaluate(whole.group(1).strip(), each, in_series)

        def one(match: re.Match[str]) -> str:
            if match.group(1) is None:  # `$${{` is a literal `${{`
                return "${{"
            value = self.evaluate(match.group(1).strip(), each, in_series)
            if isinstance(value, list | dict):
                raise _Refused(f"`{match.group(1).strip()}` is {describe(value)}, which "
                               "cannot be part of a text; make it the whole value")
            return _as_text(value)

        return TEXT_PART.sub(one, text)

    def evaluate(self, expression: str, each: Any, in_series: bool) -> Any:
        found = REFERENCE.match(expression)
        if not found:
            raise _Refused(f"`${{{{ {expression} }}}}` is not an expression this spec reads: "
                           "write `${{ vars.NAME }}` or `${{ each.KEY }}`, with `.key` or `[n]` "
                           "to reach inside")
        root, rest = found.group(1), found.group(2)
        steps = [(m.group(1), m.group(2)) for m in STEP.finditer(rest)]
        if root == "each":
            if not in_series:
                raise _Refused("`each` is only defined inside an event with `for_each`")
            value, shown = each, "each"
        else:
            if not steps or steps[0][0] is None:
                raise _Refused("`vars` needs a variable name: `${{ vars.NAME }}`")
            name = steps[0][0]
            variable = self.variables.get(name)
            if variable is None:
                raise _Refused(f"undefined variable `{name}`"
                               f"{_closest(name, list(self.variables))}")
            variable.used = True
            if not variable.has_value:
                raise _Refused(f"variable `{name}` has no value: give it with --var "
                               f"{name}=…, a --var-file, {ENV_PREFIX}{name}, or a default")
            value, shown, steps = variable.value, f"vars.{name}", steps[1:]
        for key, index in steps:
            if key is not None and isinstance(value, dict):
                if key not in value:
                    raise _Refused(f"`{shown}` has no `{key}`{_closest(key, list(value))} (it "
                                   f"has: {', '.join(map(str, value)) or 'nothing'})")
                value, shown = value[key], f"{shown}.{key}"
            elif isinstance(value, list) and (index is not None or (key or "").isdigit()):
                position = int(index if index is not None else key)
                if position >= len(value):
                    raise _Refused(f"`{shown}` has {len(value)} items; [{position}] is past "
                                   "the end")
                value, shown = value[position], f"{shown}[{position}]"
            else:
                raise _Refused(f"`{shown}` is {describe(value)}; it has no "
                               f"`{key if key is not None else index}`")
        return copy.deepcopy(value)

    # relative times

    def relative_times(self, event: dict[str, Any], path: Path) -> None:
        settings = event.get("dateAndTimeSettings")
        settings = settings if isinstance(settings, dict) else {}
        start, zone_name = settings.get("startDate"), settings.get("timeZoneId")
        first: date | None = None
        anchor_problem = ""
        zone = times.zone(zone_name) if isinstance(zone_name, str) else None
        if isinstance(start, str) and RELATIVE.match(start):
            self.problem((*path, "dateAndTimeSettings", "startDate"), "the start date is what "
                         "`day N` counts from, so it cannot be relative itself; write a date "
                         "and time", "template.relative")
            anchor_problem = "-"
        elif zone is None:
            anchor_problem = "a valid dateAndTimeSettings.timeZoneId"
        elif not isinstance(start, str):
            anchor_problem = "a dateAndTimeSettings.startDate"
        else:
            try:
                moment = times.parse(start, zone)
                first = moment.utc.astimezone(zone).date()
            except times.TimeProblem:
                anchor_problem = "-"  # the start date's own problem is reported by the rules
        for where, text in list(_strings(event, path)):
            found = RELATIVE.match(text)
            if not found:
                continue
            if first is None:
                if anchor_problem and anchor_problem != "-":
                    self.problem(where, f"`{text}` counts from the event's start date, which "
                                 f"needs {anchor_problem}", "template.relative")
                continue
            day, hour, minute, second = found.groups()
            if int(hour) > 23 or int(minute) > 59 or (second and int(second) > 59):
                self.problem(where, f"`{text}` is not a time of day", "template.relative")
                continue
            when = first + timedelta(days=int(day) - 1)
            local = f"{when.isoformat()}T{hour}:{minute}" + (f":{second}" if second else "")
            holder = _at(event, where[len(path):-1])
            own = holder.get("timeZoneId") if isinstance(holder, dict) else None
            if isinstance(own, str) and own != zone_name and zone is not None:
                # a slot in another zone: the event's local time, written with its offset
                try:
                    local = times.parse(local, zone).utc.astimezone(zone).isoformat(
                        timespec="seconds" if second else "minutes")
                except times.TimeProblem as problem:
                    self.problem(where, str(problem), "template.relative")
                    continue
            _set(event, where[len(path):], local)


_MISSING = object()


def _merge(base: dict[str, Any], over: dict[str, Any], rel: Path,
           taken: Any) -> dict[str, Any]:
    """`over` merged into `base` (a copy the caller owns): mappings merge, anything else is
    replaced; `taken(rel)` is told of each value taken from `over`."""
    for key, value in over.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            base[key] = _merge(base[key], value, (*rel, key), taken)
        else:
            base[key] = copy.deepcopy(value)
            taken((*rel, key))
    return base


def _at(value: Any, path: Path) -> Any:
    for part in path:
        if isinstance(value, dict) and part in value:  # noqa: SIM114  (typed apart for mypy)
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return _MISSING
    return value


def _set(value: Any, path: Path, new: Any) -> None:
    *parents, leaf = path
    for part in parents:
        value = value[part]
    value[leaf] = new


def _paths(value: Any) -> Iterator[Path]:
    """Every path inside `value` (itself first), without recursion."""
    pending: list[tuple[Path, Any]] = [((), value)]
    while pending:
        path, item = pending.pop()
        yield path
        if isinstance(item, dict):
            pending.extend(((*path, k), v) for k, v in item.items())
        elif isinstance(item, list):
            pending.extend(((*path, i), v) for i, v in enumerate(item))


def _strings(value: Any, base: Path) -> Iterator[tuple[Path, str]]:
    for rel in _paths(value):
        item = _at(value, rel)
        if isinstance(item, str):
            yield (*base, *rel), item


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def expand(doc: Document, variables: Mapping[str, Variable], found: list[Problem],
           templates: dict[str, Document | None]) -> Document | None:
    """`doc` with every template construct expanded (itself when it has none)."""
    if not has_templates(doc.data):
        return doc
    return _Expander(doc, variables, found, templates).run()


def is_template_file(relative: FsPath) -> bool:
    """Whether a file found in a spec folder is a template's part and not a spec: an event
    template (read through `from`: `*.template.yaml`, or under a `templates/` folder) or a var
    file (read through `--var-file`: `*.vars.yaml`)."""
    return ".template." in relative.name or ".vars." in relative.name \
        or "templates" in relative.parts[:-1]
