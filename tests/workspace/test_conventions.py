"""Command-line conventions, through the real CLI as a subprocess: PROVISIONER_<OPTION>
variables act like their flags (a flag on the command line wins), bad usage never reads as
"changes" under --detailed-exitcode, `-` reads a spec from standard input, colors follow
--no-color, NO_COLOR and FORCE_COLOR, `schema` prints the published schemas, `--help` tells
of the variables, and shell completion offers the workspace's environments."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.apply.support import requests_after
from tests.conftest import Server
from tests.workspace.support import (
    CATEGORY,
    ESCAPE,
    MEETUP,
    ROOT,
    clean_env,
    cli,
    no_workspace_above,
    output,
)

INVALID = "version: 1\nevents:\n  - slug: x\n    titel: y\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with no workspace above it and a spec that plans changes on the (empty)
    local sandbox there."""
    no_workspace_above(tmp_path)
    (tmp_path / "spec.yaml").write_text(CATEGORY)
    return tmp_path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with two local environments, each its own sandbox and city."""
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "meetup.yaml").write_text(MEETUP)
    (tmp_path / "provisioner.toml").write_text("""\
[workspace]
specs = ["events/"]

[environments.staging]
target = "local"
sandbox = "staging.sqlite3"
vars = { city = "Boston" }

[environments.production]
target = "local"
sandbox = "production.sqlite3"
vars = { city = "Denver" }
""")
    return tmp_path


# --- PROVISIONER_<OPTION> -------------------------------------------------------------------

def test_provisioner_target_acts_like_target_and_the_flag_wins(
        server: Server, api: httpx.Client, folder: Path) -> None:
    env = clean_env(WIX_API_KEY=api.api_key, WIX_SITE_ID=api.site_id,  # type: ignore[attr-defined]
                    PROVISIONER_TARGET=server.base_url)
    done = cli(folder, "plan", "spec.yaml", env=env)
    assert done.returncode == 0, output(done)
    assert done.stdout.startswith(f"Target: {server.base_url} (site {api.site_id[:4]}…)")  # type: ignore[attr-defined]
    reads = requests_after(api, 0)
    assert reads, "the emulator received no reads"
    flagged = cli(folder, "plan", "spec.yaml", "--target", "local", env=env)
    assert flagged.returncode == 0, output(flagged)
    assert flagged.stdout.startswith("Target: local sandbox (.provisioner/sandbox.sqlite3)")
    assert len(requests_after(api, 0)) == len(reads)


def test_provisioner_env_acts_like_env_and_the_flag_wins(workspace: Path) -> None:
    def planned(*args: str, **env: str) -> dict[str, object]:
        done = cli(workspace, "plan", "--json", *args, env=clean_env(**env))
        assert done.returncode == 0, output(done)
        result: dict[str, object] = json.loads(done.stdout)
        return result

    by_variable = planned(PROVISIONER_ENV="production")
    assert by_variable["environment"] == "production"
    assert by_variable["target"] == \
        f"Target: local sandbox ({workspace / 'production.sqlite3'})"
    assert planned("--env", "staging", PROVISIONER_ENV="production")["environment"] == \
        "staging"
    assert "environment" not in planned("--var", "city=Oslo")


def test_provisioner_detailed_exitcode_acts_like_the_flag(folder: Path) -> None:
    assert cli(folder, "plan", "spec.yaml").returncode == 0
    done = cli(folder, "plan", "spec.yaml", env=clean_env(PROVISIONER_DETAILED_EXITCODE="1"))
    assert done.returncode == 2, output(done)
    assert "+ category \"Workspace Tests\"" in done.stdout
    assert cli(folder, "plan", "spec.yaml", "--detailed-exitcode").returncode == 2


def test_provisioner_auto_approve_acts_like_the_flag(folder: Path) -> None:
    refused = cli(folder, "apply", "spec.yaml", "--target", "local")
    assert refused.returncode == 1, output(refused)
    done = cli(folder, "apply", "spec.yaml", "--target", "local",
               env=clean_env(PROVISIONER_AUTO_APPROVE="1"))
    assert done.returncode == 0, output(done)
    assert "Apply complete: 1 applied" in done.stdout


# --- usage errors under --detailed-exitcode --------------------------------------------------

@pytest.mark.parametrize("args, env, code", [
    (("plan", "spec.yaml", "--bogus"), {}, 2),
    (("plan", "spec.yaml", "--bogus", "--detailed-exitcode"), {}, 1),
    (("plan", "spec.yaml", "--detailed-exitcode", "--json", "--markdown"), {}, 1),
    (("plan", "spec.yaml", "--bogus"), {"PROVISIONER_DETAILED_EXITCODE": "1"}, 1),
    (("plan", "spec.yaml", "--bogus"), {"PROVISIONER_DETAILED_EXITCODE": "true"}, 1),
    (("plan", "spec.yaml", "--bogus"), {"PROVISIONER_DETAILED_EXITCODE": "0"}, 2),
    (("plan", "spec.yaml", "--target", "nowhere", "--detailed-exitcode"), {}, 1),
    (("plan", "spec.yaml", "--env", "staging", "--detailed-exitcode"), {}, 1),
    (("plan", "spec.yaml", "--env", "staging"), {}, 2),
])
def test_bad_usage_exits_1_under_detailed_exitcode_and_2_otherwise(
        folder: Path, args: tuple[str, ...], env: dict[str, str], code: int) -> None:
    done = cli(folder, *args, env=clean_env(**env))
    assert done.returncode == code, output(done)
    assert "Usage: provisioner plan" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("value", ["yes", "on"])
def test_every_true_value_of_provisioner_detailed_exitcode_keeps_usage_errors_apart(
        folder: Path, value: str) -> None:
    """Click reads on/yes/y/t as true, so the variable turns --detailed-exitcode on (a plan
    with changes exits 2); a usage error must then exit 1, not 2."""
    env = clean_env(PROVISIONER_DETAILED_EXITCODE=value)
    changes = cli(folder, "plan", "spec.yaml", env=env)
    assert changes.returncode == 2, output(changes)
    bad = cli(folder, "plan", "spec.yaml", "--bogus", env=env)
    assert bad.returncode == 1, output(bad)


# --- `-`: a spec on standard input -------------------------------------------------------------

def test_validate_reads_a_spec_from_stdin(folder: Path) -> None:
    done = cli(folder, "validate", "-", stdin=CATEGORY)
    assert done.returncode == 0, output(done)
    assert done.stdout == "Valid: 1 file, 1 category; 0 warnings.\n"
    bad = cli(folder, "validate", "-", stdin=INVALID)
    assert bad.returncode == 1, output(bad)
    assert "<stdin>:4:5: events[0].titel: unknown field `titel`; did you mean `title`?" in \
        bad.stdout.splitlines()
    assert bad.stdout.splitlines()[-1] == "Invalid: 4 errors and 0 warnings in 1 file."
    as_json = cli(folder, "validate", "-", "--json", stdin=INVALID)
    assert {p["file"] for p in json.loads(as_json.stdout)["problems"]} == {"<stdin>"}


def test_plan_reads_a_spec_from_stdin(folder: Path) -> None:
    done = cli(folder, "plan", "-", "--target", "local", "--detailed-exitcode", stdin=CATEGORY)
    assert done.returncode == 2, output(done)
    assert '+ category "Workspace Tests"' in done.stdout
    bad = cli(folder, "plan", "-", "--target", "local", stdin=INVALID)
    assert bad.returncode == 1, output(bad)
    assert "<stdin>:4:5: events[0].titel: unknown field `titel`; did you mean `title`?" in \
        bad.stderr.splitlines()
    assert "Error: the spec has 4 errors; nothing was read from the site" in bad.stderr


def test_stdin_with_the_workspace_environment_variables(workspace: Path) -> None:
    done = cli(workspace / "events", "plan", "-", "--env", "production", "--json",
               stdin=MEETUP)
    assert done.returncode == 0, output(done)
    plan = json.loads(done.stdout)
    assert plan["sources"] == ["<stdin>"]
    assert [a["body"]["title"] for a in plan["actions"]] == ["Meetup in Denver"]


# --- colors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, env, colored", [
    ((), {}, False),  # a pipe is not a terminal
    ((), {"FORCE_COLOR": "1"}, True),
    (("--no-color",), {"FORCE_COLOR": "1"}, False),
    (("--group-no-color",), {"FORCE_COLOR": "1"}, False),
    ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
])
def test_colors_follow_no_color_and_force_color(folder: Path, args: tuple[str, ...],
                                                env: dict[str, str], colored: bool) -> None:
    group = ["--no-color"] if "--group-no-color" in args else []
    command = [a for a in args if a != "--group-no-color"]
    done = cli(folder, *group, "plan", "spec.yaml", "--detailed-exitcode", *command,
               env=clean_env(color=True, **env))
    assert done.returncode == 2, output(done)
    assert '+ category "Workspace Tests"' in re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    assert (ESCAPE in done.stdout) is colored, repr(done.stdout)
    assert ESCAPE not in done.stderr or colored


def test_colors_of_all_envs_sections(workspace: Path) -> None:
    forced = cli(workspace, "plan", "--all-envs", env=clean_env(color=True, FORCE_COLOR="1"))
    assert forced.returncode == 0, output(forced)
    # the environments' own output keeps its colors although their stdout was a pipe
    staging = forced.stdout.split("environment production")[0]
    assert f"{ESCAPE}32m" in staging and "Meetup in Boston" in staging, repr(staging)
    for args in (("--no-color", "plan", "--all-envs"), ("plan", "--all-envs", "--no-color")):
        plain = cli(workspace, *args, env=clean_env(color=True, FORCE_COLOR="1"))
        assert plain.returncode == 0, output(plain)
        assert ESCAPE not in plain.stdout + plain.stderr, repr(plain.stdout)
        assert "── environment staging ──" in plain.stdout


def test_validate_all_envs_checks_each_environment_with_its_variables(
        workspace: Path) -> None:
    text = (workspace / "provisioner.toml").read_text()
    (workspace / "provisioner.toml").write_text(
        text.replace('city = "Denver"', 'city = ["Denver"]'))
    done = cli(workspace, "validate", "--all-envs")
    assert done.returncode == 1, output(done)
    assert done.stdout.splitlines()[-1] == \
        "Environments: staging: ok (exit 0), production: invalid (exit 1)."
    production = done.stdout.split("── environment production ──")[1]
    assert "provisioner.toml [environments.production] vars: variable `city`: expected text, " \
           "found a list" in production
    assert "Valid: 1 file, 1 event; 0 warnings." in done.stdout.split("production ──")[0]


# --- schema, --help, completion ----------------------------------------------------------------

def test_schema_prints_the_published_schemas(tmp_path: Path) -> None:
    published = (ROOT / "schemas" / "event-spec.schema.json").read_text()
    strict = (ROOT / "schemas" / "event-spec.strict.schema.json").read_text()
    assert published != strict
    done = cli(tmp_path, "schema")
    assert done.returncode == 0, output(done)
    assert json.loads(done.stdout) == json.loads(published)
    assert done.stdout == published
    done = cli(tmp_path, "schema", "--strict")
    assert done.returncode == 0, output(done)
    assert done.stdout == strict
    (tmp_path / "out").mkdir()
    done = cli(tmp_path, "schema", "--strict", "--out", "out/schema.json")
    assert done.returncode == 0, output(done)
    assert done.stdout == ""
    assert done.stderr == "Wrote the strict spec schema to out/schema.json.\n"
    assert (tmp_path / "out" / "schema.json").read_text() == strict


def test_help_works_and_tells_of_the_variables(tmp_path: Path) -> None:
    for command in ([sys.executable, "-m", "provisioner", "--help"],
                    [str(Path(sys.executable).parent / "provisioner"), "--help"]):
        done = subprocess.run(command, cwd=tmp_path, env=clean_env(), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Usage: provisioner [OPTIONS] COMMAND [ARGS]...")
        text = " ".join(done.stdout.split())
        assert "Every option can also be set as PROVISIONER_<OPTION>" in text
        assert "a flag on the command line wins" in text
    for command in ("validate", "plan", "apply", "destroy"):
        done = cli(tmp_path, command, "--help")
        assert "--all-envs" in done.stdout and "--env NAME" in done.stdout, command
    for command in (("export",), ("render",), ("sandbox", "pull")):
        done = cli(tmp_path, *command, "--help")
        assert "--env NAME" in done.stdout and "--all-envs" not in done.stdout, command


def complete(cwd: Path, words: str, script: bool = False) -> list[str]:
    """What bash completion offers for the last word of `words` (click's protocol)."""
    program = [str(Path(sys.executable).parent / "provisioner")] if script else \
        [sys.executable, "-m", "provisioner"]
    env = clean_env(_PROVISIONER_COMPLETE="bash_complete", COMP_WORDS=words,
                    COMP_CWORD=str(len(words.split(" ")) - 1))
    done = subprocess.run(program, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_completion_offers_the_workspace_environments(workspace: Path) -> None:
    assert complete(workspace, "provisioner plan --env ", script=True) == \
        ["plain,production", "plain,staging"]
    assert complete(workspace / "events", "provisioner apply --env pro") == \
        ["plain,production"]
    assert complete(workspace, "provisioner validate --env x") == []


def test_completion_outside_a_workspace_offers_nothing(tmp_path: Path) -> None:
    no_workspace_above(tmp_path)
    assert complete(tmp_path, "provisioner plan --env ") == []
    # and a broken workspace file breaks no shell
    (tmp_path / "provisioner.toml").write_text("[environments\n")
    assert complete(tmp_path, "provisioner plan --env ") == []


def test_all_envs_markdown_shares_one_comment_budget(tmp_path: Path) -> None:
    """Three environments' plans of 60 events with long texts fit in one pull-request comment:
    each environment's markdown gets its share of GitHub's 65,536 characters."""
    no_workspace_above(tmp_path)
    events = "\n".join(
        f"  - slug: big-{n}\n    title: Big {n}\n"
        f"    shortDescription: {'A long description that takes room. ' * 8}\n"
        "    location: {type: VENUE, name: Hall, address: {city: Oslo, country: NO}}\n"
        "    dateAndTimeSettings: {timeZoneId: Europe/Oslo, startDate: 2027-03-01T18:00, "
        "endDate: 2027-03-01T21:00}\n    registration: {initialType: RSVP}"
        for n in range(60))
    (tmp_path / "events.yaml").write_text(f"version: 1\nevents:\n{events}\n")
    (tmp_path / "provisioner.toml").write_text(
        '[workspace]\nspecs = ["events.yaml"]\n' + "".join(
            f'[environments.{name}]\ntarget = "local"\nsandbox = "{name}.sqlite3"\n'
            for name in ("one", "two", "three")))
    alone = cli(tmp_path, "plan", "--env", "one", "--markdown")
    assert alone.returncode == 0, alone.stderr
    assert len(alone.stdout) > 30_000  # one environment alone would take half the comment
    together = cli(tmp_path, "plan", "--all-envs", "--markdown")
    assert together.returncode == 0, together.stderr
    for name in ("one", "two", "three"):
        assert f"## Environment `{name}`" in together.stdout
    assert len(together.stdout.encode("utf-8")) < 65_536
    # the budget made room by leaving out the create lines' fields, which one alone shows
    assert "shortDescription" in alone.stdout
    assert "shortDescription" not in together.stdout


def test_a_refused_key_names_the_environments_variable(tmp_path: Path,
                                                        server: Server) -> None:
    """The API's 401 hint names the variable the environment reads its key from, not
    WIX_API_KEY, which the run never read."""
    no_workspace_above(tmp_path)
    _, site = server.new_site()
    (tmp_path / "spec.yaml").write_text(CATEGORY)
    (tmp_path / "provisioner.toml").write_text(
        f'[workspace]\nspecs = ["spec.yaml"]\n[environments.prod]\nsite_id = "{site}"\n'
        f'api_key_env = "WIX_PROD_KEY"\napi_url = "{server.base_url}"\n')
    done = cli(tmp_path, "plan", "--env", "prod", env=clean_env(WIX_PROD_KEY="not-the-key"))
    assert done.returncode == 1, output(done)
    assert "401" in done.stderr
    assert "Check WIX_PROD_KEY (the key of environment 'prod')" in done.stderr
    assert "WIX_API_KEY" not in done.stderr
