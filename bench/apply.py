"""How fast `apply` makes a site, and whether it keeps to the site's rate limit.

    python bench/apply.py [--latency-ms 100] [--repeat 5] [--events 100] [--rate-limit 200]
                          [--skip-fleet]

Starts `provisioner emulator serve` in its own process on 127.0.0.1 and, with a fresh site
for every run (`POST /_emulator/reset`), applies in process the way `provisioner apply` does
(`live_state`, `build_plan`, `execute` over a real `WixClient`):

(a) DevCon (`examples/devcon2025.yaml`) on an empty site with every answer delayed
    `--latency-ms`, at the default parallelism, `--repeat` times on a quiet machine and as
    often again under load (CPU-burning processes, one per core but one, or one on a single
    core, started before and killed after): the median wall time as a ratio to the plan's
    lower bound, dependency depth (the fewest round trips any apply can take) x latency,
    against 1.2x; and the client's CPU time per call (this process's CPU time during the
    apply / its calls), against 1 ms, since every millisecond of it a level's calls wait
    for lengthens the critical path. The same again through httpx's default transport
    (PROVISIONER_TRANSPORT=httpx), the client's CPU per call as a ratio to it. Then the
    same plan once at each parallelism, 1 (every call after the one before), 8 and 64
    (every ready action at once), to show what the cap on concurrent calls costs.
(b) a fleet of `--events` small published events (2 tickets, 1 policy and one shared
    category each, from one template) under an emulator rate limit of `--rate-limit` calls a
    minute, the client's limiter set to the same (`client.limit_rate`): total calls, wall
    time, achieved calls a minute, the 429s the emulator answered (from its request log) and
    failed actions (must be 0). At 200 calls a minute, 100 events take about 2.5 minutes:
    that is the limit working.

Every apply must report every action applied, and a plan made afterwards must find no change.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import (
    Applied,
    Emulator,
    converged,
    desired_of,
    emulator,
    plan_and_apply,
    write_fleet,
)
from provisioner.apply.graph import dependencies, depth
from provisioner.apply.report import DEFAULT_PARALLELISM
from provisioner.client.http import TRANSPORT_VARIABLE
from provisioner.model import State

# the default, 8, every ready action at once, one at a time
COLUMNS = tuple(dict.fromkeys((DEFAULT_PARALLELISM, 8, 64, 1)))
DEVCON = Path(__file__).resolve().parents[1] / "examples" / "devcon2025.yaml"
RATIO_BOUND = 1.2  # wall time / (depth x latency) an apply should stay within
CPU_BOUND_MS = 1.0  # client CPU per call: more, and it shows on the critical path
BURNER = "while True: pass"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def checked(emu: Emulator, applied: Applied, desired_path: Path, what: str) -> Applied:
    """`applied` if every action applied and the site now matches the spec."""
    counts = applied.report.counts()
    if not applied.report.ok:
        bad = [f"{o.action.address} {o.action.verb}: {o.status} {o.detail}"
               for o in applied.report.outcomes if o.status != "applied"][:5]
        raise SystemExit(f"{what}: not every action applied {counts}:\n  " + "\n  ".join(bad))
    emu.faults({})
    if not asyncio.run(converged(emu.target, desired_of(desired_path))):
        raise SystemExit(f"{what}: the site still differs from the spec after apply")
    return applied


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def load(burners: int) -> Iterator[None]:
    """`burners` processes spinning on a core each while the block runs."""
    spinning = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(burners)]
    try:
        time.sleep(0.2)  # let them start spinning
        yield
    finally:
        for process in spinning:
            process.kill()
        for process in spinning:
            process.wait()


@contextmanager
def transport(name: str) -> Iterator[None]:
    """Calls through `name` (PROVISIONER_TRANSPORT) while the block runs."""
    before = os.environ.get(TRANSPORT_VARIABLE)
    os.environ[TRANSPORT_VARIABLE] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ[TRANSPORT_VARIABLE]
        else:
            os.environ[TRANSPORT_VARIABLE] = before


def apply_devcon(emu: Emulator, desired: State, latency_ms: float, parallelism: int
                 ) -> Applied:
    emu.reset({"latency_ms": latency_ms})
    applied = asyncio.run(plan_and_apply(emu.target, desired, parallelism=parallelism))
    return checked(emu, applied, DEVCON, f"DevCon, parallelism {parallelism}")


def devcon(emu: Emulator, latency_ms: float, repeat: int) -> None:
    desired = desired_of(DEVCON)
    runs: dict[int, Applied] = {}
    for parallelism in COLUMNS:
        runs[parallelism] = apply_devcon(emu, desired, latency_ms, parallelism)
    plan = runs[DEFAULT_PARALLELISM].plan
    for other in runs.values():
        assert [a.address for a in other.plan.actions] == [a.address for a in plan.actions]
    deps = dependencies(plan.actions)
    levels = depth(deps)
    bound = levels * latency_ms / 1000
    print(f"(a) DevCon on an empty site, every answer delayed {latency_ms:g} ms: "
          f"{len(plan.actions)} actions, dependency depth {levels}, widest level "
          f"{max(Counter(level_of(deps)).values())} actions")
    burners = max(1, cores() - 1)

    def applies() -> list[Applied]:
        return [apply_devcon(emu, desired, latency_ms, DEFAULT_PARALLELISM)
                for _ in range(repeat)]

    quiet = applies()
    with transport("httpx"):
        quiet_httpx = applies()
    with load(burners):
        loaded = applies()
        with transport("httpx"):
            loaded_httpx = applies()
    print(f"    median of {repeat} applies at parallelism {DEFAULT_PARALLELISM} (the default); "
          f"under load: {burners} CPU-burning process{'es' if burners > 1 else ''} "
          f"(python -c \"{BURNER}\") on this {cores()}-core machine")
    print(f"    {'':<44}{'quiet':>12}{'under load':>14}")

    def median(runs: list[Applied], value: Callable[[Applied], float]) -> float:
        return statistics.median(value(r) for r in runs)

    def ratio(runs: list[Applied]) -> str:  # no bound without latency: no ratio either
        return f"{median(runs, lambda r: r.report.seconds) / bound:.2f}x" if bound else "-"

    def cpu(runs: list[Applied]) -> str:
        return f"{median(runs, lambda r: r.cpu_seconds / r.report.calls) * 1000:.2f} ms"

    summary: list[tuple[str, Callable[[list[Applied]], str], str]] = [
        ("apply wall time", lambda rs: ms(median(rs, lambda r: r.report.seconds)), ""),
        (f"lower bound: depth {levels} x {latency_ms:g} ms", lambda rs: ms(bound), ""),
        ("wall time / lower bound", ratio, f"(bound {RATIO_BOUND:g}x)"),
        ("client CPU per call (CPU time / calls)", cpu, f"(bound {CPU_BOUND_MS:g} ms)"),
        ("apply calls", lambda rs: f"{median(rs, lambda r: r.report.calls):g}", ""),
    ]
    for label, cell, note in summary:
        print(f"    {label:<44}{cell(quiet):>12}{cell(loaded):>14}   {note}".rstrip())
    print("    the same through httpx's default transport (PROVISIONER_TRANSPORT=httpx):")
    for label, cell, _ in summary[2:4]:
        print(f"    {'  ' + label:<44}{cell(quiet_httpx):>12}{cell(loaded_httpx):>14}")

    def cpu_ratio(own: list[Applied], baseline: list[Applied]) -> str:
        def per_call(runs: list[Applied]) -> float:
            return median(runs, lambda r: r.cpu_seconds / r.report.calls)
        return f"{per_call(own) / per_call(baseline):.2f}x"

    print(f"    {'client CPU per call, own / httpx default':<44}"
          f"{cpu_ratio(quiet, quiet_httpx):>12}{cpu_ratio(loaded, loaded_httpx):>14}")
    print(f"    one apply at each parallelism, quiet:\n    {'':<34}"
          + "".join(f"{'parallelism ' + str(p):>16}" for p in COLUMNS))
    rows: list[tuple[str, Callable[[Applied], str]]] = [
        ("apply wall time", lambda r: ms(r.report.seconds)),
        ("apply calls", lambda r: f"{r.report.calls}"),
        (f"lower bound: depth {levels} x {latency_ms:g} ms", lambda r: ms(bound)),
        ("wall time / lower bound",  # no bound without latency: the ratio means nothing
         lambda r: f"{r.report.seconds / bound:.2f}x" if bound else "-"),
        ("calls x latency (all serial)", lambda r: ms(r.report.calls * latency_ms / 1000)),
        ("plan before it (live_state)", lambda r: ms(r.read_seconds)),
    ]
    for label, row in rows:
        print(f"    {label:<34}" + "".join(f"{row(runs[p]):>16}" for p in COLUMNS))
    fast, slow = runs[DEFAULT_PARALLELISM], runs[1]
    print(f"    parallelism {DEFAULT_PARALLELISM} (the default) is "
          f"{slow.report.seconds / fast.report.seconds:.1f}x faster than one call at a time")


def level_of(deps: list[set[int]]) -> list[int]:
    """Each action's dependency level (1: waits for nothing), as `graph.depth` counts."""
    levels: list[int] = []
    for waits in deps:
        levels.append(1 + max((levels[d] for d in waits), default=0))
    return levels


def fleet(emu: Emulator, events: int, rate_limit: int, latency_ms: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_fleet(Path(folder), events)
        desired = desired_of(path)
        emu.reset({"rate_limit": rate_limit, "latency_ms": latency_ms})
        print(f"(b) a fleet of {events} published events (2 tickets, 1 policy, 1 category each), "
              "emulator "
              f"limit {rate_limit} calls/minute per site, client limiter {rate_limit}/minute, "
              f"latency {latency_ms:g} ms; running...", flush=True)
        began = time.perf_counter()
        applied = asyncio.run(plan_and_apply(emu.target, desired, rate_limit=rate_limit))
        wall = time.perf_counter() - began
        statuses = emu.statuses()
        served = emu.served()
        checked(emu, applied, path, "fleet")
    report = applied.report
    counts = report.counts()
    print(f"    {'actions':<34}{len(applied.plan.actions):>12,}")
    print(f"    {'calls (plan reads + apply)':<34}{applied.calls:>12,}"
          f"   (the emulator logged {served:,} requests)")
    print(f"    {'  of which the apply':<34}{report.calls:>12,}")
    print(f"    {'wall time (plan + apply)':<34}{wall:>11,.1f}s"
          f"   (apply {report.seconds:,.1f} s)")
    print(f"    {'achieved calls/minute':<34}{applied.calls / wall * 60:>12,.1f}"
          f"   (limit {rate_limit})")
    if applied.calls > applied.burst:  # a smaller run fits in the burst: no steady rate
        print(f"    {'  not counting the first burst':<34}"
              f"{(applied.calls - applied.burst) / wall * 60:>12,.1f}"
              f"   (a burst of {applied.burst:.0f} calls goes out at once)")
    print(f"    {'time held back by the limiter':<34}{applied.waited:>11,.1f}s")
    print(f"    {'429s answered by the emulator':<34}{statuses.get(429, 0):>12,}")
    print(f"    {'client retries':<34}{applied.retries:>12,}")
    print(f"    {'failed / conflict / skipped':<34}"
          f"{counts['failed']:>8} / {counts['conflict']} / {counts['skipped']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0,
                        help="added to every answer in (a) (default 100)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="DevCon applies for each median in (a), quiet and loaded (default 5)")
    parser.add_argument("--events", type=int, default=100, help="fleet size (default 100)")
    parser.add_argument("--rate-limit", type=int, default=200,
                        help="calls a minute, emulator and client (default 200)")
    parser.add_argument("--fleet-latency-ms", type=float, default=0.0)
    parser.add_argument("--skip-fleet", action="store_true")
    args = parser.parse_args()
    with emulator() as emu:
        print(f"emulator at {emu.target.base_url}, in its own process")
        devcon(emu, args.latency_ms, args.repeat)
        if not args.skip_fleet:
            fleet(emu, args.events, args.rate_limit, args.fleet_latency_ms)


if __name__ == "__main__":
    main()
