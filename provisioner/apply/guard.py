"""The risky actions a plan holds (cancelling an event, deleting what has sold), refused
before any call unless the user passed the flag each one names."""

from __future__ import annotations

from ..model import REMOVALS, Action, Mark, Plan, State, allow_flag
from ..plan.build import deletion_risk


def refusal(action: Action, marks: tuple[Mark, ...], note: str, allowed: set[str] | frozenset[str]
            ) -> str | None:
    """Why `action` with these marks may not run (`delete is risky (3 sold); pass
    --allow-delete-sold to allow it`), or None when it is not risky or its flag was given."""
    if Mark.RISKY not in marks or allow_flag(action) in allowed:
        return None
    said = f" ({note})" if note else ""
    return f"{action.verb} is risky{said}; pass {allow_flag(action)} to allow it"


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
                marks, note = tuple(dict.fromkeys((*marks, *judged))), said_now
        why = refusal(action, marks, note, allowed)
        if why:
            out.append(f"{action.address}: {why}")
    return out
