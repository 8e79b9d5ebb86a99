"""How long a templated series takes to expand and validate: `--events` meetups stamped by
`for_each` from one `from:` template (relative times, variables, a policy, two schedule items
and a ticket each).

    python bench/templates.py [--events 100] [--repeat 5]

Prints, best and median over the repetitions: the in-process load (expand + validate), the
whole `provisioner validate` and `provisioner render` commands, and as baselines measured in
the same run, a plain YAML parse of the rendered spec (PyYAML's C loader) and `python -c pass`.
The goal is under a second for 100 events.
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

from provisioner.spec.loader import load

GOAL = 1.0  # seconds, for 100 events

TEMPLATE = """\
title: Meetup
location: {name: The Loft, address: {city: Berlin, country: DE}}
dateAndTimeSettings:
  timeZoneId: Europe/Berlin
  startDate: ${{ each.date }}T19:00
  endDate: day 1 22:00
registration: {tickets: {currency: EUR, ticketLimitPerOrder: 4}}
tickets:
  - name: Standard
    pricingMethod: {fixedPrice: "${{ vars.price }}"}
    initialLimit: ${{ vars.capacity }}
    salePeriod: {startDate: day -30 09:00, endDate: day 1 18:00}
policies:
  - {name: Code of Conduct, body: Be kind.}
schedule:
  items:
    - {name: "Talk: ${{ each.talk }}", timeSlot: {start: day 1 19:15, end: day 1 20:00}}
    - {name: Lightning Talks, timeSlot: {start: day 1 20:15, end: day 1 21:00}}
"""


def series(events: int) -> str:
    months = "\n".join(f'      - {{n: "{i}", date: 2030-{1 + i % 12:02d}-{1 + i % 28:02d}, '
                       f'talk: "Talk {i}"}}' for i in range(events))
    return f"""\
vars:
  price: "12.50"
  capacity: 80
  meetups:
    type: list
    default:
{months}
events:
  - for_each: ${{{{ vars.meetups }}}}
    from: meetup.template.yaml
    slug: meetup-${{{{ each.n }}}}
    title: "Meetup ${{{{ each.n }}}}: ${{{{ each.talk }}}}"
"""


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        runs.append(time.perf_counter() - began)
    return runs


def command(*args: str | Path) -> Callable[[], object]:
    def run() -> None:
        done = subprocess.run([sys.executable, *map(str, args)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "series.yaml"
        spec.write_text(series(args.events))
        (Path(folder) / "meetup.template.yaml").write_text(TEMPLATE)
        result = load([str(spec)])
        assert result.ok, [p.format() for p in result.errors]
        events = sum(len(doc.data.get("events", [])) for doc in result.documents)
        rendered = Path(folder) / "rendered.yaml"
        command("-m", "provisioner", "render", spec, "--out", rendered)()
        text = rendered.read_text()
        print(f"series: {events} events from one template, {len(text.splitlines()):,} lines "
              f"rendered; best and median of {args.repeat}")
        figures = {
            "load (expand + validate)": timed(lambda: load([str(spec)]), args.repeat),
            "`provisioner validate`": timed(command("-m", "provisioner", "validate", spec),
                                            args.repeat),
            "`provisioner render`": timed(command("-m", "provisioner", "render", spec, "--out",
                                                  rendered), args.repeat),
            "baseline: YAML parse of the output": timed(
                lambda: yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)),
                args.repeat),
            "baseline: `python -c pass`": timed(command("-c", "pass"), args.repeat),
        }
    print(f"{'stage':<38}{'best':>9}{'median':>9}{'vs goal':>9}")
    goal = GOAL * args.events / 100
    for name, runs in figures.items():
        best = min(runs)
        print(f"{name:<38}{best * 1000:>7.0f}ms{statistics.median(runs) * 1000:>7.0f}ms"
              f"{best / goal:>8.2f}x")
    print(f"goal: {goal:.2f} s for {args.events} events (1 s per 100)")


if __name__ == "__main__":
    main()
