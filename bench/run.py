"""Run every benchmark and print one table of figures against their goals.

    python -m bench.run            # the full run (`make bench`), a few minutes
    python -m bench.run --smoke    # each bench for a second or two; under a minute in all
    python -m bench.run --only inbox_post --only deliveries

Each bench also writes bench/results/<name>.json; the whole table goes to
bench/results/all.json (all.smoke.json for --smoke). The exit status is non-zero when a bench
could not run; with --strict also when a figure misses its goal.

Hooks for what is not built yet: a module bench/<name>.py with
`async def run(mode: Mode) -> list[Figure]` is picked up for each name in HOOKS. Until it
exists the table shows the figure as pending, with no number.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable

from bench.common import Figure, Mode, format_table, machine_info, pending, write_results

Runner = Callable[[Mode], Awaitable[list[Figure]]]

# Built benches, in the order they run. The memory figures come with the inbox bench.
BENCHES = ("http_get", "inbox_post", "deliveries", "propagation", "matching")

# Benches waiting for their feature: name -> (figure, why it is pending, goal). None now.
HOOKS: dict[str, tuple[str, str, str]] = {}


def find_runner(name: str) -> Runner | None:
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            return None
        raise
    return getattr(module, "run", None)


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


async def run_all(mode: Mode, only: list[str]) -> tuple[list[Figure], list[str]]:
    figures: list[Figure] = []
    broken: list[str] = []
    for name in [*BENCHES, *HOOKS]:
        if only and name not in only:
            continue
        runner = find_runner(name)
        if runner is None:
            figure, why, goal = HOOKS.get(name, (name, "pending: no bench module yet", ""))
            figures.append(pending(figure, why, goal))
            continue
        started = time.monotonic()
        print(f"== {name} ...", flush=True)
        try:
            got = await runner(mode)
        except Exception:  # noqa: BLE001 - report and go on with the other benches
            traceback.print_exc()
            broken.append(name)
            figures.append(pending(f"{name}: FAILED TO RUN", "see the traceback above"))
            continue
        write_results(name, got, mode)
        figures += got
        print(f"   {name} took {time.monotonic() - started:.1f} s", flush=True)
    return figures, broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run of each bench")
    parser.add_argument("--only", action="append", default=[], help="run only this bench")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()

    machine = machine_info()
    load = load_average()
    print(
        f"machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gib']} GiB, "
        f"Python {machine['python']}, {machine['wrk'] or 'no wrk'}; load average {load:.2f}"
    )
    if load > 0.5:
        print(
            f"warning: the machine is busy (load average {load:.2f}); figures will be low "
            "and noisy. Ratios are measured back to back and suffer less.",
            file=sys.stderr,
        )
    started = time.monotonic()
    figures, broken = asyncio.run(run_all(mode, args.only))
    elapsed = time.monotonic() - started
    print()
    print(format_table(figures))
    path = write_results(
        "all", figures, mode, load_average_before=load, load_average_after=load_average()
    )
    print(f"\n{len(figures)} figures in {elapsed:.0f} s; written to {path}")
    if args.smoke and elapsed > 60:
        print(f"warning: the smoke run took {elapsed:.0f} s (meant to stay under 60 s)")
    if broken:
        print(f"benches that could not run: {', '.join(broken)}", file=sys.stderr)
        sys.exit(2)
    if args.strict and any(f.passed is False for f in figures):
        sys.exit(1)


if __name__ == "__main__":
    main()
