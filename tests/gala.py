"""The Summer Gala, a published event on sale in 2031: the spec the status, watch and sandbox
tests sell tickets of, put together from its parts so each test lists the tickets it needs."""

from __future__ import annotations

HEAD = """\
events:
- slug: summer-gala
  title: Summer Gala
  state: PUBLISHED
  location: {name: Town Hall}
  dateAndTimeSettings: {timeZoneId: Europe/London, startDate: 2031-07-01T19:00,
                        endDate: 2031-07-01T23:00}
  registration: {tickets: {currency: GBP}}
  tickets:
"""
STANDARD = """\
  - {name: Standard, pricingMethod: {fixedPrice: "25.00"}, initialLimit: 100}
"""
PATRON = """\
  - name: Patron
    pricingMethod:
      pricingOptions:
        optionDetails: [{name: Single, price: "80.00"}, {name: Couple, price: "150.00"}]
"""
LATE = """\
  - name: Late
    pricingMethod: {fixedPrice: "40.00"}
    initialLimit: 20
    salePeriod: {startDate: 2031-06-01T09:30, endDate: 2031-06-30T23:00}
"""
REFUNDS = """\
  policies:
  - {name: Refunds, body: Refunds up to 30 days before the gala.}
"""


def gala(*parts: str) -> str:
    """The gala's spec with these tickets (and policies) after its head."""
    return HEAD + "".join(parts)
