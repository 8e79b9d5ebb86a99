"""Plain text <-> the rich-content (Ricos) document Events V3 wants for an event's description.

As in Markdown, a blank line starts a new paragraph and a single line break is a space, so a
YAML block (`description: |`) can be wrapped freely.
Node ids are derived from the position so the same text always gives the same document.
"""

from __future__ import annotations

import re
from typing import Any

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


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
    """The text of a rich-content document: paragraphs joined by blank lines."""
    if not isinstance(document, dict):
        return ""
    paragraphs = []
    for node in document.get("nodes") or []:
        paragraphs.append("".join(_texts(node)))
    return "\n\n".join(p for p in paragraphs if p)


def _texts(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    text = (node.get("textData") or {}).get("text")
    found = [text] if isinstance(text, str) else []
    for child in node.get("nodes") or []:
        found.extend(_texts(child))
    return found
