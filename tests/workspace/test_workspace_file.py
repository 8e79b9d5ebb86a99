"""`provisioner.toml`: read and checked whole by `load_workspace` (every mistake named with its
file and line, an API key written into it refused without being repeated, unknown keys with a
did-you-mean), found from the current folder upwards by the real CLI, and the local sandbox
kept at the workspace's root; without a workspace every command behaves as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.client.errors import ProvisionerError
from provisioner.client.target import DEFAULT_WIX_URL, SANDBOX_PATH
from provisioner.workspace import (
    Environment,
    WorkspaceError,
    environment_target,
    find_workspace,
    load_workspace,
)
from tests.workspace.support import (
    CATEGORY,
    DEVCON_2025,
    MEETUP,
    clean_env,
    cli,
    no_workspace_above,
    output,
)

# What a real Wix API key looks like (a JWT behind `IST.`): the kind of value pasted by mistake
A_KEY = "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.eyJkYXRhIjoie1wiaWRcIjpcImFiY1wifSJ9"


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "provisioner.toml"
    file.write_text(text)
    return file


def refused(tmp_path: Path, text: str) -> str:
    file = write(tmp_path, text)
    with pytest.raises(WorkspaceError) as caught:
        load_workspace(file)
    message = str(caught.value)
    assert message.startswith(str(file)), message
    return message


# --- load_workspace: a file that is right ---------------------------------------------------

FULL = """\
# the whole file
[workspace]
specs = ["events/", "more.yaml"]
sandbox = "state/box.sqlite3"

[environments.staging]
site_id = "site-staging"
api_key_env = "WIX_STAGING_API_KEY"
api_url = "http://127.0.0.1:8787/"
var_files = ["vars/staging.yaml"]
vars = { city = "Boston", limit = 10, day = 2027-01-02 }
description = "what reviewers see"

[environments.production]
site_id = "site-production"
api_key_env = "WIX_PRODUCTION_API_KEY"

[environments.rehearsal]
target = "local"
sandbox = "state/rehearsal.sqlite3"
"""


def test_a_whole_workspace_file_is_read_in_order_with_its_lines(tmp_path: Path) -> None:
    workspace = load_workspace(write(tmp_path, FULL))
    assert workspace.root == tmp_path
    assert workspace.specs == ("events/", "more.yaml")
    assert workspace.sandbox == "state/box.sqlite3"
    assert list(workspace.environments) == ["staging", "production", "rehearsal"]
    staging = workspace.environments["staging"]
    assert staging == Environment(
        "staging", "url", "site-staging", "WIX_STAGING_API_KEY", "http://127.0.0.1:8787",
        ("vars/staging.yaml",), staging.variables, line=6)
    assert dict(staging.variables) == {"city": "Boston", "limit": 10,
                                       "day": staging.variables["day"]}
    assert str(staging.variables["day"]) == "2027-01-02"
    production = workspace.environments["production"]
    assert (production.target, production.api_url, production.line) == \
        ("wix", DEFAULT_WIX_URL, 14)
    rehearsal = workspace.environments["rehearsal"]
    assert (rehearsal.target, rehearsal.sandbox, rehearsal.site_id, rehearsal.line) == \
        ("local", "state/rehearsal.sqlite3", "", 18)


def test_defaults_of_an_almost_empty_file(tmp_path: Path) -> None:
    workspace = load_workspace(write(tmp_path, "[environments.box]\ntarget = \"local\"\n"))
    assert workspace.specs == ()
    assert workspace.sandbox == SANDBOX_PATH
    assert workspace.environments["box"].sandbox == SANDBOX_PATH
    assert load_workspace(write(tmp_path, "")).environments == {}


def test_an_environment_target_reads_its_key_from_the_variable_named(tmp_path: Path) -> None:
    workspace = load_workspace(write(tmp_path, FULL))
    target = environment_target(workspace, workspace.environments["staging"],
                                {"WIX_STAGING_API_KEY": " the-key ", "WIX_API_KEY": "other"})
    assert (target.name, target.base_url, target.api_key, target.site_id) == \
        ("url", "http://127.0.0.1:8787", "the-key", "site-staging")
    local = environment_target(workspace, workspace.environments["rehearsal"], {})
    assert local.name == "local"
    assert Path(local.sandbox_path).resolve() == tmp_path / "state" / "rehearsal.sqlite3"


def test_a_missing_key_names_the_variable_the_environment_and_its_line(
        tmp_path: Path) -> None:
    file = write(tmp_path, FULL)
    workspace = load_workspace(file)
    with pytest.raises(ProvisionerError) as caught:
        environment_target(workspace, workspace.environments["production"],
                           {"WIX_STAGING_API_KEY": "k", "WIX_API_KEY": "k"})
    assert str(caught.value) == (
        f"WIX_PRODUCTION_API_KEY is not set: environment 'production' ({file}:14) reads the "
        "API key of site site-production from it; set it (in a pipeline, from a secret)")


def test_a_key_that_cannot_be_sent_is_refused_without_being_shown(tmp_path: Path) -> None:
    workspace = load_workspace(write(tmp_path, FULL))
    with pytest.raises(ProvisionerError) as caught:
        environment_target(workspace, workspace.environments["staging"],
                           {"WIX_STAGING_API_KEY": "secret-part\nsecond-line"})
    message = str(caught.value)
    assert message.startswith("WIX_STAGING_API_KEY (the API key of environment 'staging'")
    assert "U+000A" in message
    assert "secret-part" not in message and "second-line" not in message


def test_the_file_is_found_from_a_folder_below(tmp_path: Path) -> None:
    file = write(tmp_path / "ws", "")
    (tmp_path / "ws" / "events" / "deep").mkdir(parents=True)
    assert find_workspace(tmp_path / "ws" / "events" / "deep") == file
    assert find_workspace(tmp_path / "ws") == file
    # a folder named provisioner.toml is not a workspace file
    (tmp_path / "other" / "provisioner.toml").mkdir(parents=True)
    no_workspace_above(tmp_path)
    assert find_workspace(tmp_path / "other") is None


# --- load_workspace: mistakes ----------------------------------------------------------------

def test_a_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    message = refused(tmp_path, '[workspace]\nspecs = [events/]\n')
    assert message == (f"{tmp_path / 'provisioner.toml'}: not valid TOML: Invalid value (at "
                       "line 2, column 10)")


def test_an_unknown_key_gets_a_did_you_mean_and_its_line(tmp_path: Path) -> None:
    message = refused(tmp_path, '[workspace]\nspec = ["events/"]\n')
    assert message == (f"{tmp_path / 'provisioner.toml'}:2: [workspace] spec: unknown key "
                       "`spec`; did you mean `specs`? the keys are: specs, sandbox")
    message = refused(tmp_path, '[environments.prod]\nsite_id = "s"\napi_key_env = "K"\n'
                                'api-url = "http://127.0.0.1:1"\n')
    assert ":4: [environments.prod] api-url: unknown key `api-url`; did you mean `api_url`?" \
        in message
    message = refused(tmp_path, '[workspaces]\nspecs = ["events/"]\n')
    assert "unknown table or key `workspaces`; did you mean [workspace]?" in message
    assert message.startswith(f"{tmp_path / 'provisioner.toml'}:1: "), message


@pytest.mark.parametrize("key", ["api_key", "API_KEY", "apiKey", "api-key", "token",
                                 "wix_api_key", "secret"])
def test_an_api_key_written_in_the_file_is_refused_without_echoing_it(
        tmp_path: Path, key: str) -> None:
    message = refused(tmp_path, f'[environments.prod]\nsite_id = "s"\n{key} = "{A_KEY}"\n')
    assert f":3: [environments.prod] {key}: never write an API key in this file" in message
    assert "api_key_env" in message
    assert A_KEY not in message
    assert A_KEY[4:20] not in message


def test_an_api_key_in_the_workspace_table_is_refused_too(tmp_path: Path) -> None:
    message = refused(tmp_path, f'[workspace]\napi_key = "{A_KEY}"\n')
    assert ":2: [workspace] api_key: never write an API key" in message
    assert A_KEY not in message


@pytest.mark.parametrize("value", [A_KEY, "1abc", "WIX-KEY", "$WIX_KEY", "my key"])
def test_api_key_env_must_be_a_variable_name(tmp_path: Path, value: str) -> None:
    message = refused(tmp_path, f'[environments.prod]\nsite_id = "s"\n'
                                f'api_key_env = "{value}"\n')
    assert ":3: [environments.prod] api_key_env: " in message
    assert "is not the name of an environment variable" in message
    assert "never the key itself" in message


def test_api_key_env_holding_a_key_is_not_repeated_in_the_message(tmp_path: Path) -> None:
    """The message says the value looks like the key itself; a CI log must not get it."""
    message = refused(tmp_path, f'[environments.prod]\nsite_id = "s"\n'
                                f'api_key_env = "{A_KEY}"\n')
    assert A_KEY not in message, message
    assert A_KEY[4:20] not in message, message


def test_a_wix_environment_needs_a_site_id_and_a_key_variable(tmp_path: Path) -> None:
    message = refused(tmp_path, '[workspace]\n\n[environments.prod]\n'
                                'api_key_env = "WIX_PROD_API_KEY"\n')
    assert message.endswith(":3: [environments.prod]: `site_id` is required for a Wix site "
                            "(such as site_id = \"<the site's id>\"), or set target = \"local\""), \
        message
    message = refused(tmp_path, '[environments.eu-prod]\nsite_id = "s"\n')
    assert "`api_key_env` is required" in message
    assert 'api_key_env = "WIX_EU_PROD_API_KEY"' in message


@pytest.mark.parametrize("key, value", [("site_id", '"abc"'), ("api_key_env", '"K"'),
                                        ("api_url", '"http://127.0.0.1:1"')])
def test_a_local_environment_takes_no_site(tmp_path: Path, key: str, value: str) -> None:
    message = refused(tmp_path, f'[environments.box]\ntarget = "local"\n{key} = {value}\n')
    assert f":3: [environments.box] {key}: a local environment is the embedded sandbox" in \
        message


@pytest.mark.parametrize("text, expected", [
    ('[environments.p]\ntarget = "emulator"\n', ':2: [environments.p] target: expected "wix"'),
    ('[environments.p]\nsite_id = "s"\napi_key_env = "K"\nsandbox = "x.sqlite3"\n',
     ':4: [environments.p] sandbox: only a target = "local" environment has a sandbox'),
    ('[environments.p]\nsite_id = "s"\napi_key_env = "K"\napi_url = "ftp://x"\n',
     ":4: [environments.p] api_url: expected an http(s) URL"),
    ('[environments.p]\nsite_id = "s"\napi_key_env = "K"\n'
     'api_url = "http://user:pw@127.0.0.1:1"\n', ":4: [environments.p] api_url: "),
    ('[environments.p]\nsite_id = "s"\napi_key_env = "K"\nvars = ["a"]\n',
     ":4: [environments.p] vars: expected a table of name = value"),
    ('[environments.p]\ntarget = "local"\nvars = { "bad-name" = 1 }\n',
     ":3: [environments.p] vars: 'bad-name' is not a variable name"),
    ('[environments.p]\ntarget = "local"\nvar_files = "one.yaml"\nspecs = []\n',
     ":4: [environments.p] specs: unknown key `specs`"),
    ('[environments."bad name"]\ntarget = "local"\n',
     ":1: [environments.bad name]: an environment's name is letters"),
    ('[workspace]\nspecs = [1]\n', ":2: [workspace] specs: expected a list of paths"),
    ('[workspace]\nsandbox = 3\n', ":2: [workspace] sandbox: expected text in quotes, "
                                   "found the number 3"),
    ('environments = 3\n', ": `environments` must be tables"),
    ('[environments.p]\nsite_id = "s\\u200b"\napi_key_env = "K"\n',
     ":2: [environments.p] site_id: contains a character that cannot be sent"),
])
def test_each_mistake_is_named_with_its_line(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refused(tmp_path, text)


def test_a_credential_in_api_url_is_not_repeated(tmp_path: Path) -> None:
    message = refused(tmp_path, '[environments.p]\nsite_id = "s"\napi_key_env = "K"\n'
                                'api_url = "http://127.0.0.1:1/?api_key=hunter2secret"\n')
    assert "hunter2secret" not in message


@pytest.mark.parametrize("text", [
    '[enviroments.prod]\ntarget = "local"\n',  # a misspelled table with a name
    '# the specs, before any table\nspecs = ["events/"]\n',  # a key outside [workspace]
])
def test_every_mistake_has_a_line_number(tmp_path: Path, text: str) -> None:
    """The module promises "every mistake named with its line"."""
    message = refused(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'provisioner.toml'}:"), message
    line = message.removeprefix(f"{tmp_path / 'provisioner.toml'}:").split(":")[0]
    assert line.isdigit() and int(line) > 0, message


def test_an_unknown_environment_lists_the_ones_there_are(tmp_path: Path) -> None:
    workspace = load_workspace(write(tmp_path, FULL))
    with pytest.raises(WorkspaceError) as caught:
        workspace.environment("stagign")
    assert "--env stagign: no such environment; did you mean 'staging'? the environments " \
           "are: production, rehearsal, staging" in str(caught.value)
    empty = load_workspace(write(tmp_path, ""))
    with pytest.raises(WorkspaceError) as caught:
        empty.environment("staging")
    assert "the workspace names no environments" in str(caught.value)


# --- through the CLI ----------------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with specs in events/ (a category and the meetup, whose city comes from
    the environment), two local environments and one on Wix."""
    root = tmp_path / "ws"
    (root / "events").mkdir(parents=True)
    (root / "events" / "category.yaml").write_text(CATEGORY)
    (root / "events" / "meetup.yaml").write_text(MEETUP)
    write(root, """\
[workspace]
specs = ["events/"]

[environments.rehearsal]
target = "local"
vars = { city = "Lyon" }

[environments.other]
target = "local"
sandbox = "other.sqlite3"
vars = { city = "Nice" }

[environments.production]
site_id = "site-production"
api_key_env = "WIX_PRODUCTION_API_KEY"
vars = { city = "Paris" }
""")
    return root


def test_a_broken_workspace_file_fails_every_command_that_reads_specs(
        workspace: Path) -> None:
    (workspace / "provisioner.toml").write_text('[workspace]\nspecs = "events/"\n'
                                                '[environments.x]\ntarget = "locale"\n')
    for args in (("validate",), ("validate", "events/category.yaml"),
                 ("plan", "--target", "local", "events/category.yaml")):
        done = cli(workspace, *args)
        assert done.returncode == 1, output(done)
        assert done.stderr.strip() == (
            f"Error: {workspace / 'provisioner.toml'}:4: [environments.x] target: expected "
            "\"wix\" (the default) or \"local\" (the embedded sandbox), not 'locale'; for an "
            "emulator or a proxy set api_url"), output(done)
        assert done.stdout == ""
    assert not (workspace / ".provisioner").exists()


def test_an_api_key_in_the_file_is_refused_by_the_cli_without_echoing_it(
        workspace: Path) -> None:
    text = (workspace / "provisioner.toml").read_text()
    (workspace / "provisioner.toml").write_text(text + f'api_key = "{A_KEY}"\n')
    done = cli(workspace, "plan", "--env", "production")
    assert done.returncode == 1, output(done)
    assert "[environments.production] api_key: never write an API key in this file" in \
        done.stderr
    assert A_KEY not in done.stdout + done.stderr
    assert A_KEY[4:20] not in done.stdout + done.stderr


def test_an_unknown_env_is_bad_usage_listing_the_environments(workspace: Path) -> None:
    done = cli(workspace, "plan", "--env", "rehersal")
    assert done.returncode == 2, output(done)
    assert done.stderr.startswith("Usage: provisioner plan")
    assert done.stderr.strip().endswith(
        f"Error: {workspace / 'provisioner.toml'}: --env rehersal: no such environment; did "
        "you mean 'rehearsal'? the environments are: other, production, rehearsal")
    assert not (workspace / ".provisioner").exists()


def test_env_and_target_together_are_bad_usage(workspace: Path) -> None:
    done = cli(workspace, "plan", "--env", "rehearsal", "--target", "local")
    assert done.returncode == 2, output(done)
    assert "Error: --env rehearsal and --target both say where calls go; choose one" in \
        done.stderr
    assert done.stdout == ""


def test_env_without_any_workspace_is_bad_usage(tmp_path: Path) -> None:
    no_workspace_above(tmp_path)
    (tmp_path / "spec.yaml").write_text(CATEGORY)
    for command in ("validate", "plan", "apply", "export"):
        done = cli(tmp_path, command, "--env", "staging",
                   *(["spec.yaml"] if command != "export" else []))
        assert done.returncode == 2, f"{command}: {output(done)}"
        assert "--env staging: there is no provisioner.toml in this folder or above it" in \
            done.stderr, command
    done = cli(tmp_path, "plan", "--all-envs", "spec.yaml")
    assert done.returncode == 2, output(done)
    assert "there is no provisioner.toml in this folder or above it" in done.stderr
    assert not (tmp_path / ".provisioner").exists()


def test_commands_in_a_subfolder_find_the_workspace_and_its_specs(workspace: Path) -> None:
    below = workspace / "events"
    done = cli(below, "validate", "--env", "rehearsal", "--json")
    assert done.returncode == 0, output(done)
    result = json.loads(done.stdout)
    assert result["environment"] == "rehearsal"
    assert result["counts"]["files"] == 2
    assert result["counts"]["events"] == 1 and result["counts"]["categories"] == 1
    # the environment's variables reached the spec: a plan shows its city
    planned = cli(below, "plan", "--env", "other", "--json")
    assert planned.returncode == 0, output(planned)
    plan = json.loads(planned.stdout)
    assert plan["environment"] == "other"
    titles = [a["body"].get("title") for a in plan["actions"] if a["kind"] == "event"]
    assert titles == ["Meetup in Nice"]
    assert plan["target"] == f"Target: local sandbox ({workspace / 'other.sqlite3'})"
    assert "Environment: other · Target: local sandbox (" in planned.stderr
    # deeper still, and without --env: the workspace's specs all the same
    (below / "deep").mkdir()
    done = cli(below / "deep", "validate", "--var", "city=Oslo")
    assert done.returncode == 0, output(done)
    assert done.stdout.startswith("Valid: 2 files, 1 category, 1 event;"), done.stdout


def test_a_workspace_without_specs_asks_for_a_path(workspace: Path) -> None:
    (workspace / "provisioner.toml").write_text('[environments.box]\ntarget = "local"\n')
    done = cli(workspace, "validate", "--env", "box")
    assert done.returncode == 2, output(done)
    assert f"{workspace / 'provisioner.toml'} lists no `specs` under [workspace]" in \
        done.stderr


def test_environment_variables_come_before_the_command_line(workspace: Path) -> None:
    """env var_files, then env vars, then PROVISIONER_VAR_*, --var-file, --var."""
    (workspace / "vars.yaml").write_text("city: FromVarFile\n")
    text = (workspace / "provisioner.toml").read_text()
    (workspace / "provisioner.toml").write_text(text.replace(
        'target = "local"\nvars = { city = "Lyon" }',
        'target = "local"\nvar_files = ["vars.yaml"]'))
    (workspace / "cli.yaml").write_text("city: FromCliFile\n")

    def city(*args: str, **env: str) -> str:
        # from a subfolder: the environment's var_files are relative to the workspace
        done = cli(workspace / "events", "plan", "--env", "rehearsal", "--json", *args,
                   env=clean_env(**env))
        assert done.returncode == 0, output(done)
        plan = json.loads(done.stdout)
        (title,) = [a["body"]["title"] for a in plan["actions"] if a["kind"] == "event"]
        return str(title)

    assert city() == "Meetup in FromVarFile"
    assert city(PROVISIONER_VAR_city="FromEnv") == "Meetup in FromEnv"
    assert city("--var-file", "../cli.yaml", PROVISIONER_VAR_city="FromEnv") == \
        "Meetup in FromCliFile"
    assert city("--var-file", "../cli.yaml", "--var", "city=FromFlag") == "Meetup in FromFlag"
    # the env's own `vars` win over its var_files
    (workspace / "provisioner.toml").write_text(text.replace(
        'target = "local"\nvars = { city = "Lyon" }',
        'target = "local"\nvar_files = ["vars.yaml"]\nvars = { city = "FromVars" }'))
    assert city() == "Meetup in FromVars"


def test_a_workspace_variable_the_spec_does_not_declare_is_a_warning(workspace: Path) -> None:
    text = (workspace / "provisioner.toml").read_text()
    (workspace / "provisioner.toml").write_text(
        text.replace('vars = { city = "Lyon" }', 'vars = { city = "Lyon", seats = 3 }'))
    done = cli(workspace, "validate", "--env", "rehearsal")
    assert done.returncode == 0, output(done)
    assert "provisioner.toml [environments.rehearsal] vars: warning: no variable `seats` is " \
           "declared by this spec; the value is not used" in done.stdout
    assert "1 warning" in done.stdout
    # the same name given on the command line is an error, as before
    flagged = cli(workspace, "validate", "--env", "rehearsal", "--var", "seats=3")
    assert flagged.returncode == 1, output(flagged)


# --- the local sandbox at the workspace's root --------------------------------------------

def test_the_sandbox_lives_at_the_workspace_root(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "events" / "nested").mkdir(parents=True)
    (root / "events" / "devcon.yaml").write_text(DEVCON_2025.read_text())
    write(root, '[workspace]\nspecs = ["events/"]\n')
    applied = cli(root, "apply", "--target", "local", "--auto-approve")
    assert applied.returncode == 0, output(applied)
    assert applied.stdout.startswith("Target: local sandbox (.provisioner/sandbox.sqlite3)")
    assert "Apply complete: 28 applied" in applied.stdout
    sandbox = root / ".provisioner" / "sandbox.sqlite3"
    for cwd in (root / "events", root / "events" / "nested"):
        planned = cli(cwd, "plan", "--target", "local", "--detailed-exitcode")
        assert planned.returncode == 0, output(planned)
        assert planned.stdout.splitlines() == [
            f"Target: local sandbox ({sandbox})", "No changes. The site matches the spec."]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob(".provisioner")) == \
        ["ws/.provisioner"]
    # a saved plan names the sandbox by its absolute path, wherever it is applied from
    (root / "events" / "devcon.yaml").write_text(
        DEVCON_2025.read_text().replace("Tech Plaza", "Tech Square"))
    saved = cli(root / "events" / "nested", "plan", "--target", "local", "--out", "p.json")
    assert saved.returncode == 0, output(saved)
    assert json.loads((root / "events" / "nested" / "p.json").read_text())["target"] == \
        f"Target: local sandbox ({sandbox})"
    done = cli(root, "apply", "events/nested/p.json", "--target", "local", "--auto-approve")
    assert done.returncode == 0, output(done)
    assert "Apply complete: 1 applied" in done.stdout
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob(".provisioner")) == \
        ["ws/.provisioner"]


def test_without_a_workspace_the_sandbox_stays_in_the_current_folder(tmp_path: Path) -> None:
    no_workspace_above(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    spec = tmp_path / "spec.yaml"
    spec.write_text(CATEGORY)
    applied = cli(tmp_path / "a", "apply", spec, "--target", "local", "--auto-approve")
    assert applied.returncode == 0, output(applied)
    assert applied.stdout.startswith("Target: local sandbox (.provisioner/sandbox.sqlite3)")
    assert (tmp_path / "a" / ".provisioner" / "sandbox.sqlite3").is_file()
    # another folder is another sandbox: it has nothing yet
    planned = cli(tmp_path / "a" / "b", "plan", spec, "--target", "local",
                  "--detailed-exitcode")
    assert planned.returncode == 2, output(planned)
    assert "+ category \"Workspace Tests\"" in planned.stdout
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob(".provisioner")) == \
        ["a/.provisioner", "a/b/.provisioner"]


def test_without_a_workspace_commands_need_their_paths_as_before(tmp_path: Path) -> None:
    no_workspace_above(tmp_path)
    (tmp_path / "spec.yaml").write_text(CATEGORY)
    for command in ("validate", "plan", "apply"):
        done = cli(tmp_path, command)
        assert done.returncode == 2, f"{command}: {output(done)}"
        assert "no spec given: name spec files or folders (or `-` for standard input); " \
               "there is no provisioner.toml here or above" in done.stderr, command
    done = cli(tmp_path, "validate", "spec.yaml")
    assert done.returncode == 0, output(done)
    assert done.stdout == "Valid: 1 file, 1 category; 0 warnings.\n"


# --- `{env}` in a path ---------------------------------------------------------------------

def test_env_in_a_spec_path_means_the_same_to_plan_and_apply(workspace: Path) -> None:
    """`apply --env NAME 'specs/{env}.yaml'` reads specs/NAME.yaml; `plan` given the same
    arguments should read the same spec (or both refuse `{env}` outside a saved plan's name),
    or a reviewed plan is not what apply runs."""
    (workspace / "specs").mkdir()
    (workspace / "specs" / "rehearsal.yaml").write_text(CATEGORY)
    planned = cli(workspace, "plan", "--env", "rehearsal", "specs/{env}.yaml")
    applied = cli(workspace, "apply", "--env", "rehearsal", "specs/{env}.yaml",
                  "--auto-approve")
    assert applied.returncode == 0, output(applied)
    assert 'category "Workspace Tests"' in applied.stdout
    assert planned.returncode == 0, output(planned)
    assert '+ category "Workspace Tests"' in planned.stdout


@pytest.mark.parametrize("choice", [("--env", "rehearsal"), ("--all-envs",)])
def test_destroy_with_env_does_not_ask_for_env(workspace: Path,
                                               choice: tuple[str, ...]) -> None:
    """`destroy --env NAME 'specs/{env}.yaml'` (or --all-envs) should not answer "choose one
    with --env NAME (or --all-envs)": the command line did choose."""
    (workspace / "specs").mkdir()
    for name in ("rehearsal", "other", "production"):
        (workspace / "specs" / f"{name}.yaml").write_text(CATEGORY)
    done = cli(workspace, "destroy", *choice, "specs/{env}.yaml", "--auto-approve")
    assert "choose one with --env NAME" not in done.stderr, output(done)
