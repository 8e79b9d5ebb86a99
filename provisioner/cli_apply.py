"""`provisioner apply`: plan (or load a saved plan and check it is still true), show it, ask,
run it, report what happened and, for a spec, prove it converged by planning again.

Exit codes: 0 everything applied (or nothing to do), 1 anything else: a problem in the spec or
the plan, a refusal (risky action not allowed, stale plan, no confirmation), or an action that
failed, met a conflict or was skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import render
from .apply import DEFAULT_PARALLELISM, Report, execute, refused
from .cli_common import color_text, configure_logging, fail, plural
from .client import WixClient
from .desired import desired_state
from .errors import ProvisionerError
from .live import live_state
from .model import ALLOW_CANCEL, ALLOW_SOLD_DELETE, Plan, State
from .plan import build_plan, plan_from_json
from .progress import LiveProgress, PlainProgress, problems, report_json, summary
from .session import connect
from .stale import footprint, moved
from .target import Target, resolve_target

DEFAULT_RATE_LIMIT = 200  # calls a minute: what Wix allows a site


def _saved_plan(paths: tuple[str, ...]) -> Plan | None:
    """The plan in `paths` when it is one saved plan file (JSON), else None (a spec)."""
    if len(paths) != 1 or not paths[0].endswith(".json"):
        return None
    path = Path(paths[0])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ProvisionerError(f"{path}: cannot read the plan file ({error})") from None
    return plan_from_json(data, str(path))


class Session:
    """One apply run: its options, where output goes, and the steps in order."""

    def __init__(self, target: Target, options: dict[str, Any]) -> None:
        self.target = target
        self.options = options
        self.machine = bool(options["as_json"])
        self.out = sys.stderr if self.machine else sys.stdout

    def say(self, text: str = "") -> None:
        click.echo(text, file=self.out)

    def show(self, plan: Plan) -> None:
        color = not os.environ.get("NO_COLOR") and self.out.isatty()
        self.say(render.human(plan, color=color))

    def confirm(self, plan: Plan) -> bool:
        """True to go on. Without a terminal and without --auto-approve, refuse: a pipeline
        must never hang on a question."""
        if self.options["auto_approve"]:
            return True
        if not sys.stdin.isatty():
            raise ProvisionerError("apply needs confirmation and there is no terminal to ask "
                                   "on; review the plan and pass --auto-approve")
        answer = click.prompt(f"Apply these {plural(len(plan.actions), 'action')} to "
                              f"{self.target.describe().removeprefix('Target: ')}? "
                              "Only 'yes' is accepted", default="", show_default=False,
                              err=self.machine)
        return answer.strip() == "yes"

    async def run(self, desired: State | None, saved: Plan | None) -> tuple[Report | None,
                                                                           bool | None]:
        async with connect(self.target) as client:
            self.tune(client)
            if desired is not None:
                live = await live_state(client, desired)
                plan = build_plan(desired, live, self.target.describe(full=True),
                                  tuple(self.options["sources"]))
            else:
                assert saved is not None
                plan = saved
                live = await self.checked(client, plan)
            self.show(plan)
            if plan.problems:
                raise ProvisionerError("the plan has problems the API cannot resolve; change "
                                       "the spec (see above)")
            if not plan.has_changes:
                return None, None
            allowed = {flag for flag, given in ((ALLOW_SOLD_DELETE, self.options[
                "allow_delete_sold"]), (ALLOW_CANCEL, self.options["allow_cancel"])) if given}
            refusals = refused(plan, allowed, live)
            if refusals:
                raise ProvisionerError("apply refused, nothing was changed:\n  " +
                                       "\n  ".join(refusals))
            asked = not self.options["auto_approve"]
            if not self.confirm(plan):
                raise ProvisionerError("apply cancelled; nothing was changed")
            if asked:  # the site may have moved (or sold) while the question was open
                live = await self.checked(client, plan)
                refusals = refused(plan, allowed, live)
                if refusals:
                    raise ProvisionerError("apply refused, nothing was changed:\n  " +
                                           "\n  ".join(refusals))
            report = await self.execute(client, plan, live)
            verified = None
            if desired is not None and report.ok:
                again = build_plan(desired, await live_state(client, desired), "", ())
                verified = not again.has_changes
                if not verified:
                    self.say("The site still differs from the spec after apply:")
                    self.show(again)
            return report, verified

    def tune(self, client: WixClient) -> None:
        limit = self.options["rate_limit"]
        if self.target.name != "local" and limit:
            client.limit_rate(limit)

    async def checked(self, client: WixClient, plan: Plan) -> State:
        """The live state of what `plan` touches, refusing the plan if any of it moved."""
        if plan.target != self.target.describe(full=True):
            raise ProvisionerError(f"the plan was made for {plan.target!r}, not "
                                   f"{self.target.describe(full=True)!r}; make a new plan for this "
                                   "target")
        live = await live_state(client, footprint(plan))
        stale = moved(plan, live)
        if stale:
            raise ProvisionerError("the plan is stale, nothing was changed:\n  " +
                                   "\n  ".join(stale) + "\nmake a new plan")
        return live

    async def execute(self, client: WixClient, plan: Plan, live: State) -> Report:
        live_view = self.out.isatty() and not os.environ.get("CI")
        shown = LiveProgress(self.out, len(plan.actions)) if live_view \
            else PlainProgress(self.out)
        self.say()
        with shown:
            return await execute(client, plan, live, parallelism=self.options["parallelism"],
                                 on_start=shown.started, on_done=shown.done)


def _empty_report(target: Target, ok: bool, error: str = "") -> dict[str, Any]:
    """The --json report of a run that changed nothing: no changes, or refused (`error`)."""
    report: dict[str, Any] = {"format_version": 1, "target": target.describe(full=True),
                              "ok": ok, "summary": {}, "actions": []}
    if error:
        report["error"] = error
    return report


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="SPEC...|PLANFILE")
@click.option("--target", "target_name", metavar="TARGET",
              help="`local` (the embedded sandbox; the default without WIX_API_KEY), `wix`, or "
                   "the URL of an emulator or API.")
@click.option("--auto-approve", is_flag=True,
              help="Apply without asking (for pipelines). Without it, apply asks on a "
                   "terminal and refuses when there is none.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=DEFAULT_PARALLELISM,
              show_default=True, help="Calls in flight at once.")
@click.option("--rate-limit", type=click.IntRange(0), default=DEFAULT_RATE_LIMIT,
              show_default=True, help="Calls a minute to allow ourselves on a remote site "
                                      "(Wix allows about 200); 0: no limit of our own.")
@click.option("--allow-delete-sold", is_flag=True,
              help="Allow deleting ticket definitions that have sold tickets.")
@click.option("--allow-cancel", is_flag=True, help="Allow cancelling events.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON on stdout (the plan and progress go to stderr).")
@click.option("--debug", is_flag=True, help="Trace every API call on stderr.")
def apply(paths: tuple[str, ...], target_name: str | None, **options: Any) -> None:
    """Make the site match the spec: plan, show, ask, apply, check.

    Given one saved plan file (from `plan --out`), apply exactly that plan after checking
    that nothing it touches has changed on the site since.
    """
    from .spec.loader import load

    configure_logging(options["debug"])
    try:
        target = resolve_target(target_name, os.environ)
        saved = _saved_plan(paths)
    except ProvisionerError as error:
        fail(str(error))
    session = Session(target, options)
    click.echo(target.describe(), err=session.machine)
    desired = None
    options["sources"] = paths

    def stop(message: str) -> None:
        """Fail with `message`; with --json, stdout still gets a report saying nothing ran."""
        if session.machine:
            click.echo(json.dumps(_empty_report(target, ok=False, error=message), indent=2))
        fail(message)

    if saved is None:
        result = load(paths)
        for problem in result.problems:
            click.echo(color_text(problem.format(), fg="red" if problem.is_error else "yellow"),
                       err=True)
        if not result.ok:
            stop(f"the spec has {plural(len(result.errors), 'error')}; nothing was read "
                 "from the site")
        options["sources"] = tuple(result.files)
        desired = desired_state([document.data for document in result.documents])
    try:
        report, verified = asyncio.run(session.run(desired, saved))
    except ProvisionerError as error:
        stop(str(error))
    except KeyboardInterrupt:
        stop("interrupted; what finished is on the site: run apply again to finish")
    if report is None:
        if session.machine:
            click.echo(json.dumps(_empty_report(target, ok=True), indent=2))
        return
    if session.machine:
        click.echo(json.dumps(report_json(report, verified), indent=2))
    session.say()
    for line in problems(report):
        session.say(color_text(line, fg="red"))
    session.say(color_text(summary(report), fg="green" if report.ok else "red", bold=True))
    if verified:
        session.say("Checked: a new plan finds no changes.")
    if not report.ok or verified is False:
        session.say("Run apply again to finish; it picks up where this one stopped.")
        raise SystemExit(1)
