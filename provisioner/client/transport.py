"""The client's own httpx transport: HTTP/1.1 keep-alive connections on asyncio's sockets.
Its one job is to cost less CPU per call than httpx's default stack (httpcore's pool and
locks over anyio, with h11 parsing), which spent more per call than the rest of the client.

A plain exchange (a request with its Content-Length, an answer with a plain head and one
Content-Length: every call the Wix API and the emulator make) is written and read by
`framing`, byte for byte as h11 would; anything else, and every failure, is h11's to handle:
h11 (the parser under httpx's default transport) is handed the request and every byte
received so far, and carries on as it would have from the start.

What it keeps of httpx's default transport, so a caller sees no difference:
- the limits: at most 100 connections, of which 20 are kept alive for 5 s when idle; a
  connection is used again only after an exchange that ended cleanly on both sides, and not
  once the server has closed it or sent anything unasked;
- the exceptions: httpx's own, for the same failures and with the same words (a refused
  connection is `ConnectError("All connection attempts failed")`, a server that closes before
  it answers `RemoteProtocolError("Server disconnected without sending a response.")`, a
  request h11 refuses `LocalProtocolError`, ...), and a connection whose exchange failed or
  was cancelled is closed, never reused;
- timeouts from the request's `timeout` extension: to connect (and again for the TLS
  handshake), for each wait on a read or a write, and for a free connection (`pool`);
- TLS through httpx's default context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), ALPN
  `http/1.1`, closed without waiting for the server's `close_notify`.

What differs, and why it is cheaper: an answer's body is read whole before the response is
handed back (the client reads every body whole anyway); a request leaves in one `send()`
(head and body together); a read is one buffer or one future, with one timer when a timeout
is set; and bytes a server sends after an answer end that connection rather than being read
as the next answer.

Proxies are not handled here: `WixClient` uses this transport only when the environment names
no proxy, and otherwise leaves httpx's own transports in place.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager

import h11
import httpx

from . import framing

MAX_CONNECTIONS = 100  # httpx's default limits
MAX_KEEPALIVE_CONNECTIONS = 20
KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept
MAX_INCOMPLETE_EVENT_SIZE = 100 * 1024  # the longest response head, as httpx's default
READ_AHEAD = 256 * 1024  # bytes received and not yet read before the socket is left unread
HAPPY_EYEBALLS_DELAY = 0.25  # as anyio: the next address is tried after this many seconds
DEFAULT_PORTS = {"http": 80, "https": 443}
# the words httpx's default transport uses, so messages that quote them do not change
REFUSED = "All connection attempts failed"
NO_ANSWER = "Server disconnected without sending a response."
PLAIN_START = b"HTTP/1.1 "  # how a plain answer begins; other bytes go straight to h11

Origin = tuple[str, str, int]  # scheme, host, port


class _Wire(asyncio.Protocol):
    """One connection's socket as asyncio drives it: what arrived and is not read yet,
    whether the peer is done, and the read or write waiting on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received: list[bytes] = []
        self.size = 0
        self.read_paused = False
        self.ended = False  # the peer closed, or the connection was lost
        self.lost: BaseException | None = None
        self.reading: asyncio.Future[None] | None = None
        self.send_paused = False
        self.sending: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received.append(data)
        self.size += len(data)
        if self.size > READ_AHEAD and not self.read_paused and self.transport is not None:
            self.read_paused = True  # the reader catches up first
            self.transport.pause_reading()
        _wake(self.reading)

    def eof_received(self) -> bool:
        self.ended = True
        _wake(self.reading)
        return False  # and close our side, as a socket stream does

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        _wake(self.reading)
        _wake(self.sending)

    def pause_writing(self) -> None:
        self.send_paused = True

    def resume_writing(self) -> None:
        self.send_paused = False
        _wake(self.sending)

    async def read(self, timeout: float | None) -> bytes:
        """Everything received so far, waiting for something first; b"" once the peer is
        done."""
        if not self.received and not self.ended:
            self.reading = asyncio.get_running_loop().create_future()
            try:
                await _wait(self.reading, timeout, httpx.ReadTimeout)
            finally:
                self.reading = None
        if self.received:
            data = self.received[0] if len(self.received) == 1 else b"".join(self.received)
            self.received.clear()
            self.size = 0
            if self.read_paused and not self.ended and self.transport is not None:
                self.read_paused = False
                self.transport.resume_reading()
            return data
        if self.lost is not None:
            raise httpx.ReadError("")  # as httpx's default transport words a reset connection
        return b""

    def unread(self, data: bytes) -> None:
        """Put back bytes read too far, to be read first next time."""
        self.received.insert(0, data)
        self.size += len(data)

    async def drained(self, timeout: float | None) -> None:
        """Wait while the kernel's send buffer is full."""
        while self.send_paused and not self.ended:
            self.sending = asyncio.get_running_loop().create_future()
            try:
                await _wait(self.sending, timeout, httpx.WriteTimeout)
            finally:
                self.sending = None


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _expire(waiter: asyncio.Future[None], error: type[httpx.TimeoutException]) -> None:
    if not waiter.done():
        waiter.set_exception(error(""))


async def _wait(waiter: asyncio.Future[None], timeout: float | None,
                error: type[httpx.TimeoutException]) -> None:
    """Wait for `waiter`, raising `error` after `timeout` seconds (a timer, not a task)."""
    if timeout is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter, error)
    try:
        await waiter
    finally:
        timer.cancel()


@contextmanager
def _refused_by_h11() -> Iterator[None]:
    """h11's complaints as httpx words them: about our request (local) or the answer
    (remote)."""
    try:
        yield
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc)) from exc
    except h11.RemoteProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc)) from exc


class _Connection:
    """One HTTP/1.1 connection: an exchange at a time, used again while both sides leave it
    clean. A plain exchange is written and read by `framing`; anything else, or anything
    that goes wrong, by h11 (see `exchange`)."""

    def __init__(self, origin: Origin, transport: asyncio.Transport, wire: _Wire) -> None:
        self.origin = origin
        self.transport = transport
        self.wire = wire
        self.idle_since = 0.0
        self.reusable = False  # the last exchange ended cleanly, with nothing left over

    def usable(self, now: float) -> bool:
        """Idle, not expired, and the server has neither closed it nor sent anything."""
        return not self.wire.ended and not self.wire.received and \
            now - self.idle_since <= KEEPALIVE_EXPIRY

    def close(self) -> None:
        if self.transport.get_extra_info("ssl_object") is not None:
            self.transport.abort()  # no close_notify handshake, as httpx's default transport
        else:
            self.transport.close()

    async def exchange(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and read its answer. A plain request (`framing.plain_request`)
        is written directly, and its answer read directly while it stays plain; at the first
        byte that is not, h11 is handed the request and every byte received so far, and
        carries on as it would have from the start."""
        self.reusable = False
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        body = request.content if isinstance(request.stream, httpx.ByteStream) else None
        plain = None if body is None else framing.plain_request(
            request.method, request.url.raw_path, request.headers.raw, body)
        if plain is None:
            protocol = _h11()
            await self._send(await _h11_request(protocol, request), timeouts.get("write"))
            return await self._h11_answer(protocol, bytearray(), read_timeout)
        await self._send(plain, timeouts.get("write"))
        received, answer = await self._plain_answer(request.method.encode("ascii"),
                                                    read_timeout)
        if answer is not None:
            return answer
        protocol = _h11()
        await _h11_request(protocol, request)  # what was sent, so h11 expects its answer
        return await self._h11_answer(protocol, received, read_timeout)

    async def _send(self, data: bytes, timeout: float | None) -> None:
        if not self.transport.is_closing():  # else reading the answer says how it ended
            self.transport.write(data)
            await self.wire.drained(timeout)

    async def _plain_answer(self, method: bytes, timeout: float | None
                            ) -> tuple[bytearray, httpx.Response | None]:
        """The answer, read here if it is plain; else None, with every byte received so
        far. Nothing is waited for that h11 would have refused at once."""
        received = bytearray()
        while (end := framing.head_end(received)) is None:
            if len(received) > MAX_INCOMPLETE_EVENT_SIZE or \
                    not received.startswith(PLAIN_START[:len(received)]):
                return received, None
            data = await self.wire.read(timeout)
            if not data:
                return received, None
            received += data
        head = framing.plain_head(bytes(received[:end]), method) \
            if end <= MAX_INCOMPLETE_EVENT_SIZE else None
        if head is None:
            return received, None
        done = end + head.length
        while len(received) < done:
            data = await self.wire.read(timeout)
            if not data:
                return received, None
            received += data
        if len(received) > done:  # not part of this answer: the connection ends with it
            self.wire.unread(bytes(received[done:]))
        self.reusable = head.keep_alive and len(received) == done
        return received, httpx.Response(
            head.status, headers=head.headers, stream=httpx.ByteStream(bytes(received[end:done])),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason})

    async def _h11_answer(self, protocol: h11.Connection, received: bytearray,
                          timeout: float | None) -> httpx.Response:
        """The answer as h11 reads it, from `received` on."""
        if received:
            protocol.receive_data(bytes(received))
        while True:  # informational answers (1xx) come first, and are passed over
            event = await self._next_event(protocol, timeout)
            if isinstance(event, h11.Response) or (
                    isinstance(event, h11.InformationalResponse) and event.status_code == 101):
                break
            if isinstance(event, h11.ConnectionClosed):
                raise httpx.RemoteProtocolError(NO_ANSWER)
        body: list[bytes] = []
        while event.status_code != 101:
            part = await self._next_event(protocol, timeout)
            if isinstance(part, h11.Data):
                body.append(bytes(part.data))
            elif isinstance(part, h11.EndOfMessage) or part is h11.PAUSED:
                break
            elif isinstance(part, h11.ConnectionClosed):
                raise httpx.RemoteProtocolError("the connection closed during the answer")
        left_over, _ = protocol.trailing_data
        if left_over:  # not part of this answer: the connection ends with it
            self.wire.unread(bytes(left_over))
        self.reusable = protocol.our_state is h11.DONE and \
            protocol.their_state is h11.DONE and not left_over
        return httpx.Response(
            event.status_code, headers=event.headers.raw_items(),
            stream=httpx.ByteStream(b"".join(body)),
            extensions={"http_version": b"HTTP/" + event.http_version,
                        "reason_phrase": event.reason})

    async def _next_event(self, protocol: h11.Connection, timeout: float | None
                          ) -> h11.Event | type[h11.PAUSED]:
        while True:
            with _refused_by_h11():
                event = protocol.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]  # NEED_DATA is ruled out
            data = await self.wire.read(timeout)
            if not data and protocol.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError(NO_ANSWER)
            protocol.receive_data(data)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _h11() -> h11.Connection:
    return h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_INCOMPLETE_EVENT_SIZE)


async def _h11_request(protocol: h11.Connection, request: httpx.Request) -> bytes:
    """`request` as h11 writes it (and refuses it: `LocalProtocolError`)."""
    with _refused_by_h11():
        parts = [protocol.send(h11.Request(method=request.method, target=request.url.raw_path,
                                           headers=request.headers.raw)) or b""]
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            parts.append(protocol.send(h11.Data(data=chunk)) or b"")
        parts.append(protocol.send(h11.EndOfMessage()) or b"")
    return b"".join(parts)


class Transport(httpx.AsyncBaseTransport):
    """A pool of HTTP/1.1 connections for one event loop (see the module's docstring)."""

    def __init__(self) -> None:
        self._idle: dict[Origin, list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self._connecting = 0  # connections being made count against the limit too
        self._waiting: list[asyncio.Future[None]] = []  # for a free connection, in order
        self._ssl_context: ssl.SSLContext | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        scheme = request.url.scheme
        if scheme == "":
            raise httpx.UnsupportedProtocol(
                "Request URL is missing an 'http://' or 'https://' protocol.")
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.")
        # the host as sent (IDNA-encoded), as httpx's default transport connects to it
        origin = (scheme, request.url.raw_host.decode("ascii"),
                  request.url.port or DEFAULT_PORTS[scheme])
        connection = await self._connection(origin, request.extensions.get("timeout", {}))
        try:
            response = await connection.exchange(request)
        except BaseException:
            self._drop(connection)
            raise
        self._release(connection)
        return response

    async def aclose(self) -> None:
        for connection in [*self._busy, *(c for idle in self._idle.values() for c in idle)]:
            connection.close()
        self._busy.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports close their sockets

    # --- the pool -----------------------------------------------------------------------

    def _idle_count(self) -> int:
        return sum(len(idle) for idle in self._idle.values())

    def _open(self) -> int:
        return len(self._busy) + self._connecting + self._idle_count()

    async def _connection(self, origin: Origin, timeouts: dict[str, float | None]
                          ) -> _Connection:
        """An idle connection to `origin`, else a new one, else the first to come free."""
        pool_timeout = timeouts.get("pool")
        deadline = None if pool_timeout is None else time.monotonic() + pool_timeout
        while True:
            connection = self._take_idle(origin)
            if connection is None and self._open() >= MAX_CONNECTIONS:
                self._close_oldest_idle(sparing=origin)  # room for one of this origin's own
            if connection is None and self._open() < MAX_CONNECTIONS:
                self._connecting += 1
                try:
                    connection = await self._connect(origin, timeouts.get("connect"))
                finally:
                    self._connecting -= 1
                    if connection is None:
                        self._wake_next()
            if connection is not None:
                self._busy.add(connection)
                return connection
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                await _wait(waiter, left, httpx.PoolTimeout)
            except BaseException:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                elif not waiter.cancelled() and waiter.exception() is None:
                    self._wake_next()  # woken, but gone: the next in line takes its turn
                raise

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely expired
            if connection.usable(now):
                return connection
            connection.close()
        return None

    def _release(self, connection: _Connection) -> None:
        self._busy.discard(connection)
        if not connection.reusable or connection.wire.ended:
            connection.close()
        else:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(connection.origin, []).append(connection)
            while self._idle_count() > MAX_KEEPALIVE_CONNECTIONS:
                self._close_oldest_idle()
        self._wake_next()

    def _drop(self, connection: _Connection) -> None:
        self._busy.discard(connection)
        connection.close()
        self._wake_next()

    def _close_oldest_idle(self, sparing: Origin | None = None) -> None:
        """Close the connection idle longest, of any origin but `sparing`; none if there is
        no such connection."""
        oldest = min(((idle[0].idle_since, origin) for origin, idle in self._idle.items()
                      if origin != sparing and idle), default=None)
        if oldest is not None:
            self._idle[oldest[1]].pop(0).close()

    def _wake_next(self) -> None:
        while self._waiting:
            waiter = self._waiting.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    # --- connecting ---------------------------------------------------------------------

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        # an address has nothing to race against: no tasks for happy eyeballs
        delay = None if is_address(host) else HAPPY_EYEBALLS_DELAY
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                transport, wire = await loop.create_connection(
                    _Wire, host, port, happy_eyeballs_delay=delay)
        except socket.gaierror as exc:  # the name did not resolve: its own words
            raise httpx.ConnectError(str(exc)) from exc
        except OSError as exc:  # TimeoutError is one: ours, or the kernel's
            if scope.expired():
                raise httpx.ConnectTimeout("") from None
            raise httpx.ConnectError(REFUSED) from exc
        if scheme == "https":
            transport = await self._start_tls(transport, wire, host, timeout)
        return _Connection(origin, transport, wire)

    async def _start_tls(self, transport: asyncio.Transport, wire: _Wire, host: str,
                         timeout: float | None) -> asyncio.Transport:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
            self._ssl_context.set_alpn_protocols(["http/1.1"])
        loop = asyncio.get_running_loop()
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                upgraded = await loop.start_tls(transport, wire, self._ssl_context,
                                                server_hostname=host)
        except OSError as exc:  # ssl.SSLError included: a certificate refused, ...
            transport.abort()
            if scope.expired():
                raise httpx.ConnectTimeout("") from None
            raise httpx.ConnectError(str(exc)) from exc
        if upgraded is None:
            transport.abort()
            raise httpx.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(upgraded, asyncio.Transport)
        wire.transport = upgraded  # reads are paused and resumed through TLS from now on
        return upgraded
