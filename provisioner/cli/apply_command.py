"""`provisioner apply`: plan (or load a saved plan and check it is still true), show it, ask,
run it, report what happened and, for a spec, prove it converged by planning again; and
`provisioner destroy`, the same run for a spec whose every event and category is marked for
deletion.

Exit codes: 0 everything applied (or nothing to do), 2 bad usage (a malformed `--target`, a
saved plan file among spec files), 1 anything else: a problem in the spec or the plan, a
refusal (risky action not allowed, stale plan, no confirmation), or an action that failed, met
a conflict or was skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..apply.report import DEFAULT_PARALLELISM
from ..client.errors import ProvisionerError
from .common import (
    Selection,
    color_text,
    configure_logging,
    env_options,
    fail,
    load_desired,
    select,
    template_options,
)

DEFAULT_RATE_LIMIT = 200  # calls a minute: what Wix allows a site
# seconds to wait for another apply on the sandbox: far longer than any sandbox apply takes,
# yet a pipeline behind an apply left at its confirmation question still ends
DEFAULT_LOCK_TIMEOUT = 300


def _run_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options `apply` and `destroy` share, in the order `--help` shows them."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


_OPTIONS = [
    click.option("--target", "target_name", metavar="TARGET",
                 help="`local` (the embedded sandbox; the default without WIX_API_KEY), `wix`, or "
                      "the URL of an emulator or API."),
    click.option("--auto-approve", is_flag=True,
                 help="Apply without asking (for pipelines). Without it, apply asks on a "
                      "terminal and refuses when there is none."),
    click.option("--parallelism", type=click.IntRange(1, 64), default=DEFAULT_PARALLELISM,
                 show_default=True, help="Calls in flight at once."),
    click.option("--rate-limit", type=click.IntRange(0), default=DEFAULT_RATE_LIMIT,
                 show_default=True, help="Calls a minute to allow ourselves on a remote site "
                                         "(Wix allows about 200); 0: no limit of our own."),
    click.option("--lock-timeout", type=click.FloatRange(0), default=DEFAULT_LOCK_TIMEOUT,
                 show_default=True, metavar="SECONDS",
                 help="How long to wait for another apply on the local sandbox to finish (an "
                      "apply locks the sandbox); 0: fail at once. Ignored for a remote site, "
                      "which has no lock: serialise a pipeline's applies per site."),
    click.option("--allow-delete-sold", is_flag=True,
                 help="Allow deleting ticket definitions, and events, whose tickets have sold."),
    click.option("--allow-cancel", is_flag=True, help="Allow cancelling events."),
    click.option("--json", "as_json", is_flag=True,
                 help="Print the report as JSON on stdout (the plan and progress go to stderr)."),
    click.option("--debug", is_flag=True, help="Trace every API call on stderr."),
]


@click.command()
@click.argument("paths", nargs=-1, metavar="[SPEC]...|PLANFILE")
@_run_options
@template_options
@env_options(all_envs=True)
def apply(paths: tuple[str, ...], target_name: str | None, **options: Any) -> None:
    """Make the site match the spec: plan, show, ask, apply, check.

    Given one saved plan file (from `plan --out`), apply exactly that plan after checking
    that nothing it touches has changed on the site since; `{env}` in its name is the
    environment's. Without SPEC, the workspace's specs (provisioner.toml).
    """
    run(paths, target_name, options, destroy=False)


@click.command()
@click.argument("paths", nargs=-1, metavar="[SPEC]...")
@_run_options
@template_options
@env_options(all_envs=True)
def destroy(paths: tuple[str, ...], target_name: str | None, **options: Any) -> None:
    """Delete from the site every event and category the spec names: plan, show, ask,
    apply, check.

    Draft events are deleted; a published one is cancelled first (--allow-cancel); one whose
    tickets have sold needs --allow-delete-sold. Categories marked `existing: true` stay.
    Nothing the spec does not name is touched.
    """
    run(paths, target_name, options, destroy=True)


def run(paths: tuple[str, ...], target_name: str | None, options: dict[str, Any], *,
        destroy: bool) -> None:
    """One apply (or destroy) run, from the parsed options to the exit code."""
    # the heavy stages (asyncio, the client, rich) load only when apply runs, not for
    # `apply --help` nor for `sandbox`, which imports this module for DEFAULT_LOCK_TIMEOUT
    import asyncio

    from .apply_session import AlreadyApplied, Session, empty_report, report_text, saved_plan
    from .progress import problems, report_json, summary

    env_name = options.pop("env_name")
    selection = select(env_name, target_name)
    if options.pop("all_envs"):
        _everywhere(selection, env_name, target_name, options)
    configure_logging(options["debug"])
    paths = selection.expand(paths)
    try:
        saved = saved_plan(paths)
    except ProvisionerError as error:
        fail(str(error))
    if saved is not None and destroy:
        fail("destroy takes spec files, not a saved plan: apply a saved plan with "
             "`provisioner apply PLANFILE`")
    if saved is None:
        paths = selection.spec_paths(paths)
    target = selection.target(target_name)
    options["environment"] = selection.env_name
    session = Session(target, options)
    click.echo(selection.first_line(target), err=session.machine)
    desired = None
    options["sources"] = paths

    def stop(message: str) -> None:
        """Fail with `message`; with --json, stdout still gets a report saying nothing ran."""
        if session.machine:
            click.echo(report_text(empty_report(target, ok=False, error=message), options))
        fail(message)

    if saved is None:
        try:
            variables = selection.variables(options["var_assignments"], options["var_files"])
            desired, options["sources"] = load_desired(paths, destroy=destroy,
                                                       variables=variables)
        except ProvisionerError as error:
            stop(str(error))
    try:
        report, verified = asyncio.run(session.run(desired, saved))
    except AlreadyApplied as done:
        session.already_applied(done.plan)
        return
    except ProvisionerError as error:
        stop(str(error))
    except KeyboardInterrupt:
        stop("interrupted; what finished is on the site: run apply again to finish")
    if report is None:
        if session.machine:
            click.echo(report_text(empty_report(target, ok=True), options))
        return
    if session.machine:
        click.echo(report_text(report_json(report, verified), options))
    session.say()
    for line in problems(report, session.zones):
        session.say(color_text(line, fg="red"))
    session.say(color_text(summary(report), fg="green" if report.ok else "red", bold=True))
    if verified:
        session.say("Checked: a new plan finds no changes.")
    if not report.ok or verified is False:
        again = "Run apply again" if saved is None else \
            "Make a new plan (provisioner plan SPEC --out FILE) and apply it"
        session.say(f"{again} to finish; it picks up where this one stopped.")
        raise SystemExit(1)


def _everywhere(selection: Selection, env_name: str | None, target_name: str | None,
                options: dict[str, Any]) -> None:
    """--all-envs: every environment at once, which cannot each ask a question."""
    from .environments import run_for_all

    if not options["auto_approve"]:
        raise click.UsageError(
            "--all-envs applies to every environment at once and cannot ask each one's "
            "question: review with `provisioner plan --all-envs --out 'plans/{env}.json'`, "
            "then apply exactly those plans with `provisioner apply --all-envs "
            "'plans/{env}.json' --auto-approve`; or add --auto-approve")
    run_for_all(selection, env_name, "json" if options["as_json"] else "human", {},
                target_name)
