"""JSON text spliced into a response as it is: a stored document whose text already is what
the response shows (a form, for the FORM fieldset of a page of events) is neither decoded nor
encoded again.

`encode` writes a response body exactly as starlette's `JSONResponse` does (compact, UTF-8,
non-ASCII kept, NaN refused), with each `RawJson` in place. The store writes documents with
the same separators and `ensure_ascii=False`, and refuses NaN on the way in, so a stored
text spliced in reads byte for byte as its decoded value would have been encoded.
"""

from __future__ import annotations

import json
import secrets
from typing import Any


class RawJson:
    """A JSON value as text, to be written into a response unchanged."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def encode(content: Any) -> bytes:
    """`content` as a JSON response body, with every `RawJson` spliced in."""
    fragments: list[str] = []
    # a string no request can have sent inside this response: it marks where each goes
    marker = f"\x00{secrets.token_hex(8)}\x00"

    def splice(value: Any) -> str:
        if isinstance(value, RawJson):
            fragments.append(value.text)
            return marker
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":"), default=splice).encode("utf-8")
    if not fragments:
        return body
    # spliced as bytes: copying bytes is far cheaper than copying a wide str
    *parts, last = body.split(json.dumps(marker).encode("ascii"))
    pieces = [piece for part, fragment in zip(parts, fragments, strict=True)
              for piece in (part, fragment.encode("utf-8"))]
    return b"".join([*pieces, last])
