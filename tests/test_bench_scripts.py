"""Every benchmark under `bench/` still runs: each at its smallest size, as a reader would run
it (`python bench/NAME.py ...` from the repository root), exits 0 and prints its figures.

The figures themselves are not judged here (timings belong to the benchmarks, not to tests);
what is checked is that a script the README quotes has not quietly broken, and that the counts
it prints which do not depend on the machine are right."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, f"bench/{name}.py", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_spec_bench_counts_the_spec_it_made() -> None:
    out = bench("spec", "--events", "2", "--repeat", "1")
    assert "spec: 2 events, 100 children" in out  # 50 children per event
    for stage in ("plain yaml.CSafeLoader parse", "YAML parse (with positions)", "JSON Schema",
                  "semantic rules", "load() end to end"):
        assert re.search(rf"^{re.escape(stage)}\s+\d+ms\s+\d+ms\s+[\d.]+x$", out, re.M), out


def test_plan_bench_reads_one_event_in_five_calls() -> None:
    out = bench("plan", "--sizes", "1", "--latency-ms", "0", "--repeat", "1")
    row = re.search(r"^\s+1\s+(\d+)\s+(\d+)\s", out, re.M)
    assert row is not None, out
    assert int(row.group(2)) == 5, out  # the calls a no-op plan of one event takes


def test_apply_bench_applies_devcon_in_28_calls() -> None:
    out = bench("apply", "--latency-ms", "0", "--skip-fleet", "--repeat", "1")
    assert "(a) DevCon on an empty site" in out
    assert re.search(r"calls\b.*\b28\b", out), out
    assert re.search(r"own / httpx default\s+[\d.]+x\s+[\d.]+x", out), out


def test_apply_bench_fleet_part_runs() -> None:
    out = bench("apply", "--latency-ms", "0", "--events", "2", "--rate-limit", "6000",
                "--repeat", "1")
    assert "(b) a fleet of 2 published events" in out
    assert re.search(r"failed / conflict / skipped\s+0 / 0 / 0", out), out


def test_emulator_bench_answers_without_errors() -> None:
    out = bench("emulator", "--seconds", "0.3", "--connections", "2", "--events", "2")
    rows = re.findall(r"^(\S.*?)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+(\d+)$", out, re.M)
    assert rows, out
    assert all(int(errors) == 0 for _, _, errors in rows), out


def test_faults_bench_converges_on_two_seeds() -> None:
    out = bench("faults", "--runs", "2")
    assert re.search(r"^total\b", out, re.M), out
    assert "BAD " not in out


def test_templates_bench_expands_the_series_it_made() -> None:
    out = bench("templates", "--events", "3", "--repeat", "1")
    assert out.startswith("series: 3 events from one template"), out
    assert re.search(r"^load \(expand \+ validate\)\s+\d+ms\s+\d+ms\s+[\d.]+x$", out, re.M), out
