"""The kinds table is internally consistent: every row can be read, compared, written and
named the way the engine expects, and what each kind can do is what its writer offers."""

from __future__ import annotations

import pytest

from provisioner import kinds
from provisioner.kinds import Kind
from provisioner.model import Verb
from provisioner.spec.schema import load_schema

ROWS = [pytest.param(kind, id=kind.name) for kind in kinds.KINDS]


def test_names_nouns_and_count_keys_are_unique() -> None:
    for field in ("name", "noun", "plural"):
        values = [getattr(kind, field) for kind in kinds.KINDS]
        assert len(values) == len(set(values)), field
    counted = [kind.count_key for kind in kinds.KINDS if kind.count_key]
    assert len(counted) == len(set(counted))
    assert set(kinds.DRAFTS).isdisjoint(kinds.BY_NAME), "a draft's address names no kind"


@pytest.mark.parametrize("kind", ROWS)
def test_the_row_hangs_together(kind: Kind) -> None:
    defs = load_schema()["$defs"]
    assert kind.schema in defs or (kind.in_parent_data and not kind.schema), \
        "its data is shaped by a schema entry (a field of its parent's data needs none)"
    if kind.in_parent_data:
        assert kind.partial and not kind.site_level, "one field of its parent"
        assert kind.section[0] not in kinds.child_sections(kind.parent or "")
    assert kind.section, "it has a place in the spec"
    if kind.site_level:
        assert kind.reader is not None and kind.live_objects is None, "read on its own"
    else:
        assert kinds.BY_NAME[kind.parent or ""].site_level, "its parent is a site-level kind"
        assert (kind.reader is None) != (kind.live_objects is None), \
            "read on its own or with its parent, not both"
    if kind.refers_to:
        assert kinds.BY_NAME[kind.refers_to].site_level
    assert kind.writer is not None, "every kind can be written"


@pytest.mark.parametrize("kind", ROWS)
def test_capabilities_follow_the_writer(kind: Kind) -> None:
    writer = kind.writer
    assert writer is not None
    can = kind.capabilities()
    make, remove = kind.verbs
    assert make in can, "what the spec lists can be made"
    assert (remove in can) == (writer.delete is not None)
    assert (Verb.UPDATE in can) == (writer.update is not None)
    assert (Verb.REORDER in can) == (kind.ordered and writer.move is not None)
    if kind.ordered:
        assert Verb.REORDER in can, "an ordered kind can be reordered"
    if kind.life_cycle is not None:
        assert {Verb.PUBLISH, Verb.CANCEL} <= can and writer.reached is not None
    else:
        assert not {Verb.PUBLISH, Verb.CANCEL} & can
    if kind.drafted:
        assert kind.draft_address and kind.draft_flag
        assert kind.draft_capabilities() == {Verb.PUBLISH, Verb.DISCARD}
        assert writer.draft_pending is not None, "a lost publish can be checked"
    else:
        assert kind.draft_capabilities() == frozenset()
    assert set(writer.batched) <= can
    assert (writer.batch is not None) == bool(writer.batched)
    if writer.revisioned:
        assert kind.fingerprint == "revision", "the revision sent is the one recorded"


def test_the_lookups_cover_the_table() -> None:
    assert set(kinds.BY_NAME.values()) == set(kinds.KINDS)
    assert set(kinds.SITE_KINDS) | set(kinds.CHILD_KINDS) == set(kinds.KINDS)
    assert kinds.CONTAINER in kinds.SITE_KINDS and kinds.children_of(kinds.CONTAINER)
    for address, kind in kinds.DRAFTS.items():
        assert kinds.kind_of(address) is kind
        assert kinds.capabilities(address) == kind.draft_capabilities()
    assert kinds.capabilities("coupon") == frozenset()
    with pytest.raises(KeyError):
        kinds.kind_of("coupon")


def test_child_sections_are_the_event_schemas_own() -> None:
    event = load_schema()["$defs"]["event"]["properties"]
    sections = kinds.child_sections(kinds.CONTAINER.name)
    assert set(sections) <= set(event), "every child section is a key of the event"
    assert set(sections) <= set(kinds.CONTAINER.drop), "and is not compared as event data"


def test_spec_counts_count_every_counted_kind() -> None:
    document = {"categories": [{"name": "A"}, {"name": "B"}], "events": [{
        "tickets": [{}, {}], "policies": [{}], "schedule": {"items": [{}, {}, {}]},
        "form": {"controls": [{}], "messages": {}}, "categories": ["A"]}]}
    assert kinds.spec_counts([document, {"events": [{}]}]) == {
        "categories": 2, "events": 2, "tickets": 2, "policies": 1, "scheduleItems": 3,
        "formControls": 1}
    assert kinds.spec_counts([{"events": "not a list"}, []])["events"] == 0
