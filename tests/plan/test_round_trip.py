"""The normalisation round trip: a spec seeded on a site, planned again, gives no changes.

`specs/everything.yaml` uses every field of the spec language (local and offset times, prices
in every form, rich descriptions, repeated schedule names, every form control, messages,
categories), so any field the API returns in another spelling (an instant, a decimal, a
default, a read-only extra) would show up here as a change that is noise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import Server

from .seed import seed

SPECS = Path(__file__).parent / "specs"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def plan(server: Server, api: httpx.Client, *paths: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIX_API_KEY": api.api_key, "WIX_SITE_ID": api.site_id,  # type: ignore[attr-defined]
           "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "plan", *map(str, paths), "--target",
         server.base_url, "--detailed-exitcode"],
        env=env, capture_output=True, text=True, timeout=120)


def test_everything_seeded_plans_no_changes(server: Server, api: httpx.Client) -> None:
    seed(api, SPECS / "everything.seed.json")
    done = plan(server, api, SPECS / "everything.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_devcon_example_seeded_plans_no_changes(server: Server, api: httpx.Client) -> None:
    seed(api, EXAMPLES / "devcon2025.seed.json")
    done = plan(server, api, EXAMPLES / "devcon2025.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith(f"Target: {server.base_url}")


def test_the_same_inputs_give_byte_identical_plans(server: Server, api: httpx.Client,
                                                   tmp_path: Path) -> None:
    seed(api, SPECS / "everything.seed.json")
    changed = tmp_path / "changed.yaml"
    text = (SPECS / "everything.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace("Morning session.", "Morning keynote.")
                       .replace("- {name: Conduct, body: Be kind.}", ""), encoding="utf-8")
    first, second = plan(server, api, changed), plan(server, api, changed)
    assert first.returncode == second.returncode == 2, first.stdout + first.stderr
    assert first.stdout == second.stdout
    assert "Morning keynote." in first.stdout
