"""Helpers every command shares: styled messages, plurals, failing with exit 1, logging,
the workspace and environment a command runs in (`--env`), and loading a spec into the
desired state."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import click

# the package's other modules are imported inside the functions that use them (here only for
# the type checker): `--help` imports this module and needs none of them
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from ..client.http import WixClient
    from ..client.target import Target
    from ..model import State
    from ..spec.loader import LoadResult
    from ..spec.templates import VarInputs
    from ..workspace import Environment, Workspace


Read = TypeVar("Read")


def use_color(stream: IO[str] | None = None) -> bool:
    """Whether output to `stream` (stdout) is styled: never with --no-color or NO_COLOR,
    always with FORCE_COLOR (a pipeline's log that shows colors), else on a terminal."""
    context = click.get_current_context(silent=True)
    if context is not None and context.color is not None:
        return context.color  # decided once by the command group (--no-color, FORCE_COLOR)
    return color_wanted(stream or sys.stdout)


def color_wanted(stream: IO[str], no_color: bool = False) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def color_text(text: str, **style: object) -> str:
    """Style `text` unless colors are off (click drops the styling when not on a terminal,
    unless FORCE_COLOR asked for it)."""
    if os.environ.get("NO_COLOR"):
        return text
    context = click.get_current_context(silent=True)
    if context is not None and context.color is False:
        return text
    return click.style(text, **style)  # type: ignore[arg-type]


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 file`, `2 files`; `many` is the plural where adding an s is wrong."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {many or noun + 's'}"


def fail(message: str) -> NoReturn:
    """Print `message` as one `Error:` line on stderr and exit 1."""
    click.echo(color_text(f"Error: {message}", fg="red"), err=True)
    raise SystemExit(1)


def read_site_with(target: Target, read: Callable[[WixClient], Awaitable[Read]]
                   ) -> tuple[Read, int]:
    """What `read` gives on a client of `target`, and the calls it took; a call refused or
    failed ends the command with its message."""
    import asyncio

    from ..client.errors import ProvisionerError
    from ..client.session import connect

    async def run() -> tuple[Read, int]:
        async with connect(target) as client:
            return await read(client), sum(client.calls.values())

    try:
        return asyncio.run(run())
    except ProvisionerError as error:
        fail(str(error))


@dataclass(frozen=True)
class Selection:
    """The workspace (`provisioner.toml`) a command runs in, if any, and the environment
    `--env` chose from it, if any."""

    workspace: Workspace | None = None
    environment: Environment | None = None

    @property
    def env_name(self) -> str | None:
        return self.environment.name if self.environment else None

    def first_line(self, target: Target) -> str:
        """Every command's first line: `Environment: staging · Target: …`."""
        where = f"Environment: {self.env_name} · " if self.env_name else ""
        return where + target.describe()

    def announce(self, target_name: str | None, to_stderr: bool) -> Target:
        """The target, once its first line is printed: on stderr when stdout carries a
        document (`--json`, `--markdown`, a spec)."""
        target = self.target(target_name)
        click.echo(self.first_line(target), err=to_stderr)
        return target

    def expand(self, paths: Sequence[str]) -> tuple[str, ...]:
        """`paths` with `{env}` replaced by the environment's name (`plans/{env}.json`,
        `events/{env}/`): the same for every command, so what plan read, apply reads."""
        if not any("{env}" in path for path in paths):
            return tuple(paths)
        if self.env_name is None:
            raise click.UsageError("{env} in a path stands for the environment's name; "
                                   "choose one with --env NAME (or --all-envs)")
        return tuple(path.replace("{env}", self.env_name) for path in paths)

    def spec_paths(self, given: Sequence[str]) -> tuple[str, ...]:
        """The spec paths given (`{env}` expanded), or the workspace's `specs` when none
        are."""
        if given:
            return self.expand(given)
        if self.workspace is not None and self.workspace.specs:
            return self.workspace.spec_paths()
        where = (f"{self.workspace.file} lists no `specs` under [workspace]"
                 if self.workspace else "there is no provisioner.toml here or above")
        raise click.UsageError(f"no spec given: name spec files or folders (or `-` for "
                               f"standard input); {where}")

    def sandbox_path(self) -> str:
        from ..client.target import SANDBOX_PATH

        return self.workspace.sandbox_path() if self.workspace else SANDBOX_PATH

    def target(self, target_name: str | None) -> Target:
        """Where calls go: the environment's site, else `--target` and WIX_* as always. A
        malformed `--target` is bad usage (exit 2); anything else wrong, such as missing or
        unusable credentials, exits 1."""
        from ..client.errors import ProvisionerError
        from ..client.target import TargetUsageError, resolve_target
        from ..workspace import environment_target

        try:
            if self.workspace is not None and self.environment is not None:
                return environment_target(self.workspace, self.environment, os.environ)
            return resolve_target(target_name, os.environ, self.sandbox_path())
        except TargetUsageError as error:
            raise click.UsageError(str(error)) from None
        except ProvisionerError as error:
            fail(str(error))

    def variables(self, assignments: Sequence[str] = (),
                  files: Sequence[str] = ()) -> VarInputs:
        """Template variable values: the environment's own (its `var_files`, then `vars`),
        then PROVISIONER_VAR_<name>, `--var-file` and `--var`, later ones winning."""
        from ..spec.templates import VarInputs

        if self.workspace is None or self.environment is None:
            return var_inputs(assignments, files)
        environment = self.environment
        for file in environment.var_files:
            if not (self.workspace.root / file).is_file():
                fail(f"{self.workspace.file}:{environment.line}: [environments."
                     f"{environment.name}] var_files: {self.workspace.path(file)} is not a "
                     "file; create it or correct the path (relative to provisioner.toml)")
        return VarInputs(
            tuple(assignments), tuple(files), dict(os.environ),
            preset_files=tuple(self.workspace.path(f) for f in environment.var_files),
            preset={k: _toml_value(v) for k, v in environment.variables.items()},
            preset_source=f"{self.workspace.path(self.workspace.file.name)} "
                          f"[environments.{environment.name}] vars")


def select(env_name: str | None, target_name: str | None = None) -> Selection:
    """The workspace of the current directory and the environment `--env` names in it. The
    file is read only here, so a command without --env still fails on a broken workspace
    file: a silent fall-back to other settings would hide the mistake."""
    from ..workspace import WorkspaceError, current_workspace

    try:
        workspace = current_workspace()
    except WorkspaceError as error:
        fail(str(error))
    if not env_name:
        return Selection(workspace)
    env_flag = given_as("env_name", "--env")
    if workspace is None:
        raise click.UsageError(f"{env_flag} {env_name}: there is no provisioner.toml in this "
                               "folder or above it to name environments")
    if target_name:
        raise click.UsageError(f"{env_flag} {env_name} and {given_as('target_name', '--target')} "
                               "both say where calls go; choose one")
    try:
        return Selection(workspace, workspace.environment(env_name))
    except WorkspaceError as error:
        raise click.UsageError(str(error)) from None


def given_as(parameter: str, flag: str) -> str:
    """How the user gave an option, for a message: `--env`, or `--env (PROVISIONER_ENV)`
    when it came from the environment, where they may not think to look."""
    from click.core import ParameterSource

    context = click.get_current_context(silent=True)
    if context is None or context.get_parameter_source(parameter) != ParameterSource.ENVIRONMENT:
        return flag
    option = next((p for p in context.command.params if p.name == parameter), None)
    variable = option.envvar if isinstance(option, click.Option) else None
    return f"{flag} (set by {variable})" if isinstance(variable, str) else flag


def _toml_value(value: Any) -> Any:
    """A TOML value as YAML would give it to the template engine: dates and times as text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return [_toml_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _toml_value(item) for key, item in value.items()}
    return value


def environment_names(context: click.Context, parameter: click.Parameter,
                      incomplete: str) -> list[Any]:
    """Shell completion for --env: the environments of the workspace here."""
    from click.shell_completion import CompletionItem

    from ..workspace import WorkspaceError, current_workspace

    try:
        workspace = current_workspace()
    except WorkspaceError:
        return []
    names = sorted(workspace.environments) if workspace else []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def env_options(all_envs: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`--env NAME` (and, for commands that can run everywhere at once, `--all-envs`)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        if all_envs:
            command = click.option(
                "--all-envs", is_flag=True,
                help="Run for every environment of provisioner.toml at once, each against "
                     "its own site; one section each, and the worst exit code.")(command)
        return click.option(
            "--env", "env_name", metavar="NAME", shell_complete=environment_names,
            help="The environment of provisioner.toml to use: its site, key variable and "
                 "template variables.")(command)

    return decorate


def configure_logging(debug: bool) -> None:
    """Warnings (such as a long wait after a 429) always reach stderr; --debug adds a line
    per API call."""
    import logging

    logging.basicConfig(format="note: %(message)s" if not debug else "%(name)s: %(message)s",
                        level=logging.WARNING)
    if debug:
        logging.getLogger("provisioner.client").setLevel(logging.DEBUG)


def template_options(command: Callable[..., None]) -> Callable[..., None]:
    """`--var` and `--var-file`, for every command that reads a spec."""
    command = click.option(
        "--var-file", "var_files", multiple=True, metavar="FILE",
        help="Template variables from a YAML file of name: value (repeatable; later files "
             "win over earlier ones and over PROVISIONER_VAR_<name>).")(command)
    return click.option(
        "--var", "var_assignments", multiple=True, metavar="NAME=VALUE",
        help="Set a template variable, read by its declared type (repeatable; wins over "
             "--var-file).")(command)


def var_inputs(assignments: Sequence[str] = (), files: Sequence[str] = ()) -> VarInputs:
    """Template variable values from the command line and the environment."""
    from ..spec.templates import VarInputs

    return VarInputs(tuple(assignments), tuple(files), dict(os.environ))


def checked_spec(paths: Sequence[str], variables: VarInputs | None, outcome: str
                 ) -> LoadResult:
    """Load and check the spec in `paths`, printing its problems on stderr; a spec with
    errors raises `ProvisionerError` ending in `outcome` ("nothing was rendered")."""
    from ..client.errors import ProvisionerError
    from ..spec.loader import load

    result = load(paths, variables or var_inputs())
    for problem in result.problems:
        click.echo(color_text(problem.format(), fg="red" if problem.is_error else "yellow"),
                   err=True)
    if not result.ok:
        errors = plural(len(result.errors), "error")
        raise ProvisionerError(f"the spec has {'more than ' if result.truncated else ''}"
                               f"{errors}; {outcome}")
    return result


def load_desired(paths: tuple[str, ...], destroy: bool = False,
                 variables: VarInputs | None = None) -> tuple[State, tuple[str, ...]]:
    """Load and check the spec in `paths`, printing its problems on stderr: the desired state
    (with `destroy`, of every event and category it names marked for deletion) and the files
    read. A spec with errors raises `ProvisionerError`, before any site is read."""
    from .. import kinds
    from ..plan.desired import desired_state

    result = checked_spec(paths, variables, "nothing was read from the site")
    documents = [document.data for document in result.documents]
    return desired_state(kinds.doomed(documents) if destroy else documents), \
        tuple(result.files)
