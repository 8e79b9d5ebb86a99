"""Requests a hostile page, a careless client or plain noise can send, and how they end.

1. Foreign pages cannot drive the control API: an unserved `Host` is a 421 (DNS rebinding),
   a control write not sent as JSON is a 415 and one from a foreign `Origin` a 403.
2. Authentication comes before the body; bodies are capped (413), and nesting, undecodable
   text and lone surrogates are 400s in Wix's envelope.
3. SIGTERM stops the server as cleanly as Ctrl-C; a client leaving mid-body is one log line.
4. A fuzz over every route the app serves: never a 5xx, never an exception escaping.
   `FUZZ_EXAMPLES=5000 pytest tests/emulator/test_hostile_requests.py -k fuzz -s` runs a larger
   round and prints a tally.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

from provisioner.emulator import create_app
from provisioner.emulator.faults import FaultSettings
from provisioner.emulator.http import MAX_BODY_BYTES, MAX_JSON_DEPTH
from tests.cli.test_emulator_serve import serve
from tests.conftest import Server, running
from tests.emulator.helpers import assert_error, create_event, event_body
from tests.emulator.test_property_http import VALID_BODIES, fill_path, json_values

KEY, SITE = "key-hostile", "site-hostile"
AUTH = {"Authorization": KEY, "wix-site-id": SITE}
EVIL = "http://evil.example"


def in_process(app: Starlette, base_url: str = "http://127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                             base_url=base_url, headers=AUTH, timeout=30)


def call(app: Starlette, method: str, path: str, base_url: str = "http://127.0.0.1",
         **kwargs: Any) -> httpx.Response:
    """One request to `app` in process."""
    async def go() -> httpx.Response:
        async with in_process(app, base_url) as client:
            return await client.request(method, path, **kwargs)
    return asyncio.run(go())


@pytest.fixture
def private() -> Iterator[tuple[str, Starlette]]:
    """An emulator of our own over loopback HTTP, with one event on its site."""
    app = create_app(credentials=[(KEY, SITE)])
    with running(app) as base_url:
        with httpx.Client(base_url=base_url, headers=AUTH) as client:
            create_event(client)
        yield base_url, app


def event_count(base_url: str) -> int:
    return len(httpx.get(f"{base_url}/_emulator/state").json()["documents"])


# --- 1. foreign pages ---------------------------------------------------------------------------


def test_a_cross_origin_text_plain_reset_changes_nothing(private):
    base_url, _ = private
    before = event_count(base_url)
    assert before > 0
    forged = httpx.post(f"{base_url}/_emulator/reset", content=b"{}",
                        headers={"Content-Type": "text/plain", "Origin": EVIL})
    assert_error(forged, 403, "PERMISSION_DENIED")
    plain = httpx.post(f"{base_url}/_emulator/reset", content=b"{}",
                       headers={"Content-Type": "text/plain"})
    assert_error(plain, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_error(httpx.post(f"{base_url}/_emulator/reset", json={}, headers={"Origin": EVIL}),
                 403, "PERMISSION_DENIED")
    assert_error(httpx.post(f"{base_url}/_emulator/reset", json={},
                            headers={"Origin": "null"}), 403)
    other_port = "http://127.0.0.1:1"  # another local app's page is foreign too
    assert_error(httpx.post(f"{base_url}/_emulator/reset", json={},
                            headers={"Origin": other_port}), 403)
    assert_error(httpx.request("DELETE", f"{base_url}/_emulator/requests"), 415)
    assert event_count(base_url) == before
    same = httpx.post(f"{base_url}/_emulator/reset", json={}, headers={"Origin": base_url})
    assert same.status_code == 200
    assert event_count(base_url) == 0


def test_only_served_hosts_are_answered(private):
    base_url, _ = private
    port = base_url.rsplit(":", 1)[1]
    for host in ["evil.example", f"evil.example:{port}", "127.0.0.1:1", "127.0.0.1.nip.io",
                 "", "[::1", "a:b:c"]:
        for path in ["/_emulator/state", "/events/v3/events/query", "/_emulator/health"]:
            response = httpx.get(f"{base_url}{path}", headers={**AUTH, "Host": host})
            assert_error(response, 421, "MISDIRECTED_REQUEST")
    for host in ["127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}",
                 f"[::1]:{port}", "sandbox.invalid", "emulator.test"]:
        response = httpx.get(f"{base_url}/_emulator/state", headers={"Host": host})
        assert response.status_code == 200, (host, response.text)


def test_the_in_process_sandbox_and_the_serve_host_are_served():
    app = create_app(credentials=[(KEY, SITE)], hosts=["192.168.1.5"])
    body = {"event": event_body(), "draft": True}
    assert call(app, "POST", "/events/v3/events", "http://sandbox.invalid",
                json=body).status_code == 200
    assert call(app, "GET", "/_emulator/state", "http://192.168.1.5:8787").status_code == 200
    assert call(app, "GET", "/_emulator/state", "http://192.168.1.6").status_code == 421


# --- 2. auth before body, bounded bodies ------------------------------------------------------


class Upload:
    """A streamed request body of `size` bytes that counts how much of it was sent."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            part = min(self.chunk, self.size - self.sent)
            self.sent += part
            yield b" " * part


def test_authentication_comes_before_the_body():
    app = create_app(credentials=[(KEY, SITE)])
    upload = Upload(200 * 1024 * 1024)
    response = call(app, "POST", "/events/v3/events", content=upload,
                    headers={"Authorization": "wrong"})
    assert_error(response, 401, "UNAUTHENTICATED")
    assert upload.sent <= 64 * 1024  # the first chunk at most
    upload = Upload(200 * 1024 * 1024)
    assert_error(call(app, "POST", "/events/v3/events", content=upload,
                      headers={"wix-site-id": "other"}), 403)
    assert upload.sent <= 64 * 1024


def test_bodies_over_the_cap_are_413_without_buffering_them():
    app = create_app(credentials=[(KEY, SITE)])
    upload = Upload(MAX_BODY_BYTES * 4)
    response = call(app, "POST", "/events/v3/events", content=upload)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert upload.sent <= MAX_BODY_BYTES + 64 * 1024
    declared = call(app, "POST", "/_emulator/sales/orders", content=b"{}",
                    headers={"Content-Type": "application/json",
                             "Content-Length": str(MAX_BODY_BYTES + 1)})
    assert_error(declared, 413, "PAYLOAD_TOO_LARGE")
    exact = call(app, "POST", "/events/v3/events/query",
                 content=b'{"query": {}}' + b" " * (MAX_BODY_BYTES - 13))
    assert exact.status_code == 200, exact.text


def body_routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) of every route that reads a body, ids filled with a made-up one."""
    out = []
    for route in app.routes:
        assert isinstance(route, Route)
        for method in sorted(route.methods or ()):
            if method in ("POST", "PUT", "PATCH"):
                out.append((method, re.sub(r"\{\w+\}", "0f0f", route.path)))
    return out


BAD_BODIES = {
    "deep array": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    "escaped lone surrogate": b'{"event": {"title": "c\\ud800"}, "ticketDefinitionId": '
                              b'"c\\udfff", "c\\ud800": 1}',
    "raw lone surrogate": '{"event": {"title": "c\ud800"}}'.encode("utf-8", "surrogatepass"),
    "utf-16 lone surrogate": '{"x": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
    "undecodable": b'{"event": {"title": "\xff\xfe\xc3"}}',
    "infinite number": b'{"quantity": 1e999, "event": {"title": 1e999}}',
    "NaN": b'{"quantity": NaN}',
}


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_unreadable_bodies_are_400_on_every_route(kind):
    app = create_app(credentials=[(KEY, SITE)])
    routes = body_routes(app)
    assert ("POST", "/_emulator/sales/orders") in routes and len(routes) > 30

    async def go() -> list[tuple[str, str, httpx.Response]]:
        async with in_process(app) as client:
            return [(method, path, await client.request(
                method, path, content=BAD_BODIES[kind],
                headers={"Content-Type": "application/json"})) for method, path in routes]

    for method, path, response in asyncio.run(go()):
        assert response.status_code == 400, (method, path, response.text)
        assert_error(response, 400, "INVALID_ARGUMENT")


def test_nesting_up_to_the_limit_is_read():
    app = create_app(credentials=[(KEY, SITE)])
    nested = b'{"a": ' * (MAX_JSON_DEPTH - 1) + b"1" + b"}" * (MAX_JSON_DEPTH - 1)
    response = call(app, "POST", "/events/v3/events/query",
                    content=b'{"x": ' + nested + b"}")
    assert response.status_code == 200, response.text


# --- 3. shutdown and disconnects ------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_drain_close_the_store_and_exit_0(tmp_path, sig):
    with serve("--db", str(tmp_path / "emu.sqlite3")) as (banner, process):
        assert httpx.get(f"{banner['url']}/_emulator/health").status_code == 200
        process.send_signal(sig)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Emulator stopped." in out
    assert "Traceback" not in err
    # a closed store leaves no write-ahead log behind
    assert not (tmp_path / "emu.sqlite3-wal").exists()


def test_a_client_leaving_mid_body_is_one_log_line(caplog):
    app = create_app(credentials=[(KEY, SITE)])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for path in ["/events/v3/events", "/_emulator/sales/orders"]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": b"", "server": ("127.0.0.1", 80),
                 "client": ("127.0.0.1", 5000),
                 "headers": [(b"host", b"127.0.0.1"), (b"authorization", KEY.encode()),
                             (b"wix-site-id", SITE.encode()),
                             (b"content-type", b"application/json")]}
        with caplog.at_level(logging.INFO, logger="provisioner.emulator"):
            asyncio.run(app(scope, receive, send))
    lines = [r for r in caplog.records if "client left" in r.getMessage()]
    assert len(lines) == 2
    assert all(r.exc_info is None for r in caplog.records)


# --- 4. fuzz ----------------------------------------------------------------------------------


FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "500"))
NO_SURROGATES = st.characters(blacklist_categories=("Cs",))
URL_TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                         blacklist_characters="#?%")
HUGE = b'{"event": {"title": "' + b"x" * MAX_BODY_BYTES + b'"}}'


def routes_of(app: Starlette) -> list[tuple[str, str]]:
    """Every (method, path template) the app's router serves."""
    return sorted((method, route.path) for route in app.routes if isinstance(route, Route)
                  for method in (route.methods or ()) if method != "HEAD")


@st.composite
def bodies(draw: st.DrawFn, ids: dict[str, str]) -> bytes | None:
    """A request body: none, random JSON in some encoding, a valid body with junk in it,
    random bytes, or something huge, deep or with lone surrogates."""
    kind = draw(st.sampled_from(["none", "json", "json", "valid", "bytes", "deep", "surrogate",
                                 "big", "huge"]))
    if kind == "none":
        return None
    if kind in ("json", "valid"):
        value: Any = draw(json_values)
        if kind == "valid":
            key = draw(st.sampled_from(sorted(VALID_BODIES)))
            inner = {**VALID_BODIES[key], "eventId": ids["eventId"]}
            inner[draw(st.sampled_from(sorted(inner)))] = value
            value = {key: inner, "eventId": ids["eventId"]}
        text = json.dumps(value)
        return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-32-le"])))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        depth = draw(st.integers(1, 5000))
        opener = draw(st.sampled_from([b"[", b'{"a":']))
        closer = b"]" if opener == b"[" else b"}"
        return b'{"q":' + opener * depth + b"1" + closer * depth + b"}"
    if kind == "surrogate":
        code = draw(st.integers(0xD800, 0xDFFF))
        where = draw(st.sampled_from(['{"event": {"title": "%s"}}', '{"%s": 1}',
                                      '{"ticketDefinitionId": "%s", "quantity": 1}']))
        return (where % f"c\\u{code:04x}").encode()
    if kind == "big":
        return b'{"event": {"title": "' + b"y" * draw(st.integers(0, 200_000)) + b'"}}'
    return HUGE


@st.composite
def fuzz_requests(draw: st.DrawFn, routes: list[tuple[str, str]], ids: dict[str, str]
                  ) -> dict[str, Any]:
    method, template = draw(st.sampled_from(routes))
    path = fill_path(template, ids, draw)
    if draw(st.integers(0, 9)) == 0:
        path = path.rstrip("/") + "/" + draw(st.text(URL_TEXT, max_size=8)) \
            + draw(st.sampled_from(["", "%ff%fe", "%ed%a0%80", "%00"]))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
                                       "HEAD"]))
    headers = {
        "Authorization": draw(st.sampled_from([KEY, KEY, f"Bearer {KEY}", "", "nope"])),
        "wix-site-id": draw(st.sampled_from([SITE, SITE, "", "other"])),
        "Content-Type": draw(st.sampled_from(
            ["application/json", "application/json", "text/plain", "",
             "application/json; charset=utf-16", "multipart/form-data; boundary=x"])),
    }
    if draw(st.integers(0, 5)) == 0:
        headers["Origin"] = draw(st.sampled_from([EVIL, "null", "http://127.0.0.1", "::"]))
    if draw(st.integers(0, 7)) == 0:
        headers["Host"] = draw(st.sampled_from(["evil.example", "127.0.0.1:1", "[::1]",
                                                "localhost", "x:y:z", ""]))
    headers = {k: v for k, v in headers.items() if v or k == "Host"}
    params = draw(st.dictionaries(
        st.sampled_from(["fields", "eventId", "paging.limit", "state", "itemId", "url",
                         "categoryId", "limit", "offset"]),
        st.text(NO_SURROGATES, max_size=10) | st.just(ids["eventId"]), max_size=3))
    return {"method": method, "url": path, "headers": headers, "params": params,
            "content": draw(bodies(ids))}


async def seed(client: httpx.AsyncClient) -> dict[str, str]:
    """One of everything on the fuzzed site, and the ids to aim at."""
    created = await client.post("/events/v3/events", json={"event": event_body(),
                                                           "draft": True})
    event_id = created.json()["event"]["id"]
    ids = {"eventId": event_id, "slug": "devcon-2025", "controlId": "email"}
    for name, path, body in [
        ("ticketDefinitionId", "/events/v3/ticket-definitions",
         {"ticketDefinition": {**VALID_BODIES["ticketDefinition"], "eventId": event_id}}),
        ("policyId", "/events/v2/policies",
         {"policy": {"name": "P", "body": "B", "eventId": event_id}}),
        ("categoryId", "/events/v1/categories", {"category": {"name": "C"}}),
        ("itemId", "/events/v1/schedule/draft", {"eventId": event_id,
                                                 "item": VALID_BODIES["item"]}),
    ]:
        response = await client.post(path, json=body)
        assert response.status_code == 200, response.text
        ids[name] = next(iter(response.json().values()))["id"]
    return ids


def test_fuzz_every_route_never_answers_5xx(capsys):
    app = create_app(credentials=[(KEY, SITE)])
    routes = routes_of(app)
    assert len(routes) >= 90
    injector = app.state.emulator.extensions["faults"]
    loop = asyncio.new_event_loop()
    client = in_process(app)
    ids = loop.run_until_complete(seed(client))
    tally: Counter[int] = Counter()
    server_errors: list[str] = []

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=fuzz_requests(routes, ids))
    def one(request: dict[str, Any]) -> None:
        response = loop.run_until_complete(client.request(**request))
        injector.configure(FaultSettings())  # a fuzzed PUT /_emulator/faults must not stick
        tally[response.status_code] += 1
        if response.status_code >= 500:
            server_errors.append(f"{request['method']} {request['url']}: {response.text[:200]}")
        assert response.status_code < 500, server_errors[-1]
        if response.status_code >= 400 and request["method"] != "HEAD":
            assert response.json()["message"]

    try:
        one()
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        with capsys.disabled():
            print(f"\nfuzz: {sum(tally.values())} requests, statuses "
                  f"{dict(sorted(tally.items()))}, 5xx: {len(server_errors)}")


def test_the_shared_server_still_answers(server: Server):
    """The session server (base URL http://127.0.0.1:PORT) passes the guard."""
    assert httpx.get(f"{server.base_url}/_emulator/health").json() == {"status": "ok"}
