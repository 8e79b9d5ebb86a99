"""A plan as a GitHub pull-request comment, kept under GitHub's 65,536-character limit."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

from ..model import VERBS, Action, Mark, Plan, Verb, allow_flag
from .render import (
    ALWAYS_COUNTED,
    details,
    group_of,
    group_title,
    groups,
    label,
    mark_texts,
    safe,
    summary_line,
    zone_of,
)

BUDGET = 60_000
WARNINGS_BUDGET = 20_000
WARNING_WIDTH = 400
MARKERS = {Verb.CREATE: "+", Verb.ASSIGN: "+", Verb.DELETE: "-", Verb.UNASSIGN: "-",
           Verb.CANCEL: "-"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#!])")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def md_text(text: str) -> str:
    """Plain text for markdown: punctuation that markdown or HTML would read is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", safe(text))


def code_span(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    text = safe(text)
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cut(text: str, width: int = WARNING_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _counts_table(plan: Plan) -> list[str]:
    counts = plan.counts()
    rows = [f"| {verb} | {counts[verb]} |" for verb in VERBS
            if verb in ALWAYS_COUNTED or counts[verb]]
    return ["| Action | Count |", "|---|---:|", *rows]


def _warnings(plan: Plan, budget: int = WARNINGS_BUDGET) -> list[str]:
    items = [f"- ⚠️ **Problem:** {md_text(_cut(p))}" for p in plan.problems]
    for action in plan.actions:
        zone = zone_of(plan, group_of(action))
        what = code_span(_cut(f"{action.verb} {label(action, zone)}"))
        if Mark.RISKY in action.marks:
            said = f": {md_text(_cut(action.note))}" if action.note else ""
            items.append(f"- ⚠️ **Risky:** {what}{said}; refused at apply unless "
                         f"`{allow_flag(action)}`")
        if Mark.IRREVERSIBLE in action.marks:
            items.append(f"- ⚠️ **Irreversible:** {what} cannot be undone by another plan")
    kept: list[str] = []
    used = 0
    for item in items:
        if used + _size(item) + 1 > budget:
            kept.append(f"- … {len(items) - len(kept)} more warnings not shown; run "
                        "provisioner plan locally for the full plan")
            break
        kept.append(item)
        used += _size(item) + 1
    return kept


def _head(plan: Plan, warnings_budget: int = WARNINGS_BUDGET) -> str:
    lines = [f"**{md_text(line)}**" for line in summary_line(plan).split("\n")]
    lines += ["", md_text(_cut(plan.target))]
    if plan.actions:
        lines += ["", *_counts_table(plan)]
    warnings = _warnings(plan, warnings_budget)
    if warnings:
        lines += ["", "**⚠️ Needs attention:**", "", *warnings]
    return "\n".join(lines) + "\n"


def _action_lines(action: Action, create_fields: bool, zone: ZoneInfo | None) -> list[str]:
    """An action's title and field lines, all starting with its marker (so no line of a
    value can open or close the fence, and GitHub colours each)."""
    marker = MARKERS.get(action.verb, "!")
    head = f"{marker} {action.verb} {label(action, zone)}"
    for _, text in mark_texts(action):
        head += f" {text}"
    return [head, *(f"{marker}     {line}" for line in details(action, create_fields, zone))]


def _open(slug: str, actions: list[Action]) -> str:
    counts: dict[str, int] = dict.fromkeys(VERBS, 0)
    for action in actions:
        counts[action.verb] += 1
    said = ", ".join(f"{count} {verb}" for verb, count in counts.items() if count)
    noun = "action" if len(actions) == 1 else "actions"
    return (f"\n<details><summary><b>{html.escape(group_title(slug))}</b>: {len(actions)} "
            f"{noun} ({said})</summary>\n\n```diff\n")


_CLOSE = "```\n\n</details>\n"


def _details(plan: Plan, create_fields: bool, budget: int | None) -> str:
    """Every group's block; with a budget, as many actions as fit and a note on the rest."""
    out: list[str] = []
    used = 0
    note_room = 200
    shown = 0
    for slug, actions in groups(plan):
        zone = zone_of(plan, slug)
        opening = _open(slug, actions)
        block: list[str] = []
        block_size = _size(opening) + _size(_CLOSE)
        for action in actions:
            chunk = "".join(line + "\n" for line in _action_lines(action, create_fields, zone))
            if budget is not None and used + block_size + _size(chunk) + note_room > budget:
                if block:
                    out.append(opening + "".join(block) + _CLOSE)
                left = len(plan.actions) - shown
                out.append(f"\n… {left} more actions not shown; run provisioner plan "
                           "locally for the full plan\n")
                return "".join(out)
            block.append(chunk)
            block_size += _size(chunk)
            shown += 1
        out.append(opening + "".join(block) + _CLOSE)
        used += block_size
    return "".join(out)


def markdown(plan: Plan, budget: int | None = None) -> str:
    """The plan as a pull-request comment; deterministic, and within `budget` bytes (less
    than `BUDGET` when several environments' plans share one comment).

    Layout: the summary (bold), the target, a table of counts, a "⚠️" list of problems and of
    irreversible or risky actions, then one collapsed `<details>` block per event (site-level
    first) holding a fenced `diff` block. In it a line starts with `+` (create, assign), `-`
    (delete, unassign, cancel) or `!` (update, reorder, publish, discard: GitHub colours `!` lines
    as changed), followed by the verb and the object; field lines are indented under their action.
    Field lines read as in the human view (`render`): times in the event's zone, and a long or
    multi-line changed text as a word diff, `… refund up to [-30-]{+14+} days …` (inside the
    fenced block the marks need no escaping, and every line keeps its marker).

    Budget: the text is measured in UTF-8 bytes (never less than characters or UTF-16 units) and
    kept within `BUDGET`. When the full text does not fit, the field lines of creates go first;
    if it still does not fit, actions are shown in order until the budget runs out and a note
    says how many were left out. The summary, counts and warnings always stay (the warnings
    themselves are capped at `WARNINGS_BUDGET`, with a note).
    """
    budget = BUDGET if budget is None else budget
    head = _head(plan, min(WARNINGS_BUDGET, budget // 3))
    for create_fields in (True, False):
        text = head + _details(plan, create_fields, None)
        if _size(text) <= budget:
            return text
    return head + _details(plan, False, budget - _size(head))
