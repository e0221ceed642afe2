"""Resident memory of a server process: idle, and the peak under load.

The figures come from the inbox bench (bench/inbox_post.py), which measures the server's RSS
when it has started and nothing has happened yet (idle) and samples it every 50 ms while wrk
replays signed inbox POSTs at it (loaded). RSS is read from /proc/<pid>/status (VmRSS).

    python -m bench.memory [--smoke]     # runs the inbox bench, prints only these figures
"""

from __future__ import annotations

import argparse
import asyncio
import threading
from types import TracebackType

from bench.common import Figure, Mode, report, rss_bytes

IDLE_GOAL_MB = 100
LOADED_GOAL_MB = 300
MB = 1024 * 1024


class RssSampler:
    """Samples a process's RSS in a background thread; `peak` and `samples` afterwards."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(rss_bytes(self.pid))
            except (OSError, RuntimeError):
                return  # the process is gone
            self._stop.wait(self.interval)

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def memory_figures(idle_bytes: int, loaded_peak_bytes: int, load: str) -> list[Figure]:
    return [
        Figure(
            name="RSS idle (fedi-aid serve, SQLite)",
            unit="MB",
            value=idle_bytes / MB,
            value_max=IDLE_GOAL_MB,
            note="after start and migration, before any traffic",
        ),
        Figure(
            name="RSS peak under inbox load",
            unit="MB",
            value=loaded_peak_bytes / MB,
            value_max=LOADED_GOAL_MB,
            note=load,
        ),
    ]


def main() -> None:
    from bench.inbox_post import run as run_inbox

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()
    figures = [f for f in asyncio.run(run_inbox(mode)) if f.unit == "MB"]
    report("memory", figures, mode)


if __name__ == "__main__":
    main()
