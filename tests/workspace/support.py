"""Helpers for the workspace tests: run the real CLI as a subprocess in a folder with a
process environment that carries no WIX_* or PROVISIONER_* variable except the ones a test
sets (PROVISIONER_NOW, set by tests/conftest.py, stays), and look for a workspace file above a
folder so a test can tell "no workspace" from "a stray provisioner.toml in /tmp"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.workspace import find_workspace

ROOT = Path(__file__).resolve().parents[2]
DEVCON = ROOT / "examples" / "devcon" / "devcon.yaml"
DEVCON_VARS = {"staging": ROOT / "examples" / "devcon" / "2027.vars.yaml",
               "production": ROOT / "examples" / "devcon" / "2028.vars.yaml"}
DEVCON_2025 = ROOT / "examples" / "devcon2025.yaml"
ESCAPE = "\x1b["

# Variables a test must set itself when it means them: credentials, options, colors.
DROPPED_PREFIXES = ("WIX_", "PROVISIONER_", "_PROVISIONER_")
DROPPED = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE")
KEPT = ("PROVISIONER_NOW",)

# A small spec of our own that takes a variable the workspace's environments give
MEETUP = """\
vars:
  city:
    type: string
    description: Where the meetup is.
version: 1
events:
  - slug: meetup
    title: Meetup in ${{ vars.city }}
    location:
      type: VENUE
      name: Hall
      address:
        city: ${{ vars.city }}
        country: US
    dateAndTimeSettings:
      timeZoneId: America/Los_Angeles
      startDate: 2027-03-01T18:00
      endDate: day 1 21:00
    registration:
      initialType: RSVP
"""

CATEGORY = "version: 1\ncategories:\n  - name: Workspace Tests\n"


def clean_env(color: bool = False, **extra: str) -> dict[str, str]:
    """The test process's environment without credentials, PROVISIONER_* options or color
    settings (except PROVISIONER_NOW), plus NO_COLOR=1 unless `color`, plus `extra`."""
    env = {key: value for key, value in os.environ.items()
           if key in KEPT or not (key.startswith(DROPPED_PREFIXES) or key in DROPPED)}
    if not color:
        env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def cli(cwd: Path, *args: str | Path, env: dict[str, str] | None = None,
        stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m provisioner ARGS...` in `cwd`; stdin is a pipe (never a terminal)."""
    done = subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)], cwd=cwd,
                          env=clean_env() if env is None else env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def no_workspace_above(folder: Path) -> None:
    """Skip when a provisioner.toml lies in `folder` or above it (left in /tmp by hand, say):
    a test of the no-workspace behaviour would not be one there."""
    found = find_workspace(folder)
    if found is not None:
        pytest.skip(f"{found} lies above {folder}: cannot test running without a workspace")


def output(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
