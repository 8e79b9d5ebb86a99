"""A plan file that passes the plan schema but names a kind this tool does not know, a verb
its kind cannot do, or actions that wait for each other in a circle is refused with one line
(exit 1), before any call to the site: never a traceback. So is a file named like a plan that
is a FIFO, too big, nested too deep, not UTF-8, or built to make the schema check slow."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.client.errors import ProvisionerError
from provisioner.model import Action, Plan, ResourceKey, Verb
from provisioner.plan.planfile import MAX_PLAN_BYTES, plan_from_json, plan_to_json
from tests.conftest import Server

from .support import apply_cli, log_mark


def plan_file(*actions: Action) -> dict[str, Any]:
    return plan_to_json(Plan("Target: http://127.0.0.1:1 (site x)", actions))


def one(verb: str, kind: str, event: str, name: str) -> dict[str, Any]:
    """A plan file of one action, as the schema allows it, whatever the kinds table says."""
    data = plan_file(Action(Verb.UPDATE, ResourceKey("policy", "gala", "Refunds")))
    data["actions"][0].update(action=verb, kind=kind, event=event or None, name=name,
                              address=f"{kind}[{name}]")
    if verb == "reorder":
        data["actions"][0].update(order=[], previous_order=[])
    return data


BAD = [pytest.param(one(verb, kind, event, name), message, id=f"{kind}-{verb}")
       for verb, kind, event, name, message in [
           ("create", "coupon", "gala", "SPRING", "unknown kind 'coupon'"),
           ("discard", "event", "", "gala", "'discard' is not an action an event can take"),
           ("publish", "policy", "gala", "Refunds", "'publish' is not an action a policy"),
           ("delete", "formMessages", "gala", "messages", "'delete' is not an action a form"),
           ("update", "schedule", "gala", "draft", "'update' is not an action a schedule"),
           ("reorder", "category", "", "*", "'reorder' is not an action a category"),
           ("assign", "ticket", "gala", "VIP", "'assign' is not an action a ticket"),
       ]]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_a_kind_or_verb_the_table_does_not_allow_is_refused(data: dict[str, Any],
                                                            message: str) -> None:
    with pytest.raises(ProvisionerError, match=message) as raised:
        plan_from_json(data, "plan.json")
    text = str(raised.value)
    assert text.startswith("plan.json: action 1 (") and "\n" not in text
    assert text.endswith("make a new one with `provisioner plan --out FILE`")


def test_every_verb_a_kind_can_do_reads_back() -> None:
    from provisioner import kinds

    for address_kind in [*kinds.BY_NAME, *kinds.DRAFTS]:
        for verb in kinds.capabilities(address_kind):
            data = one(str(verb), address_kind, "gala", "x")
            assert plan_from_json(data, "plan.json").actions[0].verb == verb


@pytest.mark.parametrize(("data", "message"), [
    BAD[0].values,
    BAD[1].values,
    pytest.param(plan_file(Action(Verb.CREATE, ResourceKey("event", "", "gala")),
                           Action(Verb.PUBLISH, ResourceKey("event", "", "gala")),
                           Action(Verb.CANCEL, ResourceKey("event", "", "gala"))),
                 "wait for each other in a circle", id="circle"),
])
def test_apply_refuses_the_plan_file_in_one_line_before_any_call(
        data: dict[str, Any], message: str, server: Server, api: httpx.Client,
        tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = apply_cli(server, api, path, "--auto-approve")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert log_mark(api) == 0, "nothing was read or written"


def hostile_plan(tmp_path: Path, shape: str) -> Path:
    """A file named like a saved plan that no plan command wrote."""
    path = tmp_path / "plan.json"
    if shape == "fifo":
        os.mkfifo(path)
    elif shape == "over the cap":
        with path.open("wb") as handle:
            handle.truncate(MAX_PLAN_BYTES + 1)  # sparse: costs no disk
    elif shape == "nested deep":
        path.write_text("[" * 200_000 + "]" * 200_000)
    elif shape == "not UTF-8":
        path.write_bytes(b'{"format_version": "\xff"}')
    else:  # many distinct marks: pair-wise `uniqueItems` would take hours
        data = one("update", "policy", "gala", "Refunds")
        data["actions"][0]["marks"] = [{"n": index} for index in range(100_000)]
        path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("shape", "message"), [
    ("fifo", "plan.json: cannot read the plan file (not a regular file)"),
    ("over the cap", f"is {MAX_PLAN_BYTES + 1:,} bytes; a plan file may be at most "
                     f"{MAX_PLAN_BYTES:,}"),
    ("nested deep", "cannot read the plan file (nested too deeply)"),
    ("not UTF-8", "cannot read the plan file ('utf-8' codec can't decode byte 0xff"),
    ("many marks", "the plan file is damaged at actions/0/marks"),
])
def test_a_hostile_plan_file_is_refused_in_one_short_line_before_any_call(
        shape: str, message: str, server: Server, api: httpx.Client, tmp_path: Path) -> None:
    path = hostile_plan(tmp_path, shape)
    started = time.perf_counter()
    done = apply_cli(server, api, path, "--auto-approve")
    assert time.perf_counter() - started < 30  # pair-wise uniqueItems: hours
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert len(errors[0]) < 500, "a damaged value is quoted in part, not whole"
    assert log_mark(api) == 0, "nothing was read or written"
