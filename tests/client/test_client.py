"""WixClient against the real emulator: targets, typed errors with Wix codes, retries that are
safe (reads; writes only when they never ran), paging with the fewest calls, and an API key
that never shows up in logs, errors or reprs.

Faulted tests serve an emulator of their own, so faults never leak into other tests; sleeps
are fake (recorded, and moving the emulator's rate-limit clock), so nothing waits for real.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from provisioner.client.errors import (
    VALIDATION_ERROR,
    ApiError,
    BadRequest,
    Conflict,
    FailedPrecondition,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    ProvisionerError,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    parse_error,
)
from provisioner.client.http import (
    RetryPolicy,
    WixClient,
    is_read_call,
    parse_retry_after,
    path_template,
)
from provisioner.client.target import DEFAULT_WIX_URL, Target, resolve_target
from provisioner.emulator import create_app
from tests.conftest import Server, running
from tests.emulator.helpers import event_body

pytestmark = pytest.mark.anyio

EVENTS = "/events/v3/events"
TICKETS = "/events/v3/ticket-definitions"
POLICIES = "/events/v2/policies"
KEY = "emu_SECRET-KEY-0123456789abcdef"
SITE = "0c6f5a2e-1111-4222-8333-444455556666"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeSleep:
    """Records each wait and moves the emulator's rate-limit clock by it, as time would."""

    clock: FakeClock = field(default_factory=FakeClock)
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.now += seconds


@dataclass
class Emulator:
    """An emulator of one test's own, over loopback HTTP, with a fake rate-limit clock."""

    base_url: str
    key: str
    site: str
    sleep: FakeSleep

    def target(self, key: str | None = None) -> Target:
        return Target("url", self.base_url, key or self.key, self.site)

    def client(self, **options: Any) -> WixClient:
        options.setdefault("sleep", self.sleep)
        return WixClient(self.target(), **options)

    def faults(self, **settings: Any) -> None:
        with httpx.Client(base_url=self.base_url) as control:
            control.put("/_emulator/faults", json=settings).raise_for_status()
            control.request("DELETE", "/_emulator/requests", json={}).raise_for_status()

    def requests(self) -> dict[str, Any]:
        with httpx.Client(base_url=self.base_url) as control:
            return control.get("/_emulator/requests").json()


@contextmanager
def emulator() -> Iterator[Emulator]:
    key, site = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    app = create_app(credentials=[(key, site)])
    sleep = FakeSleep()
    app.state.emulator.extensions["faults"].monotonic = sleep.clock
    with running(app) as base_url:
        yield Emulator(base_url, key, site, sleep)


@asynccontextmanager
async def in_process(**options: Any) -> AsyncIterator[WixClient]:
    """A client for a fresh site of an emulator served in process (fast: no sockets)."""
    key, site = f"key-{uuid.uuid4().hex}", str(uuid.uuid4())
    app = create_app(credentials=[(key, site)])
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with WixClient(Target("url", "http://emulator.test", key, site),
                         transport=transport, **options) as client:
        yield client


def mock_client(handler: Any, **options: Any) -> WixClient:
    """A client whose answers come from `handler(request)`: for bodies no emulator sends."""
    options.setdefault("sleep", FakeSleep())
    return WixClient(Target("url", "http://mock.test", KEY, SITE),
                     transport=httpx.MockTransport(handler), **options)


async def new_event(client: WixClient, title: str = "DevCon 2025", *, draft: bool = True
                    ) -> str:
    created = await client.post(EVENTS, {"event": event_body(title), "draft": draft})
    return created["event"]["id"]


async def new_policy(client: WixClient, event_id: str, name: str) -> dict[str, Any]:
    created = await client.post(POLICIES, {"policy": {"eventId": event_id, "name": name,
                                                      "body": "Be kind."}})
    return created["policy"]


def ticket(event_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"ticketDefinition": {"eventId": event_id, "name": name,
                                 "pricingMethod": {"fixedPrice": {"value": "65.00",
                                                                  "currency": "USD"}},
                                 "feeType": "FEE_ADDED_AT_CHECKOUT", **extra}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- targets ------------------------------------------------------------------------------------

CREDS = {"WIX_API_KEY": KEY, "WIX_SITE_ID": SITE}


@pytest.mark.parametrize(("target", "env", "name", "base_url", "described"), [
    (None, {}, "local", "", "Target: local sandbox (.provisioner/sandbox.sqlite3)"),
    ("local", CREDS, "local", "", "Target: local sandbox (.provisioner/sandbox.sqlite3)"),
    (None, CREDS, "wix", DEFAULT_WIX_URL, "Target: Wix (site 0c6f…)"),
    ("wix", CREDS, "wix", DEFAULT_WIX_URL, "Target: Wix (site 0c6f…)"),
    ("http://127.0.0.1:8787/", CREDS, "url", "http://127.0.0.1:8787",
     "Target: http://127.0.0.1:8787 (site 0c6f…)"),
    (None, {**CREDS, "WIX_API_URL": "http://127.0.0.1:9000"}, "url", "http://127.0.0.1:9000",
     "Target: http://127.0.0.1:9000 (site 0c6f…)"),
    (None, {"WIX_API_KEY": f"  {KEY}\n", "WIX_SITE_ID": SITE, "WIX_API_URL": ""}, "wix",
     DEFAULT_WIX_URL, "Target: Wix (site 0c6f…)"),
])
def test_resolve_target(target, env, name, base_url, described):
    resolved = resolve_target(target, env)
    assert (resolved.name, resolved.base_url, resolved.describe()) == (name, base_url, described)
    if name != "local":
        assert (resolved.api_key, resolved.site_id) == (KEY, SITE)
    assert KEY not in repr(resolved) and KEY not in str(resolved)


@pytest.mark.parametrize(("target", "env", "complaint"), [
    ("http://127.0.0.1:8787", {}, "WIX_API_KEY and WIX_SITE_ID must be set for --target "
                                  "http://127.0.0.1:8787"),
    ("http://127.0.0.1:8787", {"WIX_API_KEY": KEY}, "WIX_SITE_ID must be set"),
    ("https://x.test", {"WIX_SITE_ID": SITE}, "WIX_API_KEY must be set"),
    (None, {"WIX_API_KEY": KEY}, "WIX_SITE_ID must be set for WIX_API_KEY is set"),
    ("wix", {"WIX_API_KEY": ""}, "WIX_API_KEY and WIX_SITE_ID must be set for --target wix"),
    (None, {"WIX_SITE_ID": SITE}, "WIX_SITE_ID is set but WIX_API_KEY is not"),
    ("staging", CREDS, "--target must be `local`, `wix` or an http(s) URL"),
    ("ftp://127.0.0.1", CREDS, "not 'ftp://127.0.0.1'"),
    ("http://", CREDS, "--target must be"),
    (KEY, CREDS, "not the API key"),
    (None, {**CREDS, "WIX_API_URL": "wixapis.com"}, "WIX_API_URL must be an http(s) URL"),
])
def test_resolve_target_refuses_with_a_clear_message(target, env, complaint):
    with pytest.raises(ProvisionerError) as refused:
        resolve_target(target, env)
    assert complaint in str(refused.value)
    assert KEY not in str(refused.value)


def test_describe_hides_credentials_in_a_url():
    target = Target("url", "http://user:pw@127.0.0.1:8787", KEY, SITE)
    assert target.describe() == "Target: http://127.0.0.1:8787 (site 0c6f…)"


def test_a_url_with_credentials_is_refused():
    with pytest.raises(ProvisionerError, match="put the API key in WIX_API_KEY") as refused:
        resolve_target("http://user:pw@127.0.0.1:8787", CREDS)
    assert "pw" not in str(refused.value)


async def test_the_local_sandbox_needs_an_in_process_transport():
    with pytest.raises(ProvisionerError, match="pass its transport"):
        WixClient(Target("local", ""))
    async with WixClient(Target("local", ""), transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"host": request.url.host}))) as client:
        assert await client.get("/x") == {"host": "sandbox.invalid"}


# --- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "reads"), [
    ("GET", f"{EVENTS}/abc", True),
    ("POST", f"{EVENTS}/query", True),
    ("POST", f"{TICKETS}/available/query", True),
    ("POST", f"{TICKETS}/count", True),
    ("POST", f"{EVENTS}/count-by-status", True),
    ("POST", EVENTS, False),
    ("POST", f"{EVENTS}/abc/publish", False),
    ("POST", "/events/v3/bulk/ticket-definitions/delete", False),
    ("PATCH", f"{EVENTS}/abc", False),
    ("DELETE", f"{EVENTS}/abc", False),
])
def test_reads_are_told_from_writes(method, path, reads):
    assert is_read_call(method, path) is reads


def test_path_templates_count_calls_for_different_objects_together():
    assert path_template(f"{EVENTS}/{SITE}") == f"{EVENTS}/{{id}}"
    assert path_template(f"{EVENTS}/{SITE}/publish") == f"{EVENTS}/{{id}}/publish"
    assert path_template(f"{EVENTS}/slug/devcon-2025") == f"{EVENTS}/slug/{{slug}}"
    assert path_template(f"{EVENTS}/query") == f"{EVENTS}/query"


def test_backoff_is_full_jitter_doubling_to_a_cap():
    policy = RetryPolicy()
    assert [policy.backoff(n, 1.0) for n in range(1, 9)] == [0.25, 0.5, 1, 2, 4, 8, 8, 8]
    assert policy.backoff(3, 0.5) == 0.5
    assert policy.backoff(3, 0.0) == 0


def test_retry_after_in_seconds_or_as_a_date():
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(("status", "body", "cls", "code", "message"), [
    (404, '{"message": "Event x not found", "details": {"applicationError": '
          '{"code": "EVENT_NOT_FOUND", "description": "Event x not found"}}}',
     NotFound, "EVENT_NOT_FOUND", "Event x not found"),
    (500, '{"message": "", "details": {}}', ServerError, None, "Internal Server Error"),
    (502, "<html><body>Bad   gateway</body></html>", ServerError, None,
     "not a Wix error envelope: <html><body>Bad gateway</body></html>"),
    (503, "", ServerError, None, "Service Unavailable"),
    (400, '["not", "an", "envelope"]', BadRequest, None,
     'not a Wix error envelope: ["not", "an", "envelope"]'),
    (400, '{"message": "Invalid request message", "errorCode": -100}', BadRequest, "-100",
     "Invalid request message"),
    (409, '{"message": 5, "details": {"applicationError": "oops"}}', Conflict, None,
     "Conflict"),
    (418, '{"message": "teapot"}', ApiError, None, "teapot"),
    (428, '{"details": {"applicationError": {"code": "C", "description": "Only this"}}}',
     FailedPrecondition, "C", ""),
])
def test_any_error_body_gives_a_typed_error(status, body, cls, code, message):
    error = parse_error(status, body, method="GET", path="/p")
    assert type(error) is cls and error.status == status
    assert (error.code, error.message) == (code, message)
    assert str(error).startswith(f"GET /p: {status}")


def test_field_violations_are_read_even_without_a_code():
    body = ('{"message": "bad", "details": {"validationError": {"fieldViolations": ['
            '{"field": "a.b", "description": "is required", "violatedRule": "REQUIRED_FIELD"},'
            '{"field": "c", "description": "too long", "data": {"max": 3}}, "junk"]}}}')
    error = parse_error(400, body, method="POST", path="/p", request_id="req-1")
    assert error.code == VALIDATION_ERROR
    assert [(v.field, v.violated_rule) for v in error.field_violations] == [
        ("a.b", "REQUIRED_FIELD"), ("c", None)]
    assert error.field_violations[1].data == {"max": 3}
    assert str(error) == ("POST /p: 400 VALIDATION_ERROR: bad (a.b: is required; c: too long) "
                          "[request id req-1]")


# --- typed errors from real emulator refusals ---------------------------------------------------


async def test_refusals_become_typed_errors_with_wix_codes(server: Server):
    key, site = server.new_site()
    async with WixClient(Target("url", server.base_url, key, site)) as client:
        with pytest.raises(NotFound) as missing:
            await client.get(f"{EVENTS}/{uuid.uuid4()}")
        assert missing.value.code == "EVENT_NOT_FOUND"
        assert (missing.value.method, missing.value.status) == ("GET", 404)
        assert missing.value.path.startswith(f"{EVENTS}/")

        event_id = await new_event(client)
        with pytest.raises(BadRequest) as invalid:
            await client.post(TICKETS, ticket(event_id, "GA", feeType="FREE_LUNCH"))
        assert invalid.value.code == VALIDATION_ERROR
        assert "ticketDefinition.feeType" in {v.field for v in invalid.value.field_violations}
        assert "ticketDefinition.feeType" in str(invalid.value)

        policies = [await new_policy(client, event_id, name) for name in ("A", "B", "C")]
        with pytest.raises(FailedPrecondition) as limit:
            await new_policy(client, event_id, "D")
        assert limit.value.code == "POLICIES_LIMIT_REACHED" and limit.value.status == 428

        first = policies[0]
        update = {"policy": {"id": first["id"], "eventId": event_id, "name": "A2",
                             "body": "Kinder.", "revision": first["revision"]}}
        await client.patch(f"{POLICIES}/{first['id']}", update)
        with pytest.raises(Conflict) as stale:  # the same, now stale, revision again
            await client.patch(f"{POLICIES}/{first['id']}", update)
        assert stale.value.code == "REVISION_MISMATCH"
        assert stale.value.data == {"currentRevision": "2"}
        # refusals are definite answers: never retried, never "outcome unknown"
        assert sum(client.retries.values()) == 0


async def test_a_bad_key_or_site_is_refused_with_a_hint(server: Server):
    key, site = server.new_site()
    async with WixClient(Target("url", server.base_url, "not-a-key", site)) as client:
        with pytest.raises(Unauthorized) as refused:
            await client.post(f"{EVENTS}/query", {"query": {"paging": {"limit": 1}}})
        assert refused.value.code == "UNAUTHENTICATED" and "WIX_API_KEY" in str(refused.value)
    async with WixClient(Target("url", server.base_url, key, str(uuid.uuid4()))) as client:
        with pytest.raises(Forbidden) as denied:
            await client.post(EVENTS, {"event": event_body()})
        assert denied.value.code == "PERMISSION_DENIED" and "WIX_SITE_ID" in str(denied.value)
        assert client.calls == {f"POST {EVENTS}": 1}


# --- retries ------------------------------------------------------------------------------------


async def test_reads_are_retried_through_503s_until_they_succeed():
    with emulator() as emu:
        async with emu.client(retry=RetryPolicy(attempts=10)) as client:
            event_id = await new_event(client)
            emu.faults(error_rate=0.5, seed=11)
            client.calls.clear()
            for _ in range(15):
                assert (await client.get(f"{EVENTS}/{event_id}"))["event"]["id"] == event_id
            found = await client.query_all(f"{EVENTS}/query", {"includeDrafts": True}, "events")
            assert [e["id"] for e in found] == [event_id]
        served = emu.requests()
        statuses = [r["status"] for r in served["requests"]]
        retried = sum(client.retries.values())
        assert retried == statuses.count(503) > 0
        assert served["total"] == sum(client.calls.values()) == 16 + retried
        assert len(emu.sleep.waits) == retried


async def test_a_429_is_waited_out_for_at_least_retry_after():
    with emulator() as emu:
        async with emu.client() as client:
            event_id = await new_event(client)
            # 2 calls a minute: the budget is spent after 2 calls; the next waits 30 s
            emu.faults(rate_limit=2)
            for _ in range(4):
                await client.get(f"{EVENTS}/{event_id}")
        statuses = [r["status"] for r in emu.requests()["requests"]]
        assert statuses == [200, 200, 429, 200, 429, 200]
        assert len(emu.sleep.waits) == 2
        assert all(30 <= wait < 30 + RetryPolicy().base_delay for wait in emu.sleep.waits)


async def test_a_write_refused_with_429_is_retried_and_made_exactly_once():
    with emulator() as emu:
        async with emu.client() as client:
            event_id = await new_event(client)
            emu.faults(rate_limit=1)
            await client.get(f"{EVENTS}/{event_id}")  # spends the budget
            await new_policy(client, event_id, "Refunds")
            assert client.calls[f"POST {POLICIES}"] == 2
            policies = await client.query_all(f"{POLICIES}/query",
                                              {"query": {"filter": {"eventId": event_id}}},
                                              "policies", "metadata")
        assert [p["name"] for p in policies] == ["Refunds"]
        assert emu.sleep.waits and emu.sleep.waits[0] >= 60
        writes = [r["status"] for r in emu.requests()["requests"] if r["method"] == "POST"
                  and r["route"] == POLICIES]
        assert writes == [429, 200]


async def test_a_dropped_write_is_an_unknown_outcome_and_was_made():
    with emulator() as emu:
        async with emu.client() as client:
            event_id = await new_event(client)
            emu.faults(drop_rate=1.0)
            with pytest.raises(OutcomeUnknown) as unknown:
                await new_policy(client, event_id, "Refunds")
            assert isinstance(unknown.value.cause, ServerError)
            assert unknown.value.cause.code == "GATEWAY_TIMEOUT"
            assert "Look the object up" in str(unknown.value)
            assert client.calls[f"POST {POLICIES}"] == 1  # never retried blindly
            # reads are never dropped: the object is there
            policies = await client.query_all(f"{POLICIES}/query", {"query": {}}, "policies",
                                              "metadata", style="cursor")
        assert [p["name"] for p in policies] == ["Refunds"]


async def test_a_write_answered_5xx_is_not_retried():
    with emulator() as emu:
        async with emu.client() as client:
            event_id = await new_event(client)
            emu.faults(error_rate=1.0, methods=["POST"], paths=[POLICIES])
            with pytest.raises(OutcomeUnknown) as unknown:
                await new_policy(client, event_id, "Refunds")
            assert unknown.value.cause.status == 503  # type: ignore[attr-defined]
        assert emu.requests()["total"] == 1 and emu.sleep.waits == []


async def test_a_timeout_retries_a_read_and_makes_a_write_an_unknown_outcome():
    with emulator() as emu:
        emu.faults(latency_ms=400)
        options = {"timeout": httpx.Timeout(0.1), "retry": RetryPolicy(attempts=2)}
        async with emu.client(**options) as client:
            with pytest.raises(TransportError) as timed_out:
                await client.get(f"{EVENTS}/{uuid.uuid4()}")
            assert timed_out.value.attempts == 2 and "gave up after 2 attempts" in str(
                timed_out.value)
            with pytest.raises(OutcomeUnknown) as unknown:
                await client.post(EVENTS, {"event": event_body(), "draft": True})
            assert isinstance(unknown.value.cause, TransportError) and unknown.value.cause.sent
            assert client.calls[f"POST {EVENTS}"] == 1


async def test_connection_refused_is_retried_then_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    sleep = FakeSleep()
    async with WixClient(Target("url", url, KEY, SITE), sleep=sleep,
                         random=lambda: 1.0) as client:
        with pytest.raises(TransportError) as refused:
            await client.get(f"{EVENTS}/x")
        assert sleep.waits == [0.25, 0.5, 1, 2, 4]
        message = str(refused.value)
        assert f"GET {url}{EVENTS}/x" in message and f"cannot connect to {url}" in message
        assert "gave up after 6 attempts" in message and KEY not in message
        # nothing was sent, so even a write is safely retried, and it is no unknown outcome
        with pytest.raises(TransportError) as write_refused:
            await client.post(EVENTS, {"event": event_body()})
        assert not write_refused.value.sent
        assert client.calls == {f"GET {EVENTS}/x": 6, f"POST {EVENTS}": 6}


async def test_a_very_long_retry_after_fails_at_once():
    client = mock_client(lambda request: httpx.Response(
        429, headers={"Retry-After": "3600"},
        json={"message": "slow down", "details": {"applicationError": {"code": "TOO_MANY"}}}))
    async with client:
        with pytest.raises(RateLimited) as limited:
            await client.get("/x")
    assert limited.value.retry_after == 3600 and client.calls == {"GET /x": 1}


async def test_a_success_that_is_not_json_is_unexpected_for_reads_and_unknown_for_writes():
    client = mock_client(lambda request: httpx.Response(200, text="<html>hello</html>"))
    async with client:
        with pytest.raises(UnexpectedResponse, match="not a JSON object: <html>hello"):
            await client.get("/x")
        with pytest.raises(OutcomeUnknown):
            await client.post("/x", {})
        assert await mock_client(lambda request: httpx.Response(200)).get("/empty") == {}


async def test_requests_carry_auth_json_and_wix_style_query_strings():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with mock_client(handler) as client:
        await client.get("/list", {"paging": {"limit": 10}, "fields": ["A", "B"], "x": True})
        await client.post("/create", {"a": 1})
    get, post = seen
    assert str(get.url.query, "ascii") == "paging.limit=10&fields=A&fields=B&x=true"
    assert post.headers["Authorization"] == KEY and post.headers["wix-site-id"] == SITE
    # the body's spacing is httpx's (compact since 0.28); what it says is ours
    assert post.headers["Content-Type"] == "application/json"
    assert json.loads(post.content) == {"a": 1}


# --- paging -------------------------------------------------------------------------------------


async def test_paging_events_by_offset_takes_the_fewest_calls():
    async with in_process() as client:
        for n in range(250):
            await client.post(EVENTS, {"event": event_body(f"Event {n:03}")})
        query = f"POST {EVENTS}/query"
        for limit, calls in ((100, 3), (50, 5), (1000, 1)):
            client.calls.clear()
            found = await client.query_all(f"{EVENTS}/query", {}, "events", limit=limit)
            assert len({e["id"] for e in found}) == 250
            assert client.calls[query] == calls  # ceil(250 / limit); no empty last page
        client.calls.clear()
        few = await client.query_all(f"{EVENTS}/query", {
            "query": {"filter": {"title": {"$gte": "Event 240"}}}}, "events")
        assert len(few) == 10 and client.calls[query] == 1


async def test_paging_ticket_definitions_by_cursor_or_offset():
    async with in_process() as client:
        events = [await new_event(client, f"Event {n}") for n in range(2)]
        for event_id in events:
            for n in range(65):
                await client.post(TICKETS, ticket(event_id, f"Ticket {n:02}"))
        query = f"POST {TICKETS}/query"
        for style, body in (("cursor", {}), ("offset", {}),
                            (None, {"query": {"cursorPaging": {"limit": 7}}})):
            client.calls.clear()
            found = await client.query_all(f"{TICKETS}/query", body, "ticketDefinitions",
                                           "metadata", style=style)
            assert len({d["id"] for d in found}) == 130
            assert client.calls[query] == 2, style
        client.calls.clear()
        one_event = await client.query_all(
            f"{TICKETS}/query", {"query": {"filter": {"eventId": events[0]},
                                           "sort": [{"fieldName": "name", "order": "DESC"}]}},
            "ticketDefinitions", "metadata", limit=40, style="cursor")
        assert [d["name"] for d in one_event] == [f"Ticket {n:02}" for n in range(64, -1, -1)]
        assert client.calls[query] == 2  # 40 + 25: the cursor kept the filter and the sort


async def test_paging_without_a_total_stops_at_a_short_page():
    pages = [["a", "b"], ["c", "d"], ["e"]]
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        import json

        bodies.append(json.loads(request.content))
        offset = bodies[-1]["query"]["paging"]["offset"]
        page = pages[offset // 2]
        return httpx.Response(200, json={"categories": [{"id": i} for i in page],
                                         "metaData": {"count": len(page), "offset": offset}})

    async with mock_client(handler) as client:
        found = await client.query_all("/events/v1/categories/query", {"fieldset": ["COUNTS"]},
                                       "categories", "metaData", limit=2)
    assert [c["id"] for c in found] == ["a", "b", "c", "d", "e"]
    assert [b["query"]["paging"] for b in bodies] == [
        {"limit": 2, "offset": 0}, {"limit": 2, "offset": 2}, {"limit": 2, "offset": 4}]
    assert all(b["fieldset"] == ["COUNTS"] for b in bodies)


async def test_an_empty_page_may_leave_out_its_list_but_a_wrong_key_is_caught():
    async with mock_client(lambda request: httpx.Response(200, json={"metadata": {}})) as client:
        assert await client.query_all("/q/query", {}, "policies", "metadata") == []
    async with mock_client(lambda request: httpx.Response(
            200, json={"policies": [{"id": "p"}], "metadata": {}})) as client:
        with pytest.raises(ProvisionerError, match="no `policy`, but"):
            await client.query_all("/q/query", {}, "policy", "metadata")


# --- the API key stays secret -------------------------------------------------------------------


async def test_the_key_never_appears_in_logs_errors_or_reprs(server: Server, caplog):
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's and httpcore's
    key, site = server.new_site()
    errors: list[BaseException] = []
    target = Target("url", server.base_url, key, site)
    async with WixClient(target) as client:
        event_id = await new_event(client)
        await client.get(f"{EVENTS}/{event_id}")
        try:
            await client.get(f"{EVENTS}/{uuid.uuid4()}")
        except NotFound as error:
            errors.append(error)
        reprs = [repr(client), repr(target), str(target), target.describe()]
    async with WixClient(Target("url", server.base_url, f"{key}-wrong", site)) as wrong:
        try:
            await wrong.get(f"{EVENTS}/{event_id}")
        except Unauthorized as error:
            errors.append(error)
    echoing = mock_client(lambda request: httpx.Response(500, json={
        "message": f"bad key {request.headers['Authorization']}", "details": {}}),
        random=lambda: 0.0)
    async with echoing:
        for call in (echoing.get("/x"), echoing.post("/x", {})):
            try:
                await call
            except (ServerError, OutcomeUnknown) as error:
                errors.append(error)
    async with WixClient(Target("url", f"http://127.0.0.1:{free_port()}", key, site),
                         sleep=FakeSleep()) as unreachable:
        try:
            await unreachable.get("/x")
        except TransportError as error:
            errors.append(error)
    assert [type(e) for e in errors] == [NotFound, Unauthorized, ServerError, OutcomeUnknown,
                                         TransportError]
    texts = [*reprs, *(str(e) for e in errors), *(repr(e) for e in errors),
             caplog.text, *(str(r.args) for r in caplog.records)]
    for text in texts:
        assert key not in text and KEY not in text
    assert "bad key ***" in str(errors[2])
    assert f"Authorization: *** wix-site-id: {site}" in caplog.text
    assert any(f"GET /events/v3/events/{event_id} 200" in r.getMessage() for r in caplog.records)
    assert any("retrying GET /x" in r.getMessage() for r in caplog.records)
