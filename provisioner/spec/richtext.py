"""Plain text <-> the rich-content (Ricos) document Events V3 wants for an event's description.

As in Markdown, a blank line starts a new paragraph and a single line break is a space, so a
YAML block (`description: |`) can be wrapped freely.
Node ids are derived from the position so the same text always gives the same document.
"""

from __future__ import annotations

import re
from typing import Any

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_RICH_NOISE = ("id", "metadata", "documentStyle")


def to_rich(text: str) -> dict[str, Any]:
    """The rich-content document for `text`."""
    paragraphs = [" ".join(line.strip() for line in part.strip().splitlines())
                  for part in _PARAGRAPH_BREAK.split(text.strip())]
    nodes = []
    for index, paragraph in enumerate(p for p in paragraphs if p):
        nodes.append({
            "type": "PARAGRAPH",
            "id": f"p{index}",
            "nodes": [{
                "type": "TEXT",
                "id": "",
                "nodes": [],
                "textData": {"text": paragraph, "decorations": []},
            }],
            "paragraphData": {},
        })
    return {"nodes": nodes, "metadata": {"version": 1}}


def to_plain(document: Any) -> str:
    """The text of a rich-content document: paragraphs joined by blank lines. Anything that is
    not a well-formed document (as a live site might hold) reads as the text it has."""
    if not isinstance(document, dict):
        return ""
    paragraphs = ["".join(_texts(node)) for node in _children(document)]
    return "\n\n".join(p for p in paragraphs if p)


def _children(node: dict[str, Any]) -> list[Any]:
    nodes = node.get("nodes")
    return nodes if isinstance(nodes, list) else []


def _texts(root: Any) -> list[str]:
    """The text of `root` and its descendants in document order (no recursion: a deeply
    nested document must not exhaust the stack)."""
    found: list[str] = []
    pending = [root]
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        data = node.get("textData")
        text = data.get("text") if isinstance(data, dict) else None
        if isinstance(text, str):
            found.append(text)
        pending.extend(reversed(_children(node)))
    return found


def rich(document: Any) -> Any:
    """A rich-content document without the ids and metadata that do not change what it says."""
    if isinstance(document, dict):
        return {k: rich(v) for k, v in document.items() if k not in _RICH_NOISE}
    if isinstance(document, list):
        return [rich(v) for v in document]
    return document
