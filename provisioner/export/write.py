"""Spec objects as YAML a person would have written: keys in the schema's order (slug and
title first, children last), multi-line texts as `|` blocks, the schema modeline on top, and a
header saying where it came from. One document, or a folder with a file per event (so a
repository diff stays per event) and one for the categories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from ..client.errors import ProvisionerError
from ..plan.normalise import declared_properties, resolve_node
from ..spec.scalars import resolve_plain
from ..spec.schema import PUBLISHED_SCHEMA_NAME, SCHEMA_NAME, load_schema

MODELINE = "# yaml-language-server: $schema={schema}\n"
CATEGORIES_FILE = "categories.yaml"


class _Dumper(yaml.SafeDumper):
    """Block style for texts with line breaks; everything else as PyYAML decides (it quotes
    what YAML 1.1 would read as another type: "299.00", "NO", "2025-06-15T09:00")."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value.strip("\n") and not value.endswith((" ", "\t")) and \
            all(ch == "\n" or ch.isprintable() for ch in value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if any(not ch.isprintable() for ch in value if ch != " "):
        # control characters and Unicode line breaks survive only as escapes
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if resolve_plain(value) != value or not isinstance(resolve_plain(value), str):
        # PyYAML quotes by YAML 1.1's rules; the spec is read by 1.2's, where `-.5` or `0o17`
        # written bare is a number: quote whatever 1.2 would not read back as this text
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def ordered(value: Any, node: dict[str, Any]) -> Any:
    """`value` with each mapping's keys in the order its schema node declares them (keys it
    does not declare keep their order, after)."""
    node = resolve_node(node)
    if isinstance(value, dict):
        props = declared_properties(node) or {}
        keys = [k for k in props if k in value] + [k for k in value if k not in props]
        return {key: ordered(value[key], props.get(key, {})) for key in keys}
    if isinstance(value, list):
        return [ordered(item, node.get("items", {})) for item in value]
    return value


def _literal(value: Any) -> Any:
    """`value` with every `${{` in a text written `$${{`, so a spec read back (an export, a
    render) takes it as text, not as the start of a template expression."""
    if isinstance(value, dict):
        return {key: _literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item) for item in value]
    if isinstance(value, str):
        return value.replace("${{", "$${{")
    return value


def to_yaml(document: dict[str, Any], header: str, *, reorder: bool = True) -> str:
    """One spec document as YAML text, with the modeline and `header` (comment lines); keys in
    the schema's order with `reorder`, else as they are."""
    document = _literal(document)
    body = yaml.dump(ordered(document, load_schema()) if reorder else document, Dumper=_Dumper,
                     sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    schema = str(load_schema().get("$id", "")).replace(SCHEMA_NAME, PUBLISHED_SCHEMA_NAME)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return MODELINE.format(schema=schema) + "#\n" + comments + "\n" + body


def folder_files(categories: list[dict[str, Any]], events: list[tuple[str, dict[str, Any]]],
                 header: str) -> dict[str, str]:
    """File name -> text of a folder export: `<slug>.yaml` per event, `categories.yaml`."""
    files: dict[str, str] = {}
    if categories:
        files[CATEGORIES_FILE] = to_yaml({"categories": categories}, header)
    for slug, event in events:
        files[f"{slug}.yaml"] = to_yaml({"events": [event]}, header)
    return files


def write_files(folder: Path, files: dict[str, str]) -> list[str]:
    """Write `files` into `folder` (made if missing); returns the spec files already there that
    this export did not write (a plan of the folder reads them too)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        others = sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                        if path.suffix in (".yaml", ".yml") and path.is_file()
                        and str(path.relative_to(folder)) not in files
                        and not any(p.startswith(".") for p in path.relative_to(folder).parts))
        for name, text in files.items():
            write_text(folder / name, text)
    except OSError as error:
        raise ProvisionerError(f"cannot write the export to {folder}: "
                               f"{error.strerror or error}") from None
    return others


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a crash midway leaves the old file. A
    path that names no file (`''`, `.`, a folder) raises `ProvisionerError`."""
    if not path.name or path.is_dir():
        raise ProvisionerError(f"{str(path) or repr('')} is not a file name: give the file to "
                               "write, such as spec.yaml")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
