"""YAML 1.2 scalars: what an unquoted scalar means, and how an explicitly tagged one is read.

Only `true`/`false` are booleans (Norway's `NO` stays a country code), and timestamps stay text,
because the spec reads times itself, in the event's time zone.
"""

from __future__ import annotations

import math
import re
from typing import Any

# YAML 1.2 core schema, the part that applies to plain (unquoted) scalars
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

TEXT_TAGS = {"tag:yaml.org,2002:str", "!"}

_NOT_TEXT_START = frozenset("0123456789+-.~nNtTfF")  # how a non-text plain scalar can begin


def resolve_plain(text: str) -> Any:
    """The value of an unquoted scalar under the YAML 1.2 core schema."""
    if text and text[0] not in _NOT_TEXT_START:
        return text  # most scalars are words: skip the patterns
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _tagged_int(text: str) -> int:
    value = resolve_plain(text)
    if type(value) is not int:
        raise ValueError(text)
    return value


def _tagged_float(text: str) -> float:
    value = resolve_plain(text)
    if type(value) not in (int, float):
        raise ValueError(text)
    return float(value)


# explicit tags read the text by the same YAML 1.2 rules as plain scalars
EXPLICIT_TAGS = {
    "tag:yaml.org,2002:null": lambda text: None,
    "tag:yaml.org,2002:bool": lambda text: _BOOL[text],
    "tag:yaml.org,2002:int": _tagged_int,
    "tag:yaml.org,2002:float": _tagged_float,
}
