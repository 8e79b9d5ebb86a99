"""What apply shows while it runs and when it ends: on a terminal, a live view of the calls in
flight and the counts so far (rich); elsewhere (CI, a pipe), one plain line per finished
action; then a summary with counts and duration, and the report as JSON for `--json`.

The live view is drawn by rich's own refresh, a few times a second, and finished lines are
printed together at most as often: an action starting or ending only records it, so drawing
never costs each call of the apply its own render.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from .. import kinds
from ..apply.report import STATUSES, Outcome, Report, Status
from ..model import FORMAT_VERSION, Action
from .render import SYMBOLS, safe, title, zone_named

MARKS = {Status.APPLIED: "✓", Status.FAILED: "✗", Status.CONFLICT: "!", Status.SKIPPED: "·"}
STYLES = {Status.APPLIED: "green", Status.FAILED: "red", Status.CONFLICT: "yellow",
          Status.SKIPPED: "dim"}
SHOWN_IN_FLIGHT = 8
REFRESHES_PER_SECOND = 8  # of the live view; finished lines are printed as often


def action_line(action: Action, zones: Mapping[str, str] | None = None) -> str:
    """`+ ticket definition "VIP" · event devcon-2025`: the plan's symbol and title, and the
    event it belongs to; a name with a time shows it as the plan does, in the event's zone
    from `zones` (the plan's `time_zones`; UTC without)."""
    slug = kinds.event_of(action.key)
    where = f" · event {safe(slug)}" if slug and action.key.kind != kinds.CONTAINER.name else ""
    zone = zone_named(zones or {}, slug)
    return f"{SYMBOLS[action.verb]} {title(action, zone)}{where}"


def outcome_line(outcome: Outcome, zones: Mapping[str, str] | None = None) -> str:
    """`✓ + ticket definition "VIP" · event x · 0.12 s`; a line that did not apply says its
    status and why."""
    status = "" if outcome.status == Status.APPLIED else f"{outcome.status}: "
    detail = f": {safe(outcome.detail)}" if outcome.detail else ""
    took = f" · {outcome.seconds:.2f} s" if outcome.status != Status.SKIPPED else ""
    return (f"{MARKS[outcome.status]} {status}{action_line(outcome.action, zones)}{took}"
            f"{detail}")


class PlainProgress:
    """One line per finished action, for logs; times in names in the events' `zones`."""

    def __init__(self, stream: IO[str], zones: Mapping[str, str] | None = None) -> None:
        self.stream = stream
        self.zones = zones or {}

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def started(self, action: Action) -> None:
        return None

    def done(self, outcome: Outcome) -> None:
        print(outcome_line(outcome, self.zones), file=self.stream, flush=True)


class LiveProgress:
    """A live view on a terminal: the actions in flight, the finished lines above them; times
    in names in the events' `zones`."""

    def __init__(self, stream: IO[str], total: int, zones: Mapping[str, str] | None = None
                 ) -> None:
        self.zones = zones or {}
        self.console = Console(file=stream, highlight=False)
        self.total = total
        self.in_flight: dict[str, float] = {}
        self.counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        self.finished: list[Text] = []  # done, not printed yet
        self._printing: asyncio.TimerHandle | None = None
        # rich asks for the view each time it redraws, rather than being handed a new one on
        # every start and end
        self.live = Live(console=self.console, get_renderable=self._view,
                         refresh_per_second=REFRESHES_PER_SECOND, transient=True)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        self.live.refresh()  # drawn at once, not a refresh later
        return self

    def __exit__(self, *exc: Any) -> None:
        self._print_finished()
        self.live.__exit__(*exc)

    def _view(self) -> Group:
        done = sum(self.counts.values())
        head = Text(f"Applying: {done} of {self.total} done", style="bold")
        for status in STATUSES:
            if self.counts[status]:
                head.append(f"  {self.counts[status]} {status}", style=STYLES[status])
        now = time.perf_counter()
        rows = [Text(f"  … {line} ({now - since:.1f} s)", style="cyan")
                for line, since in list(self.in_flight.items())[:SHOWN_IN_FLIGHT]]
        if len(self.in_flight) > SHOWN_IN_FLIGHT:
            rows.append(Text(f"  … and {len(self.in_flight) - SHOWN_IN_FLIGHT} more"))
        return Group(head, *rows)

    def started(self, action: Action) -> None:
        self.in_flight[action_line(action, self.zones)] = time.perf_counter()

    def done(self, outcome: Outcome) -> None:
        self.in_flight.pop(action_line(outcome.action, self.zones), None)
        self.counts[outcome.status] += 1
        self.finished.append(Text(outcome_line(outcome, self.zones),
                                  style=STYLES[outcome.status]))
        if self._printing is not None:
            return  # already due
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop: nothing to wait for
            self._print_finished()
            return
        self._printing = loop.call_later(1 / REFRESHES_PER_SECOND, self._print_finished)

    def _print_finished(self) -> None:
        """Print the lines finished since the last time, in one go, above the live view."""
        if self._printing is not None:
            self._printing.cancel()
            self._printing = None
        if self.finished:
            lines, self.finished = self.finished, []
            self.console.print(Text("\n").join(lines))  # the view redraws below them


def summary(report: Report) -> str:
    """`Apply complete: 28 applied in 0.41 s (28 calls).` or what did not apply."""
    counts = report.counts()
    took = f"in {report.seconds:.2f} s ({report.calls} call{'' if report.calls == 1 else 's'})"
    if report.ok:
        return f"Apply complete: {counts[Status.APPLIED]} applied {took}."
    said = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    return f"Apply incomplete: {said} {took}."


def problems(report: Report, zones: Mapping[str, str] | None = None) -> list[str]:
    """The failed and conflicting actions with their reasons, for the end of the output."""
    return [f"{outcome.status}: {action_line(outcome.action, zones)}: {safe(outcome.detail)}"
            for outcome in report.outcomes
            if outcome.status in (Status.FAILED, Status.CONFLICT)]


def report_json(report: Report, verified: bool | None) -> dict[str, Any]:
    """The `--json` report: every action with what became of it (docs/apply.md)."""
    return {
        "format_version": FORMAT_VERSION,
        "target": report.target,
        "ok": report.ok and verified is not False,
        "summary": report.counts(),
        "seconds": round(report.seconds, 3),
        "calls": report.calls,
        "verified": verified,
        "actions": [{"address": o.action.address, "action": o.action.verb,
                     "status": o.status, "detail": o.detail, "id": o.id,
                     "seconds": round(o.seconds, 3)} for o in report.outcomes],
    }
