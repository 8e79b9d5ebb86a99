"""Emulated faults: added latency with jitter, a share of 5xx answers, a per-site rate limit
with 429 and `Retry-After`, and writes that commit and then lose their response.

Seeded and reproducible: one `random.Random(seed)` draws, for each API request in arrival
order, its jitter, whether it fails and whether its write is dropped, so the same seed and the
same calls give the same faults. Setting the faults (at start or through the control API)
re-seeds and refills every budget.

Decisions (Wix documents the limit, not its mechanics):
- The rate limit is a token bucket per site: `rate_limit` calls a minute, a burst of up to a
  minute's budget, refilled continuously. A refused call spends nothing. `Retry-After` is the
  whole seconds until a call would pass. It counts every API call of the site, whatever
  `paths`/`methods` say; those filters narrow only latency, errors and drops.
- An injected error is a 503 `UNAVAILABLE` that changed nothing. A dropped write is committed,
  then answered 504 `GATEWAY_TIMEOUT`, the way a proxy answers when the response is lost.
- Reads are GETs and the POSTs that only read (`.../query`, `.../count`, ...); only writes are
  dropped.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import BadRequest
from .http import Ctx, Endpoint

READ_SUFFIXES = ("/query", "/count", "/count-by-status", "/available/query",
                 "/available/count", "/list")


def is_write(method: str, route: str) -> bool:
    return method != "GET" and not route.endswith(READ_SUFFIXES)


@dataclass(frozen=True)
class FaultSettings:
    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0  # share of calls answered 503 without running
    drop_rate: float = 0.0  # share of writes committed, then answered 504
    rate_limit: int = 0  # calls per minute per site; 0: unlimited
    paths: tuple[str, ...] = ()  # path prefixes latency, errors and drops apply to; (): all
    methods: tuple[str, ...] = ()  # methods they apply to; (): all

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise BadRequest(f"unknown fault settings {unknown}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for name in ("latency_ms", "jitter_ms"):
            values[name] = _number(body, name, 0, 600_000)
        for name in ("error_rate", "drop_rate"):
            values[name] = _number(body, name, 0, 1)
        values["seed"] = int(_number(body, "seed", -(2**63), 2**63 - 1, integer=True))
        values["rate_limit"] = int(_number(body, "rate_limit", 0, 10**9, integer=True))
        for name in ("paths", "methods"):
            given = body.get(name, [])
            if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
                raise BadRequest(f"`{name}` must be a list of strings")
            values[name] = tuple(v.upper() for v in given) if name == "methods" else tuple(given)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["paths"], data["methods"] = list(self.paths), list(self.methods)
        return data

    def applies_to(self, method: str, path: str) -> bool:
        return ((not self.methods or method in self.methods)
                and (not self.paths or path.startswith(self.paths)))


def _number(body: dict[str, Any], name: str, low: float, high: float, *,
            integer: bool = False) -> float:
    value = body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            integer and not isinstance(value, int)) or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise BadRequest(f"`{name}` must be {kind} from {low} to {high}")
    return float(value)


@dataclass(frozen=True)
class Decision:
    latency: float = 0.0  # seconds to wait before answering
    status: int | None = None  # answer this instead of running the request (429 or 503)
    retry_after: int | None = None
    drop_after_commit: bool = False
    fault: str | None = None


NO_FAULT = Decision()


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class FaultInjector:
    """Decides, request by request, which fault (if any) to emulate."""

    settings: FaultSettings = field(default_factory=FaultSettings)
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.configure(self.settings)

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._random = random.Random(settings.seed)
            self._buckets: dict[str, _Bucket] = {}

    def decide(self, site: str, method: str, path: str, route: str) -> Decision:
        settings = self.settings
        with self._lock:
            if settings.rate_limit:
                wait = self._spend(site, settings.rate_limit)
                if wait is not None:
                    return Decision(status=429, retry_after=wait, fault="rate_limited")
            if not settings.applies_to(method, path):
                return NO_FAULT
            draw = self._random.random
            latency = settings.latency_ms / 1000
            if settings.jitter_ms:
                latency += draw() * settings.jitter_ms / 1000
            fails = settings.error_rate > 0 and draw() < settings.error_rate
            drops = (settings.drop_rate > 0 and is_write(method, route)
                     and draw() < settings.drop_rate)
        if fails:
            return Decision(latency, status=503, fault="error")
        if drops:
            return Decision(latency, drop_after_commit=True, fault="dropped_after_commit")
        return Decision(latency, fault="latency" if latency else None)

    def _spend(self, site: str, per_minute: int) -> int | None:
        """Take a token from the site's bucket; None if there was one, else the seconds to
        wait for the next."""
        now = self.monotonic()
        rate = per_minute / 60
        bucket = self._buckets.setdefault(site, _Bucket(float(per_minute), now))
        bucket.tokens = min(per_minute, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / rate))


def injector(ctx: Ctx) -> FaultInjector:
    faults: FaultInjector = ctx.state.extensions["faults"]
    return faults


def get_faults(ctx: Ctx) -> dict[str, Any]:
    return {"faults": injector(ctx).settings.to_json()}


def set_faults(ctx: Ctx) -> dict[str, Any]:
    """Replace the fault settings (fields left out are off); re-seeds and refills budgets."""
    settings = FaultSettings.from_json(ctx.body)
    injector(ctx).configure(settings)
    return {"faults": settings.to_json()}


CONTROL_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/_emulator/faults", get_faults),
    Endpoint("PUT", "/_emulator/faults", set_faults),
]
