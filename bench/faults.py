"""Does `apply` converge, without duplicates and without losing anything, whatever the faults?
The seeded fault run of `tests/faults` over hundreds of seeds, tallied.

    python bench/faults.py [--runs 200] [--error-rate 0.15] [--drop-rate 0.15]
                           [--rate-limit 3000] [--scenarios fresh,change] [--first-seed 1]

Serves the emulator in this process (a fresh site per run, so runs never see each other). For
each seed and scenario (`fresh`: DevCon on an empty site; `change`: a site holding DevCon gets
edited tickets, a renamed policy, a deleted schedule item and reordered tickets), it applies
the spec while the emulator answers 503 without running (`--error-rate`), runs writes and then
answers 504 (`--drop-rate`) and rate-limits with the site's budget spent when the apply starts
(`--rate-limit`, calls a minute, refilled continuously; 0: no limit), with 2 ms of latency
and up to 5 ms of jitter. A failed apply gets one re-run of plan and apply, still under faults.
Then, faults off, it plans again (no change is convergence), reads the site through plain HTTP
for duplicate natural keys, and checks that an unmanaged event and category are untouched and
that every object the change keeps has kept its id.

Prints per scenario: runs, converged on the first apply, converged after one re-run, not
converged, runs with duplicates, runs with lost or overwritten objects, calls the client made,
retries, lost answers apply found done, faults the emulator injected, and the time taken, then
every bad run in full. Exits 1 if any run did not converge or made a duplicate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.harness import SCENARIOS, Faults, RunRecord, fault_server, run


@dataclass
class Tally:
    runs: int = 0
    first: int = 0
    rerun: int = 0
    not_converged: int = 0
    duplicates: int = 0
    lost: int = 0
    calls: int = 0
    retries: int = 0
    found: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, record: RunRecord) -> None:
        self.runs += 1
        if not record.converged:
            self.not_converged += 1
        elif record.first_ok:
            self.first += 1
        else:
            self.rerun += 1
        self.duplicates += bool(record.duplicates)
        self.lost += bool(record.lost)
        self.calls += record.calls
        self.retries += record.retries
        self.found += record.found_after_lost
        self.faults += record.faults
        self.seconds += record.seconds


HEADER = (f"{'scenario':<9}{'runs':>6}{'1st ok':>8}{'re-run':>8}{'not conv':>10}{'dups':>6}"
          f"{'lost':>6}{'calls':>8}{'retries':>9}{'found':>7}{'503':>7}{'504':>7}{'429':>6}"
          f"{'time':>9}")


def row(name: str, t: Tally) -> str:
    return (f"{name:<9}{t.runs:>6}{t.first:>8}{t.rerun:>8}{t.not_converged:>10}"
            f"{t.duplicates:>6}{t.lost:>6}{t.calls:>8,}{t.retries:>9,}{t.found:>7,}"
            f"{t.faults['error']:>7,}{t.faults['dropped_after_commit']:>7,}"
            f"{t.faults['rate_limited']:>6,}{t.seconds:>8.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="seeds per scenario")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--error-rate", type=float, default=0.15)
    parser.add_argument("--drop-rate", type=float, default=0.15)
    parser.add_argument("--rate-limit", type=int, default=3000,
                        help="calls a minute per site, budget spent at the apply's start")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--verbose", action="store_true",
                        help="also print every run that needed its re-run, and why")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; known: {SCENARIOS}")
    faults = Faults(error_rate=args.error_rate, drop_rate=args.drop_rate,
                    rate_limit=args.rate_limit)
    print(f"{args.runs} seeds x {len(scenarios)} scenarios; faults per seed: "
          f"{faults.settings(args.first_seed) | {'seed': '…'}}")
    tallies = {name: Tally() for name in scenarios}
    bad: list[RunRecord] = []
    began = time.perf_counter()
    with fault_server() as server, tempfile.TemporaryDirectory() as folder:
        for number in range(args.first_seed, args.first_seed + args.runs):
            for name in scenarios:
                record = run(server, name, number, faults, Path(folder))
                tallies[name].add(record)
                if not record.converged or record.duplicates or record.lost:
                    bad.append(record)
                elif args.verbose and not record.first_ok:
                    print(f"RE-RUN {record.describe()}", flush=True)
            done = number - args.first_seed + 1
            if done % 25 == 0 or done == args.runs:
                print(f"  {done}/{args.runs} seeds, {time.perf_counter() - began:.0f} s, "
                      f"{len(bad)} bad runs", flush=True)
    total = Tally()
    for tally in tallies.values():
        for name in ("runs", "first", "rerun", "not_converged", "duplicates", "lost", "calls",
                     "retries", "found", "seconds"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
        total.faults += tally.faults
    print()
    print("1st ok / re-run: converged on the first apply / after one re-run; found: lost "
          "answers apply found done on the site; 503/504/429: faults the emulator injected")
    print(HEADER)
    for name, tally in tallies.items():
        print(row(name, tally))
    if len(tallies) > 1:
        print(row("total", total))
    print(f"wall time {time.perf_counter() - began:.1f} s")
    for record in bad:
        print(f"BAD {record.describe()}")
    if total.not_converged or total.duplicates:
        sys.exit(1)


if __name__ == "__main__":
    main()
