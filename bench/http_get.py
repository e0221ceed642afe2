"""Actor document and WebFinger GET throughput: `fedi-aid serve` against a bare aiohttp handler.

Both servers are one process pinned to one core; wrk (50 connections) runs on the other core.
The bare handler returns the very bytes fedi-aid answered with, captured first.

    python -m bench.http_get [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from bench.common import (
    FediAidServer,
    Figure,
    Mode,
    WrkResult,
    bare_server,
    cpu_plan,
    free_port,
    http_get,
    report,
    run_wrk,
    workdir,
)

GOAL_RATIO = 0.50
AP = "application/activity+json"


@dataclass(frozen=True)
class Target:
    name: str
    path: str  # with the query string
    headers: tuple[str, ...] = ()

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]


def targets(host: str, group: str) -> list[Target]:
    return [
        Target("actor document GET", f"/users/{group}", (f"Accept: {AP}",)),
        Target("WebFinger GET", f"/.well-known/webfinger?resource=acct:{group}@{host}"),
    ]


async def measure(url: str, target: Target, mode: Mode, load_cpus: set[int] | None) -> WrkResult:
    if mode.warmup:
        await run_wrk(
            url,
            duration=mode.warmup,
            connections=mode.connections,
            headers=target.headers,
            cpus=load_cpus,
        )
    result = await run_wrk(
        url,
        duration=mode.duration,
        connections=mode.connections,
        headers=target.headers,
        cpus=load_cpus,
    )
    if result.failed or result.requests == 0:
        raise RuntimeError(f"{target.name} on {url}: {result.requests} requests, {result.errors}")
    return result


async def run(mode: Mode) -> list[Figure]:
    server_cpus, load_cpus = cpu_plan()
    group = "riverside"
    ours: dict[str, WrkResult] = {}
    bare: dict[str, WrkResult] = {}
    with workdir("http_get") as tmp:
        # All load comes from one address: the per-address limit (WebFinger) is turned off.
        fedi = FediAidServer(
            "http_get-fedi",
            tmp,
            cpus=server_cpus,
            groups=[group],
            settings={"rate_limit_per_minute": "0"},
        )
        with fedi:
            wanted = targets(fedi.host, group)
            captured: dict[str, tuple[bytes, str]] = {}
            for target in wanted:
                request_headers = dict(h.split(": ", 1) for h in target.headers)
                status, body, content_type = http_get(fedi.base + target.path, request_headers)
                if status != 200:
                    raise RuntimeError(f"{target.name}: fedi-aid answered {status}")
                captured[target.route] = (body, content_type)
            for target in wanted:
                ours[target.name] = await measure(fedi.base + target.path, target, mode, load_cpus)
        port = free_port()
        with bare_server("http_get-bare", [port], gets=captured, cpus=server_cpus, workdir=tmp):
            for target in wanted:
                url = f"http://127.0.0.1:{port}{target.path}"
                bare[target.name] = await measure(url, target, mode, load_cpus)

    figures = []
    for target in wanted:
        mine, base = ours[target.name], bare[target.name]
        figures.append(
            Figure(
                name=f"{target.name} (50 conns)",
                unit="req/s",
                value=mine.rate,
                baseline=base.rate,
                baseline_name="bare aiohttp",
                ratio_min=GOAL_RATIO,
                note=f"p99 {mine.latency_ms['p99']:.1f} ms vs {base.latency_ms['p99']:.1f} ms",
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a second or two per measurement")
    args = parser.parse_args()
    mode = Mode.quick() if args.smoke else Mode.full()
    report("http_get", asyncio.run(run(mode)), mode)


if __name__ == "__main__":
    main()
