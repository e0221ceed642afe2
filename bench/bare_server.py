"""The baseline: a bare aiohttp server with no application logic.

It answers GETs on given paths with given bytes (the very bytes fedi-aid served, captured by the
bench) and POSTs by reading the body and answering 202. It can listen on several ports at once
(the receiving instances of the delivery bench). Run as its own process:

    python -m bench.bare_server --port 8001 --port 8002 \\
        --get /users/riverside=/tmp/actor.json:application/activity+json --post /inbox
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from aiohttp import web


def build_app(gets: dict[str, tuple[bytes, str]], posts: list[str]) -> web.Application:
    app = web.Application()

    def make_get(body: bytes, content_type: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=body, headers={"Content-Type": content_type})

        return handler

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    for path, (body, content_type) in gets.items():
        app.router.add_get(path, make_get(body, content_type))
    for path in posts:
        app.router.add_post(path, accept)
    return app


def parse_get(spec: str) -> tuple[str, bytes, str]:
    """PATH=FILE:CONTENT_TYPE -> (path, body bytes, content type)."""
    path, _, rest = spec.partition("=")
    file_name, _, content_type = rest.partition(":")
    return path, Path(file_name).read_bytes(), content_type or "application/octet-stream"


async def serve(ports: list[int], app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, action="append", required=True)
    parser.add_argument("--get", action="append", default=[], help="PATH=FILE:CONTENT_TYPE")
    parser.add_argument("--post", action="append", default=[], help="PATH answered with 202")
    args = parser.parse_args()
    gets = {path: (body, ctype) for path, body, ctype in map(parse_get, args.get)}
    asyncio.run(serve(args.port, build_app(gets, args.post)))


if __name__ == "__main__":
    main()
