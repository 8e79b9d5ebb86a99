"""One `provisioner apply` run: load a saved plan or plan the spec, show it, refuse what must
be refused, ask, re-check, execute with progress, and verify by planning again. The click
command in `cli_apply` only parses options and prints the outcome."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..apply.already import ALREADY_APPLIED, recheck
from ..apply.executor import execute
from ..apply.graph import dependencies
from ..apply.guard import refused
from ..apply.outsiders import outside_changes
from ..apply.report import Report
from ..apply.stale import footprint
from ..client.errors import ProvisionerError
from ..client.http import WixClient
from ..client.session import connect
from ..client.target import Target
from ..model import ALLOW_CANCEL, ALLOW_SOLD_DELETE, Action, Plan, State
from ..plan.build import build_plan
from ..plan.live import live_state
from ..plan.planfile import load_plan
from . import render
from .common import color_text, plural, use_color
from .progress import LiveProgress, PlainProgress


def saved_plan(paths: tuple[str, ...]) -> Plan | None:
    """The plan in `paths` when it is one saved plan file (JSON), else None (a spec). A plan
    file is checked whole before anything is read: its schema, its kinds and verbs, and that
    its actions do not wait for each other in a circle. A `.json` among other paths is bad
    usage: read as a spec, a plan file would only bury the mistake under schema errors."""
    if len(paths) > 1 and any(path.endswith(".json") for path in paths):
        raise click.UsageError("give either one saved plan file (.json) or spec files, "
                               "not both")
    if len(paths) != 1 or not paths[0].endswith(".json"):
        return None
    plan = load_plan(Path(paths[0]))
    dependencies(plan.actions)
    return plan


class AlreadyApplied(Exception):
    """A saved plan the site already shows whole: the run ends there, successfully."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("already applied")
        self.plan = plan


class Session:
    """One apply run: its options, where output goes, and the steps in order."""

    def __init__(self, target: Target, options: dict[str, Any]) -> None:
        self.target = target
        self.options = options
        self.machine = bool(options["as_json"])
        self.out = sys.stderr if self.machine else sys.stdout
        self.zones: dict[str, str] = {}  # the applied plan's events' zones, for progress lines

    def say(self, text: str = "") -> None:
        click.echo(text, file=self.out)

    def show(self, plan: Plan) -> None:
        color = use_color(self.out)
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
        async with connect(self.target, self.options["lock_timeout"]) as client:
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
            allowed = self.allowed()
            _guard(plan, allowed, live)
            asked = not self.options["auto_approve"]
            if not self.confirm(plan):
                raise ProvisionerError("apply cancelled; nothing was changed")
            if asked:  # the site may have moved (or sold) while the question was open
                live = await self.checked(client, plan)
                _guard(plan, allowed, live)
            report = await self.execute(client, plan, live)
            verified = None
            if desired is not None:
                after = await live_state(client, desired)
                again = build_plan(desired, after, "", ())
                # what still differs because someone else wrote while this apply ran
                others = outside_changes(live, after, plan, report, again)
                if report.ok:
                    verified = not again.has_changes
                if others:
                    self.say(color_text("another writer changed the site during this apply: "
                                        + "; ".join(others) + ". Another apply reconciles "
                                        "the site with the spec (copies are deleted as "
                                        "duplicates); serialise applies per site to avoid "
                                        "this", fg="yellow"))
                if verified is False:
                    self.say("The site still differs from the spec after apply:")
                    self.show(again)
            return report, verified

    def allowed(self) -> set[str]:
        """The flags given for risky actions."""
        return {flag for flag, given in ((ALLOW_SOLD_DELETE, self.options["allow_delete_sold"]),
                                         (ALLOW_CANCEL, self.options["allow_cancel"])) if given}

    def tune(self, client: WixClient) -> None:
        limit = self.options["rate_limit"]
        if self.target.name != "local" and limit:
            client.limit_rate(limit)

    async def checked(self, client: WixClient, plan: Plan) -> State:
        """The live state of what `plan` touches, refusing the plan if any of it moved, unless
        every move is the plan's own: then it was applied before, and the run ends here."""
        if plan.target != self.target.describe(full=True):
            raise ProvisionerError(f"the plan was made for {plan.target!r}, not "
                                   f"{self.target.describe(full=True)!r}; make a new plan for this "
                                   "target")
        live = await live_state(client, footprint(plan))
        moves = recheck(plan, live)
        if moves is None:
            return live
        if moves.applied:
            raise AlreadyApplied(plan)
        raise ProvisionerError(moves.refusal())

    def already_applied(self, plan: Plan) -> None:
        """Report a run whose saved plan the site already shows whole: say so (with --json,
        a report of every action `already applied`); nothing was changed."""
        if self.machine:
            click.echo(report_text(empty_report(self.target, ok=True, already=plan.actions),
                                   self.options))
        self.say(f"This plan has already been applied to "
                 f"{self.target.describe().removeprefix('Target: ')}: the site already shows "
                 f"every change it makes ({plural(len(plan.actions), 'action')}). Nothing was "
                 "changed.")

    async def execute(self, client: WixClient, plan: Plan, live: State) -> Report:
        live_view = self.out.isatty() and not os.environ.get("CI")
        self.zones = plan.time_zones
        shown = LiveProgress(self.out, len(plan.actions), self.zones) if live_view \
            else PlainProgress(self.out, self.zones)
        self.say()
        with shown:
            return await execute(client, plan, live, parallelism=self.options["parallelism"],
                                 allowed=frozenset(self.allowed()), on_start=shown.started,
                                 on_done=shown.done)


def _guard(plan: Plan, allowed: set[str], live: State) -> None:
    refusals = refused(plan, allowed, live)
    if refusals:
        raise ProvisionerError("apply refused, nothing was changed:\n  " +
                               "\n  ".join(refusals))


def report_text(report: dict[str, Any], options: dict[str, Any]) -> str:
    """The --json report as printed: with the environment's name when --env chose one."""
    if options.get("environment"):
        report = {"environment": options["environment"], **report}
    return json.dumps(report, indent=2)


def empty_report(target: Target, ok: bool, error: str = "",
                 already: tuple[Action, ...] = ()) -> dict[str, Any]:
    """The --json report of a run that changed nothing: no changes, refused (`error`), or a
    saved plan the site already shows (`already`: its actions)."""
    report: dict[str, Any] = {"format_version": 1, "target": target.describe(full=True),
                              "ok": ok, "summary": {}, "actions": []}
    if error:
        report["error"] = error
    if already:
        report["summary"] = {ALREADY_APPLIED: len(already)}
        report["actions"] = [{"address": a.address, "action": a.verb, "status": ALREADY_APPLIED,
                              "detail": "the site already shows this change"} for a in already]
    return report
