"""What the command line imports to start, checked on the import graph rather than on time
(timings belong to `bench/startup.py`): each command runs in a fresh interpreter, as a user
runs it, and reports the modules it ended up with.

`--help` needs click and the command group only; `validate` needs the spec loader (PyYAML,
jsonschema) but nothing that talks to a site, serves or renders live progress."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# runs the command line in process, then prints the modules it imported on a last line
PROBE = """\
import json, sys
from provisioner.cli import main
try:
    main(sys.argv[1:], prog_name="provisioner")
except SystemExit as done:
    code = done.code
else:
    code = 0
print()
print("PROBE", json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

SITE_AND_SERVER = ["httpx", "starlette", "uvicorn", "provisioner.emulator",
                   "provisioner.client.http", "provisioner.client.session"]
# a lazy command's module is imported only when that command runs
LAZY_MODULES = ["provisioner.cli.apply_command", "provisioner.cli.export_command",
                "provisioner.cli.render_command", "provisioner.cli.sandbox_command",
                "provisioner.cli.status_command", "provisioner.cli.watch_command"]
NOT_FOR_HELP = [*SITE_AND_SERVER, *LAZY_MODULES, "asyncio", "rich", "jsonschema",
                "fastjsonschema", "deepdiff", "yaml", "tomllib", "provisioner.kinds",
                "provisioner.model", "provisioner.spec", "provisioner.client"]
NOT_FOR_VALIDATE = [*SITE_AND_SERVER, *LAZY_MODULES, "asyncio", "rich", "deepdiff",
                    "fastjsonschema", "provisioner.plan", "provisioner.apply"]


def probe(*args: str) -> tuple[int, str, set[str]]:
    """Run `provisioner ARGS...` in a fresh interpreter: its exit code, what it printed and
    the modules it imported."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PROVISIONER_")}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    output, marker, report = done.stdout.rpartition("\nPROBE ")
    assert marker, done.stdout + done.stderr
    found = json.loads(report)
    return found["code"] or 0, output, set(found["modules"])


def imported(modules: set[str], name: str) -> list[str]:
    """`name` and its submodules among `modules`."""
    return sorted(m for m in modules if m == name or m.startswith(name + "."))


def test_help_imports_click_and_the_group_only() -> None:
    code, output, modules = probe("--help")
    assert code == 0
    assert re.search(r"^Commands:$", output, re.M), output
    assert "provisioner.cli.commands" in modules and "click" in modules  # the probe ran
    assert {name: imported(modules, name) for name in NOT_FOR_HELP
            if imported(modules, name)} == {}


def test_validate_imports_the_spec_loader_and_nothing_that_talks_to_a_site() -> None:
    code, output, modules = probe("validate", "examples/devcon2025.yaml")
    assert code == 0, output
    assert "Valid: 1 file" in output
    assert {"provisioner.spec.loader", "jsonschema", "yaml"} <= modules  # the probe ran
    assert {name: imported(modules, name) for name in NOT_FOR_VALIDATE
            if imported(modules, name)} == {}


@pytest.mark.parametrize("command", ["apply", "destroy", "export", "render", "sandbox",
                                     "status", "watch"])
def test_a_lazy_commands_help_imports_its_module_and_no_other(command: str) -> None:
    code, output, modules = probe(command, "--help")
    assert code == 0
    assert output.startswith(f"Usage: provisioner {command} "), output
    mine = {"destroy": "apply_command"}.get(command, f"{command}_command")
    assert f"provisioner.cli.{mine}" in modules
    # sandbox takes DEFAULT_LOCK_TIMEOUT from apply's module
    allowed = {f"provisioner.cli.{mine}"} | ({"provisioner.cli.apply_command"}
                                              if command == "sandbox" else set())
    assert sorted(set(LAZY_MODULES) & modules - allowed) == []
    for name in ("asyncio", "httpx", "rich", "starlette", "uvicorn"):
        assert imported(modules, name) == [], f"{command} --help imports {name}"


def test_the_startup_bench_prints_each_figure_against_its_bound() -> None:
    done = subprocess.run([sys.executable, "bench/startup.py", "--repeat", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^python -c pass: \d+ ms median \(best \d+\)$", out, re.M), out
    for command, bound in (("provisioner --help", 150),
                           ("provisioner validate examples/devcon2025.yaml", 300)):
        assert re.search(rf"^{re.escape(command)}: \d+ ms median \(best \d+\) = [\d.]+× the "
                         rf"{bound} ms bound; [\d.]+× python -c pass$", out, re.M), out
