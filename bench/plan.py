"""How long `plan` takes to read a site over a slow link, and in how many calls: 1, 10 and 100
seeded events behind an emulator that adds 50 ms to every answer.

    python bench/plan.py [--sizes 1,10,100] [--latency-ms 50] [--repeat 3]

Starts `provisioner emulator serve` in its own process on 127.0.0.1 and seeds one site with
the largest size's events (20 children each) while answers are immediate. For each size it
plans a spec of the first that-many seeded events in process (`live_state`, then `build_plan`,
with a real `WixClient` over HTTP), first with no added latency and then with the latency set
through `PUT /_emulator/faults`, and prints: events, objects read, calls the emulator answered,
wall time with latency (median and best), the part of it spent in `build_plan`, and the wall
time without latency. Then it times one whole `provisioner plan` process for the largest size.
Every plan must find no changes, or the seed and the reader disagree and the numbers mean
nothing.
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
from tests.plan.seed import seed

TICKETS, ITEMS, POLICIES, CONTROLS = 5, 10, 3, 2  # 20 children per event


def make_event(index: int) -> dict[str, Any]:
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
                     "initialLimit": 100, "feeType": "FEE_INCLUDED"} for t in range(TICKETS)],
        "schedule": {"items": [
            {"name": f"Session {s}", "stageName": f"Room {s % 3}", "tags": ["Talk"],
             "timeSlot": {"start": f"2030-04-{day:02d}T{9 + s % 8:02d}:00",
                          "end": f"2030-04-{day:02d}T{9 + s % 8:02d}:45"}}
            for s in range(ITEMS)]},
        "policies": [{"name": f"Policy {p}", "body": "Be kind."} for p in range(POLICIES)],
        "form": {"controls": [{"text": {"label": f"Question {c}"}} for c in range(CONTROLS)]},
    }


def write_spec(folder: Path, events: int) -> Path:
    path = folder / f"meetups-{events}.yaml"
    spec = {"version": 1, "categories": [{"name": "Meetups"}],
            "events": [make_event(i) for i in range(events)]}
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100), encoding="utf-8")
    return path


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
    plan: Plan
    live: State
    calls: dict[str, int]
    read: float  # seconds in live_state
    build: float  # seconds in build_plan

    @property
    def wall(self) -> float:
        return self.read + self.build


def plan_once(target: Target, spec: Path) -> Run:
    """One in-process plan of `spec` (the spec is loaded first, untimed)."""
    result = load([str(spec)])
    assert result.ok, [p.format() for p in result.errors[:5]]
    desired = desired_state([document.data for document in result.documents])

    async def read() -> tuple[State, dict[str, int]]:
        async with WixClient(target) as client:
            return await live_state(client, desired), dict(client.calls)

    began = time.perf_counter()
    live, calls = asyncio.run(read())
    read_at = time.perf_counter()
    made = build_plan(desired, live, target.describe(), tuple(result.files))
    return Run(made, live, calls, read_at - began, time.perf_counter() - read_at)


def measure(control: httpx.Client, target: Target, spec: Path, latency_ms: float,
            repeat: int) -> list[Run]:
    """`repeat` plans of `spec` with every answer delayed `latency_ms`; each must find no
    changes and make exactly the calls the emulator counted."""
    control.put("/_emulator/faults", json={"latency_ms": latency_ms}).raise_for_status()
    runs = []
    for _ in range(repeat):
        control.request("DELETE", "/_emulator/requests", json={}).raise_for_status()
        run = plan_once(target, spec)
        served = control.get("/_emulator/requests").json()["total"]
        assert served == sum(run.calls.values()), (served, run.calls)
        assert not run.plan.has_changes and not run.plan.problems, \
            f"{spec.name}: the seeded site does not match its spec"
        runs.append(run)
    return runs


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100",
                        help="comma-separated event counts (default 1,10,100)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",")})

    key, site = f"bench-{uuid.uuid4().hex}", str(uuid.uuid4())
    process, url = start_server(key, site)
    target = Target("url", url, key, site)
    control = httpx.Client(base_url=url, timeout=30)
    try:
        with tempfile.TemporaryDirectory() as folder:
            specs = {n: write_spec(Path(folder), n) for n in sizes}
            began = time.perf_counter()
            with httpx.Client(base_url=url, headers={"Authorization": key, "wix-site-id": site},
                              timeout=30) as api:
                seed(api, Path(__file__).with_name("meetups.seed.json"),
                     copies=[{"n": str(i), "day": f"{1 + i % 28:02d}"}
                             for i in range(sizes[-1])])
            seeded = control.get("/_emulator/requests").json()["total"]
            children = TICKETS + ITEMS + POLICIES + CONTROLS
            print(f"emulator at {url} ({os.cpu_count()} CPUs, shared with this process); "
                  f"seeded {sizes[-1]} events with {children} children each in {seeded:,} "
                  f"calls, {time.perf_counter() - began:.1f} s")
            print(f"in-process plan (live_state, then build_plan), median of {args.repeat}; "
                  f"every answer delayed {args.latency_ms:g} ms, and for comparison 0 ms")
            print(f"{'events':>7}{'objects':>9}{'calls':>7}{'wall':>11}{'best':>11}"
                  f"{'build':>10}{'wall@0ms':>11}")
            for size in sizes:
                bare = measure(control, target, specs[size], 0, args.repeat)
                slow = measure(control, target, specs[size], args.latency_ms, args.repeat)
                last = slow[-1]
                print(f"{size:>7}{len(last.live.resources):>9,}{sum(last.calls.values()):>7}"
                      f"{ms(statistics.median(r.wall for r in slow)):>11}"
                      f"{ms(min(r.wall for r in slow)):>11}"
                      f"{ms(statistics.median(r.build for r in slow)):>10}"
                      f"{ms(statistics.median(r.wall for r in bare)):>11}")
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
