"""`provisioner sandbox`: the local sandbox (`--target local`) as a rehearsal stage.

- `sandbox pull [--target …]` copies a site into the sandbox, read through the public API in
  the calls an export makes, ids, statuses and sales included, so `plan --target local` shows
  what a plan of that site would;
- `sandbox reset` empties it;
- `sandbox sell TICKET_NAME --event SLUG --quantity N` sells tickets in it, so the guards on
  sold tickets (deleting one, a limit below what sold, a locked currency) can be seen.

Each takes the sandbox's apply lock, so it never runs in the middle of an apply, and prints
what it did. Exit codes: 0 done, 1 an error, 2 bad usage.
"""

from __future__ import annotations

from typing import Any

import click

from ..client.errors import ProvisionerError
from .apply_command import DEFAULT_LOCK_TIMEOUT
from .common import color_text, configure_logging, env_options, fail, plural, select

IMPORT_PATH = "/_emulator/sites/import"
RESET_PATH = "/_emulator/reset"
ORDER_PATH = "/_emulator/sales/orders"
MAX_PER_ORDER = 50  # what one emulated order may hold
DEFAULT_TICKETS_PER_ORDER = 20  # Wix's `ticketLimitPerOrder` when an event leaves it out


def _local() -> Any:
    """The sandbox: at the workspace root (beside provisioner.toml), else here."""
    return select(None).target("local")


def _run(steps: Any) -> Any:
    # imported with the command's other stages, when it runs: its `--help` and shell
    # completion need none of them
    import asyncio

    try:
        return asyncio.run(steps)
    except ProvisionerError as error:
        fail(str(error))


@click.group()
def sandbox() -> None:
    """The local sandbox (`--target local`): copy a site into it, empty it, sell tickets."""


@sandbox.command()
@click.option("--target", "target_name", metavar="TARGET",
              help="The site to copy: `wix` (with WIX_API_KEY and WIX_SITE_ID) or the URL of "
                   "an emulator or API. Default: Wix, when WIX_API_KEY is set.")
@click.option("--debug", is_flag=True,
              help="Trace every API call on stderr (the API key is never shown).")
@env_options(all_envs=False)
def pull(target_name: str | None, debug: bool, env_name: str | None) -> None:
    """Copy a site into the local sandbox, replacing what the sandbox held.

    Everything is read through the public API, as `export` reads it, and kept as the site
    has it: ids, revisions, statuses, sold tickets and duplicates. A plan against
    `--target local` then shows what the same plan against the site would.
    """
    from .. import kinds
    from ..client.session import connect
    from ..export.read import read_site
    from ..export.site_copy import counts, site_copy

    configure_logging(debug)
    source = select(env_name, target_name).target(target_name)
    if source.name == "local" and env_name:
        raise click.UsageError(f"--env {env_name} is a target = \"local\" environment: a "
                               "sandbox itself; `sandbox pull` copies a site into the sandbox, "
                               "so name an environment of a Wix site")
    if source.name == "local":
        raise click.UsageError("`sandbox pull` copies a site into the local sandbox; name the "
                               "site with --env NAME, --target wix (and WIX_API_KEY, "
                               "WIX_SITE_ID) or --target URL")
    local = _local()
    click.echo(f"From: {source.describe().removeprefix('Target: ')}")
    click.echo(f"Into: {local.describe().removeprefix('Target: ')}")

    async def steps() -> tuple[dict[str, Any], int, int]:
        async with connect(source) as client:
            live = await read_site(client)
            calls = sum(client.calls.values())
        document = site_copy(live)
        sold = sum(r.facts.sold for r in live.resources.values()
                   if r.key.kind == kinds.TICKET.name)
        async with connect(local, lock_timeout=DEFAULT_LOCK_TIMEOUT) as sandbox_client:
            await sandbox_client.put(IMPORT_PATH, document)
        return document, calls, sold

    document, calls, sold = _run(steps())
    found = counts(document)
    what = ", ".join(plural(n, kind.noun, kind.plural) for kind in kinds.KINDS
                     if kind.copy_section and (n := found[kind.plural]))
    what = what or "nothing (the site holds no events or categories)"
    click.echo(color_text(f"Pulled {what}; {plural(sold, 'ticket')} sold, in "
                          f"{plural(calls, 'call')} to the site. The sandbox's earlier "
                          "content is replaced.", fg="green"))


@sandbox.command()
def reset() -> None:
    """Empty the local sandbox (its credentials stay)."""
    from ..client.session import connect

    local = _local()

    async def steps() -> int:
        async with connect(local, lock_timeout=DEFAULT_LOCK_TIMEOUT) as client:
            answer = await client.post(RESET_PATH, {})
        return int(answer.get("removedDocuments") or 0)

    removed = _run(steps())
    click.echo(f"Emptied the {local.describe().removeprefix('Target: ')}: "
               f"{plural(removed, 'object')} removed.")


@sandbox.command()
@click.argument("ticket_name")
@click.option("--event", "slug", required=True, metavar="SLUG",
              help="The event whose ticket definition sells.")
@click.option("--quantity", type=click.IntRange(1, 100_000), default=1, show_default=True,
              help="How many tickets; split into orders of at most the event's limit per "
                   "order.")
@click.option("--option", "option_name", metavar="NAME",
              help="The pricing option to sell (default: the definition's first).")
def sell(ticket_name: str, slug: str, quantity: int, option_name: str | None) -> None:
    """Sell tickets of TICKET_NAME (a ticket definition of --event) in the local sandbox.

    The sandbox refuses what Wix would: an event that is a draft, cancelled or over, a
    hidden definition, one off sale or with too few tickets left.
    """
    from .. import kinds
    from ..client.session import connect
    from ..plan.live import read_children, read_named

    local = _local()
    event_reader, ticket_reader = kinds.EVENT.reader, kinds.TICKET.reader
    assert event_reader is not None and ticket_reader is not None

    async def steps() -> tuple[dict[str, Any], int]:
        async with connect(local, lock_timeout=DEFAULT_LOCK_TIMEOUT) as client:
            events = await read_named(client, event_reader, [slug], [])
            if not events:
                raise ProvisionerError(f"no event with the slug {slug!r} in the local sandbox")
            event = events[0]
            definitions = await read_children(client, ticket_reader, [event["id"]])
            definition = _definition(definitions, ticket_name, slug)
            body: dict[str, Any] = {"ticketDefinitionId": definition["id"]}
            option = _option(definition, option_name)
            if option:
                body["optionId"] = option
            tickets = event.get("registration", {}).get("tickets", {})
            per_order = min(MAX_PER_ORDER, int(tickets.get("ticketLimitPerOrder",
                                                           DEFAULT_TICKETS_PER_ORDER)))
            left, orders, answer = quantity, 0, {}
            while left > 0:
                size = min(left, max(per_order, 1))
                answer = await client.post(ORDER_PATH, {**body, "quantity": size})
                left -= size
                orders += 1
            return answer.get("ticketDefinition") or definition, orders

    definition, orders = _run(steps())
    sales = definition.get("salesDetails") or {}
    unsold = sales.get("unsoldCount")
    left_text = f", {unsold} left" if isinstance(unsold, int) else " (no limit)"
    click.echo(f"Sold {plural(quantity, 'ticket')} of {definition.get('name')!r} for {slug} in "
               f"the local sandbox ({plural(orders, 'order')}): "
               f"{sales.get('soldCount', quantity)} sold{left_text}.")


def _definition(definitions: list[dict[str, Any]], name: str, slug: str) -> dict[str, Any]:
    exact = [d for d in definitions if d.get("name") == name]
    if not exact:
        exact = [d for d in definitions if str(d.get("name", "")).lower() == name.lower()]
    if exact:
        return exact[0]
    names = ", ".join(repr(d.get("name")) for d in definitions) or "none"
    raise ProvisionerError(f"{slug} has no ticket definition named {name!r} (it has: {names})")


def _option(definition: dict[str, Any], name: str | None) -> str | None:
    options = (definition.get("pricingMethod", {}).get("pricingOptions", {})
               .get("optionDetails") or [])
    if not options:
        if name:
            raise ProvisionerError(f"{definition.get('name')!r} has no pricing options; "
                                   "leave out --option")
        return None
    if name is None:
        return str(options[0].get("optionId"))
    for option in options:
        if option.get("name") == name:
            return str(option.get("optionId"))
    names = ", ".join(repr(o.get("name")) for o in options)
    raise ProvisionerError(f"{definition.get('name')!r} has no pricing option {name!r} (it has: "
                           f"{names})")
