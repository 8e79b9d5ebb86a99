"""What became of each action of an apply (`Outcome`) and of the whole run (`Report`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Action

DEFAULT_PARALLELISM = 16  # a whole DevCon level in one round; the rate limiter paces the rest
APPLIED, FAILED, CONFLICT, SKIPPED = "applied", "failed", "conflict", "skipped"
STATUSES = (APPLIED, FAILED, CONFLICT, SKIPPED)


@dataclass
class Outcome:
    """What became of one action. `detail` says why it failed or was skipped, or how it was
    confirmed (`found on the site after a lost answer`)."""

    action: Action
    status: str
    detail: str = ""
    id: str | None = None
    seconds: float = 0.0


@dataclass
class Report:
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        return all(o.status == APPLIED for o in self.outcomes)
