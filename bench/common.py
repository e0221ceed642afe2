"""What every benchmark shares: processes on loopback, CPU pinning, wrk, RSS, figures, results.

Nothing here imports from tests/: the few lines of harness the benches need are written here.
Every server is started on 127.0.0.1 and every load loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = RESULTS_DIR / "cache"
WRK_DIR = BENCH_DIR / "wrk"


# --------------------------------------------------------------------------- modes


@dataclass(frozen=True)
class Mode:
    """How long and how big: the full run (`make bench`) or the seconds-long smoke run."""

    smoke: bool
    duration: float  # seconds of load per wrk measurement
    warmup: float  # seconds of load thrown away before each measurement
    connections: int = 50

    @classmethod
    def full(cls) -> Mode:
        return cls(smoke=False, duration=10.0, warmup=2.0)

    @classmethod
    def quick(cls) -> Mode:
        return cls(smoke=True, duration=1.0, warmup=0.0)


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One line of the table. A figure passes when it meets every goal it has.

    `ratio_min`: value / baseline must be at least this. `value_min` / `value_max`: bounds on
    the value itself. A figure whose value is None is pending (the feature is not built yet).
    """

    name: str
    unit: str
    value: float | None
    baseline: float | None = None
    baseline_name: str = ""
    ratio_min: float | None = None
    value_min: float | None = None
    value_max: float | None = None
    note: str = ""
    goal_text: str = ""  # the goal in words, for a figure whose goal is not a number bound

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def goal(self) -> str:
        if self.goal_text:
            return self.goal_text
        parts = []
        if self.value_min is not None:
            parts.append(f">= {self.value_min:,.0f} {self.unit}")
        if self.value_max is not None:
            parts.append(f"< {self.value_max:,.0f} {self.unit}")
        if self.ratio_min is not None:
            parts.append(f">= {self.ratio_min:.0%} of baseline")
        return "; ".join(parts) or "(info)"

    @property
    def passed(self) -> bool | None:
        """True/False against the goals; None for a pending figure or one without goals."""
        if self.value is None:
            return None
        checks: list[bool] = []
        if self.value_min is not None:
            checks.append(self.value >= self.value_min)
        if self.value_max is not None:
            checks.append(self.value < self.value_max)
        if self.ratio_min is not None:
            ratio = self.ratio
            checks.append(ratio is not None and ratio >= self.ratio_min)
        return all(checks) if checks else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, goal=self.goal, passed=self.passed)
        return data


def pending(name: str, why: str, goal: str = "") -> Figure:
    """A figure whose feature is not built yet: shown in the table, never with a number."""
    return Figure(name=name, unit="", value=None, note=why, goal_text=goal)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def format_table(figures: Sequence[Figure]) -> str:
    header = ("figure", "value", "baseline", "ratio", "goal", "result")
    rows = []
    for fig in figures:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[fig.passed]
        if fig.value is None:
            verdict = "pending"
        baseline = _number(fig.baseline, fig.unit)
        if fig.baseline is not None and fig.baseline_name:
            baseline = f"{baseline} ({fig.baseline_name})"
        ratio = "-" if fig.ratio is None else f"{fig.ratio:.0%}"
        value = _number(fig.value, fig.unit) if fig.value is not None else fig.note or "-"
        rows.append((fig.name, value, baseline, ratio, fig.goal, verdict))
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator, *(line(row) for row in rows)])


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                cpu = text_line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for text_line in Path("/proc/meminfo").read_text().splitlines():
            if text_line.startswith("MemTotal:"):
                ram_kb = int(text_line.split()[1])
    wrk = shutil.which("wrk")
    wrk_version = ""
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        wrk_version = (
            (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
        )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": wrk_version,
    }


def write_results(name: str, figures: Sequence[Figure], mode: Mode, **extra: Any) -> Path:
    """bench/results/<name>.json (the smoke run writes <name>.smoke.json)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / (f"{name}.smoke.json" if mode.smoke else f"{name}.json")
    data = {
        "bench": name,
        "mode": "smoke" if mode.smoke else "full",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_info(),
        "figures": [fig.as_dict() for fig in figures],
        **extra,
    }
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def report(name: str, figures: Sequence[Figure], mode: Mode, **extra: Any) -> None:
    path = write_results(name, figures, mode, **extra)
    print(format_table(figures))
    print(f"(written to {path.relative_to(REPO_DIR)})")


# --------------------------------------------------------------------------- processes


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port that is free now, below the kernel's ephemeral range.

    A port the kernel hands out for bind(0) is an ephemeral one: between this call and the
    server's own bind, an outgoing connection (wrk's, a client's) may take it as its local port,
    and the server then fails with "address already in use". Below the range only listeners
    compete, and the port is checked free.
    """
    low = _ephemeral_low()
    for _ in range(500):
        port = random.randint(max(1024, low - 12000), low - 1)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:  # a crowded machine: take what the kernel gives
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_plan() -> tuple[set[int] | None, set[int] | None]:
    """(CPUs for the server under test, CPUs for the load generator).

    With two or more CPUs the server gets one core to itself and the load another, so "one
    core" in a goal means one core. With one CPU nothing is pinned.
    """
    try:
        available = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None, None
    if len(available) < 2:
        return None, None
    return {available[0]}, {available[1]}


def _pinned(cpus: set[int] | None):  # type: ignore[no-untyped-def]
    if not cpus:
        return None

    def preexec() -> None:
        os.sched_setaffinity(0, cpus)

    return preexec


@contextlib.contextmanager
def pinned_here(cpus: set[int] | None) -> Iterator[None]:
    """Pin this process (the in-process benches) to `cpus` for the duration of the block."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status (VmRSS, in kB)."""
    for text_line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text_line.startswith("VmRSS:"):
            return int(text_line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def python_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    env["PYTHONPATH"] = str(REPO_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


class Server:
    """A server process on loopback: started pinned, waited for, stopped, its log kept."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        *,
        env: dict[str, str] | None = None,
        cpus: set[int] | None = None,
        ready_path: str = "/",
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.env = env or python_env()
        self.cpus = cpus
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None
        self.profiler: subprocess.Popen[bytes] | None = None
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = RESULTS_DIR / f"{name}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0) -> Server:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_pinned(self.cpus),  # noqa: PLW1509 - only sched_setaffinity
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=2) as resp:
                    resp.read()
                break
            except urllib.error.HTTPError:
                break  # it answers: good enough
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError(f"{self.name} did not answer on {self.base} within {timeout:.0f} s")
        self._start_profiler()
        return self

    def _start_profiler(self) -> None:
        """BENCH_PROFILE=1 (or =gil, =idle, =native): record the server with py-spy while it runs.

        The collapsed stacks go to bench/results/<name>.pyspy.txt; summarise them with
        `python -m bench.profile_summary FILE`. py-spy is not a project dependency: install it
        into the virtualenv by hand (`.venv/bin/pip install py-spy`).
        """
        how = os.environ.get("BENCH_PROFILE", "")
        if not how or self.process is None:
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        argv = [spy, "record", "--pid", str(self.process.pid), "--rate", "250", "--format", "raw"]
        argv += ["--output", str(RESULTS_DIR / f"{self.name}.pyspy.txt")]
        argv += {
            "gil": ["--gil"],
            "idle": ["--idle", "--threads"],
            "native": ["--native", "--idle", "--threads"],
        }.get(how, [])
        self.profiler = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        profiler, self.profiler = self.profiler, None
        if profiler is not None:
            try:
                profiler.wait(timeout=20)  # py-spy writes its file when the target exits
            except subprocess.TimeoutExpired:
                profiler.kill()
                profiler.wait(timeout=5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bare_server(
    name: str,
    ports: Sequence[int],
    *,
    gets: dict[str, tuple[bytes, str]] | None = None,
    posts: Sequence[str] = (),
    cpus: set[int] | None = None,
    workdir: Path,
) -> Server:
    """The baseline server (bench/bare_server.py) with the given bytes on the given paths."""
    argv = [sys.executable, "-m", "bench.bare_server"]
    for port in ports:
        argv += ["--port", str(port)]
    for index, (path, (body, content_type)) in enumerate((gets or {}).items()):
        file = workdir / f"{name}-{index}.body"
        file.write_bytes(body)
        argv += ["--get", f"{path}={file}:{content_type}"]
    for path in posts:
        argv += ["--post", path]
    ready = next(iter(gets)) if gets else "/"
    return Server(name, argv, ports[0], cpus=cpus, ready_path=ready)


class FediAidServer(Server):
    """`fedi-aid serve` on SQLite in development mode, in its own data directory."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        *,
        cpus: set[int] | None = None,
        worker: bool = True,
        groups: Sequence[str] = ("riverside",),
        settings: dict[str, str] | None = None,
    ) -> None:
        port = free_port()
        data_dir = workdir / name
        env = python_env(
            FEDI_AID_BASE_URL=f"http://127.0.0.1:{port}",
            FEDI_AID_DATA_DIR=str(data_dir),
            FEDI_AID_DEVELOPMENT="true",
            FEDI_AID_LOG_LEVEL="WARNING",
            **{f"FEDI_AID_{k.upper()}": v for k, v in (settings or {}).items()},
        )
        argv = [sys.executable, "-m", "fedi_aid", "serve"] + ([] if worker else ["--no-worker"])
        super().__init__(name, argv, port, env=env, cpus=cpus, ready_path="/.well-known/nodeinfo")
        self.data_dir = data_dir
        self.groups = list(groups)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data_dir / "fedi-aid.sqlite3"

    def settings(self) -> Any:
        from fedi_aid.config import load_settings

        return load_settings(
            environ={k: v for k, v in self.env.items() if k.startswith("FEDI_AID_")}
        )

    async def _prepare(self) -> None:
        """What `fedi-aid init` and `fedi-aid group create` do, without two process starts."""
        from fedi_aid.context import Context
        from fedi_aid.db.migrate import migrate
        from fedi_aid.local_actors import create_local_actor, load_instance_key

        settings = self.settings()
        ctx = Context.create(settings)
        try:
            await migrate(ctx.engine, settings)
            await load_instance_key(ctx)
            async with ctx.sessions.begin() as session:
                for group in self.groups:
                    await create_local_actor(
                        session, ctx, "Group", group, display_name=group.title()
                    )
        finally:
            await ctx.close()

    def start(self, timeout: float = 60.0) -> FediAidServer:
        if not self.database.exists():
            # In a thread with its own event loop: start() is also called from async benches.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, self._prepare()).result()
        super().start(timeout)
        return self


@contextlib.contextmanager
def workdir(name: str) -> Iterator[Path]:
    """A scratch directory for one bench's databases and files, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"fedi-aid-bench-{name}-") as path:
        yield Path(path)


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    bytes_read: int
    errors: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    # From replay.lua only: answers per status, and the first answer that was not 2xx.
    statuses: dict[str, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def ok_requests(self) -> int:
        """Completed requests whose status was below 400 (wrk counts the others apart)."""
        return self.requests - self.errors.get("status", 0)

    @property
    def ok_rate(self) -> float:
        return self.ok_requests / self.duration_s if self.duration_s else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed; run bench/setup.sh (or apt-get install -y wrk)")
    return path


async def run_wrk(
    url: str,
    *,
    duration: float,
    connections: int = 50,
    threads: int = 1,
    headers: Sequence[str] = (),
    script: Path | None = None,
    script_env: dict[str, str] | None = None,
    cpus: set[int] | None = None,
    stop_marker: str | None = None,
) -> WrkResult:
    """Run wrk once and parse the JSON line its `done` hook prints.

    With `stop_marker`, the Lua script announces on stderr (once per thread) that it has sent
    all its requests; wrk is then interrupted (SIGINT), which makes it report at once with the
    time actually spent instead of sleeping out the full duration.
    """
    argv = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(script or WRK_DIR / "report.lua"),
    ]
    for header in headers:
        argv += ["-H", header]
    argv.append(url)
    env = dict(os.environ)
    env.update(script_env or {})
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        preexec_fn=_pinned(cpus),  # noqa: PLW1509 - only sched_setaffinity
    )
    assert process.stdout is not None and process.stderr is not None
    stderr_lines: list[str] = []

    async def watch_stderr() -> None:
        assert process.stderr is not None
        seen = 0
        async for raw in process.stderr:
            text = raw.decode(errors="replace").rstrip()
            stderr_lines.append(text)
            if stop_marker and text == stop_marker:
                seen += 1
                if seen == threads and process.returncode is None:
                    process.send_signal(signal.SIGINT)

    watcher = asyncio.create_task(watch_stderr())
    try:
        stdout = await asyncio.wait_for(process.stdout.read(), timeout=duration + 60)
        await asyncio.wait_for(process.wait(), timeout=30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"wrk did not finish; stderr: {' / '.join(stderr_lines[-5:])}") from None
    finally:
        await watcher
    result: WrkResult | None = None
    statuses: dict[str, int] = {}
    first_error = ""
    for text_line in stdout.decode(errors="replace").splitlines():
        if text_line.startswith("BENCH-JSON "):
            data = json.loads(text_line.removeprefix("BENCH-JSON "))
            result = WrkResult(
                requests=int(data["requests"]),
                duration_s=data["duration_us"] / 1e6,
                bytes_read=int(data["bytes"]),
                errors={k: int(v) for k, v in data["errors"].items()},
                latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
            )
        elif text_line.startswith("BENCH-STATUS "):
            for part in text_line.split()[1:]:
                status, _, count = part.partition("=")
                statuses[status] = int(count)
        elif text_line.startswith("BENCH-FIRST-ERROR "):
            first_error = text_line.removeprefix("BENCH-FIRST-ERROR ")
    if result is not None:
        result.statuses = statuses
        result.first_error = first_error
        return result
    raise RuntimeError(
        f"wrk printed no result (exit {process.returncode}): "
        + " / ".join([*stderr_lines[-5:], *stdout.decode(errors="replace").splitlines()[-5:]])
    )


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    """One blocking GET (for capturing the bytes a server answers with)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.status, resp.read(), resp.headers.get("Content-Type", "")
