"""Plans as text: the human view (Terraform style), markdown for a pull request, and JSON.

The human view groups actions under their event (site-level ones, such as categories, first),
in plan order within a group, and ends with the summary line. One symbol per verb:

    +  create, assign (a category assignment)     -  delete, unassign
    ~  update                                     ⇅  reorder (a collection's display order)
    ↑  publish (an event, or a schedule draft)    ↺  discard (a schedule draft)
    ×  cancel (an event)

An update lists one `path: old → new` line per changed field, a create one `path = value` line
per field, a reorder `order: A, B → B, A`. Values are compact JSON (strings quoted), `(unset)`
for absent, cut at 80 characters with `…`. Marks follow the title: `(irreversible)` and
`(risky: 12 sold — refused at apply unless allowed)`. Problems come last, under "Problems:".
With `color`, symbols and marks are styled with click (green +, yellow ~, red -, cyan ⇅,
magenta for irreversible); without it the text holds no escape sequence at all. Control
characters in names and values are escaped, so a spec cannot smuggle terminal codes through.
The markdown form lives in `render_markdown`, which builds on this module (never the other
way round).
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from .. import kinds
from ..model import VERBS, Action, Mark, Plan, Verb, allow_flag
from ..plan.planfile import plan_to_json

SYMBOLS = {Verb.CREATE: "+", Verb.UPDATE: "~", Verb.DELETE: "-", Verb.REORDER: "⇅",
           Verb.PUBLISH: "↑", Verb.DISCARD: "↺", Verb.CANCEL: "×", Verb.ASSIGN: "+",
           Verb.UNASSIGN: "-"}
COLORS = {Verb.CREATE: "green", Verb.UPDATE: "yellow", Verb.DELETE: "red",
          Verb.REORDER: "cyan", Verb.PUBLISH: "blue", Verb.DISCARD: "yellow",
          Verb.CANCEL: "red", Verb.ASSIGN: "green", Verb.UNASSIGN: "red"}
# verbs whose symbol alone does not say what happens: their title starts with the verb
NAMED_VERBS = (Verb.REORDER, Verb.PUBLISH, Verb.DISCARD, Verb.CANCEL)
VALUE_WIDTH = 80
ALWAYS_COUNTED = (Verb.CREATE, Verb.UPDATE, Verb.DELETE)
SITE = ""  # the group of site-level actions
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """`text` with control characters (escape sequences, newlines) written as `\\uXXXX`."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def value(data: Any, width: int = VALUE_WIDTH) -> str:
    """A value as one line of compact JSON; `(unset)` for absent; cut at `width` with `…`."""
    if data is None:
        return "(unset)"
    text = json.dumps(data, ensure_ascii=False, separators=(", ", ": "), default=str)
    text = safe(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _quoted(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def label(action: Action) -> str:
    """The object an action is about: `ticket definition "Early Bird"`, `schedule draft`."""
    if kinds.is_draft(action.key):  # `schedule draft`
        return safe(f"{action.key.kind} {action.key.name}")
    kind = kinds.kind_of(action.key.kind)
    if action.verb == Verb.REORDER:
        return safe(kind.plural)
    if kind.partial:  # one per event (its form's messages, its ticket currency): no name
        return safe(kind.noun)
    return safe(f"{kind.noun} {_quoted(action.key.name)}")


def title(action: Action) -> str:
    """The action's line after its symbol, without marks: `publish event "devcon-2025"`."""
    return f"{action.verb} {label(action)}" if action.verb in NAMED_VERBS else label(action)


def mark_texts(action: Action) -> list[tuple[Mark | None, str]]:
    """The action's marks (and note) as (mark, text) pairs; mark is None for a plain note."""
    out: list[tuple[Mark | None, str]] = []
    if Mark.IRREVERSIBLE in action.marks:
        out.append((Mark.IRREVERSIBLE, "(irreversible)"))
    if Mark.RISKY in action.marks:
        said = f": {safe(action.note)}" if action.note else ""
        out.append((Mark.RISKY, f"(risky{said} — refused at apply unless {allow_flag(action)})"))
    elif action.note:
        out.append((None, f"({safe(action.note)})"))
    return out


def details(action: Action, create_fields: bool = True) -> list[str]:
    """The lines under an action's title: changes of an update, fields of a create, order."""
    if action.verb == Verb.REORDER:
        before = ", ".join(safe(n) for n in action.previous_order)
        return [f"order: {before} → {', '.join(safe(n) for n in action.order)}"]
    if action.verb in (Verb.DELETE, Verb.UNASSIGN):
        return []
    if action.verb in (Verb.CREATE, Verb.ASSIGN):
        if not create_fields:
            return []
        return [f"{safe(c.path)} = {value(c.new)}" for c in action.changes]
    return [f"{safe(c.path)}: {value(c.old)} → {value(c.new)}" for c in action.changes]


def group_of(action: Action) -> str:
    """The event slug an action is shown under; SITE for site-level ones."""
    return kinds.event_of(action.key)


def groups(plan: Plan) -> list[tuple[str, list[Action]]]:
    """Actions by event (site-level first, then events in plan order), plan order inside."""
    found: dict[str, list[Action]] = {SITE: []}
    for action in plan.actions:
        found.setdefault(group_of(action), []).append(action)
    return [(slug, actions) for slug, actions in found.items() if actions]


def group_title(slug: str) -> str:
    return "Site" if slug == SITE else f"Event {safe(slug)}"


def _count(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def count_phrase(counts: dict[str, int]) -> str:
    """`25 to create, 0 to update, 0 to delete, 1 to reorder`: the last three always shown."""
    shown = [verb for verb in VERBS if verb in ALWAYS_COUNTED or counts.get(verb)]
    return ", ".join(f"{counts.get(verb, 0)} to {verb}" for verb in shown)


def problems_line(plan: Plan) -> str:
    return (f"{_count(len(plan.problems), 'problem')}: this plan cannot be applied until the "
            "spec changes.")


def summary_line(plan: Plan) -> str:
    """`Plan: 2 to create, 1 to update, 0 to delete.`, or that there is nothing to do; with
    problems, a second line says the plan cannot be applied."""
    if not plan.actions and not plan.problems:
        return "No changes. The site matches the spec."
    line = f"Plan: {count_phrase(plan.counts())}."
    return f"{line}\n{problems_line(plan)}" if plan.problems else line


def human(plan: Plan, color: bool = False) -> str:
    """The plan for a terminal; see the module docstring. Deterministic for a given plan."""

    def style(text: str, **how: Any) -> str:
        return click.style(text, **how) if color else text

    lines: list[str] = []
    for slug, actions in groups(plan):
        lines.append(style(f"{group_title(slug)}:", bold=True))
        for action in actions:
            head = f"  {style(SYMBOLS[action.verb], fg=COLORS[action.verb], bold=True)} " \
                   f"{title(action)}"
            for mark, text in mark_texts(action):
                how: dict[str, Any] = {"fg": "magenta", "bold": True} if mark == \
                    Mark.IRREVERSIBLE else {"fg": "red", "bold": True} if mark == Mark.RISKY \
                    else {}
                head += " " + style(text, **how)
            lines.append(head)
            lines += [f"      {line}" for line in details(action)]
        lines.append("")
    if plan.problems:
        lines.append(style("Problems:", fg="red", bold=True))
        lines += [f"  {style('!', fg='red', bold=True)} {safe(p)}" for p in plan.problems]
        lines.append("")
    summary = summary_line(plan).split("\n")
    lines.append(style(summary[0], bold=True))
    lines += [style(line, fg="red", bold=True) for line in summary[1:]]
    return "\n".join(lines)


def json_text(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False)
