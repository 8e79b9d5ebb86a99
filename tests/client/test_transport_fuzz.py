"""The client's own transport against httpx's default one on generated answers, over real
sockets: answers put together from the parts servers really send (status lines of every
kind, Content-Length right, wrong, repeated or spaced, chunked bodies, `Connection: close`,
folded and bare-LF lines, informational answers first, bytes after the end) and cut at
random places into pieces that arrive apart. Whatever the answer and wherever it is cut,
both give the same response, or fail with the same exception in the same words: the plain
path must hand over to h11 at any byte without a trace.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.client.test_transport import PAUSE, answer, both

BODY = st.binary(min_size=1, max_size=40)  # empty bodies: tests/client/test_transport.py
STATUS_LINES = st.sampled_from([
    b"HTTP/1.1 200 OK", b"HTTP/1.1 201 Created", b"HTTP/1.1 404 Not Found",
    b"HTTP/1.1 500 Internal Server Error", b"HTTP/1.1 204 No Content",
    b"HTTP/1.1 304 Not Modified", b"HTTP/1.0 200 OK", b"HTTP/1.1 200", b"HTTP/1.1 200 ",
    b"HTTP/1.1 200 \xe9t\xe9", b"HTTP/1.1 2000 OK", b"HTTP/2 200 OK", b"HTTP/1.1 099 Low",
])
EXTRA_HEADERS = st.lists(st.sampled_from([
    b"Content-Type: application/json", b"X-Wix-Request-Id: 1234", b"x-empty:",
    b"X-Spaced:   padded   ", b"Connection: keep-alive", b"Connection: close",
    b"Connection: Keep-Alive, CLOSE", b"X-Folded: a\r\n b", b"Server: test\r\n", b"Bad Name: x",
    b"X-Tab:\tvalue", b"X-Obs: \xe9",
]), max_size=3)
LENGTHS = st.sampled_from(["right", "right", "none", "short", "long", "twice", "spaced",
                           "chunked", "chunked", "both"])
ENDINGS = st.sampled_from([b"\r\n", b"\r\n", b"\n"])
PREFIXES = st.sampled_from([b"", b"", b"HTTP/1.1 100 Continue\r\n\r\n",
                            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"])


def chunked(body: bytes, cut: int) -> bytes:
    parts = [body[:cut], body[cut:]] if 0 < cut < len(body) else [body]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts if part) + \
        b"0\r\n\r\n"


@st.composite
def answers(draw: st.DrawFn) -> tuple[bytes, bool, str]:
    """(the answer's bytes, PAUSE marking where it is cut; whether the server then closes;
    the method asked)."""
    body = draw(BODY)
    how = draw(LENGTHS)
    lines = [draw(STATUS_LINES), *draw(EXTRA_HEADERS)]
    length = {"right": len(body), "short": max(0, len(body) - 3), "long": len(body) + 3,
              "twice": len(body), "spaced": len(body), "both": len(body)}.get(how)
    if length is not None:
        value = b" %d " % length if how == "spaced" else b"%d" % length
        lines.append(b"Content-Length: " + value)
        if how == "twice":
            lines.append(b"Content-Length: " + value)
    if how in ("chunked", "both"):
        lines.append(b"Transfer-Encoding: chunked")
        payload = chunked(body, draw(st.integers(0, len(body))))
    else:
        payload = body
    ending = draw(ENDINGS)
    raw = draw(PREFIXES) + ending.join(lines) + ending + ending + payload
    if draw(st.booleans()):
        raw += draw(st.sampled_from([b"HTTP/1.1 200 OK\r\n\r\n", b"junk", b"\r\n"]))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(raw)), max_size=3))))
    pieces = [raw[start:end] for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    return PAUSE.join(pieces), draw(st.booleans()), draw(st.sampled_from(["GET", "POST",
                                                                         "HEAD"]))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answers())
def test_any_answer_cut_anywhere_is_read_as_httpx_reads_it(case: tuple[bytes, bool, str]
                                                           ) -> None:
    raw, close, method = case
    # `both` asserts the two outcomes are equal. An answer that never ends by itself (a
    # Content-Length longer than the body, a body read to the close) ends when the server
    # closes a connection left open 0.1 s after answering: never by a timeout, which a busy
    # machine could make fire for one transport and not the other
    asyncio.run(both(answer(raw, close=close), method, timeout=5, pause=0.002, linger=0.1))
