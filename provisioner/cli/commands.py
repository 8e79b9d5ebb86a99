"""The `provisioner` command group and its commands `validate`, `plan`, `schema` and `emulator
serve` (`apply`, `destroy`, `export`, `render`, `sandbox`, `status` and `watch` are in modules
of their own, `LAZY_COMMANDS`). Exit codes: 0 success, 1 a problem the user can fix, 2 bad
usage.

The CLI starts fast because it imports only what the command given needs: each command imports
its stages when it runs, and the group imports a command of `LAZY_COMMANDS` only when that
command is run or completed; `--help` lists those by the summaries kept here.
"""

from __future__ import annotations

import json
import os
import sys
from gettext import gettext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from .common import (
    color_text,
    configure_logging,
    env_options,
    fail,
    load_desired,
    plural,
    select,
    template_options,
    use_color,
)
from .environments import ARGV, run_for_all

if TYPE_CHECKING:
    from types import ModuleType

    from ..spec.loader import LoadResult


ENV_PREFIX = "PROVISIONER_"
# options never read from the environment: a variable must not turn every run into --version
NOT_FROM_ENVIRONMENT = ("--version", "--help")

# The commands imported only when they run (or are completed, or show their own help), so
# that `--help`, `validate` and the other commands here do not pay for their modules and what
# those import. Each is the command of that name in `provisioner.cli.<module>`; `--help` lists
# it by the first paragraph of its help, kept here so that listing imports nothing
# (tests/cli/test_lazy_commands.py holds each summary to its command's help).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "apply": ("apply_command",
              "Make the site match the spec: plan, show, ask, apply, check."),
    "destroy": ("apply_command",
                "Delete from the site every event and category the spec names: plan, show, "
                "ask, apply, check."),
    "export": ("export_command",
               "Write the site's events and categories as a spec. Reads only."),
    "render": ("render_command",
               "Print the spec with every template construct expanded: plain YAML, valid on "
               "its own."),
    "sandbox": ("sandbox_command",
                "The local sandbox (`--target local`): copy a site into it, empty it, sell "
                "tickets."),
    "status": ("status_command",
               "Show how the spec's events stand on the site: ticket sales, sale status, "
               "drift."),
    "watch": ("watch_command",
              "Watch the spec's events: drift as it happens, the ticket counter, sale starts."),
}


class ProvisionerGroup(click.Group):
    """The command group, keeping the command line as given (for `--all-envs`, which runs
    it again per environment) and keeping bad usage apart from "changes": under
    `--detailed-exitcode` exit 2 means the plan has changes, so a usage error exits 1.

    It also holds the commands of `LAZY_COMMANDS`, importing each on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            command = getattr(_command_module(LAZY_COMMANDS[cmd_name][0]), cmd_name)
            _options_everywhere(command)
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of `--help`, as click writes it, with a command not imported
        yet standing in as a command of its summary: shortened to fit just as its own help
        would be, and imported for nothing."""
        shown: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                command = click.Command(name, help=LAZY_COMMANDS[name][1])
            if not command.hidden:
                shown.append((name, command))
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section(gettext("Commands")):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in shown])

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        argv = list(args)
        try:
            context = super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            _usage_exit_code(error, argv)
            raise
        context.meta[ARGV] = argv
        return context

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            _usage_exit_code(error, ctx.meta.get(ARGV, []))
            raise


def _usage_exit_code(error: click.UsageError, argv: list[str]) -> None:
    try:  # the variable is read as click reads it for the flag: 1, true, yes, on, y, t
        from_environment = click.BOOL.convert(
            os.environ.get(f"{ENV_PREFIX}DETAILED_EXITCODE") or "0", None, None)
    except click.BadParameter:
        from_environment = False
    detailed = "--detailed-exitcode" in argv or from_environment
    if detailed:
        error.exit_code = 1  # type: ignore[misc]  # this error, not the class


def _no_color(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    if value:
        _colors_off(context)


def _colors_off(context: click.Context) -> None:
    context.color = False
    # the convention every library here (rich's live progress) and every child process of
    # --all-envs honours
    os.environ["NO_COLOR"] = "1"


NO_COLOR_HELP = "No colors (also NO_COLOR=1; FORCE_COLOR=1 forces them where no terminal is)."


@click.group(cls=ProvisionerGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Every option can also be set as PROVISIONER_<OPTION> (PROVISIONER_ENV, "
                    "PROVISIONER_TARGET, PROVISIONER_AUTO_APPROVE=1, ...); a flag on the "
                    "command line wins. Shell completion: docs/cli.md#shell-completion.")
@click.version_option(__version__, prog_name="provisioner")
@click.option("--no-color", is_flag=True, help=NO_COLOR_HELP)
@click.pass_context
def main(context: click.Context, no_color: bool) -> None:
    """Event-as-code for Wix Events."""
    if no_color or os.environ.get("NO_COLOR"):
        _colors_off(context)
    elif os.environ.get("FORCE_COLOR"):
        context.color = True


def _command_module(name: str) -> ModuleType:
    """The module `provisioner.cli.<name>` of a lazy command, imported now. Each import is
    spelled out, so that tests/test_architecture.py reads them with every other import."""
    if name == "apply_command":
        from . import apply_command
        return apply_command
    if name == "export_command":
        from . import export_command
        return export_command
    if name == "render_command":
        from . import render_command
        return render_command
    if name == "sandbox_command":
        from . import sandbox_command
        return sandbox_command
    if name == "status_command":
        from . import status_command
        return status_command
    if name == "watch_command":
        from . import watch_command
        return watch_command
    raise LookupError(f"no command module {name!r}")


def _options_everywhere(command: click.Command) -> None:
    """Give every command `--no-color`, and every option its PROVISIONER_<OPTION> variable."""
    if command is not main and not any(p.name == "no_color" for p in command.params):
        command.params.append(click.Option(["--no-color"], is_flag=True, expose_value=False,
                                           callback=_no_color, help=NO_COLOR_HELP))
    for parameter in command.params:
        if isinstance(parameter, click.Option) and parameter.envvar is None:
            flag = max(parameter.opts, key=len)
            if flag not in NOT_FROM_ENVIRONMENT:
                parameter.envvar = ENV_PREFIX + flag.lstrip("-").upper().replace("-", "_")
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _options_everywhere(sub)


def validate_summary(result: LoadResult) -> dict[str, Any]:
    """The machine-readable outcome of `validate`, as `--json` prints it; the counts are of
    each counted kind in the table, by its `count_key`, and of the files read."""
    from .. import kinds

    return {
        "valid": result.ok,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "counts": {"files": len(result.files),
                   **kinds.spec_counts([document.data for document in result.documents])},
        "problems": [problem.to_json() for problem in result.problems],
        # checking stops after MAX_PROBLEMS errors; warnings past as many are only counted
        "truncated": result.truncated,
        "warnings_not_listed": result.dropped_warnings,
    }


@main.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--json", "as_json", is_flag=True,
              help="Print the outcome as JSON: {valid, errors, warnings, counts, problems, "
                   "truncated, warnings_not_listed}.")
@template_options
@env_options(all_envs=True)
def validate(paths: tuple[str, ...], as_json: bool, var_assignments: tuple[str, ...],
             var_files: tuple[str, ...], env_name: str | None, all_envs: bool) -> None:
    """Check spec files or folders without touching any site.

    Every problem is reported at once as `file:line:column: field.path: message`. Exits 0 when
    the spec is valid (warnings are printed), 1 when it is not. Without PATH, the workspace's
    specs (provisioner.toml); `-` reads a spec from standard input.
    """
    from .. import kinds
    from ..spec.loader import load

    selection = select(env_name)
    if all_envs:
        run_for_all(selection, env_name, "json" if as_json else "human", {1: "invalid"})
    result = load(selection.spec_paths(paths), selection.variables(var_assignments, var_files))
    if as_json:
        summary = validate_summary(result)
        if selection.env_name:
            summary["environment"] = selection.env_name
        click.echo(json.dumps(summary, indent=2))
        raise SystemExit(0 if result.ok else 1)
    counts = kinds.spec_counts([document.data for document in result.documents])
    for problem in result.problems:
        line = problem.format()
        click.echo(color_text(line, fg="red" if problem.is_error else "yellow"))
    described = ", ".join(plural(counts[kind.count_key], kind.noun, kind.plural)
                          for kind in kinds.KINDS if kind.count_key and counts[kind.count_key])
    files = plural(len(result.files), "file")
    warnings = plural(len(result.warnings) + result.dropped_warnings, "warning")
    if result.dropped_warnings:
        warnings += f" ({result.dropped_warnings:,} not listed)"
    if result.ok:
        click.echo(color_text("Valid", fg="green", bold=True) +
                   f": {files}, {described or 'nothing to manage'}; {warnings}.")
        return
    errors = plural(len(result.errors), "error")
    stopped = ""
    if result.truncated:
        errors = f"more than {errors}"
        stopped = (f"; checking stopped at {len(result.errors)} (fix these, then run again "
                   "for the rest)")
    click.echo(color_text("Invalid", fg="red", bold=True) + f": {errors} and {warnings} in "
               f"{files}{stopped}.")
    raise SystemExit(1)



@main.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--target", "target_name", metavar="TARGET",
              help="`local` (the embedded sandbox; the default without WIX_API_KEY), `wix`, or "
                   "the URL of an emulator or API. Credentials come from WIX_API_KEY and "
                   "WIX_SITE_ID.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the plan as JSON (format version 1, docs/plan-format.md).")
@click.option("--markdown", "as_markdown", is_flag=True,
              help="Print the plan as markdown for a pull-request comment.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the plan, with fingerprints of what it touches, for `apply`. "
                   "`{env}` in it is the environment's name (plans/{env}.json).")
@click.option("--markdown-budget", type=click.IntRange(2_000, 60_000), default=60_000,
              hidden=True, help="Bytes the markdown may take (--all-envs shares one comment).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--debug", is_flag=True,
              help="Trace every API call on stderr (the API key is never shown).")
@template_options
@env_options(all_envs=True)
def plan(paths: tuple[str, ...], target_name: str | None, as_json: bool, as_markdown: bool,
         out_file: Path | None, detailed_exitcode: bool, debug: bool,
         var_assignments: tuple[str, ...], var_files: tuple[str, ...], env_name: str | None,
         all_envs: bool, markdown_budget: int) -> None:
    """Show what `apply` would change to make the site match the spec. Reads only.

    The first line names the target (on stderr with --json or --markdown, so the output
    stays machine-readable). Without PATH, the workspace's specs (provisioner.toml).
    """
    import asyncio

    from ..client.errors import ProvisionerError
    from ..client.session import connect
    from ..model import State
    from ..plan.build import build_plan
    from ..plan.live import live_state
    from ..plan.planfile import save_plan
    from . import render, render_markdown

    if as_json and as_markdown:
        raise click.UsageError("choose one of --json and --markdown")
    selection = select(env_name, target_name)
    out_file = _per_environment(out_file, selection.env_name, all_envs, "--out")
    if all_envs:
        run_for_all(selection, env_name, "json" if as_json else
                    "markdown" if as_markdown else "human",
                    {2: "changes", 0: "no changes"} if detailed_exitcode else {}, target_name)
    configure_logging(debug)
    machine = as_json or as_markdown
    paths = selection.spec_paths(paths)
    target = selection.announce(target_name, to_stderr=machine)
    try:
        desired, files = load_desired(
            paths, variables=selection.variables(var_assignments, var_files))
    except ProvisionerError as error:
        fail(str(error))

    async def read() -> State:
        async with connect(target) as client:
            return await live_state(client, desired)

    try:
        live = asyncio.run(read())
    except ProvisionerError as error:
        fail(str(error))
    made = build_plan(desired, live, target.describe(full=True), files)
    if as_json:
        if selection.env_name:
            click.echo(json.dumps({"environment": selection.env_name,
                                   **json.loads(render.json_text(made))},
                                  indent=2, ensure_ascii=False))
        else:
            click.echo(render.json_text(made))
    elif as_markdown:
        text = render_markdown.markdown(made, markdown_budget)
        if selection.env_name:
            text = f"Environment: `{selection.env_name}`\n\n{text}"
        click.echo(text)
    else:
        click.echo(render.human(made, color=use_color(sys.stdout)))
    if out_file is not None:
        try:
            # `--out plans/{env}.json` in a fresh checkout: the folder is made as needed
            out_file.parent.mkdir(parents=True, exist_ok=True)
            save_plan(made, out_file)
        except OSError as error:
            fail(f"cannot write the plan to {out_file}: {error.strerror or error}")
        except ProvisionerError as error:
            fail(str(error))
        click.echo(f"Saved the plan to {out_file}.", err=machine)
    if made.problems:
        raise SystemExit(1)
    if detailed_exitcode and made.has_changes:
        raise SystemExit(2)


def _per_environment(path: Path | None, env_name: str | None, all_envs: bool,
                     option: str) -> Path | None:
    """`path` with `{env}` replaced by the environment's name. Under --all-envs a path
    without `{env}` would be written by every environment in turn: bad usage."""
    if path is None:
        return None
    text = str(path)
    if "{env}" not in text:
        if all_envs:
            raise click.UsageError(f"{option} {text}: with --all-envs every environment "
                                   f"saves its own plan: put {{env}} in the name, such as "
                                   f"plans/{{env}}.json")
        return path
    if env_name is None:
        if all_envs:
            return path  # each environment's run fills it in
        raise click.UsageError(f"{option} {text}: {{env}} stands for the environment's "
                               "name; choose one with --env NAME (or --all-envs)")
    return Path(text.replace("{env}", env_name))


@main.group()
def emulator() -> None:
    """The local Wix Events API emulator (no Wix account needed)."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the loopback default unless you mean to share it.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file that keeps sites, keys and data across restarts. "
                   "Without it, everything lives in memory.")
@click.option("--api-key", help="API key clients must send in `Authorization` "
                                "(default: the database's key, or a new random one).")
@click.option("--site-id", help="Site id clients must send in `wix-site-id` "
                                "(default: the database's site, or a new random one).")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--latency-ms", type=click.FloatRange(0, 600_000), default=0.0,
              help="Fault: delay every answer by this many milliseconds.")
@click.option("--jitter-ms", type=click.FloatRange(0, 600_000), default=0.0,
              help="Fault: add up to this many random milliseconds to the delay.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0,
              help="Fault: share of calls answered 503 without being run (0 to 1).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0,
              help="Fault: share of writes that are made, then answered 504 (0 to 1).")
@click.option("--rate-limit", type=click.IntRange(0), default=0,
              help="Calls a minute allowed per site, then 429 with Retry-After (Wix: ~200). "
                   "0: unlimited.")
@click.option("--fault-seed", type=int, default=0, show_default=True,
              help="Seed for the fault draws: the same seed gives the same faults.")
@click.option("--fault-path", multiple=True,
              help="Limit latency, errors and drops to paths starting with this (repeatable).")
@click.option("--fault-method", multiple=True,
              help="Limit latency, errors and drops to this HTTP method (repeatable).")
@click.option("--webhook-url", "webhook_urls", multiple=True,
              help="Send webhooks (JWTs signed RS256, key at GET /_emulator/webhooks/public-key) "
                   "to this URL on 127.0.0.1, localhost or [::1] (repeatable).")
def serve(host: str, port: int, db: Path | None, api_key: str | None, site_id: str | None,
          log_level: str, latency_ms: float, jitter_ms: float, error_rate: float,
          drop_rate: float, rate_limit: int, fault_seed: int, fault_path: tuple[str, ...],
          fault_method: tuple[str, ...], webhook_urls: tuple[str, ...]) -> None:
    """Serve the Wix Events REST API locally until Ctrl-C.

    The control API under /_emulator/ (request counters, reset, state dump and load, faults)
    is described in the README.
    """
    from ..emulator.errors import BadRequest
    from ..emulator.faults import FaultSettings
    from ..emulator.server import ServeError, prepare, run
    from ..emulator.webhooks import check_url

    if db is not None and not db.parent.exists():
        raise click.ClickException(f"--db {db}: folder {db.parent} does not exist")
    faults = FaultSettings(
        seed=fault_seed, latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate,
        drop_rate=drop_rate, rate_limit=rate_limit, paths=fault_path,
        methods=tuple(m.upper() for m in fault_method))
    for url in webhook_urls:
        try:
            check_url(url)
        except BadRequest as exc:
            raise click.BadParameter(exc.message, param_hint="--webhook-url") from None
    try:
        sock, app, store, info = prepare(host, port, db, api_key, site_id, faults,
                                         webhook_urls)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(f"warning: listening on {host}, not loopback: other machines may reach "
                    "this emulator", fg="yellow", err=True)
    click.echo(f"Wix Events emulator listening on {info.base_url}")
    click.echo(f"  API key:  {info.api_key}")
    click.echo(f"  Site id:  {info.site_id}")
    click.echo(f"  Storage:  {info.storage}")
    if faults != FaultSettings(seed=fault_seed):
        click.echo(f"  Faults:   {json.dumps(faults.to_json())}")
    for url in webhook_urls:
        click.echo(f"  Webhooks: {url}")
    click.echo("Send `Authorization: <API key>` and `wix-site-id: <site id>` with every "
               "request. Press Ctrl-C to stop.", err=False)
    run(sock, app, store, log_level)
    click.echo("Emulator stopped.")



@main.command()
@click.option("--strict", is_flag=True,
              help="The schema of a spec once its templates are expanded (what `render` "
                   "writes), instead of the one editors read.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file (default: stdout).")
def schema(strict: bool, out_file: Path | None) -> None:
    """Print the JSON Schema of a spec, for editors (the YAML language server, VS Code,
    JetBrains): save it and point a spec's `# yaml-language-server: $schema=` line at it.
    """
    from ..client.errors import ProvisionerError
    from ..export.write import write_text
    from ..spec.schema import PUBLISHED_SCHEMA_NAME, SCHEMA_NAME, schema_text

    text = schema_text(SCHEMA_NAME if strict else PUBLISHED_SCHEMA_NAME)
    if out_file is None:
        click.echo(text, nl=False)
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        write_text(out_file, text)
    except (OSError, ProvisionerError) as error:
        fail(f"cannot write {out_file}: {getattr(error, 'strerror', None) or error}")
    click.echo(f"Wrote the {'strict ' if strict else ''}spec schema to {out_file}.", err=True)


_options_everywhere(main)
