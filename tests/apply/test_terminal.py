"""On a terminal, apply asks before changing anything and shows a live view while it runs.

The CLI runs on a pseudo-terminal (stdin, stdout and stderr all on it), against the local
sandbox in a temporary folder, and the test answers the question as a person would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "devcon2025.yaml"
QUESTION = b"Only 'yes' is accepted"


def on_terminal(folder: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run `provisioner apply EXAMPLE ARGS` on a pseudo-terminal, type `answer` when asked;
    the exit code and everything the terminal showed."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")
           and not k.startswith("WIX_")}
    env["TERM"] = "xterm"
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner.cli", "apply", str(EXAMPLE), *args],
        cwd=folder, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    shown = b""
    answered = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            shown += chunk
        if not answered and QUESTION in shown:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(master)
    code = process.wait(timeout=30)
    return code, shown.decode("utf-8", "replace")


def test_yes_applies_with_a_live_view(tmp_path: Path) -> None:
    code, shown = on_terminal(tmp_path, "yes")
    assert code == 0, shown
    assert "Apply these 28 actions to local sandbox" in shown
    assert "Applying:" in shown  # the live view's header, drawn while calls are in flight
    assert "Apply complete: 28 applied" in shown
    assert "Checked: a new plan finds no changes." in shown
    assert "Traceback" not in shown


def test_anything_but_yes_changes_nothing(tmp_path: Path) -> None:
    code, shown = on_terminal(tmp_path, "y")
    assert code == 1, shown
    assert "apply cancelled; nothing was changed" in shown
    again = subprocess.run([sys.executable, "-m", "provisioner.cli", "plan", str(EXAMPLE),
                            "--detailed-exitcode"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120,
                           env={k: v for k, v in os.environ.items()
                                if not k.startswith("WIX_")})
    assert again.returncode == 2, again.stdout  # everything is still to be created
    assert "Plan: 25 to create" in again.stdout
