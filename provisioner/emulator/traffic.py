"""The request log: every API call the emulator answered, and counters per method and route.

Benchmarks and tests count calls with it (`GET /_emulator/requests`), so the counters must be
exact: one entry per API request that reached a route, whatever its outcome (including
emulated faults), and none for control calls or unknown paths. Routes are counted by their
template (`GET /events/v3/events/{eventId}`), so calls for different ids add up.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

from .http import Ctx, Endpoint

KEEP = 10_000  # entries kept in the log; counters are never truncated


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    method: str
    route: str  # the endpoint's path template
    path: str
    site: str
    status: int
    fault: str | None  # None, "latency", "error", "rate_limited" or "dropped_after_commit"


class RequestLog:
    """Thread-safe: requests are served concurrently."""

    def __init__(self, keep: int = KEEP) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RequestRecord] = deque(maxlen=keep)
        self._counters: Counter[str] = Counter()
        self._by_site: Counter[tuple[str, str]] = Counter()
        self._seq = 0

    def record(self, method: str, route: str, path: str, site: str, status: int,
               fault: str | None) -> None:
        key = f"{method} {route}"
        with self._lock:
            self._seq += 1
            self._entries.append(RequestRecord(self._seq, method, route, path, site, status,
                                               fault))
            self._counters[key] += 1
            self._by_site[(site, key)] += 1

    def snapshot(self, site: str | None = None) -> dict[str, Any]:
        """Counters and entries, for every site or one."""
        with self._lock:
            if site:
                counters = {key: n for (s, key), n in self._by_site.items() if s == site}
                entries = [e for e in self._entries if e.site == site]
            else:
                counters = dict(self._counters)
                entries = list(self._entries)
        return {
            "total": sum(counters.values()),
            "counters": dict(sorted(counters.items())),
            "requests": [asdict(e) for e in entries],
        }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counters.clear()
            self._by_site.clear()


def request_log(ctx: Ctx) -> RequestLog:
    log: RequestLog = ctx.state.extensions["requests"]
    return log


def get_requests(ctx: Ctx) -> dict[str, Any]:
    """The log and counters; with `wix-site-id`, only that site's calls."""
    return request_log(ctx).snapshot(ctx.site or None)


def clear_requests(ctx: Ctx) -> dict[str, Any]:
    request_log(ctx).clear()
    return {}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/_emulator/requests", get_requests),
    Endpoint("DELETE", "/_emulator/requests", clear_requests),
]
