"""The commands the group imports on first use (`LAZY_COMMANDS`) look and behave as if they
had been there from the start: `--help` lists them word for word as click lists the real
commands, at every width, and once imported they carry `--no-color` and their
PROVISIONER_<OPTION> variables like every other command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from provisioner.cli.commands import LAZY_COMMANDS, ProvisionerGroup, main

ROOT = Path(__file__).resolve().parents[2]


def real(name: str) -> click.Command:
    command = main.get_command(click.Context(main, info_name="provisioner"), name)
    assert command is not None
    return command


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_the_summary_is_the_first_paragraph_of_the_commands_help(name: str) -> None:
    module, summary = LAZY_COMMANDS[name]
    command = real(name)
    assert command.name == name
    assert command.callback is not None
    assert command.callback.__module__ == f"provisioner.cli.{module}"
    assert not command.hidden and not command.deprecated and command.short_help is None
    assert summary == " ".join((command.help or "").split("\n\n")[0].split())
    stand_in = click.Command(name, help=summary)
    for limit in range(1, 160):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_a_lazy_command_is_imported_once_and_given_the_shared_options() -> None:
    context = click.Context(main, info_name="provisioner")
    first, again = main.get_command(context, "apply"), main.get_command(context, "apply")
    assert first is again
    assert [p.name for p in first.params].count("no_color") == 1
    envvars = {max(p.opts, key=len): p.envvar for p in first.get_params(context)
               if isinstance(p, click.Option)}
    assert envvars["--auto-approve"] == "PROVISIONER_AUTO_APPROVE"
    assert envvars["--env"] == "PROVISIONER_ENV"
    assert envvars["--no-color"] == "PROVISIONER_NO_COLOR"
    assert envvars["--help"] is None
    sandbox = main.get_command(context, "sandbox")
    assert isinstance(sandbox, click.Group)
    pull = sandbox.commands["pull"]
    assert {p.name: p.envvar for p in pull.params if isinstance(p, click.Option)}[
        "target_name"] == "PROVISIONER_TARGET"
    assert main.get_command(context, "no-such-command") is None
    assert main.list_commands(context) == sorted(
        ["apply", "destroy", "emulator", "export", "plan", "render", "sandbox", "schema",
         "status", "validate", "watch"])


# in a fresh interpreter: the group's listing before any lazy command is imported, then
# click's own listing of the real commands, at each width
LISTINGS = """\
import json
import click
from provisioner.cli.commands import LAZY_COMMANDS, main

def listing(format_commands, width):
    context = click.Context(main, info_name="provisioner")
    formatter = click.HelpFormatter(width=width)
    format_commands(main, context, formatter)
    return formatter.getvalue()

widths = range(40, 130, 3)
lazy = [listing(type(main).format_commands, width) for width in widths]
assert not set(LAZY_COMMANDS) & set(main.commands), "imported before the listing"
for name in main.list_commands(click.Context(main)):
    main.get_command(click.Context(main), name)
real = [listing(click.Group.format_commands, width) for width in widths]
print(json.dumps([lazy, real]))
"""


def test_help_lists_the_lazy_commands_as_click_lists_the_real_ones() -> None:
    done = subprocess.run([sys.executable, "-c", LISTINGS], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lazy, real_listing = json.loads(done.stdout)
    assert "Make the site match the spec: plan, show, ask, apply, check." in lazy[-1]
    assert lazy == real_listing


def test_the_group_is_the_one_main_uses() -> None:
    assert isinstance(main, ProvisionerGroup)
