"""Reading a spec is bounded in bytes, values, problems and time, whatever the file holds.

Each file here is just under the byte cap and shaped to make a checker work hard: a flow
mapping or a list of a million scalars (the value cap), thousands of broken events or unknown
fields (the error cap), a long list of distinct mappings where unique text is expected
(`uniqueItems`, which plain jsonschema checks pair-wise: hours for this list). Before the caps,
such files took from 30 s to hours and up to 1.1 GB to refuse; now `provisioner validate`
refuses each in bounded time and memory, in at most 500 error lines and a summary. The bounds
asserted are generous (about five times what this machine measures), so a slow CI machine
passes and a return to the old behaviour does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.spec.loader import MAX_FILE_BYTES
from provisioner.spec.problems import MAX_PROBLEMS
from provisioner.spec.source import MAX_VALUES

SECONDS = 15.0
MEGABYTES = 500

# Runs one command and prints the peak memory of that child (its only child) in kilobytes.
MEASURE = ("import resource, subprocess, sys; "
           "code = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
           "sys.exit(code)")

EVENT_HEAD = ("  location: {name: Hall}\n"
              "  dateAndTimeSettings: {timeZoneId: Europe/Berlin, startDate: '2030-01-01T09:00',"
              " endDate: '2030-01-01T18:00'}\n")


def fill(head: str, item: Callable[[int], str], tail: str = "", *, count: int | None = None,
         pad: bool = False) -> str:
    """`head`, then `item(i)` `count` times (or until the cap is nearly reached), then `tail`;
    with `pad`, a long ignored text brings the file just under the byte cap."""
    budget = MAX_FILE_BYTES - len(head) - len(tail) - 4096
    parts, size, index = [head], len(head), 0
    while (index < count) if count is not None else (size < budget):
        piece = item(index)
        parts.append(piece)
        size += len(piece)
        index += 1
    parts.append(tail)
    if pad:
        parts.append("x-padding: " + "a" * (budget - size - 20) + "\n")
    return "".join(parts)


SHAPES: dict[str, Callable[[], str]] = {
    "a flow mapping of a million keys": lambda: fill("{", lambda i: f"k{i}: 1, ", "}\n"),
    "a block list of millions of scalars": lambda: fill("", lambda i: "- 1\n"),
    "thousands of broken events": lambda: fill(
        "events:\n", lambda i: f"- slug: e{i}\n  title: 5\n  bogus: 1\n", count=60_000,
        pad=True),
    "one event with 100,000 unknown fields": lambda: fill(
        "events:\n- slug: a\n  title: A\n" + EVENT_HEAD, lambda i: f"  field{i}: 1\n",
        count=100_000, pad=True),
    "one event with 60,000 identical ticket names": lambda: fill(
        "events:\n- slug: a\n  title: A\n" + EVENT_HEAD +
        "  registration: {initialType: TICKETING, tickets: {currency: USD}}\n  tickets:\n",
        lambda i: "  - {name: T, pricingMethod: {fixedPrice: '1.00'}}\n", count=60_000,
        pad=True),
    "categories as 80,000 distinct mappings": lambda: fill(
        "events:\n- slug: a\n  title: A\n" + EVENT_HEAD + "  categories:\n",
        lambda i: f"  - {{name: Talks {i}}}\n", count=80_000, pad=True),
}


def run_measured(*args: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """The command's result, wall seconds and peak memory in megabytes."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True,
                            text=True, timeout=120)
    seconds = time.perf_counter() - started
    *stderr, peak = result.stderr.rstrip("\n").split("\n")
    result.stderr = "\n".join(stderr)
    return result, seconds, int(peak) / 1024


@pytest.mark.parametrize("shape", SHAPES)
def test_a_hostile_file_under_the_byte_cap_is_refused_in_bounded_time_and_memory(
        tmp_path: Path, shape: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SHAPES[shape]())
    assert MAX_FILE_BYTES - 8192 < spec.stat().st_size <= MAX_FILE_BYTES
    result, seconds, megabytes = run_measured(sys.executable, "-m", "provisioner", "validate",
                                              str(spec))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("Invalid:")
    assert len(lines) <= MAX_PROBLEMS + 1
    assert seconds < SECONDS, f"{shape}: {seconds:.1f} s"
    assert megabytes < MEGABYTES, f"{shape}: {megabytes:.0f} MB"


def test_the_value_cap_names_itself_and_the_way_out(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SHAPES["a block list of millions of scalars"]())
    result, _, _ = run_measured(sys.executable, "-m", "provisioner", "validate", str(spec))
    assert result.stdout.splitlines()[0] == (
        f"{spec}:{MAX_VALUES}:3: the file holds more than {MAX_VALUES:,} values; split it into "
        "several files")


def test_checking_stops_at_the_error_cap_and_says_so(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(fill("events:\n", lambda i: f"- slug: e{i}\n  title: 5\n", count=2_000))
    result, _, _ = run_measured(sys.executable, "-m", "provisioner", "validate", str(spec))
    lines = result.stdout.splitlines()
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == (f"Invalid: more than {MAX_PROBLEMS} errors and 0 warnings in 1 file; "
                         f"checking stopped at {MAX_PROBLEMS} (fix these, then run again for "
                         "the rest).")
    # the errors listed are the first ones in the file, in file order
    assert lines[0].startswith(f"{spec}:2:3: events[0].")
    as_json = subprocess.run([sys.executable, "-m", "provisioner", "validate", "--json",
                              str(spec)], capture_output=True, text=True, check=False)
    outcome = json.loads(as_json.stdout)
    assert (outcome["truncated"], outcome["errors"]) == (True, MAX_PROBLEMS)


def test_warnings_never_stop_a_check_for_errors(tmp_path: Path) -> None:
    """More warnings than the cap (events without a slug) are counted, not listed, and an
    error after all of them is still found."""
    events = fill("events:\n", lambda i: f"- title: Event {i}\n" + EVENT_HEAD,
                  count=MAX_PROBLEMS + 20)
    spec = tmp_path / "spec.yaml"
    spec.write_text(events + "- slug: last\n  title: 5\n" + EVENT_HEAD)
    result, _, _ = run_measured(sys.executable, "-m", "provisioner", "validate", str(spec))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(f"events[{MAX_PROBLEMS + 20}].title: expected text" in line for line in lines)
    assert lines[-1] == (f"Invalid: 1 error and {MAX_PROBLEMS + 20} warnings (20 not listed) "
                         "in 1 file.")
