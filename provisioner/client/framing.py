"""HTTP/1.1 messages of the common kind, written and read without h11, byte for byte as h11
writes and reads them: a request with a Host header and a body of its declared
Content-Length, and an answer whose head is plain and whose body has one Content-Length.
Each function returns None for anything else, and the transport then hands the exchange to
h11, whose rules and words apply as before: this module only has to recognise the plain case
exactly, never to judge the rest.

The grammar below is RFC 7230's, as h11 writes it (`h11._abnf`), so what passes here is what
h11 accepts; `tests/client/test_framing.py` checks the two agree on generated messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_FIELD_VCHAR = rb"[^\x00\s]"  # visible characters and obs-text, as h11 reads them
_FIELD_VALUE = rb"(?:%s+(?:[ \t]+%s+)*)?" % (_FIELD_VCHAR, _FIELD_VCHAR)
TOKEN = re.compile(_TOKEN)
FIELD_VALUE = re.compile(_FIELD_VALUE)
TARGET = re.compile(rb"[\x21-\x7e]+")
HEADER_LINE = re.compile(rb"(%s):[ \t]*(%s)[ \t]*" % (_TOKEN, _FIELD_VALUE))
STATUS_LINE = re.compile(rb"HTTP/1\.1 ([0-9]{3})(?: ((?:[ \t]|%s)*))?" % _FIELD_VCHAR)
BLANK_LINE = re.compile(rb"\n\r?\n")  # where h11 finds the end of a head
MAX_LENGTH_DIGITS = 18  # a longer Content-Length is left to h11, which has its own limit
NO_BODY_STATUSES = (204, 304)
NO_BODY_METHODS = (b"HEAD", b"CONNECT")


@dataclass(frozen=True)
class Head:
    """A plain answer's head: what h11's `Response` would hold, and its body's length."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]  # as h11's `raw_items()`: names as sent
    length: int
    keep_alive: bool  # no `Connection: close`


def _closes(value: bytes) -> bool:
    """Whether a Connection header's value names `close` (as h11's `get_comma_header`)."""
    return any(part.strip() == b"close" for part in value.lower().split(b","))


def plain_request(method: str, target: bytes, headers: list[tuple[bytes, bytes]],
                  body: bytes) -> bytes | None:
    """The bytes h11 writes for this request (request line, Host first, the other headers in
    order, the body), or None unless it is plain: a method and target h11 accepts, valid
    header names and values, one Host, no Transfer-Encoding, no `Connection: close`, and a
    body of exactly its Content-Length (none: empty)."""
    if not method.isascii():
        return None
    raw_method = method.encode("ascii")
    if not TOKEN.fullmatch(raw_method) or not TARGET.fullmatch(target):
        return None
    host: bytes | None = None
    length: int | None = None
    lines: list[bytes] = []
    for name, value in headers:
        if not TOKEN.fullmatch(name) or not FIELD_VALUE.fullmatch(value):
            return None
        lower = name.lower()
        line = b"%s: %s\r\n" % (name, value)
        if lower == b"host":
            if host is not None:
                return None
            host = line
            continue
        if lower == b"content-length":
            if length is not None or not value.isdigit() or len(value) > MAX_LENGTH_DIGITS:
                return None
            length = int(value)
        elif lower == b"transfer-encoding" or (lower == b"connection" and _closes(value)):
            return None
        lines.append(line)
    if host is None or (length or 0) != len(body):
        return None
    return b"".join((b"%s %s HTTP/1.1\r\n" % (raw_method, target), host, *lines, b"\r\n",
                     body))


def head_end(received: bytes | bytearray) -> int | None:
    """Where the head ends (just after its blank line), or None if it has not arrived."""
    found = BLANK_LINE.search(received)
    return found.end() if found else None


def plain_head(head: bytes, method: bytes) -> Head | None:
    """`head` (up to and with its blank line) read as h11 reads it, or None unless it is
    plain: `HTTP/1.1`, a final status with a body for `method`, every line CRLF-ended and
    well-formed (no folding), one Content-Length of digits and no Transfer-Encoding."""
    if not head.endswith(b"\r\n\r\n"):
        return None
    lines = head[:-4].split(b"\r\n")
    status_line = STATUS_LINE.fullmatch(lines[0])
    if status_line is None or method in NO_BODY_METHODS:
        return None
    status = int(status_line.group(1))
    if status < 200 or status in NO_BODY_STATUSES:
        return None
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    keep_alive = True
    for line in lines[1:]:
        field = HEADER_LINE.fullmatch(line)
        if field is None:
            return None
        name, value = field.group(1), field.group(2)
        lower = name.lower()
        if lower == b"content-length":
            if length is not None or not value.isdigit() or len(value) > MAX_LENGTH_DIGITS:
                return None
            length = int(value)
        elif lower == b"transfer-encoding":
            return None
        elif lower == b"connection" and _closes(value):
            keep_alive = False
        headers.append((name, value))
    if length is None:
        return None
    return Head(status, status_line.group(2) or b"", headers, length, keep_alive)
