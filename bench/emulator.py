"""Server CPU, throughput and latency of the emulator's reads, against a 10 ms CPU bound.

Starts `provisioner emulator serve` in its own process (as a user would), seeds one site in a
single import call (`--events` events, each with 20 ticket definitions, 3 policies and 25
published schedule items, so List Schedule Items has a draft and a published copy of each),
then drives each call from this process with several concurrent keep-alive connections for a
fixed time. The calls: a get, and one full page of 100 objects of each read a plan of 100
events makes (`$in` / repeated `eventId` over up to 100 events, with the fieldsets the planner
asks for); of reads longer than a page, the middle page, which costs more to find than the
first.

For each call it prints throughput and latency, and the emulator process's CPU per call
(user + system time from /proc/<pid>/stat over the drive, divided by the calls served) as a
ratio to the bound: the emulator must serve a page of 100 objects in under 10 ms of CPU.

    python bench/emulator.py [--seconds 3] [--connections 8] [--events 100]
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
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

Call = Callable[[httpx.Client], httpx.Response]

BOUND_MS = 10.0  # server CPU allowed for one page of 100 objects
DEFINITIONS, POLICIES, ITEMS = 20, 3, 25  # per event
PAGE = 100
EVENT_FIELDS = ["DETAILS", "TEXTS", "REGISTRATION", "SEO_SETTINGS", "AGENDA", "FORM",
                "CATEGORIES"]  # what the planner's Query Events asks for
STATES = ["PUBLISHED", "DRAFT", "VISIBLE", "HIDDEN"]  # what its List Schedule Items asks for


def start_server() -> tuple[subprocess.Popen, str, dict[str, str]]:
    script = shutil.which("provisioner", path=str(Path(sys.executable).parent))
    cmd = [script] if script else [sys.executable, "-m", "provisioner.cli"]
    process = subprocess.Popen([*cmd, "emulator", "serve", "--host", "127.0.0.1", "--port", "0"],
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


def stamp(day: int, minutes: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                         time.gmtime(1907400000 + day * 86400 + minutes * 60))


def site_export(events: int) -> dict[str, Any]:
    """A `wix-events-site` export: `events` ticketed events, one a day, with their children."""
    out: dict[str, Any] = {"format": "wix-events-site", "version": 1, "events": [],
                           "ticketDefinitions": [], "policies": [], "schedule": [],
                           "categories": []}
    ids = [str(uuid.UUID(int=n + 1)) for n in range(events)]
    for n, event_id in enumerate(ids):
        out["events"].append({
            "id": event_id, "title": f"Conference {n}", "slug": f"conference-{n}",
            "shortDescription": "Two days of talks.",
            "location": {"name": "Hall", "type": "VENUE"},
            "dateAndTimeSettings": {"startDate": stamp(n, 9 * 60), "endDate": stamp(n, 22 * 60),
                                    "timeZoneId": "Europe/London"},
            "registration": {"initialType": "TICKETING"}})
        out["ticketDefinitions"] += [{
            "eventId": event_id, "name": f"Tier {t}", "description": "Entry for one.",
            "feeType": "FEE_INCLUDED", "initialLimit": 100 + t,
            "pricingMethod": {"fixedPrice": {"value": f"{10 + t}.00", "currency": "USD"}},
        } for t in range(DEFINITIONS)]
        out["policies"] += [{"eventId": event_id, "name": f"Policy {p}", "body": "Terms."}
                            for p in range(POLICIES)]
        items = [{"name": f"Talk {i}", "stageName": f"Stage {i % 3}", "tags": ["talk"],
                  "timeSlot": {"start": stamp(n, 9 * 60 + 30 * i),
                               "end": stamp(n, 9 * 60 + 30 * i + 25),
                               "timeZoneId": "Europe/London"}} for i in range(ITEMS)]
        out["schedule"].append({"eventId": event_id, "items": items, "draftItems": items})
    out["categories"] = [{"id": str(uuid.UUID(int=10**6 + c)), "name": f"Track {c}",
                          "eventIds": ids[c::4]} for c in range(4)]
    return out


def seed(url: str, headers: dict[str, str], events: int) -> list[str]:
    """Import the site in one call; the event ids, in creation order."""
    body = site_export(events)
    with httpx.Client(base_url=url, timeout=120) as client:
        client.put("/_emulator/sites/import", json=body,
                   headers={"wix-site-id": headers["wix-site-id"]}).raise_for_status()
    return [event["id"] for event in body["events"]]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, from /proc (None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the ")" that ends the command name, utime and stime are the 12th and 13th fields
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def middle(total: int) -> int:
    """The offset of the middle full page of `total` objects."""
    return max(0, min(total // 2, total - PAGE)) // PAGE * PAGE


def calls(ids: list[str]) -> dict[str, tuple[str, int, Call]]:
    """name -> (what one call serves, objects on the page, the call)."""
    chunk = ids[:PAGE]
    slugs = [f"conference-{n}" for n in range(len(chunk))]

    def by_event(total: int) -> dict[str, Any]:
        return {"query": {"filter": {"eventId": {"$in": chunk}},
                          "paging": {"limit": PAGE, "offset": middle(total)}}}

    items = len(chunk) * ITEMS * 2
    listing = [("eventId", i) for i in chunk] + [("state", s) for s in STATES]
    listing += [("paging.limit", str(PAGE)), ("paging.offset", str(middle(items)))]
    return {
        "GET event": ("a get", 1, lambda c: c.get(f"/events/v3/events/{ids[0]}")),
        "POST query events ($in slugs, fieldsets)": (
            "events", len(chunk), lambda c: c.post("/events/v3/events/query", json={
                "query": {"filter": {"slug": {"$in": slugs}}, "paging": {"limit": PAGE}},
                "fields": EVENT_FIELDS, "includeDrafts": True})),
        "POST query ticket definitions ($in eventId)": (
            "ticket definitions", min(PAGE, len(chunk) * DEFINITIONS),
            lambda c: c.post("/events/v3/ticket-definitions/query",
                             json={**by_event(len(chunk) * DEFINITIONS),
                                   "fields": ["SALES_DETAILS"]})),
        "POST query policies ($in eventId)": (
            "policies", min(PAGE, len(chunk) * POLICIES),
            lambda c: c.post("/events/v2/policies/query", json=by_event(len(chunk) * POLICIES))),
        "GET list schedule items (eventId x N)": (
            "schedule items", min(PAGE, items),
            lambda c: c.get("/events/v1/schedule", params=listing)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="driving time per call")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()

    process, url, headers = start_server()
    try:
        began = time.perf_counter()
        ids = seed(url, headers, args.events)
        print(f"emulator at {url}; seeded {args.events} events x ({DEFINITIONS} ticket "
              f"definitions, {POLICIES} policies, {ITEMS} schedule items, published) in "
              f"{time.perf_counter() - began:.1f} s")
        print(f"{args.connections} connections, {args.seconds:g} s per call, "
              f"{os.cpu_count()} CPUs (client and server share them)")
        print(f"{'call':<46} {'objects':>7} {'CPU ms':>7} {'req/s':>8} {'p50 ms':>8} "
              f"{'p95 ms':>8} {'errors':>7}")
        verdicts = []
        for name, (what, objects, call) in calls(ids).items():
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                found = call(client).raise_for_status().json()  # warm up; fail on a bad call
            listed = next((v for v in found.values() if isinstance(v, list)), [found])
            assert len(listed) == objects, f"{name}: {len(listed)} objects, not {objects}"
            before = cpu_seconds(process.pid)
            count, latencies, failures = drive(url, headers, call, args.seconds,
                                               args.connections)
            after = cpu_seconds(process.pid)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000
            cpu = None if before is None or after is None else (after - before) * 1000 / count
            shown = "n/a" if cpu is None else f"{cpu:.1f}"
            print(f"{name:<46} {objects:>7} {shown:>7} {count / args.seconds:>8.0f} "
                  f"{p50:>8.1f} {p95:>8.1f} {failures:>7}")
            subject = what if objects == 1 else f"page of {objects} {what}"
            verdicts.append(f"{subject}: {shown} ms CPU per call" + (
                "" if cpu is None else f" = {cpu / BOUND_MS:.2f}× the {BOUND_MS:g} ms bound"))
        print("server CPU per call:")
        for verdict in verdicts:
            print(f"  {verdict}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
