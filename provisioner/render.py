"""Plans as text: the human view, JSON and markdown (placeholder, being written)."""

from __future__ import annotations

import json

from .model import Plan
from .plan import plan_to_json


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    if not plan.actions:
        return "No changes. The site matches the spec."
    return (f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete.")


def human(plan: Plan, color: bool = False) -> str:
    lines = [f"{a.verb} {a.address}" for a in plan.actions]
    return "\n".join([*lines, summary_line(plan)])


def markdown(plan: Plan) -> str:
    return human(plan)


def json_text(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False)
