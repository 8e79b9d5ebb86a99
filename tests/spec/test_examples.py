"""Every example in examples/ is a valid spec with nothing to warn about, and says where its
schema is for editors."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.spec.loader import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir() or p.suffix in (".yaml", ".yml"))


def test_there_are_examples() -> None:
    assert {p.name for p in SPECS} >= {"devcon2025.yaml", "meetup-series"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_example_is_valid_without_warnings(spec: Path) -> None:
    result = load([str(spec)])
    assert result.problems == [], [p.format() for p in result.problems]
    files = [Path(f) for f in result.files]
    assert files
    for file in files:
        first_line = file.read_text().splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first_line.startswith(prefix), file
        assert (file.parent / first_line[len(prefix):]).resolve().is_file(), file


def test_anchors_and_merge_keys_share_blocks_between_events() -> None:
    result = load([str(EXAMPLES / "meetup-series")])
    events = {e["slug"]: e for doc in result.documents for e in doc.data.get("events", [])}
    january, february = events["rust-berlin-2030-01"], events["rust-berlin-2030-02"]
    assert january["location"] == february["location"]
    assert january["registration"]["initialType"] == february["registration"]["initialType"]
    assert february["registration"]["rsvp"]["limit"] == 120  # the merge's own key wins
    assert january["policies"] == february["policies"]
