"""The risky actions a plan holds (cancelling an event, deleting what has sold), refused
before any call unless the user passed the flag each one names."""

from __future__ import annotations

from ..model import REMOVALS, Mark, Plan, State, allow_flag
from ..plan.build import deletion_risk


def refused(plan: Plan, allowed: set[str], live: State | None = None) -> list[str]:
    """One sentence per risky action whose flag was not given; apply runs nothing if any.
    With `live`, a delete is judged by what has sold by now as well: a sale since the plan
    makes it risky, while a mark the plan gave is never taken away (the re-read may not
    cover everything the plan judged, such as the tickets of an event to delete)."""
    now = {r.id: r.facts for r in (live.resources.values() if live else ()) if r.id}
    out = []
    for action in plan.actions:
        marks, note = action.marks, action.note
        if action.verb in REMOVALS and action.id in now:
            judged, said_now = deletion_risk(now[action.id])
            if judged:
                marks, note = (*marks, *judged), said_now
        if Mark.RISKY in marks and allow_flag(action) not in allowed:
            said = f" ({note})" if note else ""
            out.append(f"{action.address}: {action.verb} is risky{said}; pass "
                       f"{allow_flag(action)} to allow it")
    return out
