"""Every example in examples/ is a valid spec with nothing to warn about, and says where its
schema is for editors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from provisioner.spec.loader import load
from provisioner.spec.templates import VarInputs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir() or p.suffix in (".yaml", ".yml"))


def test_there_are_examples() -> None:
    assert {p.name for p in SPECS} >= {"devcon2025.yaml", "meetup-series"}


# a template example and the var file of one of its editions
EDITIONS = {"devcon": ["2027.vars.yaml"]}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_example_is_valid_without_warnings(spec: Path) -> None:
    files = [str(spec / name) for name in EDITIONS.get(spec.name, [])]
    result = load([str(spec)], VarInputs(files=files, env={}))
    assert result.problems == [], [p.format() for p in result.problems]
    files = [Path(f) for f in result.files]
    assert files
    for file in files:
        first_line = file.read_text().splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first_line.startswith(prefix), file
        assert (file.parent / first_line[len(prefix):]).resolve().is_file(), file


def test_the_meetup_series_is_a_year_of_third_wednesdays_at_seven() -> None:
    result = load([str(EXAMPLES / "meetup-series")], VarInputs(env={}))
    assert result.ok, [p.format() for p in result.problems]
    events = [e for doc in result.documents for e in doc.data.get("events", [])]
    assert [e["slug"] for e in events] == [f"rust-berlin-2027-{m:02d}" for m in range(1, 13)]
    for event in events:
        start = date.fromisoformat(event["dateAndTimeSettings"]["startDate"][:10])
        assert start.weekday() == 2 and 15 <= start.day <= 21, start  # the third Wednesday
        assert event["dateAndTimeSettings"]["startDate"].endswith("T19:00")
        assert event["dateAndTimeSettings"]["endDate"] == f"{start.isoformat()}T22:00"
        assert event["registration"]["rsvp"]["limit"] == 80
        assert event["schedule"]["items"][0]["timeSlot"]["start"] == f"{start.isoformat()}T19:15"
