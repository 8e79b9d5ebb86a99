"""The client's own httpx transport (`client.transport`) against httpx's default one, over
scripted servers on 127.0.0.1: for every answer a server can give (lengths, chunks, a close
for an end, informational answers, compressed bodies, no body) and every way it can fail
(closed before answering or in the middle, malformed, too long, too slow, refused, TLS not
trusted), both give the same response or raise the same exception with the same words.

Then what only a pool shows: connections kept and used again, closed when the server closes
them, when an exchange fails or is cancelled, when idle too long or beyond the kept-alive
limit, and never more than the limit at once (the rest wait, up to the pool timeout).
Last, `WixClient` takes this transport unless the environment names a proxy.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.client import transport as wire
from provisioner.client.http import WixClient, proxied
from provisioner.client.target import Target
from provisioner.client.transport import Transport
from tests.client.certificates import self_signed

pytestmark = pytest.mark.anyio

Reply = Callable[[int, bytes], Awaitable[tuple[bytes, bool]]]  # (request number, request)
PAUSE = b"<pause>"  # in an answer: the server stops there a moment before the rest


@dataclass
class Scripted:
    """A server that answers each request with what `reply` says, then closes the connection
    if it says so; it counts connections opened and closed by the client."""

    reply: Reply
    port: int = 0
    pause: float = 0.05  # seconds between the pieces of an answer split by PAUSE
    # seconds an answer not followed by a close keeps its connection open before the server
    # closes it anyway (None: as long as the client keeps it)
    linger: float | None = None
    requests: list[bytes] = field(default_factory=list)
    opened: int = 0
    closed_by_client: int = 0
    open_now: int = 0
    most_open: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.closed_by_client += 1
                    return
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer, close = await self.reply(len(self.requests), request)
                if answer == b"RESET":  # an abrupt close: the client reads a reset
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                for number, part in enumerate(answer.split(PAUSE)):
                    if number:
                        await asyncio.sleep(self.pause)  # the answer arrives in pieces
                    writer.write(part)
                    await writer.drain()
                if close:
                    return
                if self.linger is not None:
                    await asyncio.sleep(self.linger)
                    return
        finally:
            self.open_now -= 1
            if not writer.is_closing():
                writer.close()


@asynccontextmanager
async def scripted(reply: Reply, tls: ssl.SSLContext | None = None, pause: float = 0.05,
                   linger: float | None = None) -> AsyncIterator[Scripted]:
    server = Scripted(reply, pause=pause, linger=linger)
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()


def answer(raw: bytes, *, close: bool = False, delay: float = 0.0) -> Reply:
    async def reply(number: int, request: bytes) -> tuple[bytes, bool]:
        if delay:
            await asyncio.sleep(delay)
        return raw, close
    return reply


def ok(body: bytes = b'{"ok": true}', *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json",
            b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def outcome(transport: httpx.AsyncBaseTransport, url: str, method: str = "POST",
                  timeout: float = 5.0, sent: Any = None) -> tuple[Any, ...]:
    """What a call through `transport` gives: the response as the caller sees it, or the
    exception's type and words. A POST sends `sent` as JSON ({"a": 1} by default)."""
    if sent is None:
        sent = {"a": 1}
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        try:
            response = await client.request(method, url, json=sent if method == "POST"
                                             else None)
        except httpx.HTTPError as error:
            return "raised", type(error).__name__, str(error)
        return ("answered", response.status_code, response.reason_phrase,
                response.http_version, response.headers.multi_items(), response.content)


async def both(reply: Reply, method: str = "POST", timeout: float = 5.0,
               tls: ssl.SSLContext | None = None, host: str = "127.0.0.1",
               sent: Any = None, pause: float = 0.05, linger: float | None = None
               ) -> tuple[Any, ...]:
    """The outcome through our transport, checked equal to httpx's default transport's."""
    found = []
    for transport in (Transport(), httpx.AsyncHTTPTransport()):
        async with scripted(reply, tls, pause, linger) as server:
            scheme = "https" if tls else "http"
            found.append(await outcome(transport, f"{scheme}://{host}:{server.port}/x",
                                       method, timeout, sent))
    ours, httpx_default = found
    assert ours == httpx_default
    return ours


# --- the same answers and failures as httpx's default transport --------------------------------

CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
GZIPPED = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
           % len(gzip.compress(b"squeezed", mtime=0)) + gzip.compress(b"squeezed", mtime=0))


@pytest.mark.parametrize(("raw", "close", "method", "expected"), [
    (ok(), False, "POST", b'{"ok": true}'),
    (ok(b"", b"X-Extra: 1", b"x-extra: 2"), False, "POST", b""),
    (CHUNKED, False, "POST", b"hello world"),
    (b"HTTP/1.1 200 OK\r\n\r\nto the end", True, "POST", b"to the end"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", False, "POST", b"hi"),
    (b"HTTP/1.1 204 No Content\r\n\r\n", False, "POST", b""),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", False, "HEAD", b""),
    (b"HTTP/1.1 100 Continue\r\n\r\n" + ok(), False, "POST", b'{"ok": true}'),
    (GZIPPED, False, "GET", b"squeezed"),
    (ok("é ü".encode(), b"Content-Type: text/plain; charset=utf-8"), False, "GET",
     "é ü".encode()),
    (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", False, "GET", b"hi"),
    (b"HTTP/1.1 200 OK\r\nContent-Length:  2 \r\nContent-Length: 2\r\n\r\nhi", False, "GET",
     b"hi"),
    (b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nhi", False,
     "GET", b"hi"),
    (b"HT" + PAUSE + b"TP/1.1 200 OK\r\nContent-" + PAUSE + b"Length: 5\r\n\r" + PAUSE
     + b"\nhel" + PAUSE + b"lo", False, "POST", b"hello"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + PAUSE + b"Transfer-Encoding: chunked\r\n"
     b"\r\n5\r\nhello\r\n0\r\n\r\n", False, "POST", b"hello"),
])
async def test_answers_are_the_same_as_httpx_gives(raw: bytes, close: bool, method: str,
                                                   expected: bytes) -> None:
    found = await both(answer(raw, close=close), method)
    assert found[0] == "answered" and found[-1] == expected


@pytest.mark.parametrize(("raw", "close", "error", "words"), [
    (b"", True, "RemoteProtocolError", wire.NO_ANSWER),
    (b"HTTP/1.1 200 OK\r\nContent-Len", True, "RemoteProtocolError", wire.NO_ANSWER),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", True, "RemoteProtocolError",
     "peer closed connection without sending complete message body"),
    (b"HTTP/1.1 2xx OK\r\n\r\n", False, "RemoteProtocolError", "illegal status line"),
    (b"hello\r\n\r\n", False, "RemoteProtocolError", "illegal status line"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"y" * 200_000 + b"\r\n\r\n", False, "RemoteProtocolError",
     "Receive buffer too long"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", False, "RemoteProtocolError",
     "Only Transfer-Encoding: chunked is supported"),
    (b"RESET", False, "ReadError", ""),
])
async def test_broken_answers_fail_the_same_way_as_with_httpx(raw: bytes, close: bool,
                                                              error: str, words: str) -> None:
    found = await both(answer(raw, close=close))
    assert found[:2] == ("raised", error) and words in found[2]


async def test_a_slow_answer_times_out_the_same_way_as_with_httpx() -> None:
    assert await both(answer(ok(), delay=0.5), timeout=0.1) == ("raised", "ReadTimeout", "")
    assert await both(answer(ok()[:30] + PAUSE + PAUSE + PAUSE + ok()[30:]), timeout=0.1) == \
        ("raised", "ReadTimeout", "")  # a head cut short, and the rest too late


@pytest.mark.parametrize("raw", [b" HTTP/1.1 200 OK", b"\x01"])
async def test_an_answer_h11_refuses_from_its_first_byte_is_refused_at_once(raw: bytes
                                                                           ) -> None:
    # the server says no more and keeps the connection open: waiting would end in a timeout
    found = await both(answer(raw), timeout=2.0)
    assert found[:2] == ("raised", "RemoteProtocolError")


async def test_a_refused_connection_fails_the_same_way_as_with_httpx() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    found = [await outcome(transport, f"http://127.0.0.1:{port}/x")
             for transport in (Transport(), httpx.AsyncHTTPTransport())]
    assert found[0] == found[1] == ("raised", "ConnectError", wire.REFUSED)


async def test_an_unsupported_scheme_fails_the_same_way_as_with_httpx() -> None:
    found = [await outcome(transport, "ftp://127.0.0.1/x")
             for transport in (Transport(), httpx.AsyncHTTPTransport())]
    assert found[0] == found[1] == (
        "raised", "UnsupportedProtocol", "Request URL has an unsupported protocol 'ftp://'.")


async def test_a_header_h11_refuses_fails_the_same_way_as_with_httpx() -> None:
    found = []
    for transport in (Transport(), httpx.AsyncHTTPTransport()):
        async with scripted(answer(ok())) as server, \
                httpx.AsyncClient(transport=transport) as client:
            try:
                await client.get(f"http://127.0.0.1:{server.port}/x",
                                 headers={"X-Bad": "a\nb"})
            except httpx.HTTPError as error:
                found.append((type(error).__name__, str(error)))
    assert found[0] == found[1] and found[0][0] == "LocalProtocolError"


# --- TLS ------------------------------------------------------------------------------------


async def test_tls_answers_and_refusals_are_the_same_as_with_httpx(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert_file, key_file = self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    refused = await both(answer(ok()), tls=tls)  # the default trust store does not know it
    assert refused[:2] == ("raised", "ConnectError") and "CERTIFICATE_VERIFY_FAILED" in refused[2]
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # as httpx reads it
    assert (await both(answer(ok()), tls=tls))[-1] == b'{"ok": true}'
    assert (await both(answer(CHUNKED), tls=tls))[-1] == b"hello world"


def tls_server(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    return tls


def echo_length(raw_head: bytes = b"") -> Reply:
    """An answer that is 3 MB long and says how long the request was: many TLS records and
    socket reads each way, and the client's read-ahead limit passed several times over."""
    async def reply(number: int, request: bytes) -> tuple[bytes, bool]:
        body = b"%d:" % len(request) + b"x" * 3_000_000
        if raw_head:  # the same body, chunked
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[at:at + 65_536]),
                                                  body[at:at + 65_536])
                              for at in range(0, len(body), 65_536))
            return raw_head + chunks + b"0\r\n\r\n", False
        return ok(body), False
    return reply


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("secure", [False, True])
async def test_long_requests_and_answers_are_the_same_as_with_httpx(
        chunked: bool, secure: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "READ_AHEAD", 16_384)  # so that reading pauses, and resumes
    tls = None
    if secure:
        cert_file, key_file = self_signed(tmp_path)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        tls = tls_server(cert_file, key_file)
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" if chunked else b""
    found = await both(echo_length(head), tls=tls, sent={"long": "y" * 2_000_000})
    assert found[0] == "answered" and len(found[-1]) > 3_000_000
    assert int(found[-1].split(b":", 1)[0]) > 2_000_000  # the whole request arrived


async def test_tls_checks_the_host_name_as_httpx_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a name, not an address: sent in the handshake (SNI) and checked against the certificate
    cert_file, key_file = self_signed(tmp_path, ("localhost",))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    tls = tls_server(cert_file, key_file)
    assert (await both(answer(ok()), tls=tls, host="localhost"))[-1] == b'{"ok": true}'
    wrong = await both(answer(ok()), tls=tls, host="127.0.0.1")  # trusted, but not its name
    assert wrong[:2] == ("raised", "ConnectError") and "IP address mismatch" in wrong[2]


# --- the pool -------------------------------------------------------------------------------


async def calls(transport: Transport, server: Scripted, count: int, *,
                at_once: bool = False, **options: Any) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=transport, **options) as client:
        url = f"http://127.0.0.1:{server.port}/x"
        if at_once:
            return list(await asyncio.gather(*(client.get(url) for _ in range(count))))
        return [await client.get(url) for _ in range(count)]


async def test_a_connection_is_used_again_after_a_clean_exchange() -> None:
    async with scripted(answer(ok())) as server:
        await calls(Transport(), server, 3)
    assert server.opened == 1 and len(server.requests) == 3


@pytest.mark.parametrize("raw", [
    ok(b"{}", b"Connection: close"),
    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
])
async def test_an_answer_that_ends_the_connection_is_not_followed_on_it(raw: bytes) -> None:
    async with scripted(answer(raw)) as server:
        await calls(Transport(), server, 2)
    assert server.opened == 2


async def test_a_connection_with_bytes_after_the_answer_is_not_used_again() -> None:
    async with scripted(answer(ok(b"{}") + b"HTTP/1.1 200 OK\r\n")) as server:
        answers = await calls(Transport(), server, 2)
    assert [a.content for a in answers] == [b"{}", b"{}"] and server.opened == 2


async def test_a_connection_the_server_closed_is_not_used_again() -> None:
    async with scripted(answer(ok(), close=True)) as server:
        transport = Transport()
        async with httpx.AsyncClient(transport=transport) as client:
            url = f"http://127.0.0.1:{server.port}/x"
            first = await client.get(url)
            await asyncio.sleep(0.05)  # the server's close arrives
            second = await client.get(url)
    assert first.status_code == second.status_code == 200 and server.opened == 2


async def test_a_failed_or_cancelled_exchange_closes_its_connection() -> None:
    async def slow_then_fast(number: int, request: bytes) -> tuple[bytes, bool]:
        await asyncio.sleep(0.2 if number == 1 else 0)
        return ok(), False

    async with scripted(slow_then_fast) as server:
        async with httpx.AsyncClient(transport=Transport()) as client:
            url = f"http://127.0.0.1:{server.port}/x"
            task = asyncio.create_task(client.get(url))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await client.get(url)).status_code == 200
        await asyncio.sleep(0.3)  # the server finds the cancelled one closed once it answers
    assert server.opened == 2 and server.closed_by_client == 2


async def test_an_idle_connection_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "KEEPALIVE_EXPIRY", 0.05)
    async with scripted(answer(ok())) as server, \
            httpx.AsyncClient(transport=Transport()) as client:
        url = f"http://127.0.0.1:{server.port}/x"
        await client.get(url)
        await asyncio.sleep(0.1)
        await client.get(url)
        await asyncio.sleep(0.05)
        assert server.closed_by_client == 1  # the expired one, when it was passed over
    assert server.opened == 2


async def test_connections_are_limited_and_the_rest_wait(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(wire, "MAX_CONNECTIONS", 2)
    async with scripted(answer(ok(), delay=0.05)) as server:
        answers = await calls(Transport(), server, 6, at_once=True)
    assert [a.status_code for a in answers] == [200] * 6
    assert server.opened == 2 and server.most_open == 2


async def test_waiting_for_a_connection_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_CONNECTIONS", 1)
    async with scripted(answer(ok(), delay=0.3)) as server:
        with pytest.raises(httpx.PoolTimeout):
            await calls(Transport(), server, 2, at_once=True,
                        timeout=httpx.Timeout(5.0, pool=0.05))


async def test_only_so_many_idle_connections_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_KEEPALIVE_CONNECTIONS", 2)
    async with scripted(answer(ok(), delay=0.05)) as server:
        transport = Transport()
        async with httpx.AsyncClient(transport=transport) as client:
            url = f"http://127.0.0.1:{server.port}/x"
            await asyncio.gather(*(client.get(url) for _ in range(5)))
            await asyncio.sleep(0.05)
            assert (server.opened, server.closed_by_client) == (5, 3)
        await asyncio.sleep(0.05)
        assert server.closed_by_client == 5  # closing the client closes the rest


# --- WixClient -------------------------------------------------------------------------------

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


@pytest.mark.parametrize("variable", [None, "HTTPS_PROXY", "all_proxy"])
async def test_the_client_takes_this_transport_unless_a_proxy_is_named(
        variable: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if variable:
        monkeypatch.setenv(variable, "http://127.0.0.1:3128")
    async with WixClient(Target("url", "http://127.0.0.1:9", "key", "site")) as client:
        own = isinstance(client._http._transport, Transport)
    assert proxied() is bool(variable) and own is not bool(variable)


@pytest.mark.parametrize(("chosen", "own"), [("", True), ("own", True), ("httpx", False),
                                             (" HTTPX ", False)])
async def test_provisioner_transport_chooses_and_debug_says_which(
        chosen: str, own: bool, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROVISIONER_TRANSPORT", chosen)
    with caplog.at_level(logging.DEBUG, logger="provisioner.client"):
        async with WixClient(Target("url", "http://127.0.0.1:9", "key", "site")) as client:
            taken = isinstance(client._http._transport, Transport)
    assert taken is own
    said = "the client's own" if own else "httpx's default transport"
    assert f"connections: {said}" in caplog.text
