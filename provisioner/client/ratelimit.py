"""Client-wide pacing of calls: one token bucket for every request a client makes, so many
concurrent actions share the site's budget (Wix allows about 200 calls a minute) instead of
each finding the limit on its own.

- The bucket holds `BURST_SECONDS` of budget, so a small apply never waits.
- A 429 pauses every caller until its `Retry-After` has passed (not just the one refused) and
  halves the pace; each call that passes afterwards wins a little of it back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

BURST_SECONDS = 10.0
SLOWEST = 10.0  # calls a minute, however often the site says 429
RECOVERY = 0.02  # share of the lost pace won back per call that passes


class RateLimiter:
    def __init__(self, per_minute: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.ceiling = float(per_minute)
        self.pace = float(per_minute)  # calls a minute now
        self._clock, self._sleep = clock, sleep
        self.capacity = max(1.0, self.ceiling * BURST_SECONDS / 60)
        self._tokens = self.capacity
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0  # seconds callers spent waiting, for reports

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.pace / 60)
        self._stamp = now

    async def acquire(self) -> None:
        """Wait until a call may go out, then take its token."""
        async with self._lock:  # callers are served in arrival order
            while True:
                now = self._clock()
                self._refill(now)
                wait = max(self._paused_until - now, (1 - self._tokens) * 60 / self.pace)
                if wait <= 1e-9:  # a float's rounding must not make a caller sleep forever
                    self._tokens -= 1
                    return
                self.waited += wait
                await self._sleep(wait)

    def passed(self) -> None:
        """A call went through: win back some of the pace lost to 429s."""
        if self.pace < self.ceiling:
            self.pace = min(self.ceiling, self.pace + (self.ceiling - self.pace) * RECOVERY
                            + 0.1)

    def throttled(self, retry_after: float | None) -> None:
        """The site said 429: everyone waits out `retry_after`, and the pace halves."""
        now = self._clock()
        self._refill(now)
        self.pace = max(SLOWEST, self.pace / 2)
        self._tokens = min(self._tokens, 0.0)
        if retry_after:
            self._paused_until = max(self._paused_until, now + retry_after)
