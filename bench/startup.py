"""How long the command line takes to start: `provisioner --help` and `provisioner validate
examples/devcon2025.yaml` as whole processes, against `python -c pass` in the same run.

    python bench/startup.py [--repeat 20]

Run it with the interpreter of the environment the `provisioner` script is installed in (the
script is looked up beside it). Each command runs once to warm the caches, then `--repeat`
times, the three taking turns so a busy moment of the machine weighs on all of them alike.
The commands run as an installed package does, from byte-code caches: PYTHONDONTWRITEBYTECODE
is left out of their environment, else every edited module would be compiled on every run.
Prints the median and best wall time of each, the two commands also as a share of their bound
(150 ms for `--help`, 300 ms for `validate`) and as a multiple of `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = "examples/devcon2025.yaml"
BOUNDS_MS = {"provisioner --help": 150.0, f"provisioner validate {SPEC}": 300.0}


def entry_point() -> Path:
    """The `provisioner` script installed beside this interpreter, as a user runs it."""
    folder = Path(sys.executable).parent
    for name in ("provisioner", "provisioner.exe"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"no `provisioner` script in {folder}: run this with the interpreter of "
                     "the environment the package is installed in (pip install -e .)")


def timed_once(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:  # a failing command would be timed doing something else
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n"
                         f"{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    script = str(entry_point())
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "provisioner --help": [script, "--help"],
        f"provisioner validate {SPEC}": [script, "validate", SPEC],
    }
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():
        timed_once(argv, env)  # warm-up: byte-code caches and the file system cache
    for _ in range(args.repeat):
        for name, argv in commands.items():
            runs[name].append(timed_once(argv, env) * 1000)
    baseline = statistics.median(runs["python -c pass"])
    print(f"best and median of {args.repeat} runs each")
    for name, times in runs.items():
        median, best = statistics.median(times), min(times)
        line = f"{name}: {median:.0f} ms median (best {best:.0f})"
        if name in BOUNDS_MS:
            bound = BOUNDS_MS[name]
            line += (f" = {median / bound:.2f}× the {bound:.0f} ms bound; "
                     f"{median / baseline:.1f}× python -c pass")
        print(line)


if __name__ == "__main__":
    main()
