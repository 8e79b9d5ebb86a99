"""Two applies on one local sandbox never interleave: the real CLI, run as subprocesses in a
fresh folder against the default target (the sandbox, with no WIX_* variables), meets the
sandbox's apply lock (`.provisioner/sandbox.sqlite3.lock`), held by another apply or by the
test itself."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "devcon2025.yaml"
WAITING = ("waiting for another apply on the local sandbox (.provisioner/sandbox.sqlite3) "
           "to finish…")
# DevCon's whole content, once: what one apply makes and a second must not make again
DEVCON = {"categories": 1, "events": 1, "ticket_definitions": 3, "policies": 3,
          "schedule_draft": 15, "schedule_published": 15, "forms": 1}
DEVCON_CONTROLS = ["First Name, Last Name", "Email", "Dietary preferences", "Phone"]


def start(folder: Path, *args: str) -> subprocess.Popen[str]:
    """`provisioner ARGS...` in `folder`, on the local sandbox (no WIX_* in its environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    env["NO_COLOR"] = "1"
    return subprocess.Popen([sys.executable, "-m", "provisioner.cli", *args], cwd=folder,
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def apply(folder: Path, *options: str) -> subprocess.Popen[str]:
    return start(folder, "apply", str(SPEC), "--auto-approve", *options)


@contextmanager
def held_lock(folder: Path) -> Iterator[Callable[[], None]]:
    """Hold the sandbox's apply lock from this process, as an apply would (our pid in it),
    until the block ends or the release function yielded is called (from any thread)."""
    (folder / ".provisioner").mkdir()
    fd = os.open(folder / ".provisioner" / "sandbox.sqlite3.lock", os.O_RDWR | os.O_CREAT,
                 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, f"{os.getpid()}\n".encode())
    guard = threading.Lock()
    held = [True]

    def release() -> None:
        with guard:
            if held[0]:
                held[0] = False
                os.close(fd)  # closing the file drops the flock

    try:
        yield release
    finally:
        release()


def contents(folder: Path) -> tuple[dict[str, int], list[str]]:
    """What the sandbox holds: documents of each kind, and the form's control labels."""
    with closing(sqlite3.connect(folder / ".provisioner" / "sandbox.sqlite3")) as db:
        counts = dict(db.execute("SELECT kind, COUNT(*) FROM docs GROUP BY kind").fetchall())
        forms = [json.loads(body) for (body,) in
                 db.execute("SELECT body FROM docs WHERE kind = 'forms'")]
    labels: list[str] = [c["label"] for form in forms for c in form["controls"]]
    return counts, labels


def test_two_applies_at_once_make_everything_once(tmp_path: Path) -> None:
    first, second = apply(tmp_path), apply(tmp_path)
    results = [finish(first), finish(second)]
    for code, out, err in results:
        assert code == 0, out + err
        assert "Traceback" not in err
    outs = sorted((out for _, out, _ in results), key=lambda out: "No changes" in out)
    assert "Apply complete: 28 applied" in outs[0]
    assert "No changes. The site matches the spec." in outs[1]
    assert "Apply complete" not in outs[1]

    code, out, err = finish(start(tmp_path, "plan", str(SPEC)))
    assert code == 0, out + err
    assert "No changes" in out
    assert contents(tmp_path) == (DEVCON, DEVCON_CONTROLS)
    lock = tmp_path / ".provisioner" / "sandbox.sqlite3.lock"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_a_held_lock_and_no_timeout_fail_at_once_changing_nothing(tmp_path: Path) -> None:
    with held_lock(tmp_path):
        began = time.monotonic()
        code, out, err = finish(apply(tmp_path, "--lock-timeout", "0"))
        took = time.monotonic() - began
    assert code == 1, out + err
    assert err.strip() == (f"Error: the local sandbox is locked by another apply (pid "
                           f"{os.getpid()}), so nothing was changed; try again when it "
                           "finishes, or raise --lock-timeout")
    assert out == "Target: local sandbox (.provisioner/sandbox.sqlite3)\n"
    assert took < 10
    assert not (tmp_path / ".provisioner" / "sandbox.sqlite3").exists()


def test_a_waiting_apply_says_so_once_and_runs_when_the_lock_is_released(
        tmp_path: Path) -> None:
    with held_lock(tmp_path) as release:
        process = apply(tmp_path, "--lock-timeout", "30")
        assert process.stderr is not None
        first_line = process.stderr.readline()  # written only while the lock is held
        timer = threading.Timer(1.0, release)
        timer.start()
        began = time.monotonic()
        code, out, err = finish(process)
        timer.join()
    assert first_line.strip() == f"note: {WAITING}"
    assert WAITING not in err
    assert code == 0, out + first_line + err
    assert time.monotonic() - began >= 0.9
    assert "Apply complete: 28 applied" in out
    assert "Checked: a new plan finds no changes." in out
    assert contents(tmp_path) == (DEVCON, DEVCON_CONTROLS)
