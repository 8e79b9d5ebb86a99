"""The scope domain code works in: one site's documents inside one store transaction, the
emulator's clock, and the changes (`Notice`s) to announce once that transaction commits.

Models and rules take a `Scope`, never the HTTP request: `http.Ctx` makes one per request and
handlers pass it on, so the same model code serves an API call, a control call or an import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .store import Txn


@dataclass(frozen=True)
class Notice:
    """A change that listeners (webhooks) hear about once its transaction has committed.

    `event` is the Wix webhook event name, e.g. `wix.events.v3.policy_created`; `entity_fqdn`
    the entity's full name, e.g. `wix.events.v2.policy`; `action` one of created, updated,
    deleted or an action name such as order_confirmed; `entity` the entity as the API shows it.
    """

    site: str
    event: str
    entity_fqdn: str
    action: str
    entity_id: str
    entity: dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """One site's documents in one transaction (`txn`, `site`), the emulator's `clock`, and
    the notices collected for listeners, published only if the transaction commits."""

    txn: Txn
    site: str
    clock: Callable[[], datetime]
    notices: list[Notice] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock()

    def notify(self, event: str, entity_fqdn: str, action: str, entity_id: str,
               entity: dict[str, Any]) -> None:
        """Tell listeners about a change, once (and only if) this transaction commits."""
        self.notices.append(Notice(self.site, event, entity_fqdn, action, entity_id, entity))
