"""Registration Form endpoints (`/events/v1/events/{eventId}/form`) and the default form.

Every new event gets `default_form()`: the system name and email controls, which cannot be
removed, and Wix's default messages.
"""

from __future__ import annotations

import copy
from typing import Any

from .http import Endpoint

_DEFAULT_FORM: dict[str, Any] = {
    "controls": [
        {
            "type": "NAME",
            "system": True,
            "name": "name",
            "id": "name",
            "orderIndex": 0,
            "label": "First Name, Last Name",
            "inputs": [
                {"name": "firstName", "array": False, "label": "First Name",
                 "additionalLabels": {}, "options": [], "mandatory": True, "maxLength": 50,
                 "type": "TEXT"},
                {"name": "lastName", "array": False, "label": "Last Name",
                 "additionalLabels": {}, "options": [], "mandatory": True, "maxLength": 50,
                 "type": "TEXT"},
            ],
        },
        {
            "type": "INPUT",
            "system": True,
            "name": "email",
            "id": "email",
            "orderIndex": 1,
            "label": "Email",
            "inputs": [
                {"name": "email", "array": False, "label": "Email", "additionalLabels": {},
                 "options": [], "mandatory": True, "maxLength": 50, "type": "TEXT"},
            ],
        },
    ],
    "messages": {
        "rsvp": {
            "rsvpYesOption": "I will attend",
            "rsvpNoOption": "Not Going",
            "positiveMessages": {
                "title": "See you at the event!",
                "confirmation": {
                    "title": "You're going!",
                    "message": "We've sent you a confirmation email.",
                    "addToCalendarActionLabel": "Add to Calendar",
                    "shareActionLabel": "Share Event",
                },
            },
            "waitlistMessages": {
                "title": "You're on the waitlist",
                "confirmation": {
                    "title": "You're on the waitlist",
                    "message": "We'll let you know if a spot opens up.",
                    "addToCalendarActionLabel": "Add to Calendar",
                    "shareActionLabel": "Share Event",
                },
            },
            "negativeMessages": {
                "title": "Sorry you can't make it",
                "confirmation": {"title": "Thanks for letting us know",
                                 "shareActionLabel": "Share Event"},
            },
            "submitActionLabel": "RSVP",
        },
        "checkout": {
            "title": "Add Your Info",
            "submitActionLabel": "Continue",
            "confirmation": {
                "title": "Thank you for your order",
                "message": "We've sent you a confirmation email.",
                "downloadTicketsLabel": "Download Tickets",
                "addToCalendarLabel": "Add to Calendar",
                "shareEventLabel": "Share Event",
            },
        },
        "registrationClosed": {"message": "Registration is closed",
                               "exploreEventsActionLabel": "Explore Other Events"},
        "ticketsUnavailable": {"message": "Tickets are not on sale",
                               "exploreEventsActionLabel": "Explore Other Events"},
    },
}


def default_form() -> dict[str, Any]:
    return copy.deepcopy(_DEFAULT_FORM)


ENDPOINTS: list[Endpoint] = []
