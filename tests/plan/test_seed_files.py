"""The seed files (`*.seed.json`, see `seed.py`) are sound without a server: each is used by a
test or bench, is a list of calls of known methods on `/events/` paths, and names only ids
saved by an earlier call. A stale or broken seed file fails here, not deep inside a plan test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .seed import METHODS, REFERENCE, read

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(p for folder in ("tests", "examples", "bench")
               for p in (ROOT / folder).rglob("*.seed.json") if "node_modules" not in p.parts)
CALL_KEYS = {"method", "path", "body", "save"}
SAVE_KINDS = ("event:", "category:")


def names_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*map(names_in, value.values()))
    if isinstance(value, list):
        return set().union(*map(names_in, value))
    return set(REFERENCE.findall(value)) if isinstance(value, str) else set()


def sources() -> str:
    """The text of every test and bench module but this one."""
    files = [p for folder in ("tests", "bench") for p in (ROOT / folder).rglob("*.py")
             if "node_modules" not in p.parts and p != Path(__file__).resolve()]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_there_are_seed_files() -> None:
    assert len(FILES) >= 30, FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_seed_file_is_used(path: Path) -> None:
    text = sources()
    if path.name == "live.seed.json" and path.parent.parent == SCENARIOS:
        # every scenario folder's live state is seeded by the plan and apply scenario tests
        assert 'folder / "live.seed.json"' in text
    else:
        used = f'"{path.name}"' in text
        assert used, f"{path.name} is not used by any test or bench"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_seed_file_is_well_formed(path: Path) -> None:
    entries = read(path)
    assert entries, "an empty seed file"
    saved: set[str] = set()
    for entry in entries:
        if "repeat" in entry:
            assert set(entry) == {"repeat"} and isinstance(entry["repeat"], list), entry
            assert entry["repeat"], "an empty repeat block"
            # a copy's keys are the names with no kind; any value stands in for them here
            copy_keys = {n for n in names_in(entry["repeat"]) if ":" not in n}
            assert copy_keys, "a repeat block that uses no copy value makes the same calls"
            calls = [fill_copy(call, copy_keys) for call in entry["repeat"]]
        else:
            calls = [entry]
        for call in calls:
            check_call(call, saved)


def fill_copy(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: fill_copy(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_copy(v, keys) for v in value]
    if isinstance(value, str):
        return REFERENCE.sub(lambda m: "0" if m.group(1) in keys else m.group(0), value)
    return value


def check_call(call: dict[str, Any], saved: set[str]) -> None:
    assert isinstance(call, dict) and set(call) <= CALL_KEYS, call
    assert call.get("method") in METHODS, call
    assert isinstance(call.get("path"), str) and call["path"].startswith("/events/"), call
    if "body" in call:
        assert isinstance(call["body"], dict), call
    unknown = names_in({"path": call["path"], "body": call.get("body")}) - saved
    assert not unknown, f"{call['method']} {call['path']}: {unknown} not saved before"
    if "save" in call:
        name = call["save"]
        assert name.startswith(SAVE_KINDS) and name not in saved, name
        saved.add(name)


def test_every_scenario_live_spec_has_its_seed_file() -> None:
    for folder in sorted(p for p in SCENARIOS.iterdir() if p.is_dir()):
        has_spec, has_seed = (folder / "live.yaml").exists(), (folder / "live.seed.json").exists()
        assert has_spec == has_seed, f"{folder.name}: live.yaml and live.seed.json go together"
