"""`provisioner status`: how the events a spec names stand on the site, read in the calls a
plan makes: each event's state, registration status and local start; per ticket definition its
price, limit, sold, reserved and unsold counts, sale status and revenue; and whether the site
has drifted from the spec (how many changes a plan would make). A table on a terminal, one
JSON document with `--json`.

Revenue is the ticket's sold count times its price: the API gives an event's takings only in
the DASHBOARD fieldset, which needs a permission of its own, and no per-ticket figure at all.
A ticket whose guests choose their price, or with several pricing options (which option each
sale was is not read), has no revenue shown (`null`, `—`).

Exit codes: 0 read (whatever the drift), 1 an error (a bad spec, credentials, network), 2 bad
usage.
"""

from __future__ import annotations

import io
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from ..client.errors import ProvisionerError
from ..spec.shapes import mapping
from .common import (
    color_text,
    configure_logging,
    env_options,
    fail,
    load_desired,
    plural,
    read_site_with,
    select,
    template_options,
    use_color,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..model import Plan, Resource, State

SALE_WORDS = {"SALE_SCHEDULED": "scheduled", "SALE_STARTED": "on sale", "SALE_ENDED": "ended"}


@click.command()
@click.argument("paths", nargs=-1, metavar="[SPEC]...")
@click.option("--target", "target_name", metavar="TARGET",
              help="`local` (the embedded sandbox; the default without WIX_API_KEY), `wix`, or "
                   "the URL of an emulator or API.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the status as one JSON document: {target, events: [...], drift}.")
@click.option("--debug", is_flag=True, help="Trace every API call on stderr.")
@template_options
@env_options(all_envs=False)
def status(paths: tuple[str, ...], target_name: str | None, as_json: bool, debug: bool,
           var_assignments: tuple[str, ...], var_files: tuple[str, ...],
           env_name: str | None) -> None:
    """Show how the spec's events stand on the site: ticket sales, sale status, drift.

    Reads only, in the calls `plan` makes. Without SPEC, the workspace's specs.
    """
    # imported with the command's other stages, when it runs: its `--help` and shell
    # completion need none of them
    from ..plan.build import build_plan
    from ..plan.live import live_state

    configure_logging(debug)
    selection = select(env_name, target_name)
    paths = selection.spec_paths(paths)
    target = selection.announce(target_name, to_stderr=as_json)
    try:
        desired, files = load_desired(
            paths, variables=selection.variables(var_assignments, var_files))
    except ProvisionerError as error:
        fail(str(error))
    live, calls = read_site_with(target, lambda client: live_state(client, desired))
    plan = build_plan(desired, live, target.describe(full=True), files)
    report = status_report(desired, live, plan)
    report["target"] = target.describe(full=True)
    report["calls"] = calls
    if selection.env_name:
        report = {"environment": selection.env_name, **report}
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(human_status(report, color=use_color(sys.stdout)))


def status_report(desired: State, live: State, plan: Plan) -> dict[str, Any]:
    """The status as JSON-ready data: one entry per event of the spec, in spec order."""
    from .. import kinds
    from .render import group_of

    drift: dict[str, int] = {}
    for action in plan.actions:
        slug = group_of(action)
        drift[slug] = drift.get(slug, 0) + 1
    found = {r.key.name: r for r in live.of_kind(kinds.EVENT.name)}
    events = [_event_status(event.key.name, found.get(event.key.name), live,
                            drift.get(event.key.name, 0))
              for event in desired.of_kind(kinds.EVENT.name)]
    return {"events": events,
            "drift": {"changes": len(plan.actions), "problems": len(plan.problems),
                      "in_line": not plan.actions and not plan.problems}}


def _event_status(slug: str, event: Resource | None, live: State, changes: int
                  ) -> dict[str, Any]:
    from .. import kinds
    from ..kinds.exports import event_zone
    from .render import local_time

    if event is None or event.raw is None:
        return {"slug": slug, "found": False, "changes": changes, "tickets": []}
    raw = event.raw
    zone = event_zone(event)
    settings = mapping(raw.get("dateAndTimeSettings"))
    registration = mapping(raw.get("registration"))
    currency = str(mapping(registration.get("tickets")).get("currency") or "")
    start = settings.get("startDate")
    tickets = [_ticket_status(t, zone, currency) for t in live.of_kind(kinds.TICKET.name, slug)]
    revenues = [t["revenue"] for t in tickets if t["revenue"] is not None]
    return {
        "slug": slug, "found": True, "title": raw.get("title"), "status": raw.get("status"),
        "registration_status": registration.get("status"),
        "start": start, "start_local": local_time(str(start), zone) if start else None,
        "time_zone": settings.get("timeZoneId"), "currency": currency or None,
        "changes": changes, "tickets": tickets,
        "sold": sum(t["sold"] for t in tickets),
        "revenue": _money(sum((Decimal(r) for r in revenues), Decimal(0))) if revenues else None,
    }


def _ticket_status(ticket: Resource, zone: ZoneInfo | None, currency: str) -> dict[str, Any]:
    from .render import local_time

    raw = ticket.raw or {}
    sales = mapping(raw.get("salesDetails"))
    pricing = mapping(raw.get("pricingMethod"))
    sold = int(sales.get("soldCount") or 0)
    price, revenue = _price(pricing, sold)
    period = mapping(raw.get("salePeriod"))
    sale = str(raw.get("saleStatus") or "")
    said = "sold out" if sales.get("soldOut") else SALE_WORDS.get(sale, sale.lower() or None)
    starts = period.get("startDate")
    return {
        "name": ticket.key.name, "price": price, "currency": currency or None,
        "limit": raw.get("actualLimit") if raw.get("limited") else None,
        "sold": sold, "reserved": int(sales.get("reservedCount") or 0),
        "unsold": sales.get("unsoldCount"), "sale_status": said, "sale_status_api": sale or None,
        "sale_start": starts, "sale_start_local": local_time(str(starts), zone) if starts else None,
        "sale_end": period.get("endDate"),
        "revenue": revenue,
    }


def _price(pricing: dict[str, Any], sold: int) -> tuple[str | None, str | None]:
    """The ticket's price as shown (`"299.00"`, `"free"`, `"from 10.00"`) and its revenue."""
    if pricing.get("free"):
        return "free", "0.00"
    fixed = mapping(pricing.get("fixedPrice")).get("value")
    if fixed is not None:
        try:
            return str(fixed), _money(Decimal(str(fixed)) * sold)
        except InvalidOperation:
            return str(fixed), None
    guest = mapping(pricing.get("guestPrice")).get("value")
    if guest is not None:
        return f"from {guest}", None  # guests choose: what they paid is not in the API
    options = mapping(pricing.get("pricingOptions")).get("optionDetails")
    if isinstance(options, list) and options:
        values = [str(mapping(mapping(o).get("price")).get("value")) for o in options]
        if len(values) > 1:  # which option each sale was is not in the API
            return " / ".join(values), None
        try:
            return values[0], _money(Decimal(values[0]) * sold)
        except InvalidOperation:
            return values[0], None
    return None, None


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def human_status(report: dict[str, Any], color: bool = False) -> str:
    """The status as text: a block per event, a row per ticket definition, then the drift."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120, force_terminal=color, no_color=not color, highlight=False,
                      record=True, file=io.StringIO())
    for event in report["events"]:
        if not event["found"]:
            console.print(f"[bold]{event['slug']}[/bold]: not on the site "
                          "(`provisioner apply` would create it)")
            continue
        registration = str(event.get("registration_status") or "—").lower().replace("_", " ")
        console.print(f"[bold]{event['slug']}[/bold] · {event['status'] or '—'} · "
                      f"registration {registration} · starts {event['start_local'] or 'TBD'}")
        if event["tickets"]:
            table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
            for column in ("Ticket", "Price", "Limit", "Sold", "Reserved", "Left", "Sale",
                           "Revenue"):
                table.add_column(column, justify="left" if column in ("Ticket", "Sale")
                                 else "right")
            for ticket in event["tickets"]:
                sale = ticket["sale_status"] or "—"
                if sale == "scheduled" and ticket["sale_start_local"]:
                    sale = f"from {ticket['sale_start_local']}"
                table.add_row(ticket["name"], _shown(ticket["price"], ticket["currency"]),
                              _number(ticket["limit"], "unlimited"), str(ticket["sold"]),
                              str(ticket["reserved"]), _number(ticket["unsold"], "—"), sale,
                              _number(ticket["revenue"], "—"))
            console.print(table)
        total = f"{event['revenue']} {event['currency'] or ''}".strip() \
            if event["revenue"] is not None else "—"
        drift = "in line with the spec" if not event["changes"] else \
            f"drifted: {plural(event['changes'], 'change')} to plan"
        console.print(f"  {plural(event['sold'], 'ticket')} sold · revenue {total} · {drift}")
        console.print()
    text = console.export_text(styles=color).rstrip("\n")
    drift = report["drift"]
    if drift["in_line"]:
        last = color_text("The site matches the spec.", fg="green")
    else:
        problems = f", {plural(drift['problems'], 'problem')}" if drift["problems"] else ""
        last = color_text(f"Drift: {plural(drift['changes'], 'change')}{problems} to plan "
                          "(`provisioner plan` shows them).", fg="yellow", bold=True)
    return f"{text}\n{last}" if text else last


def _shown(price: str | None, currency: str | None) -> str:
    if price is None:
        return "—"
    return price if price == "free" or not currency else f"{price} {currency}"


def _number(value: Any, none: str) -> str:
    return none if value is None else str(value)
