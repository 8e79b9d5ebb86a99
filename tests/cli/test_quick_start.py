"""The README's quick start, as a new user runs it: its `provisioner ...` command, in a fresh
folder, against the embedded local sandbox (no server, no account). The first run creates the
whole conference and checks itself; the second finds nothing to do."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_command() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    line = next(line for line in section.splitlines() if "pip install ." in line)
    command = re.split(r"\s*&&\s*", line)[-1]
    words = shlex.split(command)
    assert words[0] == "provisioner", command
    return words


def test_the_quick_start_applies_the_conference_then_finds_no_changes(tmp_path: Path) -> None:
    words = quick_start_command()
    assert words[1] == "apply"
    # the example path is relative to a clone's root; the sandbox lands in the working folder
    args = [str(ROOT / w) if w.endswith(".yaml") else w for w in words[1:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    env["NO_COLOR"] = "1"

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "provisioner.cli", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)

    first = run()
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith("Target: local sandbox (.provisioner/sandbox.sqlite3)")
    assert "Apply complete: 28 applied" in first.stdout
    assert "Checked: a new plan finds no changes." in first.stdout
    assert "Traceback" not in first.stderr
    assert (tmp_path / ".provisioner" / "sandbox.sqlite3").is_file()

    second = run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No changes. The site matches the spec." in second.stdout
    assert "Apply complete" not in second.stdout
