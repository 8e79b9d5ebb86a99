"""Check a loaded document against `schemas/event-spec.strict.schema.json` (the spec language
once templates are expanded; editors read `event-spec.schema.json`, made from it with the
template constructs added, see `template_schema`) and say what is wrong in
words a spec author understands, at the line and column where it was written.

The schema is the single source of truth for fields, types, limits and enums. A document is
first checked by a validator that fastjsonschema compiles from the schema (about 15 times
faster than jsonschema); only a document it refuses goes through jsonschema, which lists every
violation with its path. The schema keeps `$ref` free of asserting siblings, so both read it
the same way (draft 7 ignores them), and a test holds them to the same verdicts.

The rest translates jsonschema's findings, with wording from the schema itself where it can:
- `x-hints` on an object maps a field the spec refuses (read-only, retired or V1 names) to what
  to write instead;
- `x-expected` on a patterned string describes the expected format with an example.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

# jsonschema is imported by the first check, fastjsonschema only for a document large enough
# for the fast path; `provisioner schema`, which only prints the schema, needs neither
if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from .problems import Problem
from .source import Document

# the language the loader checks, once templates are expanded (hand-written), and the one
# editors read, which also accepts the template constructs (made from it: `template_schema`)
SCHEMA_NAME = "event-spec.strict.schema.json"
PUBLISHED_SCHEMA_NAME = "event-spec.schema.json"
# Compiling the fast check costs about 0.15 s, which pays off only for large documents; the
# DevCon example (about 700 values) is checked by jsonschema in a few milliseconds.
FAST_PATH_MIN_VALUES = 5_000

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "nothing",
}


def schema_text(name: str = SCHEMA_NAME) -> str:
    """A published schema's JSON (the spec's by default): packaged with an installed wheel,
    or read from a source checkout."""
    packaged = resources.files("provisioner").joinpath("schemas", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = FsPath(__file__).resolve().parents[2] / "schemas" / name
    return checkout.read_text(encoding="utf-8")


@functools.cache
def load_schema() -> dict[str, Any]:
    return json.loads(schema_text())


@functools.cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262 regexes, where `$` is the very end of the text; in
    # Python `$` also matches before a final newline, which a YAML block scalar leaves behind
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def unique_key(value: Any) -> Any:
    """A hashable stand-in for a JSON value, equal for values JSON Schema calls equal (`1` and
    `1.0`; not `1` and `true`), so `uniqueItems` is one pass over a list, not a pair-wise one."""
    if isinstance(value, dict):
        return frozenset((key, unique_key(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(unique_key(item) for item in value)
    if isinstance(value, bool):
        return (bool, value)
    return value


def first_repeat(values: list[Any]) -> int | None:
    """The index of the first item equal to an earlier one, if any."""
    seen: set[Any] = set()
    for index, item in enumerate(values):
        key = unique_key(item)
        if key in seen:
            return index
        seen.add(key)
    return None


@functools.cache
def validator() -> Draft202012Validator:
    """jsonschema for the spec schema (with `checker`'s keywords)."""
    return checker(load_schema())


def checker(schema: dict[str, Any]) -> Draft202012Validator:
    """jsonschema for `schema`, with ECMA-262 patterns and a one-pass `uniqueItems`."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(checker: Any, regex: str, instance: Any, schema: dict[str, Any]) -> Any:
        if checker.is_type(instance, "string") and not _ecma_regex(regex).search(instance):
            yield ValidationError(f"{instance!r} does not match {regex!r}")

    def unique_items(checker: Any, unique: bool, instance: Any, schema: dict[str, Any]
                     ) -> Any:
        # jsonschema's own check is pair-wise for lists of mappings: minutes for a long list
        if unique and checker.is_type(instance, "array") and first_repeat(instance) is not None:
            yield ValidationError(f"{instance!r} has non-unique elements")

    ecma = validators.extend(Draft202012Validator, {"pattern": pattern,
                                                    "uniqueItems": unique_items})
    return ecma(schema)


@functools.cache
def _fast_definition(ref: str) -> Any:
    """The compiled yes/no check of one `#/$defs/NAME` of the schema, or None for other refs."""
    import fastjsonschema

    if not ref.startswith("#/$defs/"):
        return None
    schema = load_schema()
    return fastjsonschema.compile({"$schema": schema["$schema"],
                                   "$defs": copy.deepcopy(schema["$defs"]), "$ref": ref},
                                  use_default=False, use_formats=False)


@functools.cache
def pruning_validator() -> Draft202012Validator:
    """jsonschema, skipping every `$ref`'d part (an event, a ticket…) that the compiled check of
    its definition passes: explaining a large document then costs time in proportion to its
    broken parts, not its size."""
    import fastjsonschema
    from jsonschema import validators

    base = type(validator())
    follow = base.VALIDATORS["$ref"]

    def ref(checker: Any, ref: str, instance: Any, schema: dict[str, Any]) -> Any:
        check = _fast_definition(ref)
        if check is not None:
            try:
                check(instance)
                return
            except fastjsonschema.JsonSchemaException:
                pass
        yield from follow(checker, ref, instance, schema)

    return validators.extend(base, {"$ref": ref})(load_schema())


@functools.cache
def fast_validator() -> Any:
    """A compiled yes/no check: raises fastjsonschema.JsonSchemaException on any violation."""
    import fastjsonschema

    # a copy: fastjsonschema rewrites the `$ref`s of the schema it is given, in place
    return fastjsonschema.compile(copy.deepcopy(load_schema()), use_default=False,
                                  use_formats=False)


def check_document(doc: Document, problems: list[Problem] | None = None) -> list[Problem]:
    """Every schema violation in `doc`, each at its own position, added to `problems` (a new
    list when None), which is returned. A `Problems` list that fills up stops the check."""
    found: list[Problem] = [] if problems is None else problems
    checker = validator()
    if len(doc.values) >= FAST_PATH_MIN_VALUES:
        import fastjsonschema

        try:
            fast_validator()(doc.data)
            return found
        except fastjsonschema.JsonSchemaException:
            checker = pruning_validator()  # find and explain every violation, below
    # the errors come lazily, so a `Problems` list that fills up stops the check here
    for error in checker.iter_errors(doc.data):
        if error.validator != "type" and _mistyped(checker, error):
            continue  # a value of the wrong type fails its other keywords too: say it once
        found.extend(_translate(doc, error))
    return found


def _mistyped(checker: Any, error: ValidationError) -> bool:
    """Whether the value `error` is about also fails the `type` of the same schema."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    expected = schema.get("type")
    if expected is None:
        return False
    names = [expected] if isinstance(expected, str) else expected
    return not any(checker.is_type(error.instance, name) for name in names)


def describe(value: Any) -> str:
    """A value in words, for messages: `the text "5"`, `the number 5`, `a list`, ..."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {json.dumps(value)}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _types(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(_TYPE_WORDS.get(name, name) for name in names)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _closest(word: str, options: list[str]) -> str | None:
    lowered = {option.lower(): option for option in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None


def _unknown_fields(doc: Document, path: tuple[Any, ...], schema: dict[str, Any],
                    value: dict[str, Any]) -> Iterator[Problem]:
    """One problem per field the schema does not know, lazily: a mapping may hold thousands."""
    known = list(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    hints = schema.get("x-hints", {})
    for name in value:
        if name in known or any(p.search(name) for p in patterns):
            continue
        where = (*path, name)
        if name in hints:
            yield doc.problem(where, f"`{name}` is not accepted: {hints[name]}", key=True,
                              rule="schema.refused-field")
            continue
        guess = _closest(name, known)
        hint = (f"did you mean `{guess}`?" if guess
                else "expected one of: " + ", ".join(known))
        if patterns and not guess:
            hint += " (or an `x-` key, which is ignored)"
        yield doc.problem(where, f"unknown field `{name}`; {hint}", key=True,
                          rule="schema.unknown-field")


def _translate(doc: Document, error: ValidationError) -> Iterable[Problem]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    kind = error.validator
    rule = f"schema.{kind}"

    def at(message: str, where: tuple[Any, ...] = path, *, key: bool = False,
           rule_name: str = rule) -> Problem:
        return doc.problem(where, message, key=key, rule=rule_name)

    if kind == "additionalProperties" and isinstance(value, dict):
        return _unknown_fields(doc, path, schema, value)
    if kind == "required" and isinstance(value, dict):
        missing = [name for name in schema.get("required", []) if name not in value]
        return [at(f"`{name}` is required", (*path, name)) for name in missing]
    if kind == "type":
        expected = _types(error.validator_value)
        message = f"expected {expected}, found {describe(value)}"
        source = doc.scalars.get(path)
        wants_text = "string" in (error.validator_value if isinstance(error.validator_value, list)
                                  else [error.validator_value])
        if wants_text and source and value is not None and not isinstance(value, bool):
            message += f"; quote it: \"{source}\""
        return [at(message)]
    if kind == "enum":
        options = [str(option) for option in error.validator_value]
        guess = _closest(str(value), options) if isinstance(value, str) else None
        tail = f"; did you mean {guess}?" if guess else ""
        return [at(f"{describe(value)} is not one of {', '.join(options)}{tail}")]
    if kind == "const":
        return [at(f"must be {json.dumps(error.validator_value)}, found {describe(value)}")]
    if kind == "pattern":
        expected = schema.get("x-expected", f"text matching {error.validator_value}")
        return [at(f"{describe(value)} is not valid: expected {expected}")]
    if kind in ("minLength", "maxLength"):
        limit = error.validator_value
        length = len(value) if isinstance(value, str) else 0
        if kind == "minLength":
            return [at("must not be empty" if limit == 1 else
                       f"is {length} characters long; at least {limit} are needed")]
        return [at(f"is {length} characters long; the limit is {limit}")]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [at(f"is {value}; it must be {word} {error.validator_value}")]
    if kind in ("minItems", "maxItems"):
        count = len(value) if isinstance(value, list) else 0
        word = "at least" if kind == "minItems" else "at most"
        noun = "item" if error.validator_value == 1 else "items"
        verb = "allowed" if kind == "maxItems" else "needed"
        return [at(f"has {_plural(count, 'item')}; {word} {error.validator_value} {noun} are "
                   f"{verb}" if error.validator_value != 1 else
                   f"has {_plural(count, 'item')}; {word} 1 {noun} is {verb}")]
    if kind == "uniqueItems" and isinstance(value, list):
        repeat = first_repeat(value)
        if repeat is not None:
            return [at(f"{describe(value[repeat])} appears more than once", (*path, repeat))]
    if kind in ("minProperties", "maxProperties") and isinstance(value, dict):
        options = list(schema.get("properties", {}))
        if schema.get("minProperties") == schema.get("maxProperties") == 1:
            found_keys = ", ".join(value) or "none"
            return [at(f"needs exactly one of {', '.join(options)} (found: {found_keys})")]
    if kind == "oneOf" and isinstance(value, dict):
        kinds = [sub["required"][0] for sub in error.validator_value
                 if isinstance(sub, dict) and len(sub.get("required", [])) == 1]
        if len(kinds) == len(error.validator_value):
            present = [name for name in kinds if name in value]
            found_keys = ", ".join(present) or "none"
            return [at(f"needs exactly one of {', '.join(kinds)} (found: {found_keys})")]
    if kind == "not" and isinstance(error.validator_value, dict):
        excluded = error.validator_value.get("required", [])
        if len(excluded) > 1:
            names = " and ".join(f"`{name}`" for name in excluded)
            return [at(f"{names} are alternatives; write only one of them")]
    return [at(error.message)]


# --- the schema editors read -----------------------------------------------------------------

_WIDENED_TYPES = ("integer", "number", "boolean", "array", "object")
_TEMPLATE_DEFS: dict[str, Any] = {
    "templateExpression": {
        "type": "string",
        "description": "A text with a template expression, `${{ vars.NAME }}` or `${{ "
                       "each.KEY }}` (with `.key` or `[n]` to reach inside), replaced before "
                       "the spec is checked; a text that is exactly one expression takes the "
                       "value's own type.",
        "pattern": "\\$\\{\\{.*\\}\\}",
    },
    "relativeTime": {
        "type": "string",
        "description": "A time counted from the event's local start date: `day 1 09:00` is its "
                       "first day, `day 0 23:59` the eve, `day -30 00:00` a month before.",
        "pattern": "^day -?\\d+ \\d{2}:\\d{2}(:\\d{2})?$",
    },
    "variable": {
        "description": "A template variable: `{type, default, description}`, or its default "
                       "alone. Values come from the default, PROVISIONER_VAR_<name>, "
                       "--var-file and --var.",
        "anyOf": [
            {"type": "object", "additionalProperties": False, "properties": {
                "type": {"enum": ["string", "integer", "number", "boolean", "date",
                                  "datetime", "list", "object"],
                         "description": "How a value given as text is read and checked."},
                "default": {"description": "The value when none is given."},
                "description": {"type": "string", "description": "What the variable is for."},
            }},
            {"type": ["string", "number", "boolean", "array", "object", "null"]},
        ],
    },
}


def template_schema(strict: dict[str, Any]) -> dict[str, Any]:
    """The schema editors read: `strict` that also accepts the template constructs (`vars`,
    `for_each`, `from`, `${{ … }}` in any field, `day N HH:MM` in any time) and does not ask a
    templated event for what its template gives."""
    out = copy.deepcopy(strict)
    out["$id"] = out["$id"].replace(SCHEMA_NAME, PUBLISHED_SCHEMA_NAME)
    out["title"] = "Wix Events provisioner spec"
    out["description"] = ("An event-as-code spec for Wix Events: the categories it uses and the "
                          "events it manages, each with its tickets, schedule, policies and "
                          "registration form, optionally written with templates (vars, "
                          "for_each, from, day N times). The loader expands the templates and "
                          f"checks the result against {SCHEMA_NAME}. See docs/spec-language.md.")
    defs = out["$defs"]
    for node in _nodes(out):
        props = node.get("properties")
        if isinstance(props, dict):
            for key, value in props.items():
                props[key] = _widened(value, defs)
    defs.update(copy.deepcopy(_TEMPLATE_DEFS))
    out["properties"] = {"vars": {
        "type": "object", "description": "Template variables, by name (see Templates in "
        "docs/spec-language.md).", "additionalProperties": {"$ref": "#/$defs/variable"}},
        **out["properties"]}
    event = defs["event"]
    event.pop("required", None)  # a `from` template or series may give them
    event["properties"]["from"] = {
        "type": "string", "description": "An event template file (relative to this file) this "
        "event starts from; keys beside `from` override it (mappings merge, lists replace)."}
    event["properties"]["for_each"] = {
        "description": "One event per item, with `${{ each.KEY }}` inside the event.",
        "anyOf": [{"type": "array"}, {"$ref": "#/$defs/templateExpression"}]}
    return out


def _nodes(schema: Any) -> Iterator[dict[str, Any]]:
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            yield node
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def _widened(value: Any, defs: dict[str, Any]) -> Any:
    """A property's schema that also takes a template expression (and a relative time, for a
    time); a plain text field takes one already."""
    if not isinstance(value, dict):
        return value
    resolved = value
    while "$ref" in resolved:
        resolved = defs[resolved["$ref"].rsplit("/", 1)[1]]
    kind = resolved.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    constrained = any(k in resolved for k in ("pattern", "enum", "const", "format"))
    is_time = value.get("$ref") == "#/$defs/localTime"
    if not (is_time or constrained or any(k in _WIDENED_TYPES for k in kinds)
            or "oneOf" in resolved or "anyOf" in resolved):
        return value
    branches = [value, {"$ref": "#/$defs/templateExpression"}]
    if is_time:
        branches.insert(1, {"$ref": "#/$defs/relativeTime"})
    description = value.get("description") or resolved.get("description")
    return {**({"description": description} if description else {}), "anyOf": branches}


def published_schema_text() -> str:
    """The text of `schemas/event-spec.schema.json`, as `template_schema` makes it."""
    return json.dumps(template_schema(json.loads(schema_text())), indent=2,
                      ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m provisioner.spec.schema: write the published schema
    FsPath(__file__).resolve().parents[2].joinpath("schemas", PUBLISHED_SCHEMA_NAME).write_text(
        published_schema_text(), encoding="utf-8")
