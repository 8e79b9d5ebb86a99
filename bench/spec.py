"""How long loading and validating a large spec takes: 100 events with 50 children each.

    python bench/spec.py [--events 100] [--repeat 5]

Prints the spec's size and, for each stage (YAML parse, JSON Schema, semantic rules), for the
whole `load()` and for a `provisioner validate` process, the best and median wall time over
the repetitions, and the median as a ratio to a plain `yaml.CSafeLoader` parse of the same
text timed in the same run (the least any YAML tool spends on it).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provisioner import kinds
from provisioner.spec.loader import load
from provisioner.spec.rules import check_spec
from provisioner.spec.schema import check_document, validator
from provisioner.spec.source import parse_document

TICKETS, ITEMS, POLICIES, CONTROLS = 20, 25, 3, 2  # 50 children per event


def make_event(index: int) -> dict:
    day = 1 + index % 28
    return {
        "slug": f"conference-{index}",
        "title": f"Conference {index}",
        "description": "Two days of talks.\n\nAnd workshops.",
        "location": {"name": "Convention Center",
                     "address": {"addressLine": "1 Main St", "city": "Springfield",
                                 "postalCode": "12345", "country": "US"}},
        "dateAndTimeSettings": {"timeZoneId": "America/New_York",
                                "startDate": f"2030-03-{day:02d}T09:00",
                                "endDate": f"2030-03-{day:02d}T18:00"},
        "registration": {"initialType": "TICKETING", "tickets": {"currency": "USD"}},
        "categories": ["Conferences"],
        "tickets": [
            {"name": f"Ticket {t}", "description": "Access to everything.",
             "pricingMethod": {"fixedPrice": f"{100 + t}.00"}, "initialLimit": 100,
             "feeType": "FEE_INCLUDED",
             "salePeriod": {"startDate": "2030-01-01T00:00",
                            "endDate": f"2030-03-{day:02d}T08:00"}}
            for t in range(TICKETS)
        ],
        "schedule": {"items": [
            {"name": f"Session {s}", "stageName": f"Room {s % 4}", "tags": ["Talk", "Tech"],
             "timeSlot": {"start": f"2030-03-{day:02d}T{9 + s % 8:02d}:{(s * 7) % 60:02d}",
                          "end": f"2030-03-{day:02d}T{10 + s % 8:02d}:{(s * 7) % 60:02d}"}}
            for s in range(ITEMS)
        ]},
        "policies": [{"name": f"Policy {p}", "body": "Be kind. " * 20} for p in range(POLICIES)],
        "form": {"controls": [{"text": {"label": f"Question {c}"}} for c in range(CONTROLS)]},
    }


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    spec = {"categories": [{"name": "Conferences"}],
            "events": [make_event(i) for i in range(args.events)]}
    text = yaml.safe_dump(spec, sort_keys=False, width=100)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fleet.yaml"
        path.write_text(text)
        validator()  # compile the schema once, as a long-running process would
        doc, problems = parse_document(text, "fleet.yaml")
        assert doc is not None and not problems, problems
        result = load([str(path)])
        assert result.ok, [p.format() for p in result.errors[:5]]
        stages = {
            "plain yaml.CSafeLoader parse": timed(
                lambda: yaml.load(text, Loader=yaml.CSafeLoader), args.repeat),
            "YAML parse (with positions)": timed(lambda: parse_document(text, "f.yaml"),
                                                 args.repeat),
            "JSON Schema": timed(lambda: check_document(doc), args.repeat),
            "semantic rules": timed(lambda: check_spec([doc]), args.repeat),
            "load() end to end": timed(lambda: load([str(path)]), args.repeat),
            # what a user waits for: interpreter start, imports, schema compile, load, print
            "`provisioner validate` process": timed(lambda: subprocess.run(
                [sys.executable, "-m", "provisioner.cli", "validate", str(path)],
                capture_output=True, check=True), args.repeat),
        }
    counts = kinds.spec_counts([document.data for document in result.documents])
    children = sum(counts[k] for k in ("tickets", "scheduleItems", "policies", "formControls"))
    print(f"spec: {counts['events']} events, {children:,} children, "
          f"{len(text.splitlines()):,} lines, {len(text) / 1024:,.0f} KiB, "
          f"{len(doc.values):,} positioned values")
    baseline = statistics.median(stages["plain yaml.CSafeLoader parse"])
    print(f"{'stage':<32}{'best':>10}{'median':>10}{'median / CSafeLoader':>22}")
    for name, runs in stages.items():
        median = statistics.median(runs)
        print(f"{name:<32}{min(runs) * 1000:>8.0f}ms{median * 1000:>8.0f}ms"
              f"{median / baseline:>21.2f}x")


if __name__ == "__main__":
    main()
