"""`--all-envs`: one command run for every environment of the workspace at once.

Each environment runs as its own `provisioner` process, given the same arguments and
`PROVISIONER_ENV=<name>`: its own client, rate limiter (Wix limits calls per site) and
sandbox lock, and its output kept whole. They all start together; their outputs are printed
one section per environment, in the workspace's order, each as soon as it and the ones before
it are done. The exit code is the worst of theirs: an error (1, or any code but 0 and 2) over
2 (changes under --detailed-exitcode, or bad usage) over 0.

With `--json` the sections are one JSON document, `{"environments": [{"environment", "exit_code",
"result", "messages"}]}`, `result` being what the command alone prints; with `--markdown`, one
markdown document with a heading per environment.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from .common import Selection, color_text, given_as, use_color

ARGV = "provisioner.argv"  # the context's meta key holding the command line as given
ALL_ENVS_FLAG = "--all-envs"
MARKDOWN_BUDGET = 58_000  # bytes for all the environments' plans in one comment


@dataclass(frozen=True)
class Finished:
    """One environment's run: its exit code and what it printed."""

    name: str
    code: int
    out: str
    err: str


def severity(code: int) -> int:
    return 0 if code == 0 else 1 if code == 2 else 2


def worst(codes: Sequence[int]) -> int:
    return max(codes, key=severity, default=0)


def child_arguments(argv: Sequence[str]) -> list[str]:
    """The command line each environment's process gets: this one without `--all-envs`."""
    return [arg for arg in argv if arg != ALL_ENVS_FLAG]


def child_environment(name: str, color: bool, environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment of `name`'s run: it selects `name` and not every environment
    again, and keeps colors when this run shows them (its output is not a terminal)."""
    env = {key: value for key, value in environ.items()
           if key not in ("PROVISIONER_ALL_ENVS", "PROVISIONER_ENV", "FORCE_COLOR")}
    env["PROVISIONER_ENV"] = name
    if color:
        env["FORCE_COLOR"] = "1"
    return env


async def _run_one(arguments: Sequence[str], name: str, merge: bool, color: bool,
                   given: bytes | None) -> Finished:
    import asyncio
    import subprocess

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "provisioner", *arguments,
        stdin=subprocess.DEVNULL if given is None else subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        env=child_environment(name, color, os.environ))
    out, err = await process.communicate(given)
    code = process.returncode or 0
    text = (err or b"").decode("utf-8", "replace")
    if code < 0:  # killed by a signal: say so, and count it as an error
        text += f"\nError: stopped by signal {-code}\n"
        code = 1
    return Finished(name, code, out.decode("utf-8", "replace"), text)


def run_everywhere(names: Sequence[str], mode: str, outcomes: Mapping[int, str]) -> NoReturn:
    """Run the current command for each environment in `names` at once and print the
    sections; `mode` is "human", "json" or "markdown"; `outcomes` words an exit code in the
    closing summary (`{2: "changes"}`). Exits with the worst code."""
    # imported here, not with the module: the command group imports this module at start
    # (for ARGV), and only --all-envs needs asyncio, a large import
    import asyncio

    from ..spec.files import MAX_FILE_BYTES, Unreadable, read_stdin

    context = click.get_current_context()
    arguments = child_arguments(context.find_root().meta.get(ARGV, sys.argv[1:]))
    color = mode == "human" and use_color(sys.stdout)
    names = list(names)
    if mode == "markdown":
        # one pull-request comment holds every environment's plan: each gets its share of
        # GitHub's 65,536 characters (the headings and summary fit in what is left over)
        # (as its variable: an option appended after a `--` would read as a path)
        os.environ["PROVISIONER_MARKDOWN_BUDGET"] = str(max(2_000, MARKDOWN_BUDGET // len(names)))
    click.echo(f"Running for {len(names)} environments at once: {', '.join(names)}",
               err=mode != "human")
    # a spec on standard input is read once and given to every environment
    try:
        given = read_stdin(MAX_FILE_BYTES) if "-" in arguments else None
    except Unreadable as refused:
        raise click.ClickException(f"the spec on standard input {refused}") from None
    finished = asyncio.run(_run_all(arguments, names, mode, color, given))
    if mode == "json":
        click.echo(json.dumps({"environments": [_json_section(f) for f in finished]},
                              indent=2, ensure_ascii=False))
    codes = [f.code for f in finished]
    summary = ", ".join(f"{f.name}: {outcomes.get(f.code, 'failed' if f.code else 'ok')} "
                        f"(exit {f.code})" for f in finished)
    click.echo(color_text(f"Environments: {summary}.", bold=True,
                          fg="red" if severity(worst(codes)) == 2 else None),
               err=mode != "human")
    raise SystemExit(worst(codes))


async def _run_all(arguments: Sequence[str], names: Sequence[str], mode: str,
                   color: bool, given: bytes | None) -> list[Finished]:
    import asyncio

    # human output keeps each run's stderr in place among its lines; machine output keeps
    # stdout clean for the document
    tasks = [asyncio.create_task(_run_one(arguments, name, mode == "human", color, given))
             for name in names]
    done: list[Finished] = []
    for task in tasks:  # in the workspace's order, each printed once it is ready
        finished = await task
        done.append(finished)
        if mode == "human":
            _print_human(finished)
        elif mode == "markdown":
            _print_markdown(finished)
        else:
            sys.stderr.write(_labelled(finished.name, finished.err))
            sys.stderr.flush()
    return done


def _print_human(finished: Finished) -> None:
    click.echo(color_text(f"── environment {finished.name} ──", bold=True))
    click.echo(finished.out.rstrip("\n"))
    click.echo()


def _print_markdown(finished: Finished) -> None:
    sys.stderr.write(_labelled(finished.name, finished.err))
    sys.stderr.flush()
    click.echo(f"## Environment `{finished.name}`\n")
    # the heading names the environment: its own first line would say it again
    out = finished.out.removeprefix(f"Environment: `{finished.name}`\n\n")
    if out.strip():
        click.echo(out.rstrip("\n"))
    # 2 is "changes" under --detailed-exitcode, with the plan printed; else it is a failure
    if finished.code not in (0, 2) or not finished.out.strip():
        last = [line for line in finished.err.splitlines() if line.strip()][-3:]
        click.echo(f"\n**Failed** (exit {finished.code}):\n\n```text\n" +
                   "\n".join(line.replace("```", "'''") for line in last) + "\n```")
    click.echo()


def _labelled(name: str, text: str) -> str:
    return "".join(f"[{name}] {line}\n" for line in text.splitlines())


def _json_section(finished: Finished) -> dict[str, Any]:
    try:
        result = json.loads(finished.out) if finished.out.strip() else None
    except json.JSONDecodeError:
        result = None
    return {"environment": finished.name, "exit_code": finished.code, "result": result,
            "messages": finished.err.splitlines()}


def run_for_all(selection: Selection, env_name: str | None, mode: str,
                outcomes: Mapping[int, str], target_name: str | None = None) -> NoReturn:
    """Hand the command to `run_everywhere` for --all-envs, after checking it can be."""
    all_envs = given_as("all_envs", "--all-envs")
    if env_name:
        raise click.UsageError(f"{given_as('env_name', '--env')} and {all_envs} both choose "
                               "environments; choose one")
    if target_name:
        raise click.UsageError(f"{given_as('target_name', '--target')} and {all_envs}: each "
                               "environment names its own site in provisioner.toml; drop "
                               "--target")
    workspace = selection.workspace
    if workspace is None or not workspace.environments:
        where = f"{workspace.file} names none" if workspace else \
            "there is no provisioner.toml in this folder or above it"
        raise click.UsageError(f"--all-envs runs every environment of the workspace, and "
                               f"{where}")
    run_everywhere(list(workspace.environments), mode, outcomes)
