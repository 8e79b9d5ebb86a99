"""Request bodies and assertions shared by the emulator's contract tests."""

from __future__ import annotations

from typing import Any

import httpx


def event_body(title: str = "DevCon 2025", *, initial_type: str = "TICKETING",
               start: str = "2030-06-15T16:00:00Z", end: str = "2030-06-16T01:00:00Z",
               **extra: Any) -> dict[str, Any]:
    event = {
        "title": title,
        "location": {"name": "Moscone Center", "type": "VENUE",
                     "address": {"addressLine": "747 Howard St", "city": "San Francisco",
                                 "subdivision": "US-CA", "postalCode": "94103", "country": "US"}},
        "dateAndTimeSettings": {"startDate": start, "endDate": end,
                                "timeZoneId": "America/Los_Angeles"},
        "registration": {"initialType": initial_type},
    }
    event.update(extra)
    return event


def create_event(api: httpx.Client, title: str = "DevCon 2025", *, draft: bool = False,
                 fields: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"event": event_body(title, **kwargs), "draft": draft}
    if fields:
        body["fields"] = fields
    response = api.post("/events/v3/events", json=body)
    assert response.status_code == 200, response.text
    return response.json()["event"]


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The response is a Wix error envelope with this status (and application code)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    details = body["details"]
    if code is not None:
        assert details["applicationError"]["code"] == code, body
    return body


def violations(response: httpx.Response) -> dict[str, str]:
    """field -> description from a 400 validation error."""
    assert response.status_code == 400, response.text
    found = response.json()["details"]["validationError"]["fieldViolations"]
    return {v["field"]: v["description"] for v in found}
