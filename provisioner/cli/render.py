"""Plans as text: the human view (Terraform style), markdown for a pull request, and JSON.

The human view groups actions under their event (site-level ones, such as categories, first),
in plan order within a group, and ends with the summary line. One symbol per verb:

    +  create, assign (a category assignment)     -  delete, unassign
    ~  update                                     ⇅  reorder (a collection's display order)
    ↑  publish (an event, or a schedule draft)    ↺  discard (a schedule draft)
    ×  cancel (an event)

An update lists one `path: old → new` line per changed field, a create one `path = value` line
per field, a reorder `order: A, B → B, A`. Values are compact JSON (strings quoted), `(unset)`
for absent, cut at 80 characters with `…`. An update whose old or new value is longer than
that, or holds a line break, shows a word diff instead, so no change hides behind a cut:
`body: … refund up to [-30-]{+14+} days before …`: git's `--word-diff` marks, six words of
context around each change, `…` for the unchanged runs left out, each further stretch of
changes on a line of its own; with `color`, removed words red and struck through, added ones
green. A value set where there was none has nothing to compare, and is cut like a create's.

Times are shown as the organiser reads them, in the event's zone (`Plan.time_zones`):
`2025-06-15 12:30 PDT`, seconds only when there are some, `UTC-03` for a zone without an
abbreviation in letters. So are values that are UTC instants (unquoted: a text is always
quoted, so it cannot pass for one), instants inside JSON values, and the start in the names
of schedule items told apart by it (`"Lunch @ 2025-06-15 12:30 PDT"`). Site-level actions, and
events without a known zone (a plan file written before zones were saved, an id this machine
does not know) show UTC, `2025-06-15 19:30 UTC`. The JSON view is the plan file: UTC instants,
untouched.

Marks follow the title: `(irreversible)` and `(risky: 12 sold — refused at apply unless
allowed)`. Problems come last, under "Problems:". With `color`, symbols and marks are styled
with click (green +, yellow ~, red -, cyan ⇅, magenta for irreversible); without it the text
holds no escape sequence at all, and with it the text is the same once the escape sequences
are taken out. Control characters in names and values are escaped, so a spec cannot smuggle
terminal codes through.
The markdown form lives in `render_markdown`, which builds on this module (never the other
way round).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any
from zoneinfo import ZoneInfo

import click

from .. import kinds
from ..model import VERBS, Action, Change, Mark, Plan, Verb, allow_flag
from ..plan.planfile import plan_to_json
from ..spec import times

SYMBOLS = {Verb.CREATE: "+", Verb.UPDATE: "~", Verb.DELETE: "-", Verb.REORDER: "⇅",
           Verb.PUBLISH: "↑", Verb.DISCARD: "↺", Verb.CANCEL: "×", Verb.ASSIGN: "+",
           Verb.UNASSIGN: "-"}
COLORS = {Verb.CREATE: "green", Verb.UPDATE: "yellow", Verb.DELETE: "red",
          Verb.REORDER: "cyan", Verb.PUBLISH: "blue", Verb.DISCARD: "yellow",
          Verb.CANCEL: "red", Verb.ASSIGN: "green", Verb.UNASSIGN: "red"}
# verbs whose symbol alone does not say what happens: their title starts with the verb
NAMED_VERBS = (Verb.REORDER, Verb.PUBLISH, Verb.DISCARD, Verb.CANCEL)
VALUE_WIDTH = 80
CONTEXT_WORDS = 6  # unchanged words shown on each side of a change in a word diff
ALWAYS_COUNTED = (Verb.CREATE, Verb.UPDATE, Verb.DELETE)
SITE = ""  # the group of site-level actions
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# what str.splitlines breaks at: a value holding any of these is shown as a word diff
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# a word with the whitespace before it (so a moved line break shows at its word, and words
# alone are matched: spaces as tokens of their own make the diff slow on long texts), and
# the whitespace that ends a text
_TOKENS = re.compile(r"\s*\S+|\s+")
# a name told apart by its start (`Lunch @ 2025-06-15T19:30:00.000Z`), maybe a copy's `#2`
_AT_INSTANT = re.compile(r"(?s)(.* @ )(\S+)( #\d+)?")

Style = Callable[..., str]  # click.style, or a function that leaves the text as it is


def plain(text: str, **_how: Any) -> str:
    """The `Style` of uncoloured output: the text unchanged."""
    return text


def safe(text: str) -> str:
    """`text` with control characters (escape sequences, newlines) written as `\\uXXXX`."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- times ---------------------------------------------------------------------------------


def zone_named(zones: Mapping[str, str], slug: str) -> ZoneInfo | None:
    """The zone `zones` gives the event `slug`; None (shown as UTC) for site-level actions,
    an event without one, or an id this machine does not know."""
    return times.zone(zones.get(slug, "")) if slug else None


def local_time(text: str, zone: ZoneInfo | None) -> str | None:
    """`2025-06-15 12:30 PDT`: the instant `text` (`2025-06-15T19:30:00.000Z`, or with an
    offset) in `zone` (UTC when None), with seconds only when it has some; None when `text`
    is not an instant as a whole (a date in prose stays prose, a local time has no zone)."""
    match = times.TIME_RE.match(text)
    if match is None or match.group(8) is None:  # group 8: `Z` or the offset
        return None
    try:
        moment = times.parse(text, None).utc
    except times.TimeProblem:  # 2025-02-30, say: not a time after all
        return None
    try:
        local = moment.astimezone(zone or UTC)
    except (OverflowError, ValueError):  # the last hours of year 9999 east of UTC
        local = moment
    name = local.tzname() or "UTC"
    # zones without a letter abbreviation are named by their offset (`-03`): say from what
    return f"{_clock(local)} {'UTC' + name if name[0] in '+-' else name}"


def _clock(moment: datetime) -> str:
    """`2025-06-15 12:30`, `12:30:15` with seconds, `12:30:15.250` with milliseconds."""
    # not strftime: its %Y drops the leading zeros of a year before 1000 on some platforms
    shown = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
             f"{moment.hour:02d}:{moment.minute:02d}")
    millis = moment.microsecond // 1000
    if moment.second or millis:
        shown += f":{moment.second:02d}"
    if millis:
        shown += f".{millis:03d}"
    return shown


def localised(data: Any, zone: ZoneInfo | None) -> Any:
    """`data` with every string that is an instant, at any depth, as its local time."""
    if isinstance(data, str):
        return local_time(data, zone) or data
    if isinstance(data, dict):
        return {key: localised(item, zone) for key, item in data.items()}
    if isinstance(data, list):
        return [localised(item, zone) for item in data]
    return data


def local_name(kind: str, name: str, zone: ZoneInfo | None) -> str:
    """A member's name in a plan with the start that tells it apart in local time:
    `Lunch @ 2025-06-15 12:30 PDT`; other names as they are."""
    if kind not in kinds.BY_NAME or kinds.kind_of(kind).tiebreak is None:
        return name
    match = _AT_INSTANT.fullmatch(name)
    shown = local_time(match.group(2), zone) if match else None
    if match is None or shown is None:
        return name
    return f"{match.group(1)}{shown}{match.group(3) or ''}"


# --- values and word diffs -----------------------------------------------------------------


def value(data: Any, width: int = VALUE_WIDTH, zone: ZoneInfo | None = None) -> str:
    """A value as one line of compact JSON; `(unset)` for absent; an instant as its local
    time, unquoted (strings always are quoted, so it cannot pass for one); cut at `width`
    with `…`."""
    if data is None:
        return "(unset)"
    shown = local_time(data, zone) if isinstance(data, str) else None
    if shown is None:
        shown = json.dumps(localised(data, zone), ensure_ascii=False, separators=(", ", ": "),
                           default=str)
    text = safe(shown)
    return text if len(text) <= width else text[:width - 1] + "…"


def _multiline(data: Any) -> bool:
    """Whether `data` holds a text with a line break, at any depth."""
    if isinstance(data, str):
        return any(char in _LINE_BREAKS for char in data)
    if isinstance(data, dict):
        return any(_multiline(item) for item in data.values())
    if isinstance(data, list):
        return any(_multiline(item) for item in data)
    return False


def wants_word_diff(change: Change, zone: ZoneInfo | None = None) -> bool:
    """Whether a changed field reads better as a word diff: both sides set, and one of them
    too long to show whole or holding a line break."""
    if change.old is None or change.new is None:
        return False  # nothing to compare a new value with (or an old one, for removal)
    return any(_multiline(side) or len(value(side, sys.maxsize, zone)) > VALUE_WIDTH
               for side in (change.old, change.new))


def _shown(token: str, in_string: bool) -> str:
    """A token as displayed: inside a string escaped as its JSON would be (quotes,
    backslashes, line breaks), every control character written out; spaces stay spaces."""
    if not in_string:
        return token  # already a piece of safe JSON text
    shown = safe(json.dumps(token, ensure_ascii=False)[1:-1])
    # the two line breaks JSON leaves as they are: a line of a diff stays one line
    return shown.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# A segment of a word diff: (unchanged tokens, [], []) or ([], removed tokens, added tokens).
Segment = tuple[list[str], list[str], list[str]]


def _segments(old: list[str], new: list[str]) -> list[Segment]:
    """The two token lists as unchanged runs and changes (adjacent changes joined)."""
    # the common start and end first: a small edit in a long text then costs next to nothing
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    out: list[Segment] = [(old[:start], [], [])] if start else []
    middle_old, middle_new = old[start:len(old) - end], new[start:len(new) - end]
    # autojunk off: it would treat the commonest words as noise and give odd diffs
    matcher = SequenceMatcher(None, middle_old, middle_new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append((middle_old[i1:i2], [], []))
        elif out and not out[-1][0]:
            out[-1][1].extend(middle_old[i1:i2])
            out[-1][2].extend(middle_new[j1:j2])
        else:
            out.append(([], middle_old[i1:i2], middle_new[j1:j2]))
    if end:
        out.append((old[len(old) - end:], [], []))
    return out


def _lead(removed: list[str], added: list[str]) -> str:
    """The whitespace a change's first tokens both start with (all of it, when one side is
    empty): written before the marks, so `we [-half-]{+40%+}` rather than `we[- half-]…`."""
    firsts = [tokens[0] for tokens in (removed, added) if tokens]
    spaces = [first[:len(first) - len(first.lstrip())] for first in firsts]
    return spaces[0] if len(set(spaces)) == 1 else ""


def _marked(removed: list[str], added: list[str], in_string: bool, style: Style) -> str:
    """One change as `[-removed-]{+added+}`, the whitespace both sides start with before it."""
    lead = _lead(removed, added)
    removed = [token[len(lead):] for token in removed[:1]] + removed[1:]
    added = [token[len(lead):] for token in added[:1]] + added[1:]
    out = _shown(lead, in_string)
    if removed:
        out += style(f"[-{_text(removed, in_string)}-]", fg="red", strikethrough=True)
    if added:
        out += style(f"{{+{_text(added, in_string)}+}}", fg="green")
    return out


def _text(tokens: list[str], in_string: bool) -> str:
    return "".join(_shown(token, in_string) for token in tokens)


def _words(tokens: list[str]) -> int:
    """How many words `tokens` hold (a text's final whitespace is a token but no word)."""
    return sum(1 for token in tokens if not token.isspace())


def word_diff(old: Any, new: Any, zone: ZoneInfo | None = None, style: Style = plain,
              context: int = CONTEXT_WORDS) -> list[str]:
    """What changed from `old` to `new`, word by word: `[-removed-]{+added+}` with `context`
    unchanged words on each side and `…` where an unchanged run is left out. One line per
    stretch of changes (a later stretch starts with `…`); no changed word is ever left out.
    Two strings are diffed on their text (quoted where the line reaches its start or end),
    anything else on its compact JSON."""
    in_string = all(isinstance(side, str) and local_time(side, zone) is None
                    for side in (old, new))
    if in_string:
        before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    else:
        before, after = (_TOKENS.findall(value(side, sys.maxsize, zone)) for side in (old, new))

    def head(tokens: list[str]) -> str:  # an unchanged run's first `context` words, then `…`
        return (_text(tokens[:context], in_string) if context else "") + " …"

    def tail(tokens: list[str]) -> str:  # `…`, then its last `context` words
        shown = _text(tokens[len(tokens) - context:], in_string).lstrip() if context else ""
        return f"… {shown}" if shown else "…"

    segments = _segments(before, after)
    quote = '"' if in_string else ""  # a string's quotes, where the line reaches its ends
    lines: list[str] = []
    line = quote
    for index, (same, removed, added) in enumerate(segments):
        if not same:
            line += _marked(removed, added, in_string, style)
            continue
        words = _words(same)
        first, last = index == 0, index == len(segments) - 1
        if first and not last and words > context:
            line = tail(same)
        elif last and not first and words > context:
            line += head(same)
            quote = ""
        elif not first and not last and words > 2 * context:
            lines.append(line + head(same))
            line = tail(same)
        else:
            line += _text(same, in_string)
    lines.append(line + quote)
    return lines


def _quoted(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def label(action: Action, zone: ZoneInfo | None = None) -> str:
    """The object an action is about: `ticket definition "Early Bird"`, `schedule draft`,
    `schedule item "Lunch @ 2025-06-15 12:30 PDT"` (times in `zone`; UTC when None)."""
    if kinds.is_draft(action.key):  # `schedule draft`
        return safe(f"{action.key.kind} {action.key.name}")
    kind = kinds.kind_of(action.key.kind)
    if action.verb == Verb.REORDER:
        return safe(kind.plural)
    if kind.partial:  # one per event (its form's messages, its ticket currency): no name
        return safe(kind.noun)
    name = local_name(action.key.kind, action.key.name, zone)
    return safe(f"{kind.noun} {_quoted(name)}")


def title(action: Action, zone: ZoneInfo | None = None) -> str:
    """The action's line after its symbol, without marks: `publish event "devcon-2025"`."""
    said = label(action, zone)
    return f"{action.verb} {said}" if action.verb in NAMED_VERBS else said


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


def change_lines(change: Change, zone: ZoneInfo | None = None, style: Style = plain
                 ) -> list[str]:
    """An update's changed field: `path: old → new`, or a word diff (see the module
    docstring), its later stretches indented under the first."""
    path = safe(change.path)
    if not wants_word_diff(change, zone):
        return [f"{path}: {value(change.old, zone=zone)} → {value(change.new, zone=zone)}"]
    first, *rest = word_diff(change.old, change.new, zone, style)
    return [f"{path}: {first}", *(f"  {line}" for line in rest)]


def details(action: Action, create_fields: bool = True, zone: ZoneInfo | None = None,
            style: Style = plain) -> list[str]:
    """The lines under an action's title: changes of an update, fields of a create, order;
    times in `zone` (UTC when None)."""
    if action.verb == Verb.REORDER:
        kind = action.key.kind

        def names(order: tuple[str, ...]) -> str:
            return ", ".join(safe(local_name(kind, name, zone)) for name in order)

        return [f"order: {names(action.previous_order)} → {names(action.order)}"]
    if action.verb in (Verb.DELETE, Verb.UNASSIGN):
        return []
    if action.verb in (Verb.CREATE, Verb.ASSIGN):
        if not create_fields:
            return []
        return [f"{safe(c.path)} = {value(c.new, zone=zone)}" for c in action.changes]
    return [line for change in action.changes for line in change_lines(change, zone, style)]


def group_of(action: Action) -> str:
    """The event slug an action is shown under; SITE for site-level ones."""
    return kinds.event_of(action.key)


def zone_of(plan: Plan, slug: str) -> ZoneInfo | None:
    """The zone a group's times are shown in (see `zone_named`)."""
    return zone_named(plan.time_zones, slug)


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

    style: Style = click.style if color else plain
    lines: list[str] = []
    for slug, actions in groups(plan):
        zone = zone_of(plan, slug)
        lines.append(style(f"{group_title(slug)}:", bold=True))
        for action in actions:
            head = f"  {style(SYMBOLS[action.verb], fg=COLORS[action.verb], bold=True)} " \
                   f"{title(action, zone)}"
            for mark, text in mark_texts(action):
                how: dict[str, Any] = {"fg": "magenta", "bold": True} if mark == \
                    Mark.IRREVERSIBLE else {"fg": "red", "bold": True} if mark == Mark.RISKY \
                    else {}
                head += " " + style(text, **how)
            lines.append(head)
            lines += [f"      {line}" for line in details(action, zone=zone, style=style)]
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
