"""Requests per second the emulator sustains for get and query calls over loopback.

Starts `provisioner emulator serve` in its own process (as a user would), seeds one site with a
conference (events, ticket definitions, policies), then drives each call from this process with
several concurrent keep-alive connections for a fixed time and prints throughput and latency.

    python bench/emulator.py [--seconds 5] [--connections 8] [--events 50]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

Call = Callable[[httpx.Client], httpx.Response]


def start_server() -> tuple[subprocess.Popen, str, dict[str, str]]:
    script = shutil.which("provisioner", path=str(Path(sys.executable).parent))
    cmd = [script] if script else [sys.executable, "-m", "provisioner.cli"]
    process = subprocess.Popen([*cmd, "emulator", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    values: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if m := re.match(r"Wix Events emulator listening on (\S+)", line):
            values["url"] = m.group(1)
        elif m := re.match(r"\s+(API key|Site id):\s+(\S+)", line):
            values[m.group(1)] = m.group(2)
        if line.startswith("Send "):
            break
    headers = {"Authorization": values["API key"], "wix-site-id": values["Site id"]}
    return process, values["url"], headers


def seed(client: httpx.Client, events: int) -> dict[str, str]:
    """A site with `events` events; the first has 10 ticket definitions and 3 policies."""
    ids = []
    for n in range(events):
        body = {"event": {
            "title": f"Conference {n}",
            "location": {"name": "Hall", "type": "VENUE"},
            "dateAndTimeSettings": {"startDate": "2030-06-15T16:00:00Z",
                                    "endDate": "2030-06-16T01:00:00Z",
                                    "timeZoneId": "Europe/London"},
            "registration": {"initialType": "TICKETING"}}}
        ids.append(client.post("/events/v3/events", json=body).raise_for_status().json()
                   ["event"]["id"])
    for n in range(10):
        client.post("/events/v3/ticket-definitions", json={"ticketDefinition": {
            "eventId": ids[0], "name": f"Tier {n}", "feeType": "FEE_INCLUDED",
            "pricingMethod": {"fixedPrice": {"value": f"{10 + n}.00", "currency": "USD"}}}})
    for n in range(3):
        client.post("/events/v2/policies", json={"policy": {
            "eventId": ids[0], "name": f"Policy {n}", "body": "Terms."}})
    return {"event": ids[0], "slug": "conference-0"}


def drive(base_url: str, headers: dict[str, str], call: Call, seconds: float,
          connections: int) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal failures
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                response = call(client)
                mine.append(time.perf_counter() - began)
                bad += response.status_code != 200
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()

    process, url, headers = start_server()
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            ids = seed(client, args.events)
        event = ids["event"]
        calls: dict[str, Call] = {
            "GET event": lambda c: c.get(f"/events/v3/events/{event}"),
            "GET event (all fieldsets)": lambda c: c.get(
                f"/events/v3/events/{event}",
                params={"fields": ["DETAILS", "REGISTRATION", "URLS", "FORM", "DASHBOARD"]}),
            "GET event by slug": lambda c: c.get(f"/events/v3/events/slug/{ids['slug']}"),
            f"POST query events ({args.events} on site, limit 20)": lambda c: c.post(
                "/events/v3/events/query", json={"query": {"paging": {"limit": 20}}}),
            "POST query ticket definitions (10, by eventId)": lambda c: c.post(
                "/events/v3/ticket-definitions/query",
                json={"query": {"filter": {"eventId": event}}}),
            "POST query policies (3, by eventId)": lambda c: c.post(
                "/events/v2/policies/query", json={"query": {"filter": {"eventId": event}}}),
        }
        print(f"emulator at {url}; {args.connections} connections, {args.seconds:g} s per call, "
              f"{os.cpu_count()} CPUs (client and server share them)")
        print(f"{'call':<52} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
        for name, call in calls.items():
            count, latencies, failures = drive(url, headers, call, args.seconds,
                                               args.connections)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
            print(f"{name:<52} {count / args.seconds:>8.0f} {p50:>8.1f} {p95:>8.1f} "
                  f"{failures:>7}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
