"""Webhook lanes: one receiver URL's deliveries waiting to be posted. A `Delivery` is one
message on its way to one URL (what the delivery log shows), a `Lane` holds a URL's deliveries
until they are due and starts the threads that post them, and `RetryPolicy` says how many
attempts a delivery gets and how long it waits between them. webhooks.py's hub posts them and
decides what a retry is.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .webhook_payloads import Message


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay: float = 0.2  # seconds between the 1st and 2nd attempt; doubles each time
    max_delay: float = 60.0
    timeout: float = 1.25  # Wix: the receiver must answer within 1250 ms

    def delay_after(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), with ±50 %
        jitter."""
        return min(self.max_delay, self.first_delay * 2 ** (attempt - 1)) * (0.5 + draw())


@dataclass
class Delivery:
    """One message on its way to one URL."""

    message: Message
    url: str
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    state: str = "pending"  # pending, delivered, failed (attempts used up), dropped

    def to_json(self) -> dict[str, Any]:
        notice = self.message.notice
        return {
            "id": self.message.id,
            "url": self.url,
            "site": notice.site,
            "eventType": notice.event,
            "entityId": notice.entity_id,
            "attempts": self.attempts,
            "lastStatus": self.last_status,
            "lastError": self.last_error,
            "state": self.state,
            "delivered": self.state == "delivered",
        }


class Lane:
    """One receiver URL's deliveries: a queue whose items come out once due (retries wait
    there, holding no thread) and the threads that post them, started on first use."""

    def __init__(self, url: str, workers: int) -> None:
        self.url = url
        self._workers = workers
        self._ready = threading.Condition()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._closed = False
        self.threads: list[threading.Thread] = []

    def put(self, delivery: Delivery, due: float, work: Callable[[Lane], None]) -> bool:
        """Queue `delivery` for `due` (a monotonic time); False once the lane is closed."""
        with self._ready:
            if self._closed:
                return False
            heapq.heappush(self._heap, (due, next(self._order), delivery))
            if not self.threads:
                for number in range(self._workers):
                    thread = threading.Thread(target=work, args=(self,), daemon=True,
                                              name=f"webhooks-{number}-{self.url}")
                    self.threads.append(thread)
                    thread.start()
            self._ready.notify()
            return True

    def take(self) -> Delivery | None:
        """The next due delivery, waiting for it; None once the lane is closed."""
        with self._ready:
            while not self._closed:
                if not self._heap:
                    self._ready.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._ready.wait(wait)
            return None

    def close(self) -> list[Delivery]:
        """Stop taking deliveries; the ones still queued."""
        with self._ready:
            self._closed = True
            left = [entry[2] for entry in self._heap]
            self._heap.clear()
            self._ready.notify_all()
            return left
