"""`plan --out FILE`: the saved plan is the JSON plan, carries a fingerprint of every live
object it touches, never the API key, and reads back into the same `Plan`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from provisioner.client.errors import ProvisionerError
from provisioner.plan.planfile import plan_from_json, plan_to_json
from tests.conftest import Server

from .seed import seed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "devcon2025.yaml"


def test_saved_plan_fingerprints_what_it_touches(server: Server, api: httpx.Client,
                                                 tmp_path: Path) -> None:
    seed(api, EXAMPLE.with_name("devcon2025.seed.json"))
    spec = tmp_path / "spec.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    spec.write_text(text.replace('fixedPrice: "499.00"', 'fixedPrice: "450.00"')
                    .replace("Code of Conduct", "Community Guidelines"), encoding="utf-8")
    out = tmp_path / "plan.json"
    env = {**os.environ, "WIX_API_KEY": api.api_key, "WIX_SITE_ID": api.site_id}  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, "-m", "provisioner.cli", "plan", str(spec), "--target",
         server.base_url, "--out", str(out), "--detailed-exitcode"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"Saved the plan to {out}" in done.stdout
    saved = out.read_text(encoding="utf-8")
    assert api.api_key not in saved  # type: ignore[attr-defined]
    data = json.loads(saved)
    by_address = {a["address"]: a for a in data["actions"]}
    ticket = "event[devcon-2025].ticket[General Admission]"
    assert by_address[ticket]["changes"] == [
        {"path": "pricingMethod.fixedPrice.value", "old": "499.00", "new": "450.00"}]
    assert data["fingerprints"][ticket] == "revision:1"
    # a policy renamed without renamed_from is a new policy and a deleted one
    assert data["fingerprints"]["event[devcon-2025].policy[Community Guidelines]"] == "absent"
    assert data["fingerprints"]["event[devcon-2025].policy[Code of Conduct]"] == "revision:1"
    assert plan_to_json(plan_from_json(data, str(out))) == data


@pytest.mark.parametrize("damaged", [{"format_version": 99},
                                     {"format_version": 1, "actions": [{}]}, []])
def test_a_damaged_plan_file_is_refused_clearly(damaged: object) -> None:
    with pytest.raises(ProvisionerError, match=r"plan\.json.*provisioner plan --out"):
        plan_from_json(damaged, "plan.json")
