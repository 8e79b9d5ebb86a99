"""The rules across a whole spec (every file at once): unique event slugs, unique category
names, and event categories that the spec defines and does not delete. Per-event rules live in
`event_rules`.
"""

from __future__ import annotations

from typing import Any

from .event_rules import EventCheck
from .identity import event_slug
from .problems import WARNING, Path, Problem
from .shapes import items, mapping, text
from .source import Document, where

DELETED = "DELETED"  # the `state` of an event or category the spec wants off the site


def _where(doc: Document, path: Path) -> str:
    return where(doc, path)


def check_spec(docs: list[Document], problems: list[Problem] | None = None) -> list[Problem]:
    """All semantic problems of the documents taken together, added to `problems` (a new list
    when None), which is returned. A `Problems` list that fills up stops the check."""
    problems = [] if problems is None else problems
    categories, deleted = _check_categories(docs, problems)
    slugs: dict[str, tuple[Document, Path]] = {}
    former: dict[str, tuple[Document, Path]] = {}
    for doc in docs:
        for index, event in items(mapping(doc.data).get("events")):
            path: Path = ("events", index)
            EventCheck(doc, path, event, problems).run()
            _check_slug(doc, path, event, slugs, former, problems)
            if event.get("state") != DELETED:  # a deleted event's categories do not matter
                _check_event_categories(doc, path, event, categories, deleted, problems)
    for slug, (doc, path) in former.items():
        if slug in slugs:
            first_doc, first_path = slugs[slug]
            problems.append(doc.problem(path, f"{slug!r} is the slug of the event at "
                                        f"{_where(first_doc, first_path)}, so it cannot also "
                                        "be a former slug", rule="renamed-from"))
    return problems


def _check_slug(doc: Document, path: Path, event: dict[str, Any],
                slugs: dict[str, tuple[Document, Path]],
                former: dict[str, tuple[Document, Path]], problems: list[Problem]) -> None:
    slug = event_slug(event)
    if slug is None:
        return
    if "slug" not in event:
        problems.append(doc.problem(
            (*path, "title"), f"no `slug`, so the event is known by the one derived from its "
            f"title, {slug!r}; set `slug: {slug}` so that a later title change does not make "
            "a new event", severity=WARNING, rule="slug-derived"))
    if slug in slugs:
        first_doc, first_path = slugs[slug]
        where = (*path, "slug") if "slug" in event else (*path, "title")
        problems.append(doc.problem(where, f"a second event with slug {slug!r} (the first is "
                                    f"at {_where(first_doc, first_path)}); slugs identify "
                                    "events and must be unique", rule="unique-slug"))
    else:
        slugs[slug] = (doc, path)
    renamed = event.get("renamed_from")
    for position, old in enumerate(renamed if isinstance(renamed, list) else []):
        if not isinstance(old, str):
            continue
        where = (*path, "renamed_from", position)
        if old in former:
            first_doc, first_path = former[old]
            problems.append(doc.problem(where, f"{old!r} is already a former slug of the event "
                                        f"at {_where(first_doc, first_path)}; a live event can "
                                        "become only one of them", rule="renamed-from"))
        else:
            former[old] = (doc, where)


def _check_categories(docs: list[Document], problems: list[Problem]
                      ) -> tuple[dict[str, str], set[str]]:
    """Unique category names (ignoring case, as Wix compares them); returns lower -> name,
    and the lower names of the categories to delete."""
    known: dict[str, tuple[str, Document, Path]] = {}
    deleted: set[str] = set()
    for doc in docs:
        for index, category in items(mapping(doc.data).get("categories")):
            name = text(category.get("name"))
            if name is None:
                continue
            path: Path = ("categories", index, "name")
            if category.get("state") == DELETED:
                deleted.add(name.lower())
                if category.get("existing") is True:
                    problems.append(doc.problem(("categories", index, "state"), "an existing "
                                                "category is never changed, so it cannot be "
                                                "deleted; drop `existing: true` to manage it",
                                                rule="deleted"))
            if category.get("existing") is True and "renamed_from" in category:
                problems.append(doc.problem(("categories", index, "renamed_from"), "an "
                                            "existing category is never changed, so it cannot "
                                            "be renamed; drop `existing: true` to manage it",
                                            rule="renamed-from"))
            if name.lower() in known:
                first, first_doc, first_path = known[name.lower()]
                problems.append(doc.problem(path, f"a second category {name!r} (the first, "
                                            f"{first!r}, is at {_where(first_doc, first_path)})"
                                            "; Wix compares category names ignoring case",
                                            rule="unique"))
            else:
                known[name.lower()] = (name, doc, path)
    return {lower: name for lower, (name, _, _) in known.items()}, deleted


def _check_event_categories(doc: Document, path: Path, event: dict[str, Any],
                            categories: dict[str, str], deleted: set[str],
                            problems: list[Problem]) -> None:
    names = event.get("categories")
    for position, name in enumerate(names if isinstance(names, list) else []):
        if not isinstance(name, str):
            continue
        where = (*path, "categories", position)
        defined = categories.get(name.lower())
        if defined is None:
            problems.append(doc.problem(where, f"unknown category {name!r}: list it under the "
                                        "top-level `categories` (with `existing: true` if it "
                                        "already exists on the site)", rule="unknown-category"))
        elif defined != name:
            problems.append(doc.problem(where, f"is written {name!r} but the category is "
                                        f"named {defined!r}; write it the same way",
                                        rule="unknown-category"))
        elif name.lower() in deleted:
            problems.append(doc.problem(where, f"category {name!r} is marked `state: DELETED`; "
                                        "take it off this event, or keep the category",
                                        rule="deleted"))
