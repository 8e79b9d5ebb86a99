"""Does the site already show what a plan's actions want? A saved plan applied once moves
every object it touches, so applying it again must tell "the site moved to the plan" from
"the site moved away from it".

`done(action, live)` judges one action against the live `State` the stale check read (no
call of its own); `recheck(plan, live)` judges a whole plan whose objects moved: every action
done (the plan was already applied: nothing to do), or stale, with each moved object that
already shows the plan's change said so. `shows` is the comparison of a write that landed,
shared with the executor's check after a lost answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import kinds
from ..kinds import Kind
from ..model import REMOVALS, Action, Plan, State, Verb
from ..plan.desired import shaped
from ..plan.diff import field_changes
from .stale import live_object, moved

ALREADY_APPLIED = "already applied"  # the status of an action the site already shows
LIFE_CYCLE_VERBS = (Verb.PUBLISH, Verb.CANCEL)  # of an object itself, not of a draft


def shows(kind: Kind, body: dict[str, Any] | None, data: dict[str, Any]) -> bool:
    """Whether an object's compared `data` (live, shaped) holds everything `body` (what a
    create or update sends) sets."""
    return not field_changes(kind, shaped(kind, kind.body_view(dict(body or {}))), data)


def done(action: Action, live: State, plan: Plan | None = None) -> bool:
    """Whether `live` already shows what `action` wants (the rule per verb: docs/apply.md).
    A life-cycle step of an object `plan` goes on to delete is done once the object is
    gone (a cancel before a delete)."""
    kind = kinds.kind_of(action.key.kind)
    collection = kinds.collection_of(action.key)
    if kinds.is_draft(action.key):  # published or discarded: the draft matches the published
        draft = live.drafts.get(collection)
        return draft is not None and not draft.differs
    if action.verb == Verb.REORDER:
        order = live.orders.get(collection, ())
        return tuple(n for n in order if n not in kind.permanent) == action.order
    found = live_object(action, live)
    if action.verb in REMOVALS:  # gone, and nothing else took its place
        return found is None and action.key not in live.resources
    if found is None:
        return plan is not None and action.verb in LIFE_CYCLE_VERBS and any(
            a.address == action.address and a.verb in REMOVALS for a in plan.actions)
    if action.verb in LIFE_CYCLE_VERBS:
        # a life-cycle action's one change is `state: before -> the state the spec asks`
        wanted = action.changes[-1].new if action.changes else None
        if kind.life_cycle is None or wanted is None:
            return False
        step = kind.life_cycle(action.address, str(wanted), found.facts.status)
        return step.verb is None and not step.problem
    # a create, assignment or update: the object, by the plan's name, holds the body
    named = kind.name_in_data or found.key.name == action.key.name
    return named and shows(kind, action.body, found.data)


@dataclass(frozen=True)
class Recheck:
    """What a saved plan's moved objects mean: why each moved (`moved`, by address) and
    whether the site already shows each action (`done`, in plan order)."""

    plan: Plan
    moved: dict[str, str]
    done: tuple[bool, ...]

    @property
    def applied(self) -> bool:
        """Every action is already done: the plan was applied before."""
        return all(self.done)

    def at(self, address: str) -> tuple[list[Action], list[Action]]:
        """The actions on `address`: those the site shows, and those it does not."""
        pairs = [(a, d) for a, d in zip(self.plan.actions, self.done, strict=True)
                 if a.address == address]
        return [a for a, d in pairs if d], [a for a, d in pairs if not d]

    def lines(self) -> tuple[list[str], bool]:
        """One line per moved object, and whether every move is one of the plan's own."""
        out, own = [], True
        for address, why in self.moved.items():
            shown, pending = self.at(address)
            if shown and not pending:
                out.append(f"{address} already shows this plan's change")
            elif shown:
                out.append(f"{address} already shows this plan's {_verbs(shown)}, not yet its "
                           f"{_verbs(pending)}")
            else:
                out.append(why)
                own = False
        return out, own

    def refusal(self) -> str:
        """The message refusing the plan as stale, saying which actions are already done."""
        lines, own = self.lines()
        count = sum(self.done)
        said = f"{count} of {len(self.done)} actions are already done on the site"
        if count and own:  # only the plan's own changes, and not all of them: partly applied
            tail = (f"the plan was partly applied: {said}; make a new plan (provisioner plan "
                    "--out) to pick up the rest")
        elif count:
            tail = (f"{said}, and the site changed otherwise too (see above); make a new plan "
                    "(provisioner plan --out)")
        else:
            tail = "make a new plan"
        return "the plan is stale, nothing was changed:\n  " + "\n  ".join(lines) + \
            "\n" + tail


def _verbs(actions: list[Action]) -> str:
    """`update and publish`: the verbs of `actions`, once each."""
    return " and ".join(dict.fromkeys(str(a.verb) for a in actions))


def recheck(plan: Plan, live: State) -> Recheck | None:
    """None when nothing `plan` touches moved since it was made (it can run as it is); else
    what the moves mean."""
    found = moved(plan, live)
    if not found:
        return None
    return Recheck(plan, found, tuple(done(action, live, plan) for action in plan.actions))
