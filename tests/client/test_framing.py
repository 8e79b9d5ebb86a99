"""`client.framing` against h11 itself, on generated messages: whatever request it writes, h11
writes byte for byte the same (and accepts), and whatever answer head it reads, h11 reads to
the same status, reason, headers, body and keep-alive; what it declines is left to h11.
"""

from __future__ import annotations

import h11
import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from provisioner.client.framing import head_end, plain_head, plain_request

# --- requests ----------------------------------------------------------------------------------

def joined(*parts: st.SearchStrategy[bytes], max_size: int = 5) -> st.SearchStrategy[bytes]:
    return st.lists(st.one_of(*parts), max_size=max_size).map(b"".join)


# mostly what h11 accepts, with now and then what it does not, so both sides are exercised
TOKEN = st.text("abcXYZ019-_.!#~*", min_size=1, max_size=6).map(str.encode)
VALUE = joined(st.sampled_from([b"a", b"Z", b"~", b",", b"\xe9", b"\x01", b" ", b"\t"]))
CLEAN_VALUE = st.from_regex(rb"(?:[aZ~,\xe9\x01]+(?:[ \t]+[aZ~,\xe9\x01]+)*)?", fullmatch=True)
ODD_VALUE = st.sampled_from([b" a", b"a ", b"a\tb", b"a\x00b", b"x\r\ny", b"", b"\x7f",
                             b"close", b"Keep-Alive, CLOSE", b"chunked", b"1,1", b" 3 "])
ODD_NAME = st.sampled_from([b"Host", b"Transfer-Encoding", b"Connection", b"Content-Length",
                            b"Bad Name", b"", b"x:y", b"\xe9"])
HEADERS = st.lists(st.one_of(st.tuples(TOKEN, VALUE), st.tuples(TOKEN, VALUE),
                             st.tuples(ODD_NAME, ODD_VALUE | VALUE)), max_size=5)
METHODS = st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "BAD METHOD", "G\u00cbT",
                           ""])
TARGETS = st.sampled_from([b"/", b"/events/v3/events?a=1&b=%20", b"/a b", b"", b"/\x7f",
                           b"/\xe9"])
LENGTHS = st.sampled_from(["right", "right", "none", "wrong", "spaced", "twice"])


def with_length(headers: list[tuple[bytes, bytes]], body: bytes, how: str
                ) -> list[tuple[bytes, bytes]]:
    declared = {"right": [b"%d" % len(body)], "none": [], "wrong": [b"%d" % (len(body) + 1)],
                "spaced": [b" %d " % len(body)], "twice": [b"%d" % len(body)] * 2}[how]
    return [*headers, *((b"Content-Length", value) for value in declared)]


def h11_writes(method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
               ) -> bytes | None:
    """What h11 sends for the request, None if it refuses it."""
    connection = h11.Connection(h11.CLIENT)
    try:
        sent = connection.send(h11.Request(method=method, target=target, headers=headers))
        if body:
            sent += connection.send(h11.Data(data=body)) or b""
        return sent + (connection.send(h11.EndOfMessage()) or b"")
    except (h11.LocalProtocolError, UnicodeEncodeError):
        return None


@settings(max_examples=500)
@given(METHODS, TARGETS, HEADERS, st.binary(max_size=4), LENGTHS, st.booleans())
@example("POST", b"/x", [(b"Host", b"a")], b"{}", "right", False)
@example("GET", b"/x", [(b"Accept", b"*/*"), (b"Host", b"a")], b"", "none", False)
def test_a_plain_request_is_written_as_h11_writes_it(
        method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes,
        length: str, with_host: bool) -> None:
    headers = with_length(headers, body, length)
    if with_host:
        headers = [*headers[:1], (b"Host", b"example.com"), *headers[1:]]
    written = plain_request(method, target, headers, body)
    if written is not None:
        assert written == h11_writes(method, target, headers, body)


@given(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
       st.sampled_from([b"/", b"/events/v3/events?a=1&b=%20"]),
       st.lists(st.tuples(TOKEN, CLEAN_VALUE), max_size=5), st.binary(max_size=4),
       st.sampled_from(["right", "none"]), st.sampled_from([b"keep-alive", b"upgrade", None]))
def test_a_request_h11_accepts_as_is_is_plain(
        method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes,
        length: str, connection: bytes | None) -> None:
    if length == "none" and body:
        length = "right"
    headers = [(b"Host", b"example.com"), *with_length(headers, body, length)]
    if connection is not None:
        headers.append((b"Connection", connection))
    written = plain_request(method, target, headers, body)
    assert written is not None and written == h11_writes(method, target, headers, body)


def test_the_clients_own_requests_are_plain() -> None:
    client = httpx.Client(base_url="http://127.0.0.1:8787",
                          headers={"Authorization": "key", "wix-site-id": "site"})
    for request in (client.build_request("POST", "/events/v3/events", json={"a": "é"}),
                    client.build_request("GET", "/events/v3/events/x?ids=a&ids=b"),
                    client.build_request("DELETE", "/events/v3/events/x")):
        written = plain_request(request.method, request.url.raw_path, request.headers.raw,
                                request.read())
        assert written is not None
        assert written == h11_writes(request.method, request.url.raw_path,
                                     request.headers.raw, request.read())


# --- answers -----------------------------------------------------------------------------------

STATUS_LINES = st.builds(
    lambda status, reason: b"HTTP/1.1 %s%s" % (status, reason),
    st.sampled_from([b"200", b"201", b"404", b"500", b"204", b"304", b"100", b"999", b"2000"]),
    st.sampled_from([b" OK", b" Not Found", b"", b" ", b" \xe9t\xe9", b" a\x01b", b" a\x00b"])
) | st.sampled_from([b"HTTP/1.0 200 OK", b"HTTP/2 200 OK", b" HTTP/1.1 200 OK",
                     b"HTTP/1.1  200 OK", b"http/1.1 200 OK"])
OWS = st.sampled_from([b"", b"", b" ", b"  ", b"\t"])
LINES = st.builds(lambda name, before, value, after: name + b":" + before + value + after,
                  TOKEN, OWS, VALUE, OWS) | st.sampled_from([
    b"Transfer-Encoding: chunked", b"Connection: close", b"connection: keep-alive, Close",
    b"Connection: keep-alive", b" folded", b"\tfolded", b"No colon", b"X-Bad : v",
    b"X-\xe9: v", b"X-V: a\x00b", b"Content-Length: 3,3", b"Content-Length: x",
    b"Content-Length: 2", b"Date: Sat, 05 Dec 2026 05:15:41 GMT"])
ENDINGS = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n"])
LENGTH_LINES = st.sampled_from([[b"Content-Length: 3"], [b"content-length:3"],
                                [b"Content-Length:  3 \t"], [], [b"Content-Length: 3"] * 2])


def h11_reads(data: bytes, method: bytes) -> tuple[object, ...] | None:
    """What h11 makes of an answer to `method`: (status, reason, headers, body, keep-alive),
    or None if it refuses it or it is not whole."""
    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method=method, target=b"/", headers=[(b"Host", b"x")]))
    connection.send(h11.EndOfMessage())
    connection.receive_data(data)
    body = b""
    try:
        response = connection.next_event()
        if not isinstance(response, h11.Response):
            return None
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            else:
                return None
    except h11.RemoteProtocolError:
        return None
    return (response.status_code, response.reason, response.headers.raw_items(), body,
            connection.their_state is h11.DONE, response.http_version)


@settings(max_examples=600)
@given(STATUS_LINES, st.lists(LINES, max_size=4), LENGTH_LINES, st.integers(0, 4),
       ENDINGS, st.sampled_from([b"GET", b"POST", b"HEAD"]))
@example(b"HTTP/1.1 200 OK", [], [b"Content-Length: 3"], 0, b"\r\n", b"GET")
@example(b"HTTP/1.1 200 OK", [b"Connection: close"], [b"Content-Length: 3"], 1, b"\r\n",
         b"POST")
def test_a_plain_answer_is_read_as_h11_reads_it(
        status_line: bytes, lines: list[bytes], length_lines: list[bytes], at: int,
        ending: bytes, method: bytes) -> None:
    lines = [*lines[:at], *length_lines, *lines[at:]]
    head = ending.join([status_line, *lines]) + ending + ending
    end = head_end(head)
    assert end is not None
    read = plain_head(head[:end], method)
    if read is None:
        return
    body = b"abcdefgh"[:read.length]
    assert read.length == len(body)  # the generated lengths are all small
    assert h11_reads(head[:end] + body, method) == (
        read.status, read.reason, read.headers, body, read.keep_alive, b"1.1")


@given(st.sampled_from([b"200", b"201", b"404", b"500", b"999"]),
       st.from_regex(rb"(?: [ \taZ\xe9\x01]*)?", fullmatch=True),
       st.lists(st.builds(lambda name, before, value, after: name + b":" + before + value
                          + after, TOKEN, OWS, CLEAN_VALUE, OWS), max_size=4),
       st.integers(0, 4), st.sampled_from([b"", b"close", b"keep-alive, Close", b"keep-alive"]),
       st.sampled_from([b"GET", b"POST"]))
def test_an_answer_with_a_plain_head_is_read_without_h11(
        status: bytes, reason: bytes, lines: list[bytes], at: int, connection: bytes,
        method: bytes) -> None:
    lines = [*lines[:at], b"Content-Length: 3", *lines[at:]]
    if connection:
        lines.append(b"Connection: " + connection)
    head = b"\r\n".join([b"HTTP/1.1 " + status + reason, *lines]) + b"\r\n\r\n"
    read = plain_head(head, method)
    assert read is not None
    assert h11_reads(head + b"abc", method) == (
        read.status, read.reason, read.headers, b"abc", read.keep_alive, b"1.1")


def test_the_end_of_a_head_is_found_where_h11_finds_it() -> None:
    assert head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody") == 25
    assert head_end(b"HTTP/1.1 200 OK\nA: b\n\nbody") == 22
    assert head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n") is None
