"""Warnings about the past: an event that has ended (unless cancelled or deleted), or a ticket
whose sale period is over, would be created or published too late to sell anything. The
moment compared against is now, or `PROVISIONER_NOW`."""

from __future__ import annotations

import pytest

from provisioner.spec.loader import load_texts

EVENT = """\
events:
- slug: gala
  title: Gala
  {state}
  location: {{name: Hall}}
  dateAndTimeSettings: {{timeZoneId: Europe/Berlin, startDate: 2027-06-01T19:00,
                        endDate: 2027-06-01T23:00}}
  registration: {{tickets: {{currency: EUR}}}}
  tickets:
  - name: Early
    pricingMethod: {{fixedPrice: "10.00"}}
    salePeriod: {{startDate: 2027-01-01T00:00, endDate: 2027-03-31T23:59}}
"""


def warnings(now: str, state: str = "", monkeypatch: pytest.MonkeyPatch | None = None
             ) -> list[str]:
    assert monkeypatch is not None
    monkeypatch.setenv("PROVISIONER_NOW", now)
    result = load_texts([("gala.yaml", EVENT.format(state=state))])
    assert result.ok, [p.format() for p in result.errors]
    return [p.format() for p in result.warnings]


def test_an_ended_event_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    assert warnings("2027-07-01T00:00:00Z", monkeypatch=monkeypatch) == [
        "gala.yaml:7:34: events[0].dateAndTimeSettings.endDate: warning: the event ended "
        "2027-06-01T23:00 Europe/Berlin: created or published now, it would be over before "
        "anyone could come or buy a ticket; move its dates (relative `day N` times move with "
        "its start)"]


def test_a_sale_period_over_before_the_event_is_a_warning(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert warnings("2027-04-15T00:00:00Z", monkeypatch=monkeypatch) == [
        "gala.yaml:12:56: events[0].tickets[0].salePeriod.endDate: warning: the sale period "
        "ended 2027-03-31T23:59 Europe/Berlin: this ticket can no longer be bought"]


@pytest.mark.parametrize("state", ["state: CANCELED", "state: DELETED"])
def test_a_cancelled_or_deleted_event_in_the_past_is_not_a_warning(
        state: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert warnings("2027-07-01T00:00:00Z", state, monkeypatch) == []


def test_a_future_event_is_not_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    assert warnings("2026-12-01T00:00:00Z", monkeypatch=monkeypatch) == []
