"""The resource kinds: the table that drives every stage, each kind's hooks and its writer.

This package sits below planning and applying (`cli -> apply -> plan -> kinds -> client`);
it is the only code that names a kind. Its modules:

- `kind`: what a row says (`Kind`, `Reader`, `Transition`) and what a kind can do
  (`Kind.capabilities`, read off its writer);
- `table`: the rows and the lookups the engine uses (`KINDS`, `BY_NAME`, `CHILD_KINDS`,
  `DRAFTS`, `event_of`, `spec_counts`, ...);
- `writer`: the `Writer` of API hooks, the `Job` each hook gets, shared helpers;
- `site_writers`, `event_writers`: the writers of site-level kinds and of kinds inside an
  event;
- `bodies`: spec objects turned into API request bodies; `form_controls`: a live form
  control read back in the spec's shape.

Adding a kind (say, an event's "coupons"):

1. its spec: the schema's `$defs` entry and the section in `schemas/event-spec.strict.schema.json`
   (plus any rule in `spec/event_rules.py`);
2. its writer: hooks for the calls the API offers (create, update, delete, move, fetch) in
   `event_writers.py` (or `site_writers.py` for a site-level kind); a hook left out is a
   verb the kind cannot do, and plans and plan files respect that;
3. its row in `table.py`: name, nouns, section, parent, schema entry, how it is read
   (`reader`, or `live_objects` when it comes with its parent), what is compared and how it
   is named; list it in `_EVENT_CHILDREN` (or `KINDS`, for a site-level kind) where its
   phase should run;
4. its emulator routes (`provisioner/emulator/`), written from the API documentation, not
   from this table;
5. its tests: a plan scenario in `tests/plan/scenarios/`, seeded with literal API bodies.

Nothing in `plan`, `apply` or `cli` changes: they iterate the table.
"""

from .kind import Kind, Reader, Transition
from .table import (
    BY_NAME,
    CATEGORY,
    CATEGORY_ASSIGNMENT,
    CHILD_KINDS,
    CONTAINER,
    DRAFTS,
    EVENT,
    FORM_CONTROL,
    FORM_MESSAGES,
    KINDS,
    POLICY,
    SCHEDULE_ITEM,
    SITE_KINDS,
    TICKET,
    TICKET_CURRENCY,
    capabilities,
    child_sections,
    children_of,
    collection_of,
    doomed,
    event_of,
    is_draft,
    kind_of,
    section_of,
    selling_children,
    spec_counts,
)

__all__ = [
    "BY_NAME", "CATEGORY", "CATEGORY_ASSIGNMENT", "CHILD_KINDS", "CONTAINER", "DRAFTS", "EVENT",
    "FORM_CONTROL", "FORM_MESSAGES", "KINDS", "POLICY", "SCHEDULE_ITEM", "SITE_KINDS", "TICKET",
    "TICKET_CURRENCY", "Kind", "Reader", "Transition", "capabilities", "child_sections",
    "children_of", "collection_of", "doomed", "event_of", "is_draft", "kind_of", "section_of",
    "selling_children", "spec_counts",
]
