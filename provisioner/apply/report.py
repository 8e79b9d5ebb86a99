"""What became of each action of an apply (`Outcome`) and of the whole run (`Report`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..model import Action

DEFAULT_PARALLELISM = 16  # a whole DevCon level in one round; the rate limiter paces the rest


class Status(StrEnum):
    """What became of one action."""

    APPLIED = "applied"
    FAILED = "failed"
    CONFLICT = "conflict"  # the site changed it since the plan was made; nothing overwritten
    SKIPPED = "skipped"  # it waits for an action that did not apply


STATUSES: tuple[Status, ...] = tuple(Status)


@dataclass
class Outcome:
    """What became of one action. `detail` says why it failed or was skipped, or how it was
    confirmed (`found on the site after a lost answer`)."""

    action: Action
    status: Status
    detail: str = ""
    id: str | None = None
    seconds: float = 0.0


@dataclass
class Report:
    """What became of a whole apply: every action's outcome, how long it took, how many
    calls it made."""

    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        return all(o.status == Status.APPLIED for o in self.outcomes)
