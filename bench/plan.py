"""How many calls and round trips `plan` takes to read a site, and how much client CPU it
spends, against bounds measured in the same run: a no-op plan of 1, 10 and 100 events with 50
children each (20 ticket definitions, 25 published schedule items, 3 policies, 2 form
controls) behind an emulator that delays every answer 300 ms.

    python bench/plan.py [--sizes 1,10,100] [--latency-ms 300] [--repeat 3]
                         [--children 20,25,3,2]

Starts `provisioner emulator serve` in its own process on 127.0.0.1 and makes the largest
spec's site by applying it once with no latency (a plan afterwards must find nothing to do,
or the numbers mean nothing). For each size it plans a spec of the first that-many events in
process (`desired_state`, `live_state`, `build_plan`, with a real `WixClient` over HTTP) and
prints, each against its bound:

- calls, against the page-size floor: one Query Events call per 100 events, one for the
  categories, and per child kind ceil(objects / 100) (a schedule lists its draft and its
  published copies);
- round trips: the longest chain of calls each sent after the one before it answered,
  against 3;
- wall time, against 3 round trips of latency plus the plan's own client CPU;
- client CPU (process time: the emulator runs in another process), against 1 s, with
  loading the spec reported apart, as a ratio to a plain `yaml.CSafeLoader` parse of the same
  file.

Then it times one whole `provisioner plan` process for the largest size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provisioner.client.http import WixClient
from provisioner.client.target import Target
from provisioner.model import Plan, State
from provisioner.plan.build import build_plan
from provisioner.plan.desired import desired_state
from provisioner.plan.live import live_state
from provisioner.spec.loader import load

ROUND_TRIPS = 3  # the bound on reads in a row
CPU_BOUND = 1.0  # seconds of client CPU for a plan (spec loading apart)


@dataclass(frozen=True)
class Children:
    tickets: int
    items: int
    policies: int
    controls: int

    @property
    def total(self) -> int:
        return self.tickets + self.items + self.policies + self.controls


def make_event(index: int, children: Children) -> dict[str, Any]:
    day = 1 + index % 28
    return {
        "slug": f"meetup-{index}",
        "title": f"Meetup {index}",
        "description": "Talks, then drinks.",
        "location": {"type": "VENUE", "name": "Hall",
                     "address": {"addressLine": "1 Main St", "city": "Springfield",
                                 "postalCode": "12345", "country": "US"}},
        "dateAndTimeSettings": {"timeZoneId": "America/New_York",
                                "startDate": f"2030-04-{day:02d}T09:00",
                                "endDate": f"2030-04-{day:02d}T18:00"},
        "registration": {"initialType": "TICKETING", "tickets": {"currency": "USD"}},
        "categories": ["Meetups"],
        "tickets": [{"name": f"Ticket {t}", "pricingMethod": {"fixedPrice": f"{10 + t}.00"},
                     "initialLimit": 100, "feeType": "FEE_INCLUDED"}
                    for t in range(children.tickets)],
        "schedule": {"items": [
            {"name": f"Session {s}", "stageName": f"Room {s % 3}", "tags": ["Talk"],
             "timeSlot": {"start": f"2030-04-{day:02d}T{9 + s % 8:02d}:{s // 8 % 4 * 15:02d}",
                          "end": f"2030-04-{day:02d}T{9 + s % 8:02d}:{s // 8 % 4 * 15 + 10:02d}"}}
            for s in range(children.items)]},
        "policies": [{"name": f"Policy {p}", "body": "Be kind."}
                     for p in range(children.policies)],
        "form": {"controls": [{"text": {"label": f"Question {c}"}}
                              for c in range(children.controls)]},
    }


def write_spec(folder: Path, events: int, children: Children) -> Path:
    path = folder / f"meetups-{events}.yaml"
    spec = {"version": 1, "categories": [{"name": "Meetups"}],
            "events": [make_event(i, children) for i in range(events)]}
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100), encoding="utf-8")
    return path


def floor_calls(events: int, children: Children) -> int:
    """The fewest calls a plan can read the site in, 100 objects a page."""
    pages = [events, events * children.tickets, events * children.policies,
             events * children.items * 2]  # a published schedule: draft and published copies
    return 1 + sum(-(-n // 100) for n in pages if n)  # + 1: the categories


def start_server(key: str, site: str) -> tuple[subprocess.Popen[str], str]:
    script = shutil.which("provisioner", path=str(Path(sys.executable).parent))
    cmd = [script] if script else [sys.executable, "-m", "provisioner.cli"]
    process = subprocess.Popen(
        [*cmd, "emulator", "serve", "--host", "127.0.0.1", "--port", "0", "--api-key", key,
         "--site-id", site], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    url = ""
    for line in process.stdout:
        if m := re.match(r"Wix Events emulator listening on (\S+)", line):
            url = m.group(1)
        if line.startswith("Send "):
            break
    if not url:
        process.kill()
        raise SystemExit("the emulator did not start")
    return process, url


@dataclass
class Run:
    """One plan's figures. Its `Plan` and live `State` are not kept: runs held on to would
    grow the heap every later run's garbage collections walk, and charge them CPU a single
    `provisioner plan` never spends."""

    objects: int  # live objects read
    calls: int
    round_trips: int
    wall: float  # desired state, live_state and build_plan
    cpu: float  # client process time for the same
    build: float  # seconds in build_plan


def chain(spans: list[tuple[float, float]]) -> int:
    """The longest run of calls each sent after the one before it had answered."""
    depth: list[int] = []
    ordered = sorted(spans)
    for index, (start, _) in enumerate(ordered):
        before = [depth[j] for j in range(index) if ordered[j][1] <= start]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


class TimedClient(WixClient):
    """A `WixClient` that notes when each call was sent and answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spans: list[tuple[float, float]] = []

    def round_trips(self) -> int:
        return chain(self.spans)

    async def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        began = time.perf_counter()
        try:
            return await super().request(method, path, **kwargs)
        finally:
            self.spans.append((began, time.perf_counter()))


def plan_once(target: Target, documents: list[dict[str, Any]], files: tuple[str, ...]
              ) -> tuple[Run, Plan]:
    """One in-process plan of the loaded spec `documents`: its figures, and the plan."""

    async def read(desired: State) -> tuple[State, int, int]:
        async with TimedClient(target) as client:
            live = await live_state(client, desired)
            return live, sum(client.calls.values()), client.round_trips()

    began, cpu = time.perf_counter(), time.process_time()
    desired = desired_state(documents)
    live, calls, trips = asyncio.run(read(desired))
    build_began = time.perf_counter()
    made = build_plan(desired, live, target.describe(), files)
    ended = time.perf_counter()
    cpu_used = time.process_time() - cpu
    return Run(len(live.resources), calls, trips, ended - began, cpu_used,
               ended - build_began), made


def measure(control: httpx.Client, target: Target, spec: Path, latency_ms: float,
            repeat: int) -> list[Run]:
    """`repeat` plans of `spec` with every answer delayed `latency_ms`; each must find no
    changes and make exactly the calls the emulator counted."""
    result = load([str(spec)])
    assert result.ok, [p.format() for p in result.errors[:5]]
    documents = [document.data for document in result.documents]
    control.put("/_emulator/faults", json={"latency_ms": latency_ms}).raise_for_status()
    runs = []
    for _ in range(repeat):
        control.request("DELETE", "/_emulator/requests", json={}).raise_for_status()
        run, made = plan_once(target, documents, tuple(result.files))
        served = control.get("/_emulator/requests").json()["total"]
        assert served == run.calls, (served, run.calls)
        assert not made.has_changes and not made.problems, \
            f"{spec.name}: the site does not match its spec: {made.counts()}"
        runs.append(run)
        del made
    return runs


def spec_loading(spec: Path, repeat: int) -> tuple[float, float]:
    """Median CPU seconds to load and check `spec`, and to parse it with CSafeLoader."""
    text = spec.read_text(encoding="utf-8")
    loads, parses = [], []
    for _ in range(repeat):
        cpu = time.process_time()
        assert load([str(spec)]).ok
        loads.append(time.process_time() - cpu)
        cpu = time.process_time()
        yaml.load(text, Loader=yaml.CSafeLoader)
        parses.append(time.process_time() - cpu)
    return statistics.median(loads), statistics.median(parses)


def make_site(target: Target, spec: Path) -> int:
    """Apply `spec` to the empty site (no latency); the calls it took."""
    from bench.fleet import desired_of, plan_and_apply

    desired = desired_of(spec)
    applied = asyncio.run(plan_and_apply(target, desired, parallelism=32))
    if not applied.report.ok:
        raise SystemExit(f"making the site failed: {applied.report.counts()}")
    return applied.calls


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100",
                        help="comma-separated event counts (default 1,10,100)")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--children", default="20,25,3,2",
                        help="ticket definitions, schedule items, policies and form controls "
                             "per event (default 20,25,3,2)")
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",")})
    children = Children(*(int(n) for n in args.children.split(",")))
    latency = args.latency_ms / 1000

    key, site = f"bench-{uuid.uuid4().hex}", str(uuid.uuid4())
    process, url = start_server(key, site)
    target = Target("url", url, key, site)
    control = httpx.Client(base_url=url, timeout=60)
    try:
        with tempfile.TemporaryDirectory() as folder:
            specs = {n: write_spec(Path(folder), n, children) for n in sizes}
            began = time.perf_counter()
            calls = make_site(target, specs[sizes[-1]])
            print(f"emulator at {url} ({os.cpu_count()} CPUs, shared with this process); "
                  f"made {sizes[-1]} events with {children.total} children each "
                  f"({children.tickets} ticket definitions, {children.items} published "
                  f"schedule items, {children.policies} policies, {children.controls} form "
                  f"controls) in {calls:,} calls, {time.perf_counter() - began:.1f} s")
            print(f"no-op plan in process, median of {args.repeat}, every answer delayed "
                  f"{args.latency_ms:g} ms; bounds: calls the page-size floor, "
                  f"{ROUND_TRIPS} round trips, wall {ROUND_TRIPS} x latency + client CPU, "
                  f"client CPU {CPU_BOUND:g} s")
            print(f"{'events':>7}{'objects':>9}{'calls':>7}{'floor':>7}{'trips':>7}"
                  f"{'wall':>10}{'bound':>10}{'ratio':>7}{'CPU':>9}{'ratio':>7}"
                  f"{'build':>8}{'wall@0':>9}")
            for size in sizes:
                bare = measure(control, target, specs[size], 0, args.repeat)
                slow = measure(control, target, specs[size], args.latency_ms, args.repeat)
                wall = statistics.median(r.wall for r in slow)
                cpu = statistics.median(r.cpu for r in slow)
                bound = ROUND_TRIPS * latency + cpu
                last = slow[-1]
                print(f"{size:>7}{last.objects:>9,}{last.calls:>7}"
                      f"{floor_calls(size, children):>7}{max(r.round_trips for r in slow):>7}"
                      f"{ms(wall):>10}{ms(bound):>10}{wall / bound:>6.2f}x"
                      f"{ms(cpu):>9}{cpu / CPU_BOUND:>6.2f}x"
                      f"{ms(statistics.median(r.build for r in slow)):>8}"
                      f"{ms(statistics.median(r.wall for r in bare)):>9}")
            loading, parsing = spec_loading(specs[sizes[-1]], args.repeat)
            lines = len(specs[sizes[-1]].read_text(encoding="utf-8").splitlines())
            print(f"loading the {sizes[-1]}-event spec ({lines:,} lines), apart from the plan: "
                  f"{ms(loading)} CPU = {loading / parsing:.1f}x a plain yaml.CSafeLoader "
                  f"parse of the same file ({ms(parsing)})")
            control.put("/_emulator/faults", json={"latency_ms": args.latency_ms})
            clean = {k: v for k, v in os.environ.items() if not k.startswith("WIX_")}
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "provisioner.cli", "plan", str(specs[sizes[-1]]),
                 "--target", url, "--detailed-exitcode"],
                env={**clean, "WIX_API_KEY": key, "WIX_SITE_ID": site, "NO_COLOR": "1"},
                capture_output=True, text=True, timeout=600)
            elapsed = time.perf_counter() - began
            if done.returncode != 0:
                raise SystemExit(f"`provisioner plan` failed ({done.returncode}):\n"
                                 f"{done.stdout}{done.stderr}")
            print(f"one `provisioner plan` process, {sizes[-1]} events, {args.latency_ms:g} ms "
                  f"latency: {ms(elapsed)} ({done.stdout.strip().splitlines()[-1]})")
    finally:
        control.close()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
