"""Helpers every command shares: styled messages, plurals, failing with exit 1, logging, and
loading a spec into the desired state."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NoReturn

import click

from ..client.errors import ProvisionerError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..client.target import Target
    from ..model import State
    from ..spec.templates import VarInputs


def color_text(text: str, **style: object) -> str:
    """Style `text` unless NO_COLOR is set (click drops the styling when not on a terminal)."""
    return text if os.environ.get("NO_COLOR") else click.style(text, **style)  # type: ignore[arg-type]


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 file`, `2 files`; `many` is the plural where adding an s is wrong."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {many or noun + 's'}"


def fail(message: str) -> NoReturn:
    """Print `message` as one `Error:` line on stderr and exit 1."""
    click.echo(color_text(f"Error: {message}", fg="red"), err=True)
    raise SystemExit(1)


def resolved_target(target_name: str | None) -> Target:
    """The target `--target` and the environment name. A malformed `--target` is bad usage
    (exit 2); anything else wrong, such as missing or unusable credentials, exits 1."""
    from ..client.target import TargetUsageError, resolve_target

    try:
        return resolve_target(target_name, os.environ)
    except TargetUsageError as error:
        raise click.UsageError(str(error)) from None
    except ProvisionerError as error:
        fail(str(error))


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


def load_desired(paths: tuple[str, ...], destroy: bool = False,
                 variables: VarInputs | None = None) -> tuple[State, tuple[str, ...]]:
    """Load and check the spec in `paths`, printing its problems on stderr: the desired state
    (with `destroy`, of every event and category it names marked for deletion) and the files
    read. A spec with errors raises `ProvisionerError`, before any site is read."""
    from .. import kinds
    from ..plan.desired import desired_state
    from ..spec.loader import load

    result = load(paths, variables or var_inputs())
    for problem in result.problems:
        click.echo(color_text(problem.format(), fg="red" if problem.is_error else "yellow"),
                   err=True)
    if not result.ok:
        errors = plural(len(result.errors), "error")
        raise ProvisionerError(f"the spec has {'more than ' if result.truncated else ''}"
                               f"{errors}; nothing was read from the site")
    documents = [document.data for document in result.documents]
    return desired_state(kinds.doomed(documents) if destroy else documents), \
        tuple(result.files)
