"""The workspace file, `provisioner.toml`: found from the current directory upwards (as git
finds `.git`), it names the default spec paths, where the local sandbox lives, and the
environments (sites) a spec is applied to, each with its own template variables.

    [workspace]
    specs = ["events/"]                      # what `plan`, `apply`... read when given no path

    [environments.staging]
    site_id = "…"
    api_key_env = "WIX_STAGING_API_KEY"      # the NAME of the variable holding the key
    api_url = "http://127.0.0.1:8787"        # optional: an emulator or a proxy
    var_files = ["vars/staging.yaml"]
    vars = { ticket_limit = 10 }

    [environments.rehearsal]
    target = "local"                         # the embedded sandbox at the workspace root

Paths in the file are relative to the folder holding it. The file is checked whole when it is
read, every mistake named with its line; an API key written into it is refused, since the
file is meant to be committed. `environment_target` turns an environment into the `Target`
every command already knows, reading its key from the process environment.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client.errors import ProvisionerError
from .client.target import (
    DEFAULT_WIX_URL,
    SANDBOX_PATH,
    Target,
    checked_url,
    header_value_problem,
    url_problem,
)

FILE_NAME = "provisioner.toml"
MAX_WORKSPACE_BYTES = 1024 * 1024
ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# the name of the variable holding a key: capitals, as such variables are named, so a key
# pasted in its place (mixed case, dots, dashes) is refused without being repeated
KEY_VARIABLE_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
TOP_KEYS = ("workspace", "environments")
WORKSPACE_KEYS = ("specs", "sandbox")
ENVIRONMENT_KEYS = ("target", "site_id", "api_key_env", "api_url", "var_files", "vars",
                    "sandbox", "description")
TARGETS = ("wix", "local")
# keys that would put a secret into a file meant to be committed
SECRET_KEYS = ("api_key", "apikey", "key", "wix_api_key", "token", "secret", "password")


class WorkspaceError(ProvisionerError):
    """A `provisioner.toml` that cannot be used: its message names the file and line."""


@dataclass(frozen=True)
class Environment:
    """One site a workspace applies its specs to."""

    name: str
    target: str  # "wix", "url" (api_url given) or "local"
    site_id: str = ""
    api_key_env: str = ""
    api_url: str = ""
    var_files: tuple[str, ...] = ()  # as given, relative to the workspace root
    variables: Mapping[str, Any] = field(default_factory=dict)
    sandbox: str = SANDBOX_PATH  # local only, relative to the workspace root
    line: int = 0  # of its `[environments.NAME]` header


@dataclass(frozen=True)
class Workspace:
    """A read `provisioner.toml`: the folder it is in, its spec paths and environments."""

    file: Path
    specs: tuple[str, ...] = ()
    sandbox: str = SANDBOX_PATH
    environments: Mapping[str, Environment] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.file.parent

    def path(self, relative: str) -> str:
        """A path written in the file, as a command line in the current directory says it:
        relative to the current directory when that is shorter to read, else absolute."""
        return shown_path(self.root / relative)

    def spec_paths(self) -> tuple[str, ...]:
        return tuple(self.path(spec) for spec in self.specs)

    def sandbox_path(self, environment: Environment | None = None) -> str:
        return self.path(environment.sandbox if environment else self.sandbox)

    def environment(self, name: str) -> Environment:
        """The environment `name`, or a message listing the ones there are."""
        found = self.environments.get(name)
        if found is not None:
            return found
        names = sorted(self.environments)
        if not names:
            raise WorkspaceError(f"{self.file}: --env {name}: the workspace names no "
                                 "environments; add an [environments.NAME] table")
        guess = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise WorkspaceError(f"{self.file}: --env {name}: no such environment; {hint}"
                             f"the environments are: {', '.join(names)}")


def shown_path(path: Path) -> str:
    """`path` relative to the current directory when it lies beneath it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(absolute)


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest `provisioner.toml` in `start` (the current directory) or a folder above."""
    folder = Path(os.path.abspath(start or Path.cwd()))
    for candidate in (folder, *folder.parents):
        file = candidate / FILE_NAME
        if file.is_file():
            return file
    return None


def current_workspace() -> Workspace | None:
    """The workspace of the current directory, read and checked; None when there is none."""
    file = find_workspace()
    return load_workspace(file) if file is not None else None


def load_workspace(file: Path) -> Workspace:
    """Read and check `file` whole; any mistake raises `WorkspaceError` naming its line."""
    # imported here, not with the module: every command looks for a workspace file, and
    # many runs find none to parse
    import tomllib

    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_WORKSPACE_BYTES + 1)
    except OSError as error:
        raise WorkspaceError(f"{file}: cannot be read: {error.strerror or error}") from None
    if len(raw) > MAX_WORKSPACE_BYTES:
        raise WorkspaceError(f"{file}: larger than {MAX_WORKSPACE_BYTES // 1024} KiB; a "
                             "workspace file names paths and sites, nothing bulky")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # a BOM, as editors may write
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise WorkspaceError(f"{file}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise WorkspaceError(f"{file}: not valid TOML: {error}") from None
    return _Reader(file, text).workspace(data)


class _Reader:
    """Checks a parsed workspace file, naming each mistake's line (found by searching the
    text, since tomllib keeps no positions)."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.lines = text.splitlines()

    def line_of(self, table: str, key: str | None = None) -> int:
        """The line of `[table]` (or of `key` inside it); 0 when it cannot be told."""
        header = re.compile(rf"^\s*\[\s*{_table_pattern(table)}\s*\]")
        start = next((n for n, line in enumerate(self.lines) if header.match(line)), None)
        if start is None:
            return 0
        if key is None:
            return start + 1
        assignment = re.compile(rf"^\s*{_key_pattern(key)}\s*[=.]")
        for number in range(start + 1, len(self.lines)):
            line = self.lines[number]
            if re.match(r"^\s*\[", line):
                break
            if assignment.match(line):
                return number + 1
        return start + 1

    def top_line(self, key: str) -> int:
        """The line where the top-level `key` is written: `key = …`, `[key…]` or `[[key…]]`."""
        written = re.compile(rf"^\s*(?:\[+\s*{_key_pattern(key)}\s*[\].]|"
                             rf"{_key_pattern(key)}\s*[=.])")
        return next((n + 1 for n, line in enumerate(self.lines) if written.match(line)), 0)

    def fail(self, table: str, key: str | None, message: str) -> WorkspaceError:
        line = self.line_of(table, key)
        where = f"{self.file}:{line}" if line else str(self.file)
        what = f"[{table}]" + (f" {key}" if key else "")
        return WorkspaceError(f"{where}: {what}: {message}")

    def unknown(self, table: str, keys: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in keys:
            if key in allowed:
                continue
            if key.lower().replace("-", "_") in SECRET_KEYS:
                raise self.fail(table, key, "never write an API key in this file (it is "
                                "meant to be committed): put the key in a secret variable "
                                "and name that variable with api_key_env = \"WIX_..._API_KEY\"")
            guess = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean `{guess[0]}`? " if guess else ""
            raise self.fail(table, key, f"unknown key `{key}`; {hint}the keys are: "
                            f"{', '.join(allowed)}")

    def text(self, table: str, values: Mapping[str, Any], key: str) -> str:
        value = values.get(key, "")
        if not isinstance(value, str):
            raise self.fail(table, key, f"expected text in quotes, found {_kind(value)}")
        return value.strip()

    def paths(self, table: str, values: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = values.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise self.fail(table, key, "expected a list of paths in quotes, such as "
                            "[\"events/\"]")
        return tuple(v.strip() for v in value)

    def workspace(self, data: dict[str, Any]) -> Workspace:
        for key in data:
            if key not in TOP_KEYS:
                guess = difflib.get_close_matches(key, TOP_KEYS, n=1)
                hint = f"did you mean [{guess[0]}]? " if guess else ""
                if key in WORKSPACE_KEYS:
                    hint = "put it under [workspace]; "
                elif key in ENVIRONMENT_KEYS:
                    hint = "put it under [environments.NAME]; "
                line = self.top_line(key)
                where = f"{self.file}:{line}" if line else str(self.file)
                raise WorkspaceError(f"{where}: unknown table or key `{key}`; {hint}a "
                                     "workspace file has [workspace] and "
                                     "[environments.NAME] tables")
        settings = data.get("workspace", {})
        if not isinstance(settings, dict):
            raise self.fail("workspace", None, "expected a table")
        self.unknown("workspace", settings, WORKSPACE_KEYS)
        specs = self.paths("workspace", settings, "specs")
        sandbox = self.text("workspace", settings, "sandbox") or SANDBOX_PATH
        environments = data.get("environments", {})
        if not isinstance(environments, dict):
            raise WorkspaceError(f"{self.file}: `environments` must be tables "
                                 "[environments.NAME]")
        found = {name: self.environment(name, values, sandbox)
                 for name, values in environments.items()}
        return Workspace(self.file, specs, sandbox, found)

    def environment(self, name: str, values: Any, sandbox: str) -> Environment:
        table = f"environments.{name}"
        if not ENV_NAME.match(name):
            raise self.fail(table, None, "an environment's name is letters, digits, `-`, "
                            "`_` and `.` (at most 63), starting with a letter or digit")
        if not isinstance(values, dict):
            raise self.fail(table, None, "expected a table of settings")
        self.unknown(table, values, ENVIRONMENT_KEYS)
        self.text(table, values, "description")  # free text, but text
        target = self.text(table, values, "target") or "wix"
        if target not in TARGETS:
            raise self.fail(table, "target", f"expected \"wix\" (the default) or \"local\" "
                            f"(the embedded sandbox), not {target!r}; for an emulator or a "
                            "proxy set api_url")
        var_files = self.paths(table, values, "var_files")
        variables = values.get("vars", {})
        if not isinstance(variables, dict):
            raise self.fail(table, "vars", "expected a table of name = value, such as "
                            "{ ticket_limit = 10 }")
        for variable in variables:
            if not VARIABLE_NAME.match(variable):
                raise self.fail(table, "vars", f"{variable!r} is not a variable name")
        line = self.line_of(table)
        if target == "local":
            for remote in ("site_id", "api_key_env", "api_url"):
                if remote in values:
                    raise self.fail(table, remote, "a local environment is the embedded "
                                    "sandbox: it has no site id, key or URL; remove it, or "
                                    "remove target = \"local\"")
            return Environment(name, "local", var_files=var_files, variables=variables,
                               sandbox=self.text(table, values, "sandbox") or sandbox,
                               line=line)
        if "sandbox" in values:
            raise self.fail(table, "sandbox", "only a target = \"local\" environment has a "
                            "sandbox")
        site_id = self.text(table, values, "site_id")
        key_env = self.text(table, values, "api_key_env")
        for key, value in (("site_id", site_id), ("api_key_env", key_env)):
            if not value:
                example = "\"WIX_" + name.upper().replace("-", "_").replace(".", "_") + \
                    "_API_KEY\"" if key == "api_key_env" else "\"<the site's id>\""
                raise self.fail(table, None, f"`{key}` is required for a Wix site (such as "
                                f"{key} = {example}), or set target = \"local\"")
        problem = header_value_problem(site_id)
        if problem:
            raise self.fail(table, "site_id", problem)
        if not KEY_VARIABLE_NAME.match(key_env):
            # never quoted: what does not look like a variable's name may be the key itself
            raise self.fail(table, "api_key_env", "is not the name of an environment variable "
                            "(capital letters, digits and `_`): give the NAME of the variable "
                            "that holds the key, such as WIX_STAGING_API_KEY, never the key "
                            "itself (if you pasted the key here, revoke it: the file is meant "
                            "to be committed)")
        url = self.text(table, values, "api_url")
        if url and url_problem(url):
            raise self.fail(table, "api_url", "carries credentials (`user:password@` or a "
                            "query string), which are never sent: the key goes in the "
                            "variable api_key_env names, the site in site_id")
        if url:
            try:
                url = checked_url(url, "api_url", "expected an http(s) URL such as "
                                  "http://127.0.0.1:8787")
            except ProvisionerError as error:
                raise self.fail(table, "api_url", str(error)) from None
        kind = "url" if url and url != DEFAULT_WIX_URL else "wix"
        return Environment(name, kind, site_id, key_env, url or DEFAULT_WIX_URL, var_files,
                           variables, line=line)


def environment_target(workspace: Workspace, environment: Environment,
                       environ: Mapping[str, str]) -> Target:
    """Where `environment`'s calls go; its API key is read from `environ` by the name the
    workspace gives, and a missing one names both the variable and the environment."""
    if environment.target == "local":
        return Target("local", "", sandbox_path=workspace.sandbox_path(environment))
    key = environ.get(environment.api_key_env, "").strip()
    where = f"environment {environment.name!r} ({workspace.file}:{environment.line})"
    if not key:
        raise ProvisionerError(
            f"{environment.api_key_env} is not set: {where} reads the API key of site "
            f"{environment.site_id} from it; set it (in a pipeline, from a secret)")
    problem = header_value_problem(key)
    if problem:
        raise ProvisionerError(f"{environment.api_key_env} (the API key of {where}) {problem}")
    return Target(environment.target, environment.api_url, key, environment.site_id,
                  key_source=f"{environment.api_key_env} (the key of environment "
                             f"{environment.name!r})",
                  site_source=f"site_id of [environments.{environment.name}] in "
                              f"{workspace.file.name}")


def _table_pattern(table: str) -> str:
    parts = table.split(".", 1)
    if len(parts) == 1:
        return re.escape(table)
    return rf"{re.escape(parts[0])}\s*\.\s*[\"']?{re.escape(parts[1])}[\"']?"


def _key_pattern(key: str) -> str:
    return rf"[\"']?{re.escape(key)}[\"']?"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
