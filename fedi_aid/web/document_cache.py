"""Rendered public documents (local actors, WebFinger answers) kept in memory for seconds.

An actor or WebFinger GET is the request a federation makes most, and rendering it means a
database round trip; here it is a dictionary lookup. An entry is dropped when this process
changes a local actor (db.change_counters) or after `ttl` seconds, which bounds how long a change
made by another process (the CLI, a second web process) stays unseen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from fedi_aid.db import change_counters

DEFAULT_TTL_SECONDS = 5.0
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class CachedDocument:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    expires: float
    generation: int

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=self.body, headers=dict(self.headers))


class DocumentCache:
    def __init__(
        self, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[str, CachedDocument] = {}

    @staticmethod
    def stamp() -> int:
        """Take before reading what a document is rendered from; hand it to `remember`."""
        return change_counters.generation(change_counters.LOCAL_ACTORS)

    def get(self, key: str) -> CachedDocument | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if (
            entry.generation != change_counters.generation(change_counters.LOCAL_ACTORS)
            or entry.expires <= self.clock()
        ):
            del self.entries[key]
            return None
        return entry

    def remember(self, key: str, response: web.Response, stamp: int) -> web.Response:
        """Keep RESPONSE (status, body and headers) under KEY; returns it unchanged."""
        if self.ttl <= 0 or not isinstance(response.body, bytes):
            return response
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()  # simplest bound: each is refilled by one request
        headers = tuple((k, v) for k, v in response.headers.items() if k != "Content-Length")
        self.entries[key] = CachedDocument(
            response.status, response.body, headers, self.clock() + self.ttl, stamp
        )
        return response

    def clear(self) -> None:
        self.entries.clear()
