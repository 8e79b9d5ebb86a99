"""A workspace with two environments, each a site on its own emulator server (reached over
loopback HTTP, its key read from the variable its `api_key_env` names), and specs in `events/`
that take template variables: DevCon's edition from each environment's var file (2027 for
staging, 2028 for production) and a meetup's city from each environment's `vars`.

`--env` reads only its own site; `--all-envs` runs every environment at once (proved by a
rendezvous: each server holds its first request until the other server has received one, so
runs one after the other would stall and be caught), reports one section each and the worst
exit code; a missing key names its variable and environment; and the saved-plan flow
(`plan --all-envs --out 'plans/{env}.json'`, `apply --all-envs 'plans/{env}.json'`) applies
exactly the plans saved.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.emulator import create_app
from provisioner.emulator.store import Store
from tests.conftest import grant_new_site, running
from tests.workspace.support import DEVCON, DEVCON_VARS, MEETUP, clean_env, cli, output

NAMES = ("staging", "production")  # in the workspace file's order (not sorted order)
KEY_VARIABLES = {"staging": "WIX_STAGING_API_KEY", "production": "WIX_PRODUCTION_API_KEY"}
CITIES = {"staging": "Boston", "production": "Denver"}
YEARS = {"staging": 2027, "production": 2028}
HOLD_SECONDS = 20.0  # how long a server's first request waits for the other server's


class Rendezvous:
    """While armed, each server holds its first API request until the other server has
    received one: two runs that overlap pass at once; runs one after the other would hold the
    first run's request for HOLD_SECONDS and be recorded in `held_out`. Also notes when each
    server saw its API requests."""

    def __init__(self) -> None:
        self.armed = False
        self.arrived = {name: threading.Event() for name in NAMES}
        self.held_out: list[str] = []
        self.seen: dict[str, list[float]] = {name: [] for name in NAMES}

    def arm(self) -> None:
        self.arrived = {name: threading.Event() for name in NAMES}
        self.held_out, self.seen = [], {name: [] for name in NAMES}
        self.armed = True

    def wrap(self, app: Any, name: str) -> Callable[..., Any]:
        other = next(n for n in NAMES if n != name)

        async def gate(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if self.armed and scope["type"] == "http" and \
                    not scope["path"].startswith("/_emulator/"):
                self.seen[name].append(time.monotonic())
                self.arrived[name].set()
                deadline = time.monotonic() + HOLD_SECONDS
                while not self.arrived[other].is_set():
                    if time.monotonic() > deadline:
                        self.held_out.append(name)
                        break
                    await asyncio.sleep(0.005)
            await app(scope, receive, send)

        return gate


@dataclass
class Emulator:
    base_url: str
    store: Store

    def control(self, path: str, site: str | None = None) -> dict[str, Any]:
        headers = {"wix-site-id": site} if site else {}
        answer = httpx.get(self.base_url + path, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def calls(self, site: str | None = None) -> list[dict[str, Any]]:
        """Every API call the server (or one site on it) answered."""
        requests: list[dict[str, Any]] = self.control("/_emulator/requests", site)["requests"]
        return requests

    def writes(self, site: str) -> list[str]:
        return [f"{c['method']} {c['path']}" for c in self.calls(site)
                if c["method"] != "GET" and not c["route"].endswith(
                    ("/query", "/count", "/count-by-status", "/list"))]

    def events(self, site: str) -> dict[str, dict[str, Any]]:
        """The site's events by slug, as the public API shows them."""
        exported = self.control("/_emulator/sites/export", site)
        return {event["slug"]: event for event in exported["events"]}


@dataclass
class Servers:
    by_env: dict[str, Emulator]
    rendezvous: Rendezvous


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    """Two emulator servers, one per environment, each its own store and port."""
    rendezvous = Rendezvous()
    stores = {name: Store() for name in NAMES}
    apps = {name: rendezvous.wrap(create_app(store=stores[name]), name) for name in NAMES}
    with running(apps["staging"]) as staging_url, running(apps["production"]) as prod_url:
        yield Servers({"staging": Emulator(staging_url, stores["staging"]),
                       "production": Emulator(prod_url, stores["production"])}, rendezvous)


@dataclass
class Workspace:
    root: Path
    servers: Servers
    keys: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.root / "provisioner.toml"

    def env(self, *, without: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
        """The process environment with each environment's key in its variable, except
        those `without`."""
        keys = {KEY_VARIABLES[name]: self.keys[name] for name in NAMES if name not in without}
        return clean_env(**{**keys, **extra})

    def run(self, *args: str | Path, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> Any:
        return cli(cwd or self.root, *args, env=self.env() if env is None else env)

    def server(self, name: str) -> Emulator:
        return self.servers.by_env[name]

    def calls(self, name: str) -> list[dict[str, Any]]:
        """Every call the environment's server answered, for any site."""
        return self.server(name).calls()

    def events(self, name: str) -> dict[str, dict[str, Any]]:
        return self.server(name).events(self.sites[name])

    def header_line(self, name: str) -> int:
        lines = self.file.read_text().splitlines()
        return lines.index(f"[environments.{name}]") + 1


@pytest.fixture
def workspace(tmp_path: Path, servers: Servers) -> Iterator[Workspace]:
    """A fresh workspace with a new, empty site on each server; the servers' request logs
    are cleared so a test sees only its own calls."""
    root = tmp_path / "ws"
    (root / "events").mkdir(parents=True)
    (root / "vars").mkdir()
    (root / "events" / "devcon.yaml").write_text(DEVCON.read_text())
    (root / "events" / "meetup.yaml").write_text(MEETUP)
    found = Workspace(root, servers)
    tables = []
    for name in NAMES:
        (root / "vars" / f"{name}.yaml").write_text(DEVCON_VARS[name].read_text())
        key, site = grant_new_site(servers.by_env[name].store)
        found.keys[name], found.sites[name] = key, site
        tables.append(f"""
[environments.{name}]
site_id = "{site}"
api_key_env = "{KEY_VARIABLES[name]}"
api_url = "{servers.by_env[name].base_url}"
var_files = ["vars/{name}.yaml"]
vars = {{ city = "{CITIES[name]}" }}
""")
    found.file.write_text('[workspace]\nspecs = ["events/"]\n' + "".join(tables))
    for emulator in servers.by_env.values():
        cleared = httpx.delete(emulator.base_url + "/_emulator/requests",
                               headers={"Content-Type": "application/json"})
        assert cleared.status_code == 200, cleared.text
    yield found
    servers.rendezvous.armed = False


def sections(stdout: str) -> dict[str, str]:
    """The human output of --all-envs, split into each environment's section."""
    found: dict[str, str] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("── environment ") and line.endswith(" ──"):
            current = line.removeprefix("── environment ").removesuffix(" ──")
            found[current] = ""
        elif line.startswith("Environments: "):
            current = None
        elif current is not None:
            found[current] += line + "\n"
    return found


def summary(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("Environments: ")]
    assert len(lines) == 1, stdout
    return lines[0]


def test_plan_env_reads_only_its_own_site_with_its_own_variables(
        workspace: Workspace) -> None:
    done = workspace.run("plan", "--env", "staging", "--detailed-exitcode")
    assert done.returncode == 2, output(done)
    url, site = workspace.server("staging").base_url, workspace.sites["staging"]
    first = done.stdout.splitlines()[0]
    assert first == f"Environment: staging · Target: {url} (site {site[:4]}…)", output(done)
    # staging's edition and city; nothing of production's
    assert "Event devcon-2027:" in done.stdout
    assert 'title = "Meetup in Boston"' in done.stdout
    assert "2028" not in done.stdout and "Denver" not in done.stdout, done.stdout
    staging_calls = workspace.calls("staging")
    assert staging_calls, "staging's server received no reads"
    assert {c["site"] for c in staging_calls} == {workspace.sites["staging"]}
    assert workspace.server("staging").writes(workspace.sites["staging"]) == []
    assert workspace.calls("production") == []


def test_apply_all_envs_applies_each_environment_with_its_variables_at_once(
        workspace: Workspace) -> None:
    rendezvous = workspace.servers.rendezvous
    rendezvous.arm()
    done = workspace.run("apply", "--all-envs", "--auto-approve")
    rendezvous.armed = False
    assert done.returncode == 0, output(done)
    # at once: each server's first request was still held when the other server got one
    assert rendezvous.held_out == [], \
        f"{rendezvous.held_out} waited {HOLD_SECONDS} s for the other environment's run"
    staging, production = rendezvous.seen["staging"], rendezvous.seen["production"]
    assert staging and production
    assert max(staging[0], production[0]) < min(staging[-1], production[-1]), \
        "the two runs' requests did not overlap in time"
    # one section each, in the workspace's order, then the summary
    assert done.stdout.index("── environment staging ──") < \
        done.stdout.index("── environment production ──"), done.stdout
    assert summary(done.stdout) == \
        "Environments: staging: ok (exit 0), production: ok (exit 0)."
    parts = sections(done.stdout)
    assert set(parts) == {"staging", "production"}
    for name in NAMES:
        assert parts[name].startswith(f"Environment: {name} · Target: "
                                      f"{workspace.server(name).base_url}"), parts[name]
        assert "Apply complete" in parts[name], parts[name]
        assert "Checked: a new plan finds no changes." in parts[name], parts[name]
    # each site holds its own edition and its own city, and nothing of the other's
    for name in NAMES:
        events = workspace.events(name)
        assert sorted(events) == sorted([f"devcon-{YEARS[name]}", "meetup"]), events.keys()
        assert events[f"devcon-{YEARS[name]}"]["title"] == \
            f"DevCon {YEARS[name]} - Developer Conference"
        assert events["meetup"]["title"] == f"Meetup in {CITIES[name]}"
        assert events["meetup"]["location"]["address"]["city"] == CITIES[name]
        assert {c["site"] for c in workspace.calls(name)} == {workspace.sites[name]}


def test_plan_all_envs_reports_each_environment_and_the_worst_exit_code(
        workspace: Workspace) -> None:
    applied = workspace.run("apply", "--env", "production", "--auto-approve")
    assert applied.returncode == 0, output(applied)
    # staging has changes, production is in line
    done = workspace.run("plan", "--all-envs", "--detailed-exitcode")
    assert done.returncode == 2, output(done)
    assert summary(done.stdout) == \
        "Environments: staging: changes (exit 2), production: no changes (exit 0)."
    parts = sections(done.stdout)
    assert list(parts) == ["staging", "production"]
    assert "Event devcon-2027:" in parts["staging"]
    assert "Plan: 26 to create" in parts["staging"], parts["staging"]
    assert "No changes. The site matches the spec." in parts["production"], parts["production"]
    assert "devcon-2027" not in parts["production"]

    as_json = workspace.run("plan", "--all-envs", "--detailed-exitcode", "--json")
    assert as_json.returncode == 2, output(as_json)
    entries = json.loads(as_json.stdout)["environments"]
    assert [(e["environment"], e["exit_code"]) for e in entries] == \
        [("staging", 2), ("production", 0)]
    for entry in entries:
        assert entry["result"]["environment"] == entry["environment"]
        assert entry["result"]["target"] == (
            f"Target: {workspace.server(entry['environment']).base_url} "
            f"(site {workspace.sites[entry['environment']]})")
        assert any(m.startswith(f"Environment: {entry['environment']} · ")
                   for m in entry["messages"]), entry["messages"]
    assert entries[0]["result"]["summary"]["create"] == 26
    assert entries[1]["result"]["actions"] == []
    assert "Environments: staging: changes (exit 2), production: no changes (exit 0)." in \
        as_json.stderr

    markdown = workspace.run("plan", "--all-envs", "--markdown")
    assert markdown.returncode == 0, output(markdown)
    staging_at = markdown.stdout.index("## Environment `staging`")
    production_at = markdown.stdout.index("## Environment `production`")
    assert staging_at < production_at
    # each section's heading names its environment once (not again in a line below it)
    assert markdown.stdout.count("Environment: `staging`") == 0
    assert markdown.stdout.count("`staging`") == 1
    assert "devcon-2027" in markdown.stdout[staging_at:production_at]


def test_plan_all_envs_with_one_key_missing_names_its_variable_and_fails(
        workspace: Workspace) -> None:
    done = workspace.run("plan", "--all-envs", "--detailed-exitcode",
                         env=workspace.env(without=("production",)))
    assert done.returncode == 1, output(done)
    assert summary(done.stdout) == \
        "Environments: staging: changes (exit 2), production: failed (exit 1)."
    parts = sections(done.stdout)
    assert "Event devcon-2027:" in parts["staging"]
    line = workspace.header_line("production")
    assert parts["production"].strip() == (
        f"Error: WIX_PRODUCTION_API_KEY is not set: environment 'production' "
        f"({workspace.file}:{line}) reads the API key of site {workspace.sites['production']} "
        "from it; set it (in a pipeline, from a secret)"), parts["production"]
    assert "WIX_STAGING_API_KEY" not in done.stdout
    assert workspace.calls("production") == []
    assert workspace.calls("staging") != []

    as_json = workspace.run("plan", "--all-envs", "--json",
                            env=workspace.env(without=("production",)))
    assert as_json.returncode == 1, output(as_json)
    entries = {e["environment"]: e for e in json.loads(as_json.stdout)["environments"]}
    assert entries["production"]["exit_code"] == 1
    assert entries["production"]["result"] is None
    assert any("WIX_PRODUCTION_API_KEY is not set" in m and "'production'" in m
               for m in entries["production"]["messages"]), entries["production"]
    assert entries["staging"]["exit_code"] == 0
    assert entries["staging"]["result"]["environment"] == "staging"


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_missing_key_names_the_variable_and_environment_and_reads_nothing(
        workspace: Workspace, command: tuple[str, ...]) -> None:
    done = workspace.run(*command, "--env", "production",
                         env=workspace.env(without=("production",)))
    assert done.returncode == 1, output(done)
    line = workspace.header_line("production")
    assert done.stderr.strip().splitlines()[-1] == (
        f"Error: WIX_PRODUCTION_API_KEY is not set: environment 'production' "
        f"({workspace.file}:{line}) reads the API key of site {workspace.sites['production']} "
        "from it; set it (in a pipeline, from a secret)"), output(done)
    assert workspace.calls("production") == []
    assert workspace.calls("staging") == []


def test_a_key_set_to_blanks_counts_as_missing(workspace: Workspace) -> None:
    done = workspace.run("plan", "--env", "staging",
                         env=workspace.env(WIX_STAGING_API_KEY="   "))
    assert done.returncode == 1, output(done)
    assert "WIX_STAGING_API_KEY is not set: environment 'staging'" in done.stderr
    assert workspace.calls("staging") == []


def test_the_saved_plan_flow_applies_exactly_the_saved_plans(workspace: Workspace) -> None:
    (workspace.root / "plans").mkdir()
    # one plan file per environment; a name without {env} is bad usage that writes nothing
    shared = workspace.run("plan", "--all-envs", "--out", "plans/x.json")
    assert shared.returncode == 2, output(shared)
    assert "put {env} in the name" in shared.stderr
    assert list((workspace.root / "plans").iterdir()) == []

    saved = workspace.run("plan", "--all-envs", "--out", "plans/{env}.json")
    assert saved.returncode == 0, output(saved)
    assert summary(saved.stdout) == \
        "Environments: staging: ok (exit 0), production: ok (exit 0)."
    assert sorted(p.name for p in (workspace.root / "plans").iterdir()) == \
        ["production.json", "staging.json"]
    for name in NAMES:
        plan = json.loads((workspace.root / "plans" / f"{name}.json").read_text())
        assert plan["target"] == (f"Target: {workspace.server(name).base_url} "
                                  f"(site {workspace.sites[name]})")
        assert f"Saved the plan to plans/{name}.json." in sections(saved.stdout)[name]
    # the plans were read, nothing was written yet
    for name in NAMES:
        assert workspace.server(name).writes(workspace.sites[name]) == []

    # the workspace changes after the review: the saved plans, not the new values, are applied
    text = workspace.file.read_text()
    workspace.file.write_text(text.replace('"Boston"', '"Paris"').replace('"Denver"', '"Rome"'))

    asked = workspace.run("apply", "--all-envs", "plans/{env}.json")
    assert asked.returncode == 2, output(asked)
    assert "--auto-approve" in asked.stderr
    assert "Running for" not in asked.stdout + asked.stderr
    for name in NAMES:
        assert workspace.server(name).writes(workspace.sites[name]) == []
        assert workspace.events(name) == {}

    done = workspace.run("apply", "--all-envs", "plans/{env}.json", "--auto-approve")
    assert done.returncode == 0, output(done)
    assert summary(done.stdout) == \
        "Environments: staging: ok (exit 0), production: ok (exit 0)."
    for name in NAMES:
        events = workspace.events(name)
        assert sorted(events) == sorted([f"devcon-{YEARS[name]}", "meetup"])
        assert events["meetup"]["title"] == f"Meetup in {CITIES[name]}"
    # the edited values are what a new plan would now change
    again = workspace.run("plan", "--all-envs", "--detailed-exitcode")
    assert again.returncode == 2, output(again)
    assert 'title: "Meetup in Boston" → "Meetup in Paris"' in sections(again.stdout)["staging"]
    assert 'title: "Meetup in Denver" → "Meetup in Rome"' in \
        sections(again.stdout)["production"]


def test_apply_all_envs_without_auto_approve_is_bad_usage_that_reads_nothing(
        workspace: Workspace) -> None:
    done = workspace.run("apply", "--all-envs")
    assert done.returncode == 2, output(done)
    assert "plan --all-envs --out 'plans/{env}.json'" in done.stderr
    assert "--auto-approve" in done.stderr
    assert done.stdout == ""
    for name in NAMES:
        assert workspace.calls(name) == []


def test_plan_all_envs_with_target_is_refused_before_any_environment_runs(
        workspace: Workspace) -> None:
    """--all-envs chooses every environment's site, as --env does one's: with --target too,
    it should be one usage error, as `--env NAME --target ...` is, not one per environment
    naming an `--env` the user never typed."""
    done = workspace.run("plan", "--all-envs", "--target", "local")
    assert done.returncode == 2, output(done)
    assert "--target" in done.stderr
    assert "── environment" not in done.stdout, output(done)
    assert "--env staging" not in done.stdout + done.stderr, output(done)


def test_plan_all_envs_reads_a_spec_from_stdin_for_every_environment(
        workspace: Workspace) -> None:
    """`-` reads the spec from standard input: under --all-envs every environment's run
    should get that spec (or the combination be refused), not an empty standard input."""
    spec = MEETUP.replace("name: Hall", "name: Big Hall")
    done = cli(workspace.root, "plan", "--all-envs", "-", env=workspace.env(), stdin=spec)
    assert "the file is empty" not in done.stdout + done.stderr, output(done)
    if done.returncode != 2 or "Usage:" not in done.stderr:
        assert done.returncode == 0, output(done)
        for name in NAMES:
            assert f'title = "Meetup in {CITIES[name]}"' in sections(done.stdout)[name]
