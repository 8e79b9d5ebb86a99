"""The GitOps example (examples/gitops/) works as shipped.

- actionlint passes on its workflow, and fails on a broken copy of it (so the lint can fail);
- the workflow runs, job by job and step by step, against two real emulator servers (staging
  and production): a small runner here reads the workflow, decides which jobs an event runs
  from their `if:` and `needs:`, expands matrices, and runs every `run:` script with bash as
  GitHub does, in a fresh copy of the example per job whose provisioner.toml points at the
  emulators. Every `${{ ... }}` expression must be one EXPRESSIONS below knows, so the test
  follows the workflow as it changes. `gh` and `pip` are fakes on PATH that record their
  calls (`gh api` answers from canned JSON, filtered by the real `jq` as `--jq` asks); the
  actions the workflow uses are played by the runner (checkout copies the example, the
  artifact actions keep files between runs).

The story: a pull request is planned and commented (then the comment updated on a second
push), its merge applies exactly its saved plans, staging then production; the nightly drift
check finds nothing, closes a stale drift issue, then opens one for an out-of-band edit on
production; a plan that went stale before its merge is refused and the by-hand
plan-and-apply-main run mends it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from provisioner.emulator import create_app
from provisioner.emulator.store import Store
from provisioner.workspace import load_workspace
from tests.conftest import FakeClock, grant_new_site, running

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitops"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "provisioner.yml"
REPOSITORY = "acme/events"
TOKEN = "fake-github-token"
ENVIRONMENTS = ("staging", "production")


# ── the workflow's expressions ──────────────────────────────────────────────────────────────


@dataclass
class Run:
    """One workflow run being played: its event and what its jobs produced."""

    event: str
    run_id: str
    sha: str
    ref: str = "refs/heads/main"
    pull_request: dict[str, Any] | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    results: dict[str, Job] = field(default_factory=dict)


@dataclass
class Job:
    name: str
    result: str = "skipped"  # success, failure or skipped, as `needs.X.result` says
    outputs: dict[str, str] = field(default_factory=dict)
    # per matrix environment ("" without a matrix): each step's name, exit code, output, outputs
    steps: dict[str, list[Step]] = field(default_factory=dict)

    def step(self, step_id: str, environment: str = "") -> Step:
        found = [s for s in self.steps.get(environment, []) if s.id == step_id]
        assert found, f"{self.name} [{environment}] ran no step {step_id!r}: " \
                      f"{[s.id or s.name for s in self.steps.get(environment, [])]}"
        return found[0]


@dataclass
class Step:
    id: str
    name: str
    code: int
    log: str
    outputs: dict[str, str]


@dataclass
class Scope:
    """What an expression can see where it is written."""

    run: Run
    env: dict[str, str]
    matrix: dict[str, str]
    steps: dict[str, Step]

    def pr(self, key: str) -> Any:
        assert self.run.pull_request is not None, f"{key} used outside a pull request run"
        value: Any = self.run.pull_request
        for part in key.split("."):
            value = value[part]
        return value

    def need(self, job: str) -> Job:
        return self.run.results.get(job, Job(job))

    def out(self, step: str, name: str) -> str:
        found = self.steps.get(step)
        return found.outputs.get(name, "") if found else ""


# Every expression the workflow writes, and what it means here. An expression missing from this
# table fails the test: add it, with its meaning, when the workflow gains one.
EXPRESSIONS: dict[str, Callable[[Scope], Any]] = {
    # job conditions
    "github.event_name == 'pull_request'": lambda s: s.run.event == "pull_request",
    "github.event_name == 'push'": lambda s: s.run.event == "push",
    "github.event_name == 'workflow_dispatch' && inputs.task == 'plan-and-apply-main' && "
    "github.ref == 'refs/heads/main'":
        lambda s: s.run.event == "workflow_dispatch"
        and s.run.inputs.get("task") == "plan-and-apply-main" and s.run.ref == "refs/heads/main",
    "github.event_name == 'schedule' || (github.event_name == 'workflow_dispatch' && "
    "inputs.task == 'drift-check')":
        lambda s: s.run.event == "schedule"
        or (s.run.event == "workflow_dispatch" and s.run.inputs.get("task") == "drift-check"),
    "!cancelled() && (needs.find-plan.result == 'success' || needs.replan.result == 'success')":
        lambda s: "success" in (s.need("find-plan").result, s.need("replan").result),
    "!cancelled() && needs.apply-staging.result == 'success'":
        lambda s: s.need("apply-staging").result == "success",
    # values
    "vars.PROVISIONER_PACKAGE || 'wix-events-provisioner'": lambda s: "wix-events-provisioner",
    "github.event.pull_request.number": lambda s: str(s.pr("number")),
    "github.event.pull_request.head.sha": lambda s: s.pr("head.sha"),
    "github.token": lambda s: TOKEN,
    "github.server_url": lambda s: "https://github.com",
    "github.repository": lambda s: REPOSITORY,
    "github.run_id": lambda s: s.run.run_id,
    "github.run_attempt": lambda s: "1",
    "github.sha": lambda s: s.run.sha,
    "secrets.WIX_STAGING_API_KEY": lambda s: s.run.secrets.get("WIX_STAGING_API_KEY", ""),
    "secrets.WIX_PRODUCTION_API_KEY": lambda s: s.run.secrets.get("WIX_PRODUCTION_API_KEY", ""),
    "matrix.environment": lambda s: s.matrix["environment"],
    "env.PYTHON_VERSION": lambda s: s.env["PYTHON_VERSION"],
    "env.PLAN_ARTIFACT": lambda s: s.env["PLAN_ARTIFACT"],
    "env.PLAN_RUN_ID": lambda s: s.env["PLAN_RUN_ID"],
    "steps.plan.outputs.exit-code": lambda s: s.out("plan", "exit-code"),
    "steps.plan.outputs.artifact": lambda s: s.out("plan", "artifact"),
    "steps.find.outputs.run-id": lambda s: s.out("find", "run-id"),
    "steps.find.outputs.artifact": lambda s: s.out("find", "artifact"),
    "steps.drift.outputs.exit-code": lambda s: s.out("drift", "exit-code"),
    "needs.find-plan.outputs.run-id || needs.replan.outputs.run-id":
        lambda s: s.need("find-plan").outputs.get("run-id")
        or s.need("replan").outputs.get("run-id", ""),
    "needs.find-plan.outputs.artifact || needs.replan.outputs.artifact":
        lambda s: s.need("find-plan").outputs.get("artifact")
        or s.need("replan").outputs.get("artifact", ""),
}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STATUS_FUNCTIONS = ("always()", "cancelled()", "success()", "failure()")


def meaning(expression: str, scope: Scope) -> Any:
    if expression not in EXPRESSIONS:
        pytest.fail(f"the workflow writes ${{{{ {expression} }}}}, which this test does not "
                    "know: add it to EXPRESSIONS with what it means")
    return EXPRESSIONS[expression](scope)


def substitute(text: Any, scope: Scope) -> str:
    return EXPRESSION.sub(lambda m: str(meaning(m.group(1), scope)), str(text))


def condition(text: str | None, scope: Scope, needs: list[str]) -> bool:
    """An `if:`: without a status function, GitHub adds `success()` (every need succeeded)."""
    implied = all(scope.need(n).result == "success" for n in needs)
    if text is None:
        return implied
    inner = str(text).strip()
    matched = EXPRESSION.fullmatch(inner)
    inner = matched.group(1) if matched else inner
    if not any(function in inner for function in STATUS_FUNCTIONS) and not implied:
        return False
    return bool(meaning(inner, scope))


# ── the fakes: gh, pip and the GitHub it talks to ───────────────────────────────────────────

FAKE_GH = '''\
#!{python}
"""A stand-in for `gh api`: records each call (fields read from their @files) and answers
from the canned answers the test wrote, filtered by the real jq as --jq asks."""
import json, os, re, subprocess, sys

args = sys.argv[1:]
if args[:1] != ["api"]:
    sys.exit("fake gh: only `gh api` is faked, not `gh " + " ".join(args) + "`")
method, path, jq, flags, fields = None, None, None, [], {{}}
rest = args[1:]
while rest:
    arg = rest.pop(0)
    if arg in ("-X", "--method"):
        method = rest.pop(0)
    elif arg in ("-f", "--raw-field", "-F", "--field"):
        key, _, value = rest.pop(0).partition("=")
        if arg in ("-F", "--field") and value.startswith("@"):
            with open(value[1:], encoding="utf-8") as handle:
                value = handle.read()
        if key.endswith("[]"):
            fields.setdefault(key[:-2], []).append(value)
        else:
            fields[key] = value
    elif arg in ("-q", "--jq"):
        jq = rest.pop(0)
    elif arg in ("--paginate", "--silent"):
        flags.append(arg)
    elif arg.startswith("-") or path is not None:
        sys.exit("fake gh: does not know the argument " + arg)
    else:
        path = arg
method = method or ("POST" if fields else "GET")
call = {{"method": method, "path": path, "fields": fields, "flags": flags, "jq": jq,
        "token": os.environ.get("GH_TOKEN", "")}}
with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(call) + "\\n")
with open(os.environ["FAKE_GH_ANSWERS"], encoding="utf-8") as handle:
    answers = json.load(handle)
for answer_method, pattern, answer in answers:
    if answer_method == method and re.fullmatch(pattern, path):
        break
else:
    sys.exit("fake gh: no canned answer for " + method + " " + path)
if "--silent" in flags:
    sys.exit(0)
text = json.dumps(answer)
if jq is None:
    print(text)
    sys.exit(0)
done = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
sys.exit(done.returncode)
'''

FAKE_PIP = '''\
#!{python}
import json, os, sys
with open(os.environ["FAKE_PIP_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
'''


class GitHub:
    """The fake `gh`'s answers and log, and the artifacts runs upload and download."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        for name, text in (("gh", FAKE_GH), ("pip", FAKE_PIP)):
            tool = self.bin / name
            tool.write_text(text.format(python=sys.executable), encoding="utf-8")
            tool.chmod(0o755)
        self.log = folder / "gh-calls.jsonl"
        self.pip_log = folder / "pip-calls.jsonl"
        self.answers_file = folder / "gh-answers.json"
        self.artifacts: dict[tuple[str, str], Path] = {}
        self.answer([])

    def answer(self, answers: list[tuple[str, str, Any]]) -> None:
        """Canned answers for the next calls: (method, path regex, JSON answer)."""
        self.answers_file.write_text(json.dumps(answers), encoding="utf-8")
        self.log.write_text("", encoding="utf-8")
        self.pip_log.write_text("", encoding="utf-8")

    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def writes(self) -> list[dict[str, Any]]:
        return [c for c in self.calls() if c["method"] != "GET"]

    def pip_calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.pip_log.read_text().splitlines()]


# ── the runner ──────────────────────────────────────────────────────────────────────────────


class Runner:
    """Plays workflow runs the way GitHub would, as far as this workflow needs."""

    def __init__(self, workflow: dict[str, Any], repo: Path, work: Path, github: GitHub) -> None:
        self.workflow = workflow
        self.repo = repo  # the repository's main branch (or a pull request's head) as checked out
        self.work = work
        self.github = github
        assert workflow["defaults"]["run"]["shell"] == "bash"

    def play(self, run: Run) -> dict[str, Job]:
        jobs: dict[str, Any] = self.workflow["jobs"]
        for name in self._order(jobs):
            spec = jobs[name]
            needs = spec.get("needs", [])
            needs = [needs] if isinstance(needs, str) else list(needs)
            scope = Scope(run, {}, {}, {})
            job = Job(name)
            run.results[name] = job
            if not condition(spec.get("if"), scope, needs):
                continue
            matrix = spec.get("strategy", {}).get("matrix", {"": [""]})
            (axis, values), = matrix.items()
            job.result = "success"
            for value in values:
                if not self._play_job(run, name, spec, job, {axis: value} if axis else {}):
                    job.result = "failure"
                    if spec.get("strategy", {}).get("fail-fast", True):
                        break
        return run.results

    def _order(self, jobs: dict[str, Any]) -> list[str]:
        done: list[str] = []
        while len(done) < len(jobs):
            ready = [n for n, j in jobs.items() if n not in done and
                     set(j.get("needs", [])) <= set(done)]
            assert ready, "the jobs' needs make a cycle"
            done.extend(ready)
        return done

    def _play_job(self, run: Run, name: str, spec: dict[str, Any], job: Job,
                  matrix: dict[str, str]) -> bool:
        environment = matrix.get("environment", "")
        workspace = self.work / f"run-{run.run_id}" / f"{name}-{environment or 'job'}"
        shutil.rmtree(workspace, ignore_errors=True)
        workspace.mkdir(parents=True)
        scope = Scope(run, {}, matrix, {})
        env: dict[str, str] = {}
        for key, value in self.workflow.get("env", {}).items():
            env[key] = substitute(value, scope)
        scope.env = env
        for key, value in spec.get("env", {}).items():
            env[key] = substitute(value, scope)
        steps: list[Step] = []
        job.steps[environment] = steps
        for number, step in enumerate(spec["steps"]):
            scope = Scope(run, dict(env), matrix, {s.id: s for s in steps if s.id})
            if "if" in step and not condition(step["if"], scope, []):
                continue
            step_env = dict(env)
            for key, value in step.get("env", {}).items():
                step_env[key] = substitute(value, scope)
            scope.env = step_env
            label = step.get("id") or step.get("name") or step.get("uses") or str(number)
            if "uses" in step:
                done = self._action(run, step["uses"], {k: substitute(v, scope) for k, v in
                                                       step.get("with", {}).items()}, workspace)
            else:
                done = self._script(run, step["run"], step_env, workspace, label)
            steps.append(Step(step.get("id", ""), step.get("name", step.get("uses", "")),
                              *done))
            if done[0] != 0:
                return False
        if "outputs" in spec and not matrix:
            scope = Scope(run, env, matrix, {s.id: s for s in steps if s.id})
            job.outputs = {k: substitute(v, scope) for k, v in spec["outputs"].items()}
        return True

    def _script(self, run: Run, script: str, env: dict[str, str], workspace: Path,
                label: str) -> tuple[int, str, dict[str, str]]:
        # nothing but ${{ }}-free shell reaches bash: the workflow keeps expressions in env:
        assert not EXPRESSION.search(script), f"step {label}: an expression inside run:"
        files = workspace.parent / f".{workspace.name}-{label}"
        files.mkdir(exist_ok=True)
        output, summary = files / "output", files / "summary"
        output.write_text("")
        summary.touch()
        process_env = {
            "PATH": os.pathsep.join([str(self.github.bin), str(Path(sys.executable).parent),
                                     "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(self.work), "LANG": "C.UTF-8",
            "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": run.event, "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SHA": run.sha, "GITHUB_REF": run.ref, "GITHUB_RUN_ID": run.run_id,
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKFLOW": self.workflow["name"],
            "GITHUB_WORKFLOW_REF": f"{REPOSITORY}/.github/workflows/{WORKFLOW.name}@{run.ref}",
            "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(files),
            "FAKE_GH_LOG": str(self.github.log), "FAKE_GH_ANSWERS": str(self.github.answers_file),
            "FAKE_PIP_LOG": str(self.github.pip_log),
            **env,
        }
        if "PROVISIONER_NOW" in os.environ:  # tests/conftest.py's moment, for every spec check
            process_env["PROVISIONER_NOW"] = os.environ["PROVISIONER_NOW"]
        script_file = files / "script.sh"
        script_file.write_text(script, encoding="utf-8")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail",
                               str(script_file)], cwd=workspace, env=process_env,
                              capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout + done.stderr, _outputs(output.read_text())

    def _action(self, run: Run, uses: str, inputs: dict[str, str],
                workspace: Path) -> tuple[int, str, dict[str, str]]:
        action = uses.split("@")[0]
        if action == "actions/checkout":
            shutil.copytree(self.repo, workspace, dirs_exist_ok=True)
        elif action == "actions/setup-python":
            assert re.fullmatch(r"3\.\d+", inputs["python-version"]), inputs
        elif action == "actions/upload-artifact":
            source = workspace / inputs["path"]
            assert any(source.iterdir()), f"{uses}: nothing to upload in {inputs['path']}"
            key = (run.run_id, inputs["name"])
            assert key not in self.github.artifacts, f"{uses}: {key} uploaded twice"
            stored = self.github.folder / "artifacts" / run.run_id / inputs["name"]
            shutil.copytree(source, stored)
            self.github.artifacts[key] = stored
        elif action == "actions/download-artifact":
            assert inputs.get("github-token") == TOKEN, f"{uses}: no token to read another run"
            key = (inputs["run-id"], inputs["name"])
            if key not in self.github.artifacts:
                return 1, f"Artifact not found: {key}", {}
            shutil.copytree(self.github.artifacts[key], workspace / inputs["path"],
                            dirs_exist_ok=True)
        else:
            pytest.fail(f"the workflow uses {uses}, which this test cannot play: teach Runner")
        return 0, "", {}


def _outputs(text: str) -> dict[str, str]:
    """A step's $GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


# ── the sites ───────────────────────────────────────────────────────────────────────────────


@dataclass
class Site:
    name: str
    url: str
    key: str
    site_id: str

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": self.key, "wix-site-id": self.site_id})

    def events(self) -> list[dict[str, Any]]:
        with self.api() as api:
            # Wix's (and the emulator's) default page of events is empty: ask for one
            answer = api.post("/events/v3/events/query",
                              json={"query": {"paging": {"limit": 100}}, "includeDrafts": True})
            assert answer.status_code == 200, answer.text
            return list(answer.json()["events"])

    def tickets(self) -> dict[str, dict[str, Any]]:
        with self.api() as api:
            answer = api.post("/events/v3/ticket-definitions/query", json={"query": {}})
            assert answer.status_code == 200, answer.text
            return {t["name"]: t for t in answer.json()["ticketDefinitions"]}

    def policy(self, name: str) -> dict[str, Any]:
        with self.api() as api:
            answer = api.post("/events/v2/policies/query", json={"query": {}})
            assert answer.status_code == 200, answer.text
            found = [p for p in answer.json()["policies"] if p["name"] == name]
            assert len(found) == 1, found
            return dict(found[0])

    def edit_policy(self, name: str, body: str) -> None:
        """An out-of-band edit, as someone in the Wix dashboard would make it."""
        policy = self.policy(name)
        patch = {"policy": {"id": policy["id"], "eventId": policy["eventId"], "name": name,
                            "revision": policy["revision"], "body": body}}
        with self.api() as api:
            answer = api.patch(f"/events/v2/policies/{policy['id']}", json=patch)
            assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, Site]]:
    """Two emulator servers, one per environment, each with one site."""
    found: dict[str, Site] = {}
    stores = {name: Store() for name in ENVIRONMENTS}
    # the sites' clocks stand before the summit, whenever the test runs
    apps = {name: create_app(store=store, clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
            for name, store in stores.items()}
    with running(apps["staging"]) as staging_url, running(apps["production"]) as production_url:
        for name, url in (("staging", staging_url), ("production", production_url)):
            store = stores[name]
            key, site_id = grant_new_site(store)
            found[name] = Site(name, url, key, site_id)
        yield found


def pointed_at(sites: dict[str, Site], toml: str) -> str:
    """provisioner.toml with each environment's site_id set to its emulator's site, and its
    api_url added: nothing else changes."""
    out: list[str] = []
    table = None
    for line in toml.splitlines():
        header = re.match(r"\[environments\.([A-Za-z0-9_.-]+)\]", line)
        if header:
            table = header.group(1)
        elif line.startswith("[") and not header:
            table = None
        if table and re.match(r"site_id\s*=", line):
            site = sites[table]
            out += [f'site_id = "{site.site_id}"', f'api_url = "{site.url}"']
            continue
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return dict(data)


@pytest.fixture
def pipeline(tmp_path: Path, sites: dict[str, Site], workflow: dict[str, Any]
             ) -> tuple[Runner, GitHub, Path]:
    for tool in ("bash", "jq"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the fake gh filters --jq with the real jq "
                        "(apt-get install jq)")
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    toml = repo / "provisioner.toml"
    toml.write_text(pointed_at(sites, toml.read_text(encoding="utf-8")), encoding="utf-8")
    workspace = load_workspace(toml)
    assert list(workspace.environments) == list(ENVIRONMENTS)
    for name, environment in workspace.environments.items():
        assert environment.site_id == sites[name].site_id
        assert environment.api_url == sites[name].url
    github = GitHub(tmp_path / "github")
    return Runner(workflow, repo, tmp_path / "runners", github), github, repo


def secrets(sites: dict[str, Site]) -> dict[str, str]:
    return {f"WIX_{name.upper()}_API_KEY": site.key for name, site in sites.items()}


def ran(results: dict[str, Job]) -> dict[str, str]:
    return {name: job.result for name, job in results.items() if job.result != "skipped"}


def logs(job: Job) -> str:
    return "\n".join(f"--- {env} {s.name or s.id} (exit {s.code})\n{s.log}"
                     for env, steps in job.steps.items() for s in steps)


def pr_answers(comments: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return [("GET", rf"repos/{REPOSITORY}/issues/\d+/comments", comments),
            ("POST", rf"repos/{REPOSITORY}/issues/\d+/comments", {"id": 901}),
            ("PATCH", rf"repos/{REPOSITORY}/issues/comments/\d+", {"id": 555})]


def merge_answers(number: int, head: str, run_id: str,
                  expired: bool = False) -> list[tuple[str, str, Any]]:
    return [
        ("GET", rf"repos/{REPOSITORY}/commits/\w+/pulls",
         [{"number": number + 1, "merged_at": None, "head": {"sha": "f" * 40}},
          {"number": number, "merged_at": "2027-01-05T10:00:00Z", "head": {"sha": head}}]),
        ("GET", rf"repos/{REPOSITORY}/actions/workflows/provisioner\.yml/runs\?.*",
         {"total_count": 1, "workflow_runs": [{"id": int(run_id)}]}),
        ("GET", rf"repos/{REPOSITORY}/actions/runs/\d+/artifacts\?name=.*",
         {"artifacts": [{"name": f"plans-pr-{number}-{head}", "expired": expired}]}),
    ]


def drift_answers(open_issues: list[dict[str, Any]],
                  bodies: dict[int, str] | None = None) -> list[tuple[str, str, Any]]:
    answers: list[tuple[str, str, Any]] = [
        ("GET", rf"repos/{REPOSITORY}/issues\?state=open&labels=provisioner-drift&.*",
         [{"pull_request": None, **issue} for issue in open_issues]),
        ("POST", rf"repos/{REPOSITORY}/issues", {"number": 77}),
        ("POST", rf"repos/{REPOSITORY}/issues/\d+/comments", {"id": 1}),
        ("PATCH", rf"repos/{REPOSITORY}/issues/\d+", {}),
    ]
    for number, body in (bodies or {}).items():
        answers.append(("GET", rf"repos/{REPOSITORY}/issues/{number}", {"body": body}))
    return answers


# ── the tests ───────────────────────────────────────────────────────────────────────────────


def actionlint() -> str:
    """The actionlint executable: beside this Python (pip install '.[test]') or on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    if beside.is_file():
        return str(beside)
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: `pip install '.[test]'` brings it (CI "
                    "installs it, and this check must run there)")
    return found


def test_actionlint_passes_on_the_workflow() -> None:
    done = subprocess.run([actionlint(), "-no-color", str(WORKFLOW)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_fails_on_a_broken_copy_of_the_workflow(tmp_path: Path) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    breakages = {
        "PLAN_EXIT_CODE: ${{ steps.plan.outputs.exit-code }}":
            "PLAN_EXIT_CODE: ${{ steps.plna.outputs.exit-code }}",  # no such step
        "      pull-requests: write": "      pull-request: write",  # no such permission
    }
    for old, new in breakages.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    broken = tmp_path / ".github" / "workflows" / "provisioner.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text, encoding="utf-8")
    done = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True,
                          text=True, timeout=120)
    report = done.stdout + done.stderr
    assert done.returncode == 1, report
    assert "plna" in report and "pull-request" in report, report


def test_the_schema_beside_the_example_is_the_one_provisioner_prints() -> None:
    """The example ships the editor schema its spec points at (`provisioner schema --out
    schemas/event-spec.schema.json`): it must be this version's."""
    done = subprocess.run([sys.executable, "-m", "provisioner", "schema"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shipped = (EXAMPLE / "schemas" / "event-spec.schema.json").read_text(encoding="utf-8")
    assert shipped == done.stdout, "run: provisioner schema --out " \
                                   "examples/gitops/schemas/event-spec.schema.json"


def test_the_two_apply_jobs_differ_only_in_their_environment(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    staging, production = jobs["apply-staging"], jobs["apply-production"]
    assert staging["steps"] == production["steps"]
    assert staging["strategy"]["matrix"] == {"environment": ["staging"]}
    assert production["strategy"]["matrix"] == {"environment": ["production"]}
    assert "apply-staging" in production["needs"]
    for job in (staging, production):
        assert job["concurrency"] == {"group": "provisioner-${{ matrix.environment }}",
                                      "cancel-in-progress": False}
        assert job["environment"] == "${{ matrix.environment }}"
        assert job["permissions"] == {"contents": "read", "actions": "read"}
    # each apply job holds its own site's key only
    assert set(staging["env"]) - {"PLAN_RUN_ID", "PLAN_ARTIFACT"} == {"WIX_STAGING_API_KEY"}
    assert set(production["env"]) - {"PLAN_RUN_ID", "PLAN_ARTIFACT"} == \
        {"WIX_PRODUCTION_API_KEY"}
    assert workflow["permissions"] == {}
    assert all("permissions" in job for job in jobs.values())
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert workflow["on"]["push"]["branches"] == ["main"]


def test_the_pipeline_plans_applies_and_finds_drift(
        pipeline: tuple[Runner, GitHub, Path], sites: dict[str, Site]) -> None:
    runner, github, repo = pipeline
    keys = secrets(sites)
    staging, production = sites["staging"], sites["production"]

    # 1. a pull request: validated, planned, the plan commented and kept
    github.answer(pr_answers([]))
    first = Run("pull_request", "1001", "a" * 40, "refs/pull/7/merge",
                {"number": 7, "head": {"sha": "b" * 40}}, secrets=keys)
    results = runner.play(first)
    assert ran(results) == {"plan": "success"}, logs(results["plan"])
    assert results["plan"].step("plan").outputs == {"exit-code": "2"}
    assert github.pip_calls() == [["install", "wix-events-provisioner"]]
    writes = github.writes()
    assert [(c["method"], c["path"]) for c in writes] == \
        [("POST", f"repos/{REPOSITORY}/issues/7/comments")], github.calls()
    body = writes[0]["fields"]["body"]
    assert body.startswith("<!-- provisioner-plan -->\n")
    assert "## Environment `staging`" in body and "## Environment `production`" in body
    assert body.index("## Environment `staging`") < body.index("## Environment `production`")
    assert "[Staging] Platform Summit 2027" in body and '"Platform Summit 2027"' in body
    assert f"plans-pr-7-{'b' * 40}" in body and "Merging applies exactly this plan" in body
    assert all(c["token"] == TOKEN for c in github.calls())
    plans = github.artifacts[("1001", f"plans-pr-7-{'b' * 40}")]
    assert sorted(p.name for p in plans.iterdir()) == \
        ["plan.md", "production.json", "staging.json"]
    assert staging.events() == [] and production.events() == []  # a plan only reads

    # 2. another push to it: the same comment is updated, not a second one made
    others = [{"id": 554, "user": {"login": "a-reviewer"},
               "body": "quoting <!-- provisioner-plan --> in a review"},
              {"id": 555, "user": {"login": "github-actions[bot]"},
               "body": "<!-- provisioner-plan -->\nold plan"}]
    github.answer(pr_answers(others))
    second = Run("pull_request", "1002", "c" * 40, "refs/pull/7/merge",
                 {"number": 7, "head": {"sha": "d" * 40}}, secrets=keys)
    results = runner.play(second)
    assert ran(results) == {"plan": "success"}, logs(results["plan"])
    writes = github.writes()
    assert [(c["method"], c["path"]) for c in writes] == \
        [("PATCH", f"repos/{REPOSITORY}/issues/comments/555")]
    assert "## Environment `production`" in writes[0]["fields"]["body"]

    # 3. the merge: exactly the last plan of the pull request is applied, staging first
    github.answer(merge_answers(7, "d" * 40, "1002"))
    merge = Run("push", "1003", "e" * 40, secrets=keys)
    results = runner.play(merge)
    assert ran(results) == {"find-plan": "success", "apply-staging": "success",
                            "apply-production": "success"}, \
        "\n".join(logs(job) for job in results.values())
    queries = [c["path"] for c in github.calls()]
    assert queries[0] == f"repos/{REPOSITORY}/commits/{'e' * 40}/pulls"
    assert f"head_sha={'d' * 40}" in queries[1] and "event=pull_request" in queries[1] \
        and "status=success" in queries[1]
    assert github.writes() == []
    for name, site in sites.items():
        apply_log = results[f"apply-{name}"].steps[name][-1].log
        assert "Apply complete" in apply_log, apply_log
        [event] = site.events()
        assert event["title"] == \
            ("[Staging] " if name == "staging" else "") + "Platform Summit 2027"
        assert event["status"] == "UPCOMING"
        limit = site.tickets()["General Admission"]["initialLimit"]
        assert limit == (20 if name == "staging" else 400)

    # 4. the nightly drift check: both sites match; an open drift issue is closed
    github.answer(drift_answers([{"number": 12, "title": "Drift: production"}]))
    nightly = Run("schedule", "1004", "e" * 40, secrets=keys)
    results = runner.play(nightly)
    assert ran(results) == {"drift": "success"}, logs(results["drift"])
    for name in ENVIRONMENTS:
        assert results["drift"].step("drift", name).outputs == {"exit-code": "0"}
    writes = github.writes()
    assert [(c["method"], c["path"]) for c in writes] == [
        ("POST", f"repos/{REPOSITORY}/issues/12/comments"),
        ("PATCH", f"repos/{REPOSITORY}/issues/12")], writes
    assert writes[1]["fields"] == {"state": "closed", "state_reason": "completed"}

    # 5. someone edits a policy on the production site: the drift check opens an issue
    production.edit_policy("Refund Policy", "No refunds, ever.")
    github.answer(drift_answers([]))
    results = runner.play(Run("schedule", "1005", "e" * 40, secrets=keys))
    assert ran(results) == {"drift": "success"}, logs(results["drift"])
    assert results["drift"].step("drift", "staging").outputs == {"exit-code": "0"}
    assert results["drift"].step("drift", "production").outputs == {"exit-code": "2"}
    [opened] = github.writes()
    assert (opened["method"], opened["path"]) == ("POST", f"repos/{REPOSITORY}/issues")
    assert opened["fields"]["title"] == "Drift: production"
    assert opened["fields"]["labels"] == ["provisioner-drift"]
    issue_body = opened["fields"]["body"]
    assert 'update policy "Refund Policy"' in issue_body and "No refunds, ever." in issue_body
    assert "Environment: `production`" in issue_body

    # 6. the next night, the same drift: the issue is left as it is; a different one updates it
    github.answer(drift_answers([{"number": 77, "title": "Drift: production"}],
                                {77: issue_body}))
    results = runner.play(Run("schedule", "1006", "e" * 40, secrets=keys))
    assert ran(results) == {"drift": "success"}, logs(results["drift"])
    assert github.writes() == []
    github.answer(drift_answers([{"number": 77, "title": "Drift: production"}],
                                {77: "an older drift"}))
    results = runner.play(Run("schedule", "1007", "e" * 40, secrets=keys))
    writes = github.writes()
    assert [(c["method"], c["path"]) for c in writes] == [
        ("PATCH", f"repos/{REPOSITORY}/issues/77"),
        ("POST", f"repos/{REPOSITORY}/issues/77/comments")], writes
    assert writes[0]["fields"]["body"] == issue_body

    # 7. a pull request changes the policy; production is edited again before it merges:
    # its plan is stale, so production refuses it (staging applies); planning main by hand
    # then applies what main says everywhere
    spec = repo / "events" / "summit.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count("Cancel until 30 days") == 1
    spec.write_text(text.replace("Cancel until 30 days", "Cancel until 45 days"),
                    encoding="utf-8")
    github.answer(pr_answers([]))
    results = runner.play(Run("pull_request", "1008", "1" * 40, "refs/pull/8/merge",
                              {"number": 8, "head": {"sha": "2" * 40}}, secrets=keys))
    assert ran(results) == {"plan": "success"}, logs(results["plan"])
    production.edit_policy("Refund Policy", "Refunds by appointment.")
    github.answer(merge_answers(8, "2" * 40, "1008"))
    results = runner.play(Run("push", "1009", "3" * 40, secrets=keys))
    assert ran(results) == {"find-plan": "success", "apply-staging": "success",
                            "apply-production": "failure"}
    refused = results["apply-production"].steps["production"][-1]
    assert refused.code == 1 and "the plan is stale" in refused.log, refused.log
    assert "45 days" in staging.policy("Refund Policy")["body"]
    assert production.policy("Refund Policy")["body"] == "Refunds by appointment."

    github.answer([])
    dispatch = Run("workflow_dispatch", "1010", "3" * 40, inputs={"task": "plan-and-apply-main"},
                   secrets=keys)
    results = runner.play(dispatch)
    assert ran(results) == {"replan": "success", "apply-staging": "success",
                            "apply-production": "success"}, \
        "\n".join(logs(job) for job in results.values())
    assert github.calls() == []
    assert ("1010", f"plans-main-{'3' * 40}-1") in github.artifacts
    assert "45 days" in production.policy("Refund Policy")["body"]

    github.answer(drift_answers([]))
    results = runner.play(Run("workflow_dispatch", "1011", "3" * 40,
                              inputs={"task": "drift-check"}, secrets=keys))
    assert ran(results) == {"drift": "success"}
    for name in ENVIRONMENTS:
        assert results["drift"].step("drift", name).outputs == {"exit-code": "0"}
    assert github.writes() == []


def test_a_failed_plan_is_commented_and_fails_the_job(
        pipeline: tuple[Runner, GitHub, Path], sites: dict[str, Site]) -> None:
    """A pull request from a fork gets no secrets: the comment says which variable of which
    environment is missing, nothing is kept to apply, and the run fails."""
    runner, github, _ = pipeline
    keys = secrets(sites)
    del keys["WIX_PRODUCTION_API_KEY"]
    github.answer(pr_answers([]))
    results = runner.play(Run("pull_request", "2001", "a" * 40, "refs/pull/9/merge",
                              {"number": 9, "head": {"sha": "9" * 40}}, secrets=keys))
    assert ran(results) == {"plan": "failure"}
    plan = results["plan"]
    assert plan.step("plan").outputs == {"exit-code": "1"}
    [comment] = github.writes()
    body = comment["fields"]["body"]
    assert "**Failed** (exit 1)" in body and "WIX_PRODUCTION_API_KEY is not set" in body
    assert "environment 'production'" in body and "**The plan failed**" in body
    assert plan.steps[""][-1].name == "Fail if the plan failed"
    assert not github.artifacts


def test_a_push_that_no_pull_request_planned_applies_nothing(
        pipeline: tuple[Runner, GitHub, Path], sites: dict[str, Site]) -> None:
    runner, github, _ = pipeline
    github.answer([("GET", rf"repos/{REPOSITORY}/commits/\w+/pulls", [])])
    results = runner.play(Run("push", "3001", "4" * 40, secrets=secrets(sites)))
    assert ran(results) == {"find-plan": "failure"}
    log = results["find-plan"].step("find").log
    assert "did not come through a pull request" in log, log


def test_an_expired_plan_is_not_applied(
        pipeline: tuple[Runner, GitHub, Path], sites: dict[str, Site]) -> None:
    runner, github, _ = pipeline
    github.answer(merge_answers(5, "5" * 40, "4000", expired=True))
    results = runner.play(Run("push", "4001", "6" * 40, secrets=secrets(sites)))
    assert ran(results) == {"find-plan": "failure"}
    log = results["find-plan"].step("find").log
    assert "are expired" in log and "plan-and-apply-main" in log, log


def test_the_workflow_scripts_are_plain_shell() -> None:
    """Every run: script reads what it needs from env:, so it can be run outside GitHub."""
    text = WORKFLOW.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    scripts = [step["run"] for job in data["jobs"].values() for step in job["steps"]
               if "run" in step]
    assert scripts and not [s for s in scripts if EXPRESSION.search(s)]
    commands = "\n".join(scripts)
    for command in ("provisioner validate --all-envs",
                    "provisioner plan --all-envs --markdown --detailed-exitcode",
                    "--out 'plans/{env}.json'",
                    'provisioner apply --env "$ENVIRONMENT" "plans/$ENVIRONMENT.json" '
                    "--auto-approve",
                    'provisioner plan --env "$ENVIRONMENT" --detailed-exitcode --markdown'):
        assert command in commands, command


def test_validate_problems_become_annotations(tmp_path: Path) -> None:
    """The Validate step's problem matcher turns each problem `provisioner validate` prints
    into an annotation at its file and line: errors as errors, warnings as warnings."""
    [step] = [s for s in yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["plan"]
              ["steps"] if s.get("name") == "Validate"]
    matcher_file = re.search(r"::add-matcher::(\S+)\"", step["run"])
    assert matcher_file, step["run"]
    matcher = json.loads((EXAMPLE / matcher_file.group(1)).read_text(encoding="utf-8"))
    [pattern] = matcher["problemMatcher"][0]["pattern"]
    regexp = re.compile(pattern["regexp"])  # this one reads the same in JavaScript and Python

    spec = tmp_path / "events" / "summit.yaml"
    spec.parent.mkdir()
    text = (EXAMPLE / "events" / "summit.yaml").read_text(encoding="utf-8")
    for old, new in (('fixedPrice: "499.00"', "fixedPrice: 499.0"),  # an error
                     ("stageName: Terrace", "stageNme: Terrace"),  # another
                     ("default: 2027-09-14", "default: 2024-09-14")):  # a warning: it is over
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    spec.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "provisioner", "validate", "events/"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1, done.stdout + done.stderr
    found = []
    for line in done.stdout.splitlines():
        match = regexp.match(line)
        if match:
            found.append((match.group(pattern["file"]), int(match.group(pattern["line"])),
                          match.group(pattern["severity"]) or "error",
                          match.group(pattern["message"]).split(":")[0]))
    lines = text.splitlines()

    def line_of(words: str) -> int:
        return next(n for n, line in enumerate(lines, start=1) if words in line)

    assert sorted(found) == sorted([
        ("events/summit.yaml", line_of("endDate: day 2"), "warning",
         "events[0].dateAndTimeSettings.endDate"),
        ("events/summit.yaml", line_of("fixedPrice: 499.0"), "error",
         "events[0].tickets[1].pricingMethod.fixedPrice"),
        ("events/summit.yaml", line_of("stageNme"), "error",
         "events[0].schedule.items[2].stageNme"),
    ]), done.stdout
