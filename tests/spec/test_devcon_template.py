"""The DevCon template (examples/devcon/) is the seed example made yearly: planned for its 2025
edition it gives exactly the seed's 28 actions, and its 2027 and 2028 editions give the same
28 actions a year apart, every local time of day unchanged. Planned through the real command
line, each in a fresh local sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "examples" / "devcon" / "devcon.yaml"
SEED = ROOT / "examples" / "devcon2025.yaml"
ZONE = ZoneInfo("America/Los_Angeles")


def planned(folder: Path, *args: str | Path) -> list[dict[str, Any]]:
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
    done = subprocess.run([sys.executable, "-m", "provisioner", "plan", *map(str, args),
                           "--json"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["actions"]


def without_notes(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in action.items() if k != "note"} for action in actions]


def local_times(actions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Every time the plan sends, as (address and field, local weekday-less time of day)."""
    found = []
    for action in actions:
        for change in action.get("changes", []):
            value = change["new"]
            if isinstance(value, str) and value.endswith("Z") and "T" in value:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(ZONE)
                found.append((f"{action['name']}.{change['path']}", moment.strftime("%H:%M")))
    return found


def test_the_2025_edition_is_the_seed_example(tmp_path: Path) -> None:
    template = planned(tmp_path / "template", TEMPLATE, "--var", "year=2025", "--var",
                       "first_day=2025-06-15")
    seed = planned(tmp_path / "seed", SEED)
    assert len(seed) == 28
    assert without_notes(template) == without_notes(seed)


def test_two_editions_a_year_apart_keep_every_local_time(tmp_path: Path) -> None:
    editions = {year: planned(tmp_path / str(year), TEMPLATE, "--var-file",
                              ROOT / "examples" / "devcon" / f"{year}.vars.yaml")
                for year in (2027, 2028)}
    seed = planned(tmp_path / "seed", SEED)
    shape = [(a["action"], a["kind"], a["name"].replace("2025", "YEAR")) for a in seed]
    for year, actions in editions.items():
        assert [(a["action"], a["kind"], a["name"].replace(str(year), "YEAR"))
                for a in actions] == shape
        assert local_times(actions) == [(where.replace("2025", str(year)), time)
                                        for where, time in local_times(seed)]
    first = {year: next(c["new"] for a in actions for c in a.get("changes", [])
                        if c["path"] == "dateAndTimeSettings.startDate")
             for year, actions in editions.items()}
    assert first == {2027: "2027-06-15T16:00:00.000Z", 2028: "2028-06-15T16:00:00.000Z"}
